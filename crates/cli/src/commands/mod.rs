pub mod import;
pub mod portal;
pub mod template;

/// Exit codes scripts can rely on: 2 for bad usage or input, 1 for everything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<UsageError>().is_some() {
        2
    } else {
        1
    }
}

/// A mistake in what the user asked for, as opposed to a failure while doing it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// How a command ended when it did not fail outright: scripts read it from the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was done (exit 0).
    Done,
    /// Some rows or operations failed (exit 1).
    SomeFailed,
}
