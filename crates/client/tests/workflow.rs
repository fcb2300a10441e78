//! The import workflow against the real demo portal on 127.0.0.1: plan, apply with a
//! journal, an import stopped midway found again and resumed, every row exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, Ordering};

use sxadmin_client::core::csv::plan::Action;
use sxadmin_client::core::BatchOutcome;
use sxadmin_client::import::workflow;
use sxadmin_client::import::ApplyOptions;
use sxadmin_client::{PortalClient, PortalUrl, UserListQuery};
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::DemoPortal;

fn file(rows: usize) -> Vec<u8> {
    let mut text = String::from("email,first_name,last_name\n");
    for i in 0..rows {
        text.push_str(&format!("person{i:04}@demo.example,Person,Number {i}\n"));
    }
    text.into_bytes()
}

async fn client(portal: &DemoPortal) -> PortalClient {
    PortalClient::new(PortalUrl::parse(&portal.url).unwrap(), &portal.admin_token).unwrap()
}

async fn count_people(client: &PortalClient) -> i64 {
    client
        .list_users(&UserListQuery {
            search: Some("person".into()),
            limit: Some(1),
            ..UserListQuery::default()
        })
        .await
        .unwrap()
        .total
}

#[tokio::test]
async fn an_applied_import_leaves_no_journal_and_a_second_run_changes_nothing() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let client = client(&portal).await;
    let journals = tempfile::tempdir().unwrap();
    let bytes = file(30);

    let planned = workflow::plan(&client, &bytes, "people.csv", journals.path())
        .await
        .unwrap();
    assert!(planned.interrupted.is_none());
    assert_eq!(planned.plan.summary.create, 30);
    let outcome = workflow::apply(
        &client,
        &planned,
        &ApplyOptions::default(),
        &AtomicBool::new(false),
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(outcome.progress.created, 30);
    assert!(
        !planned.journal_path().exists(),
        "the journal of a finished import holds personal data and is removed"
    );
    assert!(workflow::interrupted(journals.path(), planned.account).is_empty());

    let again = workflow::plan(&client, &bytes, "people.csv", journals.path())
        .await
        .unwrap();
    assert!(again
        .plan
        .rows
        .iter()
        .all(|row| matches!(row.action, Action::Unchanged { .. })));
    assert_eq!(count_people(&client).await, 30);
}

#[tokio::test]
async fn an_import_stopped_midway_is_found_again_and_resumed_with_every_row_once() {
    let portal = DemoPortal::start(PortalConfig::default()).await;
    let client = client(&portal).await;
    let journals = tempfile::tempdir().unwrap();
    let bytes = file(120);
    let options = ApplyOptions {
        batch_size: 10,
        concurrency: 1,
    };

    let planned = workflow::plan(&client, &bytes, "people.csv", journals.path())
        .await
        .unwrap();
    // Stop after the first batch, as a closed window or Ctrl-C would.
    let cancel = AtomicBool::new(false);
    let first = workflow::apply(&client, &planned, &options, &cancel, |progress| {
        if progress.done > 0 {
            cancel.store(true, Ordering::SeqCst);
        }
    })
    .await
    .unwrap();
    assert!(first.cancelled);
    let sent_before = first.progress.created;
    assert!(sent_before > 0 && sent_before < 120, "{sent_before}");
    assert_eq!(count_people(&client).await, sent_before as i64);

    // A later run (another process, after a restart) finds it from the journal alone.
    let found = workflow::interrupted(journals.path(), planned.account);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].header.file, "people.csv");
    assert_eq!(found[0].done, sent_before);
    assert_eq!(found[0].left, 120 - sent_before);
    assert!(workflow::interrupted(journals.path(), planned.account + 1).is_empty());
    let replanned = workflow::plan(&client, &bytes, "people.csv", journals.path())
        .await
        .unwrap();
    assert_eq!(replanned.interrupted.as_ref(), Some(&found[0]));

    let resumed = workflow::resume(
        &client,
        &found[0].journal,
        &options,
        &AtomicBool::new(false),
        |_| {},
    )
    .await
    .unwrap();
    assert!(!resumed.cancelled && resumed.stopped.is_none());
    assert_eq!(resumed.progress.created, 120);
    assert_eq!(resumed.results.len(), 120);
    assert!(resumed
        .results
        .iter()
        .all(|row| row.outcome == BatchOutcome::Created));
    assert_eq!(count_people(&client).await, 120);
    assert!(workflow::interrupted(journals.path(), planned.account).is_empty());
}

#[tokio::test]
async fn a_file_that_is_not_an_import_is_refused_before_the_portal_is_asked() {
    let journals = tempfile::tempdir().unwrap();
    // Nothing listens on this address: the file is refused before any request.
    let client = PortalClient::new(PortalUrl::parse("http://127.0.0.1:9").unwrap(), "t").unwrap();
    let error = workflow::plan(&client, b"", "empty.csv", journals.path())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "empty_file");
}
