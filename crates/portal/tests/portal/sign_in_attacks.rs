//! The sign-in pages under attack: one test per way in. Restarting a flow to get fresh
//! tries, guessing in parallel, flooding an address with codes, locking an account out
//! through one of its addresses, posting forms from another site or browser, pushing a
//! victim into someone else's device sign-in, and capturing an address shared by accounts.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sxadmin_core::{Me, NewUser};
use sxadmin_portal::store::Actor;
use sxadmin_portal::PortalConfig;
use tokio::task::JoinSet;

use crate::harness::{
    flow_of, wrong_code, Pkce, Portal, Reply, ADMIN, CAMILLE, CLIENT_ID, DEVICE_GRANT, LEA, NOAH,
};

const STRANGER: &str = "stranger@nowhere.example";

/// Starts a sign-in of `email` and returns the flow id once the code has been e-mailed.
async fn start_sign_in(portal: &Portal, email: &str) -> String {
    let email_page = portal.authorize(&Pkce::new("attack"), "s").await;
    portal.enter_email(&email_page, email).await
}

/// Posts the e-mail form of a new flow for `email`.
async fn ask_code(portal: &Portal, email: &str) -> Reply {
    let email_page = portal.authorize(&Pkce::new("ask"), "s").await;
    portal
        .submit(
            "/signin/email",
            &[("flow", &flow_of(&email_page)), ("email", email)],
        )
        .await
}

#[tokio::test]
async fn re_posting_the_e_mail_form_cannot_restart_a_flow() {
    let portal = Portal::start().await;
    let flow = start_sign_in(&portal, ADMIN).await;
    let right = portal.latest_code(ADMIN);
    let wrong = wrong_code(&right);
    for _ in 0..4 {
        portal
            .enter_code(&flow, &wrong)
            .await
            .expect_page(StatusCode::BAD_REQUEST, "That code is not right");
    }

    // Back to the e-mail form, for the same address or another: no new code, no new tries.
    for email in [ADMIN, CAMILLE] {
        portal
            .submit("/signin/email", &[("flow", &flow), ("email", email)])
            .await
            .expect_page(StatusCode::BAD_REQUEST, "Sign-in expired");
    }
    assert_eq!(portal.messages_to(ADMIN), 1);
    assert_eq!(portal.messages_to(CAMILLE), 0);
    portal
        .enter_code(&flow, &wrong)
        .await
        .expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many attempts");
    let spent = portal.enter_code(&flow, &right).await;
    spent.expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many attempts");
    assert!(spent.header("location").is_none());
}

