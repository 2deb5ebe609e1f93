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
                rule: "",
                why: String::new(),
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
        landing: &[],
        excluded: &[],
        landing_notes: &[],
        forge_merge: false,
        pr_branch: None,
    };
    let mut v = crate::verdict::judge(&facts, &trailers, &rules.policy, &rules.exemptions, &target);
    let protected = rules.policy.is_protected(&refname);
    let enforced = rules.policy.mode == Mode::Enforce;
    if enforced && protected && !v.passed() {
        // The commit will not exist: make it again as it was made (`--amend`, `-a`), from the
        // message as git would have stored it (no comments, nothing below a scissors line of
        // `git commit -v`), with the findings' message edits made.
        let mut edit = crate::verdict::MessageEdit::default();
        for f in v.findings.iter().filter(|f| !f.edit.is_empty()) {
            edit.merge(&f.edit);
        }
        if !edit.is_empty() {
            let how = crate::advice::commit_how(file);
            if let Some(again) = crate::advice::write_again_message(&repo, &facts.message, &edit) {
                let fix = crate::advice::commit_again(&how, &again, &edit);
                for f in v.findings.iter_mut().filter(|f| !f.edit.is_empty()) {
                    f.fix.clone_from(&fix);
                }
            }
        }
    } else if !protected {
        let bound = crate::advice::bound_for(&repo, &rules.policy, &refname);
        crate::advice::retarget(std::slice::from_mut(&mut v), &refname, &bound);
    }
    // The commit has no id yet: the reviewer approves it by its id once it exists.
    for f in &mut v.findings {
        if f.fix.contains("aigate approve (this commit)") {
            f.fix = f
                .fix
                .replace("aigate approve (this commit)", "aigate approve COMMIT")
                + " (COMMIT: this commit's id, once committed)";
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
