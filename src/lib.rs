//! aigate: keeps AI-written code out of production branches unless it carries an attestation
//! naming an approved tool and a review by a human who is not the author.
//!
//! This crate is the imperative shell around the pure core (`aigate-core`, re-exported here):
//! data flows one way, git → commit facts → verdict → report.
//! - `git`: repositories (and a server's quarantine), objects, walks, refs, files at a commit.
//! - `engine`: where the rules come from (work tree, the governing ref, server config) and the
//!   pipeline that turns commit ids into verdicts.
//! - `hooks`: one file per git hook protocol (commit-msg, prepare-commit-msg, pre-commit,
//!   pre-push, pre-receive/update).
//! - `report`: every output format (human, JSON, CSV, Markdown, SARIF, the audit log).
//! - `install`, `exemption_file`, `agent_env`: hook scripts, the exemptions file as a
//!   document, and what the agent matcher reads from the process's world.
//! - `cli` (in the binary): one file per command.
pub use aigate_core::{
    agent, approvals, attestation, catalog, commit, diagnostic, evidence_rules, exemptions, facts,
    identity, models, policy, rules, trailers, tree, verdict,
};

pub mod advice;
pub mod agent_env;
pub mod engine;
pub mod exemption_file;
pub mod forge;
pub mod git;
pub mod hooks;
pub mod install;
pub mod report;
pub mod report_rules;
