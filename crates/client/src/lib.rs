//! The portal client shared by the `sxadmin` command line and the desktop app.
//!
//! It speaks the portal API whose wire types live in `sxadmin-core`; both front ends call
//! into it so that sign-in, retries and imports behave the same everywhere.

pub use sxadmin_core as core;
