//! Exemptions and audit reports on real repositories: each way an exemption can fail to cover
//! a commit, on the server (exemptions from accepted state), and the audit in every format.

mod common;
use common::*;
use std::path::{Path, PathBuf};

const EXEMPTIONS: &str = r#"
[[exemption]]
id = "EX-OK"
tools = ["cursor"]
branches = ["main"]
paths = ["src/**"]
approved_by = "Cora Compliance <cora@example.com>"
ticket = "SEC-1"
reason = "pilot"
expires = "2999-12-31"

[[exemption]]
id = "EX-EXPIRED"
tools = ["cursor"]
branches = ["main"]
approved_by = "Cora Compliance <cora@example.com>"
ticket = "SEC-2"
reason = "old pilot"
expires = "@YESTERDAY@"

[[exemption]]
id = "EX-RELEASE"
tools = ["cursor"]
branches = ["release/**"]
approved_by = "Cora Compliance <cora@example.com>"
ticket = "SEC-3"
reason = "release hotfixes"
expires = "2999-12-31"

[[exemption]]
id = "EX-REVOKED"
tools = ["cursor"]
branches = ["main"]
approved_by = "Cora Compliance <cora@example.com>"
ticket = "SEC-4"
reason = "withdrawn"
expires = "2999-12-31"
revoked = { by = "Cora Compliance <cora@example.com>", at = "2026-01-01T00:00:00Z" }

[[exemption]]
id = "EX-FUTURE"
tools = ["cursor"]
branches = ["main"]
approved_by = "Cora Compliance <cora@example.com>"
ticket = "SEC-5"
reason = "next year"
not_before = "2999-01-01"
expires = "2999-12-31"

[[exemption]]
id = "EX-BOB"
tools = ["cursor"]
branches = ["main"]
authors = ["bob@example.com"]
approved_by = "Cora Compliance <cora@example.com>"
ticket = "SEC-6"
reason = "bob only"
expires = "2999-12-31"
"#;

fn yesterday() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 86_400;
    aigate::exemptions::rfc3339(t)[..10].to_string()
}

const CURSOR: &str =
    "Made-with: Cursor\nAssisted-by: cursor\nReviewed-by: Rob Reviewer <rob@example.com>";

/// A guarded server whose accepted main carries a kiro-only policy and the exemptions above.
fn guarded() -> (Scratch, PathBuf, PathBuf) {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\"]\n",
    )
    .unwrap();
    std::fs::create_dir_all(work.join(".aigate")).unwrap();
    std::fs::write(
        work.join(".aigate/exemptions.toml"),
        EXEMPTIONS.replace("@YESTERDAY@", &yesterday()),
    )
    .unwrap();
    s.git_ok(&work, &["add", "."]);
    s.git_ok(&work, &["commit", "-q", "-m", "Policy and exemptions"]);
    s.git_ok(&work, &["push", "-q", "origin", "main"]);
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    (s, remote, work)
}

fn attempt(
    s: &Scratch,
    work: &Path,
    files: &[&str],
    exemption: &str,
    dest: &str,
) -> (bool, String) {
    s.git_ok(work, &["checkout", "-q", "-B", "try", "origin/main"]);
    for f in files {
        let p = work.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, "x\n").unwrap();
        s.git_ok(work, &["add", f]);
    }
    s.git_ok(
        work,
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("feat: cursor work\n\n{CURSOR}\nAI-Exemption: {exemption}"),
        ],
    );
    let o = s.git(
        work,
        &["push", "--no-verify", "origin", &format!("try:{dest}")],
    );
    (o.status.success(), all(&o))
}

