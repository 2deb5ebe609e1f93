//! The authoritative gate: `aigate install --server` on a bare repository, then real pushes
//! (with --no-verify, no client hooks) over the file transport and over git daemon on loopback.

mod common;
use common::*;
use std::path::PathBuf;

struct Server {
    s: Scratch,
    remote: PathBuf,
    work: PathBuf,
}

fn server() -> Server {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let o = s.aigate(&remote, &["install", "--server"]);
    assert!(o.status.success(), "{}", all(&o));
    Server { s, remote, work }
}

/// A server whose rules are owned by OWNER; returns it with the owner's key.
fn governed_server() -> (Server, PathBuf) {
    let s = Scratch::new();
    let (remote, work, owner) = s.governed();
    (Server { s, remote, work }, owner)
}

impl Server {
    fn push(&self, args: &[&str]) -> std::process::Output {
        let mut a = vec!["push", "--no-verify", "origin"];
        a.extend_from_slice(args);
        self.s.git(&self.work, &a)
    }

    fn commit(&self, file: &str, msg: &str) -> String {
        self.s.commit(&self.work, file, msg)
    }

    fn audit(&self) -> Vec<serde_json::Value> {
        let log = self.remote.join("aigate-audit.jsonl");
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad audit line {l}: {e}")))
            .collect()
    }

    fn tip(&self, r: &str) -> Option<String> {
        let o = self
            .s
            .git(&self.remote, &["rev-parse", "--verify", "-q", r]);
        o.status
            .success()
            .then(|| text(&o.stdout).trim().to_string())
    }
}

/// An AI commit pushed to main is refused, and accepted once attested and reviewed.
fn refused_then_accepted(sv: &Server, file: &str) {
    sv.commit(file, &format!("feat: {file}\n\n{CLAUDE}"));
    let o = sv.push(&["main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("AIG001"), "{}", all(&o));
    amend_attested_and_reviewed(&sv.s, &sv.work);
    let o = sv.push(&["main"]);
    assert!(o.status.success(), "{}", all(&o));
}

const GOOD: &str = "Assisted-by: claude-code\nReviewed-by: Rob Reviewer <rob@example.com>";

#[test]
fn server_refuses_an_ai_commit_pushed_with_no_verify_and_accepts_a_good_one() {
    let sv = server();
    let bad = sv.commit("a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let o = sv.push(&["main"]);
    let out = all(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("AIG001") && out.contains("AIG004") && out.contains(&bad[..10]),
        "{out}"
    );
    assert_ne!(sv.tip("main").as_deref(), Some(bad.as_str()));
    amend_attested_and_reviewed(&sv.s, &sv.work);
    let o = sv.push(&["main"]);
    assert!(o.status.success(), "{}", all(&o));
    let log = sv.audit();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["decision"], "refused");
    assert_eq!(log[1]["decision"], "accepted");
    assert_eq!(log[1]["commits"][0]["tools"][0], "claude-code");
    assert_eq!(
        log[1]["commits"][0]["reviewers"][0],
        "Rob Reviewer <rob@example.com>"
    );
}

#[test]
fn feature_branch_then_fast_forward_of_main_is_judged() {
    let sv = server();
    sv.commit("f.txt", &format!("feat: f\n\n{CLAUDE}"));
    let o = sv.push(&["HEAD:refs/heads/feature"]);
    assert!(
        o.status.success(),
        "unprotected refs are advisory: {}",
        all(&o)
    );
    assert!(all(&o).contains("would be refused on a protected branch"));
    let o = sv.push(&["HEAD:main"]);
    assert!(!o.status.success(), "{}", all(&o));
}

#[test]
fn a_new_branch_from_accepted_history_brings_nothing_new() {
    let sv = server();
    // Judged and accepted on release/1 first.
    sv.commit("x.txt", &format!("feat: x\n\n{CLAUDE}\n{GOOD}"));
    assert!(sv.push(&["HEAD:refs/heads/release/1"]).status.success());
    // main, which exists, is judged for itself (approvals and exemptions are per ref)...
    let o = sv.push(&["HEAD:refs/heads/main"]);
    assert!(o.status.success(), "{}", all(&o));
    let last = sv.audit().pop().unwrap();
    assert_eq!(last["commits"].as_array().unwrap().len(), 1, "{last}");
    // ...and a new protected branch cut from accepted history brings nothing new.
    let o = sv.push(&["HEAD:refs/heads/release/2"]);
    assert!(o.status.success(), "{}", all(&o));
    let last = sv.audit().pop().unwrap();
    assert_eq!(
        last["commits"].as_array().unwrap().len(),
        0,
        "nothing new: {last}"
    );
}

#[test]
fn several_refs_in_one_push_are_all_or_nothing() {
    let sv = server();
    sv.commit("g.txt", &format!("feat: g\n\n{CLAUDE}\n{GOOD}"));
    sv.s.git_ok(&sv.work, &["branch", "good"]);
    sv.commit("b.txt", &format!("feat: b\n\n{CLAUDE}"));
    let o = sv.push(&["good:main", "HEAD:refs/heads/release/9"]);
    assert!(!o.status.success());
    assert!(sv.tip("refs/heads/release/9").is_none());
    let log = sv.audit();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|l| l["push"] == "refused"));
}

