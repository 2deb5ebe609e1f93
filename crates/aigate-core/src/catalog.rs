//! The signature catalog of AI coding tools (`rules/ai-tools.toml`, embedded at build time,
//! extendable by the policy) and the matcher that turns one commit's facts into evidence.
//! Pure: no git, no files.

use crate::identity::Identity;
use crate::literals::{anchored_literals, required_literals};
use crate::trailers::Trailer;
use anyhow::{bail, Context, Result};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// The catalog that ships in the binary.
pub const BUILTIN: &str = include_str!("../../../rules/ai-tools.toml");
// The same catalog as Rust statics, made by build.rs (`BUILTIN_TOOLS`): nothing to parse.
include!(concat!(env!("OUT_DIR"), "/ai-tools.rs"));

/// A built-in tool, as build.rs writes it.
pub(crate) struct StaticTool {
    id: &'static str,
    name: Option<&'static str>,
    category: Option<&'static str>,
    aliases: &'static [&'static str],
    signatures: &'static [StaticSig],
}

/// A built-in signature, with its regex pre-checks computed at build time.
pub(crate) struct StaticSig {
    kind: &'static str,
    key: Option<&'static str>,
    email: Option<&'static str>,
    bot: Option<&'static str>,
    name: Option<&'static str>,
    value: Option<&'static str>,
    pattern: Option<&'static str>,
    pre: Option<StaticPre>,
    pre_name: Option<StaticPre>,
}

pub(crate) struct StaticPre {
    prefix: Option<&'static str>,
    suffix: Option<&'static str>,
    inner: &'static [&'static str],
    fold: bool,
}

impl StaticPre {
    fn to_pre(&self) -> Pre {
        Pre {
            prefix: self.prefix.map(str::to_string),
            suffix: self.suffix.map(str::to_string),
            inner: self.inner.iter().map(|s| s.to_string()).collect(),
            fold: self.fold,
        }
    }
}

/// The catalog file as written.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    #[serde(default)]
    pub tool: Vec<ToolSpec>,
}

/// One tool as written in a catalog file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolSpec {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// `agent` (a coding agent or IDE assistant, the default) or `review-bot` (an AI review or
    /// fix bot whose suggestions get committed); a policy may approve a whole category.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub signature: Vec<SignatureSpec>,
}

/// The tool categories a catalog entry may name.
pub const CATEGORIES: [&str; 2] = ["agent", "review-bot"];

/// One signature as written in a catalog file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    pub kind: SignatureKind,
    pub key: Option<String>,
    pub email: Option<String>,
    pub bot: Option<String>,
    pub name: Option<String>,
    pub value: Option<String>,
    pub pattern: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    /// Pre-checks of `pattern` or `value`, computed by build.rs for the built-in catalog.
    #[serde(skip)]
    pub pre: Option<Pre>,
    /// Pre-checks of `name`, likewise.
    #[serde(skip)]
    pub pre_name: Option<Pre>,
}

/// A regex's literal pre-checks (see `literals`).
#[derive(Debug, Clone, Default)]
pub struct Pre {
    pub prefix: Option<String>,
    pub suffix: Option<String>,
    pub inner: Vec<String>,
    pub fold: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SignatureKind {
    Trailer,
    Marker,
    Identity,
}

/// How an identity (author, committer, or a trailer's `<email>`) is matched.
#[derive(Debug, Clone)]
enum IdMatch {
    /// Exact address, compared ignoring case.
    Email(String),
    /// A GitHub app or machine account login: the name, or its noreply address.
    Bot(String),
    /// A regex on the display name.
    Name(LazyRegex),
}

impl IdMatch {
    fn matches(&self, id: &Identity) -> bool {
        match self {
            IdMatch::Email(e) => id.email.eq_ignore_ascii_case(e),
            IdMatch::Bot(login) => {
                id.name.eq_ignore_ascii_case(login) || is_github_noreply_of(&id.email, login)
            }
            IdMatch::Name(re) => re.is_match(&id.name),
        }
    }
}

/// `<digits>+login@users.noreply.github.com` or `login@users.noreply.github.com`.
fn is_github_noreply_of(email: &str, login: &str) -> bool {
    let Some(local) = email
        .len()
        .checked_sub("@users.noreply.github.com".len())
        .filter(|&n| email.is_char_boundary(n))
        .filter(|&n| email[n..].eq_ignore_ascii_case("@users.noreply.github.com"))
        .map(|n| &email[..n])
    else {
        return false;
    };
    let local = match local.split_once('+') {
        Some((id, rest)) if id.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => local,
    };
    local.eq_ignore_ascii_case(login)
}

#[derive(Debug, Clone)]
enum Matcher {
    Trailer {
        key: String,
        id: Option<IdMatch>,
        value: Option<LazyRegex>,
    },
    Marker(LazyRegex),
    Identity(IdMatch),
}

impl Matcher {
    /// The entry in a few words, for `aigate explain`.
    fn describe(&self) -> String {
        let id = |m: &IdMatch| match m {
            IdMatch::Email(e) => format!("address {e}"),
            IdMatch::Bot(b) => format!("bot login {b}"),
            IdMatch::Name(re) => format!("name matching /{}/", re.pattern),
        };
        match self {
            Matcher::Trailer {
                key, id: Some(m), ..
            } => format!("trailer {key} with {}", id(m)),
            Matcher::Trailer {
                key,
                value: Some(re),
                ..
            } => {
                format!("trailer {key} with a value matching /{}/", re.pattern)
            }
            Matcher::Trailer { key, .. } => format!("trailer {key}"),
            Matcher::Marker(re) => format!("line matching /{}/", re.pattern),
            Matcher::Identity(m) => format!("author or committer with {}", id(m)),
        }
    }
}

#[derive(Debug, Clone)]
struct Signature {
    matcher: Matcher,
}

/// A tool with compiled signatures.
#[derive(Debug, Clone)]
pub struct Tool {
    pub id: String,
    pub name: String,
    pub category: String,
    aliases: Vec<String>,
    signatures: Vec<Signature>,
}

/// The compiled catalog.
#[derive(Debug, Default)]
pub struct Catalog {
    tools: Vec<Tool>,
    /// The marker signatures by the first byte a matching line must start with, built on first
    /// use (a message's lines are checked only against markers that can match them).
    markers: std::sync::OnceLock<MarkerIndex>,
    /// The trailer signatures as (tool index, signature index) by their key, lower case.
    trailer_index: std::sync::OnceLock<std::collections::HashMap<String, Vec<(usize, usize)>>>,
    /// What the general rules look tools up by (bot logins, vendors' domains), built on use.
    general: std::sync::OnceLock<crate::evidence_rules::ToolIndex>,
    /// Evidence rules the policy turned off (`[evidence] ignore`).
    ignored: Vec<&'static str>,
}

impl Clone for Catalog {
    fn clone(&self) -> Self {
        Catalog {
            tools: self.tools.clone(),
            markers: std::sync::OnceLock::new(),
            trailer_index: std::sync::OnceLock::new(),
            general: std::sync::OnceLock::new(),
            ignored: self.ignored.clone(),
        }
    }
}

/// Marker signatures as (tool index, signature index), by the first byte of their anchored
/// prefix; `any`: markers without one (checked against every line).
#[derive(Debug, Default)]
struct MarkerIndex {
    by_first: std::collections::HashMap<u8, Vec<(usize, usize)>>,
    any: Vec<(usize, usize)>,
}

/// Strings of the catalog's tools, each with its tool's index.
pub(crate) type ToolStrs<'a> = Vec<(usize, &'a str)>;

