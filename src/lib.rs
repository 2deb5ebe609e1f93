//! aigate: keeps AI-written code out of production branches unless it carries an attestation
//! naming an approved tool and a review by a human who is not the author.
//!
//! The functional core (`trailers`, `commit`, `tree`, `catalog`, `policy`, `verdict`) is pure; the shell
//! (`repo`, `hooks`, `report`, `install`, `cli`) adapts git, files and the terminal to it.
pub mod agent;
pub mod audit;
pub mod audit_log;
pub mod catalog;
pub mod commit;
pub mod engine;
pub mod exemption_file;
pub mod exemptions;
pub mod history;
pub mod hooks;
pub mod identity;
pub mod install;
pub mod policy;
pub mod repo;
pub mod report;
pub mod rules;
pub mod trailers;
pub mod tree;
pub mod verdict;
