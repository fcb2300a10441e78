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
    /// Codes sent and wrong codes accepted per e-mail address and per client address.
    pub sign_in_limits: crate::oauth::SignInLimits,
    /// Failed sign-ins per account within an hour before sign-in is refused.
    pub failed_sign_ins_per_hour: u32,
    /// API requests per signed-in user, and per client address for requests that are not
    /// (yet) authenticated.
    pub api_rate: RateLimit,
    /// Requests per client address to the sign-in pages and OAuth endpoints (`/oauth/…`,
    /// `/signin/…`, `/device`).
    pub sign_in_rate: RateLimit,
    /// How many of each kind of thing the portal keeps in memory.
    pub caps: MemoryCaps,
    /// How often expired sign-ins, codes and idle rate buckets are removed.
    pub sweep_interval: Duration,
    /// Take the client address from the last `X-Forwarded-For` entry, as added by a reverse
    /// proxy in front of the portal. Off by default: without such a proxy, the header is
    /// whatever the client wants its address to be.
    pub trust_forwarded_for: bool,
    /// Folder where the development mailer writes each message it "sends"; `None` writes
    /// nothing. Only a demo or an explicitly chosen development mailer sets it.
    pub outbox: Option<PathBuf>,
    /// Print one-time codes on standard output (demo and development mailer only).
    pub print_codes: bool,
    /// OAuth client ids of the programs allowed to sign in (all public clients).
    pub clients: Vec<String>,
    pub resolver: Arc<dyn TxtResolver>,
}

/// Upper bounds of the portal's in-memory maps. Each is sized so that a full map is a few
/// megabytes at most, since every string an entry holds is length-limited.
#[derive(Clone, Copy, Debug)]
pub struct MemoryCaps {
    /// Sign-ins in progress (pages opened, codes sent, second factors asked).
    pub flows: usize,
    /// Authorisation codes waiting to be exchanged, or remembered to detect a replay.
    pub codes: usize,
    /// Device sign-ins waiting for their user.
    pub devices: usize,
    /// Rate buckets of each limiter (callers and client addresses).
    pub buckets: usize,
}

impl Default for MemoryCaps {
    fn default() -> Self {
        MemoryCaps {
            flows: 10_000,
            codes: 10_000,
            devices: 10_000,
            buckets: 100_000,
        }
    }
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
            sign_in_limits: crate::oauth::SignInLimits::default(),
            failed_sign_ins_per_hour: 100,
            api_rate: RateLimit {
                per_second: 50.0,
                burst: 200,
            },
            // One address gets 60 at once and one every two seconds after: a person signing
            // in needs five or six; filling the sign-in cap within a sign-in's lifetime
            // (10 minutes) takes nearly thirty addresses.
            sign_in_rate: RateLimit {
                per_second: 0.5,
                burst: 60,
            },
            caps: MemoryCaps::default(),
            sweep_interval: Duration::from_secs(30),
            trust_forwarded_for: false,
            outbox: None,
            print_codes: false,
            clients: vec!["sxadmin-cli".into(), "sxadmin-desktop".into()],
            resolver: Arc::new(StaticTxtRecords::default()),
        }
    }
}
