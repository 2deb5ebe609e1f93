//! One rule for output: every command that prints data takes `--format json` and writes one
//! document with `schema_version`; `--help` lists only the formats the command writes.

mod common;
use common::*;

fn repo() -> (Scratch, std::path::PathBuf) {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    s.commit(&work, "a.txt", &format!("feat: a\n\n{CLAUDE}"));
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
            "SEC-1",
            "--reason",
            "trial",
        ],
    );
    assert!(o.status.success(), "{}", all(&o));
    (s, work)
}

const COMMANDS: [&[&str]; 12] = [
    &["check"],
    &["explain", "HEAD", "--branch", "main"],
    &["explain", "AIG004"],
    &["trailers", "HEAD"],
    &["catalog"],
    &["approvals"],
    &["policy", "check"],
    &["agent"],
    &["exemption", "list"],
    &["exemption", "show", "EX-PLACEHOLDER"],
    &["audit"],
    &["audit", "--figures"],
];

fn exemption_id(s: &Scratch, work: &std::path::Path) -> String {
    let o = s.aigate(work, &["exemption", "list", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    v["exemptions"][0]["record"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_data_command_prints_json_with_a_schema_version() {
    let (s, work) = repo();
    let id = exemption_id(&s, &work);
    for cmd in COMMANDS {
        let mut args: Vec<&str> = cmd
            .iter()
            .map(|a| {
                if *a == "EX-PLACEHOLDER" {
                    id.as_str()
                } else {
                    a
                }
            })
            .collect();
        args.extend(["--format", "json"]);
        let o = s.aigate(&work, &args);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{args:?}: {}",
            all(&o)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{args:?} is not one JSON document ({e}):\n{}", all(&o)));
        assert_eq!(v["schema_version"], 1, "{args:?}: {v}");
    }
}

#[test]
fn help_lists_only_the_formats_each_command_writes() {
    let (s, work) = repo();
    let id = exemption_id(&s, &work);
    for cmd in COMMANDS {
        let args: Vec<&str> = cmd
            .iter()
            .map(|a| {
                if *a == "EX-PLACEHOLDER" {
                    id.as_str()
                } else {
                    a
                }
            })
            .collect();
        let mut help = args.clone();
        help.push("--help");
        let out = text(&s.aigate(&work, &help).stdout);
        let line = out
            .lines()
            .skip_while(|l| !l.contains("--format"))
            .take_while(|l| !l.trim_start().starts_with("--") || l.contains("--format"))
            .collect::<Vec<_>>()
            .join(" ");
        let listed = line
            .split("[possible values: ")
            .nth(1)
            .and_then(|r| r.split(']').next())
            .unwrap_or_else(|| panic!("{args:?} --help lists its formats:\n{out}"));
        for f in listed.split(", ") {
            let mut a = args.clone();
            a.extend(["--format", f]);
            let o = s.aigate(&work, &a);
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "{a:?} is listed in --help but does not work: {}",
                all(&o)
            );
        }
    }
}
