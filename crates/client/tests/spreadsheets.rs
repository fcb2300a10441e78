//! Spreadsheets against the real demo portal on 127.0.0.1: an export imported again
//! changes nothing (.xlsx and CSV), the list's filters, and removals from a file: the
//! action column, sync mode, the safeguard refusing and then allowing, what a deletion
//! gives back, and the caller never removed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::AtomicBool;

use sxadmin_client::core::csv::plan::{ActionKind, RemovalLimit, SyncMode};
use sxadmin_client::core::{
    BatchItem, BatchOperation, BatchOutcome, LicenceFilter, LicenceTier, Role, UserStatus,
};
use sxadmin_client::export::{self, ExportFormat};
use sxadmin_client::import::workflow::{self, ImportError, ImportOptions};
use sxadmin_client::import::ApplyOptions;
use sxadmin_client::{PortalClient, PortalUrl, UserListQuery};
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::DemoPortal;

/// The demo account has its administrator and five standard users.
const DEMO_USERS: usize = 6;

fn client(portal: &DemoPortal) -> PortalClient {
    PortalClient::new(PortalUrl::parse(&portal.url).unwrap(), &portal.admin_token).unwrap()
}

/// `count` people, every third with an Eco licence and every fifth in French.
fn people(count: usize) -> Vec<u8> {
    let mut text = String::from("email,first_name,last_name,language,licence\n");
    for i in 0..count {
        let language = if i % 5 == 0 { "fr" } else { "en" };
        let licence = if i % 3 == 0 { "eco" } else { "" };
        text.push_str(&format!(
            "person{i:02}@demo.example,Person,Number {i},{language},{licence}\n"
        ));
    }
    text.into_bytes()
}

async fn import(client: &PortalClient, bytes: &[u8], options: &ImportOptions) {
    let journals = tempfile::tempdir().unwrap();
    let planned = workflow::plan_with(client, bytes, "file", journals.path(), options)
        .await
        .unwrap();
    let outcome = workflow::apply(
        client,
        &planned,
        &ApplyOptions::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(outcome.progress.failed, 0, "{:?}", outcome.results);
}

async fn total(client: &PortalClient, query: UserListQuery) -> i64 {
    client
        .list_users(&UserListQuery {
            limit: Some(1),
            ..query
        })
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn an_export_imported_again_plans_every_row_unchanged_in_both_formats() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let client = client(&portal);
    import(&client, &people(12), &ImportOptions::default()).await;
    import(
        &client,
        b"email,action\nperson03@demo.example,disable\n",
        &ImportOptions::default(),
    )
    .await;

    for format in [ExportFormat::Xlsx, ExportFormat::Csv] {
        let exported = export::export_users(&client, &UserListQuery::default(), format)
            .await
            .unwrap();
        assert_eq!(exported.users, DEMO_USERS + 12);
        let journals = tempfile::tempdir().unwrap();
        let planned = workflow::plan(&client, &exported.bytes, "export", journals.path())
            .await
            .unwrap();
        let summary = &planned.plan.summary;
        assert_eq!(summary.rows, DEMO_USERS + 12, "{format:?}");
        assert_eq!(
            summary.unchanged,
            DEMO_USERS + 12,
            "{format:?}: {summary:?}"
        );
        assert!(planned.plan.removals.is_empty());
    }
}

#[tokio::test]
async fn the_list_and_the_export_filter_by_role_licence_and_status() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let client = client(&portal);
    import(&client, &people(9), &ImportOptions::default()).await;
    import(
        &client,
        b"email,action\nperson01@demo.example,disable\nperson02@demo.example,disable\n",
        // Two of fifteen users is beyond the default 10%.
        &ImportOptions {
            max_removals: RemovalLimit::Count(2),
            ..ImportOptions::default()
        },
    )
    .await;

    let role = |role| UserListQuery {
        role: Some(role),
        ..UserListQuery::default()
    };
    assert_eq!(total(&client, role(Role::Administrator)).await, 1);
    assert_eq!(total(&client, role(Role::User)).await, 5 + 9);
    let licence = |licence| UserListQuery {
        licence: Some(licence),
        ..UserListQuery::default()
    };
    // person00, 03 and 06 hold an Eco licence.
    assert_eq!(total(&client, licence(LicenceFilter::Eco)).await, 3);
    assert_eq!(total(&client, licence(LicenceFilter::Pro)).await, 0);
    assert_eq!(
        total(&client, licence(LicenceFilter::None)).await,
        (DEMO_USERS + 9 - 3) as i64
    );
    let disabled = UserListQuery {
        status: Some(UserStatus::Disabled),
        ..UserListQuery::default()
    };
    assert_eq!(total(&client, disabled.clone()).await, 2);
    let combined = UserListQuery {
        search: Some("person".into()),
        status: Some(UserStatus::Active),
        licence: Some(LicenceFilter::None),
        ..UserListQuery::default()
    };
    // person04, 05, 07, 08.
    assert_eq!(total(&client, combined).await, 4);

    let exported = export::export_users(&client, &disabled, ExportFormat::Csv)
        .await
        .unwrap();
    assert_eq!(exported.users, 2);
    let text = String::from_utf8(exported.bytes).unwrap();
    assert!(text.contains("person01@demo.example,Person,Number 1,user,en,,,disabled,,"));
}

