//! The Licences screen. Unassigning and transferring delete the previous holder's logs;
//! the window asks the administrator before it calls these commands, so they confirm
//! the deletion to the portal.

use sxadmin_client::core::{rules, Id, Licence, LicencePool, LicenceTier, User};
use tauri::State;

use crate::error::{AppError, AppResult};
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

#[tauri::command]
pub async fn assign_licence(
    state: State<'_, AppState>,
    user_id: Id,
    tier: LicenceTier,
) -> AppResult<User> {
    Ok(state.client().await?.assign_licence(user_id, tier).await?)
}

/// Changes the tier of several users' licences; stops at the first refusal, reporting how
/// many were changed before it.
#[tauri::command]
pub async fn change_licence(
    state: State<'_, AppState>,
    user_ids: Vec<Id>,
    tier: LicenceTier,
) -> AppResult<u32> {
    let client = state.client().await?;
    let mut changed = 0u32;
    for id in user_ids {
        if let Err(error) = client.change_licence(id, tier).await {
            if changed == 0 {
                return Err(error.into());
            }
            return Err(AppError::Invalid(format!(
                "{changed} licences were changed, then the portal refused the next one: {error}"
            )));
        }
        changed += 1;
    }
    Ok(changed)
}

#[tauri::command]
pub async fn unassign_licence(state: State<'_, AppState>, user_id: Id) -> AppResult<User> {
    Ok(state
        .client()
        .await?
        .unassign_licence(user_id, true)
        .await?
        .user)
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
