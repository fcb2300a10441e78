//! `sxadmin`: the SX Admin command line. Each command is a thin layer over the shared
//! library crates; this file only parses arguments and maps failures to exit codes.

mod commands;

use commands::Outcome;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sxadmin",
    version,
    about = "Administer a Secure Exchanges business account"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the CSV template for importing users.
    Template(commands::template::TemplateArgs),
    /// Check a CSV file of users (offline with --check).
    Import(commands::import::ImportArgs),
    /// Run the reference portal server, or mint API tokens for it.
    Portal(commands::portal::PortalArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SXADMIN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Template(args) => commands::template::run(args).map(|()| Outcome::Done),
            Command::Import(args) => commands::import::run(args),
            Command::Portal(args) => commands::portal::run(args).await.map(|()| Outcome::Done),
        }
    });
    match outcome {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(commands::exit_code(&error))
        }
    }
}
