//! OAuth for native apps as the CLI and the desktop app use it: authorisation code with
//! PKCE and a loopback redirect, rotating refresh tokens, revocation and the device grant.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use sxadmin_core::Me;

use crate::harness::{
    flow_of, query_value, Pkce, Portal, Reply, ADMIN, CAMILLE, CLIENT_ID, DEVICE_GRANT,
    REDIRECT_URI,
};

#[tokio::test]
async fn the_authorization_code_flow_with_pkce_signs_a_user_in() {
    let portal = Portal::start().await;
    let pkce = Pkce::new("flow");

    let email_page = portal.authorize(&pkce, "xyz-state").await;
    email_page.expect_page(StatusCode::OK, "action=\"/signin/email\"");
    assert!(email_page
        .header("content-security-policy")
        .is_some_and(|csp| csp.contains("default-src 'none'")));

    let redirect = portal.complete_sign_in(&email_page, CAMILLE).await;
    let code = Portal::code_from_redirect(&redirect, "xyz-state");

    let answer = portal.exchange(&code, &pkce.verifier).await;
    let body = answer.json();
    assert_eq!(body["scope"], "admin");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    let tokens = answer.tokens(StatusCode::OK);
    assert_ne!(tokens.access, tokens.refresh);

    let me: Me = portal
        .get(&tokens.access, "/me")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(me.user.email, CAMILLE);

    let camille = portal.user_id(CAMILLE).await;
    let sign_ins: Vec<Value> = portal
        .get(&portal.admin, &format!("/users/{camille}/events"))
        .await
        .parse_ok(StatusCode::OK);
    let signed_in = sign_ins
        .iter()
        .find(|e| e["action"] == "user.signed_in")
        .expect("the sign-in is logged");
    assert_eq!(signed_in["client"], CLIENT_ID);
    assert_eq!(signed_in["actor_email"], CAMILLE);
}

#[tokio::test]
async fn pkce_is_checked_as_rfc_7636_defines_it() {
    let portal = Portal::start().await;
    // The example of RFC 7636, appendix B.
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    assert_eq!(
        pkce.challenge,
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );

    let email_page = portal.authorize(&pkce, "rfc").await;
    let redirect = portal.complete_sign_in(&email_page, ADMIN).await;
    let code = Portal::code_from_redirect(&redirect, "rfc");
    let tokens = portal
        .exchange(&code, &pkce.verifier)
        .await
        .tokens(StatusCode::OK);
    assert_eq!(portal.me_status(&tokens.access).await, StatusCode::OK);
}

#[tokio::test]
async fn a_code_exchanged_with_the_wrong_verifier_gives_nothing() {
    let portal = Portal::start().await;
    let pkce = Pkce::new("right");
    let email_page = portal.authorize(&pkce, "s").await;
    let redirect = portal.complete_sign_in(&email_page, ADMIN).await;
    let code = Portal::code_from_redirect(&redirect, "s");

    portal
        .exchange(&code, &Pkce::new("wrong").verifier)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // One try per code: the right verifier comes too late.
    portal
        .exchange(&code, &pkce.verifier)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    let missing_verifier = portal
        .token_endpoint(&[
            ("grant_type", "authorization_code"),
            ("code", "sxc_whatever"),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
        ])
        .await;
    missing_verifier.expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn a_code_is_bound_to_its_redirect_uri() {
    let portal = Portal::start().await;
    let pkce = Pkce::new("bound");
    let email_page = portal.authorize(&pkce, "s").await;
    let redirect = portal.complete_sign_in(&email_page, ADMIN).await;
    let code = Portal::code_from_redirect(&redirect, "s");

    portal
        .token_endpoint(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9999/elsewhere"),
            ("client_id", CLIENT_ID),
            ("code_verifier", &pkce.verifier),
        ])
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

fn authorize_with(redirect_uri: &str, pkce: &Pkce) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", redirect_uri.into()),
        ("code_challenge", pkce.challenge.clone()),
        ("code_challenge_method", "S256".into()),
        ("state", "s".into()),
    ]
}

#[tokio::test]
async fn redirects_off_this_computer_are_refused_without_redirecting() {
    let portal = Portal::start().await;
    let pkce = Pkce::new("evil");
    for redirect_uri in [
        "https://evil.example/cb",
        "http://localhost:1/cb",
        "http://127.0.0.1.evil.example/cb",
        "http://127.0.0.1:1234/cb#fragment",
        "",
    ] {
        let reply = Reply::read(
            portal
                .request(Method::GET, "/oauth/authorize")
                .query(&authorize_with(redirect_uri, &pkce)),
        )
        .await;
        reply.expect_page(StatusCode::BAD_REQUEST, "Sign-in refused");
        assert!(
            reply.header("location").is_none(),
            "{redirect_uri:?} must not be redirected to"
        );
        assert!(!reply.text.contains("name=\"flow\""));
    }

    let unknown_client = Reply::read(portal.request(Method::GET, "/oauth/authorize").query(&[
        ("response_type", "code"),
        ("client_id", "evil-app"),
        ("redirect_uri", REDIRECT_URI),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]))
    .await;
    unknown_client.expect_page(StatusCode::BAD_REQUEST, "Unknown application");
    assert!(unknown_client.header("location").is_none());
}

