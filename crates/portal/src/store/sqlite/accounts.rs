//! Accounts: the tenants every other row belongs to.

use async_trait::async_trait;
use chrono::Utc;
use sxadmin_core::{Account, Id};

use super::{millis, SqliteStore};
use crate::store::{AccountStore, StoreResult};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, name: &str) -> StoreResult<Account> {
        let mut tx = self.write().await?;
        let id: Id = sqlx::query_scalar(
            "INSERT INTO accounts (name, created_at) VALUES (?, ?) RETURNING id",
        )
        .bind(name)
        .bind(millis(Utc::now()))
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Account {
            id,
            name: name.to_owned(),
        })
    }

    async fn account_by_name(&self, name: &str) -> StoreResult<Option<Account>> {
        let row: Option<(Id, String)> =
            sqlx::query_as("SELECT id, name FROM accounts WHERE name = ? ORDER BY id LIMIT 1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, name)| Account { id, name }))
    }

    async fn account(&self, id: Id) -> StoreResult<Option<Account>> {
        let row: Option<(Id, String)> =
            sqlx::query_as("SELECT id, name FROM accounts WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(id, name)| Account { id, name }))
    }
}
