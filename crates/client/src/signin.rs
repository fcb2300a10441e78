//! Signing in as a native app (RFC 8252): the system browser shows the portal's own
//! sign-in pages, the portal redirects to a one-shot listener on 127.0.0.1, and the code
//! it carries is exchanged with PKCE (RFC 7636, S256) for tokens. The app never sees the
//! administrator's e-mail code or second factor.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sxadmin_core::{ErrorBody, OAuthErrorAnswer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::{ClientError, PortalUrl};

/// How long the administrator has to finish signing in in the browser.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// The tokens of a sign-in, as the portal's token endpoint answers (core's wire type).
pub type Tokens = sxadmin_core::TokenAnswer;

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("the browser could not be opened ({0}); open this address yourself: {1}")]
    Browser(String, String),
    #[error("the sign-in was not finished within {} minutes; try again", SIGN_IN_TIMEOUT.as_secs() / 60)]
    TimedOut,
    #[error("the portal refused the sign-in: {0}")]
    Refused(String),
    #[error("the sign-in answer did not match this sign-in (state); try again")]
    StateMismatch,
    #[error("the local sign-in listener failed: {0}")]
    Listener(String),
    #[error(transparent)]
    Keychain(#[from] crate::secrets::SecretStoreError),
}

impl SignInError {
    pub fn code(&self) -> &str {
        match self {
            SignInError::Client(error) => error.code(),
            SignInError::Browser(..) => "browser_unavailable",
            SignInError::TimedOut => "sign_in_timed_out",
            SignInError::Refused(_) => "sign_in_refused",
            SignInError::StateMismatch => "sign_in_state_mismatch",
            SignInError::Listener(_) => "sign_in_listener",
            SignInError::Keychain(error) => error.code(),
        }
    }
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A lifetime the portal announced, bounded so that an absurd value (a hostile or broken
/// portal's `expires_in`) cannot overflow the clock: a day is longer than any sign-in or
/// access token lasts.
pub(crate) fn lifetime(seconds: u64) -> Duration {
    Duration::from_secs(seconds.min(24 * 3600))
}

/// The S256 code challenge of a verifier.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Opens `url` in the system browser. `SXADMIN_BROWSER` names another program to use
/// (the end-to-end tests drive a headless browser through it).
pub fn open_in_browser(url: &str) -> Result<(), String> {
    if let Some(program) = std::env::var_os("SXADMIN_BROWSER") {
        return std::process::Command::new(&program)
            .arg(url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("{}: {e}", program.to_string_lossy()));
    }
    // webbrowser would try a text-mode browser in the terminal, where the sign-in page
    // cannot be used; without a display the device flow is the way.
    if cfg!(all(unix, not(target_os = "macos")))
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err("there is no graphical session to show a browser in".into());
    }
    webbrowser::open_browser_with_options(
        webbrowser::Browser::Default,
        url,
        webbrowser::BrowserOptions::new().with_suppress_output(true),
    )
    .map_err(|e| e.to_string())
}

/// Runs the whole browser sign-in. `open_browser` is given the authorisation URL.
pub async fn browser_sign_in(
    portal: &PortalUrl,
    client_id: &str,
    open_browser: impl FnOnce(&str) -> Result<(), String>,
) -> Result<Tokens, SignInError> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| SignInError::Listener(e.to_string()))?;
    let port = listener
        .local_addr()
        .map_err(|e| SignInError::Listener(e.to_string()))?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{port}/callback");
    let verifier = random_token();
    let state = random_token();
    let mut authorize =
        url::Url::parse(&portal.join("/oauth/authorize")).map_err(|e| ClientError::InvalidUrl {
            url: portal.as_str().to_owned(),
            reason: e.to_string(),
        })?;
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("code_challenge", &code_challenge(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", &state);
    open_browser(authorize.as_str())
        .map_err(|reason| SignInError::Browser(reason, authorize.to_string()))?;
    let params = tokio::time::timeout(SIGN_IN_TIMEOUT, receive_redirect(&listener, &state))
        .await
        .map_err(|_| SignInError::TimedOut)??;
    let get = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    if get("state").as_deref() != Some(state.as_str()) {
        return Err(SignInError::StateMismatch);
    }
    if let Some(error) = get("error") {
        let description = get("error_description").unwrap_or(error);
        return Err(SignInError::Refused(description));
    }
    let code = get("code").ok_or_else(|| SignInError::Refused("no code came back".into()))?;
    token_request(
        portal,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
            ("client_id", client_id),
            ("code_verifier", &verifier),
        ],
    )
    .await
}

