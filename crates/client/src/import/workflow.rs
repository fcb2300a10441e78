//! The one import workflow every front end follows: read the file, take a snapshot of the
//! portal, plan, then apply with a journal that lets an interrupted import resume. The
//! command line and the desktop only choose the file, show progress and present the
//! results; the steps and their order live here, so an import behaves the same from both.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};
use sxadmin_core::csv::plan::{build_plan_with, ImportPlan, PlanOptions, RemovalLimit, SyncMode};
use sxadmin_core::csv::{self, FileError, ReadOptions};
use sxadmin_core::{workbook, Id};

use super::journal::{self, Header, Journal, JournalError};
use super::{file_digest, key_scope, run, work, ApplyOptions, Outcome, Progress, Work};
use crate::{ClientError, PortalClient};

/// Why an import could not be planned, applied or resumed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(#[from] FileError),
    #[error(transparent)]
    Portal(#[from] ClientError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The plan removes more users than the safeguard allows; see `Safeguard::refusal`.
    #[error("{message}")]
    TooManyRemovals {
        message: String,
        /// How many removals the plan makes: the number to allow (or to type).
        removals: usize,
    },
    #[error(
        "the number typed ({typed}) is not the number of users this import removes \
         ({expected}); nothing was changed"
    )]
    RemovalsNotConfirmed { expected: usize, typed: usize },
}

impl ImportError {
    pub fn code(&self) -> String {
        match self {
            ImportError::File(error) => error.code().as_str().to_owned(),
            ImportError::Portal(error) => error.code().to_owned(),
            ImportError::Journal(error) => error.code().to_owned(),
            ImportError::TooManyRemovals { .. } => "too_many_removals".to_owned(),
            ImportError::RemovalsNotConfirmed { .. } => "removals_not_confirmed".to_owned(),
        }
    }
}

/// A file read and compared with the portal: what applying it would do.
#[derive(Debug)]
pub struct Planned {
    pub plan: ImportPlan,
    /// The account the plan was made for.
    pub account: Id,
    /// The file as it was named, for messages and the journal.
    pub file: String,
    /// An earlier import of the same file into the same account that did not finish.
    pub interrupted: Option<Interrupted>,
    scope: String,
    journal_path: PathBuf,
    /// The administrator confirmed the removals beyond the safeguard's limit.
    removals_confirmed: bool,
}

impl Planned {
    /// Where this import's journal is kept while it runs.
    pub fn journal_path(&self) -> &Path {
        &self.journal_path
    }

    /// Allows a plan that removes more users than the safeguard's limit, once the
    /// administrator has typed how many users it removes (the desktop asks for it).
    pub fn confirm_removals(&mut self, typed: usize) -> Result<(), ImportError> {
        let expected = self.plan.removals.len();
        if typed != expected {
            return Err(ImportError::RemovalsNotConfirmed { expected, typed });
        }
        self.removals_confirmed = true;
        Ok(())
    }
}

/// What the administrator chose for an import beyond the file itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The workbook sheet to read; the first visible one when `None` (ignored for CSV).
    pub sheet: Option<String>,
    /// Whether users the file does not list are disabled or deleted.
    pub sync: SyncMode,
    /// The most users the import may disable or delete (10% of the account by default).
    pub max_removals: RemovalLimit,
}

/// An import that stopped before every row was settled (a crash, a closed window, a lost
/// network, Cancel), found from its journal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interrupted {
    pub journal: PathBuf,
    pub header: Header,
    /// Rows the portal settled before the interruption.
    pub done: usize,
    /// Rows still to send.
    pub left: usize,
}

/// Reads `bytes` as an import file (offline): every problem of the file alone. A
/// workbook (.xlsx, .xlsm, .xls, .ods) is read from its first visible sheet.
pub fn read(bytes: &[u8]) -> Result<csv::ParsedFile<'_>, FileError> {
    read_sheet(bytes, None)
}

/// Reads `bytes` as an import file, a workbook from the sheet named `sheet`.
pub fn read_sheet<'a>(
    bytes: &'a [u8],
    sheet: Option<&str>,
) -> Result<csv::ParsedFile<'a>, FileError> {
    workbook::read_any(bytes, sheet, &ReadOptions::default())
}

/// The sheets a workbook offers, for a chooser; empty for a CSV file.
pub fn sheet_names(bytes: &[u8]) -> Result<Vec<String>, FileError> {
    if workbook::is_workbook(bytes) {
        workbook::sheet_names(bytes)
    } else {
        Ok(Vec::new())
    }
}

/// Reads the file, takes a snapshot of the portal and plans. Nothing is written.
pub async fn plan(
    client: &PortalClient,
    bytes: &[u8],
    file: &str,
    journal_dir: &Path,
) -> Result<Planned, ImportError> {
    plan_with(client, bytes, file, journal_dir, &ImportOptions::default()).await
}

