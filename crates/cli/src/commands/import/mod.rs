//! `sxadmin import FILE`: a CSV file or a workbook (.xlsx, .xlsm, .xls, .ods; `--sheet`
//! picks the sheet). `--check` validates the file offline, reporting every problem at
//! once by line and column (by cell in a workbook); `--dry-run` shows the plan against the portal and writes
//! nothing; otherwise the plan is applied, with a journal to `--resume` from and a results
//! file that says what happened to every row.
//!
//! The steps themselves (read, snapshot, plan, apply with a journal, resume) are the client
//! library's import workflow, shared with the desktop; this command translates the flags
//! and presents the progress and the results.

mod apply;
mod check;
mod plan;

use std::path::PathBuf;

use clap::Args;
use sxadmin_client::core::csv::plan::{RemovalLimit, SyncMode};
use sxadmin_client::import::journal::JournalError;
use sxadmin_client::import::workflow::{self, ImportError, ImportOptions};
use sxadmin_client::import::CONCURRENCY;

use super::{connect, GlobalOptions, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: CSV (any encoding and delimiter a spreadsheet writes) or a workbook
    /// (.xlsx, .xlsm, .xls, .ods).
    file: PathBuf,
    /// The workbook's sheet to read (default: the first).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// Also disable the account's users the file does not list (never you, nor the last
    /// active administrator).
    #[arg(long, conflicts_with = "check")]
    sync: bool,
    /// With --sync, delete the users the file does not list instead of disabling them.
    #[arg(long, requires = "sync")]
    delete_missing: bool,
    /// Refuse the import when it would disable or delete more users than this: a number
    /// (25) or a share of the account (10%, the default).
    #[arg(long, value_name = "N|P%", value_parser = parse_limit, default_value = "10%")]
    max_removals: RemovalLimit,
    /// Validate the file alone, offline; nothing is sent to the portal.
    #[arg(long, conflicts_with_all = ["dry_run", "resume"])]
    check: bool,
    /// Show what the import would do on the portal, and change nothing.
    #[arg(long, conflicts_with = "resume")]
    dry_run: bool,
    /// Write the results (one line per row, Excel-safe CSV) to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Batch requests in flight at once (1 to 16).
    #[arg(long, default_value_t = CONCURRENCY as u8, value_parser = clap::value_parser!(u8).range(1..=16))]
    concurrency: u8,
    /// Go on with an import of this file that was interrupted.
    #[arg(long)]
    resume: bool,
}

pub async fn run(options: &GlobalOptions, args: ImportArgs) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?;
    if args.check {
        return check::run(options, &args.file, &bytes, args.sheet.as_deref());
    }
    if let Some(report) = &args.report {
        if report.exists() {
            return Err(UsageError(format!(
                "{} already exists; choose another name for --report or delete it first",
                report.display()
            ))
            .into());
        }
    }
    let client = connect::client(options).await?;
    let folders = connect::folders()?;
    let name = args.file.display().to_string();
    let import_options = ImportOptions {
        sheet: args.sheet.clone(),
        sync: match (args.sync, args.delete_missing) {
            (false, _) => SyncMode::Off,
            (true, false) => SyncMode::DisableMissing,
            (true, true) => SyncMode::DeleteMissing,
        },
        max_removals: args.max_removals,
    };
    let planned = workflow::plan_with(&client, &bytes, &name, &folders.imports(), &import_options)
        .await
        .map_err(|error| failure(&args, error))?;
    if args.dry_run {
        return plan::dry_run(options, &args.file, &planned.plan);
    }
    if args.resume {
        apply::resume(options, &args, &client, &planned).await
    } else {
        apply::start(options, &args, &client, &planned).await
    }
}

fn parse_limit(text: &str) -> Result<RemovalLimit, String> {
    text.parse()
}

/// A file that cannot be read as an import, an import that cannot be resumed or a plan
/// refused as it stands is bad input (exit 2); the portal's failures and a journal that
/// cannot be written keep their causes, so the exit code still tells a refused sign-in
/// from the rest.
fn failure(args: &ImportArgs, error: ImportError) -> anyhow::Error {
    let file = args.file.display();
    match error {
        ImportError::Portal(error) => error.into(),
        ImportError::Journal(error @ JournalError::Write { .. }) => error.into(),
        ImportError::File(error) => {
            UsageError(format!("{file}: {error} [{}]", error.code())).into()
        }
        ImportError::TooManyRemovals { message, removals } => {
            UsageError(format!("{file}: {message} (--max-removals {removals})")).into()
        }
        other => UsageError(format!("{file}: {other}")).into(),
    }
}
