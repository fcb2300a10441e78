//! Licence changes for many users against the real demo portal: a result per user, one
//! refusal never hiding what happened to the others.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sxadmin_client::core::{LicenceTier, NewUser};
use sxadmin_client::licences::{apply_to_many, LicenceChange};
use sxadmin_client::{PortalClient, PortalUrl};
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::DemoPortal;

#[tokio::test]
async fn each_user_gets_a_result_of_their_own() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let client =
        PortalClient::new(PortalUrl::parse(&portal.url).unwrap(), &portal.admin_token).unwrap();
    let mut ids = Vec::new();
    for name in ["ana", "ben", "chloe"] {
        let user = client
            .create_user(&NewUser {
                email: format!("{name}@demo.example"),
                ..NewUser::default()
            })
            .await
            .unwrap();
        ids.push(user.id);
    }
    client
        .assign_licence(ids[1], LicenceTier::Pro)
        .await
        .unwrap();

    let results = apply_to_many(&client, &ids, LicenceChange::Assign(LicenceTier::Eco)).await;
    let order: Vec<_> = results.iter().map(|r| r.user_id).collect();
    assert_eq!(order, ids, "results come back in the order asked");
    assert_eq!(
        results[0]
            .user
            .as_ref()
            .and_then(|u| u.licence.as_ref())
            .map(|l| l.tier),
        Some(LicenceTier::Eco)
    );
    assert_eq!(
        results[1].problem.as_ref().map(|p| p.code.as_str()),
        Some("user_has_licence")
    );
    assert!(results[2].problem.is_none());

    let refused = apply_to_many(
        &client,
        &ids,
        LicenceChange::Unassign {
            confirm_log_deletion: false,
        },
    )
    .await;
    assert!(refused
        .iter()
        .all(|r| r.problem.as_ref().map(|p| p.code.as_str()) == Some("confirmation_required")));

    let changed = apply_to_many(
        &client,
        &ids,
        LicenceChange::ChangeTier(LicenceTier::Advanced),
    )
    .await;
    assert!(changed.iter().all(|r| r.problem.is_none()), "{changed:?}");
    let unassigned = apply_to_many(
        &client,
        &ids,
        LicenceChange::Unassign {
            confirm_log_deletion: true,
        },
    )
    .await;
    assert!(unassigned
        .iter()
        .all(|r| r.user.as_ref().is_some_and(|u| u.licence.is_none())));
}
