//! Installing and removing aigate's hooks: client (commit-msg, pre-push) or server
//! (pre-receive, or update per ref). Never clobbers: a hook already there is kept as
//! `<hook>.aigate-chained` and run first; uninstall puts it back. Honours core.hooksPath and
//! linked worktrees (hooks live in the common git dir).

use crate::git::repo::Repo;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub const TEMPLATE: &str = include_str!("../hooks/aigate-hook.sh");
const MARK: &str = "aigate-managed hook";
pub const CLIENT_HOOKS: [&str; 4] = ["pre-commit", "prepare-commit-msg", "commit-msg", "pre-push"];

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The hook script for `hook`, calling the binary at `bin`.
pub fn script(hook: &str, bin: &Path) -> String {
    TEMPLATE
        .replace("@HOOK@", hook)
        .replace("@AIGATE@", &shell_quote(&bin.display().to_string()))
}

/// Where git looks for this repository's hooks.
pub fn hooks_dir(repo: &Repo) -> Result<PathBuf> {
    if let Some(p) = repo.config_string("core.hooksPath") {
        let p = PathBuf::from(shellexpand_home(&p));
        if p.is_absolute() {
            return Ok(p);
        }
        let base = match repo.workdir() {
            Some(w) => w.to_path_buf(),
            None => repo.git.path().to_path_buf(),
        };
        return Ok(base.join(p));
    }
    Ok(repo.git.commondir().join("hooks"))
}

fn shellexpand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_string(),
    }
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|s| s.contains(MARK))
        .unwrap_or(false)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perm = std::fs::metadata(path)?.permissions();
    perm.set_mode(0o755);
    std::fs::set_permissions(path, perm)?;
    Ok(())
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}

/// Writes the hooks; returns a line per hook saying what was done.
pub fn install(repo: &Repo, hooks: &[&str], bin: &Path) -> Result<Vec<String>> {
    let dir = hooks_dir(repo)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut done = Vec::new();
    for hook in hooks {
        let path = dir.join(hook);
        let chained = dir.join(format!("{hook}.aigate-chained"));
        let existed = path.exists() || path.is_symlink();
        if existed && !is_ours(&path) {
            if chained.exists() {
                bail!(
                    "{} exists and so does {}; move one of them aside first",
                    path.display(),
                    chained.display()
                );
            }
            std::fs::rename(&path, &chained)
                .with_context(|| format!("cannot move {} aside", path.display()))?;
            done.push(format!(
                "kept the existing {hook} hook: it now runs first, as {}",
                chained.display()
            ));
        }
        let text = script(hook, bin);
        let tmp = dir.join(format!(".{hook}.aigate-tmp"));
        std::fs::write(&tmp, &text).with_context(|| format!("cannot write {}", tmp.display()))?;
        make_executable(&tmp)?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
        done.push(format!(
            "{} {}",
            if existed && is_ours(&path) {
                "updated"
            } else {
                "installed"
            },
            path.display()
        ));
    }
    Ok(done)
}

/// Removes aigate's hooks and restores the ones they had set aside.
pub fn uninstall(repo: &Repo, hooks: &[&str]) -> Result<Vec<String>> {
    let dir = hooks_dir(repo)?;
    let mut done = Vec::new();
    for hook in hooks {
        let path = dir.join(hook);
        let chained = dir.join(format!("{hook}.aigate-chained"));
        if path.exists() && is_ours(&path) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            done.push(format!("removed {}", path.display()));
        }
        if chained.exists() && !path.exists() {
            std::fs::rename(&chained, &path)
                .with_context(|| format!("cannot restore {}", path.display()))?;
            done.push(format!("restored the previous {hook} hook"));
        }
    }
    if done.is_empty() {
        done.push(format!("no aigate hooks in {}", dir.display()));
    }
    Ok(done)
}

/// What `aigate install` adds to origin's fetch refspecs: the signed approvals (never forced:
/// approvals not yet pushed are kept) and the server's decision record (forced: only the server
/// writes it). Patterns, so a fetch from a server that has neither yet still succeeds.
pub const FETCH_REFSPECS: [&str; 2] = [
    "refs/aigate/*:refs/aigate/*",
    "+refs/notes/aigate*:refs/notes/aigate*",
];

/// Adds `FETCH_REFSPECS` to `remote`'s fetch refspecs (when the remote exists and lacks them);
/// returns a line per refspec added.
pub fn add_fetch_refspecs(repo: &Repo, remote: &str) -> Result<Vec<String>> {
    let Ok(r) = repo.git.find_remote(remote) else {
        return Ok(Vec::new());
    };
    let have: Vec<String> = r
        .fetch_refspecs()?
        .iter()
        .flatten()
        .flatten()
        .map(|s| s.trim_start_matches('+').to_string())
        .collect();
    let mut done = Vec::new();
    for spec in FETCH_REFSPECS {
        if !have.iter().any(|h| h == spec.trim_start_matches('+')) {
            repo.git.remote_add_fetch(remote, spec)?;
            done.push(format!("{remote} now fetches {spec}"));
        }
    }
    Ok(done)
}
