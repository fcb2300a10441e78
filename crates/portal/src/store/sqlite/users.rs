//! Users: lookups, the paged list, single changes and the rules that need the stored data
//! (the last administrator, approved domains).

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqliteConnection;
use sxadmin_core::rules;
use sxadmin_core::{
    HeldLicence, Id, Language, LicenceTier, NewUser, Role, User, UserChanges, UserSort,
};

use super::batch::insert_user;
use super::events::insert_event;
use super::licences::set_licence_holder;
use super::{from_millis, millis, parse, SqliteStore};
use crate::store::{Actor, SortKey, StoreError, StoreResult, UserListing, UserQuery, UserStore};

/// The columns [`UserRow`] reads, with the user's licence joined; a macro so that queries
/// can extend it with `concat!` at compile time.
macro_rules! user_select {
    () => {
        "SELECT u.id, u.account_id, u.email, u.first_name, u.last_name, u.language, u.role, \
         u.role_group_id, u.active, u.created_at, u.updated_at, l.id AS licence_id, \
         l.tier AS licence_tier FROM users u LEFT JOIN licences l ON l.user_id = u.id"
    };
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: Id,
    pub(super) account_id: Id,
    email: String,
    first_name: String,
    last_name: String,
    language: String,
    role: String,
    role_group_id: Option<Id>,
    active: bool,
    created_at: i64,
    updated_at: i64,
    licence_id: Option<Id>,
    licence_tier: Option<String>,
}

impl UserRow {
    pub(super) fn into_user(self) -> StoreResult<User> {
        let licence = match (self.licence_id, self.licence_tier) {
            (Some(id), Some(tier)) => Some(HeldLicence {
                id,
                tier: parse("tier", &tier, LicenceTier::from_wire)?,
            }),
            _ => None,
        };
        Ok(User {
            id: self.id,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            language: parse("language", &self.language, Language::from_wire)?,
            role: parse("role", &self.role, Role::from_wire)?,
            role_group_id: self.role_group_id,
            active: self.active,
            licence,
            created_at: from_millis(self.created_at),
            updated_at: from_millis(self.updated_at),
        })
    }
}

pub(super) async fn fetch_user(
    conn: &mut SqliteConnection,
    account: Id,
    id: Id,
) -> StoreResult<User> {
    sqlx::query_as::<_, UserRow>(concat!(
        user_select!(),
        " WHERE u.account_id = ? AND u.id = ?"
    ))
    .bind(account)
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound("user"))?
    .into_user()
}

pub(super) async fn fetch_user_by_email(
    conn: &mut SqliteConnection,
    account: Id,
    email: &str,
) -> StoreResult<Option<User>> {
    sqlx::query_as::<_, UserRow>(concat!(
        user_select!(),
        " WHERE u.account_id = ? AND u.email_lower = ?"
    ))
    .bind(account)
    .bind(email.to_lowercase())
    .fetch_optional(conn)
    .await?
    .map(UserRow::into_user)
    .transpose()
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

pub(super) async fn domain_is_approved(
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

/// Applies the changes that differ from the stored user; returns the user and whether
/// anything changed (nothing is written or logged when nothing did).
pub(super) async fn change_user(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    user: User,
    changes: &UserChanges,
) -> StoreResult<(User, bool)> {
    let changes = rules::check_user_changes(changes)?;
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

/// Deletes a user, for the single route and the batch alike: never the last active
/// administrator, and a licence they held goes back to the pool.
pub(super) async fn remove_user(
    conn: &mut SqliteConnection,
    account: Id,
    actor: &Actor,
    user: &User,
) -> StoreResult<()> {
    keep_an_administrator(conn, account, user, false).await?;
    if let Some(held) = &user.licence {
        // Back to the pool as a licence never given out, not only unlinked by the
        // foreign key (which would leave its assignment time behind).
        set_licence_holder(conn, held.id, None).await?;
    }
    sqlx::query("DELETE FROM users WHERE account_id = ? AND id = ?")
        .bind(account)
        .bind(user.id)
        .execute(&mut *conn)
        .await?;
    insert_event(
        conn,
        account,
        actor,
        "user.deleted",
        Some(user.id),
        Some(&user.email),
        serde_json::json!({"licence_returned": user.licence.as_ref().map(|l| l.tier)}),
    )
    .await
}

/// The list's filters as SQL conditions. Every value is a fixed word or a number, so
/// they are written into the statement rather than bound (which would renumber the
/// parameters the cursor uses).
fn filter_clauses(query: &UserQuery) -> String {
    let mut sql = String::new();
    if let Some(role) = query.role {
        sql.push_str(&format!(" AND u.role = '{}'", role.as_str()));
    }
    if let Some(group) = query.group {
        sql.push_str(&format!(" AND u.role_group_id = {group}"));
    }
    match query.licence.map(|filter| filter.tier()) {
        Some(Some(tier)) => sql.push_str(&format!(" AND l.tier = '{}'", tier.as_str())),
        Some(None) => sql.push_str(" AND l.id IS NULL"),
        None => {}
    }
    if let Some(status) = query.status {
        sql.push_str(if status.is_active() {
            " AND u.active = 1"
        } else {
            " AND u.active = 0"
        });
    }
    sql
}

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

#[async_trait]
impl UserStore for SqliteStore {
    async fn users_by_email_any_account(&self, email: &str) -> StoreResult<Vec<(Id, User)>> {
        let rows = sqlx::query_as::<_, UserRow>(concat!(
            user_select!(),
            " WHERE u.email_lower = ? ORDER BY u.account_id"
        ))
        .bind(email.trim().to_lowercase())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| Ok((row.account_id, row.into_user()?)))
            .collect()
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
        let mut search_clause = if pattern.is_some() {
            " AND (u.email_lower GLOB ?1 OR u.first_name GLOB ?1 OR u.last_name GLOB ?1)"
        } else {
            ""
        }
        .to_owned();
        search_clause.push_str(&filter_clauses(query));
        // Numbered parameters: ?1 search, ?2 account, ?3/?4 cursor, ?5 limit.
        let total_sql = format!(
            "SELECT COUNT(*) FROM users u LEFT JOIN licences l ON l.user_id = u.id \
             WHERE u.account_id = ?2{search_clause}"
        );
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
            "{} WHERE u.account_id = ?2{search_clause}{cursor_clause} ORDER BY {sort} {dir}, u.id {dir} LIMIT ?5",
            user_select!()
        );
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(&total_sql)
            .bind(pattern.as_deref().unwrap_or(""))
            .bind(account)
            .fetch_one(&mut *conn)
            .await?;
        let limit = query.limit.clamp(1, rules::MAX_USER_PAGE);
        let mut page = sqlx::query_as::<_, UserRow>(&page_sql)
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
            .into_iter()
            .map(UserRow::into_user)
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
        let mut tx = self.write().await?;
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
        let mut tx = self.write().await?;
        let user = fetch_user(&mut tx, account, id).await?;
        let (user, _) = change_user(&mut tx, account, actor, user, changes).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, account: Id, actor: &Actor, id: Id) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let user = fetch_user(&mut tx, account, id).await?;
        remove_user(&mut tx, account, actor, &user).await?;
        tx.commit().await
    }

    async fn set_role(
        &self,
        account: Id,
        actor: &Actor,
        id: Id,
        role: Role,
        role_group: Option<Option<Id>>,
    ) -> StoreResult<User> {
        let mut tx = self.write().await?;
        let user = fetch_user(&mut tx, account, id).await?;
        let role_group_id = role_group.unwrap_or(user.role_group_id);
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
}
