//! What ties a sign-in to the browser that started it. A flow's id travels in its forms, so
//! on its own it proves nothing: another site could post it, or push its own flow into a
//! victim's browser. Two checks close that:
//!
//! - a flow cookie, set when the flow starts (`HttpOnly`, `SameSite=Strict`, `Secure` on
//!   https), whose hash the flow keeps; every post of the flow must carry it, and browsers
//!   do not send it with requests started by another site;
//! - the `Origin` header of every form post must be the portal's own. A foreign origin,
//!   and the opaque `null` origin of sandboxed frames and privacy-stripped requests, are
//!   refused. A post without `Origin` is accepted, because older browsers (Firefox before
//!   70, Safari before 12) leave it out of same-origin form posts; every current browser
//!   sends it with a cross-site post, and the `SameSite` cookie still stops one from an
//!   older browser. `Sec-Fetch-Site`, where sent, must say the post came from the portal.

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::pages;
use crate::secrets;

pub(super) const COOKIE: &str = "sxadmin_signin";

/// The flow cookie this browser sent, if any.
pub(super) fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| (20..=100).contains(&value.len()))
}

/// The browser's flow cookie: the one it already holds, so sign-ins in two tabs both keep
/// working, or a new one (`true`: it must be set on the answer).
pub(super) fn browser_secret(headers: &HeaderMap) -> (String, bool) {
    match cookie(headers) {
        Some(value) => (value.to_owned(), false),
        None => (secrets::new_token(""), true),
    }
}

/// What a flow keeps of its browser's cookie.
pub(super) fn browser_id(secret: &str) -> String {
    secrets::hash(secret)
}

/// Whether this request comes from the browser that started the flow.
pub(super) fn same_browser(headers: &HeaderMap, flow_browser: &str) -> bool {
    cookie(headers).is_some_and(|value| secrets::constant_time_eq(&browser_id(value), flow_browser))
}

/// Adds the flow cookie to `response`, valid as long as a sign-in.
pub(super) fn set_cookie(response: &mut Response, secret: &str, ttl: Duration, issuer: &str) {
    let secure = if issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{COOKIE}={secret}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        ttl.as_secs()
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Refuses a form post another site sent (see the module's notes).
pub(super) fn check_origin(headers: &HeaderMap, issuer: &str) -> Result<(), Box<Response>> {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let foreign_fetch = fetch_site.is_some_and(|site| site != "same-origin");
    let foreign_origin = match headers.get(header::ORIGIN) {
        None => false,
        Some(origin) => origin
            .to_str()
            .map_or(true, |origin| !same_origin(origin, issuer)),
    };
    if foreign_fetch || foreign_origin {
        return Err(Box::new(refused_page()));
    }
    Ok(())
}

fn same_origin(origin: &str, issuer: &str) -> bool {
    let (Ok(origin), Ok(issuer)) = (url::Url::parse(origin), url::Url::parse(issuer)) else {
        return false;
    };
    origin.origin().is_tuple() && origin.origin() == issuer.origin()
}

fn refused_page() -> Response {
    pages::message(
        StatusCode::FORBIDDEN,
        "Sign-in refused",
        "This form was sent from another site or another browser window than the one that \
         started the sign-in. Start again from your application.",
    )
}

/// The answer to a post of a flow without its browser's cookie.
pub(super) fn other_browser_page() -> Response {
    refused_page()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    const ISSUER: &str = "http://127.0.0.1:8080";

    #[test]
    fn only_the_portal_s_own_origin_may_post() {
        assert!(check_origin(&headers(&[("origin", ISSUER)]), ISSUER).is_ok());
        assert!(check_origin(&headers(&[]), ISSUER).is_ok());
        for foreign in [
            "https://evil.example",
            "http://127.0.0.1:8081",
            "https://127.0.0.1:8080",
            "null",
        ] {
            assert!(
                check_origin(&headers(&[("origin", foreign)]), ISSUER).is_err(),
                "{foreign}"
            );
        }
        assert!(check_origin(&headers(&[("sec-fetch-site", "cross-site")]), ISSUER).is_err());
        assert!(check_origin(
            &headers(&[("sec-fetch-site", "same-origin"), ("origin", ISSUER)]),
            ISSUER
        )
        .is_ok());
    }

    #[test]
    fn the_flow_cookie_is_found_among_others() {
        let secret = "abcdefghijklmnopqrstuvwxyz0123456789";
        let sent = headers(&[("cookie", &format!("a=b; {COOKIE}={secret}; c=d"))]);
        assert_eq!(cookie(&sent), Some(secret));
        assert!(same_browser(&sent, &browser_id(secret)));
        assert!(!same_browser(&headers(&[]), &browser_id(secret)));
        assert!(!same_browser(
            &headers(&[("cookie", &format!("{COOKIE}=another-value-of-some-length"))]),
            &browser_id(secret)
        ));
    }
}
