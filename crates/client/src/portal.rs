//! Typed calls to the portal API.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sxadmin_core::{
    BatchItem, BatchRequest, BatchResponse, ErrorBody, LicencePool, Me, NewUser, User, UserPage,
    UserSort,
};

use crate::{ClientError, PortalUrl};

/// A client bound to one portal and one bearer token.
#[derive(Clone)]
pub struct PortalClient {
    pub(crate) http: reqwest::Client,
    pub(crate) url: PortalUrl,
    pub(crate) token: String,
}

impl std::fmt::Debug for PortalClient {
    // The token is left out on purpose: debug output ends up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalClient")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Default)]
pub struct UserListQuery {
    pub search: Option<String>,
    pub sort: Option<UserSort>,
    pub descending: bool,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

impl PortalClient {
    pub fn new(url: PortalUrl, token: impl Into<String>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("sxadmin/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Network {
                url: url.as_str().to_owned(),
                reason: e.to_string(),
            })?;
        Ok(PortalClient {
            http,
            url,
            token: token.into(),
        })
    }

    pub fn url(&self) -> &PortalUrl {
        &self.url
    }

    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let (status, bytes) = self.send_for_bytes(request).await?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::UnexpectedAnswer {
            status,
            reason: e.to_string(),
        })
    }

    /// Sends with the token and returns a successful answer's status and body as they
    /// came; a refusal becomes the portal's own error.
    pub(crate) async fn send_for_bytes(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let network = |e: reqwest::Error| ClientError::Network {
            url: self.url.as_str().to_owned(),
            // Without the URL: reqwest's message may carry query parameters.
            reason: e.without_url().to_string(),
        };
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(network)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(network)?;
        if (200..300).contains(&status) {
            return Ok((status, bytes.to_vec()));
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(ClientError::Portal { status, body }),
            Err(e) => Err(ClientError::UnexpectedAnswer {
                status,
                reason: e.to_string(),
            }),
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
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(search) = &query.search {
            params.push(("search", search.clone()));
        }
        if let Some(sort) = query.sort {
            params.push(("sort", sort.as_str().to_owned()));
        }
        if query.descending {
            params.push(("order", "desc".to_owned()));
        }
        if let Some(cursor) = &query.cursor {
            params.push(("cursor", cursor.clone()));
        }
        if let Some(limit) = query.limit {
            params.push(("limit", limit.to_string()));
        }
        self.get("/api/v1/users", &params).await
    }

    pub async fn lookup_user(&self, email: &str) -> Result<User, ClientError> {
        self.get("/api/v1/users/lookup", &[("email", email.to_owned())])
            .await
    }

    pub async fn create_user(&self, user: &NewUser) -> Result<User, ClientError> {
        self.post("/api/v1/users", user).await
    }

    pub async fn apply_batch(&self, items: Vec<BatchItem>) -> Result<BatchResponse, ClientError> {
        self.post("/api/v1/users/batch", &BatchRequest { items })
            .await
    }

    pub async fn licence_pool(&self) -> Result<LicencePool, ClientError> {
        self.get("/api/v1/licences/pool", &[]).await
    }
}
