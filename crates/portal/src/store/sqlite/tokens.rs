//! Bearer tokens, kept as hashes: access, refresh (rotating, in families) and personal.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use sxadmin_core::{Account, Id};

use super::users::fetch_user;
use super::{millis, parse, SqliteStore};
use crate::store::{NewToken, RefreshUse, StoreResult, TokenKind, TokenOwner, TokenStore};

const TOKEN_SELECT: &str =
    "SELECT t.kind, t.client_id, t.family, t.user_id, t.used, t.expires_at, \
     u.account_id, a.name AS account_name FROM tokens t JOIN users u ON u.id = t.user_id \
     JOIN accounts a ON a.id = u.account_id WHERE t.hash = ?";

#[derive(sqlx::FromRow)]
struct TokenRow {
    kind: String,
    client_id: String,
    family: Option<String>,
    user_id: Id,
    used: bool,
    expires_at: Option<i64>,
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

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_token(&self, token: &NewToken<'_>) -> StoreResult<()> {
        let mut tx = self.write().await?;
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    async fn token_owner(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<TokenOwner>> {
        let mut conn = self.pool.acquire().await?;
        match token_row(&mut conn, hash).await? {
            Some(row) if !row.used && !row.expired(now) => owner(&mut conn, row).await,
            _ => Ok(None),
        }
    }

    async fn use_refresh_token(
        &self,
        hash: &str,
        client_id: &str,
        now: DateTime<Utc>,
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
                sqlx::query("DELETE FROM tokens WHERE family = ?")
                    .bind(family)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            return Ok(RefreshUse::Replayed);
        }
        if row.expired(now) {
            return Ok(RefreshUse::Invalid);
        }
        sqlx::query("UPDATE tokens SET used = 1 WHERE hash = ?")
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        let owner = owner(&mut tx, row).await?;
        tx.commit().await?;
        Ok(owner.map_or(RefreshUse::Invalid, |owner| {
            RefreshUse::Fresh(Box::new(owner))
        }))
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
        sqlx::query("DELETE FROM tokens WHERE family = ?")
            .bind(family)
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }
}
