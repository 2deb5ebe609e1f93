//! What `aigate audit` adds for the adoption report: its options, the output chosen, where
//! teams come from, what made the report, and `--merge` (reports of many repositories, read
//! from their JSON, into one).

use super::args::{By, Format, TeamsFrom};
use aigate::engine::{now, Rules};
use aigate::exemptions::rfc3339;
use aigate::git::repo::Repo;
use aigate::report::audit::{Sink, Summary};
use aigate::report::figures::{self as fig, Adoption, Made};
use aigate_core::figures::{Figures, Period, TeamSource};
use aigate_core::teams::Codeowners;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The adoption options of `aigate audit`.
pub(crate) struct FigureOpts {
    pub by: By,
    pub lines: bool,
    pub teams: Option<TeamsFrom>,
    pub figures_only: bool,
    pub name: Option<String>,
}

impl FigureOpts {
    pub fn period(&self) -> Period {
        match self.by {
            By::Month => Period::Month,
            By::Week => Period::Week,
        }
    }
}

/// The formats `aigate audit` writes.
pub(crate) const FORMATS: [Format; 6] = [
    Format::Table,
    Format::Json,
    Format::Csv,
    Format::Markdown,
    Format::Sarif,
    Format::Html,
];

/// The output for a format: rows and summary, or (`--figures`) the figures alone.
pub(crate) fn sink_for<W: Write + 'static>(
    format: Format,
    figures_only: bool,
    out: W,
    policy_uri: &str,
) -> Result<Box<dyn Sink>> {
    use aigate::report::audit as a;
    Ok(match (format, figures_only) {
        (Format::Json, false) => Box::new(a::Json(out, 0)),
        (Format::Json, true) => Box::new(fig::NoRows(Box::new(a::Json(out, 0)))),
        (Format::Csv, false) => Box::new(a::Csv::new(out)),
        (Format::Csv, true) => Box::new(fig::FiguresOnly {
            out,
            write: fig::csv,
        }),
        (Format::Markdown, false) => Box::new(a::Markdown(out, false)),
        (Format::Markdown, true) => Box::new(fig::FiguresOnly {
            out,
            write: fig::markdown,
        }),
        (Format::Sarif, _) => Box::new(a::Sarif::new(out, policy_uri)?),
        (Format::Html, _) => Box::new(aigate::report::html::Html(out)),
        (_, false) => Box::new(a::Table(out, false)),
        (_, true) => Box::new(fig::FiguresOnly {
            out,
            write: fig::table,
        }),
    })
}

/// Where teams come from for this audit.
pub(crate) enum Teams {
    None,
    Policy,
    Codeowners(Codeowners),
}

impl Teams {
    pub fn source(&self) -> Option<TeamSource> {
        match self {
            Teams::None => None,
            Teams::Policy => Some(TeamSource::Policy),
            Teams::Codeowners(_) => Some(TeamSource::Codeowners),
        }
    }

    /// The teams of one commit, from its author or the paths it changed.
    pub fn of(&self, rules: &Rules, author: &str, paths: &[String]) -> Vec<String> {
        match self {
            Teams::None => Vec::new(),
            Teams::Policy => rules.policy.teams.of_email(author),
            Teams::Codeowners(c) => c.teams_of(paths.iter().map(String::as_str)),
        }
    }
}

/// The places forges read CODEOWNERS from, in their order.
const CODEOWNERS: [&str; 4] = [
    ".github/CODEOWNERS",
    "CODEOWNERS",
    "docs/CODEOWNERS",
    ".gitlab/CODEOWNERS",
];

/// Teams as asked (`--teams`), else the policy's `[teams]` when it has any.
pub(crate) fn teams(
    repo: &Repo,
    rules: &Rules,
    asked: Option<TeamsFrom>,
    spec: &str,
) -> Result<Teams> {
    match asked {
        None if rules.policy.teams.is_empty() => Ok(Teams::None),
        None => Ok(Teams::Policy),
        Some(TeamsFrom::Policy) if rules.policy.teams.is_empty() => bail!(
            "--teams policy: the policy ({}) has no [teams]; add one to {}, e.g.\n  [teams]\n  platform = [\"*@platform.example.com\"]",
            rules.policy.origin,
            aigate::engine::POLICY_FILE
        ),
        Some(TeamsFrom::Policy) => Ok(Teams::Policy),
        Some(TeamsFrom::Codeowners) => {
            let (tips, _) = repo.range_ends(spec)?;
            let tip = *tips
                .first()
                .with_context(|| format!("`{spec}` names no commit"))?;
            for path in CODEOWNERS {
                if let Some(text) = repo.file_at(tip, path)? {
                    return Ok(Teams::Codeowners(Codeowners::parse(
                        &String::from_utf8_lossy(&text),
                    )));
                }
            }
            bail!(
                "--teams codeowners: no CODEOWNERS at {spec} ({}); add one, or name teams in .aigate.toml's [teams] and use --teams policy",
                CODEOWNERS.join(", ")
            )
        }
    }
}

