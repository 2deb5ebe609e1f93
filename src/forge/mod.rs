//! Forges: what their server hooks are told of a merge made in the web page or the API
//! (`env`), and their review events, which a bridge turns into signed approvals (`event`).
//! The hook never calls a forge's API: it reads its environment and verifies signatures.
pub mod env;
pub mod event;
