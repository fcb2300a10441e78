//! The Domains screen and the Roles screen: straight calls to the portal.

use sxadmin_client::core::{rules, Domain, Id, Roles};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

#[tauri::command]
pub async fn list_domains(state: State<'_, AppState>) -> AppResult<Vec<Domain>> {
    Ok(state.client().await?.list_domains().await?)
}

#[tauri::command]
pub async fn request_domain(state: State<'_, AppState>, name: String) -> AppResult<Domain> {
    let name = rules::normalize_domain(&name)?;
    Ok(state.client().await?.request_domain(&name).await?)
}

#[tauri::command]
pub async fn verify_domain(state: State<'_, AppState>, id: Id) -> AppResult<Domain> {
    Ok(state.client().await?.verify_domain(id).await?)
}

#[tauri::command]
pub async fn remove_domain(state: State<'_, AppState>, id: Id) -> AppResult<()> {
    Ok(state.client().await?.remove_domain(id).await?)
}

#[tauri::command]
pub async fn roles(state: State<'_, AppState>) -> AppResult<Roles> {
    Ok(state.client().await?.roles().await?)
}
