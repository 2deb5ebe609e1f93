//! Names in text: tools (by the catalog's names and aliases) and models (by
//! `rules/models.toml`), with the words that make a name a person's, an ordinary word or a
//! model's.

use crate::catalog::Catalog;
use crate::models::Models;

/// What a rule resolved a name to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Named {
    /// A tool, by its own name (`Cursor`, `Claude Code`).
    Tool(usize),
    /// A tool guessed from a model's name (`Claude 3.5 Sonnet`, `Gemini 2.5 Pro`): it gives way
    /// to evidence that names a tool, since a model runs in many tools.
    FromModel(usize),
    /// AI use, but no tool the catalog knows.
    Unknown,
}

impl From<Option<usize>> for Named {
    fn from(t: Option<usize>) -> Named {
        t.map_or(Named::Unknown, Named::Tool)
    }
}

/// `Name (inner)` → (`Name`, `inner`); a name without a trailing parenthesis is itself.
pub(super) fn split_paren(name: &str) -> (&str, Option<&str>) {
    match name.strip_suffix(')').and_then(|n| n.rsplit_once('(')) {
        Some((core, inner)) => (core.trim(), Some(inner.trim())),
        None => (name, None),
    }
}

/// A tool named in a few words, perhaps with product words after it (`Kiro CLI`, `Cursor
/// Agent`, `via Cursor`).
pub(super) fn tool_with_product_words(cat: &Catalog, text: &str) -> Option<usize> {
    let t = text.trim();
    let t = t.strip_prefix("via ").unwrap_or(t);
    if let Some(ti) = cat.index_of(t) {
        return Some(ti);
    }
    let mut words: Vec<&str> = t.split_whitespace().collect();
    while words.len() > 1
        && PRODUCT_WORDS
            .iter()
            .any(|w| words[words.len() - 1].eq_ignore_ascii_case(w))
    {
        words.pop();
        if let Some(ti) = cat.index_of(&words.join(" ")) {
            return Some(ti);
        }
    }
    None
}

pub(super) const PRODUCT_WORDS: [&str; 8] = [
    "cli",
    "agent",
    "ide",
    "ai",
    "assistant",
    "app",
    "bot",
    "extension",
];

/// Tool names that are also people's first names: they count only at a tool's own kind of
/// address (no-reply, bot, or a role address at the vendor), never a personal-looking one.
pub(super) const FIRST_NAMES: [&str; 10] = [
    "claude", "devin", "jules", "kiro", "junie", "cody", "roo", "kilo", "ona", "kimi",
];

/// Tool names that are ordinary words: never taken from free text or from a bare name.
pub(super) const COMMON_WORDS: [&str; 24] = [
    "continue", "cascade", "vibe", "oz", "warp", "sweep", "amp", "droid", "cubic", "ellipsis",
    "crush", "augment", "cursor", "replit", "sisyphus", "gitar", "trae", "v0", "entire", "codegen",
    "duo", "goose", "zed", "sourcery",
];

pub(super) fn is_common_word(name: &str) -> bool {
    COMMON_WORDS.iter().any(|w| name.eq_ignore_ascii_case(w))
}

pub(super) fn is_first_name(name: &str) -> bool {
    FIRST_NAMES.iter().any(|w| name.eq_ignore_ascii_case(w))
}

/// Words that make up model names: a name of only these and version-like tokens is a model.
pub(super) const MODEL_WORDS: [&str; 40] = [
    "claude",
    "gpt",
    "chatgpt",
    "gemini",
    "sonnet",
    "opus",
    "haiku",
    "pro",
    "flash",
    "lite",
    "mini",
    "nano",
    "high",
    "low",
    "medium",
    "max",
    "turbo",
    "preview",
    "thinking",
    "codex",
    "deepseek",
    "qwen",
    "coder",
    "grok",
    "llama",
    "mistral",
    "kimi",
    "glm",
    "fast",
    "instruct",
    "latest",
    "exp",
    "ultra",
    "plus",
    "reasoning",
    "composer",
    "devstral",
    "codestral",
    "openai",
    "anthropic",
];

/// A name that is a model, or a list of models (`gpt-5-high (planning) && gemini-2.5-pro-low
/// (coding)`): every word a model word or version-like, at least one part a known model.
/// The tool is the one the name starts with (`Claude 3.5 Sonnet` → Claude), else unknown.
pub(super) fn model_name(cat: &Catalog, name: &str) -> Option<(Named, String)> {
    let mut found: Option<String> = None;
    let mut cleaned = String::new();
    let mut depth = 0;
    for ch in name.chars() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => cleaned.push(ch),
            _ => {}
        }
    }
    let separators = |c: char| matches!(c, '&' | ',' | '+' | '/' | '|');
    let mut words = 0;
    for part in cleaned
        .split(separators)
        .flat_map(|p| p.split(" and "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        for w in part.split_whitespace() {
            words += 1;
            let lw = w.to_ascii_lowercase();
            let ok = lw.bytes().any(|b| b.is_ascii_digit())
                || MODEL_WORDS.contains(&lw.as_str())
                || lw.split(['-', '.', '_']).any(|p| MODEL_WORDS.contains(&p));
            if !ok {
                return None;
            }
        }
        if found.is_none() {
            found = Models::builtin().resolve(part).map(|m| m.name.clone());
        }
    }
    let model = found.filter(|_| words <= 12)?;
    let first = cleaned
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let tool = cat.index_of(first).filter(|_| !is_common_word(first));
    Some((tool.map_or(Named::Unknown, Named::FromModel), model))
}

/// The first known tool named in free text (the longest run of up to three words that is a
/// tool's name or alias; ordinary words only when capitalised), else a model; with what was
/// named, for `why`.
pub(super) fn mention(cat: &Catalog, text: &str) -> Option<(Named, String)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || "()[],;:\"`*!?<>{}-".contains(c))
        .map(|w| w.trim_end_matches(['.', '\'']).trim_end_matches("'s"))
        .filter(|w| !w.is_empty())
        .take(80)
        .collect();
    for i in 0..words.len() {
        for n in (1..=3).rev() {
            if i + n > words.len() {
                continue;
            }
            let phrase = words[i..i + n].join(" ");
            let Some(ti) = cat.index_of(&phrase) else {
                continue;
            };
            let first_upper = phrase.chars().next().is_some_and(|c| c.is_uppercase());
            if n == 1 && is_common_word(&phrase) && !first_upper {
                continue;
            }
            // `Devin Smith`, `Claude Shannon`: a first name and a surname are a person.
            let surname_follows = words.get(i + 1).is_some_and(|w| {
                w.chars().next().is_some_and(char::is_uppercase)
                    && !w.bytes().any(|b| b.is_ascii_digit())
                    && !MODEL_WORDS.contains(&w.to_ascii_lowercase().as_str())
                    && !PRODUCT_WORDS.contains(&w.to_ascii_lowercase().as_str())
            });
            if n == 1 && is_first_name(&phrase) && surname_follows {
                continue;
            }
            // `Claude Sonnet 4.5`, `Gemini 2.5 Pro`: a model's family word, not the tool.
            let model_follows = n == 1
                && words.get(i + 1).is_some_and(|w| {
                    let w = w.to_ascii_lowercase();
                    w.bytes().any(|b| b.is_ascii_digit()) || MODEL_WORDS.contains(&w.as_str())
                });
            let named = if model_follows {
                Named::FromModel(ti)
            } else {
                Named::Tool(ti)
            };
            return Some((named, format!("the tool `{phrase}`")));
        }
    }
    let m = Models::builtin().resolve(text)?;
    Some((Named::Unknown, format!("the model {}", m.name)))
}
