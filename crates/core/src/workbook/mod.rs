//! Spreadsheets both ways: reading the users of an Excel or LibreOffice workbook (.xlsx,
//! .xlsm, .xls, .ods) into the same rows as a CSV file, and writing the workbook template
//! and the user export.
//!
//! Everything works on bytes in memory, so the front ends read and write the files and
//! the rules stay here. A sheet is read into [`crate::csv::ParsedFile`] with the same
//! checks, the same plan and the same journal as a CSV file; only the places differ: a
//! problem names the cell as the spreadsheet shows it (`Sheet1!C4`).

mod cells;
pub mod export;
mod reader;
pub mod template;

use serde::Serialize;

use crate::csv::{Column, FileError, Issue, ParsedFile, ReadOptions};

pub use export::{write_csv, write_xlsx, ExportError, ExportRow, UserStatusText};
pub use reader::{read_sheet, sheet_names};
pub use template::template_xlsx;

/// The kinds of workbook the import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum WorkbookFormat {
    /// Excel 2007 and later (.xlsx).
    Xlsx,
    /// Excel with macros (.xlsm); the macros are never run, only the values read.
    Xlsm,
    /// Excel binary workbook (.xlsb).
    Xlsb,
    /// Excel 97–2003 (.xls).
    Xls,
    /// OpenDocument spreadsheet (.ods), as LibreOffice saves.
    Ods,
}

impl WorkbookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkbookFormat::Xlsx => "Excel workbook (.xlsx)",
            WorkbookFormat::Xlsm => "Excel macro-enabled workbook (.xlsm)",
            WorkbookFormat::Xlsb => "Excel binary workbook (.xlsb)",
            WorkbookFormat::Xls => "Excel 97-2003 workbook (.xls)",
            WorkbookFormat::Ods => "OpenDocument spreadsheet (.ods)",
        }
    }
}

/// ZIP container: .xlsx, .xlsm, .xlsb and .ods workbooks.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// OLE2 compound file: legacy .xls workbooks.
const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Whether the bytes are a workbook rather than text, judged by their first bytes (never
/// by the file's name, which administrators change).
pub fn is_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(OLE_MAGIC)
}

/// Reads an import file whatever it is: a workbook (its sheet `sheet`, or the first) or
/// CSV text. The one entry point the front ends need.
pub fn read_any<'a>(
    bytes: &'a [u8],
    sheet: Option<&str>,
    options: &ReadOptions,
) -> Result<ParsedFile<'a>, FileError> {
    if is_workbook(bytes) {
        read_sheet(bytes, sheet, options)
    } else {
        crate::csv::read(bytes, options)
    }
}

/// Where a workbook's rows came from, so that every problem names its cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetPlace {
    pub format: WorkbookFormat,
    /// The sheet read.
    pub name: String,
    /// Every sheet of the workbook, in order, for a chooser.
    pub sheets: Vec<String>,
    /// The letter of each template column the header names.
    #[serde(skip)]
    #[cfg_attr(feature = "ts", ts(skip))]
    letters: Vec<(Column, String)>,
}

impl SheetPlace {
    /// The cell of `column` on spreadsheet row `row`, as Excel writes a reference:
    /// `Sheet1!C4`, or `'Staff list'!C4` when the name needs quotes.
    pub fn cell(&self, column: Column, row: u64) -> Option<String> {
        let (_, letter) = self.letters.iter().find(|(c, _)| *c == column)?;
        Some(format!("{}!{letter}{row}", sheet_reference(&self.name)))
    }

    /// Names the sheet, and the cell when the issue concerns a template column.
    pub fn locate(&self, issue: &mut Issue) {
        if issue.sheet.is_none() {
            issue.sheet = Some(self.name.clone());
        }
        if issue.cell.is_none() {
            let column = issue.column.as_deref().and_then(Column::from_header);
            issue.cell = column.and_then(|column| self.cell(column, issue.line));
        }
    }
}

/// A sheet name as formulas write it: quoted unless it is letters, digits and `_` only.
fn sheet_reference(name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_quoted_as_excel_quotes_them() {
        assert_eq!(sheet_reference("Sheet1"), "Sheet1");
        assert_eq!(sheet_reference("Feuille_1"), "Feuille_1");
        assert_eq!(sheet_reference("Staff list"), "'Staff list'");
        assert_eq!(sheet_reference("O'Brien"), "'O''Brien'");
        assert_eq!(sheet_reference("2024"), "'2024'");
    }

    #[test]
    fn workbooks_are_told_from_text_by_their_first_bytes() {
        assert!(is_workbook(b"PK\x03\x04rest"));
        assert!(is_workbook(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"));
        assert!(!is_workbook(b"email\na@example.com\n"));
    }
}
