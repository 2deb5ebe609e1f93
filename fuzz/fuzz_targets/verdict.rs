//! The catalog matcher and the verdict on arbitrary messages and identities.
#![no_main]
use aigate::exemptions::Exemptions;
use aigate::identity::Identity;
use aigate::policy::Policy;
use aigate::trailers::{parse, TrailerConfig};
use aigate::verdict::{judge, CommitFacts, Target};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static POLICY: OnceLock<Policy> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let policy = POLICY.get_or_init(|| {
        Policy::from_str("[tools]\napproved = [\"kiro\"]\n[[review.paths]]\npaths = [\"infra/**\"]\nmin = 2\n", "fuzz").unwrap()
    });
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\u{1}');
    let author = parts.next().unwrap_or("");
    let reviewerish = parts.next().unwrap_or("");
    let message = parts.next().unwrap_or("");
    let author = Identity::parse(author).unwrap_or_else(|| Identity::new(author, author));
    let facts = CommitFacts {
        id: "fuzz".into(),
        message: format!("{message}\n{reviewerish}"),
        committer: author.clone(),
        author,
        parent_count: 1,
        time: 0,
        changed_paths: Some(vec![reviewerish.to_string()]),
        ..Default::default()
    };
    let trailers = parse(facts.message.as_bytes(), &TrailerConfig::default());
    let v = judge(&facts, &trailers, policy, &Exemptions::default(), &Target { refname: "refs/heads/main", push_exemptions: &[], now: 0, pusher: None, landing: &[], excluded: &[], landing_notes: &[], forge_merge: false, pr_branch: None });
    // A commit with AI evidence never passes without an attestation.
    if !v.evidence.is_empty() && v.attested.is_empty() {
        assert!(!v.passed());
    }
});
