//! One small adapter per git hook protocol: commit-msg (message file), pre-push (client
//! stdin), pre-receive and update (server; authoritative, fail closed).

use crate::audit_log;
use crate::engine::{self, now};
use crate::exemptions::{rfc3339, PUSH_OPTION};
use crate::identity::Identity;
use crate::policy::Mode;
use crate::repo::{is_zero, Repo};
use crate::report::{self, RefReport};
use crate::verdict::{CommitFacts, Target};
use anyhow::{bail, Context, Result};
use git2::Oid;
use serde_json::json;
use std::path::Path;

/// Exit codes: 0 pass, 1 refused, 2 usage or internal error.
pub const PASS: i32 = 0;
pub const REFUSE: i32 = 1;

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.is_empty())
}

fn identity_from_env(kind: &str, repo: &Repo) -> Identity {
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

/// `commit-msg FILE`: judge the message about to be committed. Enforced when committing on
/// a protected branch, advice elsewhere.
pub fn commit_msg(file: &Path) -> Result<i32> {
    let repo = Repo::for_hook()?;
    let rules = engine::rules_for_worktree(&repo, None)?;
    if rules.policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let raw = std::fs::read(file)
        .with_context(|| format!("cannot read the commit message {}", file.display()))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let refname = repo.head_ref().unwrap_or_else(|| "HEAD".into());
    let agent = crate::agent::current();
    let facts = CommitFacts {
        id: "(this commit)".into(),
        message: strip_comments(&text, &rules.trailers.comment),
        author: identity_from_env("AUTHOR", &repo),
        committer: identity_from_env("COMMITTER", &repo),
        parent_count: 1,
        time: now(),
        changed_paths: None,
        extra_evidence: agent
            .iter()
            .map(|d| crate::catalog::Evidence {
                tool: d.tool.clone(),
                source: crate::catalog::EvidenceSource::Agent,
                text: d.evidence.clone(),
            })
            .collect(),
        blast: None,
    };
    // Trailers come from the raw text (the parser handles comments and scissors itself).
    let trailers = crate::trailers::parse(&raw, &rules.trailers);
    let target = Target {
        refname: &refname,
        push_exemptions: &[],
        now: now(),
    };
    let v = crate::verdict::judge(&facts, &trailers, &rules.policy, &rules.exemptions, &target);
    let protected = rules.policy.is_protected(&refname);
    let enforced = rules.policy.mode == Mode::Enforce;
    let rep = RefReport::local(&refname, protected, vec![v]);
    eprint!(
        "{}",
        report::human(
            std::slice::from_ref(&rep),
            enforced,
            "",
            &rules.policy.origin
        )
    );
    let refused = enforced && protected && rep.blocked();
    if refused {
        eprintln!("aigate: commit refused on protected branch {}. To record work before review, commit on a feature branch; pushes to {} are checked again.", refname.trim_start_matches("refs/heads/"), refname.trim_start_matches("refs/heads/"));
    }
    Ok(if refused { REFUSE } else { PASS })
}

/// The message as git will store it: comment lines dropped, cut at the scissors line.
fn strip_comments(text: &str, comment: &str) -> String {
    let scissors = format!("{comment} ------------------------ >8 ------------------------");
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim_end_matches(['\n', '\r']) == scissors {
            break;
        }
        if !line.starts_with(comment) {
            out.push_str(line);
        }
    }
    out
}

/// One line of pre-push input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushLine {
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

fn parse_push_lines(input: &str, repo: &Repo) -> Result<Vec<PushLine>> {
    // The pre-commit framework runs pre-push hooks with environment variables, not stdin.
    if let (Some(to), Some(remote_branch)) =
        (env("PRE_COMMIT_TO_REF"), env("PRE_COMMIT_REMOTE_BRANCH"))
    {
        let local_sha = repo.commit_id(&to)?.to_string();
        return Ok(vec![PushLine {
            local_sha,
            remote_ref: remote_branch,
            remote_sha: env("PRE_COMMIT_FROM_REF").unwrap_or_default(),
        }]);
    }
    parse_pre_push_input(input)
}

/// Parses git's pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>` lines.
pub fn parse_pre_push_input(input: &str) -> Result<Vec<PushLine>> {
    hook_lines(
        input,
        4,
        "pre-push",
        "<local ref> <local sha> <remote ref> <remote sha>",
    )?
    .into_iter()
    .map(|f| {
        full_oid(f[1])?;
        full_oid(f[3])?;
        Ok(PushLine {
            local_sha: f[1].into(),
            remote_ref: f[2].into(),
            remote_sha: f[3].into(),
        })
    })
    .collect()
}

