//! Lines and files a commit changed, counted as `git log --numstat` counts them: against the
//! first parent (a root commit, or a shallow clone's oldest, against the empty tree), merges
//! not at all, renames found as git finds them (exact first, then by git's similarity score of
//! at least 50%, a renamed file being one file with the lines its edit changed), binary files
//! (a NUL in the first 8,000 bytes) one file and no lines, a submodule one line
//! (`Subproject commit ...`). Lines come from a Myers line diff (imara-diff), as git's default.
//!
//! The file list comes from the raw tree comparison the blast radius uses
//! (`Repo::tree_changes`): unchanged subtrees are skipped, so the cost follows the change.
//!
//! Line diffs are where two implementations part: git's xdiff discards lines that occur many
//! times in the other file before its Myers search, and so is not minimal, and imara-diff's
//! port of it differs in a few lines per hundred changed (measured on git.git: 3% of commits
//! off by a line or two). So an audit reads git's own count when git is there
//! ([`git_numstat`]: `git log --numstat` of each chunk of the walk, from the worker judging
//! it; the user's diff settings apply as they apply to `git log`), and counts here only where
//! git is missing or did not list a commit.

use crate::git::repo::{read_commit, Repo};
use aigate_core::figures::Diff;
use anyhow::{Context, Result};
use git2::Oid;
use std::collections::HashMap;
use std::io::BufRead;

/// git's rename score scale and its default threshold (50%).
const MAX_SCORE: u64 = 60_000;
const MIN_SCORE: u64 = 30_000;
/// git's `diff.renameLimit`: past (limit × limit) candidate pairs only exact renames count.
const RENAME_LIMIT: usize = 1000;
/// A side larger than this is not line-diffed: its lines all count.
const MAX_DIFF_BYTES: usize = 64 << 20;
/// What git reads to decide a file is binary.
const FIRST_FEW_BYTES: usize = 8000;

/// A commit's numstat and, when asked, the paths it changed (for CODEOWNERS teams). Merges
/// change nothing here, as in `git log --numstat`.
pub fn numstat(repo: &Repo, id: Oid, data: &[u8], want_paths: bool) -> Result<(Diff, Vec<String>)> {
    let h = aigate_core::commit::header(data);
    let parents = crate::git::repo::parse_parents(id, &h)?;
    if parents.len() > 1 {
        return Ok((Diff::default(), Vec::new()));
    }
    let tree = |data: &[u8]| -> Result<Oid> {
        aigate_core::commit::header(data)
            .tree
            .and_then(|t| Oid::from_str(t).ok())
            .with_context(|| {
                format!("commit {id} has no valid tree line (check it with `git fsck`)")
            })
    };
    let odb = repo.git.odb()?;
    let new = tree(data)?;
    let old = match parents.first() {
        Some(&p) => match read_commit(&odb, p) {
            Ok(obj) => Some(tree(obj.data())?),
            // A shallow clone's oldest commit shows as a root, as in git.
            Err(_) if repo.git.is_shallow() => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let changes = repo
        .tree_changes(old, new)
        .with_context(|| format!("cannot compare the trees of commit {id}"))?;
    let paths = if want_paths {
        changes.iter().map(|c| c.path.clone()).collect()
    } else {
        Vec::new()
    };
    let read = |id: &Option<Vec<u8>>, gitlink: bool| -> Result<Option<Vec<u8>>> {
        let Some(raw) = id else { return Ok(None) };
        let oid = Oid::from_bytes(raw)?;
        match odb.read(oid) {
            Ok(o) if !gitlink && o.kind() == git2::ObjectType::Blob => Ok(Some(o.data().to_vec())),
            // A submodule (or anything but a blob) shows as git shows it.
            _ => Ok(Some(format!("Subproject commit {oid}\n").into_bytes())),
        }
    };
    let mut diff = Diff::default();
    // Renames: deleted files as sources, added ones as destinations (empty files are not
    // paired, as in git).
    let empty_id = Oid::hash_object(git2::ObjectType::Blob, b"").ok();
    let empty = |id: &Option<Vec<u8>>| {
        id.is_some() && id.as_deref() == empty_id.as_ref().map(|o| o.as_bytes())
    };
    let srcs: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].new.is_none() && !empty(&changes[i].old))
        .collect();
    let dsts: Vec<usize> = (0..changes.len())
        .filter(|&i| changes[i].old.is_none() && !empty(&changes[i].new))
        .collect();
    let mut paired: HashMap<usize, usize> = HashMap::new(); // dst → src
    if !srcs.is_empty() && !dsts.is_empty() {
        let mut used = vec![false; srcs.len()];
        let basename = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
        for &d in &dsts {
            let mut best: Option<(usize, bool)> = None;
            for (k, &s) in srcs.iter().enumerate() {
                if !used[k] && changes[s].old == changes[d].new {
                    let same = basename(&changes[s].path) == basename(&changes[d].path);
                    if best.is_none_or(|(_, b)| same && !b) {
                        best = Some((k, same));
                    }
                }
            }
            if let Some((k, _)) = best {
                used[k] = true;
                paired.insert(d, srcs[k]);
            }
        }
        let left_d: Vec<usize> = dsts
            .iter()
            .copied()
            .filter(|d| !paired.contains_key(d))
            .collect();
        let left_s: Vec<usize> = (0..srcs.len())
            .filter(|&k| !used[k])
            .map(|k| srcs[k])
            .collect();
        if !left_d.is_empty()
            && !left_s.is_empty()
            && left_d.len() * left_s.len() <= RENAME_LIMIT * RENAME_LIMIT
        {
            let src_data: Vec<Option<Vec<u8>>> = left_s
                .iter()
                .map(|&s| read(&changes[s].old, changes[s].old_gitlink))
                .collect::<Result<_>>()?;
            let src_spans: Vec<HashMap<u32, u64>> = src_data
                .iter()
                .map(|d| spans(d.as_deref().unwrap_or_default()))
                .collect();
            let mut scored: Vec<(u64, bool, usize, usize)> = Vec::new();
            for &d in &left_d {
                let Some(dd) = read(&changes[d].new, false)? else {
                    continue;
                };
                let ds = spans(&dd);
                let mut cands: Vec<(u64, bool, usize, usize)> = Vec::new();
                for (k, &s) in left_s.iter().enumerate() {
                    let sd = src_data[k].as_deref().unwrap_or_default();
                    let score = similarity(sd, &src_spans[k], &dd, &ds);
                    let same = basename(&changes[s].path) == basename(&changes[d].path);
                    cands.push((score, same, d, s));
                }
                cands.sort_by_key(|c| std::cmp::Reverse((c.0, c.1)));
                cands.truncate(4); // git keeps 4 candidates per destination
                scored.extend(cands);
            }
            scored.sort_by_key(|c| std::cmp::Reverse((c.0, c.1)));
            let mut src_used: Vec<usize> = Vec::new();
            for (score, _, d, s) in scored {
                if score < MIN_SCORE {
                    break;
                }
                if paired.contains_key(&d) || src_used.contains(&s) {
                    continue;
                }
                src_used.push(s);
                paired.insert(d, s);
            }
        }
    }
    let renamed_src: std::collections::HashSet<usize> = paired.values().copied().collect();
    for (i, ch) in changes.iter().enumerate() {
        if renamed_src.contains(&i) {
            continue; // counted with its destination
        }
        let (old, new) = match paired.get(&i) {
            Some(&s) => (
                read(&changes[s].old, changes[s].old_gitlink)?,
                read(&ch.new, false)?,
            ),
            None => (read(&ch.old, ch.old_gitlink)?, read(&ch.new, false)?),
        };
        diff.files += 1;
        let (a, b) = (old.unwrap_or_default(), new.unwrap_or_default());
        if is_binary(&a) || is_binary(&b) {
            continue;
        }
        let (added, deleted) = line_diff(&a, &b);
        diff.added += added;
        diff.deleted += deleted;
    }
    Ok((diff, paths))
}

