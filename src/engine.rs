//! The pipeline every entry point shares: git → commit facts → verdict. Also where the policy
//! and exemptions come from (work tree, a ref's accepted state, or server config).

use crate::approvals::{self, AllowedSigners, Verified};
use crate::exemptions::Exemptions;
use crate::facts::ApprovalSeen;
use crate::git::repo::Repo;
use crate::policy::Policy;
use crate::policy::Verify;
use crate::trailers::{self, TrailerConfig};
use crate::verdict::{judge, CommitFacts, CommitVerdict, Target};
use anyhow::{Context, Result};
use git2::Oid;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

pub const POLICY_FILE: &str = ".aigate.toml";
pub const EXEMPTIONS_FILE: &str = ".aigate/exemptions.toml";

pub const SIGNERS_FILE: &str = ".aigate/allowed_signers";

/// Policy, exemptions, trailer settings and the trust root: everything a verdict needs
/// besides the commit.
pub struct Rules {
    pub policy: Policy,
    pub exemptions: Exemptions,
    pub trailers: TrailerConfig,
    /// The trust root for signed approvals (empty when none is configured).
    pub signers: AllowedSigners,
    /// The approvals to read (a tip of `refs/aigate/approvals`), when reviews are signed.
    pub approvals_tip: Option<Oid>,
    /// The time approvals are verified at (the server's clock).
    pub now: i64,
    /// Records already verified, by blob id (a range approval covers many commits), with the
    /// commits each covers.
    verified: Mutex<HashMap<Oid, Option<VerifiedRecord>>>,
    /// Blast-radius measurements recorded in this repository (server hooks and audits).
    pub measures: Option<crate::git::measures::Measures>,
    /// Past this instant, finding a landing's approvals stops with `OverBudget` (server hooks).
    pub deadline: Option<Instant>,
}

impl Rules {
    pub fn new(policy: Policy, exemptions: Exemptions, trailers: TrailerConfig) -> Rules {
        Rules {
            policy,
            exemptions,
            trailers,
            signers: AllowedSigners::default(),
            approvals_tip: None,
            now: now(),
            verified: Mutex::new(HashMap::new()),
            measures: None,
            deadline: None,
        }
    }

    /// Reads and records blast-radius measurements in `repo`'s git directory
    /// (`git::measures`); `save_measures` writes the new ones.
    pub fn with_measures(mut self, repo: &Repo) -> Rules {
        self.measures = Some(crate::git::measures::Measures::load(repo, &self.policy));
        self
    }

    /// Writes the measurements made since `with_measures` (best effort).
    pub fn save_measures(&self) {
        if let Some(m) = &self.measures {
            m.save();
        }
    }

    /// Reads approvals from `tip` (the accepted approvals, or those a push brings).
    pub fn with_approvals(mut self, tip: Option<Oid>) -> Rules {
        self.approvals_tip = tip;
        self
    }

