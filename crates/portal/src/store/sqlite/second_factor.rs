//! Second factor: sealed secrets, and the guard that spends each code once and limits
//! wrong ones per user. Every check runs inside the writer's transaction, so two parallel
//! guesses are counted one after the other.

use async_trait::async_trait;
use sxadmin_core::{Id, User};

use super::events::{insert_event, insert_security_event};
use super::users::fetch_user;
use super::{SqliteStore, WriteTx};
use crate::secrets::SecretBox;
use crate::store::{Actor, GuessLimit, SecondFactorStore, StoreError, StoreResult, TotpCheck};
use crate::totp;

/// Which secret a code is checked against, and so which spent step applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Pending,
    Active,
}

#[derive(sqlx::FromRow)]
struct SecretsRow {
    account_id: Id,
    totp_pending: Option<String>,
    totp_secret: Option<String>,
}

#[derive(Default, sqlx::FromRow)]
struct GuardRow {
    last_step: Option<i64>,
    pending_step: Option<i64>,
    failures: i64,
    window_start: i64,
}

async fn secrets_row(tx: &mut WriteTx<'_>, user_id: Id) -> StoreResult<SecretsRow> {
    sqlx::query_as("SELECT account_id, totp_pending, totp_secret FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound("user"))
}

async fn guard_row(tx: &mut WriteTx<'_>, user_id: Id) -> StoreResult<GuardRow> {
    Ok(sqlx::query_as(
        "SELECT last_step, pending_step, failures, window_start FROM second_factor_guard WHERE user_id = ?",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await?
    .unwrap_or_default())
}

async fn save_guard(tx: &mut WriteTx<'_>, user_id: Id, guard: &GuardRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO second_factor_guard (user_id, last_step, pending_step, failures, window_start) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET last_step = excluded.last_step, \
         pending_step = excluded.pending_step, failures = excluded.failures, \
         window_start = excluded.window_start",
    )
    .bind(user_id)
    .bind(guard.last_step)
    .bind(guard.pending_step)
    .bind(guard.failures)
    .bind(guard.window_start)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_secrets(
    tx: &mut WriteTx<'_>,
    user_id: Id,
    pending: Option<&str>,
    active: Option<&str>,
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET totp_pending = ?, totp_secret = ? WHERE id = ?")
        .bind(pending)
        .bind(active)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl SqliteStore {
    fn open_secret(&self, stored: Option<String>) -> StoreResult<Option<String>> {
        Ok(stored.map(|s| self.sealer.open(&s)).transpose()?)
    }

    /// Seals the secrets stored before sealing existed, once, when the database opens.
    pub(super) async fn seal_plain_secrets(&self) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let plain: Vec<(Id, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, totp_pending, totp_secret FROM users \
             WHERE (totp_pending IS NOT NULL AND totp_pending NOT LIKE 'sealed1:%') \
             OR (totp_secret IS NOT NULL AND totp_secret NOT LIKE 'sealed1:%')",
        )
        .fetch_all(&mut *tx)
        .await?;
        if plain.is_empty() {
            return Ok(());
        }
        let seal = |value: Option<String>| {
            value.map(|v| {
                if SecretBox::is_sealed(&v) {
                    v
                } else {
                    self.sealer.seal(&v)
                }
            })
        };
        for (user_id, pending, active) in plain {
            let (pending, active) = (seal(pending), seal(active));
            set_secrets(&mut tx, user_id, pending.as_deref(), active.as_deref()).await?;
        }
        tx.commit().await
    }

    /// Checks `code` against one secret and records the outcome in `tx`; the caller commits.
    async fn check_in(
        &self,
        tx: &mut WriteTx<'_>,
        user_id: Id,
        slot: Slot,
        code: &str,
        unix_seconds: u64,
        limit: GuessLimit,
    ) -> StoreResult<TotpCheck> {
        let row = secrets_row(tx, user_id).await?;
        let stored = match slot {
            Slot::Pending => row.totp_pending,
            Slot::Active => row.totp_secret,
        };
        let Some(secret) = self.open_secret(stored)? else {
            return Ok(TotpCheck::NotEnrolled);
        };
        let mut guard = guard_row(tx, user_id).await?;
        let now = i64::try_from(unix_seconds).unwrap_or(i64::MAX);
        let window = i64::try_from(limit.window.as_secs()).unwrap_or(i64::MAX);
        if now.saturating_sub(guard.window_start) >= window {
            guard.failures = 0;
            guard.window_start = now;
        }
        let tries = i64::from(limit.tries);
        if guard.failures >= tries {
            let left = guard
                .window_start
                .saturating_add(window)
                .saturating_sub(now);
            return Ok(TotpCheck::Limited {
                retry_after: u64::try_from(left.max(1)).unwrap_or(1),
            });
        }
        let spent = match slot {
            Slot::Pending => guard.pending_step,
            Slot::Active => guard.last_step,
        };
        let step = totp::matching_step(&secret, code, unix_seconds)
            .and_then(|step| i64::try_from(step).ok());
        let outcome = match step {
            Some(step) if spent.is_some_and(|spent| step <= spent) => None,
            Some(step) => {
                match slot {
                    Slot::Pending => guard.pending_step = Some(step),
                    Slot::Active => guard.last_step = Some(step),
                }
                guard.failures = 0;
                Some(TotpCheck::Accepted)
            }
            None => None,
        };
        let outcome = match outcome {
            Some(accepted) => accepted,
            None => {
                guard.failures += 1;
                let actor = Actor::system("portal");
                if guard.failures >= tries {
                    insert_security_event(
                        tx,
                        row.account_id,
                        &actor,
                        "second_factor.guess_limit_reached",
                        Some(user_id),
                        serde_json::json!({"tries": limit.tries, "window_seconds": limit.window.as_secs()}),
                    )
                    .await?;
                }
                if step.is_some() {
                    insert_security_event(
                        tx,
                        row.account_id,
                        &actor,
                        "second_factor.code_reused",
                        Some(user_id),
                        serde_json::json!({}),
                    )
                    .await?;
                    TotpCheck::Reused
                } else {
                    TotpCheck::Wrong {
                        tries_left: u32::try_from(tries - guard.failures).unwrap_or(0),
                    }
                }
            }
        };
        save_guard(tx, user_id, &guard).await?;
        Ok(outcome)
    }
}

/// Appends the audit event and the security event of a second-factor change.
async fn record_change(
    tx: &mut WriteTx<'_>,
    account: Id,
    actor: &Actor,
    user: &User,
    action: &str,
) -> StoreResult<()> {
    let details = serde_json::json!({});
    insert_event(
        tx,
        account,
        actor,
        &format!("user.{action}"),
        Some(user.id),
        Some(&user.email),
        details.clone(),
    )
    .await?;
    insert_security_event(tx, account, actor, action, Some(user.id), details).await
}

#[async_trait]
impl SecondFactorStore for SqliteStore {
    async fn totp_secrets(&self, user_id: Id) -> StoreResult<(Option<String>, Option<String>)> {
        let (pending, active): (Option<String>, Option<String>) =
            sqlx::query_as("SELECT totp_pending, totp_secret FROM users WHERE id = ?")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?
                .ok_or(StoreError::NotFound("user"))?;
        Ok((self.open_secret(pending)?, self.open_secret(active)?))
    }

    async fn begin_totp(&self, user_id: Id, secret: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let row = secrets_row(&mut tx, user_id).await?;
        let sealed = self.sealer.seal(secret);
        set_secrets(&mut tx, user_id, Some(&sealed), row.totp_secret.as_deref()).await?;
        let mut guard = guard_row(&mut tx, user_id).await?;
        guard.pending_step = None;
        save_guard(&mut tx, user_id, &guard).await?;
        tx.commit().await
    }

    async fn check_totp_code(
        &self,
        user_id: Id,
        code: &str,
        unix_seconds: u64,
        limit: GuessLimit,
    ) -> StoreResult<TotpCheck> {
        let mut tx = self.write().await?;
        let outcome = self
            .check_in(&mut tx, user_id, Slot::Active, code, unix_seconds, limit)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    async fn confirm_totp(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        code: &str,
        unix_seconds: u64,
        limit: GuessLimit,
    ) -> StoreResult<TotpCheck> {
        let mut tx = self.write().await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        let outcome = self
            .check_in(&mut tx, user_id, Slot::Pending, code, unix_seconds, limit)
            .await?;
        if outcome == TotpCheck::Accepted {
            let row = secrets_row(&mut tx, user_id).await?;
            set_secrets(&mut tx, user_id, None, row.totp_pending.as_deref()).await?;
            // The code that confirmed the secret is spent for it too.
            let mut guard = guard_row(&mut tx, user_id).await?;
            guard.last_step = guard.pending_step.take();
            save_guard(&mut tx, user_id, &guard).await?;
            record_change(&mut tx, account, actor, &user, "second_factor_enabled").await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn disable_totp(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
        code: &str,
        unix_seconds: u64,
        limit: GuessLimit,
    ) -> StoreResult<TotpCheck> {
        let mut tx = self.write().await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        let outcome = self
            .check_in(&mut tx, user_id, Slot::Active, code, unix_seconds, limit)
            .await?;
        if outcome == TotpCheck::Accepted {
            set_secrets(&mut tx, user_id, None, None).await?;
            record_change(&mut tx, account, actor, &user, "second_factor_disabled").await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn reset_second_factor(
        &self,
        account: Id,
        actor: &Actor,
        user_id: Id,
    ) -> StoreResult<User> {
        let mut tx = self.write().await?;
        let user = fetch_user(&mut tx, account, user_id).await?;
        let row = secrets_row(&mut tx, user_id).await?;
        if row.totp_secret.is_none() && row.totp_pending.is_none() {
            return Err(StoreError::Conflict(format!(
                "{} has no second factor to reset",
                user.email
            )));
        }
        set_secrets(&mut tx, user_id, None, None).await?;
        let mut guard = guard_row(&mut tx, user_id).await?;
        guard.pending_step = None;
        guard.failures = 0;
        save_guard(&mut tx, user_id, &guard).await?;
        record_change(&mut tx, account, actor, &user, "second_factor_reset").await?;
        tx.commit().await?;
        Ok(user)
    }
}
