//! The git plumbing of the shell: opening a repository (a checkout, or a server hook's
//! quarantine through git's environment), reading raw objects, walking history, refs, config
//! and files at a commit. It turns git into commit facts; it decides nothing.
pub mod approvals;
pub mod budget;
pub mod history;
pub mod landing;
pub mod lines;
pub mod measures;
pub mod record;
pub mod repo;

pub use repo::{is_zero, Repo, ZERO};
