//! The reference Secure Exchanges portal: the administration API the SX Admin clients speak,
//! the portal's rules behind it, and its OAuth sign-in, in one server that runs on any
//! machine so the whole system can be used and tested locally.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod demo;
pub mod domains;
pub mod error;
pub mod mailer;
pub mod oauth;
pub mod permissions;
pub mod request_guard;
pub mod secrets;
pub mod store;
pub mod throttle;
pub mod totp;

pub use app::{router, start, AppState, MemoryUse, RunningPortal};
pub use config::{MemoryCaps, PortalConfig, RateLimit};
pub use demo::{DemoError, DemoServer};
pub use store::{open, Store, StoreError};

/// How long a personal API token lives unless its maker chooses otherwise: a token
/// forgotten in a script stops working on its own.
pub const PERSONAL_TOKEN_DAYS: u32 = 90;
/// The longest life a personal API token may be given.
pub const MAX_PERSONAL_TOKEN_DAYS: u32 = 3650;

/// Mints a personal API token valid for [`PERSONAL_TOKEN_DAYS`].
pub async fn mint_personal_token(store: &dyn Store, email: &str) -> Result<String, StoreError> {
    mint_personal_token_for(store, email, PERSONAL_TOKEN_DAYS).await
}

/// Mints a personal API token for the user with this address, for scripts and automation,
/// valid for `days`. Only its hash is stored; the token itself is returned once.
pub async fn mint_personal_token_for(
    store: &dyn Store,
    email: &str,
    days: u32,
) -> Result<String, StoreError> {
    if !(1..=MAX_PERSONAL_TOKEN_DAYS).contains(&days) {
        return Err(StoreError::Invalid(format!(
            "expires-in-days: choose 1 to {MAX_PERSONAL_TOKEN_DAYS} days"
        )));
    }
    let users = store.users_by_email_any_account(email).await?;
    let (account, user) = match users.as_slice() {
        [] => return Err(StoreError::NotFound("user with that e-mail address")),
        [one] => one.clone(),
        _ => {
            return Err(StoreError::Conflict(format!(
                "{email} exists in several accounts; personal tokens need an unambiguous address"
            )))
        }
    };
    if !user.active {
        return Err(StoreError::Invalid(format!(
            "{email} is disabled; enable the user first"
        )));
    }
    let token = secrets::new_token("sxp_");
    // Its own family makes the token a session its owner can list and end.
    let family = secrets::new_token("p");
    let expires_at = chrono::Utc::now() + chrono::Duration::days(i64::from(days));
    store
        .insert_token(&store::NewToken {
            hash: &secrets::hash(&token),
            user_id: user.id,
            kind: store::TokenKind::Personal,
            client_id: "api-token",
            family: Some(&family),
            expires_at: Some(expires_at),
        })
        .await?;
    store
        .record_event(
            account,
            &store::Actor::system("portal-cli"),
            "token.created",
            Some(user.id),
            serde_json::json!({"kind": "personal", "expires_at": expires_at}),
        )
        .await?;
    Ok(token)
}
