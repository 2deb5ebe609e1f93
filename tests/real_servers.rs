//! Real git servers, run as an administrator runs them, with `aigate install --server` in the
//! repository: sshd + gitolite3 (the pusher authenticated by SSH key, in `GL_USER`) and Apache
//! httpd + git-http-backend (HTTP basic auth, in `REMOTE_USER`). Each server starts from its own
//! config on a free loopback port and is stopped, its Unix account removed and its files deleted
//! even when the test fails. They need root (a throwaway account for gitolite; Apache's CGI
//! user) and the Debian packages openssh-server, gitolite3, apache2 and apache2-utils; without
//! them each test fails: they are `#[ignore]`d, so a plain `cargo test` lists them as ignored, and
//! `.ci/run` runs them (`-- --include-ignored`) where it could install the servers. The set-ups
//! follow docs/servers.md.

mod common;
use common::*;
use std::ffi::OsStr;
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// PATH for the servers and for what runs as their accounts (nothing else of the test's own
/// environment reaches them).
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| text(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The first of `needs` this machine lacks: absolute paths as given, other names on PATH or in
/// the sbin directories.
fn missing(needs: &[&str]) -> Option<String> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(std::env::split_paths(PATH));
    needs
        .iter()
        .find(|&&n| {
            if n.starts_with('/') {
                !Path::new(n).exists()
            } else {
                !dirs.iter().any(|d| d.join(n).is_file())
            }
        })
        .map(|n| n.to_string())
}

/// Insists the test `what` can run here: it runs on request only (`--include-ignored`), so a
/// missing server is a failure that says what is missing, never a silent pass.
fn require(what: &str, needs: &[&str]) {
    if let Some(m) = missing(needs) {
        panic!("{what}: {m} is not installed (see .ci/run for the packages)");
    }
    assert!(
        is_root(),
        "{what}: needs root (a Unix account of its own, a server's user)"
    );
}

/// A Unix account's uid and gid.
fn ids(user: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let o = Command::new("id").args([flag, user]).output().ok()?;
        if !o.status.success() {
            return None;
        }
        text(&o.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown_r(p: &Path, uid: u32, gid: u32) {
    let o = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{gid}"))
        .arg(p)
        .output()
        .expect("chown runs");
    assert!(o.status.success(), "chown: {}", all(&o));
}

/// A directory for a server's files that its account can enter: in /tmp (not the test's
/// TMPDIR, which may be private), mode 755.
fn server_dir(prefix: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in("/tmp")
        .expect("a directory in /tmp");
    chmod(dir.path(), 0o755);
    dir
}

/// A command run as the account `uid:gid` in `home`, with a clean environment.
fn run_as(program: impl AsRef<OsStr>, uid: u32, gid: u32, home: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("PATH", PATH)
        .env("HOME", home)
        .current_dir(home)
        .uid(uid)
        .gid(gid);
    c
}

/// The aigate binary as the account `uid:gid` can run it: the one cargo built when that account
/// can reach it, else a copy in `dir` (a build under a private home directory).
fn aigate_for(uid: u32, gid: u32, dir: &Path) -> PathBuf {
    let reachable = run_as(AIGATE.as_str(), uid, gid, dir)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if reachable {
        return PathBuf::from(AIGATE.as_str());
    }
    let copy = dir.join("aigate");
    std::fs::copy(AIGATE.as_str(), &copy).expect("copy of the aigate binary");
    chmod(&copy, 0o755);
    copy
}

/// The audit log, one JSON value a line.
/// Pushes main as it is (accepted), then an unattested AI commit (refused, AIG001), then the
/// same commit attested and reviewed (accepted); returns the audit log, checked to hold those
/// three decisions in that order.
fn accepted_refused_accepted(s: &Scratch, work: &Path, audit_log: &Path) -> Vec<serde_json::Value> {
    let push = || s.git(work, &["push", "--no-verify", "origin", "main"]);
    let o = push();
    assert!(o.status.success(), "{}", all(&o));
    s.commit(work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let o = push();
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("AIG001"), "{}", all(&o));
    amend_attested_and_reviewed(s, work);
    let o = push();
    assert!(o.status.success(), "{}", all(&o));
    let log = audit(audit_log);
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0]["decision"], "accepted");
    assert_eq!(log[1]["decision"], "refused");
    assert_eq!(log[2]["decision"], "accepted");
    log
}

