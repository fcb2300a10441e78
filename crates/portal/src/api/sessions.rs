//! The signed-in user's own sessions: every sign-in and personal API token that can still
//! act for them, and a way to end each, so a lost laptop or a leaked token is cut off by
//! its owner without waiting for it to expire.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use sxadmin_core::Session;

use super::responses::{NotFound, SignedInErrors};
use crate::app::AppState;
use crate::auth::{bearer_token, Caller};
use crate::error::{ApiError, ApiResult, Json, Path};
use crate::secrets;

/// The session the request came through, to mark it in the list.
pub struct CurrentSession(Option<String>);

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = bearer_token(parts) else {
            return Ok(CurrentSession(None));
        };
        let owner = state
            .store
            .token_owner(&secrets::hash(token), chrono::Utc::now())
            .await?;
        Ok(CurrentSession(owner.and_then(|o| o.family)))
    }
}

/// The caller's live sessions, newest first; the tokens themselves are never shown.
#[utoipa::path(get, path = "/me/sessions", tag = "me",
    responses((status = 200, body = Vec<Session>), SignedInErrors))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    CurrentSession(current): CurrentSession,
) -> ApiResult<Json<Vec<Session>>> {
    let mut sessions = state
        .store
        .sessions(caller.user.id, chrono::Utc::now())
        .await?;
    for session in &mut sessions {
        session.current = current.as_deref() == Some(session.id.as_str());
    }
    Ok(Json(sessions))
}

/// Ends one of the caller's sessions: its access, refresh or personal token stops working
/// at once. Ending the current session signs the caller out.
#[utoipa::path(delete, path = "/me/sessions/{id}", tag = "me", params(("id" = String, Path)),
    responses((status = 204), NotFound, SignedInErrors))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let ended = state
        .store
        .revoke_session(caller.account.id, &caller.actor(), caller.user.id, &id)
        .await?;
    if !ended {
        return Err(ApiError::not_found("session"));
    }
    Ok(StatusCode::NO_CONTENT)
}