/// The non-blank lines of a hook's input, each split into exactly `n` fields.
fn hook_lines<'a>(input: &'a str, n: usize, hook: &str, form: &str) -> Result<Vec<Vec<&'a str>>> {
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
fn full_oid(s: &str) -> Result<Oid> {
    if !matches!(s.len(), 40 | 64) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("`{s}` is not a full object id");
    }
    oid(s)
}

fn oid(s: &str) -> Result<Oid> {
    Oid::from_str(s).with_context(|| format!("`{s}` is not an object id"))
}

/// `pre-push REMOTE URL`: judge every commit that would become reachable from a protected
/// branch of that remote for the first time.
pub fn pre_push(remote: &str, _url: &str, input: &str) -> Result<i32> {
    let repo = Repo::for_hook()?;
    let rules = engine::rules_for_worktree(&repo, None)?;
    if rules.policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let lines = parse_push_lines(input, &repo)?;
    // What the remote already has on protected branches, as far as this clone knows.
    let tracking = format!("refs/remotes/{remote}/");
    let mut hide: Vec<Oid> = repo
        .refs_where(|name| {
            name.strip_prefix(&tracking)
                .is_some_and(|b| rules.policy.is_protected(&format!("refs/heads/{b}")))
        })?
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    for l in &lines {
        if rules.policy.is_protected(&l.remote_ref) && !is_zero(&l.remote_sha) {
            if let Ok(id) = oid(&l.remote_sha) {
                hide.push(id);
            }
        }
    }
    let mut reports = Vec::new();
    for l in &lines {
        let protected = rules.policy.is_protected(&l.remote_ref);
        let mut rep = RefReport {
            refname: l.remote_ref.clone(),
            protected,
            old: Some(l.remote_sha.clone()),
            new: Some(l.local_sha.clone()),
            refusal: None,
            commits: vec![],
        };
        if is_zero(&l.local_sha) {
            if protected && !rules.policy.allow_deletion {
                rep.refusal = Some("deleting a protected branch is not allowed by the policy (branches.allow_deletion)".into());
            }
        } else {
            let Some(tip) = repo.peel_to_commit(oid(&l.local_sha)?)? else {
                continue;
            };
            let ids = repo.new_commits(&[tip], &hide)?;
            let target = Target {
                refname: &l.remote_ref,
                push_exemptions: &[],
                now: now(),
            };
            rep.commits = rules.judge_ids(&repo, &ids, &target)?;
        }
        reports.push(rep);
    }
    let enforced = rules.policy.mode == Mode::Enforce;
    eprint!(
        "{}",
        report::human(&reports, enforced, "", &rules.policy.origin)
    );
    let refused = enforced && reports.iter().any(|r| r.protected && r.blocked());
    if refused {
        eprintln!("aigate: push refused; nothing was sent.");
    }
    Ok(if refused { REFUSE } else { PASS })
}

/// One ref update a server is asked to make.
#[derive(Debug, Clone)]
pub struct Update {
    pub old: String,
    pub new: String,
    pub refname: String,
}

pub fn parse_receive_lines(input: &str) -> Result<Vec<Update>> {
    hook_lines(input, 3, "pre-receive", "<old> <new> <ref>")?
        .into_iter()
        .map(|f| {
            full_oid(f[0])?;
            full_oid(f[1])?;
            Ok(Update {
                old: f[0].into(),
                new: f[1].into(),
                refname: f[2].into(),
            })
        })
        .collect()
}

/// Who is pushing, from what the git server tells hooks.
pub fn pusher() -> String {
    if let Some(u) = env("GL_USERNAME") {
        return format!("gitlab:{u}");
    }
    if let Some(u) = env("GITHUB_USER_LOGIN") {
        return format!("github:{u}");
    }
    if let Some(u) = env("REMOTE_USER") {
        return format!("http:{u}");
    }
    if let Some(u) = env("GIT_PUSH_CERT_SIGNER") {
        return format!("cert:{u}");
    }
    match env("USER").or_else(|| env("LOGNAME")) {
        Some(u) => format!("local:{u}"),
        None => "unknown".into(),
    }
}

/// `git push -o aigate.exemption=ID` values.
pub fn push_exemptions() -> Vec<String> {
    let n: usize = env("GIT_PUSH_OPTION_COUNT")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (0..n)
        .filter_map(|i| env(&format!("GIT_PUSH_OPTION_{i}")))
        .filter_map(|o| {
            o.strip_prefix(&format!("{PUSH_OPTION}="))
                .map(|v| v.trim().to_string())
        })
        .filter(|v| !v.is_empty())
        .collect()
}

