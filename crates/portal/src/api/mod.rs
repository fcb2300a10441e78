//! The administration API under `/api/v1`. Each handler is annotated for the OpenAPI
//! document, which is generated from these annotations and served at `openapi.json`.

mod domains;
mod events;
mod licences;
mod me;
pub mod responses;
mod roles;
mod sessions;
mod users;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Secure Exchanges portal administration API",
        description = "Manage the users, e-mail domains, licences, roles and event log of a \
                       Secure Exchanges business account. Every route needs a bearer token \
                       (OAuth access token or personal API token) and works within the \
                       caller's account only. Administrators may call every route; a standard \
                       user only those their role group's permissions allow (`GET /me` lists \
                       them), and a refusal is 403 `forbidden` whose `details.permission` \
                       names what is missing. Errors are `{code, message, details}`."
    ),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    // Schemas that only query parameters name: no body refers to them, so they are listed
    // here or their references would dangle.
    components(schemas(
        sxadmin_core::ErrorBody,
        sxadmin_core::ErrorCode,
        sxadmin_core::UserSort,
        sxadmin_core::SortOrder,
        sxadmin_core::LicenceFilter,
        sxadmin_core::UserStatus,
        sxadmin_core::EventFormat
    ))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me::me))
        .routes(routes!(me::start_totp, me::stop_totp))
        .routes(routes!(me::confirm_totp))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::revoke))
        .routes(routes!(me::reset_second_factor))
        .routes(routes!(events::security_events))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::lookup_user))
        .routes(routes!(users::batch))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(users::set_role))
        .routes(routes!(
            licences::assign,
            licences::change,
            licences::unassign
        ))
        .routes(routes!(licences::transfer))
        .routes(routes!(events::user_events))
        .routes(routes!(domains::list, domains::request))
        .routes(routes!(domains::verify))
        .routes(routes!(domains::remove))
        .routes(routes!(licences::pool))
        .routes(routes!(licences::list))
        .routes(routes!(licences::purchase))
        .routes(routes!(licences::remove))
        .routes(routes!(roles::list))
        .routes(routes!(roles::create_group))
        .routes(routes!(roles::set_permissions))
        .routes(routes!(events::account_events))
}
