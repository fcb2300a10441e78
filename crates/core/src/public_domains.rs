//! Public mail providers: addresses at these domains belong to individuals, so the portal
//! lets an account add them without proving ownership of the domain.

const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "aol.com",
    "free.fr",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.fr",
    "googlemail.com",
    "hotmail.ca",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.fr",
    "icloud.com",
    "laposte.net",
    "live.ca",
    "live.com",
    "live.fr",
    "mail.com",
    "me.com",
    "msn.com",
    "orange.fr",
    "outlook.com",
    "outlook.fr",
    "proton.me",
    "protonmail.com",
    "sfr.fr",
    "sympatico.ca",
    "videotron.ca",
    "yahoo.ca",
    "yahoo.com",
    "yahoo.fr",
    "yandex.com",
    "zoho.com",
];

/// Whether `domain` (already lower-case ASCII) is a public mail provider.
pub fn is_public_mail_domain(domain: &str) -> bool {
    PUBLIC_MAIL_DOMAINS.binary_search(&domain).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_for_binary_search() {
        assert!(PUBLIC_MAIL_DOMAINS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn recognises_public_and_business_domains() {
        assert!(is_public_mail_domain("gmail.com"));
        assert!(is_public_mail_domain("outlook.com"));
        assert!(!is_public_mail_domain("demo.example"));
    }
}
