//! Which portal a command talks to and with which credentials.
//!
//! The portal comes from `--portal`, then `SXADMIN_PORTAL`, then the last sign-in kept in
//! the settings file (which holds addresses only, never a secret). The credential is
//! `SXADMIN_TOKEN` when set (a personal API token for automation), otherwise the refresh
//! token kept in the OS keychain by `sxadmin login`.

use sxadmin_client::folders::{Folders, FrontEnd, Settings};
use sxadmin_client::session::Session;
use sxadmin_client::signin::SignInError;
use sxadmin_client::{PortalClient, PortalUrl};

use super::{GlobalOptions, NotSignedIn};

/// The OAuth client the command line signs in as.
pub const CLIENT_ID: &str = "sxadmin-cli";

/// The command line's configuration and data folders: `SXADMIN_CONFIG_DIR` and
/// `SXADMIN_DATA_DIR`, or the platform's user folders.
pub fn folders() -> anyhow::Result<Folders> {
    Ok(Folders::of(FrontEnd::CommandLine)?)
}

/// The portal the command is for, or why there is none.
pub fn portal(options: &GlobalOptions) -> anyhow::Result<PortalUrl> {
    let given = options
        .portal
        .clone()
        .or_else(|| {
            folders()
                .ok()
                .and_then(|folders| Settings::load(&folders).portal_url)
        })
        .ok_or_else(|| {
            NotSignedIn(
                "no portal given: sign in with `sxadmin login --portal URL`, or pass --portal \
                 or set SXADMIN_PORTAL"
                    .into(),
            )
        })?;
    PortalUrl::parse(&given).map_err(|e| super::UsageError(e.to_string()).into())
}

/// A client for the portal, signed in with `SXADMIN_TOKEN` or the keychain's sign-in.
pub async fn client(options: &GlobalOptions) -> anyhow::Result<PortalClient> {
    let portal = portal(options)?;
    if let Some(token) = std::env::var("SXADMIN_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        return Ok(PortalClient::new(portal, token.trim())?);
    }
    let keychain = std::sync::Arc::new(sxadmin_client::secrets::Keychain::default());
    let restored = match Session::restore(portal.clone(), CLIENT_ID, keychain).await {
        Ok(restored) => restored,
        // Without a keychain there can be no kept sign-in.
        Err(SignInError::Keychain(error)) => {
            return Err(NotSignedIn(format!(
                "not signed in to {}: {error}; set SXADMIN_TOKEN to a personal API token",
                portal.as_str()
            ))
            .into())
        }
        Err(other) => return Err(other.into()),
    };
    match restored {
        Some(session) => Ok(session.client().await?),
        None => Err(NotSignedIn(format!(
            "not signed in to {}: run `sxadmin login`, or set SXADMIN_TOKEN to a personal API \
             token",
            portal.as_str()
        ))
        .into()),
    }
}
