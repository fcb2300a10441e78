//! Bearer tokens, kept as hashes: access, refresh (rotating, in families) and personal.
//! A family is one session: the tokens descended from one sign-in, or one personal token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sxadmin_core::{Account, Id, Session, SessionKind};

use super::events::insert_security_event;
use super::users::fetch_user;
use super::{from_millis, millis, parse, SqliteStore};
use crate::store::{
    Actor, NewToken, RefreshUse, StoreResult, Successors, TokenKind, TokenOwner, TokenStore,
};

const TOKEN_SELECT: &str =
    "SELECT t.kind, t.client_id, t.family, t.user_id, t.used, t.expires_at, t.last_used_at, \
     u.account_id, a.name AS account_name FROM tokens t JOIN users u ON u.id = t.user_id \
     JOIN accounts a ON a.id = u.account_id WHERE t.hash = ?";

/// How stale a token's last-use time may get before a request records it again, so that
/// a busy client writes once a minute rather than on every request.
const LAST_USE_PRECISION_MS: i64 = 60_000;

#[derive(sqlx::FromRow)]
struct TokenRow {
    kind: String,
    client_id: String,
    family: Option<String>,
    user_id: Id,
    used: bool,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    account_id: Id,
    account_name: String,
}

impl TokenRow {
    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| e <= millis(now))
    }
}

/// The owner of a token row, unless the user has been disabled since it was issued.
async fn owner(conn: &mut SqliteConnection, row: TokenRow) -> StoreResult<Option<TokenOwner>> {
    let kind = parse("token kind", &row.kind, TokenKind::from_db)?;
    let user = fetch_user(conn, row.account_id, row.user_id).await?;
    if !user.active {
        return Ok(None);
    }
    Ok(Some(TokenOwner {
        account: Account {
            id: row.account_id,
            name: row.account_name,
        },
        user,
        kind,
        client_id: row.client_id,
        family: row.family,
    }))
}

async fn token_row(conn: &mut SqliteConnection, hash: &str) -> StoreResult<Option<TokenRow>> {
    Ok(sqlx::query_as::<_, TokenRow>(TOKEN_SELECT)
        .bind(hash)
        .fetch_optional(conn)
        .await?)
}

async fn insert(conn: &mut SqliteConnection, token: &NewToken<'_>, now: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tokens (hash, user_id, kind, client_id, family, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(token.hash)
    .bind(token.user_id)
    .bind(token.kind.as_str())
    .bind(token.client_id)
    .bind(token.family)
    .bind(now)
    .bind(token.expires_at.map(millis))
    .execute(conn)
    .await?;
    Ok(())
}

async fn delete_family(conn: &mut SqliteConnection, family: &str) -> StoreResult<u64> {
    Ok(sqlx::query("DELETE FROM tokens WHERE family = ?")
        .bind(family)
        .execute(conn)
        .await?
        .rows_affected())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    family: String,
    client_id: String,
    personal: bool,
    created_at: i64,
    last_used_at: Option<i64>,
    live_until: i64,
}