#[tokio::test]
async fn an_authorization_request_without_pkce_is_sent_back_with_invalid_request() {
    let portal = Portal::start().await;
    let pkce = Pkce::new("unused");
    let without_challenge: Vec<(&str, String)> = authorize_with(REDIRECT_URI, &pkce)
        .into_iter()
        .filter(|(key, _)| !key.starts_with("code_challenge"))
        .collect();
    let plain_method: Vec<(&str, String)> = authorize_with(REDIRECT_URI, &pkce)
        .into_iter()
        .map(|(key, value)| {
            if key == "code_challenge_method" {
                (key, "plain".to_owned())
            } else {
                (key, value)
            }
        })
        .collect();

    for query in [without_challenge, plain_method] {
        let reply = Reply::read(
            portal
                .request(Method::GET, "/oauth/authorize")
                .query(&query),
        )
        .await;
        assert!(reply.status.is_redirection(), "{}", reply.text);
        let location = reply.location();
        assert!(location.as_str().starts_with(REDIRECT_URI), "{location}");
        assert_eq!(
            query_value(&location, "error").as_deref(),
            Some("invalid_request")
        );
        assert_eq!(query_value(&location, "state").as_deref(), Some("s"));
        assert_eq!(query_value(&location, "code"), None);
    }
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_it_gave() {
    let portal = Portal::start().await;
    let pkce = Pkce::new("reuse");
    let email_page = portal.authorize(&pkce, "s").await;
    let redirect = portal.complete_sign_in(&email_page, ADMIN).await;
    let code = Portal::code_from_redirect(&redirect, "s");

    let tokens = portal
        .exchange(&code, &pkce.verifier)
        .await
        .tokens(StatusCode::OK);
    assert_eq!(portal.me_status(&tokens.access).await, StatusCode::OK);

    portal
        .exchange(&code, &pkce.verifier)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    portal
        .get(&tokens.access, "/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");
    portal
        .refresh(&tokens.refresh)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_replay_revokes_the_whole_sign_in() {
    let portal = Portal::start().await;
    let first = portal.sign_in(ADMIN).await;

    let second = portal.refresh(&first.refresh).await.tokens(StatusCode::OK);
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    assert_eq!(portal.me_status(&second.access).await, StatusCode::OK);
    let third = portal.refresh(&second.refresh).await.tokens(StatusCode::OK);
    assert_eq!(portal.me_status(&third.access).await, StatusCode::OK);

    // Someone replays the first refresh token: it was stolen, so the sign-in ends.
    portal
        .refresh(&first.refresh)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    for access in [&first.access, &second.access, &third.access] {
        assert_eq!(portal.me_status(access).await, StatusCode::UNAUTHORIZED);
    }
    portal
        .refresh(&third.refresh)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    // Another sign-in of the same user is a separate family and unaffected.
    let other = portal.sign_in(ADMIN).await;
    assert_eq!(portal.me_status(&other.access).await, StatusCode::OK);
    portal.refresh(&other.refresh).await.tokens(StatusCode::OK);
}

#[tokio::test]
async fn tokens_are_only_accepted_where_they_belong() {
    let portal = Portal::start().await;
    let tokens = portal.sign_in(ADMIN).await;

    // A refresh token is not a bearer token for the API.
    portal
        .get(&tokens.refresh, "/me")
        .await
        .expect_error(StatusCode::UNAUTHORIZED, "not_authenticated");
    // An access token cannot refresh.
    portal
        .refresh(&tokens.access)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    portal
        .token_endpoint(&[
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("username", ADMIN),
        ])
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    assert_eq!(portal.me_status(&tokens.access).await, StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_refresh_token_cannot_refresh() {
    let portal = Portal::start().await;
    let tokens = portal.sign_in(ADMIN).await;

    let revoked = portal
        .submit("/oauth/revoke", &[("token", &tokens.refresh)])
        .await;
    revoked.expect_status(StatusCode::OK);
    portal
        .refresh(&tokens.refresh)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        portal.me_status(&tokens.access).await,
        StatusCode::UNAUTHORIZED,
        "signing out ends the access token of the same sign-in too"
    );

    // Revoking an access token alone, or an unknown token, is answered the same way.
    let other = portal.sign_in(ADMIN).await;
    portal
        .submit("/oauth/revoke", &[("token", &other.access)])
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        portal.me_status(&other.access).await,
        StatusCode::UNAUTHORIZED
    );
    portal
        .submit("/oauth/revoke", &[("token", "sxr_never-issued")])
        .await
        .expect_status(StatusCode::OK);
}

async fn start_device(portal: &Portal) -> Value {
    let reply = portal
        .submit("/oauth/device_authorization", &[("client_id", CLIENT_ID)])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
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
async fn the_device_flow_signs_in_a_terminal_through_the_browser() {
    let portal = Portal::start().await;
    let device = start_device(&portal).await;
    let device_code = device["device_code"].as_str().unwrap();
    let user_code = device["user_code"].as_str().unwrap();
    assert_eq!(device["verification_uri"], format!("{}/device", portal.url));
    assert!(device["verification_uri_complete"]
        .as_str()
        .unwrap()
        .ends_with(user_code));

    poll(&portal, device_code)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "authorization_pending");

    let device_page = portal.page(&format!("/device?user_code={user_code}")).await;
    device_page.expect_page(StatusCode::OK, user_code);

    let unknown = portal
        .submit("/device", &[("user_code", "BBBB-BBBB")])
        .await;
    unknown.expect_page(StatusCode::BAD_REQUEST, "unknown or has expired");

    // People type the code in lower case and without the dash.
    let typed = user_code.replace('-', "").to_lowercase();
    let confirm = portal.submit("/device", &[("user_code", &typed)]).await;
    confirm.expect_page(StatusCode::OK, "action=\"/device/confirm\"");
    assert!(confirm.text.contains(user_code) && confirm.text.contains(CLIENT_ID));
    let email_page = portal
        .submit(
            "/device/confirm",
            &[("flow", &flow_of(&confirm)), ("answer", "confirm")],
        )
        .await;
    email_page.expect_page(StatusCode::OK, "action=\"/signin/email\"");
    let done = portal.complete_sign_in(&email_page, ADMIN).await;
    done.expect_page(StatusCode::OK, "You are signed in");
    assert!(done.header("location").is_none());

    let tokens = poll(&portal, device_code).await.tokens(StatusCode::OK);
    let me: Me = portal
        .get(&tokens.access, "/me")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(me.user.email, ADMIN);
    portal.refresh(&tokens.refresh).await.tokens(StatusCode::OK);

    // The device code gave its tokens once.
    poll(&portal, device_code)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "expired_token");
    // And its user code cannot be approved again.
    portal
        .submit("/device", &[("user_code", user_code)])
        .await
        .expect_page(StatusCode::BAD_REQUEST, "unknown or has expired");
}

#[tokio::test]
async fn polling_faster_than_the_interval_is_told_to_slow_down() {
    let portal = Portal::start_with(|config| {
        config.device_poll_interval = Duration::from_secs(5);
    })
    .await;
    let device = start_device(&portal).await;
    assert_eq!(device["interval"], 5);
    let device_code = device["device_code"].as_str().unwrap();

    poll(&portal, device_code)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "authorization_pending");
    poll(&portal, device_code)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "slow_down");
    poll(&portal, device_code)
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "slow_down");
}