/// [`plan`] with a sheet, sync mode and removal limit chosen.
pub async fn plan_with(
    client: &PortalClient,
    bytes: &[u8],
    file: &str,
    journal_dir: &Path,
    options: &ImportOptions,
) -> Result<Planned, ImportError> {
    let parsed = read_sheet(bytes, options.sheet.as_deref())?;
    let me = client.me().await?;
    let snapshot = super::snapshot(client).await?;
    let plan_options = PlanOptions {
        sync: options.sync,
        max_removals: options.max_removals,
        caller: Some(me.user.id),
    };
    let plan = build_plan_with(&parsed, &snapshot, &plan_options);
    // Two sheets of one workbook are two imports: their rows share line numbers.
    let digest = match &parsed.sheet {
        Some(sheet) => sheet_digest(bytes, &sheet.name),
        None => file_digest(bytes),
    };
    let scope = key_scope(me.account.id, &digest);
    let journal_path = journal::path(journal_dir, &scope);
    let interrupted = inspect(&journal_path);
    Ok(Planned {
        plan,
        account: me.account.id,
        file: file.to_owned(),
        interrupted,
        scope,
        journal_path,
        removals_confirmed: false,
    })
}

fn sheet_digest(bytes: &[u8], sheet: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(file_digest(bytes));
    hash.update([0]);
    hash.update(sheet.as_bytes());
    hash.finalize().into()
}

/// Applies a plan, recording each settled row in a journal first written with every job.
/// The journal is removed once every row is settled; it stays when the import stops early
/// so that [`resume`] can go on from there.
pub async fn apply(
    client: &PortalClient,
    planned: &Planned,
    options: &ApplyOptions,
    cancel: &AtomicBool,
    on_progress: impl FnMut(&Progress),
) -> Result<Outcome, ImportError> {
    if let (Some(refusal), false) = (planned.plan.safeguard.refusal(), planned.removals_confirmed) {
        return Err(ImportError::TooManyRemovals {
            message: refusal,
            removals: planned.plan.safeguard.removals,
        });
    }
    let work = work(&planned.plan, &planned.scope);
    let header = Header {
        portal: client.url().as_str().to_owned(),
        account: planned.account,
        file: planned.file.clone(),
        rows: planned.plan.rows.len(),
    };
    let journal = Journal::create(&planned.journal_path, &header, &work)?;
    run_with_journal(client, journal, work, options, cancel, on_progress).await
}

/// Goes on with the interrupted import whose journal is at `journal_path`: rows not yet
/// settled are sent again with their original keys, so none is applied twice.
pub async fn resume(
    client: &PortalClient,
    journal_path: &Path,
    options: &ApplyOptions,
    cancel: &AtomicBool,
    on_progress: impl FnMut(&Progress),
) -> Result<Outcome, ImportError> {
    let (journal, resumed) = Journal::reopen(journal_path)?;
    run_with_journal(client, journal, resumed.work, options, cancel, on_progress).await
}

/// The interrupted import of this account in `journal_dir`, newest first.
pub fn interrupted(journal_dir: &Path, account: Id) -> Vec<Interrupted> {
    let Ok(entries) = std::fs::read_dir(journal_dir) else {
        return Vec::new();
    };
    let mut found: Vec<(std::time::SystemTime, Interrupted)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "jsonl"))
        .filter_map(|path| {
            let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            Some((modified, inspect(&path)?))
        })
        .filter(|(_, import)| import.header.account == account)
        .collect();
    found.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    found.into_iter().map(|(_, import)| import).collect()
}

/// Forgets an interrupted import: it can no longer be resumed (running the file again
/// still creates nothing twice, through the portal's idempotency keys).
pub fn discard(journal_path: &Path) -> Result<(), JournalError> {
    match std::fs::remove_file(journal_path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(JournalError::Write {
            path: journal_path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

fn inspect(path: &Path) -> Option<Interrupted> {
    let resumed = journal::peek(path).ok()?;
    Some(Interrupted {
        journal: path.to_owned(),
        left: resumed.work.jobs.len(),
        done: resumed.already_done,
        header: resumed.header,
    })
}

async fn run_with_journal(
    client: &PortalClient,
    mut journal: Journal,
    work: Work,
    options: &ApplyOptions,
    cancel: &AtomicBool,
    on_progress: impl FnMut(&Progress),
) -> Result<Outcome, ImportError> {
    let mut journal_error = None;
    let outcome = run(client, work, options, cancel, on_progress, |row| {
        if journal_error.is_none() {
            if let Err(error) = journal.record(row) {
                journal_error = Some(error);
                // Without a journal a crash could not be resumed: stop sending.
                cancel.store(true, Ordering::SeqCst);
            }
        }
    })
    .await;
    if let Some(error) = journal_error {
        return Err(error.into());
    }
    if !outcome.cancelled && outcome.stopped.is_none() {
        journal.finish()?;
    }
    Ok(outcome)
}
