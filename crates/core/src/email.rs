//! E-mail addresses as the portal stores them.
//!
//! The portal finds users by address, checks the domain against the approved list and
//! compares addresses case-insensitively, so every entry point (the CSV import, the CLI,
//! the desktop app and the server) must turn what an administrator typed into the same
//! canonical text. Only the domain is changed: it is lower-cased and internationalised
//! names (`exemple.québec`) become their ASCII form (`exemple.xn--qubec-csa`), because that
//! is what DNS and the approved-domain list hold. The local part is kept exactly as typed
//! since some mail servers treat it as case-sensitive.
//!
//! The accepted syntax is the RFC 5322 `dot-atom` form of an addr-spec, which is what
//! every real address an administrator enters looks like. Quoted local parts and IP
//! literals (`"john doe"@[10.0.0.1]`) are refused: they are legal but no business mailbox
//! uses them, and accepting them would hide typing mistakes.

use std::borrow::Cow;

use thiserror::Error;

/// The longest address SMTP can carry (RFC 5321, 4.5.3.1: 256 octets of path minus `<>`).
const MAX_ADDRESS_LEN: usize = 254;
/// RFC 5321, 4.5.3.1.1.
const MAX_LOCAL_LEN: usize = 64;
/// RFC 1035: 255 octets on the wire, 253 characters as text.
const MAX_DOMAIN_LEN: usize = 253;
/// RFC 1035, 2.3.4.
const MAX_LABEL_LEN: usize = 63;

/// Why an address was refused. Each message says what is wrong and how to fix it, so a
/// front end can show it as is after the address it refers to.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EmailError {
    #[error("the address is empty; write it as name@company.com")]
    Empty,
    #[error("the address contains a space or an invisible character; remove it")]
    ContainsSpace,
    #[error("the address has no @; write it as name@company.com")]
    MissingAt,
    #[error("the address has more than one @; keep a single @ between the name and the domain")]
    MultipleAt,
    #[error("the address has nothing before the @; write it as name@company.com")]
    EmptyLocalPart,
    #[error("the address has no domain after the @; write it as name@company.com")]
    EmptyDomain,
    #[error(
        "the part before the @ contains {0:?}, which addresses cannot hold; use only letters \
         without accents, digits and . _ - + characters"
    )]
    InvalidLocalCharacter(char),
    #[error(
        "the part before the @ starts or ends with a dot, or has two dots in a row; remove \
         the extra dot"
    )]
    MisplacedDot,
    #[error("the part before the @ is longer than 64 characters; check the address")]
    LocalPartTooLong,
    #[error("the address is longer than 254 characters; check the address")]
    TooLong,
    #[error("the domain {0:?} has no dot; write the full domain, such as company.com")]
    DomainWithoutDot(String),
    #[error(
        "the domain {0:?} is not a valid domain name; use only letters, digits, hyphens and \
         dots, such as company.com"
    )]
    InvalidDomain(String),
}

impl EmailError {
    /// A stable identifier for logs and API error bodies; every variant is a bad address.
    pub fn code(&self) -> &'static str {
        "invalid_email"
    }
}

/// The canonical form of `input`: surrounding spaces removed, domain lower-cased and
/// converted to ASCII (IDNA), local part kept as typed.
pub fn normalize_email(input: &str) -> Result<String, EmailError> {
    normalize_email_borrowed(input).map(Cow::into_owned)
}

/// [`normalize_email`] without a copy when the address is already canonical, which is the
/// case for nearly every row of an import file.
pub(crate) fn normalize_email_borrowed(input: &str) -> Result<Cow<'_, str>, EmailError> {
    let address = trim(input);
    match quick_check(address.as_bytes()) {
        Some(QuickCheck::Canonical) => return Ok(Cow::Borrowed(address)),
        Some(QuickCheck::UpperCaseDomain(at)) => {
            let (local, domain) = address.split_at_checked(at).unwrap_or((address, ""));
            return Ok(Cow::Owned(format!(
                "{local}{}",
                domain.to_ascii_lowercase()
            )));
        }
        None => {}
    }
    check_in_detail(address)
}

/// `str::trim`, without decoding characters when the ends are plain ASCII (nearly always).
fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        (None, _) => text,
        _ => text.trim(),
    }
}

enum QuickCheck {
    Canonical,
    /// Valid, but the domain (starting at this `@`) needs lower-casing.
    UpperCaseDomain(usize),
}

