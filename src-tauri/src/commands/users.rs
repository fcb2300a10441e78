//! The Users screen: one page of the list at a time (the portal pages with cursors, the
//! window renders only the visible rows), and the user form.

use serde::Deserialize;
use sxadmin_client::core::{NewUser, User, UserPage, UserSort};
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
            descending: query.descending,
            cursor: query.cursor,
            limit: query.limit,
        })
        .await?)
}

#[tauri::command]
pub async fn create_user(state: State<'_, AppState>, user: NewUser) -> AppResult<User> {
    let client = state.client().await?;
    Ok(client.create_user(&user).await?)
}
