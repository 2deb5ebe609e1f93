//! The command line on real repositories: check (CI mode), trailers, explain, init, catalog.

mod common;
use common::*;

#[test]
fn check_exits_1_on_findings_for_a_protected_target_and_0_elsewhere() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let o = s.aigate(&work, &["check", "origin/main..HEAD", "--branch", "main"]);
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(all(&o).contains("AIG001"));
    let o = s.aigate(&work, &["check", "origin/main..HEAD", "--branch", "topic"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "unprotected target is advisory: {}",
        all(&o)
    );
    // Default range: HEAD's commits not yet on a protected branch (here: the one commit).
    let o = s.aigate(&work, &["check", "--branch", "main", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(doc["passed"], false);
    assert_eq!(doc["refs"][0]["commits"].as_array().unwrap().len(), 1);
    assert_eq!(
        doc["refs"][0]["commits"][0]["findings"][0]["rule"],
        "AIG001"
    );
}

#[test]
fn check_uses_the_ci_target_branch_variables() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let o = s
        .cmd(&AIGATE, &work)
        .env("GITHUB_BASE_REF", "main")
        .args(["check", "--range", "origin/main..HEAD"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
}

#[test]
fn check_reports_a_bad_range_as_a_usage_error() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let o = s.aigate(&work, &["check", "nonesuch..HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(all(&o).contains("nonesuch"), "{}", all(&o));
}

#[test]
fn trailers_of_a_range_match_git_log() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let msgs = [
        "one\n\nSigned-off-by: A <a@example.com>\nKey: v\n  continued",
        "two\n\nReviewed-by: R <r@example.com>\nbut prose here\n\nmore",
        "three\n\nprose\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n\nConflicts:\n\tx.c",
    ];
    for (i, m) in msgs.iter().enumerate() {
        s.commit(&work, &format!("t{i}"), m);
    }
    let o = s.aigate(&work, &["trailers", "HEAD~3..HEAD", "--format", "json"]);
    assert!(o.status.success(), "{}", all(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["schema_version"], 1, "{doc}");
    let docs = doc["commits"].as_array().unwrap().clone();
    assert_eq!(docs.len(), 3);
    for d in docs {
        let id = d["commit"].as_str().unwrap();
        let git = s.git_ok(
            &work,
            &["log", "-1", "--format=%(trailers:only,unfold)", id],
        );
        let ours: Vec<String> = d["trailers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "{}: {}",
                    t["key"].as_str().unwrap(),
                    t["value"].as_str().unwrap()
                )
            })
            .collect();
        let theirs: Vec<String> = git
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(ours, theirs, "commit {id}");
    }
}

#[test]
fn trailers_from_stdin_print_like_interpret_trailers() {
    let s = Scratch::new();
    let o = s.aigate_stdin(
        s.dir.path(),
        &["trailers", "--stdin"],
        "subject\n\nFixes  : 1\nAcked-by: x\n# comment\n",
    );
    assert!(o.status.success());
    assert_eq!(text(&o.stdout), "Fixes: 1\nAcked-by: x\n");
}

#[test]
fn explain_shows_a_rule_and_a_commit() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let o = s.aigate(&work, &["explain", "AIG004"]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("missing-review"));
    assert!(s
        .aigate(&work, &["explain", "self-review"])
        .status
        .success());
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    s.commit(
        &work,
        "a.txt",
        &format!("feat: a\n\n{CLAUDE}\nAssisted-by: kiro:claude-sonnet-4.5\n{REVIEW}"),
    );
    let o = s.aigate(&work, &["explain", "HEAD", "--branch", "main"]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("evidence  claude-code"), "{out}");
    assert!(out.contains("attested  kiro"), "{out}");
    assert!(out.contains("model claude-sonnet-4.5"), "{out}");
    assert!(out.contains("AIG003"), "{out}");
    let o = s.aigate(&work, &["explain", "nonesuch"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn init_writes_a_starter_policy_that_checks_clean() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    assert!(s.aigate(&work, &["init"]).status.success());
    assert!(work.join(".aigate.toml").exists());
    assert_eq!(
        s.aigate(&work, &["init"]).status.code(),
        Some(2),
        "does not overwrite"
    );
    let o = s.aigate(&work, &["policy", "check"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(text(&o.stdout).contains("protected: main, master, release/**"));
}

#[test]
fn catalog_lists_every_tool_the_issue_names() {
    let s = Scratch::new();
    let o = s.aigate(s.dir.path(), &["catalog"]);
    let out = text(&o.stdout);
    for id in [
        "claude-code",
        "cursor",
        "copilot",
        "aider",
        "codex",
        "devin",
        "jules",
        "gemini",
        "kiro",
        "amazon-q",
        "openhands",
        "roo-code",
        "amp",
        "opencode",
        "cline",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(id)),
            "{id} missing:\n{out}"
        );
    }
}
