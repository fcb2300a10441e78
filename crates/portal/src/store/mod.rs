//! Storage behind one trait per area (matching `api/`), gathered in [`Store`], so the
//! backend is chosen by the database URL and the HTTP layer never sees SQL. Each method is
//! one atomic domain operation: the rules that need a consistent view of the data (last
//! administrator, one licence per user, approved domains) are checked inside the same
//! transaction that writes, and every change appends its event in that transaction too.
//! The traits name no backend, so a PostgreSQL one implements the same set.

mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sxadmin_core::{
    Account, BatchItem, BatchItemResult, Domain, Event, Id, Licence, LicencePool, LicenceTier,
    NewUser, Permission, Role, RoleGroup, Session, User, UserChanges, UserSort,
};

pub use sqlite::SqliteStore;

/// Errors a store operation reports. Domain refusals carry what the caller needs to explain
/// them; `Database` is everything the caller cannot fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("a user with the e-mail address {0} already exists in this account")]
    EmailTaken(String),
    #[error("the domain {0} is not approved for this account")]
    DomainNotApproved(String),
    #[error("the domain {0} is already registered for this account")]
    DomainExists(String),
    #[error("no {tier} licence is available: {purchased} purchased, {assigned} assigned")]
    LicenceUnavailable {
        tier: LicenceTier,
        purchased: i64,
        assigned: i64,
    },
    #[error("the user already holds a {0} licence")]
    UserHasLicence(LicenceTier),
    #[error("the user holds no licence")]
    UserHasNoLicence,
    #[error("the licence is assigned to {0}; unassign it first")]
    LicenceAssigned(String),
    #[error("{0} is the last active administrator of the account")]
    LastAdministrator(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0}: use sqlite://PATH (PostgreSQL is not available in this build)")]
    UnsupportedUrl(String),
    #[error(transparent)]
    Sealing(#[from] crate::secrets::SealError),
}

