//! The HTML of the sign-in pages: plain forms, no script, one stylesheet from the portal
//! itself, so the strict content security policy below allows nothing else.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Forms may post to the portal only, and its redirect may go back to a loopback client.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
    form-action 'self' http://127.0.0.1:* http://[::1]:*; frame-ancestors 'none'; base-uri 'none'";

pub const STYLESHEET: &str = r#"
:root { color-scheme: light dark; --accent: #0b5cad; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid; place-items: center; min-height: 100vh; background: Canvas; color: CanvasText; }
main { width: min(26rem, 92vw); padding: 2rem; border: 1px solid #8884; border-radius: 12px; }
h1 { font-size: 1.4rem; margin-top: 0; }
label { display: block; font-weight: 600; margin: 1rem 0 .3rem; }
input { width: 100%; box-sizing: border-box; font: inherit; padding: .55rem .7rem; border: 1px solid #8888; border-radius: 6px; }
button { margin-top: 1.2rem; width: 100%; font: inherit; font-weight: 600; padding: .6rem; border: 0; border-radius: 6px; background: var(--accent); color: white; cursor: pointer; }
.error { color: #c62828; font-weight: 600; }
.hint { color: GrayText; font-size: .9rem; }
code { font-size: 1.1rem; }
.user-code { font-size: 1.6rem; letter-spacing: .15em; }
button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
"#;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"same-origin\">\
         <title>{title} · Secure Exchanges</title><link rel=\"stylesheet\" href=\"/static/portal.css\">\
         </head><body><main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

fn error_line(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default()
}

pub fn email_form(flow: &str, error: Option<&str>) -> Response {
    page(
        if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        "Sign in",
        &format!(
            "{}<form method=\"post\" action=\"/signin/email\">\
             <input type=\"hidden\" name=\"flow\" value=\"{}\">\
             <label for=\"email\">E-mail address</label>\
             <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required autofocus>\
             <button type=\"submit\">Send me a code</button></form>\
             <p class=\"hint\">We e-mail you a one-time code; no password is needed.</p>",
            error_line(error),
            escape(flow)
        ),
    )
}

pub fn code_form(flow: &str, email: &str, error: Option<&str>, status: StatusCode) -> Response {
    page(
        status,
        "Enter your code",
        &format!(
            "{}<p>If {} belongs to an account, a six-digit code is on its way.</p>\
             <form method=\"post\" action=\"/signin/code\">\
             <input type=\"hidden\" name=\"flow\" value=\"{}\">\
             <label for=\"code\">One-time code</label>\
             <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" pattern=\"[0-9 ]*\" required autofocus>\
             <button type=\"submit\">Sign in</button></form>",
            error_line(error),
            escape(email),
            escape(flow)
        ),
    )
}

pub fn totp_form(flow: &str, error: Option<&str>, status: StatusCode) -> Response {
    page(
        status,
        "Second factor",
        &format!(
            "{}<form method=\"post\" action=\"/signin/totp\">\
             <input type=\"hidden\" name=\"flow\" value=\"{}\">\
             <label for=\"code\">Code from your authenticator app</label>\
             <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" required autofocus>\
             <button type=\"submit\">Continue</button></form>",
            error_line(error),
            escape(flow)
        ),
    )
}

pub fn device_form(user_code: &str, error: Option<&str>) -> Response {
    page(
        if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        "Connect a device",
        &format!(
            "{}<form method=\"post\" action=\"/device\">\
             <label for=\"user_code\">Code shown on your device</label>\
             <input id=\"user_code\" name=\"user_code\" value=\"{}\" autocomplete=\"off\" required autofocus>\
             <button type=\"submit\">Continue</button></form>",
            error_line(error),
            escape(user_code)
        ),
    )
}

/// How the sign-in pages and e-mails name an application, with its client id so a person
/// can compare it with what the program calls itself.
pub fn client_name(client_id: &str) -> String {
    let name = match client_id {
        "sxadmin-cli" => "the sxadmin command line",
        "sxadmin-desktop" => "the SX Admin desktop app",
        other => other,
    };
    format!("{name} ({client_id})")
}

/// The confirmation a device sign-in asks before anything else: which application asks and
/// which code it shows, so a link sent by someone else is recognised as such.
pub fn device_confirm(flow: &str, client_id: &str, user_code: &str) -> Response {
    page(
        StatusCode::OK,
        "Confirm the device",
        &format!(
            "<p>{} asks to sign in to this portal. It shows the code:</p>\
             <p><code class=\"user-code\">{}</code></p>\
             <p>Continue only if you started this sign-in yourself and your own device shows \
             exactly this code. If someone sent you this link or the code, do not continue: \
             they would be signed in as you.</p>\
             <form method=\"post\" action=\"/device/confirm\">\
             <input type=\"hidden\" name=\"flow\" value=\"{}\">\
             <button type=\"submit\" name=\"answer\" value=\"confirm\">Yes, it is my device: continue</button>\
             <button type=\"submit\" name=\"answer\" value=\"cancel\" class=\"secondary\">No, cancel</button></form>",
            escape(&client_name(client_id)),
            escape(user_code),
            escape(flow)
        ),
    )
}

/// After the code: the address belongs to users of several accounts, and the person says
/// which one they sign in to; none is chosen for them.
pub fn account_form(flow: &str, email: &str, accounts: &[(i64, String)]) -> Response {
    let buttons: String = accounts
        .iter()
        .map(|(id, name)| {
            format!(
                "<button type=\"submit\" name=\"account\" value=\"{id}\">{}</button>",
                escape(name)
            )
        })
        .collect();
    page(
        StatusCode::OK,
        "Choose the account",
        &format!(
            "<p>{} is a user of several accounts. Which one do you sign in to?</p>\
             <form method=\"post\" action=\"/signin/account\">\
             <input type=\"hidden\" name=\"flow\" value=\"{}\">{buttons}</form>",
            escape(email),
            escape(flow)
        ),
    )
}

pub fn message(status: StatusCode, title: &str, text: &str) -> Response {
    page(status, title, &format!("<p>{}</p>", escape(text)))
}