/// Sends `count` wrong codes for `flow` at once; returns how many were judged wrong (400)
/// and how many refused (429).
async fn guess_in_parallel(
    portal: &Portal,
    flow: &str,
    wrong: &str,
    count: usize,
) -> (usize, usize) {
    let mut guesses = JoinSet::new();
    for _ in 0..count {
        let request = portal.form_post("/signin/code", &[("flow", flow), ("code", wrong)]);
        guesses.spawn(Reply::read(request));
    }
    let (mut judged, mut refused) = (0, 0);
    while let Some(reply) = guesses.join_next().await {
        let reply = reply.unwrap();
        match reply.status {
            StatusCode::BAD_REQUEST => {
                assert!(
                    reply.text.contains("That code is not right"),
                    "{}",
                    reply.text
                );
                judged += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    (judged, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_guesses_each_spend_a_try() {
    let portal = Portal::start_with(|config| {
        config.sign_in_limits.failures_per_address_per_day = 7;
    })
    .await;
    let flow = start_sign_in(&portal, ADMIN).await;
    let right = portal.latest_code(ADMIN);
    let wrong = wrong_code(&right);

    // Twenty at once: the code's five tries are taken one by one; the fifth wrong answer
    // already says the code is spent, the fifteen after it are refused unjudged.
    let (judged, refused) = guess_in_parallel(&portal, &flow, &wrong, 20).await;
    assert_eq!((judged, refused), (4, 16));
    portal
        .enter_code(&flow, &right)
        .await
        .expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many attempts");

    // The address's daily budget holds under parallel guesses too: 7 - 5 = 2 tries left.
    let flow = start_sign_in(&portal, ADMIN).await;
    let right = portal.latest_code(ADMIN);
    let (judged, refused) = guess_in_parallel(&portal, &flow, &wrong_code(&right), 20).await;
    assert_eq!((judged, refused), (2, 18));
    portal
        .enter_code(&flow, &right)
        .await
        .expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many failed sign-ins");
}

#[tokio::test]
async fn codes_sent_to_one_address_are_capped_per_hour() {
    let portal = Portal::start().await;
    let cap = PortalConfig::default()
        .sign_in_limits
        .codes_per_address_per_hour;
    for _ in 0..cap {
        start_sign_in(&portal, ADMIN).await;
        start_sign_in(&portal, STRANGER).await;
    }
    assert_eq!(portal.messages_to(ADMIN), cap as usize);

    // One more is refused, with or without an account behind the address, alike.
    for email in [ADMIN, STRANGER] {
        let refused = ask_code(&portal, email).await;
        refused.expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many codes were sent");
        let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=3600).contains(&wait), "{wait}");
    }
    assert_eq!(portal.messages_to(ADMIN), cap as usize);
    assert_eq!(portal.messages_to(STRANGER), 0);

    // Other addresses still get theirs.
    start_sign_in(&portal, CAMILLE).await;
    assert_eq!(portal.messages_to(CAMILLE), 1);
}

#[tokio::test]
async fn codes_asked_for_from_one_client_address_are_capped_per_hour() {
    let portal = Portal::start_with(|config| {
        config.sign_in_limits.codes_per_client_per_hour = 3;
    })
    .await;
    for email in [ADMIN, CAMILLE, NOAH] {
        start_sign_in(&portal, email).await;
    }
    let refused = ask_code(&portal, LEA).await;
    refused.expect_page(StatusCode::TOO_MANY_REQUESTS, "from your network");
    assert!(refused.header("retry-after").is_some());
    assert_eq!(portal.messages_to(LEA), 0);
}

#[test]
fn guessing_one_address_s_code_within_a_month_has_under_a_tenth_of_a_percent_chance() {
    let config = PortalConfig::default();
    let limits = config.sign_in_limits;
    let tries_per_code = u64::from(config.code_attempts);
    // Tries a day are bounded by the codes an address is sent times the tries of each, and
    // by the wrong codes it accepts a day; a month is at most 31 days.
    let by_codes = u64::from(limits.codes_per_address_per_hour) * 24 * tries_per_code;
    let tries_per_day = by_codes.min(u64::from(limits.failures_per_address_per_day));
    let tries_per_month = tries_per_day * 31;
    // Each try hits with a chance of at most 1 in the 10^6 codes less those already tried.
    let chance = tries_per_month as f64 / (1_000_000.0 - (tries_per_code - 1) as f64);
    assert!(
        chance < 0.001,
        "{tries_per_month} tries a month give a {chance} chance"
    );
    assert_eq!(limits.monthly_guess_chance(config.code_attempts), chance);
}

#[tokio::test]
async fn one_address_s_failures_do_not_lock_out_the_account_s_other_users() {
    let portal = Portal::start_with(|config| {
        config.sign_in_limits.failures_per_address_per_day = 5;
    })
    .await;
    // Someone who knows the administrator's address spends its failures.
    let flow = start_sign_in(&portal, ADMIN).await;
    let wrong = wrong_code(&portal.latest_code(ADMIN));
    for _ in 0..5 {
        portal.enter_code(&flow, &wrong).await;
    }
    ask_code(&portal, ADMIN)
        .await
        .expect_page(StatusCode::TOO_MANY_REQUESTS, "Too many failed sign-ins");

    // The account's other users sign in as usual, from the same network even.
    for email in [CAMILLE, NOAH] {
        let email_page = portal.authorize(&Pkce::new(email), "s").await;
        let redirect = portal.complete_sign_in(&email_page, email).await;
        Portal::code_from_redirect(&redirect, "s");
    }
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let portal = Portal::start().await;
    let email_page = portal.authorize(&Pkce::new("csrf"), "s").await;
    let flow = flow_of(&email_page);
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let request = portal
            .request(Method::POST, "/signin/email")
            .header(name, value)
            .form(&[("flow", flow.as_str()), ("email", ADMIN)]);
        portal
            .browse(request)
            .await
            .expect_page(StatusCode::FORBIDDEN, "another site");
    }
    assert_eq!(portal.messages_to(ADMIN), 0);

    // A page elsewhere cannot start a device sign-in in the visitor's browser either.
    let device = start_device(&portal).await;
    let request = portal
        .request(Method::POST, "/device")
        .header("origin", "https://evil.example")
        .form(&[("user_code", device["user_code"].as_str().unwrap())]);
    portal
        .browse(request)
        .await
        .expect_page(StatusCode::FORBIDDEN, "another site");

    // The same form from the portal's own page goes through.
    portal.enter_email(&email_page, ADMIN).await;
    assert_eq!(portal.messages_to(ADMIN), 1);
}

#[tokio::test]
async fn a_flow_posted_without_its_browser_s_cookie_is_refused() {
    let portal = Portal::start().await;
    let email_page = portal.authorize(&Pkce::new("cookie"), "s").await;
    let cookie = email_page.header("set-cookie").unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let flow = flow_of(&email_page);

    // Another browser holding the flow id (without the cookie, or with its own) gets nothing.
    let bare = |path: &str, fields: &[(&str, &str)]| {
        portal
            .request(Method::POST, path)
            .header("origin", &portal.url)
            .form(fields)
    };
    for request in [
        bare("/signin/email", &[("flow", &flow), ("email", ADMIN)]),
        bare("/signin/email", &[("flow", &flow), ("email", ADMIN)])
            .header("cookie", "sxadmin_signin=another-browser-s-own-flow-cookie"),
    ] {
        Reply::read(request)
            .await
            .expect_page(StatusCode::FORBIDDEN, "another browser");
    }
    assert_eq!(portal.messages_to(ADMIN), 0);

    // Every later post of the flow needs it too.
    portal.enter_email(&email_page, ADMIN).await;
    let code = portal.latest_code(ADMIN);
    Reply::read(bare("/signin/code", &[("flow", &flow), ("code", &code)]))
        .await
        .expect_page(StatusCode::FORBIDDEN, "another browser");
    let redirect = portal.enter_code(&flow, &code).await;
    Portal::code_from_redirect(&redirect, "s");
}

async fn start_device(portal: &Portal) -> Value {
    portal
        .submit("/oauth/device_authorization", &[("client_id", CLIENT_ID)])
        .await
        .json()
}

async fn poll(portal: &Portal, device_code: &str) -> Reply {
    portal
        .token_endpoint(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", CLIENT_ID),
        ])
        .await
}

#[tokio::test]
async fn a_device_is_approved_only_once_its_application_and_code_are_confirmed() {
    let portal = Portal::start().await;
    let device = start_device(&portal).await;
    let device_code = device["device_code"].as_str().unwrap();
    let user_code = device["user_code"].as_str().unwrap();

    // The code leads to a confirmation naming the application and its code, not a sign-in.
    let confirm = portal.submit("/device", &[("user_code", user_code)]).await;
    confirm.expect_page(StatusCode::OK, "action=\"/device/confirm\"");
    for shown in [user_code, CLIENT_ID, "command line", "do not continue"] {
        assert!(confirm.text.contains(shown), "{shown}: {}", confirm.text);
    }
    assert!(!confirm.text.contains("action=\"/signin/email\""));
    let flow = flow_of(&confirm);

    // Its e-mail form cannot be posted before the confirmation, nor confirmed elsewhere.
    portal
        .submit("/signin/email", &[("flow", &flow), ("email", ADMIN)])
        .await
        .expect_page(StatusCode::BAD_REQUEST, "Sign-in expired");
    assert_eq!(portal.messages_to(ADMIN), 0);
    let elsewhere = portal
        .request(Method::POST, "/device/confirm")
        .header("origin", &portal.url)
        .form(&[("flow", flow.as_str()), ("answer", "confirm")]);
    Reply::read(elsewhere)
        .await
        .expect_page(StatusCode::FORBIDDEN, "another browser");

    // "No" ends it.
    portal
        .submit("/device/confirm", &[("flow", &flow), ("answer", "cancel")])
        .await
        .expect_page(StatusCode::OK, "Sign-in cancelled");
    portal
        .submit("/device/confirm", &[("flow", &flow), ("answer", "confirm")])
        .await
        .expect_page(StatusCode::BAD_REQUEST, "Sign-in expired");
    poll(&portal, device_code)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "authorization_pending");

    // "Yes" goes on to the sign-in, whose e-mail says what the code is for.
    let confirm = portal.submit("/device", &[("user_code", user_code)]).await;
    let email_page = portal
        .submit(
            "/device/confirm",
            &[("flow", &flow_of(&confirm)), ("answer", "confirm")],
        )
        .await;
    email_page.expect_page(StatusCode::OK, "action=\"/signin/email\"");
    let done = portal.complete_sign_in(&email_page, ADMIN).await;
    done.expect_page(StatusCode::OK, "You are signed in");
    assert!(done.text.contains(user_code), "{}", done.text);
    let message = portal.latest_message(ADMIN);
    for said in [
        portal.url.as_str(),
        CLIENT_ID,
        user_code,
        "ignore this message",
    ] {
        assert!(message.contains(said), "{said}: {message}");
    }
    poll(&portal, device_code).await.tokens(StatusCode::OK);
}

