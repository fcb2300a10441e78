//! Cell values as the administrator reads them on screen, whatever type the spreadsheet
//! gave them: a phone number typed into a number cell is `5145550123`, not
//! `5145550123.0`; a date is `2024-03-01`; a boolean is `TRUE` or `FALSE`; a formula is
//! its value as last calculated.

use calamine::Data;

/// Integers up to this size are shown without a decimal part; beyond it a float no longer
/// holds every digit, and the value is shown as the float it is.
const EXACT_INTEGER: f64 = 1e15;

/// The text of a cell. Errors (`#N/A`, `#REF!`) are kept as the spreadsheet shows them,
/// so that the check names them rather than reading an empty cell.
pub(crate) fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => float_text(*number),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(value) => {
            if value.is_datetime() {
                match value.as_datetime() {
                    Some(at) => date_time_text(at),
                    None => float_text(value.as_f64()),
                }
            } else {
                // A duration: what it shows in a cell formatted as time.
                duration_text(value.as_f64())
            }
        }
        Data::DateTimeIso(text) => iso_text(text),
        Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    }
}

fn float_text(number: f64) -> String {
    if number.is_finite() && number.fract() == 0.0 && number.abs() < EXACT_INTEGER {
        // Exact: the value is an integer well inside i64's range.
        #[allow(clippy::cast_possible_truncation)]
        let integer = number as i64;
        integer.to_string()
    } else {
        number.to_string()
    }
}

/// A date alone when the time is midnight (a cell formatted as a date), else both.
fn date_time_text(at: chrono::NaiveDateTime) -> String {
    if at.time() == chrono::NaiveTime::MIN {
        at.format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

fn duration_text(days: f64) -> String {
    // Rounded to the second, as spreadsheets show it.
    #[allow(clippy::cast_possible_truncation)]
    let seconds = (days * 86_400.0).round() as i64;
    let sign = if seconds < 0 { "-" } else { "" };
    let seconds = seconds.unsigned_abs();
    format!(
        "{sign}{}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// OpenDocument dates arrive as ISO text: `2024-03-01` or `2024-03-01T10:30:00`.
fn iso_text(text: &str) -> String {
    let trimmed = text.strip_suffix("T00:00:00").unwrap_or(text);
    trimmed.replacen('T', " ", 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn numbers_lose_the_decimal_part_only_when_they_have_none() {
        assert_eq!(text(&Data::Float(5_145_550_123.0)), "5145550123");
        assert_eq!(text(&Data::Float(1.5)), "1.5");
        assert_eq!(text(&Data::Float(-3.0)), "-3");
        assert_eq!(text(&Data::Int(42)), "42");
        assert_eq!(text(&Data::Float(1e20)), "100000000000000000000");
        assert_eq!(text(&Data::Float(f64::NAN)), "NaN");
    }

    #[test]
    fn dates_booleans_and_errors_read_as_shown() {
        // 45352 is 2024-03-01 in Excel's 1900 date system.
        let date = ExcelDateTime::new(45352.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(text(&Data::DateTime(date)), "2024-03-01");
        let date_time = ExcelDateTime::new(45352.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(text(&Data::DateTime(date_time)), "2024-03-01 12:00:00");
        let duration = ExcelDateTime::new(1.5 / 24.0, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(text(&Data::DateTime(duration)), "1:30:00");
        assert_eq!(
            text(&Data::DateTimeIso("2024-03-01T00:00:00".into())),
            "2024-03-01"
        );
        assert_eq!(
            text(&Data::DateTimeIso("2024-03-01T10:30:00".into())),
            "2024-03-01 10:30:00"
        );
        assert_eq!(text(&Data::Bool(true)), "TRUE");
        assert_eq!(text(&Data::Bool(false)), "FALSE");
        assert_eq!(text(&Data::Error(CellErrorType::NA)), "#N/A");
        assert_eq!(text(&Data::Empty), "");
    }
}
