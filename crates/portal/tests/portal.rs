//! The portal server as its clients meet it: each test starts a real server on a loopback
//! port with its own SQLite file and drives it over HTTP, so the rules are checked where
//! the desktop app and the CLI depend on them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "portal/harness.rs"]
mod harness;

#[path = "portal/access.rs"]
mod access;
#[path = "portal/audit.rs"]
mod audit;
#[path = "portal/contract.rs"]
mod contract;
#[path = "portal/demo.rs"]
mod demo;
#[path = "portal/domains.rs"]
mod domains;
#[path = "portal/dos_attacks.rs"]
mod dos_attacks;
#[path = "portal/events.rs"]
mod events;
#[path = "portal/flood.rs"]
mod flood;
#[path = "portal/licences.rs"]
mod licences;
#[path = "portal/oauth.rs"]
mod oauth;
#[path = "portal/permissions.rs"]
mod permissions;
#[path = "portal/second_factor.rs"]
mod second_factor;
#[path = "portal/sign_in.rs"]
mod sign_in;
#[path = "portal/sign_in_attacks.rs"]
mod sign_in_attacks;
#[path = "portal/tokens_attacks.rs"]
mod tokens_attacks;
#[path = "portal/users.rs"]
mod users;
