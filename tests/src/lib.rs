//! Shared harness for the end-to-end tests that span several crates; the fixtures they
//! read live in `tests/fixtures/`.

// A test harness: a failure here is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

pub mod portal;
pub mod proxy;

use std::path::PathBuf;

/// The folder that holds the test fixtures, wherever the tests are run from.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
