//! The rule table: stable ids AIG001–AIG008, their names, and the long explanations that
//! `aigate explain AIG00N` prints.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Rule {
    #[serde(rename = "AIG001")]
    MissingAttestation,
    #[serde(rename = "AIG002")]
    UnapprovedTool,
    #[serde(rename = "AIG003")]
    UndeclaredTool,
    #[serde(rename = "AIG004")]
    MissingReview,
    #[serde(rename = "AIG005")]
    SelfReview,
    #[serde(rename = "AIG006")]
    NonHumanReviewer,
    #[serde(rename = "AIG007")]
    ReviewerNotAllowed,
    #[serde(rename = "AIG008")]
    ExemptionInvalid,
    #[serde(rename = "AIG009")]
    UnverifiedReview,
    #[serde(rename = "AIG010")]
    ModelWithoutTool,
}

pub const ALL: [Rule; 10] = [
    Rule::MissingAttestation,
    Rule::UnapprovedTool,
    Rule::UndeclaredTool,
    Rule::MissingReview,
    Rule::SelfReview,
    Rule::NonHumanReviewer,
    Rule::ReviewerNotAllowed,
    Rule::ExemptionInvalid,
    Rule::UnverifiedReview,
    Rule::ModelWithoutTool,
];

impl Rule {
    pub fn id(self) -> &'static str {
        match self {
            Rule::MissingAttestation => "AIG001",
            Rule::UnapprovedTool => "AIG002",
            Rule::UndeclaredTool => "AIG003",
            Rule::MissingReview => "AIG004",
            Rule::SelfReview => "AIG005",
            Rule::NonHumanReviewer => "AIG006",
            Rule::ReviewerNotAllowed => "AIG007",
            Rule::ExemptionInvalid => "AIG008",
            Rule::UnverifiedReview => "AIG009",
            Rule::ModelWithoutTool => "AIG010",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Rule::MissingAttestation => "missing-attestation",
            Rule::UnapprovedTool => "unapproved-tool",
            Rule::UndeclaredTool => "undeclared-tool",
            Rule::MissingReview => "missing-review",
            Rule::SelfReview => "self-review",
            Rule::NonHumanReviewer => "non-human-reviewer",
            Rule::ReviewerNotAllowed => "reviewer-not-allowed",
            Rule::ExemptionInvalid => "exemption-invalid",
            Rule::UnverifiedReview => "unverified-review",
            Rule::ModelWithoutTool => "model-without-tool",
        }
    }

    /// Finds a rule by id (`AIG004`, `aig4`) or name (`missing-review`).
    pub fn lookup(s: &str) -> Option<Rule> {
        let s = s.trim().to_ascii_lowercase();
        let num = s.strip_prefix("aig").and_then(|n| n.parse::<usize>().ok());
        ALL.into_iter().find(|r| {
            r.name() == s || num.is_some_and(|n| r.id()[3..].parse::<usize>().ok() == Some(n))
        })
    }

    pub fn summary(self) -> &'static str {
        match self {
            Rule::MissingAttestation => "AI evidence but no attestation trailer",
            Rule::UnapprovedTool => "a detected or attested tool is not approved for this ref, and no valid exemption covers it",
            Rule::UndeclaredTool => "the evidence names a tool the attestation does not",
            Rule::MissingReview => "fewer human reviews than the policy asks",
            Rule::SelfReview => "a reviewer is the author or committer",
            Rule::NonHumanReviewer => "a reviewer is an AI identity, a bot, or has no valid email",
            Rule::ReviewerNotAllowed => "the policy lists reviewers and this one is not among them",
            Rule::ExemptionInvalid => "an exemption is unknown, expired, not yet valid, or out of scope",
            Rule::UnverifiedReview => "a Reviewed-by trailer has no signed approval from that reviewer (review.verify = \"signed\")",
            Rule::ModelWithoutTool => "the attestation names a model but no tool",
        }
    }

    pub fn long(self) -> &'static str {
        match self {
            Rule::MissingAttestation => "\
A commit shows AI evidence (a trailer such as `Co-Authored-By: Claude <noreply@anthropic.com>`,
a body line such as `Generated with [Claude Code]`, or an AI author identity) but carries no
attestation trailer declaring the tool that was used.

Fix: add the attestation, naming the tool as the catalog knows it (`aigate catalog` lists ids):

    git commit --amend --trailer \"Assisted-by: claude-code\"