/// Waits for the browser's request to `/callback` carrying `state` and answers it with a
/// page saying the window can be closed. Other requests (a browser asking for a favicon,
/// another program on this computer guessing at the port) are refused and the wait goes
/// on: only the redirect of the sign-in this client started can end it.
async fn receive_redirect(
    listener: &TcpListener,
    state: &str,
) -> Result<Vec<(String, String)>, SignInError> {
    /// A connection that sends nothing must not hold up the real redirect.
    const READ_TIMEOUT: Duration = Duration::from_secs(5);
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| SignInError::Listener(e.to_string()))?;
        let mut head = Vec::with_capacity(1024);
        let mut buffer = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match tokio::time::timeout(READ_TIMEOUT, stream.read(&mut buffer)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(n)) => head.extend_from_slice(buffer.get(..n).unwrap_or_default()),
            }
        }
        let text = String::from_utf8_lossy(&head);
        let target = text
            .lines()
            .next()
            .and_then(|line| line.split_whitespace().nth(1))
            .unwrap_or("");
        let Some(query) = target.strip_prefix("/callback") else {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            continue;
        };
        let query = query.strip_prefix('?').unwrap_or("");
        let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let state_matches = params
            .iter()
            .any(|(key, value)| key == "state" && value == state);
        if !state_matches {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let body = "<!doctype html><meta charset=utf-8><title>SX Admin</title>\
                    <h1>Signed in to SX Admin</h1><p>You can close this window and return to SX Admin.</p>";
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\n\
             cache-control: no-store\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        return Ok(params);
    }
}

/// What the administrator needs to approve a device sign-in (RFC 8628).
pub type DeviceCode = sxadmin_core::DeviceAuthorization;

/// The device grant: asks the portal for a code, lets `show` display it, then polls at
/// the interval the portal asks for until the administrator has approved it elsewhere.
pub async fn device_sign_in(
    portal: &PortalUrl,
    client_id: &str,
    show: impl FnOnce(&DeviceCode),
) -> Result<Tokens, SignInError> {
    let http = http(portal)?;
    let (status, bytes) = post_form(
        &http,
        portal,
        "/oauth/device_authorization",
        &[("client_id", client_id)],
    )
    .await?;
    if !(200..300).contains(&status) {
        return Err(refusal(status, &bytes));
    }
    let device: DeviceCode = parse_answer(status, &bytes)?;
    show(&device);
    let deadline = tokio::time::Instant::now() + lifetime(device.expires_in);
    let mut interval = Duration::from_secs(device.interval);
    loop {
        // RFC 8628 section 3.5: wait the interval between polls.
        tokio::time::sleep(interval).await;
        if tokio::time::Instant::now() >= deadline {
            return Err(SignInError::TimedOut);
        }
        let (status, bytes) = post_form(
            &http,
            portal,
            "/oauth/token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", device.device_code.as_str()),
                ("client_id", client_id),
            ],
        )
        .await?;
        if (200..300).contains(&status) {
            return parse_answer(status, &bytes);
        }
        match serde_json::from_slice::<OAuthErrorAnswer>(&bytes) {
            Ok(error) if error.error == "authorization_pending" => {}
            Ok(error) if error.error == "slow_down" => interval += Duration::from_secs(5),
            Ok(error) if error.error == "expired_token" => return Err(SignInError::TimedOut),
            Ok(error) => {
                return Err(SignInError::Refused(
                    error.error_description.unwrap_or(error.error),
                ))
            }
            Err(_) => return Err(refusal(status, &bytes)),
        }
    }
}

