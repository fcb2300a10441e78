//! Attacks on tokens: replaying a refresh token in a race, a rotation cut short, an old
//! personal token, and reaching into another user's sessions.

use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use sxadmin_core::{Session, SessionKind};
use sxadmin_portal::secrets;
use sxadmin_portal::store::{NewToken, RefreshUse, Successors, TokenKind};

use crate::harness::{Portal, Tokens, CAMILLE, CLIENT_ID, NOAH};

fn security_actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn two_concurrent_refreshes_with_one_token_give_one_success_and_revoke_the_family() {
    let portal = Portal::start().await;
    let tokens = portal.sign_in(CAMILLE).await;

    let (first, second) = tokio::join!(
        portal.refresh(&tokens.refresh),
        portal.refresh(&tokens.refresh)
    );
    let (won, lost) = match (first.status, second.status) {
        (StatusCode::OK, _) => (first, second),
        (_, StatusCode::OK) => (second, first),
        _ => panic!("one refresh succeeds: {} / {}", first.text, second.text),
    };
    lost.expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(lost.text.contains("already used"), "{}", lost.text);

    // The replay revoked the whole sign-in, the winner's new tokens included.
    let fresh = won.tokens(StatusCode::OK);
    assert_eq!(
        portal.me_status(&fresh.access).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        portal.me_status(&tokens.access).await,
        StatusCode::UNAUTHORIZED
    );
    portal
        .refresh(&fresh.refresh)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    let events: Vec<Value> = portal
        .get(&portal.admin, "/security-events")
        .await
        .parse_ok(StatusCode::OK);
    let replay = events
        .iter()
        .find(|e| e["action"] == "refresh_token.replayed")
        .unwrap_or_else(|| panic!("the replay is a security event: {events:?}"));
    assert_eq!(replay["target"], CAMILLE);
    assert_eq!(replay["client"], CLIENT_ID);
}

