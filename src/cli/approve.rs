//! `aigate approve` (a reviewer signs an approval of exactly the commits they reviewed, for one
//! target ref, and stores it in `refs/aigate/approvals`) and `aigate approvals` (who approved
//! what, verified or why not).

use super::args::Format;
use super::*;
use aigate::approvals::{self, AllowedSigners, Statement};
use aigate::engine;
use aigate::git::approvals::REF;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// What `aigate approve` was asked to sign.
pub(crate) struct ApproveArgs<'a> {
    pub rev: Option<&'a str>,
    pub into: Option<&'a str>,
    pub push: Option<&'a str>,
    pub key: Option<&'a Path>,
    /// A forge's review event to attest (a bridge).
    pub forge_event: Option<&'a Path>,
    pub forge: Option<&'a str>,
    /// The signer's principal (default: git config user.email).
    pub signer: Option<&'a str>,
    /// Sign even an approval that counts for nothing.
    pub force: bool,
}

pub(crate) fn approve(args: ApproveArgs<'_>) -> Result<i32> {
    let repo = open_repo(None)?;
    let signer = match args.signer {
        Some(s) => s.to_string(),
        None => repo
            .config_string("user.email")
            .filter(|e| e.contains('@'))
            .context("git config user.email is not set: the approval names you by your email, as the trust root (.aigate/allowed_signers) does")?,
    };
    let (target, head, forge, remote_hint) = match args.forge_event {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the forge event {}", file.display()))?;
            let event: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let forge = aigate::forge::event::detect(&event, args.forge)?;
            let review = match aigate::forge::event::read(&event, &forge) {
                Ok(r) => r,
                Err(why) => {
                    println!("aigate: nothing signed: {why:#}");
                    return Ok(0);
                }
            };
            let head = repo.commit_id(&review.head).with_context(|| {
                format!("the reviewed head {} is not in this clone: fetch the pull request's history (actions/checkout with fetch-depth: 0)", review.head)
            })?;
            let target = full_ref(&review.target);
            let base_tip = review.base_sha.clone();
            (
                target,
                head,
                Some((
                    approvals::ForgeReview {
                        forge: review.forge.clone(),
                        login: review.reviewer.clone(),
                        pr: review.pr.clone(),
                        pr_author: review.pr_author.clone(),
                    },
                    base_tip,
                )),
                None,
            )
        }
        None => {
            let rev = args.rev.unwrap_or("HEAD");
            let target = match args.into {
                Some(r) => full_ref(r),
                None => target_ref(&repo, None, &engine::worktree_policy(&repo, None)?),
            };
            if let Some((a, b)) = rev.split_once("..") {
                let head = repo.commit_id(if b.is_empty() { "HEAD" } else { b })?;
                (target, head, None, Some(a.to_string()))
            } else {
                (target, repo.commit_id(rev)?, None, None)
            }
        }
    };
    // The change: from where the target was (the remote's view of it, else the local ref, or
    // the range's start) to the head; its commits, and its paths key.
    let target_tip = match (&forge, &remote_hint) {
        (Some((_, Some(sha))), _) => repo.commit_id(sha).ok(),
        (_, Some(a)) => Some(repo.commit_id(a)?),
        _ => target_tip(&repo, &target, args.push),
    };
    let base = match target_tip {
        Some(t) => repo.git.merge_base(t, head).ok(),
        None => None,
    };
    let (commits, change) = match base {
        Some(b) if b != head => {
            let commits: Vec<String> = aigate::git::history::range_ids(&repo, &format!("{b}..{head}"))?
                .iter()
                .map(|c| c.to_string())
                .collect();
            let change = approvals::Change {
                base: b.to_string(),
                head: head.to_string(),
                paths: repo.paths_key(Some(b), head)?,
            };
            (commits, Some(change))
        }
        // Already in the target as this clone knows it: the commit itself is approved.
        Some(_) if forge.is_none() => (vec![head.to_string()], None),
        Some(_) => bail!(
            "the pull request's head {} is already in {target}: nothing to approve",
            engine::short(&head.to_string())
        ),
        None if forge.is_some() => bail!("cannot find where the pull request starts (no merge base of its head and {target}): fetch with full history"),
        None => (vec![head.to_string()], None),
    };
    if commits.is_empty() {
        bail!("no commits to approve");
    }
    if commits.len() > approvals::MAX_COMMITS {
        bail!(
            "the change has {} commits; approve at most {} at a time",
            commits.len(),
            approvals::MAX_COMMITS
        );
    }
    let statement = Statement {
        refname: target.clone(),
        commits: commits.clone(),
        reviewer: signer.clone(),
        time: engine::now(),
        change: change.clone(),
        forge: forge.as_ref().map(|(f, _)| f.clone()),
    };
    if args.forge_event.is_none() {
        preflight_warnings(&repo, &commits, &target, &signer, args.force)?;
    }
    let signature = sign(&repo, args.key, &statement.to_text(), approvals::NAMESPACE)?;
    let record = approvals::record(&statement, &signature);
    if let Err(e) = Statement::parse(&statement.to_text()) {
        bail!("cannot make an approval statement: {e}");
    }

    // Check it against the trust root this checkout knows, so a wrong key shows up now.
    let texts = engine::texts_at(&repo, repo.git.refname_to_id(&target).ok())?;
    if let Some((text, origin)) = texts.signers {
        match AllowedSigners::parse(&text, &origin)
            .and_then(|s| approvals::verify(&record, &s, engine::now()))
        {
            Ok(v) => println!("aigate: signature verified ({} {})", signer, v.fingerprint),
            Err(e) => {
                eprintln!("aigate: warning: this approval does not verify against {origin}: {e}")
            }
        }
    }
    let mut dirs: Vec<String> = commits
        .iter()
        .map(|c| aigate::git::approvals::dir_of(c))
        .collect();
    if let Some(c) = &change {
        dirs.push(aigate::git::approvals::change_dir(&c.paths));
    }
    let what = match (&change, &forge) {
        (Some(c), Some((f, _))) => format!(
            "{}'s review of {} pull request {} ({}..{}, {} commit(s))",
            f.login,
            f.forge,
            f.pr,
            engine::short(&c.base),
            engine::short(&c.head),
            commits.len()
        ),
        (Some(c), None) => format!(
            "the change {}..{} ({} commit(s))",
            engine::short(&c.base),
            engine::short(&c.head),
            commits.len()
        ),
        _ => format!("{} commit(s)", commits.len()),
    };
    store_and_push(&repo, args.push, &dirs, &record, &what, &target, &signer)
}

