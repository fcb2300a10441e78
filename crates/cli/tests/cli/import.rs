//! `sxadmin import` against the demo portal: the plan, a real import, and an import
//! killed in the middle and resumed from its journal.

use std::path::Path;

use sxadmin_client::UserListQuery;
use sxadmin_tests::proxy::{Fault, FaultProxy};

use crate::harness::{write_file, Home, Portal};

const VALID_ROWS: usize = 1000;

/// The addresses of the users the test files create (all start with "person").
async fn people(portal: &Portal) -> Vec<String> {
    let client = portal.client();
    let mut emails = Vec::new();
    let mut cursor = None;
    loop {
        let page = client
            .list_users(&UserListQuery {
                search: Some("person".into()),
                cursor,
                limit: Some(1000),
                ..UserListQuery::default()
            })
            .await
            .unwrap();
        emails.extend(page.items.into_iter().map(|u| u.email));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return emails,
        }
    }
}

fn users_csv(rows: usize) -> String {
    let mut text = String::from("email,first_name,last_name,role,language,licence\n");
    for n in 0..rows {
        text.push_str(&format!(
            "person{n}@demo.example,Person,Number {n},user,en,\n"
        ));
    }
    text.push_str("not-an-address,Bad,Row,user,en,\n");
    text
}

/// The import journals in the command's data folder.
fn journals(portal: &Portal) -> Vec<std::path::PathBuf> {
    match std::fs::read_dir(portal.home().join("data/imports")) {
        Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => panic!("the imports folder cannot be read: {error}"),
    }
}

