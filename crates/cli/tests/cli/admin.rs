//! Administration commands against the demo portal: users, licences, roles and events,
//! run as a script runs them (token in the environment, no terminal on stdin).

use std::sync::Arc;

use sxadmin_client::core::{BatchItem, BatchOperation, LicenceTier, NewUser, Role, UserChanges};
use sxadmin_client::{EventRange, PortalClient};
use sxadmin_portal::domains::ApproveEverything;
use sxadmin_portal::PortalConfig;

use crate::harness::{row, Portal, STANDARD_USER};

/// The portal approves every domain verification, as if the DNS record were published.
pub fn approving() -> PortalConfig {
    PortalConfig {
        resolver: Arc::new(ApproveEverything),
        ..PortalConfig::default()
    }
}

/// The tier of the licence a user holds, read from the portal.
async fn licence_of(client: &PortalClient, email: &str) -> Option<LicenceTier> {
    let user = client.lookup_user(email).await.unwrap();
    user.licence.map(|licence| licence.tier)
}

#[tokio::test(flavor = "multi_thread")]
async fn users_are_added_listed_shown_edited_and_deleted() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();

    let added = portal
        .run(&[
            "users",
            "add",
            "zoe.lavoie@demo.example",
            "--first-name",
            "Zoé",
            "--last-name",
            "Lavoie",
            "--language",
            "fr",
        ])
        .await
        .ok();
    assert!(
        added.stdout.contains("Added zoe.lavoie@demo.example"),
        "{}",
        added.stdout
    );

    let listed = portal.run(&["users", "list"]).await.ok();
    let header = listed.stdout.lines().next().unwrap();
    assert!(header.starts_with("EMAIL"), "{header}");
    assert!(header.contains("LICENCE"), "{header}");
    let zoe = row(&listed.stdout, "zoe.lavoie@demo.example").unwrap();
    assert_eq!(
        zoe,
        [
            "zoe.lavoie@demo.example",
            "Zoé Lavoie",
            "user",
            "fr",
            "-",
            "yes"
        ]
    );
    // Accented names must not push later columns out of line.
    let column = |line: &str| line.find(" user ").map(|byte| line[..byte].chars().count());
    let lea = listed.stdout.lines().find(|l| l.contains("Léa")).unwrap();
    let noah = listed.stdout.lines().find(|l| l.contains("Noah")).unwrap();
    assert_eq!(column(lea), column(noah));
    assert!(listed.stdout.contains("7 users."), "{}", listed.stdout);

    let all = portal.run(&["--json", "users", "list"]).await.ok().json();
    assert_eq!(all.as_array().unwrap().len(), 7);
    let limited = portal
        .run(&["users", "list", "--limit", "2", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(limited.as_array().unwrap().len(), 2);
    let searched = portal
        .run(&["users", "list", "--search", "lavoie", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(searched[0]["email"], "zoe.lavoie@demo.example");
    assert_eq!(searched.as_array().unwrap().len(), 1);

    let shown = portal
        .run(&["users", "show", "zoe.lavoie@demo.example"])
        .await
        .ok();
    assert_eq!(row(&shown.stdout, "first name").unwrap()[1], "Zoé");
    assert_eq!(row(&shown.stdout, "language").unwrap()[1], "fr");
    let shown = portal
        .run(&["users", "show", "ZOE.LAVOIE@demo.example", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(shown["last_name"], "Lavoie");

    let edited = portal
        .run(&[
            "users",
            "edit",
            "zoe.lavoie@demo.example",
            "--last-name",
            "Lavoie-Roy",
            "--role",
            "administrator",
            "--json",
        ])
        .await
        .ok();
    assert_eq!(edited.json()["last_name"], "Lavoie-Roy");
    assert!(
        edited.stderr.contains("Updated zoe.lavoie@demo.example"),
        "{}",
        edited.stderr
    );
    let now = client.lookup_user("zoe.lavoie@demo.example").await.unwrap();
    assert_eq!(now.last_name, "Lavoie-Roy");
    assert_eq!(now.role, Role::Administrator);

    // Nothing to change and unknown users are refused before anything is written.
    portal
        .run(&["users", "edit", "zoe.lavoie@demo.example"])
        .await
        .expect(2);
    let missing = portal
        .run(&["users", "show", "nobody@demo.example"])
        .await
        .expect(1);
    assert!(missing.stderr.contains("error:"), "{}", missing.stderr);
    portal
        .run(&["users", "add", "someone@unapproved.example"])
        .await
        .expect(1);
    portal
        .run(&["users", "add", "x@demo.example", "--role", "boss"])
        .await
        .expect(2);

    // With no terminal to ask on and no --yes, nothing is deleted.
    let refused = portal
        .run(&["users", "delete", "zoe.lavoie@demo.example"])
        .await
        .expect(2);
    assert!(
        refused.stderr.contains("pass --yes to confirm"),
        "{}",
        refused.stderr
    );
    assert!(client.lookup_user("zoe.lavoie@demo.example").await.is_ok());

    let deleted = portal
        .run(&["users", "delete", "zoe.lavoie@demo.example", "--yes"])
        .await
        .ok();
    assert!(
        deleted.stdout.contains("Deleted zoe.lavoie@demo.example"),
        "{}",
        deleted.stdout
    );
    assert!(client.lookup_user("zoe.lavoie@demo.example").await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn users_list_follows_the_cursor_past_one_page() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();
    // The portal hands out at most 1,000 users per page.
    for batch in 0..2 {
        let items = (0..600)
            .map(|n| BatchItem {
                idempotency_key: format!("{batch}-{n}"),
                operation: BatchOperation::Create(NewUser {
                    email: format!("person.{batch}.{n}@demo.example"),
                    ..NewUser::default()
                }),
            })
            .collect();
        client.apply_batch(items).await.unwrap();
    }
    let all = portal.run(&["users", "list", "--json"]).await.ok().json();
    let emails: std::collections::BTreeSet<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails.len(), 1206);
    let limited = portal
        .run(&["users", "list", "--limit", "1100", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(limited.as_array().unwrap().len(), 1100);
    let table = portal.run(&["users", "list", "--limit", "3"]).await.ok();
    assert!(
        table.stdout.contains("3 of 1206 users shown."),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn licences_are_bought_assigned_changed_transferred_unassigned_and_removed() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();
    let available = |pool: &sxadmin_client::core::LicencePool, tier| {
        pool.tier(tier).map(|t| t.available).unwrap()
    };

    let listed = portal.run(&["licences", "list"]).await.ok();
    assert_eq!(
        row(&listed.stdout, "eco").unwrap(),
        ["eco", "10", "0", "10"]
    );
    assert_eq!(row(&listed.stdout, "pro").unwrap(), ["pro", "2", "0", "2"]);
    assert!(listed.stdout.contains("(available)"), "{}", listed.stdout);

    let bought = portal.run(&["licences", "buy", "pro", "3"]).await.ok();
    assert!(
        bought.stdout.contains("Bought 3 pro licences"),
        "{}",
        bought.stdout
    );
    assert_eq!(
        available(&client.licence_pool().await.unwrap(), LicenceTier::Pro),
        5
    );
    portal.run(&["licences", "buy", "pro", "0"]).await.expect(2);
    portal
        .run(&["licences", "buy", "gold", "1"])
        .await
        .expect(2);

    let assigned = portal
        .run(&[
            "licences",
            "assign",
            "noah.gagnon@demo.example",
            "eco",
            "--json",
        ])
        .await
        .ok();
    assert_eq!(assigned.json()["licence"]["tier"], "eco");
    assert_eq!(
        licence_of(&client, "noah.gagnon@demo.example").await,
        Some(LicenceTier::Eco)
    );

    // Changing the tier keeps the logs, so it needs no confirmation even without a terminal.
    let changed = portal
        .run(&["licences", "change", "noah.gagnon@demo.example", "advanced"])
        .await
        .ok();
    assert!(
        changed.stdout.contains("from eco to advanced"),
        "{}",
        changed.stdout
    );
    assert_eq!(
        licence_of(&client, "noah.gagnon@demo.example").await,
        Some(LicenceTier::Advanced)
    );

    // Transferring deletes the holder's logs: refused without --yes, saying what is lost.
    let refused = portal
        .run(&[
            "licences",
            "transfer",
            "noah.gagnon@demo.example",
            "lea.roy@demo.example",
        ])
        .await
        .expect(2);
    assert!(
        refused.stderr.contains("permanently deletes"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("pass --yes to confirm"),
        "{}",
        refused.stderr
    );
    assert!(client
        .lookup_user("lea.roy@demo.example")
        .await
        .unwrap()
        .licence
        .is_none());

    let transferred = portal
        .run(&[
            "licences",
            "transfer",
            "noah.gagnon@demo.example",
            "lea.roy@demo.example",
            "--yes",
            "--json",
        ])
        .await
        .ok();
    let answer = transferred.json();
    assert_eq!(answer["to"]["email"], "lea.roy@demo.example");
    assert!(answer["from"]["licence"].is_null());
    assert_eq!(
        licence_of(&client, "lea.roy@demo.example").await,
        Some(LicenceTier::Advanced)
    );

    // A transfer to someone who already holds a licence is refused before any question.
    portal
        .run(&["licences", "assign", "liam.cote@demo.example", "eco"])
        .await
        .ok();
    portal
        .run(&[
            "licences",
            "transfer",
            "lea.roy@demo.example",
            "liam.cote@demo.example",
            "--yes",
        ])
        .await
        .expect(1);

    // Unassigning the administrator's own licence deletes their message logs, never the
    // audit log: the warning says so and every event the administrator made is kept.
    portal
        .run(&["licences", "assign", "admin@demo.example", "pro"])
        .await
        .ok();
    let admin_id = client.me().await.unwrap().user.id;
    let own_events = || async {
        client
            .events(&EventRange {
                user_id: Some(admin_id),
                ..EventRange::default()
            })
            .await
            .unwrap()
            .iter()
            .filter(|e| e.actor_email.as_deref() == Some("admin@demo.example"))
            .count()
    };
    let own_logs = own_events().await;
    assert!(own_logs > 0);
    let refused = portal
        .run(&["licences", "unassign", "admin@demo.example"])
        .await
        .expect(2);
    assert!(
        refused.stderr.contains("message logs") && refused.stderr.contains("audit log keeps"),
        "{}",
        refused.stderr
    );
    let unassigned = portal
        .run(&["licences", "unassign", "admin@demo.example", "-y"])
        .await
        .ok();
    assert!(
        unassigned
            .stdout
            .contains("0 of admin@demo.example's message log entries were deleted"),
        "{}",
        unassigned.stdout
    );
    assert!(
        own_events().await >= own_logs,
        "the audit log keeps every event"
    );
    assert!(client
        .lookup_user("admin@demo.example")
        .await
        .unwrap()
        .licence
        .is_none());
    portal
        .run(&[
            "licences",
            "unassign",
            "emma.bouchard@demo.example",
            "--yes",
        ])
        .await
        .expect(1);

    // Removing: only an unassigned licence, and only once confirmed.
    let licences = client.list_licences().await.unwrap();
    let held = licences.iter().find(|l| l.user_id.is_some()).unwrap();
    portal
        .run(&["licences", "remove", &held.id.to_string(), "--yes"])
        .await
        .expect(1);
    let free = licences
        .iter()
        .find(|l| l.user_id.is_none() && l.tier == LicenceTier::Pro)
        .unwrap();
    let id = free.id.to_string();
    portal.run(&["licences", "remove", &id]).await.expect(2);
    assert_eq!(client.list_licences().await.unwrap().len(), licences.len());
    let removed = portal.run(&["licences", "remove", &id, "--yes"]).await.ok();
    assert!(
        removed.stdout.contains(&format!("#{id}")),
        "{}",
        removed.stdout
    );
    let after = client.list_licences().await.unwrap();
    assert_eq!(after.len(), licences.len() - 1);
    assert!(after.iter().all(|l| l.id != free.id));

    let listed = portal
        .run(&["licences", "list", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(listed["licences"].as_array().unwrap().len(), after.len());
    assert!(listed["pool"]["tiers"].as_array().unwrap().len() == 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_are_listed_and_set() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();

    let listed = portal.run(&["roles", "list"]).await.ok();
    assert!(
        row(&listed.stdout, "administrator").is_some(),
        "{}",
        listed.stdout
    );
    assert!(row(&listed.stdout, "user").is_some(), "{}", listed.stdout);
    let listed = portal.run(&["roles", "list", "--json"]).await.ok().json();
    assert_eq!(
        listed["built_in"],
        serde_json::json!(["user", "administrator"])
    );

    let set = portal
        .run(&[
            "roles",
            "set",
            "emma.bouchard@demo.example",
            "administrator",
        ])
        .await
        .ok();
    assert!(
        set.stdout.contains("is now an administrator"),
        "{}",
        set.stdout
    );
    let emma = client
        .lookup_user("emma.bouchard@demo.example")
        .await
        .unwrap();
    assert_eq!(emma.role, Role::Administrator);

    portal
        .run(&[
            "roles",
            "set",
            "emma.bouchard@demo.example",
            "user",
            "--json",
        ])
        .await
        .ok();
    let emma = client
        .lookup_user("emma.bouchard@demo.example")
        .await
        .unwrap();
    assert_eq!(emma.role, Role::User);

    portal
        .run(&["roles", "set", "emma.bouchard@demo.example", "owner"])
        .await
        .expect(2);
    portal
        .run(&[
            "roles",
            "set",
            "emma.bouchard@demo.example",
            "user",
            "--group",
            "Nope",
        ])
        .await
        .expect(2);
    // The last administrator cannot be demoted.
    portal
        .run(&["roles", "set", "admin@demo.example", "user"])
        .await
        .expect(1);
    let admin = client.lookup_user("admin@demo.example").await.unwrap();
    assert_eq!(admin.role, Role::Administrator);
}

#[tokio::test(flavor = "multi_thread")]
async fn events_read_as_table_json_and_csv() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();
    let liam = client.lookup_user("liam.cote@demo.example").await.unwrap();
    client
        .update_user(
            liam.id,
            &UserChanges {
                first_name: Some("William".into()),
                ..UserChanges::default()
            },
        )
        .await
        .unwrap();

    let table = portal.run(&["events", "liam.cote@demo.example"]).await.ok();
    assert!(table.stdout.starts_with("WHEN"), "{}", table.stdout);
    assert!(
        table.stdout.contains("admin@demo.example"),
        "{}",
        table.stdout
    );

    let json = portal
        .run(&["events", "liam.cote@demo.example", "--format", "json"])
        .await
        .ok()
        .json();
    let events = json.as_array().unwrap();
    assert!(events.len() >= 2, "{json}");
    assert!(events
        .iter()
        .all(|e| e["target"] == "liam.cote@demo.example" || e["target_user_id"] == liam.id));
    // --json alone means the same as --format json.
    let same = portal
        .run(&["--json", "events", "liam.cote@demo.example"])
        .await
        .ok()
        .json();
    assert_eq!(same.as_array().unwrap().len(), events.len());

    let csv = portal
        .run(&["events", "liam.cote@demo.example", "--format", "csv"])
        .await
        .ok();
    let expected = client
        .events_csv(&EventRange {
            user_id: Some(liam.id),
            ..EventRange::default()
        })
        .await
        .unwrap();
    assert_eq!(csv.stdout.as_bytes(), expected.as_slice());
    assert!(csv.stdout.lines().count() > events.len());

    // A range in the far past holds nothing; one around today holds everything.
    let past = portal
        .run(&[
            "events",
            "liam.cote@demo.example",
            "--from",
            "2000-01-01",
            "--to",
            "2000-12-31",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(past.as_array().unwrap().len(), 0);
    let wide = portal
        .run(&[
            "events",
            "liam.cote@demo.example",
            "--from",
            "2000-01-01",
            "--to",
            "2999-12-31",
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(wide.as_array().unwrap().len(), events.len());

    let bad = portal
        .run(&["events", "liam.cote@demo.example", "--from", "2026-02-30"])
        .await
        .expect(2);
    assert!(bad.stderr.contains("--from"), "{}", bad.stderr);
    assert!(bad.stderr.contains("YYYY-MM-DD"), "{}", bad.stderr);
    let bad = portal
        .run(&["events", "liam.cote@demo.example", "--to", "31/01/2026"])
        .await
        .expect(2);
    assert!(bad.stderr.contains("--to"), "{}", bad.stderr);
    portal
        .run(&[
            "events",
            "liam.cote@demo.example",
            "--from",
            "2026-02-01",
            "--to",
            "2026-01-01",
        ])
        .await
        .expect(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_administrator_token_nothing_runs() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();

    let user_token = portal.demo.token_for(STANDARD_USER).await;
    let anonymous = portal.run_as(None, &["users", "list"]).await;
    // With or without a keychain service (a headless server has none), no kept sign-in
    // and no token is "not signed in".
    let anonymous = anonymous.expect(3);
    assert!(
        anonymous.stderr.contains("SXADMIN_TOKEN"),
        "{}",
        anonymous.stderr
    );
    assert!(anonymous.stdout.is_empty(), "{}", anonymous.stdout);
    portal
        .run_as(Some("sxp_not-a-token"), &["domains", "list"])
        .await
        .expect(3);

    for args in [
        &["users", "list"][..],
        &["users", "delete", "noah.gagnon@demo.example", "--yes"],
        &["licences", "list"],
        &["licences", "buy", "eco", "1"],
        &["roles", "set", STANDARD_USER, "administrator"],
        &["events", "noah.gagnon@demo.example"],
    ] {
        portal.run_as(Some(&user_token), args).await.expect(3);
    }
    assert!(client.lookup_user("noah.gagnon@demo.example").await.is_ok());
    let camille = client.lookup_user(STANDARD_USER).await.unwrap();
    assert_eq!(camille.role, Role::User);
    assert_eq!(
        client
            .licence_pool()
            .await
            .unwrap()
            .tier(LicenceTier::Eco)
            .unwrap()
            .purchased,
        10
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_longer_than_the_portal_allows_are_refused_before_anything_is_sent() {
    let portal = Portal::start().await;
    let client = portal.client();
    let long = "n".repeat(sxadmin_client::core::rules::MAX_NAME_CHARS + 50);

    // Signed out on purpose: the name is refused before the command signs in.
    let added = portal
        .run_as(
            None,
            &[
                "users",
                "add",
                "long.name@demo.example",
                "--first-name",
                &long,
            ],
        )
        .await
        .expect(2);
    assert!(added.stderr.contains("--first-name"), "{}", added.stderr);
    assert!(added.stderr.contains("200 characters"), "{}", added.stderr);
    assert!(client.lookup_user("long.name@demo.example").await.is_err());

    let edited = portal
        .run_as(
            None,
            &["users", "edit", STANDARD_USER, "--last-name", &long],
        )
        .await
        .expect(2);
    assert!(edited.stderr.contains("--last-name"), "{}", edited.stderr);
    assert!(
        edited.stderr.contains("200 characters"),
        "{}",
        edited.stderr
    );
    let camille = client.lookup_user(STANDARD_USER).await.unwrap();
    assert_eq!(camille.last_name, "Tremblay");

    // At the limit, the name is the portal's to take.
    let at_limit = "é".repeat(sxadmin_client::core::rules::MAX_NAME_CHARS);
    portal
        .run(&["users", "edit", STANDARD_USER, "--last-name", &at_limit])
        .await
        .ok();
    let camille = client.lookup_user(STANDARD_USER).await.unwrap();
    assert_eq!(camille.last_name, at_limit);
}

#[tokio::test(flavor = "multi_thread")]
async fn setting_a_role_keeps_the_role_group_unless_told_otherwise() {
    let portal = Portal::start().await;
    let client = portal.client();
    let group: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/roles/groups", portal.url))
        .bearer_auth(&portal.admin_token)
        .json(&sxadmin_client::core::NewRoleGroup {
            name: "Billing".into(),
            permissions: Vec::new(),
        })
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    let group_id = group["id"].as_i64().unwrap();
    let emma = "emma.bouchard@demo.example";

    let set = portal
        .run(&["roles", "set", emma, "user", "--group", "billing"])
        .await
        .ok();
    assert!(
        set.stdout.contains("in role group Billing"),
        "{}",
        set.stdout
    );
    let user = client.lookup_user(emma).await.unwrap();
    assert_eq!(user.role_group_id, Some(group_id));

    portal
        .run(&["roles", "set", emma, "administrator"])
        .await
        .ok();
    let user = client.lookup_user(emma).await.unwrap();
    assert_eq!(user.role, Role::Administrator);
    assert_eq!(user.role_group_id, Some(group_id));

    let cleared = portal
        .run(&["roles", "set", emma, "user", "--no-group"])
        .await
        .ok();
    assert!(
        cleared.stdout.contains("in no role group"),
        "{}",
        cleared.stdout
    );
    let user = client.lookup_user(emma).await.unwrap();
    assert_eq!(user.role, Role::User);
    assert_eq!(user.role_group_id, None);
}
