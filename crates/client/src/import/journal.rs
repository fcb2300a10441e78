//! The import journal: a file of JSON lines in the user's data folder that records the
//! jobs of an import before any is sent, then each row as the portal settles it. An import
//! stopped by a crash, Ctrl-C or a lost network resumes from it: the rows not yet settled
//! are sent again with their original idempotency keys, so rows the portal applied before
//! the interruption (even those whose answer never arrived) are not applied twice.
//!
//! Every line is written with one system call as soon as it is known, so a killed process
//! loses at most the line it was writing; a torn last line is ignored when reading.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sxadmin_core::csv::results::ResultRow;
use sxadmin_core::Id;

use super::{Job, Work};

const VERSION: u32 = 1;

/// What the journal is about, checked before resuming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub portal: String,
    pub account: Id,
    /// The imported file as it was named, for messages.
    pub file: String,
    /// Rows of the file.
    pub rows: usize,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Entry {
    Start {
        version: u32,
        #[serde(flatten)]
        header: Header,
    },
    /// A row to send.
    Job(Job),
    /// A row settled without sending (unchanged, or refused by the plan).
    Settled(ResultRow),
    /// A row the portal settled.
    Done(ResultRow),
    Finished,
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("cannot write the import journal {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("there is no interrupted import of this file for this account (no journal at {path}); start the import from the beginning instead")]
    Missing { path: String },
    #[error("the import journal {path} cannot be read: {reason}; start the import from the beginning instead (rows already imported will not be imported twice)")]
    Unreadable { path: String, reason: String },
    #[error("the import of this file already finished; see its results, or start it again from the beginning")]
    AlreadyFinished,
}

impl JournalError {
    pub fn code(&self) -> &'static str {
        match self {
            JournalError::Write { .. } => "journal_write_failed",
            JournalError::Missing { .. } => "journal_missing",
            JournalError::Unreadable { .. } => "journal_unreadable",
            JournalError::AlreadyFinished => "journal_finished",
        }
    }
}

/// An open journal being appended to.
pub struct Journal {
    path: PathBuf,
    file: File,
}

/// What an interrupted import left: the rows still to send and the rows already settled.
#[derive(Debug)]
pub struct Resumed {
    pub header: Header,
    pub work: Work,
    /// Rows the portal settled before the interruption.
    pub already_done: usize,
}

/// The journal of an import of `scope` (see [`super::key_scope`]) in `dir`.
pub fn path(dir: &Path, scope: &str) -> PathBuf {
    dir.join(format!("import-{scope}.jsonl"))
}

