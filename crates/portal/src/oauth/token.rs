//! The token endpoint (authorisation code, refresh and device grants) and revocation.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Form, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use sxadmin_core::{Id, TokenAnswer};

use super::device::poll_device;
use super::{invalid_grant, oauth_error, DEVICE_GRANT};
use crate::app::AppState;
use crate::secrets;
use crate::store::{Actor, NewToken, RefreshUse, Successors, TokenKind, TokenOwner};

/// The token endpoint every grant uses, and revocation.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct TokenForm {
    pub(super) grant_type: Option<String>,
    pub(super) code: Option<String>,
    pub(super) redirect_uri: Option<String>,
    pub(super) client_id: Option<String>,
    pub(super) code_verifier: Option<String>,
    pub(super) refresh_token: Option<String>,
    pub(super) device_code: Option<String>,
}

/// A new access and refresh token, not yet stored, with their hashes and expiry times.
struct Fresh {
    access: String,
    access_hash: String,
    access_expires_at: chrono::DateTime<chrono::Utc>,
    refresh: String,
    refresh_hash: String,
    refresh_expires_at: chrono::DateTime<chrono::Utc>,
}

impl Fresh {
    fn new(state: &AppState) -> Self {
        let ttl =
            |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(15));
        let now = chrono::Utc::now();
        let access = secrets::new_token("sxa_");
        let refresh = secrets::new_token("sxr_");
        Fresh {
            access_hash: secrets::hash(&access),
            access_expires_at: now + ttl(state.config.access_token_ttl),
            refresh_hash: secrets::hash(&refresh),
            refresh_expires_at: now + ttl(state.config.refresh_token_ttl),
            access,
            refresh,
        }
    }

    fn successors(&self) -> Successors<'_> {
        Successors {
            access_hash: &self.access_hash,
            access_expires_at: self.access_expires_at,
            refresh_hash: &self.refresh_hash,
            refresh_expires_at: self.refresh_expires_at,
        }
    }

    fn answer(self, state: &AppState) -> TokenAnswer {
        TokenAnswer {
            access_token: self.access,
            token_type: "Bearer".to_owned(),
            expires_in: state.config.access_token_ttl.as_secs(),
            refresh_token: self.refresh,
            scope: "admin".to_owned(),
        }
    }
}

fn cannot_issue() -> Response {
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "the portal could not issue tokens; try again",
    )
}

/// Stores a new session's access and refresh token together and answers with them.
pub(super) async fn issue_tokens(
    state: &AppState,
    user_id: Id,
    client_id: &str,
    family: &str,
) -> Result<TokenAnswer, Response> {
    let fresh = Fresh::new(state);
    let tokens = [
        NewToken {
            hash: &fresh.access_hash,
            user_id,
            kind: TokenKind::Access,
            client_id,
            family: Some(family),
            expires_at: Some(fresh.access_expires_at),
        },
        NewToken {
            hash: &fresh.refresh_hash,
            user_id,
            kind: TokenKind::Refresh,
            client_id,
            family: Some(family),
            expires_at: Some(fresh.refresh_expires_at),
        },
    ];
    if let Err(error) = state.store.insert_tokens(&tokens).await {
        tracing::error!(%error, "cannot store a token");
        return Err(cannot_issue());
    }
    Ok(fresh.answer(state))
}

/// Records a refused sign-in of `email` in the security log of every account the address
/// belongs to; an address without an account leaves no trace (there is no log to hold it).
pub(crate) async fn sign_in_refused(
    state: &AppState,
    email: &str,
    client_address: &str,
    action: &str,
    details: serde_json::Value,
) {
    let users = match state.store.users_by_email_any_account(email).await {
        Ok(users) => users,
        Err(error) => {
            tracing::warn!(%error, "cannot look up a refused sign-in's address");
            return;
        }
    };
    let mut details = details;
    if let Some(map) = details.as_object_mut() {
        map.insert("email".into(), email.into());
        map.insert("client_address".into(), client_address.into());
    }
    for (account, user) in users {
        security_event(
            state,
            account,
            Some(user.id),
            "sign-in",
            action,
            details.clone(),
        )
        .await;
    }
}

/// Appends to the account's security log; a failure to record is logged, never shown to
/// the client, whose request is answered the same either way.
pub(crate) async fn security_event(
    state: &AppState,
    account: Id,
    user_id: Option<Id>,
    client_id: &str,
    action: &str,
    details: serde_json::Value,
) {
    let actor = Actor::system(client_id);
    if let Err(error) = state
        .store
        .record_security_event(account, &actor, action, user_id, details)
        .await
    {
        tracing::warn!(%error, action, "cannot record a security event");
    }
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
                Some(earlier) => Err(Some((earlier, grant.account_id, grant.user_id))),
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
        Err(Some((earlier, account, user_id))) => {
            if let Err(error) = state.store.revoke_family(&earlier).await {
                tracing::error!(%error, "cannot revoke the tokens of a replayed code");
            }
            security_event(
                state,
                account,
                Some(user_id),
                client_id,
                "authorization_code.replayed",
                serde_json::json!({"session_revoked": true}),
            )
            .await;
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

pub(super) async fn signed_in_event(
    state: &AppState,
    account: Id,
    user_id: Id,
    client_id: &str,
    grant: &str,
) {
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
    let fresh = Fresh::new(state);
    let spent = state
        .store
        .rotate_refresh_token(
            &secrets::hash(token),
            client_id,
            chrono::Utc::now(),
            &fresh.successors(),
        )
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
        // The store refused a token issued to another client, and stored the successors.
        RefreshUse::Fresh(_) => Ok(fresh.answer(state)),
        RefreshUse::Replayed { account, user_id } => {
            security_event(
                state,
                account,
                Some(user_id),
                client_id,
                "refresh_token.replayed",
                serde_json::json!({"session_revoked": true}),
            )
            .await;
            Err(invalid_grant("the refresh token was already used; every session from that sign-in is revoked, sign in again"))
        }
        RefreshUse::Invalid => Err(invalid_grant(
            "the refresh token is unknown, expired or revoked; sign in again",
        )),
    }
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
