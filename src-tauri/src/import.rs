//! The import being previewed: the file as read and its plan against the portal, kept in
//! Rust so that a 100,000-row file crosses into the web view one visible window at a time.
//! Reading, planning, applying and resuming are the client library's import workflow;
//! this module only shapes what the window shows.

use serde::Deserialize;
use serde::Serialize;
use sxadmin_client::core::csv::plan::{
    ActionKind, Finding, ImportPlan, Removal, Safeguard, Summary, SyncMode,
};
use sxadmin_client::core::csv::results::ResultRow;
use sxadmin_client::core::csv::{Issue, ParsedFile};
use sxadmin_client::core::{BatchOutcome, Language, LicenceTier, Role};
use sxadmin_client::import::workflow::Interrupted;
use sxadmin_client::import::Outcome;

pub struct PreparedImport {
    pub file_name: String,
    /// The file itself: applying plans it again against a fresh snapshot of the portal.
    pub bytes: Vec<u8>,
    pub file: ParsedFile<'static>,
    pub plan: ImportPlan,
    pub choices: ImportChoices,
}

/// What the administrator chose beyond the file: the workbook's sheet and the sync mode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, ts_rs::TS)]
pub struct ImportChoices {
    /// The sheet to read; the workbook's first when `None` (ignored for CSV).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Whether users missing from the file are disabled or deleted.
    #[serde(default)]
    pub sync: SyncMode,
}

/// An import that stopped before its end (the app closed, the network went, Cancel),
/// which the window offers to resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct InterruptedImport {
    /// The journal's name in the app's imports folder: what `resume_import` takes back.
    pub id: String,
    pub file_name: String,
    pub rows: u32,
    /// Rows the portal settled before it stopped.
    pub done: u32,
    /// Rows still to send.
    pub left: u32,
}

impl InterruptedImport {
    pub fn from_journal(found: &Interrupted) -> Option<Self> {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Some(InterruptedImport {
            id: found.journal.file_name()?.to_string_lossy().into_owned(),
            file_name: found.header.file.clone(),
            rows: count(found.header.rows),
            done: count(found.done),
            left: count(found.left),
        })
    }
}

/// The plan as the preview shows it above the table.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct ImportPreview {
    pub file_name: String,
    /// For a workbook, its kind (`Excel workbook (.xlsx)`); for CSV, the text encoding.
    pub encoding: String,
    /// CSV only: the delimiter found.
    pub delimiter: String,
    /// The sheet read, when the file is a workbook.
    pub sheet: Option<String>,
    /// Every sheet of the workbook, for the chooser; empty for CSV.
    pub sheets: Vec<String>,
    pub sync: SyncMode,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub warnings: Vec<Issue>,
    /// The users the plan disables or deletes (the first [`LISTED_REMOVALS`]), each with
    /// what it loses; `summary.disable + summary.delete` counts them all.
    pub removals: Vec<Removal>,
    pub safeguard: Safeguard,
}

/// Removals listed in the preview; more would only slow the window.
const LISTED_REMOVALS: usize = 1000;

/// One row of the preview table: the values as read, what the import will do with it,
/// and every problem, each tied to its column so the cell can be marked.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct PreviewRow {
    pub index: u32,
    pub line: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Option<Role>,
    pub language: Option<Language>,
    pub licence: Option<LicenceTier>,
    pub action: ActionKind,
    pub issues: Vec<Issue>,
}

impl PreparedImport {
    pub fn preview(&self) -> ImportPreview {
        ImportPreview {
            file_name: self.file_name.clone(),
            encoding: match &self.file.sheet {
                Some(sheet) => sheet.format.as_str().to_owned(),
                None => self.file.encoding.as_str().to_owned(),
            },
            delimiter: match self.file.delimiter {
                '\t' => "tab".into(),
                other => other.to_string(),
            },
            sheet: self.file.sheet.as_ref().map(|sheet| sheet.name.clone()),
            sheets: self
                .file
                .sheet
                .as_ref()
                .map(|sheet| sheet.sheets.clone())
                .unwrap_or_default(),
            sync: self.choices.sync,
            summary: self.plan.summary.clone(),
            findings: self.plan.findings.clone(),
            warnings: self.plan.warnings.clone(),
            removals: self
                .plan
                .removals
                .iter()
                .take(LISTED_REMOVALS)
                .cloned()
                .collect(),
            safeguard: self.plan.safeguard.clone(),
        }
    }

    pub fn rows(&self, offset: usize, limit: usize) -> Vec<PreviewRow> {
        self.file
            .rows
            .iter()
            .zip(&self.plan.rows)
            .enumerate()
            .skip(offset)
            .take(limit)
            .map(|(index, (row, planned))| PreviewRow {
                index: u32::try_from(index).unwrap_or(u32::MAX),
                line: row.line,
                email: row.email.to_string(),
                first_name: row.first_name.to_string(),
                last_name: row.last_name.to_string(),
                role: row.role,
                language: row.language,
                licence: row.licence,
                action: planned.action.kind(),
                issues: planned.issues.clone(),
            })
            .collect()
    }
}

/// Sent to the window while an import runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ImportProgress {
    pub done: u32,
    pub total: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub disabled: u32,
    pub deleted: u32,
    pub failed: u32,
}

/// The end of an import: the counts, whether it was cancelled or stopped (and why), and
/// the first rows that failed (all of them are in the results file).
#[derive(Clone, Debug, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct ImportReport {
    pub progress: ImportProgress,
    pub cancelled: bool,
    /// Why the import stopped before its end; it can be resumed.
    pub stopped: Option<String>,
    pub failures: Vec<ResultRow>,
}

/// Rows listed in the report; the results file holds every row.
const REPORTED_FAILURES: usize = 1000;

impl From<&Outcome> for ImportReport {
    fn from(outcome: &Outcome) -> Self {
        ImportReport {
            progress: ImportProgress::from(&outcome.progress),
            cancelled: outcome.cancelled,
            stopped: outcome.stopped.clone(),
            failures: outcome
                .results
                .iter()
                .filter(|row| row.outcome == BatchOutcome::Error)
                .take(REPORTED_FAILURES)
                .cloned()
                .collect(),
        }
    }
}

impl From<&sxadmin_client::import::Progress> for ImportProgress {
    fn from(p: &sxadmin_client::import::Progress) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        ImportProgress {
            done: count(p.done),
            total: count(p.total),
            created: count(p.created),
            updated: count(p.updated),
            unchanged: count(p.unchanged),
            disabled: count(p.disabled),
            deleted: count(p.deleted),
            failed: count(p.failed),
        }
    }
}
