//! The decision record: a guarded bare repository records, under refs/notes/aigate, what it
//! decided for each commit it accepted onto a protected ref; `aigate audit` in the bare
//! repository and in a fresh clone that fetched the record agree with the server's JSONL
//! audit log, whatever changed since (a revocation, the rules).
mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const GOOD: &str = "Assisted-by: claude-code\nReviewed-by: Rob Reviewer <rob@example.com>";
const KIRO: &str = "Assisted-by: kiro";
const EXEMPTIONS: &str = "[[exemption]]\nid = \"EX-1\"\ntools = [\"claude-code\"]\nbranches = [\"main\"]\napproved_by = \"Compliance <c@example.com>\"\nticket = \"SEC-1\"\nreason = \"pilot\"\nexpires = \"2999-12-31\"\n\n[[exemption]]\nid = \"EX-2\"\ntools = [\"claude-code\"]\nbranches = [\"main\"]\napproved_by = \"Compliance <c@example.com>\"\nticket = \"SEC-2\"\nreason = \"pilot\"\nexpires = \"2999-12-31\"\n";

struct Server {
    s: Scratch,
    remote: PathBuf,
    work: PathBuf,
    policy: PathBuf,
    exemptions: PathBuf,
}

/// A guarded bare repository whose rules are server files (git config aigate.policy,
/// aigate.exemptions, aigate.allowedSigners), and a clone.
fn server(policy: &str) -> Server {
    let s = Scratch::new();
    let (remote, work) = s.remote_and_clone();
    let o = s.aigate(&remote, &["install", "--server"]);
    assert!(o.status.success(), "{}", all(&o));
    let (p, e) = (s.path("policy.toml"), s.path("exemptions.toml"));
    std::fs::write(&p, policy).unwrap();
    std::fs::write(&e, EXEMPTIONS).unwrap();
    for (k, v) in [("aigate.policy", &p), ("aigate.exemptions", &e)] {
        s.git_ok(&remote, &["config", k, v.to_str().unwrap()]);
    }
    Server {
        s,
        remote,
        work,
        policy: p,
        exemptions: e,
    }
}

