//! Licence operations on many users at once (the desktop's multi-selection, the command
//! line's lists): one call per user, a few in flight, and a result per user, so one refusal
//! never hides what happened to the others.

use futures_util::stream::{self, StreamExt};
use sxadmin_core::{Id, LicenceTier, PerUserResult, Problem};

use crate::{ClientError, PortalClient};

/// Calls in flight at once: enough to hide latency, well under the portal's rate limit.
const IN_FLIGHT: usize = 4;

/// What to do to each user's licence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LicenceChange {
    /// Give a licence of this tier to users who hold none.
    Assign(LicenceTier),
    /// Move the licence users hold to this tier; their logs are kept.
    ChangeTier(LicenceTier),
    /// Take the licence back to the pool. The portal deletes each holder's logs, so the
    /// caller must have asked the administrator: `confirm_log_deletion` says it did.
    Unassign { confirm_log_deletion: bool },
}

/// Applies `change` to every user of `user_ids`, in their order, with a result each.
pub async fn apply_to_many(
    client: &PortalClient,
    user_ids: &[Id],
    change: LicenceChange,
) -> Vec<PerUserResult> {
    stream::iter(user_ids.iter().copied())
        .map(|user_id| async move {
            let done = match change {
                LicenceChange::Assign(tier) => client
                    .assign_licence(user_id, tier)
                    .await
                    .map(|user| (user, 0)),
                LicenceChange::ChangeTier(tier) => client
                    .change_licence(user_id, tier)
                    .await
                    .map(|user| (user, 0)),
                LicenceChange::Unassign {
                    confirm_log_deletion,
                } => client
                    .unassign_licence(user_id, confirm_log_deletion)
                    .await
                    .map(|answer| (answer.user, answer.logs_deleted)),
            };
            per_user(user_id, done)
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await
}

fn per_user(user_id: Id, done: Result<(sxadmin_core::User, u64), ClientError>) -> PerUserResult {
    match done {
        Ok((user, logs_deleted)) => PerUserResult {
            user_id,
            user: Some(user),
            logs_deleted,
            problem: None,
        },
        Err(error) => PerUserResult {
            user_id,
            user: None,
            logs_deleted: 0,
            problem: Some(Problem {
                code: error.code().to_owned(),
                message: error.to_string(),
            }),
        },
    }
}
