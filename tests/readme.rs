//! README's tour, run as written: each `$ command` of the "A short tour" section runs in a
//! real repository set up as the tour's text assumes, and what it prints must match the lines
//! that follow it (commit ids aside, since they depend on the clock). The documentation cannot
//! drift from the real output.

mod common;
use common::*;
use std::path::Path;

/// (command, expected output) pairs from the tour's ```text blocks.
fn tour() -> Vec<(String, Vec<String>)> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## A short tour").expect("README has a tour");
    let end = start
        + readme[start..]
            .find("\n## ")
            .unwrap_or(readme.len() - start);
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_block = false;
    for line in readme[start..end].lines() {
        if line.starts_with("```") {
            in_block = line == "```text";
            continue;
        }
        if !in_block {
            continue;
        }
        match line.strip_prefix("$ ") {
            Some(cmd) => steps.push((cmd.to_string(), Vec::new())),
            None => steps
                .last_mut()
                .expect("output after a command")
                .1
                .push(line.to_string()),
        }
    }
    steps
}

/// Commit ids (7 or more hex digits standing alone) as `<id>`; trailing blanks dropped.
fn normal(lines: &[String]) -> Vec<String> {
    let re = regex::Regex::new(r"\b[0-9a-f]{7,40}\b").unwrap();
    lines
        .iter()
        .map(|l| re.replace_all(l.trim_end(), "<id>").into_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_readme_tour_prints_what_it_says() {
    let steps = tour();
    assert!(steps.len() >= 4, "the tour has commands: {steps:?}");
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    // The tour's names: a server at ../server.git, a clone with the hooks, a `parser` branch.
    let server = work.parent().unwrap().join("server.git");
    std::fs::rename(&remote, &server).unwrap();
    s.git_ok(&work, &["remote", "set-url", "origin", "../server.git"]);
    assert!(s.aigate(&work, &["install"]).status.success());
    s.git_ok(&work, &["checkout", "-q", "-b", "parser"]);
    std::fs::write(work.join("parser.rs"), "fn parse() {}\n").unwrap();
    s.git_ok(&work, &["add", "parser.rs"]);
    let path = format!(
        "{}:{}",
        Path::new(AIGATE.as_str()).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (cmd, want) in steps {
        let o = s
            .cmd("sh", &work)
            .env("PATH", &path)
            .args(["-c", &cmd])
            .output()
            .unwrap();
        // The tour shows what the terminal shows: stdout and stderr together, git's progress
        // lines aside.
        let got: Vec<String> = format!("{}{}", text(&o.stdout), text(&o.stderr))
            .lines()
            .filter(|l| !l.starts_with("remote:") && !l.starts_with("hint:"))
            .map(str::to_string)
            .collect();
        let (got_n, want_n) = (normal(&got), normal(&want));
        // README's lines appear in order; git's own chatter may come between them, but every
        // line aigate prints is in README.
        let mut rest = got_n.iter();
        let in_order = want_n.iter().all(|w| rest.any(|g| g == w));
        let undocumented = got_n
            .iter()
            .filter(|g| g.starts_with("aigate") && !want_n.contains(g))
            .count();
        assert!(
            in_order && undocumented == 0,
            "`{cmd}` printed:\n{}\nREADME says:\n{}",
            got_n.join("\n"),
            want_n.join("\n")
        );
    }
}