    /// The verified approvals of one commit (every ref they name).
    pub fn approvals_of(&self, repo: &Repo, commit: &str) -> Result<Vec<ApprovalSeen>> {
        let Some(tip) = self.approvals_tip else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        // A range approval is one record under each commit it covers: it is read and verified
        // once (by blob id), then each commit only looks itself up in it.
        for blob in repo.approval_record_ids(tip, commit)? {
            let v = self.verified_record(repo, blob)?;
            if let Some(v) = v {
                let (v, covered) = &*v;
                if covered.contains(commit) {
                    if let Some(seen) = self.seen(v) {
                        out.push(seen);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The approvals of the change a ref update `old` → `tip` of `refname` lands
    /// (`aigate_core::landing`), and why others found do not cover it: found by the change's
    /// paths key, and under the heads a merge commit brings; each verified, then covering only
    /// if the landed tree is what the approved change yields on the old tip. One tree
    /// comparison, or one in-memory merge, per candidate: the cost follows the push.
    /// `pr_commits`: commits of the pull request's branch when the forge names it (newest
    /// first): approvals of its heads are found there too, and one of an older head is named
    /// with the files that changed since.
    pub fn landing(
        &self,
        repo: &Repo,
        refname: &str,
        old: Oid,
        tip: Oid,
        pr_commits: &[Oid],
    ) -> Result<(Vec<ApprovalSeen>, Vec<String>)> {
        if self.policy.verify != Verify::Signed {
            return Ok((Vec::new(), Vec::new()));
        }
        self.landing_any(repo, refname, old, tip, pr_commits)
    }

    /// `landing` whatever `review.verify` says (an owners' approval of a rule change lands by
    /// squash or merge too); `review.binding = "commit"` still binds to commits.
    pub fn landing_any(
        &self,
        repo: &Repo,
        refname: &str,
        old: Oid,
        tip: Oid,
        pr_commits: &[Oid],
    ) -> Result<(Vec<ApprovalSeen>, Vec<String>)> {
        let policy = &self.policy;
        let (mut landing, mut notes) = (Vec::new(), Vec::new());
        if policy.binding != crate::policy::Binding::Change {
            return Ok((landing, notes));
        }
        let Some(at) = self.approvals_tip else {
            return Ok((landing, notes));
        };
        let tip_commit = repo.git.find_commit(tip)?;
        let new_tree = tip_commit.tree_id();
        let mut dirs = vec![crate::git::approvals::change_dir(
            &repo.paths_key(Some(old), tip)?,
        )];
        for parent in tip_commit.parent_ids().filter(|&c| c != old) {
            dirs.push(crate::git::approvals::dir_of(&parent.to_string()));
        }
        for c in pr_commits {
            dirs.push(crate::git::approvals::dir_of(&c.to_string()));
        }
        let mut blobs: Vec<Oid> = Vec::new();
        for d in &dirs {
            for b in repo.approval_ids_in(at, d)? {
                if !blobs.contains(&b) && blobs.len() < MAX_LANDING_CANDIDATES {
                    blobs.push(b);
                }
            }
        }
        // Several reviewers approve one change: its merge and its people are made once.
        let mut people: HashMap<(Oid, Oid), Vec<String>> = HashMap::new();
        let mut merges: HashMap<(Oid, Oid), Option<(aigate_core::landing::Merged, Vec<String>)>> =
            HashMap::new();
        for blob in blobs {
            // Each candidate may cost a merge: the push's time budget holds here too.
            crate::git::budget::check(self.deadline)?;
            let Some(v) = self.verified_record(repo, blob)? else {
                continue;
            };
            let v = &v.0;
            let Some(change) = &v.statement.change else {
                continue;
            };
            if !policy.approval_counts_for(&v.statement.refname, refname) {
                continue;
            }
            let Some(mut seen) = self.seen(v) else {
                continue;
            };
            let label = format!(
                "{}'s approval of {}..{}",
                seen.reviewer,
                short(&change.base),
                short(&change.head)
            );
            let (Ok(base), Ok(head)) = (Oid::from_str(&change.base), Oid::from_str(&change.head))
            else {
                continue;
            };
            let Ok(head_commit) = repo.git.find_commit(head) else {
                notes.push(format!(
                "{label}: the approved head is not on this server (push the reviewed branch too)"
            ));
                continue;
            };
            let head_tree = head_commit.tree_id().to_string();
            let decided = aigate_core::landing::covers(
                policy,
                &change.base,
                &old.to_string(),
                &new_tree.to_string(),
                &head_tree,
                || {
                    merges
                        .entry((base, head))
                        .or_insert_with(|| repo.merge_in_memory(base, old, head, new_tree).ok())
                        .as_ref()
                        .map(|(m, _)| m.clone())
                },
            );
            match decided {
                Ok(()) => {
                    seen.change_people = people
                        .entry((base, head))
                        .or_insert_with(|| repo.change_people(base, head).unwrap_or_default())
                        .clone();
                    seen.landing = Some(format!(
                        "lands the approved change {}..{}",
                        short(&change.base),
                        short(&change.head)
                    ));
                    landing.push(seen);
                }
                Err(aigate_core::landing::Uncovered::Differs { expected }) => {
                    // On a moved target the expected tree was merged in memory: its files
                    // were compared there.
                    let files = match merges.get(&(base, head)) {
                        Some(Some((_, differs))) => differs.clone(),
                        _ => Oid::from_str(&expected)
                            .ok()
                            .and_then(|e| repo.trees_differ(e, new_tree, 10).ok())
                            .unwrap_or_default(),
                    };
                    notes.push(format!(
                        "{label}: what lands differs from what was approved in {}",
                        if files.is_empty() {
                            "its tree".to_string()
                        } else {
                            files.join(", ")
                        }
                    ));
                }
                Err(why) => notes.push(format!("{label}: {}", why.describe())),
            }
        }
        Ok((landing, notes))
    }

    /// One approval record, read and verified once per run (by blob id: a range approval is
    /// one record under each commit it covers), with the commits it names.
    pub fn verified_record(&self, repo: &Repo, blob: Oid) -> Result<Option<VerifiedRecord>> {
        let cached = self
            .verified
            .lock()
            .map_err(|_| anyhow::anyhow!("approval cache poisoned"))?
            .get(&blob)
            .cloned();
        if let Some(v) = cached {
            return Ok(v);
        }
        let text = repo.approval_record_text(blob)?;
        let v = approvals::verify(&text, &self.signers, self.now)
            .ok()
            .map(|v| {
                let covered = v.statement.commits.iter().cloned().collect();
                std::sync::Arc::new((v, covered))
            });
        if let Ok(mut m) = self.verified.lock() {
            m.insert(blob, v.clone());
        }
        Ok(v)
    }

    /// What a verified approval stands for: the person (a key), everyone that key is in the
    /// trust root, and for a forge review the reviewer a bridge attests. A forge review
    /// signed by a key that is not a `[forge] bridges` key stands for nobody (None).
    pub fn seen(&self, v: &Verified) -> Option<ApprovalSeen> {
        let st = &v.statement;
        let mut seen = ApprovalSeen {
            reviewer: st.reviewer.clone(),
            refname: st.refname.clone(),
            fingerprint: v.fingerprint.clone(),
            person: v.fingerprint.clone(),
            principals: v.principals.clone(),
            ..Default::default()
        };
        if let Some(f) = &st.forge {
            // A bridge is a key listed under the bridge's own principal, not a pattern that
            // happens to admit it.
            if !self.policy.is_bridge(&st.reviewer)
                || !v
                    .principals
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&st.reviewer))
            {
                return None;
            }
            let label = forge_label(&f.forge, &f.login);
            let mapped = self
                .policy
                .identities
                .get(&label)
                .or_else(|| self.policy.identities.get(&f.login))
                .cloned();
            seen.bridge = Some(st.reviewer.clone());
            seen.pr_author = Some(forge_label(&f.forge, &f.pr_author));
            seen.bot = f.login.to_ascii_lowercase().ends_with("[bot]")
                || self
                    .policy
                    .catalog
                    .is_ai_identity(&crate::identity::Identity::new(
                        f.login.clone(),
                        String::new(),
                    ));
            seen.principals = vec![label.clone()];
            seen.person = label.clone();
            seen.reviewer = label;
            if let Some(email) = mapped {
                // The person behind the login: their own key, when the trust root has one,
                // so an approval in the forge and one with `aigate approve` are one person.
                if let Some((fp, principals)) = self.signers.key_of(&email) {
                    seen.person = fp;
                    seen.principals.extend(principals);
                }
                seen.principals.push(email.clone());
                seen.reviewer = email;
            }
        }
        Some(seen)
    }

    /// Adds what the verdict needs from outside the commit object: its verified approvals
    /// (when reviews are signed).
    pub fn attach(&self, repo: &Repo, facts: &mut CommitFacts) -> Result<()> {
        if self.policy.verify == Verify::Signed && facts.approvals.is_empty() {
            facts.approvals = self.approvals_of(repo, &facts.id)?;
        }
        Ok(())
    }

    /// Judges commits already read.
    pub fn judge(&self, facts: &CommitFacts, target: &Target<'_>) -> CommitVerdict {
        let t = trailers::parse_str(&facts.message, &self.trailers);
        judge(facts, &t, &self.policy, &self.exemptions, target)
    }

    /// Judges a commit again once its diff or approvals are known, re-using the evidence of
    /// `first` (its message, trailers, identities and notes have not changed).
    fn rejudge(
        &self,
        facts: &CommitFacts,
        target: &Target<'_>,
        first: &CommitVerdict,
    ) -> CommitVerdict {
        let t = trailers::parse_str(&facts.message, &self.trailers);
        crate::verdict::judge_with_evidence(
            facts,
            &t,
            first.evidence.clone(),
            &self.policy,
            &self.exemptions,
            target,
        )
    }

    /// Reads and judges one commit. Human commits are judged from the commit alone; what costs
    /// a diff (changed paths, blast radius) is read only for commits that need it.
    /// `want_paths`: the caller wants changed paths in the facts anyway (SARIF locations).
    pub fn judge_commit(
        &self,
        repo: &Repo,
        id: Oid,
        target: &Target<'_>,
        want_paths: bool,
    ) -> Result<(CommitFacts, CommitVerdict)> {
        let facts = repo.facts(id, false)?;
        let v = self.judge(&facts, target);
        self.finish(repo, id, facts, v, target, want_paths, None)
    }

    /// A first verdict completed with the commit's signed approvals, looked up only when they
    /// can count: reviews are signed and the commit needs a review.
    fn judge_approvals(
        &self,
        repo: &Repo,
        facts: &mut CommitFacts,
        v: CommitVerdict,
        target: &Target<'_>,
    ) -> Result<CommitVerdict> {
        let reviewed = v.ai_assisted || self.policy.require_for == crate::policy::RequireFor::All;
        if reviewed && self.policy.verify == Verify::Signed && facts.approvals.is_empty() {
            self.attach(repo, facts)?;
            if !facts.approvals.is_empty() {
                return Ok(self.rejudge(facts, target, &v));
            }
        }
        Ok(v)
    }

    /// Completes a first verdict made from the commit alone, reading the diff only if needed;
    /// past `deadline` measuring a blast radius stops with `OverBudget`.
    pub fn finish(
        &self,
        repo: &Repo,
        id: Oid,
        mut facts: CommitFacts,
        v: CommitVerdict,
        target: &Target<'_>,
        want_paths: bool,
        deadline: Option<Instant>,
    ) -> Result<(CommitFacts, CommitVerdict)> {
        let reviewed = v.ai_assisted || self.policy.require_for == crate::policy::RequireFor::All;
        let v = self.judge_approvals(repo, &mut facts, v, target)?;
        let paths = facts.changed_paths.is_none()
            && ((want_paths && v.ai_assisted)
                || (reviewed && (self.policy.needs_paths() || !self.exemptions.list.is_empty())));
        // The blast radius can only raise the reviews required to `min_reviews`: a commit that
        // already has that many counted reviews is decided without reading its trees.
        let counted = v.reviews.iter().filter(|r| r.counts).count();
        let blast = v.ai_assisted
            && self.policy.needs_blast()
            && counted < self.policy.agents.blast_radius.min_reviews as usize;
        if !paths && !blast {
            return Ok((facts, v));
        }
        if paths {
            facts.changed_paths = Some(repo.changed_paths_of(id)?);
        }
        if blast {
            facts.blast = match self.measures.as_ref().and_then(|m| m.get(id)) {
                Some(b) => Some(b),
                None => {
                    let b = repo.blast_of_commit(id, &self.policy, deadline)?;
                    if let (Some(m), Some(b)) = (&self.measures, &b) {
                        m.record(id, b);
                    }
                    b
                }
            };
        }
        let v = self.rejudge(&facts, target, &v);
        Ok((facts, v))
    }

    /// Reads and judges commits, newest first, within limits: a deadline (an error
    /// `is_over_budget` recognises once it passes) and advice-only judging (no diff is read: no
    /// blast radius, no changed paths). Long lists are split over the machine's cores, each part
    /// on its own repository handle; verdicts come back in the order of `ids`.
    pub fn judge_ids_limited(
        &self,
        repo: &Repo,
        ids: &[Oid],
        target: &Target<'_>,
        limits: &JudgeLimits,
    ) -> Result<Vec<CommitVerdict>> {
        let entries: Vec<(Oid, Option<&[u8]>)> = ids.iter().map(|&id| (id, None)).collect();
        self.judge_entries_limited(repo, &entries, target, limits)
    }

    /// Judges one commit within `limits`, from its raw object when a walk already read it
    /// (`data`), else read here.
    fn judge_read(
        &self,
        repo: &Repo,
        id: Oid,
        data: Option<&[u8]>,
        target: &Target<'_>,
        limits: &JudgeLimits,
    ) -> Result<CommitVerdict> {
        crate::git::budget::check(limits.deadline)?;
        let mut facts = match data {
            Some(d) => {
                let mut f = crate::git::repo::facts_of(id, d)?;
                f.notes = repo.notes_of(id);
                f
            }
            None => repo.facts(id, false)?,
        };
        let v = self.judge(&facts, target);
        if limits.advice_only {
            return self.judge_approvals(repo, &mut facts, v, target);
        }
        Ok(self
            .finish(repo, id, facts, v, target, false, limits.deadline)?
            .1)
    }

    /// Judges commits while a walk finds them: `walk` hands each (id, raw object) to `found` in
    /// order and returns the ids it keeps. Once the walk has found `PARALLEL_FROM` commits,
    /// worker threads (each on its own repository handle) take chunks from one queue while the
    /// walk goes on, one fewer than the cores so the walk keeps one; when the walk ends this
    /// thread joins them. A shorter walk is judged on this thread alone. Verdicts come back in
    /// the order of the kept ids.
    pub fn judge_while_walking(
        &self,
        repo: &Repo,
        target: &Target<'_>,
        limits: &JudgeLimits,
        walk: impl FnOnce(&mut dyn FnMut(Oid, Vec<u8>) -> Result<()>) -> Result<Vec<Oid>>,
    ) -> Result<Vec<CommitVerdict>> {
        const CHUNK: usize = 256;
        type Chunk = Vec<(Oid, Vec<u8>)>;
        type Judged = Result<Vec<(Oid, CommitVerdict)>>;
        let judge_chunk = |repo: &Repo, chunk: Chunk| -> Judged {
            chunk
                .into_iter()
                .map(|(id, data)| Ok((id, self.judge_read(repo, id, Some(&data), target, limits)?)))
                .collect()
        };
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get().min(8))
            .saturating_sub(1);
        let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<Chunk>(2 * workers.max(1));
        let job_rx = Mutex::new(job_rx);
        let next_job = || job_rx.lock().ok().and_then(|rx| rx.recv().ok());
        std::thread::scope(|s| {
            let (res_tx, res_rx) = std::sync::mpsc::channel::<Judged>();
            let mut job_tx = Some(job_tx);
            let mut started = false;
            let mut pending: Chunk = Vec::new();
            let (judge_chunk, next_job) = (&judge_chunk, &next_job);
            let kept = walk(&mut |id, data| {
                pending.push((id, data));
                if !started && workers > 0 && pending.len() >= PARALLEL_FROM {
                    started = true;
                    for _ in 0..workers {
                        let r = repo.reopen()?;
                        let res_tx = res_tx.clone();
                        s.spawn(move || {
                            // A panic is reported as an error and the worker keeps taking
                            // chunks: the walk never waits on a queue nobody empties.
                            while let Some(chunk) = next_job() {
                                let judged = std::panic::catch_unwind(
                                    std::panic::AssertUnwindSafe(|| judge_chunk(&r, chunk)),
                                )
                                .unwrap_or_else(|_| Err(anyhow::anyhow!("a judging thread panicked (a bug in aigate: please report it with the range that caused it)")));
                                if res_tx.send(judged).is_err() {
                                    return;
                                }
                            }
                        });
                    }
                }
                if started && pending.len() >= CHUNK {
                    if let Some(tx) = &job_tx {
                        tx.send(std::mem::take(&mut pending))
                            .map_err(|_| anyhow::anyhow!("the judging threads stopped early"))?;
                    }
                }
                Ok(())
            });
            // The walk is over: what is left, then this thread helps with the queue.
            drop(job_tx.take());
            if kept.is_ok() {
                let _ = res_tx.send(judge_chunk(repo, std::mem::take(&mut pending)));
                while let Some(chunk) = next_job() {
                    let _ = res_tx.send(judge_chunk(repo, chunk));
                }
            }
            drop(res_tx);
            let mut verdicts: HashMap<Oid, CommitVerdict> = HashMap::new();
            let mut first_err = None;
            for r in res_rx {
                match r {
                    Ok(v) => verdicts.extend(v),
                    Err(e) => {
                        first_err.get_or_insert(e);
                    }
                }
            }
            let kept = kept?;
            if let Some(e) = first_err {
                return Err(e);
            }
            kept.into_iter()
                .map(|id| {
                    verdicts
                        .remove(&id)
                        .with_context(|| format!("commit {id} was not judged"))
                })
                .collect()
        })
    }

    /// `judge_ids_limited` of commits whose raw objects a walk already read.
    pub fn judge_walked(
        &self,
        repo: &Repo,
        walked: &[(Oid, Vec<u8>)],
        target: &Target<'_>,
    ) -> Result<Vec<CommitVerdict>> {
        let entries: Vec<(Oid, Option<&[u8]>)> = walked
            .iter()
            .map(|(id, d)| (*id, Some(d.as_slice())))
            .collect();
        self.judge_entries_limited(repo, &entries, target, &JudgeLimits::default())
    }

    /// `judge_ids_limited` of commits whose raw objects a walk already read (`None`: read it).
    pub fn judge_entries_limited(
        &self,
        repo: &Repo,
        ids: &[(Oid, Option<&[u8]>)],
        target: &Target<'_>,
        limits: &JudgeLimits,
    ) -> Result<Vec<CommitVerdict>> {
        let judge_all = |repo: &Repo, ids: &[(Oid, Option<&[u8]>)]| -> Result<Vec<CommitVerdict>> {
            ids.iter()
                .map(|(id, data)| self.judge_read(repo, *id, *data, target, limits))
                .collect()
        };
        let jobs = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if jobs < 2 || ids.len() < PARALLEL_FROM {
            return judge_all(repo, ids);
        }
        let part = ids.len().div_ceil(jobs);
        let mut parts = ids.chunks(part);
        let first = parts.next().unwrap_or_default();
        let handles = parts
            .map(|ids| Ok((repo.reopen()?, ids)))
            .collect::<Result<Vec<_>>>()?;
        std::thread::scope(|s| {
            let others: Vec<_> = handles
                .into_iter()
                .map(|(r, ids)| s.spawn(move || judge_all(&r, ids)))
                .collect();
            let mut out = judge_all(repo, first)?;
            for h in others {
                match h.join() {
                    Ok(v) => out.extend(v?),
                    Err(_) => anyhow::bail!("a judging thread panicked (a bug in aigate: please report it with the push that caused it)"),
                }
            }
            Ok(out)
        })
    }
}

/// A verified approval record and the set of commits it covers.
pub type VerifiedRecord = std::sync::Arc<(Verified, std::collections::HashSet<String>)>;

/// The most approval records of changes looked at for one landing.
const MAX_LANDING_CANDIDATES: usize = 64;

/// A forge login as aigate names it across forges: `github:rob`.
pub fn forge_label(forge: &str, login: &str) -> String {
    format!(
        "{}:{}",
        forge.to_ascii_lowercase(),
        login.to_ascii_lowercase()
    )
}

/// Limits on one judging run.
#[derive(Debug, Clone, Default)]
pub struct JudgeLimits {
    /// Stop (with `OverBudget`) once this instant has passed.
    pub deadline: Option<Instant>,
    /// Judge from the commit alone: no diff, no blast radius (advice on unprotected refs).
    pub advice_only: bool,
}

pub use crate::git::budget::OverBudget;

/// Whether an error is the time budget running out.
pub fn is_over_budget(e: &anyhow::Error) -> bool {
    e.downcast_ref::<OverBudget>().is_some()
}

/// Pushes of fewer commits are judged on one thread (a second repository handle costs more).
const PARALLEL_FROM: usize = 512;

fn read_text(bytes: Vec<u8>, origin: &str) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{origin} is not valid UTF-8"))
}

/// Loads a policy file from disk.
pub fn policy_from_file(path: &Path) -> Result<Policy> {
    let text =
        std::fs::read(path).with_context(|| format!("cannot read policy {}", path.display()))?;
    let origin = path.display().to_string();
    Ok(Policy::from_str(&read_text(text, &origin)?, &origin)?)
}

fn exemptions_from_file(path: &Path, policy: &Policy) -> Result<Exemptions> {
    let text = std::fs::read(path)
        .with_context(|| format!("cannot read exemptions {}", path.display()))?;
    let origin = path.display().to_string();
    Ok(Exemptions::from_str(
        &read_text(text, &origin)?,
        &origin,
        &policy.catalog,
        policy.exemption_max_days,
    )?)
}

/// Rules for a developer's checkout: `--policy FILE`, else `.aigate.toml` at the top of the
/// work tree, else the built-in default; exemptions from `.aigate/exemptions.toml`, the trust
/// root from `.aigate/allowed_signers`, approvals from the local `refs/aigate/approvals`.
pub fn rules_for_worktree(repo: &Repo, policy_file: Option<&Path>) -> Result<Rules> {
    let top = repo.workdir().map(Path::to_path_buf);
    let policy = worktree_policy(repo, policy_file)?;
    let exemptions = match &top {
        Some(top) if top.join(EXEMPTIONS_FILE).exists() => {
            exemptions_from_file(&top.join(EXEMPTIONS_FILE), &policy)?
        }
        _ => Exemptions::default(),
    };
    let mut rules = Rules::new(policy, exemptions, repo.trailer_config());
    if let Some(top) = &top {
        let path = top.join(SIGNERS_FILE);
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            rules.signers = AllowedSigners::parse(&text, SIGNERS_FILE)
                .map_err(|e| anyhow::anyhow!("error: {e}"))?;
        }
    }
    rules.approvals_tip = repo.approvals_tip();
    // As the server decides: where the rules name owners, an exemption counts only with an
    // owner's verified grant (a draft passes no local check the server would refuse).
    if !rules.policy.owners.is_empty() {
        let (owners, names) = owners_of(repo, &rules)?;
        rules.exemptions.require_grants(&owners, &names, now());
    }
    Ok(rules)
}

