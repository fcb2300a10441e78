//! The SQLite backend: one file in WAL mode, so readers never wait for the writer.
//!
//! SQLite allows one writer at a time and refuses (rather than waits) when two deferred
//! transactions both try to upgrade to writing, so every write transaction here first takes
//! an in-process lock. Reads go straight to the pool.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, SqliteConnection, SqlitePool};
use sxadmin_core::{
    Account, BatchItem, BatchItemResult, BatchOperation, BatchOutcome, Domain, DomainStatus, Event,
    HeldLicence, Id, Language, Licence, LicencePool, LicenceTier, NewUser, Permission, Role,
    RoleGroup, TierCount, User, UserChanges, UserSort,
};
use tokio::sync::Mutex;

use super::*;
use crate::rules;

pub struct SqliteStore {
    pool: SqlitePool,
    write: Mutex<()>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

const USER_SELECT: &str = "SELECT u.id, u.account_id, u.email, u.first_name, u.last_name, u.language, u.role, \
     u.role_group_id, u.active, u.created_at, u.updated_at, l.id AS licence_id, l.tier AS licence_tier \
     FROM users u LEFT JOIN licences l ON l.user_id = u.id";

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

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let language: String = row.try_get("language")?;
    let role: String = row.try_get("role")?;
    let licence_id: Option<Id> = row.try_get("licence_id")?;
    let licence_tier: Option<String> = row.try_get("licence_tier")?;
    let licence = match (licence_id, licence_tier) {
        (Some(id), Some(tier)) => Some(HeldLicence {
            id,
            tier: LicenceTier::from_wire(&tier).ok_or_else(|| corrupt("tier", &tier))?,
        }),
        _ => None,
    };
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        language: Language::from_wire(&language).ok_or_else(|| corrupt("language", &language))?,
        role: Role::from_wire(&role).ok_or_else(|| corrupt("role", &role))?,
        role_group_id: row.try_get("role_group_id")?,
        active: row.try_get("active")?,
        licence,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

fn domain_from_row(row: &SqliteRow) -> StoreResult<Domain> {
    let name: String = row.try_get("name")?;
    let status: String = row.try_get("status")?;
    let token: String = row.try_get("txt_token")?;
    let approved_at: Option<i64> = row.try_get("approved_at")?;
    Ok(Domain {
        id: row.try_get("id")?,
        txt_record_name: crate::domains::txt_record_name(&name),
        txt_record_value: crate::domains::txt_record_value(&token),
        name,
        status: DomainStatus::from_wire(&status)
            .ok_or_else(|| corrupt("domain status", &status))?,
        requested_at: from_millis(row.try_get("requested_at")?),
        approved_at: approved_at.map(from_millis),
    })
}

fn permissions_to_text(permissions: &[Permission]) -> String {
    let mut sorted: Vec<Permission> = permissions.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn role_group_from_row(row: &SqliteRow) -> StoreResult<RoleGroup> {
    let text: String = row.try_get("permissions")?;
    let permissions = text
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| Permission::from_wire(p).ok_or_else(|| corrupt("permission", p)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(RoleGroup {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        permissions,
    })
}

async fn fetch_user(conn: &mut SqliteConnection, account: Id, id: Id) -> StoreResult<User> {
    let row = sqlx::query(&format!(
        "{USER_SELECT} WHERE u.account_id = ? AND u.id = ?"
    ))
    .bind(account)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound("user"))?;
    user_from_row(&row)
}

async fn fetch_user_by_email(
    conn: &mut SqliteConnection,
    account: Id,
    email: &str,
) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!(
        "{USER_SELECT} WHERE u.account_id = ? AND u.email_lower = ?"
    ))
    .bind(account)
    .bind(email.to_lowercase())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(user_from_row).transpose()
}

async fn insert_event(
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

async fn active_admins(conn: &mut SqliteConnection, account: Id) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE account_id = ? AND role = 'administrator' AND active = 1",
    )
    .bind(account)
    .fetch_one(conn)
    .await?)
}

/// Refuses a change that would leave the account without an active administrator.
async fn keep_an_administrator(
    conn: &mut SqliteConnection,
    account: Id,
    user: &User,
    stays_admin: bool,
) -> StoreResult<()> {
    let is_admin = user.role == Role::Administrator && user.active;
    if is_admin && !stays_admin && active_admins(conn, account).await? <= 1 {
        return Err(StoreError::LastAdministrator(user.email.clone()));
    }
    Ok(())
}

