//! Adoption figures: per-commit facts in, aggregates out. Per period (month or ISO week) and
//! overall: commits, AI-assisted commits and their share, by tool and by model family, how the
//! AI-assisted commits were reviewed, exempted and failing ones, lines and files by AI-assisted
//! commits against all commits, by author, by team, and (for merged reports) by repository.
//!
//! Pure: the shell reads git (or, later, the server's decision record) and hands each commit in
//! as a [`CommitFigure`]; nothing here reads anything. Memory grows with periods, authors and
//! tools, never with the number of commits. Figures of several repositories merge into one
//! ([`Figures::merge`]) whose totals are the sum of the parts.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The group of AI-assisted commits that name no tool (a model-only attestation such as
/// `Assisted-by: Claude Opus 4.6`): they count here and under their model, never vanish.
pub const UNKNOWN_TOOL: &str = "unknown tool";
/// The group of AI-assisted commits that name no model.
pub const UNKNOWN_MODEL: &str = "unknown model";
/// The group of commits no team claims.
pub const NO_TEAM: &str = "no team";

/// How long one period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// `YYYY-MM`.
    #[default]
    Month,
    /// ISO 8601 week, `YYYY-Www`.
    Week,
}

impl Period {
    /// The period a time (seconds since the epoch, UTC) falls in. A time no calendar can
    /// show falls in `invalid date`.
    pub fn key(self, time: i64) -> String {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(time) else {
            return "invalid date".into();
        };
        match self {
            Period::Month => format!("{:04}-{:02}", t.year(), u8::from(t.month())),
            Period::Week => {
                let (y, w, _) = t.to_iso_week_date();
                format!("{y:04}-W{w:02}")
            }
        }
    }
}

/// How an AI-assisted commit was reviewed (the strongest way that counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewKind {
    /// A signed approval by the reviewer's own key.
    Signed,
    /// A signed approval a forge bridge made from a forge's review (it names a forge login).
    Bridge,
    /// A typed `Reviewed-by:` trailer that counted.
    Trailer,
    /// No review counted.
    #[default]
    None,
}

/// Lines and files a commit changed, as `git log --numstat` counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Diff {
    pub files: u64,
    pub added: u64,
    pub deleted: u64,
}

impl Diff {
    fn add(&mut self, o: &Diff) {
        self.files += o.files;
        self.added += o.added;
        self.deleted += o.deleted;
    }
}

/// What the figures need of one commit. Plain data: the shell fills it from a verdict today,
/// and can fill it from a recorded decision just as well.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitFigure {
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// The author's email.
    pub author: String,
    pub ai_assisted: bool,
    /// Tool ids (detected and attested), each once; empty for a model-only attestation.
    pub tools: Vec<String>,
    /// Model families (`anthropic/claude-opus`), each once.
    pub models: Vec<String>,
    pub reviewed_by_kind: ReviewKind,
    /// Passed only thanks to an exemption.
    pub exempted: bool,
    /// Breaks the policy.
    pub failing: bool,
    /// Teams the commit belongs to (empty: none claims it).
    pub teams: Vec<String>,
    /// Lines and files changed, when counted.
    pub diff: Option<Diff>,
}

/// AI-assisted commits by how they were reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reviewed {
    pub signed: u64,
    pub bridge: u64,
    pub trailer: u64,
    pub none: u64,
}

impl Reviewed {
    /// AI-assisted commits reviewed some way.
    pub fn reviewed(&self) -> u64 {
        self.signed + self.bridge + self.trailer
    }
}

/// Lines and files of all commits and of AI-assisted ones.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Lines {
    pub all: Diff,
    pub ai: Diff,
    /// Share of the added lines that AI-assisted commits added.
    #[serde(default)]
    pub ai_added_share_percent: f64,
}

/// The counts of one group of commits (a period, a tool, an author, a team, a repository).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Counts {
    /// Commits of the group (for a tool or a model: the AI-assisted commits naming it).
    pub commits: u64,
    pub ai_assisted: u64,
    #[serde(default)]
    pub ai_share_percent: f64,
    /// AI-assisted commits by how they were reviewed.
    pub reviewed: Reviewed,
    /// Share of the AI-assisted commits reviewed some way.
    #[serde(default)]
    pub reviewed_share_percent: f64,
    /// AI-assisted commits that passed only thanks to an exemption.
    pub exempted: u64,
    /// AI-assisted commits that break the policy.
    pub failing: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Lines>,
}

/// `part` of `whole` in percent, to one decimal.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

