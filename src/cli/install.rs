//! `aigate install` and `aigate uninstall`: writes (and removes) the hook scripts.

use super::*;
use aigate::engine::{self};
use aigate::install;
use anyhow::{Context, Result};
use std::path::Path;

pub(crate) fn install_cmd(dir: Option<&Path>, server: bool, per_ref: bool) -> Result<i32> {
    let repo = open_repo(dir)?;
    let bin = std::env::current_exe().context("cannot find the aigate binary's own path")?;
    let bin = bin.canonicalize().unwrap_or(bin);
    let hooks: Vec<&str> = if server {
        vec![if per_ref { "update" } else { "pre-receive" }]
    } else {
        install::CLIENT_HOOKS.to_vec()
    };
    if server && !repo.git.is_bare() {
        eprintln!(
            "aigate: note: {} is not a bare repository; installing server hooks anyway",
            repo.git.path().display()
        );
    }
    for l in install::install(&repo, &hooks, &bin)? {
        println!("aigate: {l}");
    }
    if server {
        let mut cfg = repo.git.config()?;
        cfg.set_bool("receive.advertisePushOptions", true)?;
        if repo.config_string("aigate.auditLog").is_none() {
            let log = repo.git.path().join("aigate-audit.jsonl");
            cfg.set_str("aigate.auditLog", &log.display().to_string())?;
            println!(
                "aigate: audit log: {} (git config aigate.auditLog)",
                log.display()
            );
        }
        // libgit2 (aigate's reader) uses a commit-graph only without generation data (version
        // 1); with one, finding a push's commits reads no objects. git writes the graph on gc.
        if repo
            .config_string("commitGraph.generationVersion")
            .is_none()
        {
            cfg.set_i32("commitGraph.generationVersion", 1)?;
            println!("aigate: commitGraph.generationVersion = 1 (a commit-graph aigate can read; written by git gc)");
        }
        println!(
            "aigate: this repository is guarded: pushes to protected branches are judged here."
        );
    } else {
        let rules = engine::rules_for_worktree(&repo, None)?;
        println!(
            "aigate: guarding {} with {} (protected: {})",
            repo.workdir().unwrap_or(repo.git.path()).display(),
            rules.policy.origin,
            rules.policy.protected.join(", ")
        );
    }
    Ok(0)
}
