//! Typed calls to the portal API, and the one request path they all take: the bearer token
//! (renewed once on a 401 when a renewal is attached), a timeout, and retries with jittered
//! exponential backoff. A request is repeated after a lost answer only when repeating it
//! cannot apply it twice (reads, deletes, batches with idempotency keys); anything is
//! repeated when the portal said it did not process it (429, 503) or the connection was
//! never made.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sxadmin_core::{
    BatchItem, BatchRequest, BatchResponse, ErrorBody, ErrorCode, LicencePool, Me, NewUser, User,
    UserListQuery, UserPage,
};

use crate::{ClientError, PortalUrl};

/// How hard a client tries before it reports a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub attempts: u32,
    /// Wait before the second try; doubled each time, up to `max_delay`, then jittered.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// The longest a portal's `Retry-After` is obeyed; a longer one is cut to this.
    pub max_retry_after: Duration,
    /// One request, from sending to the last byte of the answer.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 8,
            first_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
            timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// "Equal jitter": half the exponential delay, plus a random part of the other half,
    /// so that many clients refused together do not come back together.
    fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .first_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        let half = exponential / 2;
        let spread = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(rand::rng().random_range(0..=spread))
    }
}

/// Obtains a new access token when the portal says the current one is no longer valid.
pub trait TokenRenewal: Send + Sync {
    fn renew(&self) -> Pin<Box<dyn Future<Output = Result<String, ClientError>> + Send + '_>>;
}

/// The access token all clones of a client share, so that one renewal serves every task
/// of an import.
struct Auth {
    token: std::sync::RwLock<String>,
    renewal: Option<Arc<dyn TokenRenewal>>,
    /// Held while renewing: refresh tokens rotate, so two renewals at once would present
    /// a spent refresh token, which the portal treats as theft.
    renewing: tokio::sync::Mutex<()>,
}

impl Auth {
    fn current(&self) -> String {
        self.token
            .read()
            .map(|token| token.clone())
            .unwrap_or_default()
    }
}

/// A client bound to one portal and one signed-in user.
#[derive(Clone)]
pub struct PortalClient {
    pub(crate) http: reqwest::Client,
    pub(crate) url: PortalUrl,
    auth: Arc<Auth>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for PortalClient {
    // The token is left out on purpose: debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalClient")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Whether a request may be sent again after its answer was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Sending it twice has the effect of sending it once.
    Safe,
    /// Only when the portal cannot have processed it.
    IfNotProcessed,
}

enum Attempt {
    Done(u16, Vec<u8>),
    Retry(Option<Duration>, ClientError),
    Renew(ClientError),
    Fail(ClientError),
}

impl PortalClient {
    /// A client with a fixed token, such as a personal API token.
    pub fn new(url: PortalUrl, token: impl Into<String>) -> Result<Self, ClientError> {
        Self::build(url, token.into(), None)
    }

    /// A client that asks `renewal` for a new access token when the portal refuses the
    /// current one, and tries the request again once.
    pub fn with_renewal(
        url: PortalUrl,
        token: impl Into<String>,
        renewal: Arc<dyn TokenRenewal>,
    ) -> Result<Self, ClientError> {
        Self::build(url, token.into(), Some(renewal))
    }

    fn build(
        url: PortalUrl,
        token: String,
        renewal: Option<Arc<dyn TokenRenewal>>,
    ) -> Result<Self, ClientError> {
        let http = url
            .http_builder()
            .build()
            .map_err(|e| ClientError::Network {
                url: url.as_str().to_owned(),
                reason: e.to_string(),
            })?;
        Ok(PortalClient {
            http,
            url,
            auth: Arc::new(Auth {
                token: std::sync::RwLock::new(token),
                renewal,
                renewing: tokio::sync::Mutex::new(()),
            }),
            retry: RetryPolicy::default(),
        })
    }

    /// The same client with another retry policy (tests and benchmarks use short ones).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub fn url(&self) -> &PortalUrl {
        &self.url
    }

    /// Renews the access token now, unless another task already replaced `seen`.
    pub(crate) async fn renew_token(&self, seen: &str) -> Result<bool, ClientError> {
        let Some(renewal) = &self.auth.renewal else {
            return Ok(false);
        };
        let _renewing = self.auth.renewing.lock().await;
        if self.auth.current() != seen {
            return Ok(true);
        }
        let fresh = renewal.renew().await?;
        if let Ok(mut token) = self.auth.token.write() {
            *token = fresh;
        }
        Ok(true)
    }