#[tokio::test]
async fn an_address_in_several_accounts_chooses_the_account_it_signs_in_to() {
    const SHARED: &str = "bob@other.example";
    let portal = Portal::start().await;
    portal.other_account().await;
    // The demo account, older, has a user with the same address.
    let store = portal.store.as_ref();
    let actor = Actor::system("test");
    let demo = portal.account.id;
    let domain = store
        .request_domain(demo, &actor, "other.example", "demo-token")
        .await
        .unwrap();
    store.approve_domain(demo, &actor, domain.id).await.unwrap();
    store
        .create_user(
            demo,
            &actor,
            &NewUser {
                email: SHARED.into(),
                first_name: "Bob".into(),
                last_name: "Demo".into(),
                ..NewUser::default()
            },
        )
        .await
        .unwrap();
    let other = store.account_by_name("Other Ltd.").await.unwrap().unwrap();
    assert!(demo < other.id, "the demo account is the older one");

    // After the code, the person is asked; the oldest account is not chosen for them.
    let pkce = Pkce::new("choose");
    let email_page = portal.authorize(&pkce, "s").await;
    let chooser = portal.complete_sign_in(&email_page, SHARED).await;
    chooser.expect_page(StatusCode::OK, "action=\"/signin/account\"");
    assert!(chooser.header("location").is_none());
    for name in ["Demo Inc.", "Other Ltd."] {
        assert!(chooser.text.contains(name), "{name}: {}", chooser.text);
    }
    let flow = flow_of(&chooser);

    // An account the address is not in cannot be chosen.
    portal
        .submit("/signin/account", &[("flow", &flow), ("account", "999999")])
        .await
        .expect_page(StatusCode::BAD_REQUEST, "Sign-in refused");

    let redirect = portal
        .submit(
            "/signin/account",
            &[("flow", &flow), ("account", &other.id.to_string())],
        )
        .await;
    let code = Portal::code_from_redirect(&redirect, "s");
    let tokens = portal
        .exchange(&code, &pkce.verifier)
        .await
        .tokens(StatusCode::OK);
    let me: Me = portal
        .get(&tokens.access, "/me")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(me.account.name, "Other Ltd.");
    assert_eq!(me.user.email, SHARED);
}