/// Where AI evidence was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceSource {
    Trailer,
    Marker,
    Author,
    Committer,
    /// The agent itself, seen running `git commit` (environment or process ancestry).
    Agent,
    /// A trailer or marker line moved into the body by a squash (`git merge --squash`
    /// indents it, `rebase -i` puts it mid-message, forges list it under bullets): evidence,
    /// never an attestation or a review.
    Squashed,
    /// An AI attribution note on the commit (git-ai, Agent Trace).
    Note,
}

/// One piece of AI evidence: the tool, the text that showed it, and the evidence rule that
/// matched it (`crate::evidence_rules::RULES`) with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub tool: String,
    pub source: EvidenceSource,
    pub text: String,
    /// The rule's id (`signature`, `disclosure-prose`, ...); empty for evidence found outside
    /// the catalog (an agent seen running `git commit`).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub rule: &'static str,
    /// What in the text the rule matched, in a few words.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub why: String,
}

/// What the matcher looks at for one commit.
pub struct CommitView<'a> {
    pub message: &'a str,
    pub trailers: &'a [Trailer],
    pub author: &'a Identity,
    pub committer: &'a Identity,
}

/// Canonical form of a tool name for alias lookup: lower case, spaces and underscores as `-`.
pub fn normalize_name(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            ' ' | '_' | '\t' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

impl Catalog {
    /// The built-in catalog.
    pub fn builtin() -> Result<Catalog> {
        let own = |s: Option<&'static str>| s.map(str::to_string);
        let specs: Vec<ToolSpec> = BUILTIN_TOOLS
            .iter()
            .map(|t| {
                Ok(ToolSpec {
                    id: t.id.to_string(),
                    name: own(t.name),
                    category: own(t.category),
                    aliases: t.aliases.iter().map(|a| a.to_string()).collect(),
                    signature: t
                        .signatures
                        .iter()
                        .map(|g| {
                            Ok(SignatureSpec {
                                kind: match g.kind {
                                    "trailer" => SignatureKind::Trailer,
                                    "marker" => SignatureKind::Marker,
                                    "identity" => SignatureKind::Identity,
                                    k => bail!("unknown signature kind `{k}`"),
                                },
                                key: own(g.key),
                                email: own(g.email),
                                bot: own(g.bot),
                                name: own(g.name),
                                value: own(g.value),
                                pattern: own(g.pattern),
                                source: None,
                                pre: g.pre.as_ref().map(StaticPre::to_pre),
                                pre_name: g.pre_name.as_ref().map(StaticPre::to_pre),
                            })
                        })
                        .collect::<Result<_>>()?,
                })
            })
            .collect::<Result<_>>()?;
        let mut c = Catalog::default();
        c.add(&specs, "rules/ai-tools.toml (built in)", false)?;
        Ok(c)
    }

    /// Adds the tools of a catalog file's text; `origin` names it in errors.
    pub fn extend_from_str(&mut self, text: &str, origin: &str) -> Result<()> {
        let file: CatalogFile = toml::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "{}",
                crate::diagnostic::describe_toml_error(origin, text, &e)
            )
        })?;
        self.extend(&file.tool, origin)
    }

    /// Adds tools; a tool whose id already exists gains the new aliases and signatures.
    /// Their regexes are compiled now, so an invalid one is an error here.
    /// A policy's catalog additions are bounded: at most `MAX_EXTRA_TOOLS` tools of at most
    /// `MAX_EXTRA_SIGNATURES` signatures, each regex within `REGEX_SIZE_LIMIT` (a pushed rule
    /// set is text the pusher wrote: compiling it must stay cheap).
    pub fn extend(&mut self, specs: &[ToolSpec], origin: &str) -> Result<()> {
        if specs.len() > MAX_EXTRA_TOOLS {
            anyhow::bail!(
                "{} tools; a policy adds at most {MAX_EXTRA_TOOLS}",
                specs.len()
            );
        }
        if let Some(t) = specs
            .iter()
            .find(|t| t.signature.len() > MAX_EXTRA_SIGNATURES)
        {
            anyhow::bail!(
                "tool `{}` has {} signatures; at most {MAX_EXTRA_SIGNATURES}",
                t.id,
                t.signature.len()
            );
        }
        self.add(specs, origin, true)
    }

    fn add(&mut self, specs: &[ToolSpec], origin: &str, eager: bool) -> Result<()> {
        // The indexes describe the tools: built again on first use after this.
        self.markers = std::sync::OnceLock::new();
        self.trailer_index = std::sync::OnceLock::new();
        self.general = std::sync::OnceLock::new();
        for spec in specs {
            let sigs = spec
                .signature
                .iter()
                .map(|s| compile(s, eager).with_context(|| format!("{origin}: tool `{}`", spec.id)))
                .collect::<Result<Vec<_>>>()?;
            let id = normalize_name(&spec.id);
            if id.is_empty() {
                bail!("{origin}: a tool has an empty id");
            }
            if let Some(c) = &spec.category {
                if !CATEGORIES.contains(&c.as_str()) {
                    bail!(
                        "{origin}: tool `{}`: unknown category `{c}` (use {})",
                        spec.id,
                        CATEGORIES.join(" or ")
                    );
                }
            }
            let mut aliases: Vec<String> = spec.aliases.iter().map(|a| normalize_name(a)).collect();
            aliases.push(id.clone());
            match self.tools.iter_mut().find(|t| t.id == id) {
                Some(t) => {
                    t.aliases.extend(aliases);
                    t.signatures.extend(sigs);
                    if let Some(n) = &spec.name {
                        t.name = n.clone();
                    }
                    if let Some(c) = &spec.category {
                        t.category = c.clone();
                    }
                }
                None => self.tools.push(Tool {
                    name: spec.name.clone().unwrap_or_else(|| spec.id.clone()),
                    category: spec.category.clone().unwrap_or_else(|| "agent".into()),
                    id,
                    aliases,
                    signatures: sigs,
                }),
            }
        }
        Ok(())
    }

    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The names attestations may use for a tool (normalised: lower case, `-` for spaces).
    pub fn aliases_of(&self, id: &str) -> Vec<&str> {
        self.tool(id)
            .map(|t| {
                let mut v: Vec<&str> = t
                    .aliases
                    .iter()
                    .map(String::as_str)
                    .filter(|a| *a != t.id)
                    .collect();
                v.dedup();
                v
            })
            .unwrap_or_default()
    }

    pub fn tool(&self, id: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.id == id)
    }

    /// Resolves a tool name or alias to a catalog id.
    pub fn resolve(&self, name: &str) -> Option<&str> {
        let n = normalize_name(name);
        self.tools
            .iter()
            .find(|t| t.aliases.contains(&n))
            .map(|t| t.id.as_str())
    }

    /// The tool whose identity (author, bot, or co-author address) this is, if any.
    pub fn tool_of_identity(&self, id: &Identity) -> Option<&str> {
        self.tools
            .iter()
            .find(|t| {
                t.signatures.iter().any(|s| match &s.matcher {
                    Matcher::Identity(m) => m.matches(id),
                    Matcher::Trailer { id: Some(m), .. } => m.matches(id),
                    _ => false,
                })
            })
            .map(|t| t.id.as_str())
    }

    /// Whether an identity is one the catalog knows as an AI tool.
    pub fn is_ai_identity(&self, id: &Identity) -> bool {
        self.tool_of_identity(id).is_some()
    }

    /// Whether an identity with an address is an AI tool, by the catalog's entries or by the
    /// general rules on people (`Claude Code <me@example.com>`, `cursor-staging[bot]`, a model's
    /// name): what a review by it is not.
    pub fn is_ai_person(&self, id: &Identity) -> bool {
        if self.is_ai_identity(id) {
            return true;
        }
        let known = self
            .general
            .get_or_init(|| crate::evidence_rules::ToolIndex::new(self));
        crate::evidence_rules::identity_is_ai(self, known, id)
    }

    /// All AI evidence in one commit, one entry per (tool, text).
    pub fn evidence(&self, c: &CommitView<'_>) -> Vec<Evidence> {
        // Hits are collected with their (tool, signature, occurrence) position and sorted, so
        // evidence comes in catalog order however it was found.
        let mut hits: Vec<((usize, usize, usize), Evidence)> = Vec::new();
        // Each trailer against the signatures of its key; its `Name <email>` parsed once.
        let tindex = self.trailer_index.get_or_init(|| self.trailer_index());
        let mut nth: std::collections::HashMap<(usize, usize), usize> = Default::default();
        for t in c.trailers {
            let Some(sigs) = tindex.get(&t.key.to_ascii_lowercase()) else {
                continue;
            };
            let mut ident: Option<Option<Identity>> = None;
            for &(ti, si) in sigs {
                let Matcher::Trailer { id, value, .. } = &self.tools[ti].signatures[si].matcher
                else {
                    continue;
                };
                let ok = match (id, value) {
                    (Some(m), _) => ident
                        .get_or_insert_with(|| Identity::parse(&t.value))
                        .as_ref()
                        .is_some_and(|i| m.matches(i)),
                    (None, Some(re)) => re.is_match(&t.value),
                    (None, None) => true,
                };
                if ok {
                    let k = nth.entry((ti, si)).or_default();
                    *k += 1;
                    hits.push((
                        (ti, si, *k),
                        self.signature_hit(ti, si, EvidenceSource::Trailer, t.to_string()),
                    ));
                }
            }
        }
        for (ti, tool) in self.tools.iter().enumerate() {
            for (si, sig) in tool.signatures.iter().enumerate() {
                if let Matcher::Identity(m) = &sig.matcher {
                    for (k, (who, source)) in [
                        (c.author, EvidenceSource::Author),
                        (c.committer, EvidenceSource::Committer),
                    ]
                    .into_iter()
                    .enumerate()
                    {
                        if m.matches(who) {
                            hits.push((
                                (ti, si, k),
                                self.signature_hit(ti, si, source, who.to_string()),
                            ));
                        }
                    }
                }
            }
        }
        // Markers: each line against the markers that can match it (and, for a line a squash
        // indented or bulleted, the markers that can match it without that).
        let index = self.markers.get_or_init(|| self.marker_index());
        // Markers with no fixed start are tried on every line: first keep those whose required
        // literals occur in the message at all (one scan per marker, not one per line).
        let marker = |&(ti, si): &(usize, usize)| match &self.tools[ti].signatures[si].matcher {
            Matcher::Marker(re) => Some(re),
            _ => None,
        };
        let anywhere: Vec<(usize, usize)> = index
            .any
            .iter()
            .filter(|m| marker(m).is_some_and(|re| re.may_occur_in(c.message)))
            .copied()
            .collect();
        for (k, line) in c.message.lines().enumerate() {
            let line = line.trim_end();
            let bare = strip_squash_prefix(line);
            let first = |l: &str| l.as_bytes().first().and_then(|b| index.by_first.get(b));
            let mut seen_here: Vec<(usize, usize)> = Vec::new();
            for &(ti, si) in first(line)
                .into_iter()
                .flatten()
                .chain(anywhere.iter())
                .chain(
                    first(bare)
                        .into_iter()
                        .flatten()
                        .filter(|_| bare.len() != line.len()),
                )
            {
                if seen_here.contains(&(ti, si)) {
                    continue;
                }
                seen_here.push((ti, si));
                let Matcher::Marker(re) = &self.tools[ti].signatures[si].matcher else {
                    continue;
                };
                let (source, text) = if re.is_match(line) {
                    (EvidenceSource::Marker, line)
                } else if bare.len() != line.len() && re.is_match(bare) {
                    (EvidenceSource::Squashed, bare)
                } else {
                    continue;
                };
                hits.push((
                    (ti, si, k),
                    self.signature_hit(ti, si, source, text.to_string()),
                ));
            }
        }
        hits.sort_by_key(|h| h.0);
        let mut out: Vec<Evidence> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut push = |e: Evidence| {
            if seen.insert((e.tool.clone(), e.text.clone())) {
                out.push(e);
            }
        };
        for (_, e) in hits {
            push(e);
        }
        self.squashed_trailers(c, &mut push);
        // The general rules (disclosure lines, session links, models and tools where a person's
        // name goes, bot logins with a suffix), after the catalog's own entries.
        let known = self
            .general
            .get_or_init(|| crate::evidence_rules::ToolIndex::new(self));
        let general = crate::evidence_rules::general_evidence(self, known, c);
        for (e, _) in general.iter().filter(|(_, from_model)| !from_model) {
            push(e.clone());
        }
        let ignored = &self.ignored;
        out.retain(|e| !ignored.contains(&e.rule));
        // A tool guessed from a model's name (`Claude 3.5 Sonnet`) gives way to evidence that
        // names a tool, since a model runs in many tools.
        let named = |e: &Evidence| e.tool != crate::evidence_rules::UNKNOWN_AI;
        if !out.iter().any(named) {
            for (e, _) in general.into_iter().filter(|(_, from_model)| *from_model) {
                if !ignored.contains(&e.rule) && !out.contains(&e) {
                    out.push(e);
                }
            }
        }
        // A general rule repeating part of a catalog entry's line (a session link in a marker
        // line) adds nothing to it.
        let firm: Vec<(String, String)> = out
            .iter()
            .filter(|e| e.rule == crate::evidence_rules::SIGNATURE)
            .take(64)
            .map(|e| (e.tool.clone(), e.text.clone()))
            .collect();
        out.retain(|e| {
            e.rule == crate::evidence_rules::SIGNATURE
                || !firm
                    .iter()
                    .any(|(t, x)| *t == e.tool && x.contains(e.text.as_str()))
        });
        // A disclosure that names no tool adds nothing beside evidence that names one.
        if out
            .iter()
            .any(|e| e.tool != crate::evidence_rules::UNKNOWN_AI)
        {
            out.retain(|e| e.tool != crate::evidence_rules::UNKNOWN_AI);
        }
        out
    }

    /// Turns evidence rules off by id (`[evidence] ignore`); ids are checked by the caller
    /// against `crate::evidence_rules::RULES`.
    pub fn ignore_rules(&mut self, ids: &[&'static str]) {
        self.ignored = ids.to_vec();
    }

    /// Evidence of a catalog entry (tool `ti`, signature `si`).
    fn signature_hit(
        &self,
        ti: usize,
        si: usize,
        source: EvidenceSource,
        text: String,
    ) -> Evidence {
        let tool = &self.tools[ti];
        Evidence {
            tool: tool.id.clone(),
            source,
            text,
            rule: crate::evidence_rules::SIGNATURE,
            why: format!(
                "{} entry: {}",
                tool.id,
                tool.signatures[si].matcher.describe()
            ),
        }
    }

    /// Each tool's exact addresses and bot logins, as (tool index, address or login).
    pub(crate) fn identities(&self) -> (ToolStrs<'_>, ToolStrs<'_>) {
        let (mut emails, mut bots) = (Vec::new(), Vec::new());
        for (ti, t) in self.tools.iter().enumerate() {
            for s in &t.signatures {
                match &s.matcher {
                    Matcher::Identity(IdMatch::Email(e))
                    | Matcher::Trailer {
                        id: Some(IdMatch::Email(e)),
                        ..
                    } => emails.push((ti, e.as_str())),
                    Matcher::Identity(IdMatch::Bot(b))
                    | Matcher::Trailer {
                        id: Some(IdMatch::Bot(b)),
                        ..
                    } => bots.push((ti, b.as_str())),
                    _ => {}
                }
            }
        }
        (emails, bots)
    }

    /// The tool a name resolves to, as its index.
    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        if name.len() > 64 {
            return None;
        }
        let known = self
            .general
            .get_or_init(|| crate::evidence_rules::ToolIndex::new(self));
        known.tool_named(&normalize_name(name))
    }

    /// Each tool's names (id and aliases, normalised) with the tool's index, first tool first.
    pub(crate) fn names(&self) -> Vec<(String, usize)> {
        self.tools
            .iter()
            .enumerate()
            .flat_map(|(ti, t)| t.aliases.iter().map(move |a| (a.clone(), ti)))
            .collect()
    }

    fn trailer_index(&self) -> std::collections::HashMap<String, Vec<(usize, usize)>> {
        let mut idx: std::collections::HashMap<String, Vec<(usize, usize)>> = Default::default();
        for (ti, tool) in self.tools.iter().enumerate() {
            for (si, sig) in tool.signatures.iter().enumerate() {
                if let Matcher::Trailer { key, .. } = &sig.matcher {
                    idx.entry(key.to_ascii_lowercase())
                        .or_default()
                        .push((ti, si));
                }
            }
        }
        idx
    }

    fn marker_index(&self) -> MarkerIndex {
        let mut idx = MarkerIndex::default();
        for (ti, tool) in self.tools.iter().enumerate() {
            for (si, sig) in tool.signatures.iter().enumerate() {
                if let Matcher::Marker(re) = &sig.matcher {
                    match re.prefix.as_deref().and_then(|p| p.as_bytes().first()) {
                        Some(b) => idx.by_first.entry(*b).or_default().push((ti, si)),
                        None => idx.any.push((ti, si)),
                    }
                }
            }
        }
        idx
    }

    /// Evidence from AI attribution notes: each tool a note names (`"tool": "cursor"`, or an
    /// Agent Trace `"tool": {"name": "claude-code"}`), resolved through the aliases; a note
    /// that names no tool the catalog knows still shows AI work, as `unknown-ai`.
    pub fn note_evidence(&self, notes: &[(String, String)]) -> Vec<Evidence> {
        let mut out: Vec<Evidence> = Vec::new();
        for (r, text) in notes {
            let mut tools: Vec<String> = Vec::new();
            let mut rest = text.as_str();
            // `"tool"` keys, each followed by a string or an object with a `"name"` (looked for
            // inside that object only). At most 64 keys are read: a note of a million `"tool"`
            // keys costs one pass, not one per key.
            let mut keys = 0;
            while let Some(i) = rest.find("\"tool\"") {
                keys += 1;
                if keys > 64 {
                    break;
                }
                rest = &rest[i + 6..];
                let after = rest
                    .trim_start()
                    .strip_prefix(':')
                    .unwrap_or("")
                    .trim_start();
                let value = if let Some(obj) = after.strip_prefix('{') {
                    let obj = &obj[..obj.find('}').unwrap_or(obj.len())];
                    obj.find("\"name\"").and_then(|j| {
                        let v = obj[j + 6..].trim_start().strip_prefix(':')?.trim_start();
                        v.strip_prefix('"')?.split('"').next()
                    })
                } else {
                    after.strip_prefix('"').and_then(|v| v.split('"').next())
                };
                if let Some(v) = value.filter(|v| !v.is_empty() && v.len() < 64) {
                    let id = self
                        .resolve(v)
                        .map(str::to_string)
                        .unwrap_or_else(|| normalize_name(v));
                    if !tools.contains(&id) {
                        tools.push(id);
                    }
                }
                if tools.len() >= 16 {
                    break;
                }
            }
            let ai_marked = text.contains("\"type\": \"ai\"") || text.contains("\"type\":\"ai\"");
            if tools.is_empty() && ai_marked {
                tools.push("unknown-ai".into());
            }
            for t in tools {
                out.push(Evidence {
                    tool: t,
                    source: EvidenceSource::Note,
                    text: format!("note in {r}"),
                    rule: crate::evidence_rules::NOTE,
                    why: "an AI attribution note names the tool".into(),
                });
            }
        }
        out
    }

    /// Trailer-shaped lines anywhere in the message (indented, bulleted, mid-message) that a
    /// trailer signature matches: attribution a squash moved out of the trailer block.
    fn squashed_trailers(&self, c: &CommitView<'_>, push: &mut dyn FnMut(Evidence)) {
        let keys = self.trailer_index.get_or_init(|| self.trailer_index());
        // The trailers git sees, to skip their lines (a set: a message can hold 100,000).
        let mut real: Option<std::collections::HashSet<(String, &str)>> = None;
        for line in c.message.lines() {
            let bare = strip_squash_prefix(line.trim_end());
            let Some((key, value)) = bare.split_once(':') else {
                continue;
            };
            // `Key : value` is a trailer too: the key without the space before the colon.
            let (key, value) = (key.trim(), value.trim());
            let Some(sigs) = keys
                .get(&key.to_ascii_lowercase())
                .filter(|_| !value.is_empty())
            else {
                continue;
            };
            let real = real.get_or_insert_with(|| {
                c.trailers
                    .iter()
                    .map(|t| (t.key.to_ascii_lowercase(), t.value.as_str()))
                    .collect()
            });
            if real.contains(&(key.to_ascii_lowercase(), value)) {
                continue;
            }
            let ident = Identity::parse(value);
            for &(ti, si) in sigs {
                let Matcher::Trailer { id, value: re, .. } = &self.tools[ti].signatures[si].matcher
                else {
                    continue;
                };
                let ok = match (id, re) {
                    (Some(m), _) => ident.as_ref().is_some_and(|i| m.matches(i)),
                    (None, Some(re)) => re.is_match(value),
                    (None, None) => true,
                };
                if ok {
                    push(self.signature_hit(ti, si, EvidenceSource::Squashed, bare.to_string()));
                }
            }
        }
    }
}