/// The policy alone, for a checkout: `--policy FILE`, `.aigate.toml`, or the built-in default.
pub fn worktree_policy(repo: &Repo, policy_file: Option<&Path>) -> Result<Policy> {
    match (policy_file, repo.workdir()) {
        (Some(p), _) => policy_from_file(p),
        (None, Some(top)) if top.join(POLICY_FILE).exists() => {
            policy_from_file(&top.join(POLICY_FILE))
        }
        _ => Ok(Policy::builtin()?),
    }
}

/// The rule files as text, from wherever they are read (a commit's tree, a work tree, the
/// server's config paths), each with a name for diagnostics.
#[derive(Default)]
pub struct RuleTexts {
    pub policy: Option<(String, String)>,
    pub exemptions: Option<(String, String)>,
    pub signers: Option<(String, String)>,
}

impl RuleTexts {
    /// Compiles and validates them together (the exemptions name catalog tools; the policy's
    /// owners must be principals of the trust root).
    pub fn compile(self, trailers: TrailerConfig) -> Result<Rules> {
        let policy = match &self.policy {
            Some((text, origin)) => Policy::from_str(text, origin)?,
            None => Policy::builtin()?,
        };
        let exemptions = match &self.exemptions {
            Some((text, origin)) => {
                Exemptions::from_str(text, origin, &policy.catalog, policy.exemption_max_days)?
            }
            None => Exemptions::default(),
        };
        let signers = match &self.signers {
            Some((text, origin)) => AllowedSigners::parse(text, origin)
                .map_err(|e| anyhow::anyhow!("error: {e}\n   = help: lines look like `bob@example.com ssh-ed25519 AAAA... bob`"))?,
            None => AllowedSigners::default(),
        };
        let mut rules = Rules::new(policy, exemptions, trailers);
        rules.signers = signers;
        Ok(rules)
    }
}