#[tokio::test]
async fn unknown_clients_are_refused() {
    let portal = Portal::start().await;
    portal
        .submit("/oauth/device_authorization", &[("client_id", "evil-app")])
        .await
        .expect_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    portal
        .submit("/oauth/device_authorization", &[])
        .await
        .expect_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");

    let tokens = portal.sign_in(ADMIN).await;
    portal
        .token_endpoint(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &tokens.refresh),
            ("client_id", "evil-app"),
        ])
        .await
        .expect_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    portal.refresh(&tokens.refresh).await.tokens(StatusCode::OK);

    // A client that is known but not the one the tokens were issued to cannot use them.
    let desktop = portal.sign_in(ADMIN).await;
    portal
        .token_endpoint(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &desktop.refresh),
            ("client_id", "sxadmin-desktop"),
        ])
        .await
        .expect_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn the_metadata_document_describes_the_server() {
    let portal = Portal::start().await;
    let reply = portal.page("/.well-known/oauth-authorization-server").await;
    assert_eq!(reply.status, StatusCode::OK);
    let metadata = reply.json();
    assert_eq!(metadata["issuer"], portal.url);
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let grants: Vec<&str> = metadata["grant_types_supported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    for grant in ["authorization_code", "refresh_token", DEVICE_GRANT] {
        assert!(grants.contains(&grant), "{grant} in {grants:?}");
    }
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("revocation_endpoint", "/oauth/revoke"),
        (
            "device_authorization_endpoint",
            "/oauth/device_authorization",
        ),
    ] {
        assert_eq!(metadata[field], format!("{}{path}", portal.url));
    }
}