fn audit(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad audit line {l}: {e}")))
        .collect()
}

/// A throwaway Unix account (`useradd -m`), removed with its home directory when dropped.
struct Account {
    name: String,
    uid: u32,
    gid: u32,
    home: PathBuf,
}

impl Account {
    fn create(name: &str, home: &Path) -> Account {
        let o = Command::new("useradd")
            .env("PATH", PATH)
            .args(["-m", "-s", "/bin/sh", "-d"])
            .arg(home)
            .arg(name)
            .output()
            .expect("useradd runs");
        assert!(o.status.success(), "useradd {name}: {}", all(&o));
        let mut account = Account {
            name: name.to_string(),
            uid: u32::MAX,
            gid: u32::MAX,
            home: home.to_path_buf(),
        };
        (account.uid, account.gid) = ids(name).expect("the new account's ids");
        // No password, but not locked: sshd refuses key logins to a locked account.
        let o = Command::new("usermod")
            .env("PATH", PATH)
            .args(["-p", "*", name])
            .output()
            .expect("usermod runs");
        assert!(o.status.success(), "usermod {name}: {}", all(&o));
        account
    }

    fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = run_as(program, self.uid, self.gid, &self.home);
        c.env("USER", &self.name).env("LOGNAME", &self.name);
        c
    }

    /// Runs `program` as this account and insists it succeeds.
    fn run_ok(&self, program: &str, args: &[&str]) -> Output {
        let o = self
            .cmd(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            o.status.success(),
            "{program} {args:?} as {}: {}",
            self.name,
            all(&o)
        );
        o
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = Command::new("userdel")
            .env("PATH", PATH)
            .args(["-r", "-f", &self.name])
            .output();
    }
}

/// A server started in the foreground from its own config (so it is ours to reap). Dropped, it
/// gets SIGTERM (its PidFile names this same process) and is waited for.
struct Daemon {
    name: &'static str,
    child: Child,
    pid_file: PathBuf,
    log: PathBuf,
}