/// A line without what squashes put before moved trailers: indentation and a list bullet
/// (`    Co-authored-by: ...`, `* Co-authored-by: ...`, `- 🤖 Generated with ...`).
pub(crate) fn strip_squash_prefix(line: &str) -> &str {
    let l = line.trim_start();
    for b in ["* ", "- ", "+ ", "• "] {
        if let Some(rest) = l.strip_prefix(b) {
            return rest.trim_start();
        }
    }
    l
}

/// A catalog regex. The built-in catalog's are compiled on first use (the commit-msg hook
/// rarely needs any: compiling all of them was a quarter of its instructions), after a literal
/// pre-check: a pattern anchored at `^` or `$` by a plain literal cannot match text that does
/// not start or end with it. Patterns from a policy are compiled at once, so a bad one is
/// reported when the policy loads.
#[derive(Debug, Clone)]
pub struct LazyRegex {
    pattern: String,
    prefix: Option<String>,
    suffix: Option<String>,
    /// Literals every match contains (lower case when `fold`), checked before compiling.
    inner: Vec<String>,
    fold: bool,
    re: std::sync::OnceLock<Regex>,
}

/// The most tools a policy's `[[catalog.tool]]` adds, and signatures per tool.
pub const MAX_EXTRA_TOOLS: usize = 256;
pub const MAX_EXTRA_SIGNATURES: usize = 64;
/// The compiled size one catalog regex may take (the regex crate's own limit is 10 MiB).
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles a catalog regex within `REGEX_SIZE_LIMIT`.
fn build_regex(pattern: &str) -> Result<Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .with_context(|| {
            format!("invalid regex `{pattern}` (or larger than {REGEX_SIZE_LIMIT} bytes compiled)")
        })
}

