//! The adoption report of an audit: the figures (`aigate_core::figures`), what made them, and
//! the failing commits worth a look; as a table, Markdown and CSV (the HTML page is `html`).
//! Also how a verdict becomes the figures' per-commit input.

use crate::verdict::{CommitFacts, CommitVerdict};
use aigate_core::figures::{CommitFigure, Counts, Diff, Figures, ReviewKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How many failing commits the report keeps (newest first).
pub const TOP_FAILING: usize = 20;
/// How many authors the table, Markdown and the page show (JSON and CSV have all).
pub const TOP_AUTHORS: usize = 20;

/// What an audit's summary adds for the adoption report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Adoption {
    pub made: Made,
    pub figures: Figures,
    /// The newest failing AI-assisted commits, with the fix of each finding.
    pub failing_top: Vec<Failing>,
}

/// Which rules judged the history, and when the report was made.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Made {
    /// RFC 3339, UTC.
    pub generated: String,
    /// The aigate version that made it.
    pub aigate: String,
    /// The repository's name (its directory), or the repositories of a merged report.
    pub repository: String,
    /// The history audited and the branch it was judged for.
    pub range: String,
    pub branch: String,
    /// The effective policy, as `aigate policy check` describes it.
    pub policy: Vec<String>,
    /// The reports a merged report was made of.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<String>,
}

/// A failing AI-assisted commit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Failing {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub repository: String,
    pub commit: String,
    pub date: String,
    pub author: String,
    pub summary: String,
    pub findings: Vec<FailingFinding>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FailingFinding {
    pub rule: String,
    pub message: String,
    pub fix: String,
}

impl Failing {
    pub fn of(row: &super::audit::Row) -> Failing {
        Failing {
            repository: String::new(),
            commit: row.commit.clone(),
            date: row.date.clone(),
            author: row.author.clone(),
            summary: row.summary.clone(),
            findings: row
                .detail
                .iter()
                .map(|(r, m, f)| FailingFinding {
                    rule: r.id().to_string(),
                    message: m.clone(),
                    fix: f.clone(),
                })
                .collect(),
        }
    }
}

/// How a verdict's review counted: a signed approval by a person's key, one a forge bridge
/// attested from a forge's review (`bridge` names the bridge), a typed trailer, or none.
pub fn review_kind(v: &CommitVerdict) -> ReviewKind {
    if v.approvals.iter().any(|a| a.bridge.is_none()) {
        ReviewKind::Signed
    } else if !v.approvals.is_empty() {
        ReviewKind::Bridge
    } else if v.reviews.iter().any(|r| r.counts) {
        ReviewKind::Trailer
    } else {
        ReviewKind::None
    }
}

/// The figures' input for one commit from its verdict (`diff` and `teams` come from the
/// shell).
pub fn figure_of(
    facts: &CommitFacts,
    v: &CommitVerdict,
    teams: Vec<String>,
    diff: Option<Diff>,
) -> CommitFigure {
    let mut models: Vec<String> = Vec::new();
    for a in &v.attested {
        let m = a
            .model_id
            .clone()
            .or_else(|| a.model.as_ref().map(|m| m.trim().to_ascii_lowercase()));
        if let Some(m) = m.filter(|m| !m.is_empty() && !models.contains(m)) {
            models.push(m);
        }
    }
    CommitFigure {
        time: facts.time,
        author: facts.author.email.clone(),
        ai_assisted: v.ai_assisted,
        tools: if v.ai_assisted { v.tools() } else { Vec::new() },
        models,
        reviewed_by_kind: if v.ai_assisted {
            review_kind(v)
        } else {
            ReviewKind::None
        },
        exempted: v.ai_assisted && v.passed() && !v.exemptions.is_empty(),
        failing: v.ai_assisted && !v.passed(),
        teams,
        diff,
    }
}

/// One row of figures as cells: the same columns in the table, Markdown and CSV.
const COLUMNS: [&str; 11] = [
    "commits",
    "AI",
    "AI %",
    "signed",
    "bridge",
    "trailer",
    "unreviewed",
    "reviewed %",
    "exempt",
    "failing",
    "AI lines +/- of all",
];

