use axum::extract::State;
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sxadmin_core::rules::{self, MAX_BATCH_ITEMS};
use sxadmin_core::{
    BatchOperation, BatchRequest, BatchResponse, ErrorCode, Id, NewUser, Role, SetRole, SortOrder,
    User, UserChanges, UserListQuery, UserLookup, UserPage, UserSort,
};

use super::responses::{AdminErrors, Conflict, NotFound, Unprocessable};
use crate::app::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Json, Path, Query};
use crate::permissions::{self, is_administrator, only_administrators_act_on, Allowed};
use crate::store::{SortKey, UserQuery};

/// What a cursor carries: the sort it belongs to, and where the previous page ended.
#[derive(Serialize, Deserialize)]
struct Cursor {
    s: UserSort,
    d: bool,
    k: SortKey,
    i: Id,
}

/// A cursor names a page of one listing; one this portal did not hand out for the same
/// sort and order names no page, and is answered like any other missing thing.
fn decode_cursor(text: &str, sort: UserSort, descending: bool) -> ApiResult<(SortKey, Id)> {
    let invalid = || {
        ApiError::new(
            ErrorCode::NotFound,
            "cursor: no such page; pass back the next_cursor of a page of the same sort and order, unchanged.",
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if cursor.s != sort || cursor.d != descending {
        return Err(invalid());
    }
    Ok((cursor.k, cursor.i))
}

fn encode_cursor(sort: UserSort, descending: bool, key: SortKey, id: Id) -> String {
    let cursor = Cursor {
        s: sort,
        d: descending,
        k: key,
        i: id,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

/// Lists the account's users a page at a time, sorted, optionally filtered by a search.
#[utoipa::path(get, path = "/users", tag = "users", params(UserListQuery),
    responses((status = 200, body = UserPage), NotFound, AdminErrors))]
pub async fn list_users(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ReadUsers>,
    Query(params): Query<UserListQuery>,
) -> ApiResult<Json<UserPage>> {
    let sort = params.sort.unwrap_or(UserSort::Email);
    let descending = params.order.unwrap_or_default() == SortOrder::Desc;
    let after = params
        .cursor
        .as_deref()
        .map(|c| decode_cursor(c, sort, descending))
        .transpose()?;
    let limit = rules::check_user_page_size(params.limit)?;
    let listing = state
        .store
        .list_users(
            caller.account.id,
            &UserQuery {
                search: params.search,
                role: params.role,
                group: params.group,
                licence: params.licence,
                status: params.status,
                sort,
                descending,
                after,
                limit,
            },
        )
        .await?;
    Ok(Json(UserPage {
        items: listing.users,
        next_cursor: listing
            .next
            .map(|(key, id)| encode_cursor(sort, descending, key, id)),
        total: listing.total,
    }))
}

/// Creates one user. The address's domain must be approved (public mail domains need not be).
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = User), Conflict, Unprocessable, AdminErrors))]
pub async fn create_user(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ManageUsers>,
    Json(user): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    only_administrators_act_on(&caller, user.role == Some(Role::Administrator))?;
    let user = state
        .store
        .create_user(caller.account.id, &caller.actor(), &user)
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Finds a user by e-mail address.
#[utoipa::path(get, path = "/users/lookup", tag = "users", params(UserLookup),
    responses((status = 200, body = User), NotFound, AdminErrors))]
pub async fn lookup_user(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ReadUsers>,
    Query(params): Query<UserLookup>,
) -> ApiResult<Json<User>> {
    state
        .store
        .user_by_email(caller.account.id, params.email.trim())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("user"))
}

/// Creates or updates up to 1,000 users; each item is applied at most once per idempotency
/// key and gets its own result, so one bad item does not stop the others.
#[utoipa::path(post, path = "/users/batch", tag = "users", request_body = BatchRequest,
    responses((status = 200, body = BatchResponse), AdminErrors))]
pub async fn batch(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ManageUsers>,
    Json(request): Json<BatchRequest>,
) -> ApiResult<Json<BatchResponse>> {
    if !caller.is_administrator() {
        check_batch_targets(&state, &caller, &request).await?;
    }
    if request.items.len() > MAX_BATCH_ITEMS {
        return Err(ApiError::invalid(format!(
            "items: a batch holds at most {MAX_BATCH_ITEMS} items, this one has {}; split it.",
            request.items.len()
        )));
    }
    let results = state
        .store
        .apply_batch(caller.account.id, &caller.actor(), &request.items)
        .await?;
    Ok(Json(BatchResponse { results }))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), NotFound, AdminErrors))]
pub async fn get_user(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ReadUsers>,
    Path(id): Path<Id>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.user(caller.account.id, id).await?))
}

/// Changes names, language, role or the active flag; the last active administrator can be
/// neither demoted nor disabled.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UserChanges,
    responses((status = 200, body = User), NotFound, Conflict, AdminErrors))]
pub async fn update_user(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ManageUsers>,
    Path(id): Path<Id>,
    Json(changes): Json<UserChanges>,
) -> ApiResult<Json<User>> {
    let target = state.store.user(caller.account.id, id).await?;
    only_administrators_act_on(
        &caller,
        is_administrator(&target) || changes.role == Some(Role::Administrator),
    )?;
    Ok(Json(
        state
            .store
            .update_user(caller.account.id, &caller.actor(), id, &changes)
            .await?,
    ))
}

/// Deletes a user; a licence they held goes back to the pool.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), NotFound, Conflict, AdminErrors))]
pub async fn delete_user(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::ManageUsers>,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    let target = state.store.user(caller.account.id, id).await?;
    only_administrators_act_on(&caller, is_administrator(&target))?;
    state
        .store
        .delete_user(caller.account.id, &caller.actor(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a user's built-in role, and its role group when the body names one (`null` removes
/// it; leaving `role_group_id` out keeps the current group).
#[utoipa::path(put, path = "/users/{id}/role", tag = "roles", params(("id" = i64, Path)), request_body = SetRole,
    responses((status = 200, body = User), NotFound, Conflict, AdminErrors))]
pub async fn set_role(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Roles>,
    Path(id): Path<Id>,
    Json(body): Json<SetRole>,
) -> ApiResult<Json<User>> {
    let target = state.store.user(caller.account.id, id).await?;
    only_administrators_act_on(
        &caller,
        is_administrator(&target) || body.role == Role::Administrator,
    )?;
    Ok(Json(
        state
            .store
            .set_role(
                caller.account.id,
                &caller.actor(),
                id,
                body.role,
                body.role_group_id,
            )
            .await?,
    ))
}

/// A standard user's import may neither make an administrator nor touch one; the whole
/// batch is refused so that nothing of it is applied.
async fn check_batch_targets(
    state: &AppState,
    caller: &Caller,
    request: &BatchRequest,
) -> ApiResult<()> {
    for item in &request.items {
        let (email, makes_administrator) = match &item.operation {
            BatchOperation::Create(user) => (&user.email, user.role == Some(Role::Administrator)),
            BatchOperation::Update { email, changes } => {
                (email, changes.role == Some(Role::Administrator))
            }
            BatchOperation::Disable { email } | BatchOperation::Delete { email } => (email, false),
        };
        let existing = state
            .store
            .user_by_email(caller.account.id, email.trim())
            .await?;
        only_administrators_act_on(
            caller,
            makes_administrator || existing.as_ref().is_some_and(is_administrator),
        )?;
    }
    Ok(())
}
