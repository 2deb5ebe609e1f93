//! What a new user trips over, each tried as they would: pipes, empty repositories, options
//! that contradict each other, formats a command does not produce, hostile text on a terminal.

mod common;
use common::*;

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    for i in 0..30 {
        s.commit(
            &work,
            &format!("f{i}.txt"),
            &format!("feat: {i}\n\n{CLAUDE}"),
        );
    }
    for cmd in [
        "check HEAD~30..HEAD --branch main",
        "trailers HEAD~30..HEAD",
        "policy check",
        "audit --format csv",
        "catalog",
    ] {
        let o = s
            .cmd("sh", &work)
            .args([
                "-c",
                &format!(
                    "'{}' {cmd} | head -1 >/dev/null; echo \"status ${{PIPESTATUS:-x}}\"",
                    AIGATE.as_str()
                ),
            ])
            .output()
            .unwrap();
        let err = text(&o.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn an_empty_repository_says_so() {
    let s = Scratch::new();
    let work = s.path("empty");
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", work.to_str().unwrap()],
    );
    let o = s.aigate(&work, &["explain", "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(all(&o).contains("no commits yet"), "{}", all(&o));
    assert!(
        !all(&o).contains("class="),
        "libgit2 internals leak: {}",
        all(&o)
    );
}

#[test]
fn contradictions_and_unproduced_formats_are_usage_errors() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let o = s.aigate(
        &work,
        &["audit", "--since", "2026-02-01", "--until", "2026-01-01"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(all(&o).contains("--since is after --until"), "{}", all(&o));
    for (cmd, fmt) in [
        ("check", "csv"),
        ("trailers", "sarif"),
        ("check", "markdown"),
    ] {
        let o = s.aigate(&work, &[cmd, "--format", fmt]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{cmd} --format {fmt}: {}",
            all(&o)
        );
        // clap refuses it, listing the formats the command writes.
        assert!(
            all(&o).contains(&format!("invalid value '{fmt}'"))
                && all(&o).contains("possible values"),
            "{}",
            all(&o)
        );
    }
}

#[test]
fn control_characters_in_commit_text_are_escaped_on_the_terminal() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    // A reviewer name that would clear the line and move the cursor up over a refused row.
    s.commit(
        &work,
        "a.txt",
        &format!(
            "feat: a\u{1b}[2K\n\n{CLAUDE}\nReviewed-by: Eve\u{1b}[1A\u{1b}[2K <eve@example.com>"
        ),
    );
    for args in [
        vec!["check", "HEAD~1..HEAD", "--branch", "main"],
        vec!["explain", "HEAD", "--branch", "main"],
        vec!["audit"],
    ] {
        let o = s.aigate(&work, &args);
        let out = all(&o);
        assert!(
            !out.contains('\u{1b}'),
            "{args:?} printed a raw escape: {out:?}"
        );
        assert!(out.contains("\\u{1b}"), "{args:?}: {out}");
    }
}

#[test]
fn explain_on_an_unprotected_branch_is_advice_not_a_failure() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let o = s.aigate(&work, &["explain", "HEAD", "--branch", "topic"]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    let o = s.aigate(&work, &["explain", "HEAD", "--branch", "main"]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
}

#[test]
fn completions_and_a_man_page_come_from_the_command_line_definition() {
    let s = Scratch::new();
    let o = s.aigate(s.dir.path(), &["completions", "bash"]);
    assert!(o.status.success() && text(&o.stdout).contains("approve"));
    let o = s.aigate(s.dir.path(), &["man"]);
    assert!(o.status.success() && text(&o.stdout).contains(".TH aigate"));
}

#[test]
fn colour_follows_color_and_no_color_and_quiet_leaves_out_advice() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let run = |args: &[&str], no_color: bool| {
        let mut c = s.cmd(&AIGATE, &work);
        if no_color {
            c.env("NO_COLOR", "1");
        }
        all(&c.args(args).output().unwrap())
    };
    let out = run(
        &[
            "--color",
            "always",
            "check",
            "HEAD~1..HEAD",
            "--branch",
            "main",
        ],
        false,
    );
    assert!(out.contains("\u{1b}[1;31maigate: refused:"), "{out:?}");
    let out = run(
        &[
            "--color",
            "never",
            "check",
            "HEAD~1..HEAD",
            "--branch",
            "main",
        ],
        false,
    );
    assert!(!out.contains('\u{1b}'), "{out:?}");
    // Not a terminal here, and NO_COLOR set: no colour in auto mode.
    let out = run(&["check", "HEAD~1..HEAD", "--branch", "main"], true);
    assert!(!out.contains('\u{1b}'), "{out:?}");
    // Advice on an unprotected branch is left out with --quiet; refusals never are.
    let out = run(
        &["--quiet", "check", "HEAD~1..HEAD", "--branch", "topic"],
        false,
    );
    assert!(!out.contains("aigate: note:"), "{out}");
    assert!(!out.contains("details: aigate explain"), "{out}");
    let out = run(&["-q", "check", "HEAD~1..HEAD", "--branch", "main"], false);
    assert!(out.contains("aigate: refused:"), "{out}");
}

#[test]
fn explain_and_check_give_one_shape_for_a_commit_verdict() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let o = s.aigate(
        &work,
        &["explain", "HEAD", "--branch", "main", "--format", "json"],
    );
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let o = s.aigate(
        &work,
        &[
            "check",
            "HEAD~1..HEAD",
            "--branch",
            "main",
            "--format",
            "json",
        ],
    );
    let c: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["schema_version"], 1);
    assert_eq!(e["commit"], c["refs"][0]["commits"][0]);
}

/// A push of many failing commits names the first 50 and says how to list the rest, instead of
/// printing three lines for each of them to the pusher.
#[test]
fn a_push_with_many_failing_commits_shows_fifty_and_counts_the_rest() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    for i in 0..60 {
        s.commit(&work, "notes.txt", &format!("feat: step {i}\n\n{CLAUDE}"));
    }
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(!o.status.success(), "{}", all(&o));
    let out = all(&o);
    assert!(out.contains("refused: 60 of 60 commit(s)"), "{out}");
    assert!(
        out.contains("... and 10 more: `aigate check` lists them all"),
        "{out}"
    );
    assert_eq!(out.matches("AIG001").count(), 51, "{out}"); // 50 findings and the explain hint
}
