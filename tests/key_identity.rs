//! A person is a key, tried as an insider would against a bare repository guarded by
//! `aigate install --server --owners FILE` with real ssh-keygen keys: one key listed under
//! several addresses or a pattern is one person for every exclusion and every count; OpenSSH's
//! negated patterns hold; the governing ref holds a commit; an approval for one protected ref
//! does not carry a commit to another.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const AI: &str =
    "feat: x\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: claude-code";

fn push(s: &Scratch, work: &Path, args: &[&str]) -> (bool, String) {
    let mut a = vec!["push", "--no-verify", "origin"];
    a.extend_from_slice(args);
    let o = s.git(work, &a);
    (o.status.success(), all(&o))
}

/// A governed server with signed reviews, `signers` as the trust root and `extra` policy.
fn server(s: &Scratch, signers: &str, extra: &str) -> (PathBuf, PathBuf, PathBuf) {
    let (remote, work, owner) = s.governed();
    s.push_rules(
        &work,
        &owner,
        &[
            (
                ".aigate.toml",
                &format!("[review]\nverify = \"signed\"\n{extra}"),
            ),
            (".aigate/allowed_signers", signers),
        ],
    );
    (remote, work, owner)
}

#[test]
fn one_key_under_two_addresses_is_one_reviewer() {
    let s = Scratch::new();
    let rob = s.keygen("rob");
    let signers = s.signer_line("rob@example.com,robert@example.com", &rob);
    let (_remote, work, _owner) = server(&s, &signers, "min = 2\n");
    s.commit(&work, "a.rs", AI);
    assert!(s
        .approve(&work, "rob@example.com", &rob, "HEAD", "main")
        .status
        .success());
    assert!(s
        .approve(&work, "robert@example.com", &rob, "HEAD", "main")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("1 of 2"), "{out}");
}

#[test]
fn the_author_cannot_approve_under_another_address_or_a_pattern_of_her_key() {
    for line in ["ann@example.com,ann@oldcorp.example", "ann*@example.com"] {
        let s = Scratch::new();
        let ann = s.keygen("ann");
        let rob = s.keygen("rob");
        let signers = s.signer_line(line, &ann) + &s.signer_line(REVIEWER, &rob);
        let (_remote, work, _owner) = server(&s, &signers, "");
        s.commit(&work, "a.rs", AI);
        let alias = if line.contains('*') {
            "ann.alt@example.com"
        } else {
            "ann@oldcorp.example"
        };
        let o = s.approve(&work, alias, &ann, "HEAD", "main");
        // approve itself does not know the alias is Ann: it signs, and the server decides.
        let _ = o;
        let (ok, out) = push(&s, &work, &["main"]);
        assert!(
            !ok && out.contains("the commit's author (the same key)"),
            "{line}: {out}"
        );
        // Rob, another person, is counted.
        assert!(s
            .approve(&work, REVIEWER, &rob, "HEAD", "main")
            .status
            .success());
        let (ok, out) = push(&s, &work, &["main"]);
        assert!(ok, "{line}: {out}");
    }
}

#[test]
fn the_pusher_cannot_approve_their_push_under_an_alias() {
    let s = Scratch::new();
    let pat = s.keygen("pat");
    let signers = s.signer_line("pat@example.com,p.alias@example.com", &pat);
    let (_remote, work, _owner) = server(
        &s,
        &signers,
        "[identities]\n\"pat\" = \"pat@example.com\"\n",
    );
    s.commit(&work, "a.rs", AI);
    assert!(s
        .approve(&work, "p.alias@example.com", &pat, "HEAD", "main")
        .status
        .success());
    let o = s
        .cmd("git", &work)
        .env("REMOTE_USER", "pat")
        .args(["push", "--no-verify", "origin", "main"])
        .output()
        .unwrap();
    assert!(
        !o.status.success() && all(&o).contains("the pusher"),
        "{}",
        all(&o)
    );
}

#[test]
fn a_negated_namespace_or_principal_is_not_admitted() {
    for (line, why) in [
        (
            "rob@example.com namespaces=\"*,!aigate-approval\"",
            "namespace",
        ),
        ("*@example.com,!rob@example.com", "not to rob@example.com"),
    ] {
        let s = Scratch::new();
        let rob = s.keygen("rob");
        let signers = s.signer_line(line, &rob);
        let (_remote, work, _owner) = server(&s, &signers, "");
        s.commit(&work, "a.rs", AI);
        let o = s.approve(&work, REVIEWER, &rob, "HEAD", "main");
        assert!(!o.status.success(), "{line}: {}", all(&o));
        assert!(all(&o).contains(why), "{line}: {}", all(&o));
    }
}

