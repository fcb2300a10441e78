//! The client library against the real portal server on a loopback port.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sxadmin_client::core::{BatchItem, BatchOperation, BatchOutcome, ErrorCode, NewUser};
use sxadmin_client::{ClientError, PortalClient, PortalUrl, UserListQuery};
use sxadmin_tests::portal::DemoPortal;

struct Harness {
    _portal: DemoPortal,
    url: PortalUrl,
    admin_token: String,
}

async fn start_portal() -> Harness {
    let portal = DemoPortal::start(Default::default()).await;
    Harness {
        url: PortalUrl::parse(&portal.url).unwrap(),
        admin_token: portal.admin_token.clone(),
        _portal: portal,
    }
}

#[tokio::test]
async fn reads_the_account_and_pages_through_users() {
    let portal = start_portal().await;
    let client = PortalClient::new(portal.url.clone(), portal.admin_token.clone()).unwrap();
    let me = client.me().await.unwrap();
    assert_eq!(me.account.name, "Demo Inc.");
    assert_eq!(me.user.email, "admin@demo.example");

    let first = client
        .list_users(&UserListQuery {
            limit: Some(4),
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(first.total, 6);
    assert_eq!(first.items.len(), 4);
    let rest = client
        .list_users(&UserListQuery {
            limit: Some(4),
            cursor: first.next_cursor.clone(),
            ..UserListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    assert!(rest.next_cursor.is_none());
    let pool = client.licence_pool().await.unwrap();
    assert_eq!(
        pool.tiers.iter().map(|t| t.available).collect::<Vec<_>>(),
        vec![10, 5, 2]
    );
}

#[tokio::test]
async fn portal_refusals_arrive_with_their_codes() {
    let portal = start_portal().await;
    let client = PortalClient::new(portal.url.clone(), portal.admin_token.clone()).unwrap();
    let refused = client
        .create_user(&NewUser {
            email: "someone@unapproved.example".into(),
            ..NewUser::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "domain_not_approved");
    assert!(refused.to_string().contains("unapproved.example"));

    let missing = client.lookup_user("nobody@demo.example").await.unwrap_err();
    assert_eq!(missing.portal_code(), Some(ErrorCode::NotFound));

    let stranger = PortalClient::new(portal.url.clone(), "sxp_not-a-token").unwrap();
    let error = stranger.me().await.unwrap_err();
    assert!(matches!(error, ClientError::Portal { status: 401, .. }));
    assert_eq!(error.code(), "not_authenticated");
    assert!(!format!("{stranger:?}").contains("sxp_not-a-token"));
}

#[tokio::test]
async fn a_retried_batch_creates_nothing_twice() {
    let portal = start_portal().await;
    let client = PortalClient::new(portal.url.clone(), portal.admin_token.clone()).unwrap();
    let items = vec![BatchItem {
        idempotency_key: "row-2".into(),
        operation: BatchOperation::Create(NewUser {
            email: "new.person@demo.example".into(),
            ..NewUser::default()
        }),
    }];
    let first = client.apply_batch(items.clone()).await.unwrap();
    assert_eq!(first.results[0].outcome, BatchOutcome::Created);
    let again = client.apply_batch(items).await.unwrap();
    assert!(again.results[0].replayed);
    let listed = client.list_users(&UserListQuery::default()).await.unwrap();
    assert_eq!(listed.total, 7);
}

#[tokio::test]
async fn an_unreachable_portal_is_a_network_error() {
    // A port that was just free: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = PortalUrl::parse(&format!("http://{addr}")).unwrap();
    let client =
        PortalClient::new(url, "token")
            .unwrap()
            .with_retry_policy(sxadmin_client::RetryPolicy {
                attempts: 3,
                first_delay: std::time::Duration::from_millis(5),
                ..sxadmin_client::RetryPolicy::default()
            });
    let error = client.me().await.unwrap_err();
    assert_eq!(error.code(), "network");
    assert!(!error.to_string().contains("token"));
}