fn cells(c: &Counts) -> [String; 11] {
    let lines = match &c.lines {
        Some(l) => format!(
            "+{}/-{} of +{}/-{} ({}%)",
            l.ai.added, l.ai.deleted, l.all.added, l.all.deleted, l.ai_added_share_percent
        ),
        None => "-".into(),
    };
    [
        c.commits.to_string(),
        c.ai_assisted.to_string(),
        c.ai_share_percent.to_string(),
        c.reviewed.signed.to_string(),
        c.reviewed.bridge.to_string(),
        c.reviewed.trailer.to_string(),
        c.reviewed.none.to_string(),
        c.reviewed_share_percent.to_string(),
        c.exempted.to_string(),
        c.failing.to_string(),
        lines,
    ]
}

/// The sections of the report, each a titled list of (name, counts); authors only when
/// asked (the audit's rows already name them).
pub fn sections(f: &Figures, authors: bool) -> Vec<(String, Vec<(String, &Counts)>)> {
    let unit = match f.by {
        aigate_core::figures::Period::Month => "month",
        aigate_core::figures::Period::Week => "week",
    };
    let mut out = Vec::new();
    let mut periods: Vec<(String, &Counts)> = f
        .periods
        .iter()
        .map(|(k, b)| (k.clone(), &b.totals))
        .collect();
    periods.push(("all".into(), &f.overall.totals));
    out.push((format!("By {unit}"), periods));
    fn named(m: &BTreeMap<String, Counts>) -> Vec<(String, &Counts)> {
        m.iter().map(|(k, c)| (k.clone(), c)).collect()
    }
    out.push((
        "AI-assisted commits by tool".into(),
        named(&f.overall.by_tool),
    ));
    out.push((
        "AI-assisted commits by model family".into(),
        named(&f.overall.by_model),
    ));
    if !f.overall.by_team.is_empty() {
        out.push(("By team".into(), named(&f.overall.by_team)));
    }
    if !f.by_repository.is_empty() {
        out.push(("By repository".into(), named(&f.by_repository)));
    }
    if !authors {
        return out;
    }
    let mut authors = named(&f.by_author);
    authors.sort_by_key(|a| std::cmp::Reverse((a.1.ai_assisted, a.1.commits)));
    if authors.len() > TOP_AUTHORS {
        authors.truncate(TOP_AUTHORS);
        out.push((
            format!("Top {TOP_AUTHORS} authors by AI-assisted commits (all in JSON and CSV)"),
            authors,
        ));
    } else {
        out.push(("By author".into(), authors));
    }
    out
}

/// The figures as aligned text.
pub fn table(out: &mut dyn Write, a: &Adoption) -> io::Result<()> {
    table_of(out, a, true)
}

/// The figures after the audit's rows: by period, tool, model, team and repository.
pub fn table_brief(out: &mut dyn Write, a: &Adoption) -> io::Result<()> {
    table_of(out, a, false)
}

fn table_of(out: &mut dyn Write, a: &Adoption, authors: bool) -> io::Result<()> {
    for (title, rows) in sections(&a.figures, authors) {
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n{title}")?;
        let name_w = rows
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 40);
        write!(out, "{:<name_w$}", "")?;
        for c in COLUMNS {
            write!(out, " {c:>8}")?;
        }
        writeln!(out)?;
        for (name, c) in rows {
            let name = super::terminal_safe(&name).into_owned();
            write!(out, "{name:<name_w$}")?;
            for cell in cells(c) {
                write!(out, " {cell:>8}")?;
            }
            writeln!(out)?;
        }
    }
    Ok(())
}

/// The figures as Markdown tables.
pub fn markdown(out: &mut dyn Write, a: &Adoption) -> io::Result<()> {
    markdown_of(out, a, true)
}

/// The figures after the audit's rows (no authors).
pub fn markdown_brief(out: &mut dyn Write, a: &Adoption) -> io::Result<()> {
    markdown_of(out, a, false)
}