    pub(crate) fn current_token(&self) -> String {
        self.auth.current()
    }

    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let (status, bytes) = self.send_for_bytes(request).await?;
        parse(status, &bytes)
    }

    /// Sends with the token and returns a successful answer's status and body as they
    /// came; a refusal becomes the portal's own error.
    pub(crate) async fn send_for_bytes(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let repeat = match request.try_clone().and_then(|r| r.build().ok()) {
            Some(built) if matches!(*built.method(), Method::POST | Method::PATCH) => {
                Repeat::IfNotProcessed
            }
            _ => Repeat::Safe,
        };
        self.execute(request, repeat).await
    }

    pub(crate) async fn execute(
        &self,
        request: reqwest::RequestBuilder,
        repeat: Repeat,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        if request.try_clone().is_none() {
            // A body that cannot be copied (a stream) is sent once.
            let token = self.auth.current();
            return match self.attempt(request, &token, repeat).await {
                Attempt::Done(status, bytes) => Ok((status, bytes)),
                Attempt::Retry(_, error) | Attempt::Renew(error) | Attempt::Fail(error) => {
                    Err(error)
                }
            };
        }
        let mut retries = 0u32;
        let mut renewed = false;
        loop {
            let token = self.auth.current();
            let Some(this_try) = request.try_clone() else {
                return Err(ClientError::Network {
                    url: self.url.as_str().to_owned(),
                    reason: "the request could not be repeated".into(),
                });
            };
            let (wait, error) = match self.attempt(this_try, &token, repeat).await {
                Attempt::Done(status, bytes) => return Ok((status, bytes)),
                Attempt::Fail(error) => return Err(error),
                Attempt::Renew(error) => {
                    if renewed || !self.renew_token(&token).await? {
                        return Err(error);
                    }
                    renewed = true;
                    continue;
                }
                Attempt::Retry(wait, error) => (wait, error),
            };
            retries += 1;
            if retries >= self.retry.attempts {
                return Err(error);
            }
            let wait = wait
                .map(|w| w.min(self.retry.max_retry_after))
                .unwrap_or_else(|| self.retry.backoff(retries - 1));
            tracing::debug!(
                code = error.code(),
                ?wait,
                retries,
                "retrying a portal request"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        request: reqwest::RequestBuilder,
        token: &str,
        repeat: Repeat,
    ) -> Attempt {
        let network = |e: reqwest::Error| ClientError::Network {
            url: self.url.as_str().to_owned(),
            // Without the URL: reqwest's message may carry query parameters.
            reason: e.without_url().to_string(),
        };
        let response = match request
            .bearer_auth(token)
            .timeout(self.retry.timeout)
            .send()
            .await
        {
            Ok(response) => response,
            Err(e) if e.is_connect() => return Attempt::Retry(None, network(e)),
            Err(e) if repeat == Repeat::Safe => return Attempt::Retry(None, network(e)),
            Err(e) => return Attempt::Fail(network(e)),
        };
        let status = response.status();
        let retry_after = retry_after(&response);
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes.to_vec(),
            Err(e) if repeat == Repeat::Safe || !status.is_success() => {
                return Attempt::Retry(None, network(e))
            }
            Err(e) => return Attempt::Fail(network(e)),
        };
        let code = status.as_u16();
        if status.is_success() {
            return Attempt::Done(code, bytes);
        }
        let error = match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => ClientError::Portal { status: code, body },
            Err(e) => ClientError::UnexpectedAnswer {
                status: code,
                reason: e.to_string(),
            },
        };
        match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                Attempt::Retry(retry_after, error)
            }
            StatusCode::INTERNAL_SERVER_ERROR
            | StatusCode::BAD_GATEWAY
            | StatusCode::GATEWAY_TIMEOUT
                if repeat == Repeat::Safe =>
            {
                Attempt::Retry(retry_after, error)
            }
            StatusCode::UNAUTHORIZED
                if error.portal_code() == Some(ErrorCode::NotAuthenticated) =>
            {
                Attempt::Renew(error)
            }
            _ => Attempt::Fail(error),
        }
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        self.send(self.http.get(self.url.join(path)).query(query))
            .await
    }

    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        self.send(self.http.post(self.url.join(path)).json(body))
            .await
    }

    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("/api/v1/me", &[]).await
    }

    pub async fn list_users(&self, query: &UserListQuery) -> Result<UserPage, ClientError> {
        self.send(self.http.get(self.url.join("/api/v1/users")).query(query))
            .await
    }

    /// Every user matching `query`'s search and filters (its cursor and page size are
    /// ignored), page after page, up to `max`; with how many match in all. The one paging
    /// loop of the client: the import's snapshot, the user list and the export use it.
    pub async fn users_matching(
        &self,
        query: &UserListQuery,
        max: Option<usize>,
    ) -> Result<(Vec<User>, i64), ClientError> {
        const PAGE: usize = sxadmin_core::rules::MAX_USER_PAGE as usize;
        let mut query = UserListQuery {
            cursor: None,
            ..query.clone()
        };
        let mut users = Vec::new();
        let mut total = 0;
        loop {
            let left = max.map_or(PAGE, |max| max.saturating_sub(users.len()));
            if left == 0 {
                break;
            }
            query.limit = u32::try_from(left.min(PAGE)).ok();
            let page = self.list_users(&query).await?;
            total = page.total;
            let got = page.items.len();
            users.extend(page.items);
            // A page without rows but with a cursor would loop for ever; stop on it too.
            match page.next_cursor {
                Some(cursor) if got > 0 => query.cursor = Some(cursor),
                _ => break,
            }
        }
        Ok((users, total))
    }

    pub async fn lookup_user(&self, email: &str) -> Result<User, ClientError> {
        self.get("/api/v1/users/lookup", &[("email", email.to_owned())])
            .await
    }

    pub async fn create_user(&self, user: &NewUser) -> Result<User, ClientError> {
        self.post("/api/v1/users", user).await
    }

    /// Every item carries an idempotency key, so a batch whose answer was lost is sent
    /// again: items the portal already applied are answered from its record.
    pub async fn apply_batch(&self, items: Vec<BatchItem>) -> Result<BatchResponse, ClientError> {
        let request = self
            .http
            .post(self.url.join("/api/v1/users/batch"))
            .json(&BatchRequest { items });
        let (status, bytes) = self.execute(request, Repeat::Safe).await?;
        parse(status, &bytes)
    }

    pub async fn licence_pool(&self) -> Result<LicencePool, ClientError> {
        self.get("/api/v1/licences/pool", &[]).await
    }
}

fn parse<T: DeserializeOwned>(status: u16, bytes: &[u8]) -> Result<T, ClientError> {
    serde_json::from_slice(bytes).map_err(|e| ClientError::UnexpectedAnswer {
        status,
        reason: e.to_string(),
    })
}

/// `Retry-After` in seconds (the form the portal and most servers send).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_its_bounds() {
        let policy = RetryPolicy {
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(0);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(2);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = policy.backoff(30);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000));
        }
    }
}
