//! Real git in temporary directories: repositories, commits, bare remotes with hooks.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test: the one cargo built, or `AIGATE_TEST_BIN` (CI runs the server tests
/// again against the binary `install.sh` installed, which is linked differently).
pub static AIGATE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    std::env::var("AIGATE_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_aigate").to_string())
});

pub const CLAUDE: &str = "Co-Authored-By: Claude <noreply@anthropic.com>";
pub const REVIEW: &str = "Reviewed-by: Rob Reviewer <rob@example.com>";

/// Environment variables AI agents set (rules/agents.toml), cleared for every test command.
pub const AGENT_VARS: [&str; 8] = [
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "CODEX_SANDBOX",
    "CODEX_THREAD_ID",
    "GEMINI_CLI",
    "OPENCODE",
    "CURSOR_AGENT",
];

/// A scratch area with its own HOME, so no user or system git config leaks in.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        Scratch { dir }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn cmd(&self, program: &str, cwd: &Path) -> Command {
        let mut c = Command::new(program);
        c.current_dir(cwd)
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_EDITOR", "true")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_AUTHOR_NAME", "Ann Author")
            .env("GIT_AUTHOR_EMAIL", "ann@example.com")
            .env("GIT_COMMITTER_NAME", "Ann Author")
            .env("GIT_COMMITTER_EMAIL", "ann@example.com")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GL_USERNAME")
            .env_remove("GL_ID")
            .env_remove("GL_PROTOCOL")
            .env_remove("GITHUB_VIA")
            .env_remove("GITHUB_USER_LOGIN")
            .env_remove("GITHUB_PULL_REQUEST_AUTHOR_LOGIN")
            .env_remove("GITEA_PUSH_TRIGGER")
            .env_remove("GITEA_PUSHER_NAME")
            .env_remove("GITHUB_BASE_REF")
            .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
            // Tests may run inside an AI agent's session: detection is opted into per test.
            .env("AIGATE_AGENT", "none");
        for var in AGENT_VARS {
            c.env_remove(var);
        }
        c
    }

    /// Runs git; returns the output whatever the exit status.
    pub fn git(&self, cwd: &Path, args: &[&str]) -> Output {
        self.cmd("git", cwd).args(args).output().expect("git runs")
    }

    /// Runs git and insists it succeeds.
    pub fn git_ok(&self, cwd: &Path, args: &[&str]) -> String {
        let o = self.git(cwd, args);
        assert!(
            o.status.success(),
            "git {args:?} failed:\n{}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        text(&o.stdout).trim().to_string()
    }

    pub fn aigate(&self, cwd: &Path, args: &[&str]) -> Output {
        self.cmd(&AIGATE, cwd)
            .args(args)
            .output()
            .expect("aigate runs")
    }

    pub fn aigate_stdin(&self, cwd: &Path, args: &[&str], input: &str) -> Output {
        self.run_stdin(&AIGATE, cwd, args, input)
    }

    /// Runs `program` with `input` on its standard input; returns the output.
    pub fn run_stdin(&self, program: &str, cwd: &Path, args: &[&str], input: &str) -> Output {
        let mut child = self
            .cmd(program, cwd)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aigate runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// A bare "server" repository and a clone of it with one human commit on main, pushed.
    /// `git init --bare -b main PATH`, run in `cwd`.
    pub fn init_bare(&self, cwd: &Path, path: &Path) {
        self.git_ok(
            cwd,
            &["init", "-q", "--bare", "-b", "main", path.to_str().unwrap()],
        );
    }

    pub fn remote_and_clone(&self) -> (PathBuf, PathBuf) {
        let remote = self.path("remote.git");
        let work = self.path("work");
        self.init_bare(self.dir.path(), &remote);
        self.git_ok(
            self.dir.path(),
            &["init", "-q", "-b", "main", work.to_str().unwrap()],
        );
        self.git_ok(
            &work,
            &["remote", "add", "origin", remote.to_str().unwrap()],
        );
        std::fs::write(work.join("README"), "hello\n").unwrap();
        self.git_ok(&work, &["add", "README"]);
        self.git_ok(&work, &["commit", "-q", "-m", "Initial commit"]);
        self.git_ok(&work, &["push", "-q", "origin", "main"]);
        (remote, work)
    }

    /// Commits what is staged with `message`, hooks skipped; returns the new commit id.
    pub fn commit_staged(&self, work: &Path, message: &str) -> String {
        self.git_ok(work, &["commit", "-q", "--no-verify", "-m", message]);
        self.git_ok(work, &["rev-parse", "HEAD"])
    }

    /// Commits a change to `file` with `message`; returns the new commit id.
    pub fn commit(&self, work: &Path, file: &str, message: &str) -> String {
        let path = work.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(f, "{message}").unwrap();
        self.git_ok(work, &["add", file]);
        self.commit_staged(work, message)
    }
}

/// Amends HEAD with the attestation and a review by someone else (hooks skipped).
pub fn amend_attested_and_reviewed(s: &Scratch, work: &Path) {
    s.git_ok(
        work,
        &[
            "commit",
            "-q",
            "--amend",
            "--no-verify",
            "--no-edit",
            "--trailer",
            "Assisted-by: claude-code",
            "--trailer",
            REVIEW,
        ],
    );
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn all(o: &Output) -> String {
    format!("{}{}", text(&o.stdout), text(&o.stderr))
}

/// The owner of the rules in governed test servers, and a reviewer.
pub const OWNER: &str = "olivia@example.com";
pub const REVIEWER: &str = "rob@example.com";

impl Scratch {
    /// A new SSH key pair made with ssh-keygen (no passphrase); returns the private key's path
    /// (the public key is beside it, `.pub`).
    pub fn keygen(&self, name: &str) -> PathBuf {
        let key = self.path(&format!("keys/{name}"));
        std::fs::create_dir_all(key.parent().unwrap()).unwrap();
        let o = self
            .cmd("ssh-keygen", self.dir.path())
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&key)
            .output()
            .expect("ssh-keygen runs");
        assert!(o.status.success(), "ssh-keygen: {}", all(&o));
        key
    }

    /// One allowed-signers line: `EMAIL ssh-ed25519 AAAA...`.
    pub fn signer_line(&self, email: &str, key: &Path) -> String {
        let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let mut f = pubkey.split_whitespace();
        format!("{email} {} {}\n", f.next().unwrap(), f.next().unwrap())
    }

    /// Runs `aigate approve REV --into INTO --push origin --key KEY --force` as `email` in
    /// `work` (--force: tests prove what the server makes of approvals the client would warn
    /// about).
    pub fn approve(&self, work: &Path, email: &str, key: &Path, rev: &str, into: &str) -> Output {
        self.git_ok(work, &["config", "user.email", email]);
        let o = self.aigate(
            work,
            &[
                "approve",
                rev,
                "--into",
                into,
                "--push",
                "origin",
                "--key",
                key.to_str().unwrap(),
                "--force",
            ],
        );
        self.git_ok(work, &["config", "--unset", "user.email"]);
        o
    }

    /// A guarded bare remote whose rules are owned by OWNER (install --server --owners), and a
    /// clone; returns (remote, work, the owner's key).
    pub fn governed(&self) -> (PathBuf, PathBuf, PathBuf) {
        let (remote, work) = self.remote_and_clone();
        let owner = self.keygen("olivia");
        let owners = self.path("owners");
        std::fs::write(&owners, self.signer_line(OWNER, &owner)).unwrap();
        let o = self.aigate(
            &remote,
            &["install", "--server", "--owners", owners.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", all(&o));
        (remote, work, owner)
    }

    /// Commits rule files on main, has the owner approve the commit, and pushes it.
    pub fn push_rules(&self, work: &Path, owner: &Path, files: &[(&str, &str)]) -> String {
        for (path, content) in files {
            let p = work.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, content).unwrap();
            self.git_ok(work, &["add", path]);
        }
        let id = self.commit_staged(work, "Rules: change");
        let o = self.approve(work, OWNER, owner, "HEAD", "main");
        assert!(o.status.success(), "{}", all(&o));
        let o = self.git(work, &["push", "--no-verify", "origin", "HEAD:main"]);
        assert!(o.status.success(), "{}", all(&o));
        id
    }
}

/// A small deterministic generator (xorshift), so a failure reproduces from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }

    /// A number in 0..n.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
