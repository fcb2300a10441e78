//! Request and answer bodies of the portal routes beyond the user model itself: written
//! once, so the server's parser and the client's writer cannot drift apart.

use serde::{Deserialize, Deserializer, Serialize};

use crate::{Id, LicenceTier, Permission, Role, User, UserSort};

/// Body of `POST /users/{id}/licence` and `PATCH /users/{id}/licence`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierChoice {
    pub tier: LicenceTier,
}

/// Body of `POST /licences/purchase`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Purchase {
    pub tier: LicenceTier,
    /// 1 to 1000 (`rules::MAX_PURCHASE_COUNT`).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub count: u32,
}

/// Body of `POST /users/{id}/licence/transfer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transfer {
    /// The receiving user; they must hold no licence.
    pub to_user_id: Id,
    /// Must be true: the previous holder's logs are deleted for good.
    #[serde(default)]
    pub confirm_log_deletion: bool,
}

/// Query of `DELETE /users/{id}/licence`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct LogDeletionConfirmation {
    /// Must be true: the previous holder's logs are deleted for good.
    #[serde(default)]
    pub confirm_log_deletion: bool,
}

/// Body of `PUT /users/{id}/role`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetRole {
    pub role: Role,
    /// Absent: the user keeps their role group. `null`: no group. A number: that group.
    /// The three cases matter so that changing a role never drops a group by accident.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    #[cfg_attr(feature = "ts", ts(optional, type = "number | null"))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub role_group_id: Option<Option<Id>>,
}

impl SetRole {
    /// Changes the role and leaves the role group as it is.
    pub fn keeping_group(role: Role) -> Self {
        SetRole {
            role,
            role_group_id: None,
        }
    }
}

/// Tells a field that is present (even as `null`) from one that is absent.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Body of `POST /domains`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainRequest {
    /// A domain name such as `company.com`; internationalised names are accepted (the
    /// pattern describes their ASCII form). At most 243 characters: with `postmaster@`
    /// before it, it still fits the 254 of an address.
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 243,
            pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub name: String,
}

/// Body of `POST /roles/groups`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRoleGroup {
    /// 1 to 100 characters (`rules::MAX_ROLE_GROUP_NAME_CHARS`) on one line, once
    /// surrounding spaces are trimmed.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\x00-\x1F\x7F-\x9F]{0,99}[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// Body of `PUT /roles/groups/{id}/permissions`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PermissionSet {
    pub permissions: Vec<Permission>,
}

/// Answer of `DELETE /users/{id}/licence`: the licence went back to the pool, and how
/// many of the holder's log entries went with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unassigned {
    pub user: User,
    pub logs_deleted: u64,
}

/// Answer of `POST /users/{id}/licence/transfer`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transferred {
    pub from: User,
    pub to: User,
    pub logs_deleted: u64,
}

/// Query of `GET /users`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UserListQuery {
    /// Part of an e-mail address, first or last name (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
    /// `email` (default), `first_name`, `last_name` or `created`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<UserSort>,
    /// `asc` (default) or `desc`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
    /// `next_cursor` of the previous page, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(pattern = "^[A-Za-z0-9_-]+$"))]
    pub cursor: Option<String>,
    /// Rows per page, 1 to 1000 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 1000))]
    pub limit: Option<u32>,
    /// Only users with this role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Only users in this role group (its id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<Id>,
    /// Only users holding a licence of this tier, or `none`: users without a licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<LicenceFilter>,
    /// `active` (can sign in) or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
}

/// The licence filter of the user list: a tier, or no licence at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LicenceFilter {
    Eco,
    Advanced,
    Pro,
    None,
}

impl LicenceFilter {
    /// The tier filtered on; `None` for users without a licence.
    pub fn tier(self) -> Option<LicenceTier> {
        match self {
            LicenceFilter::Eco => Some(LicenceTier::Eco),
            LicenceFilter::Advanced => Some(LicenceTier::Advanced),
            LicenceFilter::Pro => Some(LicenceTier::Pro),
            LicenceFilter::None => None,
        }
    }

    /// `eco`, `advanced`, `pro` (in English or French, as an import reads them) or `none`
    /// (`aucune`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "none" | "aucune" | "aucun" | "no" | "-" => Some(LicenceFilter::None),
            other => crate::csv::parse_licence(other).map(|tier| match tier {
                LicenceTier::Eco => LicenceFilter::Eco,
                LicenceTier::Advanced => LicenceFilter::Advanced,
                LicenceTier::Pro => LicenceFilter::Pro,
            }),
        }
    }
}

/// Whether a user can sign in, as the user list filters on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    pub fn is_active(self) -> bool {
        self == UserStatus::Active
    }

    /// `active` or `disabled`, in English or French (`actif`, `désactivé`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_lowercase().as_str() {
            "active" | "actif" | "enabled" => Some(UserStatus::Active),
            "disabled" | "inactive" | "désactivé" | "desactive" | "inactif" => {
                Some(UserStatus::Disabled)
            }
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    #[default]
    Asc,
    Desc,
}

/// The format of an event-log answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EventFormat {
    #[default]
    Json,
    Csv,
}