impl LazyRegex {
    pub(crate) fn new(pattern: &str, eager: bool) -> Result<LazyRegex> {
        LazyRegex::with_pre(pattern, eager, None)
    }

    /// With pre-checks computed ahead (build.rs) instead of now.
    fn with_pre(pattern: &str, eager: bool, pre: Option<&Pre>) -> Result<LazyRegex> {
        if let Some(pre) = pre {
            let re = std::sync::OnceLock::new();
            if eager {
                let _ = re.set(build_regex(pattern)?);
            }
            return Ok(LazyRegex {
                pattern: pattern.to_string(),
                prefix: pre.prefix.clone(),
                suffix: pre.suffix.clone(),
                inner: pre.inner.clone(),
                fold: pre.fold,
                re,
            });
        }
        let re = std::sync::OnceLock::new();
        if eager {
            let _ = re.set(build_regex(pattern)?);
        }
        let (prefix, suffix) = anchored_literals(pattern);
        let (inner, fold) = required_literals(pattern).unwrap_or_default();
        Ok(LazyRegex {
            pattern: pattern.to_string(),
            prefix,
            suffix,
            inner,
            fold,
            re,
        })
    }

    /// Whether a match can lie anywhere in `text`: every literal a match needs occurs in it.
    pub fn may_occur_in(&self, text: &str) -> bool {
        self.inner.iter().all(|lit| {
            if self.fold {
                contains_ignore_ascii_case(text, lit)
            } else {
                memchr::memmem::find(text.as_bytes(), lit.as_bytes()).is_some()
            }
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        if self.prefix.as_deref().is_some_and(|p| !text.starts_with(p))
            || self.suffix.as_deref().is_some_and(|s| !text.ends_with(s))
            || !self.may_occur_in(text)
        {
            return false;
        }
        self.re
            .get_or_init(|| {
                // Built-in patterns are compiled in tests; a failure here matches nothing.
                build_regex(&self.pattern)
                    .unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("a constant pattern"))
            })
            .is_match(text)
    }
}

/// Whether `text` contains `lit` (ASCII lower case), ignoring ASCII case.
fn contains_ignore_ascii_case(text: &str, lit: &str) -> bool {
    let (t, l) = (text.as_bytes(), lit.as_bytes());
    let Some(&first) = l.first() else {
        return true;
    };
    // Candidates start with the first byte in either case; compare the rest there.
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), t).any(|i| {
        t.get(i..i + l.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(l))
    })
}

