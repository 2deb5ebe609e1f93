//! Detection on the shared corpus of real AI commits: every positive fixture is classified
//! with the right tool id, and the human negative is not flagged. Skips with a note when
//! ../shared/corpus is absent (a user's clone).

use aigate::exemptions::Exemptions;
use aigate::identity::Identity;
use aigate::policy::Policy;
use aigate::trailers::{parse_str, TrailerConfig};
use aigate::verdict::{judge, CommitFacts, Target};
use std::path::PathBuf;

/// The tool each fixture is by, from its file name.
fn expected(name: &str) -> Option<&'static str> {
    let table = [
        ("aider", "aider"),
        ("claude_code", "claude-code"),
        ("openhands", "openhands"),
        ("cursor", "cursor"),
        ("copilot", "copilot"),
        ("jules", "jules"),
        ("devin", "devin"),
        ("codex", "codex"),
        ("roo_code", "roo-code"),
        ("kiro", "kiro"),
        ("gemini", "gemini"),
    ];
    if name.contains("negative") {
        return None;
    }
    table
        .iter()
        .find(|(k, _)| name.contains(k))
        .map(|(_, v)| *v)
        .or(Some("?"))
}

#[test]
#[ignore = "needs the shared corpus (../shared/corpus): cargo test -- --include-ignored"]
fn every_ai_fixture_is_classified_with_its_tool_and_the_human_is_not() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/ai-commits");
    // Run on request only, so its absence is an error, never a pass.
    assert!(
        dir.exists(),
        "../shared/corpus/ai-commits is absent: this test needs it"
    );
    let policy = Policy::builtin().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 21, "corpus looks incomplete");
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let header = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("# {k}: ")))
                .and_then(Identity::parse)
                .unwrap_or_else(|| panic!("{}: no {k} header", f.display()))
        };
        let (author, committer) = (header("author"), header("committer"));
        let marker = "# --- commit message below is verbatim (git log --format=%B) ---\n";
        let message = &text[text.find(marker).expect("message marker") + marker.len()..];
        let facts = CommitFacts {
            id: f.display().to_string(),
            message: message.into(),
            author,
            committer,
            parent_count: 1,
            time: 0,
            changed_paths: None,
            ..Default::default()
        };
        let trailers = parse_str(message, &TrailerConfig::default());
        let v = judge(
            &facts,
            &trailers,
            &policy,
            &Exemptions::default(),
            &Target {
                refname: "refs/heads/main",
                push_exemptions: &[],
                now: 0,
                pusher: None,
                landing: &[],
                excluded: &[],
                landing_notes: &[],
                forge_merge: false,
                pr_branch: None,
            },
        );
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        match expected(&name) {
            None if v.ai_assisted => {
                wrong.push(format!("{name}: human commit flagged as {:?}", v.tools()))
            }
            Some(tool) if v.tools() != [tool] => {
                wrong.push(format!("{name}: want [{tool}] got {:?}", v.tools()))
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
