//! The authorisation matrix: every route, called by an administrator, by a standard user
//! holding each single permission and by one holding none, is allowed exactly where the
//! permission table says (`sxadmin_portal::permissions`) and refused with 403 elsewhere,
//! and a refused call changes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sxadmin_core::{Domain, DomainStatus, Id, Licence, Me, Permission, RoleGroup, User};

use sxadmin_portal::RateLimit;

use crate::harness::{Portal, Reply, ADMIN, CAMILLE};

/// Who calls: the administrator, or a standard user whose group holds these permissions.
#[derive(Clone, Copy, Debug)]
enum Subject {
    Administrator,
    Holding(Option<Permission>),
}

/// The objects the routes act on, one per mutating route so that an allowed call does
/// not spoil the next one.
struct Targets {
    read: Id,
    edit: Id,
    delete: Id,
    role: Id,
    assign: Id,
    change: Id,
    unassign: Id,
    transfer_from: Id,
    transfer_to: Id,
    approved_domain: Id,
    removable_domain: Id,
    free_licence: Id,
    spare_group: Id,
}

/// One route: how to call it, and which permissions let a standard user through (none:
/// administrators only).
struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    any_of: &'static [Permission],
    /// A status an allowed call may also answer besides success (a reset of a factor the
    /// user never enrolled is a conflict, not a refusal).
    also_ok: Option<StatusCode>,
}

use Permission::*;

const READ_USERS: &[Permission] = &[
    BusinessManagement,
    ActivationRules,
    RolesAndAuthorisations,
    Logs,
];

fn route(
    method: Method,
    path: String,
    body: Option<Value>,
    any_of: &'static [Permission],
) -> Route {
    Route {
        method,
        path,
        body,
        any_of,
        also_ok: None,
    }
}

fn routes(t: &Targets) -> Vec<Route> {
    let confirm = "confirm_log_deletion=true";
    vec![
        route(Method::GET, "/users".into(), None, READ_USERS),
        route(
            Method::GET,
            format!("/users/lookup?email={CAMILLE}"),
            None,
            READ_USERS,
        ),
        route(Method::GET, format!("/users/{}", t.read), None, READ_USERS),
        route(
            Method::POST,
            "/users".into(),
            Some(json!({"email": "new.one@demo.example"})),
            &[BusinessManagement],
        ),
        route(
            Method::POST,
            "/users/batch".into(),
            Some(
                json!({"items": [{"idempotency_key": "k1", "op": "create", "email": "batch.one@demo.example"}]}),
            ),
            &[BusinessManagement],
        ),
        route(
            Method::PATCH,
            format!("/users/{}", t.edit),
            Some(json!({"first_name": "Changed"})),
            &[BusinessManagement],
        ),
        route(
            Method::DELETE,
            format!("/users/{}", t.delete),
            None,
            &[BusinessManagement],
        ),
        route(
            Method::PUT,
            format!("/users/{}/role", t.role),
            Some(json!({"role": "user", "role_group_id": t.spare_group})),
            &[RolesAndAuthorisations],
        ),
        route(
            Method::POST,
            format!("/users/{}/licence", t.assign),
            Some(json!({"tier": "eco"})),
            &[ActivationRules],
        ),
        route(
            Method::PATCH,
            format!("/users/{}/licence", t.change),
            Some(json!({"tier": "pro"})),
            &[ActivationRules],
        ),
        route(
            Method::DELETE,
            format!("/users/{}/licence?{confirm}", t.unassign),
            None,
            &[ActivationRules],
        ),
        route(
            Method::POST,
            format!("/users/{}/licence/transfer", t.transfer_from),
            Some(json!({"to_user_id": t.transfer_to, "confirm_log_deletion": true})),
            &[ActivationRules],
        ),
        route(
            Method::GET,
            format!("/users/{}/events", t.read),
            None,
            &[Logs],
        ),
        route(Method::GET, "/domains".into(), None, &[DomainManagement]),
        route(
            Method::POST,
            "/domains".into(),
            Some(json!({"name": "new-one.example"})),
            &[DomainManagement],
        ),
        route(
            Method::POST,
            format!("/domains/{}/verify", t.approved_domain),
            None,
            &[DomainManagement],
        ),
        route(
            Method::DELETE,
            format!("/domains/{}", t.removable_domain),
            None,
            &[DomainManagement],
        ),
        route(Method::GET, "/licences/pool".into(), None, &[Billing]),
        route(Method::GET, "/licences".into(), None, &[Billing]),
        route(
            Method::POST,
            "/licences/purchase".into(),
            Some(json!({"tier": "eco", "count": 1})),
            &[Purchase],
        ),
        route(
            Method::DELETE,
            format!("/licences/{}", t.free_licence),
            None,
            &[Purchase],
        ),
        route(
            Method::GET,
            "/roles".into(),
            None,
            &[RolesAndAuthorisations],
        ),
        route(
            Method::POST,
            "/roles/groups".into(),
            Some(json!({"name": "New group", "permissions": ["billing"]})),
            &[RolesAndAuthorisations],
        ),
        route(
            Method::PUT,
            format!("/roles/groups/{}/permissions", t.spare_group),
            Some(json!({"permissions": ["logs", "billing"]})),
            &[RolesAndAuthorisations],
        ),
        route(Method::GET, "/events".into(), None, &[AdministratorLogs]),
        route(
            Method::GET,
            "/security-events".into(),
            None,
            &[AdministratorLogs],
        ),
        Route {
            also_ok: Some(StatusCode::CONFLICT),
            ..route(
                Method::POST,
                format!("/users/{}/second-factor/reset", t.read),
                None,
                &[],
            )
        },
    ]
}

