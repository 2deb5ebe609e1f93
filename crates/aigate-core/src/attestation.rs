//! The attestation grammar: what an `Assisted-by:` value declares. Real values name tools,
//! models, both, or people:
//! - the kernel's `AGENT:MODEL [TOOL1] [TOOL2]` (`kiro:claude-sonnet-4.5 sparse`);
//! - a tool by name or alias (`Claude Code`, `claude-code`), optionally `@VERSION`;
//! - `MODEL via TOOL [<addr>]` (`GLM-5 via Crush <crush@charm.land>`);
//! - `TOOL (MODEL)` and `MODEL (TOOL)` (`Claude Code (Sonnet 4.6)`);
//! - a model alone (`Claude Opus 4.6`, `Opus 4.7`, `OpenAI GPT-5.4`): AI-assisted, tool
//!   unknown (AIG010), unless the address names the tool (`... <noreply@anthropic.com>`);
//! - a person (`Junio C Hamano <gitster@pobox.com>`, `Jay Satiro`): a human credit, not an
//!   attestation (curl and git.git use the trailer so).
//!
//! Pure: the catalog and the model table are inputs.

use crate::catalog::{normalize_name, Catalog};
use crate::identity::Identity;
use crate::models::Models;
use serde::Serialize;

/// A declared tool (or, with an empty `tool`, a model named without its tool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attested {
    /// Catalog id, the normalised name when the catalog does not know it, or empty when the
    /// attestation names a model but no tool.
    pub tool: String,
    pub known: bool,
    /// The model as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The model family it resolves to (`anthropic/claude-sonnet`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Attested {
    /// Whether this names a model but no tool.
    pub fn model_only(&self) -> bool {
        self.tool.is_empty()
    }
}

