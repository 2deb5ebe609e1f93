//! Audit reports: one row per AI-assisted commit of a history, streamed (memory does not grow
//! with history length), and a summary (commits by tool by month, share of AI-assisted commits,
//! findings by rule, exemptions used and expiring). Writers: table, CSV, JSON, Markdown, SARIF.

use crate::exemptions::{rfc3339, Exemptions};
use crate::rules::Rule;
use crate::verdict::{CommitFacts, CommitVerdict};
use serde::Serialize;
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// One AI-assisted commit.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub commit: String,
    pub date: String,
    pub author: String,
    pub summary: String,
    pub tools: Vec<String>,
    pub attestation: Vec<String>,
    pub reviewers: Vec<String>,
    pub exemptions: Vec<String>,
    /// Signed approvals counted (`reviewer (SHA256:...)`), under `verify = "signed"`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<String>,
    pub findings: Vec<String>,
    /// `pass`, `exempted`, or `fail` (the commit breaks the policy as judged now; history
    /// already on the branch was accepted when it was pushed).
    pub verdict: &'static str,
    /// `server` (the decision record holds what the server decided when it accepted the
    /// commit) or `re-judged` (no record: judged now, by `rules`).
    pub decided_by: &'static str,
    /// The rules that decided: the recorded rules' version, or those of this report.
    pub rules: String,
    /// What the server decided, in words (recorded commits only).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub decision: String,
    /// Exemptions the commit was accepted under that have been revoked since.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub since_revoked: Vec<String>,
    /// `--verify`: today's verdict, where today's rules would decide otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub today: Option<&'static str>,
    #[serde(skip)]
    pub detail: Vec<(Rule, String, String)>,
    #[serde(skip)]
    pub paths: Vec<String>,
}

impl Row {
    pub fn new(facts: &CommitFacts, v: &CommitVerdict) -> Row {
        Row {
            commit: v.commit.clone(),
            date: rfc3339(facts.time).get(..10).unwrap_or("").to_string(),
            author: v.author.to_string(),
            summary: v.summary.clone(),
            tools: v.tools(),
            attestation: v
                .attested
                .iter()
                .map(|a| match &a.model {
                    // A model named without its tool (`Assisted-by: Claude Opus 4.6`).
                    Some(m) if a.model_only() => format!("{m} (model, no tool)"),
                    Some(m) => format!("{}:{m}", a.tool),
                    None => a.tool.clone(),
                })
                .collect(),
            reviewers: v
                .reviews
                .iter()
                .filter(|r| r.counts)
                .filter_map(|r| r.reviewer.as_ref().map(|i| i.to_string()))
                .collect(),
            exemptions: v.exemptions.iter().map(|e| e.id.clone()).collect(),
            approvals: v
                .approvals
                .iter()
                .map(|a| format!("{} ({})", a.reviewer, a.fingerprint))
                .collect(),
            findings: v.findings.iter().map(|f| f.rule.id().to_string()).collect(),
            verdict: if !v.passed() {
                "fail"
            } else if !v.exemptions.is_empty() {
                "exempted"
            } else {
                "pass"
            },
            decided_by: "re-judged",
            rules: String::new(),
            decision: String::new(),
            since_revoked: Vec::new(),
            today: None,
            detail: v
                .findings
                .iter()
                .map(|f| (f.rule, f.message.clone(), f.fix.clone()))
                .collect(),
            paths: facts.changed_paths.clone().unwrap_or_default(),
        }
    }
}

impl Row {
    /// The verdict as shown: `exempted (since revoked)` for a commit accepted under an
    /// exemption revoked after.
    pub fn shown_verdict(&self) -> String {
        if self.verdict == "exempted" && !self.since_revoked.is_empty() {
            "exempted (since revoked)".into()
        } else {
            self.verdict.to_string()
        }
    }

