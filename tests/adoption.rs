//! Adoption figures on generated repositories with known AI shares: the figures equal an
//! independent count from `git log` (commits and AI-assisted commits per month, by tool and by
//! model, lines and files via `git log --numstat`, teams); reports of three repositories merge
//! into one whose totals are the sum of the parts; the HTML page opens in a real headless
//! browser (Debian's `chromium`; that test is `#[ignore]`d, `.ci/run` runs it where chromium
//! is installed and says SKIPPED where not) with no console errors and with its charts.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Attestation lines the generator writes, and what an independent reader of `git log` makes
/// of each: (marker, tool, model family).
const MARKERS: [(&str, Option<&str>, Option<&str>); 4] = [
    (
        "Co-Authored-By: Claude <noreply@anthropic.com>\nAssisted-by: Claude Code",
        Some("claude-code"),
        None,
    ),
    (
        "Assisted-by: Claude Opus 4.6",
        None,
        Some("anthropic/claude-opus"),
    ),
    (
        "Assisted-by: kiro:claude-sonnet-4.5",
        Some("kiro"),
        Some("anthropic/claude-sonnet"),
    ),
    ("Made-with: Cursor", Some("cursor"), None),
];

/// A repository of `commits` commits on main (from 2026-05-01, ~10 hours apart): human and
/// AI-assisted commits in known proportions, by eight authors; files added, edited, deleted,
/// renamed (exactly and with an edit), binary files, merges of a side branch, a CODEOWNERS.
fn generate(s: &Scratch, name: &str, seed: u64, commits: usize) -> PathBuf {
    let dir = s.path(name);
    s.git_ok(
        s.dir.path(),
        &["init", "-q", "-b", "main", dir.to_str().unwrap()],
    );
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out: Vec<u8> = Vec::new();
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    let mut t: i64 = 1_777_593_600; // 2026-05-01
    let data = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend_from_slice(format!("data {}\n", bytes.len()).as_bytes());
        out.extend_from_slice(bytes);
        out.push(b'\n');
    };
    let mut side_mark: Option<usize> = None;
    for i in 1..=commits {
        t += 3600 * (4 + rng.below(12) as i64);
        let who = 1 + rng.below(8);
        let kind = rng.below(10);
        // Subjects carry markup: the HTML page must show it as text.
        let mut msg =
            format!("change {i} of {name} <script>x</script> & \"q\"\n\nSome body text.\n");
        let mut trailers = Vec::new();
        if (5..9).contains(&kind) {
            trailers.push(MARKERS[(kind - 5) as usize].0.to_string());
            if rng.below(3) > 0 {
                trailers.push(format!("Reviewed-by: Rev {} <rev{}@example.com>", i, i % 5));
            }
        } else if kind == 9 {
            trailers.push("Assisted-by: Jay Satiro".into()); // a person, not a tool
        }
        if !trailers.is_empty() {
            msg.push('\n');
            msg.push_str(&trailers.join("\n"));
            msg.push('\n');
        }
        // Every 25th commit a side branch gets one, merged by the next commit on main.
        if i % 25 == 0 && i > 1 {
            out.extend_from_slice(b"commit refs/heads/side\n");
            out.extend_from_slice(format!("mark :{}\n", 100_000 + i).as_bytes());
            out.extend_from_slice(
                format!("author Side <side@example.com> {t} +0000\ncommitter Side <side@example.com> {t} +0000\n").as_bytes(),
            );
            data(&mut out, format!("side work {i}\n").as_bytes());
            out.extend_from_slice(format!("from :{}\n", i - 1).as_bytes());
            let body = format!("side {i}\nline two\n");
            out.extend_from_slice(format!("M 100644 inline side/{i}.txt\n").as_bytes());
            data(&mut out, body.as_bytes());
            side_mark = Some(100_000 + i);
            t += 60;
        }
        out.extend_from_slice(b"commit refs/heads/main\n");
        out.extend_from_slice(format!("mark :{i}\n").as_bytes());
        out.extend_from_slice(
            format!("author Dev {who} <dev{who}@example.com> {t} +0000\ncommitter Dev {who} <dev{who}@example.com> {t} +0000\n").as_bytes(),
        );
        data(&mut out, msg.as_bytes());
        if i > 1 {
            out.extend_from_slice(format!("from :{}\n", i - 1).as_bytes());
            if let Some(m) = side_mark.take() {
                out.extend_from_slice(format!("merge :{m}\n").as_bytes());
            }
        } else {
            out.extend_from_slice(b"M 100644 inline .github/CODEOWNERS\n");
            data(&mut out, b"/src/ @org/src\n/docs/ @org/docs\n");
        }
        let dirs = ["src", "docs", "misc"];
        let op = if files.len() < 4 { 0 } else { rng.below(7) };
        match op {
            // Add a file.
            0 | 1 => {
                let path = format!("{}/f{i}.txt", dirs[rng.below(3) as usize]);
                let lines: Vec<String> = (0..1 + rng.below(20))
                    .map(|k| format!("line {k} of {i}"))
                    .collect();
                out.extend_from_slice(format!("M 100644 inline {path}\n").as_bytes());
                data(&mut out, (lines.join("\n") + "\n").as_bytes());
                files.push((path, lines));
            }
            // Edit a file: change some lines, append some.
            2 | 3 => {
                let k = rng.below(files.len() as u64) as usize;
                let n = files[k].1.len();
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(n as u64) as usize;
                    files[k].1[at] = format!("edited {i} {at}");
                }
                for a in 0..rng.below(5) {
                    files[k].1.push(format!("appended {i} {a}"));
                }
                out.extend_from_slice(format!("M 100644 inline {}\n", files[k].0).as_bytes());
                data(&mut out, (files[k].1.join("\n") + "\n").as_bytes());
            }
            // Delete a file.
            4 => {
                let k = rng.below(files.len() as u64) as usize;
                let (path, _) = files.remove(k);
                out.extend_from_slice(format!("D {path}\n").as_bytes());
            }
            // Rename a file, sometimes with a small edit, sometimes to another directory.
            5 => {
                let k = rng.below(files.len() as u64) as usize;
                let to = format!("{}/moved{i}.txt", dirs[rng.below(3) as usize]);
                out.extend_from_slice(format!("R {} {to}\n", files[k].0).as_bytes());
                files[k].0 = to.clone();
                if rng.below(2) == 0 {
                    files[k].1.push(format!("after the move {i}"));
                    out.extend_from_slice(format!("M 100644 inline {to}\n").as_bytes());
                    data(&mut out, (files[k].1.join("\n") + "\n").as_bytes());
                }
            }
            // A binary file.
            _ => {
                let mut bin = vec![0u8, 1, 2, 3];
                bin.extend_from_slice(format!("blob {i}\n").as_bytes());
                out.extend_from_slice(format!("M 100644 inline misc/b{i}.bin\n").as_bytes());
                data(&mut out, &bin);
            }
        }
        out.push(b'\n');
    }
    let mut fi = s
        .cmd("git", &dir)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    fi.stdin.take().unwrap().write_all(&out).unwrap();
    assert!(fi.wait().unwrap().success(), "fast-import failed");
    s.git_ok(&dir, &["reset", "-q", "--hard", "main"]);
    dir
}