impl From<sxadmin_core::rules::RuleError> for StoreError {
    fn from(error: sxadmin_core::rules::RuleError) -> Self {
        StoreError::Invalid(error.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Who makes a change, for the event log.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<Id>,
    pub email: Option<String>,
    /// The program the change came from (OAuth client id, `api-token`, `portal-cli`).
    pub client: String,
}

impl Actor {
    pub fn system(client: &str) -> Self {
        Actor {
            user_id: None,
            email: None,
            client: client.to_owned(),
        }
    }
}

/// A user list request. `after` is the decoded cursor: the sort key and id of the last row
/// of the previous page.
#[derive(Clone, Debug)]
pub struct UserQuery {
    pub search: Option<String>,
    pub role: Option<Role>,
    /// A role group's id.
    pub group: Option<Id>,
    pub licence: Option<sxadmin_core::LicenceFilter>,
    pub status: Option<sxadmin_core::UserStatus>,
    pub sort: UserSort,
    pub descending: bool,
    pub after: Option<(SortKey, Id)>,
    pub limit: u32,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum SortKey {
    Text(String),
    Number(i64),
}

#[derive(Clone, Debug)]
pub struct UserListing {
    pub users: Vec<User>,
    pub total: i64,
    /// Sort key and id of the last row when more rows follow.
    pub next: Option<(SortKey, Id)>,
}

#[derive(Clone, Debug, Default)]
pub struct EventQuery {
    pub user_id: Option<Id>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// What a bearer token resolves to.
#[derive(Clone, Debug)]
pub struct TokenOwner {
    pub account: Account,
    pub user: User,
    pub kind: TokenKind,
    pub client_id: String,
    pub family: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
    Personal,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
            TokenKind::Personal => "personal",
        }
    }

    fn from_db(text: &str) -> Option<Self> {
        match text {
            "access" => Some(TokenKind::Access),
            "refresh" => Some(TokenKind::Refresh),
            "personal" => Some(TokenKind::Personal),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewToken<'a> {
    pub hash: &'a str,
    pub user_id: Id,
    pub kind: TokenKind,
    pub client_id: &'a str,
    pub family: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The tokens a refresh hands out in place of the one it spends, as hashes; the store
/// gives them the spent token's user, client and family.
#[derive(Clone, Debug)]
pub struct Successors<'a> {
    pub access_hash: &'a str,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_hash: &'a str,
    pub refresh_expires_at: DateTime<Utc>,
}

/// The outcome of presenting a refresh token.
#[derive(Clone, Debug)]
pub enum RefreshUse {
    /// First use: the token is spent and its successors stored, in one transaction.
    Fresh(Box<TokenOwner>),
    /// Already spent: someone replayed it, so the whole family has been revoked.
    Replayed { account: Id, user_id: Id },
    /// Unknown, expired or revoked.
    Invalid,
}

/// How many wrong second-factor codes a user may enter within a window.
#[derive(Clone, Copy, Debug)]
pub struct GuessLimit {
    pub tries: u32,
    pub window: std::time::Duration,
}

/// The outcome of checking a second-factor code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TotpCheck {
    /// Right, and its time step is now spent.
    Accepted,
    /// Wrong; this many tries are left in the window.
    Wrong { tries_left: u32 },
    /// Right, but a code of this or a later time step was already accepted.
    Reused,
    /// Too many wrong codes: the next try is possible after this many seconds.
    Limited { retry_after: u64 },
    /// No such secret to check against.
    NotEnrolled,
}

/// The store as the HTTP layer and the sign-in flows see it: every area below. A backend
/// implements the area traits; this trait comes with them.
pub trait Store:
    AccountStore
    + UserStore
    + BatchStore
    + DomainStore
    + LicenceStore
    + RoleStore
    + EventStore
    + SecurityEventStore
    + TokenStore
    + SecondFactorStore
    + 'static
{
}

impl<T> Store for T where
    T: AccountStore
        + UserStore
        + BatchStore
        + DomainStore
        + LicenceStore
        + RoleStore
        + EventStore
        + SecurityEventStore
        + TokenStore
        + SecondFactorStore
        + 'static
{
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_account(&self, name: &str) -> StoreResult<Account>;
    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>>;
    async fn account(&self, id: Id) -> StoreResult<Option<Account>>;
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Every user with this address, across accounts; sign-in starts from an address alone.
    async fn users_by_email_any_account(&self, email: &str) -> StoreResult<Vec<(Id, User)>>;
    async fn user(&self, account: Id, id: Id) -> StoreResult<User>;
    async fn user_by_email(&self, account: Id, email: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, account: Id, query: &UserQuery) -> StoreResult<UserListing>;
    async fn create_user(&self, account: Id, actor: &Actor, user: &NewUser) -> StoreResult<User>;
    async fn update_user(
        &self,
        account: Id,
        actor: &Actor,
        id: Id,
        changes: &UserChanges,
    ) -> StoreResult<User>;
    async fn delete_user(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<()>;
    /// `role_group`: `None` keeps the user's group, `Some(None)` removes it, `Some(Some(id))`
    /// sets it, so changing a role never drops a group by accident.
    async fn set_role(
        &self,
        account: Id,
        actor: &Actor,
        id: Id,
        role: Role,
        role_group: Option<Option<Id>>,
    ) -> StoreResult<User>;
}

/// A user's authenticator app. Secrets are sealed before they reach the database and
/// opened when read, so a copy of the database holds none in plain text. Each code check
/// and the change it allows are one transaction: a wrong code counts against the
/// [`GuessLimit`], a right one spends its time step, so parallel guesses cannot pass the
/// limit and no code is accepted twice.
#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    /// The pending and active secrets, opened.
    async fn totp_secrets(&self, user_id: Id) -> StoreResult<(Option<String>, Option<String>)>;
    /// Keeps a new secret as pending until a code from it confirms it.
    async fn begin_totp(&self, user_id: Id, secret: &str) -> StoreResult<()>;
    /// Checks a code of the active secret (the sign-in's second step).
    async fn check_totp_code(
        &self,
        user_id: Id,
        code: &str,
        unix_seconds: u64,
        limit: GuessLimit,
    ) -> StoreResult<TotpCheck>;
    /// Turns the pending secret on when `code` comes from it.
    async fn confirm_totp(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        code: &str,
        unix_seconds: u64,
        limit: GuessLimit,
    ) -> StoreResult<TotpCheck>;
    /// Turns the second factor off when `code` comes from the active secret.
    async fn disable_totp(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        code: &str,
        unix_seconds: u64,
        limit: GuessLimit,
    ) -> StoreResult<TotpCheck>;
    /// Removes a user's second factor on an administrator's word (a lost phone).
    async fn reset_second_factor(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
    ) -> StoreResult<User>;
}

#[async_trait]
pub trait BatchStore: Send + Sync {
    /// Applies creates and updates, each item once per idempotency key; items are independent,
    /// so one refusal does not undo the others.
    async fn apply_batch(
        &self,
        account: Id,
        actor: &Actor,
        items: &[BatchItem],
    ) -> StoreResult<Vec<BatchItemResult>>;
}

#[async_trait]
pub trait DomainStore: Send + Sync {
    async fn list_domains(&self, account: Id) -> StoreResult<Vec<Domain>>;
    async fn domain(&self, account: Id, id: Id) -> StoreResult<Domain>;
    async fn request_domain(
        &self,
        account: Id,
        actor: &Actor,
        name: &str,
        token: &str,
    ) -> StoreResult<Domain>;
    async fn approve_domain(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<Domain>;
    async fn remove_domain(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<()>;
}

#[async_trait]
pub trait LicenceStore: Send + Sync {
    async fn licence_pool(&self, account: Id) -> StoreResult<LicencePool>;
    async fn list_licences(&self, account: Id) -> StoreResult<Vec<Licence>>;
    async fn purchase_licences(
        &self,
        account: Id,
        actor: &Actor,
        tier: LicenceTier,
        count: u32,
    ) -> StoreResult<Vec<Licence>>;
    async fn remove_licence(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<()>;
    async fn assign_licence(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        tier: LicenceTier,
    ) -> StoreResult<User>;
    async fn change_licence(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        tier: LicenceTier,
    ) -> StoreResult<User>;
    /// Returns the user and how many of their log entries were deleted with the licence.
    async fn unassign_licence(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
    ) -> StoreResult<(User, u64)>;
    async fn transfer_licence(
        &self,
        account: Id,
        actor: &Actor,
        from: Id,
        to: Id,
    ) -> StoreResult<(User, User, u64)>;
}

#[async_trait]
pub trait RoleStore: Send + Sync {
    async fn list_role_groups(&self, account: Id) -> StoreResult<Vec<RoleGroup>>;
    async fn create_role_group(
        &self,
        account: Id,
        actor: &Actor,
        name: &str,
        permissions: &[Permission],
    ) -> StoreResult<RoleGroup>;
    async fn set_role_group_permissions(
        &self,
        account: Id,
        actor: &Actor,
        id: Id,
        permissions: &[Permission],
    ) -> StoreResult<RoleGroup>;
}

#[async_trait]
pub trait EventStore: Send + Sync {
    async fn events(&self, account: Id, query: &EventQuery) -> StoreResult<Vec<Event>>;
    async fn record_event(
        &self,
        account: Id,
        actor: &Actor,
        action: &str,
        target_user_id: Option<Id>,
        details: serde_json::Value,
    ) -> StoreResult<()>;
}

/// What threatens an account rather than changes it, for its administrators to read.
/// Append-only, like the audit log.
#[async_trait]
pub trait SecurityEventStore: Send + Sync {
    async fn record_security_event(
        &self,
        account: Id,
        actor: &Actor,
        action: &str,
        target_user_id: Option<Id>,
        details: serde_json::Value,
    ) -> StoreResult<()>;
    async fn security_events(&self, account: Id, query: &EventQuery) -> StoreResult<Vec<Event>>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Stores tokens together: all of them or, on failure, none.
    async fn insert_tokens(&self, tokens: &[NewToken<'_>]) -> StoreResult<()>;
    async fn insert_token(&self, token: &NewToken<'_>) -> StoreResult<()> {
        self.insert_tokens(std::slice::from_ref(token)).await
    }
    /// The owner of a live token; notes when it was used, for the list of sessions.
    async fn token_owner(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<TokenOwner>>;
    /// Spends a refresh token and stores its successors in one transaction, so a crash or
    /// a concurrent replay leaves either the old token live or the new ones, never both
    /// nor neither; a replay of a spent token revokes its whole family.
    async fn rotate_refresh_token(
        &self,
        hash: &str,
        client_id: &str,
        now: DateTime<Utc>,
        successors: &Successors<'_>,
    ) -> StoreResult<RefreshUse>;
    async fn delete_token(&self, hash: &str) -> StoreResult<()>;
    async fn revoke_family(&self, family: &str) -> StoreResult<()>;
    /// The user's live sessions (one per sign-in, one per personal token), newest first.
    async fn sessions(&self, user_id: Id, now: DateTime<Utc>) -> StoreResult<Vec<Session>>;
    /// Ends one of the user's sessions, with a security event; false when the user has
    /// none by that id.
    async fn revoke_session(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        id: &str,
    ) -> StoreResult<bool>;
}

/// Opens the store a URL names: `sqlite://PATH` (created if missing) or `sqlite::memory:`.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}

impl StoreError {
    /// The stable code and message an API client receives for this error. Database faults
    /// are reported without their text, which may name tables or values.
    pub fn to_body(&self) -> sxadmin_core::ErrorBody {
        use serde_json::json;
        use sxadmin_core::{ErrorBody, ErrorCode};
        match self {
            StoreError::NotFound(what) => ErrorBody::new(ErrorCode::NotFound, format!("No such {what} in this account.")),
            StoreError::EmailTaken(email) => ErrorBody::new(ErrorCode::EmailTaken, self.to_string())
                .with_details(json!({"email": email})),
            StoreError::DomainNotApproved(domain) => ErrorBody::new(
                ErrorCode::DomainNotApproved,
                format!("The domain {domain} is not approved for this account; request it under Domains and verify its DNS record first."),
            )
            .with_details(json!({"domain": domain})),
            StoreError::DomainExists(domain) => ErrorBody::new(ErrorCode::DomainExists, self.to_string())
                .with_details(json!({"domain": domain})),
            StoreError::LicenceUnavailable { tier, purchased, assigned } => ErrorBody::new(
                ErrorCode::LicenceUnavailable,
                format!("No {tier} licence is available ({purchased} purchased, {assigned} assigned); buy more {tier} licences or free one first."),
            )
            .with_details(json!({"tier": tier, "purchased": purchased, "assigned": assigned, "available": purchased - assigned})),
            StoreError::UserHasLicence(tier) => ErrorBody::new(
                ErrorCode::UserHasLicence,
                format!("The user already holds a {tier} licence; change its tier instead, or unassign it first."),
            )
            .with_details(json!({"tier": tier})),
            StoreError::UserHasNoLicence => ErrorBody::new(ErrorCode::UserHasNoLicence, "The user holds no licence."),
            StoreError::LicenceAssigned(holder) => ErrorBody::new(
                ErrorCode::LicenceAssigned,
                format!("The licence is assigned to {holder}; unassign it before removing it from the account."),
            )
            .with_details(json!({"holder": holder})),
            StoreError::LastAdministrator(email) => ErrorBody::new(
                ErrorCode::LastAdministrator,
                format!("{email} is the last active administrator; make another user an administrator first."),
            )
            .with_details(json!({"email": email})),
            StoreError::Conflict(message) => ErrorBody::new(ErrorCode::Conflict, message.clone()),
            StoreError::Invalid(message) => ErrorBody::new(ErrorCode::InvalidInput, message.clone()),
            StoreError::UnsupportedUrl(_) | StoreError::Sealing(_) => ErrorBody::new(ErrorCode::Internal, self.to_string()),
            StoreError::Database(_) | StoreError::Migration(_) => {
                ErrorBody::new(ErrorCode::Internal, "The portal could not complete the request; try again.")
            }
        }
    }
}
