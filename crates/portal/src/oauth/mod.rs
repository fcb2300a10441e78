//! The portal as an OAuth 2.0 authorisation server for native apps: authorisation code with
//! PKCE (S256 only) and loopback redirects (RFC 8252, RFC 7636), rotating refresh tokens
//! whose replay revokes the whole sign-in, the device grant (RFC 8628), revocation
//! (RFC 7009) and metadata (RFC 8414). People sign in on the portal's own pages with an
//! e-mailed one-time code and, if they enrolled one, an authenticator code.

mod binding;
mod device;
mod flow;
mod guard;
mod limits;
mod pages;
mod sign_in;
mod token;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use sxadmin_core::{Id, OAuthErrorAnswer};

use crate::app::AppState;
use crate::config::{MemoryCaps, PortalConfig};

pub use guard::guard_sign_in_routes;
pub use limits::SignInLimits;

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long an exchanged code is remembered after it expired, to detect its replay.
pub(crate) const REPLAY_MEMORY: Duration = Duration::from_secs(600);

/// Sign-ins in progress. They live minutes, so they are kept in memory: a restart only asks
/// people who were midway to start again. Each map is capped ([`Capped`]) and swept of
/// expired entries on the portal's timer ([`SignInState::sweep`]).
#[derive(Debug)]
pub struct SignInState {
    flows: Capped<Flow>,
    codes: Capped<AuthorizationCode>,
    devices: Capped<Device>,
    /// Codes sent and wrong codes, per address and per client address.
    counters: limits::SignInCounters,
}

impl Default for SignInState {
    fn default() -> Self {
        Self::new(MemoryCaps::default())
    }
}

/// How many entries each map holds, for tests and measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignInSizes {
    pub flows: usize,
    pub codes: usize,
    pub devices: usize,
}

impl SignInState {
    pub fn new(caps: MemoryCaps) -> Self {
        SignInState {
            flows: Capped::new(caps.flows),
            codes: Capped::new(caps.codes),
            devices: Capped::new(caps.devices),
            counters: limits::SignInCounters::default(),
        }
    }

    /// Removes what has expired: sign-ins past their lifetime, codes past their replay
    /// memory, device codes past their lifetime.
    pub fn sweep(&self, now: Instant, config: &PortalConfig) {
        let ttl = config.sign_in_ttl;
        if let Ok(mut flows) = self.flows.lock() {
            flows.retain(|_, f| now.saturating_duration_since(f.started) < ttl);
        }
        if let Ok(mut codes) = self.codes.lock() {
            codes.retain(|_, c| c.expires + REPLAY_MEMORY > now);
        }
        if let Ok(mut devices) = self.devices.lock() {
            devices.retain(|_, d| d.expires > now);
        }
        self.counters.sweep(now);
    }

    pub fn sizes(&self) -> SignInSizes {
        SignInSizes {
            flows: self.flows.len(),
            codes: self.codes.len(),
            devices: self.devices.len(),
        }
    }
}

/// A map that refuses new keys once it holds `cap` entries.
///
/// When it is full, a new entry is refused (the page answers 503 with `Retry-After`) rather
/// than making room by evicting an older one: eviction would let anyone who opens sign-ins
/// fast enough push out the half-finished sign-ins of real people, who would then fail for
/// no reason they can see. Refusal delays new sign-ins while a flood lasts and breaks none
/// in progress; the per-address rate limit on the sign-in routes means one address cannot
/// fill a map within an entry's lifetime, and the timer frees room as entries expire.
#[derive(Debug)]
pub(crate) struct Capped<V> {
    cap: usize,
    map: Mutex<HashMap<String, V>>,
}

/// The map was full: the entry was not stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Full;

impl<V> Capped<V> {
    fn new(cap: usize) -> Self {
        Capped {
            cap: cap.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn lock(&self) -> Result<CappedGuard<'_, V>, Full> {
        match self.map.lock() {
            Ok(map) => Ok(CappedGuard { cap: self.cap, map }),
            Err(_) => Err(Full),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// The locked map: reads as a `HashMap`, but every insertion goes through the cap.
pub(crate) struct CappedGuard<'a, V> {
    cap: usize,
    map: MutexGuard<'a, HashMap<String, V>>,
}

impl<V> std::ops::Deref for CappedGuard<'_, V> {
    type Target = HashMap<String, V>;
    fn deref(&self) -> &HashMap<String, V> {
        &self.map
    }
}

impl<V> CappedGuard<'_, V> {
    /// Stores `value`, replacing the entry of `key` if there is one; a new key is refused
    /// when the map is full.
    pub(crate) fn insert(&mut self, key: String, value: V) -> Result<Option<V>, Full> {
        if self.map.len() >= self.cap && !self.map.contains_key(&key) {
            return Err(Full);
        }
        Ok(self.map.insert(key, value))
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key)
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<V> {
        self.map.remove(key)
    }

    pub(crate) fn retain(&mut self, keep: impl FnMut(&String, &mut V) -> bool) {
        self.map.retain(keep);
    }
}

/// The answer of a sign-in page when a map is full: try again shortly.
fn busy_page() -> Response {
    let mut response = pages::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "The portal is busy",
        "Too many sign-ins are in progress right now. Wait a minute and try again.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(BUSY_RETRY));
    response
}

/// The answer of an OAuth endpoint when a map is full.
fn busy_oauth() -> Response {
    let mut response = oauth_error(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        "too many sign-ins are in progress; try again in a minute",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(BUSY_RETRY));
    response
}

/// Seconds a refused sign-in is asked to wait: about two sweeps of the timer.
const BUSY_RETRY: u64 = 60;

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
        /// What the confirmation and the e-mail show: who asks, and the code it displays.
        client_id: String,
        user_code: String,
    },
}

/// The steps of a sign-in, in the only order they are taken: a flow never goes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// A device sign-in waits for the person to confirm the application and code.
    Confirm,
    Email,
    Code,
    /// The address belongs to several accounts: the person chooses one.
    Account,
    SecondFactor,
}

#[derive(Clone, Debug)]
struct Flow {
    purpose: Purpose,
    started: Instant,
    stage: Stage,
    email: String,
    /// Hash of the flow cookie of the browser that started the sign-in.
    browser: String,
    /// (account, user) of every active user with the address, oldest account first.
    users: Vec<(Id, Id)>,
    /// The one signing in, once known.
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
