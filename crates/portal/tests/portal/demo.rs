//! The demo portal as the desktop and the command line start it: from a folder, seeded
//! once, kept across restarts.

use reqwest::StatusCode;
use sxadmin_core::{Me, NewUser};
use sxadmin_portal::demo::{demo_config, DEMO_ADMIN};
use sxadmin_portal::store::Actor;
use sxadmin_portal::{DemoServer, PortalConfig};

async fn get_me(server: &DemoServer, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/api/v1/me", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_demo_is_seeded_once_and_kept_across_restarts() {
    let folder = tempfile::tempdir().unwrap();
    let first = DemoServer::start(folder.path(), demo_config())
        .await
        .unwrap();
    assert!(first.created);
    assert_eq!(first.outbox, folder.path().join("outbox"));
    assert!(folder.path().join("portal.sqlite").is_file());
    let token = first.admin_token().await.unwrap();
    let answer = get_me(&first, &token).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let me: Me = answer.json().await.unwrap();
    assert_eq!(me.user.email, DEMO_ADMIN);
    first
        .store()
        .create_user(
            first.account.id,
            &Actor::system("test"),
            &NewUser {
                email: "kept@demo.example".into(),
                ..NewUser::default()
            },
        )
        .await
        .unwrap();
    let account = first.account.clone();
    drop(first);

    let second = DemoServer::start(folder.path(), demo_config())
        .await
        .unwrap();
    assert!(!second.created, "the demo account is not seeded twice");
    assert_eq!(second.account, account);
    let kept = second
        .store()
        .user_by_email(account.id, "kept@demo.example")
        .await
        .unwrap();
    assert!(kept.is_some(), "what was changed in the demo stays");
    // A token issued by the first run still works: it lives in the database.
    assert_eq!(get_me(&second, &token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn demo_failures_have_stable_codes() {
    let folder = tempfile::tempdir().unwrap();
    let server = DemoServer::start(folder.path(), PortalConfig::default())
        .await
        .unwrap();
    let unknown = server.token_for("nobody@demo.example").await.unwrap_err();
    assert_eq!(unknown.code(), "demo_token");
    assert!(
        unknown.message().contains("nobody@demo.example"),
        "{unknown}"
    );

    let other = tempfile::tempdir().unwrap();
    let taken = DemoServer::start_on(other.path(), PortalConfig::default(), server.addr)
        .await
        .unwrap_err();
    assert_eq!(taken.code(), "demo_listen");

    let file = folder.path().join("portal.sqlite");
    let not_a_folder = DemoServer::start(&file, PortalConfig::default())
        .await
        .unwrap_err();
    assert_eq!(not_a_folder.code(), "demo_folder");
}
