//! The portal client shared by the `sxadmin` command line and the desktop app.
//!
//! It speaks the portal API whose wire types live in `sxadmin-core`; both front ends call
//! into it so that addresses, errors and retries behave the same everywhere.

mod admin;
mod error;
pub mod export;
pub mod files;
pub mod folders;
pub mod import;
pub mod licences;
mod portal;
pub mod secrets;
pub mod session;
pub mod signin;
mod url;

pub use admin::EventRange;
pub use error::ClientError;
pub use portal::{PortalClient, RetryPolicy, TokenRenewal};
pub use sxadmin_core as core;
pub use sxadmin_core::{Transferred, Unassigned, UserListQuery};
pub use url::PortalUrl;
