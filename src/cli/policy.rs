//! `aigate policy check`, `aigate init` and `aigate catalog`: the rules as a user reads them.

use super::*;
use aigate::catalog::Catalog;
use aigate::engine::{self};
use aigate::policy::Policy;
use aigate::rules::ALL;
use anyhow::{bail, Context, Result};
use std::path::Path;

pub(crate) fn policy_check(file: Option<&Path>, format: super::args::Format) -> Result<i32> {
    let json = format == super::args::Format::Json;
    let mut governing = serde_json::Map::new();
    let policy = match file {
        Some(f) => engine::policy_from_file(f),
        None => match open_repo(None) {
            // A bare (server) repository: exactly the governing rule set its hook uses.
            Ok(r) if r.git.is_bare() => engine::governing(&r).map(|g| {
                if json {
                    governing.insert("governing_ref".into(), g.refname.clone().into());
                    governing.insert("governing_ref_present".into(), g.tip.is_some().into());
                    governing.insert("owners".into(), g.owner_names.clone().into());
                    governing.insert(
                        "trust_root_keys".into(),
                        g.rules.signers.signers.len().into(),
                    );
                    return g.rules.policy;
                }
                println!(
                    "governing ref: {}{}",
                    g.refname,
                    if g.tip.is_some() {
                        ""
                    } else {
                        " (absent: built-in default)"
                    }
                );
                if !g.owner_names.is_empty() {
                    println!(
                        "owners: {} (at least {} per rule change)",
                        g.owner_names.join(", "),
                        g.rules.policy.owners_min
                    );
                }
                if !g.rules.signers.signers.is_empty() {
                    println!("trust root: {} key(s)", g.rules.signers.signers.len());
                }
                g.rules.policy
            }),
            Ok(r) => engine::rules_for_worktree(&r, None).map(|r| r.policy),
            Err(_) => Ok(Policy::builtin()?),
        },
    };
    match policy {
        Ok(p) if json => {
            let mut doc = policy_json(&p);
            if let serde_json::Value::Object(m) = &mut doc {
                m.extend(governing);
            }
            print_json(doc)?;
            Ok(0)
        }
        Ok(p) => {
            println!("{}", p.describe());
            Ok(0)
        }
        Err(e) => {
            eprintln!("{}", super::error_text(&e));
            Ok(2)
        }
    }
}

/// The policy in force, as `policy check --format json` prints it (docs/json.md).
fn policy_json(p: &Policy) -> serde_json::Value {
    let b = &p.agents.blast_radius;
    serde_json::json!({
        "policy": p.origin,
        "mode": p.mode,
        "protected": p.protected,
        "allow_deletion": p.allow_deletion,
        "allow_force_push": p.allow_force_push,
        "approved_tools": p.approved_names(),
        "approved_models": p.models_approved,
        "attestation_trailers": p.attestation_trailers,
        "review": {
            "min": p.review_min,
            "trailers": p.review_trailers,
            "require_for": p.require_for,
            "reviewers": p.reviewers,
            "verify": p.verify,
            "pusher_approves": p.pusher_approves,
            "paths": p.path_rules.iter().map(|r| serde_json::json!({"paths": r.patterns, "min": r.min})).collect::<Vec<_>>(),
        },
        "agents": {
            "attestation": p.agents.attestation,
            "allow_on_protected": p.agents.allow_on_protected,
            "blast_radius": {
                "max_deleted_files": b.max_deleted_files,
                "max_deleted_percent": b.max_deleted_percent,
                "guarded_paths": b.guarded_paths,
                "min_reviews": b.min_reviews,
            },
        },
        "exemption_max_days": p.exemption_max_days,
        "governance": {
            "owners": p.owners,
            "min": p.owners_min,
            "paths": p.governed_paths,
        },
    })
}

pub(crate) fn init(force: bool, preset: &str) -> Result<i32> {
    let Some((_, text)) = aigate::policy::PRESETS.iter().find(|(n, _)| *n == preset) else {
        let names: Vec<&str> = aigate::policy::PRESETS.iter().map(|(n, _)| *n).collect();
        bail!("unknown preset `{preset}`: use one of {}", names.join(", "));
    };
    let repo = open_repo(None)?;
    let Some(top) = repo.workdir() else {
        bail!("`aigate init` needs a work tree; on a server set git config aigate.policy")
    };
    let path = top.join(engine::POLICY_FILE);
    if path.exists() && !force {
        bail!("{} exists; use --force to overwrite it", path.display());
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    println!("aigate: wrote {}. Review it, then commit it: git add .aigate.toml && git commit -m \"Add aigate policy\"", path.display());
    Ok(0)
}

pub(crate) fn catalog(format: super::args::Format) -> Result<i32> {
    use super::args::Format;
    super::only(format, &[Format::Human, Format::Json], "catalog")?;
    let c = Catalog::builtin()?;
    let evidence_rules = aigate::evidence_rules::RULES;
    if format == Format::Json {
        let tools: Vec<_> = c
            .tools()
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.id,
                    "name": t.name,
                    "category": t.category,
                    "aliases": c.aliases_of(&t.id),
                })
            })
            .collect();
        let rules: Vec<_> = ALL
            .iter()
            .map(|r| serde_json::json!({"id": r.id(), "name": r.name(), "summary": r.summary()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "schema_version": aigate::report::SCHEMA_VERSION,
                "tools": tools,
                "evidence_rules": evidence_rules,
                "rules": rules,
            }))?
        );
        return Ok(0);
    }
    for t in c.tools() {
        let aliases = c.aliases_of(&t.id);
        println!(
            "{:<16} {:<11} {}{}",
            t.id,
            t.category,
            t.name,
            if aliases.is_empty() {
                String::new()
            } else {
                format!("  (also: {})", aliases.join(", "))
            }
        );
    }
    println!("\nevidence rules (turn one off in .aigate.toml: [evidence] ignore = [\"ID\"]):");
    for r in evidence_rules {
        println!("{:<16} {:<6} {}", r.id, r.confidence, r.summary);
    }
    println!("\nrules:");
    for r in ALL {
        println!("{} {:<22} {}", r.id(), r.name(), r.summary());
    }
    Ok(0)
}

pub(crate) fn completions(shell: clap_complete::Shell) -> Result<i32> {
    use clap::CommandFactory;
    clap_complete::generate(
        shell,
        &mut super::args::Cli::command(),
        "aigate",
        &mut std::io::stdout(),
    );
    Ok(0)
}

pub(crate) fn man() -> Result<i32> {
    use clap::CommandFactory;
    clap_mangen::Man::new(super::args::Cli::command()).render(&mut std::io::stdout())?;
    Ok(0)
}
