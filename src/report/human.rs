//! Reports: verdicts rendered for people (short, with the fix command) and for machines (JSON).

use crate::engine::short;
use crate::verdict::CommitVerdict;
use serde::Serialize;
use std::fmt::Write as _;

/// The verdicts for one ref (or one range), plus any refusal of the ref update itself.
#[derive(Debug, Clone, Serialize)]
pub struct RefReport {
    pub refname: String,
    pub protected: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// The update itself is refused (deletion, force-push), with why and how to proceed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    pub commits: Vec<CommitVerdict>,
    /// A change to the rules this update makes: the files, and the owners whose signed
    /// approvals counted for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_change: Option<RuleChange>,
}

/// A change to the governed files, and who approved it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleChange {
    pub files: Vec<String>,
    pub approved_by: Vec<String>,
}

impl RefReport {
    /// A report on commits judged for a ref without an update (a local commit or a range).
    pub fn local(refname: &str, protected: bool, commits: Vec<CommitVerdict>) -> RefReport {
        RefReport {
            refname: refname.to_string(),
            protected,
            old: None,
            new: None,
            refusal: None,
            commits,
            rule_change: None,
        }
    }

    pub fn failing(&self) -> usize {
        self.commits.iter().filter(|c| !c.passed()).count()
    }

    pub fn blocked(&self) -> bool {
        self.refusal.is_some() || self.failing() > 0
    }
}

fn branch(r: &str) -> &str {
    r.strip_prefix("refs/heads/").unwrap_or(r)
}

/// Human output. `enforced`: whether findings refuse (else they are advice). `prefix` starts
/// every line (GitLab wants `GL-HOOK-ERR: `). `tip`: the commit `--amend` would change.
/// Failing commits shown per ref (a push of 100,000 failing commits would otherwise print
/// 300,000 lines to the pusher).
const SHOWN: usize = 50;

pub fn human(reports: &[RefReport], enforced: bool, prefix: &str, policy_origin: &str) -> String {
    let mut out = String::new();
    // Commit text is escaped first; colour is added to aigate's own words after that.
    let mut line = |s: &str| {
        let safe = super::terminal_safe(s);
        let painted = if super::color() {
            let s = safe
                .replacen(
                    "aigate: refused:",
                    &super::paint("1;31", "aigate: refused:"),
                    1,
                )
                .replacen(
                    "aigate: warning:",
                    &super::paint("1;33", "aigate: warning:"),
                    1,
                )
                .replacen("aigate: note:", &super::paint("36", "aigate: note:"), 1);
            match s.trim_start().strip_prefix("AIG").map(|_| s.find("AIG")) {
                Some(Some(i)) if s.len() >= i + 6 => {
                    format!(
                        "{}{}{}",
                        &s[..i],
                        super::paint("31", &s[i..i + 6]),
                        &s[i + 6..]
                    )
                }
                _ => s,
            }
        } else {
            safe.into_owned()
        };
        let _ = writeln!(out, "{prefix}{painted}");
    };
    let mut older = false;
    let mut shown_failing = false;
    for r in reports {
        let enforce_here = enforced && r.protected;
        // Quiet: advice that refuses nothing is left out.
        if super::quiet() && !enforce_here && r.refusal.is_none() {
            continue;
        }
        shown_failing |= r.failing() > 0;
        if let Some(why) = &r.refusal {
            line(&format!("aigate: {} refused: {why}", branch(&r.refname)));
        }
        let failing = r.failing();
        if failing == 0 {
            continue;
        }
        let head = if enforce_here {
            format!("aigate: refused: {failing} of {} commit(s) to {} break the policy ({policy_origin})", r.commits.len(), branch(&r.refname))
        } else if r.protected {
            format!("aigate: warning: {failing} of {} commit(s) to {} break the policy (not refused here)", r.commits.len(), branch(&r.refname))
        } else {
            format!("aigate: note: {failing} commit(s) would be refused on a protected branch ({} is not protected)", branch(&r.refname))
        };
        line(&head);
        for c in r.commits.iter().filter(|c| !c.passed()).take(SHOWN) {
            if r.commits.first().is_some_and(|f| f.commit != c.commit) {
                older = true;
            }
            line(&format!("  {} {}", short(&c.commit), c.summary));
            // Findings fixed by one command (the message edits) show it once, after the last.
            for (i, f) in c.findings.iter().enumerate() {
                line(&format!("    {} {}: {}", f.rule, f.name, f.message));
                if !c.findings[i + 1..].iter().any(|g| g.fix == f.fix) {
                    line(&format!("      fix: {}", f.fix));
                }
            }
        }
        if failing > SHOWN {
            line(&format!(
                "  ... and {} more: `aigate check` lists them all (`--format json` for scripts)",
                failing - SHOWN
            ));
        }
    }
    if shown_failing {
        if older {
            line("  (`--amend` changes the last commit; for an older one: git rebase -i COMMIT^, mark it edit, amend, git rebase --continue)");
        }
        let rule = reports
            .iter()
            .flat_map(|r| &r.commits)
            .flat_map(|c| &c.findings)
            .map(|f| f.rule.id())
            .next()
            .unwrap_or("AIG001");
        line(&format!(
            "  details: aigate explain COMMIT   rule: aigate explain {rule}"
        ));
    }
    out
}

/// One JSON document for machines.
pub fn json(reports: &[RefReport], enforced: bool) -> String {
    #[derive(Serialize)]
    struct Doc<'a> {
        schema_version: u32,
        passed: bool,
        enforced: bool,
        refs: &'a [RefReport],
    }
    let passed = !reports
        .iter()
        .any(|r| r.blocked() && (r.protected || r.refusal.is_some()));
    serde_json::to_string_pretty(&Doc {
        schema_version: super::SCHEMA_VERSION,
        passed,
        enforced,
        refs: reports,
    })
    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Short form of the reports for a commit-level summary .
pub fn summarize(reports: &[RefReport]) -> String {
    let n: usize = reports.iter().map(|r| r.commits.len()).sum();
    let ai: usize = reports
        .iter()
        .flat_map(|r| &r.commits)
        .filter(|c| c.ai_assisted)
        .count();
    let bad: usize = reports.iter().map(|r| r.failing()).sum();
    format!("aigate: {n} commit(s) checked, {ai} AI-assisted, {bad} with findings")
}
