//! The sign-in pages: the authorisation request, then the e-mail, one-time code and
//! second-factor forms, ending in a code for the app or an approved device.

use std::time::{Duration, Instant};

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sxadmin_core::Id;

use super::{is_loopback_redirect, pages, AuthorizationCode, Flow, Purpose, SignInState, Stage};
use crate::app::AppState;
use crate::secrets;

/// How long an exchanged code is remembered after it expired, to detect its replay.
const REPLAY_MEMORY: Duration = Duration::from_secs(600);

/// The authorisation request and the forms that follow it.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/signin/email", post(submit_email))
        .route("/signin/code", post(submit_code))
        .route("/signin/totp", post(submit_totp))
}

#[derive(Debug, Deserialize)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    state: Option<String>,
}

fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Response {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (k, v) in pairs {
                    query.append_pair(k, v);
                }
            }
            Redirect::to(url.as_str()).into_response()
        }
        Err(_) => pages::message(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The application sent an invalid address.",
        ),
    }
}

async fn authorize(
    State(state): State<AppState>,
    Query(params): Query<AuthorizeParams>,
) -> Response {
    let client_id = params.client_id.unwrap_or_default();
    if !state.config.clients.contains(&client_id) {
        return pages::message(
            StatusCode::BAD_REQUEST,
            "Unknown application",
            "This application is not allowed to sign in to the portal. Use SX Admin or sxadmin.",
        );
    }
    let redirect_uri = params.redirect_uri.unwrap_or_default();
    if !is_loopback_redirect(&redirect_uri) {
        // Never redirect to an address that is not the app on this computer.
        return pages::message(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The application asked to receive the sign-in at an address that is not on this computer (only http://127.0.0.1 or http://[::1] are accepted).",
        );
    }
    let app_state = params.state.clone();
    let with_state = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(s) = app_state.as_deref() {
            pairs.push(("state", s));
        }
        redirect_with(&redirect_uri, &pairs)
    };
    if params.response_type.as_deref() != Some("code") {
        return with_state(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let challenge = params.code_challenge.unwrap_or_default();
    if params.code_challenge_method.as_deref() != Some("S256")
        || !(43..=128).contains(&challenge.len())
    {
        return with_state(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    }
    let flow_id = state.sign_in.start(Purpose::Authorize {
        client_id,
        redirect_uri: redirect_uri.clone(),
        code_challenge: challenge,
        state: params.state,
    });
    pages::email_form(&flow_id, None)
}

impl SignInState {
    pub(super) fn start(&self, purpose: Purpose) -> String {
        let id = secrets::new_token("");
        if let Ok(mut flows) = self.flows.lock() {
            flows.insert(
                id.clone(),
                Flow {
                    purpose,
                    started: Instant::now(),
                    stage: Stage::Email,
                    email: String::new(),
                    user: None,
                    code_hash: None,
                    attempts: 0,
                },
            );
        }
        id
    }

    pub(super) fn flow(&self, id: &str, ttl: Duration) -> Option<Flow> {
        let mut flows = self.flows.lock().ok()?;
        flows.retain(|_, f| f.started.elapsed() < ttl);
        flows.get(id).cloned()
    }

    pub(super) fn save(&self, id: &str, flow: Flow) {
        if let Ok(mut flows) = self.flows.lock() {
            flows.insert(id.to_owned(), flow);
        }
    }

    pub(super) fn end(&self, id: &str) {
        if let Ok(mut flows) = self.flows.lock() {
            flows.remove(id);
        }
    }
}

pub(super) fn expired_page() -> Response {
    pages::message(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in page has expired or was already used. Start again from your application.",
    )
}

fn too_many_page(seconds: u64, text: &str) -> Response {
    let mut response = pages::message(StatusCode::TOO_MANY_REQUESTS, "Too many attempts", text);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[derive(Debug, Deserialize)]
struct EmailForm {
    flow: String,
    email: String,
}

async fn submit_email(State(state): State<AppState>, Form(form): Form<EmailForm>) -> Response {
    let Some(mut flow) = state.sign_in.flow(&form.flow, state.config.sign_in_ttl) else {
        return expired_page();
    };
    let Ok(email) = sxadmin_core::email::normalize_email(&form.email) else {
        return pages::email_form(
            &form.flow,
            Some("That is not an e-mail address; write it as name@company.com."),
        );
    };
    let users = match state.store.users_by_email_any_account(&email).await {
        Ok(users) => users,
        Err(error) => {
            tracing::error!(%error, "sign-in lookup failed");
            return pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in unavailable",
                "The portal could not look up the address; try again.",
            );
        }
    };
    // An address in several accounts signs in to the oldest; the others need their own address.
    let user = users.into_iter().find(|(_, u)| u.active);
    if let Some((account, _)) = &user {
        if let Err(seconds) = state.failures.check(*account, Instant::now()) {
            return too_many_page(
                seconds,
                "Too many failed sign-ins for this account; try again later.",
            );
        }
    }
    let code = secrets::new_numeric_code();
    flow.email = email.clone();
    flow.user = user.as_ref().map(|(account, u)| (*account, u.id));
    flow.code_hash = user.as_ref().map(|_| secrets::hash(&code));
    flow.stage = Stage::Code;
    flow.attempts = 0;
    state.sign_in.save(&form.flow, flow);
    if user.is_some() {
        state.outbox.send_sign_in_code(&email, &code).await;
    }
    // The same page either way, so the form does not reveal which addresses have accounts.
    pages::code_form(&form.flow, &email, None, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    flow: String,
    code: String,
}

async fn submit_code(State(state): State<AppState>, Form(form): Form<CodeForm>) -> Response {
    let Some(mut flow) = state.sign_in.flow(&form.flow, state.config.sign_in_ttl) else {
        return expired_page();
    };
    if flow.stage != Stage::Code {
        return expired_page();
    }
    let limit = state.config.code_attempts;
    if flow.attempts >= limit {
        return too_many_page(
            60,
            "This code has been entered wrongly too many times. Start again to get a new code.",
        );
    }
    if let Some((account, _)) = flow.user {
        if let Err(seconds) = state.failures.check(account, Instant::now()) {
            return too_many_page(
                seconds,
                "Too many failed sign-ins for this account; try again later.",
            );
        }
    }
    let typed: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let right = flow
        .code_hash
        .as_deref()
        .is_some_and(|h| secrets::constant_time_eq(h, &secrets::hash(&typed)));
    if !right {
        flow.attempts += 1;
        if let Some((account, _)) = flow.user {
            state.failures.record(account, Instant::now());
        }
        let left = limit.saturating_sub(flow.attempts);
        let email = flow.email.clone();
        state.sign_in.save(&form.flow, flow);
        if left == 0 {
            return too_many_page(
                60,
                "This code has been entered wrongly too many times. Start again to get a new code.",
            );
        }
        return pages::code_form(
            &form.flow,
            &email,
            Some(&format!("That code is not right. {left} attempt(s) left.")),
            StatusCode::BAD_REQUEST,
        );
    }
    let Some((account, user_id)) = flow.user else {
        return expired_page();
    };
    let second_factor = match state.store.totp_secrets(user_id).await {
        Ok((_, active)) => active.is_some(),
        Err(_) => return expired_page(),
    };
    if second_factor {
        flow.stage = Stage::SecondFactor;
        flow.attempts = 0;
        state.sign_in.save(&form.flow, flow);
        return pages::totp_form(&form.flow, None, StatusCode::OK);
    }
    complete(&state, &form.flow, flow, account, user_id).await
}

async fn submit_totp(State(state): State<AppState>, Form(form): Form<CodeForm>) -> Response {
    let Some(mut flow) = state.sign_in.flow(&form.flow, state.config.sign_in_ttl) else {
        return expired_page();
    };
    let (Stage::SecondFactor, Some((account, user_id))) = (&flow.stage, flow.user) else {
        return expired_page();
    };
    if flow.attempts >= state.config.code_attempts {
        return too_many_page(60, "Too many wrong codes. Start again.");
    }
    if let Err(seconds) = state.failures.check(account, Instant::now()) {
        return too_many_page(
            seconds,
            "Too many failed sign-ins for this account; try again later.",
        );
    }
    let secret = match state.store.totp_secrets(user_id).await {
        Ok((_, Some(secret))) => secret,
        _ => return expired_page(),
    };
    if !crate::totp::verify(&secret, &form.code, crate::totp::now_seconds()) {
        flow.attempts += 1;
        state.failures.record(account, Instant::now());
        state.sign_in.save(&form.flow, flow);
        return pages::totp_form(
            &form.flow,
            Some("That code is not right; use the current code from your app."),
            StatusCode::BAD_REQUEST,
        );
    }
    complete(&state, &form.flow, flow, account, user_id).await
}

async fn complete(
    state: &AppState,
    flow_id: &str,
    flow: Flow,
    account: Id,
    user_id: Id,
) -> Response {
    state.sign_in.end(flow_id);
    match flow.purpose {
        Purpose::Authorize {
            client_id,
            redirect_uri,
            code_challenge,
            state: app_state,
        } => {
            let code = secrets::new_token("sxc_");
            if let Ok(mut codes) = state.sign_in.codes.lock() {
                // Exchanged codes are kept a while past expiry to recognise a replay.
                let now = Instant::now();
                codes.retain(|_, c| c.expires + REPLAY_MEMORY > now);
                codes.insert(
                    secrets::hash(&code),
                    AuthorizationCode {
                        account_id: account,
                        user_id,
                        client_id,
                        redirect_uri: redirect_uri.clone(),
                        code_challenge,
                        expires: Instant::now() + state.config.authorization_code_ttl,
                        exchanged: None,
                    },
                );
            }
            let mut pairs = vec![("code", code.as_str())];
            if let Some(s) = app_state.as_deref() {
                pairs.push(("state", s));
            }
            // 303 so the browser follows with GET, as a loopback listener expects.
            match redirect_with(&redirect_uri, &pairs) {
                response if response.status().is_redirection() => {
                    let mut response = response;
                    *response.status_mut() = StatusCode::SEE_OTHER;
                    response
                }
                other => other,
            }
        }
        Purpose::Device { device_key } => {
            if let Ok(mut devices) = state.sign_in.devices.lock() {
                if let Some(device) = devices.get_mut(&device_key) {
                    device.approved = Some((account, user_id));
                }
            }
            pages::message(
                StatusCode::OK,
                "You are signed in",
                "Return to your terminal: it is now signed in. You can close this window.",
            )
        }
    }
}
