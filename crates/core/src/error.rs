//! The error shape every portal route answers with, shared so that clients can match on
//! stable codes instead of parsing messages.

use serde::{Deserialize, Serialize};

/// Stable, machine-readable error codes. Clients branch on these; messages are for people
/// and may change wording at any time.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    /// The wire spelling (the same as serde's, which a test checks).
    pub fn as_str(self) -> &'static str {
        self.into()
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

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_code_is_spelled_the_same_on_the_wire_and_in_text() {
        for code in ErrorCode::iter() {
            let wire = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(wire, format!("\"{}\"", code.as_str()));
        }
    }
}
