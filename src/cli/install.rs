//! `aigate install` and `aigate uninstall`: writes (and removes) the hook scripts.

use super::*;
use aigate::engine::{self};
use aigate::install;
use anyhow::{Context, Result};
use std::path::Path;

pub(crate) fn install_cmd(
    dir: Option<&Path>,
    server: bool,
    per_ref: bool,
    policy_ref: Option<&str>,
    owners: Option<&Path>,
    force: bool,
) -> Result<i32> {
    let repo = open_repo(dir)?;
    // Everything that can be refused is checked before anything is written: no half install.
    let owners = owners.map(read_owners).transpose()?;
    if !server && repo.git.is_bare() {
        anyhow::bail!(
            "{} is a bare repository: client hooks never run there. To guard a server repository: aigate install --server --repo {}",
            repo.git.path().display(),
            repo.git.path().display()
        );
    }
    let bin = std::env::current_exe().context("cannot find the aigate binary's own path")?;
    let bin = bin.canonicalize().unwrap_or(bin);
    let hooks: Vec<&str> = if server {
        // post-receive records the decisions once the updates happened.
        vec![
            if per_ref { "update" } else { "pre-receive" },
            "post-receive",
        ]
    } else {
        install::CLIENT_HOOKS.to_vec()
    };
    if !server {
        tracked_hooks_dir(&repo, &hooks, force)?;
    }
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
        // The decision record: pre-receive leaves what it accepted for post-receive to record.
        cfg.set_bool("aigate.record", true)?;
        println!(
            "aigate: decision record: {} (git config aigate.record; clones fetch it)",
            aigate::git::record::REF
        );
        if repo.config_string("aigate.auditLog").is_none() {
            let log = repo.git.path().join("aigate-audit.jsonl");
            cfg.set_str("aigate.auditLog", &log.display().to_string())?;
            println!(
                "aigate: audit log: {} (git config aigate.auditLog)",
                log.display()
            );
        }
        // The one governing ref, recorded explicitly (a later change of HEAD changes nothing).
        let gref = match policy_ref {
            Some(r) if r.starts_with("refs/") => r.to_string(),
            Some(r) => format!("refs/heads/{r}"),
            None => match repo.config_string("aigate.policyRef") {
                Some(r) => r,
                None => repo.head_ref().unwrap_or_else(|| "refs/heads/main".into()),
            },
        };
        cfg.set_str("aigate.policyRef", &gref)?;
        let exists = repo.git.refname_to_id(&gref).is_ok();
        println!(
            "aigate: governing rules: {} on {gref}{} (git config aigate.policyRef)",
            engine::POLICY_FILE,
            if exists {
                ""
            } else {
                " (not pushed yet: the built-in default applies until it is)"
            }
        );
        if let Some((text, parsed)) = owners {
            let dest = repo.git.path().join("aigate-owners");
            std::fs::write(&dest, &text)
                .with_context(|| format!("cannot write {}", dest.display()))?;
            cfg.set_str("aigate.owners", &dest.display().to_string())?;
            println!(
                "aigate: owners of the rules: {} (git config aigate.owners = {})",
                parsed.principals().join(", "),
                dest.display()
            );
        } else if repo.config_string("aigate.owners").is_none() {
            println!("aigate: note: no owners: changes to the rule files on {gref} are refused until an admin names them (--owners FILE)");
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
        // Approvals and the server's decision record come with every fetch.
        for l in install::add_fetch_refspecs(&repo, "origin")? {
            println!("aigate: {l}");
        }
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

/// The owners file of `install --server --owners FILE`, read and checked: (text, parsed).
fn read_owners(file: &Path) -> Result<(String, aigate::approvals::AllowedSigners)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let parsed = aigate::approvals::AllowedSigners::parse(&text, &file.display().to_string())
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(p) = parsed.principals().iter().find(|p| p.contains(['*', '?'])) {
        anyhow::bail!(
            "{}: owner `{p}` is a pattern; list each owner's exact email",
            file.display()
        );
    }
    if parsed.signers.is_empty() {
        anyhow::bail!(
            "{} lists no owners (lines look like `alice@example.com ssh-ed25519 AAAA...`)",
            file.display()
        );
    }
    Ok((text, parsed))
}

/// Refuses (unless `force`) to write into a hooks directory git tracks (core.hooksPath such as
/// husky's `.husky/`): the hooks would name this machine's binary path in tracked files, and a
/// tracked hook would be renamed. Says what to add to the tracked hooks instead.
fn tracked_hooks_dir(repo: &aigate::git::Repo, hooks: &[&str], force: bool) -> Result<()> {
    let (Some(top), Ok(dir)) = (repo.workdir(), install::hooks_dir(repo)) else {
        return Ok(());
    };
    let top = top.canonicalize().unwrap_or_else(|_| top.to_path_buf());
    let dir = dir.canonicalize().unwrap_or(dir);
    let Ok(rel) = dir.strip_prefix(&top) else {
        return Ok(());
    };
    let prefix = format!("{}/", rel.display());
    let tracked = repo
        .git
        .index()
        .map(|i| i.iter().any(|e| e.path.starts_with(prefix.as_bytes())))
        .unwrap_or(false);
    if !tracked {
        return Ok(());
    }
    let lines: Vec<String> = hooks
        .iter()
        .map(|h| {
            let args = match *h {
                "commit-msg" => " \"$1\"",
                "prepare-commit-msg" | "pre-push" => " \"$@\"",
                _ => "",
            };
            format!("  {prefix}{h}:  aigate hook {h}{args}")
        })
        .collect();
    if force {
        eprintln!("aigate: warning: {prefix} is tracked by git: the hooks written there name this machine's aigate path; do not commit them");
        return Ok(());
    }
    anyhow::bail!(
        "{prefix} (core.hooksPath) is tracked by git: installing there would write this machine's aigate path into tracked files and rename tracked hooks. Add one line to each tracked hook instead (aigate on PATH):\n{}\nor install anyway with --force (then do not commit those files)",
        lines.join("\n")
    )
}

pub(crate) fn uninstall_cmd(repo: Option<&Path>, server: bool) -> Result<i32> {
    let r = open_repo(repo)?;
    let hooks: &[&str] = if server {
        &["pre-receive", "update", "post-receive"]
    } else {
        &install::CLIENT_HOOKS
    };
    for l in install::uninstall(&r, hooks)? {
        println!("aigate: {l}");
    }
    if server {
        let keys: Vec<String> = r
            .git
            .config()
            .and_then(|mut c| c.snapshot())
            .map(|c| {
                let mut v = Vec::new();
                if let Ok(mut it) = c.entries(Some("^aigate\\.")) {
                    while let Some(Ok(e)) = it.next() {
                        if let Ok(n) = e.name() {
                            v.push(n.to_string());
                        }
                    }
                }
                v
            })
            .unwrap_or_default();
        if !keys.is_empty() {
            println!(
                    "aigate: kept git config {} (the audit log and rules stay for the record); remove them with: git config --remove-section aigate",
                    keys.join(", ")
                );
        }
    }
    Ok(0)
}

pub(crate) fn hook_script(hook: &str) -> Result<i32> {
    if ![
        "commit-msg",
        "pre-push",
        "pre-receive",
        "post-receive",
        "update",
        "pre-commit",
        "prepare-commit-msg",
    ]
    .contains(&hook)
    {
        anyhow::bail!("unknown hook `{hook}`: use commit-msg, prepare-commit-msg, pre-commit, pre-push, pre-receive, post-receive or update");
    }
    print!("{}", install::script(hook, &std::env::current_exe()?));
    Ok(0)
}
