//! The portal's own sign-in pages: one-time codes that resist guessing, a per-address limit
//! on failures, and the authenticator-app second factor.

use reqwest::StatusCode;
use serde_json::json;
use sxadmin_portal::totp;

use crate::harness::{wrong_code, Pkce, Portal, Reply, ADMIN, CAMILLE};

/// Starts a sign-in of `email` and returns the flow id once the code has been e-mailed.
async fn start_sign_in(portal: &Portal, email: &str) -> String {
    let email_page = portal.authorize(&Pkce::new("throttle"), "s").await;
    portal.enter_email(&email_page, email).await
}

fn retry_after(reply: &Reply) -> u64 {
    reply
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_one_time_code_allows_five_attempts() {
    let portal = Portal::start().await;
    let flow = start_sign_in(&portal, ADMIN).await;
    let right = portal.latest_code(ADMIN);
    let wrong = wrong_code(&right);

    for attempt in 1..=4 {
        let reply = portal.enter_code(&flow, &wrong).await;
        reply.expect_page(StatusCode::BAD_REQUEST, "That code is not right");
        assert!(
            reply
                .text
                .contains(&format!("{} attempt(s) left", 5 - attempt)),
            "{}",
            reply.text
        );
    }
    let fifth = portal.enter_code(&flow, &wrong).await;
    fifth.expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many attempts");

    let sixth = portal.enter_code(&flow, &right).await;
    sixth.expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many attempts");
    assert!(sixth.header("location").is_none(), "no code was issued");

    // A new sign-in sends a new code, which works.
    let email_page = portal.authorize(&Pkce::new("again"), "s").await;
    let redirect = portal.complete_sign_in(&email_page, ADMIN).await;
    Portal::code_from_redirect(&redirect, "s");
}

#[tokio::test]
async fn an_address_without_an_account_gets_the_same_pages_and_no_mail() {
    let portal = Portal::start().await;
    let flow = start_sign_in(&portal, "stranger@nowhere.example").await;
    assert_eq!(portal.messages_to("stranger@nowhere.example"), 0);
    let reply = portal.enter_code(&flow, "123456").await;
    reply.expect_page(StatusCode::BAD_REQUEST, "That code is not right");

    // Signed-in flows are single-use.
    let email_page = portal.authorize(&Pkce::new("once"), "s").await;
    let flow = portal.enter_email(&email_page, ADMIN).await;
    let code = portal.latest_code(ADMIN);
    let redirect = portal.enter_code(&flow, &code).await;
    Portal::code_from_redirect(&redirect, "s");
    portal
        .enter_code(&flow, &code)
        .await
        .expect_page(StatusCode::BAD_REQUEST, "Sign-in expired");
}

#[tokio::test]
async fn too_many_failed_sign_ins_lock_the_address_for_a_while() {
    let portal = Portal::start_with(|config| {
        config.sign_in_limits.failures_per_address_per_day = 3;
    })
    .await;
    let flow = start_sign_in(&portal, ADMIN).await;
    let right = portal.latest_code(ADMIN);
    let wrong = wrong_code(&right);

    for _ in 0..3 {
        portal
            .enter_code(&flow, &wrong)
            .await
            .expect_page(StatusCode::BAD_REQUEST, "That code is not right");
    }
    let locked = portal.enter_code(&flow, &right).await;
    locked.expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many failed sign-ins");
    assert!(retry_after(&locked) >= 1);
    assert!(locked.header("location").is_none());

    // A new sign-in of the same address is refused before a code is sent.
    let messages = portal.messages_to(ADMIN);
    let email_page = portal.authorize(&Pkce::new("next"), "s").await;
    let refused = portal
        .submit(
            "/signin/email",
            &[
                ("flow", &crate::harness::flow_of(&email_page)),
                ("email", ADMIN),
            ],
        )
        .await;
    refused.expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many failed sign-ins");
    assert!(retry_after(&refused) >= 1);
    assert_eq!(portal.messages_to(ADMIN), messages);

    // The limit is per address: the account's other users, and other accounts' users,
    // still sign in.
    let email_page = portal.authorize(&Pkce::new("camille"), "s").await;
    let redirect = portal.complete_sign_in(&email_page, CAMILLE).await;
    Portal::code_from_redirect(&redirect, "s");
    portal.other_account().await;
    let email_page = portal.authorize(&Pkce::new("other"), "s").await;
    let redirect = portal
        .complete_sign_in(&email_page, "bob@other.example")
        .await;
    Portal::code_from_redirect(&redirect, "s");
}

/// The current code of an authenticator app holding `secret`.
fn authenticator_code(secret: &str) -> String {
    totp::code_at(&totp::base32_decode(secret).unwrap(), totp::now_seconds())
}

/// A code no authenticator holding `secret` shows now or within a minute either side.
fn stale_code(secret: &str) -> String {
    let key = totp::base32_decode(secret).unwrap();
    let now = totp::now_seconds();
    let near: Vec<String> = (0..=4)
        .map(|step| totp::code_at(&key, now - 60 + step * 30))
        .collect();
    (0_u64..)
        .map(|n| format!("{:06}", n * 7919 % 1_000_000))
        .find(|candidate| !near.contains(candidate))
        .unwrap()
}

#[tokio::test]
async fn an_enrolled_second_factor_is_asked_for_at_sign_in() {
    let portal = Portal::start().await;
    let camille = portal.token_for(CAMILLE).await;

    let enrolment = portal.post(&camille, "/me/totp", json!({})).await;
    let enrolment = enrolment.json();
    let secret = enrolment["secret"].as_str().unwrap().to_owned();
    assert!(enrolment["otpauth_uri"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));

    // Until confirmed, the second factor is not asked for.
    let tokens = portal.sign_in(CAMILLE).await;
    assert_eq!(portal.me_status(&tokens.access).await, StatusCode::OK);

    portal
        .post(
            &camille,
            "/me/totp/confirm",
            json!({"code": stale_code(&secret)}),
        )
        .await
        .expect_error(StatusCode::FORBIDDEN, "forbidden");
    portal
        .post(
            &camille,
            "/me/totp/confirm",
            json!({"code": authenticator_code(&secret)}),
        )
        .await
        .expect_status(StatusCode::NO_CONTENT);

    let email_page = portal.authorize(&Pkce::new("totp"), "st").await;
    let second_factor = portal.complete_sign_in(&email_page, CAMILLE).await;
    second_factor.expect_page(StatusCode::OK, "action=\"/signin/totp\"");
    assert!(second_factor.header("location").is_none());
    let flow = crate::harness::flow_of(&second_factor);

    let refused = portal
        .submit(
            "/signin/totp",
            &[("flow", &flow), ("code", &stale_code(&secret))],
        )
        .await;
    refused.expect_page(StatusCode::BAD_REQUEST, "action=\"/signin/totp\"");
    assert!(refused.header("location").is_none());

    // The current code was spent confirming the enrolment; a code works once, so the
    // sign-in takes the next one (accepted, as clocks may drift by a step).
    let next = totp::code_at(
        &totp::base32_decode(&secret).unwrap(),
        totp::now_seconds() + 30,
    );
    let accepted = portal
        .submit("/signin/totp", &[("flow", &flow), ("code", &next)])
        .await;
    let code = Portal::code_from_redirect(&accepted, "st");
    let tokens = portal
        .exchange(&code, &Pkce::new("totp").verifier)
        .await
        .tokens(StatusCode::OK);
    assert_eq!(portal.me_status(&tokens.access).await, StatusCode::OK);

    // The one-time code alone no longer signs in: the second-factor step cannot be skipped.
    let email_page = portal.authorize(&Pkce::new("skip"), "s").await;
    let second_factor = portal.complete_sign_in(&email_page, CAMILLE).await;
    let flow = crate::harness::flow_of(&second_factor);
    portal
        .enter_code(&flow, &portal.latest_code(CAMILLE))
        .await
        .expect_page(StatusCode::BAD_REQUEST, "Sign-in expired");

    // An enabled factor cannot be swapped for another without its current code.
    portal
        .post(&camille, "/me/totp", json!({}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
}
