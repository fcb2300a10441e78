use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use sxadmin_core::rules;
use sxadmin_core::spreadsheet::excel_safe;
use sxadmin_core::{Event, EventFormat, EventListQuery, Id};

use super::responses::{AdminErrors, NotFound};
use crate::app::AppState;
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::permissions::{self, Allowed};
use crate::store::EventQuery;

fn parse_time(field: &str, text: &str, end_of_day: bool) -> ApiResult<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ApiError::invalid(format!(
            "{field}: \"{text}\" is not a date; write it as 2026-01-31 or 2026-01-31T08:00:00Z."
        ))
    })?;
    let time = if end_of_day {
        date.and_hms_milli_opt(23, 59, 59, 999)
    } else {
        date.and_hms_opt(0, 0, 0)
    };
    time.map(|t| t.and_utc())
        .ok_or_else(|| ApiError::invalid(format!("{field}: \"{text}\" is not a date.")))
}

/// The audit log of administration, or the security log of threats to the account.
#[derive(Clone, Copy)]
enum Log {
    Audit,
    Security,
}

async fn answer(
    state: &AppState,
    account: Id,
    user_id: Option<Id>,
    params: EventListQuery,
    log: Log,
) -> ApiResult<Response> {
    let from = params
        .from
        .as_deref()
        .map(|t| parse_time("from", t, false))
        .transpose()?;
    let to = params
        .to
        .as_deref()
        .map(|t| parse_time("to", t, true))
        .transpose()?;
    let limit = rules::check_event_limit(params.limit)?;
    let query = EventQuery {
        user_id,
        from,
        to,
        limit,
    };
    let events = match log {
        Log::Audit => state.store.events(account, &query).await?,
        Log::Security => state.store.security_events(account, &query).await?,
    };
    match params.format.unwrap_or_default() {
        EventFormat::Json => Ok(Json(events).into_response()),
        EventFormat::Csv => Ok(csv_response(&events)),
    }
}

/// The events as a CSV file that is safe to open in a spreadsheet.
fn csv_response(events: &[Event]) -> Response {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut rows: Vec<[String; 6]> = Vec::with_capacity(events.len() + 1);
    rows.push(["time", "actor", "action", "target", "client", "details"].map(String::from));
    for event in events {
        rows.push([
            event.at.to_rfc3339(),
            event.actor_email.clone().unwrap_or_default(),
            event.action.clone(),
            event.target.clone().unwrap_or_default(),
            event.client.clone(),
            event.details.to_string(),
        ]);
    }
    for row in &rows {
        if writer
            .write_record(row.iter().map(|cell| excel_safe(cell).into_owned()))
            .is_err()
        {
            return ApiError::new(
                sxadmin_core::ErrorCode::Internal,
                "The export could not be written.",
            )
            .into_response();
        }
    }
    let body = writer.into_inner().unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"events.csv\"",
            ),
        ],
        body,
    )
        .into_response()
}

/// The account's event log, newest first; `format=csv` exports it. A range that ends before
/// it starts holds no events.
#[utoipa::path(get, path = "/events", tag = "events", params(EventListQuery),
    responses(
        (status = 200, description = "The events, newest first", content(
            (Vec<Event> = "application/json"),
            (String = "text/csv")
        )),
        NotFound, AdminErrors))]
pub async fn account_events(
    State(state): State<AppState>,
    Allowed { caller, .. }: Allowed<permissions::AdministratorLogs>,
    Query(params): Query<EventListQuery>,
) -> ApiResult<Response> {
    account_log(&state, caller.account.id, params, Log::Audit).await
}

/// The account's security log, newest first: failed sign-ins and lockouts, replayed
/// tokens, second-factor changes and ended sessions; `format=csv` exports it.
#[utoipa::path(get, path = "/security-events", tag = "events", params(EventListQuery),
    responses(
        (status = 200, description = "The events, newest first", content(
            (Vec<Event> = "application/json"),
            (String = "text/csv")
        )),
        NotFound, AdminErrors))]
pub async fn security_events(
    State(state): State<AppState>,
    Allowed { caller, .. }: Allowed<permissions::AdministratorLogs>,
    Query(params): Query<EventListQuery>,
) -> ApiResult<Response> {
    account_log(&state, caller.account.id, params, Log::Security).await
}

/// One of the account's logs, for the whole account or, with `user_id`, one of its users
/// (a user of another account is not found).
async fn account_log(
    state: &AppState,
    account: Id,
    params: EventListQuery,
    log: Log,
) -> ApiResult<Response> {
    let user_id = params.user_id;
    if let Some(id) = user_id {
        state.store.user(account, id).await?;
    }
    answer(state, account, user_id, params, log).await
}

/// One user's event log: what they did and what was done to their account.
#[utoipa::path(get, path = "/users/{id}/events", tag = "events", params(("id" = i64, Path), EventListQuery),
    responses(
        (status = 200, description = "The events, newest first", content(
            (Vec<Event> = "application/json"),
            (String = "text/csv")
        )),
        NotFound, AdminErrors))]
pub async fn user_events(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Logs>,
    Path(id): Path<Id>,
    Query(params): Query<EventListQuery>,
) -> ApiResult<Response> {
    state.store.user(caller.account.id, id).await?;
    answer(&state, caller.account.id, Some(id), params, Log::Audit).await
}
