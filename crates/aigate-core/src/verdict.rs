//! The verdict: commit facts + policy + target ref → findings (AIG001–AIG008). Pure: no git,
//! no files, no clock (the decision time is an input).

use crate::catalog::{CommitView, Evidence};
use crate::evidence_rules::UNKNOWN_AI;
use crate::exemptions::{ExemptionUse, Exemptions};
use crate::identity::{canonical_email, Identity};
use crate::policy::{parse_version, Policy, RequireFor, Verify};
use crate::rules::Rule;
use crate::trailers::Trailer;
use serde::Serialize;

pub use crate::facts::{Blast, CommitFacts, Target};

/// The most distinct tools one commit is judged for (more is refused, not ignored).
pub const MAX_TOOLS: usize = 64;
/// The most exemptions one commit may cite.
pub const MAX_EXEMPTIONS: usize = 16;

pub use crate::attestation::Attested;

/// A review trailer and what was made of it.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<Identity>,
    /// Whether it counts toward the required reviews.
    pub counts: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub name: &'static str,
    pub message: String,
    pub fix: String,
    /// What the fix changes in the commit message, when it is a message edit. The edits of
    /// all of a commit's findings make one command (`fix` of each of them).
    #[serde(skip)]
    pub edit: MessageEdit,
}

/// A change to a commit message: trailers to add, trailer lines to remove (as `Key: value`),
/// and a note for the person running it (who the reviewer must be).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageEdit {
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub note: Option<String>,
}

impl MessageEdit {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }

    fn adding(trailer: String) -> MessageEdit {
        MessageEdit {
            add: vec![trailer],
            ..MessageEdit::default()
        }
    }

    /// Adds another edit's changes (each trailer once).
    pub fn merge(&mut self, other: &MessageEdit) {
        for a in &other.add {
            if !self.add.contains(a) {
                self.add.push(a.clone());
            }
        }
        for r in &other.remove {
            if !self.remove.contains(r) {
                self.remove.push(r.clone());
            }
        }
        if self.note.is_none() {
            self.note.clone_from(&other.note);
        }
    }

    /// The `--trailer "..."` arguments that add this edit's trailers.
    pub fn trailer_args(&self) -> String {
        self.add
            .iter()
            .map(|a| format!(" --trailer {}", shell_quote(a)))
            .collect()
    }

    /// The note, as a shell comment after the command (`  # a reviewer other than ...`): the
    /// line still runs as printed.
    pub fn note_text(&self) -> String {
        self.note
            .as_deref()
            .map(|n| format!("  # {}", n.replace('\n', " ")))
            .unwrap_or_default()
    }

    /// One `git commit --amend` that makes this edit on the last commit: lines removed by
    /// rewriting the message without them, trailers added with `--trailer`.
    pub fn amend_command(&self) -> String {
        let message = if self.remove.is_empty() {
            String::new()
        } else {
            let drop: String = self
                .remove
                .iter()
                .map(|r| format!(" -e {}", shell_quote(r)))
                .collect();
            format!(" -m \"$(git log -1 --format=%B | grep -vxF{drop})\"")
        };
        format!(
            "git commit --amend{message}{}{}",
            self.trailer_args(),
            self.note_text()
        )
    }
}

/// The line of `message` that holds trailer `t`, as written (`Reviewed-by :x` stays so, for a
/// command that removes exactly that line); `Key: value` when no line reads so.
fn raw_line(message: &str, t: &Trailer) -> String {
    message
        .lines()
        .rev()
        .map(|l| l.trim_end_matches('\r'))
        .find(|l| {
            l.split_once(':').is_some_and(|(k, v)| {
                k.trim_end().eq_ignore_ascii_case(&t.key) && v.trim() == t.value
            })
        })
        .map(str::to_string)
        .unwrap_or_else(|| t.to_string())
}

