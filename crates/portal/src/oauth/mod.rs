//! The portal as an OAuth 2.0 authorisation server for native apps: authorisation code with
//! PKCE (S256 only) and loopback redirects (RFC 8252, RFC 7636), rotating refresh tokens
//! whose replay revokes the whole sign-in, the device grant (RFC 8628), revocation
//! (RFC 7009) and metadata (RFC 8414). People sign in on the portal's own pages with an
//! e-mailed one-time code and, if they enrolled one, an authenticator code.

mod device;
mod pages;
mod sign_in;
mod token;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use sxadmin_core::{Id, OAuthErrorAnswer};

use crate::app::AppState;

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
        .merge(sign_in::routes())
        .merge(token::routes())
        .merge(device::routes())
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

/// An RFC 6749 §5.2 error with the portal's `code`/`message` pair alongside, so a client
/// that only knows the API's error shape still reads it.
#[derive(Debug, Serialize)]
struct OAuthError<'a> {
    #[serde(flatten)]
    answer: OAuthErrorAnswer,
    code: &'a str,
    message: &'a str,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = OAuthError {
        answer: OAuthErrorAnswer {
            error: error.to_owned(),
            error_description: Some(description.to_owned()),
        },
        code: error,
        message: description,
    };
    (status, axum::Json(body)).into_response()
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
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
}
