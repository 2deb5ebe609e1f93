//! The policy: `.aigate.toml` as written (serde types with spans), the built-in default,
//! validation with file/line/column diagnostics, and the compiled form the verdict reads.
//! Pure: callers hand in the text and a name for it.

use crate::catalog::{Catalog, ToolSpec};
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use std::fmt::Write as _;
use toml::Spanned;

pub use crate::diagnostic::{describe_toml_error, diagnostic, PolicyError};

/// The policy that applies when a repository has no `.aigate.toml`.
pub const DEFAULT_POLICY: &str = r#"[branches]
protected = ["main", "master", "release/**"]
mode = "enforce"

[tools]
approved = ["*"]

[review]
trailers = ["Reviewed-by"]
min = 1
"#;

/// The files that hold the rules on the governing ref: changing them is a governed change.
pub const GOVERNED_FILES: [&str; 3] = [
    ".aigate.toml",
    ".aigate/exemptions.toml",
    ".aigate/allowed_signers",
];

/// `aigate init --preset NAME`: policies real projects publish, each with its source.
pub const PRESETS: [(&str, &str); 5] = [
    ("starter", STARTER_POLICY),
    ("kernel", include_str!("../../../rules/presets/kernel.toml")),
    ("fedora", include_str!("../../../rules/presets/fedora.toml")),
    ("llvm", include_str!("../../../rules/presets/llvm.toml")),
    ("qemu", include_str!("../../../rules/presets/qemu.toml")),
];

/// `aigate init`'s starter policy, with every key explained.
pub const STARTER_POLICY: &str = include_str!("../../../rules/policy-starter.toml");

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Findings on protected refs refuse the commit or push.
    #[default]
    Enforce,
    /// Findings are printed; nothing is refused.
    Warn,
    /// aigate does nothing.
    Off,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequireFor {
    /// Only AI-assisted commits need reviews.
    #[default]
    Ai,
    /// Every commit needs reviews.
    All,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    #[serde(default)]
    pub branches: BranchesSection,
    #[serde(default)]
    pub tools: ToolsSection,
    #[serde(default)]
    pub attestation: AttestationSection,
    #[serde(default)]
    pub review: ReviewSection,
    #[serde(default)]
    pub catalog: CatalogSection,
    #[serde(default)]
    pub exemptions: ExemptionsSection,
    #[serde(default)]
    pub agents: AgentsSection,
    #[serde(default)]
    pub governance: GovernanceSection,
    /// Authenticated pusher → principal (email): `"alice" = "alice@example.com"`, keyed by the
    /// login the server names (`GL_USER`, `GL_USERNAME`, `REMOTE_USER`, `GITHUB_USER_LOGIN`).
    #[serde(default)]
    pub identities: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub refs: RefsSection,
    #[serde(default)]
    pub models: ModelsSection,
    /// Teams for the adoption figures: team name → globs on author emails.
    #[serde(default)]
    pub teams: std::collections::BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    pub evidence: EvidenceSection,
    #[serde(default)]
    pub forge: ForgeSection,
}

/// Which evidence rules apply (`crate::evidence_rules::RULES`): all, but those ignored here.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSection {
    /// Rule ids to turn off (`["disclosure-prose"]`), for projects whose messages trip them.
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
}

/// Forge reviews: which keys may attest them (bridges), by principal in the trust root.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ForgeSection {
    /// Principals of the bridge keys (a CI job or webhook receiver) whose signed statements of
    /// a forge review count as that reviewer's approval.
    #[serde(default)]
    pub bridges: Vec<Spanned<String>>,
}

/// What a signed approval is bound to.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    /// The change (target ref, base, head): it covers the squash, rebase or merge that lands it.
    #[default]
    Change,
    /// The commit ids named, only.
    Commit,
}

/// Where a change may land relative to the base it was reviewed against.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaseRule {
    /// On the reviewed base, or on a later target when a clean three-way merge gives the tree.
    #[default]
    Merge,
    /// Only on the reviewed base (teams that require an up-to-date branch).
    Exact,
}

/// Which protected refs an approval counts for.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalScope {
    /// The one ref it names: a commit approved for release/next needs another approval to
    /// reach main.
    #[default]
    Ref,
    /// Any protected ref.
    Protected,
}

/// Which models attestations may name (`vendor/family` globs, e.g. `anthropic/claude-*`).
/// Empty: any model.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ModelsSection {
    #[serde(default)]
    pub approved: Vec<Spanned<String>>,
}

/// How a review is counted: a typed `Reviewed-by:` trailer, or a signed approval only.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verify {
    /// `Reviewed-by: Name <email>` counts (text the author can type).
    #[default]
    Trailer,
    /// Only a signed approval (`aigate approve`) that verifies against the trust root counts.
    Signed,
}

/// Who may change the rules themselves (the governed files on the governing ref).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSection {
    /// Principals (emails, as in the trust root) whose signed approvals a rule change needs.
    #[serde(default)]
    pub owners: Vec<Spanned<String>>,
    /// Distinct owners needed (default 1), none of them the pusher or the change's author.
    pub min: Option<u32>,
    /// More governed paths beside `.aigate.toml`, `.aigate/exemptions.toml` and
    /// `.aigate/allowed_signers` (globs).
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
}

