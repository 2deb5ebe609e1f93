//! The time budget of a push, as the git layer sees it: an error that says the budget ran out
//! while walking or measuring.

/// The time budget ran out before every commit was walked, measured or judged.
#[derive(Debug, thiserror::Error)]
#[error("the time budget ran out")]
pub struct OverBudget;

/// `Err(OverBudget)` once `deadline` has passed.
pub fn check(deadline: Option<std::time::Instant>) -> anyhow::Result<()> {
    match deadline {
        Some(d) if std::time::Instant::now() > d => Err(anyhow::Error::new(OverBudget)),
        _ => Ok(()),
    }
}
