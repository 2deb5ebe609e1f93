//! Verified reviews, tried as an insider would: under `[review] verify = "signed"` a review
//! counts only as an approval signed with the reviewer's own SSH key (`aigate approve`), stored
//! in refs/aigate/approvals and checked by the server against the trust root. Real keys from
//! ssh-keygen, real pushes to a bare repository guarded by `aigate install --server`.

mod common;
use common::*;
use std::path::{Path, PathBuf};

struct Signed {
    s: Scratch,
    remote: PathBuf,
    work: PathBuf,
    bob: PathBuf,
    alice: PathBuf,
    signers: PathBuf,
}

const ATTESTED: &str = "Assisted-by: claude-code";

/// A server with `verify = "signed"` and a trust root (server paths) naming Bob and Alice;
/// the work clone commits as Ann (the tests' author).
fn signed() -> Signed {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    let bob = s.keygen("bob");
    let alice = s.keygen("alice");
    let signers = s.path("allowed_signers");
    std::fs::write(
        &signers,
        format!(
            "{}{}",
            s.signer_line("bob@example.com", &bob),
            s.signer_line("ann@example.com", &alice)
        ),
    )
    .unwrap();
    let policy = s.path("policy.toml");
    std::fs::write(&policy, "[review]\nverify = \"signed\"\n").unwrap();
    s.git_ok(
        &remote,
        &["config", "aigate.policy", policy.to_str().unwrap()],
    );
    s.git_ok(
        &remote,
        &["config", "aigate.allowedSigners", signers.to_str().unwrap()],
    );
    Signed {
        s,
        remote,
        work,
        bob,
        alice,
        signers,
    }
}

impl Signed {
    fn ai_commit(&self, file: &str, review: &str) -> String {
        self.s.commit(
            &self.work,
            file,
            &format!("feat: {file}\n\n{CLAUDE}\n{ATTESTED}\n{review}"),
        )
    }
    fn push(&self, args: &[&str]) -> (bool, String) {
        let mut a = vec!["push", "--no-verify", "origin"];
        a.extend_from_slice(args);
        let o = self.s.git(&self.work, &a);
        (o.status.success(), all(&o))
    }
    fn approve(&self, email: &str, key: &Path, rev: &str) -> String {
        let o = self.s.approve(&self.work, email, key, rev, "main");
        assert!(o.status.success(), "{}", all(&o));
        all(&o)
    }
}

#[test]
fn a_typed_reviewed_by_is_not_a_review_and_the_fix_is_the_reviewers_command() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "Reviewed-by: Bob <bob@example.com>");
    let (ok, out) = sv.push(&["main"]);
    assert!(!ok, "{out}");
    assert!(out.contains("AIG009"), "{out}");
    assert!(out.contains("AIG004"), "{out}");
    assert!(
        out.contains(&format!(
            "aigate approve {} --into main --push origin",
            &c[..10]
        )),
        "{out}"
    );
}

#[test]
fn a_signed_approval_lets_the_commit_in_and_an_amended_commit_is_not_covered() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "Reviewed-by: Bob <bob@example.com>");
    sv.approve("bob@example.com", &sv.bob, &c);
    let (ok, out) = sv.push(&["main"]);
    assert!(ok, "{out}");
    // The audit log names the verified reviewer and the key.
    let log = std::fs::read_to_string(sv.remote.join("aigate-audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    let approvals = &last["commits"][0]["approvals"];
    assert_eq!(approvals[0]["reviewer"], "bob@example.com", "{last}");
    assert!(approvals[0]["fingerprint"]
        .as_str()
        .unwrap()
        .starts_with("SHA256:"));

    // A new change amended into an approved commit is a new commit: refused, stale.
    sv.s.commit(
        &sv.work,
        "b.txt",
        &format!("feat: b\n\n{CLAUDE}\n{ATTESTED}"),
    );
    sv.approve("bob@example.com", &sv.bob, "HEAD");
    std::fs::write(sv.work.join("b.txt"), "something else\n").unwrap();
    sv.s.git_ok(
        &sv.work,
        &["commit", "-q", "-a", "--amend", "--no-edit", "--no-verify"],
    );
    let (ok, out) = sv.push(&["main"]);
    assert!(!ok && out.contains("AIG004"), "{out}");
}

#[test]
fn an_approval_for_another_branch_does_not_count() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "");
    let o =
        sv.s.approve(&sv.work, "bob@example.com", &sv.bob, &c, "release/9");
    assert!(o.status.success(), "{}", all(&o));
    let (ok, out) = sv.push(&["main"]);
    assert!(!ok && out.contains("AIG004"), "{out}");
}

#[test]
fn an_approval_signed_with_the_authors_key_claiming_to_be_bob_is_refused() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "Reviewed-by: Bob <bob@example.com>");
    // Ann signs with her own key but names Bob as the reviewer.
    let o =
        sv.s.approve(&sv.work, "bob@example.com", &sv.alice, &c, "main");
    assert!(
        !o.status.success(),
        "the forged approval must not reach the server: {}",
        all(&o)
    );
    assert!(all(&o).contains("do not verify"), "{}", all(&o));
    let (ok, out) = sv.push(&["main"]);
    assert!(!ok && out.contains("AIG004"), "{out}");
}

