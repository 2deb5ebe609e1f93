//! Printed fixes, run literally: a refused `git commit -v`, `-a` or `--amend` through the
//! installed hooks, the printed command run as printed (a reviewer's name put in for the
//! `Name <email>` placeholder, which needs a person), then a push to a guarded server.

mod common;
use common::*;
use std::path::{Path, PathBuf};

/// A guarded server (pre-receive installed), a clone with the client hooks, on main.
fn guarded() -> (Scratch, PathBuf, PathBuf) {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let o = s.aigate(&remote, &["install", "--server"]);
    assert!(o.status.success(), "{}", all(&o));
    let o = s.aigate(&work, &["install"]);
    assert!(o.status.success(), "{}", all(&o));
    (s, remote, work)
}

/// The one `fix:` line of a refused commit's output that edits the message.
fn message_fix(out: &str) -> String {
    let fixes: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("fix: "))
        .filter(|f| f.starts_with("git "))
        .collect();
    assert_eq!(fixes.len(), 1, "one command fixes the message:\n{out}");
    fixes[0].to_string()
}

/// Runs a printed fix with sh in `dir`, the review placeholder filled in.
fn run_fix(s: &Scratch, dir: &Path, fix: &str) -> std::process::Output {
    let cmd = fix.replace("Name <email>", "Rob Reviewer <rob@example.com>");
    s.cmd("sh", dir).args(["-c", &cmd]).output().unwrap()
}

/// An editor that writes `msg` above what git put in the file (the -v diff stays below).
fn editor(s: &Scratch, msg: &str) -> String {
    let path = s.path("editor.sh");
    std::fs::write(&path, format!(
        "#!/bin/sh\n{{ printf '%s\\n' '{msg}'; cat \"$1\"; }} > \"$1.new\" && mv \"$1.new\" \"$1\"\n"
    ))
    .unwrap();
    let mut p = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o755);
    std::fs::set_permissions(&path, p).unwrap();
    path.display().to_string()
}

fn push_main(s: &Scratch, work: &Path) -> std::process::Output {
    s.git(work, &["push", "origin", "HEAD:main"])
}

