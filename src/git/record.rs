//! The decision record: what the server decided for each commit it accepted onto a protected
//! ref, kept as git notes under `refs/notes/aigate` (one JSON note per commit, a list of
//! decisions, one per ref). Only the server writes it: pre-receive leaves the decisions of a
//! push it accepts in a pending file under the git directory (the quarantine takes no
//! writes), and post-receive commits those whose ref update happened to the notes ref, with a
//! compare-and-swap and retry so concurrent pushes lose nothing. Audits read it first.
//! The format is documented in docs/json.md ("The decision record").

use crate::exemptions::rfc3339;
use crate::git::repo::Repo;
use crate::report::RefReport;
use anyhow::{bail, Context, Result};
use git2::{ErrorCode, ObjectType, Oid};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The notes ref that holds the record.
pub const REF: &str = "refs/notes/aigate";
/// The version of a note's format; it rises when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 1;
/// Where pre-receive leaves the decisions of an accepted push for post-receive.
const PENDING_DIR: &str = "aigate-pending";
/// Decisions from this many on are written to the notes ref as one pack.
const PACK_AT: usize = 64;
/// Pending decisions older than this are of updates that never happened.
const STALE_SECS: u64 = 24 * 3600;

/// One note: the decisions the server made for one commit, one per ref it was accepted onto.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Note {
    pub schema_version: u32,
    pub commit: String,
    pub decisions: Vec<Decision>,
}

/// What the server decided for one commit bound for one ref.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Decision {
    #[serde(rename = "ref")]
    pub refname: String,
    /// `accepted` (a refused push records nothing).
    pub decision: String,
    /// `pass`, `exempted` or `fail` (a failing commit accepted under `mode = "warn"`).
    pub verdict: String,
    pub ai_assisted: bool,
    pub tools: Vec<String>,
    pub findings: Vec<RecordedFinding>,
    pub rules: RulesVersion,
    pub exemptions: Vec<RecordedExemption>,
    /// Signed approvals that counted (key fingerprints; `bridge` for a forge review,
    /// `landing` when an approval of the change covered a squash, rebase or merge).
    pub approvals: Vec<RecordedApproval>,
    /// Typed reviews (`Reviewed-by:`) that counted.
    pub reviewers: Vec<String>,
    pub pusher: String,
    pub pusher_principal: Option<String>,
    pub push_options: Vec<String>,
    pub forge_merge: Option<serde_json::Value>,
    /// The server's clock when it decided (RFC 3339, UTC).
    pub time: String,
    /// The ref update that brought the commit: old and new tip.
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RecordedFinding {
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RecordedApproval {
    /// The reviewer's principal (a forge review: under `[identities]`, else `FORGE:LOGIN`).
    pub reviewer: String,
    #[serde(rename = "ref")]
    pub refname: String,
    /// `SHA256:...` of the signing key (the bridge's key for a forge review).
    pub fingerprint: String,
    pub bridge: Option<String>,
    pub landing: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RecordedExemption {
    pub id: String,
    pub tool: String,
    pub ticket: String,
    pub granted_by: Option<String>,
    /// `trailer` (AI-Exemption: in the commit) or `push-option` (git push -o aigate.exemption=).
    pub via: String,
}

/// Which rules decided: the governing commit and, for files the server's config names, each
/// file's git blob id; `version` is the short form reports show.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RulesVersion {
    pub version: String,
    pub origin: String,
    pub governing_ref: String,
    pub governing_commit: Option<String>,
    pub server_files: BTreeMap<String, String>,
}

impl RulesVersion {
    /// The governing rule set's version, as the hook resolved it.
    pub fn of(repo: &Repo, gov: &crate::engine::Governing) -> RulesVersion {
        let mut server_files = BTreeMap::new();
        for key in [
            "aigate.policy",
            "aigate.exemptions",
            "aigate.allowedSigners",
        ] {
            if let Some(p) = repo.config_string(key) {
                let id = Oid::hash_file(ObjectType::Blob, &p)
                    .map(|o| o.to_string())
                    .unwrap_or_else(|_| "unreadable".into());
                server_files.insert(key.to_string(), id);
            }
        }
        let commit = gov.tip.map(|t| t.to_string());
        let mut parts = Vec::new();
        if !gov.from_ref.is_empty() {
            parts.push(match &commit {
                Some(c) => crate::engine::short(c).to_string(),
                None => "built-in".into(),
            });
        }
        for (k, v) in &server_files {
            parts.push(format!("{k}@{}", crate::engine::short(v)));
        }
        RulesVersion {
            version: parts.join("+"),
            origin: gov.rules.policy.origin.clone(),
            governing_ref: gov.refname.clone(),
            governing_commit: commit,
            server_files,
        }
    }
}

/// What the server knows of the push besides its reports.
pub struct PushFacts<'a> {
    pub pusher: &'a str,
    pub principal: Option<&'a str>,
    pub options: &'a [String],
    pub now: i64,
    pub forge: Option<&'a crate::forge::env::ForgeMerge>,
}

