//! Every output format, built in one place each: the human report of hooks and `check`
//! (`human`), the JSON of a ref report (`human::json`), the audit's table, CSV, JSON, Markdown
//! and SARIF (`audit`), the adoption figures of an audit (`figures`) and its HTML page
//! (`html`), and the server's append-only audit log (`audit_log`). Reports read verdicts; they
//! never judge.
pub mod audit;
pub mod audit_log;
pub mod figures;
pub mod html;
pub mod human;

pub use human::{human, json, summarize, RefReport, RuleChange};

/// The version of every JSON document aigate writes (check, audit, the audit log); it rises
/// when a field changes meaning or goes away (new fields do not raise it). docs/json.md.
pub const SCHEMA_VERSION: u32 = 1;

/// Text from commits made safe for a terminal: control characters (but newline and tab) and
/// the bidirectional controls that reorder what is shown are printed as `\u{..}` escapes, so a
/// crafted name or message cannot move the cursor, clear a line or hide a refused row.
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text from commits as Markdown table text: raw HTML shown, not rendered (`<`, `>`, `&` as
/// entities), `|` escaped, control characters as in `terminal_safe`.
pub fn markdown_text(s: &str) -> String {
    terminal_safe(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// `println!` for human output that may carry commit text.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        println!("{}", $crate::report::terminal_safe(&format!($($arg)*)))
    };
}

/// How human output looks: colour (decided once per process: `--color`, `NO_COLOR`, whether
/// stderr is a terminal) and quiet (advice that refuses nothing is left out).
static STYLE: std::sync::OnceLock<(bool, bool)> = std::sync::OnceLock::new();

/// Sets the style: `color` is `Some(true|false)` for always/never, `None` for auto.
pub fn set_style(color: Option<bool>, quiet: bool) {
    let (auto, env_quiet) = default_style();
    let _ = STYLE.set((color.unwrap_or(auto), quiet || env_quiet));
}

/// Colour when stderr is a terminal that is not `dumb` and `NO_COLOR` is unset; quiet when
/// `AIGATE_QUIET` is set (the hooks, which take no flags).
fn default_style() -> (bool, bool) {
    use std::io::IsTerminal;
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stderr().is_terminal()
        && std::env::var("TERM").map_or(true, |t| t != "dumb");
    let quiet = std::env::var_os("AIGATE_QUIET").is_some_and(|v| !v.is_empty());
    (color, quiet)
}

fn style() -> (bool, bool) {
    *STYLE.get_or_init(default_style)
}

/// Whether colour is on.
pub fn color() -> bool {
    style().0
}

/// Whether advice is left out.
pub fn quiet() -> bool {
    style().1
}

/// `text` in an ANSI colour (`31` red, `33` yellow, `1` bold) when colour is on.
pub fn paint(code: &str, text: &str) -> String {
    if color() {
        format!("\u{1b}[{code}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}
