//! The device grant (RFC 8628): a code shown on a terminal, approved in a browser elsewhere.

use std::time::{Duration, Instant};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sxadmin_core::{DeviceAuthorization, TokenAnswer};

use super::flow::start_page;
use super::token::{issue_tokens, signed_in_event, TokenForm};
use super::{binding, busy_oauth, invalid_grant, oauth_error, pages, Device, Purpose, Stage};
use crate::app::AppState;
use crate::secrets;

/// Starting a device sign-in, and the page where its code is typed.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/device_authorization", post(device_authorization))
        .route("/device", get(device_page).post(device_submit))
        .route("/device/confirm", post(device_confirm))
}

#[derive(Debug, Deserialize)]
struct DeviceRequest {
    client_id: Option<String>,
}

async fn device_authorization(
    State(state): State<AppState>,
    form: Result<Form<DeviceRequest>, axum::extract::rejection::FormRejection>,
) -> Response {
    let client_id = form
        .ok()
        .and_then(|Form(f)| f.client_id)
        .unwrap_or_default();
    if !state.config.clients.contains(&client_id) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    let device_code = secrets::new_token("sxd_");
    let user_code = secrets::new_user_code();
    let interval = state.config.device_poll_interval;
    // Expired device codes are removed by the timer.
    let stored = state.sign_in.devices.lock().and_then(|mut devices| {
        devices.insert(
            secrets::hash(&device_code),
            Device {
                user_code: user_code.clone(),
                client_id,
                expires: Instant::now() + state.config.device_code_ttl,
                interval,
                last_poll: None,
                approved: None,
            },
        )
    });
    if stored.is_err() {
        return busy_oauth();
    }
    let issuer = &state.issuer;
    axum::Json(DeviceAuthorization {
        verification_uri: format!("{issuer}/device"),
        verification_uri_complete: Some(format!("{issuer}/device?user_code={user_code}")),
        device_code,
        user_code,
        expires_in: state.config.device_code_ttl.as_secs(),
        interval: interval.as_secs(),
    })
    .into_response()
}

pub(super) async fn poll_device(
    state: &AppState,
    form: &TokenForm,
    client_id: &str,
) -> Result<TokenAnswer, Response> {
    let code = form.device_code.as_deref().ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "device_code is missing",
        )
    })?;
    let key = secrets::hash(code);
    let approved = {
        let Ok(mut devices) = state.sign_in.devices.lock() else {
            return Err(invalid_grant("the device code is not valid"));
        };
        let Some(device) = devices.get_mut(&key) else {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "expired_token",
                "the device code is unknown or expired; start again",
            ));
        };
        if device.expires <= Instant::now() {
            devices.remove(&key);
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "expired_token",
                "the device code has expired; start again",
            ));
        }
        if device.client_id != client_id {
            return Err(invalid_grant("the device code belongs to another client"));
        }
        let now = Instant::now();
        if let Some(last) = device.last_poll {
            if now.saturating_duration_since(last) < device.interval {
                device.interval += Duration::from_secs(5);
                device.last_poll = Some(now);
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "slow_down",
                    "polling too fast; add 5 seconds to the interval",
                ));
            }
        }
        device.last_poll = Some(now);
        match device.approved {
            Some(approved) => {
                devices.remove(&key);
                approved
            }
            None => {
                return Err(oauth_error(
                    StatusCode::BAD_REQUEST,
                    "authorization_pending",
                    "the user has not finished signing in yet",
                ))
            }
        }
    };
    let (account, user_id) = approved;
    let answer = issue_tokens(state, user_id, client_id, &secrets::new_token("")).await?;
    signed_in_event(state, account, user_id, client_id, "device_code").await;
    Ok(answer)
}

#[derive(Debug, Default, Deserialize)]
struct DevicePageParams {
    user_code: Option<String>,
}

async fn device_page(Query(params): Query<DevicePageParams>) -> Response {
    pages::device_form(params.user_code.as_deref().unwrap_or(""), None)
}

fn normalize_user_code(text: &str) -> String {
    let letters: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if letters.len() == 8 {
        format!("{}-{}", &letters[..4], &letters[4..])
    } else {
        letters
    }
}

/// The code typed on the device page: the flow starts here, and first shows which
/// application asks and its code, for the person to confirm.
async fn device_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<DevicePageParams>,
) -> Response {
    if let Err(page) = binding::check_origin(&headers, &state.issuer) {
        return *page;
    }
    let typed = normalize_user_code(params.user_code.as_deref().unwrap_or(""));
    let found = state.sign_in.devices.lock().ok().and_then(|devices| {
        devices
            .iter()
            .find(|(_, d)| {
                d.user_code == typed && d.approved.is_none() && d.expires > Instant::now()
            })
            .map(|(k, d)| (k.clone(), d.client_id.clone()))
    });
    let Some((device_key, client_id)) = found else {
        return pages::device_form(
            &typed,
            Some("That code is unknown or has expired; check the code your device shows."),
        );
    };
    let purpose = Purpose::Device {
        device_key,
        client_id: client_id.clone(),
        user_code: typed.clone(),
    };
    start_page(&state, &headers, purpose, Stage::Confirm, |flow| {
        pages::device_confirm(flow, &client_id, &typed)
    })
}

#[derive(Debug, Deserialize)]
struct ConfirmForm {
    flow: String,
    answer: String,
}

async fn device_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ConfirmForm>,
) -> Response {
    if let Err(page) = binding::check_origin(&headers, &state.issuer) {
        return *page;
    }
    let confirmed = form.answer == "confirm";
    let moved = state.sign_in.step(
        &form.flow,
        &headers,
        state.config.sign_in_ttl,
        Stage::Confirm,
        |flow| {
            if confirmed {
                flow.stage = Stage::Email;
            }
        },
    );
    if let Err(page) = moved {
        return *page;
    }
    if !confirmed {
        state.sign_in.end(&form.flow);
        return pages::message(
            StatusCode::OK,
            "Sign-in cancelled",
            "Nothing was signed in. You can close this window.",
        );
    }
    pages::email_form(&form.flow, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_normalised() {
        assert_eq!(normalize_user_code("bcdf ghjk"), "BCDF-GHJK");
        assert_eq!(normalize_user_code("BCDF-GHJK"), "BCDF-GHJK");
    }
}
