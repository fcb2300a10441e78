//! Applying an import plan to the portal.
//!
//! The rows to create or update become jobs: one batch item each, with an idempotency key
//! derived from the account, the file's content and the row's line, so that a batch sent
//! again (after a lost answer, a crash, or a second run of the same file) never applies a
//! row twice. Batches go out a few at a time; a row's licence is set once its user exists.
//! When the portal stays unreachable or refuses the sign-in, no new batch is sent, the
//! batches under way finish, and every row not applied says so; a journal (see
//! [`journal`]) lets the import resume from there.
//!
//! Rows the plan marked unchanged or refused are not sent; every row of the file still
//! gets a line in the results.

pub mod journal;
pub mod workflow;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sxadmin_core::csv::plan::{Action, ImportPlan, PlannedRow, PortalSnapshot, RemovalKind};
use sxadmin_core::csv::results::ResultRow;
use sxadmin_core::{
    BatchItem, BatchItemResult, BatchOperation, BatchOutcome, DomainStatus, ErrorCode, Id,
    LicenceTier, User,
};
use tokio::task::JoinSet;

use crate::{ClientError, PortalClient};

/// Items per batch request: large enough to keep the portal busy, small enough for
/// frequent progress, well under the portal's limit of 1,000.
pub const BATCH_SIZE: usize = 250;

/// Batches in flight at once by default.
pub const CONCURRENCY: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyOptions {
    pub batch_size: usize,
    /// Batches in flight at once (at least 1).
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            batch_size: BATCH_SIZE,
            concurrency: CONCURRENCY,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Rows to send that have been settled.
    pub done: usize,
    pub total: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub disabled: usize,
    pub deleted: usize,
    pub failed: usize,
}

impl Progress {
    fn count(&mut self, outcome: BatchOutcome) {
        match outcome {
            BatchOutcome::Created => self.created += 1,
            BatchOutcome::Updated => self.updated += 1,
            BatchOutcome::Unchanged => self.unchanged += 1,
            BatchOutcome::Disabled => self.disabled += 1,
            BatchOutcome::Deleted => self.deleted += 1,
            BatchOutcome::Error => self.failed += 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub progress: Progress,
    pub cancelled: bool,
    /// Why the import stopped before sending every row, when it did.
    pub stopped: Option<String>,
    /// The error code of that reason (`not_authenticated` when the sign-in ran out).
    pub stopped_code: Option<String>,
    /// One line per row of the file, in file order.
    pub results: Vec<ResultRow>,
}

/// One row to send: its batch item and the licence it should hold afterwards.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The row's line; 0 for a user the file does not list, removed in sync mode.
    pub line: u64,
    pub email: String,
    pub item: BatchItem,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<LicenceTier>,
}

/// What a plan asks for: the jobs to send, and the rows settled without sending anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Work {
    pub jobs: Vec<Job>,
    pub settled: Vec<ResultRow>,
}

/// The SHA-256 of an imported file's bytes.
pub fn file_digest(file: &[u8]) -> [u8; 32] {
    Sha256::digest(file).into()
}