#[test]
fn an_exemption_that_covers_lets_the_tool_through_and_is_logged() {
    let (s, remote, work) = guarded();
    let (ok, out) = attempt(&s, &work, &["src/a.rs"], "EX-OK", "main");
    assert!(ok, "{out}");
    let log = std::fs::read_to_string(remote.join("aigate-audit.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["commits"][0]["exemptions"][0]["id"], "EX-OK");
    assert_eq!(last["commits"][0]["exemptions"][0]["ticket"], "SEC-1");
}

#[test]
fn without_an_exemption_the_unapproved_tool_is_refused() {
    let (s, _remote, work) = guarded();
    s.git_ok(&work, &["checkout", "-q", "-B", "try", "origin/main"]);
    s.commit(&work, "src/b.rs", &format!("feat: b\n\n{CURSOR}"));
    let o = s.git(&work, &["push", "--no-verify", "origin", "try:main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("AIG002"), "{}", all(&o));
}

#[test]
fn each_reason_an_exemption_does_not_apply_is_named() {
    let (s, _remote, work) = guarded();
    let cases: [(&[&str], &str, &str, &str); 7] = [
        (
            &["src/a.rs", "docs/b.md"],
            "EX-OK",
            "main",
            "path docs/b.md is out of scope",
        ),
        (&["src/a.rs"], "EX-EXPIRED", "main", "expired on"),
        (
            &["src/a.rs"],
            "EX-RELEASE",
            "main",
            "branch main is out of scope",
        ),
        (&["src/a.rs"], "EX-REVOKED", "main", "revoked by"),
        (
            &["src/a.rs"],
            "EX-FUTURE",
            "main",
            "not valid before 2999-01-01",
        ),
        (
            &["src/a.rs"],
            "EX-BOB",
            "main",
            // Scoped to Bob as the authenticated pusher: this push names no pusher.
            "this push names no pusher",
        ),
        (
            &["src/a.rs"],
            "EX-NONESUCH",
            "main",
            "unknown exemption `EX-NONESUCH`",
        ),
    ];
    for (files, ex, dest, why) in cases {
        let (ok, out) = attempt(&s, &work, files, ex, dest);
        assert!(!ok, "{ex} should not cover: {out}");
        assert!(
            out.contains("AIG008") && out.contains(why),
            "{ex}: want `{why}` in:\n{out}"
        );
    }
    // The release exemption does cover a release branch.
    let (ok, out) = attempt(&s, &work, &["src/a.rs"], "EX-RELEASE", "release/1");
    assert!(ok, "{out}");
}

#[test]
fn an_exemption_granted_in_the_same_push_does_not_count_on_the_server() {
    let (s, _remote, work) = guarded();
    s.git_ok(&work, &["checkout", "-q", "-B", "try", "origin/main"]);
    let o = s.aigate(
        &work,
        &[
            "exemption",
            "request",
            "--tool",
            "cursor",
            "--branch",
            "main",
            "--expires",
            "30d",
            "--ticket",
            "SEC-9",
            "--reason",
            "self-granted",
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    let id = text(&o.stdout)
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_string();
    s.git_ok(&work, &["add", ".aigate/exemptions.toml"]);
    s.commit_staged(&work, "Grant myself an exemption");
    s.commit(
        &work,
        "src/c.rs",
        &format!("feat: c\n\n{CURSOR}\nAI-Exemption: {id}"),
    );
    let o = s.git(&work, &["push", "--no-verify", "origin", "try:main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(
        all(&o).contains(&format!("unknown exemption `{id}`")),
        "{}",
        all(&o)
    );
}

#[test]
fn request_list_show_revoke_round_trip() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(work.join(".aigate.toml"), "[exemptions]\nmax_days = 90\n").unwrap();
    let o = s.aigate(
        &work,
        &[
            "exemption",
            "request",
            "--tool",
            "Cursor",
            "--branch",
            "main",
            "--path",
            "src/**",
            "--expires",
            "10d",
            "--ticket",
            "SEC-1",
            "--reason",
            "pilot",
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    let id = text(&o.stdout)
        .split_whitespace()
        .nth(2)
        .unwrap()
        .to_string();
    assert!(id.starts_with("EX-"), "{id}");
    // Over the policy's cap: refused, and the file is left as it was.
    let before = std::fs::read_to_string(work.join(".aigate/exemptions.toml")).unwrap();
    let o = s.aigate(
        &work,
        &[
            "exemption",
            "request",
            "--tool",
            "cursor",
            "--branch",
            "main",
            "--expires",
            "200d",
            "--ticket",
            "X",
            "--reason",
            "y",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        all(&o).contains("longer than the policy's 90 days"),
        "{}",
        all(&o)
    );
    assert_eq!(
        std::fs::read_to_string(work.join(".aigate/exemptions.toml")).unwrap(),
        before
    );
    // Unknown tools are refused with the way to see the ids.
    let o = s.aigate(
        &work,
        &[
            "exemption",
            "request",
            "--tool",
            "hal",
            "--branch",
            "main",
            "--expires",
            "1d",
            "--ticket",
            "X",
            "--reason",
            "y",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(all(&o).contains("aigate catalog"));

    let o = s.aigate(&work, &["exemption", "list", "--expiring-within", "14d"]);
    assert!(text(&o.stdout).contains(&id), "{}", all(&o));
    assert!(s
        .aigate(&work, &["exemption", "revoke", &id, "--reason", "done"])
        .status
        .success());
    let o = s.aigate(&work, &["exemption", "show", &id]);
    assert!(
        text(&o.stdout).contains("(revoked)") && text(&o.stdout).contains("done"),
        "{}",
        all(&o)
    );
    let o = s.aigate(&work, &["exemption", "list", "--active"]);
    assert!(!text(&o.stdout).contains(&id));
    assert_eq!(
        s.aigate(&work, &["exemption", "revoke", &id]).status.code(),
        Some(2),
        "twice is an error"
    );
}

/// A history with a human commit, an approved AI commit, an exempted one and a refused one.
fn mixed_history() -> (Scratch, PathBuf) {
    let (s, _remote, work) = guarded();
    s.git_ok(&work, &["checkout", "-q", "main"]);
    s.commit(&work, "docs/h.md", "docs: human");
    s.commit(
        &work,
        "src/k.rs",
        "feat: kiro\n\nAssisted-by: kiro\nReviewed-by: Rob Reviewer <rob@example.com>",
    );
    s.commit(
        &work,
        "src/e.rs",
        &format!("feat: exempted\n\n{CURSOR}\nAI-Exemption: EX-OK"),
    );
    s.commit(&work, "src/r.rs", &format!("feat: refused\n\n{CLAUDE}"));
    (s, work)
}

#[test]
fn audit_rows_and_totals_agree_in_every_format() {
    let (s, work) = mixed_history();
    let o = s.aigate(&work, &["audit", "--branch", "main", "--format", "json"]);
    assert!(o.status.success(), "{}", all(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    // Commits made in the same second have no defined order: find rows by summary.
    let row = |summary: &str| {
        rows.iter()
            .find(|r| r["summary"] == summary)
            .unwrap_or_else(|| panic!("no row {summary}"))
    };
    assert_eq!(row("feat: refused")["verdict"], "fail");
    assert_eq!(row("feat: exempted")["verdict"], "exempted");
    assert_eq!(row("feat: exempted")["exemptions"][0], "EX-OK");
    assert_eq!(row("feat: kiro")["verdict"], "pass");
    assert_eq!(row("feat: kiro")["tools"][0], "kiro");
    assert_eq!(
        row("feat: kiro")["reviewers"][0],
        "Rob Reviewer <rob@example.com>"
    );
    let sum = &doc["summary"];
    assert_eq!(sum["commits"], 6);
    assert_eq!(sum["ai_assisted"], 3);
    assert_eq!(sum["ai_share_percent"], 50.0);
    assert_eq!(sum["failing"], 1);
    assert_eq!(sum["exempted"], 1);
    assert_eq!(sum["findings_by_rule"]["AIG001"], 1);
    assert_eq!(
        sum["findings_by_rule"]["AIG002"], 1,
        "claude-code is not approved by the kiro-only policy"
    );
    assert_eq!(sum["findings_by_rule"]["AIG004"], 1);
    assert_eq!(sum["exemptions_used"]["EX-OK"], 1);
    let month: String = aigate::exemptions::rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64,
    )[..7]
        .to_string();
    assert_eq!(sum["by_month_and_tool"][&month]["cursor"], 1);
    assert_eq!(sum["by_month_and_tool"][&month]["claude-code"], 1);

    let o = s.aigate(&work, &["audit", "--branch", "main", "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(&o.stdout[..]);
    let csv_rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(csv_rows.len(), 3);
    let csv_row = |summary: &str| {
        csv_rows
            .iter()
            .find(|r| &r[9] == summary)
            .unwrap_or_else(|| panic!("no csv row {summary}"))
    };
    assert_eq!(&csv_row("feat: refused")[3], "fail");
    assert_eq!(&csv_row("feat: exempted")[8], "EX-OK");
    assert!(
        text(&o.stderr).contains("commits: 6, AI-assisted: 3 (50%)"),
        "{}",
        text(&o.stderr)
    );

    let o = s.aigate(
        &work,
        &["audit", "--branch", "main", "--format", "markdown"],
    );
    let md = text(&o.stdout);
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `")).count(),
        3,
        "{md}"
    );
    assert!(
        md.contains("- commits: 6, AI-assisted: 3 (50%), failing: 1, exempted: 1"),
        "{md}"
    );

    let o = s.aigate(&work, &["audit", "--branch", "main"]);
    let table = text(&o.stdout);
    assert_eq!(
        table
            .lines()
            .filter(|l| l.contains(" fail ") || l.contains(" exempted ") || l.contains(" pass "))
            .count(),
        3,
        "{table}"
    );

    let o = s.aigate(&work, &["audit", "--branch", "main", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).expect("sarif is json");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["AIG001", "AIG002", "AIG004"]);
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/r.rs"
    );
    // Back through serde-sarif's own types: the structure is what SARIF defines.
    let _: serde_sarif::sarif::Sarif =
        serde_json::from_slice(&o.stdout).expect("serde-sarif reads it");
}

#[test]
fn audit_filters_by_date() {
    let (s, work) = mixed_history();
    let o = s.aigate(
        &work,
        &[
            "audit",
            "--branch",
            "main",
            "--since",
            "2999-01-01",
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["rows"].as_array().unwrap().len(), 0);
    assert_eq!(doc["summary"]["commits"], 0);
    let o = s.aigate(
        &work,
        &[
            "audit",
            "--branch",
            "main",
            "--until",
            "2000-01-01",
            "--format",
            "json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["summary"]["commits"], 0);
    assert_eq!(
        s.aigate(&work, &["audit", "--since", "yesterday"])
            .status
            .code(),
        Some(2)
    );
}
