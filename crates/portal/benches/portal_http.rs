//! Portal throughput and latency over real HTTP on loopback, with a SQLite file:
//! batch creation of 10,000 users, then list latency on an account of 100,000 users.
//!
//! Run: `cargo bench -p sxadmin-portal --bench portal_http`. Prints a Markdown table for
//! BENCHMARKS.md.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use sxadmin_core::{BatchItem, BatchOperation, BatchResponse, NewUser, UserPage};
use sxadmin_portal::{DemoServer, PortalConfig, RateLimit};

const BATCH: usize = 1000;
const FIRST: usize = 10_000;
const TOTAL: usize = 100_000;
const SAMPLES: usize = 50;

fn batch_body(from: usize, to: usize) -> serde_json::Value {
    let items: Vec<BatchItem> = (from..to)
        .map(|i| BatchItem {
            idempotency_key: format!("bench-{i}"),
            operation: BatchOperation::Create(NewUser {
                email: format!("user{i:06}@demo.example"),
                first_name: format!("First{}", i % 977),
                last_name: format!("Last{}", (i * 7919) % 100_003),
                language: None,
                role: None,
            }),
        })
        .collect();
    serde_json::json!({ "items": items })
}

async fn create(client: &reqwest::Client, url: &str, token: &str, from: usize, to: usize) {
    let mut start = from;
    while start < to {
        let end = (start + BATCH).min(to);
        let request = client
            .post(format!("{url}/api/v1/users/batch"))
            .bearer_auth(token)
            .json(&batch_body(start, end));
        let response: BatchResponse = send_json(request).await;
        assert!(response.results.iter().all(|r| r.error.is_none()));
        start = end;
    }
}

/// Sends a request the portal must accept and decodes its JSON answer.
async fn send_json<T: serde::de::DeserializeOwned>(request: reqwest::RequestBuilder) -> T {
    request
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn get_page(client: &reqwest::Client, url: &str, token: &str) -> UserPage {
    send_json(client.get(url).bearer_auth(token)).await
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

async fn latency(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let page = get_page(client, &format!("{url}/api/v1/users?{query}"), token).await;
        times.push(started.elapsed());
        assert!(!page.items.is_empty());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let config = PortalConfig {
        api_rate: RateLimit {
            per_second: 1e9,
            burst: 1_000_000,
        },
        ..PortalConfig::default()
    };
    let portal = DemoServer::start(dir.path(), config).await.unwrap();
    let token = portal.admin_token().await.unwrap();
    let client = reqwest::Client::new();
    let url = portal.url.clone();

    let started = Instant::now();
    create(&client, &url, &token, 0, FIRST).await;
    let first = started.elapsed();
    let started = Instant::now();
    create(&client, &url, &token, FIRST, TOTAL).await;
    let rest = started.elapsed();

    // A cursor deep into the list: the page after user 90,000 by e-mail.
    let deep = get_page(
        &client,
        &format!("{url}/api/v1/users?limit=1000&search=user0899"),
        &token,
    )
    .await;
    assert!(deep.total > 0);
    let mut cursor = None;
    let mut page_url = format!("{url}/api/v1/users?limit=1000");
    for _ in 0..90 {
        let page: UserPage = client
            .get(&page_url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        cursor = page.next_cursor.clone();
        page_url = format!(
            "{url}/api/v1/users?limit=1000&cursor={}",
            cursor.clone().unwrap()
        );
    }
    let cursor = cursor.unwrap();

    println!("| measurement | result |");
    println!("|---|---|");
    println!(
        "| batch create, first {FIRST} users (batches of {BATCH}) | {:.0} users/s ({:.2} s) |",
        FIRST as f64 / first.as_secs_f64(),
        first.as_secs_f64()
    );
    println!(
        "| batch create, users {FIRST}–{TOTAL} | {:.0} users/s ({:.2} s) |",
        (TOTAL - FIRST) as f64 / rest.as_secs_f64(),
        rest.as_secs_f64()
    );
    for (name, query) in [
        ("first page, 100 by e-mail", "limit=100".to_owned()),
        (
            "page after row 90,000, 100 by e-mail",
            format!("limit=100&cursor={cursor}"),
        ),
        (
            "first page, 100 by last name, descending",
            "limit=100&sort=last_name&order=desc".to_owned(),
        ),
        (
            "search \"last4242\", 100 rows",
            "limit=100&search=last4242".to_owned(),
        ),
    ] {
        let (p50, p95) = latency(&client, &url, &token, &query).await;
        println!(
            "| list users on {TOTAL}: {name} | median {} · p95 {} |",
            ms(p50),
            ms(p95)
        );
    }
}
