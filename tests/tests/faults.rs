//! Imports through a proxy that breaks things between the client and the real portal:
//! whatever fails on the way, the portal ends with every valid row exactly once and the
//! results say what happened to every row.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use sxadmin_client::core::csv::plan::build_plan;
use sxadmin_client::core::csv::{read, ReadOptions};
use sxadmin_client::core::{BatchOutcome, LicenceTier};
use sxadmin_client::import::{self, ApplyOptions, Outcome};
use sxadmin_client::secrets::{MemorySecrets, SecretStore};
use sxadmin_client::session::{secret_name, Session};
use sxadmin_client::{PortalClient, PortalUrl, RetryPolicy, UserListQuery};
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::DemoPortal;
use sxadmin_tests::proxy::{Fault, FaultProxy};

const VALID_ROWS: usize = 60;
const LICENSED_ROWS: usize = 6;

type Portal = DemoPortal;

async fn start_portal() -> Portal {
    DemoPortal::start(PortalConfig {
        device_poll_interval: Duration::ZERO,
        ..PortalConfig::default()
    })
    .await
}

/// 60 new users (the first 6 with an eco licence) and 2 rows the plan refuses.
fn users_csv() -> Vec<u8> {
    let mut text = String::from("email,first_name,last_name,role,language,licence\n");
    for n in 0..VALID_ROWS {
        let licence = if n < LICENSED_ROWS { "eco" } else { "" };
        text.push_str(&format!(
            "person{n}@demo.example,Person,Number {n},user,en,{licence}\n"
        ));
    }
    text.push_str("not-an-address,Bad,Row,user,en,\n");
    text.push_str("someone@unapproved.example,Wrong,Domain,user,en,\n");
    text.into_bytes()
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        attempts: 8,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(5),
        timeout: Duration::from_millis(1500),
    }
}

/// A client that talks to the portal without the proxy.
fn direct_client(portal: &Portal) -> PortalClient {
    PortalClient::new(
        PortalUrl::parse(&portal.url).unwrap(),
        portal.admin_token.clone(),
    )
    .unwrap()
}

/// Plans the file against the portal directly, then applies it through `client`.
async fn import_through(portal: &Portal, client: &PortalClient) -> Outcome {
    let direct = direct_client(portal);
    let bytes = users_csv();
    let file = read(&bytes, &ReadOptions::default()).unwrap();
    let snapshot = import::snapshot(&direct).await.unwrap();
    let plan = build_plan(&file, &snapshot);
    assert_eq!(plan.summary.create, VALID_ROWS);
    let account = direct.me().await.unwrap().account.id;
    let scope = import::key_scope(account, &import::file_digest(&bytes));
    import::apply(
        client,
        &plan,
        &scope,
        &ApplyOptions {
            batch_size: 10,
            concurrency: 2,
        },
        &AtomicBool::new(false),
        |_| {},
    )
    .await
}

/// Every valid row is on the portal once, with its licence, and every row of the file has
/// its result.
async fn assert_imported_once(portal: &Portal, outcome: &Outcome) {
    assert_eq!(outcome.stopped, None, "{:?}", outcome.results);
    assert_eq!(outcome.results.len(), VALID_ROWS + 2);
    let lines: Vec<u64> = outcome.results.iter().map(|r| r.line).collect();
    assert_eq!(lines, (2..(VALID_ROWS as u64 + 4)).collect::<Vec<_>>());
    for row in &outcome.results[..VALID_ROWS] {
        assert_eq!(row.outcome, BatchOutcome::Created, "{row:?}");
    }
    for row in &outcome.results[VALID_ROWS..] {
        assert_eq!(row.outcome, BatchOutcome::Error);
        assert!(!row.message.is_empty());
    }
    assert_eq!(outcome.progress.created, VALID_ROWS);
    assert_eq!(outcome.progress.failed, 2);

    let direct = direct_client(portal);
    let page = direct
        .list_users(&UserListQuery {
            search: Some("person".into()),
            limit: Some(1000),
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total as usize, VALID_ROWS);
    let mut emails: Vec<&str> = page.items.iter().map(|u| u.email.as_str()).collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), VALID_ROWS);
    let licensed = page
        .items
        .iter()
        .filter(|u| u.licence.as_ref().map(|l| l.tier) == Some(LicenceTier::Eco))
        .count();
    assert_eq!(licensed, LICENSED_ROWS);
    let pool = direct.licence_pool().await.unwrap();
    let eco = pool
        .tiers
        .iter()
        .find(|t| t.tier == LicenceTier::Eco)
        .unwrap();
    assert_eq!(eco.available, 10 - LICENSED_ROWS as i64);
}

async fn proxied_client(portal: &Portal, proxy: &FaultProxy) -> PortalClient {
    PortalClient::new(
        PortalUrl::parse(&proxy.url).unwrap(),
        portal.admin_token.clone(),
    )
    .unwrap()
    .with_retry_policy(quick_retries())
}