/// Accepts the common case cheaply: a plain ASCII, valid address at most a lower-casing
/// away from canonical, in one short loop per part. Anything else (errors, international
/// domains) returns `None` and goes through [`check_in_detail`], which says precisely what
/// is wrong.
fn quick_check(bytes: &[u8]) -> Option<QuickCheck> {
    if bytes.len() > MAX_ADDRESS_LEN {
        return None;
    }
    // The local part, up to the first `@`. A virtual dot before it makes a leading dot a
    // double dot.
    let mut previous = b'.';
    let mut found_at = None;
    for (index, &b) in bytes.iter().enumerate() {
        if b == b'@' {
            found_at = Some(index);
            break;
        }
        if !is_atext(b) && (b != b'.' || previous == b'.') {
            return None;
        }
        previous = b;
    }
    let at = found_at?;
    let domain = bytes.get(at + 1..)?;
    if previous == b'.' || at > MAX_LOCAL_LEN || domain.len() > MAX_DOMAIN_LEN {
        return None;
    }

    let mut upper_case = false;
    let mut dots = 0;
    let mut label_len = 0;
    let mut label_all_digits = true;
    previous = b'.';
    for &b in domain {
        match b {
            b'a'..=b'z' => {
                label_all_digits = false;
                label_len += 1;
            }
            b'0'..=b'9' => label_len += 1,
            b'A'..=b'Z' => {
                upper_case = true;
                label_all_digits = false;
                label_len += 1;
            }
            b'-' if previous != b'.' => {
                label_all_digits = false;
                label_len += 1;
            }
            b'.' if previous != b'.' && previous != b'-' && label_len <= MAX_LABEL_LEN => {
                dots += 1;
                label_len = 0;
                label_all_digits = true;
            }
            _ => return None,
        }
        previous = b;
    }
    let ends_well = previous != b'.' && previous != b'-';
    if !ends_well || dots == 0 || label_len > MAX_LABEL_LEN || label_all_digits {
        return None;
    }
    Some(if upper_case {
        QuickCheck::UpperCaseDomain(at)
    } else {
        QuickCheck::Canonical
    })
}

/// The full check, for addresses the quick check did not accept.
fn check_in_detail(address: &str) -> Result<Cow<'_, str>, EmailError> {
    let address = address.trim();
    if address.is_empty() {
        return Err(EmailError::Empty);
    }
    let bytes = address.as_bytes();
    let mut at = None;
    let mut more_than_one_at = false;
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'@' if at.is_some() => more_than_one_at = true,
            b'@' => at = Some(index),
            0..=0x20 | 0x7F => return Err(EmailError::ContainsSpace),
            _ => {}
        }
    }
    if !address.is_ascii() && address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmailError::ContainsSpace);
    }
    let Some(at) = at else {
        return Err(EmailError::MissingAt);
    };
    if more_than_one_at {
        return Err(EmailError::MultipleAt);
    }
    let local = address.get(..at).unwrap_or_default();
    let domain = address.get(at + 1..).unwrap_or_default();
    check_local_part(local)?;
    let normalized_domain = normalize_domain(domain)?;
    let total = local.len() + 1 + normalized_domain.len();
    if total > MAX_ADDRESS_LEN {
        return Err(EmailError::TooLong);
    }
    match normalized_domain {
        Cow::Borrowed(_) => Ok(Cow::Borrowed(address)),
        Cow::Owned(domain) => {
            let mut normalized = String::with_capacity(total);
            normalized.push_str(local);
            normalized.push('@');
            normalized.push_str(&domain);
            Ok(Cow::Owned(normalized))
        }
    }
}

/// The domain of an address returned by [`normalize_email`] (what follows the last `@`);
/// the whole text when there is no `@`, so a caller never has to handle a missing domain.
pub fn email_domain(normalized: &str) -> &str {
    match normalized.rsplit_once('@') {
        Some((_, domain)) => domain,
        None => normalized,
    }
}

/// RFC 5322 `atext` (the characters a dot-atom holds between dots), as a byte table.
const ATEXT: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'/'
                    | b'='
                    | b'?'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'{'
                    | b'|'
                    | b'}'
                    | b'~'
            );
        byte += 1;
    }
    table
};

fn is_atext(byte: u8) -> bool {
    ATEXT.get(usize::from(byte)).copied().unwrap_or(false)
}