fn gitlab() -> bool {
    env("GL_ID").is_some() || env("GL_USERNAME").is_some() || env("GL_PROTOCOL").is_some()
}

/// Server side, for pre-receive and update: judge every update, print, log, decide.
/// Any error refuses (fail closed).
pub fn server(updates: &[Update]) -> i32 {
    let prefix = if gitlab() { "GL-HOOK-ERR: " } else { "" };
    let result = std::panic::catch_unwind(|| server_inner(updates, prefix));
    match result {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            fail_closed(prefix, &format!("{e:#}"), updates);
            REFUSE
        }
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            fail_closed(prefix, &format!("internal error (panic): {msg}"), updates);
            REFUSE
        }
    }
}

fn fail_closed(prefix: &str, why: &str, updates: &[Update]) {
    for l in why.lines() {
        eprintln!("{prefix}aigate: {l}");
    }
    eprintln!(
        "{prefix}aigate: push refused: the guard could not decide, and it never accepts on error."
    );
    eprintln!("{prefix}aigate: ask the administrators of this git server to check aigate's policy and logs.");
    // Best effort: record the failed decision too.
    if let Ok(repo) = Repo::from_env() {
        if let Some(path) = repo.config_string("aigate.auditLog") {
            let lines: Vec<String> = updates
                .iter()
                .map(|u| json!({"time": rfc3339(now()), "pusher": pusher(), "ref": u.refname, "old": u.old, "new": u.new, "decision": "error", "push": "refused", "error": why}).to_string())
                .collect();
            let _ = audit_log::append(Path::new(&path), &lines);
        }
    }
}

