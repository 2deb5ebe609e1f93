//! Evidence as it appears in the wild, made with real git: attribution that git's own squash
//! commands move out of the trailer block, AI attribution notes, models apart from tools, and
//! people credited with `Assisted-by:`.

mod common;
use common::*;

fn check_json(s: &Scratch, work: &std::path::Path) -> serde_json::Value {
    let o = s.aigate(
        work,
        &[
            "check",
            "HEAD~1..HEAD",
            "--branch",
            "main",
            "--format",
            "json",
        ],
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(&o)))
}

fn commit_json(v: &serde_json::Value) -> &serde_json::Value {
    &v["refs"][0]["commits"][0]
}

#[test]
fn merge_squash_keeps_the_attribution_as_evidence_but_not_as_a_review() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    s.commit(&work, "a.rs", &format!("feat: a\n\n{CLAUDE}\n{REVIEW}"));
    s.git_ok(&work, &["checkout", "-q", "main"]);
    s.git_ok(&work, &["merge", "-q", "--squash", "topic"]);
    // git's own squash message, as `git commit` without -m writes it (indented messages).
    s.git_ok(&work, &["commit", "-q", "--no-verify", "--no-edit"]);
    let msg = s.git_ok(&work, &["log", "-1", "--format=%B"]);
    assert!(msg.contains("    Co-Authored-By: Claude"), "{msg}");
    let v = check_json(&s, &work);
    let c = commit_json(&v);
    assert_eq!(c["ai_assisted"], true, "{v}");
    assert!(c["evidence"].to_string().contains("squashed"), "{v}");
    // The indented Reviewed-by is not a trailer: no review counts.
    assert!(c["findings"].to_string().contains("AIG004"), "{v}");
}

#[test]
fn forge_squash_bullets_and_rebase_squash_keep_the_attribution() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    // GitHub's squash merge lists the squashed commits' messages as bullets.
    s.commit(
        &work,
        "b.rs",
        "feat: b (#12)\n\n* feat: b\n\n* Co-authored-by: Cursor <cursoragent@cursor.com>\n\n* fix lint\n",
    );
    let v = check_json(&s, &work);
    assert_eq!(commit_json(&v)["evidence"][0]["tool"], "cursor", "{v}");
    // rebase -i squash: the first commit's trailers end up mid-message.
    s.commit(&work, "c.rs", &format!("feat: c\n\n{CLAUDE}"));
    s.commit(&work, "c.rs", "fix: c typo");
    let o = s
        .cmd("git", &work)
        .env("GIT_SEQUENCE_EDITOR", "sed -i -e '2s/^pick/squash/'")
        .args(["rebase", "-q", "-i", "HEAD~2"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
    let v = check_json(&s, &work);
    assert_eq!(commit_json(&v)["ai_assisted"], true, "{v}");
}

#[test]
fn git_ai_notes_are_evidence() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(&work, "d.rs", "feat: d");
    s.git_ok(
        &work,
        &[
            "notes",
            "--ref=ai",
            "add",
            "-m",
            "src/d.rs\n  abc123 1-10\n---\n{\"schema_version\":\"authorship/3.0.0\",\"prompts\":{\"abc123\":{\"agent_id\":{\"tool\":\"cursor\",\"id\":\"x\",\"model\":\"gpt-5\"}}}}",
        ],
    );
    let v = check_json(&s, &work);
    let c = commit_json(&v);
    assert_eq!(c["evidence"][0]["tool"], "cursor", "{v}");
    assert_eq!(c["evidence"][0]["source"], "note", "{v}");
}

#[test]
fn a_model_without_a_tool_is_ai_assisted_with_its_own_finding() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(
        &work,
        "e.rs",
        &format!("feat: e\n\nAssisted-by: Claude Opus 4.6\n{REVIEW}"),
    );
    let v = check_json(&s, &work);
    let c = commit_json(&v);
    assert_eq!(c["ai_assisted"], true, "{v}");
    assert!(c["findings"].to_string().contains("AIG010"), "{v}");
    assert_eq!(c["attested"][0]["model_id"], "anthropic/claude-opus", "{v}");
}

#[test]
fn a_person_credited_with_assisted_by_is_not_an_ai_tool() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(
        &work,
        "f.rs",
        "fix: f\n\nAssisted-by: Jay Satiro\nAssisted-by: Junio C Hamano <gitster@pobox.com>",
    );
    let v = check_json(&s, &work);
    assert_eq!(commit_json(&v)["ai_assisted"], false, "{v}");
}

#[test]
fn models_can_be_approved_apart_from_tools() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\"]\n[models]\napproved = [\"anthropic/*\"]\n",
    )
    .unwrap();
    s.commit(
        &work,
        "g.rs",
        &format!("feat: g\n\nAssisted-by: kiro:claude-sonnet-4.5\n{REVIEW}"),
    );
    let v = check_json(&s, &work);
    assert_eq!(commit_json(&v)["findings"], serde_json::json!([]), "{v}");
    s.commit(
        &work,
        "g.rs",
        &format!("feat: g2\n\nAssisted-by: kiro:gpt-5\n{REVIEW}"),
    );
    let v = check_json(&s, &work);
    assert!(
        commit_json(&v)["findings"].to_string().contains("AIG002"),
        "{v}"
    );
    s.commit(
        &work,
        "g.rs",
        &format!("feat: g3\n\nAssisted-by: claude-code:claude-sonnet-4.5\n{REVIEW}"),
    );
    let v = check_json(&s, &work);
    assert!(
        commit_json(&v)["findings"].to_string().contains("AIG002"),
        "{v}"
    );
}

/// An insider pushes a commit with an AI attribution note to a feature branch (accepted as
/// advice), then brings the commit to main in the same push that removes the note. The note the
/// server already holds still counts: the commit is refused for want of an attestation.
#[test]
fn attack_removing_an_accepted_ai_note_in_the_push_to_main() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    let c = s.commit(&work, "d.rs", "feat: d");
    let note = "{\"schema_version\":\"authorship/3.0.0\",\"prompts\":{\"p\":{\"agent_id\":{\"tool\":\"cursor\"}}}}";
    s.git_ok(&work, &["notes", "--ref=ai", "add", "-m", note, &c]);
    let o = s.git(
        &work,
        &["push", "--no-verify", "origin", "topic", "refs/notes/ai"],
    );
    assert!(o.status.success(), "{}", all(&o));
    s.git_ok(&work, &["notes", "--ref=ai", "remove", &c]);
    s.git_ok(&work, &["checkout", "-q", "main"]);
    s.git_ok(&work, &["merge", "-q", "--ff-only", "topic"]);
    let o = s.git(
        &work,
        &["push", "--no-verify", "origin", "main", "refs/notes/ai"],
    );
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("AIG001"), "{}", all(&o));
}

/// The same tool declared twice, first bare and then with a model the policy does not approve:
/// the second declaration is checked too, not folded into the first.
#[test]
fn attack_a_bare_declaration_before_an_unapproved_model_of_the_same_tool() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\"]\n[models]\napproved = [\"anthropic/*\"]\n",
    )
    .unwrap();
    s.commit(
        &work,
        "g.rs",
        &format!("feat: g\n\nAssisted-by: kiro\nAssisted-by: kiro:gpt-5\n{REVIEW}"),
    );
    let v = check_json(&s, &work);
    let findings = commit_json(&v)["findings"].to_string();
    assert!(
        findings.contains("AIG002") && findings.contains("gpt-5"),
        "{v}"
    );
}