/// The results file's rows as (line, outcome).
fn report_rows(path: &Path) -> Vec<(u64, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("row,email,outcome,message"));
    lines
        .map(|line| {
            let mut cells = line.split(',');
            let row = cells.next().unwrap().parse().unwrap();
            let _email = cells.next();
            (row, cells.next().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_plan_and_changes_nothing() {
    let portal = Portal::start().await;
    let file = portal.file(
        "plan.csv",
        "email,first_name,last_name,role,language,licence\n\
         new.person@demo.example,New,Person,user,en,eco\n\
         camille.tremblay@demo.example,Camille,Tremblay,user,fr,\n\
         broken,,,user,en,\n",
    );
    let plan = portal
        .run(&["import", file.to_str().unwrap(), "--dry-run", "--json"])
        .await
        .expect(1)
        .json();
    assert_eq!(plan["summary"]["create"], 1);
    assert_eq!(plan["summary"]["error"], 1);
    let rows = plan["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["line"], 2);
    assert_eq!(rows[0]["email"], "new.person@demo.example");
    assert_eq!(rows[0]["action"], "create");
    assert_eq!(rows[0]["errors"].as_array().unwrap().len(), 0);
    assert_eq!(rows[2]["action"], "error");
    assert_eq!(rows[2]["errors"][0]["column"], "email");
    assert!(rows[2]["errors"][0]["code"].is_string());
    assert!(rows[2]["errors"][0]["message"].is_string());
    assert!(people(&portal).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_without_an_interrupted_import_is_bad_usage() {
    let portal = Portal::start().await;
    let file = portal.file("users.csv", &users_csv(3));
    let out = portal
        .run(&["import", file.to_str().unwrap(), "--resume"])
        .await
        .expect(2);
    assert!(
        out.stderr.contains("no interrupted import"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_resumes_and_imports_every_row_once() {
    let portal = Portal::start().await;
    let file = portal.file("users.csv", &users_csv(VALID_ROWS));
    let file = file.to_str().unwrap();
    // The third batch reaches the portal, which commits it, and its answer never comes.
    let proxy = FaultProxy::start(
        &portal.url,
        "/api/v1/users/batch",
        vec![Fault::Pass, Fault::Pass, Fault::Hang],
    )
    .await
    .unwrap();
    let mut child = portal
        .sxadmin_at(
            &proxy.url,
            Some(&portal.admin_token),
            &["import", file, "--concurrency", "1"],
        )
        .spawn();
    proxy.wait_forwarded(3).await;
    child.kill().await.unwrap();
    let imported_before = people(&portal).await.len();
    assert_eq!(imported_before, 750, "three batches of 250 were committed");
    assert_eq!(
        journals(&portal).len(),
        1,
        "the interrupted import keeps its journal"
    );

    let report = portal.home().join("results.csv");
    let out = portal
        .sxadmin_at(
            &proxy.url,
            Some(&portal.admin_token),
            &[
                "import",
                file,
                "--resume",
                "--report",
                report.to_str().unwrap(),
            ],
        )
        .run()
        .await
        // The invalid row fails; everything else is imported.
        .expect(1);
    assert!(
        out.stderr
            .contains("500 of 1000 rows to send were done, 500 left"),
        "{}",
        out.stderr
    );
    let imported = people(&portal).await;
    assert_eq!(imported.len(), VALID_ROWS);
    let mut unique = imported.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), VALID_ROWS);

    let rows = report_rows(&report);
    assert_eq!(rows.len(), VALID_ROWS + 1);
    for (index, (line, outcome)) in rows.iter().enumerate() {
        assert_eq!(*line, index as u64 + 2);
        let expected = if index < VALID_ROWS {
            "created"
        } else {
            "error"
        };
        assert_eq!(outcome, expected, "line {line}");
    }

    assert!(
        journals(&portal).is_empty(),
        "a finished import leaves no journal"
    );

    // The same file again: nothing to do, nothing created twice.
    let summary = portal.run(&["import", file, "--json"]).await.json();
    assert_eq!(summary["summary"]["created"], 0);
    assert_eq!(summary["summary"]["unchanged"], VALID_ROWS);
    assert_eq!(people(&portal).await.len(), VALID_ROWS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_the_import_with_exit_3_and_loses_no_row() {
    let portal = Portal::start().await;
    let file = portal.file("users.csv", &users_csv(20));
    let proxy = FaultProxy::start(
        &portal.url,
        "/api/v1/users/batch",
        vec![Fault::ExpiredToken; 10],
    )
    .await
    .unwrap();
    let report = portal.home().join("refused.csv");
    let out = portal
        .sxadmin_at(
            &proxy.url,
            Some(&portal.admin_token),
            &[
                "import",
                file.to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
            ],
        )
        .run()
        .await
        .expect(3);
    assert!(out.stderr.contains("--resume"), "{}", out.stderr);
    let rows = report_rows(&report);
    assert_eq!(rows.len(), 21);
    assert!(rows.iter().all(|(_, outcome)| outcome == "error"));
    assert!(people(&portal).await.is_empty());

    // Signed in again (here: the same token straight to the portal), it resumes.
    let resumed = portal
        .run(&["import", file.to_str().unwrap(), "--resume", "--json"])
        .await;
    assert_eq!(
        resumed.json()["summary"]["created"],
        20,
        "{}",
        resumed.stderr
    );
    assert_eq!(people(&portal).await.len(), 20);
}

/// A proxy would see a plain-http loopback portal's tokens in clear: requests to this
/// computer go straight to the portal whatever the environment names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_on_this_computer_is_never_reached_through_a_proxy() {
    let portal = Portal::start().await;
    let proxy = FaultProxy::start(&portal.url, "http://", Vec::new())
        .await
        .unwrap();
    let me = portal
        .sxadmin(&["whoami", "--json"])
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url)
        .env("HTTPS_PROXY", &proxy.url)
        .env("ALL_PROXY", &proxy.url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .run()
        .await
        .ok()
        .json();
    assert_eq!(me["email"], "admin@demo.example");
    assert_eq!(
        proxy.forwarded(),
        0,
        "a request to this computer went through the proxy"
    );
}

/// A file whose second row has a first name longer than the portal takes.
fn long_name_csv() -> String {
    format!(
        "email,first_name,last_name,role,language,licence\n\
         person.short@demo.example,Short,Name,user,en,\n\
         person.long@demo.example,{},Name,user,en,\n",
        "L".repeat(250)
    )
}

#[tokio::test]
async fn check_reports_a_first_name_longer_than_the_portal_takes() {
    let home = Home::new();
    let file = write_file(home.dir.path(), "long.csv", &long_name_csv());
    let report = home
        .run(&["import", file.to_str().unwrap(), "--check", "--json"])
        .await
        .expect(1)
        .json();
    assert_eq!(report["summary"]["valid"], 1, "{report}");
    assert_eq!(report["summary"]["with_errors"], 1, "{report}");
    let row = &report["rows"][0];
    assert_eq!(row["line"], 3);
    assert_eq!(row["errors"][0]["column"], "first_name");
    assert_eq!(row["errors"][0]["code"], "invalid_name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_never_plans_to_create_a_row_whose_name_is_too_long() {
    let portal = Portal::start().await;
    let file = portal.file("long.csv", &long_name_csv());
    let plan = portal
        .run(&["import", file.to_str().unwrap(), "--dry-run", "--json"])
        .await
        .expect(1)
        .json();
    assert_eq!(plan["summary"]["create"], 1, "{plan}");
    assert_eq!(plan["summary"]["error"], 1, "{plan}");
    let row = &plan["rows"][1];
    assert_eq!(row["email"], "person.long@demo.example");
    assert_eq!(row["action"], "error");
    assert_eq!(row["errors"][0]["column"], "first_name");
    assert_eq!(row["errors"][0]["code"], "invalid_name");

    // Applied, the file creates the valid row and reports the other as failed.
    let applied = portal
        .run(&["import", file.to_str().unwrap(), "--json"])
        .await
        .expect(1)
        .json();
    assert_eq!(applied["summary"]["created"], 1, "{applied}");
    assert_eq!(applied["summary"]["failed"], 1, "{applied}");
    assert_eq!(people(&portal).await, ["person.short@demo.example"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_beyond_the_licences_left_are_said_to_be_left_out_and_are() {
    let portal = Portal::start().await;
    // The demo account has 2 pro licences available.
    let file = portal.file(
        "pro.csv",
        "email,first_name,last_name,role,language,licence\n\
         person.a@demo.example,A,Pro,user,en,pro\n\
         person.b@demo.example,B,Pro,user,en,pro\n\
         person.c@demo.example,C,Pro,user,en,pro\n",
    );
    let file = file.to_str().unwrap();
    let said = "3 rows ask for a pro licence and 2 are available, so 1 row (the last in the \
                file that asks for one) will not be imported: buy 1 more with `sxadmin \
                licences buy pro 1`, or empty the licence cell of that row, then import again";

    let planned = portal.run(&["import", file, "--dry-run"]).await.expect(1);
    assert!(planned.stderr.contains(said), "{}", planned.stderr);
    assert!(!planned.stderr.contains("without"), "{}", planned.stderr);

    let applied = portal.run(&["import", file]).await.expect(1);
    assert!(applied.stderr.contains(said), "{}", applied.stderr);
    let mut imported = people(&portal).await;
    imported.sort();
    assert_eq!(imported, ["person.a@demo.example", "person.b@demo.example"]);
    assert!(portal
        .client()
        .lookup_user("person.c@demo.example")
        .await
        .is_err());
}
