use axum::extract::State;
use axum::http::StatusCode;
use sxadmin_core::rules;
use sxadmin_core::{
    ErrorCode, Id, Licence, LicencePool, LogDeletionConfirmation, Purchase, TierChoice, Transfer,
    Transferred, Unassigned, User,
};

use super::responses::{AdminErrors, Conflict, NotFound};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::permissions::{self, Allowed};

/// Purchased, assigned and available licences per tier.
#[utoipa::path(get, path = "/licences/pool", tag = "licences",
    responses((status = 200, body = LicencePool), AdminErrors))]
pub async fn pool(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Billing>,
) -> ApiResult<Json<LicencePool>> {
    Ok(Json(state.store.licence_pool(caller.account.id).await?))
}

/// Every licence of the account with its holder, by tier.
#[utoipa::path(get, path = "/licences", tag = "licences",
    responses((status = 200, body = Vec<Licence>), AdminErrors))]
pub async fn list(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Billing>,
) -> ApiResult<Json<Vec<Licence>>> {
    Ok(Json(state.store.list_licences(caller.account.id).await?))
}

/// Buys licences into the pool (simulated: no payment is taken).
#[utoipa::path(post, path = "/licences/purchase", tag = "licences", request_body = Purchase,
    responses((status = 201, body = Vec<Licence>), AdminErrors))]
pub async fn purchase(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Purchase>,
    Json(body): Json<Purchase>,
) -> ApiResult<(StatusCode, Json<Vec<Licence>>)> {
    rules::check_purchase_count(body.count)?;
    let bought = state
        .store
        .purchase_licences(caller.account.id, &caller.actor(), body.tier, body.count)
        .await?;
    Ok((StatusCode::CREATED, Json(bought)))
}

/// Removes an unassigned licence from the pool for good.
#[utoipa::path(delete, path = "/licences/{id}", tag = "licences", params(("id" = i64, Path)),
    responses((status = 204), NotFound, Conflict, AdminErrors))]
pub async fn remove(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Purchase>,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    state
        .store
        .remove_licence(caller.account.id, &caller.actor(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assigns a licence of the tier from the pool to a user who has none.
#[utoipa::path(post, path = "/users/{id}/licence", tag = "licences", params(("id" = i64, Path)), request_body = TierChoice,
    responses((status = 200, body = User), NotFound, Conflict, AdminErrors))]
pub async fn assign(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ActivationRules>,
    Path(id): Path<Id>,
    Json(body): Json<TierChoice>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        state
            .store
            .assign_licence(caller.account.id, &caller.actor(), id, body.tier)
            .await?,
    ))
}

/// Changes the tier of a user's licence (upgrade or downgrade); the user's logs are kept and
/// the old licence returns to the pool.
#[utoipa::path(patch, path = "/users/{id}/licence", tag = "licences", params(("id" = i64, Path)), request_body = TierChoice,
    responses((status = 200, body = User), NotFound, Conflict, AdminErrors))]
pub async fn change(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ActivationRules>,
    Path(id): Path<Id>,
    Json(body): Json<TierChoice>,
) -> ApiResult<Json<User>> {
    Ok(Json(
        state
            .store
            .change_licence(caller.account.id, &caller.actor(), id, body.tier)
            .await?,
    ))
}

fn require_confirmation(confirmed: bool, what: &str) -> ApiResult<()> {
    if confirmed {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::ConfirmationRequired,
        format!("{what} permanently deletes the current holder's message logs (the audit log keeps every event); repeat the request with confirm_log_deletion=true to go ahead."),
    ))
}

/// Takes the licence back to the pool. This deletes the user's logs, so it must be confirmed.
#[utoipa::path(delete, path = "/users/{id}/licence", tag = "licences", params(("id" = i64, Path), LogDeletionConfirmation),
    responses((status = 200, body = Unassigned), NotFound, Conflict, AdminErrors))]
pub async fn unassign(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ActivationRules>,
    Path(id): Path<Id>,
    Query(confirmation): Query<LogDeletionConfirmation>,
) -> ApiResult<Json<Unassigned>> {
    require_confirmation(
        confirmation.confirm_log_deletion,
        "Removing a user's licence",
    )?;
    let (user, logs_deleted) = state
        .store
        .unassign_licence(caller.account.id, &caller.actor(), id)
        .await?;
    Ok(Json(Unassigned { user, logs_deleted }))
}

/// Moves a user's licence to another user without one; deletes the previous holder's logs.
#[utoipa::path(post, path = "/users/{id}/licence/transfer", tag = "licences", params(("id" = i64, Path)), request_body = Transfer,
    responses((status = 200, body = Transferred), NotFound, Conflict, AdminErrors))]
pub async fn transfer(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ActivationRules>,
    Path(id): Path<Id>,
    Json(body): Json<Transfer>,
) -> ApiResult<Json<Transferred>> {
    require_confirmation(body.confirm_log_deletion, "Transferring a licence")?;
    let (from, to, logs_deleted) = state
        .store
        .transfer_licence(caller.account.id, &caller.actor(), id, body.to_user_id)
        .await?;
    Ok(Json(Transferred {
        from,
        to,
        logs_deleted,
    }))
}