    /// Replaces what was judged now by what the server decided (its record): verdict,
    /// findings, reviewers, approvals and exemptions; `ex` (today's exemptions) says which of
    /// them were revoked since.
    pub fn apply_record(&mut self, d: &crate::git::record::Decision, ex: &Exemptions, now: i64) {
        self.decided_by = "server";
        self.rules = d.rules.version.clone();
        self.verdict = match d.verdict.as_str() {
            "fail" => "fail",
            "exempted" => "exempted",
            _ => "pass",
        };
        self.findings = d.findings.iter().map(|f| f.rule.clone()).collect();
        self.detail = d
            .findings
            .iter()
            .filter_map(|f| {
                let rule = Rule::lookup(&f.rule)?;
                Some((
                    rule,
                    f.message.clone(),
                    format!("aigate explain {}", f.rule),
                ))
            })
            .collect();
        self.reviewers = d.reviewers.clone();
        self.approvals = d
            .approvals
            .iter()
            .map(|a| match &a.bridge {
                Some(b) => format!("{} ({}, bridge {b})", a.reviewer, a.fingerprint),
                None => format!("{} ({})", a.reviewer, a.fingerprint),
            })
            .collect();
        self.exemptions = d.exemptions.iter().map(|e| e.id.clone()).collect();
        self.since_revoked = d
            .exemptions
            .iter()
            .filter(|e| {
                ex.list
                    .iter()
                    .any(|x| x.record.id == e.id && x.is_revoked(now))
            })
            .map(|e| e.id.clone())
            .collect();
        self.decision = decision_text(d, &self.since_revoked);
    }
}

/// "accepted by the server on 2026-12-06 under rules 1a2b3c4 for refs/heads/main; exempted
/// by EX-1 (since revoked), granted by ...; approved by ...; pushed by ..."
pub fn decision_text(d: &crate::git::record::Decision, since_revoked: &[String]) -> String {
    let mut parts = vec![format!(
        "{} by the server on {} under rules {} for {}",
        d.decision,
        d.time.get(..10).unwrap_or(&d.time),
        if d.rules.version.is_empty() {
            "?"
        } else {
            &d.rules.version
        },
        d.refname
    )];
    for e in &d.exemptions {
        let mut s = format!("exempted by {}", e.id);
        if e.via == "push-option" {
            s.push_str(" (push option)");
        }
        if since_revoked.contains(&e.id) {
            s.push_str(" (since revoked)");
        }
        if let Some(g) = &e.granted_by {
            s.push_str(&format!(", granted by {g}"));
        }
        parts.push(s);
    }
    for a in &d.approvals {
        let mut s = format!("approved by {} ({})", a.reviewer, a.fingerprint);
        if let Some(b) = &a.bridge {
            s.push_str(&format!(" via bridge {b}"));
        }
        if let Some(l) = &a.landing {
            s.push_str(&format!(", landing {l}"));
        }
        parts.push(s);
    }
    if !d.reviewers.is_empty() {
        parts.push(format!("reviewed by {}", d.reviewers.join(", ")));
    }
    if !d.findings.is_empty() {
        let f: Vec<&str> = d.findings.iter().map(|f| f.rule.as_str()).collect();
        parts.push(format!("findings {} (not enforced)", f.join(", ")));
    }
    parts.push(format!("pushed by {}", d.pusher));
    if let Some(f) = &d.forge_merge {
        if let Some(forge) = f.get("forge").and_then(|v| v.as_str()) {
            parts.push(format!("forge merge ({forge})"));
        }
    }
    parts.join("; ")
}

/// A recorded commit today's rules would decide otherwise (`aigate audit --verify`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Disagreement {
    pub commit: String,
    pub recorded: String,
    pub today: String,
    pub today_findings: Vec<String>,
}

/// Totals over the audited history.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Summary {
    pub commits: u64,
    pub ai_assisted: u64,
    pub ai_share_percent: f64,
    /// AI-assisted commits that break the policy as judged now.
    pub failing: u64,
    pub exempted: u64,
    /// month (YYYY-MM) → tool → commits
    pub by_month_and_tool: BTreeMap<String, BTreeMap<String, u64>>,
    pub findings_by_rule: BTreeMap<String, u64>,
    pub exemptions_used: BTreeMap<String, u64>,
    /// Active exemptions whose expiry is within the window asked for.
    pub exemptions_expiring: Vec<Expiring>,
    /// The rules this report judged re-judged commits by.
    pub rules: String,
    /// Commits whose decision the server recorded, and commits judged now.
    pub decided_by_server: u64,
    pub re_judged: u64,
    /// `--verify`: recorded commits today's rules would decide otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<Vec<Disagreement>>,
    /// The adoption figures and what the page shows (`report::figures`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adoption: Option<Box<super::figures::Adoption>>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Expiring {
    pub id: String,
    pub tools: Vec<String>,
    pub expires: String,
    pub ticket: String,
}

impl Summary {
    /// Counts one commit (AI-assisted or not).
    pub fn add_commit(&mut self) {
        self.commits += 1;
    }

