//! Input rules every backend applies the same way before it writes, so that a user created
//! through the single-user route and through a batch is held to one standard.

use sxadmin_core::email::{email_domain, normalize_email};
use sxadmin_core::{NewUser, UserChanges};

use crate::store::StoreError;

const MAX_NAME_CHARS: usize = 200;

/// The new user with its address normalised (domain lower-cased and in ASCII) and names
/// trimmed, or a message that says what to fix.
pub fn validate_new_user(user: &NewUser) -> Result<NewUser, StoreError> {
    let email =
        normalize_email(&user.email).map_err(|e| StoreError::Invalid(format!("email: {e}")))?;
    Ok(NewUser {
        email,
        first_name: checked_name("first_name", &user.first_name)?,
        last_name: checked_name("last_name", &user.last_name)?,
        language: user.language,
        role: user.role,
    })
}

pub fn validate_changes(changes: &UserChanges) -> Result<UserChanges, StoreError> {
    let mut out = changes.clone();
    if let Some(name) = &changes.first_name {
        out.first_name = Some(checked_name("first_name", name)?);
    }
    if let Some(name) = &changes.last_name {
        out.last_name = Some(checked_name("last_name", name)?);
    }
    Ok(out)
}

fn checked_name(field: &str, value: &str) -> Result<String, StoreError> {
    let trimmed = value.trim();
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(StoreError::Invalid(format!(
            "{field}: at most {MAX_NAME_CHARS} characters are allowed"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "{field}: remove the control characters (line breaks, tabs) from the name"
        )));
    }
    Ok(trimmed.to_owned())
}

/// The domain part of a normalised address, lower-case ASCII.
pub fn domain_of(email: &str) -> String {
    email_domain(email).to_ascii_lowercase()
}

/// A domain name as an administrator types it, checked and converted to lower-case ASCII.
pub fn normalize_domain(input: &str) -> Result<String, StoreError> {
    let trimmed = input.trim().trim_end_matches('.');
    // Reuse the address rules so a domain accepted here is one a user address can carry.
    let email =
        normalize_email(&format!("postmaster@{trimmed}")).map_err(|_| invalid_domain(input))?;
    let domain = domain_of(&email);
    if domain.is_empty() || !domain.contains('.') {
        return Err(invalid_domain(input));
    }
    Ok(domain)
}

fn invalid_domain(input: &str) -> StoreError {
    StoreError::Invalid(format!(
        "name: \"{input}\" is not a domain name; write it like company.com"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_user_is_normalised() {
        let user = validate_new_user(&NewUser {
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
    fn bad_address_and_names_are_refused() {
        assert!(validate_new_user(&NewUser {
            email: "nobody".into(),
            ..NewUser::default()
        })
        .is_err());
        assert!(validate_new_user(&NewUser {
            email: "a@b.example".into(),
            first_name: "x\ny".into(),
            ..NewUser::default()
        })
        .is_err());
    }

    #[test]
    fn domains_are_checked() {
        assert_eq!(normalize_domain(" Example.COM ").unwrap(), "example.com");
        assert!(normalize_domain("localhost").is_err());
        assert!(normalize_domain("not a domain").is_err());
    }
}