/// Where the target ref is as the remote has it (`refs/remotes/REMOTE/BRANCH`, REMOTE the one
/// pushed to, else origin), else the local ref.
fn target_tip(repo: &aigate::git::Repo, target: &str, push: Option<&str>) -> Option<git2::Oid> {
    let branch = target.strip_prefix("refs/heads/")?;
    let remotes = [push.unwrap_or("origin"), "origin"];
    remotes
        .iter()
        .map(|r| format!("refs/remotes/{r}/{branch}"))
        .chain(std::iter::once(target.to_string()))
        .find_map(|r| repo.git.refname_to_id(&r).ok())
        .and_then(|id| repo.peel_to_commit(id).ok().flatten())
}

/// Stores a signed record in refs/aigate/approvals under `dirs` and, with `push`, sends it.
fn store_and_push(
    repo: &aigate::git::Repo,
    push: Option<&str>,
    dirs: &[String],
    record: &str,
    what: &str,
    target: &str,
    signer: &str,
) -> Result<i32> {
    // What the local approvals were, to put back if the push fails.
    let before = repo.approvals_tip();
    let base = match push {
        Some(remote) => {
            let o = Command::new("git")
                .args([
                    "fetch",
                    "-q",
                    remote,
                    &format!("+{REF}:refs/aigate/fetched-approvals"),
                ])
                .output()
                .context("cannot run git fetch")?;
            if o.status.success() {
                repo.git.refname_to_id("refs/aigate/fetched-approvals").ok()
            } else {
                repo.approvals_tip()
            }
        }
        None => repo.approvals_tip(),
    };
    let summary = format!("aigate: approval by {signer} of {what} for {target}");
    let new = repo.add_approval(base, dirs, record, &summary)?;
    repo.git
        .reference(REF, new, true, &summary)
        .context("cannot update refs/aigate/approvals")?;
    println!("aigate: approved {what} for {target} as {signer}");
    match push {
        Some(remote) => {
            let o = Command::new("git")
                .args(["push", "-q", remote, &format!("{REF}:{REF}")])
                .status()
                .context("cannot run git push")?;
            if !o.success() {
                // Leave the local approvals as they were: a record the remote did not take is
                // not kept.
                match before {
                    Some(b) => {
                        let _ = repo.git.reference(REF, b, true, "aigate: approval refused");
                    }
                    None => {
                        if let Ok(mut r) = repo.git.find_reference(REF) {
                            let _ = r.delete();
                        }
                    }
                }
                bail!("pushing the approval to {remote} failed (see git's message above); it was not kept: fix that and run the same `aigate approve ... --push {remote}` again");
            }
            println!("aigate: pushed {REF} to {remote}");
        }
        None => println!("aigate: share it with: git push origin {REF}:{REF}"),
    }
    Ok(0)
}

