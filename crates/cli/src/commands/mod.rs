pub mod account;
pub mod connect;
pub mod domains;
pub mod events;
pub mod import;
pub mod licences;
pub mod output;
#[cfg(feature = "portal")]
pub mod portal;
pub mod roles;
pub mod sessions;
pub mod template;
pub mod users;

use clap::Args;
use sxadmin_client::ClientError;
use sxadmin_core::ErrorCode;

/// Options every command understands.
#[derive(Clone, Debug, Default, Args)]
pub struct GlobalOptions {
    /// The portal's address (default: SXADMIN_PORTAL, then the last sign-in).
    #[arg(long, global = true, env = "SXADMIN_PORTAL", value_name = "URL")]
    pub portal: Option<String>,
    /// Print JSON for scripts instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// Answer yes to every confirmation.
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
}

/// Exit codes scripts can rely on: 2 for bad usage or input, 3 when not signed in or not
/// allowed, 1 for everything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.downcast_ref::<UsageError>().is_some() {
        return 2;
    }
    if error.downcast_ref::<NotSignedIn>().is_some() {
        return 3;
    }
    for cause in error.chain() {
        if let Some(client) = cause.downcast_ref::<ClientError>() {
            return match client.portal_code() {
                Some(ErrorCode::NotAuthenticated | ErrorCode::Forbidden) => 3,
                Some(ErrorCode::InvalidInput) => 2,
                _ => match client {
                    ClientError::InvalidUrl { .. } | ClientError::InsecureUrl { .. } => 2,
                    _ => 1,
                },
            };
        }
        if let Some(sign_in) = cause.downcast_ref::<sxadmin_client::signin::SignInError>() {
            return match sign_in {
                sxadmin_client::signin::SignInError::Client(inner) => match inner.portal_code() {
                    Some(ErrorCode::NotAuthenticated | ErrorCode::Forbidden) => 3,
                    _ => 1,
                },
                sxadmin_client::signin::SignInError::Keychain(_) => 1,
                _ => 3,
            };
        }
    }
    1
}

/// A mistake in what the user asked for, as opposed to a failure while doing it.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// No usable sign-in, or the portal said the signed-in user may not do this.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NotSignedIn(pub String);

/// How a command ended when it did not fail outright: scripts read it from the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Everything was done (exit 0).
    Done,
    /// Some rows or operations failed (exit 1).
    SomeFailed,
}