#[tokio::test]
async fn a_sync_beyond_the_safeguard_is_refused_then_allowed_once_confirmed() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let client = client(&portal);
    import(&client, &people(30), &ImportOptions::default()).await;
    let journals = tempfile::tempdir().unwrap();
    // The file keeps the first ten people only: 25 of the 36 users are missing (the
    // administrator running the import is never among them).
    let kept = people(10);
    let sync = ImportOptions {
        sync: SyncMode::DisableMissing,
        ..ImportOptions::default()
    };
    let mut planned = workflow::plan_with(&client, &kept, "kept.csv", journals.path(), &sync)
        .await
        .unwrap();
    assert_eq!(planned.plan.removals.len(), 25);
    assert!(planned.plan.safeguard.exceeded);
    assert_eq!(planned.plan.safeguard.allowed, 3);
    let refused = workflow::apply(
        &client,
        &planned,
        &ApplyOptions::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(refused, ImportError::TooManyRemovals { .. }));
    assert_eq!(refused.code(), "too_many_removals");
    let active = UserListQuery {
        status: Some(UserStatus::Active),
        ..UserListQuery::default()
    };
    assert_eq!(
        total(&client, active.clone()).await,
        36,
        "nothing was applied"
    );

    // The administrator types a wrong number, then the right one.
    let wrong = planned.confirm_removals(24).unwrap_err();
    assert_eq!(wrong.code(), "removals_not_confirmed");
    planned.confirm_removals(25).unwrap();
    let outcome = workflow::apply(
        &client,
        &planned,
        &ApplyOptions::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(outcome.progress.disabled, 25);
    assert_eq!(outcome.progress.unchanged, 10);
    let lines: Vec<u64> = outcome.results.iter().map(|row| row.line).collect();
    assert_eq!(lines.len(), 35);
    assert!(
        lines[10..].iter().all(|line| *line == 0),
        "the users missing from the file come after its rows"
    );
    assert_eq!(total(&client, active).await, 11);
    let me = client.me().await.unwrap();
    assert!(client.get_user(me.user.id).await.unwrap().active);

    // Deleting the missing users, within a raised limit: their licences go back.
    let eco_left = |pool: sxadmin_client::core::LicencePool| {
        pool.tier(LicenceTier::Eco).map(|t| t.available).unwrap()
    };
    assert_eq!(eco_left(client.licence_pool().await.unwrap()), 0);
    let delete = ImportOptions {
        sync: SyncMode::DeleteMissing,
        max_removals: RemovalLimit::Count(25),
        ..ImportOptions::default()
    };
    import(&client, &kept, &delete).await;
    assert_eq!(total(&client, UserListQuery::default()).await, 11);
    // people 10..30 held 6 Eco licences (12, 15, …, 27).
    assert_eq!(eco_left(client.licence_pool().await.unwrap()), 6);
}

#[tokio::test]
async fn an_action_column_deletes_with_its_licence_and_never_removes_the_caller() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let client = client(&portal);
    import(&client, &people(3), &ImportOptions::default()).await;
    let journals = tempfile::tempdir().unwrap();
    let file = b"email,action\nperson00@demo.example,delete\nadmin@demo.example,delete\n";
    let options = ImportOptions {
        max_removals: RemovalLimit::Count(1),
        ..ImportOptions::default()
    };
    let planned = workflow::plan_with(&client, file, "remove.csv", journals.path(), &options)
        .await
        .unwrap();
    let kinds: Vec<ActionKind> = planned
        .plan
        .rows
        .iter()
        .map(|row| row.action.kind())
        .collect();
    assert_eq!(kinds, [ActionKind::Delete, ActionKind::Error]);
    assert!(planned.plan.removals[0]
        .loss
        .contains("Eco licence goes back"));
    let outcome = workflow::apply(
        &client,
        &planned,
        &ApplyOptions::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(outcome.progress.deleted, 1);
    assert_eq!(outcome.results[0].outcome, BatchOutcome::Deleted);
    assert!(client.lookup_user("person00@demo.example").await.is_err());

    // The portal refuses it too, whatever a client plans.
    let answer = client
        .apply_batch(vec![BatchItem {
            idempotency_key: "remove-me".into(),
            operation: BatchOperation::Delete {
                email: "admin@demo.example".into(),
            },
        }])
        .await
        .unwrap();
    assert_eq!(answer.results[0].outcome, BatchOutcome::Error);
    assert!(client.lookup_user("admin@demo.example").await.is_ok());
}
