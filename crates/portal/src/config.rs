//! Settings of a portal instance. Defaults are the production values; tests shorten the
//! timings and tighten the limits to exercise them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::domains::{StaticTxtRecords, TxtResolver};

#[derive(Clone, Debug)]
pub struct PortalConfig {
    /// The URL clients reach the portal at; `None` means the address it listens on.
    pub public_url: Option<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// How long an e-mailed one-time code and a sign-in page stay valid.
    pub sign_in_ttl: Duration,
    pub authorization_code_ttl: Duration,
    pub device_code_ttl: Duration,
    /// The smallest gap between two polls of the device token endpoint.
    pub device_poll_interval: Duration,
    /// Wrong entries a one-time code tolerates before it is void.
    pub code_attempts: u32,
    /// Failed sign-ins per account within an hour before sign-in is refused.
    pub failed_sign_ins_per_hour: u32,
    pub api_rate: RateLimit,
    /// Folder where the local mailer writes each message it "sends".
    pub outbox: Option<PathBuf>,
    /// Print one-time codes on standard output (local and demo use).
    pub print_codes: bool,
    /// OAuth client ids of the programs allowed to sign in (all public clients).
    pub clients: Vec<String>,
    pub resolver: Arc<dyn TxtResolver>,
}

/// A token bucket: `burst` requests at once, refilled at `per_second`.
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl Default for PortalConfig {
    fn default() -> Self {
        PortalConfig {
            public_url: None,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            sign_in_ttl: Duration::from_secs(10 * 60),
            authorization_code_ttl: Duration::from_secs(120),
            device_code_ttl: Duration::from_secs(10 * 60),
            device_poll_interval: Duration::from_secs(5),
            code_attempts: 5,
            failed_sign_ins_per_hour: 100,
            api_rate: RateLimit {
                per_second: 50.0,
                burst: 200,
            },
            outbox: None,
            print_codes: false,
            clients: vec!["sxadmin-cli".into(), "sxadmin-desktop".into()],
            resolver: Arc::new(StaticTxtRecords::default()),
        }
    }
}
