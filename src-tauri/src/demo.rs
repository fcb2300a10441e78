//! "Try the demo portal": the reference portal, seeded with the "Demo Inc." account, run
//! inside the app on a loopback port with its own SQLite file in the app's data folder.
//! Changes made in the demo stay in that file, so the demo survives restarts too.
//! Builds without the `demo` feature carry no portal: the demo then answers
//! `demo_unavailable`.

use std::path::{Path, PathBuf};

pub fn demo_folder(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-portal")
}

#[cfg(not(feature = "demo"))]
pub use absent::DemoPortal;
#[cfg(feature = "demo")]
pub use embedded::DemoPortal;

#[cfg(not(feature = "demo"))]
mod absent {
    use std::path::Path;

    use crate::error::{AppError, AppResult};

    /// Never started: this build has no portal to run.
    #[derive(Debug)]
    pub struct DemoPortal {
        pub url: String,
    }

    impl DemoPortal {
        pub async fn start(_data_dir: &Path) -> AppResult<DemoPortal> {
            Err(AppError::DemoUnavailable)
        }

        pub async fn admin_token(&self) -> AppResult<String> {
            Err(AppError::DemoUnavailable)
        }
    }

    #[cfg(test)]
    mod tests {
        #[tokio::test]
        async fn the_demo_says_this_build_has_none() {
            let error = super::DemoPortal::start(std::path::Path::new("."))
                .await
                .expect_err("no demo in this build");
            assert_eq!(
                error.code(),
                crate::error::DesktopCode::DemoUnavailable.into()
            );
            assert!(error.to_string().contains("no demo portal"));
        }
    }
}

#[cfg(feature = "demo")]
mod embedded {
    use std::path::Path;
    use std::sync::Arc;

    use sxadmin_portal::domains::ApproveEverything;
    use sxadmin_portal::{PortalConfig, RunningPortal, Store};

    use super::demo_folder;
    use crate::error::{AppError, AppResult};

    /// A demo portal serving in the background; dropping it stops the server.
    pub struct DemoPortal {
        pub url: String,
        store: Arc<dyn Store>,
        running: RunningPortal,
    }

    impl std::fmt::Debug for DemoPortal {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("DemoPortal")
                .field("url", &self.url)
                .finish()
        }
    }

    impl Drop for DemoPortal {
        fn drop(&mut self) {
            self.running.task.abort();
        }
    }

    impl DemoPortal {
        /// Opens (or creates and seeds) the demo database and serves it on 127.0.0.1.
        pub async fn start(data_dir: &Path) -> AppResult<DemoPortal> {
            let folder = demo_folder(data_dir);
            std::fs::create_dir_all(&folder).map_err(|e| {
                AppError::Demo(format!(
                    "cannot create the folder {}: {e}",
                    folder.display()
                ))
            })?;
            let database = format!("sqlite://{}", folder.join("portal.sqlite").display());
            let store = sxadmin_portal::open(&database)
                .await
                .map_err(|e| AppError::Demo(format!("cannot open its database: {e}")))?;
            sxadmin_portal::demo::seed(store.as_ref())
                .await
                .map_err(|e| AppError::Demo(format!("cannot create the demo account: {e}")))?;
            let config = PortalConfig {
                outbox: Some(folder.join("outbox")),
                resolver: Arc::new(ApproveEverything),
                ..PortalConfig::default()
            };
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| AppError::Demo(format!("cannot listen on 127.0.0.1: {e}")))?;
            let running = sxadmin_portal::start(listener, store.clone(), config)
                .await
                .map_err(|e| AppError::Demo(e.to_string()))?;
            Ok(DemoPortal {
                url: running.url.clone(),
                store,
                running,
            })
        }

        /// A new API token for the demo administrator. The demo has no e-mail to receive a
        /// one-time code, so the app, which owns the demo's database, issues the token itself.
        pub async fn admin_token(&self) -> AppResult<String> {
            sxadmin_portal::mint_personal_token(
                self.store.as_ref(),
                sxadmin_portal::demo::DEMO_ADMIN,
            )
            .await
            .map_err(|e| AppError::Demo(format!("cannot sign in the demo administrator: {e}")))
        }
    }
}