fn server_inner(updates: &[Update], prefix: &str) -> Result<i32> {
    let repo = Repo::from_env()?;
    let default_tip = match repo.head_ref() {
        Some(h) => repo.git.refname_to_id(&h).ok(),
        None => None,
    };
    let opts = push_exemptions();
    let pusher = pusher();
    let time = now();
    let mut reports: Vec<RefReport> = Vec::new();
    let timings = std::env::var_os("AIGATE_TIMINGS").is_some();
    let (mut t_policy, mut t_find, mut t_judge) = (0u128, 0u128, 0u128);
    let mut enforced_any = false;
    let mut origin = String::new();
    for u in updates {
        let old = oid(&u.old)?;
        let new = oid(&u.new)?;
        // Policy from accepted state: this branch's current tip, else the default branch.
        let t0 = std::time::Instant::now();
        let at = if is_zero(&u.old) {
            default_tip
        } else {
            repo.peel_to_commit(old)?.or(default_tip)
        };
        let mut rules = engine::rules_at(&repo, at)?;
        if rules.policy.origin.starts_with("built-in") && at != default_tip {
            rules = engine::rules_at(&repo, default_tip)?;
        }
        origin = rules.policy.origin.clone();
        t_policy += t0.elapsed().as_micros();
        // A push to a symbolic ref (refs/heads/trunk -> main) moves its target: both count.
        let target_name = repo.resolve_symref(&u.refname);
        let protected = (rules.policy.is_protected(&u.refname)
            || rules.policy.is_protected(&target_name))
            && rules.policy.mode != Mode::Off;
        let judged_ref = if rules.policy.is_protected(&u.refname) {
            u.refname.clone()
        } else {
            target_name.clone()
        };
        enforced_any |= protected && rules.policy.mode == Mode::Enforce;
        let mut rep = RefReport {
            refname: u.refname.clone(),
            protected,
            old: Some(u.old.clone()),
            new: Some(u.new.clone()),
            refusal: None,
            commits: vec![],
        };
        if rules.policy.mode == Mode::Off {
            reports.push(rep);
            continue;
        }
        if is_zero(&u.new) {
            if protected && !rules.policy.allow_deletion {
                rep.refusal = Some("deleting a protected branch is not allowed (policy branches.allow_deletion = false)".into());
            }
            reports.push(rep);
            continue;
        }
        let Some(tip) = repo.peel_to_commit(new)? else {
            reports.push(rep); // a tag of a tree or blob brings no commits
            continue;
        };
        // New to the protected set: not reachable from any protected ref's current tip.
        let hide: Vec<Oid> = repo
            .refs_where(|n| rules.policy.is_protected(n))?
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        let t1 = std::time::Instant::now();
        let ids = repo.new_commits(&[tip], &hide)?;
        t_find += t1.elapsed().as_micros();
        if protected && !is_zero(&u.old) && !rules.policy.allow_force_push {
            if let Some(old_c) = repo.peel_to_commit(old)? {
                if u.refname.starts_with("refs/heads/")
                    && !repo.is_ancestor_among(old_c, tip, &ids)?
                {
                    rep.refusal = Some("non-fast-forward update of a protected branch is not allowed (policy branches.allow_force_push = false)".into());
                }
            }
        }
        let t2 = std::time::Instant::now();
        let target = Target {
            refname: &judged_ref,
            push_exemptions: &opts,
            now: time,
        };
        rep.commits = rules.judge_ids(&repo, &ids, &target)?;
        t_judge += t2.elapsed().as_micros();
        reports.push(rep);
    }
    let refused = reports.iter().any(|r| r.protected && r.blocked());
    // Advice for unprotected refs is printed but never refuses.
    let t3 = std::time::Instant::now();
    eprint!("{}", report::human(&reports, enforced_any, prefix, &origin));
    let t_report = t3.elapsed().as_micros();
    if timings {
        let n: usize = reports.iter().map(|r| r.commits.len()).sum();
        eprintln!("aigate: timings: policy {t_policy}us, find {t_find}us ({n} commits), judge {t_judge}us, report {t_report}us");
    }
    if refused {
        eprintln!("{prefix}aigate: push refused (pusher: {pusher}).");
    }

    if let Some(path) = repo.config_string("aigate.auditLog") {
        let lines: Vec<String> = reports
            .iter()
            .map(|r| {
                let decision = if !r.protected { "advisory" } else if r.blocked() { "refused" } else { "accepted" };
                json!({
                    "time": rfc3339(time),
                    "pusher": pusher,
                    "ref": r.refname,
                    "old": r.old,
                    "new": r.new,
                    "protected": r.protected,
                    "decision": decision,
                    "push": if refused { "refused" } else { "accepted" },
                    "refusal": r.refusal,
                    "push_options": opts,
                    "policy": origin,
                    "commits": r.commits.iter().map(|c| json!({
                        "commit": c.commit,
                        "author": c.author.to_string(),
                        "ai_assisted": c.ai_assisted,
                        "tools": c.tools(),
                        "attested": c.attested,
                        "reviewers": c.reviews.iter().filter(|x| x.counts).filter_map(|x| x.reviewer.as_ref().map(|i| i.to_string())).collect::<Vec<_>>(),
                        "exemptions": c.exemptions,
                        "findings": c.findings.iter().map(|f| json!({"rule": f.rule.id(), "message": f.message})).collect::<Vec<_>>(),
                        "verdict": if c.passed() { "pass" } else { "fail" },
                    })).collect::<Vec<_>>(),
                })
                .to_string()
            })
            .collect();
        if let Err(e) = audit_log::append(Path::new(&path), &lines) {
            let required = repo.config_bool("aigate.auditLogRequired").unwrap_or(true);
            if required {
                bail!("{e:#}\nthe audit log must be written before a push is accepted (git config aigate.auditLogRequired false to relax)");
            }
            eprintln!("{prefix}aigate: warning: {e:#}");
        }
    }
    Ok(if refused { REFUSE } else { PASS })
}

/// `prepare-commit-msg FILE [SOURCE [SHA]]`: when an AI agent is running `git commit`, add
/// `Assisted-by: TOOL` (policy agents.attestation = "add"), never twice, never on merges or when
/// the message already has an attestation; with "require", refuse instead.
pub fn prepare_commit_msg(file: &Path, source: Option<&str>) -> Result<i32> {
    let Some(agent) = crate::agent::current() else {
        return Ok(PASS);
    };
    if matches!(source, Some("merge") | Some("squash")) {
        return Ok(PASS);
    }
    let repo = Repo::for_hook()?;
    let policy = engine::worktree_policy(&repo, None)?;
    if policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let raw = std::fs::read(file)
        .with_context(|| format!("cannot read the commit message {}", file.display()))?;
    let cfg = repo.trailer_config();
    let trailers = crate::trailers::parse(&raw, &cfg);
    if trailers.iter().any(|t| policy.is_attestation_key(&t.key)) {
        return Ok(PASS);
    }
    let key = &policy.attestation_trailers[0];
    match policy.agents.attestation {
        crate::policy::AttestationMode::Off => Ok(PASS),
        crate::policy::AttestationMode::Require => {
            eprintln!(
                "aigate: {} is committing ({}), and the policy requires an attestation.",
                agent.tool, agent.evidence
            );
            eprintln!("  fix: git commit --trailer \"{key}: {}\"", agent.tool);
            Ok(REFUSE)
        }
        crate::policy::AttestationMode::Add => {
            // git places the trailer itself, by its own rules (comments, scissors, blank lines).
            let status = std::process::Command::new("git")
                .args([
                    "interpret-trailers",
                    "--in-place",
                    "--no-divider",
                    "--trailer",
                ])
                .arg(format!("{key}: {}", agent.tool))
                .arg(file)
                .status()
                .context("cannot run git interpret-trailers")?;
            if !status.success() {
                bail!(
                    "git interpret-trailers could not add the attestation to {}",
                    file.display()
                );
            }
            eprintln!(
                "aigate: {} is committing ({}): added `{key}: {}`",
                agent.tool, agent.evidence, agent.tool
            );
            Ok(PASS)
        }
    }
}

