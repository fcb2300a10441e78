//! A standard user's role group decides which commands the portal lets through; a refused
//! command exits 3 and says which permission it needs.

use serde_json::json;
use sxadmin_client::core::{Role, SetRole};

use crate::harness::{Portal, STANDARD_USER};

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_command_exits_3_naming_the_missing_permission() {
    let portal = Portal::start().await;
    let client = portal.client();

    // Role groups have no command yet: made through the API as the administrator.
    let group: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/roles/groups", portal.url))
        .bearer_auth(&portal.admin_token)
        .json(&json!({"name": "Domains desk", "permissions": ["domain_management"]}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let camille = client.lookup_user(STANDARD_USER).await.unwrap();
    client
        .set_role(
            camille.id,
            &SetRole {
                role: Role::User,
                role_group_id: Some(group["id"].as_i64()),
            },
        )
        .await
        .unwrap();
    let token = portal.demo.token_for(STANDARD_USER).await;

    // What the group grants works.
    portal
        .run_as(Some(&token), &["domains", "list"])
        .await
        .expect(0);

    let refused = portal
        .run_as(Some(&token), &["licences", "buy", "eco", "1"])
        .await
        .expect(3);
    assert!(
        refused.stderr.contains("purchase permission"),
        "{}",
        refused.stderr
    );
    let refused = portal
        .run_as(Some(&token), &["licences", "list"])
        .await
        .expect(3);
    assert!(
        refused.stderr.contains("billing permission"),
        "{}",
        refused.stderr
    );
    let before = client.licence_pool().await.unwrap();
    // The command first looks the user up, which any permission that acts on users allows.
    let refused = portal
        .run_as(
            Some(&token),
            &["roles", "set", STANDARD_USER, "administrator"],
        )
        .await
        .expect(3);
    assert!(
        refused.stderr.contains("roles and authorisations"),
        "{}",
        refused.stderr
    );
    assert_eq!(client.licence_pool().await.unwrap(), before);
    assert_eq!(
        client.lookup_user(STANDARD_USER).await.unwrap().role,
        Role::User
    );
}
