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
    let address = input.trim();
    if address.is_empty() {
        return Err(EmailError::Empty);
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EmailError::ContainsSpace);
    }
    let (local, domain) = match address.split_once('@') {
        None => return Err(EmailError::MissingAt),
        Some((_, rest)) if rest.contains('@') => return Err(EmailError::MultipleAt),
        Some(parts) => parts,
    };
    check_local_part(local)?;
    let domain = normalize_domain(domain)?;
    let total = local.len() + 1 + domain.len();
    if total > MAX_ADDRESS_LEN {
        return Err(EmailError::TooLong);
    }
    let mut normalized = String::with_capacity(total);
    normalized.push_str(local);
    normalized.push('@');
    normalized.push_str(&domain);
    Ok(normalized)
}

/// The domain of an address returned by [`normalize_email`] (what follows the last `@`);
/// the whole text when there is no `@`, so a caller never has to handle a missing domain.
pub fn email_domain(normalized: &str) -> &str {
    match normalized.rsplit_once('@') {
        Some((_, domain)) => domain,
        None => normalized,
    }
}

fn check_local_part(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::EmptyLocalPart);
    }
    if let Some(bad) = local.chars().find(|&c| !is_atext(c) && c != '.') {
        return Err(EmailError::InvalidLocalCharacter(bad));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::MisplacedDot);
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(EmailError::LocalPartTooLong);
    }
    Ok(())
}

/// RFC 5322 `atext`: the characters a dot-atom may hold between dots.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
}

fn normalize_domain(domain: &str) -> Result<String, EmailError> {
    if domain.is_empty() {
        return Err(EmailError::EmptyDomain);
    }
    let ascii = if domain.is_ascii() {
        // Most addresses take this path; IDNA processing would only lower-case them.
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::STD3)
            .map_err(|_| EmailError::InvalidDomain(domain.to_owned()))?
            .into_owned()
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
    for label in ascii.split('.') {
        let valid = !label.is_empty()
            && label.len() <= MAX_LABEL_LEN
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(invalid());
        }
    }
    // A numeric top-level label means an IP address or a typo, never a mail domain.
    let top = ascii.rsplit('.').next().unwrap_or_default();
    if top.bytes().all(|b| b.is_ascii_digit()) {
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
    fn domain_is_what_follows_the_at() {
        assert_eq!(email_domain("Jean@example.com"), "example.com");
        assert_eq!(email_domain("no-at"), "no-at");
    }
}
