//! Parity of aigate's trailer parser with `git interpret-trailers --parse --no-divider`:
//! on every message of the shared corpus (git's own parse is stored with each), and on
//! generated messages compared with a live git process.

mod common;
use common::Rng;

use aigate::trailers::{parse_str, TrailerConfig};
use proptest::prelude::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/trailer-parity.jsonl");
    p.exists().then_some(p)
}

/// How `git interpret-trailers --parse` prints a trailer.
fn render(msg: &str) -> Vec<String> {
    parse_str(msg, &TrailerConfig::default())
        .iter()
        .map(|t| format!("{}: {}", t.key, t.value))
        .collect()
}

#[test]
#[ignore = "needs the shared corpus (../shared/corpus): cargo test -- --include-ignored"]
fn parser_matches_git_on_every_corpus_message() {
    // Run on request only, so its absence is an error, never a pass.
    let path =
        corpus().expect("../shared/corpus/trailer-parity.jsonl is absent: this test needs it");
    let text = std::fs::read_to_string(&path).expect("corpus readable");
    let mut checked = 0;
    let mut diffs = Vec::new();
    for line in text.lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("corpus line is JSON");
        let msg = row["message"].as_str().expect("message");
        let want: Vec<String> = row["git_trailers"]
            .as_array()
            .expect("git_trailers")
            .iter()
            .map(|v| v.as_str().expect("string").to_string())
            .collect();
        let got = render(msg);
        // git prints `key: value`; an empty value leaves a trailing space.
        let norm = |v: &[String]| {
            v.iter()
                .map(|s| s.trim_end().to_string())
                .collect::<Vec<_>>()
        };
        if norm(&got) != norm(&want) {
            diffs.push(format!("{}: want {:?} got {:?}", row["commit"], want, got));
        }
        checked += 1;
    }
    assert!(checked > 3000, "corpus looks truncated: {checked} messages");
    assert!(
        diffs.is_empty(),
        "{} of {checked} differ:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(10)].join("\n")
    );
}

fn git_parse(msg: &str) -> Vec<String> {
    let mut child = Command::new("git")
        .args([
            "-c",
            "core.commentChar=#",
            "interpret-trailers",
            "--parse",
            "--no-divider",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(msg.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("git output");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

/// Lines chosen to hit every branch of git's rules: titles, blanks, whitespace-only lines,
/// comments, scissors, Conflicts blocks, continuations, odd separators and keys.
fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\r".to_string()),
        Just("# a comment".to_string()),
        Just("#".to_string()),
        Just("# ------------------------ >8 ------------------------".to_string()),
        Just("Conflicts:".to_string()),
        Just("\tpath/file.c".to_string()),
        Just("---".to_string()),
        Just("--- x".to_string()),
        Just("Signed-off-by: A U Thor <a@example.com>".to_string()),
        Just("(cherry picked from commit 0123abcd)".to_string()),
        Just("Reviewed-by: R <r@example.com>".to_string()),
        Just("Co-Authored-By: Claude <noreply@anthropic.com>".to_string()),
        Just("Fixes  : spaced".to_string()),
        Just("Foo Bar: not a key".to_string()),
        Just("-Dash: x".to_string()),
        Just("123: x".to_string()),
        Just(": x".to_string()),
        Just("http://example.com".to_string()),
        Just("Empty:".to_string()),
        Just("K: a: b".to_string()),
        Just("K:\u{a0}nbsp\u{a0}".to_string()),
        "[A-Za-z-]{1,8}: [a-z ]{0,10}",
        " [a-z]{1,6}",
        "\t[a-z]{1,6}",
        "[a-z ]{1,20}",
        "[a-z]{1,5}\r",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn parser_matches_live_git_on_generated_messages(lines in prop::collection::vec(line(), 0..12), nl in any::<bool>()) {
        let mut msg = lines.join("\n");
        if nl { msg.push('\n'); }
        let got: Vec<String> = render(&msg).into_iter().map(|s| s.trim_end().to_string()).collect();
        prop_assert_eq!(got, git_parse(&msg), "message: {:?}", msg);
    }
}

/// Hostile lines: scissors and near-scissors, comment characters, CR, NUL, folding,
/// separators, dividers, Conflicts blocks, look-alike keys.
const HOSTILE: [&str; 36] = [
    "",
    " ",
    "\t",
    "\r",
    "# ------------------------ >8 ------------------------",
    "# ------------------------ >8 ------------------------ ",
    "# ------------------------ >8 ------------------------x",
    "# ------------------------ >8 ------------------------\r",
    "#  ------------------------ >8 ------------------------",
    "# ----------------------- >8 ------------------------",
    "------------------------ >8 ------------------------",
    "; ------------------------ >8 ------------------------",
    "# comment",
    "#",
    "#Reviewed-by: X <x@e.com>",
    "Conflicts:",
    "\tfile.c",
    "---",
    "--- a/file",
    "Signed-off-by: A U Thor <a@example.com>",
    "Reviewed-by: R <r@example.com>",
    "Assisted-by: claude-code",
    "Co-Authored-By: Claude <noreply@anthropic.com>",
    "(cherry picked from commit 0123abcd)",
    "  folded continuation",
    "\tfolded tab",
    "Key : spaced",
    "Key:no-space",
    "Key:",
    "Foo Bar: not a key",
    "K: v\u{0}nul",
    "K: v\rcr",
    "x: y: z",
    "Ünïcode-Key: v",
    "plain prose line",
    "http://example.com/a:b",
];

#[test]
fn parser_matches_git_on_100000_adversarial_messages() {
    let n: usize = std::env::var("AIGATE_PARITY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut msgs = Vec::with_capacity(n);
    for i in 0..n {
        let lines = (rng.next() % 10) as usize;
        let mut m = String::from(if rng.next() % 8 == 0 { "" } else { "subject" });
        for _ in 0..lines {
            m.push('\n');
            m.push_str(rng.pick(&HOSTILE));
        }
        if rng.next() % 2 == 0 {
            m.push('\n');
        }
        std::fs::write(dir.path().join(format!("{i}")), &m).unwrap();
        msgs.push(m);
    }
    // One git process rewrites thousands of files in place with their parsed trailers.
    for chunk in (0..n).collect::<Vec<_>>().chunks(4000) {
        let status = Command::new("git")
            .args([
                "-c",
                "core.commentChar=#",
                "interpret-trailers",
                "--parse",
                "--no-divider",
                "--in-place",
            ])
            .args(chunk.iter().map(|i| dir.path().join(format!("{i}"))))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir.path())
            .status()
            .expect("git runs");
        assert!(status.success());
    }
    let mut diffs = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let want: Vec<String> =
            String::from_utf8_lossy(&std::fs::read(dir.path().join(format!("{i}"))).unwrap())
                .lines()
                .map(|l| l.trim_end().to_string())
                .collect();
        let got: Vec<String> = render(m)
            .into_iter()
            .map(|s| s.trim_end().to_string())
            .collect();
        if got != want {
            diffs.push(format!("{m:?}: git {want:?}, aigate {got:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} of {n} differ:\n{}",
        diffs.len(),
        diffs[..diffs.len().min(8)].join("\n")
    );
}
