//! `sxadmin import FILE`: `--check` validates the file offline, reporting every problem at
//! once by line and column; `--dry-run` shows the plan against the portal and writes
//! nothing; otherwise the plan is applied, with a journal to `--resume` from and a results
//! file that says what happened to every row.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use sxadmin_client::import::journal::{self, Header, Journal};
use sxadmin_client::import::{self, ApplyOptions, Progress};
use sxadmin_client::PortalClient;
use sxadmin_core::csv::plan::{build_plan, ActionKind, ImportPlan, Summary};
use sxadmin_core::csv::results::{write_results, ResultRow};
use sxadmin_core::csv::{self, Issue, IssueCode, ReadOptions};
use sxadmin_core::BatchOutcome;

use super::{connect, GlobalOptions, NotSignedIn, Outcome, UsageError};

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file (any encoding and delimiter a spreadsheet writes).
    file: PathBuf,
    /// Validate the file alone, offline; nothing is sent to the portal.
    #[arg(long, conflicts_with_all = ["dry_run", "resume"])]
    check: bool,
    /// Show what the import would do on the portal, and change nothing.
    #[arg(long, conflicts_with = "resume")]
    dry_run: bool,
    /// Write the results (one line per row, Excel-safe CSV) to this file.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Batch requests in flight at once (1 to 16).
    #[arg(long, default_value_t = import::CONCURRENCY as u8, value_parser = clap::value_parser!(u8).range(1..=16))]
    concurrency: u8,
    /// Go on with an import of this file that was interrupted.
    #[arg(long)]
    resume: bool,
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
    let bytes = std::fs::read(&args.file)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", args.file.display())))?;
    if args.check {
        return check(options, &args, &bytes);
    }
    if let Some(report) = &args.report {
        if report.exists() {
            return Err(UsageError(format!(
                "{} already exists; choose another name for --report or delete it first",
                report.display()
            ))
            .into());
        }
    }
    let client = connect::client(options).await?;
    let me = client.me().await?;
    let scope = import::key_scope(me.account.id, &import::file_digest(&bytes));
    let journal_path = journal::path(&connect::data_dir()?.join("imports"), &scope);
    if args.resume {
        let (journal, resumed) = Journal::reopen(&journal_path)
            .map_err(|e| UsageError(format!("{}: {e}", args.file.display())))?;
        // The journal is the account's (its name derives from the account and the file);
        // the same portal may be reached at another address, through a proxy for example.
        if resumed.header.portal != client.url().as_str() && !options.json {
            eprintln!(
                "note: the interrupted import went to {}; resuming it on {}",
                resumed.header.portal,
                client.url().as_str()
            );
        }
        if !options.json {
            eprintln!(
                "Resuming the import of {}: {} of {} rows to send were done, {} left.",
                args.file.display(),
                resumed.already_done,
                resumed.already_done + resumed.work.jobs.len(),
                resumed.work.jobs.len()
            );
        }
        return apply(options, &args, &client, journal, resumed.work).await;
    }
    let parsed = read_file(&args.file, &bytes)?;
    let snapshot = import::snapshot(&client).await?;
    let plan = build_plan(&parsed, &snapshot);
    if args.dry_run {
        return dry_run(options, &args.file, &plan);
    }
    if journal::is_unfinished(&journal_path) && !options.json {
        eprintln!(
            "note: an earlier import of this file was interrupted; starting again from a new \
             plan (rows it imported are now unchanged). `--resume` would have gone on from \
             where it stopped."
        );
    }
    print_plan_warnings(options, &plan);
    let work = import::work(&plan, &scope);
    let header = Header {
        portal: client.url().as_str().to_owned(),
        account: me.account.id,
        file: args.file.display().to_string(),
        rows: plan.rows.len(),
    };
    let journal = Journal::create(&journal_path, &header, &work)?;
    apply(options, &args, &client, journal, work).await
}

/// Reads the file as an import; a file that cannot be read as one is bad input.
fn read_file<'a>(file: &Path, bytes: &'a [u8]) -> Result<csv::ParsedFile<'a>, UsageError> {
    csv::read(bytes, &ReadOptions::default())
        .map_err(|e| UsageError(format!("{}: {e} [{}]", file.display(), e.code())))
}

