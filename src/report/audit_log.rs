//! The server's audit log: one JSON line per decision, appended under an exclusive lock so
//! concurrent pushes never interleave or lose lines.

use anyhow::{Context, Result};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Appends `lines` (each one JSON document without a newline) to the log at `path`.
pub fn append(path: &Path, lines: &[String]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut buf = String::new();
    for l in lines {
        debug_assert!(!l.contains('\n'));
        buf.push_str(l);
        buf.push('\n');
    }
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open audit log {}", path.display()))?;
    f.lock()
        .with_context(|| format!("cannot lock audit log {}", path.display()))?;
    let res = f
        .write_all(buf.as_bytes())
        .and_then(|_| f.sync_data())
        .with_context(|| format!("cannot write audit log {}", path.display()));
    let _ = f.unlock();
    res
}