fn check_local_part(local: &str) -> Result<(), EmailError> {
    let bytes = local.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return Err(EmailError::EmptyLocalPart);
    };
    if !bytes.iter().all(|&b| is_atext(b) || b == b'.') {
        let bad = local
            .chars()
            .find(|&c| !(c.is_ascii() && (is_atext(c as u8) || c == '.')))
            .unwrap_or('?');
        return Err(EmailError::InvalidLocalCharacter(bad));
    }
    let double_dot = bytes.windows(2).any(|pair| pair == b"..");
    if first == b'.' || last == b'.' || double_dot {
        return Err(EmailError::MisplacedDot);
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(EmailError::LocalPartTooLong);
    }
    Ok(())
}

/// The lower-case ASCII form of the domain, borrowed when it already is.
fn normalize_domain(domain: &str) -> Result<Cow<'_, str>, EmailError> {
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain);
    }
    let ascii = if domain.is_ascii() {
        // Most addresses take this path; IDNA processing would only lower-case them.
        if domain.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(domain.to_ascii_lowercase())
        } else {
            Cow::Borrowed(domain)
        }
    } else {
        let converted = idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::STD3)
            .map_err(|_| EmailError::InvalidDomain(domain.to_owned()))?;
        Cow::Owned(converted.into_owned())
    };
    check_domain(&ascii, domain)?;
    Ok(ascii)
}

