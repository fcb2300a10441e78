//! The administration routes beyond the user list: one user, domains, licences, roles and
//! the event log. Each method is one API call; the portal enforces the rules.

use serde::Serialize;
use sxadmin_core::{
    Domain, DomainRequest, Event, EventFormat, EventListQuery, Id, Licence, LicenceTier,
    LogDeletionConfirmation, Purchase, Roles, Session, SetRole, TierChoice, Transfer, Transferred,
    Unassigned, User, UserChanges,
};

use crate::{ClientError, PortalClient};

/// Which events to read: one user's or the whole account's, within an optional date range
/// (`YYYY-MM-DD` or RFC 3339, both ends inclusive).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventRange {
    pub user_id: Option<Id>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<u32>,
}

impl EventRange {
    fn query(&self, format: EventFormat) -> EventListQuery {
        EventListQuery {
            from: self.from.clone(),
            to: self.to.clone(),
            limit: self.limit,
            format: Some(format),
            user_id: None,
        }
    }

    fn path(&self) -> String {
        match self.user_id {
            Some(id) => format!("/api/v1/users/{id}/events"),
            None => "/api/v1/events".to_owned(),
        }
    }
}

impl PortalClient {
    /// Sends a request whose success answer has no body (204).
    async fn send_empty(&self, request: reqwest::RequestBuilder) -> Result<(), ClientError> {
        self.send::<serde_json::Value>(request)
            .await
            .map(|_| ())
            .or_else(|error| match error {
                // An empty 2xx body is not JSON; that is the expected answer here.
                ClientError::UnexpectedAnswer { status, .. } if (200..300).contains(&status) => {
                    Ok(())
                }
                other => Err(other),
            })
    }

    fn with_body<B: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> reqwest::RequestBuilder {
        self.http.request(method, self.url.join(path)).json(body)
    }

    pub async fn get_user(&self, id: Id) -> Result<User, ClientError> {
        self.get(&format!("/api/v1/users/{id}"), &[]).await
    }

    pub async fn update_user(&self, id: Id, changes: &UserChanges) -> Result<User, ClientError> {
        self.send(self.with_body(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{id}"),
            changes,
        ))
        .await
    }

    pub async fn delete_user(&self, id: Id) -> Result<(), ClientError> {
        self.send_empty(
            self.http
                .delete(self.url.join(&format!("/api/v1/users/{id}"))),
        )
        .await
    }

    /// Sets a user's role; the role group changes only when `change` says so.
    pub async fn set_role(&self, id: Id, change: &SetRole) -> Result<User, ClientError> {
        self.send(self.with_body(
            reqwest::Method::PUT,
            &format!("/api/v1/users/{id}/role"),
            change,
        ))
        .await
    }

    pub async fn list_domains(&self) -> Result<Vec<Domain>, ClientError> {
        self.get("/api/v1/domains", &[]).await
    }

    pub async fn request_domain(&self, name: &str) -> Result<Domain, ClientError> {
        self.post(
            "/api/v1/domains",
            &DomainRequest {
                name: name.to_owned(),
            },
        )
        .await
    }

    pub async fn verify_domain(&self, id: Id) -> Result<Domain, ClientError> {
        self.send(
            self.http
                .post(self.url.join(&format!("/api/v1/domains/{id}/verify"))),
        )
        .await
    }

    pub async fn remove_domain(&self, id: Id) -> Result<(), ClientError> {
        self.send_empty(
            self.http
                .delete(self.url.join(&format!("/api/v1/domains/{id}"))),
        )
        .await
    }

    pub async fn list_licences(&self) -> Result<Vec<Licence>, ClientError> {
        self.get("/api/v1/licences", &[]).await
    }

    pub async fn purchase_licences(
        &self,
        tier: LicenceTier,
        count: u32,
    ) -> Result<Vec<Licence>, ClientError> {
        self.post("/api/v1/licences/purchase", &Purchase { tier, count })
            .await
    }

    /// Removes an unassigned licence from the account for good.
    pub async fn remove_licence(&self, id: Id) -> Result<(), ClientError> {
        self.send_empty(
            self.http
                .delete(self.url.join(&format!("/api/v1/licences/{id}"))),
        )
        .await
    }

    pub async fn assign_licence(
        &self,
        user_id: Id,
        tier: LicenceTier,
    ) -> Result<User, ClientError> {
        self.post(
            &format!("/api/v1/users/{user_id}/licence"),
            &TierChoice { tier },
        )
        .await
    }

    /// Changes the tier of the licence a user holds; the user's logs are kept.
    pub async fn change_licence(
        &self,
        user_id: Id,
        tier: LicenceTier,
    ) -> Result<User, ClientError> {
        self.send(self.with_body(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{user_id}/licence"),
            &TierChoice { tier },
        ))
        .await
    }

    /// Takes a user's licence back to the pool. The portal deletes the user's logs, so the
    /// caller must have asked the administrator: `confirm_log_deletion` says it did.
    pub async fn unassign_licence(
        &self,
        user_id: Id,
        confirm_log_deletion: bool,
    ) -> Result<Unassigned, ClientError> {
        let request = self
            .http
            .delete(self.url.join(&format!("/api/v1/users/{user_id}/licence")))
            .query(&LogDeletionConfirmation {
                confirm_log_deletion,
            });
        self.send(request).await
    }

    /// Moves a user's licence to a user without one; deletes the previous holder's logs.
    pub async fn transfer_licence(
        &self,
        from_user_id: Id,
        to_user_id: Id,
        confirm_log_deletion: bool,
    ) -> Result<Transferred, ClientError> {
        self.post(
            &format!("/api/v1/users/{from_user_id}/licence/transfer"),
            &Transfer {
                to_user_id,
                confirm_log_deletion,
            },
        )
        .await
    }

    pub async fn roles(&self) -> Result<Roles, ClientError> {
        self.get("/api/v1/roles", &[]).await
    }

    pub async fn events(&self, range: &EventRange) -> Result<Vec<Event>, ClientError> {
        self.send(
            self.http
                .get(self.url.join(&range.path()))
                .query(&range.query(EventFormat::Json)),
        )
        .await
    }

    /// The events as the portal's spreadsheet-safe CSV file.
    pub async fn events_csv(&self, range: &EventRange) -> Result<Vec<u8>, ClientError> {
        let request = self
            .http
            .get(self.url.join(&range.path()))
            .query(&range.query(EventFormat::Csv));
        let (_, bytes) = self.send_for_bytes(request).await?;
        Ok(bytes)
    }

    /// The signed-in user's live sessions: each sign-in and personal API token.
    pub async fn sessions(&self) -> Result<Vec<Session>, ClientError> {
        self.get("/api/v1/me/sessions", &[]).await
    }

    /// Ends one of the signed-in user's sessions; its tokens stop working at once.
    pub async fn revoke_session(&self, id: &str) -> Result<(), ClientError> {
        // Session ids are URL-safe; anything else is escaped so it stays one path segment.
        let segment: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
        self.send_empty(
            self.http
                .delete(self.url.join(&format!("/api/v1/me/sessions/{segment}"))),
        )
        .await
    }
}
