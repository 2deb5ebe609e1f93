//! One source of rules, changed only by its owners, tried as an insider would against a real
//! bare repository guarded by `aigate install --server`: each route that once put AI commits
//! on a protected branch unjudged, or changed the rules without their owners, is refused.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const GOOD: &str = "Assisted-by: claude-code\nReviewed-by: Rob Reviewer <rob@example.com>";

fn push(s: &Scratch, work: &Path, args: &[&str]) -> (bool, String) {
    let mut a = vec!["push", "--no-verify", "origin"];
    a.extend_from_slice(args);
    let o = s.git(work, &a);
    (o.status.success(), all(&o))
}

fn write(s: &Scratch, work: &Path, path: &str, content: &str) {
    let p = work.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    s.git_ok(work, &["add", path]);
}

fn governed() -> (Scratch, PathBuf, PathBuf, PathBuf) {
    let s = Scratch::new();
    let (remote, work, owner) = s.governed();
    (s, remote, work, owner)
}

#[test]
fn an_unreviewed_policy_change_is_refused_and_an_owners_approval_lets_it_in() {
    let (s, remote, work, owner) = governed();
    write(&s, &work, ".aigate.toml", "[branches]\nmode = \"off\"\n");
    s.commit_staged(&work, "chore: tidy config");
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("only the rules' owners") || out.contains("owner"),
        "{out}"
    );
    assert!(out.contains("aigate approve"), "{out}");
    // A human commit is no exception, and neither is approving it for another branch.
    let o = s.approve(&work, OWNER, &owner, "HEAD", "develop");
    assert!(o.status.success(), "{}", all(&o));
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok, "{out}");
    let o = s.approve(&work, OWNER, &owner, "HEAD", "main");
    assert!(o.status.success(), "{}", all(&o));
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(ok, "{out}");
    // The audit log records the rule change and the owner whose approval counted.
    let log = std::fs::read_to_string(remote.join("aigate-audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["rule_change"]["approved_by"][0], OWNER, "{last}");
    assert_eq!(last["rule_change"]["files"][0], ".aigate.toml", "{last}");
}

#[test]
fn an_owner_cannot_approve_their_own_rule_change() {
    let (s, _remote, work, owner) = governed();
    write(
        &s,
        &work,
        ".aigate.toml",
        "[tools]\napproved = [\"claude-code\"]\n",
    );
    s.commit_staged(&work, "policy");
    // The owner as author and committer.
    let o = s
        .cmd("git", &work)
        .env("GIT_AUTHOR_EMAIL", OWNER)
        .env("GIT_COMMITTER_EMAIL", OWNER)
        .args([
            "commit",
            "-q",
            "--amend",
            "--no-edit",
            "--no-verify",
            "--reset-author",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(s
        .approve(&work, OWNER, &owner, "HEAD", "main")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("an author of the rule change"), "{out}");
}

#[test]
fn a_self_granted_exemption_is_refused() {
    let (s, _remote, work, _owner) = governed();
    write(
        &s,
        &work,
        ".aigate/exemptions.toml",
        "[[exemption]]\nid = \"EX-1\"\ntools = [\"cursor\"]\napproved_by = \"me\"\nticket = \"T-1\"\nreason = \"x\"\nexpires = \"2099-01-01\"\n",
    );
    s.commit_staged(&work, "exemption");
    s.commit(
        &work,
        "c.rs",
        "feat: c\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\nAssisted-by: cursor\nAI-Exemption: EX-1\nReviewed-by: Rob Reviewer <rob@example.com>",
    );
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok, "{out}");
    assert!(out.contains(".aigate/exemptions.toml"), "{out}");
}

#[test]
fn a_protected_branch_made_from_a_commit_with_a_planted_policy_is_judged_by_the_governing_rules() {
    let (s, _remote, work, _owner) = governed();
    // A commit (never on main) whose policy turns aigate off, then AI work on top of it.
    s.git_ok(&work, &["checkout", "-q", "-b", "plant"]);
    write(&s, &work, ".aigate.toml", "[branches]\nmode = \"off\"\n");
    s.commit_staged(&work, "docs");
    s.commit(&work, "a.rs", &format!("feat: a\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["plant:refs/heads/release/1"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
    // An unprotected branch first, then promoted: still judged when it reaches a protected one.
    let (ok, out) = push(&s, &work, &["plant"]);
    assert!(ok, "{out}");
    let (ok, out) = push(&s, &work, &["plant:refs/heads/release/2"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
    let (ok, out) = push(&s, &work, &["plant:main"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
}

#[test]
fn a_protected_branch_made_from_an_old_commit_whose_policy_did_not_protect_it_is_judged() {
    let (s, _remote, work, owner) = governed();
    // An old commit whose own policy protected only main, with AI work on top of it.
    let old = s.git_ok(&work, &["rev-parse", "HEAD"]);
    s.git_ok(&work, &["checkout", "-q", "-b", "side"]);
    write(
        &s,
        &work,
        ".aigate.toml",
        "[branches]\nprotected = [\"main\"]\n",
    );
    s.commit_staged(&work, "old config");
    s.commit(&work, "a.rs", &format!("feat: a\n\n{CLAUDE}"));
    // The governing rules (on main) protect prod.
    s.git_ok(&work, &["checkout", "-q", "main"]);
    s.push_rules(
        &work,
        &owner,
        &[(
            ".aigate.toml",
            "[branches]\nprotected = [\"main\", \"prod\"]\n",
        )],
    );
    let _ = old;
    let (ok, out) = push(&s, &work, &["side:refs/heads/prod"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
}

#[test]
fn head_on_an_unprotected_branch_does_not_choose_the_rules() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    // git-flow: HEAD names develop when aigate is installed with main as the governing ref.
    s.git_ok(&work, &["push", "-q", "origin", "main:develop"]);
    s.git_ok(&remote, &["symbolic-ref", "HEAD", "refs/heads/develop"]);
    let o = s.aigate(&remote, &["install", "--server", "--policy-ref", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    // A policy turning aigate off on develop changes nothing for main.
    s.git_ok(
        &work,
        &["checkout", "-q", "-b", "develop", "origin/develop"],
    );
    write(&s, &work, ".aigate.toml", "[branches]\nmode = \"off\"\n");
    s.commit_staged(&work, "dev config");
    let (ok, out) = push(&s, &work, &["develop"]);
    assert!(ok, "{out}");
    s.commit(&work, "a.rs", &format!("feat: a\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["develop:main"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
}

#[test]
fn a_dangling_head_applies_the_strict_default() {
    let s = Scratch::new();
    let remote = s.path("remote.git");
    let work = s.path("work");
    // A fresh bare repository whose HEAD names master while the team pushes main.
    s.git_ok(
        s.dir.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "master",
            remote.to_str().unwrap(),
        ],
    );
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", work.to_str().unwrap()],
    );
    s.git_ok(
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    write(&s, &work, ".aigate.toml", "[branches]\nmode = \"off\"\n");
    s.commit_staged(&work, "init");
    s.commit(&work, "a.rs", &format!("feat: a\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
}

#[test]
fn a_revoked_exemption_cannot_be_resurrected_from_an_old_branch() {
    let (s, _remote, work, owner) = governed();
    let only_kiro = "[tools]\napproved = [\"kiro\"]\n";
    s.push_rules(&work, &owner, &[(".aigate.toml", only_kiro)]);
    let ex = "[[exemption]]\nid = \"EX-7\"\ntools = [\"cursor\"]\nbranches = [\"**\"]\napproved_by = \"Olivia\"\nticket = \"T-7\"\nreason = \"pilot\"\nexpires = \"2099-01-01\"\n";
    s.push_rules(&work, &owner, &[(".aigate/exemptions.toml", ex)]);
    let before = s.git_ok(&work, &["rev-parse", "HEAD"]);
    s.push_rules(
        &work,
        &owner,
        &[(
            ".aigate/exemptions.toml",
            &format!("{ex}revoked = {{ by = \"Olivia\", at = \"2026-01-01\" }}\n"),
        )],
    );
    s.git_ok(&work, &["checkout", "-q", "-b", "old", &before]);
    s.commit(
        &work,
        "c.rs",
        "feat: c\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\nAssisted-by: cursor\nAI-Exemption: EX-7\nReviewed-by: Rob Reviewer <rob@example.com>",
    );
    let (ok, out) = push(&s, &work, &["old:refs/heads/release/3"]);
    assert!(!ok, "{out}");
    assert!(out.contains("revoked"), "{out}");
}

#[test]
fn protected_tags_cannot_be_moved() {
    let (s, _remote, work, owner) = governed();
    s.push_rules(
        &work,
        &owner,
        &[(
            ".aigate.toml",
            "[branches]\nprotected = [\"main\", \"refs/tags/v*\"]\n",
        )],
    );
    s.git_ok(&work, &["tag", "v1"]);
    assert!(push(&s, &work, &["v1"]).0);
    s.commit(&work, "x.txt", "docs: x");
    s.git_ok(&work, &["tag", "-f", "v1"]);
    let (ok, out) = push(&s, &work, &["--force", "v1"]);
    assert!(!ok && out.contains("cannot be moved"), "{out}");
}

#[test]
fn warn_mode_never_refuses() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    let p = s.path("warn.toml");
    std::fs::write(&p, "[branches]\nmode = \"warn\"\n").unwrap();
    s.git_ok(&remote, &["config", "aigate.policy", p.to_str().unwrap()]);
    s.commit(&work, "a.rs", &format!("feat: a\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(ok && out.contains("AIG001"), "{out}");
    // A force push of a protected branch is a warning too (the governing ref, main here,
    // only moves forward whatever the mode: a branch beside it shows the warning).
    s.git_ok(&remote, &["config", "aigate.policyRef", "refs/meta/aigate"]);
    s.git_ok(&work, &["reset", "-q", "--hard", "HEAD~1"]);
    s.commit(&work, "b.rs", "docs: b");
    let (ok, out) = push(&s, &work, &["--force", "main"]);
    assert!(ok && out.contains("warning"), "{out}");
}

#[test]
fn policy_check_in_a_bare_repository_checks_what_the_server_uses() {
    let (s, remote, work, owner) = governed();
    s.push_rules(
        &work,
        &owner,
        &[(
            ".aigate.toml",
            "[branches]\nprotected = [\"main\", \"prod\"]\n",
        )],
    );
    let o = s.aigate(&remote, &["policy", "check"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("prod"), "{}", all(&o));
    let _ = GOOD;
}

const CURSOR_COMMIT: &str = "feat: c\n\nCo-authored-by: Cursor <cursoragent@cursor.com>\nAssisted-by: cursor\nAI-Exemption: EX-9\nReviewed-by: Rob Reviewer <rob@example.com>";

fn exemption(expires: &str) -> String {
    format!("[[exemption]]\nid = \"EX-9\"\ntools = [\"cursor\"]\nbranches = [\"main\"]\napproved_by = \"Olivia\"\nticket = \"T-9\"\nreason = \"pilot\"\nexpires = \"{expires}\"\n")
}

#[test]
fn an_exemption_counts_only_with_an_owners_signed_grant() {
    let (s, remote, work, owner) = governed();
    s.push_rules(
        &work,
        &owner,
        &[
            (".aigate.toml", "[tools]\napproved = [\"kiro\"]\n"),
            (".aigate/exemptions.toml", &exemption("2099-01-01")),
        ],
    );
    s.commit(&work, "c.rs", CURSOR_COMMIT);
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("no valid owner's grant"), "{out}");
    s.git_ok(&work, &["reset", "-q", "--hard", "HEAD~1"]);
    // The owner grants it with a signature; the change to the file is approved as usual.
    s.git_ok(&work, &["config", "user.email", OWNER]);
    let o = s.aigate(
        &work,
        &[
            "exemption",
            "grant",
            "EX-9",
            "--key",
            owner.to_str().unwrap(),
        ],
    );
    s.git_ok(&work, &["config", "--unset", "user.email"]);
    assert!(o.status.success(), "{}", all(&o));
    let granted = std::fs::read_to_string(work.join(".aigate/exemptions.toml")).unwrap();
    // The owner who granted it does not also approve the change that adds it: another does.
    let oscar = s.keygen("oscar");
    let owners = remote.join("aigate-owners");
    let mut text = std::fs::read_to_string(&owners).unwrap();
    text.push_str(&s.signer_line("oscar@example.com", &oscar));
    std::fs::write(&owners, text).unwrap();
    write(&s, &work, ".aigate/exemptions.toml", &granted);
    s.commit_staged(&work, "Rules: grant EX-9");
    assert!(s
        .approve(&work, OWNER, &owner, "HEAD", "main")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("granted EX-9 in this change"), "{out}");
    let o = s.approve(&work, "oscar@example.com", &oscar, "HEAD", "main");
    assert!(o.status.success(), "{}", all(&o));
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(ok, "{out}");
    s.commit(&work, "c.rs", CURSOR_COMMIT);
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(ok, "{out}");
    let log = std::fs::read_to_string(remote.join("aigate-audit.jsonl")).unwrap();
    assert!(
        log.lines().last().unwrap().contains("\"granted_by\""),
        "{log}"
    );
    // A granted record edited afterwards (a wider scope) no longer verifies.
    let widened = granted.replace("branches = [\"main\"]", "branches = [\"**\"]");
    s.push_rules(&work, &owner, &[(".aigate/exemptions.toml", &widened)]);
    s.commit(&work, "d.rs", CURSOR_COMMIT);
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("no valid owner's grant"), "{out}");
}

#[test]
fn max_days_holds_without_a_first_day() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    let policy = s.path("p.toml");
    std::fs::write(
        &policy,
        "[tools]\napproved = [\"kiro\"]\n[exemptions]\nmax_days = 30\n",
    )
    .unwrap();
    let ex = s.path("ex.toml");
    std::fs::write(&ex, exemption("2099-01-01")).unwrap();
    s.git_ok(
        &remote,
        &["config", "aigate.policy", policy.to_str().unwrap()],
    );
    s.git_ok(
        &remote,
        &["config", "aigate.exemptions", ex.to_str().unwrap()],
    );
    s.commit(&work, "c.rs", CURSOR_COMMIT);
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("30 days"), "{out}");
}

#[test]
fn the_governing_ref_cannot_be_deleted_while_it_holds_the_rules_whatever_the_mode() {
    let (s, remote, work, owner) = governed();
    s.push_rules(
        &work,
        &owner,
        &[(
            ".aigate.toml",
            "[branches]\nmode = \"off\"\nallow_deletion = true\n",
        )],
    );
    s.git_ok(&remote, &["config", "receive.denyDeleteCurrent", "ignore"]);
    let (ok, out) = push(&s, &work, &["--delete", "main"]);
    assert!(!ok && out.contains("governing ref"), "{out}");
}

#[test]
fn owners_are_exact_emails() {
    let s = Scratch::new();
    let (remote, _work) = s.remote_and_clone();
    let key = s.keygen("o");
    let owners = s.path("owners");
    std::fs::write(&owners, s.signer_line("*@example.com", &key)).unwrap();
    let o = s.aigate(
        &remote,
        &["install", "--server", "--owners", owners.to_str().unwrap()],
    );
    assert!(
        !o.status.success() && all(&o).contains("pattern"),
        "{}",
        all(&o)
    );
}

#[test]
fn a_rule_change_needs_as_many_distinct_owners_as_governance_min_and_covers_its_paths() {
    let (s, _remote, work, owner) = governed();
    let omar = s.keygen("omar");
    let signers = format!(
        "{}{}",
        s.signer_line(OWNER, &owner),
        s.signer_line("omar@example.com", &omar)
    );
    s.push_rules(
        &work,
        &owner,
        &[
            (
                ".aigate.toml",
                "[governance]\nowners = [\"olivia@example.com\", \"omar@example.com\"]\nmin = 2\npaths = [\"CODEOWNERS\"]\n",
            ),
            (".aigate/allowed_signers", &signers),
        ],
    );
    // CODEOWNERS is now governed, and one owner is not enough.
    write(&s, &work, "CODEOWNERS", "* @team\n");
    s.commit_staged(&work, "codeowners");
    assert!(s
        .approve(&work, OWNER, &owner, "HEAD", "main")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(
        !ok && out.contains("CODEOWNERS") && out.contains("from 2 owner"),
        "{out}"
    );
    assert!(s
        .approve(&work, "omar@example.com", &omar, "HEAD", "main")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(ok, "{out}");
}

#[test]
fn a_push_too_large_for_the_time_budget_is_refused_on_protected_refs_only() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    s.git_ok(&remote, &["config", "aigate.timeBudget", "0.000001"]);
    s.commit(&work, "a.rs", "docs: a");
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("too large to judge in time"), "{out}");
    assert!(out.contains("aigate.timeBudget"), "{out}");
    let (ok, out) = push(&s, &work, &["main:refs/heads/topic"]);
    assert!(ok, "unprotected refs pass: {out}");
}

#[test]
fn the_pusher_named_by_gitolite_is_recorded() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    s.commit(&work, "a.rs", "docs: a");
    let o = s
        .cmd("git", &work)
        .env("GL_USER", "alice")
        .args(["push", "--no-verify", "origin", "main"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
    let log = std::fs::read_to_string(remote.join("aigate-audit.jsonl")).unwrap();
    assert!(
        log.lines().last().unwrap().contains("\"gitolite:alice\""),
        "{log}"
    );
}

/// A GPG push certificate names its signer `Name <email>`: the pusher is the email, so the
/// checks that set aside the pusher's own approvals can match it.
#[test]
fn the_signer_of_a_gpg_push_certificate_is_recorded_by_email() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    s.commit(&work, "a.rs", "docs: a");
    let o = s
        .cmd("git", &work)
        .env("GIT_PUSH_CERT_SIGNER", "Pat Pusher <pat@example.com>")
        .env("GIT_PUSH_CERT_STATUS", "G")
        .env("GIT_PUSH_CERT_NONCE_STATUS", "OK")
        .args(["push", "--no-verify", "origin", "main"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
    let log = std::fs::read_to_string(remote.join("aigate-audit.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(last.contains("\"cert:pat@example.com\""), "{log}");
    assert!(
        last.contains("\"pusher_principal\":\"pat@example.com\""),
        "{log}"
    );
}

#[test]
fn a_rule_change_through_a_symbolic_ref_of_the_governing_ref_is_governed() {
    let (s, remote, work, _owner) = governed();
    s.git_ok(
        &remote,
        &["symbolic-ref", "refs/heads/trunk", "refs/heads/main"],
    );
    write(&s, &work, ".aigate.toml", "[branches]\nmode = \"off\"\n");
    s.commit_staged(&work, "chore: config");
    let (ok, out) = push(&s, &work, &["HEAD:refs/heads/trunk"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(".aigate.toml") && out.contains("owner"),
        "{out}"
    );
}

/// An exemption's `authors` scope names who may use it by the authenticated pusher, never by
/// the commit's author line (which the pusher types).
#[test]
fn an_exemptions_authors_scope_is_the_authenticated_pusher_not_the_author_line() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    let policy = s.path("p.toml");
    std::fs::write(
        &policy,
        "[tools]\napproved = [\"kiro\"]\n[identities]\n\"ann\" = \"ann@example.com\"\n\"pat\" = \"pat@example.com\"\n",
    )
    .unwrap();
    let ex = s.path("ex.toml");
    std::fs::write(
        &ex,
        exemption("2099-01-01")
            .replace("branches =", "authors = [\"ann@example.com\"]\nbranches ="),
    )
    .unwrap();
    s.git_ok(
        &remote,
        &["config", "aigate.policy", policy.to_str().unwrap()],
    );
    s.git_ok(
        &remote,
        &["config", "aigate.exemptions", ex.to_str().unwrap()],
    );
    // The commit's author line says Ann (anyone can type it); Pat pushes it.
    s.commit(&work, "c.rs", CURSOR_COMMIT);
    let as_user = |user: &str| {
        let o = s
            .cmd("git", &work)
            .env("REMOTE_USER", user)
            .args(["push", "--no-verify", "origin", "main"])
            .output()
            .unwrap();
        (o.status.success(), all(&o))
    };
    let (ok, out) = as_user("pat");
    assert!(
        !ok && out.contains("the pusher pat@example.com is not among"),
        "{out}"
    );
    let (ok, out) = as_user("ann");
    assert!(ok, "{out}");
}
