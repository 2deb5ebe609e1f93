//! `aigate audit --format html`: the adoption report as one self-contained page. No scripts, no
//! fonts, no stylesheets or images from anywhere (a Content-Security-Policy says so to the
//! browser); the charts are inline SVG drawn here. Readable on a phone (fluid layout, tables
//! that scroll sideways) and in print (`@media print`); colours from the Okabe-Ito palette,
//! which colour-blind readers tell apart; every chart has a title, a description and its data
//! as a table. All text from commits and policies is escaped.

use super::audit::{Row, Sink, Summary};
use super::figures::{sections, Adoption, Failing, TOP_FAILING};
use aigate_core::figures::{Counts, Figures};
use std::fmt::Write as _;
use std::io::{self, Write};

/// Okabe & Ito's colour-blind-safe palette (black last).
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// The most tools drawn as their own series; the rest are summed as `other tools`.
const MAX_SERIES: usize = 7;

/// Text made safe inside HTML elements and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// One series of a chart: its name and a value per period.
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    /// Its colour (one of `PALETTE`).
    pub color: &'static str,
}

/// A stacked bar chart, one bar per period, as inline SVG with its data table.
pub fn stacked_bars(
    id: &str,
    title: &str,
    desc: &str,
    periods: &[String],
    series: &[Series],
    unit: &str,
) -> String {
    let (w, h) = (800.0, 280.0);
    let (left, right, top, bottom) = (72.0, 8.0, 16.0, 40.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let n = periods.len().max(1);
    let totals: Vec<f64> = (0..periods.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let max = nice_max(totals.iter().copied().fold(0.0, f64::max));
    let bar = plot_w / n as f64;
    let gap = if bar > 4.0 { bar * 0.15 } else { 0.0 };
    let y = |v: f64| top + plot_h - v / max * plot_h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure class="chart" id="{id}"><svg viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-t {id}-d" preserveAspectRatio="xMidYMid meet"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
    // Axis and grid: 0, half, max.
    for k in 0..=2 {
        let v = max * k as f64 / 2.0;
        let yy = y(v);
        let _ = write!(
            s,
            r#"<line x1="{left}" x2="{}" y1="{yy:.1}" y2="{yy:.1}" class="grid"/><text x="{}" y="{:.1}" class="tick" text-anchor="end">{}{}</text>"#,
            w - right,
            left - 4.0,
            yy + 4.0,
            fmt_num(v),
            esc(unit)
        );
    }
    let every = (n as f64 / 8.0).ceil().max(1.0) as usize;
    for (i, p) in periods.iter().enumerate() {
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{}" class="tick" text-anchor="middle">{}</text>"#,
                left + bar * (i as f64 + 0.5),
                h - bottom + 16.0,
                esc(p)
            );
        }
    }
    let mut base = vec![0.0f64; periods.len()];
    for ser in series {
        let color = ser.color;
        let _ = write!(
            s,
            r#"<g class="series" data-series="{}" fill="{color}">"#,
            esc(&ser.name)
        );
        for (i, p) in periods.iter().enumerate() {
            let v = ser.values.get(i).copied().unwrap_or(0.0);
            if v <= 0.0 {
                continue;
            }
            let (y0, y1) = (y(base[i]), y(base[i] + v));
            base[i] += v;
            let _ = write!(
                s,
                r#"<rect x="{:.2}" y="{y1:.2}" width="{:.2}" height="{:.2}"><title>{}: {} {}{}</title></rect>"#,
                left + bar * i as f64 + gap / 2.0,
                (bar - gap).max(0.5),
                (y0 - y1).max(0.5),
                esc(p),
                esc(&ser.name),
                fmt_num(v),
                esc(unit)
            );
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    // The legend, then the numbers behind the chart.
    s.push_str(r#"<figcaption><ul class="legend">"#);
    for ser in series {
        let _ = write!(
            s,
            r#"<li><span class="swatch" style="background:{}"></span>{}</li>"#,
            ser.color,
            esc(&ser.name)
        );
    }
    s.push_str("</ul></figcaption>");
    let _ = write!(
        s,
        r#"<details><summary>Data of “{}”</summary><div class="scroll"><table><thead><tr><th scope="col">period</th>"#,
        esc(title)
    );
    for ser in series {
        let _ = write!(s, r#"<th scope="col">{}</th>"#, esc(&ser.name));
    }
    s.push_str("</tr></thead><tbody>");
    for (i, p) in periods.iter().enumerate() {
        let _ = write!(s, r#"<tr><th scope="row">{}</th>"#, esc(p));
        for ser in series {
            let _ = write!(
                s,
                "<td>{}</td>",
                fmt_num(ser.values.get(i).copied().unwrap_or(0.0))
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div></details></figure>");
    s
}

/// A round upper bound for an axis (1, 2 or 5 times a power of ten).
fn nice_max(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&m| m >= v)
        .unwrap_or(10.0 * p)
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// The series of an "AI share by tool" (or by model) chart: the commits naming each tool as a
/// share of the period's commits; tools past the first few (by commits) are summed as
/// `other`.
pub fn share_series(
    f: &Figures,
    groups: fn(&aigate_core::figures::Bucket) -> &std::collections::BTreeMap<String, Counts>,
    other: &str,
) -> Vec<Series> {
    let mut names: Vec<(&String, u64)> = groups(&f.overall)
        .iter()
        .map(|(k, c)| (k, c.commits))
        .collect();
    names.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown: Vec<&String> = names.iter().take(MAX_SERIES).map(|t| t.0).collect();
    let share = |b: &aigate_core::figures::Bucket, n: u64| {
        aigate_core::figures::percent(n, b.totals.commits)
    };
    let mut out: Vec<Series> = shown
        .iter()
        .enumerate()
        .map(|(k, t)| Series {
            color: PALETTE[k],
            name: (*t).clone(),
            values: f
                .periods
                .values()
                .map(|b| share(b, groups(b).get(*t).map_or(0, |c| c.commits)))
                .collect(),
        })
        .collect();
    if names.len() > MAX_SERIES {
        out.push(Series {
            color: PALETTE[MAX_SERIES],
            name: other.into(),
            values: f
                .periods
                .values()
                .map(|b| {
                    let n = groups(b)
                        .iter()
                        .filter(|(k, _)| !shown.contains(k))
                        .map(|(_, c)| c.commits)
                        .sum();
                    share(b, n)
                })
                .collect(),
        });
    }
    out
}

/// Reviewed (by kind) and unreviewed AI-assisted commits per period.
pub fn review_series(f: &Figures) -> Vec<Series> {
    let pick = |name: &str, color: &'static str, g: fn(&Counts) -> u64| Series {
        color,
        name: name.into(),
        values: f.periods.values().map(|b| g(&b.totals) as f64).collect(),
    };
    vec![
        pick("signed approval", PALETTE[0], |c| c.reviewed.signed),
        pick("forge bridge", PALETTE[4], |c| c.reviewed.bridge),
        pick("typed trailer", PALETTE[2], |c| c.reviewed.trailer),
        pick("unreviewed", PALETTE[5], |c| c.reviewed.none),
    ]
}

/// Lines added by AI-assisted commits and by the others, per period.
pub fn line_series(f: &Figures) -> Vec<Series> {
    let lines = |b: &aigate_core::figures::Bucket| b.totals.lines.unwrap_or_default();
    vec![
        Series {
            color: PALETTE[0],
            name: "lines added by AI-assisted commits".into(),
            values: f
                .periods
                .values()
                .map(|b| lines(b).ai.added as f64)
                .collect(),
        },
        Series {
            color: PALETTE[1],
            name: "lines added by other commits".into(),
            values: f
                .periods
                .values()
                .map(|b| (lines(b).all.added - lines(b).ai.added) as f64)
                .collect(),
        },
    ]
}

const STYLE: &str = r#"
:root{--fg:#111;--bg:#fff;--muted:#555;--line:#ccc}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;padding:1rem;max-width:70rem}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid var(--line)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem;margin:1rem 0}
.kpi{border:1px solid var(--line);border-radius:.4rem;padding:.6rem}.kpi b{display:block;font-size:1.5rem}
.chart{margin:1rem 0}.chart svg{width:100%;height:auto;display:block}
.grid{stroke:var(--line);stroke-width:1}.tick{font-size:15px;fill:var(--muted)}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1rem;margin:.3rem 0}
.swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.35rem;vertical-align:-.1rem;border:1px solid #0003}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
th,td{padding:.25rem .5rem;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td.text{text-align:left}td.text{white-space:normal;min-width:12rem}
code{font-size:.85rem;overflow-wrap:anywhere}
.note{color:var(--muted)}
footer{margin-top:2rem;font-size:.85rem;color:var(--muted)}
@media (max-width:40rem){body{padding:.5rem;font-size:15px}h1{font-size:1.3rem}.tick{font-size:24px}}
@media print{body{max-width:none;padding:0;font-size:11pt}.chart,table,.kpis{break-inside:avoid}details{display:none}a{color:inherit}h2{break-after:avoid}}
"#;

/// The whole page.
pub fn page(s: &Summary, a: &Adoption) -> String {
    let f = &a.figures;
    let mut h = String::new();
    let title = if a.made.repository.is_empty() {
        "AI adoption report".to_string()
    } else {
        format!("AI adoption report: {}", a.made.repository)
    };
    let _ = write!(
        h,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>{}</title><style>{STYLE}</style></head><body><header><h1>{}</h1><p class="note">{} · judged for {} · made {} by aigate {}</p></header><main>"#,
        esc(&title),
        esc(&title),
        esc(&a.made.range),
        esc(&a.made.branch),
        esc(&a.made.generated),
        esc(&a.made.aigate)
    );
    let t = &f.overall.totals;
    h.push_str(r#"<section aria-label="Totals"><div class="kpis">"#);
    let mut kpi = |label: &str, value: String| {
        let _ = write!(
            h,
            r#"<div class="kpi"><b>{}</b>{}</div>"#,
            esc(&value),
            esc(label)
        );
    };
    kpi("commits", t.commits.to_string());
    kpi(
        "AI-assisted commits",
        format!("{} ({}%)", t.ai_assisted, t.ai_share_percent),
    );
    kpi("of them reviewed", format!("{}%", t.reviewed_share_percent));
    kpi("failing the policy now", t.failing.to_string());
    kpi("passed on an exemption", t.exempted.to_string());
    if let Some(l) = &t.lines {
        kpi(
            "lines added by AI-assisted commits",
            format!("{} ({}%)", l.ai.added, l.ai_added_share_percent),
        );
    }
    h.push_str("</div></section>");

    let periods: Vec<String> = f.periods.keys().cloned().collect();
    let unit = match f.by {
        aigate_core::figures::Period::Month => "month",
        aigate_core::figures::Period::Week => "week",
    };
    h.push_str(r#"<section><h2>AI share over time, by tool and by model</h2>"#);
    h.push_str(&stacked_bars(
        "chart-tools",
        &format!("Share of commits naming each AI tool, per {unit}"),
        "Stacked bars: for each period, the percentage of its commits that name each tool (a commit naming two tools counts under each; a model named without a tool counts under “unknown tool”).",
        &periods,
        &share_series(f, |b| &b.by_tool, "other tools"),
        "%",
    ));
    h.push_str(&stacked_bars(
        "chart-models",
        &format!("Share of commits naming each model family, per {unit}"),
        "Stacked bars: for each period, the percentage of its commits that name each model family (“unknown model” when an AI-assisted commit names none).",
        &periods,
        &share_series(f, |b| &b.by_model, "other models"),
        "%",
    ));
    h.push_str("</section>");
    h.push_str(r#"<section><h2>Reviewed and unreviewed AI-assisted commits</h2>"#);
    h.push_str(&stacked_bars(
        "chart-reviews",
        &format!("AI-assisted commits per {unit}, by how they were reviewed"),
        "Stacked bars: AI-assisted commits reviewed by a signed approval, by an approval a forge bridge made, by a typed Reviewed-by trailer, or not at all.",
        &periods,
        &review_series(f),
        "",
    ));
    h.push_str("</section>");
    h.push_str(r#"<section><h2>Lines added: AI-assisted and other commits</h2>"#);
    if f.lines {
        h.push_str(&stacked_bars(
            "chart-lines",
            &format!("Lines added per {unit}, by AI-assisted commits and by the others"),
            "Stacked bars: lines added (as git log --numstat counts them) by AI-assisted commits and by all other commits.",
            &periods,
            &line_series(f),
            "",
        ));
    } else {
        h.push_str(r#"<p class="note">Lines were not counted: run <code>aigate audit --lines --format html</code>.</p>"#);
    }
    h.push_str("</section>");

    for (title, rows) in sections(f, true).into_iter().skip(1) {
        if rows.is_empty() {
            continue;
        }
        let _ = write!(h, "<section><h2>{}</h2>", esc(&title));
        counts_table(&mut h, &rows, f.lines);
        h.push_str("</section>");
    }

    h.push_str("<section><h2>Exemptions</h2>");
    if s.exemptions_used.is_empty() {
        h.push_str(r#"<p class="note">No commit used an exemption.</p>"#);
    } else {
        h.push_str(r#"<div class="scroll"><table><thead><tr><th scope="col">exemption in use</th><th scope="col">commits</th></tr></thead><tbody>"#);
        for (id, n) in &s.exemptions_used {
            let _ = write!(
                h,
                r#"<tr><th scope="row">{}</th><td>{n}</td></tr>"#,
                esc(id)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    if s.exemptions_expiring.is_empty() {
        h.push_str(r#"<p class="note">No exemption expires soon.</p>"#);
    } else {
        h.push_str(r#"<div class="scroll"><table><thead><tr><th scope="col">expiring soon</th><th scope="col">tools</th><th scope="col">expires</th><th scope="col">ticket</th></tr></thead><tbody>"#);
        for e in &s.exemptions_expiring {
            let _ = write!(
                h,
                r#"<tr><th scope="row">{}</th><td class="text">{}</td><td>{}</td><td class="text">{}</td></tr>"#,
                esc(&e.id),
                esc(&e.tools.join(", ")),
                esc(&e.expires),
                esc(&e.ticket)
            );
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");

    h.push_str("<section><h2>Failing commits and their fix</h2>");
    if a.failing_top.is_empty() {
        h.push_str(r#"<p class="note">No AI-assisted commit fails the policy.</p>"#);
    } else {
        let _ = write!(
            h,
            r#"<p class="note">The newest {} of {} failing AI-assisted commits.</p><div class="scroll"><table><thead><tr><th scope="col">commit</th><th scope="col">date</th><th scope="col">author</th><th scope="col">finding</th><th scope="col">fix</th></tr></thead><tbody>"#,
            a.failing_top.len(),
            t.failing
        );
        for c in &a.failing_top {
            failing_rows(&mut h, c);
        }
        h.push_str("</tbody></table></div>");
    }
    h.push_str("</section>");

    h.push_str("<footer><h2>How this was made</h2><p>");
    let _ = write!(
        h,
        "Made {} by aigate {}, from {} judged for {}.",
        esc(&a.made.generated),
        esc(&a.made.aigate),
        esc(&a.made.range),
        esc(&a.made.branch)
    );
    if !a.made.merged.is_empty() {
        let _ = write!(
            h,
            " Merged from {} reports: {}.",
            a.made.merged.len(),
            esc(&a.made.merged.join(", "))
        );
    }
    h.push_str(" History already on the branch was accepted when it was pushed: “failing” means it breaks the rules below as judged now.</p>");
    let _ = write!(
        h,
        "<p>Decided by the server (its decision record, refs/notes/aigate): {} AI-assisted commit(s), as recorded; re-judged now: {}.</p>",
        s.decided_by_server, s.re_judged
    );
    if !a.made.policy.is_empty() {
        let _ = write!(
            h,
            "<p>The rules that judged it:</p><pre>{}</pre>",
            esc(&a.made.policy.join("\n"))
        );
    }
    h.push_str("</footer></main></body></html>\n");
    h
}

fn counts_table(h: &mut String, rows: &[(String, &Counts)], lines: bool) {
    h.push_str(r#"<div class="scroll"><table><thead><tr><th scope="col">name</th><th scope="col">commits</th><th scope="col">AI-assisted</th><th scope="col">AI share</th><th scope="col">reviewed</th><th scope="col">signed</th><th scope="col">bridge</th><th scope="col">trailer</th><th scope="col">unreviewed</th><th scope="col">exempted</th><th scope="col">failing</th>"#);
    if lines {
        h.push_str(r#"<th scope="col">AI lines +/−</th><th scope="col">all lines +/−</th>"#);
    }
    h.push_str("</tr></thead><tbody>");
    for (name, c) in rows {
        let _ = write!(
            h,
            r#"<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}%</td><td>{}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"#,
            esc(name),
            c.commits,
            c.ai_assisted,
            c.ai_share_percent,
            c.reviewed_share_percent,
            c.reviewed.signed,
            c.reviewed.bridge,
            c.reviewed.trailer,
            c.reviewed.none,
            c.exempted,
            c.failing
        );
        if lines {
            let l = c.lines.unwrap_or_default();
            let _ = write!(
                h,
                "<td>+{}/−{}</td><td>+{}/−{}</td>",
                l.ai.added, l.ai.deleted, l.all.added, l.all.deleted
            );
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
}

fn failing_rows(h: &mut String, c: &Failing) {
    let n = c.findings.len().max(1);
    let commit = if c.repository.is_empty() {
        aigate_core::short_id(&c.commit).to_string()
    } else {
        format!("{} {}", c.repository, aigate_core::short_id(&c.commit))
    };
    for (i, f) in c.findings.iter().enumerate() {
        h.push_str("<tr>");
        if i == 0 {
            let _ = write!(
                h,
                r#"<th scope="row" rowspan="{n}"><code>{}</code><br><span class="note">{}</span></th><td rowspan="{n}">{}</td><td rowspan="{n}" class="text">{}</td>"#,
                esc(&commit),
                esc(&c.summary),
                esc(&c.date),
                esc(&c.author)
            );
        }
        let _ = write!(
            h,
            r#"<td class="text">{}: {}</td><td class="text"><code>{}</code></td></tr>"#,
            esc(&f.rule),
            esc(&f.message),
            esc(&f.fix)
        );
    }
}

/// The page as an audit output: keeps the failing rows it needs, writes the page at the end.
pub struct Html<W: Write>(pub W);

impl<W: Write> Sink for Html<W> {
    fn row(&mut self, _: &Row) -> io::Result<()> {
        Ok(())
    }

    fn end(&mut self, s: &Summary) -> io::Result<()> {
        let a = s.adoption.as_deref().cloned().unwrap_or_default();
        self.0.write_all(page(s, &a).as_bytes())?;
        self.0.flush()
    }
}

/// Keeps the newest failing commits for the report (rows arrive newest first).
pub fn keep_failing(list: &mut Vec<Failing>, row: &Row) {
    if row.verdict == "fail" && list.len() < TOP_FAILING {
        list.push(Failing::of(row));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_axes_are_round() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(37.0), 50.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(nice_max(101.0), 200.0);
    }

    #[test]
    fn a_chart_has_a_title_a_description_and_one_group_per_series() {
        let svg = stacked_bars(
            "c",
            "T <1>",
            "D",
            &["2026-07".into(), "2026-08".into()],
            &[
                Series {
                    name: "kiro".into(),
                    values: vec![1.0, 2.0],
                    color: PALETTE[0],
                },
                Series {
                    name: "unknown tool".into(),
                    values: vec![0.0, 3.0],
                    color: PALETTE[1],
                },
            ],
            "%",
        );
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"c-t\">T &lt;1&gt;</title>"));
        assert!(svg.contains(r#"data-series="kiro""#));
        assert!(svg.contains(r#"data-series="unknown tool""#));
        assert_eq!(svg.matches("<rect").count(), 3, "zero values draw nothing");
    }
}