impl Counts {
    fn add(&mut self, c: &CommitFigure) {
        self.commits += 1;
        if let Some(d) = &c.diff {
            let l = self.lines.get_or_insert_with(Lines::default);
            l.all.add(d);
            if c.ai_assisted {
                l.ai.add(d);
            }
        }
        if !c.ai_assisted {
            return;
        }
        self.ai_assisted += 1;
        match c.reviewed_by_kind {
            ReviewKind::Signed => self.reviewed.signed += 1,
            ReviewKind::Bridge => self.reviewed.bridge += 1,
            ReviewKind::Trailer => self.reviewed.trailer += 1,
            ReviewKind::None => self.reviewed.none += 1,
        }
        self.exempted += u64::from(c.exempted);
        self.failing += u64::from(c.failing);
    }

    /// Adds another group's counts (the shares are computed again by `finish`).
    pub fn merge(&mut self, o: &Counts) {
        self.commits += o.commits;
        self.ai_assisted += o.ai_assisted;
        self.reviewed.signed += o.reviewed.signed;
        self.reviewed.bridge += o.reviewed.bridge;
        self.reviewed.trailer += o.reviewed.trailer;
        self.reviewed.none += o.reviewed.none;
        self.exempted += o.exempted;
        self.failing += o.failing;
        if let Some(ol) = &o.lines {
            let l = self.lines.get_or_insert_with(Lines::default);
            l.all.add(&ol.all);
            l.ai.add(&ol.ai);
        }
    }

    fn finish(&mut self, lines: bool) {
        self.ai_share_percent = percent(self.ai_assisted, self.commits);
        self.reviewed_share_percent = percent(self.reviewed.reviewed(), self.ai_assisted);
        if !lines {
            self.lines = None;
        } else {
            let l = self.lines.get_or_insert_with(Lines::default);
            l.ai_added_share_percent = percent(l.ai.added, l.all.added);
        }
    }
}

/// One period, or the whole history: totals and the breakdowns.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Bucket {
    pub totals: Counts,
    /// AI-assisted commits by tool (`unknown tool` when only a model is named).
    pub by_tool: BTreeMap<String, Counts>,
    /// AI-assisted commits by model family (`unknown model` when none is named).
    pub by_model: BTreeMap<String, Counts>,
    /// All commits by team (`no team` when none claims them), when teams are known.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_team: BTreeMap<String, Counts>,
}

impl Bucket {
    fn add(&mut self, c: &CommitFigure, teams: bool) {
        self.totals.add(c);
        if c.ai_assisted {
            let tools: &[String] = &c.tools;
            if tools.is_empty() {
                group(&mut self.by_tool, UNKNOWN_TOOL).add(c);
            }
            for t in tools {
                group(&mut self.by_tool, t).add(c);
            }
            if c.models.is_empty() {
                group(&mut self.by_model, UNKNOWN_MODEL).add(c);
            }
            for m in &c.models {
                group(&mut self.by_model, m).add(c);
            }
        }
        if teams {
            if c.teams.is_empty() {
                group(&mut self.by_team, NO_TEAM).add(c);
            }
            for t in &c.teams {
                group(&mut self.by_team, t).add(c);
            }
        }
    }

    fn merge(&mut self, o: &Bucket) {
        self.totals.merge(&o.totals);
        merge_map(&mut self.by_tool, &o.by_tool);
        merge_map(&mut self.by_model, &o.by_model);
        merge_map(&mut self.by_team, &o.by_team);
    }

    fn finish(&mut self, lines: bool) {
        self.totals.finish(lines);
        for m in [&mut self.by_tool, &mut self.by_model, &mut self.by_team] {
            m.values_mut().for_each(|c| c.finish(lines));
        }
    }
}

fn group<'m>(m: &'m mut BTreeMap<String, Counts>, key: &str) -> &'m mut Counts {
    if !m.contains_key(key) {
        m.insert(key.to_string(), Counts::default());
    }
    m.get_mut(key).expect("inserted above")
}

fn merge_map(into: &mut BTreeMap<String, Counts>, from: &BTreeMap<String, Counts>) {
    for (k, v) in from {
        group(into, k).merge(v);
    }
}

/// Where teams came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TeamSource {
    /// The policy's `[teams]`: globs on author emails.
    Policy,
    /// CODEOWNERS: the owners of the paths a commit changed.
    Codeowners,
}