/// Refs that change what other refs' history means.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RefsSection {
    /// Allow pushes to `refs/replace/*` (they make `git show`, `git archive` and mirror clones
    /// serve another object for a commit id). Default: refused.
    #[serde(default)]
    pub allow_replace: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationMode {
    /// prepare-commit-msg adds `Assisted-by: TOOL` when an agent commits.
    #[default]
    Add,
    /// An agent's commit without an attestation is refused.
    Require,
    /// Nothing is added or required at commit time.
    Off,
}

/// What an AI agent may do at `git commit` time, and how large an AI-assisted change may be
/// before it needs more reviews.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsSection {
    #[serde(default)]
    pub attestation: AttestationMode,
    /// May an agent commit directly on a protected branch?
    #[serde(default)]
    pub allow_on_protected: bool,
    #[serde(default)]
    pub blast_radius: BlastRadius,
}

impl Default for AgentsSection {
    fn default() -> Self {
        AgentsSection {
            attestation: AttestationMode::Add,
            allow_on_protected: false,
            blast_radius: BlastRadius::default(),
        }
    }
}

/// Limits on one AI-assisted commit: over them, pre-commit wants a human's confirmation and
/// protected branches want `min_reviews` reviews.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlastRadius {
    #[serde(default = "default_max_deleted_files")]
    pub max_deleted_files: u32,
    #[serde(default = "default_max_deleted_percent")]
    pub max_deleted_percent: u32,
    #[serde(default = "default_guarded_paths")]
    pub guarded_paths: Vec<String>,
    #[serde(default = "default_blast_reviews")]
    pub min_reviews: u32,
}

impl Default for BlastRadius {
    fn default() -> Self {
        BlastRadius {
            max_deleted_files: default_max_deleted_files(),
            max_deleted_percent: default_max_deleted_percent(),
            guarded_paths: default_guarded_paths(),
            min_reviews: default_blast_reviews(),
        }
    }
}

