//! The CI examples in docs/ci/ run as written (their scripts, with the forge's variables set)
//! on a real repository: they fail on a refused commit and leave valid-looking SARIF behind.

mod common;
use common::*;
use std::path::Path;

fn path_with_aigate() -> String {
    let dir = Path::new(AIGATE.as_str()).parent().unwrap();
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// A clone whose `topic` branch brings one refused AI commit on top of origin/main.
fn repo() -> (Scratch, std::path::PathBuf, String, String) {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let base = s.git_ok(&work, &["rev-parse", "HEAD"]);
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    let head = s.commit(&work, "src/a.rs", &format!("feat: a\n\n{CLAUDE}"));
    (s, work, base, head)
}

fn sarif_results(path: &Path) -> usize {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("SARIF written"))
            .expect("SARIF is JSON");
    assert_eq!(doc["version"], "2.1.0");
    doc["runs"][0]["results"].as_array().unwrap().len()
}

#[test]
fn the_github_actions_step_fails_the_check_and_writes_sarif() {
    let (s, work, base, head) = repo();
    let script = github_script(&[
        ("${{ github.event_name }}", "pull_request"),
        ("${{ github.event.pull_request.base.sha }}", &base),
        ("${{ github.event.pull_request.head.sha }}", &head),
        ("${{ github.base_ref }}", "main"),
        // The push branch of the script (not taken for a pull request).
        ("${{ github.event.before }}", &base),
        ("${{ github.sha }}", &head),
        ("${{ github.ref_name }}", "main"),
    ]);
    assert!(
        !script.contains("${{"),
        "unsubstituted expression in:\n{script}"
    );
    let o = s
        .cmd("bash", &work)
        .env("PATH", path_with_aigate())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(all(&o).contains("AIG001"));
    assert_eq!(sarif_results(&work.join("aigate.sarif")), 2);
}

#[test]
fn the_gitlab_job_fails_the_pipeline_and_writes_sarif() {
    let (s, work, _base, head) = repo();
    let yml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/ci/gitlab-ci.yml"
    ))
    .unwrap();
    let script: String = yml[yml.find("  script:").unwrap()..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("    - "))
        .map(|l| l.trim_start().trim_start_matches("- "))
        .filter(|l| !l.starts_with("cargo install")) // aigate is already on PATH here
        .map(|l| format!("{l}\n"))
        .collect();
    let o = s
        .cmd("bash", &work)
        .env("PATH", path_with_aigate())
        .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main")
        .env("CI_COMMIT_SHA", &head)
        .args(["-ec", &script])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(all(&o).contains("AIG001"), "{}", all(&o));
    assert_eq!(sarif_results(&work.join("gl-aigate.sarif")), 2);
}

/// The GitHub step's script for a push event: `before` → `sha` pushed to `branch`.
fn github_push_script(before: &str, sha: &str, branch: &str) -> String {
    github_script(&[
        ("${{ github.event_name }}", "push"),
        ("${{ github.event.pull_request.base.sha }}", ""),
        ("${{ github.event.pull_request.head.sha }}", ""),
        ("${{ github.base_ref }}", ""),
        ("${{ github.event.before }}", before),
        ("${{ github.sha }}", sha),
        ("${{ github.ref_name }}", branch),
    ])
}

/// The "Check commits" step of docs/ci/github-actions.yml as a shell script, with the
/// forge's expressions replaced.
fn github_script(subst: &[(&str, &str)]) -> String {
    let yml = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/ci/github-actions.yml"
    ))
    .unwrap();
    let start = yml.find("- name: Check commits").expect("step");
    let block = &yml[start..];
    let run = &block[block.find("run: |").unwrap() + 6..];
    let mut script: String = run
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("          ") || l.trim().is_empty())
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    for (from, to) in subst {
        script = script.replace(from, to);
    }
    script
}

#[test]
fn the_github_actions_step_handles_pushes_that_create_or_rewrite_a_branch() {
    let (s, work, _base, head) = repo();
    let zero = "0".repeat(40);
    let gone = "1234567890123456789012345678901234567890";
    for before in [zero.as_str(), gone] {
        let _ = std::fs::remove_file(work.join("aigate.sarif"));
        let o = s
            .cmd("bash", &work)
            .env("PATH", path_with_aigate())
            .args(["-c", &github_push_script(before, &head, "release/1")])
            .output()
            .unwrap();
        // The AI commit is judged (refused), not an error, and the SARIF is whole.
        assert_eq!(o.status.code(), Some(1), "before {before}: {}", all(&o));
        assert!(all(&o).contains("AIG001"), "{}", all(&o));
        assert_eq!(sarif_results(&work.join("aigate.sarif")), 2);
    }
}

#[test]
fn a_pull_request_cannot_turn_the_check_off_with_its_own_policy() {
    let (s, work, base, _head) = repo();
    // The pull request brings a policy that turns aigate off, and AI work on top of it.
    std::fs::write(work.join(".aigate.toml"), "[branches]\nmode = \"off\"\n").unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    let head = s.commit_staged(&work, "chore: config");
    let script = github_script(&[
        ("${{ github.event_name }}", "pull_request"),
        ("${{ github.event.pull_request.base.sha }}", &base),
        ("${{ github.event.pull_request.head.sha }}", &head),
        ("${{ github.base_ref }}", "main"),
        ("${{ github.event.before }}", &base),
        ("${{ github.sha }}", &head),
        ("${{ github.ref_name }}", "main"),
    ]);
    let o = s
        .cmd("bash", &work)
        .env("PATH", path_with_aigate())
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(all(&o).contains("AIG001"), "{}", all(&o));
}