fn markdown_of(out: &mut dyn Write, a: &Adoption, authors: bool) -> io::Result<()> {
    let esc = super::markdown_text;
    for (title, rows) in sections(&a.figures, authors) {
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "\n## {title}\n")?;
        writeln!(out, "| | {} |", COLUMNS.join(" | "))?;
        writeln!(out, "|---{}|", "|---:".repeat(COLUMNS.len()))?;
        for (name, c) in rows {
            writeln!(out, "| {} | {} |", esc(&name), cells(c).join(" | "))?;
        }
    }
    Ok(())
}

/// The CSV of the figures: one row per period and group (`period` is `all` for the whole
/// history; `group` is `total`, `tool`, `model`, `team`, `repository` or `author`).
pub const CSV_HEADER: [&str; 21] = [
    "period",
    "group",
    "name",
    "commits",
    "ai_assisted",
    "ai_share_percent",
    "reviewed_signed",
    "reviewed_bridge",
    "reviewed_trailer",
    "unreviewed",
    "reviewed_share_percent",
    "exempted",
    "failing",
    "files_all",
    "added_all",
    "deleted_all",
    "files_ai",
    "added_ai",
    "deleted_ai",
    "ai_added_share_percent",
    "repository",
];

/// A cell a spreadsheet would not run as a formula.
/// A CSV cell a spreadsheet shows as text: one that starts like a formula (`=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading `'`.
pub(crate) fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

pub fn csv(out: &mut dyn Write, a: &Adoption) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let err = io::Error::other;
    w.write_record(CSV_HEADER).map_err(err)?;
    let f = &a.figures;
    let repo = csv_cell(&a.made.repository);
    let mut row = |period: &str, group: &str, name: &str, c: &Counts| -> io::Result<()> {
        let l = c.lines.unwrap_or_default();
        let n = |v: u64| v.to_string();
        let line_cells: [String; 7] = if c.lines.is_some() {
            [
                n(l.all.files),
                n(l.all.added),
                n(l.all.deleted),
                n(l.ai.files),
                n(l.ai.added),
                n(l.ai.deleted),
                l.ai_added_share_percent.to_string(),
            ]
        } else {
            Default::default()
        };
        let mut rec = vec![
            csv_cell(period),
            group.to_string(),
            csv_cell(name),
            n(c.commits),
            n(c.ai_assisted),
            c.ai_share_percent.to_string(),
            n(c.reviewed.signed),
            n(c.reviewed.bridge),
            n(c.reviewed.trailer),
            n(c.reviewed.none),
            c.reviewed_share_percent.to_string(),
            n(c.exempted),
            n(c.failing),
        ];
        rec.extend(line_cells);
        rec.push(repo.clone());
        w.write_record(&rec).map_err(err)
    };
    let buckets = f
        .periods
        .iter()
        .map(|(k, b)| (k.as_str(), b))
        .chain(std::iter::once(("all", &f.overall)));
    for (period, b) in buckets {
        row(period, "total", "", &b.totals)?;
        for (group, m) in [
            ("tool", &b.by_tool),
            ("model", &b.by_model),
            ("team", &b.by_team),
        ] {
            for (k, c) in m {
                row(period, group, k, c)?;
            }
        }
    }
    for (k, c) in &f.by_repository {
        row("all", "repository", k, c)?;
    }
    for (k, c) in &f.by_author {
        row("all", "author", k, c)?;
    }
    w.flush()
}

/// `--figures`: the figures alone, no rows, in table, Markdown or CSV.
pub struct FiguresOnly<W: Write> {
    pub out: W,
    pub write: fn(&mut dyn Write, &Adoption) -> io::Result<()>,
}

impl<W: Write> super::audit::Sink for FiguresOnly<W> {
    fn row(&mut self, _: &super::audit::Row) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, s: &super::audit::Summary) -> io::Result<()> {
        if let Some(a) = &s.adoption {
            (self.write)(&mut self.out, a)?;
        }
        self.out.flush()
    }
}

/// JSON without rows (`--figures`, and merged reports).
pub struct NoRows(pub Box<dyn super::audit::Sink>);

impl super::audit::Sink for NoRows {
    fn row(&mut self, _: &super::audit::Row) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, s: &super::audit::Summary) -> io::Result<()> {
        self.0.end(s)
    }
}
