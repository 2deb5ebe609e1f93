//! The pre-commit hook and `aigate confirm`: an AI agent committing to a protected branch, or a
//! change over the blast-radius limits, needs a human's confirmation of the staged tree.

use super::*;
use crate::engine::{self};
use crate::git::repo::Repo;
use crate::policy::Mode;
use anyhow::{Context, Result};
use std::path::Path;

pub(crate) fn confirm_file(repo: &Repo) -> std::path::PathBuf {
    repo.git.path().join("aigate-confirmed")
}

/// The id of the tree the index would commit.
pub(crate) fn staged_tree(repo: &Repo) -> Result<String> {
    let mut index = repo.git.index().context("cannot read the index")?;
    Ok(index
        .write_tree()
        .context("cannot compute the staged tree")?
        .to_string())
}

/// `pre-commit`: an AI agent may not commit directly on a protected branch (unless the policy
/// allows it), and a change over the blast-radius limits waits for a human's `aigate confirm`.
pub fn pre_commit() -> Result<i32> {
    let Some(agent) = crate::agent_env::current() else {
        return Ok(PASS);
    };
    let repo = Repo::for_hook()?;
    let policy = engine::worktree_policy(&repo, None)?;
    if policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let enforce = policy.mode == Mode::Enforce;
    let branch = repo.head_ref().unwrap_or_else(|| "HEAD".into());
    let short = branch.trim_start_matches("refs/heads/");
    if policy.is_protected(&branch) && !policy.agents.allow_on_protected {
        eprintln!(
            "aigate: {} is committing directly on protected branch {short} ({}).",
            agent.tool, agent.evidence
        );
        eprintln!(
            "  fix: git switch -c {}/change   (commit on a branch; {short} takes reviewed changes)",
            agent.tool
        );
        if enforce {
            return Ok(REFUSE);
        }
    }
    let blast = repo.blast_of_index(&policy)?;
    if let Some(why) = policy.blast_exceeded(&blast) {
        let tree = staged_tree(&repo)?;
        let confirmed =
            std::fs::read_to_string(confirm_file(&repo)).is_ok_and(|t| t.trim() == tree);
        if confirmed {
            let _ = std::fs::remove_file(confirm_file(&repo));
            eprintln!(
                "aigate: large change by {} confirmed by a human: {why}",
                agent.tool
            );
            return Ok(PASS);
        }
        eprintln!(
            "aigate: {} is committing a large change: {why} (agents.blast_radius).",
            agent.tool
        );
        eprintln!("  a human must look at it first: run `aigate confirm` in your own terminal, then commit again");
        if enforce {
            return Ok(REFUSE);
        }
    }
    Ok(PASS)
}

/// `aigate confirm`: a human vouches for the staged change an agent wants to commit.
pub fn confirm() -> Result<i32> {
    if let Some(agent) = crate::agent_env::current() {
        eprintln!(
            "aigate: `aigate confirm` must be run by a human, not by {} ({}).",
            agent.tool, agent.evidence
        );
        return Ok(REFUSE);
    }
    let repo = Repo::discover(Path::new("."))?;
    let policy = engine::worktree_policy(&repo, None)?;
    let blast = repo.blast_of_index(&policy)?;
    if blast.changed_files == 0 {
        eprintln!("aigate: nothing is staged: stage the change to confirm (git add), then run aigate confirm.");
        return Ok(REFUSE);
    }
    let tree = staged_tree(&repo)?;
    std::fs::write(confirm_file(&repo), &tree).context("cannot record the confirmation")?;
    println!(
        "aigate: confirmed the staged change ({} files changed, {} deleted, {} lines deleted{}); the next commit of exactly this change may go ahead",
        blast.changed_files,
        blast.deleted_files,
        blast.deleted_lines,
        blast.guarded.map(|g| format!(", touches {g}")).unwrap_or_default()
    );
    Ok(PASS)
}
