//! Who may call what: authentication, the administrator role, account isolation, the
//! API's own answers to unknown routes and its rate limit.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sxadmin_core::{LicenceTier, Me, Permission, Role, RoleGroup, Roles, UserPage};
use sxadmin_portal::RateLimit;

use crate::harness::{Portal, Reply, ADMIN, CAMILLE, NOAH};

#[tokio::test]
async fn standard_user_reads_me_but_is_refused_every_admin_route() {
    let portal = Portal::start().await;
    let camille = portal.token_for(CAMILLE).await;
    let noah = portal.user_id(NOAH).await;
    let pool_before = portal.pool().await;

    let me: Me = portal.get(&camille, "/me").await.parse_ok(StatusCode::OK);
    assert_eq!(me.user.email, CAMILLE);
    assert_eq!(me.user.role, Role::User);
    assert_eq!(me.account.id, portal.account.id);
    assert!(me.permissions.is_empty());

    let new_user = json!({"email": "sneaky@demo.example"});
    let refused = [
        portal.get(&camille, "/users").await,
        portal.post(&camille, "/users", new_user.clone()).await,
        portal
            .post(
                &camille,
                "/users/batch",
                json!({"items": [{"idempotency_key": "k", "op": "create", "email": "sneaky@demo.example"}]}),
            )
            .await,
        portal.get(&camille, &format!("/users/{noah}")).await,
        portal
            .patch(&camille, &format!("/users/{noah}"), json!({"role": "administrator"}))
            .await,
        portal
            .put(&camille, &format!("/users/{noah}/role"), json!({"role": "administrator"}))
            .await,
        portal.delete(&camille, &format!("/users/{noah}")).await,
        portal
            .post(&camille, &format!("/users/{noah}/licence"), json!({"tier": "pro"}))
            .await,
        portal.get(&camille, "/domains").await,
        portal
            .post(&camille, "/domains", json!({"name": "sneaky.example"}))
            .await,
        portal.get(&camille, "/licences").await,
        portal.get(&camille, "/licences/pool").await,
        portal
            .post(&camille, "/licences/purchase", json!({"tier": "pro", "count": 5}))
            .await,
        portal.get(&camille, "/roles").await,
        portal
            .post(&camille, "/roles/groups", json!({"name": "Mine", "permissions": ["billing"]}))
            .await,
        portal.get(&camille, "/events").await,
        portal.get(&camille, &format!("/users/{noah}/events")).await,
    ];
    for reply in &refused {
        reply.expect_error(StatusCode::FORBIDDEN, "forbidden");
    }

    // Nothing the refused calls asked for happened.
    assert_eq!(portal.user_total().await, crate::harness::SEEDED_USERS);
    assert_eq!(portal.pool().await, pool_before);
    assert_eq!(portal.user(noah).await.role, Role::User);
    assert_eq!(portal.user(noah).await.licence, None);
    let domains: Vec<Value> = portal
        .get(&portal.admin, "/domains")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(domains.len(), 1, "only demo.example: {domains:?}");
}

#[tokio::test]
async fn requests_without_a_valid_token_are_not_authenticated() {
    let portal = Portal::start().await;

    let no_token = Reply::read(portal.request(Method::GET, "/api/v1/me")).await;
    no_token.expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");
    assert!(no_token.header("www-authenticate").is_some());

    portal
        .get("sxp_not-a-token-the-portal-issued", "/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");
    portal
        .get("sxp_not-a-token-the-portal-issued", "/users")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");

    let basic = Reply::read(
        portal
            .request(Method::GET, "/api/v1/me")
            .basic_auth(ADMIN, Some(&portal.admin)),
    )
    .await;
    basic.expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");

    // The refusal comes before the body is even read.
    let unauthenticated_create = Reply::read(
        portal
            .request(Method::POST, "/api/v1/users")
            .json(&json!({"email": "ghost@demo.example"})),
    )
    .await;
    unauthenticated_create.expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(portal.user_total().await, crate::harness::SEEDED_USERS);
}

