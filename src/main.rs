//! The command line: parses arguments (clap) and runs one command. Exit codes: 0 pass,
//! 1 policy violation, 2 usage or internal error.

mod cli;

use aigate::hooks;
use anyhow::Result;
use clap::Parser;
use cli::args::*;
use cli::*;
use std::path::Path;

fn main() {
    // Rust ignores SIGPIPE, so printing into a closed pipe panics; git (and every Unix tool)
    // just ends. Hooks write to git, which keeps its pipes open.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // libgit2 re-hashes every object it reads by default; git does not. Objects in a repository
    // (and in a push's quarantine) were hashed when git wrote or indexed them, so the re-hash
    // only costs time (~10% of an audit).
    git2::opts::strict_hash_verification(false);
    // The commit-msg hook runs on every commit with one fixed shape of arguments; it skips
    // building the whole command-line parser (~8% of its instructions). Any other shape,
    // including `--help`, goes through clap.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let [_, hook, name, file] = args.as_slice() {
        if hook == "hook" && name == "commit-msg" && !file.to_string_lossy().starts_with('-') {
            exit_with(hooks::commit_msg(Path::new(file)));
        }
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // Usage errors start like every other error: `aigate: error: ...`.
            eprint!("aigate: {}", e.render());
            std::process::exit(2);
        }
    };
    aigate::report::set_style(
        match cli.color {
            ColorChoice::Auto => None,
            ColorChoice::Always => Some(true),
            ColorChoice::Never => Some(false),
        },
        cli.quiet,
    );
    exit_with(run(cli));
}

fn run(cli: Cli) -> Result<i32> {
    match cli.cmd {
        Cmd::Check {
            range,
            range_flag,
            branch,
            format,
            policy,
            rules_from,
        } => cli::check::check(
            range.or(range_flag),
            branch,
            format,
            policy.as_deref(),
            rules_from.as_deref(),
        ),
        Cmd::Trailers { rev, stdin, format } => cli::trailers::trailers_cmd(rev, stdin, format),
        Cmd::Approve {
            rev,
            into,
            push,
            key,
            force,
            forge_event,
            forge,
            signer,
        } => cli::approve::approve(cli::approve::ApproveArgs {
            rev: rev.as_deref(),
            into: into.as_deref(),
            push: push.as_deref(),
            key: key.as_deref(),
            forge_event: forge_event.as_deref(),
            forge: forge.as_deref(),
            signer: signer.as_deref(),
            force,
        }),
        Cmd::Completions { shell } => cli::policy::completions(shell),
        Cmd::Man => cli::policy::man(),
        Cmd::Approvals { rev, into, format } => {
            cli::approve::list(rev.as_deref(), into.as_deref(), format)
        }
        Cmd::Explain {
            what,
            branch,
            policy,
            rules_from,
            format,
        } => cli::explain::explain(
            &what,
            branch.as_deref(),
            policy.as_deref(),
            rules_from.as_deref(),
            format,
        ),
        Cmd::Policy {
            cmd: PolicyCmd::Check { file, format },
        } => cli::policy::policy_check(file.as_deref(), format),
        Cmd::Init { force, preset } => cli::policy::init(force, &preset),
        Cmd::Catalog { format } => cli::policy::catalog(format),
        Cmd::Hook { hook } => cli::hook::run(hook),
        Cmd::Install {
            repo,
            server,
            per_ref,
            policy_ref,
            owners,
            force,
        } => cli::install::install_cmd(
            repo.as_deref(),
            server,
            per_ref,
            policy_ref.as_deref(),
            owners.as_deref(),
            force,
        ),
        Cmd::Uninstall { repo, server } => cli::install::uninstall_cmd(repo.as_deref(), server),
        Cmd::Exemption { cmd, file } => cli::exemption::exemption_cmd(cmd, file.as_deref()),
        Cmd::Confirm => hooks::confirm(),
        Cmd::Agent { format } => {
            let agent = aigate::agent_env::current();
            match (format, agent) {
                (Format::Json, a) => cli::print_json(serde_json::json!({
                    "agent": a.map(|d| serde_json::json!({"tool": d.tool, "evidence": d.evidence})),
                }))?,
                (_, Some(d)) => println!("{} ({})", d.tool, d.evidence),
                (_, None) => println!("no AI agent detected"),
            }
            Ok(0)
        }
        Cmd::Audit {
            range,
            branch,
            since,
            until,
            format,
            policy,
            rules_from,
            verify,
            expiring_within,
            by,
            lines,
            teams,
            figures,
            name,
            merge,
        } => {
            let opts = cli::audit_report::FigureOpts {
                by,
                lines,
                teams,
                figures_only: figures,
                name,
            };
            if merge.is_empty() {
                cli::audit::audit_cmd(
                    range,
                    branch,
                    since,
                    until,
                    format,
                    policy.as_deref(),
                    rules_from.as_deref(),
                    verify,
                    &expiring_within,
                    &opts,
                )
            } else {
                cli::audit_report::merge_cmd(&merge, format, &opts)
            }
        }
        Cmd::HookScript { hook } => cli::install::hook_script(&hook),
    }
}