/// The full ids a commit or a range `A..B` names.
fn commits_of(repo: &aigate::git::Repo, rev: &str) -> Result<Vec<String>> {
    Ok(if rev.contains("..") {
        aigate::git::history::range_ids(repo, rev)?
            .iter()
            .map(|c| c.to_string())
            .collect()
    } else {
        vec![repo.commit_id(rev)?.to_string()]
    })
}

/// Signs `text` with the reviewer's SSH key as git would (`ssh-keygen -Y sign`, git's
/// `gpg.ssh.program`, `user.signingKey` as a key file, a public key whose private half is in
/// ssh-agent, or a literal `key::ssh-...`). Returns the armored signature.
pub(crate) fn sign(
    repo: &aigate::git::Repo,
    key: Option<&Path>,
    text: &str,
    namespace: &str,
) -> Result<String> {
    if let Some(f) = repo.config_string("gpg.format") {
        if f != "ssh" {
            bail!("approvals are signed with SSH keys (gpg.format is `{f}`): git config gpg.format ssh, and user.signingKey to your key");
        }
    }
    let program = repo
        .config_string("gpg.ssh.program")
        .unwrap_or_else(|| "ssh-keygen".into());
    let configured = key
        .map(|k| k.display().to_string())
        .or_else(|| repo.config_string("user.signingKey"))
        .context("no signing key: pass --key FILE, or git config user.signingKey ~/.ssh/id_ed25519.pub (and gpg.format ssh)")?;
    // A fresh private directory: an existing one (left behind, or planted by another user of a
    // shared /tmp) is never reused.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("aigate-sign-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir)
        .with_context(|| format!("cannot create a private directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let cleanup = Cleanup(dir.clone());
    let (key_file, agent) = if let Some(literal) = configured.strip_prefix("key::") {
        let f = dir.join("key.pub");
        std::fs::write(&f, format!("{literal}\n"))?;
        (f, true)
    } else {
        let p = PathBuf::from(shellexpand_home(&configured));
        match p.to_str().and_then(|s| s.strip_suffix(".pub")) {
            Some(private) if Path::new(private).exists() => (PathBuf::from(private), false),
            Some(_) => (p, true),
            None => (p, false),
        }
    };
    let msg = dir.join("statement");
    std::fs::write(&msg, text)?;
    let mut cmd = Command::new(&program);
    cmd.args(["-Y", "sign", "-n", namespace, "-q"]);
    if agent {
        cmd.arg("-U");
    }
    cmd.arg("-f").arg(&key_file).arg(&msg);
    let o = cmd
        .output()
        .with_context(|| format!("cannot run {program} (OpenSSH's ssh-keygen signs approvals)"))?;
    if !o.status.success() {
        bail!(
            "{program} -Y sign failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    let sig = std::fs::read_to_string(dir.join("statement.sig"))
        .context("ssh-keygen wrote no signature")?;
    drop(cleanup);
    Ok(sig)
}

struct Cleanup(PathBuf);
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shellexpand_home(p: &str) -> String {
    match (p.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => p.to_string(),
    }
}

/// `aigate approvals [RANGE]`: every approval of the range's commits, verified against the
/// trust root at the target ref (or the work tree's), or why it does not count.
pub(crate) fn list(rev: Option<&str>, into: Option<&str>, format: Format) -> Result<i32> {
    let json = format == Format::Json;
    let repo = open_repo(None)?;
    let rev = rev.unwrap_or("HEAD");
    let commits = commits_of(&repo, rev)?;
    let policy = engine::worktree_policy(&repo, None)?;
    let target = into
        .map(full_ref)
        .unwrap_or_else(|| target_ref(&repo, None, &policy));
    let texts = engine::texts_at(&repo, repo.git.refname_to_id(&target).ok())?;
    let signers = match texts.signers {
        Some((text, origin)) => {
            AllowedSigners::parse(&text, &origin).map_err(|e| anyhow::anyhow!("{e}"))?
        }
        None => AllowedSigners::default(),
    };
    let Some(tip) = repo.approvals_tip() else {
        if json {
            print_json(serde_json::json!({ "approvals": [] }))?;
        } else {
            println!("no approvals here (fetch them: git fetch origin {REF}:{REF})");
        }
        return Ok(0);
    };
    let now = engine::now();
    let mut any = false;
    let mut docs = Vec::new();
    for c in commits.iter().take(10_000) {
        for (_, text) in repo.approval_records(tip, c)? {
            any = true;
            let st = approvals::split_record(&text)
                .and_then(|(t, _)| Statement::parse(t))
                .ok();
            // A forge review names the reviewer's login, attested by the bridge that signed.
            let who = st.as_ref().map_or("?".into(), |s| match &s.forge {
                Some(f) => format!("{}:{} (via {})", f.forge, f.login, s.reviewer),
                None => s.reviewer.clone(),
            });
            let r = st.as_ref().map_or("?".into(), |s| match &s.change {
                Some(ch) => format!(
                    "{} (change {}..{})",
                    s.refname,
                    engine::short(&ch.base),
                    engine::short(&ch.head)
                ),
                None => s.refname.clone(),
            });
            let verified = approvals::verify(&text, &signers, now);
            if json {
                docs.push(serde_json::json!({
                    "commit": c,
                    "reviewer": who,
                    "refname": st.as_ref().map(|s| s.refname.clone()),
                    "change": st.as_ref().and_then(|s| s.change.clone()),
                    "forge": st.as_ref().and_then(|s| s.forge.clone()),
                    "verified": verified.is_ok(),
                    "fingerprint": verified.as_ref().ok().map(|v| v.fingerprint.clone()),
                    "error": verified.as_ref().err(),
                }));
                continue;
            }
            match verified {
                Ok(v) => println!(
                    "{}  {who}  {r}  verified {}",
                    engine::short(c),
                    v.fingerprint
                ),
                Err(e) => println!("{}  {who}  {r}  NOT VERIFIED: {e}", engine::short(c)),
            }
        }
    }
    if json {
        print_json(serde_json::json!({ "approvals": docs }))?;
    } else if !any {
        println!("no approvals of {rev}");
    }
    Ok(0)
}

/// Said before signing, since an approval is permanent (refs/aigate/approvals only grows):
/// approving for a branch no rule protects, approving one's own commit, approving again what
/// one already approved. Each makes an approval that counts for nothing; refused unless
/// `--force`.
fn preflight_warnings(
    repo: &aigate::git::Repo,
    commits: &[String],
    target: &str,
    reviewer: &str,
    force: bool,
) -> Result<()> {
    use aigate::identity::canonical_email;
    let mut mistakes = Vec::new();
    let policy = match engine::worktree_policy(repo, None) {
        Ok(p) => p,
        Err(e) => {
            mistakes.push(format!(
                "the rules in this checkout do not load, so a server refuses them even with your approval:\n{e:#}"
            ));
            aigate::policy::Policy::builtin()?
        }
    };
    let branch = target.trim_start_matches("refs/heads/");
    if !policy.is_protected(target) {
        let bound = aigate::advice::bound_for(repo, &policy, target);
        mistakes.push(format!(
            "{branch} is not a protected branch ({}): an approval for it counts nowhere; for {}: --into {}",
            policy.origin,
            bound.trim_start_matches("refs/heads/"),
            bound.trim_start_matches("refs/heads/")
        ));
    }
    let me = canonical_email(reviewer);
    for c in commits {
        let facts = repo.facts(git2::Oid::from_str(c)?, false)?;
        for (who, role) in [(&facts.author, "author"), (&facts.committer, "committer")] {
            if canonical_email(&who.email) == me {
                mistakes.push(format!(
                    "you ({reviewer}) are the {role} of {}: your approval does not count for it; ask another reviewer",
                    engine::short(c)
                ));
                break;
            }
        }
    }
    if let Some(tip) = repo.approvals_tip() {
        let mut already = 0;
        for c in commits {
            let seen = repo.approval_records(tip, c)?.iter().any(|(_, text)| {
                approvals::split_record(text)
                    .and_then(|(st, _)| Statement::parse(st))
                    .is_ok_and(|st| st.refname == target && canonical_email(&st.reviewer) == me)
            });
            already += usize::from(seen);
        }
        if already == commits.len() {
            mistakes.push(format!(
                "you already approved {} for {branch}",
                if commits.len() == 1 {
                    engine::short(&commits[0]).to_string()
                } else {
                    format!("these {} commits", commits.len())
                }
            ));
        }
    }
    eprintln!("aigate: note: an approval is permanent: it cannot be withdrawn once pushed (refs/aigate/approvals only grows)");
    for m in &mistakes {
        eprintln!("aigate: warning: {m}");
    }
    if !mistakes.is_empty() && !force {
        bail!("not signed: fix the above, or run the same command with --force to sign anyway");
    }
    Ok(())
}
