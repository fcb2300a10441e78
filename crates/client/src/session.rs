//! A signed-in portal: the access token in memory, the refresh token in the keychain under
//! the portal's address, so that the sign-in survives a restart of the app. Access tokens
//! are renewed before they expire; the refresh token rotates each time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::secrets::SecretStore;
use crate::signin::{self, SignInError, Tokens};
use crate::{PortalClient, PortalUrl};

/// Renew this long before the access token would expire.
const MARGIN: Duration = Duration::from_secs(60);

pub struct Session {
    portal: PortalUrl,
    client_id: String,
    secrets: Arc<dyn SecretStore>,
    current: Mutex<Current>,
}

struct Current {
    client: PortalClient,
    expires: Instant,
}

/// The keychain entry of a portal's refresh token.
pub fn secret_name(portal: &PortalUrl, client_id: &str) -> String {
    format!("{client_id}:{}", portal.as_str().trim_end_matches('/'))
}

impl Session {
    fn from_tokens(
        portal: PortalUrl,
        client_id: &str,
        secrets: Arc<dyn SecretStore>,
        tokens: &Tokens,
    ) -> Result<Session, SignInError> {
        secrets.set(&secret_name(&portal, client_id), &tokens.refresh_token)?;
        let client = PortalClient::new(portal.clone(), tokens.access_token.clone())?;
        Ok(Session {
            portal,
            client_id: client_id.to_owned(),
            secrets,
            current: Mutex::new(Current {
                client,
                expires: Instant::now() + Duration::from_secs(tokens.expires_in),
            }),
        })
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
            Err(SignInError::Client(crate::ClientError::Portal { .. })) => {
                let _ = secrets.delete(&name);
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }

    pub fn portal(&self) -> &PortalUrl {
        &self.portal
    }

    /// A client with a valid access token, renewed first when it is about to expire.
    pub async fn client(&self) -> Result<PortalClient, SignInError> {
        let mut current = self.current.lock().await;
        if Instant::now() + MARGIN >= current.expires {
            let name = secret_name(&self.portal, &self.client_id);
            let refresh_token = self.secrets.get(&name)?.ok_or_else(|| {
                SignInError::Refused("the sign-in was forgotten; sign in again".into())
            })?;
            let tokens = signin::refresh(&self.portal, &self.client_id, &refresh_token).await?;
            self.secrets.set(&name, &tokens.refresh_token)?;
            current.client = PortalClient::new(self.portal.clone(), tokens.access_token)?;
            current.expires = Instant::now() + Duration::from_secs(tokens.expires_in);
        }
        Ok(current.client.clone())
    }

    /// Revokes the sign-in at the portal (best effort) and forgets the refresh token.
    pub async fn sign_out(&self) -> Result<(), SignInError> {
        let name = secret_name(&self.portal, &self.client_id);
        if let Ok(Some(token)) = self.secrets.get(&name) {
            let _ = signin::revoke(&self.portal, &token).await;
        }
        self.secrets.delete(&name).map_err(SignInError::from)
    }
}
