//! Every input rule the portal enforces, written once so that the CSV reader, the command
//! line, the desktop form and the server refuse exactly the same things. A value that one
//! front end accepts and the portal later refuses is a broken promise: the import plan
//! marks a row `create` only when it passed every rule here.

use serde::Serialize;
use thiserror::Error;

use crate::email::{email_domain, normalize_email, EmailError};
use crate::{NewUser, UserChanges};

/// Longest first or last name, in characters (after trimming).
pub const MAX_NAME_CHARS: usize = 200;
/// Licences bought in one purchase.
pub const MAX_PURCHASE_COUNT: u32 = 1000;
/// Longest role-group name, in characters (after trimming).
pub const MAX_ROLE_GROUP_NAME_CHARS: usize = 100;
/// Rows per page of the user list when the caller does not say.
pub const DEFAULT_USER_PAGE: u32 = 100;
/// Most rows per page of the user list.
pub const MAX_USER_PAGE: u32 = 1000;
/// Events returned when the caller does not say.
pub const DEFAULT_EVENT_LIMIT: u32 = 1000;
/// Most events in one answer (also the largest export).
pub const MAX_EVENT_LIMIT: u32 = 100_000;
/// Most items in one batch request.
pub const MAX_BATCH_ITEMS: usize = 1000;

/// The limits above as one value, so the web UI receives them through the generated
/// TypeScript instead of retyping the numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Limits {
    pub max_name_chars: usize,
    pub max_purchase_count: u32,
    pub max_role_group_name_chars: usize,
    pub default_user_page: u32,
    pub max_user_page: u32,
    pub default_event_limit: u32,
    pub max_event_limit: u32,
    pub max_batch_items: usize,
}

pub const LIMITS: Limits = Limits {
    max_name_chars: MAX_NAME_CHARS,
    max_purchase_count: MAX_PURCHASE_COUNT,
    max_role_group_name_chars: MAX_ROLE_GROUP_NAME_CHARS,
    default_user_page: DEFAULT_USER_PAGE,
    max_user_page: MAX_USER_PAGE,
    default_event_limit: DEFAULT_EVENT_LIMIT,
    max_event_limit: MAX_EVENT_LIMIT,
    max_batch_items: MAX_BATCH_ITEMS,
};

/// What is wrong with a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameProblem {
    TooLong,
    ControlCharacter,
}

impl NameProblem {
    /// Advice that completes a sentence about the name ("… is too long: …").
    pub fn advice(self) -> String {
        match self {
            NameProblem::TooLong => {
                format!("is longer than {MAX_NAME_CHARS} characters; shorten it")
            }
            NameProblem::ControlCharacter => {
                "contains a line break or another invisible character; keep the name on one line"
                    .to_owned()
            }
        }
    }
}

/// A refused input: which field, a stable code and words that say how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error("email: {0}")]
    Email(#[from] EmailError),
    #[error("{field}: the name {}", problem.advice())]
    Name {
        field: &'static str,
        problem: NameProblem,
    },
    #[error("name: \"{0}\" is not a domain name; write it like company.com")]
    Domain(String),
    #[error("count: buy 1 to {MAX_PURCHASE_COUNT} licences at a time")]
    PurchaseCount(u32),
    #[error("name: give the role group a name of 1 to {MAX_ROLE_GROUP_NAME_CHARS} characters, on one line")]
    RoleGroupName,
    #[error("limit: ask for 1 to {MAX_USER_PAGE} rows per page")]
    PageSize(u32),
    #[error("limit: ask for 1 to {MAX_EVENT_LIMIT} events")]
    EventLimit(u32),
}

impl RuleError {
    /// The field the problem is in, as the wire names it.
    pub fn field(&self) -> &'static str {
        match self {
            RuleError::Email(_) => "email",
            RuleError::Name { field, .. } => field,
            RuleError::Domain(_) | RuleError::RoleGroupName => "name",
            RuleError::PurchaseCount(_) => "count",
            RuleError::PageSize(_) | RuleError::EventLimit(_) => "limit",
        }
    }
}

/// The problem with a name, if any. Cheap on the common case: most names hold no byte
/// that could start a control character and are far below the length limit.
pub fn name_problem(name: &str) -> Option<NameProblem> {
    // C0 controls and DEL are single bytes; C1 controls are encoded as 0xC2 0x80..=0x9F.
    let may_hold_control = name.bytes().any(|b| b < 0x20 || b == 0x7F || b == 0xC2);
    if may_hold_control && name.chars().any(char::is_control) {
        return Some(NameProblem::ControlCharacter);
    }
    // A character is at most 4 bytes: only long byte strings need counting.
    if name.len() > MAX_NAME_CHARS && name.chars().count() > MAX_NAME_CHARS {
        return Some(NameProblem::TooLong);
    }
    None
}

/// A first or last name trimmed, or why it is refused.
pub fn check_name(field: &'static str, value: &str) -> Result<String, RuleError> {
    let trimmed = value.trim();
    match name_problem(trimmed) {
        Some(problem) => Err(RuleError::Name { field, problem }),
        None => Ok(trimmed.to_owned()),
    }
}

