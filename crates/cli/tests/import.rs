//! `sxadmin import` against the real portal on a loopback port: the plan, a real import,
//! and an import killed in the middle and resumed from its journal.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;
use sxadmin_client::{PortalClient, PortalUrl, UserListQuery};
use sxadmin_tests::portal::DemoPortal;
use sxadmin_tests::proxy::{Fault, FaultProxy};

const VALID_ROWS: usize = 1000;

struct Portal {
    demo: DemoPortal,
    url: String,
    token: String,
}

async fn start_portal() -> Portal {
    let demo = DemoPortal::start(Default::default()).await;
    Portal {
        url: demo.url.clone(),
        token: demo.admin_token.clone(),
        demo,
    }
}

impl Portal {
    /// The binary as a script runs it: token in the environment, no terminal.
    fn command(&self, portal: &str, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sxadmin"));
        command
            .args(args)
            .env("SXADMIN_PORTAL", portal)
            .env("SXADMIN_TOKEN", &self.token)
            .env("SXADMIN_DATA_DIR", self.demo.dir.path().join("data"))
            .env("SXADMIN_CONFIG_DIR", self.demo.dir.path().join("config"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.command(&self.url, args).output().await.unwrap()
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.demo.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    async fn people(&self) -> Vec<String> {
        let client =
            PortalClient::new(PortalUrl::parse(&self.url).unwrap(), self.token.clone()).unwrap();
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

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
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
    let portal = start_portal().await;
    let file = portal.file(
        "plan.csv",
        "email,first_name,last_name,role,language,licence\n\
         new.person@demo.example,New,Person,user,en,eco\n\
         camille.tremblay@demo.example,Camille,Tremblay,user,fr,\n\
         broken,,,user,en,\n",
    );
    let out = portal
        .run(&["import", file.to_str().unwrap(), "--dry-run", "--json"])
        .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
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
    assert!(portal.people().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_without_an_interrupted_import_is_bad_usage() {
    let portal = start_portal().await;
    let file = portal.file("users.csv", &users_csv(3));
    let out = portal
        .run(&["import", file.to_str().unwrap(), "--resume"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no interrupted import"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_killed_midway_resumes_and_imports_every_row_once() {
    let portal = start_portal().await;
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
        .command(&proxy.url, &["import", file, "--concurrency", "1"])
        .spawn()
        .unwrap();
    proxy.wait_forwarded(3).await;
    child.kill().await.unwrap();
    let imported_before = portal.people().await.len();
    assert_eq!(imported_before, 750, "three batches of 250 were committed");

    let report = portal.demo.dir.path().join("results.csv");
    let out = portal
        .command(
            &proxy.url,
            &[
                "import",
                file,
                "--resume",
                "--report",
                report.to_str().unwrap(),
            ],
        )
        .output()
        .await
        .unwrap();
    // The invalid row fails; everything else is imported.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("500 of 1000 rows to send were done, 500 left"));
    let people = portal.people().await;
    assert_eq!(people.len(), VALID_ROWS);
    let mut unique = people.clone();
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

    // The same file again: nothing to do, nothing created twice.
    let again = portal.run(&["import", file, "--json"]).await;
    let summary: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(summary["summary"]["created"], 0);
    assert_eq!(summary["summary"]["unchanged"], VALID_ROWS);
    assert_eq!(portal.people().await.len(), VALID_ROWS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_the_import_with_exit_3_and_loses_no_row() {
    let portal = start_portal().await;
    let file = portal.file("users.csv", &users_csv(20));
    let proxy = FaultProxy::start(
        &portal.url,
        "/api/v1/users/batch",
        vec![Fault::ExpiredToken; 10],
    )
    .await
    .unwrap();
    let report = portal.demo.dir.path().join("refused.csv");
    let out = portal
        .command(
            &proxy.url,
            &[
                "import",
                file.to_str().unwrap(),
                "--report",
                report.to_str().unwrap(),
            ],
        )
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--resume"),
        "{}",
        text(&out.stderr)
    );
    let rows = report_rows(&report);
    assert_eq!(rows.len(), 21);
    assert!(rows.iter().all(|(_, outcome)| outcome == "error"));
    assert!(portal.people().await.is_empty());

    // Signed in again (here: the same token straight to the portal), it resumes.
    let resumed = portal
        .run(&["import", file.to_str().unwrap(), "--resume", "--json"])
        .await;
    let summary: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(
        summary["summary"]["created"],
        20,
        "{}",
        text(&resumed.stderr)
    );
    assert_eq!(portal.people().await.len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_named_in_the_environment_carries_the_requests() {
    let portal = start_portal().await;
    // A forward proxy receives the portal's full address on the request line.
    let proxy = FaultProxy::start(&portal.url, "http://", Vec::new())
        .await
        .unwrap();
    let out = portal
        .command(&portal.url, &["whoami", "--json"])
        .env("HTTP_PROXY", &proxy.url)
        .env("http_proxy", &proxy.url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let me: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["email"], "admin@demo.example");
    assert!(
        proxy.forwarded() >= 1,
        "the request did not go through the proxy"
    );
}
