//! aigate-core: the pure, functional core of aigate. Given the text of a commit and the rules,
//! it decides; it never reads anything itself.
//!
//! It owns: git's trailer grammar (`trailers`), raw commit and tree objects (`commit`, `tree`),
//! identities (`identity`), the AI tool catalog (`catalog`), AI agents seen running a commit
//! (`agent`), the policy and the exemptions as loaded and validated from their text with
//! diagnostics that point into it (`policy`, `exemptions`, `diagnostic`), the rule table
//! (`rules`) and the verdict (`verdict`: commit facts + rules + target → findings).
//!
//! It must not: link a git library, read files, the environment or the clock, or start
//! processes. Time and file contents are inputs. The shell (the `aigate` crate) does all I/O.
//!
//! Layers, lowest first (a module imports only from layers below it):
//! 1. `trailers`, `identity`, `diagnostic`, `rules`, `commit`, `tree`, `teams`
//! 2. `catalog` (with its general rules, `evidence_rules`), `agent`
//! 3. `facts` (what the shell tells the core about one commit)
//! 4. `policy`
//! 5. `exemptions`
//! 6. `verdict`, `landing`
//! 7. `figures` (per-commit facts in, adoption figures out)
pub mod agent;
pub mod approvals;
pub mod attestation;
pub mod catalog;
pub mod commit;
pub mod diagnostic;
pub mod evidence_rules;
pub mod exemptions;
pub mod facts;
pub mod figures;
pub mod identity;
pub mod landing;
mod literals;
pub mod models;
pub mod policy;
pub mod rules;
pub mod teams;
pub mod trailers;
pub mod tree;
pub mod verdict;

/// An abbreviated commit id (other labels are returned whole).
pub fn short_id(id: &str) -> &str {
    if id.len() > 10 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        &id[..10]
    } else {
        id
    }
}
