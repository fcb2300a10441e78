//! A flood from one address: 50,000 authorisation requests, 50,000 device authorisations
//! and 50,000 invented bearer tokens, sent concurrently over loopback. The portal's
//! in-memory maps must stay within their caps and a signed-in user must keep being
//! answered, during the flood and after it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use sxadmin_portal::{DemoServer, MemoryCaps, PortalConfig, RateLimit};
use tempfile::TempDir;

use crate::harness::{CAMILLE, CLIENT_ID, REDIRECT_URI};

/// Requests of each kind, as the issue measured them.
const FLOOD: usize = 50_000;
/// Requests in flight at once.
const WORKERS: usize = 32;
/// One authorisation request in this many carries a 3 KB `state`.
const LONG_STATE_EVERY: usize = 10;
/// The whole flood must be over within this: a portal that stalls under it fails. An
/// unoptimised build on two busy cores needs about 100 s; a release build 14 s.
const FLOOD_BUDGET: Duration = Duration::from_secs(300);

/// A demo portal of its own, with the handle to its state that the assertions read.
pub struct Server {
    pub server: DemoServer,
    pub http: reqwest::Client,
    _dir: TempDir,
}

impl Server {
    pub async fn start(config: PortalConfig) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let server = DemoServer::start(dir.path(), config).await.unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Server {
            server,
            http,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url)
    }

    /// `GET /oauth/authorize` as the CLI sends it, with `state`.
    pub fn authorize(&self, state: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url("/oauth/authorize")).query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("code_challenge", &"c".repeat(43)),
            ("code_challenge_method", "S256"),
            ("state", state),
        ])
    }

    pub fn device_authorization(&self) -> reqwest::RequestBuilder {
        self.http
            .post(self.url("/oauth/device_authorization"))
            .form(&[("client_id", CLIENT_ID)])
    }

    pub fn me(&self, authorization: &str) -> reqwest::RequestBuilder {
        self.http
            .get(self.url("/api/v1/me"))
            .header("authorization", authorization)
    }
}

/// A token-shaped string no portal issued.
pub fn invented_token(i: usize) -> String {
    format!("sxa_{:x}", Sha256::digest(i.to_le_bytes()))
}

