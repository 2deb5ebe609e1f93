//! Hostile input and attacks: each case is a real repository or real hook input, and each
//! attack test fails if the protection it names is removed. See THREAT_MODEL.md.

mod common;
use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const GOOD: &str = "Assisted-by: claude-code\nReviewed-by: Rob Reviewer <rob@example.com>";

fn guarded() -> (Scratch, PathBuf, PathBuf) {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    (s, remote, work)
}

fn push(s: &Scratch, work: &Path, args: &[&str]) -> (bool, String) {
    let mut a = vec!["push", "--no-verify", "origin"];
    a.extend_from_slice(args);
    let o = s.git(work, &a);
    (o.status.success(), all(&o))
}

/// Writes a commit object with exactly these bytes (after the header git needs) on top of HEAD.
fn raw_commit(s: &Scratch, work: &Path, extra_headers: &str, message: &[u8]) -> String {
    let tree = s.git_ok(work, &["rev-parse", "HEAD^{tree}"]);
    let parent = s.git_ok(work, &["rev-parse", "HEAD"]);
    let mut body = format!("tree {tree}\nparent {parent}\nauthor Ann Author <ann@example.com> 1700000000 +0000\ncommitter Ann Author <ann@example.com> 1700000000 +0000\n{extra_headers}\n").into_bytes();
    body.extend_from_slice(message);
    let mut child = s
        .cmd("git", work)
        .args([
            "hash-object",
            "-t",
            "commit",
            "-w",
            "--literally",
            "--stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&body).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let id = text(&out.stdout).trim().to_string();
    s.git_ok(work, &["update-ref", "HEAD", &id]);
    id
}

fn no_panic(out: &str) {
    assert!(
        !out.contains("panicked") && !out.contains("RUST_BACKTRACE"),
        "panic:\n{out}"
    );
}

// ---- bad input -------------------------------------------------------------------------

#[test]
fn latin1_messages_with_and_without_an_encoding_header_are_judged() {
    let (s, _remote, work) = guarded();
    for header in ["encoding ISO-8859-1\n", ""] {
        s.git_ok(&work, &["reset", "-q", "--hard", "origin/main"]);
        let msg = b"feat: caf\xe9\n\nR\xe9sum\xe9 of the change.\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n";
        raw_commit(&s, &work, header, msg);
        let (ok, out) = push(&s, &work, &["HEAD:main"]);
        no_panic(&out);
        assert!(!ok && out.contains("AIG001"), "header {header:?}: {out}");
    }
}

#[test]
fn a_nul_byte_ends_the_message_as_it_does_for_git() {
    let (s, _remote, work) = guarded();
    // The review after the NUL is invisible to git, so it must not count.
    raw_commit(&s, &work, "", b"feat: x\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: claude-code\n\0Reviewed-by: Rob <rob@example.com>\n");
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    no_panic(&out);
    assert!(!ok && out.contains("AIG004"), "{out}");
}

#[test]
fn a_ten_megabyte_message_is_judged_in_the_hook_and_on_the_server() {
    let (s, _remote, work) = guarded();
    let mut msg = String::from("feat: big\n\n");
    while msg.len() < 10 * 1024 * 1024 {
        msg.push_str("a long line of prose that goes on and on about nothing much at all\n");
    }
    msg.push_str(&format!("\n{CLAUDE}\n"));
    let file = s.path("big.txt");
    std::fs::write(&file, &msg).unwrap();
    let o = s.aigate(&work, &["hook", "commit-msg", file.to_str().unwrap()]);
    no_panic(&all(&o));
    assert_eq!(o.status.code(), Some(1), "on main: {}", all(&o));
    s.git_ok(
        &work,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-F",
            file.to_str().unwrap(),
        ],
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    no_panic(&out);
    assert!(
        !ok && out.contains("AIG001"),
        "{}",
        &out[..out.len().min(2000)]
    );
}

#[test]
fn a_hundred_thousand_trailers_do_not_hang_or_panic() {
    let (s, _remote, work) = guarded();
    let mut msg = String::from("feat: many\n\n");
    for i in 0..100_000 {
        msg.push_str(&format!("Reviewed-by: Person {i} <p{i}@example.com>\n"));
    }
    msg.push_str("Assisted-by: claude-code\n");
    let file = s.path("many.txt");
    std::fs::write(&file, &msg).unwrap();
    s.git_ok(
        &work,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-F",
            file.to_str().unwrap(),
        ],
    );
    let start = std::time::Instant::now();
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    no_panic(&out);
    assert!(ok, "{}", &out[..out.len().min(2000)]);
    // Not a timing assertion: a quadratic pass over 100,000 reviewers takes hours, not minutes.
    assert!(start.elapsed().as_secs() < 300);
}

#[test]
fn crlf_messages_are_read_as_git_reads_them() {
    let (s, _remote, work) = guarded();
    raw_commit(&s, &work, "", b"feat: crlf\r\n\r\nBody.\r\n\r\nCo-Authored-By: Claude <noreply@anthropic.com>\r\nAssisted-by: claude-code\r\nReviewed-by: Rob Reviewer <rob@example.com>\r\n");
    let git = s.git_ok(&work, &["log", "-1", "--format=%(trailers:only,unfold)"]);
    assert!(
        git.contains("Reviewed-by: Rob Reviewer <rob@example.com>"),
        "{git}"
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(ok, "{out}");
}

#[test]
fn a_bom_and_an_empty_message_are_handled() {
    let (s, _remote, work) = guarded();
    raw_commit(
        &s,
        &work,
        "",
        "\u{feff}feat: bom\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n".as_bytes(),
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    no_panic(&out);
    assert!(!ok && out.contains("AIG001"), "{out}");
    s.git_ok(&work, &["reset", "-q", "--hard", "origin/main"]);
    s.git_ok(
        &work,
        &[
            "commit",
            "-q",
            "--allow-empty",
            "--allow-empty-message",
            "--no-verify",
            "-m",
            "",
        ],
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    no_panic(&out);
    assert!(ok, "an empty human message passes: {out}");
    let empty = s.path("empty");
    std::fs::write(&empty, "").unwrap();
    let o = s.aigate(&work, &["hook", "commit-msg", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
}

#[test]
fn pre_push_from_a_shallow_clone_judges_what_it_can_see() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    for i in 0..3 {
        s.commit(&work, "h.txt", &format!("docs: {i}"));
    }
    s.git_ok(&work, &["push", "-q", "origin", "main"]);
    let shallow = s.path("shallow");
    s.git_ok(
        s.dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            &format!("file://{}", remote.display()),
            shallow.to_str().unwrap(),
        ],
    );
    assert!(s.aigate(&shallow, &["install"]).status.success());
    s.git_ok(&shallow, &["checkout", "-q", "-b", "topic"]);
    s.commit(&shallow, "s.txt", &format!("feat: s\n\n{CLAUDE}"));
    let o = s.git(&shallow, &["push", "origin", "topic:main"]);
    no_panic(&all(&o));
    assert!(
        !o.status.success() && all(&o).contains("AIG001"),
        "{}",
        all(&o)
    );
    // An orphan history pushed from the shallow clone reaches the shallow boundary cleanly.
    s.git_ok(&shallow, &["checkout", "-q", "--orphan", "fresh"]);
    s.commit(&shallow, "o.txt", "docs: orphan");
    let o = s.git(&shallow, &["push", "origin", "fresh:release/x"]);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn a_missing_object_on_the_server_refuses_the_push() {
    let (s, remote, work) = guarded();
    s.git_ok(&remote, &["config", "receive.unpackLimit", "1000"]);
    s.commit(&work, "m.txt", "docs: m");
    let (ok, _) = push(&s, &work, &["HEAD:refs/heads/topic"]);
    assert!(ok);
    // Corrupt the server: the commit topic points at loses its object.
    let id = s.git_ok(&work, &["rev-parse", "HEAD"]);
    let obj = remote.join("objects").join(&id[..2]).join(&id[2..]);
    std::fs::remove_file(&obj).expect("loose object on the server");
    s.commit(&work, "n.txt", "docs: n");
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    no_panic(&out);
    assert!(!ok, "{out}");
}

#[test]
fn the_first_push_to_an_empty_repository_is_judged() {
    let s = Scratch::new();
    let remote = s.path("empty.git");
    s.init_bare(s.dir.path(), &remote);
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    let work = s.path("w");
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", work.to_str().unwrap()],
    );
    s.git_ok(
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    s.commit(&work, "a.txt", &format!("feat: first\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
    amend_attested_and_reviewed(&s, &work);
    let (ok, out) = push(&s, &work, &["main"]);
    assert!(ok, "{out}");
}

#[test]
fn unusual_ref_names_are_matched_as_names() {
    let (s, _remote, work) = guarded();
    s.commit(&work, "u.txt", &format!("feat: u\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["HEAD:refs/heads/release/ünïcode-🚀"]);
    no_panic(&out);
    assert!(
        !ok && out.contains("AIG001"),
        "release/** covers any name below it: {out}"
    );
    let (ok, out) = push(&s, &work, &["HEAD:refs/for/main"]);
    assert!(ok, "refs/for/main is not refs/heads/main: {out}");
    let (ok, _) = push(&s, &work, &["HEAD:refs/heads/main-backup"]);
    assert!(ok, "globs match whole names");
}

#[test]
fn an_octopus_merge_brings_all_its_branches_under_judgement() {
    let (s, _remote, work) = guarded();
    let mut heads = Vec::new();
    for i in 0..3 {
        s.git_ok(
            &work,
            &["checkout", "-q", "-B", &format!("b{i}"), "origin/main"],
        );
        let msg = if i == 2 {
            format!("feat: b{i}\n\n{CLAUDE}")
        } else {
            format!("docs: b{i}")
        };
        heads.push(s.commit(&work, &format!("b{i}.txt"), &msg));
    }
    s.git_ok(&work, &["checkout", "-q", "b0"]);
    s.git_ok(
        &work,
        &["merge", "-q", "--no-verify", "--no-edit", "b1", "b2"],
    );
    assert_eq!(
        s.git_ok(&work, &["rev-list", "--parents", "-1", "HEAD"])
            .split(' ')
            .count(),
        4,
        "octopus"
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    no_panic(&out);
    assert!(!ok && out.contains(&heads[2][..10]), "{out}");
}

#[test]
fn a_policy_with_unknown_keys_or_wrong_types_is_a_clear_error() {
    let (s, remote, work) = guarded();
    for (bad, line_col) in [
        ("[review]\nminimum = 2\n", ":2:1"),
        ("[review]\nmin = \"two\"\n", ":2:7"),
        ("[branches]\nprotected = \"main\"\n", ":2:13"),
    ] {
        let f = s.path("p.toml");
        std::fs::write(&f, bad).unwrap();
        let o = s.aigate(&work, &["policy", "check", f.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        assert!(all(&o).contains(line_col), "{bad}: {}", all(&o));
        s.git_ok(&remote, &["config", "aigate.policy", f.to_str().unwrap()]);
        let (ok, out) = push(&s, &work, &["HEAD:refs/heads/any"]);
        assert!(!ok && out.contains(line_col), "server fails closed: {out}");
    }
}

#[test]
fn garbage_on_hook_stdin_is_refused_not_accepted() {
    let (s, remote, _work) = guarded();
    for input in [
        "not three fields\n",
        "zz zz refs/heads/main\n",
        "\u{0}\u{1}\u{2}",
    ] {
        let o = s
            .cmd(&AIGATE, &remote)
            .env("GIT_DIR", &remote)
            .args(["hook", "pre-receive"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(input.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        no_panic(&all(&o));
        assert_eq!(o.status.code(), Some(1), "{input:?}: {}", all(&o));
    }
    // On GitLab the refusal of bad input carries the prefix GitLab shows to the pusher.
    let o = s
        .cmd(&AIGATE, &remote)
        .env("GIT_DIR", &remote)
        .env("GL_ID", "user-1")
        .args(["hook", "update", "refs/heads/main", "zz", "zz"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(
        all(&o).contains("GL-HOOK-ERR: aigate: push refused"),
        "{}",
        all(&o)
    );
}

// ---- attacks -----------------------------------------------------------------------------

#[test]
fn attack_review_in_a_body_paragraph_is_prose() {
    let (s, _remote, work) = guarded();
    s.commit(&work, "a.txt", &format!("feat: a\n\nReviewed-by: Rob Reviewer <rob@example.com>\n(the review above is in the body)\n\n{CLAUDE}\nAssisted-by: claude-code"));
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(!ok && out.contains("AIG004"), "{out}");
}

#[test]
fn attack_a_trailer_block_that_fails_the_25_percent_rule_counts_for_nothing() {
    let (s, _remote, work) = guarded();
    // Three trailers and enough prose in the same paragraph: git sees no trailers at all.
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}\nAssisted-by: claude-code\nReviewed-by: Rob Reviewer <rob@example.com>\nprose one\nprose two\nprose three\nprose four"));
    assert_eq!(
        s.git_ok(&work, &["log", "-1", "--format=%(trailers:only)"]),
        ""
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    // No trailers: the attestation and the review count for nothing, while the Claude line
    // is still evidence wherever it stands (attribution moved by squashes)...
    assert!(
        !ok && out.contains("AIG001") && out.contains("AIG004"),
        "{out}"
    );
    s.git_ok(&work, &["reset", "-q", "--hard", "HEAD~1"]);
    // ...but with a Signed-off-by the block is recognised (>= 25%), and then it must hold.
    s.commit(
        &work,
        "b.txt",
        &format!("feat: b\n\nprose\n{CLAUDE}\nSigned-off-by: Ann <ann@example.com>"),
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
}

#[test]
fn attack_self_review_in_other_letter_case_or_with_a_plus_tag() {
    let (s, _remote, work) = guarded();
    for r in ["Ann <ANN@Example.COM>", "Ann <ann+review@example.com>"] {
        s.git_ok(&work, &["reset", "-q", "--hard", "origin/main"]);
        s.commit(
            &work,
            "a.txt",
            &format!("feat: a\n\n{CLAUDE}\nAssisted-by: claude-code\nReviewed-by: {r}"),
        );
        let (ok, out) = push(&s, &work, &["HEAD:main"]);
        assert!(!ok && out.contains("AIG005"), "{r}: {out}");
    }
}

#[test]
fn attack_a_reviewer_with_look_alike_letters() {
    let (s, _remote, work) = guarded();
    s.commit(
        &work,
        "a.txt",
        &format!(
            "feat: a\n\n{CLAUDE}\nAssisted-by: claude-code\nReviewed-by: Rob <rob@exаmple.com>"
        ),
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(!ok && out.contains("AIG006"), "{out}");
}

#[test]
fn attack_an_ai_or_bot_reviewer() {
    let (s, _remote, work) = guarded();
    for r in [
        "Claude <noreply@anthropic.com>",
        "Copilot <198982749+Copilot@users.noreply.github.com>",
        "renovate[bot] <29139614+renovate[bot]@users.noreply.github.com>",
    ] {
        s.git_ok(&work, &["reset", "-q", "--hard", "origin/main"]);
        s.commit(
            &work,
            "a.txt",
            &format!("feat: a\n\nAssisted-by: kiro\nReviewed-by: {r}"),
        );
        let (ok, out) = push(&s, &work, &["HEAD:main"]);
        assert!(!ok && out.contains("AIG006"), "{r}: {out}");
    }
}

#[test]
fn attack_attesting_an_approved_tool_over_evidence_of_another() {
    let (s, remote, work) = guarded();
    let p = s.path("policy.toml");
    std::fs::write(&p, "[tools]\napproved = [\"kiro\"]\n").unwrap();
    s.git_ok(&remote, &["config", "aigate.policy", p.to_str().unwrap()]);
    s.commit(
        &work,
        "a.txt",
        &format!("feat: a\n\n{CLAUDE}\nAssisted-by: kiro\n{REVIEW}"),
    );
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(
        !ok && out.contains("AIG003") && out.contains("AIG002"),
        "{out}"
    );
}

#[test]
fn attack_pushing_to_a_symbolic_ref_of_a_protected_branch() {
    let (s, remote, work) = guarded();
    s.git_ok(
        &remote,
        &["symbolic-ref", "refs/heads/trunk", "refs/heads/main"],
    );
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["HEAD:refs/heads/trunk"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
}

#[test]
fn attack_deleting_and_recreating_a_protected_branch() {
    let (s, remote, work) = guarded();
    let (ok, out) = push(&s, &work, &["--delete", "main"]);
    assert!(!ok && out.contains("deleting a protected branch"), "{out}");
    // Even where deletion is allowed, the re-created branch brings all its history under judgement.
    let p = s.path("policy.toml");
    std::fs::write(&p, "[branches]\nallow_deletion = true\n").unwrap();
    s.git_ok(&remote, &["config", "aigate.policy", p.to_str().unwrap()]);
    s.git_ok(&remote, &["symbolic-ref", "HEAD", "refs/heads/nothing"]);
    let (ok, out) = push(&s, &work, &["--delete", "main"]);
    assert!(ok, "{out}");
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(!ok && out.contains("AIG001"), "{out}");
}

#[test]
fn attack_fixing_the_message_in_a_later_commit_does_not_launder_an_earlier_one() {
    let (s, _remote, work) = guarded();
    let bad = s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    s.commit(&work, "b.txt", &format!("feat: b\n\n{CLAUDE}\n{GOOD}"));
    let (ok, out) = push(&s, &work, &["HEAD:main"]);
    assert!(!ok && out.contains(&bad[..10]), "{out}");
}
