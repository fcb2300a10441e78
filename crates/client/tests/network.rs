//! What the client refuses to do on the network: send a loopback portal's requests (and
//! their tokens, in clear) through a proxy, or follow a redirect from the token endpoint.
//! One test binary of its own, because it sets the proxy variables of the process.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sxadmin_client::{signin, PortalClient, PortalUrl};
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::DemoPortal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server that counts its connections and answers each with `answer`.
async fn counting_server(answer: String) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    (port, seen)
}

#[tokio::test]
async fn a_loopback_portal_is_reached_directly_and_redirects_are_not_followed() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let (proxy_port, proxy_seen) = counting_server(
        "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
    )
    .await;
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    for variable in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
    ] {
        std::env::set_var(variable, &proxy);
    }
    for variable in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(variable);
    }

    let client =
        PortalClient::new(PortalUrl::parse(&portal.url).unwrap(), &portal.admin_token).unwrap();
    let me = client.me().await.expect("the portal answers directly");
    assert_eq!(me.user.email, sxadmin_portal::demo::DEMO_ADMIN);
    assert_eq!(
        proxy_seen.load(Ordering::SeqCst),
        0,
        "a request to this computer went through the proxy"
    );

    // A token endpoint that answers with a redirect: the refresh token must not follow it.
    let (elsewhere_port, elsewhere_seen) = counting_server(
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}".into(),
    )
    .await;
    let (redirecting_port, _) = counting_server(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:{elsewhere_port}/steal\r\n\
         content-length: 0\r\nconnection: close\r\n\r\n"
    ))
    .await;
    let redirecting = PortalUrl::parse(&format!("http://127.0.0.1:{redirecting_port}")).unwrap();
    let refused = signin::refresh(&redirecting, "sxadmin-cli", "sxr_secret").await;
    assert!(refused.is_err());
    assert_eq!(
        elsewhere_seen.load(Ordering::SeqCst),
        0,
        "the refresh token followed a redirect"
    );
    assert_eq!(proxy_seen.load(Ordering::SeqCst), 0);
}
