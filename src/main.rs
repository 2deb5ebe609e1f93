//! The command line: parses arguments (clap) and runs one command. Exit codes: 0 pass,
//! 1 policy violation, 2 usage or internal error.

use aigate::audit::Sink;
use aigate::catalog::Catalog;
use aigate::engine::{self, now, short};
use aigate::exemptions::{day_start, rfc3339, Record, Revocation};
use aigate::hooks;
use aigate::install;
use aigate::policy::{Mode, Policy, STARTER_POLICY};
use aigate::repo::Repo;
use aigate::report::{self, RefReport};
use aigate::rules::{Rule, ALL};
use aigate::trailers;
use aigate::verdict::Target;
use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "aigate",
    version,
    about = "Lets AI-assisted commits into protected branches only with an attestation and a human review"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Text,
    Table,
    Json,
    Csv,
    Markdown,
    Sarif,
}

#[derive(Subcommand)]
enum Cmd {
    /// Check commits (CI mode): RANGE like origin/main..HEAD; default: commits of HEAD not yet
    /// on any protected branch
    Check {
        range: Option<String>,
        /// Same as RANGE
        #[arg(long = "range", conflicts_with = "range")]
        range_flag: Option<String>,
        /// The branch the commits are going to (default: CI's target branch, else the current one)
        #[arg(long)]
        branch: Option<String>,
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
        /// Policy file (default: .aigate.toml at the top of the work tree, else built-in)
        #[arg(long)]
        policy: Option<PathBuf>,
    },
    /// Print trailers exactly as `git interpret-trailers --parse` would
    Trailers {
        /// A commit, or a range A..B (default HEAD)
        rev: Option<String>,
        /// Read one message from standard input
        #[arg(long, conflicts_with = "rev")]
        stdin: bool,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Explain a commit (evidence, attestation, reviews, findings) or a rule (AIG004)
    Explain {
        what: String,
        #[arg(long)]
        branch: Option<String>,
    },
    /// Policy commands
    Policy {
        #[command(subcommand)]
        cmd: PolicyCmd,
    },
    /// Write a commented starter policy to .aigate.toml
    Init {
        #[arg(long)]
        force: bool,
    },
    /// List the AI tools aigate knows and their aliases
    Catalog,
    /// Run as a git hook (called by the scripts `aigate install` writes)
    Hook {
        #[command(subcommand)]
        hook: HookCmd,
    },
    /// Install the hooks into a repository (client: commit-msg and pre-push)
    Install {
        /// The repository (default: the one you stand in)
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Guard a server (bare) repository: pre-receive, audit log, push options
        #[arg(long)]
        server: bool,
        /// With --server: install the per-ref update hook instead of pre-receive
        #[arg(long, requires = "server")]
        per_ref: bool,
    },
    /// Remove aigate's hooks and restore the ones that were there
    Uninstall {
        #[arg(long)]
        repo: Option<PathBuf>,
        #[arg(long)]
        server: bool,
    },
    /// Print the hook script for HOOK (for GitLab custom_hooks/pre-receive.d/ and the like)
    HookScript { hook: String },
    /// Vouch, as a human, for the staged change an AI agent wants to commit
    Confirm,
    /// Show which AI agent, if any, aigate sees running this command
    Agent,
    /// Compliance exemptions: grant, list, show, revoke
    Exemption {
        #[command(subcommand)]
        cmd: ExemptionCmd,
        /// The exemptions file (default: git config aigate.exemptions, else .aigate/exemptions.toml)
        #[arg(long, global = true)]
        file: Option<PathBuf>,
    },
    /// Audit report: one row per AI-assisted commit of a history, and a summary
    Audit {
        /// A range (A..B) or a revision whose history to audit (default: --branch, else HEAD)
        range: Option<String>,
        /// The branch to audit and judge against (default: the current branch)
        #[arg(long)]
        branch: Option<String>,
        /// Only commits committed on or after this date (YYYY-MM-DD)
        #[arg(long)]
        since: Option<String>,
        /// Only commits committed before the end of this date (YYYY-MM-DD)
        #[arg(long)]
        until: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Window for "exemptions expiring soon" (e.g. 14d)
        #[arg(long, default_value = "14d")]
        expiring_within: String,
    },
}

#[derive(Subcommand)]
enum ExemptionCmd {
    /// Grant an exemption: appends a record with a fresh id
    Request {
        /// Tool id(s) it lets through (repeat for several)
        #[arg(long = "tool", required = true)]
        tools: Vec<String>,
        /// Branch glob(s) it applies to
        #[arg(long = "branch", required = true)]
        branches: Vec<String>,
        /// Path glob(s) every changed file must lie within (default: everything)
        #[arg(long = "path")]
        paths: Vec<String>,
        /// Author email glob(s) allowed to use it (default: anyone)
        #[arg(long = "author")]
        authors: Vec<String>,
        /// Last valid day, YYYY-MM-DD, or a duration like 30d
        #[arg(long)]
        expires: String,
        /// First valid day (default: today)
        #[arg(long)]
        not_before: Option<String>,
        #[arg(long)]
        ticket: String,
        #[arg(long)]
        reason: String,
        /// Who approves it (default: git config user.name <user.email>)
        #[arg(long)]
        approved_by: Option<String>,
    },
    /// List exemptions
    List {
        #[arg(long, conflicts_with_all = ["expired", "expiring_within"])]
        active: bool,
        #[arg(long, conflicts_with = "expiring_within")]
        expired: bool,
        /// Active ones expiring within this many days (e.g. 14d)
        #[arg(long)]
        expiring_within: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Show one exemption
    Show { id: String },
    /// Revoke an exemption (the record is kept, marked revoked)
    Revoke {
        id: String,
        #[arg(long)]
        reason: Option<String>,
        /// Who revokes it (default: git config user.name <user.email>)
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
enum PolicyCmd {
    /// Validate a policy file (default .aigate.toml, else the built-in default) and print it
    Check { file: Option<PathBuf> },
}

#[derive(Subcommand)]
enum HookCmd {
    /// commit-msg FILE
    CommitMsg { file: PathBuf },
    /// pre-push REMOTE URL (stdin: <local ref> <local sha> <remote ref> <remote sha>);
    /// under the pre-commit framework, REMOTE and the refs come from PRE_COMMIT_* variables
    PrePush {
        remote: Option<String>,
        url: Option<String>,
    },
    /// pre-receive (stdin: <old> <new> <ref>); authoritative, fails closed
    PreReceive,
    /// update REF OLD NEW; authoritative, fails closed
    Update {
        refname: String,
        old: String,
        new: String,
    },
    /// prepare-commit-msg FILE [SOURCE [SHA]]: adds Assisted-by when an AI agent commits
    PrepareCommitMsg {
        file: PathBuf,
        source: Option<String>,
        sha: Option<String>,
    },
    /// pre-commit: agents on protected branches, and changes over the blast-radius limits
    PreCommit,
}

fn main() {
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

/// Exits with the command's code; an error is printed and exits 2.
fn exit_with(result: Result<i32>) -> ! {
    let code = match result {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("{e:#}");
            // Diagnostics from the policy and exemption parsers already say `error:`.
            match msg.find("error: ") {
                Some(i) => eprintln!("aigate: {}{}", &msg[..i], &msg[i..]),
                None => eprintln!("aigate: error: {msg}"),
            }
            2
        }
    };
    std::process::exit(code);
}

fn stdin_string() -> Result<String> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .context("cannot read standard input")?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn full_ref(b: &str) -> String {
    if b.starts_with("refs/") {
        b.to_string()
    } else {
        format!("refs/heads/{b}")
    }
}

/// The branch commits are headed to: --branch, CI's target, the current branch, or the first
/// plain protected name.
fn target_ref(repo: &Repo, branch: Option<&str>, policy: &Policy) -> String {
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
    let first = policy
        .protected
        .iter()
        .find(|p| !p.contains(['*', '?', '[']))
        .cloned()
        .unwrap_or_else(|| "main".into());
    full_ref(&first)
}

fn run(cli: Cli) -> Result<i32> {
    match cli.cmd {
        Cmd::Check {
            range,
            range_flag,
            branch,
            format,
            policy,
        } => check(range.or(range_flag), branch, format, policy.as_deref()),
        Cmd::Trailers { rev, stdin, format } => trailers_cmd(rev, stdin, format),
        Cmd::Explain { what, branch } => explain(&what, branch.as_deref()),
        Cmd::Policy {
            cmd: PolicyCmd::Check { file },
        } => policy_check(file.as_deref()),
        Cmd::Init { force } => init(force),
        Cmd::Catalog => catalog(),
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
        } => install_cmd(repo.as_deref(), server, per_ref),
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
            Ok(0)
        }
        Cmd::Exemption { cmd, file } => exemption_cmd(cmd, file.as_deref()),
        Cmd::Confirm => hooks::confirm(),
        Cmd::Agent => {
            match aigate::agent::current() {
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
        } => audit_cmd(
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

fn open_repo(dir: Option<&Path>) -> Result<Repo> {
    Repo::discover(dir.unwrap_or(Path::new(".")))
}

fn check(
    range: Option<String>,
    branch: Option<String>,
    format: Format,
    policy: Option<&Path>,
) -> Result<i32> {
    let repo = open_repo(None)?;
    let rules = engine::rules_for_worktree(&repo, policy)?;
    let refname = target_ref(&repo, branch.as_deref(), &rules.policy);
    let ids = match &range {
        Some(r) => repo.range(r)?,
        None => {
            let head = repo.commit_id("HEAD")?;
            let hide: Vec<_> = repo
                .refs_where(|n| {
                    let b = n
                        .strip_prefix("refs/remotes/")
                        .and_then(|r| r.split_once('/'))
                        .map(|(_, b)| format!("refs/heads/{b}"));
                    rules.policy.is_protected(n) || b.is_some_and(|b| rules.policy.is_protected(&b))
                })?
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            repo.new_commits(&[head], &hide)?
        }
    };
    let target = Target {
        refname: &refname,
        push_exemptions: &[],
        now: now(),
    };
    // SARIF locates findings at a changed file: read paths while judging, not afterwards.
    let sarif = format == Format::Sarif;
    let judged: Vec<_> = ids
        .iter()
        .map(|id| rules.judge_commit(&repo, *id, &target, sarif))
        .collect::<Result<_>>()?;
    let commits = judged.iter().map(|(_, v)| v.clone()).collect();
    let protected = rules.policy.is_protected(&refname) && rules.policy.mode != Mode::Off;
    let rep = RefReport::local(&refname, protected, commits);
    let enforced = rules.policy.mode == Mode::Enforce;
    let reports = [rep];
    match format {
        Format::Json => println!("{}", report::json(&reports, enforced)),
        Format::Sarif => {
            let mut sink =
                aigate::audit::Sarif::new(std::io::stdout().lock(), engine::POLICY_FILE)?;
            let mut summary = aigate::audit::Summary::default();
            for (facts, c) in &judged {
                summary.add_commit();
                if c.ai_assisted || !c.passed() {
                    let row = aigate::audit::Row::new(facts, c);
                    summary.add(&row);
                    sink.row(&row)?;
                }
            }
            summary.finish(&rules.exemptions, now(), 14);
            sink.end(&summary)?;
        }
        _ => {
            print!(
                "{}",
                report::human(&reports, enforced, "", &rules.policy.origin)
            );
            println!("{}", report::summarize(&reports));
        }
    }
    Ok(
        if enforced && reports[0].protected && reports[0].blocked() {
            1
        } else {
            0
        },
    )
}

fn trailers_cmd(rev: Option<String>, stdin: bool, format: Format) -> Result<i32> {
    if stdin {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        let cfg = open_repo(None)
            .map(|r| r.trailer_config())
            .unwrap_or_default();
        let t = trailers::parse(&buf, &cfg);
        match format {
            Format::Json => println!("{}", serde_json::to_string_pretty(&t)?),
            _ => t.iter().for_each(|t| println!("{t}")),
        }
        return Ok(0);
    }
    let repo = open_repo(None)?;
    let cfg = repo.trailer_config();
    let rev = rev.unwrap_or_else(|| "HEAD".into());
    let ids = if rev.contains("..") {
        repo.range(&rev)?
    } else {
        vec![repo.commit_id(&rev)?]
    };
    let mut docs = Vec::new();
    for id in ids {
        let f = repo.facts(id, false)?;
        let t = trailers::parse_str(&f.message, &cfg);
        match format {
            Format::Json => docs.push(serde_json::json!({"commit": f.id, "trailers": t})),
            _ => {
                if rev.contains("..") {
                    println!("commit {}", f.id);
                }
                t.iter().for_each(|t| println!("{t}"));
            }
        }
    }
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&docs)?);
    }
    Ok(0)
}

fn explain(what: &str, branch: Option<&str>) -> Result<i32> {
    if let Some(rule) = Rule::lookup(what).filter(|_| {
        what.to_ascii_lowercase().starts_with("aig") || !what.chars().all(|c| c.is_ascii_hexdigit())
    }) {
        println!(
            "{} {}: {}\n\n{}",
            rule.id(),
            rule.name(),
            rule.summary(),
            rule.long()
        );
        return Ok(0);
    }
    let repo = open_repo(None).with_context(|| format!("`{what}` is not a rule id (AIG001..AIG008) and there is no repository to find a commit in"))?;
    let rules = engine::rules_for_worktree(&repo, None)?;
    let id = repo
        .commit_id(what)
        .with_context(|| format!("`{what}` is neither a rule (AIG001..AIG008) nor a commit"))?;
    let refname = target_ref(&repo, branch, &rules.policy);
    let facts = repo.facts(id, true)?;
    let v = rules.judge(
        &facts,
        &Target {
            refname: &refname,
            push_exemptions: &[],
            now: now(),
        },
    );
    println!("commit {}  {}", short(&v.commit), v.summary);
    println!("author {}", v.author);
    println!(
        "target {} ({}; policy {})",
        refname,
        if rules.policy.is_protected(&refname) {
            "protected"
        } else {
            "not protected"
        },
        rules.policy.origin
    );
    println!("AI-assisted: {}", if v.ai_assisted { "yes" } else { "no" });
    for e in &v.evidence {
        println!("  evidence  {:<12} {:?}: {}", e.tool, e.source, e.text);
    }
    for a in &v.attested {
        let extra = [
            a.version.as_deref().map(|v| format!("version {v}")),
            a.model.as_deref().map(|m| format!("model {m}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        println!(
            "  attested  {:<12} {}{}",
            a.tool,
            if a.known { "" } else { "(not in the catalog) " },
            extra
        );
    }
    for r in &v.reviews {
        println!(
            "  review    {} ({})",
            r.text,
            if r.counts { "counts" } else { "does not count" }
        );
    }
    if v.reviews_required > 0 {
        println!("  reviews required: {}", v.reviews_required);
    }
    for e in &v.exemptions {
        println!(
            "  exemption {} covers {} (ticket {})",
            e.id, e.tool, e.ticket
        );
    }
    if v.findings.is_empty() {
        println!("no findings");
    }
    for f in &v.findings {
        println!("{} {}: {}\n  fix: {}", f.rule, f.name, f.message, f.fix);
    }
    Ok(if v.passed() { 0 } else { 1 })
}

fn policy_check(file: Option<&Path>) -> Result<i32> {
    let policy = match file {
        Some(f) => engine::policy_from_file(f),
        None => match open_repo(None) {
            Ok(r) => engine::rules_for_worktree(&r, None).map(|r| r.policy),
            Err(_) => Ok(Policy::builtin()?),
        },
    };
    match policy {
        Ok(p) => {
            println!("{}", p.describe());
            Ok(0)
        }
        Err(e) => {
            eprintln!("{e:#}");
            Ok(2)
        }
    }
}

fn init(force: bool) -> Result<i32> {
    let repo = open_repo(None)?;
    let Some(top) = repo.workdir() else {
        bail!("`aigate init` needs a work tree; on a server set git config aigate.policy")
    };
    let path = top.join(engine::POLICY_FILE);
    if path.exists() && !force {
        bail!("{} exists; use --force to overwrite it", path.display());
    }
    std::fs::write(&path, STARTER_POLICY)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("aigate: wrote {}. Review it, then commit it: git add .aigate.toml && git commit -m \"Add aigate policy\"", path.display());
    Ok(0)
}

fn catalog() -> Result<i32> {
    let c = Catalog::builtin()?;
    for t in c.tools() {
        println!("{:<12} {}", t.id, t.name);
    }
    println!("\nrules:");
    for r in ALL {
        println!("{} {:<22} {}", r.id(), r.name(), r.summary());
    }
    Ok(0)
}

fn install_cmd(dir: Option<&Path>, server: bool, per_ref: bool) -> Result<i32> {
    let repo = open_repo(dir)?;
    let bin = std::env::current_exe().context("cannot find the aigate binary's own path")?;
    let bin = bin.canonicalize().unwrap_or(bin);
    let hooks: Vec<&str> = if server {
        vec![if per_ref { "update" } else { "pre-receive" }]
    } else {
        install::CLIENT_HOOKS.to_vec()
    };
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
        if repo.config_string("aigate.auditLog").is_none() {
            let log = repo.git.path().join("aigate-audit.jsonl");
            cfg.set_str("aigate.auditLog", &log.display().to_string())?;
            println!(
                "aigate: audit log: {} (git config aigate.auditLog)",
                log.display()
            );
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

/// `14d` or `14` → 14.
fn parse_days(s: &str) -> Result<i64> {
    s.trim()
        .trim_end_matches('d')
        .parse::<i64>()
        .with_context(|| format!("`{s}` is not a number of days like 14d"))
}

fn today() -> String {
    rfc3339(now())[..10].to_string()
}

/// `YYYY-MM-DD`, or `30d` meaning that many days from today.
fn date_arg(s: &str) -> Result<String> {
    if day_start(s).is_some() {
        return Ok(s.to_string());
    }
    let days = parse_days(s)
        .with_context(|| format!("`{s}` is neither a date (YYYY-MM-DD) nor a duration (30d)"))?;
    Ok(rfc3339(now() + days * 86_400)[..10].to_string())
}

fn git_user(repo: Option<&Repo>) -> String {
    let sig = repo.and_then(|r| r.git.signature().ok());
    match sig {
        Some(s) => format!("{} <{}>", s.name().unwrap_or("?"), s.email().unwrap_or("?")),
        None => std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    }
}

fn exemptions_path(repo: Option<&Repo>, file: Option<&Path>) -> Result<PathBuf> {
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

fn load_exemptions(
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

fn status(e: &aigate::exemptions::Exemption, now: i64) -> &'static str {
    if e.record.revoked.is_some() {
        "revoked"
    } else if now < e.valid_from {
        "not yet valid"
    } else if now >= e.valid_until {
        "expired"
    } else {
        "active"
    }
}

fn exemption_cmd(cmd: ExemptionCmd, file: Option<&Path>) -> Result<i32> {
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
            let expires = date_arg(&expires)?;
            if day_start(&expires) < day_start(&not_before) {
                bail!("--expires {expires} is before --not-before {not_before}");
            }
            if day_start(&expires).unwrap_or(0) + 86_400 <= now {
                bail!("--expires {expires} is in the past");
            }
            let record = Record {
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
            println!("aigate: granted {id} in {}", shown.display());
            println!("next: commit it and have it reviewed and merged like any change; it takes effect once it is on the protected branch:");
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
            let (ex, _) = load_exemptions(repo.as_ref(), &path)?;
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
                println!("{}", serde_json::to_string_pretty(&docs)?);
            } else {
                if chosen.is_empty() {
                    println!("no exemptions match ({})", path.display());
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
        ExemptionCmd::Show { id } => {
            let (ex, _) = load_exemptions(repo.as_ref(), &path)?;
            let Some(e) = ex.get(&id) else {
                bail!("no exemption `{id}` in {}", path.display())
            };
            let r = &e.record;
            println!("{}  ({})", r.id, status(e, now));
            println!("tools:       {}", r.tools.join(", "));
            println!("branches:    {}", r.branches.join(", "));
            println!("paths:       {}", r.paths.join(", "));
            if !r.authors.is_empty() {
                println!("authors:     {}", r.authors.join(", "));
            }
            println!("approved by: {}", r.approved_by);
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

#[allow(clippy::too_many_arguments)]
fn audit_cmd(
    range: Option<String>,
    branch: Option<String>,
    since: Option<String>,
    until: Option<String>,
    format: Format,
    policy: Option<&Path>,
    expiring: &str,
) -> Result<i32> {
    use std::io::IsTerminal;
    // libgit2's object cache is capped per repository handle (one per worker) so memory stays
    // flat however long the history (by default each may grow to 256 MiB); the blast radius's
    // trees rarely repeat, and 8 MiB was as fast as 32 MiB at 100,000 commits. Commits are
    // read once each (aigate::history), so caching them would only cost an insert and an
    // eviction per commit.
    // SAFETY: set before any repository is opened, from this one thread.
    unsafe {
        let _ = git2::opts::set_cache_max_size(8 * 1024 * 1024);
        let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 0);
        // Pack files are read through memory-mapped windows that count as resident memory;
        // by default libgit2 maps up to 8 GiB in 1 GiB windows, so a whole-history audit
        // ended up holding the whole pack (516 MB at 1,000,000 commits). Smaller windows
        // under a cap keep that part flat.
        let _ = git2::opts::set_mwindow_size(32 * 1024 * 1024);
        let _ = git2::opts::set_mwindow_mapped_limit(128 * 1024 * 1024);
    }
    let repo = open_repo(None)?;
    let rules = engine::rules_for_worktree(&repo, policy)?;
    let refname = target_ref(&repo, branch.as_deref(), &rules.policy);
    let spec = range.unwrap_or_else(|| {
        branch
            .as_deref()
            .map(full_ref)
            .unwrap_or_else(|| "HEAD".into())
    });
    let since = since
        .as_deref()
        .map(|d| day_start(d).with_context(|| format!("--since `{d}` is not a date (YYYY-MM-DD)")))
        .transpose()?;
    let until = until
        .as_deref()
        .map(|d| {
            day_start(d)
                .map(|t| t + 86_400)
                .with_context(|| format!("--until `{d}` is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    let days = parse_days(expiring)?;
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink: Box<dyn Sink> = match format {
        Format::Json => Box::new(aigate::audit::Json(out, 0)),
        Format::Csv => Box::new(aigate::audit::Csv::new(out)),
        Format::Markdown => Box::new(aigate::audit::Markdown(out, false)),
        Format::Sarif => Box::new(aigate::audit::Sarif::new(out, engine::POLICY_FILE)?),
        _ => Box::new(aigate::audit::Table(out, false)),
    };
    let paths =
        rules.policy.needs_paths() || !rules.exemptions.list.is_empty() || format == Format::Sarif;
    let progress = if std::io::stderr().is_terminal() {
        let p = indicatif::ProgressBar::new_spinner();
        p.set_style(
            indicatif::ProgressStyle::with_template("{spinner} audited {pos} commits ({per_sec})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Some(p)
    } else {
        None
    };
    let mut summary = aigate::audit::Summary::default();
    // The walk stays on this thread; reading and judging commits is spread over worker threads,
    // each with its own repository handle; rows are written in walk order. Bounded channels
    // keep memory flat however long the history.
    enum Out {
        Outside,
        Human,
        Ai(Box<aigate::audit::Row>),
    }
    // One more worker than cores: libgit2 serialises parts of object reading behind locks, and
    // a worker waiting there leaves its core to another (measured: 2 cores, 3 workers ~15%
    // faster than 2).
    let workers = std::thread::available_parallelism()
        .map(|n| n.get() + 1)
        .unwrap_or(1)
        .clamp(1, 9);
    let git_dir = repo.git.path().to_path_buf();
    let git_dir = &git_dir;
    let walk_error: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let walk_error_ref = &walk_error;
    let spec = &spec;
    const CHUNK: usize = 256;
    let result: Result<()> = std::thread::scope(|scope| {
        let (res_tx, res_rx) =
            std::sync::mpsc::sync_channel::<Result<(u64, Vec<Out>)>>(workers * 2);
        let mut job_txs = Vec::new();
        for _ in 0..workers {
            let (job_tx, job_rx) =
                std::sync::mpsc::sync_channel::<(u64, Vec<aigate::history::RawEntry>)>(2);
            job_txs.push(job_tx);
            let res_tx = res_tx.clone();
            let (rules, refname) = (&rules, &refname);
            scope.spawn(move || {
                let repo = match Repo::open(git_dir) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = res_tx.send(Err(e));
                        return;
                    }
                };
                let odb = match repo.git.odb() {
                    Ok(o) => o,
                    Err(e) => {
                        let _ = res_tx.send(Err(e.into()));
                        return;
                    }
                };
                for (seq, ids) in job_rx {
                    let outs: Result<Vec<Out>> = ids
                        .into_iter()
                        .map(|(id, data)| {
                            let facts = match data {
                                Some(d) => aigate::repo::facts_of(id, &d)?,
                                None => aigate::repo::facts_of(
                                    id,
                                    aigate::repo::read_commit(&odb, id)?.data(),
                                )?,
                            };
                            if since.is_some_and(|s| facts.time < s)
                                || until.is_some_and(|u| facts.time >= u)
                            {
                                return Ok(Out::Outside);
                            }
                            // The decision time of an audit is the commit's own time.
                            let target = Target {
                                refname,
                                push_exemptions: &[],
                                now: facts.time,
                            };
                            let v = rules.judge(&facts, &target);
                            if !v.ai_assisted {
                                return Ok(Out::Human);
                            }
                            let (facts, v) = rules.finish(&repo, id, facts, v, &target, paths)?;
                            Ok(Out::Ai(Box::new(aigate::audit::Row::new(&facts, &v))))
                        })
                        .collect();
                    if res_tx.send(outs.map(|o| (seq, o))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        // Feed chunks round-robin from a producer thread, so this thread can write rows.
        let producer = scope.spawn(move || {
            let walk_repo = match Repo::open(git_dir) {
                Ok(r) => r,
                Err(e) => {
                    *walk_error_ref.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return;
                }
            };
            let walk = match aigate::history::walk(&walk_repo, spec) {
                Ok(w) => w,
                Err(e) => {
                    *walk_error_ref.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return;
                }
            };
            let mut chunk = Vec::with_capacity(CHUNK);
            let mut seq = 0u64;
            for entry in walk {
                match entry {
                    Ok(entry) => chunk.push(entry),
                    Err(e) => {
                        *walk_error_ref.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        break;
                    }
                }
                if chunk.len() == CHUNK {
                    let w = (seq as usize) % job_txs.len();
                    if job_txs[w].send((seq, std::mem::take(&mut chunk))).is_err() {
                        return;
                    }
                    seq += 1;
                }
            }
            if !chunk.is_empty() {
                let w = (seq as usize) % job_txs.len();
                let _ = job_txs[w].send((seq, chunk));
            }
        });
        let mut next = 0u64;
        let mut pending: std::collections::BTreeMap<u64, Vec<Out>> =
            std::collections::BTreeMap::new();
        let mut n = 0u64;
        for msg in res_rx {
            let (seq, outs) = msg?;
            pending.insert(seq, outs);
            while let Some(outs) = pending.remove(&next) {
                next += 1;
                for o in outs {
                    n += 1;
                    match o {
                        Out::Outside => {}
                        Out::Human => summary.add_commit(),
                        Out::Ai(row) => {
                            summary.add_commit();
                            summary.add(&row);
                            sink.row(&row)?;
                        }
                    }
                }
                if let Some(p) = &progress {
                    p.set_position(n);
                }
            }
        }
        let _ = producer.join();
        Ok(())
    });
    result?;
    if let Some(e) = walk_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    summary.finish(&rules.exemptions, now(), days);
    sink.end(&summary)?;
    Ok(0)
}