impl Journal {
    /// Starts a journal for `work`, replacing any earlier one of the same import.
    pub fn create(path: &Path, header: &Header, work: &Work) -> Result<Journal, JournalError> {
        let failed = |e: std::io::Error| JournalError::Write {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let mut text = String::new();
        let mut push = |entry: &Entry| {
            if let Ok(line) = serde_json::to_string(entry) {
                text.push_str(&line);
                text.push('\n');
            }
        };
        push(&Entry::Start {
            version: VERSION,
            header: header.clone(),
        });
        for job in &work.jobs {
            push(&Entry::Job(job.clone()));
        }
        for row in &work.settled {
            push(&Entry::Settled(row.clone()));
        }
        // Written aside and renamed, so that a crash here leaves the earlier journal whole.
        let partial = path.with_extension("jsonl.partial");
        let mut file = private_file(&partial).map_err(failed)?;
        file.write_all(text.as_bytes()).map_err(failed)?;
        file.sync_all().map_err(failed)?;
        drop(file);
        std::fs::rename(&partial, path).map_err(failed)?;
        Journal::append_to(path)
    }

    fn append_to(path: &Path) -> Result<Journal, JournalError> {
        let file = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| JournalError::Write {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
        Ok(Journal {
            path: path.to_owned(),
            file,
        })
    }

    /// Reopens an interrupted import's journal to go on appending to it.
    pub fn reopen(path: &Path) -> Result<(Journal, Resumed), JournalError> {
        let resumed = read(path)?;
        drop_torn_line(path)?;
        Ok((Journal::append_to(path)?, resumed))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records a row the portal settled.
    pub fn record(&mut self, row: &ResultRow) -> Result<(), JournalError> {
        self.write(&Entry::Done(row.clone()))
    }

    /// Marks the import as finished and removes the journal: it holds personal data
    /// (names and addresses) that nothing needs once every row is settled. Should the
    /// removal fail, the journal still says it finished, so it is never resumed.
    pub fn finish(mut self) -> Result<(), JournalError> {
        self.write(&Entry::Finished)?;
        self.file.sync_all().map_err(|e| JournalError::Write {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        drop(self.file);
        std::fs::remove_file(&self.path).map_err(|e| JournalError::Write {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })
    }

    fn write(&mut self, entry: &Entry) -> Result<(), JournalError> {
        let mut line = serde_json::to_vec(entry).map_err(|e| JournalError::Write {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(|e| JournalError::Write {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })
    }
}

/// Cuts a line torn by a crash, so that what is appended next starts on a line of its own.
fn drop_torn_line(path: &Path) -> Result<(), JournalError> {
    let failed = |e: std::io::Error| JournalError::Write {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let bytes = std::fs::read(path).map_err(failed)?;
    if bytes.is_empty() || bytes.ends_with(b"\n") {
        return Ok(());
    }
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let file = OpenOptions::new().write(true).open(path).map_err(failed)?;
    file.set_len(keep as u64).map_err(failed)
}

/// Whether `path` holds an import that did not finish.
pub fn is_unfinished(path: &Path) -> bool {
    read(path).is_ok()
}

/// What an interrupted import's journal holds, without opening it for writing.
pub fn peek(path: &Path) -> Result<Resumed, JournalError> {
    read(path)
}

/// A new file that only its owner can read: journals and results hold personal data.
pub(crate) fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn read(path: &Path) -> Result<Resumed, JournalError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(JournalError::Missing {
                path: path.display().to_string(),
            })
        }
        Err(e) => {
            return Err(JournalError::Unreadable {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        }
    };
    let unreadable = |reason: String| JournalError::Unreadable {
        path: path.display().to_string(),
        reason,
    };
    let mut header = None;
    let mut jobs = Vec::new();
    let mut settled = Vec::new();
    let mut done = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let entry = match serde_json::from_str::<Entry>(line) {
            Ok(entry) => entry,
            // A line torn by a crash can only be the last one.
            Err(_) if index + 1 == lines.len() => break,
            Err(e) => return Err(unreadable(format!("line {}: {e}", index + 1))),
        };
        match entry {
            Entry::Start { version, header: h } => {
                if version != VERSION {
                    return Err(unreadable(format!("version {version} is not supported")));
                }
                header = Some(h);
            }
            Entry::Job(job) => jobs.push(job),
            Entry::Settled(row) => settled.push(row),
            Entry::Done(row) => done.push(row),
            Entry::Finished => return Err(JournalError::AlreadyFinished),
        }
    }
    let header = header.ok_or_else(|| unreadable("it does not start with its header".into()))?;
    // By line and address: every user a sync removes has line 0.
    let finished: HashSet<(u64, &str)> = done
        .iter()
        .map(|row| (row.line, row.email.as_str()))
        .collect();
    let already_done = finished.len();
    jobs.retain(|job| !finished.contains(&(job.line, job.email.as_str())));
    settled.extend(done);
    Ok(Resumed {
        header,
        work: Work { jobs, settled },
        already_done,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use sxadmin_core::{BatchItem, BatchOperation, BatchOutcome, NewUser};

    fn job(line: u64) -> Job {
        Job {
            line,
            email: format!("u{line}@example.com"),
            item: BatchItem {
                idempotency_key: format!("k{line}"),
                operation: BatchOperation::Create(NewUser {
                    email: format!("u{line}@example.com"),
                    ..NewUser::default()
                }),
            },
            licence: None,
        }
    }

    fn row(line: u64, outcome: BatchOutcome) -> ResultRow {
        ResultRow {
            line,
            email: format!("u{line}@example.com"),
            outcome,
            message: String::new(),
        }
    }

    fn header() -> Header {
        Header {
            portal: "http://127.0.0.1:1/".into(),
            account: 7,
            file: "users.csv".into(),
            rows: 4,
        }
    }

    #[test]
    fn resumes_with_the_rows_not_yet_settled_and_ignores_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path(), "scope");
        let work = Work {
            jobs: vec![job(2), job(3), job(4)],
            settled: vec![row(5, BatchOutcome::Unchanged)],
        };
        let mut journal = Journal::create(&path, &header(), &work).unwrap();
        journal.record(&row(3, BatchOutcome::Created)).unwrap();
        drop(journal);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"kind\":\"done\",\"line\":4,\"em");
        std::fs::write(&path, text).unwrap();

        let (mut journal, resumed) = Journal::reopen(&path).unwrap();
        assert_eq!(resumed.header, header());
        assert_eq!(resumed.already_done, 1);
        let lines: Vec<u64> = resumed.work.jobs.iter().map(|j| j.line).collect();
        assert_eq!(lines, vec![2, 4]);
        let settled: Vec<u64> = resumed.work.settled.iter().map(|r| r.line).collect();
        assert_eq!(settled, vec![5, 3]);
        journal.record(&row(4, BatchOutcome::Created)).unwrap();
        drop(journal);
        let (journal, resumed) = Journal::reopen(&path).unwrap();
        assert_eq!(resumed.already_done, 2);
        journal.finish().unwrap();
        assert!(!path.exists(), "a finished import's journal is removed");
        assert!(matches!(
            Journal::reopen(&path),
            Err(JournalError::Missing { .. })
        ));
    }

    #[test]
    fn users_missing_from_the_file_are_resumed_one_by_one() {
        // A sync's removals all have line 0; one settled leaves the others to send.
        let removal = |email: &str| Job {
            line: 0,
            email: email.into(),
            item: BatchItem {
                idempotency_key: format!("missing-{email}"),
                operation: BatchOperation::Disable {
                    email: email.into(),
                },
            },
            licence: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path(), "sync");
        let work = Work {
            jobs: vec![job(2), removal("a@example.com"), removal("b@example.com")],
            settled: vec![],
        };
        let mut journal = Journal::create(&path, &header(), &work).unwrap();
        journal
            .record(&ResultRow {
                line: 0,
                email: "a@example.com".into(),
                outcome: BatchOutcome::Disabled,
                message: String::new(),
            })
            .unwrap();
        drop(journal);
        let (_, resumed) = Journal::reopen(&path).unwrap();
        assert_eq!(resumed.already_done, 1);
        let left: Vec<&str> = resumed.work.jobs.iter().map(|j| j.email.as_str()).collect();
        assert_eq!(left, ["u2@example.com", "b@example.com"]);
    }

    #[test]
    fn a_missing_journal_says_how_to_start_instead() {
        let dir = tempfile::tempdir().unwrap();
        let error = Journal::reopen(&path(dir.path(), "none")).err().unwrap();
        assert_eq!(error.code(), "journal_missing");
        assert!(error.to_string().contains("from the beginning"));
    }

    #[cfg(unix)]
    #[test]
    fn only_the_owner_can_read_a_journal() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = path(dir.path(), "private");
        let work = Work {
            jobs: vec![job(2)],
            settled: vec![],
        };
        drop(Journal::create(&path, &header(), &work).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
