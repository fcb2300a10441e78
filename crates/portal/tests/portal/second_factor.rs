//! Attacks on the second factor: guessing the code that removes it, replaying a code seen
//! once, and reading secrets out of a copy of the database; and the administrator's reset
//! for a lost authenticator.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sxadmin_portal::store::Actor;
use sxadmin_portal::{totp, DemoServer, PortalConfig};

use crate::harness::{Portal, Reply, ADMIN, CAMILLE, NOAH};

/// The code an authenticator holding `secret` shows `offset` seconds from now.
fn code_in(secret: &str, offset: i64) -> String {
    let at = totp::now_seconds() as i64 + offset;
    totp::code_at(&totp::base32_decode(secret).unwrap(), at as u64)
}

/// A code no authenticator holding `secret` shows within two minutes either side.
fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-4..=4).map(|step| code_in(secret, step * 30)).collect();
    (0_u64..)
        .map(|n| format!("{:06}", n * 7919 % 1_000_000))
        .find(|candidate| !near.contains(candidate))
        .unwrap()
}

/// Enrols and confirms an authenticator for the holder of `token`; returns its secret.
async fn enrol(portal: &Portal, token: &str) -> String {
    let enrolment = portal.post(token, "/me/totp", json!({})).await.json();
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    portal
        .post(
            token,
            "/me/totp/confirm",
            json!({"code": code_in(&secret, 0)}),
        )
        .await
        .expect_status(StatusCode::NO_CONTENT);
    secret
}