async fn domain_is_approved(
    conn: &mut SqliteConnection,
    account: Id,
    domain: &str,
) -> StoreResult<bool> {
    if sxadmin_core::public_domains::is_public_mail_domain(domain) {
        return Ok(true);
    }
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM domains WHERE account_id = ? AND name = ? AND status = 'approved'",
    )
    .bind(account)
    .bind(domain)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Rows a batch writes once at its end, and what it learned about domains on the way.
#[derive(Default)]
struct BatchWrites {
    /// (idempotency key, recorded result)
    records: Vec<(String, String)>,
    /// (user id, e-mail, details) of `user.created` events.
    created: Vec<(Id, String, String)>,
    approved: HashMap<String, bool>,
}

/// SQLite's limit on bound parameters is 32,766; inserts go in chunks well under it.
const ROWS_PER_INSERT: usize = 500;

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

/// The results recorded earlier for the batch's keys.
async fn recorded_results(
    conn: &mut SqliteConnection,
    account: Id,
    items: &[BatchItem],
) -> StoreResult<HashMap<String, String>> {
    let keys: Vec<&str> = items
        .iter()
        .map(|item| item.idempotency_key.as_str())
        .filter(|key| !key.is_empty() && key.len() <= 200)
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
        for row in select.build().fetch_all(&mut *conn).await? {
            found.insert(row.try_get("key")?, row.try_get("result")?);
        }
    }
    Ok(found)
}

/// [`insert_user`] for a batch: the domain check is remembered across the batch, an
/// address already taken is found by the unique index rather than a query, and the event
/// is written with the batch's others.
async fn insert_user_in_batch(
    conn: &mut SqliteConnection,
    account: Id,
    user: &NewUser,
    batch: &mut BatchWrites,
) -> StoreResult<User> {
    let user = rules::validate_new_user(user)?;
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

async fn insert_user(
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

/// Applies the changes that differ from the stored user; returns the user and whether
/// anything changed (nothing is written or logged when nothing did).
async fn change_user(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    user: User,
    changes: &UserChanges,
) -> StoreResult<(User, bool)> {
    let changes = rules::validate_changes(changes)?;
    let mut updated = user.clone();
    let mut diff = serde_json::Map::new();
    macro_rules! apply {
        ($field:ident) => {
            if let Some(value) = &changes.$field {
                if *value != updated.$field {
                    diff.insert(
                        stringify!($field).into(),
                        serde_json::json!({"from": updated.$field, "to": value}),
                    );
                    updated.$field = value.clone();
                }
            }
        };
    }
    apply!(first_name);
    apply!(last_name);
    apply!(language);
    apply!(role);
    apply!(active);
    if diff.is_empty() {
        return Ok((user, false));
    }
    keep_an_administrator(
        conn,
        account,
        &user,
        updated.role == Role::Administrator && updated.active,
    )
    .await?;
    let now = Utc::now();
    sqlx::query(
        "UPDATE users SET first_name = ?, last_name = ?, language = ?, role = ?, active = ?, updated_at = ? \
         WHERE account_id = ? AND id = ?",
    )
    .bind(&updated.first_name)
    .bind(&updated.last_name)
    .bind(updated.language.as_str())
    .bind(updated.role.as_str())
    .bind(updated.active)
    .bind(millis(now))
    .bind(account)
    .bind(user.id)
    .execute(&mut *conn)
    .await?;
    if !updated.active {
        // A disabled user must not keep working through tokens issued before.
        sqlx::query("DELETE FROM tokens WHERE user_id = ?")
            .bind(user.id)
            .execute(&mut *conn)
            .await?;
    }
    insert_event(
        conn,
        account,
        actor,
        "user.updated",
        Some(user.id),
        Some(&user.email),
        serde_json::Value::Object(diff),
    )
    .await?;
    updated.updated_at = from_millis(millis(now));
    Ok((updated, true))
}

async fn pool_counts(
    conn: &mut SqliteConnection,
    account: Id,
    tier: LicenceTier,
) -> StoreResult<(i64, i64)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS purchased, COUNT(user_id) AS assigned FROM licences WHERE account_id = ? AND tier = ?",
    )
    .bind(account)
    .bind(tier.as_str())
    .fetch_one(conn)
    .await?;
    Ok((row.try_get("purchased")?, row.try_get("assigned")?))
}

