//! Batches of creates, updates and an import's removals (disable, delete), each applied
//! once per idempotency key. A large import
//! spends its time here, so the lookups and inserts are grouped: one query for every key of
//! the batch, one domain check per domain, one insert of the new records and events.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqliteConnection;
use sxadmin_core::rules;
use sxadmin_core::{
    BatchItem, BatchItemResult, BatchOperation, BatchOutcome, Id, Language, NewUser, Role, User,
    UserChanges,
};

use super::users::{change_user, domain_is_approved, fetch_user_by_email, remove_user};
use super::{from_millis, millis, SqliteStore};
use crate::store::{Actor, BatchStore, StoreError, StoreResult};

/// SQLite's limit on bound parameters is 32,766; inserts go in chunks well under it.
const ROWS_PER_INSERT: usize = 500;
/// Longest idempotency key, in bytes.
const MAX_KEY_LEN: usize = 200;

/// Rows a batch writes once at its end, and what it learned about domains on the way.
#[derive(Default)]
pub(super) struct BatchWrites {
    /// (idempotency key, recorded result)
    records: Vec<(String, String)>,
    /// (user id, e-mail, details) of `user.created` events.
    created: Vec<(Id, String, String)>,
    approved: HashMap<String, bool>,
}

impl BatchWrites {
    async fn flush(
        self,
        conn: &mut SqliteConnection,
        account: Id,
        actor: &Actor,
    ) -> StoreResult<()> {
        let now = millis(Utc::now());
        for chunk in self.created.chunks(ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO events (account_id, at, actor_id, actor_email, action, target_user_id, target, client, details) ",
            );
            insert.push_values(chunk, |mut row, (id, email, details)| {
                row.push_bind(account)
                    .push_bind(now)
                    .push_bind(actor.user_id)
                    .push_bind(actor.email.as_deref())
                    .push_bind("user.created")
                    .push_bind(*id)
                    .push_bind(email.as_str())
                    .push_bind(&actor.client)
                    .push_bind(details.as_str());
            });
            insert.build().execute(&mut *conn).await?;
        }
        for chunk in self.records.chunks(ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO idempotency (account_id, key, result, created_at) ",
            );
            insert.push_values(chunk, |mut row, (key, result)| {
                row.push_bind(account)
                    .push_bind(key.as_str())
                    .push_bind(result.as_str())
                    .push_bind(now);
            });
            insert.build().execute(&mut *conn).await?;
        }
        Ok(())
    }
}

fn usable_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN
}

/// The results recorded earlier for the batch's keys.
async fn recorded_results(
    conn: &mut SqliteConnection,
    account: Id,
    items: &[BatchItem],
) -> StoreResult<HashMap<String, String>> {
    let keys: Vec<&str> = items
        .iter()
        .map(|item| item.idempotency_key.as_str())
        .filter(|key| usable_key(key))
        .collect();
    let mut found = HashMap::new();
    for chunk in keys.chunks(ROWS_PER_INSERT) {
        let mut select = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "SELECT key, result FROM idempotency WHERE account_id = ",
        );
        select.push_bind(account).push(" AND key IN (");
        let mut separated = select.separated(", ");
        for key in chunk {
            separated.push_bind(*key);
        }
        select.push(")");
        let rows: Vec<(String, String)> = select.build_query_as().fetch_all(&mut *conn).await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Inserts a user for a batch: the domain check is remembered across the batch, an
/// address already taken is found by the unique index rather than a query, and the event
/// is written with the batch's others.
async fn insert_user_in_batch(
    conn: &mut SqliteConnection,
    account: Id,
    user: &NewUser,
    batch: &mut BatchWrites,
) -> StoreResult<User> {
    let user = rules::check_new_user(user)?;
    let domain = rules::domain_of(&user.email);
    let approved = match batch.approved.get(&domain) {
        Some(&approved) => approved,
        None => {
            let approved = domain_is_approved(conn, account, &domain).await?;
            batch.approved.insert(domain.clone(), approved);
            approved
        }
    };
    if !approved {
        return Err(StoreError::DomainNotApproved(domain));
    }
    let now = Utc::now();
    let language = user.language.unwrap_or(Language::En);
    let role = user.role.unwrap_or(Role::User);
    let id: Option<Id> = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, email_lower, first_name, last_name, language, role, active, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (account_id, email_lower) DO NOTHING RETURNING id",
    )
    .bind(account)
    .bind(&user.email)
    .bind(user.email.to_lowercase())
    .bind(&user.first_name)
    .bind(&user.last_name)
    .bind(language.as_str())
    .bind(role.as_str())
    .bind(millis(now))
    .bind(millis(now))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Err(StoreError::EmailTaken(user.email));
    };
    batch.created.push((
        id,
        user.email.clone(),
        serde_json::json!({"role": role, "language": language}).to_string(),
    ));
    Ok(User {
        id,
        email: user.email,
        first_name: user.first_name,
        last_name: user.last_name,
        language,
        role,
        role_group_id: None,
        active: true,
        licence: None,
        created_at: from_millis(millis(now)),
        updated_at: from_millis(millis(now)),
    })
}

