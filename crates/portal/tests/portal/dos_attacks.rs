//! Attacks on the portal's memory and availability, one at a time: rate limits per client
//! address and per signed-in user, length limits, caps, the sweep, and requests meant for
//! another host (DNS rebinding).

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use sxadmin_portal::{MemoryCaps, PortalConfig, RateLimit};

use crate::flood::{invented_token, Server};
use crate::harness::{Pkce, Portal, ADMIN, CAMILLE, CLIENT_ID};

const THREE_AT_ONCE: RateLimit = RateLimit {
    per_second: 0.001,
    burst: 3,
};

#[tokio::test]
async fn sign_in_routes_are_rate_limited_per_client_address() {
    let portal = Server::start(PortalConfig {
        sign_in_rate: THREE_AT_ONCE,
        trust_forwarded_for: true,
        ..PortalConfig::default()
    })
    .await;
    let from = |ip: &str, request: reqwest::RequestBuilder| request.header("x-forwarded-for", ip);
    for i in 0..3 {
        let response = from("203.0.113.1", portal.authorize(&format!("state-{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    // The page a person sees says to wait, and for how long.
    let refused = from("203.0.113.1", portal.authorize("state-3"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert!(refused.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    // Every sign-in route shares the address's allowance; programs get the OAuth shape.
    let refused = from("203.0.113.1", portal.device_authorization())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    for path in ["/signin/email", "/signin/code", "/device", "/oauth/token"] {
        let refused = from(
            "203.0.113.1",
            portal.http.post(portal.url(path)).form(&[("flow", "x")]),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
    }
    // Another address is not affected.
    let other = from("203.0.113.2", portal.authorize("state-0"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    // Nor are the pages outside sign-in.
    let home = portal.http.get(portal.url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_forwarded_for_header_is_not_believed_unless_configured() {
    let portal = Server::start(PortalConfig {
        sign_in_rate: THREE_AT_ONCE,
        ..PortalConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..4 {
        let response = portal
            .authorize("state")
            .header("x-forwarded-for", format!("203.0.113.{i}"))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "a made-up address does not buy a new allowance"
    );
}

#[tokio::test]
async fn over_long_values_are_refused_before_they_are_stored() {
    let portal = Server::start(PortalConfig::default()).await;
    let flows = || portal.server.state().memory().sign_in.flows;

    let refused = portal
        .authorize(&"s".repeat(3 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("state is too long"));
    let refused = portal.authorize(&"s".repeat(513)).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(flows(), 0, "nothing was stored");
    let accepted = portal.authorize(&"s".repeat(512)).send().await.unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_eq!(flows(), 1);

    let long_client = portal
        .http
        .post(portal.url("/oauth/device_authorization"))
        .form(&[("client_id", "c".repeat(65))])
        .send()
        .await
        .unwrap();
    assert_eq!(long_client.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = long_client.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(portal.server.state().memory().sign_in.devices, 0);

    for (path, field, length) in [
        ("/signin/email", "email", 600),
        ("/device", "user_code", 33),
        ("/signin/code", "flow", 129),
    ] {
        let refused = portal
            .http
            .post(portal.url(path))
            .header("origin", &portal.server.url)
            .form(&[(field, "x".repeat(length))])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(refused.text().await.unwrap().contains("too long"), "{path}");
    }
    // A form too big as a whole is refused too.
    let huge = portal
        .http
        .post(portal.url("/signin/email"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("a=b&".repeat(5_000))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn invented_tokens_count_against_their_address_not_new_buckets() {
    let portal = Server::start(PortalConfig {
        api_rate: RateLimit {
            per_second: 0.001,
            burst: 5,
        },
        ..PortalConfig::default()
    })
    .await;
    let user = format!("Bearer {}", portal.server.token_for(CAMILLE).await.unwrap());
    let mut statuses = Vec::new();
    for i in 0..6 {
        let response = portal
            .me(&format!("Bearer {}", invented_token(i)))
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(statuses[5], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        portal.server.state().memory().api_buckets,
        1,
        "one bucket for the address, not one per token"
    );
    // The signed-in user at the same address has an allowance of their own.
    assert_eq!(
        portal.me(&user).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_spelling_of_bearer_does_not_buy_a_fresh_allowance() {
    let portal = Server::start(PortalConfig {
        api_rate: RateLimit {
            per_second: 0.001,
            burst: 4,
        },
        ..PortalConfig::default()
    })
    .await;
    let token = portal.server.token_for(CAMILLE).await.unwrap();
    let other = portal.server.token_for(CAMILLE).await.unwrap();
    let mut statuses = Vec::new();
    for header in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("Bearer {other}"),
        format!("bEaReR {token}"),
        format!("Bearer  {other} "),
    ] {
        statuses.push(portal.me(&header).send().await.unwrap().status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS,
        ],
        "the user's requests share one allowance, whatever the token or its spelling"
    );
}

#[tokio::test]
async fn a_full_map_refuses_new_sign_ins_and_keeps_those_in_progress() {
    let portal = Portal::start_with(|config| {
        config.caps = MemoryCaps {
            flows: 2,
            ..MemoryCaps::default()
        };
    })
    .await;
    let other = portal.authorize(&Pkce::new("other"), "other").await;
    other.expect_status(StatusCode::OK);
    let pkce = Pkce::new("mine");
    let mine = portal.authorize(&pkce, "mine").await;
    mine.expect_status(StatusCode::OK);

    let refused = portal.authorize(&Pkce::new("third"), "third").await;
    refused.expect_page(StatusCode::SERVICE_UNAVAILABLE, "busy");
    assert!(refused.header("retry-after").is_some());
    // Each map has its own cap: device sign-ins still start.
    portal
        .submit("/oauth/device_authorization", &[("client_id", CLIENT_ID)])
        .await
        .expect_status(StatusCode::OK);

    // The sign-in that was under way when the map filled up still completes.
    let redirect = portal.complete_sign_in(&mine, ADMIN).await;
    let code = Portal::code_from_redirect(&redirect, "mine");
    portal
        .exchange(&code, &pkce.verifier)
        .await
        .tokens(StatusCode::OK);
}

#[tokio::test]
async fn expired_entries_are_swept_from_every_map() {
    let portal = Server::start(PortalConfig::default()).await;
    for i in 0..3 {
        let page = portal.authorize(&format!("s{i}")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let device = portal.device_authorization().send().await.unwrap();
        assert_eq!(device.status(), StatusCode::OK);
    }
    portal
        .me(&format!("Bearer {}", invented_token(1)))
        .send()
        .await
        .unwrap();
    let state = portal.server.state();
    let before = state.memory();
    assert_eq!(
        (before.sign_in.flows, before.sign_in.devices),
        (3, 3),
        "{before:?}"
    );
    assert_eq!(before.api_buckets, 1);
    assert_eq!(before.sign_in_buckets, 1);

    // Nothing is due yet: a sweep now keeps everything alive.
    state.sweep(Instant::now());
    assert_eq!(state.memory().sign_in, before.sign_in);

    state.sweep(Instant::now() + Duration::from_secs(3 * 3600));
    let after = state.memory();
    assert_eq!(after, sxadmin_portal::MemoryUse::default(), "{after:?}");
}

#[tokio::test]
async fn the_timer_sweeps_while_the_portal_runs() {
    let portal = Server::start(PortalConfig {
        device_code_ttl: Duration::from_millis(1),
        sweep_interval: Duration::from_millis(20),
        ..PortalConfig::default()
    })
    .await;
    let device = portal.device_authorization().send().await.unwrap();
    assert_eq!(device.status(), StatusCode::OK);
    // Wait for the timer, up to ten seconds.
    let deadline = Instant::now() + Duration::from_secs(10);
    while portal.server.state().memory().sign_in.devices > 0 {
        assert!(
            Instant::now() < deadline,
            "the timer removed the expired device code"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn requests_for_another_host_are_refused() {
    let portal = Portal::start().await;
    let port = url::Url::parse(&portal.url).unwrap().port().unwrap();
    let with_host = |path: &str, host: &str| {
        portal
            .request(Method::GET, path)
            .header("host", host.to_owned())
    };
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let response = with_host("/", &host).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
    for host in [
        format!("rebound.evil.example:{port}"),
        "rebound.evil.example".to_owned(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("localhost.evil.example:{port}"),
    ] {
        for path in ["/", "/api/v1/me", "/oauth/authorize"] {
            let response = with_host(path, &host)
                .bearer_auth(&portal.admin)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{host} {path}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["code"], "invalid_input", "{host} {path}");
        }
    }
}