impl Server {
    fn push(&self, args: &[&str]) -> std::process::Output {
        let mut a = vec!["push", "--no-verify", "origin"];
        a.extend_from_slice(args);
        self.s.git(&self.work, &a)
    }
    fn push_ok(&self, args: &[&str]) {
        let o = self.push(args);
        assert!(o.status.success(), "{}", all(&o));
    }
    fn commit(&self, file: &str, msg: &str) -> String {
        self.s.commit(&self.work, file, msg)
    }
    /// The server's JSONL audit log: (commit → (verdict, exemptions, reviewers)) of every
    /// commit accepted onto main.
    fn log(&self) -> BTreeMap<String, (String, Vec<String>, Vec<String>)> {
        let log = std::fs::read_to_string(self.remote.join("aigate-audit.jsonl")).unwrap();
        let mut out = BTreeMap::new();
        for l in log.lines() {
            let v: Value = serde_json::from_str(l).unwrap();
            if v["decision"] != "accepted" || v["ref"] != "refs/heads/main" {
                continue;
            }
            for c in v["commits"].as_array().unwrap() {
                if c["ai_assisted"] != true {
                    continue;
                }
                let ex = strings(&c["exemptions"], "id");
                let verdict = match (c["verdict"].as_str().unwrap(), ex.is_empty()) {
                    ("pass", false) => "exempted",
                    (v, _) => v,
                };
                let mut reviewers: Vec<String> = c["reviewers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect();
                reviewers.extend(strings(&c["approvals"], "reviewer"));
                out.insert(
                    c["commit"].as_str().unwrap().to_string(),
                    (verdict.to_string(), ex, reviewers),
                );
            }
        }
        out
    }
    /// The notes of the record: commit → note.
    fn notes(&self) -> BTreeMap<String, Value> {
        let list = self
            .s
            .git(&self.remote, &["notes", "--ref", "aigate", "list"]);
        text(&list.stdout)
            .lines()
            .map(|l| {
                let commit = l.split_whitespace().nth(1).unwrap().to_string();
                let note = self
                    .s
                    .git_ok(&self.remote, &["notes", "--ref", "aigate", "show", &commit]);
                (commit, serde_json::from_str(&note).unwrap())
            })
            .collect()
    }
}

fn strings(v: &Value, field: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x[field].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `aigate audit --format json` in `dir`: (the document, commit → (verdict, exemptions,
/// reviewers, decided_by)).
type Rows = BTreeMap<String, (String, Vec<String>, Vec<String>, String)>;
fn audit(s: &Scratch, dir: &Path, extra: &[&str]) -> (Value, Rows) {
    let mut args = vec!["audit", "--format", "json", "--branch", "main"];
    args.extend_from_slice(extra);
    let o = s.aigate(dir, &args);
    assert!(o.status.success(), "{}", all(&o));
    let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut rows = BTreeMap::new();
    for r in doc["rows"].as_array().unwrap() {
        let list = |k: &str| -> Vec<String> {
            r[k].as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap().to_string())
                .collect()
        };
        let mut reviewers = list("reviewers");
        if let Some(a) = r["approvals"].as_array() {
            // `reviewer (SHA256:...)`
            reviewers.extend(
                a.iter()
                    .map(|x| x.as_str().unwrap().split(" (").next().unwrap().to_string()),
            );
        }
        rows.insert(
            r["commit"].as_str().unwrap().to_string(),
            (
                r["verdict"].as_str().unwrap().to_string(),
                list("exemptions"),
                reviewers,
                r["decided_by"].as_str().unwrap().to_string(),
            ),
        );
        assert!(!r["rules"].as_str().unwrap().is_empty(), "{r}");
    }
    (doc, rows)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Every scenario on one server, in the order a quarter brings them: a push-option exemption,
/// a commit's own exemption revoked after it was used, a commit accepted on an unprotected
/// branch and merged later, a signed approval, then a rule change.
#[test]
fn audits_in_the_server_and_in_a_clone_agree_with_the_servers_log_after_revocations_and_rule_changes(
) {
    let sv = server("[tools]\napproved = [\"kiro\"]\n");
    // A push-option exemption.
    let c1 = sv.commit("a.txt", &format!("feat: a\n\n{CLAUDE}\n{GOOD}"));
    let o = sv.push(&["main"]);
    assert!(!o.status.success(), "{}", all(&o));
    sv.push_ok(&["-o", "aigate.exemption=EX-1", "main"]);
    // An exemption named in the commit, revoked after the push.
    let c2 = sv.commit(
        "b.txt",
        &format!("feat: b\n\n{CLAUDE}\n{GOOD}\nAI-Exemption: EX-2"),
    );
    sv.push_ok(&["main"]);
    let c4 = sv.commit(
        "c.txt",
        "feat: c\n\nAssisted-by: kiro\nReviewed-by: Rob Reviewer <rob@example.com>",
    );
    sv.push_ok(&["main"]);
    // An unreviewed commit on an unprotected branch (advice only, no record)...
    sv.s.git_ok(&sv.work, &["checkout", "-q", "-b", "feature"]);
    let c5 = sv.commit("d.txt", &format!("feat: d\n\n{KIRO}"));
    sv.push_ok(&["feature"]);
    sv.s.git_ok(&sv.work, &["checkout", "-q", "main"]);
    assert!(
        !sv.notes().contains_key(&c5),
        "an unprotected branch is not recorded"
    );
    // Revocation of EX-2: later pushes cannot use it.
    let revoked = EXEMPTIONS.replace(
        "ticket = \"SEC-2\"",
        &format!(
            "ticket = \"SEC-2\"\nrevoked = {{ by = \"c@example.com\", at = \"{}\" }}",
            now_rfc3339()
        ),
    );
    std::fs::write(&sv.exemptions, revoked).unwrap();
    let c3 = sv.commit(
        "e.txt",
        &format!("feat: e\n\n{CLAUDE}\n{GOOD}\nAI-Exemption: EX-2"),
    );
    let o = sv.push(&["main"]);
    assert!(
        !o.status.success(),
        "a revoked exemption stops later pushes: {}",
        all(&o)
    );
    assert!(all(&o).contains("AIG008"), "{}", all(&o));
    sv.s.git_ok(&sv.work, &["reset", "-q", "--hard", "HEAD~1"]);
    // Signed reviews from now on.
    let bob = sv.s.keygen("bob");
    let signers = sv.s.path("allowed_signers");
    std::fs::write(&signers, sv.s.signer_line("bob@example.com", &bob)).unwrap();
    sv.s.git_ok(
        &sv.remote,
        &["config", "aigate.allowedSigners", signers.to_str().unwrap()],
    );
    std::fs::write(
        &sv.policy,
        "[tools]\napproved = [\"kiro\"]\n[review]\nverify = \"signed\"\n",
    )
    .unwrap();
    let c6 = sv.commit("f.txt", &format!("feat: f\n\n{KIRO}"));
    let o = sv.s.approve(&sv.work, "bob@example.com", &bob, &c6, "main");
    assert!(o.status.success(), "{}", all(&o));
    sv.push_ok(&["main"]);
    // The unprotected branch's commit, approved and merged.
    let o = sv.s.approve(&sv.work, "bob@example.com", &bob, &c5, "main");
    assert!(o.status.success(), "{}", all(&o));
    sv.s.git_ok(
        &sv.work,
        &["merge", "-q", "--no-ff", "--no-edit", "feature"],
    );
    sv.push_ok(&["main"]);
    // A rule change after all of it: kiro is no longer approved.
    std::fs::write(
        &sv.policy,
        "[tools]\napproved = []\n[review]\nverify = \"signed\"\n",
    )
    .unwrap();

    // The record: one note per accepted commit, nothing for the refused one, nothing pending.
    let notes = sv.notes();
    for c in [&c1, &c2, &c4, &c5, &c6] {
        assert!(notes.contains_key(c), "no record of {c}: {notes:?}");
    }
    assert!(!notes.contains_key(&c3), "a refused push records nothing");
    let pending = sv.remote.join("aigate-pending");
    assert_eq!(
        std::fs::read_dir(&pending).map(|d| d.count()).unwrap_or(0),
        0
    );
    let d1 = &notes[&c1]["decisions"][0];
    assert_eq!(d1["exemptions"][0]["id"], "EX-1");
    assert_eq!(d1["exemptions"][0]["via"], "push-option");
    assert_eq!(
        notes[&c6]["decisions"][0]["approvals"][0]["reviewer"],
        "bob@example.com"
    );
    assert!(notes[&c6]["decisions"][0]["rules"]["server_files"]["aigate.policy"].is_string());
    assert_eq!(notes[&c1]["schema_version"], 1);

    let log = sv.log();
    assert_eq!(log.len(), 5, "{log:?}");
    let expect = |rows: &Rows, where_: &str| {
        for (c, (verdict, ex, reviewers)) in &log {
            let r = rows
                .get(c)
                .unwrap_or_else(|| panic!("{where_}: no row for {c}: {rows:?}"));
            assert_eq!(
                (&r.0, &r.1, &r.2, r.3.as_str()),
                (verdict, ex, reviewers, "server"),
                "{where_}: {c}"
            );
        }
    };
    // In the bare repository...
    let (doc, rows) = audit(&sv.s, &sv.remote, &[]);
    expect(&rows, "bare");
    assert!(
        doc["summary"]["rules"]
            .as_str()
            .unwrap()
            .contains("governing rules"),
        "{}",
        doc["summary"]
    );
    assert_eq!(doc["summary"]["exemptions_used"]["EX-1"], 1);
    assert_eq!(doc["summary"]["exemptions_used"]["EX-2"], 1);
    // The revoked exemption (the server's exemptions file says so): still exempted, shown as
    // revoked since, in every format.
    let row2 = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["commit"] == c2.as_str())
        .unwrap();
    assert_eq!(row2["since_revoked"][0], "EX-2", "{row2}");
    for format in ["table", "csv", "markdown"] {
        let o = sv.s.aigate(
            &sv.remote,
            &["audit", "--branch", "main", "--format", format],
        );
        let out = text(&o.stdout);
        assert!(out.contains("exempted (since revoked)"), "{format}: {out}");
        assert!(
            out.contains("server") && out.contains("EX-1"),
            "{format}: {out}"
        );
    }
    // ...and in a fresh clone that fetched the record (client install adds the refspecs).
    let fresh = sv.s.path("fresh");
    sv.s.git_ok(
        sv.s.dir.path(),
        &[
            "clone",
            "-q",
            sv.remote.to_str().unwrap(),
            fresh.to_str().unwrap(),
        ],
    );
    let o = sv.s.aigate(&fresh, &["install"]);
    assert!(o.status.success(), "{}", all(&o));
    sv.s.git_ok(&fresh, &["fetch", "-q", "origin"]);
    let (doc, rows) = audit(&sv.s, &fresh, &[]);
    expect(&rows, "clone");
    assert!(
        doc["summary"]["rules"]
            .as_str()
            .unwrap()
            .contains("origin/main"),
        "{}",
        doc["summary"]
    );
    // Every format names the rules it judged by.
    for format in ["html", "sarif", "json", "markdown", "table"] {
        let o = sv.s.aigate(
            &sv.remote,
            &["audit", "--branch", "main", "--format", format],
        );
        assert!(
            text(&o.stdout).contains("governing rules of refs/heads/main"),
            "{format}: {}",
            all(&o)
        );
    }
    let o = sv.s.aigate(
        &sv.remote,
        &["audit", "--branch", "main", "--format", "csv"],
    );
    assert!(
        text(&o.stderr).contains("governing rules of refs/heads/main"),
        "{}",
        all(&o)
    );
    // check and explain in the bare repository judge by the governing rules (kiro is no longer
    // approved there; the built-in default would pass the commit).
    let range = format!("{c4}~1..{c4}");
    let o = sv.s.aigate(
        &sv.remote,
        &["check", &range, "--branch", "main", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", all(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v["rules"].as_str().unwrap().contains("governing rules"),
        "{v}"
    );
    assert!(v.to_string().contains("AIG002"), "{v}");
    let o = sv.s.aigate(&sv.remote, &["explain", &c4]);
    assert!(
        all(&o).contains("governing rules") && all(&o).contains("AIG002"),
        "{}",
        all(&o)
    );
    // explain says what the server decided.
    let o = sv.s.aigate(&fresh, &["explain", &c1]);
    let out = all(&o);
    assert!(
        out.contains("decided_by: server") && out.contains("EX-1"),
        "{out}"
    );
    assert!(out.contains("push option"), "{out}");
    // --verify lists what today's rules would decide otherwise, and changes nothing.
    let (doc, _) = audit(&sv.s, &sv.remote, &["--verify"]);
    let verify: Vec<String> = doc["summary"]["verify"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["commit"].as_str().unwrap().to_string())
        .collect();
    for c in [&c4, &c5, &c6] {
        assert!(verify.contains(c), "{c} is unapproved today: {verify:?}");
    }
    assert_eq!(sv.notes(), notes, "--verify changes no record");
}

#[test]
fn clients_cannot_push_the_record() {
    let sv = server("");
    sv.commit("a.txt", &format!("feat: a\n\n{CLAUDE}\n{GOOD}"));
    sv.push_ok(&["main"]);
    sv.s.git_ok(
        &sv.work,
        &[
            "fetch",
            "-q",
            "origin",
            "refs/notes/aigate:refs/notes/aigate",
        ],
    );
    let head = sv.s.git_ok(&sv.work, &["rev-parse", "HEAD"]);
    sv.s.git_ok(
        &sv.work,
        &[
            "notes",
            "--ref",
            "aigate",
            "add",
            "-f",
            "-m",
            "{\"decisions\": []}",
            &head,
        ],
    );
    let o = sv.push(&["refs/notes/aigate:refs/notes/aigate"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(all(&o).contains("decision record"), "{}", all(&o));
}

#[test]
fn a_refused_push_records_nothing_and_leaves_nothing_pending() {
    let sv = server("");
    let bad = sv.commit("a.txt", &format!("feat: a\n\n{CLAUDE}"));
    let o = sv.push(&["main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(sv.notes().is_empty());
    assert!(!sv.notes().contains_key(&bad));
    let pending = sv.remote.join("aigate-pending");
    assert_eq!(
        std::fs::read_dir(&pending).map(|d| d.count()).unwrap_or(0),
        0
    );
}

/// A pre-receive that accepted, followed by an update that did not happen (another hook
/// refused it): post-receive never names it, so nothing is recorded.
#[test]
fn decisions_of_an_update_that_did_not_happen_are_not_recorded() {
    let sv = server("");
    // An update hook that refuses every update after pre-receive accepted the push.
    let hook = sv.remote.join("hooks/update");
    std::fs::write(&hook, "#!/bin/sh\nexit 1\n").unwrap();
    let mut perm = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&hook, perm).unwrap();
    let c = sv.commit("a.txt", &format!("feat: a\n\n{CLAUDE}\n{GOOD}"));
    let o = sv.push(&["main"]);
    assert!(!o.status.success(), "{}", all(&o));
    assert!(!sv.notes().contains_key(&c), "{:?}", sv.notes());
}

#[test]
fn twenty_concurrent_pushes_leave_twenty_complete_records() {
    let sv = server("[branches]\nprotected = [\"main\", \"release/**\"]\n");
    let mut commits = Vec::new();
    for i in 0..20 {
        sv.s.git_ok(
            &sv.work,
            &["checkout", "-q", "-B", &format!("r{i}"), "main"],
        );
        commits.push(sv.commit(
            &format!("r{i}.txt"),
            &format!("feat: r{i}\n\n{CLAUDE}\n{GOOD}"),
        ));
    }
    let url = sv.remote.to_str().unwrap().to_string();
    let mut outs = Vec::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = commits
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (sv, url) = (&sv, &url);
                scope.spawn(move || {
                    sv.s.git(
                        &sv.work,
                        &[
                            "push",
                            "--no-verify",
                            url,
                            &format!("{c}:refs/heads/release/{i}"),
                        ],
                    )
                })
            })
            .collect();
        for h in handles {
            let o = h.join().unwrap();
            assert!(o.status.success(), "{}", all(&o));
            outs.push(all(&o));
        }
    });
    let notes = sv.notes();
    for (i, c) in commits.iter().enumerate() {
        let n = notes
            .get(c)
            .unwrap_or_else(|| panic!("no record of push {i}: {outs:#?}"));
        let d = &n["decisions"][0];
        assert_eq!(d["ref"], format!("refs/heads/release/{i}"));
        assert_eq!(d["decision"], "accepted");
        assert_eq!(d["verdict"], "pass");
        assert_eq!(d["tools"][0], "claude-code");
        assert!(
            d["rules"]["version"].is_string() && d["time"].is_string(),
            "{d}"
        );
    }
}

/// On a server whose rules have owners, an exemption counts with an owner's signed grant: the
/// record names the owner who granted it, and audit and explain (in the server and in a clone)
/// say so.
#[test]
fn the_record_names_the_owner_who_granted_the_exemption_it_used() {
    let s = Scratch::new();
    let (remote, work, owner) = s.governed();
    // Two owners: one grants the exemption, the other approves the change that adds it.
    let oscar = s.keygen("oscar");
    std::fs::create_dir_all(work.join(".aigate")).unwrap();
    let policy = format!(
        "[tools]\napproved = [\"kiro\"]\n[governance]\nowners = [\"{OWNER}\", \"oscar@example.com\"]\n"
    );
    let signers = format!(
        "{}{}",
        s.signer_line(OWNER, &owner),
        s.signer_line("oscar@example.com", &oscar)
    );
    s.push_rules(
        &work,
        &owner,
        &[
            (".aigate.toml", &policy),
            (".aigate/allowed_signers", &signers),
        ],
    );
    let o = s.aigate(
        &work,
        &[
            "exemption",
            "request",
            "--tool",
            "cursor",
            "--branch",
            "main",
            "--expires",
            "30d",
            "--ticket",
            "SEC-9",
            "--reason",
            "pilot",
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    let list: Value = serde_json::from_slice(
        &s.aigate(&work, &["exemption", "list", "--format", "json"])
            .stdout,
    )
    .unwrap();
    let id = list["exemptions"][0]["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.git_ok(&work, &["config", "user.email", OWNER]);
    let o = s.aigate(
        &work,
        &["exemption", "grant", &id, "--key", owner.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", all(&o));
    s.git_ok(&work, &["config", "--unset", "user.email"]);
    s.git_ok(&work, &["add", ".aigate/exemptions.toml"]);
    let change = s.commit_staged(&work, "Exemption for the cursor pilot");
    let o = s.approve(&work, "oscar@example.com", &oscar, &change, "main");
    assert!(o.status.success(), "{}", all(&o));
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    let c = s.commit(
        &work,
        "x.rs",
        &format!("feat: x\n\nMade-with: Cursor\nAssisted-by: cursor\n{REVIEW}\nAI-Exemption: {id}"),
    );
    let o = s.git(&work, &["push", "--no-verify", "origin", "main"]);
    assert!(o.status.success(), "{}", all(&o));
    let note: Value =
        serde_json::from_str(&s.git_ok(&remote, &["notes", "--ref", "aigate", "show", &c]))
            .unwrap();
    let granted = note["decisions"][0]["exemptions"][0]["granted_by"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(granted.contains(OWNER), "{note}");
    let fresh = s.path("fresh");
    s.git_ok(
        s.dir.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            fresh.to_str().unwrap(),
        ],
    );
    s.git_ok(
        &fresh,
        &[
            "fetch",
            "-q",
            "origin",
            "+refs/notes/aigate:refs/notes/aigate",
        ],
    );
    for dir in [&remote, &fresh] {
        let o = s.aigate(dir, &["audit", "--branch", "main", "--format", "csv"]);
        let out = text(&o.stdout);
        let row = out
            .lines()
            .find(|l| l.starts_with(&c))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(
            row.contains("exempted") && row.contains(",server,"),
            "{row}"
        );
        assert!(
            row.contains(&format!("exempted by {id}, granted by {granted}")),
            "{row}"
        );
        let o = s.aigate(dir, &["explain", &c]);
        assert!(
            all(&o).contains(&format!("granted by {granted}")),
            "{}",
            all(&o)
        );
    }
}