/// One user created the way a batch creates them, so both routes hold to one standard.
pub(super) async fn insert_user(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    user: &NewUser,
) -> StoreResult<User> {
    let mut writes = BatchWrites::default();
    let created = insert_user_in_batch(conn, account, user, &mut writes).await?;
    writes.flush(conn, account, actor).await?;
    Ok(created)
}

/// Applies one item; a refusal is an `Err` the caller turns into that item's result.
async fn apply_item(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    operation: &BatchOperation,
    batch: &mut BatchWrites,
) -> StoreResult<(BatchOutcome, User)> {
    match operation {
        BatchOperation::Create(new_user) => insert_user_in_batch(conn, account, new_user, batch)
            .await
            .map(|user| (BatchOutcome::Created, user)),
        BatchOperation::Update { email, changes } => {
            let user = fetch_user_by_email(conn, account, email.trim())
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            let (user, changed) = change_user(conn, account, actor, user, changes).await?;
            let outcome = if changed {
                BatchOutcome::Updated
            } else {
                BatchOutcome::Unchanged
            };
            Ok((outcome, user))
        }
        BatchOperation::Disable { email } => {
            let user = removable(conn, account, actor, email, "disable").await?;
            let disable = UserChanges {
                active: Some(false),
                ..UserChanges::default()
            };
            let (user, changed) = change_user(conn, account, actor, user, &disable).await?;
            let outcome = if changed {
                BatchOutcome::Disabled
            } else {
                BatchOutcome::Unchanged
            };
            Ok((outcome, user))
        }
        BatchOperation::Delete { email } => {
            let user = removable(conn, account, actor, email, "delete").await?;
            remove_user(conn, account, actor, &user).await?;
            Ok((BatchOutcome::Deleted, user))
        }
    }
}

/// The user an import removes: never the administrator sending the batch.
async fn removable(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    email: &str,
    verb: &str,
) -> StoreResult<User> {
    let user = fetch_user_by_email(conn, account, email.trim())
        .await?
        .ok_or(StoreError::NotFound("user"))?;
    if actor.user_id == Some(user.id) {
        return Err(StoreError::Conflict(format!(
            "you cannot {verb} yourself; ask another administrator"
        )));
    }
    Ok(user)
}

fn refused(key: &str, error: &StoreError) -> BatchItemResult {
    BatchItemResult {
        idempotency_key: key.to_owned(),
        outcome: BatchOutcome::Error,
        user: None,
        error: Some(error.to_body()),
        replayed: false,
    }
}

#[async_trait]
impl BatchStore for SqliteStore {
    async fn apply_batch(
        &self,
        account: Id,
        actor: &Actor,
        items: &[BatchItem],
    ) -> StoreResult<Vec<BatchItemResult>> {
        let mut tx = self.write().await?;
        let mut results = Vec::with_capacity(items.len());
        let mut recorded = recorded_results(&mut tx, account, items).await?;
        let mut batch = BatchWrites::default();
        for item in items {
            let key = item.idempotency_key.as_str();
            if !usable_key(key) {
                let error = StoreError::Invalid(format!(
                    "idempotency_key: give each item a key of 1 to {MAX_KEY_LEN} characters"
                ));
                results.push(refused(key, &error));
                continue;
            }
            if let Some(recorded) = recorded.get(key) {
                if let Ok(mut earlier) = serde_json::from_str::<BatchItemResult>(recorded) {
                    earlier.replayed = true;
                    results.push(earlier);
                    continue;
                }
            }
            let result =
                match apply_item(&mut tx, account, actor, &item.operation, &mut batch).await {
                    Ok((outcome, user)) => {
                        let result = BatchItemResult {
                            idempotency_key: key.to_owned(),
                            outcome,
                            user: Some(user),
                            error: None,
                            replayed: false,
                        };
                        // Only what was applied is remembered: a refused item may succeed when
                        // retried after the administrator fixed its cause (approved the domain).
                        let record = serde_json::to_string(&result)
                            .map_err(|e| StoreError::Invalid(e.to_string()))?;
                        // A key repeated later in the same batch is answered from this record.
                        recorded.insert(key.to_owned(), record.clone());
                        batch.records.push((key.to_owned(), record));
                        result
                    }
                    Err(StoreError::Database(e)) => return Err(StoreError::Database(e)),
                    Err(refusal) => refused(key, &refusal),
                };
            results.push(result);
        }
        batch.flush(&mut tx, account, actor).await?;
        tx.commit().await?;
        Ok(results)
    }
}