async fn free_licence(
    conn: &mut SqliteConnection,
    account: Id,
    tier: LicenceTier,
) -> StoreResult<Id> {
    let free: Option<Id> = sqlx::query_scalar(
        "SELECT id FROM licences WHERE account_id = ? AND tier = ? AND user_id IS NULL ORDER BY id LIMIT 1",
    )
    .bind(account)
    .bind(tier.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match free {
        Some(id) => Ok(id),
        None => {
            let (purchased, assigned) = pool_counts(conn, account, tier).await?;
            Err(StoreError::LicenceUnavailable {
                tier,
                purchased,
                assigned,
            })
        }
    }
}

async fn set_licence_holder(
    conn: &mut SqliteConnection,
    licence: Id,
    user: Option<Id>,
) -> StoreResult<()> {
    let assigned_at = user.map(|_| millis(Utc::now()));
    sqlx::query("UPDATE licences SET user_id = ?, assigned_at = ? WHERE id = ?")
        .bind(user)
        .bind(assigned_at)
        .bind(licence)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the activity log of a licence's previous holder, as the portal does when a
/// licence is removed from or transferred away from a user.
async fn delete_holder_logs(
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

async fn user_for_token(
    conn: &mut SqliteConnection,
    row: &SqliteRow,
) -> StoreResult<Option<TokenOwner>> {
    let kind: String = row.try_get("kind")?;
    let kind = TokenKind::from_db(&kind).ok_or_else(|| corrupt("token kind", &kind))?;
    let account = Account {
        id: row.try_get("account_id")?,
        name: row.try_get("account_name")?,
    };
    let user = fetch_user(conn, account.id, row.try_get("user_id")?).await?;
    if !user.active {
        return Ok(None);
    }
    Ok(Some(TokenOwner {
        account,
        user,
        kind,
        client_id: row.try_get("client_id")?,
        family: row.try_get("family")?,
    }))
}

const TOKEN_SELECT: &str =
    "SELECT t.kind, t.client_id, t.family, t.user_id, t.used, t.expires_at, \
     u.account_id, a.name AS account_name FROM tokens t JOIN users u ON u.id = t.user_id \
     JOIN accounts a ON a.id = u.account_id WHERE t.hash = ?";

fn sort_expression(sort: UserSort) -> &'static str {
    match sort {
        UserSort::Email => "u.email_lower",
        UserSort::FirstName => "lower(u.first_name)",
        UserSort::LastName => "lower(u.last_name)",
        UserSort::Created => "u.created_at",
    }
}

fn sort_key(sort: UserSort, user: &User) -> SortKey {
    match sort {
        UserSort::Email => SortKey::Text(user.email.to_lowercase()),
        UserSort::FirstName => SortKey::Text(user.first_name.to_ascii_lowercase()),
        UserSort::LastName => SortKey::Text(user.last_name.to_ascii_lowercase()),
        UserSort::Created => SortKey::Number(user.created_at.timestamp_millis()),
    }
}

/// A GLOB pattern matching `search` anywhere, ignoring case in any script. SQLite's own
/// `lower()` and `LIKE` fold ASCII letters only, so "Élise" would not find "Élise";
/// each cased letter becomes a class of its two forms instead.
fn search_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() * 2 + 2);
    pattern.push('*');
    for c in search.chars() {
        let mut lower = c.to_lowercase();
        let mut upper = c.to_uppercase();
        match (lower.next(), lower.next(), upper.next(), upper.next()) {
            (Some(l), None, Some(u), None) if l != u => {
                pattern.extend(['[', l, u, ']']);
            }
            _ if matches!(c, '*' | '?' | '[') => pattern.extend(['[', c, ']']),
            _ => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
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
        Ok(SqliteStore {
            pool,
            write: Mutex::new(()),
        })
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_account(&self, name: &str) -> StoreResult<Account> {
        let _writer = self.write.lock().await;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO accounts (name, created_at) VALUES (?, ?) RETURNING id",
        )
        .bind(name)
        .bind(millis(Utc::now()))
        .fetch_one(&self.pool)
        .await?;
        Ok(Account {
            id,
            name: name.to_owned(),
        })
    }

    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>> {
        let row = sqlx::query("SELECT id, name FROM accounts WHERE name = ? ORDER BY id LIMIT 1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Account {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
            })
        })
        .transpose()
    }

    async fn users_by_email_any_account(&self, email: &str) -> StoreResult<Vec<(Id, User)>> {
        let rows = sqlx::query(&format!(
            "{USER_SELECT} WHERE u.email_lower = ? ORDER BY u.account_id"
        ))
        .bind(email.trim().to_lowercase())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            out.push((row.try_get("account_id")?, user_from_row(row)?));
        }
        Ok(out)
    }

    async fn user(&self, account: Id, id: Id) -> StoreResult<User> {
        let mut conn = self.pool.acquire().await?;
        fetch_user(&mut conn, account, id).await
    }

    async fn user_by_email(&self, account: Id, email: &str) -> StoreResult<Option<User>> {
        let mut conn = self.pool.acquire().await?;
        fetch_user_by_email(&mut conn, account, email).await
    }

    async fn list_users(&self, account: Id, query: &UserQuery) -> StoreResult<UserListing> {
        let sort = sort_expression(query.sort);
        let pattern = query
            .search
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| search_pattern(s.trim()));
        let search_clause = if pattern.is_some() {
            " AND (u.email_lower GLOB ?1 OR u.first_name GLOB ?1 OR u.last_name GLOB ?1)"
        } else {
            ""
        };
        // Numbered parameters: ?1 search, ?2 account, ?3/?4 cursor, ?5 limit.
        let total_sql =
            format!("SELECT COUNT(*) FROM users u WHERE u.account_id = ?2{search_clause}");
        let (cmp, dir) = if query.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let cursor_clause = if query.after.is_some() {
            format!(" AND ({sort} {cmp} ?3 OR ({sort} = ?3 AND u.id {cmp} ?4))")
        } else {
            String::new()
        };
        let page_sql = format!(
            "{USER_SELECT} WHERE u.account_id = ?2{search_clause}{cursor_clause} ORDER BY {sort} {dir}, u.id {dir} LIMIT ?5"
        );
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(&total_sql)
            .bind(pattern.as_deref().unwrap_or(""))
            .bind(account)
            .fetch_one(&mut *conn)
            .await?;
        let limit = query.limit.clamp(1, 1000);
        let mut page = sqlx::query(&page_sql)
            .bind(pattern.as_deref().unwrap_or(""))
            .bind(account);
        page = match &query.after {
            Some((SortKey::Text(key), id)) => page.bind(key.clone()).bind(*id),
            Some((SortKey::Number(key), id)) => page.bind(*key).bind(*id),
            None => page.bind(0_i64).bind(0_i64),
        };
        let rows = page
            .bind(i64::from(limit) + 1)
            .fetch_all(&mut *conn)
            .await?;
        let mut users = rows
            .iter()
            .map(user_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let more = users.len() > limit as usize;
        users.truncate(limit as usize);
        let next = match users.last() {
            Some(last) if more => Some((sort_key(query.sort, last), last.id)),
            _ => None,
        };
        Ok(UserListing { users, total, next })
    }

    async fn create_user(&self, account: Id, actor: &Actor, user: &NewUser) -> StoreResult<User> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = insert_user(&mut tx, account, actor, user).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn update_user(
        &self,
        account: Id,
        actor: &Actor,
        id: Id,
        changes: &UserChanges,
    ) -> StoreResult<User> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = fetch_user(&mut tx, account, id).await?;
        let (user, _) = change_user(&mut tx, account, actor, user, changes).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = fetch_user(&mut tx, account, id).await?;
        keep_an_administrator(&mut tx, account, &user, false).await?;
        if let Some(held) = &user.licence {
            // Back to the pool as a licence never given out, not only unlinked by the
            // foreign key (which would leave its assignment time behind).
            set_licence_holder(&mut tx, held.id, None).await?;
        }
        sqlx::query("DELETE FROM users WHERE account_id = ? AND id = ?")
            .bind(account)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "user.deleted",
            Some(id),
            Some(&user.email),
            serde_json::json!({"licence_returned": user.licence.as_ref().map(|l| l.tier)}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn apply_batch(
        &self,
        account: Id,
        actor: &Actor,
        items: &[BatchItem],
    ) -> StoreResult<Vec<BatchItemResult>> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let mut results = Vec::with_capacity(items.len());
        // One query for every key of the batch instead of one per item, and one insert of
        // the new records and events at the end: a large import spends its time here.
        let mut recorded = recorded_results(&mut tx, account, items).await?;
        let mut batch = BatchWrites::default();
        for item in items {
            let key = item.idempotency_key.as_str();
            if key.is_empty() || key.len() > 200 {
                results.push(BatchItemResult {
                    idempotency_key: key.to_owned(),
                    outcome: BatchOutcome::Error,
                    user: None,
                    error: Some(
                        StoreError::Invalid(
                            "idempotency_key: give each item a key of 1 to 200 characters".into(),
                        )
                        .to_body(),
                    ),
                    replayed: false,
                });
                continue;
            }
            if let Some(recorded) = recorded.get(key) {
                if let Ok(mut earlier) = serde_json::from_str::<BatchItemResult>(recorded) {
                    earlier.replayed = true;
                    results.push(earlier);
                    continue;
                }
            }
            let applied = match &item.operation {
                BatchOperation::Create(new_user) => {
                    insert_user_in_batch(&mut tx, account, new_user, &mut batch)
                        .await
                        .map(|user| (BatchOutcome::Created, user))
                }
                BatchOperation::Update { email, changes } => {
                    match fetch_user_by_email(&mut tx, account, email.trim()).await? {
                        None => Err(StoreError::NotFound("user")),
                        Some(user) => change_user(&mut tx, account, actor, user, changes)
                            .await
                            .map(|(user, changed)| {
                                (
                                    if changed {
                                        BatchOutcome::Updated
                                    } else {
                                        BatchOutcome::Unchanged
                                    },
                                    user,
                                )
                            }),
                    }
                }
            };
            let result = match applied {
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
                Err(refusal) => BatchItemResult {
                    idempotency_key: key.to_owned(),
                    outcome: BatchOutcome::Error,
                    user: None,
                    error: Some(refusal.to_body()),
                    replayed: false,
                },
            };
            results.push(result);
        }
        batch.flush(&mut tx, account, actor).await?;
        tx.commit().await?;
        Ok(results)
    }

    async fn set_role(
        &self,
        account: Id,
        actor: &Actor,
        id: Id,
        role: Role,
        role_group_id: Option<Id>,
    ) -> StoreResult<User> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = fetch_user(&mut tx, account, id).await?;
        if let Some(group) = role_group_id {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT 1 FROM role_groups WHERE account_id = ? AND id = ?")
                    .bind(account)
                    .bind(group)
                    .fetch_optional(&mut *tx)
                    .await?;
            if found.is_none() {
                return Err(StoreError::NotFound("role group"));
            }
        }
        keep_an_administrator(&mut tx, account, &user, role == Role::Administrator).await?;
        sqlx::query("UPDATE users SET role = ?, role_group_id = ?, updated_at = ? WHERE account_id = ? AND id = ?")
            .bind(role.as_str())
            .bind(role_group_id)
            .bind(millis(Utc::now()))
            .bind(account)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "user.role_set",
            Some(id),
            Some(&user.email),
            serde_json::json!({"from": user.role, "to": role, "role_group_id": role_group_id}),
        )
        .await?;
        let user = fetch_user(&mut tx, account, id).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_totp(
        &self,
        user_id: Id,
        pending: Option<&str>,
        active: Option<&str>,
    ) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        sqlx::query("UPDATE users SET totp_pending = ?, totp_secret = ? WHERE id = ?")
            .bind(pending)
            .bind(active)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn totp_secrets(&self, user_id: Id) -> StoreResult<(Option<String>, Option<String>)> {
        let row = sqlx::query("SELECT totp_pending, totp_secret FROM users WHERE id = ?")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("user"))?;
        Ok((row.try_get("totp_pending")?, row.try_get("totp_secret")?))
    }

    async fn list_domains(&self, account: Id) -> StoreResult<Vec<Domain>> {
        let rows = sqlx::query("SELECT * FROM domains WHERE account_id = ? ORDER BY name")
            .bind(account)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(domain_from_row).collect()
    }

    async fn domain(&self, account: Id, id: Id) -> StoreResult<Domain> {
        let row = sqlx::query("SELECT * FROM domains WHERE account_id = ? AND id = ?")
            .bind(account)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound("domain"))?;
        domain_from_row(&row)
    }

    async fn request_domain(
        &self,
        account: Id,
        actor: &Actor,
        name: &str,
        token: &str,
    ) -> StoreResult<Domain> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM domains WHERE account_id = ? AND name = ?")
                .bind(account)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::DomainExists(name.to_owned()));
        }
        let row = sqlx::query(
            "INSERT INTO domains (account_id, name, status, txt_token, requested_at) VALUES (?, ?, 'pending', ?, ?) RETURNING *",
        )
        .bind(account)
        .bind(name)
        .bind(token)
        .bind(millis(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let domain = domain_from_row(&row)?;
        insert_event(
            &mut tx,
            account,
            actor,
            "domain.requested",
            None,
            Some(name),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(domain)
    }

    async fn approve_domain(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<Domain> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "UPDATE domains SET status = 'approved', approved_at = COALESCE(approved_at, ?) WHERE account_id = ? AND id = ? RETURNING *",
        )
        .bind(millis(Utc::now()))
        .bind(account)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("domain"))?;
        let domain = domain_from_row(&row)?;
        insert_event(
            &mut tx,
            account,
            actor,
            "domain.approved",
            None,
            Some(&domain.name),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(domain)
    }

    async fn remove_domain(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let name: String = sqlx::query_scalar(
            "DELETE FROM domains WHERE account_id = ? AND id = ? RETURNING name",
        )
        .bind(account)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("domain"))?;
        insert_event(
            &mut tx,
            account,
            actor,
            "domain.removed",
            None,
            Some(&name),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn licence_pool(&self, account: Id) -> StoreResult<LicencePool> {
        let rows = sqlx::query(
            "SELECT tier, COUNT(*) AS purchased, COUNT(user_id) AS assigned FROM licences WHERE account_id = ? GROUP BY tier",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        let mut tiers: Vec<TierCount> = LicenceTier::ALL
            .iter()
            .map(|&tier| TierCount {
                tier,
                purchased: 0,
                assigned: 0,
                available: 0,
            })
            .collect();
        for row in rows {
            let tier: String = row.try_get("tier")?;
            let tier = LicenceTier::from_wire(&tier).ok_or_else(|| corrupt("tier", &tier))?;
            if let Some(count) = tiers.iter_mut().find(|c| c.tier == tier) {
                count.purchased = row.try_get("purchased")?;
                count.assigned = row.try_get("assigned")?;
                count.available = count.purchased - count.assigned;
            }
        }
        Ok(LicencePool { tiers })
    }

    async fn list_licences(&self, account: Id) -> StoreResult<Vec<Licence>> {
        let rows = sqlx::query(
            "SELECT l.id, l.tier, l.user_id, u.email, l.purchased_at, l.assigned_at FROM licences l \
             LEFT JOIN users u ON u.id = l.user_id WHERE l.account_id = ? ORDER BY l.id",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        let mut licences = Vec::with_capacity(rows.len());
        for row in rows {
            let tier: String = row.try_get("tier")?;
            let assigned_at: Option<i64> = row.try_get("assigned_at")?;
            licences.push(Licence {
                id: row.try_get("id")?,
                tier: LicenceTier::from_wire(&tier).ok_or_else(|| corrupt("tier", &tier))?,
                user_id: row.try_get("user_id")?,
                user_email: row.try_get("email")?,
                purchased_at: from_millis(row.try_get("purchased_at")?),
                assigned_at: assigned_at.map(from_millis),
            });
        }
        licences.sort_by_key(|l| (l.tier, l.id));
        Ok(licences)
    }

    async fn purchase_licences(
        &self,
        account: Id,
        actor: &Actor,
        tier: LicenceTier,
        count: u32,
    ) -> StoreResult<Vec<Licence>> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let now = Utc::now();
        let mut bought = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let id: Id = sqlx::query_scalar("INSERT INTO licences (account_id, tier, purchased_at) VALUES (?, ?, ?) RETURNING id")
                .bind(account)
                .bind(tier.as_str())
                .bind(millis(now))
                .fetch_one(&mut *tx)
                .await?;
            bought.push(Licence {
                id,
                tier,
                user_id: None,
                user_email: None,
                purchased_at: from_millis(millis(now)),
                assigned_at: None,
            });
        }
        insert_event(
            &mut tx,
            account,
            actor,
            "licence.purchased",
            None,
            None,
            serde_json::json!({"tier": tier, "count": count}),
        )
        .await?;
        tx.commit().await?;
        Ok(bought)
    }

    async fn remove_licence(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(
            "SELECT l.tier, u.email FROM licences l LEFT JOIN users u ON u.id = l.user_id WHERE l.account_id = ? AND l.id = ?",
        )
        .bind(account)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("licence"))?;
        let tier: String = row.try_get("tier")?;
        if let Some(holder) = row.try_get::<Option<String>, _>("email")? {
            return Err(StoreError::LicenceAssigned(holder));
        }
        sqlx::query("DELETE FROM licences WHERE account_id = ? AND id = ?")
            .bind(account)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "licence.removed",
            None,
            None,
            serde_json::json!({"licence_id": id, "tier": tier}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn assign_licence(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        tier: LicenceTier,
    ) -> StoreResult<User> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        if let Some(held) = &user.licence {
            return Err(StoreError::UserHasLicence(held.tier));
        }
        let licence = free_licence(&mut tx, account, tier).await?;
        set_licence_holder(&mut tx, licence, Some(user_id)).await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "licence.assigned",
            Some(user_id),
            Some(&user.email),
            serde_json::json!({"tier": tier, "licence_id": licence}),
        )
        .await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn change_licence(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        tier: LicenceTier,
    ) -> StoreResult<User> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        let held = user.licence.clone().ok_or(StoreError::UserHasNoLicence)?;
        if held.tier == tier {
            return Ok(user);
        }
        let new_licence = free_licence(&mut tx, account, tier).await?;
        // The old licence goes back to the pool first: a user holds at most one.
        set_licence_holder(&mut tx, held.id, None).await?;
        set_licence_holder(&mut tx, new_licence, Some(user_id)).await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "licence.changed",
            Some(user_id),
            Some(&user.email),
            serde_json::json!({"from": held.tier, "to": tier, "licence_id": new_licence}),
        )
        .await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn unassign_licence(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
    ) -> StoreResult<(User, u64)> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        let held = user.licence.clone().ok_or(StoreError::UserHasNoLicence)?;
        set_licence_holder(&mut tx, held.id, None).await?;
        let deleted = delete_holder_logs(&mut tx, account, user_id).await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "licence.unassigned",
            Some(user_id),
            Some(&user.email),
            serde_json::json!({"tier": held.tier, "licence_id": held.id, "logs_deleted": deleted}),
        )
        .await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        tx.commit().await?;
        Ok((user, deleted))
    }

    async fn transfer_licence(
        &self,
        account: Id,
        actor: &Actor,
        from: Id,
        to: Id,
    ) -> StoreResult<(User, User, u64)> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let giver = fetch_user(&mut tx, account, from).await?;
        let receiver = fetch_user(&mut tx, account, to).await?;
        if from == to {
            return Err(StoreError::Invalid(
                "to_user_id: choose another user than the current holder".into(),
            ));
        }
        let held = giver.licence.clone().ok_or(StoreError::UserHasNoLicence)?;
        if let Some(theirs) = &receiver.licence {
            return Err(StoreError::UserHasLicence(theirs.tier));
        }
        set_licence_holder(&mut tx, held.id, None).await?;
        set_licence_holder(&mut tx, held.id, Some(to)).await?;
        let deleted = delete_holder_logs(&mut tx, account, from).await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "licence.transferred",
            Some(from),
            Some(&giver.email),
            serde_json::json!({"tier": held.tier, "licence_id": held.id, "to": receiver.email, "logs_deleted": deleted}),
        )
        .await?;
        insert_event(
            &mut tx,
            account,
            actor,
            "licence.received",
            Some(to),
            Some(&receiver.email),
            serde_json::json!({"tier": held.tier, "licence_id": held.id, "from": giver.email}),
        )
        .await?;
        let giver = fetch_user(&mut tx, account, from).await?;
        let receiver = fetch_user(&mut tx, account, to).await?;
        tx.commit().await?;
        Ok((giver, receiver, deleted))
    }

    async fn list_role_groups(&self, account: Id) -> StoreResult<Vec<RoleGroup>> {
        let rows = sqlx::query("SELECT id, name, permissions FROM role_groups WHERE account_id = ? ORDER BY name_lower")
            .bind(account)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(role_group_from_row).collect()
    }

    async fn create_role_group(
        &self,
        account: Id,
        actor: &Actor,
        name: &str,
        permissions: &[Permission],
    ) -> StoreResult<RoleGroup> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "name: give the role group a name of 1 to 100 characters".into(),
            ));
        }
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM role_groups WHERE account_id = ? AND name_lower = ?")
                .bind(account)
                .bind(name.to_lowercase())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::Conflict(format!(
                "a role group named \"{name}\" already exists"
            )));
        }
        let row = sqlx::query(
            "INSERT INTO role_groups (account_id, name, name_lower, permissions, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id, name, permissions",
        )
        .bind(account)
        .bind(name)
        .bind(name.to_lowercase())
        .bind(permissions_to_text(permissions))
        .bind(millis(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        let group = role_group_from_row(&row)?;
        insert_event(
            &mut tx,
            account,
            actor,
            "role_group.created",
            None,
            Some(name),
            serde_json::json!({"permissions": group.permissions}),
        )
        .await?;
        tx.commit().await?;
        Ok(group)
    }

    async fn set_role_group_permissions(
        &self,
        account: Id,
        actor: &Actor,
        id: Id,
        permissions: &[Permission],
    ) -> StoreResult<RoleGroup> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("UPDATE role_groups SET permissions = ? WHERE account_id = ? AND id = ? RETURNING id, name, permissions")
            .bind(permissions_to_text(permissions))
            .bind(account)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound("role group"))?;
        let group = role_group_from_row(&row)?;
        insert_event(
            &mut tx,
            account,
            actor,
            "role_group.permissions_set",
            None,
            Some(&group.name),
            serde_json::json!({"permissions": group.permissions}),
        )
        .await?;
        tx.commit().await?;
        Ok(group)
    }

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
        let rows = sqlx::query(&sql)
            .bind(account)
            .bind(query.user_id.unwrap_or(0))
            .bind(query.from.map(millis).unwrap_or(0))
            .bind(query.to.map(millis).unwrap_or(0))
            .bind(i64::from(query.limit.max(1)))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let details: String = row.try_get("details")?;
                Ok(Event {
                    id: row.try_get("id")?,
                    at: from_millis(row.try_get("at")?),
                    actor_email: row.try_get("actor_email")?,
                    action: row.try_get("action")?,
                    target_user_id: row.try_get("target_user_id")?,
                    target: row.try_get("target")?,
                    client: row.try_get("client")?,
                    details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    async fn record_event(
        &self,
        account: Id,
        actor: &Actor,
        action: &str,
        target_user_id: Option<Id>,
        details: serde_json::Value,
    ) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        let mut conn = self.pool.acquire().await?;
        let target = match target_user_id {
            Some(id) => fetch_user(&mut conn, account, id)
                .await
                .ok()
                .map(|u| u.email),
            None => None,
        };
        insert_event(
            &mut conn,
            account,
            actor,
            action,
            target_user_id,
            target.as_deref(),
            details,
        )
        .await
    }

    async fn insert_token(&self, token: &NewToken<'_>) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        sqlx::query(
            "INSERT INTO tokens (hash, user_id, kind, client_id, family, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(token.hash)
        .bind(token.user_id)
        .bind(token.kind.as_str())
        .bind(token.client_id)
        .bind(token.family)
        .bind(millis(Utc::now()))
        .bind(token.expires_at.map(millis))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn token_owner(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<TokenOwner>> {
        let mut conn = self.pool.acquire().await?;
        let Some(row) = sqlx::query(TOKEN_SELECT)
            .bind(hash)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let used: bool = row.try_get("used")?;
        let expires_at: Option<i64> = row.try_get("expires_at")?;
        if used || expires_at.is_some_and(|e| e <= millis(now)) {
            return Ok(None);
        }
        user_for_token(&mut conn, &row).await
    }

    async fn use_refresh_token(
        &self,
        hash: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<RefreshUse> {
        let _writer = self.write.lock().await;
        let mut tx = self.pool.begin().await?;
        let Some(row) = sqlx::query(TOKEN_SELECT)
            .bind(hash)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(RefreshUse::Invalid);
        };
        let kind: String = row.try_get("kind")?;
        let owner_client: String = row.try_get("client_id")?;
        // A token shown by another client is refused untouched, so it cannot spend (and
        // thereby revoke) the rightful client's session.
        if kind != TokenKind::Refresh.as_str() || owner_client != client_id {
            return Ok(RefreshUse::Invalid);
        }
        let family: Option<String> = row.try_get("family")?;
        if row.try_get::<bool, _>("used")? {
            if let Some(family) = &family {
                sqlx::query("DELETE FROM tokens WHERE family = ?")
                    .bind(family)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            return Ok(RefreshUse::Replayed);
        }
        let expires_at: Option<i64> = row.try_get("expires_at")?;
        if expires_at.is_some_and(|e| e <= millis(now)) {
            return Ok(RefreshUse::Invalid);
        }
        sqlx::query("UPDATE tokens SET used = 1 WHERE hash = ?")
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        let owner = user_for_token(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(owner.map_or(RefreshUse::Invalid, |owner| {
            RefreshUse::Fresh(Box::new(owner))
        }))
    }

    async fn delete_token(&self, hash: &str) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        sqlx::query("DELETE FROM tokens WHERE hash = ?")
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn revoke_family(&self, family: &str) -> StoreResult<()> {
        let _writer = self.write.lock().await;
        sqlx::query("DELETE FROM tokens WHERE family = ?")
            .bind(family)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
