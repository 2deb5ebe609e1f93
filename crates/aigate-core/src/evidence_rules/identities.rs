//! The rules on identities (author, committer, co-authors): bot logins with a suffix, a
//! tool's name at an address no person owns, a tool suffix on a person's name, a model where
//! a person's name goes.

use super::names::{is_first_name, model_name, split_paren, tool_with_product_words};
use super::{Found, ToolIndex, AI_BOT, BOT_LOGIN, MODEL_AS_PERSON, NAME_IS_TOOL};
use crate::catalog::EvidenceSource;
use crate::identity::Identity;

/// The rules on an identity: a bot login with a suffix, a tool's name at a non-personal
/// address or with a tool suffix, a model's name.
pub(super) fn identity_rules(
    out: &mut Found<'_>,
    idx: &ToolIndex,
    who: &Identity,
    source: EvidenceSource,
    text: &str,
) {
    if let Some((ti, login)) = bot_login(idx, who) {
        out.add(
            Some(ti),
            BOT_LOGIN,
            source,
            text,
            format!(
                "bot login `{login}` is {}'s with a suffix",
                out.cat.tools()[ti].id
            ),
        );
        return;
    }
    if let Some(login) = ai_bot_login(idx, who) {
        out.add(
            None,
            AI_BOT,
            source,
            text,
            format!("bot login `{login}` marks an AI app no catalog entry names"),
        );
        return;
    }
    let name = who.name.trim();
    if name.is_empty() || name.len() > 120 {
        return;
    }
    // `Codex (GPT-5.4)`: the tool, with its model in parentheses.
    let (core, paren) = split_paren(name);
    for candidate in [name, core] {
        // `Trae AI`, `Claude Assistant`: a tool's name with product words is a product name.
        let Some(ti) = out
            .cat
            .index_of(candidate)
            .or_else(|| tool_with_product_words(out.cat, candidate))
        else {
            continue;
        };
        if let Some(class) = address_class(idx, ti, candidate, &who.email) {
            out.add(
                Some(ti),
                NAME_IS_TOOL,
                source,
                text,
                format!("named `{candidate}` (a tool) at a {class} address"),
            );
            return;
        }
    }
    // `Jane Doe (Kiro CLI)`: a person's commit made through a tool that renames the author.
    if let Some(inner) = paren.filter(|_| !core.is_empty()) {
        if let Some(ti) = tool_with_product_words(out.cat, inner) {
            out.add(
                Some(ti),
                NAME_IS_TOOL,
                source,
                text,
                format!("the name carries the tool suffix `({inner})`"),
            );
            return;
        }
    }
    if let Some((tool, model)) = model_name(out.cat, name) {
        out.add(
            tool,
            MODEL_AS_PERSON,
            source,
            text,
            format!("named after the model {model}"),
        );
        return;
    }
    if unknown_ai_service(name, &who.email) {
        out.add(
            None,
            AI_BOT,
            source,
            text,
            format!("`{name}` at a no-reply address names an AI service no entry knows"),
        );
    }
}

/// A name no person has, at a no-reply address, that says it is AI: `Foo Agent
/// <noreply@foo.dev>`, `Foo <noreply@foo.ai>`. People have no no-reply addresses (GitHub's
/// per-user ones are `<id>+<login>@users.noreply.github.com`, not matched here).
fn unknown_ai_service(name: &str, email: &str) -> bool {
    let email = email.trim().to_ascii_lowercase();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let no_reply = ["noreply", "no-reply", "donotreply"]
        .iter()
        .any(|n| local.contains(n));
    if !no_reply || domain.ends_with("github.com") {
        return false;
    }
    let ai_word = name.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        matches!(
            w.to_ascii_lowercase().as_str(),
            "ai" | "agent" | "assistant" | "copilot" | "llm" | "gpt"
        )
    });
    ai_word || domain.ends_with(".ai")
}

/// Local parts of role addresses: a team, a service, never one person.
pub(super) const ROLES: [&str; 14] = [
    "bot",
    "agent",
    "ai",
    "assistant",
    "support",
    "help",
    "hello",
    "team",
    "automation",
    "autofix",
    "git",
    "ci",
    "robot",
    "service",
];