async fn call(portal: &Portal, token: &str, route: &Route) -> Reply {
    let mut request = portal
        .request(route.method.clone(), &format!("/api/v1{}", route.path))
        .bearer_auth(token);
    if let Some(body) = &route.body {
        request = request.json(body);
    }
    Reply::read(request).await
}

/// Everything a route could change, as the administrator sees it.
async fn state(portal: &Portal) -> Value {
    let admin = &portal.admin;
    json!({
        "users": portal.all_users().await,
        "licences": portal.get(admin, "/licences").await.json(),
        "domains": portal.get(admin, "/domains").await.json(),
        "roles": portal.get(admin, "/roles").await.json(),
    })
}

async fn create_user(portal: &Portal, email: &str) -> Id {
    portal
        .post(&portal.admin, "/users", json!({"email": email}))
        .await
        .parse_ok::<User>(StatusCode::CREATED)
        .id
}

pub async fn create_group(portal: &Portal, name: &str, permissions: &[Permission]) -> Id {
    portal
        .post(
            &portal.admin,
            "/roles/groups",
            json!({"name": name, "permissions": permissions}),
        )
        .await
        .parse_ok::<RoleGroup>(StatusCode::CREATED)
        .id
}

/// A standard user in a group of their own holding `permissions`, and their token.
pub async fn standard_user_holding(
    portal: &Portal,
    email: &str,
    permissions: &[Permission],
) -> String {
    let id = create_user(portal, email).await;
    let group = create_group(portal, &format!("Group of {email}"), permissions).await;
    portal
        .put(
            &portal.admin,
            &format!("/users/{id}/role"),
            json!({"role": "user", "role_group_id": group}),
        )
        .await
        .expect_status(StatusCode::OK);
    portal.token_for(email).await
}

async fn arrange(portal: &Portal) -> Targets {
    let admin = &portal.admin;
    portal
        .post(
            admin,
            "/licences/purchase",
            json!({"tier": "pro", "count": 2}),
        )
        .await
        .expect_status(StatusCode::CREATED);
    portal
        .post(
            admin,
            "/licences/purchase",
            json!({"tier": "eco", "count": 5}),
        )
        .await
        .expect_status(StatusCode::CREATED);
    let mut ids = Vec::new();
    for name in [
        "read", "edit", "delete", "role", "assign", "change", "unassign", "from", "to",
    ] {
        ids.push(create_user(portal, &format!("target.{name}@demo.example")).await);
    }
    for holder in [ids[5], ids[6], ids[7]] {
        portal.assign(holder, "eco").await;
    }
    let domains: Vec<Domain> = portal.get(admin, "/domains").await.parse_ok(StatusCode::OK);
    let approved_domain = domains
        .iter()
        .find(|d| d.status == DomainStatus::Approved)
        .expect("the demo domain is approved")
        .id;
    let removable_domain = portal
        .post(admin, "/domains", json!({"name": "removable.example"}))
        .await
        .parse_ok::<Domain>(StatusCode::CREATED)
        .id;
    let licences: Vec<Licence> = portal
        .get(admin, "/licences")
        .await
        .parse_ok(StatusCode::OK);
    let free_licence = licences
        .iter()
        .rev()
        .find(|l| l.user_id.is_none())
        .expect("a licence in the pool")
        .id;
    Targets {
        read: ids[0],
        edit: ids[1],
        delete: ids[2],
        role: ids[3],
        assign: ids[4],
        change: ids[5],
        unassign: ids[6],
        transfer_from: ids[7],
        transfer_to: ids[8],
        approved_domain,
        removable_domain,
        free_licence,
        spare_group: create_group(portal, "Spare", &[Billing]).await,
    }
}

