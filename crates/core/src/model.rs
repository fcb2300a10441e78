//! Wire types of the portal API, shared by the server, the client library, the CLI and the
//! desktop app so that a field is named and validated in exactly one place.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Row identifiers as the portal hands them out; only meaningful within the caller's account.
pub type Id = i64;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling, also used in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the exact wire spelling (the CSV reader accepts more, in `csv`).
            pub fn from_wire(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// The built-in roles. Administrators may do everything; a standard user may do what
    /// their role group's permissions grant (the portal's `permissions` module).
    Role { User => "user", Administrator => "administrator" }
);

wire_enum!(
    /// Interface language of a user's portal and e-mails.
    Language { En => "en", Fr => "fr" }
);

wire_enum!(
    /// Licence tiers in upgrade order: Eco → Advanced → Pro.
    LicenceTier { Eco => "eco", Advanced => "advanced", Pro => "pro" }
);

wire_enum!(
    /// The eight permissions a role group can carry.
    Permission {
        BusinessManagement => "business_management",
        Billing => "billing",
        Purchase => "purchase",
        Logs => "logs",
        AdministratorLogs => "administrator_logs",
        DomainManagement => "domain_management",
        ActivationRules => "activation_rules",
        RolesAndAuthorisations => "roles_and_authorisations",
    }
);

wire_enum!(
    /// A domain is pending until its DNS TXT record has been verified.
    DomainStatus { Pending => "pending", Approved => "approved" }
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: Id,
    pub name: String,
}

/// The licence a user holds, if any (at most one per user).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldLicence {
    pub id: Id,
    pub tier: LicenceTier,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Id,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub language: Language,
    pub role: Role,
    pub role_group_id: Option<Id>,
    pub active: bool,
    pub licence: Option<HeldLicence>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user to create. Missing fields take the portal's defaults (standard user, English).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    /// At most 254 characters (RFC 5321); surrounding spaces are trimmed.
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: String,
    /// At most 200 characters (`rules::MAX_NAME_CHARS`) on one line, once surrounding spaces are trimmed.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x1F\x7F-\x9F]{0,200}[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub first_name: String,
    /// At most 200 characters (`rules::MAX_NAME_CHARS`) on one line, once surrounding spaces are trimmed.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x1F\x7F-\x9F]{0,200}[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub last_name: String,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub role: Option<Role>,
}

/// Fields to change on an existing user; absent fields are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserChanges {
    /// At most 200 characters (`rules::MAX_NAME_CHARS`) on one line, once surrounding spaces are trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x1F\x7F-\x9F]{0,200}[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub first_name: Option<String>,
    /// At most 200 characters (`rules::MAX_NAME_CHARS`) on one line, once surrounding spaces are trimmed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\x00-\x1F\x7F-\x9F]{0,200}[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
        )
    )]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

impl UserChanges {
    pub fn is_empty(&self) -> bool {
        *self == UserChanges::default()
    }
}

wire_enum!(
    /// Orderings the user list supports; each is backed by an index.
    UserSort { Email => "email", FirstName => "first_name", LastName => "last_name", Created => "created" }
);

/// One page of the user list. `next_cursor` is opaque; pass it back for the next page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    pub items: Vec<User>,
    pub next_cursor: Option<String>,
    /// Users matching the search, over all pages.
    pub total: i64,
}

/// Up to 1,000 creates or updates in one request. Each item carries an idempotency key so
/// that a retried request (for example after a lost response) never applies an item twice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchRequest {
    /// At most 1,000 (`rules::MAX_BATCH_ITEMS`).
    #[cfg_attr(feature = "openapi", schema(max_items = 1000))]
    pub items: Vec<BatchItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchItem {
    /// 1 to 200 bytes; an item whose key is longer is refused in its own result.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub idempotency_key: String,
    #[serde(flatten)]
    pub operation: BatchOperation,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum BatchOperation {
    Create(NewUser),
    /// Updates the user with this e-mail address (case-insensitive).
    Update {
        #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
        email: String,
        #[serde(flatten)]
        changes: UserChanges,
    },
    /// Stops the user with this address from signing in (an import's removal). Refused
    /// for the caller and for the last active administrator.
    Disable {
        #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
        email: String,
    },
    /// Deletes the user with this address; their licence goes back to the pool. Refused
    /// for the caller and for the last active administrator.
    Delete {
        #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
        email: String,
    },
}

wire_enum!(
    BatchOutcome {
        Created => "created",
        Updated => "updated",
        Unchanged => "unchanged",
        Disabled => "disabled",
        Deleted => "deleted",
        Error => "error",
    }
);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchItemResult {
    pub idempotency_key: String,
    pub outcome: BatchOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::ErrorBody>,
    /// True when this result was recorded by an earlier request with the same key.
    #[serde(default)]
    pub replayed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchResponse {
    pub results: Vec<BatchItemResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Domain {
    pub id: Id,
    pub name: String,
    pub status: DomainStatus,
    /// The DNS name where the TXT record must be published.
    pub txt_record_name: String,
    /// The TXT record's value.
    pub txt_record_value: String,
    pub requested_at: DateTime<Utc>,
    pub approved_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierCount {
    pub tier: LicenceTier,
    pub purchased: i64,
    pub assigned: i64,
    pub available: i64,
}

/// Purchased / assigned / available per tier, every tier listed even when zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LicencePool {
    pub tiers: Vec<TierCount>,
}

impl LicencePool {
    pub fn tier(&self, tier: LicenceTier) -> Option<&TierCount> {
        self.tiers.iter().find(|t| t.tier == tier)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Licence {
    pub id: Id,
    pub tier: LicenceTier,
    pub user_id: Option<Id>,
    pub user_email: Option<String>,
    pub purchased_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleGroup {
    pub id: Id,
    pub name: String,
    pub permissions: Vec<Permission>,
}

/// The built-in roles and the account's role groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Roles {
    pub built_in: Vec<Role>,
    pub groups: Vec<RoleGroup>,
}

/// One entry of the append-only event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: Id,
    pub at: DateTime<Utc>,
    pub actor_email: Option<String>,
    pub action: String,
    pub target_user_id: Option<Id>,
    pub target: Option<String>,
    /// Which program made the change (`sxadmin-cli`, `sxadmin-desktop`, `portal-web`, …).
    pub client: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// Who is calling: returned by `GET /api/v1/me`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub account: Account,
    pub user: User,
    pub permissions: Vec<Permission>,
}
