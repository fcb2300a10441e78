//! The one error type that crosses the IPC boundary: `{code, message}`, a stable code the
//! UI can branch on and a sentence it can show as it is. Nothing here ever holds a token.

use serde::Serialize;
use sxadmin_client::secrets::SecretStoreError;
use sxadmin_client::signin::SignInError;
use sxadmin_client::ClientError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Portal(#[from] ClientError),
    #[error("{0}")]
    Keychain(#[from] SecretStoreError),
    #[error("{0}")]
    SignIn(#[from] SignInError),
    #[error("you are not signed in; sign in to a portal first")]
    NotSignedIn,
    #[error("{message}")]
    File { code: String, message: String },
    #[error("the demo portal could not start: {0}")]
    Demo(String),
    #[error("{0}")]
    Invalid(String),
    #[error("there is no file to import yet; choose a CSV file first")]
    NoImport,
    #[error("an import is already running; wait for it or cancel it")]
    Busy,
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn code(&self) -> String {
        match self {
            AppError::Portal(error) => error.code().to_owned(),
            AppError::Keychain(error) => error.code().to_owned(),
            AppError::SignIn(error) => error.code().to_owned(),
            AppError::NotSignedIn => "not_signed_in".into(),
            AppError::File { code, .. } => code.clone(),
            AppError::Demo(_) => "demo_failed".into(),
            AppError::Invalid(_) => "invalid_input".into(),
            AppError::NoImport => "no_import".into(),
            AppError::Busy => "busy".into(),
            AppError::Internal(_) => "internal".into(),
        }
    }

    pub fn file(code: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::File {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// What the web view receives when a command fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErrorPayload {
    pub code: String,
    pub message: String,
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ErrorPayload {
            code: self.code(),
            message: self.to_string(),
        }
        .serialize(serializer)
    }
}

pub type AppResult<T> = Result<T, AppError>;
