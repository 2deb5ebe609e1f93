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

/// The commits of HEAD~n..HEAD, as `check --format json` judges them.
fn checked(s: &Scratch, work: &std::path::Path, n: usize) -> Vec<serde_json::Value> {
    let range = format!("HEAD~{n}..HEAD");
    let o = s.aigate(
        work,
        &["check", &range, "--branch", "main", "--format", "json"],
    );
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(&o)));
    v["refs"][0]["commits"].as_array().unwrap().clone()
}

/// Commits `message` as `author` (`Name <email>`); hooks skipped.
fn commit_as(s: &Scratch, work: &std::path::Path, author: &str, message: &str) {
    let (name, email) = author.split_once(" <").unwrap();
    std::fs::write(work.join("f.txt"), message).unwrap();
    s.git_ok(work, &["add", "f.txt"]);
    let o = s
        .cmd("git", work)
        .env("GIT_AUTHOR_NAME", name)
        .env("GIT_AUTHOR_EMAIL", email.trim_end_matches('>'))
        .args([
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            message,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn the_general_forms_of_attribution_are_evidence_with_their_tool() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let cases = [
        (
            "Ann <ann@example.com>",
            "fix: a\n\nAI Disclosure: Claude Code wrote the tests.",
            "claude-code",
        ),
        (
            "Ann <ann@example.com>",
            "fix: b\n\nThread: https://ampcode.com/threads/T-0199aa-bb12",
            "amp",
        ),
        (
            "Ann <ann@example.com>",
            "fix: c\n\nCo-authored-by: Claude 3.5 Sonnet <bot@example.org>",
            "claude-code",
        ),
        (
            "Ann <ann@example.com>",
            "fix: d\n\nAI-Agent: opencode",
            "opencode",
        ),
        ("Roo Code <support@roocode.com>", "fix: e", "roo-code"),
        ("Jane Doe (Kiro CLI) <jane@example.com>", "fix: f", "kiro"),
        (
            "cursor-staging[bot] <1+cursor-staging[bot]@users.noreply.github.com>",
            "fix: g",
            "cursor",
        ),
        (
            "Ann <ann@example.com>",
            "fix: h\n\n## AI disclosure\n\nAn assistant drafted the parser.",
            "unknown-ai",
        ),
    ];
    for (author, message, _) in cases {
        commit_as(&s, &work, author, message);
    }
    let commits = checked(&s, &work, cases.len());
    for (c, (author, message, tool)) in commits.iter().rev().zip(cases) {
        assert_eq!(c["evidence"][0]["tool"], tool, "{author} {message:?}: {c}");
    }
    // A tool no catalog entry names is not approved by `approved = ["*"]`.
    let last = &commits[0];
    assert!(last["findings"].to_string().contains("AIG002"), "{last}");
}

#[test]
fn human_commits_of_the_same_shapes_are_not_ai() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let cases = [
        (
            "Claude Dupont <claude@dupont.example>",
            "fix the AI provider config",
        ),
        (
            "Devin <devin@devins-laptop.local>",
            "revert the Claude integration\n\nIt broke the build.",
        ),
        ("Jules <jules@example.com>", "docs: x\n\nno AI was used"),
        ("Kiro Tanaka <kiro@example.com>", "docs: y\n\nAI: none"),
        (
            "Chris <chris@roocode.com>",
            "feat: z\n\n- AI: support for Claude 3.5 Sonnet\n- AI: add the Gemini provider",
        ),
        (
            "Ann <ann@example.com>",
            "fix: w\n\nAssisted-by: Pat Helper\nCo-authored-by: Dana Fielding <dana@zed.dev>",
        ),
        (
            "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
            "Bump serde from 1.0.1 to 1.0.2",
        ),
        (
            "renovate[bot] <29139614+renovate[bot]@users.noreply.github.com>",
            "chore(deps): update rust crate regex to v1.11",
        ),
        (
            "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>",
            "chore: release v1.2.3",
        ),
        (
            "GitHub <noreply@github.com>",
            "Merge pull request #12 from ann/topic\n\nAdd the AI provider",
        ),
    ];
    for (author, message) in cases {
        commit_as(&s, &work, author, message);
    }
    for c in checked(&s, &work, cases.len()) {
        assert_eq!(c["ai_assisted"], false, "{c}");
    }
}

#[test]
fn a_policy_turns_an_evidence_rule_off_by_id_and_explain_names_the_rule() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    commit_as(
        &s,
        &work,
        "Ann <ann@example.com>",
        "fix: a\n\nAI usage: Cursor helped with the parser.",
    );
    let o = s.aigate(&work, &["explain", "HEAD", "--branch", "main"]);
    let out = all(&o);
    assert!(out.contains("rule disclosure-prose"), "{out}");
    assert!(out.contains("`AI usage:` names the tool `Cursor`"), "{out}");
    std::fs::write(
        work.join(".aigate.toml"),
        "[evidence]\nignore = [\"disclosure-prose\"]\n",
    )
    .unwrap();
    assert_eq!(checked(&s, &work, 1)[0]["ai_assisted"], false);
    // An id no rule has is an error that points into the policy.
    std::fs::write(
        work.join(".aigate.toml"),
        "[evidence]\nignore = [\"disclosure\"]\n",
    )
    .unwrap();
    let o = s.aigate(&work, &["check", "HEAD~1..HEAD", "--branch", "main"]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(all(&o).contains(".aigate.toml:2:11"), "{}", all(&o));
    assert!(all(&o).contains("disclosure-prose"), "{}", all(&o));
}

#[test]
fn catalog_lists_the_evidence_rules() {
    let s = Scratch::new();
    let o = s.aigate(s.dir.path(), &["catalog", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = v["evidence_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "signature",
        "disclosure-prose",
        "session-link",
        "model-as-person",
        "name-is-tool",
        "bot-login",
    ] {
        assert!(ids.contains(&id), "{ids:?}");
    }
    assert!(v["tools"].to_string().contains("gitlab-duo"), "{v}");
    let o = s.aigate(s.dir.path(), &["catalog"]);
    assert!(text(&o.stdout).contains("disclosure-prose"), "{}", all(&o));
}

/// Notes stored at a deeper fan-out than git writes by default (`aa/bb/cc/rest`) are found,
/// as `git notes show` finds them (differential against git).
#[test]
fn notes_at_any_fan_out_are_found_as_git_finds_them() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let id = s.commit(&work, "d.rs", "feat: d");
    let note = "src/d.rs\n  abc123 1-10\n---\n{\"schema_version\":\"authorship/3.0.0\",\"prompts\":{\"abc123\":{\"agent_id\":{\"tool\":\"cursor\",\"id\":\"x\",\"model\":\"gpt-5\"}}}}";
    let blob = s.run_stdin("git", &work, &["hash-object", "-w", "--stdin"], note);
    let blob = text(&blob.stdout).trim().to_string();
    // Build refs/notes/ai by hand: aa/bb/cc/<rest of the id>.
    let (a, b, c, rest) = (&id[..2], &id[2..4], &id[4..6], &id[6..]);
    let mk = |entry: &str| {
        let o = s.run_stdin("git", &work, &["mktree"], &format!("{entry}\n"));
        text(&o.stdout).trim().to_string()
    };
    let t = mk(&format!("100644 blob {blob}\t{rest}"));
    let t = mk(&format!("040000 tree {t}\t{c}"));
    let t = mk(&format!("040000 tree {t}\t{b}"));
    let t = mk(&format!("040000 tree {t}\t{a}"));
    let commit = s.git_ok(&work, &["commit-tree", &t, "-m", "Notes"]);
    s.git_ok(&work, &["update-ref", "refs/notes/ai", &commit]);
    // git finds it...
    assert_eq!(
        s.git_ok(&work, &["notes", "--ref=ai", "show", &id]),
        note.trim()
    );
    // ...and so does aigate.
    let v = check_json(&s, &work);
    let c = commit_json(&v);
    assert_eq!(c["evidence"][0]["tool"], "cursor", "{v}");
}

#[test]
fn a_disclosure_naming_no_tool_is_declared_by_the_attested_tool() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\"]\n",
    )
    .unwrap();
    s.commit(
        &work,
        "k.rs",
        &format!("feat: k\n\nAI disclosure: yes, an assistant drafted the parser.\n\nAssisted-by: kiro\n{REVIEW}"),
    );
    let v = check_json(&s, &work);
    assert_eq!(commit_json(&v)["findings"], serde_json::json!([]), "{v}");
    // Without an attestation, the unknown tool is unapproved.
    s.commit(
        &work,
        "k.rs",
        &format!("feat: k2\n\nAI disclosure: yes, an assistant drafted the parser.\n\n{REVIEW}"),
    );
    let v = check_json(&s, &work);
    let findings = commit_json(&v)["findings"].to_string();
    assert!(
        findings.contains("AIG001") && findings.contains("AIG002"),
        "{v}"
    );
}
