//! Where the refresh token is kept between runs: the operating system's keychain (macOS
//! Keychain, Windows Credential Manager, Secret Service on Linux) and nowhere else.
//! The trait lets unit tests use memory; the keychain itself is tested for real.

use std::collections::HashMap;
use std::sync::Mutex;

/// The keychain service name every SX Admin secret is filed under.
pub const KEYCHAIN_SERVICE: &str = "com.secure-exchanges.sxadmin";

#[derive(Debug, thiserror::Error)]
pub enum SecretStoreError {
    #[error(
        "no system keychain is running ({0}), so the sign-in cannot be kept. On Linux, start \
         a Secret Service keychain (gnome-keyring, KeePassXC or KWallet, usually started by \
         the desktop session) and unlock it; for scripts, a personal API token in \
         SXADMIN_TOKEN needs no keychain"
    )]
    Unavailable(String),
    #[error("the system keychain is locked ({0}); unlock it and try again")]
    Locked(String),
    #[error("the secret is too long for the system keychain")]
    TooLong,
    #[error("the system keychain failed: {0}")]
    Failed(String),
}

impl SecretStoreError {
    pub fn code(&self) -> &'static str {
        match self {
            SecretStoreError::Unavailable(_) => "keychain_unavailable",
            SecretStoreError::Locked(_) => "keychain_locked",
            SecretStoreError::TooLong => "keychain_secret_too_long",
            SecretStoreError::Failed(_) => "keychain_failed",
        }
    }
}

/// A place for named secrets. `account` names the secret within SX Admin's service, for
/// example the portal URL a refresh token belongs to.
pub trait SecretStore: Send + Sync {
    fn get(&self, account: &str) -> Result<Option<String>, SecretStoreError>;
    fn set(&self, account: &str, secret: &str) -> Result<(), SecretStoreError>;
    /// Deleting a secret that does not exist is not an error: sign-out is idempotent.
    fn delete(&self, account: &str) -> Result<(), SecretStoreError>;
}

/// The operating system's keychain.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Default for Keychain {
    fn default() -> Self {
        Keychain {
            service: KEYCHAIN_SERVICE.to_owned(),
        }
    }
}

impl Keychain {
    /// A keychain under another service name, so tests never touch a real sign-in.
    pub fn with_service(service: &str) -> Self {
        Keychain {
            service: service.to_owned(),
        }
    }

    fn entry(&self, account: &str) -> Result<keyring::Entry, SecretStoreError> {
        keyring::Entry::new(&self.service, account).map_err(map_error)
    }
}

fn map_error(error: keyring::Error) -> SecretStoreError {
    match error {
        keyring::Error::PlatformFailure(inner) => SecretStoreError::Unavailable(inner.to_string()),
        // With a session bus but no Secret Service provider (a minimal window manager,
        // xvfb-run), the lookup of the default collection finds nothing: keyring reports
        // that as "no storage access", but there is nothing to unlock. keyring erases the
        // error's type, so its words are all there is to tell the two apart.
        keyring::Error::NoStorageAccess(inner) if no_provider(&inner.to_string()) => {
            SecretStoreError::Unavailable(inner.to_string())
        }
        keyring::Error::NoStorageAccess(inner) => SecretStoreError::Locked(inner.to_string()),
        keyring::Error::TooLong(_, _) => SecretStoreError::TooLong,
        other => SecretStoreError::Failed(other.to_string()),
    }
}

fn no_provider(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    [
        "no result",
        "serviceunknown",
        "service unknown",
        "was not provided by any",
    ]
    .iter()
    .any(|words| reason.contains(words))
}

impl SecretStore for Keychain {
    fn get(&self, account: &str) -> Result<Option<String>, SecretStoreError> {
        match self.entry(account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(map_error(error)),
        }
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), SecretStoreError> {
        self.entry(account)?.set_password(secret).map_err(map_error)
    }

    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(map_error(error)),
        }
    }
}

/// Secrets in memory, for unit tests of code that stores tokens.
#[derive(Debug, Default)]
pub struct MemorySecrets {
    secrets: Mutex<HashMap<String, String>>,
}

impl SecretStore for MemorySecrets {
    fn get(&self, account: &str) -> Result<Option<String>, SecretStoreError> {
        let secrets = self
            .secrets
            .lock()
            .map_err(|_| SecretStoreError::Failed("memory store poisoned".into()))?;
        Ok(secrets.get(account).cloned())
    }

    fn set(&self, account: &str, secret: &str) -> Result<(), SecretStoreError> {
        self.secrets
            .lock()
            .map_err(|_| SecretStoreError::Failed("memory store poisoned".into()))?
            .insert(account.to_owned(), secret.to_owned());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), SecretStoreError> {
        self.secrets
            .lock()
            .map_err(|_| SecretStoreError::Failed("memory store poisoned".into()))?
            .remove(account);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_keeps_and_forgets() {
        let store = MemorySecrets::default();
        assert_eq!(store.get("a").unwrap(), None);
        store.set("a", "one").unwrap();
        assert_eq!(store.get("a").unwrap().as_deref(), Some("one"));
        store.delete("a").unwrap();
        store.delete("a").unwrap();
        assert_eq!(store.get("a").unwrap(), None);
    }

    #[test]
    fn a_session_without_a_keychain_is_unavailable_not_locked() {
        let missing =
            keyring::Error::NoStorageAccess(Box::new(std::io::Error::other("no result found")));
        let error = map_error(missing);
        assert_eq!(error.code(), "keychain_unavailable");
        assert!(
            error.to_string().contains("no system keychain is running"),
            "{error}"
        );
        let locked =
            keyring::Error::NoStorageAccess(Box::new(std::io::Error::other("prompt dismissed")));
        assert_eq!(map_error(locked).code(), "keychain_locked");
    }
}