/// `s` as one POSIX shell word: double quotes where nothing in it is special there (the
/// familiar `"Key: value"`), single quotes otherwise.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-:=@+,".contains(&b))
    {
        s.to_string()
    } else if !s.contains(['"', '$', '`', '\\', '!', '\n']) {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitVerdict {
    pub commit: String,
    pub summary: String,
    pub author: Identity,
    pub ai_assisted: bool,
    pub evidence: Vec<Evidence>,
    pub attested: Vec<Attested>,
    pub reviews: Vec<Review>,
    pub reviews_required: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exemptions: Vec<ExemptionUse>,
    /// Signed approvals counted for the target (review.verify = "signed").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<crate::facts::ApprovalSeen>,
    pub findings: Vec<Finding>,
}

impl CommitVerdict {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// The tools this commit involved: detected and attested, each once.
    pub fn tools(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.evidence
            .iter()
            .map(|e| &e.tool)
            .chain(
                self.attested
                    .iter()
                    .filter(|a| !a.model_only())
                    .map(|a| &a.tool),
            )
            .filter(|t| seen.insert(t.as_str()))
            .cloned()
            .collect()
    }
}

/// Reads attestations (`crate::attestation` has the grammar): every tool or model declared,
/// each tool once; people credited with the trailer are left out.
pub fn attested_tools(trailers: &[Trailer], policy: &Policy) -> Vec<Attested> {
    let mut out: Vec<Attested> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for t in trailers
        .iter()
        .filter(|t| policy.is_attestation_key(&t.key))
    {
        for a in
            crate::attestation::read(&t.value, &policy.catalog, &crate::models::Models::builtin)
        {
            // Each distinct declaration counts: the same tool with another model or version is
            // checked too (`kiro` then `kiro:gpt-5` must not hide gpt-5 from [models] approved).
            let key = (
                a.tool.clone(),
                a.model.as_deref().map(str::to_ascii_lowercase),
                a.version.clone(),
            );
            if seen.insert(key) {
                out.push(a);
            }
        }
    }
    out
}

/// Judges one commit bound for `target`.
pub fn judge(
    facts: &CommitFacts,
    trailers: &[Trailer],
    policy: &Policy,
    exemptions: &Exemptions,
    target: &Target<'_>,
) -> CommitVerdict {
    judge_with_evidence(
        facts,
        trailers,
        evidence_of(facts, trailers, policy),
        policy,
        exemptions,
        target,
    )
}

/// The AI evidence in a commit: its message, trailers, identities, notes and what the
/// environment showed (`extra_evidence`).
pub fn evidence_of(facts: &CommitFacts, trailers: &[Trailer], policy: &Policy) -> Vec<Evidence> {
    let mut evidence = policy.catalog.evidence(&CommitView {
        message: &facts.message,
        trailers,
        author: &facts.author,
        committer: &facts.committer,
    });
    evidence.extend(facts.extra_evidence.iter().cloned());
    if !facts.notes.is_empty() {
        evidence.extend(policy.catalog.note_evidence(&facts.notes));
    }
    evidence
}

/// `judge` with the evidence already found (`evidence_of` of the same message, trailers,
/// identities and notes): a verdict completed with what a diff or the approvals add
/// re-uses the first verdict's evidence instead of matching the catalog again.
pub fn judge_with_evidence(
    facts: &CommitFacts,
    trailers: &[Trailer],
    evidence: Vec<Evidence>,
    policy: &Policy,
    exemptions: &Exemptions,
    target: &Target<'_>,
) -> CommitVerdict {
    let attested = attested_tools(trailers, policy);
    let attested_ids: std::collections::HashSet<&str> = attested
        .iter()
        .filter(|a| !a.model_only())
        .map(|a| a.tool.as_str())
        .collect();
    let ai = !evidence.is_empty() || !attested.is_empty();
    let mut findings = Vec::new();
    // Findings whose fix is a message edit, by (rule, message): attached at the end.
    let mut edits: Vec<(Rule, String, MessageEdit)> = Vec::new();
    let mut finding = |rule: Rule, message: String, fix: String| {
        findings.push(Finding {
            rule,
            name: rule.name(),
            message,
            fix,
            edit: MessageEdit::default(),
        });
    };
    let branch = target
        .refname
        .strip_prefix("refs/heads/")
        .unwrap_or(target.refname);
    let mut used_exemptions = Vec::new();

    if ai {
        let first_tool = evidence.first().map(|e| e.tool.as_str()).unwrap_or("TOOL");
        if attested.is_empty() {
            let shown = evidence.first().map(|e| e.text.as_str()).unwrap_or("");
            let message = format!(
                "AI evidence ({shown}) but no {}: trailer",
                policy.attestation_trailers[0]
            );
            let edit =
                MessageEdit::adding(format!("{}: {first_tool}", policy.attestation_trailers[0]));
            edits.push((Rule::MissingAttestation, message.clone(), edit.clone()));
            finding(Rule::MissingAttestation, message, edit.amend_command());
        } else {
            let mut reported: Vec<&str> = Vec::new();
            for e in &evidence {
                // A disclosure that names no tool is declared by any attested tool.
                if e.tool == UNKNOWN_AI && !attested_ids.is_empty() {
                    continue;
                }
                if !attested_ids.contains(e.tool.as_str()) && !reported.contains(&e.tool.as_str()) {
                    reported.push(&e.tool);
                    let message = format!(
                        "evidence names `{}` ({}) but the attestation does not",
                        e.tool, e.text
                    );
                    let edit = MessageEdit::adding(format!(
                        "{}: {}",
                        policy.attestation_trailers[0], e.tool
                    ));
                    edits.push((Rule::UndeclaredTool, message.clone(), edit.clone()));
                    finding(Rule::UndeclaredTool, message, edit.amend_command());
                }
            }
        }

        // Every tool involved must be approved here, or covered by a valid exemption.
        let cited = exemptions.cited(trailers, target.push_exemptions);
        // A model named without its tool: the policy approves tools, so the tool must be named.
        for a in attested.iter().filter(|a| a.model_only()) {
            let model = a.model.as_deref().unwrap_or("");
            let message = format!("`{model}` names a model but no tool");
            let edit = MessageEdit::adding(format!(
                "{}: {first_tool}:{}",
                policy.attestation_trailers[0],
                model.to_ascii_lowercase().replace(' ', "-")
            ));
            edits.push((Rule::ModelWithoutTool, message.clone(), edit.clone()));
            finding(Rule::ModelWithoutTool, message, edit.amend_command());
        }
        // Models the policy does not approve ([models] approved).
        if !policy.models_approved.is_empty() {
            for a in attested.iter().filter(|a| a.model.is_some()) {
                let model = a.model.as_deref().unwrap_or("");
                if !a
                    .model_id
                    .as_deref()
                    .is_some_and(|id| policy.approves_model(id))
                {
                    finding(
                        Rule::UnapprovedTool,
                        format!(
                            "model `{model}`{} is not approved for {branch} (policy models.approved: {})",
                            a.model_id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default(),
                            policy.models_approved.join(", ")
                        ),
                        "use an approved model, or ask the owners to approve it".into(),
                    );
                }
            }
        }
        let mut tools: Vec<(String, Option<String>)> = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for a in attested.iter().filter(|a| !a.model_only()) {
            if listed.insert((a.tool.as_str(), a.version.as_deref())) {
                tools.push((a.tool.clone(), a.version.clone()));
            }
        }
        let mut in_tools = attested_ids.clone();
        for e in &evidence {
            if e.tool == UNKNOWN_AI && !attested_ids.is_empty() {
                continue;
            }
            if in_tools.insert(e.tool.as_str()) {
                tools.push((e.tool.clone(), None));
            }
        }
        // Hostile messages could name thousands of tools or exemptions: judge a sane number
        // and refuse the rest rather than spend the server's time budget on them.
        if tools.len() > MAX_TOOLS {
            finding(
                Rule::UnapprovedTool,
                format!(
                    "the commit names {} tools; aigate judges at most {MAX_TOOLS}",
                    tools.len()
                ),
                "declare only the AI tools that worked on the commit".into(),
            );
            tools.truncate(MAX_TOOLS);
        }
        let cited = if cited.len() > MAX_EXEMPTIONS {
            finding(
                Rule::ExemptionInvalid,
                format!(
                    "the commit cites {} exemptions; at most {MAX_EXEMPTIONS} are considered",
                    cited.len()
                ),
                "cite only the exemption that covers this commit".into(),
            );
            cited[..MAX_EXEMPTIONS].to_vec()
        } else {
            cited
        };
        for (tool, version) in &tools {
            let v = version.as_deref().and_then(parse_version);
            if policy.approves(tool, v.as_deref()) {
                continue;
            }
            match exemptions.covering(&cited, tool, facts, target) {
                Ok(u) => used_exemptions.push(u),
                Err(reasons) => {
                    let pinned = if version.is_some() {
                        format!(" at version {}", version.as_deref().unwrap_or(""))
                    } else {
                        String::new()
                    };
                    finding(
                        Rule::UnapprovedTool,
                        format!("`{tool}`{pinned} is not approved for {branch} (policy {})", policy.origin),
                        format!("use an approved tool, or: aigate exemption request --tool {tool} --branch {branch} --expires 30d --ticket TICKET --reason \"...\""),
                    );
                    for r in reasons {
                        finding(
                            Rule::ExemptionInvalid,
                            r,
                            "aigate exemption list --active".into(),
                        );
                    }
                }
            }
        }
        // Cited exemptions that nothing needed are still checked, so a typo is not silent.
        for id in &cited {
            if !used_exemptions.iter().any(|u: &ExemptionUse| &u.id == id) && !exemptions.exists(id)
            {
                finding(
                    Rule::ExemptionInvalid,
                    format!("unknown exemption `{id}`"),
                    "aigate exemption list --active".into(),
                );
            }
        }
    }

    let mut reviews = Vec::new();
    let (mut required, mut strict_path) = policy.required_reviews(facts.changed_paths.as_deref());
    // A large AI-assisted change needs more reviews (agents.blast_radius).
    if ai {
        if let Some(why) = facts.blast.as_ref().and_then(|b| policy.blast_exceeded(b)) {
            let min = policy.agents.blast_radius.min_reviews;
            if min > required {
                required = min;
                strict_path = Some(format!("blast radius: {why}"));
            }
        }
    }
    let needs_review = ai || policy.require_for == RequireFor::All;
    let signed = policy.verify == Verify::Signed;
    let mut counted: std::collections::HashSet<String> = std::collections::HashSet::new();
    let author = canonical_email(&facts.author.email);
    let committer = canonical_email(&facts.committer.email);
    // Signed approvals: the only reviews that count under verify = "signed". A person is a
    // key: exclusions match every principal the key holds, and counts go by person.
    let mut counted_approvals: Vec<crate::facts::ApprovalSeen> = Vec::new();
    // Approvals only grow (refs/aigate/approvals is append-only), so one that cannot count is
    // set aside with the reason rather than failing the commit for good.
    let mut set_aside: Vec<String> = Vec::new();
    let approvals_here: Vec<&crate::facts::ApprovalSeen> = if signed {
        facts
            .approvals
            .iter()
            .chain(target.landing.iter())
            .filter(|a| policy.approval_counts_for(&a.refname, target.refname))
            .collect()
    } else {
        Vec::new()
    };
    for a in &approvals_here {
        let why = approval_set_aside(a, facts, policy, target);
        match why {
            Some(why) => {
                let note = format!("{} is {why}", a.reviewer);
                if !set_aside.contains(&note) {
                    set_aside.push(note);
                }
            }
            None => {
                // Counts go by person, never by address (at most 64 compared).
                if counted_approvals.len() < 64
                    && !counted_approvals.iter().any(|c| c.same_person(a))
                {
                    counted_approvals.push((*a).clone());
                }
            }
        }
    }
    let approve_fix = |c: &str| {
        if target.forge_merge {
            // The merge commit exists only inside the forge's merge: the reviewer approves the
            // pull request's change, which its squash, rebase or merge then lands covered.
            format!(
                "a reviewer approves the pull request's change, then it is merged again: aigate approve origin/{} --into {branch} --push origin (or an approving review in the forge, attested by the bridge)",
                target.pr_branch.unwrap_or("BRANCH")
            )
        } else {
            format!(
                "the reviewer runs: aigate approve {} --into {branch} --push origin",
                crate::short_id(c)
            )
        }
    };
    for t in trailers.iter().filter(|t| policy.is_review_key(&t.key)) {
        let reviewer = Identity::parse(&t.value);
        let mut counts = false;
        // A review that cannot count: the fix removes its line (adding one would leave it).
        let bad: Option<(Rule, String)> = match &reviewer {
            None => Some((
                Rule::NonHumanReviewer,
                format!("`{t}` has no `Name <email>`"),
            )),
            Some(r) if !r.has_valid_email() => Some((
                Rule::NonHumanReviewer,
                format!(
                    "`{t}`: <{}> is not a valid plain-ASCII email address",
                    r.email
                ),
            )),
            Some(r) if policy.catalog.is_ai_person(r) || r.is_bot() => Some((
                Rule::NonHumanReviewer,
                format!(
                    "`{t}`: {} is an AI or bot identity, not a human reviewer",
                    r.email
                ),
            )),
            Some(r) if r.canonical_email() == author || r.canonical_email() == committer => {
                let who = if r.canonical_email() == author {
                    "author"
                } else {
                    "committer"
                };
                Some((
                    Rule::SelfReview,
                    format!("`{t}`: the reviewer is the commit's {who}"),
                ))
            }
            Some(r) if !policy.reviewer_allowed(&r.email) => Some((
                Rule::ReviewerNotAllowed,
                format!(
                    "`{t}`: {} is not among the allowed reviewers ({})",
                    r.email,
                    policy.reviewers.join(", ")
                ),
            )),
            Some(r) if signed => {
                // The trailer is the readable record; the signed approval is the review (it is
                // listed, and counted, once below).
                if !approvals_here.iter().any(|a| a.is(&r.email)) {
                    finding(
                        Rule::UnverifiedReview,
                        format!("`{t}` has no signed approval by {} for {branch}", r.email),
                        format!("{} (as {})", approve_fix(&facts.id), r.email),
                    );
                }
                None
            }
            Some(r) => {
                counts = counted.insert(r.canonical_email());
                None
            }
        };
        if let Some((rule, message)) = bad {
            let edit = MessageEdit {
                remove: vec![raw_line(&facts.message, t)],
                ..MessageEdit::default()
            };
            edits.push((rule, message.clone(), edit.clone()));
            finding(rule, message, edit.amend_command());
        }
        reviews.push(Review {
            text: t.to_string(),
            reviewer,
            counts,
        });
    }
    if signed {
        // Approvals show as reviews (a trailer naming the same person is the readable record).
        for a in &counted_approvals {
            let via = match (&a.bridge, &a.landing) {
                (Some(b), _) => format!(", forge review attested by {b}"),
                (None, Some(l)) => format!(", {l}"),
                (None, None) => String::new(),
            };
            reviews.push(Review {
                text: format!("signed approval by {} ({}{via})", a.reviewer, a.fingerprint),
                reviewer: Some(Identity::new(String::new(), a.reviewer.clone())),
                counts: true,
            });
        }
    }
    if signed {
        for n in target.landing_notes {
            if !set_aside.contains(n) {
                set_aside.push(n.clone());
            }
        }
    }
    let n_counted = if signed {
        counted_approvals.len()
    } else {
        counted.len()
    };
    if needs_review && (n_counted as u32) < required {
        let why = match &strict_path {
            Some(p) if p.starts_with("blast radius") => format!(" ({p})"),
            Some(p) => format!(" (it touches {p})"),
            None => String::new(),
        };
        let mut review_edit = None;
        let (what, fix) = if signed {
            (
                "signed human approval(s)",
                format!(
                    "{} (a reviewer other than {})",
                    approve_fix(&facts.id),
                    facts.author.email
                ),
            )
        } else {
            let edit = MessageEdit {
                add: vec![format!("{}: Name <email>", policy.review_trailers[0])],
                remove: Vec::new(),
                note: Some(format!("a reviewer other than {}", facts.author.email)),
            };
            review_edit = Some(edit.clone());
            ("human review(s)", edit.amend_command())
        };
        let aside = if set_aside.is_empty() {
            String::new()
        } else {
            format!("; not counted: {}", set_aside.join(", "))
        };
        let message = format!("{} of {required} required {what}{why}{aside}", n_counted);
        if let Some(edit) = review_edit {
            edits.push((Rule::MissingReview, message.clone(), edit));
        }
        finding(Rule::MissingReview, message, fix);
    }
    // Review findings only bind where review is required.
    if !needs_review {
        findings.retain(|f| {
            !matches!(
                f.rule,
                Rule::SelfReview
                    | Rule::NonHumanReviewer
                    | Rule::ReviewerNotAllowed
                    | Rule::UnverifiedReview
            )
        });
    }
    findings.sort_by_key(|f| f.rule);
    // One line per distinct finding (an exemption cited twice, or for two tools, says it once).
    let mut distinct = std::collections::HashSet::new();
    findings.retain(|f| distinct.insert((f.rule, f.message.clone())));
    // The message edits of all findings make one command: running each alone would leave the
    // others' findings, and amend the same commit several times.
    let mut combined = MessageEdit::default();
    for f in findings.iter_mut() {
        if let Some((_, _, e)) = edits
            .iter()
            .find(|(r, m, _)| *r == f.rule && *m == f.message)
        {
            f.edit = e.clone();
            combined.merge(e);
        }
    }
    if !combined.is_empty() {
        let fix = combined.amend_command();
        for f in findings.iter_mut().filter(|f| !f.edit.is_empty()) {
            f.fix.clone_from(&fix);
        }
    }

    CommitVerdict {
        commit: facts.id.clone(),
        summary: facts.summary().to_string(),
        author: facts.author.clone(),
        ai_assisted: ai,
        evidence,
        attested,
        reviews,
        reviews_required: if needs_review { required } else { 0 },
        exemptions: used_exemptions,
        approvals: counted_approvals,
        findings,
    }
}

/// Why a verified approval cannot count for this commit, if it cannot: its key stands for the
/// commit's author or committer, the pusher, the pull request's author or the merger; a
/// bridge key signed it as a person; a forge bot or AI reviewed; the reviewer is not allowed.
fn approval_set_aside(
    a: &crate::facts::ApprovalSeen,
    facts: &CommitFacts,
    policy: &Policy,
    target: &Target<'_>,
) -> Option<String> {
    if a.bridge.is_none() && policy.is_bridge(&a.reviewer) {
        return Some("a forge bridge's key, not a reviewer's".into());
    }
    if a.bot {
        return Some("a bot or AI account in the forge, not a human reviewer".into());
    }
    if a.is(&facts.author.email) {
        return Some("the commit's author (the same key)".into());
    }
    if a.is(&facts.committer.email) {
        return Some("the commit's committer (the same key)".into());
    }
    if !policy.pusher_approves && target.pusher.is_some_and(|p| a.is(p)) {
        return Some("the pusher, who cannot approve what they push".into());
    }
    if let Some(who) = a.change_people.iter().find(|e| a.is(e)) {
        return Some(format!("an author of the approved change ({who})"));
    }
    if let Some(pr) = &a.pr_author {
        if a.is(pr) {
            return Some("the pull request's author".into());
        }
    }
    for (who, why) in target.excluded {
        if a.is(who) {
            return Some(why.clone());
        }
    }
    if !policy.reviewer_allowed(&a.reviewer) {
        return Some("not an allowed reviewer".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trailers::{parse_str, TrailerConfig};

    fn verdict(policy: &str, msg: &str) -> CommitVerdict {
        let policy = if policy.is_empty() {
            Policy::builtin().unwrap()
        } else {
            Policy::from_str(policy, "test").unwrap()
        };
        let facts = CommitFacts {
            id: "c0ffee".into(),
            message: msg.into(),
            author: Identity::new("Ann Author", "ann@example.com"),
            committer: Identity::new("Ann Author", "ann@example.com"),
            parent_count: 1,
            time: 0,
            changed_paths: Some(vec!["infra/main.tf".into()]),
            ..Default::default()
        };
        let t = parse_str(msg, &TrailerConfig::default());
        judge(
            &facts,
            &t,
            &policy,
            &Exemptions::default(),
            &Target {
                refname: "refs/heads/main",
                push_exemptions: &[],
                now: 0,
                pusher: None,
                landing: &[],
                excluded: &[],
                landing_notes: &[],
                forge_merge: false,
                pr_branch: None,
            },
        )
    }

    fn rules(v: &CommitVerdict) -> Vec<&'static str> {
        v.findings.iter().map(|f| f.rule.id()).collect()
    }

    #[test]
    fn human_commit_passes_untouched() {
        let v = verdict("", "fix: typo\n\nSigned-off-by: Ann <ann@example.com>\n");
        assert!(!v.ai_assisted);
        assert!(v.passed());
    }

    #[test]
    fn ai_commit_without_attestation_or_review_fails_001_and_004() {
        let v = verdict(
            "",
            "feat: x\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
        );
        assert_eq!(rules(&v), ["AIG001", "AIG004"]);
    }

    #[test]
    fn attested_and_reviewed_ai_commit_passes() {
        let v = verdict("", "feat: x\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: Claude Code:opus\nReviewed-by: Rob <rob@example.com>\n");
        assert!(v.passed(), "{:?}", v.findings);
        assert_eq!(v.attested[0].model.as_deref(), Some("opus"));
    }

    #[test]
    fn attestation_of_another_tool_is_undeclared_and_unapproved() {
        let p = "[tools]\napproved = [\"kiro\"]\n";
        let v = verdict(p, "feat: x\n\nCo-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: kiro\nReviewed-by: Rob <rob@example.com>\n");
        assert_eq!(rules(&v), ["AIG002", "AIG003"]);
    }

    #[test]
    fn self_review_with_case_and_plus_tag_is_caught() {
        let v = verdict(
            "",
            "feat: x\n\nAssisted-by: kiro\nReviewed-by: Ann <Ann+review@EXAMPLE.com>\n",
        );
        assert_eq!(rules(&v), ["AIG004", "AIG005"]);
    }

    #[test]
    fn ai_and_bot_and_invalid_reviewers_do_not_count() {
        for r in [
            "Claude <noreply@anthropic.com>",
            "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
            "Rob <rob@exаmple.com>",
            "Rob",
            // Tools by the general rules: a product name, a model, a known bot with a suffix.
            "Claude Code <claude@example.com>",
            "Claude 3.5 Sonnet <rob@example.com>",
            "cursor-staging[bot] <1+cursor-staging[bot]@users.noreply.github.com>",
        ] {
            let v = verdict(
                "",
                &format!("feat: x\n\nAssisted-by: kiro\nReviewed-by: {r}\n"),
            );
            assert_eq!(rules(&v), ["AIG004", "AIG006"], "{r}");
        }
    }

    #[test]
    fn reviewer_list_and_path_rules_apply() {
        let p = "[review]\nreviewers = [\"*@example.com\"]\n[[review.paths]]\npaths = [\"infra/**\"]\nmin = 2\n";
        let v = verdict(p, "feat: x\n\nAssisted-by: kiro\nReviewed-by: Rob <rob@example.com>\nReviewed-by: Eve <eve@elsewhere.org>\n");
        assert_eq!(rules(&v), ["AIG004", "AIG007"]);
        assert!(v.findings[0].message.contains("infra/main.tf"));
    }

    #[test]
    fn review_in_a_body_paragraph_does_not_count() {
        let v = verdict("", "feat: x\n\nReviewed-by: Rob <rob@example.com>\nwas planned but did not happen.\n\nAssisted-by: kiro\n");
        assert_eq!(rules(&v), ["AIG004"]);
    }

    #[test]
    fn unknown_attested_tool_is_unapproved() {
        let v = verdict(
            "",
            "feat: x\n\nAssisted-by: hal9000\nReviewed-by: Rob <rob@example.com>\n",
        );
        assert_eq!(rules(&v), ["AIG002"]);
    }

    #[test]
    fn thousands_of_attested_tools_are_refused_not_ignored() {
        let mut msg = String::from("feat: x\n\n");
        for i in 0..5000 {
            msg.push_str(&format!("Assisted-by: tool{i}\n"));
        }
        msg.push_str("Reviewed-by: Rob <rob@example.com>\n");
        let v = verdict("", &msg);
        assert!(v
            .findings
            .iter()
            .any(|f| f.message.contains("names 5000 tools")));
        assert!(!v.passed());
    }

    #[test]
    fn tens_of_thousands_of_trailers_and_squashed_lines_are_judged_in_linear_time() {
        // Each of these once cost a pass over all the others (tool de-duplication, squashed
        // lines against the trailer list): a hostile size, judged once.
        let mut msg = String::from("feat: x\n\n");
        for i in 0..20_000 {
            msg.push_str(&format!(
                "    Co-Authored-By: Claude <noreply@anthropic.com> {i}\n"
            ));
        }
        msg.push('\n');
        for _ in 0..40_000 {
            msg.push_str(
                "Assisted-by: claude-code\nCo-Authored-By: Claude <noreply@anthropic.com>\n",
            );
        }
        msg.push_str("Reviewed-by: Rob <rob@example.com>\n");
        let v = verdict("", &msg);
        assert!(v.ai_assisted);
        assert_eq!(v.tools(), ["claude-code"]);
    }

    #[test]
    fn require_for_all_reviews_human_commits() {
        let v = verdict("[review]\nrequire_for = \"all\"\n", "fix: typo\n");
        assert_eq!(rules(&v), ["AIG004"]);
    }

    #[test]
    fn a_bad_review_line_is_removed_by_one_command_with_the_missing_review() {
        let v = verdict(
            "",
            "feat: x\n\nAssisted-by: claude-code\nReviewed-by: it's $(me) <x@y>\n",
        );
        assert_eq!(rules(&v), ["AIG004", "AIG006"]);
        let fix = &v.findings[0].fix;
        assert_eq!(fix, &v.findings[1].fix, "one command for both");
        assert!(
            fix.contains("grep -vxF -e 'Reviewed-by: it'\\''s $(me) <x@y>'"),
            "the line is quoted for the shell: {fix}"
        );
        assert!(
            fix.contains("--trailer \"Reviewed-by: Name <email>\""),
            "{fix}"
        );
    }
}