/// The decisions of one ref update (the pending file pre-receive leaves): (commit, decision).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Pending {
    #[serde(rename = "ref")]
    pub refname: String,
    pub old: String,
    pub new: String,
    pub notes: Vec<(String, Decision)>,
}

fn pending_path(repo: &Repo, old: &str, new: &str, refname: &str) -> PathBuf {
    let key = Oid::hash_object(
        ObjectType::Blob,
        format!("{old} {new} {refname}").as_bytes(),
    )
    .map(|o| o.to_string())
    .unwrap_or_else(|_| refname.replace('/', "_"));
    repo.git
        .path()
        .join(PENDING_DIR)
        .join(format!("{key}.json"))
}

/// The decisions of the accepted protected updates in `reports`, as records.
pub fn decisions(
    reports: &[RefReport],
    rules: &RulesVersion,
    push: &PushFacts<'_>,
) -> Vec<Pending> {
    let forge = push.forge.and_then(|f| serde_json::to_value(f).ok());
    let mut out = Vec::new();
    for r in reports {
        let (Some(old), Some(new)) = (&r.old, &r.new) else {
            continue;
        };
        if !r.protected || r.refusal.is_some() || r.commits.is_empty() {
            continue;
        }
        let notes = r
            .commits
            .iter()
            .map(|c| {
                let d = Decision {
                    refname: r.refname.clone(),
                    decision: "accepted".into(),
                    verdict: if !c.passed() {
                        "fail"
                    } else if !c.exemptions.is_empty() {
                        "exempted"
                    } else {
                        "pass"
                    }
                    .into(),
                    ai_assisted: c.ai_assisted,
                    tools: c.tools(),
                    findings: c
                        .findings
                        .iter()
                        .map(|f| RecordedFinding {
                            rule: f.rule.id().to_string(),
                            message: f.message.clone(),
                        })
                        .collect(),
                    rules: rules.clone(),
                    exemptions: c
                        .exemptions
                        .iter()
                        .map(|e| RecordedExemption {
                            id: e.id.clone(),
                            tool: e.tool.clone(),
                            ticket: e.ticket.clone(),
                            granted_by: e.granted_by.clone(),
                            via: if push.options.contains(&e.id) {
                                "push-option"
                            } else {
                                "trailer"
                            }
                            .into(),
                        })
                        .collect(),
                    approvals: c
                        .approvals
                        .iter()
                        .map(|a| RecordedApproval {
                            reviewer: a.reviewer.clone(),
                            refname: a.refname.clone(),
                            fingerprint: a.fingerprint.clone(),
                            bridge: a.bridge.clone(),
                            landing: a.landing.clone(),
                        })
                        .collect(),
                    reviewers: c
                        .reviews
                        .iter()
                        .filter(|x| x.counts)
                        .filter_map(|x| x.reviewer.as_ref().map(|i| i.to_string()))
                        .collect(),
                    pusher: push.pusher.to_string(),
                    pusher_principal: push.principal.map(str::to_string),
                    push_options: push.options.to_vec(),
                    forge_merge: forge.clone(),
                    time: rfc3339(push.now),
                    old: old.clone(),
                    new: new.clone(),
                };
                (c.commit.clone(), d)
            })
            .collect();
        out.push(Pending {
            refname: r.refname.clone(),
            old: old.clone(),
            new: new.clone(),
            notes,
        });
    }
    out
}

/// pre-receive, for a push it accepts: leaves the decisions in a pending file per ref update
/// (outside the quarantine), for post-receive to record once the update happened.
pub fn leave_pending(
    repo: &Repo,
    gov: &crate::engine::Governing,
    reports: &[RefReport],
    push: &PushFacts<'_>,
) -> Result<()> {
    let rules = RulesVersion::of(repo, gov);
    for pending in decisions(reports, &rules, push) {
        let path = pending_path(repo, &pending.old, &pending.new, &pending.refname);
        let dir = path.parent().context("pending path has no directory")?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let text = serde_json::to_vec(&pending)?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// post-receive: records the pending decisions of the updates that happened (each line of its
/// input `<old> <new> <ref>` names one), then removes them. Errors are reported, never fatal
/// to a push that already happened.
pub fn post_receive(input: &str) -> i32 {
    match post_receive_inner(input) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("aigate: warning: the decision record was not written: {e:#}");
            eprintln!("aigate: warning: its pending decisions stay under the git directory's {PENDING_DIR}/; an admin re-runs: printf '%s\\n' '<old> <new> <ref>' | aigate hook post-receive");
            0
        }
    }
}

