//! The audit log is append-only: taking a licence from an administrator keeps what they
//! did, and not even the database's own statements can change or delete an entry. The
//! security log is for the account's administrators alone.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sxadmin_portal::{DemoServer, PortalConfig};

use crate::harness::{Portal, ADMIN, CAMILLE, LEA, NOAH};

/// Actions of the whole account's audit log done by `email`.
async fn done_by(portal: &Portal, email: &str) -> Vec<String> {
    let events: Vec<Value> = portal
        .get(&portal.admin, "/events")
        .await
        .parse_ok(StatusCode::OK);
    events
        .iter()
        .filter(|e| e["actor_email"] == email)
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_administrators_events_survive_the_transfer_of_their_own_licence() {
    let portal = Portal::start().await;
    let admin = portal.user_id(ADMIN).await;
    let camille = portal.user_id(CAMILLE).await;
    let lea = portal.user_id(LEA).await;
    let noah = portal.user_id(NOAH).await;

    // The administrator acts on other users, then gives their own licence away.
    portal.assign(admin, "pro").await;
    portal.assign(camille, "eco").await;
    portal
        .put(
            &portal.admin,
            &format!("/users/{noah}/role"),
            json!({"role": "administrator"}),
        )
        .await
        .expect_status(StatusCode::OK);
    let before = done_by(&portal, ADMIN).await;
    assert!(
        before.contains(&"licence.assigned".to_owned()),
        "{before:?}"
    );
    assert!(before.contains(&"user.role_set".to_owned()), "{before:?}");

    let moved: Value = portal
        .post(
            &portal.admin,
            &format!("/users/{admin}/licence/transfer"),
            json!({"to_user_id": lea, "confirm_log_deletion": true}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(
        moved["logs_deleted"], 0,
        "no audit event counts as a deleted log"
    );

    let after = done_by(&portal, ADMIN).await;
    for action in &before {
        assert!(after.contains(action), "{action} survives: {after:?}");
    }
    assert!(after.contains(&"licence.transferred".to_owned()));
    let camilles = portal.user_actions(camille).await;
    assert!(
        camilles.contains(&"licence.assigned".to_owned()),
        "what the administrator did to another user is kept: {camilles:?}"
    );

    // Another administrator takes the licence back from the receiver: still nothing lost.
    let noah_token = portal.token_for(NOAH).await;
    let unassigned: Value = portal
        .delete(
            &noah_token,
            &format!("/users/{lea}/licence?confirm_log_deletion=true"),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(unassigned["logs_deleted"], 0);
    let last = done_by(&portal, ADMIN).await;
    assert_eq!(last.len(), after.len(), "{last:?}");
}

#[tokio::test]
async fn no_statement_can_change_or_delete_an_audit_event() {
    let folder = tempfile::tempdir().unwrap();
    let server = DemoServer::start(folder.path(), PortalConfig::default())
        .await
        .unwrap();
    let url = server.database_url.clone();
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM events")
            .fetch_one(&raw)
            .await
            .unwrap()
    };
    let entries = count().await;
    assert!(entries > 0, "the seed is audited");
    let deleted = sqlx::query("DELETE FROM events").execute(&raw).await;
    assert!(
        deleted.is_err_and(|e| e.to_string().contains("append-only")),
        "the audit log refuses deletion"
    );
    let changed = sqlx::query("UPDATE events SET action = 'nothing'")
        .execute(&raw)
        .await;
    assert!(changed.is_err(), "the audit log refuses changes");
    assert_eq!(count().await, entries);
    drop(server);
}

#[tokio::test]
async fn the_security_log_is_for_the_accounts_administrators_only() {
    let portal = Portal::start().await;
    let tokens = portal.sign_in(CAMILLE).await;
    portal.refresh(&tokens.refresh).await.tokens(StatusCode::OK);
    portal
        .refresh(&tokens.refresh)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    let camille = portal.token_for(CAMILLE).await;
    portal
        .get(&camille, "/security-events")
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    portal
        .get("no-token", "/security-events")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");

    let ours: Vec<Value> = portal
        .get(&portal.admin, "/security-events")
        .await
        .parse_ok(StatusCode::OK);
    assert!(ours.iter().any(|e| e["action"] == "refresh_token.replayed"));

    portal.other_account().await;
    let stranger = portal.token_for("boss@other.example").await;
    let theirs: Vec<Value> = portal
        .get(&stranger, "/security-events")
        .await
        .parse_ok(StatusCode::OK);
    assert!(
        theirs.is_empty(),
        "another account's log is not shown: {theirs:?}"
    );

    let csv = portal
        .get(&portal.admin, "/security-events?format=csv")
        .await;
    csv.expect_status(StatusCode::OK);
    assert!(csv.text.contains("refresh_token.replayed"));
}
