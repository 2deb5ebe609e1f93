//! The command line: parses arguments (clap) and runs one command. Exit codes: 0 pass,
//! 1 policy violation, 2 usage or internal error.

mod cli;

use aigate::hooks;
use aigate::install;
use anyhow::{bail, Result};
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
    exit_with(run(Cli::parse()));
}

fn run(cli: Cli) -> Result<i32> {
    match cli.cmd {
        Cmd::Check {
            range,
            range_flag,
            branch,
            format,
            policy,
        } => cli::check::check(range.or(range_flag), branch, format, policy.as_deref()),
        Cmd::Trailers { rev, stdin, format } => cli::trailers::trailers_cmd(rev, stdin, format),
        Cmd::Approve {
            rev,
            into,
            push,
            key,
        } => cli::approve::approve(
            rev.as_deref(),
            into.as_deref(),
            push.as_deref(),
            key.as_deref(),
        ),
        Cmd::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "aigate", &mut std::io::stdout());
            Ok(0)
        }
        Cmd::Man => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
            Ok(0)
        }
        Cmd::Approvals { rev, into } => cli::approve::list(rev.as_deref(), into.as_deref()),
        Cmd::Explain { what, branch } => cli::explain::explain(&what, branch.as_deref()),
        Cmd::Policy {
            cmd: PolicyCmd::Check { file },
        } => cli::policy::policy_check(file.as_deref()),
        Cmd::Init { force, preset } => cli::policy::init(force, &preset),
        Cmd::Catalog => cli::policy::catalog(),
        Cmd::Hook { hook } => match hook {
            HookCmd::CommitMsg { file } => hooks::commit_msg(&file),
            HookCmd::PrepareCommitMsg {
                file,
                source,
                sha: _,
            } => hooks::prepare_commit_msg(&file, source.as_deref()),
            HookCmd::PreCommit => hooks::pre_commit(),
            HookCmd::PrePush { remote, url } => {
                let remote = remote
                    .or_else(|| std::env::var("PRE_COMMIT_REMOTE_NAME").ok())
                    .unwrap_or_else(|| "origin".into());
                let input = if std::env::var_os("PRE_COMMIT_TO_REF").is_some() {
                    String::new()
                } else {
                    stdin_string()?
                };
                hooks::pre_push(&remote, url.as_deref().unwrap_or(""), &input)
            }
            HookCmd::PreReceive => {
                // Fail closed: bad input refuses too.
                let updates = stdin_string().and_then(|s| hooks::parse_receive_lines(&s));
                match updates {
                    Ok(u) => Ok(hooks::server(&u)),
                    Err(e) => {
                        eprintln!("aigate: {e:#}\naigate: push refused (fail closed).");
                        Ok(hooks::REFUSE)
                    }
                }
            }
            HookCmd::Update { refname, old, new } => {
                let line = format!("{old} {new} {refname}");
                match hooks::parse_receive_lines(&line) {
                    Ok(u) => Ok(hooks::server(&u)),
                    Err(e) => {
                        eprintln!("aigate: {e:#}\naigate: push refused (fail closed).");
                        Ok(hooks::REFUSE)
                    }
                }
            }
        },
        Cmd::Install {
            repo,
            server,
            per_ref,
            policy_ref,
            owners,
        } => cli::install::install_cmd(
            repo.as_deref(),
            server,
            per_ref,
            policy_ref.as_deref(),
            owners.as_deref(),
        ),
        Cmd::Uninstall { repo, server } => {
            let r = open_repo(repo.as_deref())?;
            let hooks: &[&str] = if server {
                &["pre-receive", "update"]
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
        Cmd::Exemption { cmd, file } => cli::exemption::exemption_cmd(cmd, file.as_deref()),
        Cmd::Confirm => hooks::confirm(),
        Cmd::Agent => {
            match aigate::agent_env::current() {
                Some(d) => println!("{} ({})", d.tool, d.evidence),
                None => println!("no AI agent detected"),
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
            expiring_within,
        } => cli::audit::audit_cmd(
            range,
            branch,
            since,
            until,
            format,
            policy.as_deref(),
            &expiring_within,
        ),
        Cmd::HookScript { hook } => {
            if ![
                "commit-msg",
                "pre-push",
                "pre-receive",
                "update",
                "pre-commit",
                "prepare-commit-msg",
            ]
            .contains(&hook.as_str())
            {
                bail!("unknown hook `{hook}`: use commit-msg, prepare-commit-msg, pre-commit, pre-push, pre-receive or update");
            }
            print!("{}", install::script(&hook, &std::env::current_exe()?));
            Ok(0)
        }
    }
}
