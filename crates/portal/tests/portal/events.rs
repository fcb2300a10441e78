//! The event log: every change recorded with who made it and from where, filtered by user
//! and date, exported as a CSV file that is safe to open in a spreadsheet.

use chrono::{Duration, SecondsFormat};
use reqwest::{Method, StatusCode};
use serde_json::json;
use sxadmin_core::{Event, User};

use crate::harness::{Portal, Reply, ADMIN, CAMILLE};

async fn events(portal: &Portal, path: &str, query: &[(&str, &str)]) -> Vec<Event> {
    Reply::read(
        portal
            .request(Method::GET, &format!("/api/v1{path}"))
            .query(query)
            .bearer_auth(&portal.admin),
    )
    .await
    .parse_ok(StatusCode::OK)
}

fn actions(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.action.as_str()).collect()
}

#[tokio::test]
async fn changes_are_logged_for_the_account_and_for_the_user() {
    let portal = Portal::start().await;
    let created = portal
        .create_user("marie.curie@demo.example", "Marie", "Curie")
        .await;
    portal
        .patch(
            &portal.admin,
            &format!("/users/{}", created.id),
            json!({"language": "fr"}),
        )
        .await
        .parse_ok::<User>(StatusCode::OK);
    portal.assign(created.id, "eco").await;

    let all = events(&portal, "/events", &[]).await;
    let newest_three: Vec<&str> = actions(&all).into_iter().take(3).collect();
    assert_eq!(
        newest_three,
        ["licence.assigned", "user.updated", "user.created"],
        "newest first"
    );
    for event in &all[..3] {
        assert_eq!(event.actor_email.as_deref(), Some(ADMIN));
        assert_eq!(event.client, "api-token");
        assert_eq!(event.target_user_id, Some(created.id));
        assert_eq!(event.target.as_deref(), Some("marie.curie@demo.example"));
    }
    assert_eq!(all[1].details["language"]["to"], "fr");
    assert_eq!(all[0].details["tier"], "eco");

    let users = events(&portal, &format!("/users/{}/events", created.id), &[]).await;
    assert_eq!(
        actions(&users),
        ["licence.assigned", "user.updated", "user.created"]
    );
    let filtered = events(&portal, "/events", &[("user_id", &created.id.to_string())]).await;
    assert_eq!(filtered, users);

    let camille = portal.user_id(CAMILLE).await;
    let camilles = events(&portal, &format!("/users/{camille}/events"), &[]).await;
    assert!(camilles.iter().all(|e| e.target_user_id == Some(camille)));

    let limited = events(&portal, "/events", &[("limit", "2")]).await;
    assert_eq!(limited, all[..2].to_vec());
}

#[tokio::test]
async fn the_date_range_selects_events() {
    let portal = Portal::start().await;
    let created = portal
        .create_user("marie.curie@demo.example", "Marie", "Curie")
        .await;
    let now = created.created_at;
    let hour_ago = (now - Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let in_an_hour = (now + Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let yesterday = (now - Duration::days(1)).format("%Y-%m-%d").to_string();
    let today = now.format("%Y-%m-%d").to_string();
    let path = format!("/users/{}/events", created.id);

    let in_range = events(&portal, &path, &[("from", &hour_ago), ("to", &in_an_hour)]).await;
    assert_eq!(actions(&in_range), ["user.created"]);
    let today_only = events(&portal, &path, &[("from", &today), ("to", &today)]).await;
    assert_eq!(actions(&today_only), ["user.created"]);

    for past in [
        vec![("from", "2001-01-01"), ("to", "2001-12-31")],
        vec![("to", yesterday.as_str())],
    ] {
        assert!(events(&portal, &path, &past).await.is_empty(), "{past:?}");
        assert!(
            events(&portal, "/events", &past).await.is_empty(),
            "{past:?}"
        );
    }
    assert!(events(&portal, "/events", &[("from", &in_an_hour)])
        .await
        .is_empty());
}

#[tokio::test]
async fn malformed_event_queries_are_refused() {
    let portal = Portal::start().await;
    for query in [
        "from=31/01/2026",
        "to=yesterday",
        "from=2026-02-30",
        "format=xlsx",
        "limit=lots",
    ] {
        portal
            .get(&portal.admin, &format!("/events?{query}"))
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    }
    // Two real dates are well formed even in the wrong order: that range holds no events.
    let none: Vec<Event> = portal
        .get(&portal.admin, "/events?from=2026-02-01&to=2026-01-01")
        .await
        .parse_ok(StatusCode::OK);
    assert!(none.is_empty());
}

#[tokio::test]
async fn the_csv_export_never_starts_a_cell_with_a_formula() {
    let portal = Portal::start().await;
    let hostile: User = portal
        .post(
            &portal.admin,
            "/users",
            json!({"email": "=1+2@demo.example", "first_name": "=HYPERLINK(\"http://evil.example\")", "last_name": "-Minus"}),
        )
        .await
        .parse_ok(StatusCode::CREATED);
    portal
        .patch(
            &portal.admin,
            &format!("/users/{}", hostile.id),
            json!({"first_name": "=cmd|' /C calc'!A0", "last_name": "@SUM(A1)"}),
        )
        .await
        .parse_ok::<User>(StatusCode::OK);

    let reply = Reply::read(
        portal
            .request(Method::GET, &format!("/api/v1/users/{}/events", hostile.id))
            .query(&[("format", "csv")])
            .bearer_auth(&portal.admin),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(reply
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/csv")));

    let mut reader = csv::Reader::from_reader(reply.text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        ["time", "actor", "action", "target", "client", "details"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2, "{}", reply.text);
    assert_eq!(&rows[0][2], "user.updated");
    assert_eq!(&rows[1][2], "user.created");
    for row in &rows {
        assert_eq!(&row[3], "'=1+2@demo.example");
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "cell {cell:?} would run as a formula"
            );
        }
    }
    // The hostile names are there, inside the details, where no spreadsheet evaluates them.
    assert!(rows[0][5].contains("=cmd|' /C calc'!A0"), "{:?}", &rows[0]);
}