/// Stands for "never expires" in the session query, so `MAX` keeps it.
const NEVER: i64 = i64::MAX;

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_tokens(&self, tokens: &[NewToken<'_>]) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let now = millis(Utc::now());
        for token in tokens {
            insert(&mut tx, token, now).await?;
        }
        tx.commit().await
    }

    async fn token_owner(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<TokenOwner>> {
        let mut conn = self.pool.acquire().await?;
        let row = match token_row(&mut conn, hash).await? {
            Some(row) if !row.used && !row.expired(now) => row,
            _ => return Ok(None),
        };
        let stale = row
            .last_used_at
            .is_none_or(|at| at + LAST_USE_PRECISION_MS <= millis(now));
        let owner = owner(&mut conn, row).await?;
        drop(conn);
        // Only a token that acts for its owner counts as use; a refresh token shown as a
        // bearer token is refused by the caller.
        let acting = owner.as_ref().is_some_and(|o| o.kind != TokenKind::Refresh);
        if stale && acting {
            let mut tx = self.write().await?;
            sqlx::query("UPDATE tokens SET last_used_at = ? WHERE hash = ?")
                .bind(millis(now))
                .bind(hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        }
        Ok(owner)
    }

    async fn rotate_refresh_token(
        &self,
        hash: &str,
        client_id: &str,
        now: DateTime<Utc>,
        successors: &Successors<'_>,
    ) -> StoreResult<RefreshUse> {
        let mut tx = self.write().await?;
        let Some(row) = token_row(&mut tx, hash).await? else {
            return Ok(RefreshUse::Invalid);
        };
        // A token shown by another client is refused untouched, so it cannot spend (and
        // thereby revoke) the rightful client's session.
        if row.kind != TokenKind::Refresh.as_str() || row.client_id != client_id {
            return Ok(RefreshUse::Invalid);
        }
        if row.used {
            if let Some(family) = &row.family {
                delete_family(&mut tx, family).await?;
            }
            tx.commit().await?;
            return Ok(RefreshUse::Replayed {
                account: row.account_id,
                user_id: row.user_id,
            });
        }
        if row.expired(now) {
            return Ok(RefreshUse::Invalid);
        }
        sqlx::query("UPDATE tokens SET used = 1, last_used_at = ? WHERE hash = ?")
            .bind(millis(now))
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        let family = row.family.clone();
        let user_id = row.user_id;
        let Some(owner) = owner(&mut tx, row).await? else {
            // A disabled user's session ends here; dropping the transaction keeps nothing.
            return Ok(RefreshUse::Invalid);
        };
        let family = family.unwrap_or_else(|| crate::secrets::new_token(""));
        let at = millis(now);
        for (hash, kind, expires_at) in [
            (
                successors.access_hash,
                TokenKind::Access,
                successors.access_expires_at,
            ),
            (
                successors.refresh_hash,
                TokenKind::Refresh,
                successors.refresh_expires_at,
            ),
        ] {
            let token = NewToken {
                hash,
                user_id,
                kind,
                client_id,
                family: Some(&family),
                expires_at: Some(expires_at),
            };
            insert(&mut tx, &token, at).await?;
        }
        tx.commit().await?;
        Ok(RefreshUse::Fresh(Box::new(TokenOwner {
            family: Some(family),
            ..owner
        })))
    }

    async fn delete_token(&self, hash: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM tokens WHERE hash = ?")
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    async fn revoke_family(&self, family: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        delete_family(&mut tx, family).await?;
        tx.commit().await
    }

    async fn sessions(&self, user_id: Id, now: DateTime<Utc>) -> StoreResult<Vec<Session>> {
        let rows = sqlx::query_as::<_, SessionRow>(
            "SELECT family, MIN(client_id) AS client_id, MAX(kind = 'personal') AS personal, \
             MIN(created_at) AS created_at, MAX(last_used_at) AS last_used_at, \
             MAX(CASE WHEN used = 0 THEN COALESCE(expires_at, ?2) END) AS live_until \
             FROM tokens WHERE user_id = ?1 AND family IS NOT NULL GROUP BY family \
             HAVING live_until > ?3 ORDER BY created_at DESC, family",
        )
        .bind(user_id)
        .bind(NEVER)
        .bind(millis(now))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Session {
                id: row.family,
                kind: if row.personal {
                    SessionKind::PersonalToken
                } else {
                    SessionKind::SignIn
                },
                client: row.client_id,
                created_at: from_millis(row.created_at),
                last_used_at: row.last_used_at.map(from_millis),
                expires_at: (row.live_until != NEVER).then(|| from_millis(row.live_until)),
                current: false,
            })
            .collect())
    }

    async fn revoke_session(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        id: &str,
    ) -> StoreResult<bool> {
        let mut tx = self.write().await?;
        let ended = sqlx::query("DELETE FROM tokens WHERE user_id = ? AND family = ?")
            .bind(user_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if ended == 0 {
            return Ok(false);
        }
        insert_security_event(
            &mut tx,
            account,
            actor,
            "session.revoked",
            Some(user_id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