#[test]
fn an_approval_by_the_commits_author_does_not_count() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "");
    // Ann is in the trust root, but she wrote the commit.
    sv.approve("ann@example.com", &sv.alice, &c);
    let (ok, out) = sv.push(&["main"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("AIG004") && out.contains("is the commit's author"),
        "{out}"
    );
}

#[test]
fn the_pusher_cannot_approve_what_they_push() {
    let sv = signed();
    // Carol (the pusher, authenticated as `carol` by the web server) writes the commit under
    // another author's name and approves it herself.
    let carol = sv.s.keygen("carol");
    let mut signers = std::fs::read_to_string(&sv.signers).unwrap();
    signers.push_str(&sv.s.signer_line("carol@example.com", &carol));
    std::fs::write(&sv.signers, signers).unwrap();
    let policy = sv.s.path("policy.toml");
    std::fs::write(
        &policy,
        "[review]\nverify = \"signed\"\n[identities]\ncarol = \"carol@example.com\"\n",
    )
    .unwrap();
    let c = sv.ai_commit("a.txt", "");
    sv.approve("carol@example.com", &carol, &c);
    let o =
        sv.s.cmd("git", &sv.work)
            .env("REMOTE_USER", "carol")
            .args(["push", "--no-verify", "origin", "main"])
            .output()
            .unwrap();
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("the pusher"), "{}", all(&o));
    // Pushed by someone else, the same approval counts.
    let o =
        sv.s.cmd("git", &sv.work)
            .env("REMOTE_USER", "dave")
            .args(["push", "--no-verify", "origin", "main"])
            .output()
            .unwrap();
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn the_approvals_ref_only_grows() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "");
    sv.approve("bob@example.com", &sv.bob, &c);
    // Deleting it, or rewinding it, is refused.
    let (ok, out) = sv.push(&[":refs/aigate/approvals"]);
    assert!(!ok && out.contains("append-only"), "{out}");
    sv.s.git_ok(&sv.work, &["update-ref", "refs/aigate/approvals", "HEAD"]);
    let (ok, out) = sv.push(&["+refs/aigate/approvals:refs/aigate/approvals"]);
    assert!(!ok && out.contains("only moves forward"), "{out}");
    // Other refs under refs/aigate/ are refused too.
    let (ok, out) = sv.push(&["HEAD:refs/aigate/other"]);
    assert!(!ok && out.contains("refs/aigate/"), "{out}");
}

#[test]
fn a_key_added_to_the_trust_root_in_the_same_push_does_not_count() {
    // The trust root on the governing ref, owned by OWNER.
    let s = Scratch::new();
    let (_remote, work, owner) = s.governed();
    let bob = s.keygen("bob");
    s.push_rules(
        &work,
        &owner,
        &[
            (".aigate.toml", "[review]\nverify = \"signed\"\n"),
            (
                ".aigate/allowed_signers",
                &s.signer_line("bob@example.com", &bob),
            ),
        ],
    );
    // Ann adds her own key as "mallory" and approves her commit with it, in one push.
    let mallory = s.keygen("mallory");
    let mut signers = std::fs::read_to_string(work.join(".aigate/allowed_signers")).unwrap();
    signers.push_str(&s.signer_line("mallory@example.com", &mallory));
    std::fs::write(work.join(".aigate/allowed_signers"), signers).unwrap();
    s.git_ok(&work, &["add", ".aigate/allowed_signers"]);
    s.commit_staged(&work, "add a reviewer");
    let c = s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}\n{ATTESTED}"));
    let o = s.approve(&work, "mallory@example.com", &mallory, &c, "main");
    assert!(!o.status.success(), "{}", all(&o));
    let o = s.git(&work, &["push", "--no-verify", "origin", "HEAD:main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("owner"), "{}", all(&o));
    assert!(all(&o).contains("AIG004"), "{}", all(&o));
}

#[test]
fn approvals_lists_who_approved_what() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "");
    sv.approve("bob@example.com", &sv.bob, &c);
    let o = sv.s.aigate(&sv.work, &["approvals", &c, "--into", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(text(&o.stdout).contains("bob@example.com"), "{}", all(&o));
}

#[test]
fn an_approval_cannot_be_removed_or_changed_in_a_fast_forward() {
    let sv = signed();
    let c = sv.ai_commit("a.txt", "");
    sv.approve("bob@example.com", &sv.bob, &c);
    // A new approvals commit on top whose tree drops Bob's record.
    let index = sv.s.path("tmp-index");
    let git = |args: &[&str]| {
        let o =
            sv.s.cmd("git", &sv.work)
                .env("GIT_INDEX_FILE", &index)
                .args(args)
                .output()
                .unwrap();
        assert!(o.status.success(), "{}", all(&o));
        text(&o.stdout).trim().to_string()
    };
    git(&["read-tree", "refs/aigate/approvals"]);
    git(&["rm", "-q", "--cached", "-r", &format!("{}/{}", &c[..2], c)]);
    let tree = git(&["write-tree"]);
    let commit = git(&[
        "commit-tree",
        &tree,
        "-p",
        "refs/aigate/approvals",
        "-m",
        "tidy",
    ]);
    git(&["update-ref", "refs/aigate/approvals", &commit]);
    let (ok, out) = sv.push(&["refs/aigate/approvals:refs/aigate/approvals"]);
    assert!(!ok && out.contains("removed"), "{out}");
}
