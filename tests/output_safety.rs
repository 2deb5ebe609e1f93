//! What reports print when the input is hostile or unusual: formulas and HTML in commit text,
//! shallow clones, empty repositories, remote-tracking branch names.

mod common;
use common::*;

#[test]
fn audit_csv_neutralises_formulas_and_markdown_shows_html_as_text() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(
        &work,
        "a.txt",
        &format!("=HYPERLINK(\"http://evil.example\",\"click\")\n\n{CLAUDE}"),
    );
    s.commit(
        &work,
        "b.txt",
        &format!("<img src=x onerror=alert(1)> feat\n\n{CLAUDE}"),
    );
    let o = s.aigate(&work, &["audit", "--format", "csv"]);
    let csv = text(&o.stdout);
    assert!(o.status.success(), "{}", all(&o));
    assert!(csv.contains("'=HYPERLINK("), "{csv}");
    assert!(
        !csv.contains(",=HYPERLINK(") && !csv.contains(",\"=HYPERLINK("),
        "{csv}"
    );
    let o = s.aigate(&work, &["audit", "--format", "markdown"]);
    let md = text(&o.stdout);
    assert!(o.status.success(), "{}", all(&o));
    assert!(md.contains("&lt;img src=x onerror=alert(1)&gt;"), "{md}");
    assert!(!md.contains("<img"), "{md}");
}

#[test]
fn audit_in_a_shallow_clone_says_it_sees_part_of_the_history() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    s.git_ok(&work, &["push", "-q", "--no-verify", "origin", "main"]);
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
    let o = s.aigate(&shallow, &["audit"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(
        text(&o.stderr).contains("shallow") && text(&o.stderr).contains("git fetch --unshallow"),
        "{}",
        all(&o)
    );
}

#[test]
fn check_and_audit_of_an_empty_repository_pass_with_a_note() {
    let s = Scratch::new();
    let repo = s.path("new");
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", repo.to_str().unwrap()],
    );
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["audit"],
        &["audit", "--format", "json"],
    ] {
        let o = s.aigate(&repo, args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", all(&o));
        assert!(
            text(&o.stderr).contains("no commits yet"),
            "{args:?}: {}",
            all(&o)
        );
        if args.contains(&"json") {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
            assert_eq!(v["schema_version"], 1, "{v}");
        }
    }
}

#[test]
fn audit_branch_reads_a_remote_tracking_branch() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    s.git_ok(
        &work,
        &["push", "-q", "--no-verify", "origin", "topic:main"],
    );
    s.git_ok(&work, &["fetch", "-q", "origin"]);
    s.git_ok(&work, &["branch", "-q", "-D", "main"]);
    let o = s.aigate(
        &work,
        &["audit", "--branch", "origin/main", "--format", "json"],
    );
    assert!(o.status.success(), "{}", all(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["summary"]["commits"], 2, "{v}");
    assert_eq!(v["summary"]["ai_assisted"], 1, "{v}");
}

#[test]
fn policy_check_speaks_the_policys_words_and_shows_empty_lists() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(work.join(".aigate.toml"), "[branches]\nprotected = []\n").unwrap();
    let o = s.aigate(&work, &["policy", "check"]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{}", all(&o));
    assert!(out.contains("mode: enforce\n"), "{out}");
    assert!(out.contains("protected: (none)\n"), "{out}");
    assert!(out.contains("agents: attestation add,"), "{out}");
    assert!(
        !out.contains("Enforce") && !out.contains("Add,"),
        "no Rust names: {out}"
    );
}

#[test]
fn every_error_starts_with_the_same_prefix() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let o = s.aigate(&work, &["exemption", "show", "EX-NOPE"]);
    assert!(
        text(&o.stderr).starts_with("aigate: error: "),
        "{}",
        all(&o)
    );
    let o = s.aigate(&work, &["check", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(
        text(&o.stderr).starts_with("aigate: error: invalid value 'csv'"),
        "{}",
        all(&o)
    );
    std::fs::write(
        work.join(".aigate.toml"),
        "[branches]\nmode = \"enforced\"\n",
    )
    .unwrap();
    for args in [&["policy", "check"][..], &["check"]] {
        let o = s.aigate(&work, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", all(&o));
        assert!(
            text(&o.stderr).starts_with("aigate: error: unknown variant"),
            "{args:?}: {}",
            all(&o)
        );
    }
}
