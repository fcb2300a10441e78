//! The SQLite backend: one file in WAL mode, so readers never wait for the writer.
//!
//! SQLite allows one writer at a time and refuses (rather than waits) when two deferred
//! transactions both try to upgrade to writing, so every write goes through
//! [`SqliteStore::write`], which takes an in-process lock before it begins. Reads go
//! straight to the pool. The trait implementations live in one file per area, as `api/`
//! is split.

mod accounts;
mod batch;
mod domains;
mod events;
mod licences;
mod roles;
mod second_factor;
mod tokens;
mod users;

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{Mutex, MutexGuard};

use super::{StoreError, StoreResult};
use crate::secrets::SecretBox;

pub struct SqliteStore {
    pool: SqlitePool,
    write: Mutex<()>,
    /// Seals the second-factor secrets; its key is kept beside the database, not in it.
    sealer: SecretBox,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

impl SqliteStore {
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let in_memory = url.contains(":memory:");
        let pool = SqlitePoolOptions::new()
            // An in-memory database exists once per connection, so it must have exactly one.
            .max_connections(if in_memory { 1 } else { 8 })
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let sealer = match database_file(url) {
            Some(file) if !in_memory => {
                let mut key_file = file.into_os_string();
                key_file.push(".key");
                SecretBox::load(std::path::Path::new(&key_file))?
            }
            _ => SecretBox::ephemeral(),
        };
        let store = SqliteStore {
            pool,
            write: Mutex::new(()),
            sealer,
        };
        store.seal_plain_secrets().await?;
        Ok(store)
    }

    /// Begins a write transaction as the only writer. Dropping it without
    /// [`WriteTx::commit`] rolls everything back, so an early `?` or refusal leaves no trace.
    async fn write(&self) -> StoreResult<WriteTx<'_>> {
        let writer = self.write.lock().await;
        let tx = self.pool.begin().await?;
        Ok(WriteTx {
            tx,
            _writer: writer,
        })
    }
}

/// A transaction that holds the writer lock until it ends. The transaction is declared
/// first so it is rolled back before the lock is released.
struct WriteTx<'s> {
    tx: Transaction<'static, Sqlite>,
    _writer: MutexGuard<'s, ()>,
}

impl WriteTx<'_> {
    async fn commit(self) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl Deref for WriteTx<'_> {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

/// The file a `sqlite:` URL names, without its query.
fn database_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("unexpected {what} {value:?} in the database").into(),
    ))
}

/// Reads a wire name stored in a text column, or reports the row as corrupt.
fn parse<T>(what: &str, text: &str, from_wire: impl Fn(&str) -> Option<T>) -> StoreResult<T> {
    from_wire(text).ok_or_else(|| corrupt(what, text))
}
