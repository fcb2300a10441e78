//! The import being previewed: the file as read and its plan against the portal, kept in
//! Rust so that a 100,000-row file crosses into the web view one visible window at a time.

use serde::Serialize;
use sxadmin_client::core::csv::plan::{ActionKind, Finding, ImportPlan, Summary};
use sxadmin_client::core::csv::{Issue, ParsedFile};
use sxadmin_client::core::{Language, LicenceTier, Role};

pub struct PreparedImport {
    pub file_name: String,
    pub file: ParsedFile<'static>,
    pub plan: ImportPlan,
    /// The SHA-256 of the file, from which the rows' idempotency keys are derived.
    pub digest: [u8; 32],
    /// One row per file row once the import has run, for "Save results…".
    pub results: Vec<sxadmin_client::core::csv::results::ResultRow>,
}

/// The plan as the preview shows it above the table.
#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct ImportPreview {
    pub file_name: String,
    pub encoding: String,
    pub delimiter: String,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub warnings: Vec<Issue>,
}

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
            encoding: self.file.encoding.as_str().to_owned(),
            delimiter: match self.file.delimiter {
                '\t' => "tab".into(),
                other => other.to_string(),
            },
            summary: self.plan.summary.clone(),
            findings: self.plan.findings.clone(),
            warnings: self.plan.warnings.clone(),
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
    pub failed: u32,
}

/// The end of an import: the counts, whether it was cancelled, and the rows that failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct ImportReport {
    pub progress: ImportProgress,
    pub cancelled: bool,
    pub failures: Vec<sxadmin_client::core::csv::results::ResultRow>,
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
            failed: count(p.failed),
        }
    }
}
