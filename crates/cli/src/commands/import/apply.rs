//! Applying the plan, or resuming an interrupted import, through the client's workflow:
//! a progress bar on a terminal, Ctrl-C to stop after the batches under way, and a
//! results file and summary at the end.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sxadmin_client::import::workflow::{self, Planned};
use sxadmin_client::import::{ApplyOptions, Outcome as Applied, Progress};
use sxadmin_client::PortalClient;
use sxadmin_core::csv::results::{write_results, ResultRow};
use sxadmin_core::BatchOutcome;

use super::{failure, plan, ImportArgs};
use crate::commands::{connect, output, GlobalOptions, NotSignedIn, Outcome};

/// A new import of the file, from the plan just made.
pub async fn start(
    options: &GlobalOptions,
    args: &ImportArgs,
    client: &PortalClient,
    planned: &Planned,
) -> anyhow::Result<Outcome> {
    if planned.interrupted.is_some() && !options.json {
        eprintln!(
            "note: an earlier import of this file was interrupted; starting again from a new \
             plan (rows it imported are now unchanged). `--resume` would have gone on from \
             where it stopped."
        );
    }
    plan::print_plan_warnings(options, &planned.plan);
    let removals = &planned.plan.removals;
    if !options.json && !removals.is_empty() {
        plan::print_removals(&planned.plan);
    }
    let deletions = planned.plan.summary.delete;
    if deletions > 0 && !planned.plan.safeguard.exceeded {
        output::confirm(
            options,
            &format!(
                "This import deletes {deletions} user{} for good (see above); their licences \
                 go back to the pool.",
                if deletions == 1 { "" } else { "s" }
            ),
        )?;
    }
    let watch = Watch::start(options);
    let applied = workflow::apply(
        client,
        planned,
        &apply_options(args),
        &watch.cancel,
        |progress| watch.show(progress),
    )
    .await;
    watch.stop();
    let applied = applied.map_err(|error| failure(args, error))?;
    finish(options, args, planned.journal_path(), applied)
}

/// The interrupted import of the file, from its journal: rows already settled are not
/// sent again.
pub async fn resume(
    options: &GlobalOptions,
    args: &ImportArgs,
    client: &PortalClient,
    planned: &Planned,
) -> anyhow::Result<Outcome> {
    if let (Some(interrupted), false) = (&planned.interrupted, options.json) {
        // The journal is the account's (its name derives from the account and the file);
        // the same portal may be reached at another address, through a proxy for example.
        if interrupted.header.portal != client.url().as_str() {
            eprintln!(
                "note: the interrupted import went to {}; resuming it on {}",
                interrupted.header.portal,
                client.url().as_str()
            );
        }
        eprintln!(
            "Resuming the import of {}: {} of {} rows to send were done, {} left.",
            args.file.display(),
            interrupted.done,
            interrupted.done + interrupted.left,
            interrupted.left
        );
    }
    let watch = Watch::start(options);
    let applied = workflow::resume(
        client,
        planned.journal_path(),
        &apply_options(args),
        &watch.cancel,
        |progress| watch.show(progress),
    )
    .await;
    watch.stop();
    let applied = applied.map_err(|error| failure(args, error))?;
    finish(options, args, planned.journal_path(), applied)
}

fn apply_options(args: &ImportArgs) -> ApplyOptions {
    ApplyOptions {
        concurrency: usize::from(args.concurrency),
        ..ApplyOptions::default()
    }
}

/// What the administrator sees while an import runs: a progress bar on a terminal, and
/// Ctrl-C to stop after the batches under way.
struct Watch {
    cancel: Arc<AtomicBool>,
    interrupt: tokio::task::JoinHandle<()>,
    bar: Option<indicatif::ProgressBar>,
}

impl Watch {
    fn start(options: &GlobalOptions) -> Watch {
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
        Watch {
            cancel,
            interrupt,
            bar: progress_bar(options),
        }
    }

    fn show(&self, progress: &Progress) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.set_length(progress.total as u64);
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

    fn stop(self) {
        self.interrupt.abort();
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

fn progress_bar(options: &GlobalOptions) -> Option<indicatif::ProgressBar> {
    if options.json || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template("{bar:20} {pos}/{len} · {msg} · ETA {eta}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
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
    disabled: usize,
    deleted: usize,
    failed: usize,
}

/// Writes the results file and says how the import ended; the exit code follows.
fn finish(
    options: &GlobalOptions,
    args: &ImportArgs,
    journal: &Path,
    applied: Applied,
) -> anyhow::Result<Outcome> {
    let report = match &args.report {
        Some(path) => Some(path.clone()),
        None => default_report_path(&args.file)?,
    };
    if let Some(path) = &report {
        write_report(path, &applied.results)?;
    }
    let progress = &applied.progress;
    let summary = ApplySummary {
        rows: applied.results.len(),
        created: progress.created,
        updated: progress.updated,
        unchanged: progress.unchanged,
        disabled: progress.disabled,
        deleted: progress.deleted,
        failed: progress.failed,
    };
    if options.json {
        let printed = ApplyReport {
            summary,
            stopped: applied.stopped.as_deref(),
            report: report.as_ref().map(|p| p.display().to_string()),
            rows: &applied.results,
        };
        println!("{}", serde_json::to_string_pretty(&printed)?);
    } else {
        print_summary(args, summary, &applied.results, report.as_deref());
    }
    if applied.cancelled || applied.stopped.is_some() {
        let why = applied
            .stopped
            .clone()
            .unwrap_or_else(|| "interrupted".to_owned());
        eprintln!(
            "The import stopped before its end ({why}). Run `sxadmin import {} --resume` to go \
             on where it stopped (journal: {}).",
            args.file.display(),
            journal.display()
        );
        if matches!(
            applied.stopped_code.as_deref(),
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

/// Failed rows shown, at most: the results file has every one.
const FAILURES_SHOWN: usize = 20;

fn print_summary(
    args: &ImportArgs,
    summary: ApplySummary,
    results: &[ResultRow],
    report: Option<&Path>,
) {
    println!(
        "{}: {} rows — {} created, {} updated, {} unchanged, {} failed",
        args.file.display(),
        summary.rows,
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.failed
    );
    if summary.disabled + summary.deleted > 0 {
        println!(
            "  {} disabled, {} deleted",
            summary.disabled, summary.deleted
        );
    }
    for row in results
        .iter()
        .filter(|row| row.outcome == BatchOutcome::Error)
        .take(FAILURES_SHOWN)
    {
        match row.line {
            0 => println!("  not in the file: {}: {}", row.email, row.message),
            line => println!("  line {line}: {}: {}", row.email, row.message),
        }
    }
    if summary.failed > FAILURES_SHOWN {
        println!(
            "  … and {} more; see the results file",
            summary.failed - FAILURES_SHOWN
        );
    }
    if let Some(path) = report {
        println!("Results: {}", path.display());
    }
}

/// `users-results-STAMP.csv` in the data folder, never replacing an earlier report.
fn default_report_path(file: &Path) -> anyhow::Result<Option<PathBuf>> {
    let dir = connect::folders()?.results();
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
    sxadmin_client::files::write_private(path, &out)
        .with_context(|| format!("cannot write {}", path.display()))
}
