//! 10,000 users imported end to end into a local portal (file bytes read, validated,
//! planned against the portal, applied in concurrent batches), against creating the same
//! number of users one request each, in sequence, in the same run.
//!
//! `cargo bench -p sxadmin-tests --bench import_end_to_end`

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{ensure, Context};
use sxadmin_client::core::csv::plan::build_plan;
use sxadmin_client::core::csv::{read, ReadOptions};
use sxadmin_client::core::NewUser;
use sxadmin_client::import::{self, ApplyOptions};
use sxadmin_client::{PortalClient, PortalUrl};
use sxadmin_portal::config::RateLimit;
use sxadmin_portal::PortalConfig;

const USERS: usize = 10_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let store = sxadmin_portal::open(&format!(
        "sqlite://{}",
        dir.path().join("portal.sqlite").display()
    ))
    .await?;
    sxadmin_portal::demo::seed(store.as_ref()).await?;
    let token = sxadmin_portal::mint_personal_token(store.as_ref(), "admin@demo.example").await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    // The per-token rate limit is lifted so that both runs measure the portal and the
    // client, not the limiter.
    let config = PortalConfig {
        api_rate: RateLimit {
            per_second: 1e9,
            burst: u32::MAX,
        },
        ..PortalConfig::default()
    };
    let portal = sxadmin_portal::start(listener, store, config).await?;
    let client = PortalClient::new(PortalUrl::parse(&portal.url)?, token)?;

    let mut csv = String::from("email,first_name,last_name,role,language,licence\n");
    for n in 0..USERS {
        csv.push_str(&format!(
            "import{n}@demo.example,Prénom{n},Nom {n},user,fr,\n"
        ));
    }
    let bytes = csv.into_bytes();

    let started = Instant::now();
    let file = read(&bytes, &ReadOptions::default()).context("reading the file")?;
    let snapshot = import::snapshot(&client).await?;
    let plan = build_plan(&file, &snapshot);
    let account = client.me().await?.account.id;
    let scope = import::key_scope(account, &import::file_digest(&bytes));
    let outcome = import::apply(
        &client,
        &plan,
        &scope,
        &ApplyOptions::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .await;
    let batched = started.elapsed();
    ensure!(
        outcome.progress.created == USERS,
        "the import created {} users, not {USERS}: {:?}",
        outcome.progress.created,
        outcome.stopped
    );

    let started = Instant::now();
    for n in 0..USERS {
        client
            .create_user(&NewUser {
                email: format!("single{n}@demo.example"),
                first_name: format!("Prénom{n}"),
                last_name: format!("Nom {n}"),
                ..NewUser::default()
            })
            .await
            .with_context(|| format!("creating user {n} alone"))?;
    }
    let sequential = started.elapsed();

    let rate = |elapsed: std::time::Duration| USERS as f64 / elapsed.as_secs_f64();
    println!("| measurement | time | users/s |");
    println!("|---|---|---|");
    println!(
        "| import end to end: read, plan, {} batches of {} ({} in flight) | {:.2} s | {:.0} |",
        USERS.div_ceil(import::BATCH_SIZE),
        import::BATCH_SIZE,
        import::CONCURRENCY,
        batched.as_secs_f64(),
        rate(batched)
    );
    println!(
        "| one `POST /users` per user, in sequence | {:.2} s | {:.0} |",
        sequential.as_secs_f64(),
        rate(sequential)
    );
    println!(
        "\nratio: {:.1}x",
        sequential.as_secs_f64() / batched.as_secs_f64()
    );
    Ok(())
}
