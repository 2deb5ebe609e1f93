//! The prepare-commit-msg hook: adds `Assisted-by:` when an AI agent is running `git commit`.

use super::*;
use crate::engine::{self};
use crate::git::repo::Repo;
use crate::policy::Mode;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// `prepare-commit-msg FILE [SOURCE [SHA]]`: when an AI agent is running `git commit`, add
/// `Assisted-by: TOOL` (policy agents.attestation = "add"), never twice, never on merges or when
/// the message already has an attestation; with "require", refuse instead.
pub fn prepare_commit_msg(file: &Path, source: Option<&str>, sha: Option<&str>) -> Result<i32> {
    // commit-msg is not told how the commit is made (`commit HEAD` means --amend): kept for
    // its printed fix.
    crate::advice::record_source(file, source, sha);
    let Some(agent) = crate::agent_env::current() else {
        return Ok(PASS);
    };
    let repo = Repo::for_hook()?;
    if matches!(source, Some("merge") | Some("squash")) {
        return Ok(PASS);
    }
    let policy = engine::worktree_policy(&repo, None)?;
    if policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let raw = std::fs::read(file)
        .with_context(|| format!("cannot read the commit message {}", file.display()))?;
    let cfg = repo.trailer_config();
    let trailers = crate::trailers::parse(&raw, &cfg);
    if trailers.iter().any(|t| policy.is_attestation_key(&t.key)) {
        return Ok(PASS);
    }
    let key = &policy.attestation_trailers[0];
    match policy.agents.attestation {
        crate::policy::AttestationMode::Off => Ok(PASS),
        crate::policy::AttestationMode::Require => {
            eprintln!(
                "aigate: {} is committing ({}), and the policy requires an attestation.",
                agent.tool, agent.evidence
            );
            eprintln!("  fix: git commit --trailer \"{key}: {}\"", agent.tool);
            Ok(REFUSE)
        }
        crate::policy::AttestationMode::Add => {
            // git places the trailer itself, by its own rules (comments, scissors, blank lines).
            let status = std::process::Command::new("git")
                .args([
                    "interpret-trailers",
                    "--in-place",
                    "--no-divider",
                    "--trailer",
                ])
                .arg(format!("{key}: {}", agent.tool))
                .arg(file)
                .status()
                .context("cannot run git interpret-trailers")?;
            if !status.success() {
                bail!(
                    "git interpret-trailers could not add the attestation to {}",
                    file.display()
                );
            }
            eprintln!(
                "aigate: {} is committing ({}): added `{key}: {}`",
                agent.tool, agent.evidence, agent.tool
            );
            Ok(PASS)
        }
    }
}
