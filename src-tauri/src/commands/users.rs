//! The Users screen: one page of the list at a time (the portal pages with cursors, the
//! window renders only the visible rows), its filters, the export of what it lists, and
//! the user form.

use serde::{Deserialize, Serialize};
use sxadmin_client::core::{
    Id, LicenceFilter, NewUser, Role, SetRole, SortOrder, User, UserChanges, UserPage, UserSort,
    UserStatus,
};
use sxadmin_client::UserListQuery;
use tauri::State;

use crate::commands::import::write_picked_file;
use crate::dialogs::FileFormat;
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
    /// The filters; the screens that do not filter leave them out.
    #[serde(default)]
    #[ts(optional)]
    pub role: Option<Role>,
    /// A role group's id.
    #[serde(default)]
    #[ts(optional)]
    pub group: Option<Id>,
    #[serde(default)]
    #[ts(optional)]
    pub licence: Option<LicenceFilter>,
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<UserStatus>,
}

impl From<ListUsers> for UserListQuery {
    fn from(query: ListUsers) -> Self {
        UserListQuery {
            search: query.search.filter(|s| !s.trim().is_empty()),
            sort: query.sort,
            order: query.descending.then_some(SortOrder::Desc),
            cursor: query.cursor,
            limit: query.limit,
            role: query.role,
            group: query.group,
            licence: query.licence,
            status: query.status,
        }
    }
}

#[tauri::command]
pub async fn list_users(state: State<'_, AppState>, query: ListUsers) -> AppResult<UserPage> {
    let client = state.client().await?;
    Ok(client.list_users(&query.into()).await?)
}

/// Where an export went and how many users it holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ExportedUsers {
    pub path: String,
    pub users: u32,
}

/// Every user the list shows with `query`'s search and filters, written as a workbook or
/// CSV where the administrator chooses (the file imports again unchanged). `None` when
/// the save dialog is cancelled.
#[tauri::command]
pub async fn export_users(
    state: State<'_, AppState>,
    query: ListUsers,
    format: FileFormat,
) -> AppResult<Option<ExportedUsers>> {
    let client = state.client().await?;
    let Some(path) = format.save("Export users", "sxadmin-users-export").await else {
        return Ok(None);
    };
    let exported =
        sxadmin_client::export::export_users(&client, &query.into(), format.into()).await?;
    let Some(path) = write_picked_file(&path, &exported.bytes).await? else {
        return Ok(None);
    };
    Ok(Some(ExportedUsers {
        path,
        users: u32::try_from(exported.users).unwrap_or(u32::MAX),
    }))
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
