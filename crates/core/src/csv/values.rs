//! Role, language and licence cells as administrators type them, in English or French
//! and in any case: `Administrateur`, `utilisateur`, `Français`, `FR-ca`, `Avancé`, …
//!
//! The wire spelling (`administrator`, `fr`, `advanced`) is tried first because it is what
//! the template and most files hold; other spellings go through [`fold`].

use crate::model::{Language, LicenceTier, Role};

use super::headers::fold;

pub(crate) fn parse_role(cell: &str) -> Option<Role> {
    if let Some(role) = Role::from_wire(cell) {
        return Some(role);
    }
    match fold(cell)?.as_str() {
        "user"
        | "standard"
        | "standarduser"
        | "member"
        | "utilisateur"
        | "utilisatrice"
        | "utilisateurstandard"
        | "membre" => Some(Role::User),
        "administrator" | "admin" | "administrateur" | "administratrice" => {
            Some(Role::Administrator)
        }
        _ => None,
    }
}

pub(crate) fn parse_language(cell: &str) -> Option<Language> {
    if let Some(language) = Language::from_wire(cell) {
        return Some(language);
    }
    match fold(cell)?.as_str() {
        "en" | "eng" | "english" | "anglais" => Some(Language::En),
        "fr" | "fra" | "fre" | "french" | "francais" => Some(Language::Fr),
        _ => parse_locale_tag(cell),
    }
}

/// Locale tags such as `en-US` or `fr_CA`, which some exports hold instead of a language.
fn parse_locale_tag(cell: &str) -> Option<Language> {
    let (language, region) = cell.trim().split_once(['-', '_'])?;
    if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    match language.to_ascii_lowercase().as_str() {
        "en" => Some(Language::En),
        "fr" => Some(Language::Fr),
        _ => None,
    }
}

pub(crate) fn parse_licence(cell: &str) -> Option<LicenceTier> {
    if let Some(tier) = LicenceTier::from_wire(cell) {
        return Some(tier);
    }
    match fold(cell)?.as_str() {
        "eco" | "economy" | "economique" => Some(LicenceTier::Eco),
        "advanced" | "advance" | "avance" | "avancee" => Some(LicenceTier::Advanced),
        "pro" | "professional" | "professionnel" | "professionnelle" => Some(LicenceTier::Pro),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_in_english_and_french() {
        for cell in [
            "user",
            "User",
            "UTILISATEUR",
            "Utilisatrice",
            "standard user",
        ] {
            assert_eq!(parse_role(cell), Some(Role::User), "{cell}");
        }
        for cell in [
            "administrator",
            "Admin",
            "Administrateur",
            "administratrice",
        ] {
            assert_eq!(parse_role(cell), Some(Role::Administrator), "{cell}");
        }
        assert_eq!(parse_role("manager"), None);
    }

    #[test]
    fn languages_by_code_name_or_locale() {
        for cell in ["en", "EN", "English", "anglais", "en-US", "en_CA"] {
            assert_eq!(parse_language(cell), Some(Language::En), "{cell}");
        }
        for cell in ["fr", "Français", "FRANCAIS", "french", "fr-CA", "fr_FR"] {
            assert_eq!(parse_language(cell), Some(Language::Fr), "{cell}");
        }
        for cell in ["de", "deutsch", "es-ES", "enfr"] {
            assert_eq!(parse_language(cell), None, "{cell}");
        }
    }

    #[test]
    fn licences_in_english_and_french() {
        assert_eq!(parse_licence("ECO"), Some(LicenceTier::Eco));
        assert_eq!(parse_licence("Économique"), Some(LicenceTier::Eco));
        assert_eq!(parse_licence("Avancé"), Some(LicenceTier::Advanced));
        assert_eq!(parse_licence("Advanced"), Some(LicenceTier::Advanced));
        assert_eq!(parse_licence("Pro"), Some(LicenceTier::Pro));
        assert_eq!(parse_licence("premium"), None);
    }
}
