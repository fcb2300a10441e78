//! `sxadmin import FILE --check`: validates a user file offline, reporting every problem
//! at once by line and column before anything is sent to a portal.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use sxadmin_core::csv::{self, Issue, ReadOptions};

use super::{GlobalOptions, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (any encoding and delimiter a spreadsheet writes).
    file: PathBuf,
    /// Validate the file alone, offline; nothing is sent to the portal.
    #[arg(long)]
    check: bool,
}

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
    encoding: &'static str,
    delimiter: char,
}

#[derive(Debug, Serialize)]
struct RowReport<'a> {
    line: u64,
    email: &'a str,
    errors: &'a [Issue],
}

pub async fn run(options: &GlobalOptions, args: ImportArgs) -> anyhow::Result<Outcome> {
    if !args.check {
        return Err(UsageError(
            "applying an import needs a signed-in portal session, which this version of \
             sxadmin cannot open yet; validate the file offline with --check"
                .into(),
        )
        .into());
    }
    let bytes = std::fs::read(&args.file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?;
    let parsed = csv::read(&bytes, &ReadOptions::default())
        .map_err(|e| UsageError(format!("{}: {e} [{}]", args.file.display(), e.code())))?;
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
            encoding: parsed.encoding.as_str(),
            delimiter: parsed.delimiter,
        },
        rows,
        warnings: &parsed.warnings,
    };
    if options.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_readable(&args.file, &report);
    }
    Ok(if report.summary.with_errors == 0 {
        Outcome::Done
    } else {
        Outcome::SomeFailed
    })
}

fn print_readable(file: &std::path::Path, report: &CheckReport<'_>) {
    let summary = &report.summary;
    println!(
        "{}: {} users, {} encoding, delimiter {:?}",
        file.display(),
        summary.rows,
        summary.encoding,
        summary.delimiter
    );
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
