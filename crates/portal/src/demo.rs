//! The demo account that `sxadmin portal serve --demo` and the desktop's demo seed, so that
//! a new user can try every screen at once, and [`DemoServer`], the one way to start a
//! portal serving it. Seeding is idempotent: a second start finds the account and leaves it
//! (and whatever was changed in it) as it is.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sxadmin_core::{Account, LicenceTier, NewUser, Role};

use crate::app::RunningPortal;
use crate::config::PortalConfig;
use crate::domains::ApproveEverything;
use crate::store::{Actor, Store, StoreError, StoreResult};

pub const DEMO_ACCOUNT: &str = "Demo Inc.";
pub const DEMO_ADMIN: &str = "admin@demo.example";
pub const DEMO_DOMAIN: &str = "demo.example";

const STANDARD_USERS: &[(&str, &str, &str)] = &[
    ("camille.tremblay@demo.example", "Camille", "Tremblay"),
    ("noah.gagnon@demo.example", "Noah", "Gagnon"),
    ("lea.roy@demo.example", "Léa", "Roy"),
    ("liam.cote@demo.example", "Liam", "Côté"),
    ("emma.bouchard@demo.example", "Emma", "Bouchard"),
];

/// Creates the demo account if it does not exist; returns it and whether it was created now.
pub async fn seed(store: &dyn Store) -> StoreResult<(Account, bool)> {
    if let Some(account) = store.account_by_name(DEMO_ACCOUNT).await? {
        return Ok((account, false));
    }
    let account = store.create_account(DEMO_ACCOUNT).await?;
    let actor = Actor::system("portal-demo");
    let domain = store
        .request_domain(
            account.id,
            &actor,
            DEMO_DOMAIN,
            &crate::secrets::new_token(""),
        )
        .await?;
    store.approve_domain(account.id, &actor, domain.id).await?;
    store
        .create_user(
            account.id,
            &actor,
            &NewUser {
                email: DEMO_ADMIN.into(),
                first_name: "Alex".into(),
                last_name: "Morin".into(),
                language: None,
                role: Some(Role::Administrator),
            },
        )
        .await?;
    for (email, first, last) in STANDARD_USERS {
        store
            .create_user(
                account.id,
                &actor,
                &NewUser {
                    email: (*email).into(),
                    first_name: (*first).into(),
                    last_name: (*last).into(),
                    ..NewUser::default()
                },
            )
            .await?;
    }
    for (tier, count) in [
        (LicenceTier::Eco, 10),
        (LicenceTier::Advanced, 5),
        (LicenceTier::Pro, 2),
    ] {
        store
            .purchase_licences(account.id, &actor, tier, count)
            .await?;
    }
    Ok((account, true))
}

/// Why a demo portal could not start or issue a token.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("cannot create the demo portal's folder {}: {source}", path.display())]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the demo portal's database {url}: {source}")]
    Database { url: String, source: StoreError },
    #[error("cannot create the demo account: {0}")]
    Seed(StoreError),
    #[error("cannot listen on {addr}: {source}; choose another address")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot issue an API token for {email}: {source}")]
    Token { email: String, source: StoreError },
    #[error("the demo portal stopped: {0}")]
    Stopped(String),
}

impl DemoError {
    /// A stable name for the kind of failure, for programs that react to it.
    pub fn code(&self) -> &'static str {
        match self {
            DemoError::Folder { .. } => "demo_folder",
            DemoError::Database { .. } => "demo_database",
            DemoError::Seed(_) => "demo_seed",
            DemoError::Listen { .. } => "demo_listen",
            DemoError::Token { .. } => "demo_token",
            DemoError::Stopped(_) => "demo_stopped",
        }
    }

    /// What to tell a person: the failure and, where there is one, what to do about it.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

/// The settings a demo portal runs with when nothing else is asked for: the defaults, with
/// every requested domain approved on verification, since a demo has no DNS to publish to.
pub fn demo_config() -> PortalConfig {
    PortalConfig {
        resolver: Arc::new(ApproveEverything),
        ..PortalConfig::default()
    }
}

/// The demo account's portal serving in the background from a folder of its own: the
/// desktop's "Try the demo portal", `sxadmin portal serve --demo` and every test harness
/// start it the same way. Dropping it stops the server; the folder and what was changed in
/// the demo stay.
pub struct DemoServer {
    /// The portal's base URL, without a trailing slash.
    pub url: String,
    pub addr: SocketAddr,
    /// `sqlite://` URL of the demo database (`folder/portal.sqlite`).
    pub database_url: String,
    /// Where the portal writes the e-mails it "sends" (sign-in codes).
    pub outbox: PathBuf,
    pub account: Account,
    /// Whether this start created the demo account (false when the database had it).
    pub created: bool,
    store: Arc<dyn Store>,
    running: RunningPortal,
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoServer")
            .field("url", &self.url)
            .field("database_url", &self.database_url)
            .finish_non_exhaustive()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.running.task.abort();
    }
}

impl DemoServer {
    /// Opens (or creates) `folder/portal.sqlite`, seeds the demo account if it is missing
    /// and serves it on 127.0.0.1 on a free port. The outbox is `config.outbox` when set,
    /// otherwise `folder/outbox`.
    pub async fn start(folder: &Path, config: PortalConfig) -> Result<DemoServer, DemoError> {
        Self::start_on(folder, config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// [`DemoServer::start`] on a chosen address.
    pub async fn start_on(
        folder: &Path,
        config: PortalConfig,
        addr: SocketAddr,
    ) -> Result<DemoServer, DemoError> {
        std::fs::create_dir_all(folder).map_err(|source| DemoError::Folder {
            path: folder.to_owned(),
            source,
        })?;
        let database_url = format!("sqlite://{}", folder.join("portal.sqlite").display());
        let store =
            crate::store::open(&database_url)
                .await
                .map_err(|source| DemoError::Database {
                    url: database_url.clone(),
                    source,
                })?;
        let (account, created) = seed(store.as_ref()).await.map_err(DemoError::Seed)?;
        let outbox = config
            .outbox
            .clone()
            .unwrap_or_else(|| folder.join("outbox"));
        let config = PortalConfig {
            outbox: Some(outbox.clone()),
            ..config
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| DemoError::Listen { addr, source })?;
        let running = crate::app::start(listener, store.clone(), config)
            .await
            .map_err(|source| DemoError::Listen { addr, source })?;
        Ok(DemoServer {
            url: running.url.clone(),
            addr: running.addr,
            database_url,
            outbox,
            account,
            created,
            store,
            running,
        })
    }

    /// The portal's storage, for arranging what a test needs or a program inspects.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The running portal's state: how full its in-memory maps are, and their sweep.
    pub fn state(&self) -> &crate::app::AppState {
        &self.running.state
    }

    /// A new personal API token of the demo administrator. The demo has no mailbox to
    /// receive a one-time code, so whoever owns its database issues the token itself.
    pub async fn admin_token(&self) -> Result<String, DemoError> {
        self.token_for(DEMO_ADMIN).await
    }

    /// A new personal API token of any user of the portal.
    pub async fn token_for(&self, email: &str) -> Result<String, DemoError> {
        crate::mint_personal_token(self.store.as_ref(), email)
            .await
            .map_err(|source| DemoError::Token {
                email: email.to_owned(),
                source,
            })
    }

    /// Serves until the server stops by itself (it does not, unless it fails).
    pub async fn wait(mut self) -> Result<(), DemoError> {
        match (&mut self.running.task).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(DemoError::Stopped(error.to_string())),
            Err(error) => Err(DemoError::Stopped(error.to_string())),
        }
    }
}