/// Query of `GET /events` and `GET /users/{id}/events`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct EventListQuery {
    /// Start, as `YYYY-MM-DD` or an RFC 3339 time (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(schema_with = date_or_time))]
    pub from: Option<String>,
    /// End, as `YYYY-MM-DD` (the whole day) or an RFC 3339 time (inclusive). A range that
    /// ends before it starts holds no events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(schema_with = date_or_time))]
    pub to: Option<String>,
    /// At most this many of the newest events (default 1000, at most 100000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 100000))]
    pub limit: Option<u32>,
    /// `json` (default) or `csv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<EventFormat>,
    /// Only events by or about this user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
}

/// The event-log bounds' schema: a calendar date or an RFC 3339 time, either accepted.
#[cfg(feature = "openapi")]
fn date_or_time() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{
        KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
    };
    let string = |format| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(format)))
    };
    Schema::OneOf(
        OneOfBuilder::new()
            .item(string(KnownFormat::Date))
            .item(string(KnownFormat::DateTime))
            .build(),
    )
}

/// RFC 6749 §5.1 answer of the token endpoint. Its `Debug` hides the tokens, so that a
/// logged value never carries a credential.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub token_type: String,
    /// Seconds the access token stays valid.
    pub expires_in: u64,
    pub refresh_token: String,
    #[serde(default)]
    pub scope: String,
}

/// RFC 8628 §3.2 answer of the device authorisation endpoint. The device code is a
/// credential until it is exchanged: `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    /// The short code to type on the portal's page.
    pub user_code: String,
    pub verification_uri: String,
    /// The page with the code filled in, when the portal offers one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    /// Seconds to wait between two polls.
    #[serde(default = "default_interval")]
    pub interval: u64,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAnswer")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

fn default_interval() -> u64 {
    5
}

/// RFC 6749 §5.2 error answer, with the portal's `code`/`message` pair alongside so a
/// client that only knows the API's error shape still reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthErrorAnswer {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// What happened to one user in an operation on many (a licence assigned, changed or
/// taken back for each selected user): the user as they are now, or why it failed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PerUserResult {
    pub user_id: Id,
    /// The user after the change, when it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// Log entries deleted with it (when a licence was taken back).
    #[serde(default)]
    pub logs_deleted: u64,
    /// Why it was not made, when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

/// Query of `GET /users/lookup`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct UserLookup {
    /// The e-mail address, in any case.
    #[cfg_attr(feature = "openapi", param(min_length = 3, max_length = 254))]
    pub email: String,
}

/// Answer of `POST /me/totp`: what an authenticator app needs. The secret is shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpEnrolment {
    /// Base32 secret to type into an authenticator app.
    pub secret: String,
    /// `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrolment").finish_non_exhaustive()
    }
}

/// A six-digit authenticator code.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpCode {
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^[0-9]{6}$", min_length = 6, max_length = 6)
    )]
    pub code: String,
}

impl std::fmt::Debug for TotpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpCode").finish_non_exhaustive()
    }
}

/// RFC 8414 authorisation server metadata, as the portal publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub device_authorization_endpoint: String,
    pub response_types_supported: Vec<String>,
    pub grant_types_supported: Vec<String>,
    pub code_challenge_methods_supported: Vec<String>,
    pub token_endpoint_auth_methods_supported: Vec<String>,
    pub revocation_endpoint_auth_methods_supported: Vec<String>,
    pub scopes_supported: Vec<String>,
}

/// What started a session: a sign-in (browser or device) or a personal API token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SessionKind {
    SignIn,
    PersonalToken,
}

/// One of the signed-in user's sessions, as `GET /me/sessions` lists them; never the
/// token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    /// What `DELETE /me/sessions/{id}` takes to end it.
    pub id: String,
    pub kind: SessionKind,
    /// The program it was issued to (`sxadmin-cli`, `sxadmin-desktop`, `api-token`).
    pub client: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it ends unless renewed; `null` for a token made before tokens expired.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether the request that listed it came through this session.
    pub current: bool,
}

/// A stable code and words for a person, for failures that are not a portal answer alone
/// (a lost connection has no `ErrorCode`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Problem {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_role_tells_an_absent_group_from_a_null_one() {
        let keep: SetRole = serde_json::from_str(r#"{"role":"user"}"#).unwrap();
        assert_eq!(keep.role_group_id, None);
        let clear: SetRole =
            serde_json::from_str(r#"{"role":"user","role_group_id":null}"#).unwrap();
        assert_eq!(clear.role_group_id, Some(None));
        let set: SetRole = serde_json::from_str(r#"{"role":"user","role_group_id":7}"#).unwrap();
        assert_eq!(set.role_group_id, Some(Some(7)));
        assert_eq!(
            serde_json::to_string(&SetRole::keeping_group(Role::Administrator)).unwrap(),
            r#"{"role":"administrator"}"#
        );
        assert_eq!(
            serde_json::to_string(&SetRole {
                role: Role::User,
                role_group_id: Some(None)
            })
            .unwrap(),
            r#"{"role":"user","role_group_id":null}"#
        );
    }
}
