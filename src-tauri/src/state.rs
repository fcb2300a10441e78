//! The app's state, held in Rust for the whole run: the signed-in portal client (and so
//! the token, which never reaches the web view), the embedded demo portal when it runs,
//! and the import being previewed.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use sxadmin_client::core::csv::results::ResultRow;
use sxadmin_client::core::{Id, Me};
use sxadmin_client::folders::{Folders, FrontEnd};
use sxadmin_client::secrets::SecretStore;
use sxadmin_client::PortalClient;

use crate::demo::DemoPortal;
use crate::error::{AppError, AppResult};
use crate::import::PreparedImport;

/// The client id the portal knows this app by.
pub const CLIENT_ID: &str = "sxadmin-desktop";

/// Where the session's access token comes from.
pub enum Source {
    /// The embedded demo portal: a token the app issued itself, kept in the keychain when
    /// one is running and only in memory otherwise.
    Demo(PortalClient),
    /// A portal signed in through the browser; the library renews its tokens.
    Portal(Arc<sxadmin_client::session::Session>),
}

pub struct Session {
    pub source: Source,
    pub portal_url: String,
    pub me: Me,
    /// The keychain holds this sign-in, so the next start brings it back.
    pub remembered: bool,
}

impl Session {
    pub fn is_demo(&self) -> bool {
        matches!(self.source, Source::Demo(_))
    }
}

pub struct AppState {
    /// Settings and the demo portal's data live here.
    pub data_dir: PathBuf,
    pub secrets: Arc<dyn SecretStore>,
    pub session: tokio::sync::RwLock<Option<Session>>,
    pub demo: tokio::sync::Mutex<Option<DemoPortal>>,
    pub import: std::sync::Mutex<Option<PreparedImport>>,
    /// One row per file row of the last import that ran, for "Save results…".
    pub results: std::sync::Mutex<Vec<ResultRow>>,
    /// Set by "Cancel" while an import runs; the import stops between two batches.
    pub cancel: Arc<AtomicBool>,
    pub importing: AtomicBool,
}

impl AppState {
    pub fn new(data_dir: PathBuf, secrets: Arc<dyn SecretStore>) -> Self {
        AppState {
            data_dir,
            secrets,
            session: tokio::sync::RwLock::new(None),
            demo: tokio::sync::Mutex::new(None),
            import: std::sync::Mutex::new(None),
            results: std::sync::Mutex::new(Vec::new()),
            cancel: Arc::new(AtomicBool::new(false)),
            importing: AtomicBool::new(false),
        }
    }

    /// The data folder: `SXADMIN_DESKTOP_DATA` when set (tests use a fresh one each), or
    /// the user's data folder, as the client library decides for every front end.
    pub fn default_data_dir() -> AppResult<PathBuf> {
        Ok(Folders::of(FrontEnd::Desktop)?.data)
    }

    /// The app's folders: settings, import journals and the demo portal live there.
    pub fn folders(&self) -> Folders {
        Folders::at(&self.data_dir)
    }

    /// A client for the signed-in portal with a valid access token, or `not_signed_in`.
    pub async fn client(&self) -> AppResult<PortalClient> {
        let portal = match &self.session.read().await.as_ref().map(|s| &s.source) {
            None => return Err(AppError::NotSignedIn),
            Some(Source::Demo(client)) => return Ok(client.clone()),
            Some(Source::Portal(session)) => session.clone(),
        };
        Ok(portal.client().await?)
    }

    /// The signed-in account, whose interrupted imports the window may resume.
    pub async fn account(&self) -> AppResult<Id> {
        self.session
            .read()
            .await
            .as_ref()
            .map(|session| session.me.account.id)
            .ok_or(AppError::NotSignedIn)
    }

    pub fn lock_results(&self) -> AppResult<std::sync::MutexGuard<'_, Vec<ResultRow>>> {
        self.results.lock().map_err(|_| {
            AppError::Internal("the import results were damaged; restart SX Admin".into())
        })
    }

    pub fn lock_import(&self) -> AppResult<std::sync::MutexGuard<'_, Option<PreparedImport>>> {
        self.import.lock().map_err(|_| {
            AppError::Internal("the import state was damaged; restart SX Admin".into())
        })
    }
}
