//! Licences: the account's pool by tier, and one licence per user at most.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqliteConnection;
use sxadmin_core::{Id, Licence, LicencePool, LicenceTier, TierCount, User};

use super::events::insert_event;
use super::users::fetch_user;
use super::{from_millis, millis, parse, SqliteStore};
use crate::store::{Actor, LicenceStore, StoreError, StoreResult};

/// The holder's message logs that taking a licence away deletes. This portal keeps none, so
/// there are none to delete; the audit log (what the holder did as an administrator, and
/// what was done to them) is append-only and is never part of them.
const MESSAGE_LOGS_DELETED: u64 = 0;

#[derive(sqlx::FromRow)]
struct LicenceRow {
    id: Id,
    tier: String,
    user_id: Option<Id>,
    email: Option<String>,
    purchased_at: i64,
    assigned_at: Option<i64>,
}

impl LicenceRow {
    fn into_licence(self) -> StoreResult<Licence> {
        Ok(Licence {
            id: self.id,
            tier: parse("tier", &self.tier, LicenceTier::from_wire)?,
            user_id: self.user_id,
            user_email: self.email,
            purchased_at: from_millis(self.purchased_at),
            assigned_at: self.assigned_at.map(from_millis),
        })
    }
}

async fn pool_counts(
    conn: &mut SqliteConnection,
    account: Id,
    tier: LicenceTier,
) -> StoreResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*) AS purchased, COUNT(user_id) AS assigned FROM licences WHERE account_id = ? AND tier = ?",
    )
    .bind(account)
    .bind(tier.as_str())
    .fetch_one(conn)
    .await?)
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

pub(super) async fn set_licence_holder(
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

#[async_trait]
impl LicenceStore for SqliteStore {
    async fn licence_pool(&self, account: Id) -> StoreResult<LicencePool> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
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
        for (tier, purchased, assigned) in rows {
            let tier = parse("tier", &tier, LicenceTier::from_wire)?;
            if let Some(count) = tiers.iter_mut().find(|c| c.tier == tier) {
                count.purchased = purchased;
                count.assigned = assigned;
                count.available = purchased - assigned;
            }
        }
        Ok(LicencePool { tiers })
    }

    async fn list_licences(&self, account: Id) -> StoreResult<Vec<Licence>> {
        let mut licences = sqlx::query_as::<_, LicenceRow>(
            "SELECT l.id, l.tier, l.user_id, u.email, l.purchased_at, l.assigned_at FROM licences l \
             LEFT JOIN users u ON u.id = l.user_id WHERE l.account_id = ? ORDER BY l.id",
        )
        .bind(account)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(LicenceRow::into_licence)
        .collect::<StoreResult<Vec<_>>>()?;
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
        let mut tx = self.write().await?;
        let now = Utc::now();
        let mut bought = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let id: Id = sqlx::query_scalar(
                "INSERT INTO licences (account_id, tier, purchased_at) VALUES (?, ?, ?) RETURNING id",
            )
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
        let mut tx = self.write().await?;
        let (tier, holder): (String, Option<String>) = sqlx::query_as(
            "SELECT l.tier, u.email FROM licences l LEFT JOIN users u ON u.id = l.user_id WHERE l.account_id = ? AND l.id = ?",
        )
        .bind(account)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound("licence"))?;
        if let Some(holder) = holder {
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
        tx.commit().await
    }

    async fn assign_licence(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        tier: LicenceTier,
    ) -> StoreResult<User> {
        let mut tx = self.write().await?;
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
        let mut tx = self.write().await?;
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
        let mut tx = self.write().await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        let held = user.licence.clone().ok_or(StoreError::UserHasNoLicence)?;
        set_licence_holder(&mut tx, held.id, None).await?;
        let deleted = MESSAGE_LOGS_DELETED;
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
        let mut tx = self.write().await?;
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
        let deleted = MESSAGE_LOGS_DELETED;
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
}