#[test]
fn fix_after_commit_v_keeps_the_diff_out_of_the_message_and_the_push_passes() {
    let (s, _remote, work) = guarded();
    std::fs::write(work.join("a.txt"), "a\n").unwrap();
    s.git_ok(&work, &["add", "a.txt"]);
    let ed = editor(&s, &format!("feat: a\n\n{CLAUDE}"));
    let o = s
        .cmd("git", &work)
        .env("GIT_EDITOR", &ed)
        .args(["commit", "-q", "-v"])
        .output()
        .unwrap();
    let out = all(&o);
    assert!(!o.status.success(), "refused on main:\n{out}");
    let fix = message_fix(&out);
    let o = run_fix(&s, &work, &fix);
    assert!(o.status.success(), "{fix}\n{}", all(&o));
    let msg = s.git_ok(&work, &["log", "-1", "--format=%B"]);
    assert!(
        !msg.contains("diff --git"),
        "the diff is not the message:\n{msg}"
    );
    assert!(msg.starts_with("feat: a"), "{msg}");
    let o = push_main(&s, &work);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn fix_after_commit_a_commits_every_change_the_commit_named() {
    let (s, _remote, work) = guarded();
    std::fs::write(work.join("a.txt"), "a\n").unwrap();
    std::fs::write(work.join("b.txt"), "b\n").unwrap();
    s.git_ok(&work, &["add", "a.txt", "b.txt"]);
    s.commit_staged(&work, "chore: add a and b");
    s.git_ok(&work, &["push", "-q", "--no-verify", "origin", "main"]);
    std::fs::write(work.join("a.txt"), "A\n").unwrap();
    std::fs::write(work.join("b.txt"), "B\n").unwrap();
    let o = s.git(
        &work,
        &["commit", "-q", "-a", "-m", "feat: A and B", "-m", CLAUDE],
    );
    let out = all(&o);
    assert!(!o.status.success(), "refused on main:\n{out}");
    let o = run_fix(&s, &work, &message_fix(&out));
    assert!(o.status.success(), "{}", all(&o));
    let files = s.git_ok(&work, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        files.contains("a.txt") && files.contains("b.txt"),
        "{files}"
    );
    let o = push_main(&s, &work);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn fix_after_commit_amend_amends_instead_of_adding_a_commit() {
    let (s, _remote, work) = guarded();
    let base = s.git_ok(&work, &["rev-parse", "HEAD"]);
    std::fs::write(work.join("a.txt"), "a\n").unwrap();
    s.git_ok(&work, &["add", "a.txt"]);
    s.commit_staged(&work, "feat: a");
    // `--amend` through the editor (git tells prepare-commit-msg `commit HEAD`) and with -m.
    let ed = editor(&s, CLAUDE);
    let o = s
        .cmd("git", &work)
        .env("GIT_EDITOR", &ed)
        .args(["commit", "-q", "--amend"])
        .output()
        .unwrap();
    let out = all(&o);
    assert!(!o.status.success(), "refused on main:\n{out}");
    let fix = message_fix(&out);
    assert!(fix.contains("--amend"), "{fix}");
    let o = s.git(
        &work,
        &["commit", "-q", "--amend", "-m", "feat: a", "-m", CLAUDE],
    );
    let out = all(&o);
    assert!(!o.status.success(), "refused on main:\n{out}");
    let o = run_fix(&s, &work, &message_fix(&out));
    assert!(o.status.success(), "{}", all(&o));
    assert_eq!(
        s.git_ok(&work, &["rev-parse", "HEAD~1"]),
        base,
        "amended, not a commit on top"
    );
    let o = push_main(&s, &work);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn fix_for_a_bot_reviewer_removes_its_line_and_the_push_passes() {
    let (s, _remote, work) = guarded();
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    s.commit(
        &work,
        "a.txt",
        &format!("feat: a\n\nAssisted-by: claude-code\nreviewed-by:Claude <noreply@anthropic.com> \n{REVIEW}"),
    );
    let o = push_main(&s, &work);
    let out = all(&o);
    assert!(!o.status.success() && out.contains("AIG006"), "{out}");
    // No placeholder: the fix runs exactly as printed.
    let fix = message_fix(&out);
    assert!(!fix.contains("Name <email>"), "{fix}");
    let o = s.cmd("sh", &work).args(["-c", &fix]).output().unwrap();
    assert!(o.status.success(), "{fix}\n{}", all(&o));
    let msg = s.git_ok(&work, &["log", "-1", "--format=%B"]);
    assert!(
        !msg.contains("noreply@anthropic.com") && msg.contains(REVIEW),
        "{msg}"
    );
    let o = push_main(&s, &work);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn attestation_and_review_missing_print_one_command_that_clears_both() {
    let (s, _remote, work) = guarded();
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    s.commit(
        &work,
        "a.txt",
        &format!("feat: a\n\nReviewed-by: Bot <ci-bot[bot]@users.noreply.github.com>\n{CLAUDE}"),
    );
    let o = push_main(&s, &work);
    let out = all(&o);
    assert!(
        out.contains("AIG001") && out.contains("AIG004") && out.contains("AIG006"),
        "{out}"
    );
    let o = run_fix(&s, &work, &message_fix(&out));
    assert!(o.status.success(), "{}", all(&o));
    let o = push_main(&s, &work);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn advice_on_a_feature_branch_names_the_protected_branch_it_is_bound_for() {
    let (s, _remote, work) = guarded();
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\"]\n[review]\nverify = \"signed\"\n",
    )
    .unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    s.commit_staged(&work, "chore: policy");
    s.git_ok(&work, &["checkout", "-q", "-b", "parser"]);
    std::fs::write(work.join("p.txt"), "p\n").unwrap();
    s.git_ok(&work, &["add", "p.txt"]);
    let o = s.git(
        &work,
        &[
            "commit",
            "-q",
            "-m",
            "feat: p",
            "-m",
            "Assisted-by: claude-code",
        ],
    );
    let out = all(&o);
    assert!(
        o.status.success(),
        "advice only on a feature branch:\n{out}"
    );
    assert!(out.contains("--branch main "), "{out}");
    assert!(out.contains("aigate approve COMMIT --into main "), "{out}");
    assert!(
        !out.contains("--into parser") && !out.contains("--branch parser"),
        "{out}"
    );
    // The exemption half of the AIG002 fix runs as printed: it drafts the request.
    let request = out
        .lines()
        .find_map(|l| l.split_once("or: aigate exemption request").map(|(_, r)| r))
        .unwrap_or_else(|| panic!("no exemption advice:\n{out}"));
    let o = s
        .cmd("sh", &work)
        .args([
            "-c",
            &format!("{} exemption request{request}", AIGATE.as_str()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{request}: {}", all(&o));
    assert!(text(&o.stdout).contains("drafted"), "{}", all(&o));
}