fn text_of(bytes: Vec<u8>, origin: String) -> Result<(String, String)> {
    Ok((read_text(bytes, &origin)?, origin))
}

fn config_file(repo: &Repo, key: &str) -> Result<Option<(String, String)>> {
    match repo.config_string(key) {
        Some(p) => {
            let bytes = std::fs::read(&p).with_context(|| {
                format!("cannot read {p} (git config {key}); an admin fixes the path or unsets it: git config --unset {key}")
            })?;
            Ok(Some(text_of(bytes, p)?))
        }
        None => Ok(None),
    }
}

/// The rule files at commit `at`, for those the server's config does not set.
pub fn texts_at(repo: &Repo, at: Option<Oid>) -> Result<RuleTexts> {
    let at_file = |path: &str| -> Result<Option<(String, String)>> {
        let Some(c) = at else { return Ok(None) };
        match repo.file_at(c, path)? {
            Some(bytes) => Ok(Some(text_of(
                bytes,
                format!("{path} at {}", short(&c.to_string())),
            )?)),
            None => Ok(None),
        }
    };
    Ok(RuleTexts {
        policy: match config_file(repo, "aigate.policy")? {
            Some(t) => Some(t),
            None => at_file(POLICY_FILE)?,
        },
        exemptions: match config_file(repo, "aigate.exemptions")? {
            Some(t) => Some(t),
            None => at_file(EXEMPTIONS_FILE)?,
        },
        signers: match config_file(repo, "aigate.allowedSigners")? {
            Some(t) => Some(t),
            None => at_file(SIGNERS_FILE)?,
        },
    })
}

