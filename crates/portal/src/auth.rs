//! Who is calling: every API route takes a [`Caller`] (any signed-in user) or an [`Admin`]
//! (an account administrator), so a route cannot forget to check, and everything the route
//! touches is scoped to the caller's account.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use sxadmin_core::{Account, ErrorCode, Role, User};

use crate::app::AppState;
use crate::error::ApiError;
use crate::secrets;
use crate::store::{Actor, TokenKind};

#[derive(Clone, Debug)]
pub struct Caller {
    pub account: Account,
    pub user: User,
    pub client_id: String,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            email: Some(self.user.email.clone()),
            client: self.client_id.clone(),
        }
    }
}

/// A caller who is an administrator of their account.
#[derive(Clone, Debug)]
pub struct Admin(pub Caller);

/// The bearer token of a request, if it carries one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer_token(parts).ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotAuthenticated,
                "Sign in first: send the access token as `Authorization: Bearer TOKEN`.",
            )
        })?;
        let owner = state
            .store
            .token_owner(&secrets::hash(token), chrono::Utc::now())
            .await?
            .filter(|o| matches!(o.kind, TokenKind::Access | TokenKind::Personal))
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotAuthenticated,
                    "The access token is unknown, expired or revoked; sign in again.",
                )
            })?;
        Ok(Caller {
            account: owner.account,
            user: owner.user,
            client_id: owner.client_id,
        })
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.user.role != Role::Administrator {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "Only an administrator of the account can do this; ask one of your administrators.",
            ));
        }
        Ok(Admin(caller))
    }
}
