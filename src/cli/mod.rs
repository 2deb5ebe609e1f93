//! The commands, one file each. This file holds what several commands share: the exit
//! convention, standard input, the target branch and opening the repository.

pub(crate) mod approve;
pub(crate) mod args;
pub(crate) mod audit;
pub(crate) mod audit_report;
pub(crate) mod check;
pub(crate) mod exemption;
pub(crate) mod explain;
pub(crate) mod hook;
pub(crate) mod install;
pub(crate) mod policy;
pub(crate) mod trailers;

use aigate::git::repo::Repo;
use aigate::policy::Policy;
use anyhow::{Context, Result};
use std::io::Read;
use std::path::Path;

/// Exits with the command's code; an error is printed and exits 2.
pub(crate) fn exit_with(result: Result<i32>) -> ! {
    let code = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", error_text(&e));
            2
        }
    };
    std::process::exit(code);
}

/// An error as every command prints it: `aigate: error: ...` first, whatever the message
/// nests (the policy and exemption parsers' diagnostics say `error:` themselves).
pub(crate) fn error_text(e: &anyhow::Error) -> String {
    let msg = plain_git_error(&format!("{e:#}"));
    match msg.find("error: ") {
        Some(i) => format!("aigate: error: {}{}", &msg[..i], &msg[i + 7..]),
        None => format!("aigate: error: {msg}"),
    }
}

pub(crate) fn stdin_string() -> Result<String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .context("cannot read standard input")?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

pub(crate) fn full_ref(b: &str) -> String {
    if b.starts_with("refs/") {
        b.to_string()
    } else {
        format!("refs/heads/{b}")
    }
}

/// Whether HEAD names a branch with no commits yet (a brand-new repository).
pub(crate) fn unborn_head(repo: &Repo) -> bool {
    matches!(repo.git.head(), Err(e) if e.code() == git2::ErrorCode::UnbornBranch)
}

/// A `--branch` argument as (the ref to read, the branch it is judged for): a branch, a full
/// ref, or a remote-tracking branch (`origin/main`: read `refs/remotes/origin/main`, judged
/// for `refs/heads/main`).
pub(crate) fn branch_arg(repo: &Repo, b: &str) -> (String, String) {
    let tracking = b
        .strip_prefix("refs/remotes/")
        .map(str::to_string)
        .or_else(|| {
            let local = full_ref(b);
            (repo.git.refname_to_id(&local).is_err()
                && repo.git.refname_to_id(&format!("refs/remotes/{b}")).is_ok())
            .then(|| b.to_string())
        });
    match tracking.as_deref().and_then(|t| t.split_once('/')) {
        Some((_, name)) => (
            format!("refs/remotes/{}", tracking.as_deref().unwrap_or_default()),
            format!("refs/heads/{name}"),
        ),
        None => (full_ref(b), full_ref(b)),
    }
}

/// The branch commits are headed to: --branch, CI's target, the current branch, or the first
/// plain protected name.
pub(crate) fn target_ref(repo: &Repo, branch: Option<&str>, policy: &Policy) -> String {
    if let Some(b) = branch {
        return full_ref(b);
    }
    for v in ["GITHUB_BASE_REF", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"] {
        if let Ok(b) = std::env::var(v) {
            if !b.is_empty() {
                return full_ref(&b);
            }
        }
    }
    if let Some(h) = repo.head_ref() {
        if repo.git.refname_to_id(&h).is_ok() {
            return h;
        }
    }
    first_protected(policy)
}

/// The policy's first protected branch that is a plain name (`main`), as a full ref.
pub(crate) fn first_protected(policy: &Policy) -> String {
    aigate::advice::first_protected(policy)
}

pub(crate) fn open_repo(dir: Option<&Path>) -> Result<Repo> {
    Repo::discover(dir.unwrap_or(Path::new(".")))
}

pub(crate) fn git_user(repo: Option<&Repo>) -> String {
    let sig = repo.and_then(|r| r.git.signature().ok());
    match sig {
        Some(s) => format!("{} <{}>", s.name().unwrap_or("?"), s.email().unwrap_or("?")),
        None => std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    }
}

/// Refuses a `--format` the command does not produce (rather than silently printing another).
/// Prints one JSON document: `fields` (an object) with `schema_version` (docs/json.md).
pub(crate) fn print_json(fields: serde_json::Value) -> Result<()> {
    let mut doc = serde_json::Map::new();
    doc.insert(
        "schema_version".into(),
        aigate::report::SCHEMA_VERSION.into(),
    );
    if let serde_json::Value::Object(m) = fields {
        doc.extend(m);
    }
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(())
}

pub(crate) fn only(format: args::Format, allowed: &[args::Format], cmd: &str) -> Result<()> {
    use clap::ValueEnum;
    if allowed.contains(&format) {
        return Ok(());
    }
    let name = |f: &args::Format| {
        f.to_possible_value()
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    };
    anyhow::bail!(
        "`aigate {cmd}` has no --format {}: use {}",
        name(&format),
        allowed.iter().map(name).collect::<Vec<_>>().join(", ")
    )
}

/// libgit2 appends its error class and code (`; class=Reference (4); code=NotFound (-3)`):
/// internals that say nothing to a user; the sentence before them stays.
pub(crate) fn plain_git_error(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for part in msg.split("; class=") {
        if out.is_empty() {
            out.push_str(part);
            continue;
        }
        // Drop `Name (n)` and an optional `; code=Name (-n)`; keep what follows (`: ...`).
        let rest = part.split_once(')').map_or("", |(_, r)| r);
        let rest = match rest.strip_prefix("; code=") {
            Some(r) => r.split_once(')').map_or("", |(_, r)| r),
            None => rest,
        };
        out.push_str(rest);
    }
    out
}
