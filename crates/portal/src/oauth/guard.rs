//! The first check of every sign-in page and OAuth endpoint (`/oauth/…`, `/signin/…`,
//! `/device`): a rate per client address, and a length limit on every value a request
//! carries, enforced before any handler stores one in memory.

use std::net::IpAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::{oauth_error, pages};
use crate::app::AppState;
use crate::request_guard::ClientAddress;

/// The longest value of each field, in characters. Values the portal generates (flow ids,
/// codes, tokens) are far shorter; the client's `state` is usually 43 characters.
const FIELD_LIMITS: &[(&str, usize)] = &[
    ("client_id", 64),
    ("code_challenge", 128),
    ("code_verifier", 128),
    ("user_code", 32),
    ("flow", 128),
    ("code", 128),
    ("state", 512),
    ("redirect_uri", 512),
];

/// Any other field, the e-mail address included (whose own rule, 254 characters, applies
/// when it is read).
const OTHER_FIELD_LIMIT: usize = 512;

/// A whole query string or form body.
pub const MAX_FORM_BYTES: usize = 8 * 1024;

/// Whether `path` is one of the routes this guard covers.
pub fn covers(path: &str) -> bool {
    path.starts_with("/oauth/")
        || path.starts_with("/signin/")
        || path == "/device"
        || path.starts_with("/device/")
}

/// The endpoints programs call answer in the OAuth error shape; the pages people see
/// answer with a page.
fn answers_json(path: &str) -> bool {
    path.starts_with("/oauth/") && path != "/oauth/authorize"
}

fn field_limit(name: &str) -> usize {
    FIELD_LIMITS
        .iter()
        .find(|(field, _)| *field == name)
        .map_or(OTHER_FIELD_LIMIT, |(_, limit)| *limit)
}

/// The first field of a query string or form body that is longer than its limit.
fn overlong_field(encoded: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(name, value)| {
            name.chars().count() > OTHER_FIELD_LIMIT || value.chars().count() > field_limit(name)
        })
        .map(|(name, _)| name.chars().take(64).collect())
}

fn is_form(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Rate-limits the sign-in routes per client address and refuses over-long values with
/// 400; other routes pass through untouched.
pub async fn guard_sign_in_routes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !covers(&path) {
        return next.run(request).await;
    }
    let json = answers_json(&path);
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .copied()
        .unwrap_or(ClientAddress(IpAddr::from([0, 0, 0, 0])));
    if let Err(seconds) = state
        .sign_in_limiter
        .check(&address.limit_key(), Instant::now())
    {
        return too_many(json, seconds);
    }
    if let Some(query) = request.uri().query() {
        if query.len() > MAX_FORM_BYTES {
            return too_long(json, "the query");
        }
        if let Some(field) = overlong_field(query.as_bytes()) {
            return too_long(json, &field);
        }
    }
    if !is_form(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return too_long(json, "the form");
    };
    if let Some(field) = overlong_field(&bytes) {
        return too_long(json, &field);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_many(json: bool, seconds: u64) -> Response {
    let mut response = if json {
        oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!("too many requests from this address; wait {seconds} s and try again"),
        )
    } else {
        pages::message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            &format!(
                "Too many requests came from your address. Wait {seconds} seconds and try again."
            ),
        )
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn too_long(json: bool, field: &str) -> Response {
    if json {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("{field} is too long"),
        )
    } else {
        pages::message(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            &format!(
                "The request is not valid: {field} is too long. Start again from your application."
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_is_held_to_its_limit() {
        let state = "s".repeat(512);
        assert_eq!(overlong_field(format!("state={state}").as_bytes()), None);
        let state = "s".repeat(513);
        assert_eq!(
            overlong_field(format!("a=b&state={state}").as_bytes()),
            Some("state".to_owned())
        );
        // Percent-encoding does not hide a value's length, nor make a short one long.
        let encoded = "%C3%A9".repeat(100);
        assert_eq!(
            overlong_field(format!("client_id={encoded}").as_bytes()),
            Some("client_id".to_owned())
        );
        assert_eq!(overlong_field(format!("email={encoded}").as_bytes()), None);
        assert_eq!(
            overlong_field("x".repeat(600).as_bytes()),
            Some("x".repeat(64))
        );
    }

    #[test]
    fn the_guard_covers_the_sign_in_routes_only() {
        for path in [
            "/oauth/authorize",
            "/oauth/token",
            "/signin/email",
            "/device",
        ] {
            assert!(covers(path), "{path}");
        }
        for path in ["/", "/api/v1/me", "/devices", "/static/portal.css"] {
            assert!(!covers(path), "{path}");
        }
        assert!(!answers_json("/oauth/authorize"));
        assert!(answers_json("/oauth/device_authorization"));
    }
}