/// Whether git can be run here (for [`git_numstat`]).
pub fn git_available() -> bool {
    std::process::Command::new("git")
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// git's own numstat of some commits (`git log --no-walk=unsorted --numstat --stdin`, each
/// commit against its first parent as `git log --numstat` shows it, merges with none). An
/// audit asks for one chunk of its walk at a time, so git's memory stays that of a chunk.
/// Commits git did not list are missing from the map.
pub fn git_numstat(git_dir: &std::path::Path, ids: &[Oid]) -> Result<HashMap<Oid, Diff>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut child = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_dir)
        .args([
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "--numstat",
            "--no-color",
            "--no-show-signature",
            "--format=%x01%H",
        ])
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot run git log --numstat")?;
    let mut input = String::with_capacity(ids.len() * 41);
    for id in ids {
        input.push_str(&id.to_string());
        input.push('\n');
    }
    // git reads all of its input before it writes: the ids go in whole, then the output is read.
    let mut stdin = child.stdin.take().context("no pipe to git")?;
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(input.as_bytes());
    });
    let reader = std::io::BufReader::with_capacity(
        1 << 16,
        child.stdout.take().context("no pipe from git")?,
    );
    let mut current: Option<(Oid, Diff)> = None;
    for line in reader.split(b'\n') {
        let line = line.context("cannot read git log --numstat")?;
        if let Some(hex) = line.strip_prefix(b"\x01") {
            if let Some((o, d)) = current.take() {
                out.insert(o, d);
            }
            current = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| Oid::from_str(h.trim()).ok())
                .map(|o| (o, Diff::default()));
        } else if let Some((_, d)) = &mut current {
            add_numstat_line(d, &line);
        }
    }
    if let Some((o, d)) = current.take() {
        out.insert(o, d);
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}