fn post_receive_inner(input: &str) -> Result<()> {
    let repo = Repo::from_env()?;
    let mut found: Vec<(PathBuf, Pending)> = Vec::new();
    for line in input.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [old, new, refname] = f[..] else {
            bail!("post-receive input line `{line}`: expected `<old> <new> <ref>`");
        };
        let path = pending_path(&repo, old, new, refname);
        let Ok(text) = std::fs::read(&path) else {
            continue;
        };
        let p: Pending = serde_json::from_slice(&text)
            .with_context(|| format!("cannot read {}", path.display()))?;
        // Only what the ref update that happened brought: its new value, on its ref.
        if p.refname != refname || p.new != new || p.old != old {
            continue;
        }
        found.push((path, p));
    }
    let items: Vec<(String, Decision)> = found
        .iter()
        .flat_map(|(_, p)| p.notes.iter().cloned())
        .collect();
    if !items.is_empty() {
        write_notes(&repo, &items)?;
    }
    for (path, _) in &found {
        let _ = std::fs::remove_file(path);
    }
    remove_stale(&repo);
    Ok(())
}

/// Pending files of updates that never happened (refused after pre-receive accepted: another
/// hook, a lost ref lock) are removed after a day; they were never recorded.
fn remove_stale(repo: &Repo) {
    let Ok(dir) = std::fs::read_dir(repo.git.path().join(PENDING_DIR)) else {
        return;
    };
    for e in dir.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|d| d.as_secs() > STALE_SECS);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Adds `items` (commit, decision) to the notes ref: one commit on top of its tip, moved with a
/// compare-and-swap; a concurrent writer makes it start again from the new tip.
pub fn write_notes(repo: &Repo, items: &[(String, Decision)]) -> Result<()> {
    let git = &repo.git;
    let sig = git2::Signature::now("aigate", "aigate@localhost")?;
    let msg = format!("aigate: record {} decision(s)", items.len());
    // A large push's notes are written as one pack, not as a loose object each (reading
    // 10,000 loose notes made an audit 1.5x slower than reading them packed).
    let odb = git.odb()?;
    let mempack = if items.len() >= PACK_AT {
        Some(odb.add_new_mempack_backend(1000)?)
    } else {
        None
    };
    let mut last = None;
    for attempt in 0..400u32 {
        let old = match git.refname_to_id(REF) {
            Ok(id) => Some(id),
            Err(e) if e.code() == ErrorCode::NotFound => None,
            Err(e) => bail!("cannot read {REF}: {}", e.message()),
        };
        let parent = old.map(|o| git.find_commit(o)).transpose()?;
        let base = parent.as_ref().map(|c| c.tree()).transpose()?;
        let mut tb = git.treebuilder(base.as_ref())?;
        let mut by_commit: BTreeMap<&str, Vec<&Decision>> = BTreeMap::new();
        for (c, d) in items {
            by_commit.entry(c.as_str()).or_default().push(d);
        }
        for (commit, ds) in by_commit {
            let mut note = match base.as_ref().and_then(|t| note_blob(git, t, commit)) {
                Some(blob) => parse_note(git.find_blob(blob)?.content()).unwrap_or_default(),
                None => Note::default(),
            };
            note.schema_version = SCHEMA_VERSION;
            note.commit = commit.to_string();
            for d in ds {
                // A re-run of post-receive for the same update adds nothing twice.
                if !note
                    .decisions
                    .iter()
                    .any(|x| x.refname == d.refname && x.new == d.new && x.time == d.time)
                {
                    note.decisions.push(d.clone());
                }
            }
            let mut text = serde_json::to_vec(&note)?;
            text.push(b'\n');
            let blob = git.blob(&text)?;
            tb.insert(commit, blob, 0o100644)?;
        }
        let tree = git.find_tree(tb.write()?)?;
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        let new = git.commit(None, &sig, &sig, &msg, &tree, &parents)?;
        if let Some(m) = &mempack {
            let mut buf = git2::Buf::new();
            m.dump(git, &mut buf)?;
            let mut w = odb.packwriter()?;
            std::io::Write::write_all(&mut w, &buf)?;
            w.commit()?;
            m.reset()?;
        }
        // The old value is compared under the ref's lock; a zero id means "must not exist yet"
        // (libgit2 checks a plain create's existence before taking the lock, which two
        // first writers can both pass).
        let res = git
            .reference_matching(REF, new, true, old.unwrap_or(Oid::ZERO_SHA1), &msg)
            .map(|_| ());
        match res {
            Ok(()) => return Ok(()),
            Err(e) => {
                last = Some(e.message().to_string());
                // Back off a little, differently per process, so racing writers spread out.
                let ms = 2 + (std::process::id() + attempt * 7) % 23;
                std::thread::sleep(std::time::Duration::from_millis(u64::from(ms)));
            }
        }
    }
    bail!(
        "{REF} kept moving under concurrent writes: {}",
        last.unwrap_or_default()
    )
}

