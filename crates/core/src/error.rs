//! The error shape every portal route answers with, shared so that clients can match on
//! stable codes instead of parsing messages.

use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes. Clients branch on these; messages are for people
/// and may change wording at any time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotAuthenticated,
    Forbidden,
    NotFound,
    InvalidInput,
    DomainNotApproved,
    DomainExists,
    DomainVerificationFailed,
    EmailTaken,
    LicenceUnavailable,
    UserHasLicence,
    UserHasNoLicence,
    LicenceAssigned,
    LastAdministrator,
    ConfirmationRequired,
    RateLimited,
    Conflict,
    Internal,
    /// A code this version does not know, so that newer portals do not break older clients.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotAuthenticated => "not_authenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::DomainNotApproved => "domain_not_approved",
            ErrorCode::DomainExists => "domain_exists",
            ErrorCode::DomainVerificationFailed => "domain_verification_failed",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::LicenceUnavailable => "licence_unavailable",
            ErrorCode::UserHasLicence => "user_has_licence",
            ErrorCode::UserHasNoLicence => "user_has_no_licence",
            ErrorCode::LicenceAssigned => "licence_assigned",
            ErrorCode::LastAdministrator => "last_administrator",
            ErrorCode::ConfirmationRequired => "confirmation_required",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{ "code": "...", "message": "...", "details": {...} }`, the body of every error answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            code,
            message: message.into(),
            details: serde_json::Value::Null,
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ErrorBody {}
