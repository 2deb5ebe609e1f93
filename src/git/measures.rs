//! Blast-radius measurements kept where they were made: a file of the repository's own git
//! directory (`aigate/measures`), written by the server's hook as it judges a push and by
//! audits, read by later audits so that each commit's trees are compared once.
//!
//! Why this can be trusted: a measurement is a fact about commit objects (what the commit
//! changed against its first parent), so it holds whether or not the push that brought the
//! commit landed; the file lives in the git directory, which no pusher can write (git's
//! protocols write objects and refs, never files there). Each line carries the settings the
//! measurement depends on (`agents.blast_radius.max_deleted_percent` and `guarded_paths`, and
//! the measuring method's version): under any other settings a commit is measured again. A
//! line that does not parse is ignored; a file that cannot be written costs only speed.

use crate::git::repo::Repo;
use crate::policy::Policy;
use crate::verdict::Blast;
use git2::Oid;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

/// The method's version: bump it when `Repo::blast` measures differently.
const VERSION: &str = "m1";
/// The largest measures file read (about ten million measured commits).
const MAX_READ: u64 = 1 << 30;

/// Measurements of one repository under one policy's settings.
pub struct Measures {
    path: PathBuf,
    key: String,
    known: HashMap<Oid, Blast>,
    /// Measured by this process (a push that brings the same commits to several refs
    /// measures each once).
    made: Mutex<HashMap<Oid, Blast>>,
    new: Mutex<Vec<String>>,
}

impl Measures {
    /// Records new measurements without reading the recorded ones (a server hook: reading
    /// the whole file would cost in proportion to the history, not to the push).
    pub fn recorder(repo: &Repo, policy: &Policy) -> Measures {
        Measures {
            path: measures_path(repo),
            key: settings_key(policy),
            known: HashMap::new(),
            made: Mutex::new(HashMap::new()),
            new: Mutex::new(Vec::new()),
        }
    }

    /// The measurements recorded in `repo` under `policy`'s settings (none when the file is
    /// missing or unreadable).
    pub fn load(repo: &Repo, policy: &Policy) -> Measures {
        let path = measures_path(repo);
        let key = settings_key(policy);
        let mut known = HashMap::new();
        let text = std::fs::metadata(&path)
            .ok()
            .filter(|m| m.len() <= MAX_READ)
            .and_then(|_| std::fs::read(&path).ok())
            .unwrap_or_default();
        for line in text.split(|&b| b == b'\n') {
            if let Some((id, b)) = std::str::from_utf8(line)
                .ok()
                .and_then(|l| parse_line(l, &key))
            {
                known.insert(id, b);
            }
        }
        Measures {
            path,
            key,
            known,
            made: Mutex::new(HashMap::new()),
            new: Mutex::new(Vec::new()),
        }
    }

    /// The recorded measurement of a commit, if any.
    pub fn get(&self, id: Oid) -> Option<Blast> {
        self.known
            .get(&id)
            .cloned()
            .or_else(|| self.made.lock().ok()?.get(&id).cloned())
    }

    /// Keeps a new measurement, to be written by `save`.
    pub fn record(&self, id: Oid, b: &Blast) {
        if let Ok(mut made) = self.made.lock() {
            made.insert(id, b.clone());
        }
        if let Some(line) = format_line(&self.key, id, b) {
            if let Ok(mut new) = self.new.lock() {
                new.push(line);
            }
        }
    }

    /// Appends the new measurements to the file, in one write (concurrent pushes append
    /// whole lines). Best effort: a failure is ignored.
    pub fn save(&self) {
        let Ok(mut new) = self.new.lock() else { return };
        if new.is_empty() {
            return;
        }
        let mut text = new.join("\n");
        text.push('\n');
        new.clear();
        let write = || -> std::io::Result<()> {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?
                .write_all(text.as_bytes())
        };
        let _ = write();
    }
}

fn measures_path(repo: &Repo) -> PathBuf {
    repo.git.commondir().join("aigate").join("measures")
}

/// What a measurement depends on besides the commit: the method's version, the deleted-lines
/// percentage (it bounds how far tracked lines are counted) and the guarded paths.
fn settings_key(policy: &Policy) -> String {
    let b = &policy.agents.blast_radius;
    // FNV-1a: a stable fingerprint of the settings (a key, not a secret).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &c in bytes {
            h ^= u64::from(c);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(b.max_deleted_percent.to_string().as_bytes());
    for g in &b.guarded_paths {
        feed(b"\0");
        feed(g.as_bytes());
    }
    format!("{VERSION}-{h:016x}")
}

/// `KEY COMMIT CHANGED DELETED_FILES DELETED_LINES TOTAL|- GUARDED|-`, tab-separated. A
/// guarded path with a tab, a newline or a leading `-` is not recorded (it is measured again).
fn format_line(key: &str, id: Oid, b: &Blast) -> Option<String> {
    let guarded = match &b.guarded {
        Some(p) if p.contains(['\t', '\n', '\r']) || p.starts_with('-') || p.is_empty() => {
            return None
        }
        Some(p) => p.as_str(),
        None => "-",
    };
    let total = b.total_lines.map_or("-".to_string(), |t| t.to_string());
    Some(format!(
        "{key}\t{id}\t{}\t{}\t{}\t{total}\t{guarded}",
        b.changed_files, b.deleted_files, b.deleted_lines
    ))
}

fn parse_line(line: &str, key: &str) -> Option<(Oid, Blast)> {
    let mut f = line.split('\t');
    if f.next()? != key {
        return None;
    }
    let id = Oid::from_str(f.next()?).ok()?;
    let changed_files = f.next()?.parse().ok()?;
    let deleted_files = f.next()?.parse().ok()?;
    let deleted_lines = f.next()?.parse().ok()?;
    let total_lines = match f.next()? {
        "-" => None,
        t => Some(t.parse().ok()?),
    };
    let guarded = match f.next()? {
        "-" => None,
        p => Some(p.to_string()),
    };
    if f.next().is_some() {
        return None;
    }
    Some((
        id,
        Blast {
            changed_files,
            deleted_files,
            deleted_lines,
            total_lines,
            guarded,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_back_as_written_and_only_under_its_key() {
        let id = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        for b in [
            Blast::default(),
            Blast {
                changed_files: 3,
                deleted_files: 1,
                deleted_lines: 40,
                total_lines: Some(90),
                guarded: Some("infra/main tf".into()),
            },
        ] {
            let line = format_line("m1-k", id, &b).unwrap();
            assert_eq!(parse_line(&line, "m1-k"), Some((id, b)));
            assert_eq!(parse_line(&line, "m1-other"), None);
        }
        let odd = Blast {
            guarded: Some("a\tb".into()),
            ..Blast::default()
        };
        assert_eq!(format_line("m1-k", id, &odd), None);
        assert_eq!(parse_line("m1-k\tzz\t1\t0\t0\t-\t-", "m1-k"), None);
        assert_eq!(
            parse_line(
                "m1-k\t0123456789abcdef0123456789abcdef01234567\t1\t0\t0\t-\t-\textra",
                "m1-k"
            ),
            None
        );
    }
}
