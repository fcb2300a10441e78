//! Role groups and their permissions.

use async_trait::async_trait;
use chrono::Utc;
use sxadmin_core::rules;
use sxadmin_core::{Id, Permission, RoleGroup};

use super::events::insert_event;
use super::{millis, parse, SqliteStore};
use crate::store::{Actor, RoleStore, StoreError, StoreResult};

/// Permissions are stored as their wire names, sorted and comma-separated.
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

#[derive(sqlx::FromRow)]
struct RoleGroupRow {
    id: Id,
    name: String,
    permissions: String,
}

impl RoleGroupRow {
    fn into_group(self) -> StoreResult<RoleGroup> {
        let permissions = self
            .permissions
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| parse("permission", p, Permission::from_wire))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(RoleGroup {
            id: self.id,
            name: self.name,
            permissions,
        })
    }
}

#[async_trait]
impl RoleStore for SqliteStore {
    async fn list_role_groups(&self, account: Id) -> StoreResult<Vec<RoleGroup>> {
        sqlx::query_as::<_, RoleGroupRow>(
            "SELECT id, name, permissions FROM role_groups WHERE account_id = ? ORDER BY name_lower",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(RoleGroupRow::into_group)
        .collect()
    }

    async fn create_role_group(
        &self,
        account: Id,
        actor: &Actor,
        name: &str,
        permissions: &[Permission],
    ) -> StoreResult<RoleGroup> {
        let name = rules::check_role_group_name(name)?;
        let mut tx = self.write().await?;
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
        let group = sqlx::query_as::<_, RoleGroupRow>(
            "INSERT INTO role_groups (account_id, name, name_lower, permissions, created_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING id, name, permissions",
        )
        .bind(account)
        .bind(&name)
        .bind(name.to_lowercase())
        .bind(permissions_to_text(permissions))
        .bind(millis(Utc::now()))
        .fetch_one(&mut *tx)
        .await?
        .into_group()?;
        insert_event(
            &mut tx,
            account,
            actor,
            "role_group.created",
            None,
            Some(&name),
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
        let mut tx = self.write().await?;
        let group = sqlx::query_as::<_, RoleGroupRow>(
            "UPDATE role_groups SET permissions = ? WHERE account_id = ? AND id = ? \
             RETURNING id, name, permissions",
        )
        .bind(permissions_to_text(permissions))
        .bind(account)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("role group"))?
        .into_group()?;
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
}
