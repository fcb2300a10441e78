//! The Licences screen. Unassigning and transferring delete the previous holder's logs;
//! the window asks the administrator before it calls these commands, so they confirm
//! the deletion to the portal.

use sxadmin_client::core::{rules, Id, Licence, LicencePool, LicenceTier, PerUserResult, User};
use sxadmin_client::licences::{self, LicenceChange};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

#[tauri::command]
pub async fn licence_pool(state: State<'_, AppState>) -> AppResult<LicencePool> {
    Ok(state.client().await?.licence_pool().await?)
}

#[tauri::command]
pub async fn list_licences(state: State<'_, AppState>) -> AppResult<Vec<Licence>> {
    Ok(state.client().await?.list_licences().await?)
}

#[tauri::command]
pub async fn purchase_licences(
    state: State<'_, AppState>,
    tier: LicenceTier,
    count: u32,
) -> AppResult<LicencePool> {
    let count = rules::check_purchase_count(count)?;
    let client = state.client().await?;
    client.purchase_licences(tier, count).await?;
    Ok(client.licence_pool().await?)
}

/// Gives a licence of `tier` to each user; one result per user, in their order.
#[tauri::command]
pub async fn assign_licences(
    state: State<'_, AppState>,
    user_ids: Vec<Id>,
    tier: LicenceTier,
) -> AppResult<Vec<PerUserResult>> {
    many(&state, &user_ids, LicenceChange::Assign(tier)).await
}

/// Moves each user's licence to `tier`, keeping their logs.
#[tauri::command]
pub async fn change_licences(
    state: State<'_, AppState>,
    user_ids: Vec<Id>,
    tier: LicenceTier,
) -> AppResult<Vec<PerUserResult>> {
    many(&state, &user_ids, LicenceChange::ChangeTier(tier)).await
}

/// Takes each user's licence back to the pool (the window asked about their logs first).
#[tauri::command]
pub async fn unassign_licences(
    state: State<'_, AppState>,
    user_ids: Vec<Id>,
) -> AppResult<Vec<PerUserResult>> {
    let change = LicenceChange::Unassign {
        confirm_log_deletion: true,
    };
    many(&state, &user_ids, change).await
}

async fn many(
    state: &AppState,
    user_ids: &[Id],
    change: LicenceChange,
) -> AppResult<Vec<PerUserResult>> {
    let client = state.client().await?;
    Ok(licences::apply_to_many(&client, user_ids, change).await)
}

#[tauri::command]
pub async fn transfer_licence(
    state: State<'_, AppState>,
    from_user_id: Id,
    to_user_id: Id,
) -> AppResult<User> {
    Ok(state
        .client()
        .await?
        .transfer_licence(from_user_id, to_user_id, true)
        .await?
        .to)
}

#[tauri::command]
pub async fn remove_licences(state: State<'_, AppState>, ids: Vec<Id>) -> AppResult<()> {
    let client = state.client().await?;
    for id in ids {
        client.remove_licence(id).await?;
    }
    Ok(())
}
