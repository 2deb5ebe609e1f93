//! One file per git hook protocol: `commit_msg`, `prepare_commit_msg`, `pre_commit`,
//! `pre_push` (client side: advice, skippable with --no-verify) and `pre_receive` (pre-receive and
//! update on the server: authoritative, fail closed). Each adapts its hook's arguments and
//! input to the engine and prints a report; none decides on its own.

mod commit_msg;
mod pre_commit;
mod pre_push;
mod pre_receive;
mod prepare_commit_msg;

pub use commit_msg::commit_msg;
pub use pre_commit::{confirm, pre_commit};
pub use pre_push::{parse_pre_push_input, pre_push, PushLine};
pub use pre_receive::{
    parse_receive_lines, push_exemptions, pusher, server, server_from_input, Update,
};
pub use prepare_commit_msg::prepare_commit_msg;

use crate::git::repo::Repo;
use crate::identity::Identity;
use anyhow::{bail, Context, Result};
use git2::Oid;

/// Exit codes: 0 pass, 1 refused, 2 usage or internal error.
pub const PASS: i32 = 0;

pub const REFUSE: i32 = 1;

pub(crate) fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

pub(crate) fn identity_from_env(kind: &str, repo: &Repo) -> Identity {
    // user.name / user.email from the repository's (cached) config, as libgit2's default
    // signature reads them, without the config snapshot it takes on each call.
    let name = env(&format!("GIT_{kind}_NAME"))
        .or_else(|| repo.config_string("user.name"))
        .unwrap_or_default();
    let email = env(&format!("GIT_{kind}_EMAIL"))
        .or_else(|| repo.config_string("user.email"))
        .unwrap_or_default();
    Identity::new(name, email)
}

/// The non-blank lines of a hook's input, each split into exactly `n` fields.
pub(crate) fn hook_lines<'a>(
    input: &'a str,
    n: usize,
    hook: &str,
    form: &str,
) -> Result<Vec<Vec<&'a str>>> {
    let mut out = Vec::new();
    for (i, l) in input
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.len() != n {
            bail!("{hook} input line {}: expected `{form}`, got `{l}`", i + 1);
        }
        out.push(f);
    }
    Ok(out)
}

/// A full object id as git writes it to hooks: 40 (SHA-1) or 64 (SHA-256) hex digits.
/// (`Oid::from_str` alone would take a prefix, and a short run of zeros would read as a deletion.)
pub(crate) fn full_oid(s: &str) -> Result<Oid> {
    if !matches!(s.len(), 40 | 64) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("`{s}` is not a full object id");
    }
    oid(s)
}

pub(crate) fn oid(s: &str) -> Result<Oid> {
    Oid::from_str(s).with_context(|| format!("`{s}` is not an object id"))
}
