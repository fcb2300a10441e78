use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sxadmin_core::{ErrorCode, Me, Permission, Role};
use utoipa::ToSchema;

use super::responses::{Conflict, SignedInErrors};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Json};
use crate::totp;

/// The signed-in user, their account and what they may do.
#[utoipa::path(get, path = "/me", tag = "me",
    responses((status = 200, body = Me), SignedInErrors))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Me>> {
    let permissions = if caller.user.role == Role::Administrator {
        Permission::ALL.to_vec()
    } else if let Some(group) = caller.user.role_group_id {
        state
            .store
            .list_role_groups(caller.account.id)
            .await?
            .into_iter()
            .find(|g| g.id == group)
            .map(|g| g.permissions)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Json(Me {
        account: caller.account,
        user: caller.user,
        permissions,
    }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret to type into an authenticator app.
    pub secret: String,
    /// `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpCode {
    pub code: String,
}

/// Starts enrolling an authenticator app as second sign-in factor; confirm it with a code.
#[utoipa::path(post, path = "/me/totp", tag = "me",
    responses((status = 200, body = TotpEnrolment), Conflict, SignedInErrors))]
pub async fn start_totp(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<TotpEnrolment>> {
    let secret = totp::new_secret();
    let (_, active) = state.store.totp_secrets(caller.user.id).await?;
    if active.is_some() {
        // Replacing the factor would bypass the current-code check of turning it off.
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "A second factor is already enabled; turn it off first with a current code (DELETE /me/totp).",
        ));
    }
    state
        .store
        .set_totp(caller.user.id, Some(&secret), active.as_deref())
        .await?;
    Ok(Json(TotpEnrolment {
        otpauth_uri: totp::provisioning_uri(&secret, &caller.user.email),
        secret,
    }))
}

/// Turns the second factor on once the app shows a matching code.
#[utoipa::path(post, path = "/me/totp/confirm", tag = "me", request_body = TotpCode,
    responses((status = 204), SignedInErrors))]
pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<TotpCode>,
) -> ApiResult<StatusCode> {
    let (pending, _) = state.store.totp_secrets(caller.user.id).await?;
    let pending =
        pending.ok_or_else(|| ApiError::invalid("Start enrolment first with POST /me/totp."))?;
    if !totp::verify(&pending, &body.code, totp::now_seconds()) {
        return Err(ApiError::invalid(
            "code: the code does not match; check the device clock and try the current code.",
        ));
    }
    state
        .store
        .set_totp(caller.user.id, None, Some(&pending))
        .await?;
    state
        .store
        .record_event(
            caller.account.id,
            &caller.actor(),
            "user.second_factor_enabled",
            Some(caller.user.id),
            serde_json::json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns the second factor off; needs a current code so a stolen token cannot do it.
#[utoipa::path(delete, path = "/me/totp", tag = "me", request_body = TotpCode,
    responses((status = 204), SignedInErrors))]
pub async fn stop_totp(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<TotpCode>,
) -> ApiResult<StatusCode> {
    let (_, active) = state.store.totp_secrets(caller.user.id).await?;
    let active =
        active.ok_or_else(|| ApiError::new(ErrorCode::Conflict, "No second factor is enabled."))?;
    if !totp::verify(&active, &body.code, totp::now_seconds()) {
        return Err(ApiError::invalid(
            "code: the code does not match the enrolled authenticator.",
        ));
    }
    state.store.set_totp(caller.user.id, None, None).await?;
    state
        .store
        .record_event(
            caller.account.id,
            &caller.actor(),
            "user.second_factor_disabled",
            Some(caller.user.id),
            serde_json::json!({}),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
