//! The agent-aware guard: real `git commit` under a simulated agent (its environment variable,
//! or a parent process with its name), for every tool in rules/agents.toml.

mod common;
use common::*;
use std::path::{Path, PathBuf};

#[derive(serde::Deserialize)]
struct Table {
    agent: Vec<Agent>,
}
#[derive(serde::Deserialize)]
struct Agent {
    tool: String,
    #[serde(default)]
    env: Vec<Env>,
    #[serde(default)]
    process: Vec<String>,
}
#[derive(serde::Deserialize)]
struct Env {
    name: String,
    value: Option<String>,
}

fn table() -> Vec<Agent> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/agents.toml")).unwrap();
    toml::from_str::<Table>(&text).unwrap().agent
}

/// A repository with the client hooks, on a feature branch.
fn repo() -> (Scratch, PathBuf) {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    assert!(s.aigate(&work, &["install"]).status.success());
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    (s, work)
}

/// A program named `name` that runs its arguments as a child (so it stays an ancestor).
fn agent_program(s: &Scratch, name: &str) -> PathBuf {
    let dir = s.path("agents");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, "#!/bin/sh\n\"$@\"\n").unwrap();
    std::process::Command::new("chmod")
        .args(["+x", p.to_str().unwrap()])
        .status()
        .unwrap();
    p
}

fn stage(work: &Path, file: &str) {
    std::fs::write(work.join(file), format!("{file}\n")).unwrap();
}

/// `git interpret-trailers --parse` of HEAD's message.
fn head_trailers(s: &Scratch, work: &Path) -> Vec<String> {
    let msg = s.git_ok(work, &["log", "-1", "--format=%B"]);
    let f = s.path("msg");
    std::fs::write(&f, msg).unwrap();
    s.git_ok(
        work,
        &["interpret-trailers", "--parse", f.to_str().unwrap()],
    )
    .lines()
    .map(str::to_string)
    .collect()
}

fn commit_as_agent(
    s: &Scratch,
    work: &Path,
    how: &(Option<(String, String)>, Option<PathBuf>),
    msg: &str,
) -> std::process::Output {
    let mut c = match &how.1 {
        Some(prog) => {
            let mut c = s.cmd(prog.to_str().unwrap(), work);
            c.arg("git");
            c
        }
        None => s.cmd("git", work),
    };
    c.env_remove("AIGATE_AGENT");
    if let Some((k, v)) = &how.0 {
        c.env(k, v);
    }
    c.args(["commit", "-q", "-m", msg]).output().unwrap()
}

#[test]
fn every_agent_gets_one_attestation_in_the_trailer_block_git_sees() {
    let (s, work) = repo();
    let mut cases = Vec::new();
    for a in table() {
        for e in &a.env {
            cases.push((
                a.tool.clone(),
                (
                    Some((
                        e.name.clone(),
                        e.value.clone().unwrap_or_else(|| "x".into()),
                    )),
                    None,
                ),
            ));
        }
        for p in &a.process {
            cases.push((a.tool.clone(), (None, Some(agent_program(&s, p)))));
        }
    }
    assert!(cases.len() >= 15, "{} cases", cases.len());
    for (i, (tool, how)) in cases.iter().enumerate() {
        stage(&work, &format!("f{i}"));
        s.git_ok(&work, &["add", "."]);
        let o = commit_as_agent(&s, &work, how, &format!("feat: change {i}\n\nBody paragraph.\n\nSigned-off-by: Ann Author <ann@example.com>"));
        assert!(o.status.success(), "{tool}: {}", all(&o));
        let t = head_trailers(&s, &work);
        let want = format!("Assisted-by: {tool}");
        assert_eq!(
            t.iter().filter(|l| **l == want).count(),
            1,
            "{tool} via {how:?}: {t:?}"
        );
        assert_eq!(
            t.last().map(String::as_str),
            Some(want.as_str()),
            "appended to the existing block: {t:?}"
        );
        assert!(t.contains(&"Signed-off-by: Ann Author <ann@example.com>".to_string()));
    }
}