/// Imports the file through a proxy that applies `faults` to requests under `prefix`,
/// and checks that every row was imported once.
async fn import_with_faults(prefix: &str, faults: Vec<Fault>) -> FaultProxy {
    let portal = start_portal().await;
    let proxy = FaultProxy::start(&portal.url, prefix, faults)
        .await
        .unwrap();
    let outcome = import_through(&portal, &proxied_client(&portal, &proxy).await).await;
    assert_imported_once(&portal, &outcome).await;
    proxy
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried() {
    let faults = vec![
        Fault::ServerError,
        Fault::ServerError,
        Fault::Pass,
        Fault::ServerError,
    ];
    let proxy = import_with_faults("/api/v1/users/batch", faults).await;
    let errors = proxy
        .log()
        .iter()
        .filter(|(fault, _)| *fault == Fault::ServerError)
        .count();
    assert_eq!(errors, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_is_retried_after_the_time_the_portal_asked_for() {
    let portal = start_portal().await;
    let proxy = FaultProxy::start(
        &portal.url,
        "/api/v1/users/batch",
        vec![Fault::TooManyRequests(1)],
    )
    .await
    .unwrap();
    let client = proxied_client(&portal, &proxy)
        .await
        .with_retry_policy(RetryPolicy {
            // One batch at a time, so the retry is the next request the proxy sees.
            ..quick_retries()
        });
    let direct = direct_client(&portal);
    let bytes = users_csv();
    let file = read(&bytes, &ReadOptions::default()).unwrap();
    let plan = build_plan(&file, &import::snapshot(&direct).await.unwrap());
    let outcome = import::apply(
        &client,
        &plan,
        "retry-after",
        &ApplyOptions {
            batch_size: 10,
            concurrency: 1,
        },
        &AtomicBool::new(false),
        |_| {},
    )
    .await;
    assert_imported_once(&portal, &outcome).await;
    let log = proxy.log();
    assert_eq!(log[0].0, Fault::TooManyRequests(1));
    let waited = log[1].1.duration_since(log[0].1);
    assert!(
        waited >= Duration::from_secs(1),
        "the retry came {waited:?} after the 429"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_and_lost_answers_create_nothing_twice() {
    let faults = vec![
        Fault::Drop,
        Fault::LoseAnswer,
        Fault::Pass,
        Fault::LoseAnswer,
        Fault::Drop,
        Fault::LoseAnswer,
    ];
    let proxy = import_with_faults("/api/v1/users/batch", faults).await;
    // Three batches reached the portal whose answers never came back.
    assert!(proxy.forwarded() >= 6 + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_to_licence_assignments_are_checked_not_repeated() {
    // Every request under /api/v1/users: batches and licence assignments alike.
    let faults: Vec<Fault> = (0..40)
        .map(|n| {
            if n % 2 == 0 {
                Fault::LoseAnswer
            } else {
                Fault::Pass
            }
        })
        .collect();
    let proxy = import_with_faults("/api/v1/users/", faults).await;
    // Licence requests were among those whose answers were lost.
    assert!(proxy.forwarded() > 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_time_out_and_are_retried() {
    let faults = vec![
        Fault::Slow(Duration::from_secs(4)),
        Fault::Pass,
        Fault::Slow(Duration::from_secs(4)),
    ];
    let proxy = import_with_faults("/api/v1/users/batch", faults).await;
    let slow = proxy
        .log()
        .iter()
        .filter(|(fault, _)| matches!(fault, Fault::Slow(_)))
        .count();
    assert_eq!(slow, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_renewed_in_the_middle_of_an_import() {
    let portal = start_portal().await;
    let faults = vec![
        Fault::Pass,
        Fault::ExpiredToken,
        Fault::Pass,
        Fault::ExpiredToken,
    ];
    let proxy = FaultProxy::start(&portal.url, "/api/v1/users/batch", faults)
        .await
        .unwrap();
    let secrets = Arc::new(MemorySecrets::default());
    let proxied = PortalUrl::parse(&proxy.url).unwrap();
    let (code_tx, code_rx) = tokio::sync::oneshot::channel();
    let sign_in =
        Session::sign_in_with_device(proxied.clone(), "sxadmin-cli", secrets.clone(), |code| {
            code_tx.send(code.user_code.clone()).unwrap();
        });
    let approve = async {
        let code = code_rx.await.unwrap();
        portal.approve_device(&code).await;
    };
    let (session, ()) = tokio::join!(sign_in, approve);
    let session = session.unwrap();
    let name = secret_name(&proxied, "sxadmin-cli");
    let first_refresh = secrets.get(&name).unwrap().unwrap();

    let client = session
        .client()
        .await
        .unwrap()
        .with_retry_policy(quick_retries());
    let outcome = import_through(&portal, &client).await;
    assert_imported_once(&portal, &outcome).await;
    // The refresh token rotated: the access token was renewed through it.
    assert_ne!(secrets.get(&name).unwrap().unwrap(), first_refresh);
}
