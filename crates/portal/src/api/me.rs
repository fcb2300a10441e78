use axum::extract::State;
use axum::http::StatusCode;
use sxadmin_core::{ErrorCode, Id, Me, TotpCode, TotpEnrolment, User};

use super::responses::{AdminErrors, CodeRefused, Conflict, NotFound, SignedInErrors};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Json, Path};
use crate::permissions::{self, Allowed};
use crate::store::TotpCheck;
use crate::totp;

/// The signed-in user, their account and what they may do.
#[utoipa::path(get, path = "/me", tag = "me",
    responses((status = 200, body = Me), SignedInErrors))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    let permissions = permissions::effective(&state, &caller).await?;
    Ok(Json(Me {
        account: caller.account,
        user: caller.user,
        permissions,
    }))
}

/// The answer to a refused second-factor code: wrong, reused, or too many tries.
pub(super) fn refused_code(check: TotpCheck, what: &str) -> ApiError {
    match check {
        TotpCheck::Accepted => ApiError::new(ErrorCode::Internal, "The code was accepted."),
        // A well-formed code that proves nothing: refused like any credential, not as
        // malformed input.
        TotpCheck::Wrong { tries_left } => ApiError::new(ErrorCode::Forbidden, format!(
            "code: the code does not match {what}; {tries_left} more tries before codes are refused for a while."
        ))
        .with_details(serde_json::json!({"tries_left": tries_left})),
        TotpCheck::Reused => ApiError::new(
            ErrorCode::Forbidden,
            "code: that code was already used; wait for the next code from the authenticator.",
        ),
        TotpCheck::Limited { retry_after } => ApiError::rate_limited(
            retry_after,
            format!("Too many wrong second-factor codes; try again in {retry_after} s."),
        ),
        TotpCheck::NotEnrolled => ApiError::new(
            ErrorCode::Conflict,
            "No second factor is enabled; there is nothing to check the code against.",
        ),
    }
}

/// Starts enrolling an authenticator app as second sign-in factor; confirm it with a code.
/// An enabled factor is replaced only by turning it off first, which takes one of its codes.
#[utoipa::path(post, path = "/me/totp", tag = "me",
    responses((status = 200, body = TotpEnrolment), Conflict, SignedInErrors))]
pub async fn start_totp(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TotpEnrolment>> {
    let (_, active) = state.store.totp_secrets(caller.user.id).await?;
    if active.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "A second factor is already enabled; turn it off first with a current code (DELETE /me/totp).",
        ));
    }
    let secret = totp::new_secret();
    state.store.begin_totp(caller.user.id, &secret).await?;
    Ok(Json(TotpEnrolment {
        otpauth_uri: totp::provisioning_uri(&secret, &caller.user.email),
        secret,
    }))
}

/// Turns the second factor on once the app shows a matching code.
#[utoipa::path(post, path = "/me/totp/confirm", tag = "me", request_body = TotpCode,
    responses((status = 204), CodeRefused, Conflict, SignedInErrors))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<TotpCode>,
) -> ApiResult<StatusCode> {
    let (pending, _) = state.store.totp_secrets(caller.user.id).await?;
    if pending.is_none() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "No enrolment is under way; start one with POST /me/totp.",
        ));
    }
    let check = state
        .store
        .confirm_totp(
            caller.account.id,
            &caller.actor(),
            caller.user.id,
            &body.code,
            totp::now_seconds(),
            totp::guess_limit(),
        )
        .await?;
    match check {
        TotpCheck::Accepted => Ok(StatusCode::NO_CONTENT),
        refused => Err(refused_code(
            refused,
            "the new authenticator; check the device clock and try the current code",
        )),
    }
}

/// Turns the second factor off. It takes a current code that was never used before, and
/// wrong codes are limited per user, so a stolen access token cannot remove it.
#[utoipa::path(delete, path = "/me/totp", tag = "me", request_body = TotpCode,
    responses((status = 204), CodeRefused, Conflict, SignedInErrors))]
pub async fn stop_totp(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<TotpCode>,
) -> ApiResult<StatusCode> {
    let check = state
        .store
        .disable_totp(
            caller.account.id,
            &caller.actor(),
            caller.user.id,
            &body.code,
            totp::now_seconds(),
            totp::guess_limit(),
        )
        .await?;
    match check {
        TotpCheck::Accepted => Ok(StatusCode::NO_CONTENT),
        refused => Err(refused_code(refused, "the enrolled authenticator")),
    }
}

/// Removes a user's second factor when they lost their authenticator, so they can sign in
/// with their e-mail code and enrol a new one. Recorded in the audit and security logs.
#[utoipa::path(post, path = "/users/{id}/second-factor/reset", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), NotFound, Conflict, AdminErrors))]
pub async fn reset_second_factor(
    State(state): State<AppState>,
    Allowed { caller, .. }: Allowed<permissions::AdministratorsOnly>,
    Path(id): Path<Id>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        state
            .store
            .reset_second_factor(caller.account.id, &caller.actor(), id)
            .await?,
    ))
}
