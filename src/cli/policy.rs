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

/// One page, aigate(1): the commands are listed in it (no per-command pages are generated, so
/// none is referred to), with EXIT STATUS, ENVIRONMENT and FILES.
pub(crate) fn man() -> Result<i32> {
    use clap::CommandFactory;
    let cmd = super::args::Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = std::io::stdout().lock();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut page = String::from(".SH COMMANDS\n");
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        page.push_str(&format!(
            ".TP\n\\fBaigate {}\\fR\n{}\n",
            roff_text(sub.get_name()),
            roff_text(&about)
        ));
    }
    page.push_str("Each command's options: \\fBaigate\\fR \\fICOMMAND\\fR \\fB--help\\fR.\n");
    page.push_str(MAN_SECTIONS);
    use std::io::Write;
    out.write_all(page.as_bytes())?;
    man.render_version_section(&mut out)?;
    Ok(0)
}

/// Text for roff: backslashes escaped, no line starting with a control character.
fn roff_text(s: &str) -> String {
    s.replace('\\', "\\e")
        .lines()
        .map(|l| {
            if l.starts_with(['.', '\'']) {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const MAN_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Passed: nothing to refuse (findings on an unprotected branch are advice).
.TP
\fB1\fR
A policy violation: a commit or push is refused.
.TP
\fB2\fR
A usage or internal error; server hooks refuse the push (they fail closed).
.SH ENVIRONMENT
.TP
\fBAIGATE_AGENT\fR
\fBnone\fR turns AI-agent detection off for one command; a tool id names the agent.
.TP
\fBAIGATE_QUIET\fR
\fB1\fR: leave out advice that refuses nothing (as \fB--quiet\fR), for hooks.
.TP
\fBNO_COLOR\fR
No colour in human output.
.TP
\fBGITHUB_BASE_REF\fR, \fBCI_MERGE_REQUEST_TARGET_BRANCH_NAME\fR
In CI, the branch a change is going to (the default target of \fBcheck\fR and \fBexplain\fR).
.TP
\fBGL_USERNAME\fR, \fBGL_USER\fR, \fBGITHUB_USER_LOGIN\fR, \fBREMOTE_USER\fR
On a server, the authenticated pusher (GitLab, gitolite, GitHub Enterprise, smart HTTP).
.TP
\fBPRE_COMMIT_REMOTE_BRANCH\fR, \fBPRE_COMMIT_FROM_REF\fR, \fBPRE_COMMIT_TO_REF\fR, \fBPRE_COMMIT_LOCAL_BRANCH\fR
Under the pre-commit framework, what \fBaigate hook pre-push\fR checks.
.SH FILES
.TP
\fB.aigate.toml\fR
The policy, at the top of the work tree (on a server: on the governing ref, or \fBgit config aigate.policy\fR).
.TP
\fB.aigate/exemptions.toml\fR
Exemptions (\fBgit config aigate.exemptions\fR on a server).
.TP
\fB.aigate/allowed_signers\fR
The trust root for signed reviews (\fBgit config aigate.allowedSigners\fR on a server).
.TP
\fBrefs/aigate/approvals\fR
Signed approvals, stored in git beside the commits.
.TP
\fI$GIT_DIR\fR\fB/aigate-audit.jsonl\fR
The server's audit log (\fBgit config aigate.auditLog\fR).
.TP
\fI$GIT_DIR\fR\fB/aigate-owners\fR
The owners of the rules and their keys (\fBaigate install --server --owners\fR).
"#;
