//! Applying an import plan to the portal: the rows to create or update go in batches
//! through the batch endpoint (each item with an idempotency key, so a retried batch never
//! applies an item twice), licences are assigned after their user exists, progress is
//! reported after every batch, and cancelling stops between two batches.
//!
//! Rows the plan marked unchanged or refused are not sent; every row of the file still
//! gets a line in the results.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sxadmin_core::csv::plan::{Action, ImportPlan, PlannedRow};
use sxadmin_core::csv::results::ResultRow;
use sxadmin_core::{BatchItem, BatchOperation, BatchOutcome, Id, LicenceTier};

use crate::{ClientError, PortalClient};

/// Items per batch request: small enough for frequent progress, well under the portal's
/// limit of 1,000.
pub const BATCH_SIZE: usize = 200;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Rows to send that have been sent.
    pub done: usize,
    pub total: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub progress: Progress,
    pub cancelled: bool,
    /// One line per row of the file, in file order.
    pub results: Vec<ResultRow>,
}

/// Applies `plan`. Fails only when the portal cannot be reached or refuses a whole batch;
/// a refused row is recorded in the results and the import goes on.
pub async fn apply(
    client: &PortalClient,
    plan: &ImportPlan,
    cancel: &AtomicBool,
    mut on_progress: impl FnMut(&Progress),
) -> Result<Outcome, ClientError> {
    let run = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut results: Vec<Option<ResultRow>> = vec![None; plan.rows.len()];
    let mut to_send = Vec::new();
    for (index, row) in plan.rows.iter().enumerate() {
        match &row.action {
            Action::Create { .. } | Action::Update { .. } => to_send.push(index),
            Action::Unchanged { .. } => {
                results[index] = Some(result(row, BatchOutcome::Unchanged, String::new()))
            }
            Action::Error => {
                let message = row
                    .issues
                    .iter()
                    .map(|issue| issue.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                results[index] = Some(result(row, BatchOutcome::Error, message));
            }
        }
    }
    let mut progress = Progress {
        total: to_send.len(),
        unchanged: plan.summary.unchanged,
        // Rows the plan refused are not imported; they count as failed from the start.
        failed: plan.summary.error,
        ..Progress::default()
    };
    on_progress(&progress);
    let mut cancelled = false;
    for chunk in to_send.chunks(BATCH_SIZE) {
        if cancel.load(Ordering::SeqCst) {
            cancelled = true;
            break;
        }
        let items = chunk
            .iter()
            .filter_map(|&index| plan.rows.get(index).map(|row| batch_item(run, row)))
            .collect();
        let response = client.apply_batch(items).await?;
        for (&index, answer) in chunk.iter().zip(response.results) {
            let Some(row) = plan.rows.get(index) else {
                continue;
            };
            let mut outcome = answer.outcome;
            let mut message = answer.error.map(|e| e.message).unwrap_or_default();
            if outcome != BatchOutcome::Error {
                if let (Some(user), Some(tier)) = (answer.user.as_ref(), licence_wanted(row)) {
                    let held = user.licence.as_ref().map(|l| l.tier);
                    if let Err(error) = set_licence(client, user.id, held, tier).await {
                        outcome = BatchOutcome::Error;
                        message = format!("the user was saved but the licence was not: {error}");
                    } else if outcome == BatchOutcome::Unchanged && held != Some(tier) {
                        outcome = BatchOutcome::Updated;
                    }
                }
            }
            match outcome {
                BatchOutcome::Created => progress.created += 1,
                BatchOutcome::Updated => progress.updated += 1,
                BatchOutcome::Unchanged => progress.unchanged += 1,
                BatchOutcome::Error => progress.failed += 1,
            }
            results[index] = Some(result(row, outcome, message));
        }
        progress.done += chunk.len();
        on_progress(&progress);
    }
    let results = plan
        .rows
        .iter()
        .zip(results)
        .map(|(row, done)| {
            done.unwrap_or_else(|| {
                result(
                    row,
                    BatchOutcome::Error,
                    "not imported: the import was cancelled".into(),
                )
            })
        })
        .collect();
    Ok(Outcome {
        progress,
        cancelled,
        results,
    })
}

fn result(row: &PlannedRow, outcome: BatchOutcome, message: String) -> ResultRow {
    ResultRow {
        line: row.line,
        email: row.email.clone(),
        outcome,
        message,
    }
}

fn batch_item(run: u128, row: &PlannedRow) -> BatchItem {
    let operation = match &row.action {
        Action::Create { user, .. } => BatchOperation::Create(user.clone()),
        Action::Update { changes, .. } => BatchOperation::Update {
            email: row.email.clone(),
            changes: changes.clone(),
        },
        // Only creates and updates are sent.
        Action::Unchanged { .. } | Action::Error => BatchOperation::Update {
            email: row.email.clone(),
            changes: Default::default(),
        },
    };
    BatchItem {
        idempotency_key: format!("import-{run}-{}", row.line),
        operation,
    }
}

fn licence_wanted(row: &PlannedRow) -> Option<LicenceTier> {
    match &row.action {
        Action::Create { licence, .. } => *licence,
        Action::Update { licence, .. } => licence.map(|change| change.to),
        _ => None,
    }
}

async fn set_licence(
    client: &PortalClient,
    user: Id,
    held: Option<LicenceTier>,
    tier: LicenceTier,
) -> Result<(), ClientError> {
    match held {
        Some(current) if current == tier => Ok(()),
        Some(_) => client.change_licence(user, tier).await.map(|_| ()),
        None => client.assign_licence(user, tier).await.map(|_| ()),
    }
}