/// The repository's name: `--name`, else its work tree's (or bare git directory's) name.
pub(crate) fn repository_name(repo: &Repo, name: Option<&str>) -> String {
    if let Some(n) = name {
        return n.to_string();
    }
    let dir = repo.workdir().map(Path::to_path_buf).unwrap_or_else(|| {
        let p = repo.git.path();
        if p.file_name().is_some_and(|n| n == ".git") {
            p.parent().unwrap_or(p).to_path_buf()
        } else {
            p.to_path_buf()
        }
    });
    let dir = dir.canonicalize().unwrap_or(dir);
    let n = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    n.strip_suffix(".git").map(str::to_string).unwrap_or(n)
}

/// What made the report: now, this aigate, the repository, the range and the rules.
pub(crate) fn made(repository: String, range: &str, branch: &str, rules: &Rules) -> Made {
    Made {
        generated: rfc3339(now()),
        aigate: env!("CARGO_PKG_VERSION").to_string(),
        repository,
        range: range.to_string(),
        branch: branch
            .strip_prefix("refs/heads/")
            .unwrap_or(branch)
            .to_string(),
        policy: rules
            .policy
            .describe()
            .lines()
            .map(str::to_string)
            .collect(),
        merged: Vec::new(),
    }
}

/// `aigate audit --merge A.json B.json ...`: one report of many repositories, with a
/// breakdown by repository; its totals are the sum of the parts.
pub(crate) fn merge_cmd(files: &[PathBuf], format: Format, opts: &FigureOpts) -> Result<i32> {
    super::only(format, &FORMATS, "audit --merge")?;
    if format == Format::Sarif {
        bail!("`aigate audit --merge` has no --format sarif (a merged report has no rows): use json, csv, markdown, table or html");
    }
    let mut total = Summary::default();
    let mut figures: Option<Figures> = None;
    let mut made = Made {
        generated: rfc3339(now()),
        aigate: env!("CARGO_PKG_VERSION").to_string(),
        ..Made::default()
    };
    let mut failing = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for file in files {
        let text =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let doc: serde_json::Value = serde_json::from_slice(&text).with_context(|| {
            format!(
                "{} is not a JSON report (make one with `aigate audit --format json > report.json`)",
                file.display()
            )
        })?;
        let version = doc.get("schema_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(aigate::report::SCHEMA_VERSION)) {
            bail!(
                "{} has schema_version {:?}, this aigate reads {}: make it again with this aigate (`aigate audit --format json`)",
                file.display(),
                version,
                aigate::report::SCHEMA_VERSION
            );
        }
        let s: Summary = serde_json::from_value(doc.get("summary").cloned().unwrap_or_default())
            .with_context(|| format!("{}: its summary cannot be read", file.display()))?;
        let Some(a) = s.adoption.as_deref() else {
            bail!(
                "{} has no adoption figures: make it again with this aigate (`aigate audit --format json`)",
                file.display()
            );
        };
        // Each repository once under its own name (a second of the same name gets a suffix).
        let base = if a.made.repository.is_empty() {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            a.made.repository.clone()
        };
        let mut name = base.clone();
        let mut k = 2;
        while names.contains(&name) {
            name = format!("{base} ({k})");
            k += 1;
        }
        names.push(name.clone());
        let merged = figures.get_or_insert_with(|| Figures::new(a.figures.by, false, None));
        merged
            .merge(&a.figures, &name)
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        total.commits += s.commits;
        total.ai_assisted += s.ai_assisted;
        total.failing += s.failing;
        total.exempted += s.exempted;
        for (m, tools) in &s.by_month_and_tool {
            let into = total.by_month_and_tool.entry(m.clone()).or_default();
            for (t, n) in tools {
                *into.entry(t.clone()).or_default() += n;
            }
        }
        for (r, n) in &s.findings_by_rule {
            *total.findings_by_rule.entry(r.clone()).or_default() += n;
        }
        for (e, n) in &s.exemptions_used {
            *total
                .exemptions_used
                .entry(format!("{name}: {e}"))
                .or_default() += n;
        }
        for mut e in s.exemptions_expiring.clone() {
            e.id = format!("{name}: {}", e.id);
            total.exemptions_expiring.push(e);
        }
        for mut f in a.failing_top.clone() {
            if f.repository.is_empty() {
                f.repository = name.clone();
            }
            failing.push(f);
        }
        if made.policy.is_empty() {
            made.policy = a.made.policy.clone();
        } else if made.policy != a.made.policy {
            made.policy =
                vec!["(the repositories' policies differ; each report names its own)".into()];
        }
        made.merged.push(file.display().to_string());
    }
    let mut figures = figures.context("--merge needs at least one report")?;
    figures.finish();
    if opts.by == By::Week && figures.by != Period::Week {
        bail!("--by cannot regroup merged reports: make the reports with --by week");
    }
    failing.sort_by(|a, b| b.date.cmp(&a.date));
    failing.truncate(fig::TOP_FAILING);
    total.ai_share_percent = aigate_core::figures::percent(total.ai_assisted, total.commits);
    made.repository = names.join(", ");
    made.range = format!("{} repositories", names.len());
    made.branch = "each report's branch".into();
    total.adoption = Some(Box::new(Adoption {
        made,
        figures,
        failing_top: failing,
    }));
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    // A merged report has no rows: every format shows its figures.
    let mut sink = sink_for(format, true, out, aigate::engine::POLICY_FILE)?;
    sink.end(&total)?;
    Ok(0)
}
