//! Every output format, built in one place each: the human report of hooks and `check`
//! (`human`), the JSON of a ref report (`human::json`), the audit's table, CSV, JSON, Markdown
//! and SARIF (`audit`), and the server's append-only audit log (`audit_log`). Reports read
//! verdicts; they never judge.
pub mod audit;
pub mod audit_log;
pub mod human;

pub use human::{human, json, summarize, RefReport};
