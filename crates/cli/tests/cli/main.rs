//! The `sxadmin` binary as administrators and scripts run it, in one test binary: the
//! harness starts the demo portal on a loopback port and runs the built command with a
//! private configuration and data folder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod harness;

mod admin;
mod domains;
mod import;
mod login;
mod offline;
mod permissions;
mod portal_serve;
mod sessions;
mod spreadsheets;