#[test]
fn without_an_agent_nothing_changes() {
    let (s, work) = repo();
    stage(&work, "h");
    s.git_ok(&work, &["add", "."]);
    let o = s
        .cmd("git", &work)
        .env_remove("AIGATE_AGENT")
        .args(["commit", "-q", "-m", "docs: human"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        s.git_ok(&work, &["log", "-1", "--format=%B"]),
        "docs: human"
    );
}

#[test]
fn an_existing_attestation_and_merges_are_left_alone() {
    let (s, work) = repo();
    let how = (Some(("GEMINI_CLI".to_string(), "1".to_string())), None);
    stage(&work, "a");
    s.git_ok(&work, &["add", "."]);
    let o = commit_as_agent(
        &s,
        &work,
        &how,
        "feat: a\n\nAssisted-by: kiro:claude-sonnet-4.5",
    );
    assert!(o.status.success(), "{}", all(&o));
    assert_eq!(
        head_trailers(&s, &work),
        ["Assisted-by: kiro:claude-sonnet-4.5"]
    );
    // A merge made by an agent gets nothing added.
    s.git_ok(&work, &["checkout", "-q", "-b", "side", "HEAD~1"]);
    stage(&work, "b");
    s.git_ok(&work, &["add", "."]);
    s.commit_staged(&work, "docs: b");
    s.git_ok(&work, &["checkout", "-q", "topic"]);
    let o = s
        .cmd("git", &work)
        .env_remove("AIGATE_AGENT")
        .env("GEMINI_CLI", "1")
        .args(["merge", "-q", "--no-ff", "--no-edit", "side"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
    assert!(
        head_trailers(&s, &work).is_empty(),
        "{:?}",
        head_trailers(&s, &work)
    );
}

#[test]
fn the_attestation_lands_above_comments_and_the_scissors_line() {
    let (s, work) = repo();
    stage(&work, "v");
    s.git_ok(&work, &["add", "."]);
    // `commit -v` puts a scissors line and the diff into the message file.
    let o = s
        .cmd("git", &work)
        .env_remove("AIGATE_AGENT")
        .env("OPENCODE", "1")
        .args(["commit", "-q", "-v", "-m", "feat: v"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", all(&o));
    assert_eq!(head_trailers(&s, &work), ["Assisted-by: opencode"]);
    assert!(!s
        .git_ok(&work, &["log", "-1", "--format=%B"])
        .contains(">8"));
}

#[test]
fn require_mode_refuses_an_agent_commit_without_an_attestation() {
    let (s, work) = repo();
    std::fs::write(
        work.join(".aigate.toml"),
        "[agents]\nattestation = \"require\"\n",
    )
    .unwrap();
    stage(&work, "r");
    s.git_ok(&work, &["add", "."]);
    let o = commit_as_agent(
        &s,
        &work,
        &(Some(("CLAUDECODE".into(), "1".into())), None),
        "feat: r",
    );
    assert!(!o.status.success());
    assert!(
        all(&o).contains("git commit --trailer \"Assisted-by: claude-code\""),
        "{}",
        all(&o)
    );
    let o = commit_as_agent(
        &s,
        &work,
        &(Some(("CLAUDECODE".into(), "1".into())), None),
        "feat: r\n\nAssisted-by: claude-code",
    );
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn deleting_the_attestation_does_not_hide_the_agent_from_commit_msg() {
    let (s, work) = repo();
    std::fs::write(
        work.join(".aigate.toml"),
        "[agents]\nattestation = \"off\"\n",
    )
    .unwrap();
    s.git_ok(&work, &["checkout", "-q", "main"]);
    stage(&work, "d");
    s.git_ok(&work, &["add", "."]);
    let o = s
        .cmd("git", &work)
        .env_remove("AIGATE_AGENT")
        .env("CODEX_SANDBOX_NETWORK_DISABLED", "1")
        .args(["commit", "-q", "--no-verify", "-m", "x"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let msg = s.path("m.txt");
    std::fs::write(
        &msg,
        "feat: d\n\nReviewed-by: Rob Reviewer <rob@example.com>\n",
    )
    .unwrap();
    let o = s
        .cmd(&AIGATE, &work)
        .env_remove("AIGATE_AGENT")
        .env("CODEX_SANDBOX_NETWORK_DISABLED", "1")
        .args(["hook", "commit-msg", msg.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(
        all(&o).contains("AIG001") && all(&o).contains("CODEX_SANDBOX_NETWORK_DISABLED"),
        "{}",
        all(&o)
    );
}

#[test]
fn an_agent_may_not_commit_directly_on_main() {
    let (s, work) = repo();
    s.git_ok(&work, &["checkout", "-q", "main"]);
    stage(&work, "m");
    s.git_ok(&work, &["add", "."]);
    let prog = agent_program(&s, "claude");
    let o = commit_as_agent(
        &s,
        &work,
        &(None, Some(prog.clone())),
        "feat: m\n\nAssisted-by: claude-code\nReviewed-by: Rob Reviewer <rob@example.com>",
    );
    assert!(!o.status.success());
    assert!(
        all(&o).contains("directly on protected branch main"),
        "{}",
        all(&o)
    );
    // The policy may allow it.
    std::fs::write(
        work.join(".aigate.toml"),
        "[agents]\nallow_on_protected = true\n",
    )
    .unwrap();
    let o = commit_as_agent(
        &s,
        &work,
        &(None, Some(prog)),
        "feat: m\n\nAssisted-by: claude-code\nReviewed-by: Rob Reviewer <rob@example.com>",
    );
    assert!(o.status.success(), "{}", all(&o));
}

/// A repository with 20 tracked files, on a feature branch.
fn big_repo() -> (Scratch, PathBuf, PathBuf) {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    for i in 0..20 {
        std::fs::write(work.join(format!("src{i}.rs")), "line\n".repeat(10)).unwrap();
    }
    s.git_ok(&work, &["add", "."]);
    s.git_ok(&work, &["commit", "-q", "-m", "Add sources"]);
    s.git_ok(&work, &["push", "-q", "origin", "main"]);
    assert!(s.aigate(&work, &["install"]).status.success());
    s.git_ok(&work, &["checkout", "-q", "-b", "cleanup"]);
    (s, remote, work)
}

#[test]
fn a_mass_deletion_by_an_agent_waits_for_a_human_to_confirm() {
    let (s, _remote, work) = big_repo();
    for i in 0..15 {
        s.git_ok(&work, &["rm", "-q", &format!("src{i}.rs")]);
    }
    let how = (Some(("GEMINI_CLI".to_string(), "1".to_string())), None);
    let o = commit_as_agent(&s, &work, &how, "chore: remove old code");
    assert!(!o.status.success());
    assert!(
        all(&o).contains("deletes 150 of 201 tracked lines, over 20%"),
        "{}",
        all(&o)
    );
    // The agent cannot confirm for itself...
    let o = s
        .cmd(&AIGATE, &work)
        .env_remove("AIGATE_AGENT")
        .env("GEMINI_CLI", "1")
        .arg("confirm")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    // ...a human can, for exactly this change.
    let o = s.aigate(&work, &["confirm"]);
    assert!(o.status.success(), "{}", all(&o));
    let o = commit_as_agent(&s, &work, &how, "chore: remove old code");
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn guarded_paths_need_confirmation_too() {
    let (s, _remote, work) = big_repo();
    std::fs::create_dir_all(work.join("infra")).unwrap();
    std::fs::write(work.join("infra/main.tf"), "resource {}\n").unwrap();
    s.git_ok(&work, &["add", "."]);
    let o = commit_as_agent(
        &s,
        &work,
        &(Some(("OPENCODE".into(), "1".into())), None),
        "feat: infra",
    );
    assert!(!o.status.success());
    assert!(
        all(&o).contains("touches guarded path infra/main.tf"),
        "{}",
        all(&o)
    );
}

#[test]
fn the_server_asks_more_reviews_of_an_ai_mass_deletion() {
    let (s, remote, work) = big_repo();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    for i in 0..15 {
        s.git_ok(&work, &["rm", "-q", &format!("src{i}.rs")]);
    }
    s.commit_staged(
        &work,
        &format!("chore: remove\n\n{CLAUDE}\nAssisted-by: claude-code\n{REVIEW}"),
    );
    let o = s.git(&work, &["push", "--no-verify", "origin", "cleanup:main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("1 of 2 required human review(s) (blast radius: deletes 150 of 201 tracked lines, over 20%)"), "{}", all(&o));
    s.git_ok(
        &work,
        &[
            "commit",
            "-q",
            "--amend",
            "--no-verify",
            "--no-edit",
            "--trailer",
            "Reviewed-by: Eve Second <eve@example.com>",
        ],
    );
    let o = s.git(&work, &["push", "--no-verify", "origin", "cleanup:main"]);
    assert!(o.status.success(), "{}", all(&o));
    // The same deletion by a human needs the usual review count: none.
    s.git_ok(&work, &["checkout", "-q", "-B", "human", "origin/main"]);
    s.git_ok(
        &work,
        &["rm", "-q", "src15.rs", "src16.rs", "src17.rs", "src18.rs"],
    );
    s.commit_staged(&work, "chore: human cleanup");
    assert!(s
        .git(&work, &["push", "--no-verify", "origin", "human:main"])
        .status
        .success());
}
