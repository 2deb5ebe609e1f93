//! The model table (`rules/models.toml`, embedded): which model family a piece of attestation
//! text names, as `vendor/family` in models.dev's spirit (`anthropic/claude-opus`). A model is
//! not a tool: Kiro runs Claude models and may be approved while Claude Code is not.
//! Pure: text in, family out. The first family (in file order) whose pattern matches wins.

use crate::catalog::LazyRegex;
use serde::Deserialize;
use std::sync::OnceLock;

/// The table that ships in the binary.
pub const BUILTIN: &str = include_str!("../../../rules/models.toml");
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/models.json"));

#[derive(Debug, Clone, Deserialize)]
struct ModelsFile {
    #[serde(default)]
    model: Vec<ModelSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelSpec {
    id: String,
    vendor: String,
    name: String,
    patterns: Vec<String>,
}

/// One model family.
#[derive(Debug)]
pub struct Model {
    /// `vendor/family`, e.g. `anthropic/claude-sonnet`.
    pub id: String,
    pub vendor: String,
    pub name: String,
    patterns: Vec<LazyRegex>,
}

/// The compiled table.
#[derive(Debug, Default)]
pub struct Models {
    list: Vec<Model>,
}

/// Text longer than this is not looked up (an attestation names a model in a few words).
const MAX_TEXT: usize = 200;

impl Models {
    /// The built-in table, compiled once per process (patterns on first use).
    pub fn builtin() -> &'static Models {
        static M: OnceLock<Models> = OnceLock::new();
        M.get_or_init(|| {
            let file: ModelsFile =
                serde_json::from_str(BUILTIN_JSON).unwrap_or(ModelsFile { model: Vec::new() });
            Models {
                list: file
                    .model
                    .into_iter()
                    .map(|m| Model {
                        id: m.id,
                        vendor: m.vendor,
                        name: m.name,
                        patterns: m
                            .patterns
                            .iter()
                            .filter_map(|p| LazyRegex::new(p, false).ok())
                            .collect(),
                    })
                    .collect(),
            }
        })
    }

    /// The family a text names, if any.
    pub fn resolve(&self, text: &str) -> Option<&Model> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_TEXT {
            return None;
        }
        self.list
            .iter()
            .find(|m| m.patterns.iter().any(|p| p.is_match(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        let file: ModelsFile = toml::from_str(BUILTIN).unwrap();
        assert!(file.model.len() >= 40);
        for m in &file.model {
            assert_eq!(m.id.split('/').next(), Some(m.vendor.as_str()), "{}", m.id);
            for p in &m.patterns {
                regex::Regex::new(p).unwrap_or_else(|e| panic!("{}: {p}: {e}", m.id));
            }
        }
    }

    #[test]
    fn model_names_resolve_to_families_and_words_do_not() {
        let m = Models::builtin();
        for (text, id) in [
            ("Claude Opus 4.6", "anthropic/claude-opus"),
            ("Opus 4.7", "anthropic/claude-opus"),
            ("claude-sonnet-4.5", "anthropic/claude-sonnet"),
            ("claude-3-5-sonnet-20241022", "anthropic/claude-sonnet"),
            ("Sonnet 4.6", "anthropic/claude-sonnet"),
            ("GLM-5", "zhipuai/glm"),
            ("qwen3.7-max", "alibaba/qwen"),
            ("gemini-2.5-pro", "google/gemini-pro"),
            ("DeepSeek-V3.2", "deepseek/deepseek"),
        ] {
            assert_eq!(m.resolve(text).map(|x| x.id.as_str()), Some(id), "{text}");
        }
        for text in [
            "Claude",
            "Claude Monet",
            "Jay Satiro",
            "Opus 1.3",
            "Sonnet 18",
            "grok the codebase",
            "sparse",
            "coccinelle",
        ] {
            assert!(m.resolve(text).is_none(), "{text} is not a model");
        }
        let gpt = m.resolve("OpenAI GPT-5.4").unwrap();
        assert_eq!(gpt.vendor, "openai");
    }
}
