//! Adding, changing and listing users: approved domains, unique addresses, the last
//! administrator, idempotent batches and the paged list.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sxadmin_core::{BatchOutcome, BatchResponse, Role, User, UserPage};

use crate::harness::{Portal, ADMIN, CAMILLE, LEA, NOAH, SEEDED_USERS};

#[tokio::test]
async fn a_user_is_added_only_at_an_approved_or_public_domain_and_once() {
    let portal = Portal::start().await;
    let admin = &portal.admin;

    let created: User = portal
        .post(
            admin,
            "/users",
            json!({"email": "  Jeanne.Dupont@Demo.Example ", "first_name": " Jeanne ", "last_name": "Dupont", "language": "fr"}),
        )
        .await
        .parse_ok(StatusCode::CREATED);
    assert_eq!(created.email, "Jeanne.Dupont@demo.example");
    assert_eq!(created.first_name, "Jeanne");
    assert_eq!(created.role, Role::User);
    assert!(created.active);

    let details = portal
        .post(
            admin,
            "/users",
            json!({"email": "someone@unapproved.example"}),
        )
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "domain_not_approved");
    assert_eq!(details["domain"], "unapproved.example");

    let public: User = portal
        .post(admin, "/users", json!({"email": "freelancer@gmail.com"}))
        .await
        .parse_ok(StatusCode::CREATED);
    assert_eq!(public.email, "freelancer@gmail.com");

    let details = portal
        .post(
            admin,
            "/users",
            json!({"email": "CAMILLE.Tremblay@DEMO.example"}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "email_taken");
    assert!(details["email"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(CAMILLE));

    for bad in [
        "not-an-address",
        "two@@demo.example",
        "",
        "a b@demo.example",
    ] {
        portal
            .post(admin, "/users", json!({ "email": bad }))
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    }
    portal
        .post(
            admin,
            "/users",
            json!({"email": "tab@demo.example", "first_name": "Tab\tName"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    portal
        .post(admin, "/users", json!({"first_name": "No address"}))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");

    let emails: Vec<String> = portal
        .all_users()
        .await
        .into_iter()
        .map(|u| u.email.to_lowercase())
        .collect();
    assert_eq!(emails.len() as i64, SEEDED_USERS + 2);
    assert!(emails.contains(&"jeanne.dupont@demo.example".to_owned()));
    assert!(emails.contains(&"freelancer@gmail.com".to_owned()));
    assert_eq!(
        emails.iter().filter(|e| *e == CAMILLE).count(),
        1,
        "no second Camille"
    );
}

#[tokio::test]
async fn the_last_administrator_can_be_neither_demoted_disabled_nor_deleted() {
    let portal = Portal::start().await;
    let admin_id = portal.user_id(ADMIN).await;
    let admin = portal.admin.clone();
    let path = format!("/users/{admin_id}");

    let details = portal
        .patch(&admin, &path, json!({"role": "user"}))
        .await
        .expect_error(StatusCode::CONFLICT, "last_administrator");
    assert_eq!(details["email"], ADMIN);
    portal
        .put(&admin, &format!("{path}/role"), json!({"role": "user"}))
        .await
        .expect_error(StatusCode::CONFLICT, "last_administrator");
    portal
        .patch(&admin, &path, json!({"active": false}))
        .await
        .expect_error(StatusCode::CONFLICT, "last_administrator");
    portal
        .delete(&admin, &path)
        .await
        .expect_error(StatusCode::CONFLICT, "last_administrator");
    let unchanged = portal.user(admin_id).await;
    assert_eq!(unchanged.role, Role::Administrator);
    assert!(unchanged.active);

    // A disabled administrator does not count as the one that must remain.
    let noah_id = portal.user_id(NOAH).await;
    portal
        .put(
            &admin,
            &format!("/users/{noah_id}/role"),
            json!({"role": "administrator"}),
        )
        .await
        .parse_ok::<User>(StatusCode::OK);
    portal
        .patch(
            &admin,
            &format!("/users/{noah_id}"),
            json!({"active": false}),
        )
        .await
        .parse_ok::<User>(StatusCode::OK);
    portal
        .patch(&admin, &path, json!({"role": "user"}))
        .await
        .expect_error(StatusCode::CONFLICT, "last_administrator");

    // With a second active administrator the first can step down.
    let camille_id = portal.user_id(CAMILLE).await;
    let promoted: User = portal
        .put(
            &admin,
            &format!("/users/{camille_id}/role"),
            json!({"role": "administrator"}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(promoted.role, Role::Administrator);
    let demoted: User = portal
        .patch(&admin, &path, json!({"role": "user"}))
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(demoted.role, Role::User);

    // The former administrator's token now carries a standard user's rights, and the new
    // administrator is the last one.
    portal
        .get(&admin, "/users")
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    let camille = portal.token_for(CAMILLE).await;
    portal
        .delete(&camille, &format!("/users/{camille_id}"))
        .await
        .expect_error(StatusCode::CONFLICT, "last_administrator");
    portal
        .delete(&camille, &path)
        .await
        .expect_status(StatusCode::NO_CONTENT);
    let after = portal.get(&camille, &path).await;
    after.expect_error(StatusCode::NOT_FOUND, "not_found");
}

fn outcomes(response: &BatchResponse) -> Vec<(String, BatchOutcome, bool)> {
    response
        .results
        .iter()
        .map(|r| (r.idempotency_key.clone(), r.outcome, r.replayed))
        .collect()
}

fn batch_items() -> Value {
    json!({"items": [
        {"idempotency_key": "row-1", "op": "create", "email": "ana.silva@demo.example", "first_name": "Ana", "last_name": "Silva"},
        {"idempotency_key": "row-2", "op": "create", "email": "tom.free@gmail.com", "role": "administrator"},
        {"idempotency_key": "row-3", "op": "update", "email": "NOAH.GAGNON@demo.example", "first_name": "Noé"},
        {"idempotency_key": "row-4", "op": "create", "email": "zoe@newcorp.example", "first_name": "Zoé"},
        {"idempotency_key": "row-5", "op": "update", "email": "lea.roy@demo.example", "first_name": "Léa"},
        {"idempotency_key": "row-6", "op": "update", "email": "nobody@demo.example", "last_name": "Nobody"},
    ]})
}

#[tokio::test]
async fn a_batch_applies_each_item_once_and_reports_each_outcome() {
    let portal = Portal::start().await;
    let admin = &portal.admin;

    let first: BatchResponse = portal
        .post(admin, "/users/batch", batch_items())
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(
        outcomes(&first),
        vec![
            ("row-1".into(), BatchOutcome::Created, false),
            ("row-2".into(), BatchOutcome::Created, false),
            ("row-3".into(), BatchOutcome::Updated, false),
            ("row-4".into(), BatchOutcome::Error, false),
            ("row-5".into(), BatchOutcome::Unchanged, false),
            ("row-6".into(), BatchOutcome::Error, false),
        ]
    );
    let refused = first.results[3].error.as_ref().unwrap();
    assert_eq!(refused.code.as_str(), "domain_not_approved");
    assert_eq!(
        first.results[5].error.as_ref().unwrap().code.as_str(),
        "not_found"
    );
    assert_eq!(
        first.results[1].user.as_ref().unwrap().role,
        Role::Administrator
    );
    assert_eq!(portal.user_total().await, SEEDED_USERS + 2);
    let noah = portal.user_id(NOAH).await;
    assert_eq!(portal.user(noah).await.first_name, "Noé");

    // Someone renames Noah by hand; replaying the batch must not undo that.
    portal
        .patch(
            admin,
            &format!("/users/{noah}"),
            json!({"first_name": "Noah"}),
        )
        .await
        .parse_ok::<User>(StatusCode::OK);

    let again: BatchResponse = portal
        .post(admin, "/users/batch", batch_items())
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(
        outcomes(&again),
        vec![
            ("row-1".into(), BatchOutcome::Created, true),
            ("row-2".into(), BatchOutcome::Created, true),
            ("row-3".into(), BatchOutcome::Updated, true),
            ("row-4".into(), BatchOutcome::Error, false),
            ("row-5".into(), BatchOutcome::Unchanged, true),
            ("row-6".into(), BatchOutcome::Error, false),
        ]
    );
    assert_eq!(
        again.results[0].user.as_ref().unwrap().id,
        first.results[0].user.as_ref().unwrap().id,
        "the replay names the user created the first time"
    );
    assert_eq!(portal.user_total().await, SEEDED_USERS + 2);
    assert_eq!(portal.user(noah).await.first_name, "Noah");
    let ana = portal.user_id("ana.silva@demo.example").await;
    let created_events = portal
        .user_actions(ana)
        .await
        .into_iter()
        .filter(|a| a == "user.created")
        .count();
    assert_eq!(created_events, 1);
}

#[tokio::test]
async fn a_retried_batch_creates_an_item_once_its_domain_is_approved() {
    let portal = Portal::start().await;
    let admin = &portal.admin;

    let first: BatchResponse = portal
        .post(admin, "/users/batch", batch_items())
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(first.results[3].outcome, BatchOutcome::Error);
    let total = portal.user_total().await;

    let domain: Value = portal
        .post(admin, "/domains", json!({"name": "newcorp.example"}))
        .await
        .parse_ok(StatusCode::CREATED);
    portal.dns.publish(
        domain["txt_record_name"].as_str().unwrap(),
        domain["txt_record_value"].as_str().unwrap(),
    );
    portal
        .post(
            admin,
            &format!("/domains/{}/verify", domain["id"]),
            json!({}),
        )
        .await
        .parse_ok::<Value>(StatusCode::OK);

    let retried: BatchResponse = portal
        .post(admin, "/users/batch", batch_items())
        .await
        .parse_ok(StatusCode::OK);
    let zoe = &retried.results[3];
    assert_eq!(
        (zoe.outcome, zoe.replayed),
        (BatchOutcome::Created, false),
        "{zoe:?}"
    );
    assert_eq!(zoe.user.as_ref().unwrap().email, "zoe@newcorp.example");
    assert!(retried.results[..3].iter().all(|r| r.replayed));
    assert_eq!(portal.user_total().await, total + 1);

    let once_more: BatchResponse = portal
        .post(admin, "/users/batch", batch_items())
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(
        (once_more.results[3].outcome, once_more.results[3].replayed),
        (BatchOutcome::Created, true)
    );
    assert_eq!(portal.user_total().await, total + 1);
}

#[tokio::test]
async fn the_same_batch_sent_twice_at_once_creates_each_user_once() {
    let portal = Portal::start().await;
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let request = portal
            .request(reqwest::Method::POST, "/api/v1/users/batch")
            .bearer_auth(&portal.admin)
            .json(&batch_items());
        requests.spawn(crate::harness::Reply::read(request));
    }
    let mut replayed = Vec::new();
    while let Some(reply) = requests.join_next().await {
        let response: BatchResponse = reply.unwrap().parse_ok(StatusCode::OK);
        replayed.push(response.results[0].replayed);
        assert_eq!(response.results[0].outcome, BatchOutcome::Created);
    }
    replayed.sort();
    assert_eq!(replayed, [false, true], "one applied, the other replayed");
    assert_eq!(portal.user_total().await, SEEDED_USERS + 2);
}

#[tokio::test]
async fn a_batch_of_more_than_1000_items_is_refused_whole() {
    let portal = Portal::start().await;
    let items: Vec<Value> = (0..1001)
        .map(|i| {
            json!({"idempotency_key": format!("big-{i}"), "op": "create", "email": format!("bulk{i}@demo.example")})
        })
        .collect();
    portal
        .post(&portal.admin, "/users/batch", json!({ "items": items }))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(portal.user_total().await, SEEDED_USERS);

    portal
        .post(
            &portal.admin,
            "/users/batch",
            json!({"items": [{"op": "create"}]}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
}

/// Last names with repeats and case variants, so pages break inside runs of equal keys.
const LAST_NAMES: &[&str] = &[
    "Adams",
    "adams",
    "Bélanger",
    "Zhang",
    "Nguyen",
    "ROY",
    "Ouellet",
    "Smith",
];

/// Makes the demo account hold 256 users: the 6 seeded and 250 created in one batch.
async fn populate(portal: &Portal) {
    let items: Vec<Value> = (0..250)
        .map(|i| {
            // Some addresses in capitals: the list sorts without regard to case.
            let local = if i % 7 == 0 {
                format!("Person{i:03}")
            } else {
                format!("person{i:03}")
            };
            json!({
                "idempotency_key": format!("populate-{i}"),
                "op": "create",
                "email": format!("{local}@demo.example"),
                "first_name": format!("First{}", i % 13),
                "last_name": LAST_NAMES[i % LAST_NAMES.len()],
            })
        })
        .collect();
    let response: BatchResponse = portal
        .post(&portal.admin, "/users/batch", json!({ "items": items }))
        .await
        .parse_ok(StatusCode::OK);
    assert!(response
        .results
        .iter()
        .all(|r| r.outcome == BatchOutcome::Created));
}

/// Follows `next_cursor` from the first page to the last; returns the ids in page order.
async fn page_through(portal: &Portal, query: &str, limit: usize, expected_total: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = portal
            .request(
                reqwest::Method::GET,
                &format!("/api/v1/users?limit={limit}&{query}"),
            )
            .bearer_auth(&portal.admin);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let page: UserPage = crate::harness::Reply::read(request)
            .await
            .parse_ok(StatusCode::OK);
        pages += 1;
        assert!(pages <= 20, "paging ends");
        assert_eq!(page.total, expected_total, "total on page {pages}");
        assert!(page.items.len() <= limit);
        ids.extend(page.items.iter().map(|u| u.id));
        match page.next_cursor {
            Some(next) => {
                assert_eq!(page.items.len(), limit, "only the last page is short");
                cursor = Some(next);
            }
            None => return ids,
        }
    }
}

#[tokio::test]
async fn the_user_list_pages_through_every_row_once_in_order() {
    let portal = Portal::start().await;
    populate(&portal).await;
    let users = portal.all_users().await;
    assert_eq!(users.len(), 256);

    let mut by_email = users.clone();
    by_email.sort_by_key(|u| (u.email.to_lowercase(), u.id));
    let expected: Vec<i64> = by_email.iter().map(|u| u.id).collect();
    let paged = page_through(&portal, "sort=email&order=asc", 100, 256).await;
    assert_eq!(paged, expected);

    let mut by_last_name = users.clone();
    by_last_name.sort_by_key(|u| (u.last_name.to_lowercase(), u.id));
    by_last_name.reverse();
    let expected: Vec<i64> = by_last_name.iter().map(|u| u.id).collect();
    let paged = page_through(&portal, "sort=last_name&order=desc", 100, 256).await;
    assert_eq!(paged, expected);

    // Created in one batch, most users share a creation time: ties are broken by id.
    let mut by_created = users;
    by_created.sort_by_key(|u| (u.created_at, u.id));
    let expected: Vec<i64> = by_created.iter().map(|u| u.id).collect();
    let paged = page_through(&portal, "sort=created", 100, 256).await;
    assert_eq!(paged, expected);
}

#[tokio::test]
async fn the_user_list_search_filters_every_page() {
    let portal = Portal::start().await;
    populate(&portal).await;
    let users = portal.all_users().await;

    let matches = |needle: &str| -> Vec<i64> {
        let mut found: Vec<&User> = users
            .iter()
            .filter(|u| {
                [&u.email, &u.first_name, &u.last_name]
                    .iter()
                    .any(|field| field.to_lowercase().contains(needle))
            })
            .collect();
        found.sort_by_key(|u| (u.email.to_lowercase(), u.id));
        found.iter().map(|u| u.id).collect()
    };

    let adams = matches("adams");
    assert!(adams.len() > 50, "the search spans several pages");
    assert_eq!(
        page_through(&portal, "search=ADAMS", 30, adams.len() as i64).await,
        adams
    );

    let tremblay: UserPage = portal
        .get(&portal.admin, "/users?search=tremblay")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(tremblay.total, 1);
    assert_eq!(tremblay.items[0].email, CAMILLE);

    let by_first_name = matches("first12");
    let found: UserPage = portal
        .get(&portal.admin, "/users?search=First12&limit=1000")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(found.total, by_first_name.len() as i64);
    assert_eq!(
        found.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        by_first_name
    );

    // Pattern wildcards are matched as the characters they are.
    for literal in ["%25", "_", "*", "%3F", "%5B", "%5Ba-z%5D"] {
        let none: UserPage = portal
            .get(&portal.admin, &format!("/users?search={literal}"))
            .await
            .parse_ok(StatusCode::OK);
        assert_eq!(none.total, 0, "search={literal}");
    }
}

#[tokio::test]
async fn a_cursor_only_continues_the_listing_it_came_from() {
    let portal = Portal::start().await;
    populate(&portal).await;
    let first: UserPage = portal
        .get(&portal.admin, "/users?limit=100&sort=email")
        .await
        .parse_ok(StatusCode::OK);
    let cursor = first.next_cursor.expect("more than one page");

    for other_listing in ["sort=last_name", "sort=email&order=desc", "sort=created"] {
        let reply = crate::harness::Reply::read(
            portal
                .request(
                    reqwest::Method::GET,
                    &format!("/api/v1/users?{other_listing}"),
                )
                .query(&[("cursor", &cursor)])
                .bearer_auth(&portal.admin),
        )
        .await;
        reply.expect_error(StatusCode::NOT_FOUND, "not_found");
    }
    portal
        .get(&portal.admin, "/users?cursor=not-a-cursor")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    for bad in ["limit=0", "limit=1001", "order=sideways", "sort=shoe_size"] {
        portal
            .get(&portal.admin, &format!("/users?{bad}"))
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    }
}

#[tokio::test]
async fn search_ignores_case_in_accented_names_too() {
    let portal = Portal::start().await;
    let elise = portal
        .create_user("elise@demo.example", "Élise", "Écuyer")
        .await;
    let lea = portal.user_id(LEA).await;

    for (typed, expected) in [
        ("Élise", elise.id),
        ("élise", elise.id),
        ("ÉLISE", elise.id),
        ("ÉCUYER", elise.id),
        ("Léa", lea),
        ("LÉA", lea),
    ] {
        let found: UserPage = crate::harness::Reply::read(
            portal
                .request(reqwest::Method::GET, "/api/v1/users")
                .query(&[("search", typed)])
                .bearer_auth(&portal.admin),
        )
        .await
        .parse_ok(StatusCode::OK);
        let ids: Vec<i64> = found.items.iter().map(|u| u.id).collect();
        assert_eq!((found.total, ids), (1, vec![expected]), "search {typed:?}");
    }
}

#[tokio::test]
async fn a_key_or_an_address_repeated_within_one_batch_is_applied_once() {
    let portal = Portal::start().await;
    let item =
        |key: &str, email: &str| json!({"idempotency_key": key, "op": "create", "email": email});
    let answer: BatchResponse = portal
        .post(
            &portal.admin,
            "/users/batch",
            json!({"items": [
                item("twice", "twice@demo.example"),
                item("twice", "twice@demo.example"),
                item("other-key", "twice@demo.example"),
                item("taken", "noah.gagnon@demo.example"),
            ]}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(
        outcomes(&answer),
        vec![
            ("twice".into(), BatchOutcome::Created, false),
            ("twice".into(), BatchOutcome::Created, true),
            ("other-key".into(), BatchOutcome::Error, false),
            ("taken".into(), BatchOutcome::Error, false),
        ]
    );
    for refused in &answer.results[2..] {
        assert_eq!(refused.error.as_ref().unwrap().code.as_str(), "email_taken");
    }
    assert_eq!(portal.user_total().await, SEEDED_USERS + 1);
    let id = portal.user_id("twice@demo.example").await;
    let created = portal
        .user_actions(id)
        .await
        .into_iter()
        .filter(|a| a == "user.created")
        .count();
    assert_eq!(created, 1);
}
