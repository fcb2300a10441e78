//! A sign-in flow's life: started with its browser's cookie, moved forward one step at a
//! time under the lock (never back, and never by two requests at once), and ended in a
//! code for the app or an approved device.

use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use sxadmin_core::Id;

use super::limits::Throttled;
use super::{
    binding, busy_page, pages, AuthorizationCode, Flow, Full, Purpose, SignInState, Stage,
};
use crate::app::AppState;
use crate::secrets;

/// A page that ends a step early, boxed because an answer is large next to what the steps
/// return.
pub(super) type Refused = Box<Response>;

impl SignInState {
    /// Opens a sign-in bound to `browser` (the hash of its cookie); `Err(Full)` when too
    /// many are in progress.
    pub(super) fn start(
        &self,
        purpose: Purpose,
        stage: Stage,
        browser: String,
    ) -> Result<String, Full> {
        let id = secrets::new_token("");
        self.flows.lock()?.insert(
            id.clone(),
            Flow {
                purpose,
                started: Instant::now(),
                stage,
                email: String::new(),
                browser,
                users: Vec::new(),
                user: None,
                code_hash: None,
                attempts: 0,
            },
        )?;
        Ok(id)
    }

    /// Runs `change` on the flow `id` under the lock, if it is alive, was started by this
    /// browser and is at `stage`: checking and changing in one step, so two requests never
    /// both pass a check meant for one.
    pub(super) fn step<R>(
        &self,
        id: &str,
        headers: &HeaderMap,
        ttl: Duration,
        stage: Stage,
        change: impl FnOnce(&mut Flow) -> R,
    ) -> Result<R, Refused> {
        let Ok(mut flows) = self.flows.lock() else {
            return Err(Box::new(expired_page()));
        };
        let flow = flows.get_mut(id).ok_or_else(|| Box::new(expired_page()))?;
        check(flow, headers, ttl, stage)?;
        Ok(change(flow))
    }

    /// Removes the flow to complete it, with the same checks as [`Self::step`]: of two
    /// requests completing one sign-in, only one gets it.
    pub(super) fn finish(
        &self,
        id: &str,
        headers: &HeaderMap,
        ttl: Duration,
        stage: Stage,
    ) -> Result<Flow, Refused> {
        let Ok(mut flows) = self.flows.lock() else {
            return Err(Box::new(expired_page()));
        };
        let flow = flows.get(id).ok_or_else(|| Box::new(expired_page()))?;
        check(flow, headers, ttl, stage)?;
        flows.remove(id).ok_or_else(|| Box::new(expired_page()))
    }

    pub(super) fn end(&self, id: &str) {
        if let Ok(mut flows) = self.flows.lock() {
            flows.remove(id);
        }
    }
}

fn check(flow: &Flow, headers: &HeaderMap, ttl: Duration, stage: Stage) -> Result<(), Refused> {
    if flow.started.elapsed() >= ttl {
        return Err(Box::new(expired_page()));
    }
    if !binding::same_browser(headers, &flow.browser) {
        return Err(Box::new(binding::other_browser_page()));
    }
    if flow.stage != stage {
        return Err(Box::new(expired_page()));
    }
    Ok(())
}

/// Starts a flow for the browser that sent `headers` and answers with the page `render`
/// makes for it, setting the flow cookie.
pub(super) fn start_page(
    state: &AppState,
    headers: &HeaderMap,
    purpose: Purpose,
    stage: Stage,
    render: impl FnOnce(&str) -> Response,
) -> Response {
    let (secret, _) = binding::browser_secret(headers);
    match state
        .sign_in
        .start(purpose, stage, binding::browser_id(&secret))
    {
        Ok(flow_id) => {
            let mut response = render(&flow_id);
            // Sent again even when the browser has it, so it lives as long as this flow.
            binding::set_cookie(
                &mut response,
                &secret,
                state.config.sign_in_ttl,
                &state.issuer,
            );
            response
        }
        Err(Full) => busy_page(),
    }
}

