//! Role, language and licence cells as administrators type them, in English or French
//! and in any case: `Administrateur`, `utilisateur`, `Français`, `FR-ca`, `Avancé`, …
//!
//! Each value has a list of accepted spellings, written as [`fold`] keys. A cell that
//! matches one ignoring ASCII case (nearly all of them) is recognised without folding;
//! only cells with accents, spaces or separators are folded first.

use serde::{Deserialize, Serialize};

use crate::model::{Language, LicenceTier, Role};

use super::headers::fold;

/// What a row's `action` cell asks for. An empty cell means [`RowAction::Keep`]: the row
/// creates or updates its user as a file without the column does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    #[default]
    Keep,
    /// Stop the user from signing in, keeping their licence, logs and history.
    Disable,
    /// Remove the user for good; their licence goes back to the pool.
    Delete,
}

impl RowAction {
    pub const ALL: [RowAction; 3] = [RowAction::Keep, RowAction::Disable, RowAction::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Keep => "keep",
            RowAction::Disable => "disable",
            RowAction::Delete => "delete",
        }
    }

    /// The French word the reader accepts for the same action.
    pub fn french(self) -> &'static str {
        match self {
            RowAction::Keep => "conserver",
            RowAction::Disable => "désactiver",
            RowAction::Delete => "supprimer",
        }
    }
}

const ROLES: &[(&str, Role)] = &[
    ("user", Role::User),
    ("administrator", Role::Administrator),
    ("admin", Role::Administrator),
    ("administrateur", Role::Administrator),
    ("administratrice", Role::Administrator),
    ("utilisateur", Role::User),
    ("utilisatrice", Role::User),
    ("standard", Role::User),
    ("standarduser", Role::User),
    ("utilisateurstandard", Role::User),
    ("member", Role::User),
    ("membre", Role::User),
];

const LANGUAGES: &[(&str, Language)] = &[
    ("en", Language::En),
    ("fr", Language::Fr),
    ("eng", Language::En),
    ("english", Language::En),
    ("anglais", Language::En),
    ("fra", Language::Fr),
    ("fre", Language::Fr),
    ("french", Language::Fr),
    ("francais", Language::Fr),
];

const LICENCES: &[(&str, LicenceTier)] = &[
    ("eco", LicenceTier::Eco),
    ("advanced", LicenceTier::Advanced),
    ("pro", LicenceTier::Pro),
    ("economy", LicenceTier::Eco),
    ("economique", LicenceTier::Eco),
    ("advance", LicenceTier::Advanced),
    ("avance", LicenceTier::Advanced),
    ("avancee", LicenceTier::Advanced),
    ("professional", LicenceTier::Pro),
    ("professionnel", LicenceTier::Pro),
    ("professionnelle", LicenceTier::Pro),
];

const ACTIONS: &[(&str, RowAction)] = &[
    ("keep", RowAction::Keep),
    ("disable", RowAction::Disable),
    ("delete", RowAction::Delete),
    ("conserver", RowAction::Keep),
    ("garder", RowAction::Keep),
    ("desactiver", RowAction::Disable),
    ("supprimer", RowAction::Delete),
    ("deactivate", RowAction::Disable),
    ("remove", RowAction::Delete),
];

fn look_up<T: Copy>(cell: &str, spellings: &[(&str, T)]) -> Option<T> {
    let find = |key: &str, same: fn(&str, &str) -> bool| {
        spellings
            .iter()
            .find(|(spelling, _)| same(spelling, key))
            .map(|&(_, value)| value)
    };
    find(cell, |spelling, key| spelling.eq_ignore_ascii_case(key))
        .or_else(|| find(fold(cell)?.as_str(), |spelling, key| spelling == key))
}

/// The role a person means, in English or French, whatever the case or accents; the
/// command line accepts the same words as a CSV file.
pub fn parse_role(cell: &str) -> Option<Role> {
    look_up(cell, ROLES)
}

pub fn parse_language(cell: &str) -> Option<Language> {
    look_up(cell, LANGUAGES).or_else(|| parse_locale_tag(cell))
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

pub fn parse_licence(cell: &str) -> Option<LicenceTier> {
    look_up(cell, LICENCES)
}

/// An `action` cell in English or French (`keep`, `disable`, `delete`, `conserver`,
/// `désactiver`, `supprimer`), whatever the case or accents.
pub fn parse_action(cell: &str) -> Option<RowAction> {
    look_up(cell, ACTIONS)
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

    #[test]
    fn actions_in_english_and_french() {
        for (cell, action) in [
            ("keep", RowAction::Keep),
            ("Conserver", RowAction::Keep),
            ("DISABLE", RowAction::Disable),
            ("Désactiver", RowAction::Disable),
            ("delete", RowAction::Delete),
            ("Supprimer", RowAction::Delete),
        ] {
            assert_eq!(parse_action(cell), Some(action), "{cell}");
        }
        for action in RowAction::ALL {
            assert_eq!(parse_action(action.as_str()), Some(action));
            assert_eq!(parse_action(action.french()), Some(action));
        }
        assert_eq!(parse_action("erase"), None);
    }

    #[test]
    fn every_spelling_is_a_fold_key() {
        let keys = ROLES
            .iter()
            .map(|(k, _)| *k)
            .chain(LANGUAGES.iter().map(|(k, _)| *k))
            .chain(LICENCES.iter().map(|(k, _)| *k))
            .chain(ACTIONS.iter().map(|(k, _)| *k));
        for key in keys {
            assert_eq!(
                fold(key).map(|f| f.as_str().to_owned()).as_deref(),
                Some(key)
            );
        }
    }
}
