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
    /// Seed the "Demo Inc." account and approve every domain verification; sign-in codes
    /// are printed and written to the outbox (the development mailer).
    #[arg(long)]
    demo: bool,
    /// Print sign-in codes here and write each sign-in e-mail to the outbox instead of
    /// sending it. For development only: whoever reads the output can sign in as anyone.
    #[arg(long)]
    dev_mailer: bool,
    /// Folder where the development mailer writes sign-in e-mails; default: outbox/ in the
    /// data folder. Needs --demo or --dev-mailer.
    #[arg(long)]
    outbox: Option<PathBuf>,
    /// The URL clients use when it differs from the listening address (behind a proxy).
    /// Requests for any other host name are refused.
    #[arg(long)]
    public_url: Option<String>,
    /// Take each client's address from the X-Forwarded-For header that the reverse proxy in
    /// front of the portal adds. Only behind such a proxy: otherwise clients choose it.
    #[arg(long)]
    trust_forwarded_for: bool,
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
    let dev_mailer = args.demo || args.dev_mailer;
    if args.outbox.is_some() && !dev_mailer {
        return Err(UsageError(
            "--outbox is the development mailer's folder: add --dev-mailer (or --demo)".into(),
        )
        .into());
    }
    if args.listen.ip().is_unspecified() && args.public_url.is_none() {
        return Err(UsageError(format!(
            "the portal answers only requests for its own address: with --listen {} add \
             --public-url with the address clients use",
            args.listen
        ))
        .into());
    }
    let url = database_url(args.db)?;
    let store = sxadmin_portal::open(&url)
        .await
        .with_context(|| format!("cannot open the portal database {url}"))?;
    let outbox = match (dev_mailer, args.outbox) {
        (false, _) => None,
        (true, Some(dir)) => Some(dir),
        (true, None) => Some(data_dir()?.join("outbox")),
    };
    let mut config = PortalConfig {
        public_url: args.public_url,
        outbox: outbox.clone(),
        print_codes: dev_mailer,
        trust_forwarded_for: args.trust_forwarded_for,
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
    match &outbox {
        Some(outbox) => println!(
            "  sign-in e-mails: printed here and written to {} (development mailer)",
            outbox.display()
        ),
        None => eprintln!(
            "warning: this portal cannot send sign-in e-mails (it has no mail server), so \
             nobody can sign in through its pages; API tokens from `sxadmin portal token` \
             work. For local use, start it with --dev-mailer to print sign-in codes here \
             and write them to an outbox folder."
        ),
    }
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
