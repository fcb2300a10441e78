//! What the import tells the administrator: problems tied to a line and column
//! ([`Issue`]), and problems that stop the whole file from being read ([`FileError`]).
//!
//! Codes are stable so that scripts, the UI and the results file can act on them; messages
//! are for people and may be reworded.

use serde::Serialize;
use thiserror::Error;

/// Stable identifier of every kind of finding the import can report.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IssueCode {
    // Whole-file problems (see `FileError`).
    NotText,
    EmptyFile,
    NoRows,
    FileTooLarge,
    TooManyRows,
    MissingEmailColumn,
    UnreadableWorkbook,
    SheetNotFound,
    // Header warnings: the file is still read.
    UnknownColumn,
    DuplicateColumn,
    UnnamedColumn,
    // Row problems found in the file alone.
    InvalidEmail,
    DuplicateInFile,
    UnknownRole,
    UnknownLanguage,
    UnknownLicence,
    InvalidName,
    TooManyValues,
    UnclosedQuote,
    UnknownAction,
    // Row problems found by comparing the file with the portal.
    DomainNotApproved,
    LicencesExhausted,
    LastAdministrator,
    /// An `action` cell asks to disable or delete an address the account does not have.
    UnknownUser,
    /// The file would disable or delete the administrator running the import.
    RemovesCaller,
    /// More removals than the safeguard allows (see `plan::RemovalLimit`).
    TooManyRemovals,
}

impl IssueCode {
    /// The spelling used in JSON output and the results file (serde's, which a test checks).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for IssueCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem (or, in `ParsedFile::warnings`, one thing ignored) at a place in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Issue {
    /// 1-based physical line of the file where the record starts, as a text editor counts;
    /// in a workbook, the row number the spreadsheet shows.
    pub line: u64,
    /// The template column (`email`, `role`, …), or the header as written for columns the
    /// import does not know; `None` when the issue concerns the whole row.
    pub column: Option<String>,
    pub code: IssueCode,
    /// What is wrong and how to fix it.
    pub message: String,
    /// In a workbook: the sheet the row is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub sheet: Option<String>,
    /// In a workbook: the cell as the spreadsheet names it (`Sheet1!C4`), when the issue
    /// concerns one cell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub cell: Option<String>,
}

impl Issue {
    pub(crate) fn new(
        line: u64,
        column: Option<&str>,
        code: IssueCode,
        message: impl Into<String>,
    ) -> Self {
        Issue {
            line,
            column: column.map(str::to_owned),
            code,
            message: message.into(),
            sheet: None,
            cell: None,
        }
    }
}

/// Renders as the administrator reads it: `line 7, column email: …` in a CSV file,
/// `Sheet1!C4 (email): …` or `Sheet1, row 4: …` in a workbook.
impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.cell, &self.sheet, &self.column) {
            (Some(cell), _, Some(column)) => write!(f, "{cell} ({column}): {}", self.message),
            (Some(cell), _, None) => write!(f, "{cell}: {}", self.message),
            (None, Some(sheet), _) => write!(f, "{sheet}, row {}: {}", self.line, self.message),
            (None, None, Some(column)) => {
                write!(f, "line {}, column {column}: {}", self.line, self.message)
            }
            (None, None, None) => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// The file cannot be imported at all; nothing in it is used.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum FileError {
    #[error(
        "the file is {} and the limit is {}; split it into smaller files",
        megabytes(*.size),
        megabytes(*.max)
    )]
    FileTooLarge { size: usize, max: usize },
    #[error(
        "the file has more than {max} users (line {line} is one too many); split it into \
         files of at most {max} rows"
    )]
    TooManyRows { max: usize, line: u64 },
    #[error("{0}")]
    NotText(String),
    #[error(
        "the file is empty; fill in the template (email,first_name,last_name,role,language,\
         licence) with one user per line"
    )]
    EmptyFile,
    #[error("the file has a header line but no users; add one user per line below the header")]
    NoRows,
    #[error("{0}")]
    MissingEmailColumn(String),
    #[error(
        "the workbook cannot be read ({0}); open it in Excel or LibreOffice and save it again \
         as .xlsx, or save the sheet as \"CSV UTF-8\""
    )]
    UnreadableWorkbook(String),
    #[error("the workbook has no sheet named {name:?}; its sheets are {}", list_sheets(.available))]
    SheetNotFound {
        name: String,
        available: Vec<String>,
    },
}

fn list_sheets(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl FileError {
    pub fn code(&self) -> IssueCode {
        match self {
            FileError::FileTooLarge { .. } => IssueCode::FileTooLarge,
            FileError::TooManyRows { .. } => IssueCode::TooManyRows,
            FileError::NotText(_) => IssueCode::NotText,
            FileError::EmptyFile => IssueCode::EmptyFile,
            FileError::NoRows => IssueCode::NoRows,
            FileError::MissingEmailColumn(_) => IssueCode::MissingEmailColumn,
            FileError::UnreadableWorkbook(_) => IssueCode::UnreadableWorkbook,
            FileError::SheetNotFound { .. } => IssueCode::SheetNotFound,
        }
    }
}

/// Sizes as file managers show them (decimal megabytes, as in the 50 MB limit).
fn megabytes(bytes: usize) -> String {
    // Precision loss is irrelevant at one decimal place.
    #[allow(clippy::cast_precision_loss)]
    let mb = bytes as f64 / 1_000_000.0;
    if mb < 0.1 {
        format!("{bytes} bytes")
    } else {
        format!("{mb:.1} MB")
    }
}

/// A cell value quoted for a message: visible even when it holds spaces or line breaks,
/// and cut short so that a pasted paragraph does not flood the report.
pub(crate) fn quoted(value: &str) -> String {
    const MAX_CHARS: usize = 60;
    match value.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{:?}…", value.get(..cut).unwrap_or(value)),
        None => format!("{value:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_stable_spelling() {
        use strum::IntoEnumIterator;
        for code in IssueCode::iter() {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn sizes_are_shown_in_megabytes() {
        let error = FileError::FileTooLarge {
            size: 63_200_000,
            max: 50_000_000,
        };
        assert_eq!(
            error.to_string(),
            "the file is 63.2 MB and the limit is 50.0 MB; split it into smaller files"
        );
        assert_eq!(error.code().as_str(), "file_too_large");
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(100);
        let shown = quoted(&long);
        assert!(shown.ends_with('…'));
        assert_eq!(shown.chars().count(), 63);
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
    }
}