    /// Counts one AI-assisted commit's row.
    pub fn add(&mut self, row: &Row) {
        self.ai_assisted += 1;
        if row.decided_by == "server" {
            self.decided_by_server += 1;
        } else {
            self.re_judged += 1;
        }
        if let (Some(today), Some(v)) = (row.today, self.verify.as_mut()) {
            v.push(Disagreement {
                commit: row.commit.clone(),
                recorded: row.verdict.to_string(),
                today: today.to_string(),
                today_findings: Vec::new(),
            });
        }
        match row.verdict {
            "fail" => self.failing += 1,
            "exempted" => self.exempted += 1,
            _ => {}
        }
        let month = row.date.get(..7).unwrap_or("unknown").to_string();
        let m = self.by_month_and_tool.entry(month).or_default();
        if row.tools.is_empty() {
            // A model-only attestation: AI-assisted, tool unknown; it never vanishes.
            *m.entry(aigate_core::figures::UNKNOWN_TOOL.to_string())
                .or_default() += 1;
        }
        for t in &row.tools {
            *m.entry(t.clone()).or_default() += 1;
        }
        for f in &row.findings {
            *self.findings_by_rule.entry(f.clone()).or_default() += 1;
        }
        for e in &row.exemptions {
            *self.exemptions_used.entry(e.clone()).or_default() += 1;
        }
    }

    /// Finishes the totals: the AI share and the exemptions expiring within `days` of `now`.
    pub fn finish(&mut self, ex: &Exemptions, now: i64, days: i64) {
        self.ai_share_percent = if self.commits == 0 {
            0.0
        } else {
            (self.ai_assisted as f64 * 1000.0 / self.commits as f64).round() / 10.0
        };
        self.exemptions_expiring = ex
            .list
            .iter()
            .filter(|e| e.is_active(now) && e.valid_until <= now + days * 86_400)
            .map(|e| Expiring {
                id: e.record.id.clone(),
                tools: e.record.tools.clone(),
                expires: e.record.expires.clone(),
                ticket: e.record.ticket.clone(),
            })
            .collect();
    }
}

/// An output format that streams rows and ends with the summary.
pub trait Sink {
    fn row(&mut self, row: &Row) -> io::Result<()>;
    fn end(&mut self, summary: &Summary) -> io::Result<()>;
}

fn join(v: &[String]) -> String {
    v.join(", ")
}

fn summary_lines(s: &Summary) -> Vec<String> {
    let mut out = vec![format!(
        "commits: {}, AI-assisted: {} ({}%), failing: {}, exempted: {}",
        s.commits, s.ai_assisted, s.ai_share_percent, s.failing, s.exempted
    )];
    if !s.rules.is_empty() {
        out.push(format!("rules: {}", s.rules));
    }
    out.push(format!(
        "decided by the server: {} (its record), re-judged: {}",
        s.decided_by_server, s.re_judged
    ));
    if let Some(v) = &s.verify {
        out.push(format!(
            "verify: {} recorded commit(s) today's rules would decide otherwise (the record is unchanged)",
            v.len()
        ));
        for d in v {
            out.push(format!(
                "  {} recorded {}, today {}",
                &d.commit[..d.commit.len().min(10)],
                d.recorded,
                d.today
            ));
        }
    }
    for (month, tools) in &s.by_month_and_tool {
        let t: Vec<String> = tools.iter().map(|(k, v)| format!("{k} {v}")).collect();
        out.push(format!("{month}: {}", t.join(", ")));
    }
    if !s.findings_by_rule.is_empty() {
        let f: Vec<String> = s
            .findings_by_rule
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.push(format!("findings: {}", f.join(", ")));
    }
    if !s.exemptions_used.is_empty() {
        let e: Vec<String> = s
            .exemptions_used
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.push(format!("exemptions used: {}", e.join(", ")));
    }
    for e in &s.exemptions_expiring {
        out.push(format!(
            "expiring soon: {} ({}) on {} [{}]",
            e.id,
            join(&e.tools),
            e.expires,
            e.ticket
        ));
    }
    out
}

pub struct Table<W: Write>(pub W, pub bool);

