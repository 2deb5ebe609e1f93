//! The commit-msg hook (`commit-msg FILE`): judges the message about to be committed. Enforced
//! when committing on a protected branch, advice elsewhere.

use super::*;
use crate::engine::{self, now};
use crate::git::repo::Repo;
use crate::policy::Mode;
use crate::report::{self, RefReport};
use crate::verdict::{CommitFacts, Target};
use anyhow::{Context, Result};
use std::path::Path;

/// `commit-msg FILE`: judge the message about to be committed. Enforced when committing on
/// a protected branch, advice elsewhere.
pub fn commit_msg(file: &Path) -> Result<i32> {
    let repo = Repo::for_hook()?;
    let rules = engine::rules_for_worktree(&repo, None)?;
    if rules.policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let raw = std::fs::read(file)
        .with_context(|| format!("cannot read the commit message {}", file.display()))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let refname = repo.head_ref().unwrap_or_else(|| "HEAD".into());
    let agent = crate::agent_env::current();
    let facts = CommitFacts {
        id: "(this commit)".into(),
        message: crate::trailers::cleanup(&text, &rules.trailers.comment),
        author: identity_from_env("AUTHOR", &repo),
        committer: identity_from_env("COMMITTER", &repo),
        parent_count: 1,
        time: now(),
        changed_paths: None,
        approvals: Vec::new(),
        notes: Vec::new(),
        extra_evidence: agent
            .iter()
            .map(|d| crate::catalog::Evidence {
                tool: d.tool.clone(),
                source: crate::catalog::EvidenceSource::Agent,
                text: d.evidence.clone(),
            })
            .collect(),
        blast: None,
    };
    // Trailers come from the raw text (the parser handles comments and scissors itself).
    let trailers = crate::trailers::parse(&raw, &rules.trailers);
    let target = Target {
        refname: &refname,
        push_exemptions: &[],
        now: now(),
        pusher: None,
    };
    let mut v = crate::verdict::judge(&facts, &trailers, &rules.policy, &rules.exemptions, &target);
    let protected = rules.policy.is_protected(&refname);
    let enforced = rules.policy.mode == Mode::Enforce;
    if enforced && protected && !v.passed() {
        // The commit will not exist: `--amend` would fold the staged change into the previous
        // commit. Commit again from the refused message instead.
        // git names the file relative to the top of the work tree: an absolute path works from
        // any directory the user runs the fix in.
        let path = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
        let again = format!(
            "git commit -e -F {} --trailer",
            shell_word(&path.display().to_string())
        );
        for f in &mut v.findings {
            f.fix = f
                .fix
                .replace("git commit --amend --no-edit --trailer", &again)
                .replace("git commit --amend --trailer", &again);
        }
    }
    let rep = RefReport::local(&refname, protected, vec![v]);
    eprint!(
        "{}",
        report::human(
            std::slice::from_ref(&rep),
            enforced,
            "",
            &rules.policy.origin
        )
    );
    let refused = enforced && protected && rep.blocked();
    if refused {
        eprintln!("aigate: commit refused on protected branch {}. To record work before review, commit on a feature branch; pushes to {} are checked again.", refname.trim_start_matches("refs/heads/"), refname.trim_start_matches("refs/heads/"));
    }
    Ok(if refused { REFUSE } else { PASS })
}

/// A path as one shell word (quoted when it needs to be).
fn shell_word(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
