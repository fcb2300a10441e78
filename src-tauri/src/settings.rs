//! What the app remembers between runs that is not secret: the last portal address and
//! whether that was the embedded demo. Tokens are never written here (they live in the
//! keychain); this file is plain JSON in the app's data folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The portal address typed on the sign-in screen.
    #[serde(default)]
    pub portal_url: Option<String>,
    /// The last session was the embedded demo portal, which restarts on another port.
    #[serde(default)]
    pub demo: bool,
}

impl Settings {
    fn path(dir: &Path) -> PathBuf {
        dir.join("settings.json")
    }

    /// A missing or unreadable file means defaults: settings are a convenience, and a
    /// damaged file must not keep the app from starting.
    pub fn load(dir: &Path) -> Settings {
        std::fs::read(Self::path(dir))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let path = Self::path(dir);
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, text)?;
        std::fs::rename(temporary, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_survives_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
        let settings = Settings {
            portal_url: Some("https://portal.example.com".into()),
            demo: false,
        };
        settings.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()), settings);
        std::fs::write(dir.path().join("settings.json"), b"{not json").unwrap();
        assert_eq!(Settings::load(dir.path()), Settings::default());
    }
}
