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
use std::path::Path;

pub(crate) fn check(
    range: Option<String>,
    branch: Option<String>,
    format: Format,
    policy: Option<&Path>,
) -> Result<i32> {
    let repo = open_repo(None)?;
    let rules = engine::rules_for_worktree(&repo, policy)?;
    let refname = target_ref(&repo, branch.as_deref(), &rules.policy);
    let ids = match &range {
        Some(r) => repo.range(r)?,
        None => {
            let head = repo.commit_id("HEAD")?;
            let hide: Vec<_> = repo
                .refs_where(|n| {
                    let b = n
                        .strip_prefix("refs/remotes/")
                        .and_then(|r| r.split_once('/'))
                        .map(|(_, b)| format!("refs/heads/{b}"));
                    rules.policy.is_protected(n) || b.is_some_and(|b| rules.policy.is_protected(&b))
                })?
                .into_iter()
                .map(|(_, id)| id)
                .collect();
            repo.new_commits(&[head], &hide)?
        }
    };
    let target = Target {
        refname: &refname,
        push_exemptions: &[],
        now: now(),
        pusher: None,
    };
    // SARIF locates findings at a changed file: read paths while judging, not afterwards.
    let sarif = format == Format::Sarif;
    let judged: Vec<_> = ids
        .iter()
        .map(|id| rules.judge_commit(&repo, *id, &target, sarif))
        .collect::<Result<_>>()?;
    let commits = judged.iter().map(|(_, v)| v.clone()).collect();
    let protected = rules.policy.is_protected(&refname) && rules.policy.mode != Mode::Off;
    let rep = RefReport::local(&refname, protected, commits);
    let enforced = rules.policy.mode == Mode::Enforce;
    let reports = [rep];
    match format {
        Format::Json => println!("{}", report::json(&reports, enforced)),
        Format::Sarif => {
            let mut sink =
                aigate::report::audit::Sarif::new(std::io::stdout().lock(), engine::POLICY_FILE)?;
            let mut summary = aigate::report::audit::Summary::default();
            for (facts, c) in &judged {
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
