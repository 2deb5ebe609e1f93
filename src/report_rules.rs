//! One set of rules for every report: which rules `audit`, `check` and `explain` judge by, and
//! the name reports give them. `--policy FILE` or `--rules-from REV` when given; in a bare
//! repository (a server), the governing rule set the hook uses (what `aigate policy check`
//! prints there); in a clone, the rules of the protected branch at its remote tip; else the
//! work tree's.

use crate::engine::{self, Rules};
use crate::git::repo::Repo;
use anyhow::{Context, Result};
use std::path::Path;

/// The rules a report judges by, and their name (`governing rules of refs/heads/main at
/// 1a2b3c4`, `.aigate.toml at origin/main 1a2b3c4`, `--policy FILE`).
pub struct ReportRules {
    pub rules: Rules,
    pub name: String,
    /// The short version re-judged rows carry, as the decision record names rules.
    pub version: String,
}

/// The rules for a report on `repo`.
pub fn report_rules(
    repo: &Repo,
    policy_file: Option<&Path>,
    rules_from: Option<&str>,
) -> Result<ReportRules> {
    if let Some(p) = policy_file {
        let rules = engine::rules_for_worktree(repo, Some(p))?;
        return Ok(ReportRules {
            name: format!("--policy {}", p.display()),
            version: format!("file:{}", p.display()),
            rules,
        });
    }
    if let Some(rev) = rules_from {
        let at = repo
            .commit_id(rev)
            .with_context(|| format!("--rules-from `{rev}` names no commit here"))?;
        let short = engine::short(&at.to_string()).to_string();
        return Ok(ReportRules {
            rules: at_commit(repo, at)?,
            name: format!("rules at {rev} ({short})"),
            version: short,
        });
    }
    if repo.git.is_bare() {
        let gov = engine::governing(repo)?;
        let v = crate::git::record::RulesVersion::of(repo, &gov);
        let mut rules = gov.rules;
        rules.approvals_tip = repo.approvals_tip();
        return Ok(ReportRules {
            name: format!(
                "governing rules of {} at {} ({})",
                gov.refname,
                gov.tip
                    .map(|t| engine::short(&t.to_string()).to_string())
                    .unwrap_or_else(|| "none yet".into()),
                rules.policy.origin
            ),
            version: v.version,
            rules,
        });
    }
    // A work tree whose rule files differ from the remote's (a policy being tried out, an old
    // branch) is judged by its own, and the report says so.
    let remote = remote_protected_tip(repo);
    let differs = match &remote {
        Some((_, at)) => worktree_differs(repo, *at)?,
        None => false,
    };
    if let Some((remote_ref, at)) = remote.clone().filter(|_| !differs) {
        let short = engine::short(&at.to_string()).to_string();
        let rules = at_commit(repo, at)?;
        return Ok(ReportRules {
            name: format!(
                "rules of {} at {short} ({})",
                remote_ref.trim_start_matches("refs/remotes/"),
                rules.policy.origin
            ),
            version: short,
            rules,
        });
    }
    let rules = engine::rules_for_worktree(repo, None)?;
    Ok(ReportRules {
        name: if differs {
            let r = remote
                .as_ref()
                .map(|(r, _)| r.trim_start_matches("refs/remotes/").to_string())
                .unwrap_or_default();
            format!(
                "work tree rules ({}; they differ from {r}'s: --rules-from {r} judges by those)",
                rules.policy.origin
            )
        } else {
            format!("work tree rules ({})", rules.policy.origin)
        },
        version: "work-tree".into(),
        rules,
    })
}

/// The rules at commit `at`, with owners' grants required as the server requires them and
/// the local approvals.
fn at_commit(repo: &Repo, at: git2::Oid) -> Result<Rules> {
    let mut rules = engine::rules_at(repo, Some(at))?;
    let (owners, names) = engine::owners_of(repo, &rules)?;
    if !names.is_empty() {
        rules
            .exemptions
            .require_grants(&owners, &names, engine::now());
    }
    rules.signers.extend(owners);
    rules.approvals_tip = repo.approvals_tip();
    Ok(rules)
}

/// Whether the work tree's rule files differ from those at commit `at`.
fn worktree_differs(repo: &Repo, at: git2::Oid) -> Result<bool> {
    let Some(top) = repo.workdir() else {
        return Ok(false);
    };
    for file in [
        engine::POLICY_FILE,
        engine::EXEMPTIONS_FILE,
        engine::SIGNERS_FILE,
    ] {
        let here = std::fs::read(top.join(file)).ok();
        if here != repo.file_at(at, file)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The remote's protected branch the server governs by, as fetched: `origin/HEAD`'s target,
/// else `origin/main`, else `origin/master`.
fn remote_protected_tip(repo: &Repo) -> Option<(String, git2::Oid)> {
    let head = repo.resolve_symref("refs/remotes/origin/HEAD");
    let candidates = [
        head,
        "refs/remotes/origin/main".to_string(),
        "refs/remotes/origin/master".to_string(),
    ];
    candidates
        .into_iter()
        .filter(|r| r != "refs/remotes/origin/HEAD")
        .find_map(|r| {
            let id = repo.git.refname_to_id(&r).ok()?;
            let c = repo.peel_to_commit(id).ok()??;
            Some((r, c))
        })
}
