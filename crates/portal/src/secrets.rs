//! Random secrets and how they are kept: only SHA-256 hashes of tokens reach the database,
//! so a copy of it lets no one sign in; the one secret the portal must read back (an
//! authenticator's key) is sealed with a key kept outside the database.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 random bits, URL-safe, with a prefix that tells what the token is for when it turns
/// up somewhere it should not (`sxa_` access, `sxr_` refresh, `sxp_` personal).
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// A six-digit one-time code.
pub fn new_numeric_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

/// A device user code: eight letters without vowels or look-alikes, shown as `XXXX-XXXX`.
pub fn new_user_code() -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        let index = rng.random_range(0..LETTERS.len());
        code.push(char::from(LETTERS.get(index).copied().unwrap_or(b'X')));
    }
    code
}

/// Compares secrets in time independent of where they differ, so a wrong guess tells
/// nothing about how close it was.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Environment variable that supplies the sealing key (base64 of 32 bytes), for a
/// deployment that keeps its keys outside the data folder.
pub const SEALING_KEY_ENV: &str = "SXADMIN_PORTAL_SEALING_KEY";

/// What marks a sealed value, so values written before sealing existed are recognised and
/// sealed on the portal's next start.
const SEALED_PREFIX: &str = "sealed1:";
const NONCE_LEN: usize = 24;

/// Why the sealing key or a sealed value cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the sealing key file {path} cannot be read or created: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("the sealing key must be the base64 form of 32 bytes ({source_name})")]
    BadKey { source_name: String },
    #[error("a sealed secret cannot be opened with this portal's key")]
    Unreadable,
}

impl SealError {
    pub fn code(&self) -> &'static str {
        match self {
            SealError::KeyFile { .. } => "sealing_key_file",
            SealError::BadKey { .. } => "sealing_key_invalid",
            SealError::Unreadable => "sealed_secret_unreadable",
        }
    }
}

/// Seals and opens secrets with XChaCha20-Poly1305: a random 192-bit nonce per value, so
/// the same secret never seals to the same text and a changed byte is detected.
#[derive(Clone)]
pub struct SecretBox {
    cipher: chacha20poly1305::XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox").finish_non_exhaustive()
    }
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        use chacha20poly1305::KeyInit;
        SecretBox {
            cipher: chacha20poly1305::XChaCha20Poly1305::new(key.into()),
        }
    }

    /// A key that lives as long as the process, for a database that does too (in memory).
    pub fn ephemeral() -> Self {
        let mut key = [0_u8; 32];
        rand::rng().fill_bytes(&mut key);
        Self::new(&key)
    }

    /// The key from [`SEALING_KEY_ENV`] when set, else from `key_file`, which is created
    /// with a new random key (readable by its owner only) when it does not exist yet.
    pub fn load(key_file: &std::path::Path) -> Result<Self, SealError> {
        if let Ok(text) = std::env::var(SEALING_KEY_ENV) {
            return Self::from_text(&text, SEALING_KEY_ENV);
        }
        let file_error = |reason: std::io::Error| SealError::KeyFile {
            path: key_file.display().to_string(),
            reason: reason.to_string(),
        };
        match std::fs::read_to_string(key_file) {
            Ok(text) => Self::from_text(&text, &key_file.display().to_string()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0_u8; 32];
                rand::rng().fill_bytes(&mut key);
                write_owner_only(key_file, URL_SAFE_NO_PAD.encode(key).as_bytes())
                    .map_err(file_error)?;
                Ok(Self::new(&key))
            }
            Err(error) => Err(file_error(error)),
        }
    }

    fn from_text(text: &str, source_name: &str) -> Result<Self, SealError> {
        let bad = || SealError::BadKey {
            source_name: source_name.to_owned(),
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim().trim_end_matches('='))
            .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text.trim()))
            .map_err(|_| bad())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        Ok(Self::new(&key))
    }

    pub fn seal(&self, plain: &str) -> String {
        use chacha20poly1305::aead::Aead;
        let mut nonce = [0_u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        // Encryption fails only for inputs of gigabytes; a secret is a few dozen bytes.
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), plain.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// The secret a stored value holds: opened when sealed, as it is when written before
    /// sealing existed.
    pub fn open(&self, stored: &str) -> Result<String, SealError> {
        use chacha20poly1305::aead::Aead;
        let Some(body) = stored.strip_prefix(SEALED_PREFIX) else {
            return Ok(stored.to_owned());
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Unreadable)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Unreadable);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Unreadable)?;
        let plain = self
            .cipher
            .decrypt(&nonce.into(), sealed)
            .map_err(|_| SealError::Unreadable)?;
        String::from_utf8(plain).map_err(|_| SealError::Unreadable)
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED_PREFIX)
    }
}

/// Creates `path` with `contents`, readable and writable by its owner only, and never
/// replaces a file that exists (two portals starting at once keep the first key).
fn write_owner_only(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_never_repeat() {
        let keys = SecretBox::ephemeral();
        let a = keys.seal("JBSWY3DPEHPK3PXP");
        let b = keys.seal("JBSWY3DPEHPK3PXP");
        assert_ne!(a, b);
        assert!(!a.contains("JBSWY3DPEHPK3PXP"));
        assert!(SecretBox::is_sealed(&a));
        assert_eq!(keys.open(&a).unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(matches!(
            SecretBox::ephemeral().open(&a),
            Err(SealError::Unreadable)
        ));
        assert_eq!(keys.open("PLAIN").unwrap(), "PLAIN");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_key_file_is_the_owners_only_and_kept_across_starts() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("portal.key");
        let first = SecretBox::load(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = first.seal("secret");
        assert_eq!(
            SecretBox::load(&path).unwrap().open(&sealed).unwrap(),
            "secret"
        );
    }

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn tokens_are_unique_and_prefixed() {
        let a = new_token("sxa_");
        let b = new_token("sxa_");
        assert!(a.starts_with("sxa_"));
        assert_ne!(a, b);
        assert_eq!(hash(&a).len(), 64);
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn user_codes_have_the_display_shape() {
        let code = new_user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(code.chars().nth(4), Some('-'));
    }
}