/// The part of every idempotency key that names this account and this file's content
/// (given by [`file_digest`]).
pub fn key_scope(account: Id, file_digest: &[u8; 32]) -> String {
    let mut hash = Sha256::new();
    hash.update(account.to_string().as_bytes());
    hash.update([0]);
    hash.update(file_digest);
    hex(&hash.finalize()[..16])
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Turns a plan into jobs keyed by `scope` (see [`key_scope`]): the file's rows in file
/// order, then the users the file does not list that sync mode removes.
pub fn work(plan: &ImportPlan, scope: &str) -> Work {
    let mut work = Work::default();
    for row in &plan.rows {
        let operation = match &row.action {
            Action::Create { user, .. } => BatchOperation::Create(user.clone()),
            Action::Update { changes, .. } => BatchOperation::Update {
                email: row.email.clone(),
                changes: changes.clone(),
            },
            Action::Disable { .. } => BatchOperation::Disable {
                email: row.email.clone(),
            },
            Action::Delete { .. } => BatchOperation::Delete {
                email: row.email.clone(),
            },
            Action::Unchanged { .. } => {
                work.settled
                    .push(result(row, BatchOutcome::Unchanged, String::new()));
                continue;
            }
            Action::Error => {
                let message = row
                    .issues
                    .iter()
                    .map(|issue| issue.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                work.settled.push(result(row, BatchOutcome::Error, message));
                continue;
            }
        };
        work.jobs.push(Job {
            line: row.line,
            email: row.email.clone(),
            item: BatchItem {
                idempotency_key: format!("import-{scope}-{}", row.line),
                operation,
            },
            licence: licence_wanted(row),
        });
    }
    for removal in plan
        .removals
        .iter()
        .filter(|removal| removal.line.is_none())
    {
        let operation = match removal.kind {
            RemovalKind::Disable => BatchOperation::Disable {
                email: removal.email.clone(),
            },
            RemovalKind::Delete => BatchOperation::Delete {
                email: removal.email.clone(),
            },
        };
        work.jobs.push(Job {
            line: 0,
            email: removal.email.clone(),
            item: BatchItem {
                // The user's id, not a line: the same user is removed once whatever the
                // file's rows, and disabling then deleting them are two operations.
                idempotency_key: format!(
                    "import-{scope}-missing-{}-{}",
                    removal.kind.as_str(),
                    removal.user_id
                ),
                operation,
            },
            licence: None,
        });
    }
    work
}

/// Applies `plan` in one go, for callers that keep no journal.
pub async fn apply(
    client: &PortalClient,
    plan: &ImportPlan,
    scope: &str,
    options: &ApplyOptions,
    cancel: &AtomicBool,
    on_progress: impl FnMut(&Progress),
) -> Outcome {
    let work = work(plan, scope);
    run(client, work, options, cancel, on_progress, |_| {}).await
}

/// Sends `work.jobs`, calling `on_result` as each row is settled (a journal records it)
/// and `on_progress` after each batch. Never fails as a whole: a row that could not be
/// applied is an error row saying why.
pub async fn run(
    client: &PortalClient,
    work: Work,
    options: &ApplyOptions,
    cancel: &AtomicBool,
    mut on_progress: impl FnMut(&Progress),
    mut on_result: impl FnMut(&ResultRow),
) -> Outcome {
    let mut progress = Progress {
        total: work.jobs.len(),
        ..Progress::default()
    };
    let mut results: Vec<ResultRow> = Vec::with_capacity(work.settled.len() + work.jobs.len());
    for row in work.settled {
        progress.count(row.outcome);
        results.push(row);
    }
    on_progress(&progress);
    // Users missing from the file all have line 0, so a row is told by line and address.
    let every_job: Vec<(u64, String)> = work
        .jobs
        .iter()
        .map(|job| (job.line, job.email.clone()))
        .collect();
    // Sent in file order.
    let mut pending: VecDeque<Job> = work.jobs.into();
    let batch_size = options.batch_size.clamp(1, 1000);
    let concurrency = options.concurrency.max(1);
    let mut in_flight: JoinSet<BatchResult> = JoinSet::new();
    let mut cancelled = false;
    let mut stopped: Option<String> = None;
    let mut stopped_code: Option<String> = None;
    loop {
        while in_flight.len() < concurrency && !pending.is_empty() && stopped.is_none() {
            if cancel.load(Ordering::SeqCst) {
                cancelled = true;
                break;
            }
            let take = batch_size.min(pending.len());
            let chunk: Vec<Job> = pending.drain(..take).collect();
            let client = client.clone();
            in_flight.spawn(async move { send_batch(&client, chunk).await });
        }
        let Some(joined) = in_flight.join_next().await else {
            break;
        };
        // Rows of a failed request are not recorded as settled: a resumed import sends
        // them again.
        let (settled, record) = match joined {
            Ok(Ok(rows)) => (rows, true),
            Ok(Err((jobs, error))) => {
                if stopped.is_none() {
                    stopped = Some(error.to_string());
                    stopped_code = Some(error.code().to_owned());
                }
                let message = format!("not imported: {error}");
                let rows = jobs
                    .iter()
                    .map(|job| job_result(job, BatchOutcome::Error, message.clone()))
                    .collect();
                (rows, false)
            }
            Err(panicked) => {
                stopped = Some(format!("an import task failed: {panicked}"));
                (Vec::new(), false)
            }
        };
        for row in settled {
            progress.done += 1;
            progress.count(row.outcome);
            if record {
                on_result(&row);
            }
            results.push(row);
        }
        // Once cancelled, the batches under way finish and nothing more is sent.
        on_progress(&progress);
    }
    let reason = if cancelled {
        "not imported: the import was cancelled".to_owned()
    } else {
        match &stopped {
            Some(why) => format!("not imported: the import stopped ({why})"),
            None => String::new(),
        }
    };
    for job in &pending {
        progress.failed += 1;
        results.push(job_result(job, BatchOutcome::Error, reason.clone()));
    }
    // A task that failed without handing its rows back must still leave them a line.
    let answered: HashSet<(u64, &str)> = results
        .iter()
        .map(|row| (row.line, row.email.as_str()))
        .collect();
    let unanswered: Vec<(u64, String)> = every_job
        .into_iter()
        .filter(|(line, email)| !answered.contains(&(*line, email.as_str())))
        .collect();
    for (line, email) in unanswered {
        progress.failed += 1;
        results.push(ResultRow {
            line,
            email,
            outcome: BatchOutcome::Error,
            message: "not imported: the import stopped before this row was settled; resume the \
                      import to send it"
                .into(),
        });
    }
    // File rows in file order, then the users the file does not list.
    results.sort_by_key(|row| (row.line == 0, row.line));
    Outcome {
        progress,
        cancelled,
        stopped,
        stopped_code,
        results,
    }
}

/// The rows of a batch, or its jobs handed back with why the request failed.
type BatchResult = Result<Vec<ResultRow>, (Vec<Job>, ClientError)>;

/// Sends one batch and sets the licences it asks for. A failure of the whole request
/// hands the jobs back so that they can be reported as not imported.
async fn send_batch(client: &PortalClient, jobs: Vec<Job>) -> BatchResult {
    let items = jobs.iter().map(|job| job.item.clone()).collect();
    let response = match client.apply_batch(items).await {
        Ok(response) => response,
        Err(error) => return Err((jobs, error)),
    };
    let mut answers: HashMap<String, BatchItemResult> = response
        .results
        .into_iter()
        .map(|answer| (answer.idempotency_key.clone(), answer))
        .collect();
    let mut rows = Vec::with_capacity(jobs.len());
    for job in &jobs {
        let Some(answer) = answers.remove(&job.item.idempotency_key) else {
            rows.push(job_result(
                job,
                BatchOutcome::Error,
                "the portal did not answer for this row; run the import again".into(),
            ));
            continue;
        };
        let mut outcome = answer.outcome;
        let mut message = answer.error.map(|e| e.message).unwrap_or_default();
        if outcome != BatchOutcome::Error {
            if let (Some(user), Some(tier)) = (answer.user.as_ref(), job.licence) {
                match ensure_licence(client, user, tier).await {
                    Ok(changed) => {
                        if changed && outcome == BatchOutcome::Unchanged {
                            outcome = BatchOutcome::Updated;
                        }
                    }
                    Err(error) => {
                        outcome = BatchOutcome::Error;
                        message = format!("the user was saved but the licence was not: {error}");
                    }
                }
            }
        }
        rows.push(job_result(job, outcome, message));
    }
    Ok(rows)
}

/// Gives `user` a licence of `tier`. Assigning is not idempotent, so after a failure the
/// user is read back: the licence may have been set by a request whose answer was lost,
/// or by an earlier run of the same import.
async fn ensure_licence(
    client: &PortalClient,
    user: &User,
    tier: LicenceTier,
) -> Result<bool, ClientError> {
    let mut held = user.licence.as_ref().map(|l| l.tier);
    let mut tries = 0;
    loop {
        if held == Some(tier) {
            return Ok(tries > 0);
        }
        tries += 1;
        let attempt = match held {
            Some(_) => client.change_licence(user.id, tier).await.map(|_| ()),
            None => client.assign_licence(user.id, tier).await.map(|_| ()),
        };
        let error = match attempt {
            Ok(()) => return Ok(true),
            Err(error) => error,
        };
        let now = client.get_user(user.id).await?;
        held = now.licence.as_ref().map(|l| l.tier);
        if held == Some(tier) {
            return Ok(true);
        }
        let transient = matches!(error, ClientError::Network { .. })
            || matches!(
                error.portal_code(),
                Some(ErrorCode::UserHasLicence | ErrorCode::UserHasNoLicence)
            );
        if !transient || tries >= 3 {
            return Err(error);
        }
    }
}

/// Every user of the account, the approved domains and the pool, as a plan needs them.
pub async fn snapshot(client: &PortalClient) -> Result<PortalSnapshot, ClientError> {
    let (users, _) = client
        .users_matching(&sxadmin_core::UserListQuery::default(), None)
        .await?;
    let approved_domains = client
        .list_domains()
        .await?
        .into_iter()
        .filter(|domain| domain.status == DomainStatus::Approved)
        .map(|domain| domain.name)
        .collect();
    let pool = client.licence_pool().await?;
    Ok(PortalSnapshot {
        users,
        approved_domains,
        pool,
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

fn job_result(job: &Job, outcome: BatchOutcome, message: String) -> ResultRow {
    ResultRow {
        line: job.line,
        email: job.email.clone(),
        outcome,
        message,
    }
}

fn licence_wanted(row: &PlannedRow) -> Option<LicenceTier> {
    match &row.action {
        Action::Create { licence, .. } => *licence,
        Action::Update { licence, .. } => licence.map(|change| change.to),
        _ => None,
    }
}
