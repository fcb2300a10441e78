//! Which portal a command talks to and with which credentials.
//!
//! The portal comes from `--portal`, then `SXADMIN_PORTAL`, then the last sign-in kept in
//! the settings file (which holds addresses only, never a secret). The credential is
//! `SXADMIN_TOKEN` when set (a personal API token for automation), otherwise the refresh
//! token kept in the OS keychain by `sxadmin login`.

use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sxadmin_client::session::Session;
use sxadmin_client::signin::SignInError;
use sxadmin_client::{PortalClient, PortalUrl};

use super::{GlobalOptions, NotSignedIn};

/// The OAuth client the command line signs in as.
pub const CLIENT_ID: &str = "sxadmin-cli";

/// Settings kept between runs. Never holds a token.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Settings {
    /// The portal of the last successful sign-in.
    pub portal: Option<String>,
}

/// Where settings live: `SXADMIN_CONFIG_DIR`, or the platform's configuration folder.
pub fn config_dir() -> anyhow::Result<PathBuf> {
    user_folder(
        "SXADMIN_CONFIG_DIR",
        "configuration",
        directories::ProjectDirs::config_dir,
    )
}

/// Where import journals, results and the local portal live: `SXADMIN_DATA_DIR`, or the
/// platform's data folder.
pub fn data_dir() -> anyhow::Result<PathBuf> {
    user_folder(
        "SXADMIN_DATA_DIR",
        "data",
        directories::ProjectDirs::data_dir,
    )
}

fn user_folder(
    variable: &str,
    kind: &str,
    pick: fn(&directories::ProjectDirs) -> &std::path::Path,
) -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os(variable) {
        return Ok(PathBuf::from(dir));
    }
    let dirs = directories::ProjectDirs::from("com", "Secure Exchanges", "sxadmin")
        .with_context(|| format!("cannot find the user's {kind} folder; set {variable}"))?;
    Ok(pick(&dirs).to_path_buf())
}

impl Settings {
    fn path() -> anyhow::Result<PathBuf> {
        Ok(config_dir()?.join("settings.json"))
    }

    /// The saved settings; a missing or unreadable file counts as none saved.
    pub fn load() -> Settings {
        Settings::path()
            .ok()
            .and_then(|path| std::fs::read(path).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn save(&self) -> anyhow::Result<()> {
        let path = Settings::path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let text = serde_json::to_vec_pretty(self)?;
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// The portal the command is for, or why there is none.
pub fn portal(options: &GlobalOptions) -> anyhow::Result<PortalUrl> {
    let given = options
        .portal
        .clone()
        .or_else(|| Settings::load().portal)
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
