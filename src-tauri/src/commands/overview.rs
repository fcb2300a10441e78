//! The Overview screen in one call: who is signed in, the licence pool and the domains
//! still waiting for their DNS record.

use serde::Serialize;
use sxadmin_client::core::{Domain, DomainStatus, LicencePool, Me};
use sxadmin_client::UserListQuery;
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct Overview {
    pub me: Me,
    pub pool: LicencePool,
    pub pending_domains: Vec<Domain>,
    pub user_count: i64,
}

#[tauri::command]
pub async fn overview(state: State<'_, AppState>) -> AppResult<Overview> {
    let client = state.client().await?;
    let me = client.me().await?;
    let pool = client.licence_pool().await?;
    let users = client
        .list_users(&UserListQuery {
            limit: Some(1),
            ..UserListQuery::default()
        })
        .await?;
    Ok(Overview {
        me,
        pool,
        pending_domains: client
            .list_domains()
            .await?
            .into_iter()
            .filter(|domain| domain.status == DomainStatus::Pending)
            .collect(),
        user_count: users.total,
    })
}