#[test]
fn one_owner_under_two_addresses_does_not_make_governance_min_two() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let olivia = s.keygen("olivia");
    let owners = s.path("owners");
    std::fs::write(
        &owners,
        s.signer_line(OWNER, &olivia) + &s.signer_line("olivia.alt@example.com", &olivia),
    )
    .unwrap();
    let o = s.aigate(
        &remote,
        &["install", "--server", "--owners", owners.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", all(&o));
    // The first rule set comes in with her approval (governance.min is 1 until it says 2).
    s.push_rules(
        &work,
        &olivia,
        &[(
            ".aigate.toml",
            "[governance]\nowners = [\"olivia@example.com\", \"olivia.alt@example.com\"]\nmin = 2\n",
        )],
    );
    std::fs::write(work.join(".aigate.toml"), "[branches]\nmode = \"off\"\n[governance]\nowners = [\"olivia@example.com\", \"olivia.alt@example.com\"]\nmin = 2\n").unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    s.commit_staged(&work, "chore: enforcement off");
    assert!(s
        .approve(&work, OWNER, &olivia, "HEAD", "main")
        .status
        .success());
    assert!(s
        .approve(&work, "olivia.alt@example.com", &olivia, "HEAD", "main")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("it has 1"), "{out}");
}

#[test]
fn a_governing_ref_outside_refs_heads_holds_a_commit() {
    let s = Scratch::new();
    let (remote, work, owner) = s.governed();
    s.git_ok(&remote, &["config", "aigate.policyRef", "refs/meta/aigate"]);
    // The rules' ref: a commit with a strict policy, approved by the owner.
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\"]\n",
    )
    .unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    s.commit_staged(&work, "rules");
    assert!(s
        .approve(&work, OWNER, &owner, "HEAD", "refs/meta/aigate")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["HEAD:refs/meta/aigate"]);
    assert!(ok, "{out}");
    // Forcing it to a tree object would make the rules read as absent: refused.
    let tree = s.git_ok(&work, &["rev-parse", "HEAD^{tree}"]);
    let (ok, out) = push(&s, &work, &["--force", &format!("{tree}:refs/meta/aigate")]);
    assert!(!ok && out.contains("must point to a commit"), "{out}");
    // Rewinding it is refused too.
    let (ok, out) = push(&s, &work, &["--force", "HEAD~1:refs/meta/aigate"]);
    assert!(!ok && out.contains("only moves forward"), "{out}");
}

#[test]
fn a_commit_approved_for_one_protected_ref_does_not_reach_another_without_approval() {
    let s = Scratch::new();
    let rob = s.keygen("rob");
    let signers = s.signer_line("rob@example.com", &rob);
    let (_remote, work, _owner) = server(&s, &signers, "");
    s.git_ok(&work, &["checkout", "-q", "-b", "next"]);
    s.commit(&work, "a.rs", AI);
    assert!(s
        .approve(&work, REVIEWER, &rob, "HEAD", "release/next")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["HEAD:refs/heads/release/next"]);
    assert!(ok, "{out}");
    // Fast-forwarding main to it: judged for main, where nobody approved it.
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(!ok && out.contains("AIG004"), "{out}");
    assert!(s
        .approve(&work, REVIEWER, &rob, "HEAD", "main")
        .status
        .success());
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(ok, "{out}");
}

#[test]
fn approvals_for_any_protected_ref_carry_when_the_policy_says_so() {
    let s = Scratch::new();
    let rob = s.keygen("rob");
    let signers = s.signer_line("rob@example.com", &rob);
    let (_remote, work, _owner) = server(&s, &signers, "approvals_for = \"protected\"\n");
    s.git_ok(&work, &["checkout", "-q", "-b", "next"]);
    s.commit(&work, "a.rs", AI);
    assert!(s
        .approve(&work, REVIEWER, &rob, "HEAD", "release/next")
        .status
        .success());
    assert!(push(&s, &work, &["HEAD:refs/heads/release/next"]).0);
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(ok, "{out}");
}