fn id_match(s: &SignatureSpec, eager: bool) -> Result<Option<IdMatch>> {
    Ok(match (&s.email, &s.bot, &s.name) {
        (Some(e), None, None) => Some(IdMatch::Email(e.clone())),
        (None, Some(b), None) => Some(IdMatch::Bot(b.clone())),
        (None, None, Some(n)) => Some(IdMatch::Name(LazyRegex::with_pre(
            n,
            eager,
            s.pre_name.as_ref(),
        )?)),
        (None, None, None) => None,
        _ => bail!("a signature takes only one of `email`, `bot`, `name`"),
    })
}

fn compile(s: &SignatureSpec, eager: bool) -> Result<Signature> {
    let matcher = match s.kind {
        SignatureKind::Trailer => {
            let Some(key) = s.key.clone() else {
                bail!("a trailer signature needs `key`");
            };
            Matcher::Trailer {
                key,
                id: id_match(s, eager)?,
                value: s
                    .value
                    .as_deref()
                    .map(|v| LazyRegex::with_pre(v, eager, s.pre.as_ref()))
                    .transpose()?,
            }
        }
        SignatureKind::Marker => {
            let Some(p) = &s.pattern else {
                bail!("a marker signature needs `pattern`");
            };
            Matcher::Marker(LazyRegex::with_pre(p, eager, s.pre.as_ref())?)
        }
        SignatureKind::Identity => match id_match(s, eager)? {
            Some(m) => Matcher::Identity(m),
            None => bail!("an identity signature needs `email`, `bot` or `name`"),
        },
    };
    Ok(Signature { matcher })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trailers::{parse_str, TrailerConfig};

    #[test]
    fn every_built_in_pattern_compiles() {
        let file: CatalogFile = toml::from_str(BUILTIN).unwrap();
        let mut c = Catalog::default();
        c.extend(&file.tool, "built in").unwrap();
    }

    #[test]
    fn required_literals_are_taken_only_where_sound() {
        let r = |p: &str| required_literals(p);
        let s = |x: &[&str], f: bool| Some((x.iter().map(|x| x.to_string()).collect(), f));
        assert_eq!(
            r(r"^\s*(🤖\s*)?Generated with \[?Claude Code\b"),
            s(&["Generated with ", "Claude Code"], false)
        );
        assert_eq!(r(r"(?i)^codex\b[^<]*<"), s(&["codex"], true));
        assert_eq!(r(r"abc|xyz"), None);
        assert_eq!(r(r"x(?i:abc)y"), None);
        assert_eq!(r(r"ab?cde"), s(&["cde"], false));
        // Nested and `]`-first classes, and escapes with arguments, are not read as literals:
        // a policy's own patterns must still match what the regex matches.
        for (p, text) in [
            (r"[[:alpha:]]bot", "xbot"),
            (r"[]a]bcd", "]bcd"),
            (r"[^]a]bcd", "zbcd"),
            (r"\x41bc", "Abc"),
            (r"\pLabc", "Zabc"),
            (r"ab\x41$", "abA"),
        ] {
            let lazy = LazyRegex::new(p, true).unwrap();
            assert!(lazy.is_match(text), "{p} on {text}");
            assert!(Regex::new(p).unwrap().is_match(text), "{p} on {text}");
        }
        // Every built-in pattern's pre-check agrees with the regex on lines that match it.
        let file: CatalogFile = toml::from_str(BUILTIN).unwrap();
        for t in &file.tool {
            for sig in &t.signature {
                for p in [&sig.pattern, &sig.value, &sig.name].into_iter().flatten() {
                    let lazy = LazyRegex::new(p, false).unwrap();
                    let re = Regex::new(p).unwrap();
                    for line in BUILTIN.lines().chain([
                        "Generated with Claude Code",
                        "🤖 Generated with [Claude Code](https://claude.com/claude-code)",
                    ]) {
                        assert_eq!(lazy.is_match(line), re.is_match(line), "{p} on {line}");
                    }
                }
            }
        }
    }

    #[test]
    fn literal_pre_checks_are_taken_only_where_sound() {
        let l = |p: &str| anchored_literals(p);
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            l(r"^🤖 Generated with \[X\]\(https://(a\.b|c)\)"),
            (s("🤖 Generated with [X](https://"), None)
        );
        assert_eq!(l(r" \(aider\)$"), (None, s(" (aider)")));
        assert_eq!(l(r"^abc*"), (s("ab"), None));
        assert_eq!(l(r"^(?i)cursor\b"), (None, None));
        assert_eq!(l(r"^🤖 (?i:generated)"), (s("🤖 "), None));
        assert_eq!(l(r"^abc|xyz"), (None, None));
        assert_eq!(l(r"^ab[(]|x"), (None, None));
        assert_eq!(l(r"ab?$"), (None, None));
        assert_eq!(l(r"^\d+x$"), (None, s("x")));
        assert_eq!(l(r"a\$"), (None, None));
        // The pre-check never hides a match the regex makes.
        for (p, text) in [
            (r"^abc*", "ab"),
            (r" \(aider\)$", "Paul (aider)"),
            (r"^a(b|c)d", "acd"),
        ] {
            let lazy = LazyRegex::new(p, false).unwrap();
            assert!(lazy.is_match(text), "{p} on {text}");
            assert!(!lazy.is_match("zzz"));
        }
    }

    fn tools_in(msg: &str, author: &str, committer: &str) -> Vec<String> {
        let cat = Catalog::builtin().unwrap();
        let t = parse_str(msg, &TrailerConfig::default());
        let a = Identity::parse(author).unwrap();
        let c = Identity::parse(committer).unwrap();
        let mut ids: Vec<String> = cat
            .evidence(&CommitView {
                message: msg,
                trailers: &t,
                author: &a,
                committer: &c,
            })
            .into_iter()
            .map(|e| e.tool)
            .collect();
        ids.dedup();
        ids
    }

    #[test]
    fn claude_co_author_with_any_model_name_is_claude_code() {
        let h = "Dev <dev@example.com>";
        assert_eq!(
            tools_in(
                "t\n\nCo-Authored-By: Claude Opus 4.5 <noreply@anthropic.com>\n",
                h,
                h
            ),
            ["claude-code"]
        );
    }

    #[test]
    fn a_squashed_trailer_with_a_space_before_its_colon_is_still_found() {
        let t = |m: &str| tools_in(m, "Ann <ann@example.com>", "Ann <ann@example.com>");
        assert_eq!(
            t("feat: x (#3)\n\n* Co-authored-by : Claude <noreply@anthropic.com>\n\n* fix lint\n"),
            ["claude-code"]
        );
    }

    #[test]
    fn a_co_author_naming_a_tool_at_a_no_reply_address_is_that_tool() {
        let t = |m: &str| tools_in(m, "Ann <ann@example.com>", "Ann <ann@example.com>");
        assert_eq!(
            t("x\n\nCo-authored-by: Windsurf <noreply@windsurf.com>\n"),
            ["windsurf"]
        );
        assert_eq!(
            t("x\n\nCo-authored-by: Claude Code <noreply@example.dev>\n"),
            ["claude-code"]
        );
        // People: a personal address, or a name that is no tool.
        assert!(t("x\n\nCo-authored-by: Claude <claude@monet.fr>\n").is_empty());
        assert!(t("x\n\nCo-authored-by: Jane Doe <noreply@example.com>\n").is_empty());
    }

    #[test]
    fn a_credit_line_naming_a_known_tool_is_that_tool() {
        let t = |m: &str| tools_in(m, "Ann <ann@example.com>", "Ann <ann@example.com>");
        assert_eq!(
            t("x\n\n🤖 Generated with [Windsurf](https://windsurf.com)\n"),
            ["windsurf"]
        );
        assert_eq!(t("x\n\nMade with Cursor\n"), ["cursor"]);
        assert_eq!(t("x\n\n✨ Generated by Devin.\n"), ["devin"]);
        assert!(t("x\n\nGenerated with protoc 3.21\n").is_empty());
        assert!(t("x\n\nGenerated with Cursor, then fixed by hand because it broke\n").is_empty());
        assert!(t("x\n\nThe parser is generated by Claude's grammar tool\n").is_empty());
    }

    #[test]
    fn vendor_domain_humans_are_not_tools() {
        let h = "Dev <dev@example.com>";
        assert!(tools_in("t\n\nCo-authored-by: Ann <ann@anthropic.com>\n", h, h).is_empty());
        assert!(tools_in("t\n\nCo-authored-by: Ann <ann@cursor.com>\n", h, h).is_empty());
        assert!(tools_in("t", "Ann <ann@openai.com>", h).is_empty());
    }

    #[test]
    fn bot_logins_match_name_or_noreply_address() {
        let h = "Dev <dev@example.com>";
        let bot = "someone <161369871+google-labs-jules[bot]@users.noreply.github.com>";
        assert_eq!(tools_in("t", bot, h), ["jules"]);
        assert!(tools_in("t", "x <1+not-jules@users.noreply.github.com>", h).is_empty());
    }

    #[test]
    fn aliases_resolve_to_ids() {
        let cat = Catalog::builtin().unwrap();
        assert_eq!(cat.resolve("Claude Code"), Some("claude-code"));
        assert_eq!(cat.resolve("claude"), Some("claude-code"));
        assert_eq!(cat.resolve("KIRO"), Some("kiro"));
        assert_eq!(cat.resolve("nonesuch"), None);
    }
}