impl<W: Write> Sink for Table<W> {
    fn row(&mut self, r: &Row) -> io::Result<()> {
        if !self.1 {
            writeln!(
                self.0,
                "{:<10} {:<10} {:<9} {:<10} {:<22} {:<22} {:<26} findings/exemptions",
                "commit", "date", "verdict", "decided_by", "tools", "attestation", "reviewers"
            )?;
            self.1 = true;
        }
        let extra = [
            join(&r.findings),
            join(&r.exemptions),
            r.decision.clone(),
            r.today.map(|t| format!("today: {t}")).unwrap_or_default(),
        ]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
        // Columns keep their width: longer text is cut with an ellipsis (the CSV and JSON
        // formats carry it whole).
        let cell = |s: String, w: usize| {
            let s = crate::report::terminal_safe(&s).into_owned();
            if s.chars().count() > w {
                let mut c: String = s.chars().take(w - 1).collect();
                c.push('…');
                c
            } else {
                s
            }
        };
        writeln!(
            self.0,
            "{:<10} {:<10} {:<9} {:<10} {:<22} {:<22} {:<26} {}",
            &r.commit[..r.commit.len().min(10)],
            r.date,
            r.shown_verdict(),
            r.decided_by,
            cell(join(&r.tools), 22),
            cell(join(&r.attestation), 22),
            cell(join(&r.reviewers), 26),
            crate::report::terminal_safe(&extra)
        )
    }

    fn end(&mut self, s: &Summary) -> io::Result<()> {
        if !self.1 {
            writeln!(self.0, "no AI-assisted commits")?;
        }
        writeln!(self.0)?;
        for l in summary_lines(s) {
            writeln!(self.0, "{l}")?;
        }
        if let Some(a) = &s.adoption {
            super::figures::table_brief(&mut self.0, a)?;
        }
        Ok(())
    }
}

pub struct Markdown<W: Write>(pub W, pub bool);

impl<W: Write> Sink for Markdown<W> {
    fn row(&mut self, r: &Row) -> io::Result<()> {
        if !self.1 {
            writeln!(self.0, "| commit | date | verdict | decided_by | rules | tools | attestation | reviewers | findings | exemptions | summary | decision |")?;
            writeln!(self.0, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
            self.1 = true;
        }
        let esc = crate::report::markdown_text;
        writeln!(
            self.0,
            "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            &r.commit[..r.commit.len().min(10)],
            r.date,
            r.shown_verdict(),
            r.decided_by,
            esc(&r.rules),
            esc(&join(&r.tools)),
            esc(&join(&r.attestation)),
            esc(&join(&r.reviewers)),
            join(&r.findings),
            esc(&join(&r.exemptions)),
            esc(&r.summary),
            esc(&r.decision)
        )
    }

    fn end(&mut self, s: &Summary) -> io::Result<()> {
        if !self.1 {
            writeln!(self.0, "No AI-assisted commits.")?;
        }
        writeln!(self.0, "\n## Summary\n")?;
        for l in summary_lines(s) {
            writeln!(self.0, "- {l}")?;
        }
        if let Some(a) = &s.adoption {
            super::figures::markdown_brief(&mut self.0, a)?;
        }
        Ok(())
    }
}

pub struct Csv<W: Write>(pub csv::Writer<W>, pub bool);

impl<W: Write> Csv<W> {
    pub fn new(w: W) -> Self {
        Csv(csv::Writer::from_writer(w), false)
    }
}

const CSV_HEADER: [&str; 13] = [
    "commit",
    "date",
    "author",
    "verdict",
    "tools",
    "attestation",
    "reviewers",
    "findings",
    "exemptions",
    "summary",
    "decided_by",
    "rules",
    "decision",
];

fn csv_err(e: csv::Error) -> io::Error {
    io::Error::other(e)
}

impl<W: Write> Sink for Csv<W> {
    fn row(&mut self, r: &Row) -> io::Result<()> {
        if !self.1 {
            self.0.write_record(CSV_HEADER).map_err(csv_err)?;
            self.1 = true;
        }
        let cell = super::figures::csv_cell;
        self.0
            .write_record([
                cell(&r.commit),
                cell(&r.date),
                cell(&r.author),
                cell(&r.shown_verdict()),
                cell(&r.tools.join(";")),
                cell(&r.attestation.join(";")),
                cell(&r.reviewers.join(";")),
                cell(&r.findings.join(";")),
                cell(&r.exemptions.join(";")),
                cell(&r.summary),
                cell(r.decided_by),
                cell(&r.rules),
                cell(&r.decision),
            ])
            .map_err(csv_err)
    }

    fn end(&mut self, s: &Summary) -> io::Result<()> {
        // CSV holds the rows; the summary goes to stderr so the file stays one table.
        if !self.1 {
            self.0.write_record(CSV_HEADER).map_err(csv_err)?;
        }
        self.0.flush()?;
        for l in summary_lines(s) {
            eprintln!("{l}");
        }
        Ok(())
    }
}

/// `{"rows": [...], "summary": {...}}`, written as the rows come.
pub struct Json<W: Write>(pub W, pub usize);

impl<W: Write> Sink for Json<W> {
    fn row(&mut self, r: &Row) -> io::Result<()> {
        if self.1 == 0 {
            write!(
                self.0,
                "{{\"schema_version\": {}, \"rows\": [\n  ",
                super::SCHEMA_VERSION
            )?;
        } else {
            self.0.write_all(b",\n  ")?;
        }
        serde_json::to_writer(&mut self.0, r)?;
        self.1 += 1;
        Ok(())
    }

