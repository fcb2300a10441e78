//! `--check`: the file alone, offline, with every problem at once by line and column.

use std::path::Path;

use serde::Serialize;
use sxadmin_client::import::workflow;
use sxadmin_core::csv::Issue;

use crate::commands::{GlobalOptions, Outcome, UsageError};

#[derive(Debug, Serialize)]
struct CheckReport<'a> {
    summary: CheckSummary,
    rows: Vec<RowReport<'a>>,
    warnings: &'a [Issue],
}

#[derive(Debug, Serialize)]
struct CheckSummary {
    rows: usize,
    valid: usize,
    with_errors: usize,
    /// The workbook's kind and the sheet read; absent for a CSV file.
    #[serde(skip_serializing_if = "Option::is_none")]
    workbook: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sheet: Option<String>,
    /// Every sheet of the workbook, for `--sheet`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    sheets: Vec<String>,
    encoding: &'static str,
    delimiter: char,
}

#[derive(Debug, Serialize)]
struct RowReport<'a> {
    line: u64,
    email: &'a str,
    errors: &'a [Issue],
}

pub fn run(
    options: &GlobalOptions,
    file: &Path,
    bytes: &[u8],
    sheet: Option<&str>,
) -> anyhow::Result<Outcome> {
    let parsed = workflow::read_sheet(bytes, sheet)
        .map_err(|e| UsageError(format!("{}: {e} [{}]", file.display(), e.code())))?;
    let rows: Vec<RowReport<'_>> = parsed
        .rows
        .iter()
        .filter(|row| !row.issues.is_empty())
        .map(|row| RowReport {
            line: row.line,
            email: &row.email,
            errors: &row.issues,
        })
        .collect();
    let report = CheckReport {
        summary: CheckSummary {
            rows: parsed.rows.len(),
            valid: parsed.rows.len() - rows.len(),
            with_errors: rows.len(),
            workbook: parsed.sheet.as_ref().map(|sheet| sheet.format.as_str()),
            sheet: parsed.sheet.as_ref().map(|sheet| sheet.name.clone()),
            sheets: parsed
                .sheet
                .as_ref()
                .map(|sheet| sheet.sheets.clone())
                .unwrap_or_default(),
            encoding: parsed.encoding.as_str(),
            delimiter: parsed.delimiter,
        },
        rows,
        warnings: &parsed.warnings,
    };
    if options.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_readable(file, &report);
    }
    Ok(if report.summary.with_errors == 0 {
        Outcome::Done
    } else {
        Outcome::SomeFailed
    })
}

fn print_readable(file: &Path, report: &CheckReport<'_>) {
    let summary = &report.summary;
    match (&summary.workbook, &summary.sheet) {
        (Some(kind), Some(sheet)) => {
            println!(
                "{}: {} users, {kind}, sheet {sheet:?}",
                file.display(),
                summary.rows
            );
            if summary.sheets.len() > 1 {
                let others: Vec<String> = summary
                    .sheets
                    .iter()
                    .filter(|name| *name != sheet)
                    .map(|name| format!("{name:?}"))
                    .collect();
                println!(
                    "  note: the workbook has other sheets ({}); choose one with --sheet NAME",
                    others.join(", ")
                );
            }
        }
        _ => println!(
            "{}: {} users, {} encoding, delimiter {:?}",
            file.display(),
            summary.rows,
            summary.encoding,
            summary.delimiter
        ),
    }
    for warning in report.warnings {
        println!("  note: {warning}");
    }
    for row in &report.rows {
        for issue in row.errors {
            println!("  {issue} [{}]", issue.code);
        }
    }
    if summary.with_errors == 0 {
        println!("All {} users are valid.", summary.rows);
    } else {
        println!(
            "{} of {} users need fixing; correct the lines above and check again.",
            summary.with_errors, summary.rows
        );
    }
}