/// The adoption figures of a history (or of several merged).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Figures {
    /// How long a period is.
    pub by: Period,
    /// Whether lines and files were counted.
    pub lines: bool,
    /// Where teams came from (none: no team breakdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teams: Option<TeamSource>,
    /// The whole history.
    pub overall: Bucket,
    /// Period key (`2026-07`, `2026-W27`) → its bucket, oldest first.
    pub periods: BTreeMap<String, Bucket>,
    /// Author email → counts.
    pub by_author: BTreeMap<String, Counts>,
    /// Repository → its totals (merged reports only).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_repository: BTreeMap<String, Counts>,
}

impl Figures {
    pub fn new(by: Period, lines: bool, teams: Option<TeamSource>) -> Figures {
        Figures {
            by,
            lines,
            teams,
            ..Figures::default()
        }
    }

    /// Counts one commit.
    pub fn add(&mut self, c: &CommitFigure) {
        let teams = self.teams.is_some();
        self.overall.add(c, teams);
        let key = self.by.key(c.time);
        match self.periods.get_mut(&key) {
            Some(b) => b.add(c, teams),
            None => {
                let mut b = Bucket::default();
                b.add(c, teams);
                self.periods.insert(key, b);
            }
        }
        group(&mut self.by_author, &c.author.trim().to_ascii_lowercase()).add(c);
    }

    /// Computes every share; call once all commits (or reports) are in.
    pub fn finish(&mut self) {
        let lines = self.lines;
        self.overall.finish(lines);
        for b in self.periods.values_mut() {
            b.finish(lines);
        }
        for m in [&mut self.by_author, &mut self.by_repository] {
            m.values_mut().for_each(|c| c.finish(lines));
        }
    }

    /// Adds the figures of another repository, named `repository` (a merged report keeps its
    /// own repositories). Lines stay only when every report counted them; teams only when
    /// every report took them from the same source.
    pub fn merge(&mut self, o: &Figures, repository: &str) -> Result<(), String> {
        if self.by != o.by {
            return Err(format!(
                "reports count by different periods ({} and {}): make them all with the same --by",
                period_name(self.by),
                period_name(o.by)
            ));
        }
        let first = self.overall.totals.commits == 0 && self.by_repository.is_empty();
        if first {
            self.lines = o.lines;
            self.teams = o.teams;
        } else {
            self.lines &= o.lines;
            if self.teams != o.teams {
                self.teams = None;
            }
        }
        self.overall.merge(&o.overall);
        for (k, b) in &o.periods {
            self.periods.entry(k.clone()).or_default().merge(b);
        }
        merge_map(&mut self.by_author, &o.by_author);
        if o.by_repository.is_empty() {
            group(&mut self.by_repository, repository).merge(&o.overall.totals);
        } else {
            merge_map(&mut self.by_repository, &o.by_repository);
        }
        if self.teams.is_none() {
            self.overall.by_team.clear();
            self.periods.values_mut().for_each(|b| b.by_team.clear());
        }
        Ok(())
    }
}