/// Rules from accepted state: git config `aigate.policy` / `aigate.exemptions` /
/// `aigate.allowedSigners` (paths on the server), else the files at commit `at`, else the
/// built-in default. Never from the commits being judged.
pub fn rules_at(repo: &Repo, at: Option<Oid>) -> Result<Rules> {
    texts_at(repo, at)?.compile(repo.trailer_config())
}

/// The one governing rule set of a server repository, resolved once per push.
pub struct Governing {
    /// The governing ref (`aigate.policyRef`, recorded by `aigate install --server`).
    pub refname: String,
    /// Its accepted tip (None: it does not exist yet, and the built-in default applies).
    pub tip: Option<Oid>,
    pub rules: Rules,
    /// Keys whose signed approvals a change to the rules needs, and the owners' principals.
    pub owners: AllowedSigners,
    pub owner_names: Vec<String>,
    /// The governed files that are read from the governing ref (not set by server config).
    pub from_ref: Vec<&'static str>,
}

/// The governing ref: `aigate.policyRef`, else the branch HEAD names.
pub fn governing_ref(repo: &Repo) -> String {
    repo.config_string("aigate.policyRef")
        .map(|r| {
            if r.starts_with("refs/") {
                r
            } else {
                format!("refs/heads/{r}")
            }
        })
        .or_else(|| repo.head_ref())
        .unwrap_or_else(|| "refs/heads/main".into())
}

