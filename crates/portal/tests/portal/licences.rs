//! The licence pool: one licence per user, assignment only from what was bought, tier
//! changes, and the confirmations that guard deleting a holder's logs.

use reqwest::StatusCode;
use serde_json::{json, Value};
use sxadmin_core::{HeldLicence, Licence, LicenceTier, TierCount, User};

use crate::harness::{Portal, CAMILLE, LEA, NOAH};

fn counts(purchased: i64, assigned: i64) -> (i64, i64, i64) {
    (purchased, assigned, purchased - assigned)
}

fn of(tier: &TierCount) -> (i64, i64, i64) {
    (tier.purchased, tier.assigned, tier.available)
}

#[tokio::test]
async fn assigning_until_the_pool_is_empty_then_licence_unavailable() {
    let portal = Portal::start().await;
    let pool = portal.pool().await;
    assert_eq!(of(pool.tier(LicenceTier::Eco).unwrap()), counts(10, 0));
    assert_eq!(of(pool.tier(LicenceTier::Advanced).unwrap()), counts(5, 0));
    assert_eq!(of(pool.tier(LicenceTier::Pro).unwrap()), counts(2, 0));

    let camille = portal.user_id(CAMILLE).await;
    let noah = portal.user_id(NOAH).await;
    let lea = portal.user_id(LEA).await;
    let first = portal.assign(camille, "pro").await;
    assert_eq!(first.licence.as_ref().unwrap().tier, LicenceTier::Pro);
    portal.assign(noah, "pro").await;

    let details = portal
        .post(
            &portal.admin,
            &format!("/users/{lea}/licence"),
            json!({"tier": "pro"}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "licence_unavailable");
    assert_eq!(details["tier"], "pro");
    assert_eq!(details["available"], 0);
    assert_eq!(details["purchased"], 2);
    assert_eq!(details["assigned"], 2);
    assert_eq!(portal.user(lea).await.licence, None);

    let pool = portal.pool().await;
    assert_eq!(of(pool.tier(LicenceTier::Pro).unwrap()), counts(2, 2));
    assert_eq!(of(pool.tier(LicenceTier::Eco).unwrap()), counts(10, 0));

    // Other tiers are unaffected by an empty one.
    let lea_now = portal.assign(lea, "advanced").await;
    assert_eq!(lea_now.licence.unwrap().tier, LicenceTier::Advanced);
    assert_eq!(of(&portal.tier(LicenceTier::Advanced).await), counts(5, 1));

    let licences: Vec<Licence> = portal
        .get(&portal.admin, "/licences")
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(licences.len(), 17);
    let held_by_camille: Vec<&Licence> = licences
        .iter()
        .filter(|l| l.user_id == Some(camille))
        .collect();
    assert_eq!(held_by_camille.len(), 1);
    assert_eq!(held_by_camille[0].user_email.as_deref(), Some(CAMILLE));
}

#[tokio::test]
async fn a_user_holds_at_most_one_licence() {
    let portal = Portal::start().await;
    let camille = portal.user_id(CAMILLE).await;
    portal.assign(camille, "advanced").await;

    for tier in ["eco", "advanced", "pro"] {
        let details = portal
            .post(
                &portal.admin,
                &format!("/users/{camille}/licence"),
                json!({ "tier": tier }),
            )
            .await
            .expect_error(StatusCode::CONFLICT, "user_has_licence");
        assert_eq!(details["tier"], "advanced");
    }
    let pool = portal.pool().await;
    assert_eq!(of(pool.tier(LicenceTier::Eco).unwrap()), counts(10, 0));
    assert_eq!(of(pool.tier(LicenceTier::Advanced).unwrap()), counts(5, 1));
    assert_eq!(of(pool.tier(LicenceTier::Pro).unwrap()), counts(2, 0));

    portal
        .post(
            &portal.admin,
            &format!("/users/{camille}/licence"),
            json!({"tier": "platinum"}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
}

#[tokio::test]
async fn changing_tier_returns_the_old_licence_and_keeps_the_users_logs() {
    let portal = Portal::start().await;
    let camille = portal.user_id(CAMILLE).await;
    let noah = portal.user_id(NOAH).await;
    let eco = portal.assign(camille, "eco").await.licence.unwrap();
    // Camille's own activity, which a tier change must not delete.
    portal.sign_in(CAMILLE).await;
    assert!(portal
        .user_actions(camille)
        .await
        .contains(&"user.signed_in".to_owned()));

    let upgraded: User = portal
        .patch(
            &portal.admin,
            &format!("/users/{camille}/licence"),
            json!({"tier": "pro"}),
        )
        .await
        .parse_ok(StatusCode::OK);
    let pro = upgraded.licence.clone().unwrap();
    assert_eq!(pro.tier, LicenceTier::Pro);
    assert_ne!(pro.id, eco.id);
    assert_eq!(portal.user(camille).await.licence, Some(pro.clone()));
    let pool = portal.pool().await;
    assert_eq!(of(pool.tier(LicenceTier::Eco).unwrap()), counts(10, 0));
    assert_eq!(of(pool.tier(LicenceTier::Pro).unwrap()), counts(2, 1));

    let actions = portal.user_actions(camille).await;
    assert!(
        actions.contains(&"user.signed_in".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"licence.changed".to_owned()),
        "{actions:?}"
    );

    // Changing to the tier held already changes nothing.
    let same: User = portal
        .patch(
            &portal.admin,
            &format!("/users/{camille}/licence"),
            json!({"tier": "pro"}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(same.licence, Some(pro.clone()));

    // Upgrading into an empty tier fails and leaves the user with what they had.
    portal.assign(noah, "eco").await;
    portal
        .patch(
            &portal.admin,
            &format!("/users/{noah}/licence"),
            json!({"tier": "pro"}),
        )
        .await
        .parse_ok::<User>(StatusCode::OK);
    assert_eq!(of(&portal.tier(LicenceTier::Pro).await), counts(2, 2));
    let lea = portal.user_id(LEA).await;
    portal.assign(lea, "advanced").await;
    let details = portal
        .patch(
            &portal.admin,
            &format!("/users/{lea}/licence"),
            json!({"tier": "pro"}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "licence_unavailable");
    assert_eq!(details["available"], 0);
    assert_eq!(
        portal.user(lea).await.licence.map(|l| l.tier),
        Some(LicenceTier::Advanced)
    );
    assert_eq!(of(&portal.tier(LicenceTier::Advanced).await), counts(5, 1));

    let emma = portal.user_id("emma.bouchard@demo.example").await;
    portal
        .patch(
            &portal.admin,
            &format!("/users/{emma}/licence"),
            json!({"tier": "pro"}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "user_has_no_licence");
}

async fn licence_of(portal: &Portal, user: i64) -> Licence {
    let licences: Vec<Licence> = portal
        .get(&portal.admin, "/licences")
        .await
        .parse_ok(StatusCode::OK);
    licences
        .into_iter()
        .find(|l| l.user_id == Some(user))
        .unwrap()
}

#[tokio::test]
async fn only_unassigned_licences_can_be_removed_from_the_pool() {
    let portal = Portal::start().await;
    let camille = portal.user_id(CAMILLE).await;
    portal.assign(camille, "eco").await;
    let held = licence_of(&portal, camille).await;

    let details = portal
        .delete(&portal.admin, &format!("/licences/{}", held.id))
        .await
        .expect_error(StatusCode::CONFLICT, "licence_assigned");
    assert_eq!(details["holder"], CAMILLE);
    assert_eq!(of(&portal.tier(LicenceTier::Eco).await), counts(10, 1));

    let licences: Vec<Licence> = portal
        .get(&portal.admin, "/licences")
        .await
        .parse_ok(StatusCode::OK);
    let free = licences
        .iter()
        .find(|l| l.tier == LicenceTier::Eco && l.user_id.is_none())
        .unwrap();
    portal
        .delete(&portal.admin, &format!("/licences/{}", free.id))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    assert_eq!(of(&portal.tier(LicenceTier::Eco).await), counts(9, 1));
    portal
        .delete(&portal.admin, &format!("/licences/{}", free.id))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        portal.user(camille).await.licence,
        Some(HeldLicence {
            id: held.id,
            tier: LicenceTier::Eco
        })
    );
}

#[tokio::test]
async fn unassigning_needs_confirmation_and_keeps_the_audit_log() {
    let portal = Portal::start().await;
    let camille = portal.user_id(CAMILLE).await;
    portal.assign(camille, "eco").await;
    portal.sign_in(CAMILLE).await;
    let path = format!("/users/{camille}/licence");

    for unconfirmed in [path.clone(), format!("{path}?confirm_log_deletion=false")] {
        portal
            .delete(&portal.admin, &unconfirmed)
            .await
            .expect_error(StatusCode::CONFLICT, "confirmation_required");
    }
    assert!(portal.user(camille).await.licence.is_some());
    assert_eq!(of(&portal.tier(LicenceTier::Eco).await), counts(10, 1));
    assert!(portal
        .user_actions(camille)
        .await
        .contains(&"user.signed_in".to_owned()));

    let unassigned: Value = portal
        .delete(&portal.admin, &format!("{path}?confirm_log_deletion=true"))
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(unassigned["user"]["licence"], Value::Null);
    // The portal keeps no message logs; the audit log is never deleted.
    assert_eq!(unassigned["logs_deleted"], 0);
    assert_eq!(portal.user(camille).await.licence, None);
    assert_eq!(of(&portal.tier(LicenceTier::Eco).await), counts(10, 0));

    let actions = portal.user_actions(camille).await;
    assert!(
        actions.contains(&"user.signed_in".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"licence.unassigned".to_owned()),
        "{actions:?}"
    );

    portal
        .delete(&portal.admin, &format!("{path}?confirm_log_deletion=true"))
        .await
        .expect_error(StatusCode::CONFLICT, "user_has_no_licence");
}

#[tokio::test]
async fn a_licence_is_transferred_only_to_a_user_without_one_and_with_confirmation() {
    let portal = Portal::start().await;
    let camille = portal.user_id(CAMILLE).await;
    let noah = portal.user_id(NOAH).await;
    let lea = portal.user_id(LEA).await;
    let held = portal.assign(camille, "advanced").await.licence.unwrap();
    portal.assign(noah, "eco").await;
    portal.sign_in(CAMILLE).await;
    let path = format!("/users/{camille}/licence/transfer");

    let details = portal
        .post(
            &portal.admin,
            &path,
            json!({"to_user_id": noah, "confirm_log_deletion": true}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "user_has_licence");
    assert_eq!(details["tier"], "eco");

    portal
        .post(&portal.admin, &path, json!({ "to_user_id": lea }))
        .await
        .expect_error(StatusCode::CONFLICT, "confirmation_required");
    portal
        .post(
            &portal.admin,
            &path,
            json!({"to_user_id": lea, "confirm_log_deletion": false}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "confirmation_required");
    portal
        .post(
            &portal.admin,
            &path,
            json!({"to_user_id": camille, "confirm_log_deletion": true}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(portal.user(camille).await.licence, Some(held.clone()));
    assert_eq!(portal.user(lea).await.licence, None);
    assert_eq!(
        portal.user(noah).await.licence.map(|l| l.tier),
        Some(LicenceTier::Eco)
    );

    let moved: Value = portal
        .post(
            &portal.admin,
            &path,
            json!({"to_user_id": lea, "confirm_log_deletion": true}),
        )
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(moved["from"]["licence"], Value::Null);
    assert_eq!(moved["to"]["licence"]["id"], held.id);
    assert_eq!(moved["logs_deleted"], 0);
    assert_eq!(portal.user(camille).await.licence, None);
    assert_eq!(portal.user(lea).await.licence, Some(held));
    assert_eq!(of(&portal.tier(LicenceTier::Advanced).await), counts(5, 1));
    assert!(portal
        .user_actions(camille)
        .await
        .contains(&"user.signed_in".to_owned()));
    assert!(portal
        .user_actions(lea)
        .await
        .contains(&"licence.received".to_owned()));

    portal
        .post(
            &portal.admin,
            &path,
            json!({"to_user_id": lea, "confirm_log_deletion": true}),
        )
        .await
        .expect_error(StatusCode::CONFLICT, "user_has_no_licence");
}

#[tokio::test]
async fn purchases_are_between_1_and_1000_licences() {
    let portal = Portal::start().await;
    for count in [0, 1001] {
        portal
            .post(
                &portal.admin,
                "/licences/purchase",
                json!({"tier": "eco", "count": count}),
            )
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    }
    portal
        .post(
            &portal.admin,
            "/licences/purchase",
            json!({"tier": "eco", "count": -1}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    assert_eq!(of(&portal.tier(LicenceTier::Eco).await), counts(10, 0));

    let bought: Vec<Licence> = portal
        .post(
            &portal.admin,
            "/licences/purchase",
            json!({"tier": "pro", "count": 3}),
        )
        .await
        .parse_ok(StatusCode::CREATED);
    assert_eq!(bought.len(), 3);
    assert!(bought
        .iter()
        .all(|l| l.tier == LicenceTier::Pro && l.user_id.is_none()));
    assert_eq!(of(&portal.tier(LicenceTier::Pro).await), counts(5, 0));
}

#[tokio::test]
async fn deleting_a_user_returns_their_licence_to_the_pool() {
    let portal = Portal::start().await;
    let camille = portal.user_id(CAMILLE).await;
    let held = portal.assign(camille, "pro").await.licence.unwrap();
    assert_eq!(of(&portal.tier(LicenceTier::Pro).await), counts(2, 1));

    portal
        .delete(&portal.admin, &format!("/users/{camille}"))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    assert_eq!(of(&portal.tier(LicenceTier::Pro).await), counts(2, 0));
    let licences: Vec<Licence> = portal
        .get(&portal.admin, "/licences")
        .await
        .parse_ok(StatusCode::OK);
    let returned = licences.iter().find(|l| l.id == held.id).unwrap();
    assert_eq!(
        (
            returned.user_id,
            returned.user_email.as_deref(),
            returned.assigned_at
        ),
        (None, None, None),
        "the licence is as unassigned as one never given out"
    );

    // Back in the pool, it can be given to someone else.
    let noah = portal.user_id(NOAH).await;
    portal.assign(noah, "pro").await;
    portal.assign(portal.user_id(LEA).await, "pro").await;
    assert_eq!(of(&portal.tier(LicenceTier::Pro).await), counts(2, 2));
}

#[tokio::test]
async fn concurrent_assignments_never_give_out_more_than_the_pool_holds() {
    let portal = Portal::start().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let user = portal
            .create_user(&format!("racer{i}@demo.example"), "Racer", &i.to_string())
            .await;
        ids.push(user.id);
    }

    let mut requests = tokio::task::JoinSet::new();
    for id in &ids {
        let request = portal
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/users/{id}/licence"),
            )
            .bearer_auth(&portal.admin)
            .json(&json!({"tier": "pro"}));
        requests.spawn(crate::harness::Reply::read(request));
    }
    let mut granted = 0;
    while let Some(reply) = requests.join_next().await {
        let reply = reply.unwrap();
        if reply.status == StatusCode::OK {
            granted += 1;
        } else {
            reply.expect_error(StatusCode::CONFLICT, "licence_unavailable");
        }
    }
    assert_eq!(granted, 2);
    assert_eq!(of(&portal.tier(LicenceTier::Pro).await), counts(2, 2));
    let mut holders = 0;
    for id in ids {
        if portal.user(id).await.licence.is_some() {
            holders += 1;
        }
    }
    assert_eq!(holders, 2);
}
