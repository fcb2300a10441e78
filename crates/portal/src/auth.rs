//! Who is calling: every API route takes a [`Caller`] (any signed-in user) or a
//! [`crate::permissions::Allowed`] (a caller its rule lets through), so a route cannot forget
//! to check, and everything the route touches is scoped to the caller's account.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
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
    pub fn is_administrator(&self) -> bool {
        self.user.role == Role::Administrator
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            email: Some(self.user.email.clone()),
            client: self.client_id.clone(),
        }
    }
}

/// The longest bearer token looked up; the portal's own are under 50 characters.
const MAX_TOKEN_CHARS: usize = 256;

/// The bearer token of a request, if it carries one.
pub fn bearer_token(parts: &Parts) -> Option<&str> {
    bearer_token_of(&parts.headers)
}

fn bearer_token_of(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Who a request's token says it is, worked out once per request by the API's rate limit
/// and carried along with the request.
#[derive(Clone, Debug)]
pub enum Authentication {
    /// No bearer token (no `Authorization` header, or another scheme).
    Anonymous,
    /// A token that is unknown, expired, revoked, malformed or not an access token.
    Refused,
    /// The token could not be looked up (the store failed); the route tries again.
    Unavailable,
    Caller(Caller),
}

/// Looks up the bearer token of `headers`.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Authentication {
    let Some(token) = bearer_token_of(headers) else {
        return Authentication::Anonymous;
    };
    if token.len() > MAX_TOKEN_CHARS {
        return Authentication::Refused;
    }
    match state
        .store
        .token_owner(&secrets::hash(token), chrono::Utc::now())
        .await
    {
        Ok(Some(owner)) if matches!(owner.kind, TokenKind::Access | TokenKind::Personal) => {
            Authentication::Caller(Caller {
                account: owner.account,
                user: owner.user,
                client_id: owner.client_id,
            })
        }
        Ok(_) => Authentication::Refused,
        Err(error) => {
            tracing::warn!(%error, "cannot look up an access token");
            Authentication::Unavailable
        }
    }
}

fn not_signed_in() -> ApiError {
    ApiError::new(
        ErrorCode::NotAuthenticated,
        "Sign in first: send the access token as `Authorization: Bearer TOKEN`.",
    )
}

fn refused() -> ApiError {
    ApiError::new(
        ErrorCode::NotAuthenticated,
        "The access token is unknown, expired or revoked; sign in again.",
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let known = parts.extensions.get::<Authentication>().cloned();
        let authentication = match known {
            Some(Authentication::Unavailable) | None => {
                let token = bearer_token(parts).ok_or_else(not_signed_in)?;
                if token.len() > MAX_TOKEN_CHARS {
                    return Err(refused());
                }
                let owner = state
                    .store
                    .token_owner(&secrets::hash(token), chrono::Utc::now())
                    .await?
                    .filter(|o| matches!(o.kind, TokenKind::Access | TokenKind::Personal))
                    .ok_or_else(refused)?;
                return Ok(Caller {
                    account: owner.account,
                    user: owner.user,
                    client_id: owner.client_id,
                });
            }
            Some(known) => known,
        };
        match authentication {
            Authentication::Caller(caller) => Ok(caller),
            Authentication::Anonymous => Err(not_signed_in()),
            Authentication::Refused | Authentication::Unavailable => Err(refused()),
        }
    }
}
