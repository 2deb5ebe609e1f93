//! The local guard: commit-msg and pre-push hooks installed with `aigate install`, exercised
//! with real `git commit` and `git push` to a bare repository.

mod common;
use common::*;

fn installed() -> (Scratch, std::path::PathBuf, std::path::PathBuf) {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let o = s.aigate(&work, &["install"]);
    assert!(o.status.success(), "{}", all(&o));
    (s, remote, work)
}

#[test]
fn ai_commit_pushed_to_main_is_refused_until_attested_and_reviewed() {
    let (s, _remote, work) = installed();
    s.git_ok(&work, &["checkout", "-q", "-b", "feature"]);
    s.commit(&work, "a.txt", &format!("feat: add a\n\n{CLAUDE}"));
    let o = s.git(&work, &["push", "origin", "feature:main"]);
    let out = all(&o);
    assert!(!o.status.success(), "push should be refused:\n{out}");
    assert!(out.contains("AIG001") && out.contains("AIG004"), "{out}");
    assert!(
        out.contains("git commit --amend --trailer \"Assisted-by: claude-code\""),
        "{out}"
    );

    s.git_ok(
        &work,
        &[
            "commit",
            "-q",
            "--amend",
            "--no-edit",
            "--trailer",
            "Assisted-by: claude-code",
            "--trailer",
            REVIEW,
        ],
    );
    let o = s.git(&work, &["push", "origin", "feature:main"]);
    assert!(o.status.success(), "push should pass:\n{}", all(&o));
}

