//! The command line's shape: every command, option and help text (clap derive). Parsing only;
//! the commands themselves live one per file beside this one.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "aigate",
    version,
    about = "Lets AI-assisted commits into protected branches only with an attestation and a human review"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
    /// Colour in human output: auto (a terminal, and NO_COLOR unset), always or never
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Leave out advice that refuses nothing (also AIGATE_QUIET=1, for hooks)
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Text,
    Table,
    Json,
    Csv,
    Markdown,
    Sarif,
    Html,
}

/// A `--format` that takes (and `--help` lists) only the formats its command writes.
fn formats(ok: &'static [Format]) -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(ok.iter().filter_map(|f| f.to_possible_value())).map(
        move |name: String| {
            ok.iter()
                .copied()
                .find(|f| {
                    f.to_possible_value()
                        .is_some_and(|v| v.matches(&name, false))
                })
                .unwrap_or(ok[0])
        },
    )
}

/// `init --preset`: the published policies by name (so shells complete them).
fn presets() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(aigate::policy::PRESETS.iter().map(|(n, _)| *n))
}

const HUMAN_JSON: &[Format] = &[Format::Human, Format::Json];

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum By {
    Month,
    Week,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum TeamsFrom {
    /// The policy's [teams]: globs on author emails
    Policy,
    /// CODEOWNERS at the audited revision: the owners of the paths each commit changed
    Codeowners,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
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
        /// Output: human, json or sarif
        #[arg(long, default_value = "human", value_parser = formats(&[Format::Human, Format::Json, Format::Sarif]))]
        format: Format,
        /// Policy file (default: .aigate.toml at the top of the work tree, else built-in)
        #[arg(long, conflicts_with = "rules_from")]
        policy: Option<PathBuf>,
        /// Read the rules (.aigate.toml, exemptions, allowed signers) at this revision, e.g.
        /// the base of a pull request or a push event's `before`, never from the commits being
        /// judged. An all-zero or missing revision (a new branch, a force push) reads the
        /// remote's branch or default branch as it was before the push, skipping any that
        /// holds the judged commits; with none left, check fails (exit 2)
        #[arg(long, value_name = "REV")]
        rules_from: Option<String>,
    },
    /// Print trailers exactly as `git interpret-trailers --parse` would
    Trailers {
        /// A commit, or a range A..B (default HEAD)
        rev: Option<String>,
        /// Read one message from standard input
        #[arg(long, conflicts_with = "rev")]
        stdin: bool,
        /// Output: text (as git interpret-trailers prints) or json
        #[arg(long, default_value = "text", value_parser = formats(&[Format::Text, Format::Json]))]
        format: Format,
    },
    /// Approve, as a reviewer, exactly the change you reviewed for one branch (its base and
    /// head: a squash, rebase or merge of it lands covered): signs a statement with your SSH
    /// key (git's user.signingKey) and stores it in refs/aigate/approvals
    Approve {
        /// A commit, or a range A..B (default HEAD)
        rev: Option<String>,
        /// The branch the commits go to (default: CI's target, else the current branch)
        #[arg(long, value_name = "REF")]
        into: Option<String>,
        /// Fetch the remote's approvals, add this one on top and push them (e.g. origin)
        #[arg(long, value_name = "REMOTE")]
        push: Option<String>,
        /// The SSH key to sign with (default: git config user.signingKey)
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// Sign even an approval that counts for nothing (an unprotected --into, your own
        /// commit, one you already approved)
        #[arg(long)]
        force: bool,
        /// Attest a forge's review event (a bridge in CI): GitHub/Gitea/Forgejo Actions'
        /// pull_request_review payload ($GITHUB_EVENT_PATH) or GitLab's merge request webhook
        #[arg(long, value_name = "FILE", conflicts_with = "rev")]
        forge_event: Option<PathBuf>,
        /// The forge that sent --forge-event (default: read from the event)
        #[arg(long, value_parser = ["github", "gitea", "forgejo", "gitlab"], requires = "forge_event")]
        forge: Option<String>,
        /// The principal you sign as (default: git config user.email)
        #[arg(long = "as", value_name = "EMAIL")]
        signer: Option<String>,
    },
    /// List the approvals of a commit or range: who approved it for which branch, verified
    /// against the trust root or why not
    Approvals {
        /// A commit, or a range A..B (default HEAD)
        rev: Option<String>,
        /// The branch whose trust root to verify against (default: the current branch)
        #[arg(long, value_name = "REF")]
        into: Option<String>,
        /// Output: human, or json
        #[arg(long, default_value = "human", value_parser = formats(HUMAN_JSON))]
        format: Format,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): aigate man > aigate.1
    Man,
    /// Explain a commit (evidence, attestation, reviews, findings) or a rule (AIG004)
    Explain {
        /// A commit (HEAD, an id) or a rule (AIG004, missing-review)
        what: String,
        /// The branch the commit is going to (default: CI's target, else the current one)
        #[arg(long)]
        branch: Option<String>,
        /// Policy file (default: as `aigate audit` chooses)
        #[arg(long, conflicts_with = "rules_from")]
        policy: Option<PathBuf>,
        /// Read the rules at this revision
        #[arg(long, value_name = "REV")]
        rules_from: Option<String>,
        /// Output: human, or json (for a commit, the commit verdict of `check --format json`)
        #[arg(long, default_value = "human", value_parser = formats(HUMAN_JSON))]
        format: Format,
    },
    /// Policy commands
    Policy {
        #[command(subcommand)]
        cmd: PolicyCmd,
    },
    /// Write a commented policy to .aigate.toml (the starter, or a project's published one)
    Init {
        /// Overwrite an existing .aigate.toml
        #[arg(long)]
        force: bool,
        /// A published project policy: starter (default), kernel, fedora, llvm, qemu (no AI)
        #[arg(long, value_name = "NAME", default_value = "starter", value_parser = presets())]
        preset: String,
    },
    /// List the AI tools aigate knows (id, category, name, the aliases attestations may use)
    /// and the evidence rules that find them
    Catalog {
        /// Output: human, or json
        #[arg(long, default_value = "human", value_parser = formats(HUMAN_JSON))]
        format: Format,
    },
    /// Run as a git hook (called by the scripts `aigate install` writes)
    Hook {
        #[command(subcommand)]
        hook: HookCmd,
    },
    /// Install the hooks into a repository (client: pre-commit, prepare-commit-msg,
    /// commit-msg and pre-push; --server: pre-receive, or update with --per-ref)
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
        /// With --server: the governing ref whose rule files govern every push (default: the
        /// branch HEAD names now); recorded as git config aigate.policyRef
        #[arg(long, requires = "server", value_name = "REF")]
        policy_ref: Option<String>,
        /// With --server: the owners of the rules and their keys (git's allowed-signers
        /// format); copied into the repository's git directory as aigate.owners
        #[arg(long, requires = "server", value_name = "FILE")]
        owners: Option<PathBuf>,
        /// Install even into a hooks directory that git tracks (core.hooksPath, e.g. husky's
        /// .husky/): the hooks then name this machine's aigate path in tracked files
        #[arg(long)]
        force: bool,
    },
    /// Remove aigate's hooks and restore the ones that were there
    Uninstall {
        /// The repository (default: the one you stand in)
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Remove the server hooks (pre-receive, update) instead of the client ones
        #[arg(long)]
        server: bool,
    },
    /// Print the hook script for HOOK (for GitLab custom_hooks/pre-receive.d/ and the like)
    HookScript {
        /// commit-msg, prepare-commit-msg, pre-commit, pre-push, pre-receive or update
        hook: String,
    },
    /// Vouch, as a human, for the staged change an AI agent wants to commit
    Confirm,
    /// Show which AI agent, if any, aigate sees running this command
    Agent {
        /// Output: human, or json
        #[arg(long, default_value = "human", value_parser = formats(HUMAN_JSON))]
        format: Format,
    },
    /// Compliance exemptions: request (draft), grant, list, show, revoke
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
        /// Output: table, json, csv, markdown, sarif, or html (one self-contained page)
        #[arg(long, default_value = "table", value_parser = formats(&super::audit_report::FORMATS))]
        format: Format,
        /// Policy file (default: in a bare repository the governing rules the server hook
        /// uses; in a clone the rules of origin's protected branch; else the work tree's)
        #[arg(long, conflicts_with = "rules_from")]
        policy: Option<PathBuf>,
        /// Read the rules (.aigate.toml, exemptions, allowed signers) at this revision
        #[arg(long, value_name = "REV")]
        rules_from: Option<String>,
        /// Re-judge commits the server recorded too, and list where today's rules would
        /// decide otherwise (the record is not changed)
        #[arg(long)]
        verify: bool,
        /// Window for "exemptions expiring soon" (e.g. 14d)
        #[arg(long, default_value = "14d")]
        expiring_within: String,
        /// Adoption figures per month or per ISO week
        #[arg(long, value_enum, default_value = "month")]
        by: By,
        /// Count lines added and deleted and files changed, as git log --numstat (reads
        /// every commit's diff)
        #[arg(long)]
        lines: bool,
        /// Teams from the policy's [teams] (the default when it has one) or from CODEOWNERS
        /// (reads every commit's diff)
        #[arg(long, value_enum)]
        teams: Option<TeamsFrom>,
        /// Print the adoption figures only, not one row per AI-assisted commit
        #[arg(long)]
        figures: bool,
        /// The repository's name in the report (default: its directory's name)
        #[arg(long)]
        name: Option<String>,
        /// Merge JSON reports (aigate audit --format json) of several repositories into one
        #[arg(long, num_args = 1.., value_name = "REPORT.json", conflicts_with_all = ["range", "branch", "since", "until", "policy", "rules_from", "verify", "lines", "teams", "name"])]
        merge: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum ExemptionCmd {
    /// Draft an exemption: appends a record with a fresh id, not yet granted (where the rules
    /// have owners, it counts once an owner runs `aigate exemption grant ID`)
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
        /// Last valid day, YYYY-MM-DD, or a duration like 30d (counted from --not-before)
        #[arg(long)]
        expires: String,
        /// First valid day (default: today)
        #[arg(long)]
        not_before: Option<String>,
        /// The compliance ticket that approved it (e.g. SEC-123)
        #[arg(long)]
        ticket: String,
        /// Why the exemption is needed
        #[arg(long)]
        reason: String,
        /// Who approves it (default: git config user.name <user.email>)
        #[arg(long)]
        approved_by: Option<String>,
    },
    /// List exemptions
    List {
        /// Only exemptions that count now (granted where owners are, in their dates, not revoked)
        #[arg(long, conflicts_with_all = ["expired", "expiring_within"])]
        active: bool,
        /// Only expired exemptions
        #[arg(long, conflicts_with = "expiring_within")]
        expired: bool,
        /// Active ones expiring within this many days (e.g. 14d)
        #[arg(long)]
        expiring_within: Option<String>,
        /// Output: table or json
        #[arg(long, default_value = "table", value_parser = formats(&[Format::Table, Format::Json]))]
        format: Format,
    },
    /// Show one exemption
    Show {
        id: String,
        /// Output: human, or json
        #[arg(long, default_value = "human", value_parser = formats(HUMAN_JSON))]
        format: Format,
    },
    /// Grant an exemption, as a compliance owner: signs the record with your SSH key (git's
    /// user.signingKey); a server with owners honours only granted exemptions
    Grant {
        id: String,
        /// The SSH key to sign with (default: git config user.signingKey)
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
    },
    /// Revoke an exemption (the record is kept, marked revoked)
    Revoke {
        id: String,
        /// Why it is revoked
        #[arg(long)]
        reason: Option<String>,
        /// Who revokes it (default: git config user.name <user.email>)
        #[arg(long)]
        by: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum PolicyCmd {
    /// Validate a policy file (default .aigate.toml, else the built-in default) and print it
    Check {
        file: Option<PathBuf>,
        /// Output: human, or json
        #[arg(long, default_value = "human", value_parser = formats(HUMAN_JSON))]
        format: Format,
    },
}

#[derive(Subcommand)]
pub(crate) enum HookCmd {
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
    /// post-receive (stdin: <old> <new> <ref>): records the server's decisions of the updates
    /// that happened under refs/notes/aigate
    PostReceive,
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