/// Sends `count` requests built by `make`, `WORKERS` at a time, and counts the answers by
/// status. Fails once `deadline` has passed, so a portal that stalls cannot hang the test.
async fn flood(
    count: usize,
    deadline: Instant,
    make: impl Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> Vec<(StatusCode, usize)> {
    let make = Arc::new(make);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..WORKERS {
        let make = make.clone();
        workers.spawn(async move {
            let mut statuses = Vec::new();
            for i in (worker..count).step_by(WORKERS) {
                assert!(Instant::now() < deadline, "the flood overran its budget");
                let response = make(i).send().await.unwrap();
                statuses.push(response.status());
                // Read the body so the connection goes back to the pool.
                response.bytes().await.unwrap();
            }
            statuses
        });
    }
    let mut tally: Vec<(StatusCode, usize)> = Vec::new();
    while let Some(statuses) = workers.join_next().await {
        for status in statuses.unwrap() {
            match tally.iter_mut().find(|(s, _)| *s == status) {
                Some((_, n)) => *n += 1,
                None => tally.push((status, 1)),
            }
        }
    }
    tally
}

fn count(tally: &[(StatusCode, usize)], status: StatusCode) -> usize {
    tally
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |(_, n)| *n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_stays_within_the_caps_and_users_keep_being_answered() {
    let caps = MemoryCaps {
        flows: 2_000,
        codes: 2_000,
        devices: 2_000,
        buckets: 1_000,
    };
    let portal = Arc::new(
        Server::start(PortalConfig {
            // The caps are under test here, so the per-address sign-in rate lets the
            // flood reach them; the rate has its own test.
            sign_in_rate: RateLimit {
                per_second: 1e9,
                burst: 1_000_000,
            },
            caps,
            ..PortalConfig::default()
        })
        .await,
    );
    let user = format!("Bearer {}", portal.server.token_for(CAMILLE).await.unwrap());
    let started = Instant::now();
    let deadline = started + FLOOD_BUDGET;

    // The signed-in user works on, twenty requests a second, from the same address.
    let flooding = Arc::new(AtomicBool::new(true));
    let user_task = {
        let (portal, user, flooding) = (portal.clone(), user.clone(), flooding.clone());
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(50));
            let mut answers = Vec::new();
            while flooding.load(Ordering::Relaxed) {
                ticks.tick().await;
                let sent = Instant::now();
                let status = portal.me(&user).send().await.unwrap().status();
                answers.push((status, sent.elapsed()));
            }
            answers
        })
    };

    let authorize = {
        let portal = portal.clone();
        flood(FLOOD, deadline, move |i| {
            let state = if i % LONG_STATE_EVERY == 0 {
                "s".repeat(3 * 1024)
            } else {
                format!("{i:064}")
            };
            portal.authorize(&state)
        })
        .await
    };
    let long = FLOOD.div_ceil(LONG_STATE_EVERY);
    assert_eq!(
        count(&authorize, StatusCode::BAD_REQUEST),
        long,
        "every 3 KB state is refused: {authorize:?}"
    );
    assert_eq!(
        count(&authorize, StatusCode::OK),
        caps.flows,
        "{authorize:?}"
    );
    assert_eq!(
        count(&authorize, StatusCode::SERVICE_UNAVAILABLE),
        FLOOD - long - caps.flows,
        "past the cap, new sign-ins are refused: {authorize:?}"
    );

    let devices = {
        let portal = portal.clone();
        flood(FLOOD, deadline, move |_| portal.device_authorization()).await
    };
    assert_eq!(count(&devices, StatusCode::OK), caps.devices, "{devices:?}");
    assert_eq!(
        count(&devices, StatusCode::SERVICE_UNAVAILABLE),
        FLOOD - caps.devices,
        "{devices:?}"
    );

    let bearers = {
        let portal = portal.clone();
        flood(FLOOD, deadline, move |i| {
            let scheme = ["Bearer", "bearer", "BEARER", "bEaReR"][i % 4];
            portal.me(&format!("{scheme} {}", invented_token(i)))
        })
        .await
    };
    assert_eq!(
        count(&bearers, StatusCode::UNAUTHORIZED) + count(&bearers, StatusCode::TOO_MANY_REQUESTS),
        FLOOD,
        "no invented token is let in: {bearers:?}"
    );
    assert!(
        count(&bearers, StatusCode::TOO_MANY_REQUESTS) > 0,
        "invented tokens count against their address: {bearers:?}"
    );

    flooding.store(false, Ordering::Relaxed);
    let during = user_task.await.unwrap();
    let flood_time = started.elapsed();

    let memory = portal.server.state().memory();
    assert_eq!(memory.sign_in.flows, caps.flows, "{memory:?}");
    assert_eq!(memory.sign_in.devices, caps.devices, "{memory:?}");
    assert!(memory.sign_in.codes <= caps.codes, "{memory:?}");
    assert!(
        memory.api_buckets <= 2,
        "one bucket for the address and one for the user, whatever the tokens: {memory:?}"
    );
    assert!(memory.sign_in_buckets <= 1, "{memory:?}");

    assert!(
        during.len() >= 10,
        "the user kept working through the flood ({} requests in {flood_time:?})",
        during.len()
    );
    let refused: Vec<_> = during
        .iter()
        .filter(|(status, _)| *status != StatusCode::OK)
        .collect();
    assert!(
        refused.is_empty(),
        "every request of the user was answered: {refused:?}"
    );
    // And after the flood.
    assert_eq!(
        portal.me(&user).send().await.unwrap().status(),
        StatusCode::OK
    );
    println!(
        "flood of {} requests took {flood_time:?}; the user made {} requests meanwhile",
        3 * FLOOD,
        during.len()
    );
}
