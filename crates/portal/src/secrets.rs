//! Random secrets and how they are kept: only SHA-256 hashes reach the database, so a copy
//! of it lets no one sign in.

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

#[cfg(test)]
mod tests {
    use super::*;

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
