//! What the shell tells the core about one commit and where it is going: commit facts (read
//! from git), the size of a change, and the target ref with the decision time. At the bottom
//! of the core with `identity` and the catalog's evidence type; nothing here decides.

use crate::catalog::Evidence;
use crate::identity::Identity;
use serde::Serialize;

/// What aigate knows of one commit, read from git by the shell.
#[derive(Debug, Clone, Default)]
pub struct CommitFacts {
    pub id: String,
    /// The message as text (bytes that are not UTF-8 are replaced).
    pub message: String,
    pub author: Identity,
    pub committer: Identity,
    pub parent_count: usize,
    /// Committer time, seconds since the epoch.
    pub time: i64,
    /// Evidence found outside the commit object (an agent seen running `git commit`).
    pub extra_evidence: Vec<Evidence>,
    /// How large the change is, when the policy needs it.
    pub blast: Option<Blast>,
    /// Paths changed against the first parent, when the policy needs them.
    pub changed_paths: Option<Vec<String>>,
    /// Signed approvals of this commit that verified against the trust root (for any ref: the
    /// verdict counts those for its target). Filled by the shell when the policy asks for
    /// signed reviews.
    pub approvals: Vec<ApprovalSeen>,
    /// AI attribution notes on the commit (notes ref, text): git-ai authorship logs under
    /// `refs/notes/ai`, Agent Trace records under `refs/notes/agent-trace`.
    pub notes: Vec<(String, String)>,
}

/// A verified approval of one commit (or of the change that lands it): who signed, with which
/// key, for which ref.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApprovalSeen {
    /// The reviewer's principal (email), as the trust root names it; for a forge review, the
    /// reviewer's principal under `[identities]`, else `FORGE:LOGIN`.
    pub reviewer: String,
    /// The full ref it approves the commit for.
    pub refname: String,
    /// `SHA256:...` of the signing key (the bridge's key for a forge review).
    pub fingerprint: String,
    /// Who counts once: the reviewer's key fingerprint (for a forge review, the key of the
    /// person the login maps to, else `FORGE:LOGIN`). Counts go by this, not by address.
    #[serde(skip)]
    pub person: String,
    /// Every principal pattern the person holds (their key's lines in the trust root, and for
    /// a forge review their login as `FORGE:LOGIN`): exclusions match any of them.
    #[serde(skip)]
    pub principals: Vec<String>,
    /// The bridge's principal, when the review was made in a forge and attested by a bridge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bridge: Option<String>,
    /// The pull request's author as the bridge saw it (`FORGE:LOGIN`).
    #[serde(skip)]
    pub pr_author: Option<String>,
    /// Whether the reviewer is a bot or AI account in the forge (a login ending `[bot]`).
    #[serde(skip)]
    pub bot: bool,
    /// The authors and committers of the approved change's commits (none may approve it).
    #[serde(skip)]
    pub change_people: Vec<String>,
    /// Set when it counts through the change it approved (a squash, rebase or merge of it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landing: Option<String>,
}

impl ApprovalSeen {
    /// Whether the approving person is `email` (any principal of their key admits it).
    pub fn is(&self, email: &str) -> bool {
        crate::approvals::admits_person(&self.principals, email)
    }

    /// Whether two approvals come from one person: the same key, or keys that stand for a
    /// common principal (one person listed under several addresses or keys is one person).
    pub fn same_person(&self, other: &ApprovalSeen) -> bool {
        let plain = |p: &&String| !p.starts_with('!') && !p.contains(['*', '?']);
        self.person == other.person
            || self.principals.iter().filter(plain).any(|p| other.is(p))
            || other.principals.iter().filter(plain).any(|p| self.is(p))
    }
}

impl CommitFacts {
    pub fn summary(&self) -> &str {
        self.message
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
    }
}

/// The size of a change: what it deletes and whether it touches guarded paths.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Blast {
    pub changed_files: u32,
    pub deleted_files: u32,
    pub deleted_lines: u64,
    /// Lines tracked before the change (counted only as far as the percentage needs).
    pub total_lines: Option<u64>,
    /// The first guarded path the change touches.
    pub guarded: Option<String>,
}

/// Where the commit is going and what came with it.
#[derive(Debug, Clone, Default)]
pub struct Target<'a> {
    /// The full ref name (`refs/heads/main`).
    pub refname: &'a str,
    /// Exemption ids passed as push options (`aigate.exemption=ID`).
    pub push_exemptions: &'a [String],
    /// The decision time, seconds since the epoch.
    pub now: i64,
    /// The authenticated pusher's principal (email), when the server names one.
    pub pusher: Option<&'a str>,
    /// Approvals of the change this push lands (squash, rebase or merge of an approved
    /// change): they count for every commit the landing brings.
    pub landing: &'a [ApprovalSeen],
    /// People who may not approve what this push lands, with why: the pull request's author
    /// and the merger of a forge merge (emails, or `FORGE:LOGIN`).
    pub excluded: &'a [(String, String)],
    /// Why approvals of a change did not cover this landing (shown with a missing review).
    pub landing_notes: &'a [String],
    /// The push is a forge's merge (its merge button or API).
    pub forge_merge: bool,
    /// The pull request's branch, when the forge names it (`GITHUB_PULL_REQUEST_HEAD`).
    pub pr_branch: Option<&'a str>,
}
