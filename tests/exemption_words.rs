//! Exemptions as a compliance owner meets them: a request drafts (it grants nothing), a draft
//! is not listed as active and passes no local check where the rules have owners, a duration
//! counts from the first valid day, and `show` names who granted it.

mod common;
use common::*;
use std::path::Path;

fn json(s: &Scratch, work: &Path, args: &[&str]) -> serde_json::Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let o = s.aigate(work, &a);
    assert!(o.status.success(), "{a:?}: {}", all(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn a_drafted_exemption_counts_nowhere_until_an_owner_grants_it() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let owner = s.keygen("olivia");
    std::fs::create_dir_all(work.join(".aigate")).unwrap();
    std::fs::write(
        work.join(".aigate.toml"),
        format!("[tools]\napproved = [\"kiro\"]\n[governance]\nowners = [\"{OWNER}\"]\n"),
    )
    .unwrap();
    std::fs::write(
        work.join(".aigate/allowed_signers"),
        s.signer_line(OWNER, &owner),
    )
    .unwrap();
    let help = text(&s.aigate(&work, &["exemption", "request", "--help"]).stdout);
    assert!(help.starts_with("Draft an exemption"), "{help}");

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
            "--not-before",
            "2027-01-01",
            "--ticket",
            "SEC-1",
            "--reason",
            "pilot",
        ],
    );
    assert!(
        o.status.success() && text(&o.stdout).contains("drafted"),
        "{}",
        all(&o)
    );
    let list = json(&s, &work, &["exemption", "list"]);
    let e = &list["exemptions"][0];
    assert_eq!(e["status"], "not granted", "{list}");
    assert_eq!(
        e["record"]["expires"], "2027-01-31",
        "30 days from not_before: {list}"
    );

    // A draft for today: not active, and a local check refuses what cites it, as the server.
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
            "SEC-2",
            "--reason",
            "pilot",
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    let list = json(&s, &work, &["exemption", "list"]);
    let today = list["exemptions"][1]["record"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let active = json(&s, &work, &["exemption", "list", "--active"]);
    assert_eq!(
        active["exemptions"].as_array().unwrap().len(),
        0,
        "{active}"
    );
    s.commit(
        &work,
        "c.rs",
        &format!("feat: c\n\nAssisted-by: cursor\nAI-Exemption: {today}\n{REVIEW}"),
    );
    let o = s.aigate(&work, &["check", "HEAD~1..HEAD", "--branch", "main"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a draft passes no check:\n{}",
        all(&o)
    );
    assert!(all(&o).contains("grant"), "{}", all(&o));
    let shown = text(&s.aigate(&work, &["exemption", "show", &today]).stdout);
    assert!(shown.contains("granted by:  (not granted"), "{shown}");

    // Granted by the owner: active, the check passes, and show names the granter.
    s.git_ok(&work, &["config", "user.email", OWNER]);
    let o = s.aigate(
        &work,
        &[
            "exemption",
            "grant",
            &today,
            "--key",
            owner.to_str().unwrap(),
        ],
    );
    s.git_ok(&work, &["config", "--unset", "user.email"]);
    assert!(o.status.success(), "{}", all(&o));
    let active = json(&s, &work, &["exemption", "list", "--active"]);
    assert_eq!(
        active["exemptions"][0]["record"]["id"],
        today.as_str(),
        "{active}"
    );
    let o = s.aigate(&work, &["check", "HEAD~1..HEAD", "--branch", "main"]);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    let shown = text(&s.aigate(&work, &["exemption", "show", &today]).stdout);
    assert!(shown.contains(&format!("granted by:  {OWNER}")), "{shown}");
}

/// A revocation dated in the future does not make `exemption list` call the record revoked yet.
#[test]
fn a_revocation_dated_in_the_future_is_not_revoked_yet() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    std::fs::create_dir_all(work.join(".aigate")).unwrap();
    std::fs::write(
        work.join(".aigate/exemptions.toml"),
        "[[exemption]]\nid = \"EX-1\"\ntools = [\"cursor\"]\napproved_by = \"o\"\nticket = \"T\"\nreason = \"r\"\nexpires = \"2099-01-01\"\n[exemption.revoked]\nby = \"o\"\nat = \"2098-01-01T00:00:00Z\"\n",
    )
    .unwrap();
    let o = s.aigate(&work, &["exemption", "list"]);
    assert!(o.status.success(), "{}", all(&o));
    assert!(!all(&o).contains("revoked"), "{}", all(&o));
}
