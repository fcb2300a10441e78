//! The portal as an OAuth 2.0 authorisation server for native apps: authorisation code with
//! PKCE (S256 only) and loopback redirects (RFC 8252, RFC 7636), rotating refresh tokens
//! whose replay revokes the whole sign-in, the device grant (RFC 8628), revocation
//! (RFC 7009) and metadata (RFC 8414). People sign in on the portal's own pages with an
//! e-mailed one-time code and, if they enrolled one, an authenticator code.

mod pages;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use sxadmin_core::Id;

use crate::app::AppState;
use crate::secrets;
use crate::store::{Actor, NewToken, RefreshUse, TokenKind, TokenOwner};

/// How long an exchanged code is remembered after it expired, to detect its replay.
const REPLAY_MEMORY: Duration = Duration::from_secs(600);

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Sign-ins in progress. They live minutes, so they are kept in memory: a restart only asks
/// people who were midway to start again.
#[derive(Debug, Default)]
pub struct SignInState {
    flows: Mutex<HashMap<String, Flow>>,
    codes: Mutex<HashMap<String, AuthorizationCode>>,
    devices: Mutex<HashMap<String, Device>>,
}

#[derive(Clone, Debug)]
enum Purpose {
    Authorize {
        client_id: String,
        redirect_uri: String,
        code_challenge: String,
        state: Option<String>,
    },
    Device {
        device_key: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Email,
    Code,
    SecondFactor,
}

#[derive(Clone, Debug)]
struct Flow {
    purpose: Purpose,
    started: Instant,
    stage: Stage,
    email: String,
    /// (account, user) when the address belongs to an active user.
    user: Option<(Id, Id)>,
    code_hash: Option<String>,
    attempts: u32,
}

#[derive(Clone, Debug)]
struct AuthorizationCode {
    account_id: Id,
    user_id: Id,
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    expires: Instant,
    /// Set once exchanged: the family of the tokens it gave, revoked if it is replayed.
    exchanged: Option<String>,
}

#[derive(Clone, Debug)]
struct Device {
    user_code: String,
    client_id: String,
    expires: Instant,
    interval: Duration,
    last_poll: Option<Instant>,
    approved: Option<(Id, Id)>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/portal.css", get(stylesheet))
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/device_authorization", post(device_authorization))
        .route("/device", get(device_page).post(device_submit))
        .route("/signin/email", post(submit_email))
        .route("/signin/code", post(submit_code))
        .route("/signin/totp", post(submit_totp))
}

async fn home() -> Response {
    pages::page(
        StatusCode::OK,
        "Secure Exchanges portal",
        "<p>Sign in from SX Admin or with <code>sxadmin login</code>.</p>\
         <p class=\"hint\">The administration API is described at \
         <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a>.</p>",
    )
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLESHEET,
    )
        .into_response()
}

async fn metadata(State(state): State<AppState>) -> Response {
    let issuer = &state.issuer;
    axum::Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "device_authorization_endpoint": format!("{issuer}/oauth/device_authorization"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", DEVICE_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["admin"],
    }))
    .into_response()
}

/// RFC 8252 §7.3: `http` to a loopback IP literal, any port; `localhost` is refused because
/// it can be resolved elsewhere.
pub fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    };
    url.scheme() == "http" && loopback && url.fragment().is_none() && url.username().is_empty()
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
    fn start(&self, purpose: Purpose) -> String {
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

    fn flow(&self, id: &str, ttl: Duration) -> Option<Flow> {
        let mut flows = self.flows.lock().ok()?;
        flows.retain(|_, f| f.started.elapsed() < ttl);
        flows.get(id).cloned()
    }

    fn save(&self, id: &str, flow: Flow) {
        if let Ok(mut flows) = self.flows.lock() {
            flows.insert(id.to_owned(), flow);
        }
    }

    fn end(&self, id: &str) {
        if let Ok(mut flows) = self.flows.lock() {
            flows.remove(id);
        }
    }
}

fn expired_page() -> Response {
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

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    device_code: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TokenAnswer {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    scope: &'static str,
}

/// An RFC 6749 §5.2 error, with the portal's `code`/`message` pair alongside.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({
            "error": error,
            "error_description": description,
            "code": error,
            "message": description,
        })),
    )
        .into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