/// A push that creates a branch has no base (`before` is all zeros): the rules come from the
/// remote's main branch, not from the looser built-in default the pusher would otherwise get.
#[test]
fn a_new_branch_is_judged_by_the_remotes_rules_not_the_built_in_default() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::write(
        work.join(".aigate.toml"),
        "[tools]\napproved = [\"cursor\"]\n",
    )
    .unwrap();
    s.git_ok(&work, &["add", ".aigate.toml"]);
    s.commit_staged(&work, "chore: only cursor");
    s.git_ok(&work, &["push", "-q", "origin", "main"]);
    s.git_ok(&work, &["checkout", "-q", "-b", "topic"]);
    std::fs::remove_file(work.join(".aigate.toml")).unwrap();
    s.git_ok(&work, &["add", "-A"]);
    s.commit_staged(&work, "chore: no policy");
    s.commit(&work, "a.rs", &format!("feat: a\n\n{CLAUDE}"));
    amend_attested_and_reviewed(&s, &work);
    let zero = "0".repeat(40);
    let o = s.aigate(
        &work,
        &[
            "check",
            &format!("{zero}..HEAD"),
            "--branch",
            "topic",
            "--rules-from",
            &zero,
            "--format",
            "json",
        ],
    );
    let out = all(&o);
    assert!(out.contains("refs/remotes/origin/main"), "{out}");
    assert!(out.contains("AIG002"), "{out}");
}

/// A push event that creates a branch, or force-pushes main, whose own commits turn the rules
/// off: the GitHub step reads the rules from before the push (never the pushed tip, which is
/// what origin/BRANCH is in a push event's clone) and fails.
#[test]
fn a_pushed_branch_cannot_turn_the_check_off_with_its_own_commits() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let off = |s: &Scratch, work: &Path| {
        std::fs::write(work.join(".aigate.toml"), "[branches]\nmode = \"off\"\n").unwrap();
        s.git_ok(work, &["add", ".aigate.toml"]);
        s.commit_staged(work, "chore: config");
        s.commit(work, "a.rs", &format!("feat: a\n\n{CLAUDE}"))
    };
    let run = |s: &Scratch, work: &Path, before: &str, sha: &str, branch: &str| {
        s.cmd("bash", work)
            .env("PATH", path_with_aigate())
            .args(["-c", &github_push_script(before, sha, branch)])
            .output()
            .unwrap()
    };
    // A new release branch: the push event's clone has origin/release/2.0 at the pushed tip.
    s.git_ok(&work, &["checkout", "-q", "-b", "release/2.0"]);
    let tip = off(&s, &work);
    s.git_ok(&work, &["push", "-q", "origin", "release/2.0"]);
    let ci = s.path("ci");
    s.git_ok(
        s.dir.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            ci.to_str().unwrap(),
        ],
    );
    s.git_ok(&ci, &["checkout", "-q", &tip]);
    let o = run(&s, &ci, &"0".repeat(40), &tip, "release/2.0");
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    assert!(all(&o).contains("AIG001"), "{}", all(&o));

    // A force-pushed main (in a repository of one branch): the old tip is gone from a fresh
    // clone, and origin/main (and origin/HEAD) are the pushed tip.
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let old = s.git_ok(&work, &["rev-parse", "HEAD"]);
    s.git_ok(
        &work,
        &["commit", "-q", "--amend", "-m", "Initial commit, rewritten"],
    );
    let tip = off(&s, &work);
    s.git_ok(&work, &["push", "-q", "--force", "origin", "main"]);
    s.git_ok(&remote, &["reflog", "expire", "--expire=now", "--all"]);
    s.git_ok(&remote, &["gc", "-q", "--prune=now"]);
    let ci = s.path("ci2");
    s.git_ok(
        s.dir.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            ci.to_str().unwrap(),
        ],
    );
    let o = run(&s, &ci, &old, &tip, "main");
    assert_ne!(o.status.code(), Some(0), "{}", all(&o));
    assert!(all(&o).contains("from before the push"), "{}", all(&o));
}

/// The examples build aigate once per pinned revision (a cache keyed by it, the build skipped
/// on a hit), with the locked versions; GitHub's SARIF upload is skipped for a fork's pull
/// request, whose token cannot write security events.
#[test]
fn the_ci_examples_cache_the_build_and_spare_forks_the_sarif_upload() {
    let read = |f: &str| {
        std::fs::read_to_string(format!("{}/docs/ci/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let gh = read("github-actions.yml");
    assert!(
        gh.contains("uses: actions/cache@v4")
            && gh.contains("key: aigate-${{ runner.os }}-${{ env.AIGATE_REV }}"),
        "{gh}"
    );
    assert!(
        gh.contains("if: steps.aigate-cache.outputs.cache-hit != 'true'"),
        "{gh}"
    );
    assert!(gh.contains("cargo install --locked"), "{gh}");
    let upload = &gh[gh.find("- name: Upload findings").unwrap()..];
    assert!(
        upload.contains("github.event.pull_request.head.repo.full_name == github.repository"),
        "{upload}"
    );
    let gl = read("gitlab-ci.yml");
    assert!(
        gl.contains("cache:") && gl.contains("key: aigate-$AIGATE_REV"),
        "{gl}"
    );
    assert!(
        gl.contains("command -v aigate >/dev/null || cargo install --locked"),
        "{gl}"
    );
}
