//! `aigate exemption request|list|show|revoke`: the exemptions file as compliance edits it.

use super::args::*;
use super::*;
use aigate::engine::{self, now};
use aigate::exemptions::{day_start, rfc3339, Record, Revocation};
use aigate::git::repo::Repo;
use aigate::policy::Policy;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// `14d` or `14` → 14.
pub(crate) fn parse_days(s: &str) -> Result<i64> {
    s.trim()
        .trim_end_matches('d')
        .parse::<i64>()
        .with_context(|| format!("`{s}` is not a number of days like 14d"))
}

pub(crate) fn today() -> String {
    rfc3339(now())[..10].to_string()
}

/// `YYYY-MM-DD`, or `30d` meaning that many days from today.
pub(crate) fn date_arg(s: &str) -> Result<String> {
    date_from(s, now())
}

/// `YYYY-MM-DD`, or `30d` meaning that many days after `from`.
fn date_from(s: &str, from: i64) -> Result<String> {
    if day_start(s).is_some() {
        return Ok(s.to_string());
    }
    let days = parse_days(s)
        .with_context(|| format!("`{s}` is neither a date (YYYY-MM-DD) nor a duration (30d)"))?;
    Ok(rfc3339(from + days * 86_400)[..10].to_string())
}

pub(crate) fn exemptions_path(repo: Option<&Repo>, file: Option<&Path>) -> Result<PathBuf> {
    if let Some(f) = file {
        return Ok(f.to_path_buf());
    }
    if let Some(p) = repo.and_then(|r| r.config_string("aigate.exemptions")) {
        return Ok(PathBuf::from(p));
    }
    match repo.and_then(|r| r.workdir()) {
        Some(top) => Ok(top.join(engine::EXEMPTIONS_FILE)),
        None => bail!("no exemptions file: pass --file, or set git config aigate.exemptions"),
    }
}

pub(crate) fn load_exemptions(
    repo: Option<&Repo>,
    path: &Path,
) -> Result<(aigate::exemptions::Exemptions, Policy)> {
    let policy = match repo {
        Some(r) => engine::worktree_policy(r, None)?,
        None => Policy::builtin()?,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let ex = aigate::exemptions::Exemptions::from_str(
        &text,
        &path.display().to_string(),
        &policy.catalog,
        policy.exemption_max_days,
    )?;
    Ok((ex, policy))
}

/// Whether exemptions here count only once an owner granted them (the policy names owners,
/// or this is a server with an owners file), as the server decides.
pub(crate) fn grants_required(repo: Option<&Repo>, policy: &Policy) -> bool {
    !policy.owners.is_empty() || repo.is_some_and(|r| r.config_string("aigate.owners").is_some())
}

pub(crate) fn status(e: &aigate::exemptions::Exemption, now: i64, grants: bool) -> &'static str {
    if e.is_revoked(now) {
        "revoked"
    } else if grants && e.record.grant.is_none() {
        "not granted"
    } else if now < e.valid_from {
        "not yet valid"
    } else if now >= e.valid_until {
        "expired"
    } else {
        "active"
    }
}