fn period_name(p: Period) -> &'static str {
    match p {
        Period::Month => "month",
        Period::Week => "week",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(time: i64, ai: bool, tools: &[&str], models: &[&str]) -> CommitFigure {
        CommitFigure {
            time,
            author: "Ann@Example.com".into(),
            ai_assisted: ai,
            tools: tools.iter().map(|s| s.to_string()).collect(),
            models: models.iter().map(|s| s.to_string()).collect(),
            diff: Some(Diff {
                files: 1,
                added: 10,
                deleted: 2,
            }),
            ..CommitFigure::default()
        }
    }

    const JULY: i64 = 1_782_864_000; // 2026-07-01
    const AUGUST: i64 = 1_785_542_400; // 2026-08-01

    #[test]
    fn periods_are_months_or_iso_weeks() {
        assert_eq!(Period::Month.key(JULY), "2026-07");
        assert_eq!(Period::Week.key(JULY), "2026-W27");
        assert_eq!(Period::Week.key(1_767_225_600), "2026-W01"); // 2026-01-01, a Thursday
        assert_eq!(Period::Month.key(i64::MAX), "invalid date");
    }

    #[test]
    fn a_model_only_attestation_counts_under_its_model_and_unknown_tool() {
        let mut f = Figures::new(Period::Month, true, None);
        f.add(&commit(JULY, true, &[], &["anthropic/claude-opus"]));
        f.add(&commit(JULY + 10, true, &["kiro"], &[]));
        f.add(&commit(JULY + 20, false, &[], &[]));
        f.add(&commit(AUGUST, false, &[], &[]));
        f.finish();
        let july = &f.periods["2026-07"];
        assert_eq!(july.totals.commits, 3);
        assert_eq!(july.totals.ai_assisted, 2);
        assert_eq!(july.totals.ai_share_percent, 66.7);
        assert_eq!(july.by_tool[UNKNOWN_TOOL].commits, 1);
        assert_eq!(july.by_tool["kiro"].commits, 1);
        assert_eq!(july.by_model["anthropic/claude-opus"].commits, 1);
        assert_eq!(july.by_model[UNKNOWN_MODEL].commits, 1);
        assert_eq!(f.periods["2026-08"].totals.ai_assisted, 0);
        assert_eq!(f.overall.totals.commits, 4);
        let l = f.overall.totals.lines.unwrap();
        assert_eq!(l.all.added, 40);
        assert_eq!(l.ai.added, 20);
        assert_eq!(l.ai_added_share_percent, 50.0);
        assert_eq!(f.by_author["ann@example.com"].commits, 4);
    }

    #[test]
    fn reviews_exemptions_and_failures_count_for_ai_commits() {
        let mut f = Figures::new(Period::Month, false, Some(TeamSource::Policy));
        for (kind, exempted, failing) in [
            (ReviewKind::Signed, false, false),
            (ReviewKind::Bridge, false, false),
            (ReviewKind::Trailer, true, false),
            (ReviewKind::None, false, true),
        ] {
            let mut c = commit(JULY, true, &["kiro"], &[]);
            c.reviewed_by_kind = kind;
            c.exempted = exempted;
            c.failing = failing;
            c.teams = vec!["platform".into()];
            f.add(&c);
        }
        f.add(&commit(JULY, false, &[], &[]));
        f.finish();
        let t = &f.overall.totals;
        assert_eq!(
            t.reviewed,
            Reviewed {
                signed: 1,
                bridge: 1,
                trailer: 1,
                none: 1
            }
        );
        assert_eq!(t.reviewed_share_percent, 75.0);
        assert_eq!((t.exempted, t.failing), (1, 1));
        assert!(t.lines.is_none(), "lines only when counted");
        assert_eq!(f.overall.by_team["platform"].commits, 4);
        assert_eq!(f.overall.by_team[NO_TEAM].commits, 1);
    }

    #[test]
    fn merged_figures_are_the_sum_of_the_parts() {
        let mut a = Figures::new(Period::Month, true, None);
        a.add(&commit(JULY, true, &["kiro"], &[]));
        a.add(&commit(AUGUST, false, &[], &[]));
        a.finish();
        let mut b = Figures::new(Period::Month, true, None);
        b.add(&commit(JULY, true, &[], &["anthropic/claude-opus"]));
        b.finish();
        let mut m = Figures::new(Period::Month, true, None);
        m.merge(&a, "a").unwrap();
        m.merge(&b, "b").unwrap();
        m.finish();
        assert_eq!(m.overall.totals.commits, 3);
        assert_eq!(m.overall.totals.ai_assisted, 2);
        assert_eq!(m.periods["2026-07"].totals.commits, 2);
        assert_eq!(m.by_repository["a"].commits, 2);
        assert_eq!(m.by_repository["b"].ai_assisted, 1);
        assert_eq!(m.overall.totals.lines.unwrap().all.added, 30);
        // Merging merged reports keeps their repositories.
        let mut again = Figures::new(Period::Month, true, None);
        again.merge(&m, "ignored").unwrap();
        again.finish();
        assert_eq!(again.by_repository.len(), 2);
        assert_eq!(again.overall.totals, m.overall.totals);
        // Lines only when every part counted them; periods must agree.
        let mut no_lines = Figures::new(Period::Month, false, None);
        no_lines.add(&commit(JULY, false, &[], &[]));
        m.merge(&no_lines, "c").unwrap();
        m.finish();
        assert!(m.overall.totals.lines.is_none());
        let weekly = Figures::new(Period::Week, false, None);
        assert!(m.merge(&weekly, "d").unwrap_err().contains("--by"));
    }

    #[test]
    fn figures_read_back_from_json() {
        let mut f = Figures::new(Period::Week, true, Some(TeamSource::Codeowners));
        f.add(&commit(JULY, true, &["kiro"], &["anthropic/claude-opus"]));
        f.finish();
        let text = serde_json::to_string(&f).unwrap();
        let back: Figures = serde_json::from_str(&text).unwrap();
        assert_eq!(back, f);
    }
}
