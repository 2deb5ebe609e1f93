//! `aigate check [RANGE]`: CI mode. Judges the commits of a range against the branch they are
//! headed to and prints them in the chosen format.

use super::args::*;
use super::*;
use aigate::engine::{self, now};
use aigate::policy::Mode;
use aigate::report::audit::Sink;
use aigate::report::{self, RefReport};
use aigate::verdict::Target;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

pub(crate) fn check(
    range: Option<String>,
    branch: Option<String>,
    format: Format,
    policy: Option<&Path>,
    rules_from: Option<&str>,
) -> Result<i32> {
    only(
        format,
        &[Format::Human, Format::Json, Format::Sarif],
        "check",
    )?;
    let repo = open_repo(None)?;
    let (rules, rules_name) = match rules_from {
        // CI: the rules of the branch the change goes to, not those the change brings.
        Some(rev) => {
            let at = if aigate::git::is_zero(rev) {
                None
            } else {
                match repo.commit_id(rev) {
                    Ok(c) => Some(c),
                    Err(_) if rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) => None,
                    Err(e) => return Err(e),
                }
            };
            // A new branch or a force push has no base here: the rules of the branch it goes
            // to as the remote has it, else of the remote's default branch, but never a commit
            // that holds what is being judged (on a push event the remote-tracking branch is
            // the pushed tip itself), and never the (looser) built-in default instead.
            let at = match at {
                Some(c) => Some(c),
                None => {
                    // The pushed branch's own remote-tracking ref is the pushed tip on a push
                    // event: never read rules there (nor through origin/HEAD pointing at it).
                    let pushed = branch
                        .clone()
                        .or_else(|| std::env::var("GITHUB_REF_NAME").ok())
                        .or_else(|| std::env::var("CI_COMMIT_BRANCH").ok())
                        .map(|b| {
                            format!(
                                "refs/remotes/origin/{}",
                                b.trim_start_matches("refs/heads/")
                            )
                        });
                    let candidates: Vec<String> = ["HEAD", "main", "master"]
                        .map(|b| format!("refs/remotes/origin/{b}"))
                        .into_iter()
                        .filter(|r| {
                            Some(repo.resolve_symref(r)) != pushed && Some(r) != pushed.as_ref()
                        })
                        .collect();
                    let fallback = candidates
                        .iter()
                        .find_map(|r| repo.commit_id(r).ok().map(|c| (r.clone(), c)));
                    let others = repo.refs_where(|n| {
                        n.starts_with("refs/remotes/origin/")
                            && Some(n) != pushed.as_deref()
                            && n != "refs/remotes/origin/HEAD"
                    })?;
                    match &fallback {
                        Some((r, _)) => eprintln!("aigate: note: --rules-from `{}` names no commit here (a new branch or a force push); the rules at {r} apply (never the pushed branch's own)", engine::short(rev)),
                        // The repository's first push: no rules existed before it.
                        None if aigate::git::is_zero(rev) && others.is_empty() => eprintln!("aigate: note: the first push to this repository: no rules were in force before it, the built-in default applies"),
                        None => anyhow::bail!(
                            "--rules-from `{}` names no commit here (a force push?), and this clone has no branch from before the push to read the rules in force from (the pushed branch's own tip holds the commits being judged). Fetch the old tip (git fetch origin {rev}), or pass --rules-from with a commit from before the push",
                            engine::short(rev)
                        ),
                    }
                    fallback.map(|(_, c)| c)
                }
            };
            let mut rules = engine::rules_at(&repo, at)?;
            rules.approvals_tip = repo.approvals_tip();
            let name = match at {
                Some(c) => format!(
                    "rules at {} ({})",
                    engine::short(&c.to_string()),
                    rules.policy.origin
                ),
                None => format!("rules: {}", rules.policy.origin),
            };
            (rules, name)
        }
        // One set of rules for every report: the governing rules in a bare repository, the
        // remote protected branch's in a clone (aigate::report_rules).
        None => {
            let r = aigate::report_rules::report_rules(&repo, policy, None)?;
            (r.rules, r.name)
        }
    };
    let refname = target_ref(&repo, branch.as_deref(), &rules.policy);
    // Commits of `tip` not on a protected branch (local or remote-tracking); `except`: the
    // target branch itself does not count (a push event has already moved it).
    type Ends = (Vec<git2::Oid>, Vec<git2::Oid>);
    let not_on_protected = |tip: git2::Oid, except: Option<&str>| -> Result<Ends> {
        let hide: Vec<_> = repo
            .refs_where(|n| {
                let b = n
                    .strip_prefix("refs/remotes/")
                    .and_then(|r| r.split_once('/'))
                    .map(|(_, b)| format!("refs/heads/{b}"));
                let name = b.clone().unwrap_or_else(|| n.to_string());
                if except == Some(name.as_str()) {
                    return false;
                }
                rules.policy.is_protected(n) || b.is_some_and(|b| rules.policy.is_protected(&b))
            })?
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        Ok((vec![tip], hide))
    };
    let t0 = std::time::Instant::now();
    let (tips, hide) = match &range {
        Some(r) => match r.split_once("..").filter(|(_, to)| !to.starts_with('.')) {
            // A push that created the branch (GitHub's `before` is all zeros) or rewrote it
            // (the old tip is not in this clone): its commits not on another protected branch.
            Some((from, to))
                if aigate::git::is_zero(from)
                    || (from.len() == 40
                        && from.bytes().all(|b| b.is_ascii_hexdigit())
                        && repo.commit_id(from).is_err()) =>
            {
                let tip = repo.commit_id(if to.is_empty() { "HEAD" } else { to })?;
                eprintln!(
                    "aigate: note: base `{}` is {}; checking the commits of {} that are on no other protected branch",
                    engine::short(from),
                    if aigate::git::is_zero(from) { "empty (a new branch)" } else { "not in this clone (a force push?)" },
                    engine::short(&tip.to_string())
                );
                not_on_protected(tip, Some(&refname))?
            }
            _ => repo.range_ends(r)?,
        },
        // A brand-new repository (its first CI run) has nothing to check yet.
        None if unborn_head(&repo) => {
            eprintln!("aigate: note: the current branch has no commits yet: nothing to check");
            (Vec::new(), Vec::new())
        }
        None => not_on_protected(repo.commit_id("HEAD")?, None)?,
    };
    // A range FROM..TO onto a protected branch is a landing (a push event's before..sha, or a
    // pull request's base..head): an approved change covers it however it was merged.
    let (landing, landing_notes) = match range.as_deref().and_then(|r| r.split_once("..")) {
        Some((from, to)) if !from.is_empty() && !to.starts_with('.') => {
            let to = if to.is_empty() { "HEAD" } else { to };
            match (repo.commit_id(from), repo.commit_id(to)) {
                (Ok(f), Ok(t)) if rules.policy.is_protected(&refname) => {
                    rules.landing(&repo, &refname, f, t, &[])?
                }
                _ => (Vec::new(), Vec::new()),
            }
        }
        _ => (Vec::new(), Vec::new()),
    };
    let target = Target {
        refname: &refname,
        push_exemptions: &[],
        now: now(),
        pusher: None,
        landing: &landing,
        excluded: &[],
        landing_notes: &landing_notes,
        forge_merge: false,
        pr_branch: None,
    };
    // SARIF locates findings at a changed file: read paths while judging, not afterwards.
    let sarif = format == Format::Sarif;
    let judged: Vec<_> = if sarif {
        aigate::git::history::new_commits(&repo, &tips, &hide, None)?
            .iter()
            .map(|(id, _)| rules.judge_commit(&repo, *id, &target, true))
            .collect::<Result<_>>()?
    } else {
        // Verdicts alone: judged on every core while the walk goes on.
        rules
            .judge_while_walking(&repo, &target, &Default::default(), |found| {
                aigate::git::history::new_commits_with(&repo, &tips, &hide, None, found)
            })?
            .into_iter()
            .map(|v| (aigate::verdict::CommitFacts::default(), v))
            .collect()
    };
    if std::env::var_os("AIGATE_TIMINGS").is_some() {
        eprintln!(
            "aigate: timings: walk and judge {:?} ({} commits)",
            t0.elapsed(),
            judged.len()
        );
    }
    let (facts, mut commits): (Vec<_>, Vec<_>) = judged.into_iter().unzip();
    let protected = rules.policy.is_protected(&refname) && rules.policy.mode != Mode::Off;
    if !rules.policy.is_protected(&refname) {
        let bound = aigate::advice::bound_for(&repo, &rules.policy, &refname);
        aigate::advice::retarget(&mut commits, &refname, &bound);
    }
    let rep = RefReport::local(&refname, protected, commits);
    let enforced = rules.policy.mode == Mode::Enforce;
    let reports = [rep];
    match format {
        Format::Json => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut doc: serde_json::Value =
                serde_json::from_str(&report::json(&reports, enforced))?;
            if let Some(o) = doc.as_object_mut() {
                o.insert("rules".into(), rules_name.clone().into());
            }
            writeln!(out, "{doc}")?;
            out.flush()?;
        }
        Format::Sarif => {
            let mut sink =
                aigate::report::audit::Sarif::new(std::io::stdout().lock(), engine::POLICY_FILE)?;
            let mut summary = aigate::report::audit::Summary {
                rules: rules_name.clone(),
                ..Default::default()
            };
            for (facts, c) in facts.iter().zip(&reports[0].commits) {
                summary.add_commit();
                if c.ai_assisted || !c.passed() {
                    let row = aigate::report::audit::Row::new(facts, c);
                    summary.add(&row);
                    sink.row(&row)?;
                }
            }
            summary.finish(&rules.exemptions, now(), 14);
            sink.end(&summary)?;
        }
        _ => {
            print!(
                "{}",
                report::human(&reports, enforced, "", &rules.policy.origin)
            );
            println!("{}", report::summarize(&reports));
            println!("rules: {rules_name}");
        }
    }
    Ok(
        if enforced && reports[0].protected && reports[0].blocked() {
            1
        } else {
            0
        },
    )
}