/// Why an address is not a person's own, for a tool named `name` (tool `ti`): `bot`,
/// `no-reply`, `vendor` (a role address at the tool's vendor's domain), `sandbox` or `local`.
pub(super) fn address_class(
    idx: &ToolIndex,
    ti: usize,
    name: &str,
    email: &str,
) -> Option<&'static str> {
    // A product name of several words (`Claude Code`, `Rovo Dev`, `Cursor Agent`) is nobody's
    // own name, whatever the address.
    if crate::catalog::normalize_name(name).contains('-') {
        return Some("any");
    }
    let email = email.trim().to_ascii_lowercase();
    let (local, domain) = match email.rsplit_once('@') {
        Some((l, d)) => (l, d),
        None => (email.as_str(), ""),
    };
    if local.ends_with("[bot]") {
        return Some("bot");
    }
    if [
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "no_reply",
    ]
    .iter()
    .any(|n| local.contains(n))
    {
        return Some("no-reply");
    }
    let role = ROLES.contains(&local);
    let vendor = idx
        .domains
        .iter()
        .any(|(d, t)| *t == ti && (domain == d || domain.ends_with(&format!(".{d}"))));
    if vendor {
        // A role address, or one named after the tool (`roomote@`, `codex@`); for tools named
        // like people, the person's own first-name address stays theirs.
        let squashed: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        if role || (!is_first_name(name) && !squashed.is_empty() && local.contains(&squashed)) {
            return Some("vendor");
        }
        return None;
    }
    if is_first_name(name) {
        return None;
    }
    if role {
        return Some("role");
    }
    let local_domain = !domain.contains('.')
        || [
            ".local",
            ".localdomain",
            ".internal",
            ".invalid",
            ".test",
            ".example",
            ".lan",
            ".home",
            ".(none)",
            ".sandbox",
        ]
        .iter()
        .any(|s| domain.ends_with(s));
    if local_domain {
        return Some("local");
    }
    let sandbox = ["example.com", "example.org", "example.net"].contains(&domain)
        || domain
            .split('.')
            .any(|p| matches!(p, "sandbox" | "sandboxes" | "container" | "devbox"));
    sandbox.then_some("sandbox")
}

/// Suffixes and prefixes bot logins carry over their tool's name.
pub(super) const BOT_SUFFIXES: [&str; 28] = [
    "-staging",
    "-stage",
    "-nightly",
    "-cloud",
    "-dev",
    "-canary",
    "-beta",
    "-preview",
    "-prod",
    "-production",
    "-test",
    "-internal",
    "-enterprise",
    "-app",
    "-apps",
    "-bot",
    "-agent",
    "-ai",
    "-integration",
    "-connector",
    "-github",
    "-gh",
    "-sh",
    ".ai",
    ".dev",
    ".app",
    ".io",
    "-hq",
];

/// A login without the affixes it may carry (`cursor-nightly` → `cursor`).
pub(super) fn strip_affixes(login: &str) -> &str {
    let mut l = login;
    loop {
        let before = l.len();
        for s in BOT_SUFFIXES {
            if let Some(rest) = l.strip_suffix(s).filter(|r| r.len() >= 2) {
                l = rest;
            }
        }
        for p in ["get-", "the-", "app-"] {
            if let Some(rest) = l.strip_prefix(p).filter(|r| r.len() >= 2) {
                l = rest;
            }
        }
        if l.len() == before {
            return l;
        }
    }
}

/// A bot account's login (`login[bot]`, as a name or a GitHub no-reply address).
fn bot_login_of(who: &Identity) -> Option<String> {
    let name = who.name.trim().to_ascii_lowercase();
    if name.ends_with("[bot]") {
        return Some(name);
    }
    let e = who.email.trim().to_ascii_lowercase();
    let local = e.strip_suffix("@users.noreply.github.com")?;
    let local = match local.split_once('+') {
        Some((n, rest)) if n.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => local,
    };
    local.ends_with("[bot]").then(|| local.to_string())
}

/// A bot whose login says it is an AI app (`korbit-ai[bot]`, `acme-gpt[bot]`): a word of it
/// is `ai`, `gpt`, `llm`, `genai` or `copilot`.
fn ai_bot_login(idx: &ToolIndex, who: &Identity) -> Option<String> {
    let login = bot_login_of(who)?;
    let base = login.strip_suffix("[bot]")?;
    if idx.bots.iter().any(|(b, _)| b == base) {
        return None; // the catalog's own entry
    }
    base.split(['-', '_', '.'])
        .any(|w| matches!(w, "ai" | "gpt" | "llm" | "genai" | "copilot"))
        .then_some(login)
}

/// A bot account (`login[bot]`, as a name or a GitHub no-reply address) whose login, without
/// its affixes, is a known tool's login or name.
pub(super) fn bot_login(idx: &ToolIndex, who: &Identity) -> Option<(usize, String)> {
    let login = bot_login_of(who)?;
    let base = login.strip_suffix("[bot]")?;
    if idx.bots.iter().any(|(b, _)| b == base) {
        return None; // the catalog's own entry
    }
    let bare = strip_affixes(base);
    if bare == base {
        return None;
    }
    idx.bots
        .iter()
        .find(|(b, _)| b == bare)
        .map(|(_, ti)| (*ti, login.clone()))
}
