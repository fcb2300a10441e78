//! The administrators' audit log: appended inside each change's own transaction, read
//! newest first.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqliteConnection;
use sxadmin_core::{Event, Id};

use super::users::fetch_user;
use super::{from_millis, millis, SqliteStore};
use crate::store::{Actor, EventQuery, EventStore, StoreResult};

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
    sqlx::query(
        "INSERT INTO events (account_id, at, actor_id, actor_email, action, target_user_id, target, client, details) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
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

/// Deletes the activity log of a licence's previous holder, as the portal does when a
/// licence is removed from or transferred away from a user.
pub(super) async fn delete_holder_logs(
    conn: &mut SqliteConnection,
    account: Id,
    user: Id,
) -> StoreResult<u64> {
    Ok(
        sqlx::query("DELETE FROM events WHERE account_id = ? AND actor_id = ?")
            .bind(account)
            .bind(user)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn events(&self, account: Id, query: &EventQuery) -> StoreResult<Vec<Event>> {
        let mut sql = String::from(
            "SELECT id, at, actor_email, action, target_user_id, target, client, details FROM events WHERE account_id = ?1",
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