/// Resolves the governing rule set: the server's config paths, else the files at the governing
/// ref's accepted tip, else the built-in default; the owners from `aigate.owners` (a file in
/// git's allowed-signers format, set by `aigate install --server --owners FILE`) and from the
/// policy's `[governance] owners` with their keys in the trust root.
pub fn governing(repo: &Repo) -> Result<Governing> {
    // A symbolic governing ref governs through its target (pushes move the target).
    let refname = repo.resolve_symref(&governing_ref(repo));
    let tip = match repo.git.refname_to_id(&refname) {
        // A governing ref that exists but holds no commit never reads as absent (which would
        // put the built-in default in force): fail closed.
        Ok(id) => Some(repo.peel_to_commit(id)?.with_context(|| {
            format!("the governing ref {refname} does not point to a commit, so its rules cannot be read; an admin points it back to the rules' last commit (git update-ref {refname} COMMIT)")
        })?),
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => anyhow::bail!("cannot read the governing ref {refname}: {}", e.message()),
    };
    let mut from_ref = Vec::new();
    for (key, file) in [
        ("aigate.policy", POLICY_FILE),
        ("aigate.exemptions", EXEMPTIONS_FILE),
        ("aigate.allowedSigners", SIGNERS_FILE),
    ] {
        if repo.config_string(key).is_none() {
            from_ref.push(file);
        }
    }
    let mut rules = rules_at(repo, tip)?;
    let (owners, owner_names) = owners_of(repo, &rules)?;
    if !owner_names.is_empty() {
        // With owners, an exemption counts only with an owner's verified grant.
        let now = now();
        rules.exemptions.require_grants(&owners, &owner_names, now);
    }
    // Owners may sign reviews too.
    rules.signers.extend(owners.clone());
    Ok(Governing {
        refname,
        tip,
        rules,
        owners,
        owner_names,
        from_ref,
    })
}