An older commit: `git rebase -i COMMIT^`, mark it `edit`, amend, `git rebase --continue`.
The attestation may name a model and other tools: `Assisted-by: kiro:claude-sonnet-4.5 sparse`.",
            Rule::UnapprovedTool => "\
A tool found in the evidence or named in the attestation is not in the policy's
`[tools] approved` list for the target branch (or a pinned version does not match).

Fix: use an approved tool, or ask the compliance owners for an exemption that covers the tool,
the branch and the paths, then cite it in the commit:

    aigate exemption request --tool TOOL --branch main --expires 30d --ticket SEC-123 --reason \"...\"
    git commit --amend --trailer \"AI-Exemption: EX-...\"

Changing `.aigate.toml` in the same push does not help: one governing rule set applies to
every push (the server's config, or the files on the governing branch), and changing it needs
the owners' signed approvals.",
            Rule::UndeclaredTool => "\
The evidence names a tool that the attestation does not declare, e.g. the commit carries
`Co-Authored-By: Claude <noreply@anthropic.com>` but says `Assisted-by: kiro`. An attestation
must name every AI tool that worked on the commit.

Fix: add the missing tool to the attestation:

    git commit --amend --trailer \"Assisted-by: claude-code\"",
            Rule::MissingReview => "\
An AI-assisted commit (or, with `require_for = \"all\"`, any commit) needs a review by a human
other than its author and committer, recorded as a trailer:

    Reviewed-by: Jane Reviewer <jane@example.com>

The policy sets how many (`[review] min`, default 1) and asks for more where a commit touches
paths listed in `[[review.paths]]`. Only trailers that git itself sees count: a
`Reviewed-by:` line inside a body paragraph is prose.

Fix, after the review happened:

    git commit --amend --trailer \"Reviewed-by: Jane Reviewer <jane@example.com>\"",
            Rule::SelfReview => "\
A `Reviewed-by:` names the commit's author or committer. Emails are compared ignoring case and
`+tag` suffixes, so `Jane+review@Example.com` is Jane. A review must come from someone else.

Fix: ask a colleague to review, then replace the trailer with theirs.",
            Rule::NonHumanReviewer => "\
A `Reviewed-by:` names an AI identity (one the catalog knows, e.g. `Claude <noreply@anthropic.com>`),
a bot account (`[bot]`, automation addresses), or has no valid `Name <email>` (the address must be
plain ASCII, so look-alike letters do not pass). Reviews must come from people.

Fix: replace it with a review by a human: `Reviewed-by: Jane Reviewer <jane@example.com>`.",
            Rule::ReviewerNotAllowed => "\
The policy lists who may review (`[review] reviewers`, globs on email) and this reviewer is not
on the list.

Fix: have someone on the list review the commit, or change the list through the usual review of
`.aigate.toml`.",
            Rule::ExemptionInvalid => "\
A commit cites an exemption (`AI-Exemption: EX-...` or the push option
`aigate.exemption=EX-...`) that is unknown, revoked, expired, not yet valid, or does not cover
this tool, branch, path or author.

Fix: check it with `aigate exemption show EX-...`; request a new one if needed.",
            Rule::UnverifiedReview => "\
With `[review] verify = \"signed\"`, a review counts only as a signed approval: a statement
\"I reviewed this change for this ref\", signed with the reviewer's own SSH key, stored in
`refs/aigate/approvals` and checked against the trust root (`.aigate/allowed_signers` on the
governing ref, or the server's `aigate.allowedSigners`). A `Reviewed-by:` trailer is text the
author can type; without an approval from the same person it does not count.

Fix: the reviewer, after reviewing, runs in their own clone (with git's SSH signing set up:
`git config gpg.format ssh`, `git config user.signingKey ~/.ssh/id_ed25519.pub`):

    aigate approve origin/BRANCH --into main --push origin

An approval names the change (where it leaves main, its head, its commits): it covers those
commits, and the squash, rebase or merge commit that lands exactly that change on main
(`[review] binding = \"change\"`, the default). Amending the change, a later push to the
branch, or an edit made while merging needs a new approval. A review made in a forge's page
counts when a bridge key the owners trust attests it (`aigate approve --forge-event`). The
approval never counts for the commits' authors, the pusher, or a forge merge's merger and pull
request author, under any address their key holds.",
            Rule::ModelWithoutTool => "\
The attestation names a model (`Assisted-by: Claude Opus 4.6`) but no tool. A model is not a
tool: the policy approves tools (Kiro may run Claude models and be approved while Claude Code
is not), so the tool that ran the model must be named.

Fix: name the tool and the model:

    git commit --amend --trailer \"Assisted-by: kiro:claude-opus-4.6\"",
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