#[tokio::test]
async fn a_rotation_that_cannot_store_its_successors_leaves_the_old_token_live() {
    let portal = Portal::start().await;
    let tokens = portal.sign_in(CAMILLE).await;
    // A successor whose hash is already taken makes the rotation fail midway, as a crash
    // between spending and issuing would.
    let taken = secrets::hash(&tokens.access);
    let later = Utc::now() + Duration::minutes(5);
    let failed = portal
        .store
        .rotate_refresh_token(
            &secrets::hash(&tokens.refresh),
            CLIENT_ID,
            Utc::now(),
            &Successors {
                access_hash: &secrets::hash("fresh-access"),
                access_expires_at: later,
                refresh_hash: &taken,
                refresh_expires_at: later,
            },
        )
        .await;
    assert!(failed.is_err(), "the clashing successor is refused");

    // Nothing was spent: the refresh token still works, once.
    let renewed = portal.refresh(&tokens.refresh).await.tokens(StatusCode::OK);
    assert_eq!(portal.me_status(&renewed.access).await, StatusCode::OK);
    assert_eq!(
        portal.me_status("fresh-access").await,
        StatusCode::UNAUTHORIZED,
        "the successors of the failed rotation were not kept"
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_names_its_successors_family() {
    let portal = Portal::start().await;
    let tokens = portal.sign_in(CAMILLE).await;
    let later = Utc::now() + Duration::minutes(5);
    let used = portal
        .store
        .rotate_refresh_token(
            &secrets::hash(&tokens.refresh),
            CLIENT_ID,
            Utc::now(),
            &Successors {
                access_hash: &secrets::hash("a"),
                access_expires_at: later,
                refresh_hash: &secrets::hash("r"),
                refresh_expires_at: later,
            },
        )
        .await
        .unwrap();
    let RefreshUse::Fresh(owner) = used else {
        panic!("a first use is fresh: {used:?}");
    };
    assert_eq!(owner.user.email, CAMILLE);
    assert_eq!(portal.me_status("a").await, StatusCode::OK);
}

#[tokio::test]
async fn personal_tokens_expire_and_an_expired_one_is_refused() {
    let portal = Portal::start().await;
    let camille = portal.user_id(CAMILLE).await;

    let token = portal.token_for(CAMILLE).await;
    let sessions: Vec<Session> = portal
        .get(&token, "/me/sessions")
        .await
        .parse_ok(StatusCode::OK);
    let mine = sessions.iter().find(|s| s.current).unwrap();
    assert_eq!(mine.kind, SessionKind::PersonalToken);
    let lifetime = mine.expires_at.expect("a personal token expires") - Utc::now();
    assert!(
        lifetime > Duration::days(89) && lifetime <= Duration::days(90),
        "{lifetime}"
    );

    let short = sxadmin_portal::mint_personal_token_for(portal.store.as_ref(), CAMILLE, 1)
        .await
        .unwrap();
    assert_eq!(portal.me_status(&short).await, StatusCode::OK);
    assert!(
        sxadmin_portal::mint_personal_token_for(portal.store.as_ref(), CAMILLE, 0)
            .await
            .is_err(),
        "a token lives at least a day"
    );

    let expired = "sxp_expired-for-the-test";
    let family = "p-expired";
    portal
        .store
        .insert_token(&NewToken {
            hash: &secrets::hash(expired),
            user_id: camille,
            kind: TokenKind::Personal,
            client_id: "api-token",
            family: Some(family),
            expires_at: Some(Utc::now() - Duration::seconds(1)),
        })
        .await
        .unwrap();
    portal
        .get(expired, "/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");
    let sessions: Vec<Session> = portal
        .get(&token, "/me/sessions")
        .await
        .parse_ok(StatusCode::OK);
    assert!(
        sessions.iter().all(|s| s.id != family),
        "an expired token is no longer a session: {sessions:?}"
    );
}

async fn sessions_of(portal: &Portal, token: &str) -> Vec<Session> {
    portal
        .get(token, "/me/sessions")
        .await
        .parse_ok(StatusCode::OK)
}

#[tokio::test]
async fn a_user_lists_and_ends_their_own_sessions_and_no_one_elses() {
    let portal = Portal::start().await;
    let laptop: Tokens = portal.sign_in(CAMILLE).await;
    let phone: Tokens = portal.sign_in(CAMILLE).await;
    let script = portal.token_for(CAMILLE).await;
    let noah = portal.sign_in(NOAH).await;

    let listing = portal.get(&laptop.access, "/me/sessions").await;
    let sessions: Vec<Session> = listing.parse_ok(StatusCode::OK);
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    for secret in [
        &laptop.access,
        &laptop.refresh,
        &phone.access,
        &phone.refresh,
        &script,
    ] {
        assert!(!listing.text.contains(secret.as_str()), "no token is shown");
        assert!(
            !listing.text.contains(&secrets::hash(secret)),
            "nor its hash"
        );
    }
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    assert_eq!(
        sessions
            .iter()
            .filter(|s| s.kind == SessionKind::SignIn && s.client == CLIENT_ID)
            .count(),
        2
    );
    let personal = sessions
        .iter()
        .find(|s| s.kind == SessionKind::PersonalToken)
        .unwrap();
    assert_eq!(personal.client, "api-token");
    let current = sessions.iter().find(|s| s.current).unwrap();
    assert!(current.last_used_at.is_some(), "listing used the session");
    assert!(current.expires_at.is_some_and(|at| at > Utc::now()));

    // Ending the phone's sign-in: its access and refresh tokens stop at once.
    let phone_id = sessions_of(&portal, &phone.access)
        .await
        .into_iter()
        .find(|s| s.current)
        .unwrap()
        .id;
    portal
        .delete(&laptop.access, &format!("/me/sessions/{phone_id}"))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    assert_eq!(
        portal.me_status(&phone.access).await,
        StatusCode::UNAUTHORIZED
    );
    portal
        .refresh(&phone.refresh)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(portal.me_status(&laptop.access).await, StatusCode::OK);

    // Ending the personal token.
    portal
        .delete(&laptop.access, &format!("/me/sessions/{}", personal.id))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    assert_eq!(portal.me_status(&script).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions_of(&portal, &laptop.access).await.len(), 1);

    // Another user's session id is not found, and their session lives on.
    let noah_id = sessions_of(&portal, &noah.access).await[0].id.clone();
    portal
        .delete(&laptop.access, &format!("/me/sessions/{noah_id}"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    portal
        .delete(&portal.admin, &format!("/me/sessions/{noah_id}"))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(portal.me_status(&noah.access).await, StatusCode::OK);
    portal
        .delete(&laptop.access, "/me/sessions/no-such-session")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    portal
        .get("not-a-token", "/me/sessions")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");

    let events: Vec<Value> = portal
        .get(&portal.admin, "/security-events")
        .await
        .parse_ok(StatusCode::OK);
    let ended = security_actions(&events)
        .iter()
        .filter(|a| *a == "session.revoked")
        .count();
    assert_eq!(ended, 2, "{events:?}");
}
