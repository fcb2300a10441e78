//! The administrators' audit log and the security log: appended inside each change's own
//! transaction, read newest first, never changed or deleted (the database refuses it).

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqliteConnection;
use sxadmin_core::{Event, Id};

use super::users::fetch_user;
use super::{from_millis, millis, SqliteStore};
use crate::store::{Actor, EventQuery, EventStore, SecurityEventStore, StoreResult};

/// The two append-only logs, which share their columns.
#[derive(Clone, Copy)]
enum Log {
    Audit,
    Security,
}

impl Log {
    fn table(self) -> &'static str {
        match self {
            Log::Audit => "events",
            Log::Security => "security_events",
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: Id,
    at: i64,
    actor_email: Option<String>,
    action: String,
    target_user_id: Option<Id>,
    target: Option<String>,
    client: String,
    details: String,
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Self {
        Event {
            id: row.id,
            at: from_millis(row.at),
            actor_email: row.actor_email,
            action: row.action,
            target_user_id: row.target_user_id,
            target: row.target,
            client: row.client,
            details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
        }
    }
}

pub(super) async fn insert_event(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    action: &str,
    target_user_id: Option<Id>,
    target: Option<&str>,
    details: serde_json::Value,
) -> StoreResult<()> {
    append(
        conn,
        Log::Audit,
        account,
        actor,
        action,
        target_user_id,
        target,
        details,
    )
    .await
}

/// Appends to the security log; the target's address is looked up in the same transaction.
pub(super) async fn insert_security_event(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    action: &str,
    target_user_id: Option<Id>,
    details: serde_json::Value,
) -> StoreResult<()> {
    let target = match target_user_id {
        Some(id) => fetch_user(conn, account, id).await.ok().map(|u| u.email),
        None => None,
    };
    append(
        conn,
        Log::Security,
        account,
        actor,
        action,
        target_user_id,
        target.as_deref(),
        details,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn append(
    conn: &mut SqliteConnection,
    log: Log,
    account: Id,
    actor: &Actor,
    action: &str,
    target_user_id: Option<Id>,
    target: Option<&str>,
    details: serde_json::Value,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO {} (account_id, at, actor_id, actor_email, action, target_user_id, target, client, details) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        log.table()
    ))
    .bind(account)
    .bind(millis(Utc::now()))
    .bind(actor.user_id)
    .bind(actor.email.as_deref())
    .bind(action)
    .bind(target_user_id)
    .bind(target)
    .bind(&actor.client)
    .bind(details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

impl SqliteStore {
    async fn read_log(&self, log: Log, account: Id, query: &EventQuery) -> StoreResult<Vec<Event>> {
        let mut sql = format!(
            "SELECT id, at, actor_email, action, target_user_id, target, client, details FROM {} WHERE account_id = ?1",
            log.table()
        );
        if query.user_id.is_some() {
            sql.push_str(" AND (target_user_id = ?2 OR actor_id = ?2)");
        }
        if query.from.is_some() {
            sql.push_str(" AND at >= ?3");
        }
        if query.to.is_some() {
            sql.push_str(" AND at <= ?4");
        }
        sql.push_str(" ORDER BY at DESC, id DESC LIMIT ?5");
        let rows = sqlx::query_as::<_, EventRow>(&sql)
            .bind(account)
            .bind(query.user_id.unwrap_or(0))
            .bind(query.from.map(millis).unwrap_or(0))
            .bind(query.to.map(millis).unwrap_or(0))
            .bind(i64::from(query.limit.max(1)))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Event::from).collect())
    }
}

#[async_trait]
impl SecurityEventStore for SqliteStore {
    async fn record_security_event(
        &self,
        account: Id,
        actor: &Actor,
        action: &str,
        target_user_id: Option<Id>,
        details: serde_json::Value,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        insert_security_event(&mut tx, account, actor, action, target_user_id, details).await?;
        tx.commit().await
    }

    async fn security_events(&self, account: Id, query: &EventQuery) -> StoreResult<Vec<Event>> {
        self.read_log(Log::Security, account, query).await
    }
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn events(&self, account: Id, query: &EventQuery) -> StoreResult<Vec<Event>> {
        self.read_log(Log::Audit, account, query).await
    }

    async fn record_event(
        &self,
        account: Id,
        actor: &Actor,
        action: &str,
        target_user_id: Option<Id>,
        details: serde_json::Value,
    ) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let target = match target_user_id {
            Some(id) => fetch_user(&mut tx, account, id).await.ok().map(|u| u.email),
            None => None,
        };
        insert_event(
            &mut tx,
            account,
            actor,
            action,
            target_user_id,
            target.as_deref(),
            details,
        )
        .await?;
        tx.commit().await
    }
}