#[cfg(test)]
mod coverage_tests {
    use super::*;

    #[test]
    fn every_tool_has_a_sourced_signature_and_aliases_are_unique() {
        let file: CatalogFile = toml::from_str(BUILTIN).unwrap();
        let mut seen: std::collections::HashMap<String, String> = Default::default();
        for t in &file.tool {
            assert!(!t.signature.is_empty(), "{} has no signature", t.id);
            for s in &t.signature {
                assert!(s.source.is_some(), "{}: a signature without a source", t.id);
            }
            for a in t.aliases.iter().chain(std::iter::once(&t.id)) {
                let n = normalize_name(a);
                if let Some(other) = seen.insert(n.clone(), t.id.clone()) {
                    assert_eq!(other, t.id, "alias `{n}` names both {other} and {}", t.id);
                }
            }
        }
    }

    #[test]
    fn no_signature_matches_a_whole_vendor_domain() {
        let file: CatalogFile = toml::from_str(BUILTIN).unwrap();
        for t in &file.tool {
            for s in &t.signature {
                if let Some(e) = &s.email {
                    assert!(
                        e.contains('@') && !e.starts_with('@') && !e.contains('*'),
                        "{}: `{e}` is not one exact address",
                        t.id
                    );
                }
            }
        }
    }
}
