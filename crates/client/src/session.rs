//! A signed-in portal: the access token in memory, the refresh token in the keychain under
//! the portal's address, so that the sign-in survives a restart of the app. The access
//! token is renewed shortly before it expires and, should the portal refuse it anyway (its
//! clock, a revocation, a long import), on the first 401; the refresh token rotates each
//! time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sxadmin_core::{ErrorBody, ErrorCode};

use crate::secrets::SecretStore;
use crate::signin::{self, SignInError, Tokens};
use crate::{ClientError, PortalClient, PortalUrl, TokenRenewal};

/// Renew this long before the access token would expire.
const MARGIN: Duration = Duration::from_secs(60);

pub struct Session {
    renewal: Arc<Renewal>,
    client: PortalClient,
}

/// Exchanges the keychain's refresh token for a new access token.
struct Renewal {
    portal: PortalUrl,
    client_id: String,
    secrets: Arc<dyn SecretStore>,
    expires: std::sync::Mutex<Instant>,
}

/// The keychain entry of a portal's refresh token.
pub fn secret_name(portal: &PortalUrl, client_id: &str) -> String {
    format!("{client_id}:{}", portal.as_str().trim_end_matches('/'))
}

impl Renewal {
    fn name(&self) -> String {
        secret_name(&self.portal, &self.client_id)
    }

    async fn refresh(&self) -> Result<String, SignInError> {
        let name = self.name();
        let refresh_token = self.secrets.get(&name)?.ok_or_else(|| {
            SignInError::Refused("the sign-in was forgotten; sign in again".into())
        })?;
        let tokens = signin::refresh(&self.portal, &self.client_id, &refresh_token).await?;
        self.secrets.set(&name, &tokens.refresh_token)?;
        if let Ok(mut expires) = self.expires.lock() {
            *expires = Instant::now() + signin::lifetime(tokens.expires_in);
        }
        Ok(tokens.access_token)
    }

    fn expiring(&self) -> bool {
        self.expires
            .lock()
            .map(|expires| Instant::now() + MARGIN >= *expires)
            .unwrap_or(true)
    }
}

impl TokenRenewal for Renewal {
    fn renew(&self) -> Pin<Box<dyn Future<Output = Result<String, ClientError>> + Send + '_>> {
        Box::pin(async move {
            self.refresh().await.map_err(|error| match error {
                SignInError::Client(client) => client,
                // The API's own words for "sign in again", so callers treat it as a 401.
                other => ClientError::Portal {
                    status: 401,
                    body: ErrorBody {
                        code: ErrorCode::NotAuthenticated,
                        message: format!("the sign-in could not be renewed: {other}"),
                        details: serde_json::Value::Null,
                    },
                },
            })
        })
    }
}

impl Session {
    fn from_tokens(
        portal: PortalUrl,
        client_id: &str,
        secrets: Arc<dyn SecretStore>,
        tokens: &Tokens,
    ) -> Result<Session, SignInError> {
        secrets.set(&secret_name(&portal, client_id), &tokens.refresh_token)?;
        let renewal = Arc::new(Renewal {
            portal: portal.clone(),
            client_id: client_id.to_owned(),
            secrets,
            expires: std::sync::Mutex::new(Instant::now() + signin::lifetime(tokens.expires_in)),
        });
        let client =
            PortalClient::with_renewal(portal, tokens.access_token.clone(), renewal.clone())?;
        Ok(Session { renewal, client })
    }

    /// Signs in through the browser and keeps the refresh token in `secrets`.
    pub async fn sign_in(
        portal: PortalUrl,
        client_id: &str,
        secrets: Arc<dyn SecretStore>,
        open_browser: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<Session, SignInError> {
        let tokens = signin::browser_sign_in(&portal, client_id, open_browser).await?;
        Session::from_tokens(portal, client_id, secrets, &tokens)
    }

    /// Signs in with the device grant: `show` is given what the administrator must open
    /// and type on a device with a browser.
    pub async fn sign_in_with_device(
        portal: PortalUrl,
        client_id: &str,
        secrets: Arc<dyn SecretStore>,
        show: impl FnOnce(&signin::DeviceCode),
    ) -> Result<Session, SignInError> {
        let tokens = signin::device_sign_in(&portal, client_id, show).await?;
        Session::from_tokens(portal, client_id, secrets, &tokens)
    }

    /// The session kept from an earlier run, if the keychain has one the portal still
    /// honours. A refused refresh token is forgotten.
    pub async fn restore(
        portal: PortalUrl,
        client_id: &str,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Option<Session>, SignInError> {
        let name = secret_name(&portal, client_id);
        let Some(refresh_token) = secrets.get(&name)? else {
            return Ok(None);
        };
        match signin::refresh(&portal, client_id, &refresh_token).await {
            Ok(tokens) => Session::from_tokens(portal, client_id, secrets, &tokens).map(Some),
            Err(SignInError::Client(ClientError::Portal { .. })) => {
                let _ = secrets.delete(&name);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    pub fn portal(&self) -> &PortalUrl {
        &self.renewal.portal
    }

    /// A client with a valid access token, renewed first when it is about to expire. Its
    /// clones share the token, and renew it on a 401.
    pub async fn client(&self) -> Result<PortalClient, SignInError> {
        if self.renewal.expiring() {
            let seen = self.client.current_token();
            self.client.renew_token(&seen).await?;
        }
        Ok(self.client.clone())
    }

    /// Revokes the sign-in at the portal (best effort) and forgets the refresh token.
    pub async fn sign_out(&self) -> Result<SignedOut, SignInError> {
        sign_out(
            self.portal(),
            &self.renewal.client_id,
            self.renewal.secrets.as_ref(),
        )
        .await
    }
}

/// What signing out did.
#[derive(Debug, PartialEq, Eq)]
pub enum SignedOut {
    /// There was no sign-in to forget.
    NotSignedIn,
    /// The sign-in was revoked at the portal and forgotten here.
    Revoked,
    /// Forgotten here; the portal could not be told (it stays valid there until it
    /// expires), with the reason.
    ForgottenOnly(String),
}

/// The one sign-out path of every front end: revoke the kept refresh token at the portal
/// (best effort: the portal may be unreachable) and delete it from the keychain either way.
pub async fn sign_out(
    portal: &PortalUrl,
    client_id: &str,
    secrets: &dyn SecretStore,
) -> Result<SignedOut, SignInError> {
    let name = secret_name(portal, client_id);
    let Some(token) = secrets.get(&name)? else {
        return Ok(SignedOut::NotSignedIn);
    };
    let revoked = signin::revoke(portal, &token).await;
    secrets.delete(&name)?;
    Ok(match revoked {
        Ok(()) => SignedOut::Revoked,
        Err(error) => SignedOut::ForgottenOnly(error.to_string()),
    })
}
