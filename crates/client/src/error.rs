//! What can go wrong talking to the portal, each with a stable code and a message an
//! administrator can act on. No variant ever holds a token.

use sxadmin_core::{ErrorBody, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{url} is not a portal address: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("{url} uses plain http; use https:// (plain http is only allowed to this computer)")]
    InsecureUrl { url: String },
    #[error("cannot reach the portal at {url}: {reason}; check the address and the network")]
    Network { url: String, reason: String },
    /// The portal refused the request and said why.
    #[error("{}", .body.message)]
    Portal { status: u16, body: ErrorBody },
    #[error("the portal answered {status} with something that is not its API ({reason})")]
    UnexpectedAnswer { status: u16, reason: String },
}

impl ClientError {
    /// A stable identifier for scripts and the desktop app; the portal's own code when it
    /// refused the request.
    pub fn code(&self) -> &str {
        match self {
            ClientError::InvalidUrl { .. } => "invalid_url",
            ClientError::InsecureUrl { .. } => "insecure_url",
            ClientError::Network { .. } => "network",
            ClientError::Portal { body, .. } => body.code.as_str(),
            ClientError::UnexpectedAnswer { .. } => "unexpected_answer",
        }
    }

    /// The portal's error code, when the portal refused the request.
    pub fn portal_code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Portal { body, .. } => Some(body.code),
            _ => None,
        }
    }
}