/// The owners' keys and names under `rules` (plus the server's owners file).
pub fn owners_of(repo: &Repo, rules: &Rules) -> Result<(AllowedSigners, Vec<String>)> {
    let mut owners = AllowedSigners::default();
    owners.origin = "the owners' keys".into();
    let mut names: Vec<String> = Vec::new();
    if let Some((text, origin)) = config_file(repo, "aigate.owners")? {
        let file = AllowedSigners::parse(&text, &origin).map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(p) = file.principals().iter().find(|p| p.contains(['*', '?'])) {
            anyhow::bail!("{origin}: owner `{p}` is a pattern; owners are exact emails (an admin fixes the file named by git config aigate.owners)");
        }
        for p in file.principals() {
            if !names.contains(&p) {
                names.push(p);
            }
        }
        owners.extend(file);
    }
    for o in &rules.policy.owners {
        if !names.contains(o) {
            names.push(o.clone());
        }
        for s in &rules.signers.signers {
            if s.principals.iter().any(|p| p.eq_ignore_ascii_case(o)) {
                let mut s = s.clone();
                s.principals = vec![o.clone()];
                owners.signers.push(s);
            }
        }
    }
    Ok((owners, names))
}

/// An abbreviated commit id (other labels are returned whole).
pub fn short(id: &str) -> &str {
    aigate_core::short_id(id)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
