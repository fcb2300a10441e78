//! The one import workflow every front end follows: read the file, take a snapshot of the
//! portal, plan, then apply with a journal that lets an interrupted import resume. The
//! command line and the desktop only choose the file, show progress and present the
//! results; the steps and their order live here, so an import behaves the same from both.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use sxadmin_core::csv::plan::{build_plan, ImportPlan};
use sxadmin_core::csv::{self, FileError, ReadOptions};
use sxadmin_core::Id;

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
}

impl ImportError {
    pub fn code(&self) -> String {
        match self {
            ImportError::File(error) => error.code().as_str().to_owned(),
            ImportError::Portal(error) => error.code().to_owned(),
            ImportError::Journal(error) => error.code().to_owned(),
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
}

impl Planned {
    /// Where this import's journal is kept while it runs.
    pub fn journal_path(&self) -> &Path {
        &self.journal_path
    }
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

/// Reads `bytes` as an import file (offline): every problem of the file alone.
pub fn read(bytes: &[u8]) -> Result<csv::ParsedFile<'_>, FileError> {
    csv::read(bytes, &ReadOptions::default())
}

/// Reads the file, takes a snapshot of the portal and plans. Nothing is written.
pub async fn plan(
    client: &PortalClient,
    bytes: &[u8],
    file: &str,
    journal_dir: &Path,
) -> Result<Planned, ImportError> {
    let parsed = read(bytes)?;
    let me = client.me().await?;
    let snapshot = super::snapshot(client).await?;
    let plan = build_plan(&parsed, &snapshot);
    let scope = key_scope(me.account.id, &file_digest(bytes));
    let journal_path = journal::path(journal_dir, &scope);
    let interrupted = inspect(&journal_path);
    Ok(Planned {
        plan,
        account: me.account.id,
        file: file.to_owned(),
        interrupted,
        scope,
        journal_path,
    })
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
