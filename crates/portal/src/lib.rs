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
pub mod secrets;
pub mod store;
pub mod throttle;
pub mod totp;

pub use app::{router, start, AppState, RunningPortal};
pub use config::{PortalConfig, RateLimit};
pub use demo::{DemoError, DemoServer};
pub use store::{open, Store, StoreError};

/// Mints a personal API token for the user with this address, for scripts and automation.
/// Only its hash is stored; the token itself is returned once.
pub async fn mint_personal_token(store: &dyn Store, email: &str) -> Result<String, StoreError> {
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
    store
        .insert_token(&store::NewToken {
            hash: &secrets::hash(&token),
            user_id: user.id,
            kind: store::TokenKind::Personal,
            client_id: "api-token",
            family: None,
            expires_at: None,
        })
        .await?;
    store
        .record_event(
            account,
            &store::Actor::system("portal-cli"),
            "token.created",
            Some(user.id),
            serde_json::json!({"kind": "personal"}),
        )
        .await?;
    Ok(token)
}