fn default_max_deleted_files() -> u32 {
    50
}
fn default_max_deleted_percent() -> u32 {
    20
}
fn default_guarded_paths() -> Vec<String> {
    [
        "infra/**",
        "**/*.tf",
        "deploy/**",
        "**/k8s/**",
        ".github/workflows/**",
        "**/Dockerfile",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
fn default_blast_reviews() -> u32 {
    2
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExemptionsSection {
    /// The longest an exemption may last, from not_before (or its grant) to expires.
    pub max_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BranchesSection {
    #[serde(default = "default_protected")]
    pub protected: Vec<Spanned<String>>,
    #[serde(default)]
    pub mode: Mode,
    /// Allow deleting a protected branch (server side).
    #[serde(default)]
    pub allow_deletion: bool,
    /// Allow non-fast-forward updates of a protected branch (server side).
    #[serde(default)]
    pub allow_force_push: bool,
    /// Allow moving a protected tag to another object (server side). Default: a protected tag,
    /// once pushed, stays where it is.
    #[serde(default)]
    pub allow_tag_move: bool,
}

impl Default for BranchesSection {
    fn default() -> Self {
        BranchesSection {
            protected: default_protected(),
            mode: Mode::Enforce,
            allow_deletion: false,
            allow_force_push: false,
            allow_tag_move: false,
        }
    }
}

fn default_protected() -> Vec<Spanned<String>> {
    ["main", "master", "release/**"]
        .iter()
        .map(|s| Spanned::new(0..0, s.to_string()))
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolsSection {
    #[serde(default = "default_approved")]
    pub approved: Vec<Spanned<String>>,
}

impl Default for ToolsSection {
    fn default() -> Self {
        ToolsSection {
            approved: default_approved(),
        }
    }
}

fn default_approved() -> Vec<Spanned<String>> {
    vec![Spanned::new(0..0, "*".to_string())]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationSection {
    #[serde(default = "default_attestation_trailers")]
    pub trailers: Vec<String>,
}

impl Default for AttestationSection {
    fn default() -> Self {
        AttestationSection {
            trailers: default_attestation_trailers(),
        }
    }
}

fn default_attestation_trailers() -> Vec<String> {
    vec!["Assisted-by".into()]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewSection {
    #[serde(default = "default_review_trailers")]
    pub trailers: Vec<String>,
    #[serde(default = "one")]
    pub min: u32,
    #[serde(default)]
    pub reviewers: Vec<Spanned<String>>,
    #[serde(default)]
    pub require_for: RequireFor,
    #[serde(default)]
    pub paths: Vec<PathRuleFile>,
    #[serde(default)]
    pub verify: Verify,
    /// With `verify = "signed"`: may the pusher's own approval count for what they push?
    /// Default no (Gerrit's non-uploader rule: the one who uploads cannot approve).
    #[serde(default)]
    pub pusher_approves: bool,
    /// With `verify = "signed"`: what an approval is bound to (`change` or `commit`).
    #[serde(default)]
    pub binding: Binding,
    /// With `binding = "change"`: `merge` (default) or `exact`.
    #[serde(default)]
    pub base: BaseRule,
    /// `ref` (default): an approval counts for the ref it names; `protected`: for any.
    #[serde(default)]
    pub approvals_for: ApprovalScope,
}

impl Default for ReviewSection {
    fn default() -> Self {
        ReviewSection {
            trailers: default_review_trailers(),
            min: 1,
            reviewers: Vec::new(),
            require_for: RequireFor::Ai,
            paths: Vec::new(),
            verify: Verify::Trailer,
            pusher_approves: false,
            binding: Binding::Change,
            base: BaseRule::Merge,
            approvals_for: ApprovalScope::Ref,
        }
    }
}

fn one() -> u32 {
    1
}

fn default_review_trailers() -> Vec<String> {
    vec!["Reviewed-by".into()]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRuleFile {
    pub paths: Vec<Spanned<String>>,
    pub min: u32,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CatalogSection {
    #[serde(default)]
    pub tool: Vec<ToolSpec>,
}

/// One approved tool, optionally pinned to versions (`"kiro >=1.2"`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Approval {
    /// A catalog id, or `*` for every tool in the catalog.
    pub tool: String,
    pub requirement: Option<(String, Vec<u64>)>,
}

/// A stricter review rule for some paths.
#[derive(Debug, Clone)]
pub struct PathRule {
    pub patterns: Vec<String>,
    pub set: GlobSet,
    pub min: u32,
}

/// The compiled policy the verdict reads.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where it came from (a file path, `HEAD:.aigate.toml`, or `built-in default`).
    pub origin: String,
    pub mode: Mode,
    pub protected: Vec<String>,
    /// Branch globs, checked at load; the set is built only for a name the plain forms
    /// (`main`, `release/**`) cannot decide (building it was ~7% of the commit-msg hook).
    protected_set: LazyGlobSet,
    pub allow_deletion: bool,
    pub allow_force_push: bool,
    pub approved: Vec<Approval>,
    pub attestation_trailers: Vec<String>,
    pub review_trailers: Vec<String>,
    pub review_min: u32,
    pub require_for: RequireFor,
    pub reviewers: Vec<String>,
    reviewer_set: Option<GlobSet>,
    pub path_rules: Vec<PathRule>,
    pub catalog: Catalog,
    pub exemption_max_days: Option<u32>,
    pub agents: AgentsSection,
    pub allow_tag_move: bool,
    pub verify: Verify,
    pub pusher_approves: bool,
    pub binding: Binding,
    pub base_rule: BaseRule,
    pub approvals_for: ApprovalScope,
    /// Principals of the keys that attest forge reviews (`[forge] bridges`).
    pub bridges: Vec<String>,
    /// Owners of the rules (principals), and how many distinct ones a rule change needs.
    pub owners: Vec<String>,
    pub owners_min: u32,
    /// Governed paths: the rule files and the policy's additions (globs).
    pub governed_paths: Vec<String>,
    governed_set: GlobSet,
    pub identities: std::collections::BTreeMap<String, String>,
    pub allow_replace_refs: bool,
    /// `[models] approved`: model-family globs (empty: any model).
    pub models_approved: Vec<String>,
    /// Guarded paths (agents.blast_radius): the globs, checked at load; the set is built on
    /// first use, since only the blast radius needs it (building it cost the commit-msg hook
    /// ~10% of its instructions).
    guarded: LazyGlobSet,
    /// `[teams]`: who belongs to which team, for the adoption figures.
    pub teams: crate::teams::EmailTeams,
}

/// Globs checked when the policy loads, built into one set on first use: building a set is
/// the costly part, and most runs need only some of a policy's sets.
#[derive(Debug, Clone)]
struct LazyGlobSet {
    globs: Vec<Glob>,
    set: std::sync::OnceLock<Option<GlobSet>>,
}

impl LazyGlobSet {
    fn new(globs: Vec<Glob>) -> Self {
        LazyGlobSet {
            globs,
            set: std::sync::OnceLock::new(),
        }
    }

    /// Indices of the globs that match `name`.
    fn matches(&self, name: &str) -> Vec<usize> {
        let set = self.set.get_or_init(|| {
            let mut b = GlobSetBuilder::new();
            for g in &self.globs {
                b.add(g.clone());
            }
            b.build().ok()
        });
        match set {
            Some(set) => set.matches(name),
            // Each glob compiled on its own at load; only a set past regex size limits fails
            // to build, and then each glob is tried in turn.
            None => (0..self.globs.len())
                .filter(|&i| self.globs[i].compile_matcher().is_match(name))
                .collect(),
        }
    }
}

fn glob(
    pattern: &str,
    literal_separator: bool,
    case_insensitive: bool,
) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(literal_separator)
        .case_insensitive(case_insensitive)
        .backslash_escape(true)
        .build()
}

/// How a glob of the two common forms matches, without compiling it: a plain name (`main`),
/// or a plain directory and everything under it (`release/**`: `release/` and below, not
/// `release` itself, as globset has it). `None` for any other glob.
fn plain_glob_match(pattern: &str, name: &str) -> Option<bool> {
    let plain = |s: &str| !s.is_empty() && !s.contains(['*', '?', '[', ']', '{', '}', '\\']);
    if plain(pattern) {
        return Some(pattern == name);
    }
    let dir = pattern.strip_suffix("/**").filter(|d| plain(d))?;
    Some(name.len() > dir.len() && name.starts_with(dir) && name.as_bytes()[dir.len()] == b'/')
}

fn parse_approval(s: &str) -> Result<Approval, String> {
    let mut parts = s.split_whitespace();
    let tool = parts.next().ok_or("empty tool name")?;
    let requirement = match (parts.next(), parts.next()) {
        (None, _) => None,
        (Some(req), None) => {
            let op_len = req
                .find(|c: char| c.is_ascii_digit())
                .ok_or("a version requirement looks like `>=1.2`")?;
            let (op, ver) = req.split_at(op_len);
            if !matches!(op, ">=" | ">" | "=" | "<=" | "<" | "") {
                return Err(format!(
                    "unknown version operator `{op}`; use >=, >, =, <= or <"
                ));
            }
            let ver =
                parse_version(ver).ok_or("a version is numbers separated by dots, like 1.2")?;
            Some((
                if op.is_empty() {
                    "=".into()
                } else {
                    op.to_string()
                },
                ver,
            ))
        }
        _ => return Err("write one tool and at most one requirement, like \"kiro >=1.2\"".into()),
    };
    Ok(Approval {
        tool: tool.to_string(),
        requirement,
    })
}

/// `1.2.3` → `[1, 2, 3]`.
pub fn parse_version(v: &str) -> Option<Vec<u64>> {
    v.split('.').map(|p| p.parse().ok()).collect()
}

impl Approval {
    /// Whether a version (if attested) satisfies the requirement.
    pub fn admits(&self, version: Option<&[u64]>) -> bool {
        let Some((op, want)) = &self.requirement else {
            return true;
        };
        let Some(have) = version else { return false };
        let n = want.len().max(have.len());
        let pad = |v: &[u64]| {
            (0..n)
                .map(|i| v.get(i).copied().unwrap_or(0))
                .collect::<Vec<_>>()
        };
        let ord = pad(have).cmp(&pad(want));
        match op.as_str() {
            ">=" => ord.is_ge(),
            ">" => ord.is_gt(),
            "<=" => ord.is_le(),
            "<" => ord.is_lt(),
            _ => ord.is_eq(),
        }
    }
}

impl Policy {
    /// The built-in default policy.
    pub fn builtin() -> Result<Policy, PolicyError> {
        Policy::from_str(DEFAULT_POLICY, "built-in default policy")
    }

    /// Parses and validates a policy file's text. `origin` names it in diagnostics.
    pub fn from_str(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let file: PolicyFile =
            toml::from_str(text).map_err(|e| PolicyError(describe_toml_error(origin, text, &e)))?;
        let err = |span: std::ops::Range<usize>, msg: String, help: &str| {
            PolicyError(diagnostic(origin, text, Some(span), &msg, help))
        };

        let mut catalog = Catalog::builtin().map_err(|e| PolicyError(format!("{e:#}")))?;
        catalog
            .extend(&file.catalog.tool, origin)
            .map_err(|e| PolicyError(format!("error: {e:#}\n  --> {origin}: [[catalog.tool]]")))?;

        let mut ignored = Vec::new();
        for r in &file.evidence.ignore {
            match crate::evidence_rules::rule(r.get_ref().trim()) {
                Some(rule) => ignored.push(rule.id),
                None => {
                    let ids: Vec<&str> =
                        crate::evidence_rules::RULES.iter().map(|r| r.id).collect();
                    return Err(err(
                        r.span(),
                        format!("unknown evidence rule `{}` in evidence.ignore", r.get_ref()),
                        &format!(
                            "use a rule id ({}); `aigate catalog` lists them",
                            ids.join(", ")
                        ),
                    ));
                }
            }
        }
        catalog.ignore_rules(&ignored);

        let mut protected_globs = Vec::new();
        for p in &file.branches.protected {
            let g = glob(p.get_ref(), true, false).map_err(|e| {
                err(
                    p.span(),
                    format!("invalid branch glob `{}`: {}", p.get_ref(), e.kind()),
                    "globs look like `main` or `release/**`",
                )
            })?;
            protected_globs.push(g);
        }

        let mut approved = Vec::new();
        for a in &file.tools.approved {
            let mut ap = parse_approval(a.get_ref()).map_err(|m| {
                err(
                    a.span(),
                    format!("bad entry `{}` in tools.approved: {m}", a.get_ref()),
                    "",
                )
            })?;
            if ap.tool != "*" {
                match catalog.resolve(&ap.tool) {
                    Some(id) => ap.tool = id.to_string(),
                    None => {
                        let known: Vec<&str> =
                            catalog.tools().iter().map(|t| t.id.as_str()).collect();
                        return Err(err(
                            a.span(),
                            format!("unknown tool `{}` in tools.approved", ap.tool),
                            &format!(
                                "use a catalog id ({}), or add the tool under [[catalog.tool]]",
                                known.join(", ")
                            ),
                        ));
                    }
                }
            }
            approved.push(ap);
        }

        let reviewer_set = if file.review.reviewers.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for r in &file.review.reviewers {
                let g = glob(r.get_ref(), false, true).map_err(|e| {
                    err(
                        r.span(),
                        format!("invalid reviewer glob `{}`: {}", r.get_ref(), e.kind()),
                        "reviewer globs match emails, like `*@example.com`",
                    )
                })?;
                b.add(g);
            }
            Some(
                b.build()
                    .map_err(|e| PolicyError(format!("error: {e}\n  --> {origin}")))?,
            )
        };

        let mut path_rules = Vec::new();
        for rule in &file.review.paths {
            let mut b = GlobSetBuilder::new();
            for p in &rule.paths {
                let g = glob(p.get_ref(), true, false).map_err(|e| {
                    err(
                        p.span(),
                        format!("invalid path glob `{}`: {}", p.get_ref(), e.kind()),
                        "path globs look like `infra/**` or `**/*.tf`",
                    )
                })?;
                b.add(g);
            }
            path_rules.push(PathRule {
                patterns: rule.paths.iter().map(|p| p.get_ref().clone()).collect(),
                set: b
                    .build()
                    .map_err(|e| PolicyError(format!("error: {e}\n  --> {origin}")))?,
                min: rule.min,
            });
        }

        let mut guarded_globs = Vec::new();
        for p in &file.agents.blast_radius.guarded_paths {
            let g = glob(p, true, false).map_err(|e| {
                PolicyError(format!("error: invalid glob `{p}` in agents.blast_radius.guarded_paths: {}\n  --> {origin}", e.kind()))
            })?;
            guarded_globs.push(g);
        }
        if file.agents.blast_radius.max_deleted_percent > 100 {
            return Err(PolicyError(format!(
                "error: agents.blast_radius.max_deleted_percent must be 0..=100\n  --> {origin}"
            )));
        }

        if file.attestation.trailers.is_empty() || file.review.trailers.is_empty() {
            return Err(PolicyError(format!(
                "error: attestation.trailers and review.trailers must each name at least one trailer key\n  --> {origin}"
            )));
        }

        let owners: Vec<String> = file
            .governance
            .owners
            .iter()
            .map(|o| o.get_ref().trim().to_ascii_lowercase())
            .collect();
        for o in &file.governance.owners {
            if !o.get_ref().contains('@') {
                return Err(err(
                    o.span(),
                    format!("governance owner `{}` is not an email", o.get_ref()),
                    "owners are principals of the trust root (.aigate/allowed_signers): emails",
                ));
            }
        }
        let mut bridges = Vec::new();
        for b in &file.forge.bridges {
            if !b.get_ref().contains('@') || b.get_ref().contains(['*', '?', '!']) {
                return Err(err(
                    b.span(),
                    format!("forge bridge `{}` is not an email", b.get_ref()),
                    "bridges are exact principals of the trust root (.aigate/allowed_signers)",
                ));
            }
            bridges.push(b.get_ref().trim().to_ascii_lowercase());
        }
        let owners_min = file.governance.min.unwrap_or(1);
        if owners_min == 0 {
            return Err(PolicyError(format!(
                "error: governance.min must be at least 1\n  --> {origin}"
            )));
        }
        if !owners.is_empty() && (owners.len() as u32) < owners_min {
            return Err(PolicyError(format!(
                "error: governance.min is {owners_min} but only {} owner(s) are listed\n  --> {origin}",
                owners.len()
            )));
        }
        let mut governed_paths: Vec<String> =
            GOVERNED_FILES.iter().map(|s| s.to_string()).collect();
        let mut gb = GlobSetBuilder::new();
        for p in &governed_paths {
            gb.add(glob(p, true, false).expect("the built-in governed paths are valid globs"));
        }
        for p in &file.governance.paths {
            let g = glob(p.get_ref(), true, false).map_err(|e| {
                err(
                    p.span(),
                    format!("invalid path glob `{}`: {}", p.get_ref(), e.kind()),
                    "path globs look like `CODEOWNERS` or `.github/**`",
                )
            })?;
            gb.add(g);
            governed_paths.push(p.get_ref().clone());
        }
        let governed_set = gb
            .build()
            .map_err(|e| PolicyError(format!("error: {e}\n  --> {origin}")))?;

        for globs in file.teams.values() {
            for g in globs {
                crate::teams::email_glob(g.get_ref()).map_err(|e| {
                    err(
                        g.span(),
                        format!(
                            "invalid email glob `{}` in [teams]: {}",
                            g.get_ref(),
                            e.kind()
                        ),
                        "team globs match author emails, like `*@platform.example.com`",
                    )
                })?;
            }
        }
        let teams: Vec<(String, Vec<String>)> = file
            .teams
            .iter()
            .map(|(k, v)| (k.clone(), v.iter().map(|g| g.get_ref().clone()).collect()))
            .collect();
        let teams = crate::teams::EmailTeams::new(&teams)
            .map_err(|e| PolicyError(format!("error: {e} in [teams]\n  --> {origin}")))?;

        Ok(Policy {
            teams,
            origin: origin.to_string(),
            mode: file.branches.mode,
            protected: file
                .branches
                .protected
                .iter()
                .map(|p| p.get_ref().clone())
                .collect(),
            protected_set: LazyGlobSet::new(protected_globs),
            allow_deletion: file.branches.allow_deletion,
            allow_force_push: file.branches.allow_force_push,
            approved,
            attestation_trailers: file.attestation.trailers,
            review_trailers: file.review.trailers,
            review_min: file.review.min,
            require_for: file.review.require_for,
            reviewers: file
                .review
                .reviewers
                .iter()
                .map(|r| r.get_ref().clone())
                .collect(),
            reviewer_set,
            path_rules,
            catalog,
            exemption_max_days: file.exemptions.max_days,
            allow_tag_move: file.branches.allow_tag_move,
            verify: file.review.verify,
            pusher_approves: file.review.pusher_approves,
            binding: file.review.binding,
            base_rule: file.review.base,
            approvals_for: file.review.approvals_for,
            bridges,
            owners,
            owners_min,
            governed_paths,
            governed_set,
            identities: file
                .identities
                .iter()
                .map(|(k, v)| (k.clone(), v.to_ascii_lowercase()))
                .collect(),
            allow_replace_refs: file.refs.allow_replace,
            models_approved: file
                .models
                .approved
                .iter()
                .map(|m| m.get_ref().to_ascii_lowercase())
                .collect(),
            guarded: LazyGlobSet::new(guarded_globs),
            agents: file.agents,
        })
    }

    /// Whether a ref is protected. Patterns starting with `refs/` match full ref names;
    /// others match branch names (`refs/heads/` stripped).
    pub fn is_protected(&self, refname: &str) -> bool {
        let branch = refname.strip_prefix("refs/heads/");
        // Each pattern applies to the full ref name (`refs/...` patterns) or the branch name.
        let full = |p: &str| p.starts_with("refs/");
        let mut undecided = false;
        for p in &self.protected {
            let Some(name) = (if full(p) { Some(refname) } else { branch }) else {
                continue;
            };
            match plain_glob_match(p, name) {
                Some(true) => return true,
                Some(false) => {}
                None => undecided = true,
            }
        }
        if !undecided {
            return false;
        }
        let by_ref = self.protected_set.matches(refname);
        let by_branch = branch
            .map(|b| self.protected_set.matches(b))
            .unwrap_or_default();
        self.protected.iter().enumerate().any(|(i, p)| {
            if full(p) {
                by_ref.contains(&i)
            } else {
                by_branch.contains(&i)
            }
        })
    }

    /// Whether a model family (`anthropic/claude-sonnet`) is approved by `[models] approved`.
    pub fn approves_model(&self, id: &str) -> bool {
        self.models_approved.iter().any(|g| {
            crate::approvals::principal_matches(g, id) || g == id.split('/').next().unwrap_or("")
        })
    }

    /// Whether a path is governed (a rule file, or one the policy adds under governance.paths).
    pub fn is_governed(&self, path: &str) -> bool {
        self.governed_set.is_match(path)
    }

    /// Whether `principal` names a forge bridge key.
    pub fn is_bridge(&self, principal: &str) -> bool {
        self.bridges
            .iter()
            .any(|b| b.eq_ignore_ascii_case(principal))
    }

    /// Whether an approval for `approved_ref` counts for `target` (`review.approvals_for`).
    pub fn approval_counts_for(&self, approved_ref: &str, target: &str) -> bool {
        approved_ref == target
            || (self.approvals_for == ApprovalScope::Protected
                && self.is_protected(approved_ref)
                && self.is_protected(target))
    }

    /// The principal (email) of an authenticated pusher login, through `[identities]`; a login
    /// that is itself an email is its own principal.
    pub fn principal_of(&self, login: &str) -> Option<String> {
        self.identities
            .get(login)
            .cloned()
            .or_else(|| login.contains('@').then(|| login.to_ascii_lowercase()))
    }

    /// Whether `tool` (a catalog id, or an unknown name) at `version` is approved.
    pub fn approves(&self, tool: &str, version: Option<&[u64]>) -> bool {
        let known = self.catalog.tool(tool).is_some();
        self.approved
            .iter()
            .any(|a| ((a.tool == "*" && known) || a.tool == tool) && a.admits(version))
    }

    /// Whether an email is on the reviewer list (always true when there is no list).
    pub fn reviewer_allowed(&self, email: &str) -> bool {
        self.reviewer_set
            .as_ref()
            .is_none_or(|s| s.is_match(email.to_ascii_lowercase()))
    }

    /// The review count required for a commit touching `paths` (None: not computed).
    pub fn required_reviews(&self, paths: Option<&[String]>) -> (u32, Option<String>) {
        let mut need = (self.review_min, None);
        if let Some(paths) = paths {
            for rule in &self.path_rules {
                if rule.min > need.0 {
                    if let Some(p) = paths.iter().find(|p| rule.set.is_match(p.as_str())) {
                        need = (rule.min, Some(p.clone()));
                    }
                }
            }
        }
        need
    }

    pub fn needs_paths(&self) -> bool {
        self.path_rules.iter().any(|r| r.min > self.review_min)
    }

    /// Whether AI-assisted commits need their blast radius measured.
    pub fn needs_blast(&self) -> bool {
        self.agents.blast_radius.min_reviews > self.review_min
    }

    /// Whether a path is one of agents.blast_radius.guarded_paths.
    pub fn is_guarded(&self, path: &str) -> bool {
        !self.guarded.matches(path).is_empty()
    }

    /// Why a change is over the blast-radius limits (None when it is within them).
    pub fn blast_exceeded(&self, b: &crate::facts::Blast) -> Option<String> {
        let l = &self.agents.blast_radius;
        let mut why = Vec::new();
        if b.deleted_files > l.max_deleted_files {
            why.push(format!(
                "deletes {} files (limit {})",
                b.deleted_files, l.max_deleted_files
            ));
        }
        if let Some(total) = b.total_lines {
            if total > 0 && b.deleted_lines * 100 > u64::from(l.max_deleted_percent) * total {
                why.push(format!(
                    "deletes {} of {} tracked lines, over {}%",
                    b.deleted_lines, total, l.max_deleted_percent
                ));
            }
        }
        if let Some(p) = &b.guarded {
            why.push(format!("touches guarded path {p}"));
        }
        (!why.is_empty()).then(|| why.join(", "))
    }

    /// Whether `key` is an attestation trailer key.
    pub fn is_attestation_key(&self, key: &str) -> bool {
        self.attestation_trailers
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
    }

    pub fn is_review_key(&self, key: &str) -> bool {
        self.review_trailers
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
    }

    /// A plain description of the effective policy, for `aigate policy check`.
    /// The approved tools as the policy writes them (`kiro >=1.2`, `*`).
    pub fn approved_names(&self) -> Vec<String> {
        self.approved
            .iter()
            .map(|a| match &a.requirement {
                Some((op, v)) => format!(
                    "{} {op}{}",
                    a.tool,
                    v.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
                ),
                None => a.tool.clone(),
            })
            .collect()
    }

    pub fn describe(&self) -> String {
        let approved: Vec<String> = self
            .approved_names()
            .into_iter()
            .map(|a| {
                if a == "*" {
                    "* (every tool in the catalog)".into()
                } else {
                    a
                }
            })
            .collect();
        // Lists as the user wrote them; an empty one says so.
        let list = |v: &[String]| {
            if v.is_empty() {
                "(none)".to_string()
            } else {
                v.join(", ")
            }
        };
        let mut s = String::new();
        let _ = writeln!(s, "policy: {}", self.origin);
        let _ = writeln!(s, "mode: {}", word(&self.mode));
        let _ = writeln!(s, "protected: {}", list(&self.protected));
        let _ = writeln!(
            s,
            "deletion of protected branches: {}",
            if self.allow_deletion {
                "allowed"
            } else {
                "refused"
            }
        );
        let _ = writeln!(
            s,
            "force-push to protected branches: {}",
            if self.allow_force_push {
                "allowed"
            } else {
                "refused"
            }
        );
        let _ = writeln!(
            s,
            "approved tools: {}",
            if approved.is_empty() {
                "none".into()
            } else {
                approved.join(", ")
            }
        );
        let _ = writeln!(
            s,
            "attestation trailers: {}",
            list(&self.attestation_trailers)
        );
        let _ = writeln!(
            s,
            "reviews: {} x {} for {} commits{}",
            self.review_min,
            self.review_trailers.join("/"),
            match self.require_for {
                RequireFor::Ai => "AI-assisted",
                RequireFor::All => "all",
            },
            if self.reviewers.is_empty() {
                String::new()
            } else {
                format!(", reviewers {}", self.reviewers.join(", "))
            }
        );
        for r in &self.path_rules {
            let _ = writeln!(
                s,
                "  {} reviews where a commit touches {}",
                r.min,
                r.patterns.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "review verification: {}{}",
            match self.verify {
                Verify::Trailer => "trailer (a typed Reviewed-by counts)",
                Verify::Signed => "signed (only approvals signed with the reviewer's key count)",
            },
            if self.verify == Verify::Signed && !self.pusher_approves {
                "; the pusher's own approval does not count"
            } else {
                ""
            }
        );
        if self.verify == Verify::Signed {
            let _ = writeln!(
                s,
                "approvals bound to: {}{}; they count for {}",
                match self.binding {
                    Binding::Change => "the change (its squash, rebase or merge lands covered)",
                    Binding::Commit => "the commit ids they name",
                },
                match (self.binding, self.base_rule) {
                    (Binding::Change, BaseRule::Exact) => ", on the reviewed base only",
                    (Binding::Change, BaseRule::Merge) =>
                        ", on the reviewed base or a clean merge onto a later one",
                    _ => "",
                },
                match self.approvals_for {
                    ApprovalScope::Ref => "the ref they name",
                    ApprovalScope::Protected => "any protected ref",
                }
            );
            if !self.bridges.is_empty() {
                let _ = writeln!(s, "forge review bridges: {}", self.bridges.join(", "));
            }
        }
        if !self.models_approved.is_empty() {
            let _ = writeln!(s, "approved models: {}", self.models_approved.join(", "));
        }
        let b = &self.agents.blast_radius;
        let _ = writeln!(
            s,
            "agents: attestation {}, on protected branches {}",
            word(&self.agents.attestation),
            if self.agents.allow_on_protected {
                "allowed"
            } else {
                "refused"
            }
        );
        let _ = writeln!(
            s,
            "blast radius: over {} deleted files or {}% of tracked lines, or touching {}: {} reviews",
            b.max_deleted_files,
            b.max_deleted_percent,
            list(&b.guarded_paths),
            b.min_reviews
        );
        if let Some(d) = self.exemption_max_days {
            let _ = writeln!(s, "exemptions: at most {d} days");
        }
        if !self.owners.is_empty() {
            let _ = writeln!(
                s,
                "governance: {} of {} (governed: {})",
                self.owners_min,
                self.owners.join(", "),
                self.governed_paths.join(", ")
            );
        }
        if !self.identities.is_empty() {
            let ids: Vec<String> = self
                .identities
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            let _ = writeln!(s, "identities: {}", ids.join(", "));
        }
        let _ = writeln!(
            s,
            "protected tags move: {}; refs/replace: {}",
            if self.allow_tag_move {
                "allowed"
            } else {
                "refused"
            },
            if self.allow_replace_refs {
                "allowed"
            } else {
                "refused"
            }
        );
        let _ = write!(s, "catalog: {} tools", self.catalog.tools().len());
        s
    }
}

/// A setting's name as the policy file writes it (`enforce`, not `Enforce`).
fn word<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_preset_loads_and_names_its_source() {
        for (name, text) in super::PRESETS {
            super::Policy::from_str(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                text.contains("http") || name == "starter",
                "{name} has no source"
            );
        }
    }

    #[test]
    fn plain_branch_globs_match_exactly_as_globset_does() {
        let names = [
            "main",
            "mainline",
            "master",
            "release",
            "release/",
            "release/1.0",
            "release/1/hotfix",
            "releases/1",
            "refs/heads/main",
            "refs/tags/v1",
            "feature/main",
            "Main",
        ];
        for pattern in [
            "main",
            "release/**",
            "refs/tags/v1",
            "refs/heads/**",
            "a.b",
            "main/**",
        ] {
            let g = glob(pattern, true, false).unwrap().compile_matcher();
            for name in names {
                assert_eq!(
                    plain_glob_match(pattern, name),
                    Some(g.is_match(name)),
                    "{pattern} on {name}"
                );
            }
        }
        assert_eq!(plain_glob_match("release/*", "release/1"), None);
        assert_eq!(plain_glob_match("v[0-9]", "v1"), None);
    }
    use super::*;
    use crate::identity::Identity;

    #[test]
    fn default_policy_protects_main_master_and_release() {
        let p = Policy::builtin().unwrap();
        assert!(p.is_protected("refs/heads/main"));
        assert!(p.is_protected("refs/heads/master"));
        assert!(p.is_protected("refs/heads/release/1.0"));
        assert!(p.is_protected("refs/heads/release/a/b"));
        assert!(!p.is_protected("refs/heads/feature/x"));
        assert!(!p.is_protected("refs/heads/mainline"));
        assert!(!p.is_protected("refs/tags/main"));
    }

    #[test]
    fn full_ref_patterns_match_tags() {
        let p = Policy::from_str("[branches]\nprotected = [\"refs/tags/v*\"]\n", "t").unwrap();
        assert!(p.is_protected("refs/tags/v1.0"));
        assert!(!p.is_protected("refs/heads/v1.0"));
    }

    #[test]
    fn teams_are_email_globs_and_a_bad_one_is_pointed_at() {
        let p = Policy::from_str(
            "[teams]\nplatform = [\"*@platform.example.com\"]\nweb = [\"ann@example.com\"]\n",
            "t",
        )
        .unwrap();
        assert_eq!(
            p.teams.of_email("Bob@platform.example.com"),
            vec!["platform"]
        );
        assert_eq!(p.teams.of_email("ann@example.com"), vec!["web"]);
        let e = Policy::from_str("[teams]\nweb = [\"a[\"]\n", "t").unwrap_err();
        assert!(e.0.contains("[teams]") && e.0.contains("t:2:"), "{}", e.0);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = Policy::from_str(
            "[tools]\napproved = [\"kiro\", \"nonesuch\"]\n",
            ".aigate.toml",
        )
        .unwrap_err();
        assert!(e.0.contains(".aigate.toml:2:21"), "{}", e.0);
        let e = Policy::from_str("[review]\nmin = \"two\"\n", ".aigate.toml").unwrap_err();
        assert!(e.0.contains(".aigate.toml:2:"), "{}", e.0);
        let e = Policy::from_str("[reviews]\nmin = 2\n", ".aigate.toml").unwrap_err();
        assert!(e.0.contains(".aigate.toml:1:"), "{}", e.0);
    }

    #[test]
    fn evidence_rules_are_turned_off_by_id_and_unknown_ids_point_into_the_file() {
        let p = Policy::from_str("[evidence]\nignore = [\"disclosure-prose\"]\n", "p").unwrap();
        let (msg, ann) = (
            "x\n\nAI usage: Cursor helped.\n",
            Identity::new("A", "a@example.org"),
        );
        let view = crate::catalog::CommitView {
            message: msg,
            trailers: &[],
            author: &ann,
            committer: &ann,
        };
        assert!(p.catalog.evidence(&view).is_empty());
        assert!(!Policy::builtin()
            .unwrap()
            .catalog
            .evidence(&view)
            .is_empty());
        let e = Policy::from_str(
            "[evidence]\nignore = [\"disclosure-prose\", \"disclosure\"]\n",
            ".aigate.toml",
        )
        .unwrap_err();
        assert!(e.0.contains(".aigate.toml:2:31"), "{}", e.0);
        assert!(
            e.0.contains("unknown evidence rule `disclosure`"),
            "{}",
            e.0
        );
    }

    #[test]
    fn versions_pin_approvals() {
        let p = Policy::from_str("[tools]\napproved = [\"kiro >=1.2\"]\n", "t").unwrap();
        assert!(p.approves("kiro", Some(&[1, 3])));
        assert!(p.approves("kiro", Some(&[1, 2])));
        assert!(!p.approves("kiro", Some(&[1, 1, 9])));
        assert!(!p.approves("kiro", None));
        assert!(!p.approves("cursor", None));
    }

    #[test]
    fn starter_and_example_policies_are_valid() {
        Policy::from_str(STARTER_POLICY, "starter").unwrap();
    }
}
