//! The one error type that crosses the IPC boundary: `{code, message}`, a stable code the
//! UI can branch on and a sentence it can show as it is. Nothing here ever holds a token.

use serde::{Deserialize, Serialize};
use sxadmin_client::core::csv::IssueCode;
use sxadmin_client::core::workbook::ExportError;
use sxadmin_client::core::ErrorCode;
use sxadmin_client::export::ExportUsersError;
use sxadmin_client::folders::FolderError;
use sxadmin_client::import::journal::JournalError;
use sxadmin_client::import::workflow::ImportError;
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
    File { code: AppErrorCode, message: String },
    #[error("the demo portal could not start: {0}")]
    Demo(String),
    #[error("this build of SX Admin has no demo portal; sign in to your portal instead")]
    DemoUnavailable,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Rule(#[from] sxadmin_client::core::rules::RuleError),
    #[error("{0}")]
    Import(#[from] ImportError),
    #[error("{0}")]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Folder(#[from] FolderError),
    #[error("{0}")]
    Export(#[from] ExportUsersError),
    #[error("{0}")]
    Write(#[from] ExportError),
    #[error("there is no file to import yet; choose a file first")]
    NoImport,
    #[error("an import is already running; wait for it or cancel it")]
    Busy,
    #[error("{0}")]
    Internal(String),
}

/// The codes that are the desktop's own, and those the client library reports as words
/// (its sign-in, keychain and connection errors), so that the UI's union names them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum DesktopCode {
    NotSignedIn,
    DemoFailed,
    DemoUnavailable,
    NoImport,
    Busy,
    ReadFailed,
    WriteFailed,
    InvalidUrl,
    InsecureUrl,
    Network,
    UnexpectedAnswer,
    BrowserUnavailable,
    SignInTimedOut,
    SignInRefused,
    SignInStateMismatch,
    SignInListener,
    KeychainUnavailable,
    KeychainLocked,
    KeychainSecretTooLong,
    KeychainFailed,
    JournalWriteFailed,
    JournalMissing,
    JournalUnreadable,
    JournalFinished,
    FolderNotFound,
    FolderWriteFailed,
    TooManyRemovals,
    RemovalsNotConfirmed,
    WorkbookWriteFailed,
    CsvWriteFailed,
}

/// Every code a command can fail with: the portal's, the import file's or the desktop's.
/// In TypeScript, `ErrorCode | IssueCode | DesktopCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(untagged)]
pub enum AppErrorCode {
    Portal(ErrorCode),
    File(IssueCode),
    Desktop(DesktopCode),
}

impl From<ErrorCode> for AppErrorCode {
    fn from(code: ErrorCode) -> Self {
        AppErrorCode::Portal(code)
    }
}

impl From<IssueCode> for AppErrorCode {
    fn from(code: IssueCode) -> Self {
        AppErrorCode::File(code)
    }
}

impl From<DesktopCode> for AppErrorCode {
    fn from(code: DesktopCode) -> Self {
        AppErrorCode::Desktop(code)
    }
}

impl AppErrorCode {
    /// A code the client library spelled as words. One it does not know yet stays visible
    /// as `unknown`; its message still says what happened.
    pub fn from_words(code: &str) -> Self {
        let words = serde_json::Value::String(code.to_owned());
        if let Ok(desktop) = serde_json::from_value::<DesktopCode>(words.clone()) {
            return desktop.into();
        }
        serde_json::from_value::<ErrorCode>(words)
            .unwrap_or(ErrorCode::Unknown)
            .into()
    }
}

impl AppError {
    pub fn code(&self) -> AppErrorCode {
        match self {
            AppError::Portal(error) => client_code(error),
            AppError::Keychain(error) => AppErrorCode::from_words(error.code()),
            AppError::SignIn(SignInError::Client(error)) => client_code(error),
            AppError::SignIn(error) => AppErrorCode::from_words(error.code()),
            AppError::Import(ImportError::File(error)) => error.code().into(),
            AppError::Import(ImportError::Portal(error)) => client_code(error),
            AppError::Import(error) => AppErrorCode::from_words(&error.code()),
            AppError::Journal(error) => AppErrorCode::from_words(error.code()),
            AppError::Folder(error) => AppErrorCode::from_words(error.code()),
            AppError::Export(ExportUsersError::Portal(error)) => client_code(error),
            AppError::Export(error) => AppErrorCode::from_words(&error.code()),
            AppError::Write(error) => AppErrorCode::from_words(error.code()),
            AppError::NotSignedIn => DesktopCode::NotSignedIn.into(),
            AppError::File { code, .. } => *code,
            AppError::Demo(_) => DesktopCode::DemoFailed.into(),
            AppError::DemoUnavailable => DesktopCode::DemoUnavailable.into(),
            AppError::Invalid(_) | AppError::Rule(_) => ErrorCode::InvalidInput.into(),
            AppError::NoImport => DesktopCode::NoImport.into(),
            AppError::Busy => DesktopCode::Busy.into(),
            AppError::Internal(_) => ErrorCode::Internal.into(),
        }
    }

    pub fn file(code: impl Into<AppErrorCode>, message: impl Into<String>) -> Self {
        AppError::File {
            code: code.into(),
            message: message.into(),
        }
    }
}

fn client_code(error: &ClientError) -> AppErrorCode {
    match error.portal_code() {
        Some(code) => code.into(),
        None => AppErrorCode::from_words(error.code()),
    }
}

/// What the web view receives when a command fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ErrorPayload {
    pub code: AppErrorCode,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(error: AppError) -> String {
        serde_json::to_value(error).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn every_client_code_is_in_the_union() {
        let errors = [
            AppError::Keychain(SecretStoreError::Unavailable("x".into())),
            AppError::Keychain(SecretStoreError::Locked("x".into())),
            AppError::Keychain(SecretStoreError::TooLong),
            AppError::Keychain(SecretStoreError::Failed("x".into())),
            AppError::SignIn(SignInError::Browser("x".into(), "y".into())),
            AppError::SignIn(SignInError::TimedOut),
            AppError::SignIn(SignInError::Refused("x".into())),
            AppError::SignIn(SignInError::StateMismatch),
            AppError::SignIn(SignInError::Listener("x".into())),
            AppError::Portal(ClientError::InvalidUrl {
                url: "x".into(),
                reason: "y".into(),
            }),
            AppError::Portal(ClientError::InsecureUrl { url: "x".into() }),
            AppError::Portal(ClientError::Network {
                url: "x".into(),
                reason: "y".into(),
            }),
            AppError::Portal(ClientError::UnexpectedAnswer {
                status: 500,
                reason: "y".into(),
            }),
            AppError::Journal(JournalError::Write {
                path: "x".into(),
                reason: "y".into(),
            }),
            AppError::Journal(JournalError::AlreadyFinished),
            AppError::Folder(FolderError::Write {
                path: "x".into(),
                reason: "y".into(),
            }),
            AppError::Folder(FolderError::NotFound {
                kind: "data",
                variable: "SXADMIN_DESKTOP_DATA",
            }),
            AppError::Import(ImportError::TooManyRemovals {
                message: "x".into(),
                removals: 1,
            }),
            AppError::Import(ImportError::RemovalsNotConfirmed {
                expected: 2,
                typed: 3,
            }),
            AppError::Write(ExportError::Workbook("x".into())),
            AppError::Write(ExportError::Csv("x".into())),
        ];
        for error in errors {
            let words = match &error {
                AppError::Keychain(e) => e.code().to_owned(),
                AppError::SignIn(e) => e.code().to_owned(),
                AppError::Portal(e) => e.code().to_owned(),
                AppError::Journal(e) => e.code().to_owned(),
                AppError::Folder(e) => e.code().to_owned(),
                AppError::Import(e) => e.code(),
                AppError::Write(e) => e.code().to_owned(),
                _ => unreachable!(),
            };
            assert_eq!(code_of(error), words, "{words} is not in DesktopCode");
        }
    }

    #[test]
    fn portal_and_file_codes_keep_their_spelling() {
        let refused = AppError::Portal(ClientError::Portal {
            status: 409,
            body: sxadmin_client::core::ErrorBody::new(ErrorCode::EmailTaken, "taken"),
        });
        assert_eq!(code_of(refused), "email_taken");
        assert_eq!(
            code_of(AppError::file(IssueCode::EmptyFile, "empty")),
            "empty_file"
        );
        assert_eq!(code_of(AppError::NotSignedIn), "not_signed_in");
    }
}