/// Parses a version the way policies pin them (`1.2.3`).
fn is_version(v: &str) -> bool {
    !v.is_empty()
        && v.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// What one attestation value declares (empty: a person, or nothing). The model table is
/// read only when a value needs it.
pub fn read(value: &str, catalog: &Catalog, models: &dyn Fn() -> &'static Models) -> Vec<Attested> {
    let (name, email) = match value.split_once('<') {
        Some((n, rest)) => (n.trim(), rest.split('>').next().map(str::trim)),
        None => (value.trim(), None),
    };
    let name = name.trim_end_matches([',', ';']).trim();
    // The address may itself be an AI identity (`... via Crush <crush@charm.land>`).
    let email_tool = email
        .filter(|e| e.contains('@'))
        .and_then(|e| catalog.tool_of_identity(&Identity::new(name.to_string(), e.to_string())))
        .map(str::to_string);
    let model = |text: &str| {
        let text = text.trim().trim_matches(['(', ')']).trim();
        (!text.is_empty()).then(|| {
            (
                text.to_string(),
                models().resolve(text).map(|m| m.id.clone()),
            )
        })
    };
    let tool = |id: &str, model_text: Option<&str>, version: Option<String>| {
        let m = model_text.and_then(model);
        Attested {
            tool: id.to_string(),
            known: catalog.tool(id).is_some(),
            model: m.as_ref().map(|m| m.0.clone()),
            model_id: m.and_then(|m| m.1),
            version,
        }
    };
    let resolve = |s: &str| -> Option<(String, Option<String>)> {
        let s = s.trim().trim_matches(['(', ')']).trim();
        if let Some(id) = catalog.resolve(s) {
            return Some((id.to_string(), None));
        }
        // `tool@1.2` / `tool/1.2`: a pinned version.
        let (n, v) = s.rsplit_once(['@', '/'])?;
        let id = catalog.resolve(n)?;
        is_version(v).then(|| (id.to_string(), Some(v.to_string())))
    };
    if name.is_empty() {
        return email_tool
            .map(|t| vec![tool(&t, None, None)])
            .unwrap_or_default();
    }

    // MODEL via TOOL
    if let Some(i) = name.to_ascii_lowercase().find(" via ") {
        let (m, t) = (&name[..i], &name[i + 5..]);
        let t = t.split('(').next().unwrap_or(t).trim();
        let id = resolve(t)
            .map(|r| r.0)
            .or(email_tool.clone())
            .unwrap_or_else(|| normalize_name(t.split_whitespace().next().unwrap_or(t)));
        return vec![tool(&id, Some(m), None)];
    }
    // The whole value is a tool (`Claude Code`, `claude-code@1.2`).
    if let Some((id, v)) = resolve(name) {
        return vec![tool(&id, None, v)];
    }
    // TOOL (MODEL) or MODEL (TOOL)
    if let (Some(open), true) = (name.find('('), name.ends_with(')')) {
        let (a, b) = (name[..open].trim(), &name[open + 1..name.len() - 1]);
        if let Some((id, v)) = resolve(a) {
            return vec![tool(&id, Some(b), v)];
        }
        if let Some((id, v)) = resolve(b) {
            return vec![tool(&id, Some(a), v)];
        }
    }
    // AGENT:MODEL [TOOLS...] (the kernel's form; the agent may be a display name with
    // spaces: `Claude Code:opus`).
    let mut tokens = name.split_whitespace();
    let first = tokens.next().unwrap_or("");
    if let Some((agent, rest)) = name.split_once(':') {
        let mut rest_tokens = rest.split_whitespace();
        let m = rest_tokens.next();
        let agent = agent.trim();
        let mut out = Vec::new();
        match resolve(agent) {
            Some((id, v)) => out.push(tool(&id, m, v)),
            None if agent.is_empty() => {}
            None => {
                let id = email_tool.clone().unwrap_or_else(|| {
                    normalize_name(agent.split_whitespace().next().unwrap_or(agent))
                });
                out.push(tool(&id, m, None));
            }
        }
        // Later tokens are tools too; only AI tools matter (`sparse`, `coccinelle` are not).
        for t in rest_tokens {
            if let Some((id, v)) = resolve(t) {
                if !out.iter().any(|a| a.tool == id) {
                    out.push(tool(&id, None, v));
                }
            }
        }
        return out;
    }
    // A model alone: the tool is the address's, or unknown.
    if let Some(m) = model(name).filter(|m| m.1.is_some()) {
        return vec![Attested {
            tool: email_tool.clone().unwrap_or_default(),
            known: email_tool.is_some(),
            model: Some(m.0),
            model_id: m.1,
            version: None,
        }];
    }
    // Neither a tool nor a model as a whole: a person when it reads like one (a human
    // address, or capitalised words: `Junio C Hamano`, `Claude Monet`).
    // A tool's name followed by a word only products use (`Codex Agent`, `Copilot Chat`) is
    // the tool, not a person named after it (`Claude Monet`).
    let product = resolve(first).is_some()
        && name.split_whitespace().skip(1).all(|w| {
            matches!(
                w.to_ascii_lowercase().as_str(),
                "agent" | "assistant" | "chat" | "cli" | "ai" | "bot" | "app" | "ide"
            )
        });
    let person =
        !product && ((email.is_some() && email_tool.is_none()) || looks_like_a_person(name));
    if person {
        return Vec::new();
    }
    // `TOOL other-tools`: the first word is the agent.
    if let Some((id, v)) = resolve(first) {
        let mut out = vec![tool(&id, None, v)];
        for t in tokens {
            if let Some((id, v)) = resolve(t) {
                if !out.iter().any(|a| a.tool == id) {
                    out.push(tool(&id, None, v));
                }
            }
        }
        return out;
    }
    if let Some(t) = email_tool {
        return vec![tool(&t, Some(name), None)];
    }
    // Otherwise an unknown tool (a tool-like word): judged as unapproved, never ignored.
    vec![tool(&normalize_name(first), None, None)]
}

/// Two or more capitalised words of letters (`Jay Satiro`, `Junio C Hamano`), or words that
/// end in a handle's place (`norbertmm on github`); no digits or tool-id separators.
fn looks_like_a_person(name: &str) -> bool {
    let words: Vec<&str> = name.split_whitespace().collect();
    let wordlike = |w: &str| {
        w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '.' | '\'' | '’' | '-'))
    };
    let capital = |w: &&str| w.chars().next().is_some_and(char::is_uppercase);
    let handle = words.len() == 3
        && matches!(words[1], "on" | "from" | "at")
        && words.iter().all(|w| wordlike(w));
    handle || (words.len() >= 2 && words.iter().all(|w| wordlike(w) && capital(w)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: &str) -> Vec<(String, Option<String>)> {
        read(v, &Catalog::builtin().unwrap(), &Models::builtin)
            .into_iter()
            .map(|a| (a.tool, a.model_id))
            .collect()
    }

    fn t(tool: &str, model: Option<&str>) -> (String, Option<String>) {
        (tool.to_string(), model.map(str::to_string))
    }

    #[test]
    fn attestation_forms_resolve_to_tool_and_model() {
        assert_eq!(
            one("kiro:claude-sonnet-4.5 sparse"),
            vec![t("kiro", Some("anthropic/claude-sonnet"))]
        );
        assert_eq!(one("Claude Code"), vec![t("claude-code", None)]);
        assert_eq!(one("claude-code"), vec![t("claude-code", None)]);
        assert_eq!(
            one("Claude Code (Sonnet 4.6)"),
            vec![t("claude-code", Some("anthropic/claude-sonnet"))]
        );
        assert_eq!(
            one("GLM-5 via Crush <crush@charm.land>"),
            vec![t("crush", Some("zhipuai/glm"))]
        );
        assert_eq!(
            one("Crush:qwen3.7-max"),
            vec![t("crush", Some("alibaba/qwen"))]
        );
        assert_eq!(
            one("Claude:claude-3-opus coccinelle sparse"),
            vec![t("claude-code", Some("anthropic/claude-opus"))]
        );
        // Models without a tool.
        assert_eq!(
            one("Claude Opus 4.6"),
            vec![t("", Some("anthropic/claude-opus"))]
        );
        assert_eq!(one("Opus 4.7"), vec![t("", Some("anthropic/claude-opus"))]);
        assert_eq!(one("OpenAI GPT-5.4").len(), 1);
        assert!(one("OpenAI GPT-5.4")[0].0.is_empty());
        // ...unless the address names the tool.
        assert_eq!(
            one("Claude Fable 5 <noreply@anthropic.com>")[0].0,
            "claude-code"
        );
    }

    #[test]
    fn people_are_not_tools() {
        assert!(one("Junio C Hamano <gitster@pobox.com>").is_empty());
        assert!(one("Jay Satiro").is_empty());
        assert!(one("Waldek Maleska <weakcamel@users.github.com>").is_empty());
        assert!(one("Claude Monet <claude@monet.fr>").is_empty());
        // A tool's name and a product word is the tool, not a person.
        assert_eq!(one("Codex Agent").len(), 1);
        assert!(!one("Copilot Chat").is_empty());
        // An unknown single tool-like word stays an (unknown, unapproved) tool.
        assert_eq!(one("foo-agent"), vec![t("foo-agent", None)]);
    }
}
