//! The sign-in pages: the authorisation request, then the e-mail, one-time code, account
//! and second-factor forms, ending in a code for the app or an approved device.
//!
//! Every post is checked against the flow's browser and the page's origin ([`binding`]),
//! moves its flow one stage forward or not at all ([`SignInState::step`]), and counts
//! codes and wrong codes per address and per client address before anything is compared
//! or sent ([`super::limits`]).

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sxadmin_core::Id;

use super::flow::{
    codes_throttled, complete, expired_page, mail_about, redirect_with, start_page, too_many_page,
    tries_throttled, Refused,
};
use super::limits::ClientAddr;
use super::{binding, is_loopback_redirect, pages, Flow, Purpose, Stage};
use crate::app::AppState;
use crate::oauth::token::sign_in_refused;
use crate::secrets;
use crate::store::TotpCheck;

/// The authorisation request and the forms that follow it.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/authorize", get(authorize))
        .route("/signin/email", post(submit_email))
        .route("/signin/code", post(submit_code))
        .route("/signin/account", post(submit_account))
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

async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
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
    let purpose = Purpose::Authorize {
        client_id,
        redirect_uri: redirect_uri.clone(),
        code_challenge: challenge,
        state: params.state,
    };
    start_page(&state, &headers, purpose, Stage::Email, |flow| {
        pages::email_form(flow, None)
    })
}

#[derive(Debug, Deserialize)]
struct EmailForm {
    flow: String,
    email: String,
}

async fn submit_email(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    Form(form): Form<EmailForm>,
) -> Response {
    match email_step(&state, &headers, &client, &form).await {
        Ok(response) => response,
        Err(refused) => *refused,
    }
}

async fn email_step(
    state: &AppState,
    headers: &HeaderMap,
    client: &ClientAddr,
    form: &EmailForm,
) -> Result<Response, Refused> {
    binding::check_origin(headers, &state.issuer)?;
    let ttl = state.config.sign_in_ttl;
    // Only a flow still waiting for its address takes one: a flow never goes back, so
    // re-posting this form cannot buy a fresh code or fresh tries.
    state
        .sign_in
        .step(&form.flow, headers, ttl, Stage::Email, |_| ())?;
    let Ok(email) = sxadmin_core::email::normalize_email(&form.email) else {
        return Ok(pages::email_form(
            &form.flow,
            Some("That is not an e-mail address; write it as name@company.com."),
        ));
    };
    let users = match state.store.users_by_email_any_account(&email).await {
        Ok(users) => users,
        Err(error) => {
            tracing::error!(%error, "sign-in lookup failed");
            return Ok(pages::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in unavailable",
                "The portal could not look up the address; try again.",
            ));
        }
    };
    let users: Vec<(Id, Id)> = users
        .into_iter()
        .filter(|(_, u)| u.active)
        .map(|(account, u)| (account, u.id))
        .collect();
    // Counted for every address, with an account or not, so the answers do not tell which
    // addresses have one.
    let (limits, counters) = (&state.config.sign_in_limits, &state.sign_in.counters);
    counters
        .may_try(limits, &email, client)
        .map_err(tries_throttled)?;
    counters
        .take_code(limits, &email, client)
        .map_err(codes_throttled)?;
    let code = secrets::new_numeric_code();
    let code_hash = (!users.is_empty()).then(|| secrets::hash(&code));
    let send = code_hash.is_some();
    let purpose = state
        .sign_in
        .step(&form.flow, headers, ttl, Stage::Email, |flow| {
            flow.email = email.clone();
            flow.users = users;
            flow.code_hash = code_hash;
            flow.attempts = 0;
            flow.stage = Stage::Code;
            flow.purpose.clone()
        })?;
    if send {
        let about = mail_about(state, &purpose);
        state.outbox.send_sign_in_code(&email, &code, &about).await;
    }
    // The same page either way, so the form does not reveal which addresses have accounts.
    Ok(pages::code_form(&form.flow, &email, None, StatusCode::OK))
}

#[derive(Debug, Deserialize)]
struct CodeForm {
    flow: String,
    code: String,
}

/// What a try of a code found.
enum Try {
    Right(Box<Flow>),
    Wrong { left: u32, email: String },
    Spent,
}

async fn submit_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    Form(form): Form<CodeForm>,
) -> Response {
    match code_step(&state, &headers, &client, &form).await {
        Ok(response) => response,
        Err(refused) => *refused,
    }
}

