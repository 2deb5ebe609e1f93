//! `aigate explain COMMIT|RULE`: what aigate saw in one commit, or the long form of a rule.

use super::*;
use aigate::engine::{now, short};
use aigate::rules::Rule;
use aigate::verdict::Target;
use anyhow::{Context, Result};

pub(crate) fn explain(
    what: &str,
    branch: Option<&str>,
    policy: Option<&std::path::Path>,
    rules_from: Option<&str>,
    format: super::args::Format,
) -> Result<i32> {
    super::only(
        format,
        &[super::args::Format::Human, super::args::Format::Json],
        "explain",
    )?;
    if let Some(rule) = Rule::lookup(what).filter(|_| {
        what.to_ascii_lowercase().starts_with("aig") || !what.chars().all(|c| c.is_ascii_hexdigit())
    }) {
        if format == super::args::Format::Json {
            print_json(serde_json::json!({"rule": {
                "id": rule.id(),
                "name": rule.name(),
                "summary": rule.summary(),
                "text": rule.long(),
            }}))?;
            return Ok(0);
        }
        aigate::say!(
            "{} {}: {}\n\n{}",
            rule.id(),
            rule.name(),
            rule.summary(),
            rule.long()
        );
        return Ok(0);
    }
    let repo = open_repo(None).with_context(|| format!("`{what}` is not a rule id (AIG001..AIG010) and there is no repository to find a commit in"))?;
    let chosen = aigate::report_rules::report_rules(&repo, policy, rules_from)?;
    let (rules, rules_name) = (chosen.rules, chosen.name);
    let id = repo
        .commit_id(what)
        .with_context(|| format!("`{what}` is neither a rule (AIG001..AIG010) nor a commit"))?;
    let refname = target_ref(&repo, branch, &rules.policy);
    let mut facts = repo.facts(id, true)?;
    rules.attach(&repo, &mut facts)?;
    let mut v = rules.judge(
        &facts,
        &Target {
            refname: &refname,
            push_exemptions: &[],
            now: now(),
            pusher: None,
            landing: &[],
            excluded: &[],
            landing_notes: &[],
            forge_merge: false,
            pr_branch: None,
        },
    );
    if !rules.policy.is_protected(&refname) {
        let bound = aigate::advice::bound_for(&repo, &rules.policy, &refname);
        aigate::advice::retarget(std::slice::from_mut(&mut v), &refname, &bound);
    }
    let enforced =
        rules.policy.mode == aigate::policy::Mode::Enforce && rules.policy.is_protected(&refname);
    // What the server decided, when it recorded the commit.
    let records = aigate::git::record::Records::load(&repo)?;
    let note = records.of(&repo, id);
    let recorded = note.as_ref().and_then(|n| n.for_ref(&refname));
    let since_revoked: Vec<String> = recorded
        .map(|d| {
            d.exemptions
                .iter()
                .filter(|e| {
                    rules
                        .exemptions
                        .list
                        .iter()
                        .any(|x| x.record.id == e.id && x.is_revoked(now()))
                })
                .map(|e| e.id.clone())
                .collect()
        })
        .unwrap_or_default();
    if format == super::args::Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "schema_version": aigate::report::SCHEMA_VERSION,
                "refname": refname,
                "protected": rules.policy.is_protected(&refname),
                "enforced": enforced,
                "rules": rules_name,
                "decided_by": if recorded.is_some() { "server" } else { "re-judged" },
                "decision": recorded.map(|d| aigate::report::audit::decision_text(d, &since_revoked)),
                "record": recorded,
                "since_revoked": since_revoked,
                "commit": v,
            }))?
        );
        if let Some(d) = recorded {
            return Ok(if d.verdict != "fail" || !enforced {
                0
            } else {
                1
            });
        }
        return Ok(if v.passed() || !enforced { 0 } else { 1 });
    }
    aigate::say!("commit {}  {}", short(&v.commit), v.summary);
    aigate::say!("author {}", v.author);
    aigate::say!(
        "target {} ({}; policy {})",
        refname,
        if rules.policy.is_protected(&refname) {
            "protected"
        } else {
            "not protected"
        },
        rules.policy.origin
    );
    aigate::say!("rules  {rules_name}");
    match recorded {
        Some(d) => aigate::say!(
            "decided_by: server: {}",
            aigate::report::audit::decision_text(d, &since_revoked)
        ),
        None => aigate::say!(
            "decided_by: re-judged (no decision record of the server; judged now, below)"
        ),
    }
    if recorded.is_some() {
        aigate::say!("judged again now by the rules above (the record stands):");
    }
    aigate::say!("AI-assisted: {}", if v.ai_assisted { "yes" } else { "no" });
    for e in &v.evidence {
        // The source as JSON names it (`trailer`, `author`), not a Rust name.
        let source = serde_json::to_value(&e.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        aigate::say!("  evidence  {:<12} {source}: {}", e.tool, e.text);
        if let Some(r) = aigate::evidence_rules::rule(e.rule) {
            aigate::say!(
                "            rule {} ({} confidence): {}",
                r.id,
                r.confidence,
                e.why
            );
        }
    }
    for a in &v.attested {
        let extra = [
            a.version.as_deref().map(|v| format!("version {v}")),
            a.model.as_deref().map(|m| format!("model {m}")),
            a.model_id.as_deref().map(|m| format!("({m})")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        aigate::say!(
            "  attested  {:<12} {}{}",
            if a.model_only() {
                "(no tool)"
            } else {
                a.tool.as_str()
            },
            if a.known { "" } else { "(not in the catalog) " },
            extra
        );
    }
    for r in &v.reviews {
        aigate::say!(
            "  review    {} ({})",
            r.text,
            if r.counts { "counts" } else { "does not count" }
        );
    }
    if v.reviews_required > 0 {
        aigate::say!("  reviews required: {}", v.reviews_required);
    }
    for a in &v.approvals {
        aigate::say!(
            "  approval  {} for {} (key {})",
            a.reviewer,
            a.refname,
            a.fingerprint
        );
    }
    for e in &v.exemptions {
        aigate::say!(
            "  exemption {} covers {} (ticket {})",
            e.id,
            e.tool,
            e.ticket
        );
    }
    if v.findings.is_empty() {
        aigate::say!("no findings");
    }
    // Findings fixed by one command show it once, after the last of them.
    for (i, f) in v.findings.iter().enumerate() {
        aigate::say!("{} {}: {}", f.rule, f.name, f.message);
        if !v.findings[i + 1..].iter().any(|g| g.fix == f.fix) {
            aigate::say!("  fix: {}", f.fix);
        }
    }
    // Findings are violations only where the policy enforces them.
    let enforced =
        rules.policy.mode == aigate::policy::Mode::Enforce && rules.policy.is_protected(&refname);
    if !v.passed() && !enforced {
        aigate::say!("(advice: {refname} is not enforced here)");
    }
    // A recorded commit is what the server decided: the record's verdict stands.
    if let Some(d) = recorded {
        return Ok(if d.verdict != "fail" || !enforced {
            0
        } else {
            1
        });
    }
    Ok(if v.passed() || !enforced { 0 } else { 1 })
}