async fn issue_tokens(
    state: &AppState,
    user_id: Id,
    client_id: &str,
    family: &str,
) -> Result<TokenAnswer, Response> {
    let access = secrets::new_token("sxa_");
    let refresh = secrets::new_token("sxr_");
    let now = chrono::Utc::now();
    let ttl = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(15));
    for (secret, kind, lifetime) in [
        (&access, TokenKind::Access, state.config.access_token_ttl),
        (&refresh, TokenKind::Refresh, state.config.refresh_token_ttl),
    ] {
        let hash = secrets::hash(secret);
        let stored = state
            .store
            .insert_token(&NewToken {
                hash: &hash,
                user_id,
                kind,
                client_id,
                family: Some(family),
                expires_at: Some(now + ttl(lifetime)),
            })
            .await;
        if let Err(error) = stored {
            tracing::error!(%error, "cannot store a token");
            return Err(oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the portal could not issue tokens; try again",
            ));
        }
    }
    Ok(TokenAnswer {
        access_token: access,
        token_type: "Bearer",
        expires_in: state.config.access_token_ttl.as_secs(),
        refresh_token: refresh,
        scope: "admin",
    })
}

fn client_ip(connect: Option<&ConnectInfo<SocketAddr>>) -> String {
    connect
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
        .to_string()
}

async fn token(
    State(state): State<AppState>,
    extensions: axum::http::Extensions,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    if let Err(seconds) = state.api_limiter.check(
        &format!(
            "token:{}",
            client_ip(extensions.get::<ConnectInfo<SocketAddr>>())
        ),
        Instant::now(),
    ) {
        let mut response = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many token requests; wait and try again",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send the parameters as application/x-www-form-urlencoded",
        );
    };
    let client_id = form.client_id.clone().unwrap_or_default();
    if !state.config.clients.contains(&client_id) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    let answer = match form.grant_type.as_deref() {
        Some("authorization_code") => exchange_code(&state, &form, &client_id).await,
        Some("refresh_token") => refresh(&state, &form, &client_id).await,
        Some(DEVICE_GRANT) => poll_device(&state, &form, &client_id).await,
        _ => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "use authorization_code, refresh_token or the device_code grant",
        )),
    };
    match answer {
        Ok(answer) => axum::Json(answer).into_response(),
        Err(response) => response,
    }
}

async fn exchange_code(
    state: &AppState,
    form: &TokenForm,
    client_id: &str,
) -> Result<TokenAnswer, Response> {
    let code = form.code.as_deref().ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code is missing",
        )
    })?;
    let verifier = form.code_verifier.as_deref().ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code_verifier is missing (PKCE is required)",
        )
    })?;
    let hash = secrets::hash(code);
    let family = secrets::new_token("");
    let lookup = match state.sign_in.codes.lock() {
        Err(_) => Err(None),
        Ok(mut codes) => match codes.get_mut(&hash) {
            None => Err(None),
            // A replayed code means it leaked: what it gave is withdrawn below.
            Some(grant) => match grant.exchanged.clone() {
                Some(earlier) => Err(Some(earlier)),
                None => {
                    // One try per code, whatever its outcome, so a verifier cannot be guessed.
                    grant.exchanged = Some(family.clone());
                    Ok(grant.clone())
                }
            },
        },
    };
    let grant = match lookup {
        Ok(grant) => grant,
        Err(None) => {
            return Err(invalid_grant(
                "the authorization code is unknown or expired",
            ))
        }
        Err(Some(earlier)) => {
            if let Err(error) = state.store.revoke_family(&earlier).await {
                tracing::error!(%error, "cannot revoke the tokens of a replayed code");
            }
            return Err(invalid_grant(
                "the authorization code was already used; the tokens it gave are revoked",
            ));
        }
    };
    if grant.expires <= Instant::now() {
        return Err(invalid_grant(
            "the authorization code has expired; sign in again",
        ));
    }
    if grant.client_id != client_id
        || Some(grant.redirect_uri.as_str()) != form.redirect_uri.as_deref()
    {
        return Err(invalid_grant(
            "client_id or redirect_uri differ from the authorization request",
        ));
    }
    if !secrets::constant_time_eq(&secrets::pkce_challenge(verifier), &grant.code_challenge) {
        return Err(invalid_grant(
            "PKCE verification failed: the code_verifier does not match the code_challenge",
        ));
    }
    let answer = issue_tokens(state, grant.user_id, client_id, &family).await?;
    signed_in_event(
        state,
        grant.account_id,
        grant.user_id,
        client_id,
        "authorization_code",
    )
    .await;
    Ok(answer)
}

