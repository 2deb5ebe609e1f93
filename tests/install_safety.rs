//! `aigate install` writes nothing it should not: not this machine's paths into hooks git
//! tracks (husky's `.husky/` as core.hooksPath), and nothing at all when the owners file is bad.

mod common;
use common::*;

#[test]
fn install_refuses_a_tracked_hooks_dir_and_says_what_to_add_instead() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::create_dir_all(work.join(".husky")).unwrap();
    let hook = "#!/bin/sh\nnpx commitlint --edit \"$1\"\n";
    std::fs::write(work.join(".husky/commit-msg"), hook).unwrap();
    s.git_ok(&work, &["add", ".husky/commit-msg"]);
    s.commit_staged(&work, "chore: husky");
    s.git_ok(&work, &["config", "core.hooksPath", ".husky"]);

    let o = s.aigate(&work, &["install"]);
    let out = all(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("tracked by git"), "{out}");
    assert!(
        out.contains(".husky/commit-msg:  aigate hook commit-msg \"$1\""),
        "{out}"
    );
    assert_eq!(
        s.git_ok(&work, &["status", "--porcelain"]),
        "",
        "nothing written:\n{out}"
    );
    assert_eq!(
        std::fs::read_to_string(work.join(".husky/commit-msg")).unwrap(),
        hook
    );

    let o = s.aigate(&work, &["install", "--force"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("do not commit them"), "{}", all(&o));
}

#[test]
fn a_bad_owners_file_fails_before_anything_is_installed() {
    let s = Scratch::new();
    let (remote, _work) = s.remote_and_clone();
    let key = s.keygen("olivia");
    let owners = s.path("owners");
    std::fs::write(&owners, s.signer_line("*@example.com", &key)).unwrap();
    let o = s.aigate(
        &remote,
        &["install", "--server", "--owners", owners.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(all(&o).contains("is a pattern"), "{}", all(&o));
    assert!(
        !remote.join("hooks/pre-receive").exists(),
        "no hook written: {}",
        all(&o)
    );
    let cfg = s.git(&remote, &["config", "--get-regexp", "^aigate\\."]);
    assert_eq!(text(&cfg.stdout), "", "no config written");
}