/// Adds one `ADDED\tDELETED\tPATH` line (`-\t-` for a binary file) to a commit's count.
fn add_numstat_line(d: &mut Diff, line: &[u8]) {
    let mut f = line.splitn(3, |&b| b == b'\t');
    let (Some(a), Some(r), Some(_)) = (f.next(), f.next(), f.next()) else {
        return;
    };
    let num = |b: &[u8]| {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
    };
    if a == b"-" && r == b"-" {
        d.files += 1;
    } else if let (Some(a), Some(r)) = (num(a), num(r)) {
        d.files += 1;
        d.added += a;
        d.deleted += r;
    }
}

fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(FIRST_FEW_BYTES)].contains(&0)
}

/// Lines added and deleted between two texts, by a Myers diff (git's default algorithm).
fn line_diff(a: &[u8], b: &[u8]) -> (u64, u64) {
    use imara_diff::intern::InternedInput;
    use imara_diff::sink::Counter;
    use imara_diff::sources::byte_lines_with_terminator as byte_lines;
    if a == b {
        return (0, 0);
    }
    if a.len() > MAX_DIFF_BYTES || b.len() > MAX_DIFF_BYTES {
        return (count_lines(b), count_lines(a));
    }
    let input = InternedInput::new(byte_lines(a), byte_lines(b));
    let c = imara_diff::diff(imara_diff::Algorithm::Myers, &input, Counter::new(()));
    (u64::from(c.insertions), u64::from(c.removals))
}

fn count_lines(content: &[u8]) -> u64 {
    let n = content.iter().filter(|&&c| c == b'\n').count() as u64;
    n + u64::from(content.last().is_some_and(|&c| c != b'\n'))
}

/// git's similarity fingerprint of a file (diffcore-delta.c): the bytes of each span (a line,
/// or 64 bytes of one) by the span's hash; a CR before LF does not count in text.
fn spans(data: &[u8]) -> HashMap<u32, u64> {
    const HASHBASE: u32 = 107_927;
    let text = !is_binary(data);
    let mut out: HashMap<u32, u64> = HashMap::new();
    let (mut n, mut a1, mut a2) = (0u64, 0u32, 0u32);
    let mut i = 0;
    while i < data.len() {
        let c = data[i];
        i += 1;
        if text && c == b'\r' && i < data.len() && data[i] == b'\n' {
            continue;
        }
        let old1 = a1;
        a1 = (a1 << 7) ^ (a2 >> 25);
        a2 = (a2 << 7) ^ (old1 >> 25);
        a1 = a1.wrapping_add(u32::from(c));
        n += 1;
        if n < 64 && c != b'\n' {
            continue;
        }
        let h = a1.wrapping_add(a2.wrapping_mul(0x61)) % HASHBASE;
        *out.entry(h).or_default() += n;
        (n, a1, a2) = (0, 0, 0);
    }
    if n > 0 {
        let h = a1.wrapping_add(a2.wrapping_mul(0x61)) % HASHBASE;
        *out.entry(h).or_default() += n;
    }
    out
}

/// git's rename score of `src` → `dst` (0..=60,000; renames need 30,000).
fn similarity(
    src: &[u8],
    src_spans: &HashMap<u32, u64>,
    dst: &[u8],
    dst_spans: &HashMap<u32, u64>,
) -> u64 {
    let (s, d) = (src.len() as u64, dst.len() as u64);
    let (max, base) = (s.max(d), s.min(d));
    if max == 0 || max * (MAX_SCORE - MIN_SCORE) < (max - base) * MAX_SCORE {
        return 0;
    }
    let copied: u64 = src_spans
        .iter()
        .map(|(h, &n)| n.min(dst_spans.get(h).copied().unwrap_or(0)))
        .sum();
    copied * MAX_SCORE / max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_counts_and_binary_files() {
        assert_eq!(line_diff(b"a\nb\nc\n", b"a\nB\nc\nd\n"), (2, 1));
        assert_eq!(line_diff(b"", b"x"), (1, 0));
        assert_eq!(
            line_diff(b"a\n", b"a"),
            (1, 1),
            "a lost final newline is a change"
        );
        assert!(is_binary(b"PNG\0..."));
        assert!(!is_binary(b"text"));
    }

    #[test]
    fn numstat_lines_add_up_as_git_prints_them() {
        let mut d = Diff::default();
        add_numstat_line(&mut d, b"3\t1\tsrc/a.rs");
        add_numstat_line(&mut d, b"-\t-\timg.png");
        add_numstat_line(&mut d, b"0\t0\tsrc/{a.rs => b.rs}");
        add_numstat_line(&mut d, b"not a numstat line");
        assert_eq!(
            d,
            Diff {
                files: 3,
                added: 3,
                deleted: 1
            }
        );
    }

    #[test]
    fn similar_files_score_as_git_scores_them() {
        let a = b"one\ntwo\nthree\nfour\n";
        let b = b"one\ntwo\nthree\nfive\n";
        let s = similarity(a, &spans(a), b, &spans(b));
        assert!((MIN_SCORE..MAX_SCORE).contains(&s), "{s}");
        let c = b"completely\ndifferent\ncontent\nhere\n";
        assert!(similarity(a, &spans(a), c, &spans(c)) < MIN_SCORE);
        assert_eq!(similarity(a, &spans(a), a, &spans(a)), MAX_SCORE);
    }
}
