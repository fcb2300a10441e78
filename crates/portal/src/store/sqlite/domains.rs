//! E-mail domains: requested with a DNS token, approved once verified.

use async_trait::async_trait;
use chrono::Utc;
use sxadmin_core::{Domain, DomainStatus, Id};

use super::events::insert_event;
use super::{from_millis, millis, parse, SqliteStore};
use crate::store::{Actor, DomainStore, StoreError, StoreResult};

#[derive(sqlx::FromRow)]
struct DomainRow {
    id: Id,
    name: String,
    status: String,
    txt_token: String,
    requested_at: i64,
    approved_at: Option<i64>,
}

impl DomainRow {
    fn into_domain(self) -> StoreResult<Domain> {
        Ok(Domain {
            id: self.id,
            txt_record_name: crate::domains::txt_record_name(&self.name),
            txt_record_value: crate::domains::txt_record_value(&self.txt_token),
            status: parse("domain status", &self.status, DomainStatus::from_wire)?,
            name: self.name,
            requested_at: from_millis(self.requested_at),
            approved_at: self.approved_at.map(from_millis),
        })
    }
}

const DOMAIN_COLUMNS: &str = "id, name, status, txt_token, requested_at, approved_at";

#[async_trait]
impl DomainStore for SqliteStore {
    async fn list_domains(&self, account: Id) -> StoreResult<Vec<Domain>> {
        sqlx::query_as::<_, DomainRow>(&format!(
            "SELECT {DOMAIN_COLUMNS} FROM domains WHERE account_id = ? ORDER BY name"
        ))
        .bind(account)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(DomainRow::into_domain)
        .collect()
    }

    async fn domain(&self, account: Id, id: Id) -> StoreResult<Domain> {
        sqlx::query_as::<_, DomainRow>(&format!(
            "SELECT {DOMAIN_COLUMNS} FROM domains WHERE account_id = ? AND id = ?"
        ))
        .bind(account)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound("domain"))?
        .into_domain()
    }

    async fn request_domain(
        &self,
        account: Id,
        actor: &Actor,
        name: &str,
        token: &str,
    ) -> StoreResult<Domain> {
        let mut tx = self.write().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM domains WHERE account_id = ? AND name = ?")
                .bind(account)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_some() {
            return Err(StoreError::DomainExists(name.to_owned()));
        }
        let domain = sqlx::query_as::<_, DomainRow>(&format!(
            "INSERT INTO domains (account_id, name, status, txt_token, requested_at) \
             VALUES (?, ?, 'pending', ?, ?) RETURNING {DOMAIN_COLUMNS}"
        ))
        .bind(account)
        .bind(name)
        .bind(token)
        .bind(millis(Utc::now()))
        .fetch_one(&mut *tx)
        .await?
        .into_domain()?;
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
        let mut tx = self.write().await?;
        let domain = sqlx::query_as::<_, DomainRow>(&format!(
            "UPDATE domains SET status = 'approved', approved_at = COALESCE(approved_at, ?) \
             WHERE account_id = ? AND id = ? RETURNING {DOMAIN_COLUMNS}"
        ))
        .bind(millis(Utc::now()))
        .bind(account)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("domain"))?
        .into_domain()?;
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
        let mut tx = self.write().await?;
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
        tx.commit().await
    }
}
