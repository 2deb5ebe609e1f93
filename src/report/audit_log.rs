//! The server's audit log: one JSON line per decision, appended under an exclusive lock so
//! concurrent pushes never interleave or lose lines.

use super::RefReport;
use crate::exemptions::rfc3339;
use anyhow::{Context, Result};
use serde_json::json;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Appends `lines` (each one JSON document without a newline) to the log at `path`.
pub fn append(path: &Path, lines: &[String]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut buf = String::new();
    for l in lines {
        debug_assert!(!l.contains('\n'));
        buf.push_str(l);
        buf.push('\n');
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open audit log {}", path.display()))?;
    f.lock()
        .with_context(|| format!("cannot lock audit log {}", path.display()))?;
    let res = f
        .write_all(buf.as_bytes())
        .and_then(|_| f.sync_data())
        .with_context(|| format!("cannot write audit log {}", path.display()));
    let _ = f.unlock();
    res
}

/// One audit-log line for a ref update: who pushed, what was decided, and for each commit the
/// verdict with its verified reviewers (and their key fingerprints under signed reviews).
#[allow(clippy::too_many_arguments)]
pub fn line(
    r: &RefReport,
    pusher: &str,
    principal: Option<&str>,
    time: i64,
    decision: &str,
    push_refused: bool,
    options: &[String],
    policy_origin: &str,
    governing_ref: &str,
    forge_merge: Option<&crate::forge::env::ForgeMerge>,
) -> String {
    json!({
        "schema_version": super::SCHEMA_VERSION,
        "time": rfc3339(time),
        "pusher": pusher,
        "pusher_principal": principal,
        "ref": r.refname,
        "old": r.old,
        "new": r.new,
        "protected": r.protected,
        "decision": decision,
        "push": if push_refused { "refused" } else { "accepted" },
        "refusal": r.refusal,
        "push_options": options,
        "policy": policy_origin,
        "governing_ref": governing_ref,
        "rule_change": r.rule_change,
        "forge_merge": forge_merge,
        "commits": r.commits.iter().map(|c| json!({
            "commit": c.commit,
            "author": c.author.to_string(),
            "ai_assisted": c.ai_assisted,
            "tools": c.tools(),
            "attested": c.attested,
            "reviewers": c.reviews.iter().filter(|x| x.counts).filter_map(|x| x.reviewer.as_ref().map(|i| i.to_string())).collect::<Vec<_>>(),
            "approvals": c.approvals,
            "exemptions": c.exemptions,
            "findings": c.findings.iter().map(|f| json!({"rule": f.rule.id(), "message": f.message})).collect::<Vec<_>>(),
            "verdict": if c.passed() { "pass" } else { "fail" },
        })).collect::<Vec<_>>(),
    })
    .to_string()
}
