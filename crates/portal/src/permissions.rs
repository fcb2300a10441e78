//! What each route needs, in one table. A route names its rule as the type parameter of
//! [`Allowed`]; administrators pass every rule, a standard user passes when their role group
//! holds one of the rule's permissions. Rules with no permission are for administrators only.
//!
//! | rule | permissions (any of) | routes |
//! |---|---|---|
//! | [`ReadUsers`] | business management, activation rules, roles and authorisations, logs | list, look up and read users |
//! | [`ManageUsers`] | business management | create, edit, disable, delete standard users; batch import |
//! | [`Billing`] | billing | licence pool, licence list |
//! | [`Purchase`] | purchase | buy licences, remove an unassigned licence from the pool |
//! | [`Logs`] | logs | a user's events |
//! | [`AdministratorLogs`] | administrator logs | the audit log, the security log |
//! | [`Domains`] | domain management | list, request, verify, remove domains |
//! | [`ActivationRules`] | activation rules | assign, change, unassign, transfer licences |
//! | [`Roles`] | roles and authorisations | list roles, manage role groups, set a user's role and group |
//! | [`AdministratorsOnly`] | — | reset a user's second factor |
//!
//! Routes about the caller themself (`/me`, sessions, second factor) take a plain
//! [`Caller`]. Making, unmaking or acting on an administrator is checked by the route with
//! [`only_administrators_act_on`], since it depends on the target.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sxadmin_core::{ErrorCode, Permission, Role, User};

use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};

/// A rule of the table above.
pub trait Rule {
    /// Any one of these lets a standard user through; none at all means administrators only.
    const ANY_OF: &'static [Permission];
}

macro_rules! rules {
    ($($(#[$meta:meta])* $name:ident => [$($permission:ident),*];)+) => {
        $(
            $(#[$meta])*
            pub struct $name;
            impl Rule for $name {
                const ANY_OF: &'static [Permission] = &[$(Permission::$permission),*];
            }
        )+
    };
}

rules! {
    /// Reading users is needed by everyone who acts on them or on their licences and logs.
    ReadUsers => [BusinessManagement, ActivationRules, RolesAndAuthorisations, Logs];
    ManageUsers => [BusinessManagement];
    Billing => [Billing];
    Purchase => [Purchase];
    Logs => [Logs];
    AdministratorLogs => [AdministratorLogs];
    Domains => [DomainManagement];
    ActivationRules => [ActivationRules];
    Roles => [RolesAndAuthorisations];
    /// A lost second factor is a security matter kept to administrators.
    AdministratorsOnly => [];
}

/// A caller the route's rule lets through.
pub struct Allowed<R> {
    pub caller: Caller,
    rule: PhantomData<R>,
}

/// How people read a permission: its wire spelling with spaces.
pub fn human_name(permission: Permission) -> String {
    permission.as_str().replace('_', " ")
}

fn needs(any_of: &[Permission]) -> ApiError {
    let Some(first) = any_of.first() else {
        return needs_administrator();
    };
    let names: Vec<String> = any_of.iter().map(|p| human_name(*p)).collect();
    let message = match names.as_slice() {
        [one] => format!("This needs the {one} permission; ask an administrator of the account."),
        [rest @ .., last] => format!(
            "This needs one of the {} or {last} permissions; ask an administrator of the account.",
            rest.join(", ")
        ),
        [] => String::new(),
    };
    ApiError::new(ErrorCode::Forbidden, message).with_details(serde_json::json!({
        "permission": first.as_str(),
        "any_of": any_of.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    }))
}

fn needs_administrator() -> ApiError {
    ApiError::new(
        ErrorCode::Forbidden,
        "Only an administrator of the account can do this; ask one of your administrators.",
    )
    .with_details(serde_json::json!({ "role": Role::Administrator.as_str() }))
}

/// Refuses a standard user who would make, unmake or act on an administrator.
pub fn only_administrators_act_on(caller: &Caller, target_is_administrator: bool) -> ApiResult<()> {
    if target_is_administrator && !caller.is_administrator() {
        return Err(needs_administrator());
    }
    Ok(())
}

/// What the caller may do: every permission for administrators, their group's otherwise.
pub async fn effective(state: &AppState, caller: &Caller) -> ApiResult<Vec<Permission>> {
    if caller.is_administrator() {
        return Ok(Permission::ALL.to_vec());
    }
    let Some(group) = caller.user.role_group_id else {
        return Ok(Vec::new());
    };
    Ok(state
        .store
        .list_role_groups(caller.account.id)
        .await?
        .into_iter()
        .find(|g| g.id == group)
        .map(|g| g.permissions)
        .unwrap_or_default())
}

impl<R: Rule> FromRequestParts<AppState> for Allowed<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.is_administrator() {
            let held = effective(state, &caller).await?;
            if !R::ANY_OF.iter().any(|p| held.contains(p)) {
                return Err(needs(R::ANY_OF));
            }
        }
        Ok(Allowed {
            caller,
            rule: PhantomData,
        })
    }
}

/// Whether the user is an administrator, for the checks on a route's target.
pub fn is_administrator(user: &User) -> bool {
    user.role == Role::Administrator
}
