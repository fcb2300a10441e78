//! The Users screen: one page of the list at a time (the portal pages with cursors, the
//! window renders only the visible rows), and the user form.

use serde::Deserialize;
use sxadmin_client::core::{
    Id, NewUser, Role, SetRole, SortOrder, User, UserChanges, UserPage, UserSort,
};
use sxadmin_client::UserListQuery;
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

#[derive(Clone, Debug, Default, Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ListUsers {
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub sort: Option<UserSort>,
    #[serde(default)]
    pub descending: bool,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

#[tauri::command]
pub async fn list_users(state: State<'_, AppState>, query: ListUsers) -> AppResult<UserPage> {
    let client = state.client().await?;
    let search = query.search.filter(|s| !s.trim().is_empty());
    Ok(client
        .list_users(&UserListQuery {
            search,
            sort: query.sort,
            order: query.descending.then_some(SortOrder::Desc),
            cursor: query.cursor,
            limit: query.limit,
            ..UserListQuery::default()
        })
        .await?)
}

#[tauri::command]
pub async fn create_user(state: State<'_, AppState>, user: NewUser) -> AppResult<User> {
    let client = state.client().await?;
    Ok(client.create_user(&user).await?)
}

#[tauri::command]
pub async fn get_user(state: State<'_, AppState>, id: Id) -> AppResult<User> {
    Ok(state.client().await?.get_user(id).await?)
}

#[tauri::command]
pub async fn update_user(
    state: State<'_, AppState>,
    id: Id,
    changes: UserChanges,
) -> AppResult<User> {
    Ok(state.client().await?.update_user(id, &changes).await?)
}

#[tauri::command]
pub async fn delete_user(state: State<'_, AppState>, id: Id) -> AppResult<()> {
    Ok(state.client().await?.delete_user(id).await?)
}

/// Sets the built-in role; the portal keeps the user's role group when none is named.
#[tauri::command]
pub async fn set_role(state: State<'_, AppState>, id: Id, role: Role) -> AppResult<User> {
    let change = SetRole {
        role,
        role_group_id: None,
    };
    Ok(state.client().await?.set_role(id, &change).await?)
}
