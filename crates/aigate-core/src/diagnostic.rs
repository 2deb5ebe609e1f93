//! Diagnostics that point into a configuration file, rustc style: what is wrong, where
//! (origin:line:column with the line shown and the span underlined), and how to fix it.
//! At the bottom of the core: the catalog, the policy and the exemptions all report with it.

use std::fmt::Write as _;

/// A policy error: what, where (file:line:col with the line shown), and how to fix it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PolicyError(pub String);

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text.as_bytes()[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, col)
}

/// A rustc-style diagnostic pointing at `span` of `text`.
pub fn diagnostic(
    origin: &str,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    msg: &str,
    help: &str,
) -> String {
    let mut out = String::new();
    match span.filter(|s| s.end > 0 || s.start > 0 || !text.is_empty()) {
        Some(span) if span.start <= text.len() => {
            let (line, col) = line_col(text, span.start);
            let _ = writeln!(out, "error: {msg}");
            let _ = writeln!(out, "  --> {origin}:{line}:{col}");
            if let Some(src) = text.lines().nth(line - 1) {
                let width = span
                    .end
                    .saturating_sub(span.start)
                    .clamp(1, src.len().max(1));
                let _ = writeln!(out, "   |");
                let _ = writeln!(out, "{line:>3}| {src}");
                let _ = writeln!(
                    out,
                    "   | {}{}",
                    " ".repeat(col - 1),
                    "^".repeat(width.min(src.len() + 1 - col.min(src.len())))
                );
            }
        }
        _ => {
            let _ = writeln!(out, "error: {msg}");
            let _ = writeln!(out, "  --> {origin}");
        }
    }
    if !help.is_empty() {
        let _ = writeln!(out, "   = help: {help}");
    }
    out.trim_end().to_string()
}

/// A TOML parse error as a diagnostic.
pub fn describe_toml_error(origin: &str, text: &str, e: &toml::de::Error) -> String {
    diagnostic(
        origin,
        text,
        e.span(),
        e.message().trim(),
        "fix the file, then check it with `aigate policy check`",
    )
}