fn confirm_file(repo: &Repo) -> std::path::PathBuf {
    repo.git.path().join("aigate-confirmed")
}

/// The id of the tree the index would commit.
fn staged_tree(repo: &Repo) -> Result<String> {
    let mut index = repo.git.index().context("cannot read the index")?;
    Ok(index
        .write_tree()
        .context("cannot compute the staged tree")?
        .to_string())
}

/// `pre-commit`: an AI agent may not commit directly on a protected branch (unless the policy
/// allows it), and a change over the blast-radius limits waits for a human's `aigate confirm`.
pub fn pre_commit() -> Result<i32> {
    let Some(agent) = crate::agent::current() else {
        return Ok(PASS);
    };
    let repo = Repo::for_hook()?;
    let policy = engine::worktree_policy(&repo, None)?;
    if policy.mode == Mode::Off {
        return Ok(PASS);
    }
    let enforce = policy.mode == Mode::Enforce;
    let branch = repo.head_ref().unwrap_or_else(|| "HEAD".into());
    let short = branch.trim_start_matches("refs/heads/");
    if policy.is_protected(&branch) && !policy.agents.allow_on_protected {
        eprintln!(
            "aigate: {} is committing directly on protected branch {short} ({}).",
            agent.tool, agent.evidence
        );
        eprintln!(
            "  fix: git switch -c {}/change   (commit on a branch; {short} takes reviewed changes)",
            agent.tool
        );
        if enforce {
            return Ok(REFUSE);
        }
    }
    let blast = repo.blast_of_index(&policy)?;
    if let Some(why) = policy.blast_exceeded(&blast) {
        let tree = staged_tree(&repo)?;
        let confirmed =
            std::fs::read_to_string(confirm_file(&repo)).is_ok_and(|t| t.trim() == tree);
        if confirmed {
            let _ = std::fs::remove_file(confirm_file(&repo));
            eprintln!(
                "aigate: large change by {} confirmed by a human: {why}",
                agent.tool
            );
            return Ok(PASS);
        }
        eprintln!(
            "aigate: {} is committing a large change: {why} (agents.blast_radius).",
            agent.tool
        );
        eprintln!("  a human must look at it first: run `aigate confirm` in your own terminal, then commit again");
        if enforce {
            return Ok(REFUSE);
        }
    }
    Ok(PASS)
}

/// `aigate confirm`: a human vouches for the staged change an agent wants to commit.
pub fn confirm() -> Result<i32> {
    if let Some(agent) = crate::agent::current() {
        eprintln!(
            "aigate: `aigate confirm` must be run by a human, not by {} ({}).",
            agent.tool, agent.evidence
        );
        return Ok(REFUSE);
    }
    let repo = Repo::discover(Path::new("."))?;
    let policy = engine::worktree_policy(&repo, None)?;
    let blast = repo.blast_of_index(&policy)?;
    let tree = staged_tree(&repo)?;
    std::fs::write(confirm_file(&repo), &tree).context("cannot record the confirmation")?;
    println!(
        "aigate: confirmed the staged change ({} files changed, {} deleted, {} lines deleted{}); the next commit of exactly this change may go ahead",
        blast.changed_files,
        blast.deleted_files,
        blast.deleted_lines,
        blast.guarded.map(|g| format!(", touches {g}")).unwrap_or_default()
    );
    Ok(PASS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receive_lines_need_full_object_ids() {
        let z = "0".repeat(40);
        let one = "1".repeat(40);
        assert!(parse_receive_lines(&format!("{z} {one} refs/heads/main\n")).is_ok());
        // Found by the hook_input fuzz target: a prefix used to parse, and "0" reads as a deletion.
        assert!(parse_receive_lines(&format!("{z} 0 refs/heads/main\n")).is_err());
        assert!(parse_receive_lines(&format!("{} {one} refs/heads/main\n", &z[..39])).is_err());
        assert!(parse_receive_lines(&format!("{z} {} refs/heads/main\n", "g".repeat(40))).is_err());
    }
}
