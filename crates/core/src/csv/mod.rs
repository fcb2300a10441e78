//! Importing users from the CSV files administrators prepare in Excel, LibreOffice or
//! Google Sheets (workbooks are read by [`crate::workbook`] into the same rows).
//!
//! The import runs in three steps so that every front end (CLI, desktop app, portal) shows
//! the same findings before anything is sent:
//!
//! 1. [`read`] decodes the file whatever the spreadsheet saved (UTF-8 with or without BOM,
//!    UTF-16 with BOM, Windows-1252), finds the delimiter and the columns, and checks each
//!    row on its own: address syntax, role, language, licence, duplicates within the file.
//! 2. [`plan::build_plan`] compares the rows with a snapshot of the portal and decides for
//!    each row whether to create, update, leave unchanged or refuse it, including the checks
//!    that need the portal: approved domains and licences left in the pool.
//! 3. [`results::write_results`] writes the outcome of applying the plan as a CSV file that
//!    is safe to open in Excel.
//!
//! Every problem is reported at once, each with its line, column, a stable [`IssueCode`]
//! and a message saying how to fix it; only problems that make the file unreadable as a
//! whole stop the reading, as a [`FileError`].

mod decode;
mod duplicates;
mod headers;
mod issue;
pub mod plan;
mod reader;
pub mod results;
mod tokenizer;
mod values;

mod removals;

pub use decode::Encoding;
pub use headers::{Column, EXPORT_INFO_COLUMNS};
pub use issue::{FileError, Issue, IssueCode};
pub use reader::{read, CsvRow, ParsedFile};
pub use values::{parse_action, parse_language, parse_licence, parse_role, RowAction};

pub(crate) use duplicates::DuplicateFinder;
pub(crate) use reader::{
    column_letter, map_header, mark_duplicates, template_columns, unnamed_column_warning,
    RowBuilder, Slot,
};
pub(crate) use tokenizer::{FieldSink, RecordStart};

/// Bounds that keep a mistaken upload (a database dump, a video) from exhausting memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Most users accepted in one file (blank lines and the header are not counted).
    pub max_rows: usize,
}

impl ReadOptions {
    pub const DEFAULT_MAX_BYTES: usize = 50_000_000;
    pub const DEFAULT_MAX_ROWS: usize = 200_000;
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_rows: Self::DEFAULT_MAX_ROWS,
        }
    }
}

/// The file an administrator fills in: the header line only.
///
/// There is deliberately no example row: a forgotten example would be imported as a real
/// user, and DESIGN.md documents the allowed values instead. The header is written with
/// `,`; [`read`] accepts the `;` that French-locale spreadsheets turn it into.
pub fn template() -> String {
    let mut header = Column::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",");
    header.push('\n');
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_the_documented_header() {
        assert_eq!(
            template(),
            "email,first_name,last_name,role,language,licence\n"
        );
    }

    #[test]
    fn template_reads_back_with_every_column() {
        let mut file = template();
        file.push_str("jean@example.com,Jean,Dupont,user,fr,pro\n");
        let parsed = read(file.as_bytes(), &ReadOptions::default()).unwrap();
        assert_eq!(parsed.columns, Column::ALL);
        assert!(parsed.warnings.is_empty());
    }
}
