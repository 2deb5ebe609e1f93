//! `aigate audit`: one row per AI-assisted commit of a history, in every report format, and
//! the adoption figures of the history (`audit_report`).

use super::args::*;
use super::exemption::parse_days;
use super::*;
use aigate::engine::{self, now};
use aigate::exemptions::day_start;
use aigate::git::repo::Repo;
use aigate::report::audit::Sink;
use aigate::report::figures::figure_of;
use aigate::verdict::Target;
use anyhow::{Context, Result};
use std::path::Path;

#[allow(clippy::too_many_arguments)]
pub(crate) fn audit_cmd(
    range: Option<String>,
    branch: Option<String>,
    since: Option<String>,
    until: Option<String>,
    format: Format,
    policy: Option<&Path>,
    rules_from: Option<&str>,
    verify: bool,
    expiring: &str,
    opts: &super::audit_report::FigureOpts,
) -> Result<i32> {
    only(format, &super::audit_report::FORMATS, "audit")?;
    use std::io::IsTerminal;
    // libgit2's object cache is capped per repository handle (one per worker) so memory stays
    // flat however long the history (by default each may grow to 256 MiB); the blast radius's
    // trees rarely repeat, and 8 MiB was as fast as 32 MiB at 100,000 commits. Commits are
    // read once each (aigate::history), so caching them would only cost an insert and an
    // eviction per commit.
    // SAFETY: set before any repository is opened, from this one thread.
    unsafe {
        let _ = git2::opts::set_cache_max_size(8 * 1024 * 1024);
        let _ = git2::opts::set_cache_object_limit(git2::ObjectType::Commit, 0);
        // Pack files are read through memory-mapped windows that count as resident memory;
        // by default libgit2 maps up to 8 GiB in 1 GiB windows, so a whole-history audit
        // ended up holding the whole pack (516 MB at 1,000,000 commits). Smaller windows
        // under a cap keep that part flat.
        let _ = git2::opts::set_mwindow_size(32 * 1024 * 1024);
        let _ = git2::opts::set_mwindow_mapped_limit(128 * 1024 * 1024);
    }
    let repo = open_repo(None)?;
    if repo.git.is_shallow() {
        eprintln!("aigate: warning: this clone is shallow (git clone --depth): the audit covers only the commits it has; for the whole history run: git fetch --unshallow");
    }
    let empty = range.is_none() && branch.is_none() && unborn_head(&repo);
    // One set of rules for every report (aigate::report_rules), named in every format.
    let chosen = aigate::report_rules::report_rules(&repo, policy, rules_from)?;
    let (rules_name, rules_version) = (chosen.name, chosen.version);
    let rules = chosen.rules.with_measures(&repo);
    // What the server decided, read first; only commits without a record are judged now.
    let records = aigate::git::record::Records::load(&repo)?;
    let records = &records;
    let rules_version = &rules_version;
    // `--branch origin/main`: the remote-tracking branch's history, judged for main.
    let branch = branch.map(|b| branch_arg(&repo, &b));
    // Rows are judged against the protected branch the history is for: --branch, else the
    // current branch when it is protected, else the policy's first plain protected branch.
    let refname = match &branch {
        Some((_, target)) => target.clone(),
        None => {
            let current = target_ref(&repo, None, &rules.policy);
            if rules.policy.is_protected(&current) {
                current
            } else {
                first_protected(&rules.policy)
            }
        }
    };
    let spec = range.unwrap_or_else(|| {
        branch
            .map(|(spec, _)| spec)
            .unwrap_or_else(|| "HEAD".into())
    });
    let since = since
        .as_deref()
        .map(|d| day_start(d).with_context(|| format!("--since `{d}` is not a date (YYYY-MM-DD)")))
        .transpose()?;
    let until = until
        .as_deref()
        .map(|d| {
            day_start(d)
                .map(|t| t + 86_400)
                .with_context(|| format!("--until `{d}` is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            anyhow::bail!(
                "--since is after --until: nothing could match (dates are inclusive, YYYY-MM-DD)"
            );
        }
    }
    let days = parse_days(expiring)?;
    let teams = super::audit_report::teams(&repo, &rules, opts.teams, &spec)?;
    // Lines, and the paths CODEOWNERS needs, come from each commit's diff.
    let want_paths = matches!(teams, super::audit_report::Teams::Codeowners(_));
    // Lines are git's own count (`git log --numstat` of each chunk, run by the worker judging
    // it), counted here only where git cannot run or does not list a commit (`git::lines`).
    let git_lines = opts.lines && aigate::git::lines::git_available();
    let native_lines = opts.lines && !git_lines;
    let mut figures = aigate_core::figures::Figures::new(opts.period(), opts.lines, teams.source());
    let mut failing = Vec::new();
    let mut made = super::audit_report::made(
        super::audit_report::repository_name(&repo, opts.name.as_deref()),
        &spec,
        &refname,
        &rules,
    );
    made.policy.insert(0, format!("rules: {rules_name}"));
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink: Box<dyn Sink> =
        super::audit_report::sink_for(format, opts.figures_only, out, engine::POLICY_FILE)?;
    let paths =
        rules.policy.needs_paths() || !rules.exemptions.list.is_empty() || format == Format::Sarif;
    let progress = if std::io::stderr().is_terminal() {
        let p = indicatif::ProgressBar::new_spinner();
        p.set_style(
            indicatif::ProgressStyle::with_template("{spinner} audited {pos} commits in {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        Some(p)
    } else {
        None
    };
    let mut summary = aigate::report::audit::Summary {
        rules: rules_name,
        verify: verify.then(Vec::new),
        ..Default::default()
    };
    let audit_now = now();
    if empty {
        eprintln!("aigate: note: the current branch has no commits yet: nothing to audit");
        summary.finish(&rules.exemptions, now(), days);
        sink.end(&summary)?;
        return Ok(0);
    }
    // The walk stays on this thread; reading and judging commits is spread over worker threads,
    // each with its own repository handle; rows are written in walk order. Bounded channels
    // keep memory flat however long the history.
    enum Out {
        Outside,
        Human(Box<aigate_core::figures::CommitFigure>),
        Ai(
            Box<(
                aigate::report::audit::Row,
                aigate_core::figures::CommitFigure,
            )>,
        ),
    }
    // One more worker than cores: libgit2 serialises parts of object reading behind locks, and
    // a worker waiting there leaves its core to another (measured: 2 cores, 3 workers ~15%
    // faster than 2).
    let workers = std::thread::available_parallelism()
        .map(|n| n.get() + 1)
        .unwrap_or(1)
        .clamp(1, 9);
    let git_dir = repo.git.path().to_path_buf();
    let git_dir = &git_dir;
    let walk_error: std::sync::Mutex<Option<anyhow::Error>> = std::sync::Mutex::new(None);
    let walk_error_ref = &walk_error;
    let spec = &spec;
    const CHUNK: usize = 256;
    let result: Result<()> = std::thread::scope(|scope| {
        let (res_tx, res_rx) =
            std::sync::mpsc::sync_channel::<Result<(u64, Vec<Out>)>>(workers * 2);
        let mut job_txs = Vec::new();
        for _ in 0..workers {
            let (job_tx, job_rx) =
                std::sync::mpsc::sync_channel::<(u64, Vec<aigate::git::history::RawEntry>)>(2);
            job_txs.push(job_tx);
            let res_tx = res_tx.clone();
            let (rules, refname, teams) = (&rules, &refname, &teams);
            scope.spawn(move || {
                let repo = match Repo::open(git_dir) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = res_tx.send(Err(e));
                        return;
                    }
                };
                let odb = match repo.git.odb() {
                    Ok(o) => o,
                    Err(e) => {
                        let _ = res_tx.send(Err(e.into()));
                        return;
                    }
                };
                for (seq, ids) in job_rx {
                    // git's numstat of the chunk's commits within the dates, in one git run.
                    let inside = |d: &Option<Vec<u8>>| {
                        let t = d.as_deref().map(|d| aigate_core::commit::header(d).time());
                        t.is_none_or(|t| {
                            since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u)
                        })
                    };
                    let from_git = if git_lines {
                        let wanted: Vec<git2::Oid> = ids
                            .iter()
                            .filter(|(_, d)| inside(d))
                            .map(|(id, _)| *id)
                            .collect();
                        match aigate::git::lines::git_numstat(git_dir, &wanted) {
                            Ok(m) => m,
                            Err(e) => {
                                let _ = res_tx.send(Err(e));
                                return;
                            }
                        }
                    } else {
                        std::collections::HashMap::new()
                    };
                    let outs: Result<Vec<Out>> = ids
                        .into_iter()
                        .map(|(id, data)| {
                            let data = match data {
                                Some(d) => d,
                                None => aigate::git::repo::read_commit(&odb, id)?.data().to_vec(),
                            };
                            let mut facts = aigate::git::repo::facts_of(id, &data)?;
                            if since.is_some_and(|s| facts.time < s)
                                || until.is_some_and(|u| facts.time >= u)
                            {
                                return Ok(Out::Outside);
                            }
                            facts.notes = repo.notes_of(id);
                            let note = if records.is_empty() {
                                None
                            } else {
                                records.of(&repo, id)
                            };
                            let recorded = note.as_ref().and_then(|n| n.for_ref(refname));
                            // The decision time of an audit is the commit's own time; a
                            // recorded push's options and pusher count again under --verify.
                            let target = Target {
                                refname,
                                push_exemptions: recorded.map_or(&[], |d| &d.push_options[..]),
                                now: facts.time,
                                pusher: recorded.and_then(|d| d.pusher_principal.as_deref()),
                                landing: &[],
                                excluded: &[],
                                landing_notes: &[],
                                forge_merge: false,
                                pr_branch: None,
                            };
                            // Counted here where git is missing or did not list the commit.
                            let own = native_lines || (git_lines && !from_git.contains_key(&id));
                            let (diff, changed) = if own || want_paths {
                                let (d, p) =
                                    aigate::git::lines::numstat(&repo, id, &data, want_paths)?;
                                (own.then_some(d), p)
                            } else {
                                (None, Vec::new())
                            };
                            let diff = diff.or_else(|| from_git.get(&id).copied());
                            let team = teams.of(rules, &facts.author.email, &changed);
                            let v = rules.judge(&facts, &target);
                            let ai = v.ai_assisted || recorded.is_some_and(|d| d.ai_assisted);
                            if !ai {
                                let f = figure_of(&facts, &v, team, diff);
                                return Ok(Out::Human(Box::new(f)));
                            }
                            // A recorded commit is shown as decided; --verify judges it too.
                            let (facts, v) = if recorded.is_none() || verify {
                                rules.finish(&repo, id, facts, v, &target, paths, None)?
                            } else {
                                (facts, v)
                            };
                            let mut f = figure_of(&facts, &v, team, diff);
                            let mut row = aigate::report::audit::Row::new(&facts, &v);
                            row.rules = rules_version.clone();
                            if let Some(d) = recorded {
                                let today = row.verdict;
                                row.apply_record(d, &rules.exemptions, audit_now);
                                if verify && today != row.verdict {
                                    row.today = Some(today);
                                }
                                d.apply_to_figure(&mut f);
                            }
                            Ok(Out::Ai(Box::new((row, f))))
                        })
                        .collect();
                    if res_tx.send(outs.map(|o| (seq, o))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        // Feed chunks round-robin from a producer thread, so this thread can write rows.
        let producer = scope.spawn(move || {
            let walk_repo = match Repo::open(git_dir) {
                Ok(r) => r,
                Err(e) => {
                    *walk_error_ref.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return;
                }
            };
            let walk = match aigate::git::history::walk(&walk_repo, spec) {
                Ok(w) => w,
                Err(e) => {
                    *walk_error_ref.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return;
                }
            };
            let mut chunk = Vec::with_capacity(CHUNK);
            let mut seq = 0u64;
            for entry in walk {
                match entry {
                    Ok(entry) => chunk.push(entry),
                    Err(e) => {
                        *walk_error_ref.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                        break;
                    }
                }
                if chunk.len() == CHUNK {
                    let w = (seq as usize) % job_txs.len();
                    if job_txs[w].send((seq, std::mem::take(&mut chunk))).is_err() {
                        return;
                    }
                    seq += 1;
                }
            }
            if !chunk.is_empty() {
                let w = (seq as usize) % job_txs.len();
                let _ = job_txs[w].send((seq, chunk));
            }
        });
        let mut next = 0u64;
        let mut pending: std::collections::BTreeMap<u64, Vec<Out>> =
            std::collections::BTreeMap::new();
        let mut n = 0u64;
        for msg in res_rx {
            let (seq, outs) = msg?;
            pending.insert(seq, outs);
            while let Some(outs) = pending.remove(&next) {
                next += 1;
                for o in outs {
                    n += 1;
                    match o {
                        Out::Outside => {}
                        Out::Human(f) => {
                            summary.add_commit();
                            figures.add(&f);
                        }
                        Out::Ai(b) => {
                            let (row, f) = *b;
                            summary.add_commit();
                            summary.add(&row);
                            figures.add(&f);
                            aigate::report::html::keep_failing(&mut failing, &row);
                            sink.row(&row)?;
                        }
                    }
                }
                if let Some(p) = &progress {
                    p.set_position(n);
                }
            }
        }
        let _ = producer.join();
        Ok(())
    });
    rules.save_measures();
    result?;
    if let Some(e) = walk_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    summary.finish(&rules.exemptions, now(), days);
    if format != Format::Sarif {
        figures.finish();
        summary.adoption = Some(Box::new(aigate::report::figures::Adoption {
            made,
            figures,
            failing_top: failing,
        }));
    }
    sink.end(&summary)?;
    Ok(0)
}
