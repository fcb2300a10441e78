//! `sxadmin`: the SX Admin command line. Each command is a thin layer over the shared
//! library crates; this file only parses arguments and maps failures to exit codes.

mod commands;

use commands::{GlobalOptions, Outcome};

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sxadmin",
    version,
    about = "Administer a Secure Exchanges business account",
    after_help = "Exit codes: 0 all done, 1 some rows or operations failed, \
                  2 bad usage or bad input, 3 not signed in or not allowed."
)]
struct Cli {
    #[command(flatten)]
    options: GlobalOptions,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in to a portal (browser, or --device for a code to enter elsewhere).
    Login(commands::account::LoginArgs),
    /// Sign out: revoke the sign-in and delete it from the keychain.
    Logout,
    /// Show the signed-in administrator and account.
    Whoami,
    /// List, show, add, edit and delete users.
    Users(commands::users::UsersArgs),
    /// List, add, verify and remove e-mail domains.
    Domains(commands::domains::DomainsArgs),
    /// List, buy, assign, change, unassign, transfer and remove licences.
    Licences(commands::licences::LicencesArgs),
    /// List role groups and set a user's role.
    Roles(commands::roles::RolesArgs),
    /// Read or export a user's event log.
    Events(commands::events::EventsArgs),
    /// List and end your own sign-ins and personal API tokens.
    Sessions(commands::sessions::SessionsArgs),
    /// Write the template for importing users (CSV, or Excel with -o FILE.xlsx).
    Template(commands::template::TemplateArgs),
    /// Check, plan or apply a file of users (CSV, .xlsx, .xlsm, .xls or .ods).
    Import(commands::import::ImportArgs),
    /// Run the reference portal server, or mint API tokens for it.
    #[cfg(feature = "portal")]
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
    let options = cli.options;
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Login(args) => commands::account::login(&options, args).await,
            Command::Logout => commands::account::logout(&options).await,
            Command::Whoami => commands::account::whoami(&options).await,
            Command::Users(args) => commands::users::run(&options, args).await,
            Command::Domains(args) => commands::domains::run(&options, args).await,
            Command::Licences(args) => commands::licences::run(&options, args).await,
            Command::Roles(args) => commands::roles::run(&options, args).await,
            Command::Events(args) => commands::events::run(&options, args).await,
            Command::Sessions(args) => commands::sessions::run(&options, args).await,
            Command::Template(args) => commands::template::run(args).map(|()| Outcome::Done),
            Command::Import(args) => commands::import::run(&options, args).await,
            #[cfg(feature = "portal")]
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
