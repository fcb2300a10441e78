//! The Event log screen: read a range, or save it as the portal's spreadsheet-safe CSV.

use serde::Deserialize;
use sxadmin_client::core::{rules, Event, Id};
use sxadmin_client::EventRange;
use tauri::State;

use crate::dialogs;
use crate::error::AppResult;
use crate::state::AppState;

#[derive(Clone, Debug, Default, Deserialize, ts_rs::TS)]
pub struct EventQuery {
    /// One user's log, or the whole account's when absent.
    pub user_id: Option<Id>,
    /// `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
}

impl EventQuery {
    fn range(&self, limit: u32) -> EventRange {
        let day = |value: &Option<String>| value.as_ref().filter(|v| !v.trim().is_empty()).cloned();
        EventRange {
            user_id: self.user_id,
            from: day(&self.from),
            to: day(&self.to),
            limit: Some(limit),
        }
    }
}

#[tauri::command]
pub async fn list_events(state: State<'_, AppState>, query: EventQuery) -> AppResult<Vec<Event>> {
    Ok(state
        .client()
        .await?
        .events(&query.range(rules::DEFAULT_EVENT_LIMIT))
        .await?)
}

/// Asks where to save, then writes the log there. `None` when the administrator cancelled.
#[tauri::command]
pub async fn export_events(
    state: State<'_, AppState>,
    query: EventQuery,
) -> AppResult<Option<String>> {
    let client = state.client().await?;
    let Some(path) = dialogs::save_csv("Export the event log", "event-log.csv").await else {
        return Ok(None);
    };
    let bytes = client
        .events_csv(&query.range(rules::MAX_EVENT_LIMIT))
        .await?;
    super::import::write_picked_file(&path, &bytes).await
}
