use axum::extract::State;
use axum::http::StatusCode;
use sxadmin_core::{Id, NewRoleGroup, PermissionSet, Role, RoleGroup, Roles};

use super::responses::{AdminErrors, Conflict, NotFound};
use crate::app::AppState;
use crate::error::{ApiResult, Json, Path};
use crate::permissions::{self, Allowed};

/// The built-in roles and the account's role groups with their permissions.
#[utoipa::path(get, path = "/roles", tag = "roles",
    responses((status = 200, body = Roles), AdminErrors))]
pub async fn list(
    State(state): State<AppState>,
    Allowed { caller, .. }: Allowed<permissions::Roles>,
) -> ApiResult<Json<Roles>> {
    Ok(Json(Roles {
        built_in: Role::ALL.to_vec(),
        groups: state.store.list_role_groups(caller.account.id).await?,
    }))
}

#[utoipa::path(post, path = "/roles/groups", tag = "roles", request_body = NewRoleGroup,
    responses((status = 201, body = RoleGroup), Conflict, AdminErrors))]
pub async fn create_group(
    State(state): State<AppState>,
    Allowed { caller, .. }: Allowed<permissions::Roles>,
    Json(body): Json<NewRoleGroup>,
) -> ApiResult<(StatusCode, Json<RoleGroup>)> {
    let group = state
        .store
        .create_role_group(
            caller.account.id,
            &caller.actor(),
            &body.name,
            &body.permissions,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(group)))
}

/// Replaces a role group's permissions.
#[utoipa::path(put, path = "/roles/groups/{id}/permissions", tag = "roles", params(("id" = i64, Path)), request_body = PermissionSet,
    responses((status = 200, body = RoleGroup), NotFound, AdminErrors))]
pub async fn set_permissions(
    State(state): State<AppState>,
    Allowed { caller, .. }: Allowed<permissions::Roles>,
    Path(id): Path<Id>,
    Json(body): Json<PermissionSet>,
) -> ApiResult<Json<RoleGroup>> {
    Ok(Json(
        state
            .store
            .set_role_group_permissions(caller.account.id, &caller.actor(), id, &body.permissions)
            .await?,
    ))
}