/// A pushed rule set is not even compiled before its owners' approvals are counted: an
/// unapproved one with a broken (or heavy) catalog is refused for want of approvals, cheaply.
#[test]
fn an_unapproved_rule_set_is_refused_before_it_is_compiled() {
    let s = Scratch::new();
    let (_remote, work, _owner) = s.governed();
    let mut policy = String::new();
    for i in 0..300 {
        policy.push_str(&format!(
            "[[catalog.tool]]\nid = \"t{i}\"\nsignature = [{{ kind = \"trailer\", key = \"X\", pattern = \"(a{{1,1000}}){{1,1000}}(\" }}]\n"
        ));
    }
    std::fs::write(work.join(".aigate.toml"), &policy).unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    s.commit_staged(&work, "chore: catalog");
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("needs signed approvals"), "{out}");
    assert!(!out.contains("do not load"), "{out}");
}

/// A key of the repository's trust root whose pattern admits an owner's address is not that
/// owner: its approval of a rule change, landed by squash, does not count as the owner's.
#[test]
fn a_pattern_key_signing_as_an_owner_does_not_approve_a_rule_change() {
    let s = Scratch::new();
    let mallory = s.keygen("mallory");
    let signers = s.signer_line("*@example.com", &mallory);
    let (_remote, work, _owner) = server(&s, &signers, "");
    s.git_ok(&work, &["fetch", "-q", "origin"]);
    s.git_ok(&work, &["checkout", "-q", "-b", "rules", "origin/main"]);
    std::fs::write(work.join(".aigate.toml"), "[branches]\nmode = \"off\"\n").unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    // Written by someone outside the pattern, so only the owner check stands in the way.
    let outsider = |args: &[&str]| {
        let o = s
            .cmd("git", &work)
            .env("GIT_AUTHOR_EMAIL", "mal@elsewhere.test")
            .env("GIT_COMMITTER_EMAIL", "mal@elsewhere.test")
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", all(&o));
    };
    outsider(&["commit", "-q", "--no-verify", "-m", "chore: tidy"]);
    s.git_ok(&work, &["push", "-q", "--no-verify", "origin", "rules"]);
    let o = s.approve(&work, OWNER, &mallory, "origin/rules", "main");
    assert!(o.status.success(), "{}", all(&o));
    s.git_ok(&work, &["checkout", "-q", "-B", "main", "origin/main"]);
    s.git_ok(&work, &["merge", "-q", "--squash", "origin/rules"]);
    outsider(&["commit", "-q", "--no-verify", "-m", "chore: tidy (#2)"]);
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("needs signed approvals"), "{out}");
}

/// A forge bridge is a key listed under the bridge's exact principal: a pattern key of the
/// trust root that admits the bridge's address cannot attest forge reviews.
#[test]
fn a_pattern_key_cannot_attest_forge_reviews_as_the_bridge() {
    let s = Scratch::new();
    let ci = s.keygen("ci");
    let signers = s.signer_line("*@ci.example.com", &ci);
    let (_remote, work, _owner) = server(
        &s,
        &signers,
        "[forge]\nbridges = [\"forge-bridge@ci.example.com\"]\n",
    );
    s.git_ok(&work, &["checkout", "-q", "-b", "feature"]);
    let head = s.commit(&work, "a.rs", AI);
    s.git_ok(&work, &["push", "-q", "--no-verify", "origin", "feature"]);
    s.git_ok(&work, &["fetch", "-q", "origin"]);
    let base = s.git_ok(&work, &["rev-parse", "origin/main"]);
    let ev = serde_json::json!({"action": "submitted",
        "review": {"state": "approved", "user": {"login": "rob", "type": "User"}, "commit_id": head},
        "pull_request": {"number": 1, "user": {"login": "ann"},
            "head": {"sha": head, "ref": "feature"}, "base": {"sha": base, "ref": "main"}}});
    let f = s.path("event.json");
    std::fs::write(&f, ev.to_string()).unwrap();
    let o = s.aigate(
        &work,
        &[
            "approve",
            "--forge-event",
            f.to_str().unwrap(),
            "--as",
            "forge-bridge@ci.example.com",
            "--key",
            ci.to_str().unwrap(),
            "--push",
            "origin",
        ],
    );
    assert!(
        !o.status.success() && all(&o).contains("not a forge bridge"),
        "{}",
        all(&o)
    );
}