#[test]
fn annotated_tags_are_peeled_and_judged_when_protected() {
    let (sv, owner) = governed_server();
    sv.s.push_rules(
        &sv.work,
        &owner,
        &[(
            ".aigate.toml",
            "[branches]\nprotected = [\"main\", \"refs/tags/v*\"]\n",
        )],
    );
    sv.s.git_ok(&sv.work, &["checkout", "-q", "-b", "side"]);
    sv.commit("t.txt", &format!("feat: t\n\n{CLAUDE}"));
    sv.s.git_ok(&sv.work, &["tag", "-a", "-m", "release", "v1.0"]);
    sv.s.git_ok(&sv.work, &["tag", "-a", "-m", "other", "other-tag"]);
    let o = sv.push(&["v1.0"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("AIG001"));
    assert!(
        sv.push(&["other-tag"]).status.success(),
        "unprotected tag is advisory"
    );
}

#[test]
fn deleting_or_rewriting_a_protected_branch_is_refused_unless_the_policy_allows() {
    let sv = server();
    sv.commit("c.txt", "fix: c");
    assert!(sv
        .push(&["main", "main:refs/heads/release/1"])
        .status
        .success());
    let o = sv.push(&["--delete", "release/1"]);
    assert!(!o.status.success());
    assert!(
        all(&o).contains("deleting a protected branch"),
        "{}",
        all(&o)
    );
    sv.s.git_ok(&sv.work, &["reset", "-q", "--hard", "HEAD~1"]);
    sv.commit("d.txt", "fix: d");
    let o = sv.push(&["--force", "main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("non-fast-forward"), "{}", all(&o));

    let policy = sv.s.path("server-policy.toml");
    std::fs::write(
        &policy,
        "[branches]\nallow_deletion = true\nallow_force_push = true\n",
    )
    .unwrap();
    sv.s.git_ok(
        &sv.remote,
        &["config", "aigate.policy", policy.to_str().unwrap()],
    );
    assert!(sv.push(&["--force", "main"]).status.success());
    assert!(sv.push(&["--delete", "release/1"]).status.success());
}

#[test]
fn a_push_that_edits_the_policy_is_judged_by_the_accepted_policy() {
    let (sv, owner) = governed_server();
    sv.s.push_rules(
        &sv.work,
        &owner,
        &[(".aigate.toml", "[tools]\napproved = [\"kiro\"]\n")],
    );
    // Approve claude-code and use it, in one push.
    std::fs::write(
        sv.work.join(".aigate.toml"),
        "[tools]\napproved = [\"kiro\", \"claude-code\"]\n",
    )
    .unwrap();
    sv.s.git_ok(&sv.work, &["add", ".aigate.toml"]);
    sv.s.git_ok(
        &sv.work,
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            &format!("Approve claude\n\n{GOOD}"),
        ],
    );
    sv.commit("z.txt", &format!("feat: z\n\n{CLAUDE}\n{GOOD}"));
    let o = sv.push(&["main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("AIG002"), "{}", all(&o));
}

#[test]
fn a_broken_or_missing_policy_refuses_every_push() {
    let sv = server();
    let policy = sv.s.path("broken.toml");
    std::fs::write(&policy, "[branches\nprotected = 1\n").unwrap();
    sv.s.git_ok(
        &sv.remote,
        &["config", "aigate.policy", policy.to_str().unwrap()],
    );
    sv.commit("h.txt", "docs: human change");
    let o = sv.push(&["main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("broken.toml:1:"), "{}", all(&o));
    assert!(all(&o).contains("never accepts on error"), "{}", all(&o));
    sv.s.git_ok(
        &sv.remote,
        &["config", "aigate.policy", "/nonexistent/policy.toml"],
    );
    assert!(!sv.push(&["main"]).status.success());
    assert_eq!(sv.audit().last().unwrap()["decision"], "error");
}

#[test]
fn a_broken_policy_push_is_refused_and_the_rules_in_force_stay() {
    let (sv, owner) = governed_server();
    std::fs::write(
        sv.work.join(".aigate.toml"),
        "[branches]\nmode = \"enforced\"\n",
    )
    .unwrap();
    sv.s.git_ok(&sv.work, &["add", ".aigate.toml"]);
    sv.s.commit_staged(&sv.work, "typo policy");
    // approve warns that the rules do not load, and signs only with --force.
    sv.s.git_ok(&sv.work, &["config", "user.email", OWNER]);
    let approve = |force: bool| {
        let mut a = vec![
            "approve", "HEAD", "--into", "main", "--push", "origin", "--key",
        ];
        a.push(owner.to_str().unwrap());
        if force {
            a.push("--force");
        }
        sv.s.aigate(&sv.work, &a)
    };
    let o = approve(false);
    assert!(
        !o.status.success() && all(&o).contains("do not load"),
        "{}",
        all(&o)
    );
    // Even with the owner's approval, rules that do not load are refused, with where.
    let o = approve(true);
    assert!(o.status.success(), "{}", all(&o));
    let o = sv.push(&["main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("do not load"), "{}", all(&o));
    assert!(all(&o).contains(".aigate.toml at"), "{}", all(&o));
    assert!(all(&o).contains(":2:"), "{}", all(&o));
    // The gate is not bricked: the next good push goes through.
    sv.s.git_ok(&sv.work, &["reset", "-q", "--hard", "HEAD~1"]);
    sv.commit("i.txt", "docs: next");
    let o = sv.push(&["main"]);
    assert!(o.status.success(), "{}", all(&o));
}

#[test]
fn a_broken_policy_already_in_force_refuses_rather_than_falling_back() {
    let sv = server();
    std::fs::write(sv.work.join(".aigate.toml"), "mode = 3\n").unwrap();
    sv.s.git_ok(&sv.work, &["add", ".aigate.toml"]);
    let bad = sv.s.commit_staged(&sv.work, "bad policy");
    // Put there by an admin, around the hook (as an older aigate might have accepted it).
    sv.s.git_ok(
        &sv.work,
        &["push", "-q", "--no-verify", "origin", "HEAD:refs/heads/tmp"],
    );
    sv.s.git_ok(&sv.remote, &["update-ref", "refs/heads/main", &bad]);
    sv.commit("i.txt", "docs: next");
    let o = sv.push(&["main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains(".aigate.toml at"), "{}", all(&o));
}

fn check_quarantine(unpack_limit: &str) {
    let sv = server();
    sv.s.git_ok(&sv.remote, &["config", "receive.unpackLimit", unpack_limit]);
    sv.commit("q.txt", &format!("feat: q\n\n{CLAUDE}"));
    let o = sv.push(&["main"]);
    assert!(!o.status.success());
    assert!(
        all(&o).contains("AIG001"),
        "the pushed commit was read from the quarantine: {}",
        all(&o)
    );
    amend_attested_and_reviewed(&sv.s, &sv.work);
    assert!(sv.push(&["main"]).status.success());
    // Nothing was left in a quarantine directory.
    let leftovers: Vec<_> = std::fs::read_dir(sv.remote.join("objects"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("tmp_objdir"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn pushed_objects_are_read_from_the_quarantine_as_loose_objects() {
    check_quarantine("100");
}

#[test]
fn pushed_objects_are_read_from_the_quarantine_as_a_pack() {
    check_quarantine("1");
}

#[test]
fn replace_refs_do_not_change_what_is_judged() {
    let sv = server();
    let bad = sv.commit("r.txt", &format!("feat: r\n\n{CLAUDE}"));
    // A harmless-looking replacement for the bad commit, pushed along with it.
    sv.s.git_ok(&sv.work, &["checkout", "-q", "-b", "decoy", "HEAD~1"]);
    let decoy = sv.commit("r.txt", &format!("feat: r\n\n{GOOD}"));
    sv.s.git_ok(&sv.work, &["checkout", "-q", "main"]);
    sv.s.git_ok(&sv.work, &["replace", &bad, &decoy]);
    // Refused by default...
    let o = sv.push(&["refs/replace/*:refs/replace/*"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("refs/replace/"), "{}", all(&o));
    // ...and where a policy allows them, they still do not change what is judged.
    let policy = sv.s.path("allow-replace.toml");
    std::fs::write(&policy, "[refs]\nallow_replace = true\n").unwrap();
    sv.s.git_ok(
        &sv.remote,
        &["config", "aigate.policy", policy.to_str().unwrap()],
    );
    assert!(sv.push(&["refs/replace/*:refs/replace/*"]).status.success());
    let o = sv.push(&["main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains(&bad[..10]));
}

#[test]
fn gitlab_pushes_get_prefixed_messages_and_the_pusher_is_recorded() {
    let sv = server();
    sv.commit("l.txt", &format!("feat: l\n\n{CLAUDE}"));
    let o =
        sv.s.cmd("git", &sv.work)
            .env("GL_USERNAME", "alice")
            .args(["push", "--no-verify", "origin", "main"])
            .output()
            .unwrap();
    assert!(!o.status.success());
    let err = text(&o.stderr);
    assert!(
        err.lines()
            .filter(|l| l.contains("AIG001"))
            .all(|l| l.contains("GL-HOOK-ERR: ")),
        "{err}"
    );
    assert_eq!(sv.audit()[0]["pusher"], "gitlab:alice");
}

#[test]
fn push_options_reach_the_verdict_as_exemptions() {
    let sv = server();
    let ex = sv.s.path("exemptions.toml");
    std::fs::write(&ex, "[[exemption]]\nid = \"EX-1\"\ntools = [\"claude-code\"]\nbranches = [\"main\"]\napproved_by = \"Compliance <c@example.com>\"\nticket = \"SEC-1\"\nreason = \"pilot\"\nexpires = \"2999-12-31\"\n").unwrap();
    let policy = sv.s.path("policy.toml");
    std::fs::write(&policy, "[tools]\napproved = [\"kiro\"]\n").unwrap();
    sv.s.git_ok(
        &sv.remote,
        &["config", "aigate.policy", policy.to_str().unwrap()],
    );
    sv.s.git_ok(
        &sv.remote,
        &["config", "aigate.exemptions", ex.to_str().unwrap()],
    );
    sv.commit("p.txt", &format!("feat: p\n\n{CLAUDE}\n{GOOD}"));
    let o = sv.push(&["main"]);
    assert!(!o.status.success());
    assert!(all(&o).contains("AIG002"));
    let o = sv.push(&["-o", "aigate.exemption=EX-1", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    let last = sv.audit().pop().unwrap();
    assert_eq!(last["commits"][0]["exemptions"][0]["id"], "EX-1");
    assert_eq!(last["push_options"][0], "EX-1");
}

#[test]
fn a_missing_binary_refuses_on_the_server() {
    let sv = server();
    let hook = sv.remote.join("hooks/pre-receive");
    let script = std::fs::read_to_string(&hook)
        .unwrap()
        .replace(AIGATE.as_str(), "/nonexistent/aigate");
    std::fs::write(&hook, script).unwrap();
    sv.commit("m.txt", "docs: m");
    let o =
        sv.s.cmd("git", &sv.work)
            .env("PATH", "/usr/bin:/bin")
            .args(["push", "--no-verify", "origin", "main"])
            .output()
            .unwrap();
    assert!(!o.status.success());
    assert!(all(&o).contains("binary is missing"), "{}", all(&o));
}

#[test]
fn ten_concurrent_pushes_write_exactly_one_audit_line_each() {
    let sv = server();
    let mut clones = Vec::new();
    for i in 0..10 {
        let c = sv.s.path(&format!("c{i}"));
        sv.s.git_ok(
            sv.s.dir.path(),
            &[
                "clone",
                "-q",
                sv.remote.to_str().unwrap(),
                c.to_str().unwrap(),
            ],
        );
        sv.s.commit(&c, &format!("f{i}.txt"), &format!("feat: {i}\n\n{CLAUDE}"));
        clones.push(c);
    }
    let children: Vec<_> = clones
        .iter()
        .enumerate()
        .map(|(i, c)| {
            sv.s.cmd("git", c)
                .args([
                    "push",
                    "-q",
                    "--no-verify",
                    "origin",
                    &format!("HEAD:refs/heads/topic{i}"),
                ])
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut ch in children {
        ch.wait().unwrap();
    }
    let log = sv.audit();
    assert_eq!(log.len(), 10, "one well-formed line per decision");
    let mut refs: Vec<String> = log
        .iter()
        .map(|l| l["ref"].as_str().unwrap().to_string())
        .collect();
    refs.sort();
    refs.dedup();
    assert_eq!(refs.len(), 10);
}

#[test]
fn install_keeps_an_existing_server_hook_and_uninstall_restores_it() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\ncat >/dev/null\necho legacy-check >&2\n").unwrap();
    std::process::Command::new("chmod")
        .args(["+x", hook.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(s.aigate(&remote, &["install", "--server"]).status.success());
    s.commit(&work, "n.txt", "docs: n");
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(o.status.success());
    assert!(all(&o).contains("legacy-check"));
    assert!(s
        .aigate(&remote, &["uninstall", "--server"])
        .status
        .success());
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("legacy-check"));
}

#[test]
fn the_update_hook_judges_per_ref() {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    assert!(s
        .aigate(&remote, &["install", "--server", "--per-ref"])
        .status
        .success());
    s.git_ok(&work, &["checkout", "-q", "-b", "ok"]);
    s.commit(&work, "o.txt", "docs: fine");
    s.git_ok(&work, &["checkout", "-q", "-b", "bad"]);
    s.commit(&work, "u.txt", &format!("feat: u\n\n{CLAUDE}"));
    let o = s.git(
        &work,
        &["push", "--no-verify", "origin", "ok:main", "bad:release/1"],
    );
    assert!(!o.status.success());
    // update refuses refs one by one: main went in, release/1 did not.
    assert!(
        s.git(
            &remote,
            &["rev-parse", "--verify", "-q", "refs/heads/release/1"]
        )
        .status
        .code()
            != Some(0)
    );
    assert_eq!(
        s.git_ok(&remote, &["rev-parse", "main"]),
        s.git_ok(&work, &["rev-parse", "ok"])
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_gate_holds_over_git_daemon_on_loopback() {
    let sv = server();
    let port = free_port();
    let base = sv.remote.parent().unwrap();
    let pid_file = sv.s.path("daemon.pid");
    let mut daemon =
        sv.s.cmd("git", base)
            .args([
                "daemon",
                &format!("--pid-file={}", pid_file.display()),
                "--reuseaddr",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                "--export-all",
                "--enable=receive-pack",
                &format!("--base-path={}", base.display()),
                base.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
    let url = format!("git://127.0.0.1:{port}/remote.git");
    let mut ready = false;
    for _ in 0..50 {
        if sv.s.git(&sv.work, &["ls-remote", &url]).status.success() {
            ready = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let result = std::panic::catch_unwind(|| {
        assert!(ready, "git daemon did not start");
        sv.s.git_ok(&sv.work, &["remote", "set-url", "origin", &url]);
        refused_then_accepted(&sv, "d.txt");
    });
    // `git daemon` runs git-daemon as a child: stop that one by its pid file, then the wrapper.
    if let Ok(pid) = std::fs::read_to_string(&pid_file) {
        let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Smart HTTP through `git http-backend` (run as CGI by Python's http.server), which sets
/// REMOTE_USER from HTTP basic auth: the pusher recorded in the audit log.
#[test]
fn the_gate_holds_over_smart_http_and_records_remote_user() {
    let sv = server();
    let base = sv.remote.parent().unwrap().to_path_buf();
    let cgi = base.join("cgi-bin");
    std::fs::create_dir_all(&cgi).unwrap();
    let script = cgi.join("git");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nGIT_PROJECT_ROOT='{}' GIT_HTTP_EXPORT_ALL=1 exec git http-backend\n",
            base.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["+x", script.to_str().unwrap()])
        .status()
        .unwrap();
    let port = free_port();
    let mut http = sv
        .s
        .cmd("python3", &base)
        // The non-forking CGI path runs the script as this user (the forking one drops to nobody).
        .args([
            "-W",
            "ignore",
            "-c",
            "import http.server, sys\nclass H(http.server.CGIHTTPRequestHandler):\n    have_fork = False\nhttp.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()",
            &port.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/cgi-bin/git/remote.git");
    let result = std::panic::catch_unwind(|| {
        let mut ready = false;
        for _ in 0..50 {
            if sv.s.git(&sv.work, &["ls-remote", &url]).status.success() {
                ready = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(ready, "http server did not start");
        sv.s.git_ok(&sv.work, &["remote", "set-url", "origin", &url]);
        // "carol:secret", sent up front (http-backend itself never asks for credentials).
        sv.s.git_ok(
            &sv.work,
            &[
                "config",
                "http.extraHeader",
                "Authorization: Basic Y2Fyb2w6c2VjcmV0",
            ],
        );
        refused_then_accepted(&sv, "w.txt");
        let log = sv.audit();
        assert_eq!(log.len(), 2);
        assert!(log.iter().all(|l| l["pusher"] == "http:carol"), "{log:?}");
    });
    let _ = http.kill();
    let _ = http.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn grafts_on_the_server_do_not_change_what_is_judged() {
    let sv = server();
    let base = sv.tip("main").unwrap();
    let bad = sv.commit("g.txt", &format!("feat: g\n\n{CLAUDE}"));
    assert!(sv.push(&["HEAD:refs/heads/feature"]).status.success());
    // A graft claiming main's tip also has the bad commit as a parent would make it look
    // already accepted if grafts were honoured.
    std::fs::create_dir_all(sv.remote.join("info")).unwrap();
    std::fs::write(sv.remote.join("info/grafts"), format!("{base} {bad}\n")).unwrap();
    let o = sv.push(&["HEAD:main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains(&bad[..10]), "{}", all(&o));
}

#[test]
fn advice_for_an_unprotected_push_names_the_protected_branch_it_is_bound_for() {
    let sv = server();
    sv.commit(
        "h.txt",
        &format!("feat: h\n\nAssisted-by: hal9000\n{REVIEW}"),
    );
    let o = sv.push(&["HEAD:refs/heads/feature"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("--branch main"), "{}", all(&o));
    assert!(!all(&o).contains("--branch feature"), "{}", all(&o));
}