/// `DELETE /api/v1{path}` with a JSON body, as turning the second factor off is sent.
async fn delete_with(portal: &Portal, token: &str, path: &str, body: Value) -> Reply {
    Reply::read(
        portal
            .request(Method::DELETE, &format!("/api/v1{path}"))
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

async fn enabled(portal: &Portal, email: &str) -> bool {
    let id = portal.user_id(email).await;
    portal.store.totp_secrets(id).await.unwrap().1.is_some()
}

async fn security_actions(portal: &Portal) -> Vec<Value> {
    portal
        .get(&portal.admin, "/security-events")
        .await
        .parse_ok(StatusCode::OK)
}

#[tokio::test]
async fn removing_the_second_factor_allows_five_wrong_codes_even_in_parallel() {
    let portal = Portal::start().await;
    let stolen = portal.token_for(CAMILLE).await;
    let secret = enrol(&portal, &stolen).await;
    let wrong = wrong_code(&secret);

    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let request = portal
            .request(Method::DELETE, "/api/v1/me/totp")
            .bearer_auth(&stolen)
            .json(&json!({ "code": wrong }));
        guesses.spawn(Reply::read(request));
    }
    let mut refused = 0;
    let mut limited = 0;
    while let Some(reply) = guesses.join_next().await {
        let reply = reply.unwrap();
        match reply.status {
            StatusCode::FORBIDDEN => {
                reply.expect_error(StatusCode::FORBIDDEN, "forbidden");
                refused += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                reply.expect_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
                assert!(reply.header("retry-after").is_some());
                limited += 1;
            }
            other => panic!("a wrong code is refused, not {other}: {}", reply.text),
        }
    }
    assert_eq!((refused, limited), (5, 3), "five wrong codes are judged");

    // Once the limit is reached even the right code waits for the window to pass.
    delete_with(
        &portal,
        &stolen,
        "/me/totp",
        json!({"code": code_in(&secret, 30)}),
    )
    .await
    .expect_error(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(enabled(&portal, CAMILLE).await);
    let events = security_actions(&portal).await;
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "second_factor.guess_limit_reached" && e["target"] == CAMILLE),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_second_factor_code_is_accepted_only_once() {
    let portal = Portal::start().await;
    let token = portal.token_for(CAMILLE).await;
    let enrolment = portal.post(&token, "/me/totp", json!({})).await.json();
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let seen = code_in(&secret, 0);
    portal
        .post(&token, "/me/totp/confirm", json!({ "code": seen }))
        .await
        .expect_status(StatusCode::NO_CONTENT);

    // The code that confirmed the authenticator (seen over a shoulder, say) is spent.
    let reused = delete_with(&portal, &token, "/me/totp", json!({ "code": seen })).await;
    reused.expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(reused.text.contains("already used"), "{}", reused.text);
    assert!(enabled(&portal, CAMILLE).await);

    // The next code works, once.
    let next = code_in(&secret, 30);
    delete_with(&portal, &token, "/me/totp", json!({ "code": next }))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    assert!(!enabled(&portal, CAMILLE).await);

    let camille = portal.user_id(CAMILLE).await;
    let actions = portal.user_actions(camille).await;
    assert!(actions.contains(&"user.second_factor_enabled".to_owned()));
    assert!(actions.contains(&"user.second_factor_disabled".to_owned()));
    let events = security_actions(&portal).await;
    for action in [
        "second_factor_enabled",
        "second_factor_disabled",
        "second_factor.code_reused",
    ] {
        assert!(
            events.iter().any(|e| e["action"] == action),
            "{action} in {events:?}"
        );
    }
}

#[tokio::test]
async fn the_sign_in_check_refuses_a_code_already_used() {
    let portal = Portal::start().await;
    let token = portal.token_for(CAMILLE).await;
    let secret = enrol(&portal, &token).await;
    let camille = portal.user_id(CAMILLE).await;
    let limit = totp::guess_limit();
    let next = code_in(&secret, 30);
    let now = totp::now_seconds();
    let first = portal
        .store
        .check_totp_code(camille, &next, now, limit)
        .await
        .unwrap();
    let second = portal
        .store
        .check_totp_code(camille, &next, now, limit)
        .await
        .unwrap();
    assert_eq!(first, sxadmin_portal::store::TotpCheck::Accepted);
    assert_eq!(second, sxadmin_portal::store::TotpCheck::Reused);
}

#[tokio::test]
async fn an_administrator_resets_a_lost_second_factor_and_it_is_audited() {
    let portal = Portal::start().await;
    let camille_token = portal.token_for(CAMILLE).await;
    enrol(&portal, &camille_token).await;
    let camille = portal.user_id(CAMILLE).await;
    let path = format!("/users/{camille}/second-factor/reset");

    let noah = portal.token_for(NOAH).await;
    portal
        .post(&noah, &path, json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    portal
        .post(&camille_token, &path, json!({}))
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(enabled(&portal, CAMILLE).await);

    let reset: Value = portal
        .post(&portal.admin, &path, json!({}))
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(reset["email"], CAMILLE);
    assert!(!enabled(&portal, CAMILLE).await);
    portal
        .post(&portal.admin, &path, json!({}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");

    let events: Vec<Value> = portal
        .get(&portal.admin, &format!("/users/{camille}/events"))
        .await
        .parse_ok(StatusCode::OK);
    let audited = events
        .iter()
        .find(|e| e["action"] == "user.second_factor_reset")
        .unwrap_or_else(|| panic!("the reset is audited: {events:?}"));
    assert_eq!(audited["actor_email"], ADMIN);
    assert_eq!(audited["target"], CAMILLE);
    let security = security_actions(&portal).await;
    assert!(security
        .iter()
        .any(|e| e["action"] == "second_factor_reset" && e["actor_email"] == ADMIN));

    // Another account's administrator cannot reach the user.
    let other = portal.other_account().await;
    let stranger = portal.token_for("boss@other.example").await;
    enrol(&portal, &camille_token).await;
    portal
        .post(&stranger, &path, json!({}))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    portal
        .post(
            &portal.admin,
            &format!("/users/{}/second-factor/reset", other.user_id),
            json!({}),
        )
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert!(enabled(&portal, CAMILLE).await);
}

/// Everything SQLite keeps of the database: the file and its write-ahead log.
fn database_bytes(folder: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(folder.join("portal.sqlite")).unwrap();
    if let Ok(wal) = std::fs::read(folder.join("portal.sqlite-wal")) {
        bytes.extend(wal);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn the_database_holds_no_plain_second_factor_secret() {
    let folder = tempfile::tempdir().unwrap();
    let server = DemoServer::start(folder.path(), PortalConfig::default())
        .await
        .unwrap();
    let store = server.store().clone();
    let account = server.account.id;
    let camille = store
        .user_by_email(account, CAMILLE)
        .await
        .unwrap()
        .unwrap();
    let secret = totp::new_secret();
    store.begin_totp(camille.id, &secret).await.unwrap();
    let confirmed = store
        .confirm_totp(
            account,
            &Actor::system("test"),
            camille.id,
            &code_in(&secret, 0),
            totp::now_seconds(),
            totp::guess_limit(),
        )
        .await
        .unwrap();
    assert_eq!(confirmed, sxadmin_portal::store::TotpCheck::Accepted);
    assert_eq!(
        store.totp_secrets(camille.id).await.unwrap().1,
        Some(secret.clone())
    );
    assert!(!contains(&database_bytes(folder.path()), &secret));

    let url = server.database_url.clone();
    drop(store);
    drop(server);
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = ?")
        .bind(camille.id)
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(stored.starts_with("sealed1:"), "{stored}");
    assert!(!stored.contains(&secret));

    // A secret written in plain text before sealing existed is sealed at the next start.
    let old = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    sqlx::query("UPDATE users SET totp_secret = ? WHERE id = ?")
        .bind(old)
        .bind(camille.id)
        .execute(&raw)
        .await
        .unwrap();
    raw.close().await;
    let reopened = sxadmin_portal::open(&url).await.unwrap();
    assert_eq!(
        reopened
            .totp_secrets(camille.id)
            .await
            .unwrap()
            .1
            .as_deref(),
        Some(old)
    );
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    let stored: String = sqlx::query_scalar("SELECT totp_secret FROM users WHERE id = ?")
        .bind(camille.id)
        .fetch_one(&raw)
        .await
        .unwrap();
    assert!(
        stored.starts_with("sealed1:") && !stored.contains(old),
        "{stored}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(folder.path().join("portal.sqlite.key")).unwrap();
        assert_eq!(
            key.permissions().mode() & 0o777,
            0o600,
            "the key is the owner's only"
        );
    }
}

#[tokio::test]
async fn the_sign_in_page_refuses_the_code_that_confirmed_the_authenticator() {
    use crate::harness::{flow_of, Pkce};
    let portal = Portal::start().await;
    let token = portal.token_for(CAMILLE).await;
    let enrolment = portal.post(&token, "/me/totp", json!({})).await.json();
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    let seen = code_in(&secret, 0);
    portal
        .post(&token, "/me/totp/confirm", json!({ "code": seen }))
        .await
        .expect_status(StatusCode::NO_CONTENT);

    let email_page = portal.authorize(&Pkce::new("reuse"), "st").await;
    let second_factor = portal.complete_sign_in(&email_page, CAMILLE).await;
    second_factor.expect_page(StatusCode::OK, "action=\"/signin/totp\"");
    let flow = flow_of(&second_factor);
    let replayed = portal
        .submit("/signin/totp", &[("flow", &flow), ("code", &seen)])
        .await;
    replayed.expect_page(StatusCode::BAD_REQUEST, "action=\"/signin/totp\"");
    assert!(replayed.header("location").is_none());

    let accepted = portal
        .submit(
            "/signin/totp",
            &[("flow", &flow), ("code", &code_in(&secret, 30))],
        )
        .await;
    Portal::code_from_redirect(&accepted, "st");

    let events = security_actions(&portal).await;
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "sign_in.failed" && e["details"]["step"] == "second_factor"),
        "{events:?}"
    );
}

#[tokio::test]
async fn failed_sign_ins_and_lockouts_are_security_events() {
    use crate::harness::{wrong_code, Pkce};
    let portal = Portal::start_with(|config| {
        config.sign_in_limits.failures_per_address_per_day = 1;
    })
    .await;
    let email_page = portal.authorize(&Pkce::new("fail"), "st").await;
    let flow = portal.enter_email(&email_page, CAMILLE).await;
    let right = portal.latest_code(CAMILLE);
    portal
        .enter_code(&flow, &wrong_code(&right))
        .await
        .expect_page(StatusCode::BAD_REQUEST, "action=\"/signin/code\"");
    let events = security_actions(&portal).await;
    let failed = events
        .iter()
        .find(|e| e["action"] == "sign_in.failed")
        .unwrap_or_else(|| panic!("{events:?}"));
    assert_eq!(failed["target"], CAMILLE);
    assert_eq!(failed["details"]["email"], CAMILLE);
    assert_eq!(failed["details"]["step"], "code");

    // The address's limit is reached: the next try is refused and recorded as a lockout.
    let refused = portal.enter_code(&flow, &right).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.text
    );
    let events = security_actions(&portal).await;
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "sign_in.locked_out" && e["target"] == CAMILLE),
        "{events:?}"
    );
}