#[tokio::test]
async fn a_disabled_users_tokens_stop_working() {
    let portal = Portal::start().await;
    let camille = portal.token_for(CAMILLE).await;
    let camille_id = portal.user_id(CAMILLE).await;
    assert_eq!(portal.me_status(&camille).await, StatusCode::OK);

    let disabled: sxadmin_core::User = portal
        .patch(
            &portal.admin,
            &format!("/users/{camille_id}"),
            json!({"active": false}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert!(!disabled.active);

    portal
        .get(&camille, "/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");

    // Nor can the disabled user sign in again: no code is sent.
    let email_page = portal
        .authorize(&crate::harness::Pkce::new("disabled"), "s")
        .await;
    let flow = portal.enter_email(&email_page, CAMILLE).await;
    assert_eq!(portal.messages_to(CAMILLE), 0);
    portal
        .enter_code(&flow, "123456")
        .await
        .expect_page(StatusCode::BAD_REQUEST, "That code is not right");
}

#[tokio::test]
async fn another_accounts_ids_are_not_found() {
    let portal = Portal::start().await;
    let other = portal.other_account().await;
    let admin = &portal.admin;
    let camille = portal.user_id(CAMILLE).await;
    portal.assign(camille, "eco").await;
    let bob = other.user_id;

    let not_found = [
        portal.get(admin, &format!("/users/{bob}")).await,
        portal
            .patch(
                admin,
                &format!("/users/{bob}"),
                json!({"first_name": "Robert"}),
            )
            .await,
        portal.delete(admin, &format!("/users/{bob}")).await,
        portal
            .delete(admin, &format!("/users/{}", other.admin_id))
            .await,
        portal
            .put(
                admin,
                &format!("/users/{bob}/role"),
                json!({"role": "administrator"}),
            )
            .await,
        portal
            .post(
                admin,
                &format!("/users/{bob}/licence"),
                json!({"tier": "eco"}),
            )
            .await,
        portal
            .post(
                admin,
                &format!("/users/{camille}/licence/transfer"),
                json!({"to_user_id": bob, "confirm_log_deletion": true}),
            )
            .await,
        portal
            .post(
                admin,
                &format!("/domains/{}/verify", other.domain_id),
                json!({}),
            )
            .await,
        portal
            .delete(admin, &format!("/domains/{}", other.domain_id))
            .await,
        portal
            .delete(admin, &format!("/licences/{}", other.licence_id))
            .await,
        portal
            .put(
                admin,
                &format!("/roles/groups/{}/permissions", other.role_group_id),
                json!({"permissions": ["billing", "purchase"]}),
            )
            .await,
        portal
            .put(
                admin,
                &format!("/users/{camille}/role"),
                json!({"role": "user", "role_group_id": other.role_group_id}),
            )
            .await,
        portal.get(admin, &format!("/users/{bob}/events")).await,
        portal.get(admin, &format!("/events?user_id={bob}")).await,
    ];
    for reply in &not_found {
        reply.expect_error(StatusCode::NOT_FOUND, "not_found");
    }

    // The other account is exactly as it was.
    let store = portal.store.as_ref();
    let other_account = store
        .users_by_email_any_account("bob@other.example")
        .await
        .unwrap();
    let (_, bob_now) = &other_account[0];
    assert_eq!(bob_now.first_name, "Bob");
    assert_eq!(bob_now.role, Role::User);
    assert_eq!(bob_now.licence, None);
    let (other_id, _) = other_account[0];
    assert_eq!(store.list_domains(other_id).await.unwrap().len(), 1);
    let other_pool = store.licence_pool(other_id).await.unwrap();
    assert_eq!(other_pool.tier(LicenceTier::Eco).unwrap().purchased, 2);
    let groups = store.list_role_groups(other_id).await.unwrap();
    assert_eq!(groups[0].permissions, vec![sxadmin_core::Permission::Logs]);
    assert!(portal.user(camille).await.licence.is_some());

    // Neither the list nor a search shows the other account's users.
    let users = portal.all_users().await;
    assert_eq!(users.len() as i64, crate::harness::SEEDED_USERS);
    assert!(users.iter().all(|u| u.email.ends_with("@demo.example")));
    let search: UserPage = portal
        .get(admin, "/users?search=other.example")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(search.total, 0);
    assert!(search.items.is_empty());
    let lookup = portal
        .get(admin, "/users/lookup?email=bob@other.example")
        .await;
    lookup.expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn unknown_routes_answer_with_a_json_error() {
    let portal = Portal::start().await;

    for path in ["/api/v1/no-such-thing", "/no-such-page"] {
        let reply = Reply::read(portal.request(Method::GET, path).bearer_auth(&portal.admin)).await;
        assert!(!reply.text.is_empty(), "{path} answers with a body");
        reply.expect_error(StatusCode::NOT_FOUND, "not_found");
    }
    portal
        .get(&portal.admin, "/users/not-a-number")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");

    let wrong_method = Reply::read(
        portal
            .request(Method::PUT, "/api/v1/licences/pool")
            .bearer_auth(&portal.admin),
    )
    .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.json()["code"], "invalid_input");
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let portal = Portal::start().await;
    let reply = Reply::read(portal.request(Method::GET, "/api/v1/openapi.json")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let document = reply.json();
    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1"), "OpenAPI {version}");
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/users",
        "/users/batch",
        "/users/{id}/licence",
        "/licences/pool",
        "/domains/{id}/verify",
        "/events",
    ] {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
    // The shared refusals are described on every administration route, with their body.
    let list_users = &document["paths"]["/users"]["get"]["responses"];
    for status in ["400", "401", "403", "429"] {
        assert_eq!(
            list_users[status]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody",
            "GET /users documents {status}"
        );
    }
    let transfer = &document["paths"]["/users/{id}/licence/transfer"]["post"]["responses"];
    assert!(transfer["404"].is_object() && transfer["409"].is_object());
    assert!(
        transfer["422"].is_null(),
        "only the refusals a route can give"
    );
}

#[tokio::test]
async fn api_callers_over_their_rate_are_told_to_wait() {
    let portal = Portal::start_with(|config| {
        config.api_rate = RateLimit {
            per_second: 0.001,
            burst: 3,
        };
    })
    .await;
    let admin = portal.admin.clone();

    for _ in 0..3 {
        assert_eq!(portal.me_status(&admin).await, StatusCode::OK);
    }
    let limited = portal.get(&admin, "/me").await;
    let details = limited.expect_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry_after: u64 = limited
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(details["retry_after_seconds"], retry_after);

    // The limit is per caller: another token still has its own allowance.
    let camille = portal.token_for(CAMILLE).await;
    assert_eq!(portal.me_status(&camille).await, StatusCode::OK);
}

#[tokio::test]
async fn a_role_group_gives_its_members_its_permissions() {
    let portal = Portal::start().await;
    let admin = &portal.admin;

    let group: RoleGroup = portal
        .post(
            admin,
            "/roles/groups",
            json!({"name": "Billing desk", "permissions": ["purchase", "billing", "billing"]}),
        )
        .await
        .parse_ok(StatusCode::CREATED);
    assert_eq!(
        group.permissions,
        [Permission::Billing, Permission::Purchase]
    );
    portal
        .post(admin, "/roles/groups", json!({"name": "BILLING DESK"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    portal
        .post(admin, "/roles/groups", json!({"name": "  "}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    portal
        .post(
            admin,
            "/roles/groups",
            json!({"name": "Bad", "permissions": ["root"]}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");

    let changed: RoleGroup = portal
        .put(
            admin,
            &format!("/roles/groups/{}/permissions", group.id),
            json!({"permissions": ["logs", "billing"]}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(changed.permissions, [Permission::Billing, Permission::Logs]);
    let roles: Roles = portal.get(admin, "/roles").await.parse_ok(StatusCode::OK);
    assert_eq!(roles.built_in, [Role::User, Role::Administrator]);
    assert_eq!(roles.groups, vec![changed.clone()]);

    let camille_id = portal.user_id(CAMILLE).await;
    let member: sxadmin_core::User = portal
        .put(
            admin,
            &format!("/users/{camille_id}/role"),
            json!({"role": "user", "role_group_id": group.id}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(member.role_group_id, Some(group.id));

    let camille = portal.token_for(CAMILLE).await;
    let me: Me = portal.get(&camille, "/me").await.parse_ok(StatusCode::OK);
    assert_eq!(me.permissions, changed.permissions);
    // The group's permissions are what the member may do, and nothing more.
    portal
        .get(&camille, "/licences/pool")
        .await
        .expect_status(StatusCode::OK);
    let details = portal
        .get(&camille, "/domains")
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(details["permission"], "domain_management");

    let admin_me: Me = portal.get(admin, "/me").await.parse_ok(StatusCode::OK);
    assert_eq!(admin_me.permissions, Permission::ALL);
}

#[tokio::test]
async fn changing_a_role_keeps_the_role_group_unless_the_body_names_one() {
    let portal = Portal::start().await;
    let admin = &portal.admin;
    let group: RoleGroup = portal
        .post(
            admin,
            "/roles/groups",
            json!({"name": "Auditors", "permissions": ["logs"]}),
        )
        .await
        .parse_ok(StatusCode::CREATED);
    let camille_id = portal.user_id(CAMILLE).await;
    let path = format!("/users/{camille_id}/role");

    let member: sxadmin_core::User = portal
        .put(
            admin,
            &path,
            json!({"role": "user", "role_group_id": group.id}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(member.role_group_id, Some(group.id));

    // Absent: the group stays, whatever the role becomes.
    let promoted: sxadmin_core::User = portal
        .put(admin, &path, json!({"role": "administrator"}))
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(promoted.role, Role::Administrator);
    assert_eq!(promoted.role_group_id, Some(group.id));
    assert_eq!(portal.user(camille_id).await.role_group_id, Some(group.id));

    // `null`: the group goes.
    let cleared: sxadmin_core::User = portal
        .put(admin, &path, json!({"role": "user", "role_group_id": null}))
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(cleared.role, Role::User);
    assert_eq!(cleared.role_group_id, None);
    assert_eq!(portal.user(camille_id).await.role_group_id, None);
}
