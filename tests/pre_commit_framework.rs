//! The pre-commit framework's integration (.pre-commit-hooks.yaml): its pre-push hook gets
//! refs from PRE_COMMIT_* variables, and none at all for a push that contains the root commit.

mod common;
use common::*;

#[test]
fn pre_commit_frameworks_first_push_with_the_root_commit_is_still_checked() {
    let s = Scratch::new();
    let remote = s.path("remote.git");
    s.init_bare(s.dir.path(), &remote);
    let work = s.path("work");
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", work.to_str().unwrap()],
    );
    s.git_ok(
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    s.commit(&work, "a.txt", &format!("feat: first\n\n{CLAUDE}"));
    // What pre-commit sets for a push whose commits reach the root: no from/to refs.
    let o = s
        .cmd(&AIGATE, &work)
        .args(["hook", "pre-push"])
        .env("PRE_COMMIT_REMOTE_NAME", "origin")
        .env("PRE_COMMIT_REMOTE_URL", remote.to_str().unwrap())
        .env("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/main")
        .env("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main")
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "refused, as the native hook refuses it:\n{}",
        all(&o)
    );
    assert!(all(&o).contains("AIG001"), "{}", all(&o));
}

#[test]
fn pre_commit_framework_hooks_build_aigate_with_the_locked_versions() {
    let root = env!("CARGO_MANIFEST_DIR");
    let yaml = std::fs::read_to_string(format!("{root}/.pre-commit-hooks.yaml")).unwrap();
    let entries: Vec<&str> = yaml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("entry: "))
        .collect();
    assert_eq!(entries.len(), 4, "{yaml}");
    for e in entries {
        assert!(e.starts_with("hooks/pre-commit-framework.sh hook "), "{e}");
    }
    assert!(
        !yaml.contains("language: rust"),
        "pre-commit's rust build has no --locked"
    );
    let script = std::fs::read_to_string(format!("{root}/hooks/pre-commit-framework.sh")).unwrap();
    assert!(script.contains("cargo install --locked"), "{script}");
}
