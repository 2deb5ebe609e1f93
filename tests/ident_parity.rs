//! Author and committer lines are read exactly as git reads them (`split_ident_line`): commit
//! objects written by hand with hostile ident lines, compared with `git log --format`.

mod common;
use common::*;

/// Writes a commit object with this author line (hooks and `git commit` would refuse some).
fn hand_written_commit(s: &Scratch, work: &std::path::Path, author: &str) -> String {
    let tree = s.git_ok(work, &["rev-parse", "HEAD^{tree}"]);
    let head = s.git_ok(work, &["rev-parse", "HEAD"]);
    let object = format!(
        "tree {tree}\nparent {head}\nauthor {author}\ncommitter Cy <cy@example.com> 1700000000 +0000\n\nfix: x\n"
    );
    let o = s.run_stdin(
        "git",
        work,
        &[
            "hash-object",
            "-t",
            "commit",
            "-w",
            "--literally",
            "--stdin",
        ],
        &object,
    );
    assert!(o.status.success(), "{}", all(&o));
    text(&o.stdout).trim().to_string()
}

fn explained(s: &Scratch, work: &std::path::Path, id: &str) -> serde_json::Value {
    let o = s.aigate(
        work,
        &["explain", id, "--branch", "main", "--format", "json"],
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(&o)))
}

#[test]
fn author_lines_are_split_as_git_splits_them() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    for author in [
        "Copilot <198982749+Copilot@users.noreply.github.com> <ann@example.com> 1700000000 +0000",
        "Ann <ann@example.com> <198982749+Copilot@users.noreply.github.com> 1700000000 +0000",
        "A <a@x.com> x <b@y.com> 1700000000 +0000",
        "A <a<b@x.com> 1700000000 +0000",
        "A <a@x.com>> 1700000000 +0000",
        "A > B <a@x.com> 1700000000 +0000",
        "A B<a@x.com>1700000000 +0000",
        "<e@x.com> 1700000000 +0000",
        "  Spaced  Name   <  spaced@x.com  > 1700000000 +0000",
        "Tab\tName\t<tab@x.com>\t1700000000 +0000",
        "Ünï Cødé <ü@x.com> 1700000000 +0000",
    ] {
        let id = hand_written_commit(&s, &work, author);
        let git = s.git_ok(&work, &["log", "-1", "--format=%an%x00%ae", &id]);
        let (name, email) = git.split_once('\0').unwrap();
        let v = explained(&s, &work, &id);
        let seen = &v["commit"]["author"];
        // aigate trims the spaces around a name and an address; git keeps them.
        assert_eq!(
            (seen["name"].as_str(), seen["email"].as_str()),
            (Some(name.trim()), Some(email.trim())),
            "{author:?}: git reads name {name:?} email {email:?}; aigate {seen}"
        );
    }
}

#[test]
fn a_second_address_does_not_hide_the_agent_git_log_shows() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let id = hand_written_commit(
        &s,
        &work,
        "Copilot <198982749+Copilot@users.noreply.github.com> <ann@example.com> 1700000000 +0000",
    );
    let v = explained(&s, &work, &id);
    assert_eq!(v["commit"]["ai_assisted"], true, "{v}");
    assert_eq!(v["commit"]["evidence"][0]["tool"], "copilot", "{v}");
}
