//! `aigate approve` says what would make an approval count for nothing before it signs one
//! (approvals are permanent), and signs it only with --force.

mod common;
use common::*;
use std::path::Path;

fn approve(
    s: &Scratch,
    work: &Path,
    email: &str,
    key: &Path,
    args: &[&str],
) -> std::process::Output {
    s.git_ok(work, &["config", "user.email", email]);
    let mut all_args = vec!["approve", "HEAD", "--key", key.to_str().unwrap()];
    all_args.extend_from_slice(args);
    let o = s.aigate(work, &all_args);
    s.git_ok(work, &["config", "--unset", "user.email"]);
    o
}

fn approvals_ref(s: &Scratch, work: &Path) -> String {
    text(
        &s.git(
            work,
            &["rev-parse", "-q", "--verify", "refs/aigate/approvals"],
        )
        .stdout,
    )
}

#[test]
fn approve_refuses_an_unprotected_branch_own_commit_and_a_repeat_unless_forced() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let bob = s.keygen("bob");
    s.git_ok(&work, &["checkout", "-q", "-b", "parser"]);
    s.commit(&work, "p.txt", "feat: p\n\nAssisted-by: claude-code");

    // The default --into is the current branch: not protected, so the approval is useless.
    let o = approve(&s, &work, "bob@example.com", &bob, &[]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("parser is not a protected branch") && out.contains("--into main"),
        "{out}"
    );
    assert!(out.contains("permanent"), "{out}");
    assert_eq!(approvals_ref(&s, &work), "", "nothing was signed:\n{out}");

    // The author approving their own commit.
    let ann = s.keygen("ann");
    let o = approve(&s, &work, "ann@example.com", &ann, &["--into", "main"]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("are the author of"), "{out}");
    assert_eq!(approvals_ref(&s, &work), "", "nothing was signed:\n{out}");

    // A good approval, then the same again.
    let o = approve(&s, &work, "bob@example.com", &bob, &["--into", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    let first = approvals_ref(&s, &work);
    let o = approve(&s, &work, "bob@example.com", &bob, &["--into", "main"]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("already approved"), "{out}");
    assert_eq!(approvals_ref(&s, &work), first, "nothing was added:\n{out}");

    // --force signs anyway.
    let o = approve(&s, &work, "bob@example.com", &bob, &["--force"]);
    assert!(o.status.success(), "{}", all(&o));
    assert_ne!(approvals_ref(&s, &work), first);
}