fn code_spent_page() -> Refused {
    Box::new(too_many_page(
        60,
        "This code has been entered wrongly too many times. Start again to get a new code.",
    ))
}

async fn code_step(
    state: &AppState,
    headers: &HeaderMap,
    client: &ClientAddr,
    form: &CodeForm,
) -> Result<Response, Refused> {
    binding::check_origin(headers, &state.issuer)?;
    let ttl = state.config.sign_in_ttl;
    let limit = state.config.code_attempts;
    let email = state
        .sign_in
        .step(&form.flow, headers, ttl, Stage::Code, |flow| {
            (flow.attempts < limit).then(|| flow.email.clone())
        })?
        .ok_or_else(code_spent_page)?;
    let counters = &state.sign_in.counters;
    if let Err(throttled) = counters.take_try(&state.config.sign_in_limits, &email, client) {
        sign_in_refused(
            state,
            &email,
            &client.0,
            "sign_in.locked_out",
            serde_json::json!({"step": "code"}),
        )
        .await;
        return Err(tries_throttled(throttled));
    }
    let typed: String = form.code.chars().filter(|c| !c.is_whitespace()).collect();
    let typed_hash = secrets::hash(&typed);
    // The try is counted and judged under the lock, before anything is awaited: parallel
    // guesses each take one of the code's tries.
    let outcome = state
        .sign_in
        .step(&form.flow, headers, ttl, Stage::Code, |flow| {
            if flow.attempts >= limit {
                return Try::Spent;
            }
            flow.attempts += 1;
            let right = flow
                .code_hash
                .as_deref()
                .is_some_and(|h| secrets::constant_time_eq(h, &typed_hash));
            if !right {
                return Try::Wrong {
                    left: limit.saturating_sub(flow.attempts),
                    email: flow.email.clone(),
                };
            }
            flow.stage = Stage::Account;
            flow.attempts = 0;
            if let [only] = flow.users.as_slice() {
                flow.user = Some(*only);
            }
            Try::Right(Box::new(flow.clone()))
        });
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(page) => {
            counters.right(&email, client);
            return Err(page);
        }
    };
    match outcome {
        Try::Spent => {
            counters.right(&email, client);
            Err(code_spent_page())
        }
        Try::Wrong { left, email } => {
            sign_in_refused(
                state,
                &email,
                &client.0,
                "sign_in.failed",
                serde_json::json!({"step": "code", "tries_left": left}),
            )
            .await;
            if left == 0 {
                return Err(code_spent_page());
            }
            Ok(pages::code_form(
                &form.flow,
                &email,
                Some(&format!("That code is not right. {left} attempt(s) left.")),
                StatusCode::BAD_REQUEST,
            ))
        }
        Try::Right(flow) => {
            counters.right(&email, client);
            match flow.user {
                Some(user) => Ok(after_account(state, headers, &form.flow, user).await),
                None => account_choice(state, &form.flow, &flow).await,
            }
        }
    }
}

/// The page where a person whose address is in several accounts chooses one.
async fn account_choice(state: &AppState, flow_id: &str, flow: &Flow) -> Result<Response, Refused> {
    let mut accounts = Vec::with_capacity(flow.users.len());
    for (account, _) in &flow.users {
        match state.store.account(*account).await {
            Ok(Some(found)) => accounts.push((found.id, found.name)),
            Ok(None) => {}
            Err(error) => {
                tracing::error!(%error, "sign-in account lookup failed");
                return Err(Box::new(pages::message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sign-in unavailable",
                    "The portal could not look up your accounts; try again.",
                )));
            }
        }
    }
    Ok(pages::account_form(flow_id, &flow.email, &accounts))
}

#[derive(Debug, Deserialize)]
struct AccountForm {
    flow: String,
    account: Id,
}

async fn submit_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    if let Err(page) = binding::check_origin(&headers, &state.issuer) {
        return *page;
    }
    let chosen = state.sign_in.step(
        &form.flow,
        &headers,
        state.config.sign_in_ttl,
        Stage::Account,
        |flow| {
            let choice = flow.users.iter().find(|(a, _)| *a == form.account).copied();
            match (choice, flow.user) {
                (Some(choice), None) => {
                    flow.user = Some(choice);
                    Some(choice)
                }
                (Some(choice), Some(taken)) if taken == choice => Some(choice),
                _ => None,
            }
        },
    );
    match chosen {
        Ok(Some(user)) => after_account(&state, &headers, &form.flow, user).await,
        Ok(None) => pages::message(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "That account is not one this address can sign in to. Start again from your application.",
        ),
        Err(page) => *page,
    }
}

