//! Where each front end keeps its settings and data, and the settings themselves. One
//! place, so the command line and the desktop agree on folders, on the environment
//! variables that move them, and on what a settings file may hold (addresses, never a
//! secret: tokens live in the keychain).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Which program the folders are for: each keeps its own settings and data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontEnd {
    CommandLine,
    Desktop,
}

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot find the user's {kind} folder; set {variable} to a folder to use")]
    NotFound {
        kind: &'static str,
        variable: &'static str,
    },
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
}

impl FolderError {
    pub fn code(&self) -> &'static str {
        match self {
            FolderError::NotFound { .. } => "folder_not_found",
            FolderError::Write { .. } => "folder_write_failed",
        }
    }
}

/// A front end's configuration and data folders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folders {
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Folders {
    /// The folders of `front_end`, from the environment when set (tests and portable
    /// installs use their own), otherwise the platform's user folders:
    /// - command line: `SXADMIN_CONFIG_DIR`, `SXADMIN_DATA_DIR`;
    /// - desktop: `SXADMIN_DESKTOP_DATA` for both.
    pub fn of(front_end: FrontEnd) -> Result<Folders, FolderError> {
        match front_end {
            FrontEnd::CommandLine => Ok(Folders {
                config: user_folder("SXADMIN_CONFIG_DIR", "configuration", |dirs| {
                    dirs.config_dir().to_path_buf()
                })?,
                data: user_folder("SXADMIN_DATA_DIR", "data", |dirs| {
                    dirs.data_dir().to_path_buf()
                })?,
            }),
            FrontEnd::Desktop => {
                let data = user_folder("SXADMIN_DESKTOP_DATA", "data", |dirs| {
                    dirs.data_dir().join("desktop")
                })?;
                Ok(Folders {
                    config: data.clone(),
                    data,
                })
            }
        }
    }

    /// Both folders at `dir` (tests, and callers that were given a folder).
    pub fn at(dir: &Path) -> Folders {
        Folders {
            config: dir.to_path_buf(),
            data: dir.to_path_buf(),
        }
    }

    /// Journals of imports under way.
    pub fn imports(&self) -> PathBuf {
        self.data.join("imports")
    }

    /// Results files of finished imports.
    pub fn results(&self) -> PathBuf {
        self.data.join("results")
    }

    /// The embedded demo portal's database and outbox.
    pub fn demo_portal(&self) -> PathBuf {
        self.data.join("demo-portal")
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.json")
    }
}

fn user_folder(
    variable: &'static str,
    kind: &'static str,
    pick: fn(&directories::ProjectDirs) -> PathBuf,
) -> Result<PathBuf, FolderError> {
    if let Some(dir) = std::env::var_os(variable).filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("com", "Secure Exchanges", "sxadmin")
        .map(|dirs| pick(&dirs))
        .ok_or(FolderError::NotFound { kind, variable })
}

/// What a front end remembers between runs. Never a token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The portal of the last sign-in (or the address typed on the sign-in screen).
    #[serde(default, alias = "portal")]
    pub portal_url: Option<String>,
    /// The last session was the embedded demo portal, which restarts on another port.
    #[serde(default)]
    pub demo: bool,
}

impl Settings {
    /// A missing or unreadable file means defaults: settings are a convenience, and a
    /// damaged file must not keep a program from starting.
    pub fn load(folders: &Folders) -> Settings {
        std::fs::read(folders.settings_file())
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Written aside and renamed, so a crash never leaves half a file.
    pub fn save(&self, folders: &Folders) -> Result<(), FolderError> {
        let path = folders.settings_file();
        let failed = |e: std::io::Error| FolderError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(&folders.config).map_err(failed)?;
        let text = serde_json::to_vec_pretty(self).map_err(|e| failed(std::io::Error::other(e)))?;
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, text).map_err(failed)?;
        std::fs::rename(&temporary, &path).map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn settings_round_trip_read_the_older_name_and_survive_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let folders = Folders::at(dir.path());
        assert_eq!(Settings::load(&folders), Settings::default());
        let settings = Settings {
            portal_url: Some("https://portal.example.com".into()),
            demo: false,
        };
        settings.save(&folders).unwrap();
        assert_eq!(Settings::load(&folders), settings);
        std::fs::write(
            folders.settings_file(),
            br#"{"portal":"https://a.example"}"#,
        )
        .unwrap();
        assert_eq!(
            Settings::load(&folders).portal_url.as_deref(),
            Some("https://a.example")
        );
        std::fs::write(folders.settings_file(), b"{not json").unwrap();
        assert_eq!(Settings::load(&folders), Settings::default());
    }
}
