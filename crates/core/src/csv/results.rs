//! The results file given to the administrator after an import: one line per row of the
//! imported file, saying what happened to it.
//!
//! Administrators open it in Excel, and its cells echo what the imported file held (names,
//! addresses) and what the portal answered, so every cell goes through [`excel_safe`]: a
//! name such as `=HYPERLINK(…)` must never run as a formula on their machine.

use std::io::Write;

use serde::Serialize;

use crate::model::BatchOutcome;
use crate::spreadsheet::excel_safe;

/// What happened to one row of the imported file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResultRow {
    /// The row's line in the imported file, so the administrator can find it there; 0 for
    /// a user the file does not list, removed in sync mode.
    pub line: u64,
    pub email: String,
    pub outcome: BatchOutcome,
    /// Why the row failed, or what changed; may be empty.
    pub message: String,
}

/// The results file's header.
pub const RESULTS_HEADER: [&str; 4] = ["row", "email", "outcome", "message"];

/// Writes the results as CSV: UTF-8 with a byte-order mark (without it Excel reads UTF-8
/// as the local code page and garbles accents), `,` delimiter, CRLF line ends, every cell
/// neutralised against formula injection.
pub fn write_results<W: Write>(
    rows: impl IntoIterator<Item = ResultRow>,
    out: &mut W,
) -> std::io::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(RESULTS_HEADER)?;
    for row in rows {
        // Line 0: a user the file does not list, removed in sync mode.
        let line = match row.line {
            0 => String::new(),
            line => line.to_string(),
        };
        writer.write_record([
            excel_safe(&line).as_ref(),
            excel_safe(&row.email).as_ref(),
            excel_safe(row.outcome.as_str()).as_ref(),
            excel_safe(&row.message).as_ref(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_bom_header_and_neutralised_cells() {
        let rows = vec![
            ResultRow {
                line: 2,
                email: "jean@example.com".into(),
                outcome: BatchOutcome::Created,
                message: String::new(),
            },
            ResultRow {
                line: 3,
                email: "=cmd|' /C calc'!A0".into(),
                outcome: BatchOutcome::Error,
                message: "-2, \"quoted\"".into(),
            },
        ];
        let mut out = Vec::new();
        write_results(rows, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}row,email,outcome,message\r\n\
             2,jean@example.com,created,\r\n\
             3,'=cmd|' /C calc'!A0,error,\"'-2, \"\"quoted\"\"\"\r\n"
        );
    }
}