impl Daemon {
    fn start(name: &'static str, cmd: &mut Command, pid_file: PathBuf, log: PathBuf) -> Daemon {
        let child = cmd
            .env_clear()
            .env("PATH", PATH)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        Daemon {
            name,
            child,
            pid_file,
            log,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until it accepts connections on `port`.
    fn wait_listening(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited at start ({status}):\n{}",
                    self.name,
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{} is not listening on {port}:\n{}",
                self.name,
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        // Not yet reaped, the child's pid cannot name another process. The PidFile names the
        // same one (a foreground server writes its own pid).
        let pid = self.child.id();
        if let Some(p) = std::fs::read_to_string(&self.pid_file)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok())
        {
            if p != pid {
                eprintln!("note: {}: PidFile names {p}, not {pid}", self.name);
            }
        }
        let _ = Command::new("kill").arg(pid.to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ATTESTED: &str = "Assisted-by: claude-code";

/// gitolite behind sshd, as docs/servers.md sets it up: one hosting account, users known by
/// their SSH keys. The audit log names `gitolite:alice` (GL_USER), not the Unix account the push
/// runs as; and under signed reviews Alice's approval of what she pushes is the pusher's (it
/// does not count) while Bob's does.
#[test]
#[ignore = "needs root, openssh-server and gitolite3: .ci/run runs it"]
fn gitolite_over_sshd_records_the_authenticated_pusher_and_enforces_signed_reviews() {
    let what = "gitolite over sshd";
    require(
        what,
        &[
            "/usr/sbin/sshd",
            "gitolite",
            "ssh",
            "ssh-keygen",
            "useradd",
            "usermod",
            "userdel",
        ],
    );
    // Dropped in reverse: sshd stops, then the account goes, then the files.
    let srv = server_dir("aigate-gitolite");
    let s = Scratch::new();
    let account = Account::create(
        &format!("aigate-gl-{}", std::process::id()),
        &srv.path().join("home"),
    );
    let admin = s.keygen("admin");
    let alice = s.keygen("alice");
    let bob = s.keygen("bob");

    // gitolite, set up by its account with the administrator's key.
    let admin_pub = account.home.join("admin.pub");
    std::fs::copy(admin.with_extension("pub"), &admin_pub).unwrap();
    std::os::unix::fs::chown(&admin_pub, Some(account.uid), Some(account.gid)).unwrap();
    account.run_ok("gitolite", &["setup", "-pk", "admin.pub"]);
    let authorized = account.home.join(".ssh/authorized_keys");
    assert!(
        authorized.is_file(),
        "gitolite setup wrote no authorized_keys"
    );

    // sshd from its own config, on a free loopback port.
    std::fs::create_dir_all("/run/sshd").unwrap();
    let host_key = s.keygen("host");
    let port = free_port();
    let config = srv.path().join("sshd_config");
    let pid_file = srv.path().join("sshd.pid");
    let log = srv.path().join("sshd.log");
    std::fs::write(
        &config,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\nUsePAM no\n\
             StrictModes no\nPasswordAuthentication no\nPubkeyAuthentication yes\n\
             AuthorizedKeysFile {}\nAllowUsers {}\n",
            host_key.display(),
            pid_file.display(),
            authorized.display(),
            account.name
        ),
    )
    .unwrap();
    let mut sshd = Daemon::start(
        "sshd",
        Command::new("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(&log),
        pid_file,
        log,
    );
    sshd.wait_listening(port);
    let ssh = |key: &Path| {
        format!(
            "ssh -F /dev/null -i {} -p {port} -o IdentitiesOnly=yes -o BatchMode=yes \
             -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
            key.display()
        )
    };
    let url = |repo: &str| format!("{}@127.0.0.1:{repo}", account.name);

    // The administrator adds Alice and Bob and a repository through gitolite-admin.
    let admin_work = s.path("gitolite-admin");
    s.git_ok(
        s.dir.path(),
        &[
            "-c",
            &format!("core.sshCommand={}", ssh(&admin)),
            "clone",
            "-q",
            &url("gitolite-admin"),
            admin_work.to_str().unwrap(),
        ],
    );
    s.git_ok(&admin_work, &["config", "core.sshCommand", &ssh(&admin)]);
    for (name, key) in [("alice", &alice), ("bob", &bob)] {
        std::fs::copy(
            key.with_extension("pub"),
            admin_work.join(format!("keydir/{name}.pub")),
        )
        .unwrap();
    }
    let conf = admin_work.join("conf/gitolite.conf");
    let mut rules = std::fs::read_to_string(&conf).unwrap();
    rules.push_str("\nrepo guarded\n    RW+ = alice bob\n");
    std::fs::write(&conf, rules).unwrap();
    s.git_ok(&admin_work, &["add", "-A"]);
    s.git_ok(
        &admin_work,
        &["commit", "-q", "-m", "guarded, for alice and bob"],
    );
    s.git_ok(&admin_work, &["push", "-q", "origin", "HEAD"]);
    let repo = account.home.join("repositories/guarded.git");
    assert!(repo.is_dir(), "gitolite made no {}", repo.display());

    // aigate guards it, installed by the hosting account.
    let bin = aigate_for(account.uid, account.gid, &account.home);
    let o = account
        .cmd(&bin)
        .args(["install", "--server", "--policy-ref", "main", "--repo"])
        .arg(&repo)
        .output()
        .expect("aigate runs");
    assert!(o.status.success(), "{}", all(&o));
    let audit_log = repo.join("aigate-audit.jsonl");

    // Alice pushes over ssh with her key.
    let work = s.path("work");
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", work.to_str().unwrap()],
    );
    s.git_ok(&work, &["remote", "add", "origin", &url("guarded")]);
    s.git_ok(&work, &["config", "core.sshCommand", &ssh(&alice)]);
    let push = |refspec: &str| s.git(&work, &["push", "--no-verify", "origin", refspec]);
    s.commit(&work, "README", "Initial commit");
    let log = accepted_refused_accepted(&s, &work, &audit_log);
    // The pusher gitolite authenticated, not the Unix account the hook runs as.
    assert!(
        log.iter().all(|l| l["pusher"] == "gitolite:alice"),
        "the pusher is not gitolite:alice (the account is {}): {log:?}",
        account.name
    );

    // Signed reviews, with the server's own policy and trust root.
    let trust = account.home.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    let policy = trust.join("policy.toml");
    std::fs::write(
        &policy,
        "[review]\nverify = \"signed\"\n[identities]\nalice = \"alice@example.com\"\nbob = \"bob@example.com\"\n",
    )
    .unwrap();
    let signers = trust.join("allowed_signers");
    std::fs::write(
        &signers,
        format!(
            "{}{}",
            s.signer_line("alice@example.com", &alice),
            s.signer_line("bob@example.com", &bob)
        ),
    )
    .unwrap();
    chown_r(&trust, account.uid, account.gid);
    let repo_arg = repo.to_str().unwrap();
    account.run_ok(
        "git",
        &[
            "-C",
            repo_arg,
            "config",
            "aigate.policy",
            policy.to_str().unwrap(),
        ],
    );
    account.run_ok(
        "git",
        &[
            "-C",
            repo_arg,
            "config",
            "aigate.allowedSigners",
            signers.to_str().unwrap(),
        ],
    );

    // Alice approves the AI commit she pushes: the pusher's approval does not count.
    let c = s.commit(&work, "b.txt", &format!("feat: b\n\n{CLAUDE}\n{ATTESTED}"));
    let o = s.approve(&work, "alice@example.com", &alice, &c, "main");
    assert!(o.status.success(), "{}", all(&o));
    let o = push("main");
    let out = all(&o);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains("AIG004") && out.contains("the pusher"),
        "{out}"
    );

    // Another commit, approved by Bob alone (his signing key; the approval pushed over his own
    // login): Alice's push of it is accepted.
    s.git_ok(&work, &["reset", "-q", "--hard", "HEAD~1"]);
    let c = s.commit(&work, "c.txt", &format!("feat: c\n\n{CLAUDE}\n{ATTESTED}"));
    s.git_ok(&work, &["config", "core.sshCommand", &ssh(&bob)]);
    let o = s.approve(&work, "bob@example.com", &bob, &c, "main");
    assert!(o.status.success(), "{}", all(&o));
    s.git_ok(&work, &["config", "core.sshCommand", &ssh(&alice)]);
    let o = push("main");
    assert!(o.status.success(), "{}", all(&o));

    let log = audit(&audit_log);
    let last = log.last().unwrap();
    assert_eq!(last["pusher"], "gitolite:alice", "{last}");
    assert_eq!(last["decision"], "accepted", "{last}");
    assert_eq!(
        last["commits"][0]["approvals"][0]["reviewer"], "bob@example.com",
        "{last}"
    );
    assert!(
        log.iter()
            .any(|l| l["ref"] == "refs/aigate/approvals" && l["pusher"] == "gitolite:bob"),
        "Bob's approval was pushed as gitolite:bob: {log:?}"
    );
}

/// The Apache modules the server loads: (module, file under /usr/lib/apache2/modules).
const APACHE_MODULES: [(&str, &str); 9] = [
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authn_file_module", "mod_authn_file.so"),
    ("auth_basic_module", "mod_auth_basic.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("alias_module", "mod_alias.so"),
    ("env_module", "mod_env.so"),
    ("cgid_module", "mod_cgid.so"),
];

/// Apache httpd runs git-http-backend as CGI behind basic auth (docs/servers.md): a wrong
/// password never reaches git, and the audit log names `http:carol` (REMOTE_USER).
#[test]
#[ignore = "needs root, apache2 and apache2-utils: .ci/run runs it"]
fn apache_basic_auth_records_remote_user() {
    let what = "Apache with git-http-backend";
    let modules = "/usr/lib/apache2/modules";
    let exec_path = Command::new("git")
        .arg("--exec-path")
        .output()
        .map(|o| text(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let backend = format!("{exec_path}/git-http-backend");
    let module_files: Vec<String> = APACHE_MODULES
        .iter()
        .map(|(_, f)| format!("{modules}/{f}"))
        .collect();
    let mut needs = vec!["/usr/sbin/apache2", "htpasswd", backend.as_str()];
    needs.extend(module_files.iter().map(|f| f.as_str()));
    require(what, &needs);
    // The account the CGI runs as (Debian's apache2 runs it as daemon).
    let (uid, gid) = ids("daemon").unwrap_or_else(|| panic!("{what}: no daemon account"));

    // Dropped in reverse: httpd stops, then the files go.
    let srv_dir = server_dir("aigate-httpd");
    let s = Scratch::new();
    let srv = srv_dir.path();
    let repos = srv.join("repos");
    let cgi_home = srv.join("home");
    std::fs::create_dir_all(&repos).unwrap();
    std::fs::create_dir_all(&cgi_home).unwrap();
    let remote = repos.join("remote.git");
    s.init_bare(srv, &remote);
    s.git_ok(&remote, &["config", "http.receivepack", "true"]);
    let bin = aigate_for(uid, gid, srv);
    let o = s
        .cmd(bin.to_str().unwrap(), &remote)
        .args(["install", "--server"])
        .output()
        .expect("aigate runs");
    assert!(o.status.success(), "{}", all(&o));
    let htpasswd = srv.join("htpasswd");
    let o = Command::new("htpasswd")
        .arg("-bc")
        .arg(&htpasswd)
        .args(["carol", "secret"])
        .output()
        .expect("htpasswd runs");
    assert!(o.status.success(), "{}", all(&o));
    // git serves only repositories of the account it runs as; the hook writes the audit log.
    chown_r(srv, uid, gid);

    let port = free_port();
    let config = srv.join("httpd.conf");
    let pid_file = srv.join("httpd.pid");
    let log = srv.join("error.log");
    let mut conf = format!(
        "ServerRoot /usr/lib/apache2\nServerName 127.0.0.1\nListen 127.0.0.1:{port}\n\
         PidFile {}\nErrorLog {}\nLogLevel warn\nDefaultRuntimeDir {}\nScriptSock {}\n\
         User #{uid}\nGroup #{gid}\n",
        pid_file.display(),
        log.display(),
        srv.display(),
        srv.join("cgid.sock").display()
    );
    for (module, file) in APACHE_MODULES {
        conf.push_str(&format!("LoadModule {module} {modules}/{file}\n"));
    }
    conf.push_str(&format!(
        "SetEnv GIT_PROJECT_ROOT {}\nSetEnv GIT_HTTP_EXPORT_ALL 1\nSetEnv HOME {}\n\
         ScriptAlias /git/ {backend}/\n\
         <Location /git/>\n    AuthType Basic\n    AuthName \"git\"\n    AuthUserFile {}\n    \
         Require valid-user\n</Location>\n",
        repos.display(),
        cgi_home.display(),
        htpasswd.display()
    ));
    std::fs::write(&config, conf).unwrap();
    let mut httpd = Daemon::start(
        "apache2",
        Command::new("/usr/sbin/apache2")
            .arg("-f")
            .arg(&config)
            .arg("-DFOREGROUND"),
        pid_file,
        log,
    );
    httpd.wait_listening(port);

    let work = s.path("work");
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", work.to_str().unwrap()],
    );
    s.commit(&work, "README", "Initial commit");
    let url = |password: &str| format!("http://carol:{password}@127.0.0.1:{port}/git/remote.git");
    let push = |refspec: &str| s.git(&work, &["push", "--no-verify", "origin", refspec]);
    let audit_log = remote.join("aigate-audit.jsonl");

    // A wrong password: Apache answers 401, git never runs, nothing is judged.
    s.git_ok(&work, &["remote", "add", "origin", &url("wrong")]);
    let o = push("main");
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("Authentication failed"), "{}", all(&o));
    assert!(
        !audit_log.exists(),
        "judged without authentication: {:?}",
        audit(&audit_log)
    );

    s.git_ok(&work, &["remote", "set-url", "origin", &url("secret")]);
    let log = accepted_refused_accepted(&s, &work, &audit_log);
    assert!(log.iter().all(|l| l["pusher"] == "http:carol"), "{log:?}");
}