/// A portal whose rate limit lets a test make its hundreds of calls.
async fn start() -> Portal {
    Portal::start_with(|config| {
        config.api_rate = RateLimit {
            per_second: 1000.0,
            burst: 100_000,
        };
    })
    .await
}

async fn check(subject: Subject) {
    let portal = start().await;
    let token = match subject {
        Subject::Administrator => portal.admin.clone(),
        Subject::Holding(permission) => {
            let held: Vec<Permission> = permission.into_iter().collect();
            standard_user_holding(&portal, "subject@demo.example", &held).await
        }
    };
    let targets = arrange(&portal).await;

    let me: Me = portal.get(&token, "/me").await.parse_ok(StatusCode::OK);
    let expected: Vec<Permission> = match subject {
        Subject::Administrator => Permission::ALL.to_vec(),
        Subject::Holding(p) => p.into_iter().collect(),
    };
    assert_eq!(me.permissions, expected, "/me says what {subject:?} may do");

    for route in routes(&targets) {
        let allowed = match subject {
            Subject::Administrator => true,
            Subject::Holding(p) => p.is_some_and(|p| route.any_of.contains(&p)),
        };
        let what = format!("{subject:?} {} {}", route.method, route.path);
        let before = state(&portal).await;
        let reply = call(&portal, &token, &route).await;
        if allowed {
            assert!(
                reply.status.is_success() || Some(reply.status) == route.also_ok,
                "{what} is allowed: {} {}",
                reply.status,
                reply.text
            );
            continue;
        }
        let details = reply.expect_error(StatusCode::FORBIDDEN, "forbidden");
        let message = reply.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match route.any_of.first() {
            Some(first) => {
                assert_eq!(
                    details["permission"],
                    first.as_str(),
                    "{what}: {}",
                    reply.text
                );
                let name = first.as_str().replace('_', " ");
                assert!(
                    message.contains(&name),
                    "{what} names the {name} permission: {message}"
                );
            }
            None => assert_eq!(details["role"], "administrator", "{what}: {}", reply.text),
        }
        assert_eq!(
            state(&portal).await,
            before,
            "{what} was refused and changed nothing"
        );
    }
}

#[tokio::test]
async fn administrator_may_call_every_route() {
    check(Subject::Administrator).await;
}

#[tokio::test]
async fn a_user_without_permission_is_refused_every_route() {
    check(Subject::Holding(None)).await;
}

#[tokio::test]
async fn business_management_allows_managing_and_reading_users_only() {
    check(Subject::Holding(Some(BusinessManagement))).await;
}

#[tokio::test]
async fn billing_allows_reading_the_pool_and_licences_only() {
    check(Subject::Holding(Some(Billing))).await;
}

#[tokio::test]
async fn purchase_allows_buying_and_removing_pool_licences_only() {
    check(Subject::Holding(Some(Purchase))).await;
}

#[tokio::test]
async fn logs_allows_reading_users_and_their_events_only() {
    check(Subject::Holding(Some(Logs))).await;
}

#[tokio::test]
async fn administrator_logs_allows_the_audit_and_security_logs_only() {
    check(Subject::Holding(Some(AdministratorLogs))).await;
}

#[tokio::test]
async fn domain_management_allows_domains_only() {
    check(Subject::Holding(Some(DomainManagement))).await;
}

