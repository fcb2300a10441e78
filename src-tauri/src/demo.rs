//! "Try the demo portal": the reference portal, seeded with the "Demo Inc." account, run
//! inside the app on a loopback port with its own SQLite file in the app's data folder.
//! Changes made in the demo stay in that file, so the demo survives restarts too.
//! Builds without the `demo` feature carry no portal: the demo then answers
//! `demo_unavailable`.

use std::path::{Path, PathBuf};

use sxadmin_client::folders::Folders;

pub fn demo_folder(data_dir: &Path) -> PathBuf {
    Folders::at(data_dir).demo_portal()
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

    use sxadmin_portal::demo::{demo_config, DemoServer};

    use super::demo_folder;
    use crate::error::{AppError, AppResult};

    /// The portal's own demo starter, in the app's data folder; dropping it stops the
    /// server.
    #[derive(Debug)]
    pub struct DemoPortal {
        pub url: String,
        server: DemoServer,
    }

    impl DemoPortal {
        /// Opens (or creates and seeds) the demo database and serves it on 127.0.0.1.
        pub async fn start(data_dir: &Path) -> AppResult<DemoPortal> {
            let server = DemoServer::start(&demo_folder(data_dir), demo_config())
                .await
                .map_err(|error| AppError::Demo(error.message()))?;
            Ok(DemoPortal {
                url: server.url.clone(),
                server,
            })
        }

        /// A new API token for the demo administrator.
        pub async fn admin_token(&self) -> AppResult<String> {
            self.server
                .admin_token()
                .await
                .map_err(|error| AppError::Demo(error.message()))
        }
    }
}
