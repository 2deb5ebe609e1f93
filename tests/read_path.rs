//! The fast read path on real repositories: the audit's own history walk (order, merges, clock
//! skew, shallow clones, ranges), the tree comparison behind the blast radius, large pushes
//! judged on several threads, and what `install --server` configures for it.

mod common;
use common::*;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

/// Builds a history with git fast-import: merges, commits made in the same second, and a
/// parent dated after its child (clock skew). Every commit is AI-assisted, so each is an
/// audit row.
fn tangled_history(s: &Scratch, dir: &Path) {
    s.git_ok(
        s.path("").as_path(),
        &["init", "-q", "-b", "main", dir.to_str().unwrap()],
    );
    let mut script = String::new();
    let mut ts = 1_700_000_000i64;
    for i in 1..=60 {
        // Same second every third commit; a jump back in time at 40 (skew).
        if i % 3 != 0 {
            ts += 7;
        }
        let when = if i == 40 { ts - 5_000 } else { ts };
        let msg = format!("change {i}\n\n{CLAUDE}\n");
        script.push_str(&format!(
            "commit refs/heads/{branch}\nmark :{i}\nauthor A <a@example.com> {when} +0000\ncommitter A <a@example.com> {when} +0000\ndata {}\n{msg}\n",
            msg.len(),
            branch = if i % 10 == 5 { "side" } else { "main" },
        ));
        if i > 1 {
            let from = if i % 10 == 5 {
                i - 3
            } else if i % 10 == 6 {
                i - 2
            } else {
                i - 1
            };
            script.push_str(&format!("from :{from}\n"));
            if i % 10 == 6 {
                script.push_str(&format!("merge :{}\n", i - 1));
            }
        }
        script.push_str(&format!(
            "M 100644 inline f{}.txt\ndata 2\n{}\n\n",
            i % 7,
            i % 10
        ));
    }
    fast_import(s, dir, &script);
    s.git_ok(dir, &["checkout", "-q", "main"]);
}

