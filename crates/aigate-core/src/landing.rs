//! Whether an approved change covers a ref update: the landing rule of change-bound approvals.
//!
//! A reviewer approves a change (target ref, the base it was reviewed against, the head). A
//! ref update from P to C lands it when C's tree is exactly what the change yields on P: with
//! P equal to the reviewed base, the head's tree; when the target has moved, the clean
//! three-way merge of (base, P, head). That covers a squash merge, a merge commit and a rebase
//! merge made by a forge or a person, and nothing else: an extra edit by the merger, a conflict
//! resolved by hand, a push to the change after it was approved. Like gittuf's reference
//! authorizations (ref, from, to-tree), but a moved base with a clean merge needs no second
//! review unless the policy says `base = "exact"`.
//!
//! Pure: the shell reads the trees and makes the merge; this decides.

use crate::policy::{BaseRule, Binding, Policy};

/// The three-way merge of (base, P, head), as the shell made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merged {
    /// A clean merge: its tree id.
    Tree(String),
    /// Conflicting paths.
    Conflict(Vec<String>),
}

/// Why an approved change does not cover a landing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uncovered {
    /// The policy binds approvals to commits only.
    CommitBinding,
    /// The target moved since the review and the policy asks for the reviewed base.
    BaseMoved,
    /// The change does not merge cleanly onto the target as it is now.
    Conflict(Vec<String>),
    /// The landed tree is not what the change yields (the shell names the files that differ
    /// between `expected` and the landed tree).
    Differs { expected: String },
}

impl Uncovered {
    pub fn describe(&self) -> String {
        match self {
            Uncovered::CommitBinding => "approvals are bound to commits here (review.binding = \"commit\")".into(),
            Uncovered::BaseMoved => "the target moved since the review, and review.base = \"exact\" asks for the reviewed base".into(),
            Uncovered::Conflict(p) => format!(
                "the approved change does not merge cleanly onto the target now (conflicts in {})",
                list(p)
            ),
            Uncovered::Differs { .. } => "what lands is not what was approved".into(),
        }
    }
}

/// Decides whether a change approved as (base, head) covers the update of its target from the
/// commit `old_tip` to a commit whose tree is `new_tree`. `head_tree` is the approved head's
/// tree; `merged` the three-way merge of (base, old_tip, head), needed only when the target
/// has moved (`old_tip != base`).
pub fn covers(
    policy: &Policy,
    base: &str,
    old_tip: &str,
    new_tree: &str,
    head_tree: &str,
    merged: impl FnOnce() -> Option<Merged>,
) -> Result<(), Uncovered> {
    if policy.binding == Binding::Commit {
        return Err(Uncovered::CommitBinding);
    }
    let expected = if old_tip.eq_ignore_ascii_case(base) {
        head_tree.to_string()
    } else {
        if policy.base_rule == BaseRule::Exact {
            return Err(Uncovered::BaseMoved);
        }
        match merged() {
            Some(Merged::Tree(t)) => t,
            Some(Merged::Conflict(p)) => return Err(Uncovered::Conflict(p)),
            None => return Err(Uncovered::Conflict(Vec::new())),
        }
    };
    if expected.eq_ignore_ascii_case(new_tree) {
        Ok(())
    } else {
        Err(Uncovered::Differs { expected })
    }
}

/// The text whose git blob id is a change's index key: its changed paths, sorted, each ended
/// by a NUL. A squash, rebase or clean merge of the change onto the target changes the same
/// paths, so the landing finds its approvals by one lookup, whatever the merge method.
pub fn paths_key_text(paths: &[String]) -> Vec<u8> {
    let mut p: Vec<&String> = paths.iter().collect();
    p.sort();
    p.dedup();
    let mut out = Vec::new();
    for s in p {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }
    out
}

fn list(p: &[String]) -> String {
    let mut s = p.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if p.len() > 5 {
        s.push_str(&format!(" and {} more", p.len() - 5));
    }
    if s.is_empty() {
        s = "some files".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(extra: &str) -> Policy {
        Policy::from_str(&format!("[review]\nverify = \"signed\"\n{extra}"), "t").unwrap()
    }

    #[test]
    fn on_the_reviewed_base_the_head_tree_must_land() {
        let p = policy("");
        assert!(covers(&p, "b", "b", "t1", "t1", || None).is_ok());
        assert!(matches!(
            covers(&p, "b", "b", "t2", "t1", || None),
            Err(Uncovered::Differs { .. })
        ));
    }

    #[test]
    fn a_moved_target_needs_a_clean_merge_giving_the_landed_tree() {
        let p = policy("");
        let m = || Some(Merged::Tree("t3".into()));
        assert!(covers(&p, "b", "p", "t3", "t1", m).is_ok());
        assert!(covers(&p, "b", "p", "t4", "t1", m).is_err());
        let c = || Some(Merged::Conflict(vec!["a.rs".into()]));
        assert_eq!(
            covers(&p, "b", "p", "t3", "t1", c),
            Err(Uncovered::Conflict(vec!["a.rs".into()]))
        );
        let exact = policy("base = \"exact\"\n");
        assert_eq!(
            covers(&exact, "b", "p", "t3", "t1", m),
            Err(Uncovered::BaseMoved)
        );
        let commit = policy("binding = \"commit\"\n");
        assert_eq!(
            covers(&commit, "b", "b", "t1", "t1", || None),
            Err(Uncovered::CommitBinding)
        );
    }

    #[test]
    fn the_paths_key_ignores_order_and_repeats() {
        let a = paths_key_text(&["b".into(), "a".into(), "a".into()]);
        assert_eq!(a, b"a\0b\0");
    }
}