/// The note blob of `commit` in a notes tree, flat or with git's fan-out directories.
fn note_blob(git: &git2::Repository, tree: &git2::Tree<'_>, commit: &str) -> Option<Oid> {
    if let Some(e) = tree.get_name(commit) {
        return Some(e.id());
    }
    let (dir, rest) = (commit.get(..2)?, commit.get(2..)?);
    let sub = git.find_tree(tree.get_name(dir)?.id()).ok()?;
    note_blob(git, &sub, rest)
}

/// A note's text as a note (None: not a record this version can read).
pub fn parse_note(bytes: &[u8]) -> Option<Note> {
    serde_json::from_slice(bytes).ok()
}

/// The record as read by a report: each recorded commit's note blob, loaded once.
#[derive(Default)]
pub struct Records {
    blobs: HashMap<Oid, Oid>,
    pub tip: Option<Oid>,
}

impl Records {
    /// The notes at the tip of `refs/notes/aigate` (none when the ref is absent).
    pub fn load(repo: &Repo) -> Result<Records> {
        let git = &repo.git;
        let tip = match git.refname_to_id(REF) {
            Ok(id) => id,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(Records::default()),
            Err(e) => bail!("cannot read {REF}: {}", e.message()),
        };
        let tree = git
            .find_commit(tip)
            .and_then(|c| c.tree())
            .with_context(|| format!("{REF} does not point to a notes commit"))?;
        let mut blobs = HashMap::new();
        collect(git, &tree, String::new(), &mut blobs)?;
        Ok(Records {
            blobs,
            tip: Some(tip),
        })
    }

    pub fn len(&self) -> usize {
        self.blobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }

    /// The note of `commit`, if the record holds one this version reads.
    pub fn of(&self, repo: &Repo, commit: Oid) -> Option<Note> {
        let blob = self.blobs.get(&commit)?;
        let b = repo.git.find_blob(*blob).ok()?;
        parse_note(b.content()).filter(|n| !n.decisions.is_empty())
    }
}

fn collect(
    git: &git2::Repository,
    tree: &git2::Tree<'_>,
    prefix: String,
    out: &mut HashMap<Oid, Oid>,
) -> Result<()> {
    for e in tree.iter() {
        let Ok(name) = e.name() else { continue };
        let full = format!("{prefix}{name}");
        match e.kind() {
            Some(ObjectType::Tree) if full.len() < 40 => {
                let sub = git.find_tree(e.id())?;
                collect(git, &sub, full, out)?;
            }
            Some(ObjectType::Blob) => {
                if matches!(full.len(), 40 | 64) {
                    if let Ok(id) = Oid::from_str(&full) {
                        out.insert(id, e.id());
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

impl Decision {
    /// The figures' input from what the server decided (its review kind, exempted, failing).
    pub fn apply_to_figure(&self, f: &mut aigate_core::figures::CommitFigure) {
        use aigate_core::figures::ReviewKind;
        f.ai_assisted = self.ai_assisted || f.ai_assisted;
        if f.tools.is_empty() {
            f.tools = self.tools.clone();
        }
        f.reviewed_by_kind = if self.approvals.iter().any(|a| a.bridge.is_none()) {
            ReviewKind::Signed
        } else if !self.approvals.is_empty() {
            ReviewKind::Bridge
        } else if !self.reviewers.is_empty() {
            ReviewKind::Trailer
        } else {
            ReviewKind::None
        };
        f.exempted = self.verdict == "exempted";
        f.failing = self.verdict == "fail";
    }
}

impl Note {
    /// The decision for `refname`, else the first one (accepted onto another protected ref).
    pub fn for_ref(&self, refname: &str) -> Option<&Decision> {
        self.decisions
            .iter()
            .rev()
            .find(|d| d.refname == refname)
            .or_else(|| self.decisions.first())
    }
}

/// Pending decisions left under `git_dir` (for tests and admins).
pub fn pending_dir(git_dir: &Path) -> PathBuf {
    git_dir.join(PENDING_DIR)
}