/// What `git log` says, read without aigate: per month, commits, AI-assisted commits (by the
/// markers), by tool and by model, and lines and files (`--numstat`) of all and AI commits.
#[derive(Default, Debug, PartialEq)]
struct Month {
    commits: u64,
    ai: u64,
    tools: BTreeMap<String, u64>,
    models: BTreeMap<String, u64>,
    all: [u64; 3],
    ai_lines: [u64; 3],
}

fn independent_count(s: &Scratch, dir: &Path) -> BTreeMap<String, Month> {
    let log = s.git_ok(
        dir,
        &[
            "log",
            "main",
            "--numstat",
            "--date=format:%Y-%m",
            "--format=%x01%cd%x02%B%x03",
        ],
    );
    let mut out: BTreeMap<String, Month> = BTreeMap::new();
    for rec in log.split('\x01').skip(1) {
        let (month, rest) = rec.split_once('\x02').unwrap();
        let (msg, stat) = rest.split_once('\x03').unwrap();
        let m = out.entry(month.to_string()).or_default();
        m.commits += 1;
        let hit: Vec<_> = MARKERS.iter().filter(|k| msg.contains(k.0)).collect();
        let ai = !hit.is_empty();
        if ai {
            m.ai += 1;
        }
        for (_, tool, model) in &hit {
            *m.tools
                .entry(tool.unwrap_or("unknown tool").to_string())
                .or_default() += 1;
            *m.models
                .entry(model.unwrap_or("unknown model").to_string())
                .or_default() += 1;
        }
        for l in stat.lines().filter(|l| !l.trim().is_empty()) {
            let f: Vec<&str> = l.split('\t').collect();
            let (a, d) = (f[0].parse().unwrap_or(0), f[1].parse().unwrap_or(0));
            for v in [&mut m.all]
                .into_iter()
                .chain(ai.then_some(&mut m.ai_lines))
            {
                v[0] += 1;
                v[1] += a;
                v[2] += d;
            }
        }
    }
    out
}