#[tokio::test]
async fn activation_rules_allows_licence_assignment_and_reading_users_only() {
    check(Subject::Holding(Some(ActivationRules))).await;
}

#[tokio::test]
async fn roles_and_authorisations_allows_groups_roles_and_reading_users_only() {
    check(Subject::Holding(Some(RolesAndAuthorisations))).await;
}

/// Refusals that depend on the target: a standard user may not make, unmake or act on an
/// administrator, whatever their group holds, and the refusal changes nothing.
#[tokio::test]
async fn only_an_administrator_makes_or_acts_on_an_administrator() {
    let portal = start().await;
    let token = standard_user_holding(
        &portal,
        "manager@demo.example",
        &[BusinessManagement, RolesAndAuthorisations],
    )
    .await;
    let admin_id = portal.user_id(ADMIN).await;
    let camille = portal.user_id(CAMILLE).await;
    let refused = [
        route(
            Method::POST,
            "/users".into(),
            Some(json!({"email": "boss@demo.example", "role": "administrator"})),
            &[],
        ),
        route(
            Method::PATCH,
            format!("/users/{camille}"),
            Some(json!({"role": "administrator"})),
            &[],
        ),
        route(
            Method::PATCH,
            format!("/users/{admin_id}"),
            Some(json!({"first_name": "Renamed"})),
            &[],
        ),
        route(
            Method::PATCH,
            format!("/users/{admin_id}"),
            Some(json!({"active": false})),
            &[],
        ),
        route(Method::DELETE, format!("/users/{admin_id}"), None, &[]),
        route(
            Method::PUT,
            format!("/users/{camille}/role"),
            Some(json!({"role": "administrator"})),
            &[],
        ),
        route(
            Method::PUT,
            format!("/users/{admin_id}/role"),
            Some(json!({"role": "user"})),
            &[],
        ),
        route(
            Method::POST,
            "/users/batch".into(),
            Some(json!({"items": [
                {"idempotency_key": "a", "op": "create", "email": "fine@demo.example"},
                {"idempotency_key": "b", "op": "disable", "email": ADMIN}
            ]})),
            &[],
        ),
        route(
            Method::POST,
            "/users/batch".into(),
            Some(
                json!({"items": [{"idempotency_key": "c", "op": "update", "email": CAMILLE, "role": "administrator"}]}),
            ),
            &[],
        ),
    ];
    for route in &refused {
        let before = state(&portal).await;
        let reply = call(&portal, &token, route).await;
        let details = reply.expect_error(StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(
            details["role"], "administrator",
            "{} {}",
            route.method, route.path
        );
        assert_eq!(
            state(&portal).await,
            before,
            "{} {} changed nothing",
            route.method,
            route.path
        );
    }

    // The same user still manages standard users.
    portal
        .patch(
            &token,
            &format!("/users/{camille}"),
            json!({"active": false}),
        )
        .await
        .expect_status(StatusCode::OK);
    assert!(!portal.user(camille).await.active);
}

/// The route's path as the OpenAPI document writes it: ids become `{id}`, no query.
fn template(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The matrix covers every route of the API but those about the caller themself, which
/// every signed-in user may call; and every checked route documents its 403.
#[tokio::test]
async fn the_matrix_covers_every_route_of_the_api() {
    let portal = start().await;
    let document = portal.get(&portal.admin, "/openapi.json").await.json();
    let targets = arrange(&portal).await;
    let mut checked: Vec<String> = routes(&targets)
        .iter()
        .map(|r| format!("{} {}", r.method.as_str().to_lowercase(), template(&r.path)))
        .collect();
    checked.sort();
    checked.dedup();
    let own = [
        "get /me",
        "post /me/totp",
        "delete /me/totp",
        "post /me/totp/confirm",
        "get /me/sessions",
        "delete /me/sessions/{id}",
    ];
    let mut documented = Vec::new();
    for (path, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let route = format!("{method} {path}");
            if own.contains(&route.as_str()) {
                continue;
            }
            assert!(
                operation["responses"].get("403").is_some(),
                "{route} documents its 403"
            );
            documented.push(route);
        }
    }
    documented.sort();
    assert_eq!(checked, documented);
}