pub(crate) fn exemption_cmd(cmd: ExemptionCmd, file: Option<&Path>) -> Result<i32> {
    let repo = open_repo(None).ok();
    let path = exemptions_path(repo.as_ref(), file)?;
    let now = now();
    match cmd {
        ExemptionCmd::Request {
            tools,
            branches,
            paths,
            authors,
            expires,
            not_before,
            ticket,
            reason,
            approved_by,
        } => {
            let (_, policy) = load_exemptions(repo.as_ref(), &path)?;
            let mut ids = Vec::new();
            for t in &tools {
                match policy.catalog.resolve(t) {
                    Some(id) => ids.push(id.to_string()),
                    None => bail!("unknown tool `{t}`; `aigate catalog` lists the ids (add in-house tools under [[catalog.tool]])"),
                }
            }
            let not_before = date_arg(&not_before.unwrap_or_else(today))?;
            // A duration counts from the first valid day.
            let expires = date_from(&expires, day_start(&not_before).unwrap_or(now).max(now))?;
            if day_start(&expires) < day_start(&not_before) {
                bail!("--expires {expires} is before --not-before {not_before}");
            }
            if day_start(&expires).unwrap_or(0) + 86_400 <= now {
                bail!("--expires {expires} is in the past");
            }
            let record = Record {
                grant: None,
                id: String::new(),
                tools: ids,
                branches,
                paths: if paths.is_empty() {
                    vec!["**".into()]
                } else {
                    paths
                },
                authors,
                approved_by: approved_by.unwrap_or_else(|| git_user(repo.as_ref())),
                ticket,
                reason,
                not_before: Some(not_before),
                expires,
                revoked: None,
            };
            let before = std::fs::read(&path).ok();
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let id = aigate::exemption_file::append(&path, record, nanos)?;
            // Never leave an invalid file behind (duplicate id, over the policy's max_days...).
            if let Err(e) = load_exemptions(repo.as_ref(), &path) {
                match before {
                    Some(b) => std::fs::write(&path, b)?,
                    None => std::fs::remove_file(&path)?,
                }
                return Err(e);
            }
            let shown = path
                .strip_prefix(
                    repo.as_ref()
                        .and_then(|r| r.workdir())
                        .unwrap_or(Path::new("")),
                )
                .unwrap_or(&path);
            println!("aigate: drafted {id} in {}", shown.display());
            println!("next: an owner grants it (aigate exemption grant {id}), then the change is committed and approved by the owners on the governing branch:");
            println!(
                "  git add {} && git commit -m \"Exemption {id}\"",
                shown.display()
            );
            println!("commits then cite it: git commit --trailer \"AI-Exemption: {id}\"   (or: git push -o aigate.exemption={id})");
            Ok(0)
        }
        ExemptionCmd::List {
            active,
            expired,
            expiring_within,
            format,
        } => {
            only(format, &[Format::Table, Format::Json], "exemption list")?;
            let (ex, policy) = load_exemptions(repo.as_ref(), &path)?;
            let grants = grants_required(repo.as_ref(), &policy);
            let status = |e: &aigate::exemptions::Exemption, now: i64| status(e, now, grants);
            let within = expiring_within.as_deref().map(parse_days).transpose()?;
            let chosen: Vec<_> = ex
                .list
                .iter()
                .filter(|e| {
                    let st = status(e, now);
                    (!active || st == "active")
                        && (!expired || st == "expired")
                        && within
                            .is_none_or(|d| st == "active" && e.valid_until <= now + d * 86_400)
                })
                .collect();
            if format == Format::Json {
                let docs: Vec<_> = chosen
                    .iter()
                    .map(|e| serde_json::json!({"status": status(e, now), "record": e.record}))
                    .collect();
                print_json(serde_json::json!({ "exemptions": docs }))?;
            } else {
                if chosen.is_empty() {
                    if path.exists() {
                        println!("no exemptions match ({})", path.display());
                    } else {
                        println!(
                            "no exemptions file at {} (aigate exemption request drafts one)",
                            path.display()
                        );
                    }
                }
                for e in chosen {
                    let r = &e.record;
                    println!(
                        "{:<20} {:<13} {:<14} expires {}  branches {}  paths {}  [{}]",
                        r.id,
                        status(e, now),
                        r.tools.join(","),
                        r.expires,
                        r.branches.join(","),
                        r.paths.join(","),
                        r.ticket
                    );
                }
            }
            Ok(0)
        }
        ExemptionCmd::Show { id, format } => {
            let (ex, policy) = load_exemptions(repo.as_ref(), &path)?;
            let grants = grants_required(repo.as_ref(), &policy);
            let status = |e: &aigate::exemptions::Exemption, now: i64| status(e, now, grants);
            let Some(e) = ex.get(&id) else {
                bail!("no exemption `{id}` in {}", path.display())
            };
            let r = &e.record;
            if format == Format::Json {
                print_json(serde_json::json!({"status": status(e, now), "record": r}))?;
                return Ok(0);
            }
            println!("{}  ({})", r.id, status(e, now));
            println!("tools:       {}", r.tools.join(", "));
            println!("branches:    {}", r.branches.join(", "));
            println!("paths:       {}", r.paths.join(", "));
            if !r.authors.is_empty() {
                println!("authors:     {}", r.authors.join(", "));
            }
            println!("approved by: {}", r.approved_by);
            match &r.grant {
                Some(g) => println!("granted by:  {} (signed)", g.by),
                None => println!(
                    "granted by:  (not granted{}: an owner runs aigate exemption grant {})",
                    if grants { ", so it does not count" } else { "" },
                    r.id
                ),
            }
            println!("ticket:      {}", r.ticket);
            println!("reason:      {}", r.reason);
            println!(
                "valid:       {} to {} (end of day, UTC)",
                r.not_before.as_deref().unwrap_or("(always)"),
                r.expires
            );
            if let Some(rv) = &r.revoked {
                println!(
                    "revoked:     by {} at {}{}",
                    rv.by,
                    rv.at,
                    rv.reason
                        .as_deref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                );
            }
            Ok(0)
        }
        ExemptionCmd::Grant { id, key } => {
            let (ex, _) = load_exemptions(repo.as_ref(), &path)?;
            let Some(e) = ex.get(&id) else {
                bail!(
                    "no exemption `{id}` in {}; `aigate exemption list` shows them",
                    path.display()
                );
            };
            let by = repo
                .as_ref()
                .and_then(|r| r.config_string("user.email"))
                .filter(|e| e.contains('@'))
                .context("git config user.email is not set: a grant names its owner by email, as the owners' keys do")?;
            let repo_ref = repo.as_ref().context("`aigate exemption grant` runs in a git repository (it signs with git's signing key)")?;
            let signature = super::approve::sign(
                repo_ref,
                key.as_deref(),
                &e.record.grant_text(),
                aigate::exemptions::GRANT_NAMESPACE,
            )?;
            aigate::exemption_file::grant(&path, &e.record.id, &by, &signature)?;
            println!("aigate: granted {} as {by}; commit the change, and have another owner approve the commit", e.record.id);
            Ok(0)
        }
        ExemptionCmd::Revoke { id, reason, by } => {
            let rv = Revocation {
                by: by.unwrap_or_else(|| git_user(repo.as_ref())),
                at: rfc3339(now),
                reason,
            };
            aigate::exemption_file::revoke(&path, &id, &rv)?;
            println!("aigate: revoked {id} (kept in {} for the audit trail); commit the change so it takes effect", path.display());
            Ok(0)
        }
    }
}