fn fast_import(s: &Scratch, dir: &Path, script: &str) {
    let mut child = s
        .cmd("git", dir)
        .args(["fast-import", "--quiet", "--force"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

/// The rows of `aigate audit --format json ARGS`.
fn audit_rows(s: &Scratch, dir: &Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut a = vec!["audit", "--format", "json"];
    a.extend_from_slice(args);
    let o = s.aigate(dir, &a);
    assert!(o.status.success(), "{}", all(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["rows"].as_array().unwrap().clone()
}

fn audit_ids(s: &Scratch, dir: &Path, args: &[&str]) -> Vec<String> {
    audit_rows(s, dir, args)
        .iter()
        .map(|r| r["commit"].as_str().unwrap().to_string())
        .collect()
}

fn git_log_ids(s: &Scratch, dir: &Path, rev: &str) -> Vec<String> {
    s.git_ok(dir, &["log", "--format=%H", rev])
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn audit_lists_commits_in_git_logs_order_through_merges_ties_and_skew() {
    let s = Scratch::new();
    let dir = s.path("repo");
    tangled_history(&s, &dir);
    let expected = git_log_ids(&s, &dir, "HEAD");
    assert_eq!(expected.len(), 60);
    assert_eq!(audit_ids(&s, &dir, &[]), expected);
    // The same from a packed repository (objects read from a pack, not loose).
    s.git_ok(&dir, &["gc", "-q"]);
    assert_eq!(audit_ids(&s, &dir, &[]), expected);
}

#[test]
fn audit_of_a_range_lists_exactly_the_commits_git_log_lists() {
    let s = Scratch::new();
    let dir = s.path("repo");
    tangled_history(&s, &dir);
    let mut expected = git_log_ids(&s, &dir, "HEAD~20..HEAD");
    let mut got = audit_ids(&s, &dir, &["HEAD~20..HEAD"]);
    assert!(!expected.is_empty());
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn audit_of_a_shallow_clone_stops_where_the_history_does() {
    let s = Scratch::new();
    let dir = s.path("repo");
    tangled_history(&s, &dir);
    let shallow = s.path("shallow");
    let url = format!("file://{}", dir.display());
    s.git_ok(
        s.path("").as_path(),
        &[
            "clone",
            "-q",
            "--depth",
            "5",
            &url,
            shallow.to_str().unwrap(),
        ],
    );
    let expected = git_log_ids(&s, &shallow, "HEAD");
    assert!(expected.len() < 60);
    assert_eq!(audit_ids(&s, &shallow, &[]), expected);
}

#[test]
fn audit_names_a_missing_parent_instead_of_reporting_a_short_history() {
    let s = Scratch::new();
    let dir = s.path("repo");
    tangled_history(&s, &dir);
    // Unpack the objects, then remove one commit in the middle of the history.
    let packs = dir.join(".git/objects/pack");
    let kept = s.path("packs");
    std::fs::rename(&packs, &kept).unwrap();
    std::fs::create_dir(&packs).unwrap();
    for e in std::fs::read_dir(&kept).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pack") {
            let o = s
                .cmd("git", &dir)
                .arg("unpack-objects")
                .arg("-q")
                .stdin(std::fs::File::open(&p).unwrap())
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", all(&o));
        }
    }
    let victim = s.git_ok(&dir, &["rev-parse", "HEAD~10"]);
    let obj = dir
        .join(".git/objects")
        .join(&victim[..2])
        .join(&victim[2..]);
    std::fs::remove_file(&obj).unwrap();
    let o = s.aigate(&dir, &["audit", "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(all(&o).contains(&victim), "{}", all(&o));
}

#[test]
fn blast_radius_counts_deleted_files_in_nested_directories() {
    let s = Scratch::new();
    let (_remote, work, owner) = s.governed();
    for i in 0..6 {
        s.commit(
            &work,
            &format!("src/deep/dir{i}/file{i}.rs"),
            "human: add files",
        );
    }
    s.git_ok(&work, &["push", "-q", "--no-verify", "origin", "main"]);
    s.push_rules(
        &work,
        &owner,
        &[(
            ".aigate.toml",
            "[agents.blast_radius]\nmax_deleted_files = 4\n",
        )],
    );
    s.git_ok(&work, &["rm", "-q", "-r", "src/deep"]);
    s.commit_staged(&work, &format!("chore: prune\n\n{CLAUDE}"));
    amend_attested_and_reviewed(&s, &work);
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("deletes 6 files (limit 4)"), "{}", all(&o));
}

#[test]
fn a_large_push_is_judged_in_full_and_in_order_on_several_threads() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    // 700 commits (over the parallel threshold); one unattested AI commit near the oldest end,
    // where a second thread judges it.
    let mut script = String::new();
    let head = s.git_ok(&work, &["rev-parse", "HEAD"]);
    let bad_at = 650;
    for i in 1..=700 {
        let msg = if i == 701 - bad_at {
            format!("feat: generated {i}\n\n{CLAUDE}\n")
        } else {
            format!("docs: note {i}\n")
        };
        script.push_str(&format!(
            "commit refs/heads/main\nmark :{i}\ncommitter H <h@example.com> {} +0000\ndata {}\n{msg}\n",
            1_700_000_000 + i,
            msg.len()
        ));
        if i == 1 {
            script.push_str(&format!("from {head}\n"));
        } else {
            script.push_str(&format!("from :{}\n", i - 1));
        }
        script.push_str(&format!("M 100644 inline notes.txt\ndata 4\n{i:>3}\n\n"));
    }
    fast_import(&s, &work, &script);
    let bad = s.git_ok(&work, &["rev-parse", &format!("main~{}", bad_at - 1)]);
    assert!(s
        .git_ok(&work, &["log", "-1", "--format=%B", &bad])
        .contains("Claude"));
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(!o.status.success(), "{}", all(&o));
    let out = all(&o);
    assert!(out.contains(&bad[..10]), "{out}");
    let log = std::fs::read_to_string(remote.join("aigate-audit.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    let commits = line["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 700);
    let ids: Vec<&str> = commits
        .iter()
        .map(|c| c["commit"].as_str().unwrap())
        .collect();
    let expected = s.git_ok(&work, &["rev-list", "main", "--not", &head]);
    assert_eq!(ids, expected.lines().collect::<Vec<_>>());
    assert_eq!(commits.iter().filter(|c| c["verdict"] == "fail").count(), 1);
}

#[test]
fn server_install_asks_git_for_a_commit_graph_aigate_can_read() {
    let s = Scratch::new();
    let (remote, _work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    assert_eq!(
        s.git_ok(&remote, &["config", "commitGraph.generationVersion"]),
        "1"
    );
    // An administrator's own choice is kept.
    let s = Scratch::new();
    let (remote, _work) = s.remote_and_clone();
    s.git_ok(&remote, &["config", "commitGraph.generationVersion", "2"]);
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    assert_eq!(
        s.git_ok(&remote, &["config", "commitGraph.generationVersion"]),
        "2"
    );
}

fn check_ids(s: &Scratch, dir: &Path, range: &str) -> Vec<String> {
    let o = s.aigate(dir, &["check", range, "--format", "json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(&o)));
    v["refs"][0]["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commit"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn check_of_a_range_lists_what_git_log_lists_in_its_order() {
    let s = Scratch::new();
    let dir = s.path("repo");
    tangled_history(&s, &dir);
    for range in [
        "HEAD~20..HEAD",
        "side..main",
        "side~1..main~3",
        "side...main",
        "HEAD~7...HEAD~2",
        "HEAD~3",
    ] {
        let expected = git_log_ids(&s, &dir, range);
        assert!(!expected.is_empty(), "{range}");
        assert_eq!(check_ids(&s, &dir, range), expected, "{range}");
    }
}

/// A bare remote with the server hook installed and a clone of it; the clone's first commit.
fn served(s: &Scratch) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    let head = s.git_ok(&work, &["rev-parse", "HEAD"]);
    (remote, work, head)
}

/// Commits for fast-import: (mark, parent marks, committer time, message).
fn import_commits(
    s: &Scratch,
    dir: &Path,
    branch: &str,
    from: Option<&str>,
    commits: &[(u32, &[u32], i64, &str)],
) {
    let mut script = String::new();
    for (k, (mark, parents, when, msg)) in commits.iter().enumerate() {
        script.push_str(&format!(
            "commit refs/heads/{branch}\nmark :{mark}\ncommitter H <h@example.com> {when} +0000\ndata {}\n{msg}\n",
            msg.len()
        ));
        match (parents.first(), from) {
            (Some(p), _) => script.push_str(&format!("from :{p}\n")),
            (None, Some(f)) if k == 0 => script.push_str(&format!("from {f}\n")),
            _ => {}
        }
        for p in parents.iter().skip(1) {
            script.push_str(&format!("merge :{p}\n"));
        }
        script.push_str(&format!("M 100644 inline f{mark}.txt\ndata 2\n{mark}\n\n"));
    }
    fast_import(s, dir, &script);
}

/// An insider backdates a commit (committer date 1990, before all of main's history) hoping the
/// server's walk stops before reaching it. It is judged.
#[test]
fn a_pushed_commit_dated_before_the_whole_history_is_still_judged() {
    let s = Scratch::new();
    let (_remote, work, head) = served(&s);
    let bad = format!("feat: backdated\n\n{CLAUDE}\n");
    let mut commits: Vec<(u32, Vec<u32>, i64, String)> = (1..=30)
        .map(|i| {
            (
                i,
                if i == 1 { vec![] } else { vec![i - 1] },
                1_800_000_000 + i as i64,
                format!("docs: note {i}\n"),
            )
        })
        .collect();
    commits.push((31, vec![30], 631_152_000, bad));
    commits.push((32, vec![31], 1_800_000_100, "docs: on top\n".into()));
    let c: Vec<(u32, &[u32], i64, &str)> = commits
        .iter()
        .map(|(m, p, t, msg)| (*m, p.as_slice(), *t, msg.as_str()))
        .collect();
    import_commits(&s, &work, "main", Some(&head), &c);
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("backdated"), "{}", all(&o));
    assert_eq!(
        check_ids(&s, &work, &format!("{head}..main")),
        git_log_ids(&s, &work, &format!("{head}..main"))
    );
}

/// A commit already on the protected branch, dated in the future (clock skew), is reached by the
/// walk from the new commits before the walk learns it is already accepted: it is dropped
/// again once it is, and only the new commit is judged (as `git rev-list` does).
#[test]
fn an_accepted_commit_dated_in_the_future_is_not_judged_again() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let head = s.git_ok(&work, &["rev-parse", "HEAD"]);
    // main: X (AI, unattested, dated 2040, pushed before the guard) <- M (dated 2001).
    let x = format!("feat: old AI work\n\n{CLAUDE}\n");
    import_commits(
        &s,
        &work,
        "main",
        Some(&head),
        &[
            (1, &[], 2_208_988_800, x.as_str()),
            (2, &[1], 978_307_200, "docs: m\n"),
        ],
    );
    s.git_ok(&work, &["push", "--no-verify", "origin", "main"]);
    let x_id = s.git_ok(&work, &["rev-parse", "main~1"]);
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    // A new branch off X, merged into main by a human commit dated 2050.
    import_commits(
        &s,
        &work,
        "topic",
        Some(&x_id),
        &[(3, &[], 2_524_608_000, "docs: n\n")],
    );
    s.git_ok(&work, &["reset", "-q", "--hard", "main"]);
    s.git_ok(
        &work,
        &["merge", "-q", "--no-ff", "-m", "merge topic", "topic"],
    );
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    let log = std::fs::read_to_string(remote.join("aigate-audit.jsonl")).unwrap();
    let line: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    let judged: Vec<&str> = line["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commit"].as_str().unwrap())
        .collect();
    let old = s.git_ok(&work, &["rev-parse", "main^1"]);
    let expected = s.git_ok(&work, &["rev-list", "main", "--not", &old]);
    assert_eq!(judged, expected.lines().collect::<Vec<_>>());
    assert!(!judged.contains(&x_id.as_str()));
}

fn audit_verdicts(s: &Scratch, dir: &Path, args: &[&str]) -> Vec<(String, String)> {
    let mut a = vec!["--branch", "main"];
    a.extend_from_slice(args);
    audit_rows(s, dir, &a)
        .iter()
        .map(|r| {
            (
                r["commit"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A blast radius measured once is recorded in the git directory and read back, but only under
/// the settings it was measured with: a policy that guards the path the commit touches measures
/// it again (a stale record would let the commit pass with one review).
#[test]
fn recorded_blast_radius_is_reused_only_under_the_settings_it_was_measured_with() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(&work, "ops/main.yaml", "human: ops config");
    s.commit(
        &work,
        "ops/main.yaml",
        &format!("feat: tune ops\n\n{CLAUDE}"),
    );
    amend_attested_and_reviewed(&s, &work);
    let ai = s.git_ok(&work, &["rev-parse", "HEAD"]);
    let measures = work.join(".git/aigate/measures");
    let cold = audit_verdicts(&s, &work, &[]);
    assert_eq!(cold, vec![(ai.clone(), "pass".to_string())]);
    let recorded = std::fs::read_to_string(&measures).unwrap();
    assert!(recorded.contains(&ai), "{recorded}");
    // Read back: the same verdicts, nothing measured again.
    assert_eq!(audit_verdicts(&s, &work, &[]), cold);
    assert_eq!(std::fs::read_to_string(&measures).unwrap(), recorded);
    // Other settings: measured again, and the guarded path now asks a second review.
    std::fs::write(
        s.path("guard-ops.toml"),
        "[agents.blast_radius]\nguarded_paths = [\"ops/**\"]\n",
    )
    .unwrap();
    let policy = s.path("guard-ops.toml");
    let guarded = audit_verdicts(&s, &work, &["--policy", policy.to_str().unwrap()]);
    assert_eq!(guarded, vec![(ai.clone(), "fail".to_string())]);
    // Lines that do not parse are ignored.
    std::fs::write(&measures, format!("garbage\n{ai}\t1\n\t\t\n")).unwrap();
    assert_eq!(audit_verdicts(&s, &work, &[]), cold);
}

/// The server records what it measured in its own git directory (not in the push's quarantine,
/// which git deletes), whether or not the push is accepted.
#[test]
fn the_server_records_blast_radius_measurements_in_its_git_directory() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    s.commit(&work, "src/lib.rs", &format!("feat: parser\n\n{CLAUDE}"));
    amend_attested_and_reviewed(&s, &work);
    let ai = s.git_ok(&work, &["rev-parse", "HEAD"]);
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    let recorded = std::fs::read_to_string(remote.join("aigate/measures")).unwrap();
    assert!(recorded.contains(&ai), "{recorded}");
}

/// An AI-assisted commit that changes 30,000 files, pushed where the time budget is small:
/// measuring its blast radius stops at the budget and the push is refused as too large to judge
/// in time, instead of running on past it (the budget is checked inside one commit's
/// measurement, not only between commits).
#[test]
fn measuring_a_commit_that_changes_tens_of_thousands_of_files_stops_at_the_budget() {
    let s = Scratch::new();
    let (remote, work, head) = served(&s);
    let n = 30_000;
    let mut script = format!(
        "commit refs/heads/main\nmark :1\ncommitter H <h@example.com> 1700000000 +0000\ndata 5\nbase\nfrom {head}\n"
    );
    // Every file, each with its own content (`{i}` then `{i} changed`).
    let files = |script: &mut String, suffix: &str| {
        for i in 0..n {
            let d = format!("{i}{suffix}\n");
            script.push_str(&format!(
                "M 100644 inline d{}/f{i}.txt\ndata {}\n{d}",
                i % 100,
                d.len()
            ));
        }
    };
    files(&mut script, "");
    let msg = format!("feat: touch everything\n\n{CLAUDE}\nAssisted-by: claude-code\n{REVIEW}\n");
    script.push_str(&format!(
        "\ncommit refs/heads/main\nmark :2\ncommitter H <h@example.com> 1700000100 +0000\ndata {}\n{msg}from :1\n",
        msg.len()
    ));
    files(&mut script, " changed");
    script.push('\n');
    fast_import(&s, &work, &script);
    s.git_ok(
        &work,
        &["push", "-q", "--no-verify", "origin", "main~1:main"],
    );
    s.git_ok(&remote, &["config", "aigate.timeBudget", "0.05"]);
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(
        all(&o).contains("too large to judge in time"),
        "{}",
        all(&o)
    );
}