pub(super) fn expired_page() -> Response {
    pages::message(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in page has expired or was already used. Start again from your application.",
    )
}

pub(super) fn too_many_page(seconds: u64, text: &str) -> Response {
    let mut response = pages::message(StatusCode::TOO_MANY_REQUESTS, "Too many attempts", text);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn minutes(seconds: u64) -> u64 {
    seconds.div_ceil(60).max(1)
}

/// A sign-in limit was reached while asking for a code.
pub(super) fn codes_throttled(throttled: Throttled) -> Refused {
    Box::new(match throttled {
        Throttled::Address(seconds) => too_many_page(
            seconds,
            &format!(
                "Too many codes were sent to this address in the last hour. Use the newest \
                 code you received, or try again in {} minute(s).",
                minutes(seconds)
            ),
        ),
        Throttled::Client(seconds) => too_many_page(
            seconds,
            &format!(
                "Too many codes were asked for from your network. Try again in {} minute(s).",
                minutes(seconds)
            ),
        ),
    })
}

/// A sign-in limit was reached while entering a code.
pub(super) fn tries_throttled(throttled: Throttled) -> Refused {
    Box::new(match throttled {
        Throttled::Address(seconds) => too_many_page(
            seconds,
            &format!(
                "Too many failed sign-ins for this address; try again in {} minute(s). \
                 The other users of your account can still sign in.",
                minutes(seconds)
            ),
        ),
        Throttled::Client(seconds) => too_many_page(
            seconds,
            &format!(
                "Too many failed sign-ins from your network; try again in {} minute(s).",
                minutes(seconds)
            ),
        ),
    })
}

/// What the sign-in e-mail says the code is for.
pub(super) fn mail_about(state: &AppState, purpose: &Purpose) -> String {
    let client = match purpose {
        Purpose::Authorize { client_id, .. } => pages::client_name(client_id),
        Purpose::Device {
            client_id,
            user_code,
            ..
        } => format!(
            "{} on a device showing the code {user_code}",
            pages::client_name(client_id)
        ),
    };
    format!(
        "Enter it on the sign-in page of the Secure Exchanges portal at {} to sign in there \
         from {client}. It is valid for {} minutes.\n\n\
         If you did not just try to sign in there, ignore this message and give the code to \
         no one: without it, no one can sign in as you.",
        state.issuer,
        state.config.sign_in_ttl.as_secs().div_ceil(60)
    )
}

pub(super) fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Response {
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

/// The end of a sign-in that `finish` removed: a code for the app, or the device approved.
pub(super) async fn complete(state: &AppState, flow: Flow, account: Id, user_id: Id) -> Response {
    match flow.purpose {
        Purpose::Authorize {
            client_id,
            redirect_uri,
            code_challenge,
            state: app_state,
        } => {
            let code = secrets::new_token("sxc_");
            // Exchanged codes are kept a while past expiry to recognise a replay; the
            // timer removes them after that.
            let stored = state.sign_in.codes.lock().and_then(|mut codes| {
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
                )
            });
            if stored.is_err() {
                return busy_page();
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
        Purpose::Device {
            device_key,
            client_id,
            user_code,
        } => {
            let approved = state.sign_in.devices.lock().is_ok_and(|mut devices| {
                devices.get_mut(&device_key).is_some_and(|device| {
                    device.approved = Some((account, user_id));
                    true
                })
            });
            if !approved {
                return pages::message(
                    StatusCode::BAD_REQUEST,
                    "Sign-in expired",
                    "The device's code expired before the sign-in was finished. Start again on the device.",
                );
            }
            pages::message(
                StatusCode::OK,
                "You are signed in",
                &format!(
                    "{} on the device showing {user_code} is now signed in as {}. Return to it; \
                     you can close this window.",
                    pages::client_name(&client_id),
                    flow.email
                ),
            )
        }
    }
}