fn check(options: &GlobalOptions, args: &ImportArgs, bytes: &[u8]) -> anyhow::Result<Outcome> {
    let parsed = read_file(&args.file, bytes)?;
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

#[derive(Serialize)]
struct PlanReport<'a> {
    summary: &'a Summary,
    rows: Vec<PlanRow<'a>>,
}

#[derive(Serialize)]
struct PlanRow<'a> {
    line: u64,
    email: &'a str,
    action: ActionKind,
    errors: Vec<RowError<'a>>,
}

#[derive(Serialize)]
struct RowError<'a> {
    column: Option<&'a str>,
    code: IssueCode,
    message: &'a str,
}

fn dry_run(options: &GlobalOptions, file: &Path, plan: &ImportPlan) -> anyhow::Result<Outcome> {
    if options.json {
        let report = PlanReport {
            summary: &plan.summary,
            rows: plan
                .rows
                .iter()
                .map(|row| PlanRow {
                    line: row.line,
                    email: &row.email,
                    action: row.action.kind(),
                    errors: row
                        .issues
                        .iter()
                        .map(|issue| RowError {
                            column: issue.column.as_deref(),
                            code: issue.code,
                            message: &issue.message,
                        })
                        .collect(),
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let summary = &plan.summary;
        println!(
            "{}: {} rows — {} to create, {} to update, {} unchanged, {} with errors",
            file.display(),
            summary.rows,
            summary.create,
            summary.update,
            summary.unchanged,
            summary.error
        );
        for row in &plan.rows {
            for issue in &row.issues {
                println!("  {issue} [{}]", issue.code);
            }
        }
        print_plan_warnings(options, plan);
        println!("Nothing was changed (dry run).");
    }
    Ok(if plan.summary.error == 0 {
        Outcome::Done
    } else {
        Outcome::SomeFailed
    })
}

/// Licences the pool cannot cover and findings across rows, said before anything is sent.
fn print_plan_warnings(options: &GlobalOptions, plan: &ImportPlan) {
    if options.json {
        return;
    }
    for line in licence_warnings(plan) {
        eprintln!("warning: {line}");
    }
    for finding in &plan.findings {
        // Said above, with the command that fixes it.
        if finding.code != IssueCode::LicencesExhausted {
            eprintln!("warning: {}", finding.message);
        }
    }
}

/// What the plan does with rows beyond the pool: once a tier's licences run out, the
/// later rows that ask for one are refused, so they are not imported at all.
fn licence_warnings(plan: &ImportPlan) -> Vec<String> {
    plan.summary
        .licences
        .iter()
        .filter_map(|demand| {
            let usable = usize::try_from(demand.available).unwrap_or(0);
            let short = demand.needed.checked_sub(usable).filter(|&n| n > 0)?;
            let tier = demand.tier.as_str();
            let (left_out, those) = if short == 1 {
                (
                    "row (the last in the file that asks for one) will not be imported",
                    "that row",
                )
            } else {
                (
                    "rows (the last in the file that ask for one) will not be imported",
                    "those rows",
                )
            };
            Some(format!(
                "{needed} {ask} for a {tier} licence and {usable} {are} available, so {short} \
                 {left_out}: buy {short} more with `sxadmin licences buy {tier} {short}`, or \
                 empty the licence cell of {those}, then import again",
                needed = demand.needed,
                ask = if demand.needed == 1 {
                    "row asks"
                } else {
                    "rows ask"
                },
                are = if usable == 1 { "is" } else { "are" },
            ))
        })
        .collect()
}

#[derive(Serialize)]
struct ApplyReport<'a> {
    summary: ApplySummary,
    /// Why the import stopped early, when it did; `--resume` goes on from there.
    stopped: Option<&'a str>,
    report: Option<String>,
    rows: &'a [ResultRow],
}

#[derive(Serialize, Clone, Copy)]
struct ApplySummary {
    rows: usize,
    created: usize,
    updated: usize,
    unchanged: usize,
    failed: usize,
}

async fn apply(
    options: &GlobalOptions,
    args: &ImportArgs,
    client: &PortalClient,
    mut journal: Journal,
    work: import::Work,
) -> anyhow::Result<Outcome> {
    let cancel = Arc::new(AtomicBool::new(false));
    let interrupt = {
        let cancel = cancel.clone();
        let json = options.json;
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::SeqCst);
                if !json {
                    eprintln!("\nStopping after the batches under way; resume with --resume.");
                }
            }
        })
    };
    let bar = progress_bar(options, work.jobs.len());
    let mut journal_error = None;
    let outcome = import::run(
        client,
        work,
        &ApplyOptions {
            concurrency: usize::from(args.concurrency),
            ..ApplyOptions::default()
        },
        &cancel,
        |progress: &Progress| {
            if let Some(bar) = &bar {
                bar.set_position(progress.done as u64);
                let seconds = bar.elapsed().as_secs_f64().max(0.001);
                bar.set_message(format!(
                    "{} new, {} changed, {} failed, {:.0}/s",
                    progress.created,
                    progress.updated,
                    progress.failed,
                    progress.done as f64 / seconds
                ));
            }
        },
        |row| {
            if journal_error.is_none() {
                if let Err(error) = journal.record(row) {
                    journal_error = Some(error);
                    cancel.store(true, Ordering::SeqCst);
                }
            }
        },
    )
    .await;
    interrupt.abort();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let interrupted = outcome.cancelled || outcome.stopped.is_some();
    let journal_path = journal.path().to_owned();
    if !interrupted && journal_error.is_none() {
        journal.finish()?;
    }
    let report = match &args.report {
        Some(path) => Some(path.clone()),
        None => default_report_path(&args.file)?,
    };
    if let Some(path) = &report {
        write_report(path, &outcome.results)?;
    }
    let progress = &outcome.progress;
    let summary = ApplySummary {
        rows: outcome.results.len(),
        created: progress.created,
        updated: progress.updated,
        unchanged: progress.unchanged,
        failed: progress.failed,
    };
    if options.json {
        let printed = ApplyReport {
            summary,
            stopped: outcome.stopped.as_deref(),
            report: report.as_ref().map(|p| p.display().to_string()),
            rows: &outcome.results,
        };
        println!("{}", serde_json::to_string_pretty(&printed)?);
    } else {
        println!(
            "{}: {} rows — {} created, {} updated, {} unchanged, {} failed",
            args.file.display(),
            summary.rows,
            summary.created,
            summary.updated,
            summary.unchanged,
            summary.failed
        );
        for row in outcome
            .results
            .iter()
            .filter(|row| row.outcome == BatchOutcome::Error)
            .take(20)
        {
            println!("  line {}: {}: {}", row.line, row.email, row.message);
        }
        if summary.failed > 20 {
            println!("  … and {} more; see the results file", summary.failed - 20);
        }
        if let Some(path) = &report {
            println!("Results: {}", path.display());
        }
    }
    if let Some(error) = journal_error {
        return Err(anyhow::Error::new(error).context("the import was stopped"));
    }
    if interrupted {
        let why = outcome
            .stopped
            .clone()
            .unwrap_or_else(|| "interrupted".to_owned());
        eprintln!(
            "The import stopped before its end ({why}). Run `sxadmin import {} --resume` to go \
             on where it stopped (journal: {}).",
            args.file.display(),
            journal_path.display()
        );
        if matches!(
            outcome.stopped_code.as_deref(),
            Some("not_authenticated" | "forbidden")
        ) {
            return Err(NotSignedIn(why).into());
        }
        return Ok(Outcome::SomeFailed);
    }
    Ok(if summary.failed == 0 {
        Outcome::Done
    } else {
        Outcome::SomeFailed
    })
}

fn progress_bar(options: &GlobalOptions, total: usize) -> Option<indicatif::ProgressBar> {
    if options.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    let style = indicatif::ProgressStyle::with_template("{bar:20} {pos}/{len} · {msg} · ETA {eta}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// `users-results.csv` next to nothing the user owns: in the data folder, never replacing
/// an earlier report.
fn default_report_path(file: &Path) -> anyhow::Result<Option<PathBuf>> {
    let dir = connect::data_dir()?.join("results");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import".into());
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    for n in 0..1000 {
        let name = if n == 0 {
            format!("{stem}-results-{stamp}.csv")
        } else {
            format!("{stem}-results-{stamp}-{n}.csv")
        };
        let path = dir.join(name);
        if !path.exists() {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

fn write_report(path: &Path, rows: &[ResultRow]) -> anyhow::Result<()> {
    let mut out = Vec::new();
    write_results(rows.iter().cloned(), &mut out).context("cannot write the results")?;
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}
