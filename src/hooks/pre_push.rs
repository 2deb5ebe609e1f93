//! The pre-push hook (`pre-push REMOTE URL`, stdin `<local ref> <local sha> <remote ref>
//! <remote sha>`): checks the commits not yet on the remote, per protected remote ref. Advice
//! that saves a round trip; the server decides.

use super::*;
use crate::engine::{self, now};
use crate::git::repo::{is_zero, Repo, ZERO};
use crate::policy::Mode;
use crate::report::{self, RefReport};
use crate::rules::Rule;
use crate::verdict::Target;
use anyhow::Result;
use git2::Oid;

/// One line of pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

fn parse_push_lines(input: &str, repo: &Repo) -> Result<Vec<PushLine>> {
    // The pre-commit framework runs pre-push hooks with environment variables, not stdin. A
    // push that contains the root commit gets no from/to refs (pre-commit runs "all files"),
    // only the branches: then every commit of the local branch the remote lacks is checked.
    if let Some(remote_branch) = env("PRE_COMMIT_REMOTE_BRANCH") {
        let to = env("PRE_COMMIT_TO_REF")
            .or_else(|| env("PRE_COMMIT_LOCAL_BRANCH"))
            .unwrap_or_else(|| "HEAD".into());
        let local_sha = repo.commit_id(&to)?.to_string();
        return Ok(vec![PushLine {
            local_sha,
            remote_ref: remote_branch,
            remote_sha: env("PRE_COMMIT_FROM_REF").unwrap_or_else(|| ZERO.into()),
        }]);
    }
    parse_pre_push_input(input)
}

/// Parses git's pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>` lines.
pub fn parse_pre_push_input(input: &str) -> Result<Vec<PushLine>> {
    hook_lines(
        input,
        4,
        "pre-push",
        "<local ref> <local sha> <remote ref> <remote sha>",
    )?
    .into_iter()
    .map(|f| {
        full_oid(f[1])?;
        full_oid(f[3])?;
        Ok(PushLine {
            local_sha: f[1].into(),
            remote_ref: f[2].into(),
            remote_sha: f[3].into(),
        })
    })
    .collect()
}

/// `pre-push REMOTE URL`: judge every commit that would become reachable from a protected
/// branch of that remote for the first time.
pub fn pre_push(remote: &str, _url: &str, input: &str) -> Result<i32> {
    let repo = Repo::for_hook()?;
    let rules = engine::rules_for_worktree(&repo, None)?;
    if rules.policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let lines = parse_push_lines(input, &repo)?;
    // What the remote already has on protected branches, as far as this clone knows.
    let tracking = format!("refs/remotes/{remote}/");
    let mut hide: Vec<Oid> = repo
        .refs_where(|name| {
            name.strip_prefix(&tracking)
                .is_some_and(|b| rules.policy.is_protected(&format!("refs/heads/{b}")))
        })?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    for l in &lines {
        if rules.policy.is_protected(&l.remote_ref) && !is_zero(&l.remote_sha) {
            if let Ok(id) = oid(&l.remote_sha) {
                hide.push(id);
            }
        }
    }
    let mut reports = Vec::new();
    for l in &lines {
        let protected = rules.policy.is_protected(&l.remote_ref);
        let mut rep = RefReport {
            refname: l.remote_ref.clone(),
            protected,
            old: Some(l.remote_sha.clone()),
            new: Some(l.local_sha.clone()),
            refusal: None,
            commits: vec![],
            rule_change: None,
        };
        if is_zero(&l.local_sha) {
            if protected && !rules.policy.allow_deletion {
                rep.refusal = Some("deleting a protected branch is not allowed by the policy (branches.allow_deletion)".into());
            }
        } else {
            let Some(tip) = repo.peel_to_commit(oid(&l.local_sha)?)? else {
                continue;
            };
            let walked = crate::git::history::new_commits(&repo, &[tip], &hide, None)?;
            let target = Target {
                refname: &l.remote_ref,
                push_exemptions: &[],
                now: now(),
                pusher: None,
                landing: &[],
                excluded: &[],
                landing_notes: &[],
                forge_merge: false,
                pr_branch: None,
            };
            rep.commits = rules.judge_walked(&repo, &walked, &target)?;
            if !protected {
                let bound = crate::advice::bound_for(&repo, &rules.policy, &l.remote_ref);
                crate::advice::retarget(&mut rep.commits, &l.remote_ref, &bound);
            }
        }
        reports.push(rep);
    }
    let enforced = rules.policy.mode == Mode::Enforce;
    let blocked = enforced && reports.iter().any(|r| r.protected && r.blocked());
    let failing: Vec<&crate::verdict::Finding> = reports
        .iter()
        .filter(|r| r.protected)
        .flat_map(|r| r.commits.iter())
        .flat_map(|c| c.findings.iter())
        .collect();
    // Signed approvals may sit on the server already (a reviewer pushed them): this clone
    // cannot know, so review findings alone are left to the server, and shown as warnings.
    let deferred = blocked
        && rules.policy.verify == crate::policy::Verify::Signed
        && reports.iter().all(|r| r.refusal.is_none())
        && failing
            .iter()
            .all(|f| matches!(f.rule, Rule::MissingReview | Rule::UnverifiedReview));
    let refused = blocked && !deferred;
    eprint!(
        "{}",
        report::human(&reports, enforced && !deferred, "", &rules.policy.origin)
    );
    if deferred {
        eprintln!("aigate: note: the server checks signed approvals with those it has; to see them here: git fetch {remote} refs/aigate/approvals:refs/aigate/approvals");
    }
    if refused && failing.iter().any(|f| f.rule == Rule::UnapprovedTool) {
        eprintln!("aigate: note: an exemption given as `git push -o aigate.exemption=ID` is seen by the server only (git does not pass push options to pre-push): cite it in the commit (AI-Exemption: ID), or push with --no-verify and let the server decide.");
    }
    if refused {
        eprintln!("aigate: push refused; nothing was sent.");
    }
    Ok(if refused { REFUSE } else { PASS })
}