    fn end(&mut self, s: &Summary) -> io::Result<()> {
        if self.1 == 0 {
            write!(
                self.0,
                "{{\"schema_version\": {}, \"rows\": [",
                super::SCHEMA_VERSION
            )?;
        } else {
            self.0.write_all(b"\n")?;
        }
        self.0.write_all(b"],\n\"summary\": ")?;
        serde_json::to_writer_pretty(&mut self.0, s)?;
        self.0.write_all(b"}\n")
    }
}

/// SARIF 2.1.0: one result per finding, streamed inside a single run.
pub struct Sarif<W: Write> {
    pub out: W,
    pub results: usize,
    pub policy_uri: String,
}

impl<W: Write> Sarif<W> {
    pub fn new(out: W, policy_uri: &str) -> io::Result<Self> {
        let rules: Vec<sarif::ReportingDescriptor> = crate::rules::ALL
            .iter()
            .map(|r| {
                sarif::ReportingDescriptor::builder()
                    .id(r.id())
                    .name(r.name())
                    .short_description(
                        sarif::MultiformatMessageString::builder()
                            .text(r.summary())
                            .build(),
                    )
                    .full_description(
                        sarif::MultiformatMessageString::builder()
                            .text(r.long())
                            .build(),
                    )
                    .help(
                        sarif::MultiformatMessageString::builder()
                            .text(r.long())
                            .build(),
                    )
                    .build()
            })
            .collect();
        let driver = sarif::ToolComponent::builder()
            .name("aigate")
            .version(env!("CARGO_PKG_VERSION"))
            .semantic_version(env!("CARGO_PKG_VERSION"))
            .rules(rules)
            .build();
        let tool = sarif::Tool::builder().driver(driver).build();
        let mut out = out;
        out.write_all(b"{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", \"version\": \"2.1.0\", \"runs\": [{\"tool\": ")?;
        serde_json::to_writer(&mut out, &tool)?;
        out.write_all(b", \"results\": [")?;
        Ok(Sarif {
            out,
            results: 0,
            policy_uri: policy_uri.to_string(),
        })
    }
}

impl<W: Write> Sink for Sarif<W> {
    fn row(&mut self, r: &Row) -> io::Result<()> {
        for (rule, message, fix) in &r.detail {
            // Code scanning wants a file: the first file the commit changed, else the policy.
            let uri = r
                .paths
                .first()
                .cloned()
                .unwrap_or_else(|| self.policy_uri.clone());
            let location = sarif::Location::builder()
                .physical_location(
                    sarif::PhysicalLocation::builder()
                        .artifact_location(sarif::ArtifactLocation::builder().uri(uri).build())
                        .region(sarif::Region::builder().start_line(1).build())
                        .build(),
                )
                .build();
            let short = &r.commit[..r.commit.len().min(10)];
            let text = format!(
                "commit {short} ({}): {message}. Fix: {fix}. Decided by: {} (rules {})",
                r.summary, r.decided_by, r.rules
            );
            let mut fp = BTreeMap::new();
            fp.insert(
                "aigateCommitRule/v1".to_string(),
                format!("{}:{}", r.commit, rule.id()),
            );
            let result = sarif::Result::builder()
                .rule_id(rule.id())
                .rule_index(
                    crate::rules::ALL
                        .iter()
                        .position(|x| x == rule)
                        .unwrap_or(0) as i64,
                )
                .level(sarif::ResultLevel::Error)
                .message(sarif::Message::builder().text(text).build())
                .locations(vec![location])
                .partial_fingerprints(fp)
                .build();
            if self.results > 0 {
                self.out.write_all(b",")?;
            }
            self.out.write_all(b"\n    ")?;
            serde_json::to_writer(&mut self.out, &result)?;
            self.results += 1;
        }
        Ok(())
    }

    fn end(&mut self, s: &Summary) -> io::Result<()> {
        self.out
            .write_all(b"\n  ], \"properties\": {\"aigateSummary\": ")?;
        serde_json::to_writer(&mut self.out, s)?;
        self.out.write_all(b"}}]}\n")
    }
}
