use axum::extract::State;
use axum::http::StatusCode;
use sxadmin_core::rules;
use sxadmin_core::{Domain, DomainRequest, DomainStatus, ErrorCode, Id};

use super::responses::{AdminErrors, Conflict, NotFound, Unprocessable};
use crate::app::AppState;
use crate::domains::APPROVE_EVERYTHING;
use crate::error::{ApiError, ApiResult, Json, Path};
use crate::permissions::{self, Allowed};

/// The account's e-mail domains, pending and approved.
#[utoipa::path(get, path = "/domains", tag = "domains",
    responses((status = 200, body = Vec<Domain>), AdminErrors))]
pub async fn list(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Domains>,
) -> ApiResult<Json<Vec<Domain>>> {
    Ok(Json(state.store.list_domains(caller.account.id).await?))
}

/// Requests approval of a domain: answers with the DNS TXT record to publish.
#[utoipa::path(post, path = "/domains", tag = "domains", request_body = DomainRequest,
    responses((status = 201, body = Domain), Conflict, AdminErrors))]
pub async fn request(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Domains>,
    Json(body): Json<DomainRequest>,
) -> ApiResult<(StatusCode, Json<Domain>)> {
    let name = rules::normalize_domain(&body.name)?;
    if sxadmin_core::public_domains::is_public_mail_domain(&name) {
        // Well formed, but there is nothing to approve.
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("name: {name} is a public mail provider; its addresses can be added without approval."),
        ));
    }
    let token = crate::secrets::new_token("");
    let domain = state
        .store
        .request_domain(caller.account.id, &caller.actor(), &name, &token)
        .await?;
    Ok((StatusCode::CREATED, Json(domain)))
}

/// Looks up the domain's TXT record and approves the domain when it holds the token.
#[utoipa::path(post, path = "/domains/{id}/verify", tag = "domains", params(("id" = i64, Path)),
    responses((status = 200, body = Domain), NotFound, Unprocessable, AdminErrors))]
pub async fn verify(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Domains>,
    Path(id): Path<Id>,
) -> ApiResult<Json<Domain>> {
    let domain = state.store.domain(caller.account.id, id).await?;
    if domain.status == DomainStatus::Approved {
        return Ok(Json(domain));
    }
    let found = state
        .config
        .resolver
        .txt_records(&domain.txt_record_name)
        .await
        .map_err(|e| {
            ApiError::new(
                ErrorCode::DomainVerificationFailed,
                format!(
                    "The DNS lookup of {} failed: {e}; try again later.",
                    domain.txt_record_name
                ),
            )
        })?;
    let published = found
        .iter()
        .any(|r| r.trim() == domain.txt_record_value || r == APPROVE_EVERYTHING);
    if !published {
        return Err(ApiError::new(
            ErrorCode::DomainVerificationFailed,
            format!(
                "No TXT record {} with the value {} was found; publish it at your DNS provider, wait for it to propagate, then verify again.",
                domain.txt_record_name, domain.txt_record_value
            ),
        )
        .with_details(serde_json::json!({
            "record_name": domain.txt_record_name,
            "record_value": domain.txt_record_value,
            "found": found,
        })));
    }
    Ok(Json(
        state
            .store
            .approve_domain(caller.account.id, &caller.actor(), id)
            .await?,
    ))
}

/// Removes a domain. Existing users keep their accounts; new users at it need approval again.
#[utoipa::path(delete, path = "/domains/{id}", tag = "domains", params(("id" = i64, Path)),
    responses((status = 204), NotFound, AdminErrors))]
pub async fn remove(
    State(state): State<AppState>,

    Allowed { caller, .. }: Allowed<permissions::Domains>,
    Path(id): Path<Id>,
) -> ApiResult<StatusCode> {
    state
        .store
        .remove_domain(caller.account.id, &caller.actor(), id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