/// Once the account is known: the second factor if the user enrolled one, else done.
async fn after_account(
    state: &AppState,
    headers: &HeaderMap,
    flow_id: &str,
    (account, user_id): (Id, Id),
) -> Response {
    let ttl = state.config.sign_in_ttl;
    let second_factor = match state.store.totp_secrets(user_id).await {
        Ok((_, active)) => active.is_some(),
        Err(_) => return expired_page(),
    };
    if second_factor {
        let moved = state
            .sign_in
            .step(flow_id, headers, ttl, Stage::Account, |flow| {
                flow.stage = Stage::SecondFactor;
                flow.attempts = 0;
            });
        return match moved {
            Ok(()) => pages::totp_form(flow_id, None, StatusCode::OK),
            Err(page) => *page,
        };
    }
    match state.sign_in.finish(flow_id, headers, ttl, Stage::Account) {
        Ok(flow) => complete(state, flow, account, user_id).await,
        Err(page) => *page,
    }
}

async fn submit_totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientAddr,
    Form(form): Form<CodeForm>,
) -> Response {
    match totp_step(&state, &headers, &client, &form).await {
        Ok(response) => response,
        Err(refused) => *refused,
    }
}

async fn totp_step(
    state: &AppState,
    headers: &HeaderMap,
    client: &ClientAddr,
    form: &CodeForm,
) -> Result<Response, Refused> {
    binding::check_origin(headers, &state.issuer)?;
    let ttl = state.config.sign_in_ttl;
    let limit = state.config.code_attempts;
    let spent = || Box::new(too_many_page(60, "Too many wrong codes. Start again."));
    let (email, user) = state
        .sign_in
        .step(&form.flow, headers, ttl, Stage::SecondFactor, |flow| {
            (flow.attempts < limit).then(|| (flow.email.clone(), flow.user))
        })?
        .ok_or_else(spent)?;
    let Some((account, user_id)) = user else {
        return Err(Box::new(expired_page()));
    };
    let counters = &state.sign_in.counters;
    if let Err(throttled) = counters.take_try(&state.config.sign_in_limits, &email, client) {
        sign_in_refused(
            state,
            &email,
            &client.0,
            "sign_in.locked_out",
            serde_json::json!({"step": "second_factor"}),
        )
        .await;
        return Err(tries_throttled(throttled));
    }
    // Counted before the secret is read, so parallel guesses each spend a try.
    let counted = state
        .sign_in
        .step(&form.flow, headers, ttl, Stage::SecondFactor, |flow| {
            let room = flow.attempts < limit;
            if room {
                flow.attempts += 1;
            }
            room
        });
    match counted {
        Ok(true) => {}
        Ok(false) => {
            counters.right(&email, client);
            return Err(spent());
        }
        Err(page) => {
            counters.right(&email, client);
            return Err(page);
        }
    }
    // The user's own limit and spent time step apply too: a code is good once, whichever
    // flow or route it is typed in.
    let check = state
        .store
        .check_totp_code(
            user_id,
            &form.code,
            crate::totp::now_seconds(),
            crate::totp::guess_limit(),
        )
        .await;
    match check {
        Ok(TotpCheck::Accepted) => {}
        Ok(TotpCheck::Wrong { .. } | TotpCheck::Reused) => {
            sign_in_refused(
                state,
                &email,
                &client.0,
                "sign_in.failed",
                serde_json::json!({"step": "second_factor"}),
            )
            .await;
            return Ok(pages::totp_form(
                &form.flow,
                Some("That code is not right; use the current code from your app (each code works once)."),
                StatusCode::BAD_REQUEST,
            ));
        }
        Ok(TotpCheck::Limited { retry_after }) => {
            return Err(Box::new(too_many_page(
                retry_after,
                "Too many wrong codes from your authenticator app; try again later.",
            )));
        }
        Ok(TotpCheck::NotEnrolled) | Err(_) => return Err(Box::new(expired_page())),
    }
    counters.right(&email, client);
    let flow = state
        .sign_in
        .finish(&form.flow, headers, ttl, Stage::SecondFactor)?;
    Ok(complete(state, flow, account, user_id).await)
}