fn from_figures(f: &Value) -> BTreeMap<String, Month> {
    let counts = |m: &Value| -> BTreeMap<String, u64> {
        m.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v["commits"].as_u64().unwrap()))
            .collect()
    };
    let diff = |d: &Value| {
        [
            d["files"].as_u64().unwrap(),
            d["added"].as_u64().unwrap(),
            d["deleted"].as_u64().unwrap(),
        ]
    };
    f["periods"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, b)| {
            let t = &b["totals"];
            (
                k.clone(),
                Month {
                    commits: t["commits"].as_u64().unwrap(),
                    ai: t["ai_assisted"].as_u64().unwrap(),
                    tools: counts(&b["by_tool"]),
                    models: counts(&b["by_model"]),
                    all: diff(&t["lines"]["all"]),
                    ai_lines: diff(&t["lines"]["ai"]),
                },
            )
        })
        .collect()
}

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", all(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", all(o)))
}

fn figures_of(s: &Scratch, dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["audit", "--branch", "main", "--format", "json", "--lines"];
    args.extend_from_slice(extra);
    json(&s.aigate(dir, &args))
}

#[test]
fn figures_equal_an_independent_count_from_git_log() {
    let s = Scratch::new();
    for (name, seed) in [("one", 7u64), ("two", 99)] {
        let dir = generate(&s, name, seed, 400);
        let expected = independent_count(&s, &dir);
        let doc = figures_of(&s, &dir, &[]);
        let f = &doc["summary"]["adoption"]["figures"];
        let got = from_figures(f);
        assert_eq!(got, expected, "{name}: per month");
        // Where git cannot run, aigate counts the lines itself, and the same.
        let nogit = s.path("no-git-on-path");
        std::fs::create_dir_all(&nogit).unwrap();
        let o = s
            .cmd(&AIGATE, &dir)
            .env("PATH", &nogit)
            .args(["audit", "--branch", "main", "--format", "json", "--lines"])
            .output()
            .unwrap();
        let own = json(&o);
        assert_eq!(
            from_figures(&own["summary"]["adoption"]["figures"]),
            expected,
            "{name}: per month, counted without git"
        );
        assert!(
            expected.len() >= 3,
            "the history spans several months: {expected:?}"
        );
        let ai: u64 = expected.values().map(|m| m.ai).sum();
        let model_only: u64 = expected
            .values()
            .map(|m| m.tools.get("unknown tool").copied().unwrap_or(0))
            .sum();
        assert!(
            ai > 100 && model_only > 20,
            "{ai} AI, {model_only} model-only"
        );
        assert_eq!(f["overall"]["totals"]["ai_assisted"], ai);
        // The old per-month summary also keeps model-only commits.
        let by_month = &doc["summary"]["by_month_and_tool"];
        let unknown: u64 = by_month
            .as_object()
            .unwrap()
            .values()
            .map(|m| m["unknown tool"].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(unknown, model_only);
        let rows = doc["rows"].as_array().unwrap();
        assert!(rows
            .iter()
            .any(|r| r["attestation"][0] == "Claude Opus 4.6 (model, no tool)"));
    }
}

#[test]
fn weeks_teams_and_reviews_match_git_log() {
    let s = Scratch::new();
    let dir = generate(&s, "teams", 3, 300);
    // Weeks: commits per ISO week as git counts them.
    let doc = figures_of(&s, &dir, &["--by", "week", "--figures"]);
    assert!(
        doc["rows"].as_array().unwrap().is_empty(),
        "--figures: no rows"
    );
    let f = &doc["summary"]["adoption"]["figures"];
    let weeks = s.git_ok(
        &dir,
        &["log", "main", "--date=format:%G-W%V", "--format=%cd"],
    );
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    for w in weeks.lines() {
        *expected.entry(w.to_string()).or_default() += 1;
    }
    let got: BTreeMap<String, u64> = f["periods"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, b)| (k.clone(), b["totals"]["commits"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, expected);

    // Teams from the policy: globs on author emails.
    let policy = s.path("teams.toml");
    std::fs::write(
        &policy,
        "[teams]\nlow = [\"dev[1-4]@example.com\"]\nhigh = [\"dev[5-8]@example.com\"]\n",
    )
    .unwrap();
    let doc = figures_of(&s, &dir, &["--policy", policy.to_str().unwrap()]);
    let teams = &doc["summary"]["adoption"]["figures"]["overall"]["by_team"];
    let authors = s.git_ok(&dir, &["log", "main", "--format=%ae"]);
    let count = |re: &[char]| {
        authors
            .lines()
            .filter(|a| {
                a.strip_prefix("dev")
                    .and_then(|r| r.chars().next())
                    .is_some_and(|c| re.contains(&c))
            })
            .count() as u64
    };
    assert_eq!(teams["low"]["commits"], count(&['1', '2', '3', '4']));
    assert_eq!(teams["high"]["commits"], count(&['5', '6', '7', '8']));
    assert_eq!(
        teams["no team"]["commits"],
        authors.lines().filter(|a| a.starts_with("side")).count() as u64
    );

    // Teams from CODEOWNERS: the owners of the paths each commit changed (merges change none).
    let doc = figures_of(&s, &dir, &["--teams", "codeowners"]);
    let teams = &doc["summary"]["adoption"]["figures"]["overall"]["by_team"];
    let log = s.git_ok(
        &dir,
        &[
            "log",
            "main",
            "--no-renames",
            "--name-only",
            "--format=%x01",
        ],
    );
    let (mut src, mut docs) = (0u64, 0u64);
    for rec in log.split('\x01').skip(1) {
        src += u64::from(rec.lines().any(|p| p.starts_with("src/")));
        docs += u64::from(rec.lines().any(|p| p.starts_with("docs/")));
    }
    assert_eq!(teams["@org/src"]["commits"], src);
    assert_eq!(teams["@org/docs"]["commits"], docs);

    // Reviews: the AI-assisted commits with a typed Reviewed-by, and without.
    let t = &doc["summary"]["adoption"]["figures"]["overall"]["totals"];
    let msgs = s.git_ok(&dir, &["log", "main", "--format=%x01%B"]);
    let ai: Vec<&str> = msgs
        .split('\x01')
        .filter(|m| MARKERS.iter().any(|k| m.contains(k.0)))
        .collect();
    let reviewed = ai.iter().filter(|m| m.contains("Reviewed-by:")).count() as u64;
    assert_eq!(t["reviewed"]["trailer"], reviewed);
    assert_eq!(t["reviewed"]["none"], ai.len() as u64 - reviewed);
    assert_eq!(t["reviewed"]["signed"], 0);
}

#[test]
fn merged_report_of_three_repositories_is_the_sum_of_the_parts() {
    let s = Scratch::new();
    let mut parts = Vec::new();
    let mut files = Vec::new();
    for (name, seed) in [("api", 11u64), ("web", 12), ("infra", 13)] {
        let dir = generate(&s, name, seed, 150);
        let doc = figures_of(&s, &dir, &[]);
        let file = s.path(&format!("{name}.json"));
        std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
        files.push(file.to_str().unwrap().to_string());
        parts.push((name, doc));
    }
    let mut args = vec!["audit", "--format", "json", "--merge"];
    args.extend(files.iter().map(String::as_str));
    let merged = json(&s.aigate(s.dir.path(), &args));
    let m = &merged["summary"]["adoption"]["figures"];
    let sum = |path: &dyn Fn(&Value) -> &Value| -> u64 {
        parts
            .iter()
            .map(|(_, d)| {
                path(&d["summary"]["adoption"]["figures"])
                    .as_u64()
                    .unwrap_or(0)
            })
            .sum()
    };
    for key in ["commits", "ai_assisted", "failing", "exempted"] {
        assert_eq!(
            m["overall"]["totals"][key].as_u64().unwrap(),
            sum(&|f| &f["overall"]["totals"][key]),
            "{key}"
        );
    }
    for side in ["all", "ai"] {
        for key in ["files", "added", "deleted"] {
            assert_eq!(
                m["overall"]["totals"]["lines"][side][key].as_u64().unwrap(),
                sum(&|f| &f["overall"]["totals"]["lines"][side][key]),
                "lines {side} {key}"
            );
        }
    }
    for (period, b) in m["periods"].as_object().unwrap() {
        assert_eq!(
            b["totals"]["commits"].as_u64().unwrap(),
            sum(&|f| &f["periods"][period.as_str()]["totals"]["commits"]),
            "{period}"
        );
        for (tool, c) in b["by_tool"].as_object().unwrap() {
            assert_eq!(
                c["commits"].as_u64().unwrap(),
                sum(&|f| &f["periods"][period.as_str()]["by_tool"][tool.as_str()]["commits"]),
                "{period} {tool}"
            );
        }
    }
    let repos = m["by_repository"].as_object().unwrap();
    assert_eq!(repos.len(), 3);
    for (name, d) in &parts {
        assert_eq!(
            repos[*name]["commits"],
            d["summary"]["adoption"]["figures"]["overall"]["totals"]["commits"]
        );
    }
    assert_eq!(
        merged["summary"]["commits"].as_u64().unwrap(),
        parts
            .iter()
            .map(|(_, d)| d["summary"]["commits"].as_u64().unwrap())
            .sum::<u64>()
    );

    // Any format: the per-repository breakdown is there.
    let mut args = vec!["audit", "--format", "csv", "--merge"];
    args.extend(files.iter().map(String::as_str));
    let o = s.aigate(s.dir.path(), &args);
    assert!(o.status.success(), "{}", all(&o));
    let csv = text(&o.stdout);
    for name in ["api", "web", "infra"] {
        assert!(csv.contains(&format!("all,repository,{name},")), "{csv}");
    }
    // Reports counted by different periods do not merge.
    let dir = s.path("api");
    let weekly = json(&s.aigate(&dir, &["audit", "--format", "json", "--by", "week"]));
    let wfile = s.path("weekly.json");
    std::fs::write(&wfile, serde_json::to_vec(&weekly).unwrap()).unwrap();
    let o = s.aigate(
        s.dir.path(),
        &["audit", "--merge", &files[0], wfile.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(text(&o.stderr).contains("--by"), "{}", all(&o));
}

/// Runs Debian's chromium headless on a file; None (with a note) when it is missing.
fn chromium(args: &[&str], page: &Path) -> Option<std::process::Output> {
    let bin = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })?;
    let url = format!("file://{}", page.display());
    let out = Command::new("timeout")
        .arg("120")
        .arg(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            page.with_extension("profile").display()
        ))
        .args(args)
        .arg(url)
        .output()
        .ok()?;
    Some(out)
}

/// The console messages chromium logged for a page.
fn console_messages(stderr: &[u8]) -> Vec<String> {
    text(stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

#[test]
#[ignore = "needs chromium (apt-get install chromium): .ci/run runs it"]
fn html_page_opens_in_a_headless_browser_with_its_charts() {
    let s = Scratch::new();
    let dir = generate(&s, "page", 5, 200);
    let o = s.aigate(
        &dir,
        &["audit", "--branch", "main", "--lines", "--format", "html"],
    );
    assert!(o.status.success(), "{}", all(&o));
    let html = text(&o.stdout);
    // Self-contained: nothing to fetch, no script.
    for outside in ["<script", "<link", " src=", "@import", "url("] {
        assert!(!html.contains(outside), "the page has {outside}");
    }
    assert!(html.contains("Content-Security-Policy"));
    assert!(
        html.contains("&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;"),
        "failing commits' subjects are shown, escaped"
    );
    assert!(html.contains("@media print") && html.contains("name=\"viewport\""));
    let page = s.path("report.html");
    std::fs::write(&page, &html).unwrap();

    // It runs on request only (`--include-ignored`): a missing browser is a failure that says
    // so, never a silent pass.
    let dom = chromium(&["--dump-dom"], &page)
        .expect("chromium is not installed: apt-get install chromium (.ci/run does), or leave out --include-ignored");
    assert!(dom.status.success(), "{}", all(&dom));
    let errors = console_messages(&dom.stderr);
    assert!(errors.is_empty(), "console messages: {errors:?}");
    let dom = text(&dom.stdout);
    for (chart, series) in [
        (
            "chart-tools",
            &["claude-code", "kiro", "cursor", "unknown tool"][..],
        ),
        (
            "chart-models",
            &[
                "anthropic/claude-opus",
                "anthropic/claude-sonnet",
                "unknown model",
            ][..],
        ),
        (
            "chart-reviews",
            &["signed approval", "typed trailer", "unreviewed"][..],
        ),
        (
            "chart-lines",
            &[
                "lines added by AI-assisted commits",
                "lines added by other commits",
            ][..],
        ),
    ] {
        let start = dom
            .find(&format!("id=\"{chart}\""))
            .unwrap_or_else(|| panic!("{chart} is in the page"));
        let end = start + dom[start..].find("</svg>").expect("the chart's svg ends");
        let svg = &dom[start..end];
        assert!(
            svg.contains("<svg") && svg.contains("role=\"img\""),
            "{chart}"
        );
        for name in series {
            let group = format!("data-series=\"{name}\"");
            let at = svg
                .find(&group)
                .unwrap_or_else(|| panic!("{chart} has the series {name}"));
            let g = &svg[at..at + svg[at..].find("</g>").unwrap()];
            if *name != "signed approval" {
                assert!(g.contains("<rect"), "{chart}: {name} draws bars");
            }
        }
    }

    // A screenshot at a phone's width.
    let shot = s.path("report.png");
    let o = chromium(
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=412,2000",
            "--hide-scrollbars",
        ],
        &page,
    )
    .expect("chromium ran before");
    assert!(o.status.success(), "{}", all(&o));
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    if let Ok(keep) = std::env::var("AIGATE_KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&shot, keep);
    }

    // The console check sees errors when a page has them.
    let bad = s.path("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><p>x</p><script>console.error('boom')</script>",
    )
    .unwrap();
    let o = chromium(&["--dump-dom"], &bad).expect("chromium ran before");
    assert!(
        console_messages(&o.stderr)
            .iter()
            .any(|l| l.contains("boom")),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_signed_approval_counts_as_a_signed_review_and_a_typed_trailer_does_not_under_signed() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let bob = s.keygen("bob");
    std::fs::create_dir_all(work.join(".aigate")).unwrap();
    std::fs::write(
        work.join(".aigate/allowed_signers"),
        s.signer_line("bob@example.com", &bob),
    )
    .unwrap();
    std::fs::write(work.join(".aigate.toml"), "[review]\nverify = \"signed\"\n").unwrap();
    let approved = s.commit(
        &work,
        "a.txt",
        &format!("feat: a\n\n{CLAUDE}\nAssisted-by: claude-code"),
    );
    let o = s.approve(&work, "bob@example.com", &bob, &approved, "main");
    assert!(o.status.success(), "{}", all(&o));
    s.commit(
        &work,
        "b.txt",
        &format!("feat: b\n\n{CLAUDE}\nAssisted-by: claude-code\n{REVIEW}"),
    );
    let doc = json(&s.aigate(
        &work,
        &["audit", "--branch", "main", "--format", "json", "--figures"],
    ));
    let t = &doc["summary"]["adoption"]["figures"]["overall"]["totals"];
    assert_eq!(t["ai_assisted"], 2, "{t}");
    assert_eq!(t["reviewed"]["signed"], 1, "{t}");
    assert_eq!(t["reviewed"]["trailer"], 0, "{t}");
    assert_eq!(t["reviewed"]["none"], 1, "{t}");
    assert_eq!(t["reviewed_share_percent"], 50.0, "{t}");
}

#[test]
fn teams_asked_for_where_there_are_none_is_an_error_that_says_what_to_add() {
    let s = Scratch::new();
    let (_remote, work) = s.remote_and_clone();
    let o = s.aigate(&work, &["audit", "--teams", "policy", "--figures"]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(
        text(&o.stderr).contains("add one to .aigate.toml"),
        "{}",
        all(&o)
    );
    let o = s.aigate(&work, &["audit", "--teams", "codeowners", "--figures"]);
    assert_eq!(o.status.code(), Some(2), "{}", all(&o));
    assert!(
        text(&o.stderr).contains(".github/CODEOWNERS"),
        "{}",
        all(&o)
    );
}
