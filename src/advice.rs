//! Advice that fits where the user is: the protected branch a commit is bound for (a commit on
//! a feature branch goes to `main`, and an approval for the feature branch counts for nothing),
//! and how the refused commit was made (`--amend`, `-a`, `-v`), so a printed fix repeats it.

use crate::git::repo::Repo;
use crate::policy::Policy;
use crate::verdict::{shell_quote, CommitVerdict, MessageEdit};
use std::path::{Path, PathBuf};

fn branch(r: &str) -> &str {
    r.strip_prefix("refs/heads/").unwrap_or(r)
}

/// The protected branch a commit on `refname` is bound for, as a full ref: `refname` itself
/// when protected; else its upstream's branch, then the remote's default branch
/// (`refs/remotes/origin/HEAD`), when protected; else the policy's first plain protected name.
pub fn bound_for(repo: &Repo, policy: &Policy, refname: &str) -> String {
    if policy.is_protected(refname) {
        return refname.to_string();
    }
    let upstream = refname
        .strip_prefix("refs/heads/")
        .and_then(|b| repo.config_string(&format!("branch.{b}.merge")));
    let remote_head = repo
        .resolve_symref("refs/remotes/origin/HEAD")
        .strip_prefix("refs/remotes/origin/")
        .map(|b| format!("refs/heads/{b}"));
    if let Some(r) = upstream
        .into_iter()
        .chain(remote_head)
        .find(|r| policy.is_protected(r))
    {
        return r;
    }
    first_protected(policy)
}

/// The policy's first protected branch that is a plain name (`main`), as a full ref.
pub fn first_protected(policy: &Policy) -> String {
    let first = policy
        .protected
        .iter()
        .find(|p| !p.contains(['*', '?', '[']))
        .cloned()
        .unwrap_or_else(|| "main".into());
    if first.starts_with("refs/") {
        first
    } else {
        format!("refs/heads/{first}")
    }
}

/// Points the fixes judged for an unprotected `from` at the protected branch `to` the commit is
/// bound for (`aigate approve ... --into main`, `aigate exemption request ... --branch main`).
pub fn retarget(verdicts: &mut [CommitVerdict], from: &str, to: &str) {
    let (from, to) = (branch(from), branch(to));
    if from == to {
        return;
    }
    for f in verdicts.iter_mut().flat_map(|v| v.findings.iter_mut()) {
        for flag in ["--into", "--branch"] {
            f.fix = f
                .fix
                .replace(&format!("{flag} {from} "), &format!("{flag} {to} "));
        }
    }
}

/// How `git commit` was run, as far as its hooks can tell.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CommitHow {
    /// `--amend`: the fix amends too.
    pub amend: bool,
    /// `-a` (git judged a temporary index with every tracked change): the fix says `-a`.
    pub all: bool,
    /// `git commit PATHS`: only those paths; the fix cannot repeat them.
    pub paths: bool,
}

/// Where prepare-commit-msg records its arguments for commit-msg: beside the message file both
/// hooks are given (`.git/COMMIT_EDITMSG`, in the work tree's git directory).
fn record_path(message_file: &Path) -> PathBuf {
    message_file
        .parent()
        .unwrap_or(Path::new("."))
        .join("aigate")
        .join("commit-source")
}

/// prepare-commit-msg: records `SOURCE SHA` for commit-msg, which git does not tell how the
/// commit is made (`commit HEAD` is how git says `--amend`). No repository is opened: this runs
/// on every commit.
pub fn record_source(message_file: &Path, source: Option<&str>, sha: Option<&str>) {
    let path = record_path(message_file);
    let text = format!("{}\n{}\n", source.unwrap_or(""), sha.unwrap_or(""));
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = std::fs::write(&path, text);
}

/// commit-msg: how this commit is being made, from prepare-commit-msg's record (read once,
/// then removed), git's index for the commit (`GIT_INDEX_FILE`), and where the system shows
/// them, the arguments of the `git commit` that runs the hook.
pub fn commit_how(message_file: &Path) -> CommitHow {
    let path = record_path(message_file);
    let record = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    let mut lines = record.lines();
    let (source, sha) = (lines.next(), lines.next());
    let mut how = CommitHow {
        amend: source == Some("commit") && sha == Some("HEAD"),
        ..CommitHow::default()
    };
    if let Some(index) = std::env::var_os("GIT_INDEX_FILE") {
        let name = Path::new(&index)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        how.all = name == "index.lock";
        how.paths = name.starts_with("next-index-");
    }
    if let Some(args) = git_commit_args() {
        how.amend |= args.iter().any(|a| a == "--amend");
    }
    how
}

/// The arguments of the `git commit` running this hook (Linux: the nearest ancestor process
/// that is one), if the system shows them.
#[cfg(not(unix))]
fn git_commit_args() -> Option<Vec<String>> {
    None
}

#[cfg(unix)]
fn git_commit_args() -> Option<Vec<String>> {
    let mut pid = std::os::unix::process::parent_id();
    for _ in 0..4 {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let args: Vec<String> = cmdline
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_git = args
            .first()
            .is_some_and(|a| a == "git" || a.ends_with("/git"));
        if is_git && args.iter().any(|a| a == "commit") {
            return Some(args);
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // `pid (comm) state ppid ...`: comm may hold spaces and parentheses.
        let after = &stat[stat.rfind(')')? + 1..];
        pid = after.split_whitespace().nth(1)?.parse().ok()?;
        if pid <= 1 {
            return None;
        }
    }
    None
}

/// The message file a refused commit is made again from: the message as git would have stored
/// it (`cleaned`: comments and everything below a scissors line gone), without the lines `edit`
/// removes. Written beside git's own files; returns its path.
pub fn write_again_message(repo: &Repo, cleaned: &str, edit: &MessageEdit) -> Option<PathBuf> {
    let kept: String = cleaned
        .split_inclusive('\n')
        .filter(|l| {
            !edit
                .remove
                .iter()
                .any(|r| l.trim_end_matches(['\n', '\r']) == r)
        })
        .collect();
    let path = repo.git.path().join("aigate").join("COMMIT_EDITMSG");
    std::fs::create_dir_all(path.parent()?).ok()?;
    std::fs::write(&path, kept).ok()?;
    Some(std::fs::canonicalize(&path).unwrap_or(path))
}

/// The command that makes a refused commit again, as it was made, from `file`, with `edit`'s
/// trailers added.
pub fn commit_again(how: &CommitHow, file: &Path, edit: &MessageEdit) -> String {
    let mut cmd = String::from("git commit");
    if how.amend {
        cmd.push_str(" --amend");
    }
    if how.all {
        cmd.push_str(" -a");
    }
    cmd.push_str(" -e -F ");
    cmd.push_str(&shell_quote(&file.display().to_string()));
    cmd.push_str(&edit.trailer_args());
    if how.paths {
        cmd.push_str(" -- PATHS");
    }
    let mut notes: Vec<String> = edit.note.iter().cloned().collect();
    if how.paths {
        notes.push("PATHS: the files you named to git commit".into());
    }
    if !notes.is_empty() {
        cmd.push_str(&format!("  # {}", notes.join("; ")));
    }
    cmd
}