#[test]
fn human_commits_pass_untouched() {
    let (s, _remote, work) = installed();
    let o = s.git(
        &work,
        &[
            "commit",
            "--allow-empty",
            "-q",
            "-m",
            "docs: typo\n\nSigned-off-by: Ann <ann@example.com>",
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    let o = s.git(&work, &["push", "origin", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(!all(&o).contains("AIG"), "{}", all(&o));
}

#[test]
fn commit_msg_enforces_on_main_and_only_advises_on_a_feature_branch() {
    let (s, _remote, work) = installed();
    std::fs::write(work.join("b.txt"), "b\n").unwrap();
    s.git_ok(&work, &["add", "b.txt"]);
    let o = s.git(
        &work,
        &["commit", "-q", "-m", &format!("feat: b\n\n{CLAUDE}")],
    );
    assert!(!o.status.success(), "commit on main should be refused");
    assert!(all(&o).contains("AIG001"), "{}", all(&o));

    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    let o = s.git(
        &work,
        &["commit", "-q", "-m", &format!("feat: b\n\n{CLAUDE}")],
    );
    assert!(
        o.status.success(),
        "commit on a feature branch is advisory: {}",
        all(&o)
    );
    assert!(
        all(&o).contains("AIG001"),
        "advice is still shown: {}",
        all(&o)
    );
}

#[test]
fn commit_msg_ignores_trailers_in_comments_and_below_scissors() {
    let (s, _remote, work) = installed();
    // The hook sees the raw file: a review that only exists in a comment does not count.
    let msg = work.join("msg.txt");
    std::fs::write(&msg, format!("feat: c\n\nAssisted-by: kiro\n# {REVIEW}\n# ------------------------ >8 ------------------------\n{REVIEW}\n")).unwrap();
    let o = s.aigate(&work, &["hook", "commit-msg", msg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(all(&o).contains("AIG004"), "{}", all(&o));
}

#[test]
fn pre_push_judges_several_refs_in_one_push_and_names_the_bad_one() {
    let (s, _remote, work) = installed();
    s.git_ok(&work, &["checkout", "-q", "-b", "good"]);
    s.commit(
        &work,
        "g.txt",
        &format!("feat: good\n\n{CLAUDE}\nAssisted-by: claude-code\n{REVIEW}"),
    );
    s.git_ok(&work, &["checkout", "-q", "main"]);
    s.git_ok(&work, &["checkout", "-q", "-b", "bad"]);
    s.commit(&work, "x.txt", &format!("feat: bad\n\n{CLAUDE}"));
    let o = s.git(&work, &["push", "origin", "good:main", "bad:release/1.0"]);
    let out = all(&o);
    assert!(!o.status.success(), "{out}");
    assert!(out.contains("to release/1.0"), "{out}");
    assert!(!out.contains("to main break"), "{out}");
    // Nothing was sent: pre-push is all or nothing.
    assert!(
        s.git(
            &work,
            &[
                "ls-remote",
                "--exit-code",
                "origin",
                "refs/heads/release/1.0"
            ]
        )
        .status
        .code()
            == Some(2)
    );
}

#[test]
fn feature_branch_first_is_no_way_around_the_gate() {
    let (s, _remote, work) = installed();
    s.git_ok(&work, &["checkout", "-q", "-b", "sneaky"]);
    s.commit(&work, "s.txt", &format!("feat: sneaky\n\n{CLAUDE}"));
    let o = s.git(&work, &["push", "origin", "sneaky"]);
    assert!(
        o.status.success(),
        "unprotected branches are advisory: {}",
        all(&o)
    );
    s.git_ok(&work, &["fetch", "-q", "origin"]);
    let o = s.git(&work, &["push", "origin", "sneaky:main"]);
    assert!(
        !o.status.success(),
        "commits already on a feature branch are still new to main"
    );
    assert!(all(&o).contains("AIG001"));
}

#[test]
fn new_protected_branch_from_accepted_history_brings_nothing_new() {
    let (s, _remote, work) = installed();
    // History that predates aigate (pushed without hooks) is already on main.
    s.commit(&work, "old.txt", &format!("feat: old\n\n{CLAUDE}"));
    s.git_ok(&work, &["push", "-q", "--no-verify", "origin", "main"]);
    let o = s.git(&work, &["push", "origin", "main:release/2.0"]);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn deleting_a_protected_branch_is_refused_and_a_feature_branch_is_not() {
    let (s, _remote, work) = installed();
    s.git_ok(
        &work,
        &["push", "-q", "origin", "main:release/1.0", "main:topic"],
    );
    let o = s.git(&work, &["push", "origin", "--delete", "release/1.0"]);
    assert!(!o.status.success());
    assert!(
        all(&o).contains("deleting a protected branch"),
        "{}",
        all(&o)
    );
    let o = s.git(&work, &["push", "origin", "--delete", "topic"]);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn existing_hook_keeps_running_after_install_and_comes_back_on_uninstall() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let hook = work.join(".git/hooks/pre-push");
    let marker = work.join("old-hook-ran");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\ncat > /dev/null\necho ran >> '{}'\n",
            marker.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", hook.to_str().unwrap()])
        .status()
        .unwrap();
    let original = std::fs::read_to_string(&hook).unwrap();

    assert!(s.aigate(&work, &["install"]).status.success());
    assert!(
        s.aigate(&work, &["install"]).status.success(),
        "install is idempotent"
    );
    s.git_ok(&work, &["checkout", "-q", "-b", "f"]);
    s.commit(&work, "f.txt", &format!("feat: f\n\n{CLAUDE}"));
    let o = s.git(&work, &["push", "origin", "f:main"]);
    assert!(!o.status.success(), "aigate still judges");
    assert!(marker.exists(), "the old hook ran");

    assert!(s.aigate(&work, &["uninstall"]).status.success());
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), original);
    assert!(!work.join(".git/hooks/commit-msg").exists());
}

#[test]
fn a_failing_existing_hook_still_stops_the_push() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let hook = work.join(".git/hooks/pre-push");
    std::fs::write(&hook, "#!/bin/sh\necho old hook says no >&2\nexit 3\n").unwrap();
    std::process::Command::new("chmod")
        .args(["+x", hook.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(s.aigate(&work, &["install"]).status.success());
    let o = s.git(&work, &["push", "origin", "main:other"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("old hook says no"));
}

#[test]
fn core_hooks_path_is_honoured() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.git_ok(&work, &["config", "core.hooksPath", ".githooks"]);
    assert!(s.aigate(&work, &["install"]).status.success());
    assert!(work.join(".githooks/pre-push").exists());
    assert!(!work.join(".git/hooks/pre-push").exists());
    s.git_ok(&work, &["checkout", "-q", "-b", "f"]);
    s.commit(&work, "f.txt", &format!("feat: f\n\n{CLAUDE}"));
    assert!(!s.git(&work, &["push", "origin", "f:main"]).status.success());
}

#[test]
fn linked_worktrees_share_the_installed_hooks() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let wt = s.path("wt");
    s.git_ok(
        &work,
        &["worktree", "add", "-q", "-b", "wtb", wt.to_str().unwrap()],
    );
    assert!(s.aigate(&wt, &["install"]).status.success());
    assert!(
        work.join(".git/hooks/pre-push").exists(),
        "hooks go to the common git dir"
    );
    s.commit(&wt, "w.txt", &format!("feat: w\n\n{CLAUDE}"));
    assert!(!s.git(&wt, &["push", "origin", "wtb:main"]).status.success());
}

#[test]
fn no_verify_skips_client_hooks_which_is_why_the_server_hook_exists() {
    let (s, _remote, work) = installed();
    s.git_ok(&work, &["checkout", "-q", "-b", "f"]);
    s.commit(&work, "f.txt", &format!("feat: f\n\n{CLAUDE}"));
    assert!(s
        .git(&work, &["push", "--no-verify", "origin", "f:main"])
        .status
        .success());
}

#[test]
fn missing_binary_is_reported_loudly_by_client_hooks() {
    let (s, _remote, work) = installed();
    let hook = work.join(".git/hooks/pre-push");
    let script = std::fs::read_to_string(&hook)
        .unwrap()
        .replace(AIGATE.as_str(), "/nonexistent/aigate");
    std::fs::write(&hook, script).unwrap();
    let o = s
        .cmd("git", &work)
        .env("PATH", "/usr/bin:/bin")
        .args(["push", "origin", "main:x"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(all(&o).contains("binary is missing"), "{}", all(&o));
}

#[test]
fn malformed_policy_is_an_error_with_file_line_and_column() {
    let (s, _remote, work) = installed();
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\", \"hal9000\"]\n",
    )
    .unwrap();
    let o = s.aigate(&work, &["policy", "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(all(&o).contains(".aigate.toml:2:21"), "{}", all(&o));
    std::fs::write(work.join(".aigate.toml"), "[review]\nmin = \"two\"\n").unwrap();
    let o = s.aigate(&work, &["policy", "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(all(&o).contains(".aigate.toml:2:7"), "{}", all(&o));
    // A hook with a broken policy stops the push rather than guessing.
    let o = s.git(&work, &["push", "origin", "main:topic"]);
    assert!(!o.status.success());
}

#[test]
fn example_policy_approves_kiro_only() {
    let (s, _remote, work) = installed();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/rules/policy-example.toml"),
        work.join(".aigate.toml"),
    )
    .unwrap();
    s.git_ok(&work, &["checkout", "-q", "-b", "f"]);
    s.commit(
        &work,
        "k.txt",
        "feat: k\n\nAssisted-by: kiro\nReviewed-by: Rob Reviewer <rob@example.com>",
    );
    assert!(s.git(&work, &["push", "origin", "f:main"]).status.success());
    s.commit(
        &work,
        "c.txt",
        &format!("feat: c\n\n{CLAUDE}\nAssisted-by: claude-code\n{REVIEW}"),
    );
    let o = s.git(&work, &["push", "origin", "f:main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("AIG002"), "{}", all(&o));
}

#[test]
fn the_fix_printed_for_a_refused_commit_makes_the_commit_and_loses_nothing() {
    let (s, _remote, work) = installed();
    let before = s.git_ok(&work, &["rev-parse", "HEAD"]);
    std::fs::write(work.join("new.txt"), "new work\n").unwrap();
    s.git_ok(&work, &["add", "new.txt"]);
    let o = s.git(
        &work,
        &["commit", "-q", "-m", "feat: new work", "-m", CLAUDE],
    );
    let out = all(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        !out.contains("--amend"),
        "a refused commit does not exist to amend:\n{out}"
    );
    // Run the printed fix as printed (the reviewer, a person, put in for the placeholder),
    // from a subdirectory: the message file is named by its absolute path.
    let fix = out
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("fix: ")
                .filter(|f| f.contains("Assisted-by"))
        })
        .unwrap_or_else(|| panic!("no fix line:\n{out}"))
        .to_string();
    std::fs::create_dir_all(work.join("sub")).unwrap();
    let o = s
        .cmd("sh", &work.join("sub"))
        .args(["-c", &fix.replace("Reviewed-by: Name <email>", REVIEW)])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
    assert_eq!(s.git_ok(&work, &["rev-parse", "HEAD~1"]), before);
    let msg = s.git_ok(&work, &["log", "-1", "--format=%B"]);
    assert!(
        msg.starts_with("feat: new work") && msg.contains("Assisted-by: claude-code"),
        "{msg}"
    );
    assert!(s
        .git_ok(&work, &["show", "--name-only", "--format=", "HEAD"])
        .contains("new.txt"));
}

/// Re-pointing a protected annotated tag: pre-push reads the remote's old value, a tag object,
/// as the history already accepted (peeled to its commit), not as an error.
#[test]
fn pre_push_of_a_protected_annotated_tag_peels_the_remote_tag() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(
        work.join(".aigate.toml"),
        "[branches]\nprotected = [\"main\", \"refs/tags/*\"]\n",
    )
    .unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    s.commit_staged(&work, "chore: policy");
    s.git_ok(&work, &["tag", "-a", "v1", "-m", "v1"]);
    s.git_ok(
        &work,
        &["push", "-q", "--no-verify", "origin", "main", "v1"],
    );
    assert!(s.aigate(&work, &["install"]).status.success());
    s.commit(&work, "b.txt", "docs: b");
    s.git_ok(&work, &["tag", "-f", "-a", "v1", "-m", "v1 again"]);
    let o = s.git(&work, &["push", "-f", "origin", "v1"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(!all(&o).contains("not a commit"), "{}", all(&o));
}

/// Under signed reviews, pre-push cannot see approvals a reviewer may already have pushed: a
/// commit lacking only its approval is left to the server, shown as a warning, not as a refusal
/// that then lets the push through.
#[test]
fn pre_push_leaves_missing_signed_approvals_to_the_server_and_says_so() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(work.join(".aigate.toml"), "[review]\nverify = \"signed\"\n").unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    s.commit_staged(&work, "chore: policy");
    s.git_ok(&work, &["push", "-q", "--no-verify", "origin", "main"]);
    assert!(s.aigate(&work, &["install"]).status.success());
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    amend_attested_and_reviewed(&s, &work);
    let o = s.git(&work, &["push", "origin", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    let out = all(&o);
    assert!(out.contains("not refused here"), "{out}");
    assert!(!out.contains("aigate: refused"), "{out}");
    assert!(out.contains("the server checks signed approvals"), "{out}");
}
