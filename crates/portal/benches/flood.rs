//! The demo portal under a flood from one address: 50,000 authorisation requests (one in
//! ten with a 3 KB `state`), 50,000 device authorisations and 50,000 invented bearer
//! tokens, 64 at a time, while a signed-in user asks for `/api/v1/me` every 25 ms (within
//! the 50 a second the API allows one user). The portal runs in a process of its own (this
//! binary, started again with `SXADMIN_FLOOD_SERVE` set), so its resident memory is
//! measured alone.
//!
//! Run: `cargo bench -p sxadmin-portal --bench flood`. Prints a Markdown table for
//! BENCHMARKS.md: once with the portal's default limits, once with the per-address rates
//! lifted so that the flood fills every map to its cap (the worst case for memory).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sxadmin_portal::{DemoServer, RateLimit};

const FLOOD: usize = 50_000;
const WORKERS: usize = 64;
const SERVE: &str = "SXADMIN_FLOOD_SERVE";
const UNLIMITED: &str = "SXADMIN_FLOOD_UNLIMITED";

/// The portal side: serve the demo and print its URL and a user's token.
async fn serve(folder: &str, unlimited: bool) {
    let mut config = sxadmin_portal::demo::demo_config();
    if unlimited {
        config.sign_in_rate = RateLimit {
            per_second: 1e9,
            burst: 1_000_000,
        };
    }
    let server = DemoServer::start(std::path::Path::new(folder), config)
        .await
        .unwrap();
    let token = server
        .token_for("camille.tremblay@demo.example")
        .await
        .unwrap();
    println!("{} {token}", server.url);
    server.wait().await.unwrap();
}

/// Resident and peak resident memory of a process, in kB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn flood(
    count: usize,
    make: impl Fn(usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
) -> usize {
    let make = Arc::new(make);
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..WORKERS {
        let make = make.clone();
        workers.spawn(async move {
            let mut refused = 0;
            for i in (worker..count).step_by(WORKERS) {
                let response = make(i).send().await.unwrap();
                if !response.status().is_success() {
                    refused += 1;
                }
                response.bytes().await.unwrap();
            }
            refused
        });
    }
    let mut refused = 0;
    while let Some(n) = workers.join_next().await {
        refused += n.unwrap();
    }
    refused
}

struct Portal {
    child: Child,
    url: String,
    token: String,
    _dir: tempfile::TempDir,
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn start_portal(unlimited: bool) -> Portal {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .env(SERVE, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if unlimited {
        command.env(UNLIMITED, "1");
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (url, token) = line.trim().split_once(' ').unwrap();
    Portal {
        url: url.to_owned(),
        token: token.to_owned(),
        child,
        _dir: dir,
    }
}

async fn scenario(name: &str, unlimited: bool) {
    let portal = start_portal(unlimited);
    let pid = portal.child.id();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let url = portal.url.clone();
    let user = format!("Bearer {}", portal.token);
    // Warm up: the user signs in and the pools open.
    for _ in 0..50 {
        let status = http
            .get(format!("{url}/api/v1/me"))
            .header("authorization", &user)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success());
    }
    let (before, _) = memory(pid);

    let flooding = Arc::new(AtomicBool::new(true));
    let user_task = {
        let (http, url, user, flooding) =
            (http.clone(), url.clone(), user.clone(), flooding.clone());
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_millis(25));
            let mut times = Vec::new();
            let mut failed = 0;
            while flooding.load(Ordering::Relaxed) {
                ticks.tick().await;
                let sent = Instant::now();
                let response = http
                    .get(format!("{url}/api/v1/me"))
                    .header("authorization", &user)
                    .send()
                    .await
                    .unwrap();
                if !response.status().is_success() {
                    failed += 1;
                }
                response.bytes().await.unwrap();
                times.push(sent.elapsed());
            }
            (times, failed)
        })
    };

    let started = Instant::now();
    let refused_authorize = {
        let (http, url) = (http.clone(), url.clone());
        flood(FLOOD, move |i| {
            let state = if i % 10 == 0 {
                "s".repeat(3 * 1024)
            } else {
                format!("{i:064}")
            };
            http.get(format!("{url}/oauth/authorize")).query(&[
                ("response_type", "code"),
                ("client_id", "sxadmin-cli"),
                ("redirect_uri", "http://127.0.0.1:1234/callback"),
                ("code_challenge", &"c".repeat(43)),
                ("code_challenge_method", "S256"),
                ("state", &state),
            ])
        })
        .await
    };
    let refused_devices = {
        let (http, url) = (http.clone(), url.clone());
        flood(FLOOD, move |_| {
            http.post(format!("{url}/oauth/device_authorization"))
                .form(&[("client_id", "sxadmin-cli")])
        })
        .await
    };
    let refused_tokens = {
        let (http, url) = (http.clone(), url.clone());
        flood(FLOOD, move |i| {
            http.get(format!("{url}/api/v1/me")).header(
                "authorization",
                format!("Bearer sxa_{:x}", Sha256::digest(i.to_le_bytes())),
            )
        })
        .await
    };
    let elapsed = started.elapsed();
    flooding.store(false, Ordering::Relaxed);
    let (mut times, failed) = user_task.await.unwrap();
    let (after, peak) = memory(pid);
    times.sort();

    println!(
        "| {name}: resident memory before → after the flood (peak) | {} → {} ({}) |",
        mb(before),
        mb(after),
        mb(peak)
    );
    println!(
        "| {name}: signed-in user's `GET /me` during the flood ({} requests, {failed} refused) | median {} · p99 {} · max {} |",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(times.last().copied().unwrap_or_default())
    );
    println!(
        "| {name}: flood of {} requests | {:.1} s, {:.0} requests/s; refused: authorize {refused_authorize}, device {refused_devices}, tokens {refused_tokens} |",
        3 * FLOOD,
        elapsed.as_secs_f64(),
        (3 * FLOOD) as f64 / elapsed.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    if let Ok(folder) = std::env::var(SERVE) {
        serve(&folder, std::env::var_os(UNLIMITED).is_some()).await;
        return;
    }
    println!("| measurement | result |");
    println!("|---|---|");
    scenario("default limits", false).await;
    scenario("sign-in rate lifted, maps filled to their caps", true).await;
}
