//! Cells written to CSV files that administrators open in Excel or LibreOffice.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is taken as a
//! formula by spreadsheets (OWASP "CSV injection"); user-supplied names and messages must
//! never run as formulas on an administrator's machine, so such cells get a leading `'`.

use std::borrow::Cow;

/// The cell, neutralised if a spreadsheet would read it as a formula.
pub fn excel_safe(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_kept() {
        assert_eq!(excel_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(excel_safe("+1"), "'+1");
        assert_eq!(excel_safe("-2"), "'-2");
        assert_eq!(excel_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(excel_safe("\tx"), "'\tx");
        assert_eq!(excel_safe("\rx"), "'\rx");
        assert_eq!(excel_safe("Zoë"), "Zoë");
        assert_eq!(excel_safe(""), "");
    }
}