/// Checks the ASCII form; errors quote the domain as the administrator typed it.
fn check_domain(ascii: &str, typed: &str) -> Result<(), EmailError> {
    let invalid = || EmailError::InvalidDomain(typed.to_owned());
    if !ascii.contains('.') {
        return Err(EmailError::DomainWithoutDot(typed.to_owned()));
    }
    if ascii.len() > MAX_DOMAIN_LEN {
        return Err(invalid());
    }
    let mut top_label = "";
    for label in ascii.split('.') {
        let bytes = label.as_bytes();
        let valid = match (bytes.first(), bytes.last()) {
            (Some(&first), Some(&last)) => {
                bytes.len() <= MAX_LABEL_LEN
                    && first != b'-'
                    && last != b'-'
                    && bytes
                        .iter()
                        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            }
            _ => false,
        };
        if !valid {
            return Err(invalid());
        }
        top_label = label;
    }
    // A numeric top-level label means an IP address or a typo, never a mail domain.
    if top_label.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_local_part_and_lowercases_domain() {
        assert_eq!(
            normalize_email("  Jean.Dupont@Example.COM ").unwrap(),
            "Jean.Dupont@example.com"
        );
    }

    #[test]
    fn converts_international_domains_to_ascii() {
        assert_eq!(
            normalize_email("marie@exemple.québec").unwrap(),
            "marie@exemple.xn--qubec-csa"
        );
        assert_eq!(
            normalize_email("marie@BÜCHER.de").unwrap(),
            "marie@xn--bcher-kva.de"
        );
    }

    #[test]
    fn accepts_plus_and_other_atext() {
        assert_eq!(
            normalize_email("a+tag_x-y'z@sub.example.org").unwrap(),
            "a+tag_x-y'z@sub.example.org"
        );
    }

    #[test]
    fn refuses_malformed_addresses_with_the_reason() {
        let cases: &[(&str, EmailError)] = &[
            ("", EmailError::Empty),
            ("   ", EmailError::Empty),
            ("jean dupont@example.com", EmailError::ContainsSpace),
            ("jean.example.com", EmailError::MissingAt),
            ("a@b@example.com", EmailError::MultipleAt),
            ("@example.com", EmailError::EmptyLocalPart),
            ("jean.dupont@", EmailError::EmptyDomain),
            ("josé@example.com", EmailError::InvalidLocalCharacter('é')),
            ("jean..dupont@example.com", EmailError::MisplacedDot),
            (".jean@example.com", EmailError::MisplacedDot),
            ("jean.@example.com", EmailError::MisplacedDot),
            (
                "jean@localhost",
                EmailError::DomainWithoutDot("localhost".into()),
            ),
            (
                "jean@exa_mple.com",
                EmailError::InvalidDomain("exa_mple.com".into()),
            ),
            (
                "jean@-example.com",
                EmailError::InvalidDomain("-example.com".into()),
            ),
            (
                "jean@example..com",
                EmailError::InvalidDomain("example..com".into()),
            ),
            (
                "jean@example.com.",
                EmailError::InvalidDomain("example.com.".into()),
            ),
            (
                "jean@10.0.0.1",
                EmailError::InvalidDomain("10.0.0.1".into()),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_email(input).as_ref(), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn refuses_addresses_beyond_smtp_limits() {
        let local = "a".repeat(65);
        assert_eq!(
            normalize_email(&format!("{local}@example.com")),
            Err(EmailError::LocalPartTooLong)
        );
        // A 253-character domain is valid alone but too long with any local part.
        let label = "b".repeat(63);
        let domain = format!("{label}.{label}.{label}.{}", "d".repeat(61));
        assert_eq!(domain.len(), 253);
        assert_eq!(
            normalize_email(&format!("jean@{domain}")),
            Err(EmailError::TooLong)
        );
        let long_label = format!("{}.com", "c".repeat(64));
        assert!(matches!(
            normalize_email(&format!("jean@{long_label}")),
            Err(EmailError::InvalidDomain(_))
        ));
    }

    #[test]
    fn messages_say_how_to_fix() {
        assert_eq!(
            EmailError::EmptyDomain.to_string(),
            "the address has no domain after the @; write it as name@company.com"
        );
        assert_eq!(EmailError::MissingAt.code(), "invalid_email");
    }

    #[test]
    fn canonical_addresses_are_not_copied() {
        assert!(matches!(
            normalize_email_borrowed(" jean@example.com "),
            Ok(Cow::Borrowed("jean@example.com"))
        ));
        assert!(matches!(
            normalize_email_borrowed("jean@Example.com"),
            Ok(Cow::Owned(_))
        ));
    }

    #[test]
    fn quick_and_detailed_checks_agree() {
        let samples = [
            "a@b.co",
            "a.b@c.d.e",
            "a@b",
            "a@b.",
            "a@.b",
            "a@b..c",
            "a@-b.c",
            "a@b-.c",
            "a@b.c-",
            "a@b-c.d",
            "a@1.2",
            "a@1.b2",
            "a@b.12",
            ".a@b.c",
            "a.@b.c",
            "a..b@c.d",
            "a@B.Co",
            "a@b_c.d",
            "@b.c",
            "a@",
            "a@@b.c",
            "a b@c.d",
            "a@b.c ",
            "Ab+x@c.dd",
        ];
        for sample in samples {
            let quick = quick_check(sample.as_bytes()).is_some();
            let detailed = check_in_detail(sample);
            if quick {
                assert!(
                    detailed.is_ok(),
                    "{sample:?} accepted only by the quick check"
                );
                assert_eq!(
                    normalize_email_borrowed(sample).unwrap(),
                    detailed.unwrap(),
                    "{sample:?}"
                );
            }
        }
        let long_local = format!("{}@b.co", "a".repeat(65));
        assert!(quick_check(long_local.as_bytes()).is_none());
        for long_label in [
            format!("a@{}.com", "b".repeat(64)),
            format!("a@b.{}", "c".repeat(64)),
        ] {
            assert!(quick_check(long_label.as_bytes()).is_none(), "{long_label}");
        }
    }

    proptest::proptest! {
        /// The quick check only ever accepts what the detailed check accepts, with the
        /// same result, so its speed cannot change which addresses are valid.
        #[test]
        fn quick_check_agrees_with_the_detailed_check(
            address in "[a-zA-Z0-9.@_+-]{0,12}(\\.[a-zA-Z0-9-]{0,5}){0,3}",
        ) {
            if quick_check(address.as_bytes()).is_some() {
                let detailed = check_in_detail(&address);
                proptest::prop_assert!(detailed.is_ok(), "{address:?}: {detailed:?}");
                proptest::prop_assert_eq!(
                    normalize_email_borrowed(&address).ok(),
                    detailed.ok()
                );
            }
        }

        #[test]
        fn any_text_gives_an_address_or_a_reason(text in proptest::prelude::any::<String>()) {
            if let Ok(address) = normalize_email(&text) {
                proptest::prop_assert_eq!(address.matches('@').count(), 1);
            }
        }
    }

    #[test]
    fn domain_is_what_follows_the_at() {
        assert_eq!(email_domain("Jean@example.com"), "example.com");
        assert_eq!(email_domain("no-at"), "no-at");
    }
}