fn refusal(status: u16, bytes: &[u8]) -> SignInError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => SignInError::Client(ClientError::Portal { status, body }),
        Err(e) => SignInError::Client(ClientError::UnexpectedAnswer {
            status,
            reason: e.to_string(),
        }),
    }
}

/// Exchanges a refresh token for new tokens; the portal rotates the refresh token.
pub async fn refresh(
    portal: &PortalUrl,
    client_id: &str,
    refresh_token: &str,
) -> Result<Tokens, SignInError> {
    token_request(
        portal,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

/// Revokes a token (a refresh token revokes its whole sign-in).
pub async fn revoke(portal: &PortalUrl, token: &str) -> Result<(), SignInError> {
    let http = http(portal)?;
    http.post(portal.join("/oauth/revoke"))
        .form(&[("token", token)])
        .send()
        .await
        .map_err(|e| network(portal, e))?;
    Ok(())
}

/// The client of the OAuth calls. It follows no redirect: a token request answered by a
/// redirect would otherwise carry the code, the verifier or the refresh token elsewhere.
fn http(portal: &PortalUrl) -> Result<reqwest::Client, ClientError> {
    portal
        .http_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ClientError::Network {
            url: String::new(),
            reason: e.to_string(),
        })
}

fn network(portal: &PortalUrl, error: reqwest::Error) -> SignInError {
    SignInError::Client(ClientError::Network {
        url: portal.as_str().to_owned(),
        reason: error.without_url().to_string(),
    })
}

async fn token_request(portal: &PortalUrl, form: &[(&str, &str)]) -> Result<Tokens, SignInError> {
    let (status, bytes) = post_form(&http(portal)?, portal, "/oauth/token", form).await?;
    if (200..300).contains(&status) {
        return parse_answer(status, &bytes);
    }
    Err(refusal(status, &bytes))
}

/// Posts a form to the portal's OAuth endpoint `path`; any answer is returned as it came.
async fn post_form(
    http: &reqwest::Client,
    portal: &PortalUrl,
    path: &str,
    form: &[(&str, &str)],
) -> Result<(u16, Vec<u8>), SignInError> {
    let response = http
        .post(portal.join(path))
        .form(form)
        .send()
        .await
        .map_err(|e| network(portal, e))?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(|e| network(portal, e))?;
    Ok((status, bytes.to_vec()))
}

fn parse_answer<T: serde::de::DeserializeOwned>(
    status: u16,
    bytes: &[u8],
) -> Result<T, SignInError> {
    serde_json::from_slice(bytes).map_err(|e| {
        SignInError::Client(ClientError::UnexpectedAnswer {
            status,
            reason: e.to_string(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_is_the_rfc_7636_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    async fn get(port: u16, target: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("the listener accepts");
        let request = format!("GET {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .expect("the request is sent");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .await
            .expect("the answer reads");
        answer
    }

    #[tokio::test]
    async fn the_loopback_listener_waits_for_the_redirect_of_its_own_sign_in() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let waiting = tokio::spawn(async move { receive_redirect(&listener, "ours").await });
        // Another program guessing at the port, and a stray request, are refused...
        let forged = get(port, "/callback?code=stolen&state=theirs").await;
        assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");
        let stray = get(port, "/favicon.ico").await;
        assert!(stray.starts_with("HTTP/1.1 404"), "{stray}");
        // ...and the sign-in still completes with the real redirect.
        let real = get(port, "/callback?code=good&state=ours").await;
        assert!(real.starts_with("HTTP/1.1 200"), "{real}");
        let params = waiting.await.expect("the task ends").expect("the redirect");
        assert!(params.contains(&("code".to_owned(), "good".to_owned())));
    }

    #[test]
    fn an_absurd_lifetime_is_bounded_instead_of_overflowing_the_clock() {
        let far = std::time::Instant::now() + lifetime(u64::MAX);
        assert!(far > std::time::Instant::now());
        assert_eq!(lifetime(900), Duration::from_secs(900));
    }
}
