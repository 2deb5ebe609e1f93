//! The pipeline every entry point shares: git → commit facts → verdict. Also where the policy
//! and exemptions come from (work tree, a ref's accepted state, or server config).

use crate::exemptions::Exemptions;
use crate::git::repo::Repo;
use crate::policy::Policy;
use crate::trailers::{self, TrailerConfig};
use crate::verdict::{judge, CommitFacts, CommitVerdict, Target};
use anyhow::{Context, Result};
use git2::Oid;
use std::path::Path;

pub const POLICY_FILE: &str = ".aigate.toml";
pub const EXEMPTIONS_FILE: &str = ".aigate/exemptions.toml";

/// Policy, exemptions and trailer settings: everything a verdict needs besides the commit.
pub struct Rules {
    pub policy: Policy,
    pub exemptions: Exemptions,
    pub trailers: TrailerConfig,
}

impl Rules {
    /// Judges commits already read.
    pub fn judge(&self, facts: &CommitFacts, target: &Target<'_>) -> CommitVerdict {
        let t = trailers::parse_str(&facts.message, &self.trailers);
        judge(facts, &t, &self.policy, &self.exemptions, target)
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
        self.finish(repo, id, facts, v, target, want_paths)
    }

    /// Completes a first verdict made from the commit alone, reading the diff only if needed.
    pub fn finish(
        &self,
        repo: &Repo,
        id: Oid,
        mut facts: CommitFacts,
        v: CommitVerdict,
        target: &Target<'_>,
        want_paths: bool,
    ) -> Result<(CommitFacts, CommitVerdict)> {
        let reviewed = v.ai_assisted || self.policy.require_for == crate::policy::RequireFor::All;
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
            facts.blast = repo.blast_of_commit(id, &self.policy)?;
        }
        let v = self.judge(&facts, target);
        Ok((facts, v))
    }

    /// Reads and judges commits, newest first. Long lists are split over the machine's cores,
    /// each part on its own repository handle; verdicts come back in the order of `ids`.
    pub fn judge_ids(
        &self,
        repo: &Repo,
        ids: &[Oid],
        target: &Target<'_>,
    ) -> Result<Vec<CommitVerdict>> {
        let judge_all = |repo: &Repo, ids: &[Oid]| -> Result<Vec<CommitVerdict>> {
            ids.iter()
                .map(|id| Ok(self.judge_commit(repo, *id, target, false)?.1))
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
/// work tree, else the built-in default; exemptions from `.aigate/exemptions.toml`.
pub fn rules_for_worktree(repo: &Repo, policy_file: Option<&Path>) -> Result<Rules> {
    let top = repo.workdir().map(Path::to_path_buf);
    let policy = worktree_policy(repo, policy_file)?;
    let exemptions = match &top {
        Some(top) if top.join(EXEMPTIONS_FILE).exists() => {
            exemptions_from_file(&top.join(EXEMPTIONS_FILE), &policy)?
        }
        _ => Exemptions::default(),
    };
    Ok(Rules {
        policy,
        exemptions,
        trailers: repo.trailer_config(),
    })
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

/// Rules from accepted state: git config `aigate.policy` / `aigate.exemptions` (paths on
/// the server), else the files at commit `at` (a protected branch's current tip), else the
/// built-in default. Never from the commits being judged.
pub fn rules_at(repo: &Repo, at: Option<Oid>) -> Result<Rules> {
    let policy = match repo.config_string("aigate.policy") {
        Some(p) => policy_from_file(Path::new(&p))?,
        None => match at
            .map(|c| repo.file_at(c, POLICY_FILE))
            .transpose()?
            .flatten()
        {
            Some(bytes) => {
                let origin = format!(
                    "{POLICY_FILE} at {}",
                    short(&at.map(|a| a.to_string()).unwrap_or_default())
                );
                Policy::from_str(&read_text(bytes, &origin)?, &origin)?
            }
            None => Policy::builtin()?,
        },
    };
    let exemptions = match repo.config_string("aigate.exemptions") {
        Some(p) => exemptions_from_file(Path::new(&p), &policy)?,
        None => match at
            .map(|c| repo.file_at(c, EXEMPTIONS_FILE))
            .transpose()?
            .flatten()
        {
            Some(bytes) => {
                let origin = format!(
                    "{EXEMPTIONS_FILE} at {}",
                    short(&at.map(|a| a.to_string()).unwrap_or_default())
                );
                Exemptions::from_str(
                    &read_text(bytes, &origin)?,
                    &origin,
                    &policy.catalog,
                    policy.exemption_max_days,
                )?
            }
            None => Exemptions::default(),
        },
    };
    Ok(Rules {
        policy,
        exemptions,
        trailers: repo.trailer_config(),
    })
}

/// An abbreviated commit id (other labels are returned whole).
pub fn short(id: &str) -> &str {
    if id.len() > 10 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..10]
    } else {
        id
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
