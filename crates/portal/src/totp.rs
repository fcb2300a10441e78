//! Time-based one-time passwords (RFC 6238, SHA-1, 6 digits, 30 s), the optional second
//! factor of the sign-in page, compatible with common authenticator apps.

use hmac::{Hmac, Mac};
use sha1::Sha1;

const STEP_SECONDS: u64 = 30;
const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, the form authenticator apps expect.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            let index = ((buffer >> (bits - 5)) & 31) as usize;
            out.push(char::from(ALPHABET[index]));
            bits -= 5;
        }
    }
    if bits > 0 {
        let index = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(ALPHABET[index]));
    }
    out
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text
        .trim_end_matches('=')
        .chars()
        .filter(|c| !c.is_whitespace())
    {
        let value = ALPHABET
            .iter()
            .position(|&a| char::from(a) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// A new 160-bit secret, base32.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0_u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    base32_encode(&bytes)
}

/// The code for the time step holding `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    hotp(secret, unix_seconds / STEP_SECONDS, 6)
}

fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest.get(19).copied().unwrap_or(0) & 0x0f);
    let word = digest
        .get(offset..offset + 4)
        .map(|b| u32::from_be_bytes([b[0] & 0x7f, b[1], b[2], b[3]]))
        .unwrap_or(0);
    format!(
        "{:0width$}",
        word % 10_u32.pow(digits),
        width = digits as usize
    )
}

/// Wrong codes a user may enter within [`GUESS_WINDOW`] before codes are refused unread:
/// with three valid codes at any time, guessing succeeds with odds of 15 in a million per
/// window.
pub const GUESS_TRIES: u32 = 5;
pub const GUESS_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The limit every second-factor check of a user shares.
pub fn guess_limit() -> crate::store::GuessLimit {
    crate::store::GuessLimit {
        tries: GUESS_TRIES,
        window: GUESS_WINDOW,
    }
}

/// Accepts the current code and the ones either side, to forgive clock drift.
pub fn verify(secret_base32: &str, code: &str, unix_seconds: u64) -> bool {
    matching_step(secret_base32, code, unix_seconds).is_some()
}

/// The time step whose code `code` is (the current one or one either side), so that the
/// caller can refuse a step already used. Every candidate is compared, whichever matches.
pub fn matching_step(secret_base32: &str, code: &str, unix_seconds: u64) -> Option<u64> {
    let secret = base32_decode(secret_base32)?;
    let code = code.trim();
    let step = unix_seconds / STEP_SECONDS;
    let mut found = None;
    for candidate in [step.checked_sub(1), Some(step), step.checked_add(1)]
        .into_iter()
        .flatten()
    {
        let right = crate::secrets::constant_time_eq(&hotp(&secret, candidate, 6), code);
        if right {
            found = Some(candidate);
        }
    }
    found
}

/// Seconds since the Unix epoch, the clock codes are computed from.
pub fn now_seconds() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// The `otpauth://` URI an authenticator app scans.
pub fn provisioning_uri(secret_base32: &str, email: &str) -> String {
    let label = url::form_urlencoded::byte_serialize(format!("SX Admin:{email}").as_bytes())
        .collect::<String>();
    format!("otpauth://totp/{label}?secret={secret_base32}&issuer=SX%20Admin&algorithm=SHA1&digits=6&period=30")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        let secret = b"12345678901234567890";
        assert_eq!(hotp(secret, 59 / 30, 8), "94287082");
        assert_eq!(hotp(secret, 1_111_111_109 / 30, 8), "07081804");
        assert_eq!(hotp(secret, 20_000_000_000 / 30, 8), "65353130");
    }

    #[test]
    fn base32_round_trips_and_verify_accepts_drift() {
        let secret = new_secret();
        let bytes = base32_decode(&secret).unwrap();
        assert_eq!(base32_encode(&bytes), secret);
        let now = 1_700_000_000;
        assert!(verify(&secret, &code_at(&bytes, now - 30), now));
        assert!(!verify(&secret, &code_at(&bytes, now - 120), now));
        assert_eq!(
            matching_step(&secret, &code_at(&bytes, now + 30), now),
            Some(now / 30 + 1)
        );
    }
}
