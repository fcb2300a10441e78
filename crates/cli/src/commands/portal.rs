//! `sxadmin portal serve` and `sxadmin portal token`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use sxadmin_portal::domains::ApproveEverything;
use sxadmin_portal::PortalConfig;

use super::UsageError;

#[derive(Debug, Args)]
pub struct PortalArgs {
    #[command(subcommand)]
    command: PortalCommand,
}

#[derive(Debug, Subcommand)]
enum PortalCommand {
    /// Serve the portal API and sign-in pages.
    Serve(ServeArgs),
    /// Print a new personal API token for a user (use as `Authorization: Bearer`).
    Token(TokenArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on. Anything but loopback must sit behind an https proxy.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// Database URL; default: portal.sqlite in the user's data folder.
    #[arg(long, env = "SXADMIN_PORTAL_DB")]
    db: Option<String>,
    /// Seed the "Demo Inc." account and approve every domain verification.
    #[arg(long)]
    demo: bool,
    /// Folder where sign-in e-mails are written; default: outbox/ in the data folder.
    #[arg(long)]
    outbox: Option<PathBuf>,
    /// The URL clients use when it differs from the listening address (behind a proxy).
    #[arg(long)]
    public_url: Option<String>,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// Database URL of the portal.
    #[arg(long, env = "SXADMIN_PORTAL_DB")]
    db: Option<String>,
    /// The user the token acts as.
    #[arg(long)]
    email: String,
    /// Days until the token stops working.
    #[arg(long, default_value_t = sxadmin_portal::PERSONAL_TOKEN_DAYS,
        value_parser = clap::value_parser!(u32).range(1..=i64::from(sxadmin_portal::MAX_PERSONAL_TOKEN_DAYS)))]
    expires_in_days: u32,
}

pub async fn run(args: PortalArgs) -> anyhow::Result<()> {
    match args.command {
        PortalCommand::Serve(args) => serve(args).await,
        PortalCommand::Token(args) => token(args).await,
    }
}

fn data_dir() -> anyhow::Result<PathBuf> {
    Ok(super::connect::folders()
        .context("pass --db and --outbox explicitly")?
        .data
        .join("portal"))
}

fn database_url(db: Option<String>) -> anyhow::Result<String> {
    if let Some(url) = db {
        if url.contains("://") || url.starts_with("sqlite:") {
            return Ok(url);
        }
        // A bare path is a SQLite file.
        return Ok(format!("sqlite://{url}"));
    }
    let dir = data_dir()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(format!("sqlite://{}", dir.join("portal.sqlite").display()))
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let url = database_url(args.db)?;
    let store = sxadmin_portal::open(&url)
        .await
        .with_context(|| format!("cannot open the portal database {url}"))?;
    let outbox = match args.outbox {
        Some(dir) => dir,
        None => data_dir()?.join("outbox"),
    };
    let mut config = PortalConfig {
        public_url: args.public_url,
        outbox: Some(outbox.clone()),
        print_codes: true,
        ..PortalConfig::default()
    };
    if args.demo {
        config.resolver = Arc::new(ApproveEverything);
        sxadmin_portal::demo::seed(store.as_ref())
            .await
            .context("cannot seed the demo account")?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            UsageError(format!(
                "cannot listen on {}: {e}; choose another address with --listen",
                args.listen
            ))
        })?;
    let portal = sxadmin_portal::start(listener, store, config).await?;
    println!("Secure Exchanges portal listening on {}", portal.url);
    println!("  database: {url}");
    println!(
        "  sign-in e-mails: printed here and written to {}",
        outbox.display()
    );
    if args.demo {
        println!(
            "  demo account: {} — administrator {}",
            sxadmin_portal::demo::DEMO_ACCOUNT,
            sxadmin_portal::demo::DEMO_ADMIN
        );
        println!("  sign in from SX Admin, or get an API token with:");
        println!(
            "    sxadmin portal token --db '{url}' --email {}",
            sxadmin_portal::demo::DEMO_ADMIN
        );
    }
    println!("  API description: {}/api/v1/openapi.json", portal.url);
    println!("Press Ctrl-C to stop.");
    tokio::select! {
        outcome = portal.task => {
            outcome.context("the server task failed")?.context("the server stopped")?;
        }
        _ = tokio::signal::ctrl_c() => {
            println!("Stopped.");
        }
    }
    Ok(())
}

async fn token(args: TokenArgs) -> anyhow::Result<()> {
    let url = database_url(args.db)?;
    let store = sxadmin_portal::open(&url)
        .await
        .with_context(|| format!("cannot open the portal database {url}"))?;
    let token =
        sxadmin_portal::mint_personal_token_for(store.as_ref(), &args.email, args.expires_in_days)
            .await
        .map_err(|e| UsageError(e.to_string()))?;
    println!("{token}");
    Ok(())
}