/// The new user with its address normalised and names trimmed.
pub fn check_new_user(user: &NewUser) -> Result<NewUser, RuleError> {
    Ok(NewUser {
        email: normalize_email(&user.email)?,
        first_name: check_name("first_name", &user.first_name)?,
        last_name: check_name("last_name", &user.last_name)?,
        language: user.language,
        role: user.role,
    })
}

/// The changes with their names trimmed.
pub fn check_user_changes(changes: &UserChanges) -> Result<UserChanges, RuleError> {
    let mut out = changes.clone();
    if let Some(name) = &changes.first_name {
        out.first_name = Some(check_name("first_name", name)?);
    }
    if let Some(name) = &changes.last_name {
        out.last_name = Some(check_name("last_name", name)?);
    }
    Ok(out)
}

/// The domain part of a normalised address, lower-case ASCII.
pub fn domain_of(email: &str) -> String {
    email_domain(email).to_ascii_lowercase()
}

/// A domain name as an administrator types it (`Exemple.Québec.`), in the form the portal
/// stores and DNS uses (`exemple.xn--qubec-csa`). The one IDN-aware normalisation: the
/// portal, the command line and the desktop all compare domains through it.
pub fn normalize_domain(input: &str) -> Result<String, RuleError> {
    let trimmed = input.trim().trim_end_matches('.');
    // The address rules decide, so a domain accepted here is one a user address can carry.
    let email = normalize_email(&format!("postmaster@{trimmed}"))
        .map_err(|_| RuleError::Domain(input.to_owned()))?;
    let domain = domain_of(&email);
    if domain.is_empty() || !domain.contains('.') {
        return Err(RuleError::Domain(input.to_owned()));
    }
    Ok(domain)
}

pub fn check_purchase_count(count: u32) -> Result<u32, RuleError> {
    if (1..=MAX_PURCHASE_COUNT).contains(&count) {
        Ok(count)
    } else {
        Err(RuleError::PurchaseCount(count))
    }
}

/// A role-group name trimmed, or why it is refused.
pub fn check_role_group_name(name: &str) -> Result<String, RuleError> {
    let trimmed = name.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_ROLE_GROUP_NAME_CHARS || trimmed.chars().any(char::is_control) {
        return Err(RuleError::RoleGroupName);
    }
    Ok(trimmed.to_owned())
}

/// The page size to use for the user list: the default when absent.
pub fn check_user_page_size(limit: Option<u32>) -> Result<u32, RuleError> {
    let limit = limit.unwrap_or(DEFAULT_USER_PAGE);
    if (1..=MAX_USER_PAGE).contains(&limit) {
        Ok(limit)
    } else {
        Err(RuleError::PageSize(limit))
    }
}

/// The number of events to return: the default when absent.
pub fn check_event_limit(limit: Option<u32>) -> Result<u32, RuleError> {
    let limit = limit.unwrap_or(DEFAULT_EVENT_LIMIT);
    if (1..=MAX_EVENT_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(RuleError::EventLimit(limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_user_is_normalised() {
        let user = check_new_user(&NewUser {
            email: "  Jean.Dupont@Demo.Example ".into(),
            first_name: " Jean ".into(),
            last_name: "Dupont".into(),
            ..NewUser::default()
        })
        .unwrap();
        assert_eq!(user.email, "Jean.Dupont@demo.example");
        assert_eq!(user.first_name, "Jean");
    }

    #[test]
    fn names_longer_than_the_limit_or_with_line_breaks_are_refused() {
        let at_limit = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(check_name("first_name", &at_limit).unwrap(), at_limit);
        let error = check_name("first_name", &"a".repeat(MAX_NAME_CHARS + 1)).unwrap_err();
        assert_eq!(error.field(), "first_name");
        assert!(error.to_string().contains("200 characters"), "{error}");
        assert!(check_name("last_name", "x\ny").is_err());
        assert!(check_new_user(&NewUser {
            email: "nobody".into(),
            ..NewUser::default()
        })
        .is_err());
    }

    #[test]
    fn domains_are_normalised_with_idna() {
        assert_eq!(normalize_domain(" Example.COM. ").unwrap(), "example.com");
        assert_eq!(
            normalize_domain("exemple.québec").unwrap(),
            "exemple.xn--qubec-csa"
        );
        assert_eq!(
            normalize_domain("exemple.xn--qubec-csa").unwrap(),
            "exemple.xn--qubec-csa"
        );
        assert!(normalize_domain("localhost").is_err());
        assert!(normalize_domain("not a domain").is_err());
    }

    #[test]
    fn counts_and_pages_are_bounded() {
        assert!(check_purchase_count(0).is_err());
        assert_eq!(check_purchase_count(1000).unwrap(), 1000);
        assert!(check_purchase_count(1001).is_err());
        assert_eq!(check_user_page_size(None).unwrap(), DEFAULT_USER_PAGE);
        assert!(check_user_page_size(Some(0)).is_err());
        assert!(check_event_limit(Some(MAX_EVENT_LIMIT + 1)).is_err());
        assert_eq!(check_role_group_name("  Billing ").unwrap(), "Billing");
        assert!(check_role_group_name(" ").is_err());
        assert!(check_role_group_name(&"g".repeat(101)).is_err());
    }
}