async fn signed_in_event(state: &AppState, account: Id, user_id: Id, client_id: &str, grant: &str) {
    let actor = Actor {
        user_id: Some(user_id),
        email: None,
        client: client_id.to_owned(),
    };
    let email = state
        .store
        .user(account, user_id)
        .await
        .ok()
        .map(|u| u.email);
    let actor = Actor { email, ..actor };
    if let Err(error) = state
        .store
        .record_event(
            account,
            &actor,
            "user.signed_in",
            Some(user_id),
            serde_json::json!({"grant": grant}),
        )
        .await
    {
        tracing::warn!(%error, "cannot record a sign-in event");
    }
}

async fn refresh(
    state: &AppState,
    form: &TokenForm,
    client_id: &str,
) -> Result<TokenAnswer, Response> {
    let token = form.refresh_token.as_deref().ok_or_else(|| {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is missing",
        )
    })?;
    let spent = state
        .store
        .use_refresh_token(&secrets::hash(token), client_id, chrono::Utc::now())
        .await
        .map_err(|error| {
            tracing::error!(%error, "refresh failed");
            oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the portal could not refresh the session; try again",
            )
        })?;
    match spent {
        RefreshUse::Fresh(owner) => {
            // The store already refused a token issued to another client.
            let TokenOwner { user, family, .. } = *owner;
            let family = family.unwrap_or_else(|| secrets::new_token(""));
            issue_tokens(state, user.id, client_id, &family).await
        }
        RefreshUse::Replayed => Err(invalid_grant("the refresh token was already used; every session from that sign-in is revoked, sign in again")),
        RefreshUse::Invalid => Err(invalid_grant("the refresh token is unknown, expired or revoked; sign in again")),
    }
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
    if let Ok(mut devices) = state.sign_in.devices.lock() {
        devices.retain(|_, d| d.expires > Instant::now());
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
        );
    }
    let issuer = &state.issuer;
    axum::Json(serde_json::json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": format!("{issuer}/device"),
        "verification_uri_complete": format!("{issuer}/device?user_code={user_code}"),
        "expires_in": state.config.device_code_ttl.as_secs(),
        "interval": interval.as_secs(),
    }))
    .into_response()
}

async fn poll_device(
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

async fn device_submit(
    State(state): State<AppState>,
    Form(params): Form<DevicePageParams>,
) -> Response {
    let typed = normalize_user_code(params.user_code.as_deref().unwrap_or(""));
    let device_key = state.sign_in.devices.lock().ok().and_then(|devices| {
        devices
            .iter()
            .find(|(_, d)| {
                d.user_code == typed && d.approved.is_none() && d.expires > Instant::now()
            })
            .map(|(k, _)| k.clone())
    });
    let Some(device_key) = device_key else {
        return pages::device_form(
            &typed,
            Some("That code is unknown or has expired; check the code your device shows."),
        );
    };
    let flow = state.sign_in.start(Purpose::Device { device_key });
    pages::email_form(&flow, None)
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    token: Option<String>,
}

/// RFC 7009: always 200, whether or not the token was known.
async fn revoke(
    State(state): State<AppState>,
    form: Result<Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(token) = form.ok().and_then(|Form(f)| f.token) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "token is missing",
        );
    };
    let hash = secrets::hash(&token);
    let owner = state
        .store
        .token_owner(&hash, chrono::Utc::now())
        .await
        .ok()
        .flatten();
    let outcome = match owner {
        Some(TokenOwner {
            kind: TokenKind::Refresh,
            family: Some(family),
            ..
        }) => state.store.revoke_family(&family).await,
        _ => state.store.delete_token(&hash).await,
    };
    if let Err(error) = outcome {
        tracing::error!(%error, "revocation failed");
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "try again",
        );
    }
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_ip_redirects_are_accepted() {
        assert!(is_loopback_redirect("http://127.0.0.1:49152/callback"));
        assert!(is_loopback_redirect("http://[::1]:8080/"));
        assert!(!is_loopback_redirect("http://localhost:8080/"));
        assert!(!is_loopback_redirect("https://evil.example/cb"));
        assert!(!is_loopback_redirect("http://127.0.0.1.evil.example/"));
        assert!(!is_loopback_redirect("http://127.0.0.1:1/#frag"));
        assert!(!is_loopback_redirect("not a url"));
    }

    #[test]
    fn user_codes_are_normalised() {
        assert_eq!(normalize_user_code("bcdf ghjk"), "BCDF-GHJK");
        assert_eq!(normalize_user_code("BCDF-GHJK"), "BCDF-GHJK");
    }
}
