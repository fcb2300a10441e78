//! Spreadsheets from the command line: the Excel template, workbooks checked by cell, the
//! user export imported again unchanged, the list's filters, and removals from a file
//! refused by the safeguard, then allowed.

use std::path::PathBuf;

use crate::harness::{Home, Portal};

fn workbook(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/workbooks")
        .join(name)
        .display()
        .to_string()
}

#[tokio::test]
async fn the_excel_template_has_the_users_sheet_and_its_guide() {
    let home = Home::new();
    let path = home.dir.path().join("users.xlsx");
    let path = path.to_str().unwrap();
    let out = home.run(&["template", "-o", path]).await.ok();
    assert!(out.stderr.contains("Excel template"), "{}", out.stderr);
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        sxadmin_core::workbook::sheet_names(&bytes).unwrap(),
        ["Users", "Guide"]
    );
    // The CSV template stays as it was.
    let printed = home.run(&["template"]).await.ok();
    assert_eq!(
        printed.stdout,
        "email,first_name,last_name,role,language,licence\n"
    );
}

#[tokio::test]
async fn a_workbook_is_checked_offline_with_problems_named_by_cell() {
    let home = Home::new();
    let file = workbook("people-libreoffice.xlsx");
    let out = home.run(&["import", &file, "--check"]).await.expect(1);
    assert!(
        out.stdout
            .contains("5 users, Excel workbook (.xlsx), sheet \"Staff list\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("'Staff list'!B5 (email): \"not-an-address\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("'Staff list'!E6 (role): \"boss\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--sheet NAME"), "{}", out.stdout);

    let json = home
        .run(&["import", &file, "--check", "--json"])
        .await
        .expect(1)
        .json();
    assert_eq!(json["summary"]["sheet"], "Staff list");
    assert_eq!(json["rows"][0]["errors"][0]["cell"], "'Staff list'!B5");

    for other in ["people-libreoffice.ods", "people-libreoffice.xls"] {
        let out = home
            .run(&["import", &workbook(other), "--check", "--sheet", "Notes"])
            .await
            .ok();
        assert!(
            out.stdout.contains("All 1 users are valid"),
            "{}",
            out.stdout
        );
    }
    let missing = home
        .run(&["import", &file, "--check", "--sheet", "Payroll"])
        .await
        .expect(2);
    assert!(
        missing.stderr.contains("no sheet named \"Payroll\""),
        "{}",
        missing.stderr
    );
}

#[tokio::test]
async fn an_export_imported_again_changes_nothing_in_both_formats() {
    let portal = Portal::start().await;
    for name in ["users.xlsx", "users.csv"] {
        let path = portal.home().join(name);
        let path = path.to_str().unwrap();
        let out = portal.run(&["users", "export", "-o", path]).await.ok();
        assert!(out.stdout.contains("Exported 6 users"), "{}", out.stdout);
        let plan = portal
            .run(&["import", path, "--dry-run", "--json"])
            .await
            .ok()
            .json();
        assert_eq!(plan["summary"]["rows"], 6, "{name}");
        assert_eq!(plan["summary"]["unchanged"], 6, "{name}");
        let again = portal.run(&["users", "export", "-o", path]).await.expect(2);
        assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    }
    let wrong = portal
        .run(&["users", "export", "-o", "users.ods"])
        .await
        .expect(2);
    assert!(wrong.stderr.contains(".xlsx"), "{}", wrong.stderr);
}

#[tokio::test]
async fn users_list_filters_by_role_licence_status_and_group() {
    let portal = Portal::start().await;
    let admins = portal
        .run(&["users", "list", "--role", "administrateur", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(admins.as_array().unwrap().len(), 1);
    assert_eq!(admins[0]["email"], "admin@demo.example");
    portal
        .run(&["users", "edit", "lea.roy@demo.example", "--disable"])
        .await
        .ok();
    let disabled = portal
        .run(&["users", "list", "--status", "disabled", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(disabled.as_array().unwrap().len(), 1);
    assert_eq!(disabled[0]["email"], "lea.roy@demo.example");
    let without = portal
        .run(&["users", "list", "--licence", "none", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(without.as_array().unwrap().len(), 6);
    let unknown = portal
        .run(&["users", "list", "--group", "Nobody"])
        .await
        .expect(2);
    assert!(unknown.stderr.contains("--group"), "{}", unknown.stderr);
}

#[tokio::test]
async fn a_sync_is_refused_beyond_the_safeguard_then_allowed() {
    let portal = Portal::start().await;
    // The file lists the administrator and two of the five standard users.
    let file = portal.home().join("kept.csv");
    std::fs::write(
        &file,
        "email\nadmin@demo.example\ncamille.tremblay@demo.example\nnoah.gagnon@demo.example\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();

    let plan = portal
        .run(&["import", file, "--sync", "--dry-run"])
        .await
        .expect(1);
    assert!(
        plan.stdout.contains("Removals: 3 to disable, 0 to delete"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("Refused as it stands"),
        "{}",
        plan.stdout
    );

    let refused = portal.run(&["import", file, "--sync"]).await.expect(2);
    assert!(
        refused.stderr.contains("--max-removals 3"),
        "{}",
        refused.stderr
    );
    let active = portal
        .run(&["users", "list", "--status", "active", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(active.as_array().unwrap().len(), 6, "nothing was applied");

    let report = portal.home().join("sync-results.csv");
    let applied = portal
        .run(&[
            "import",
            file,
            "--sync",
            "--max-removals",
            "50%",
            "--report",
            report.to_str().unwrap(),
            "--json",
        ])
        .await
        .ok()
        .json();
    assert_eq!(applied["summary"]["disabled"], 3);
    let results = std::fs::read_to_string(&report).unwrap();
    assert!(
        results.contains("\r\n,lea.roy@demo.example,disabled,"),
        "users not in the file have no row number: {results}"
    );

    // Deleting needs a confirmation, which a script gives with --yes.
    let unconfirmed = portal
        .run(&[
            "import",
            file,
            "--sync",
            "--delete-missing",
            "--max-removals",
            "3",
        ])
        .await
        .expect(2);
    assert!(
        unconfirmed.stderr.contains("--yes"),
        "{}",
        unconfirmed.stderr
    );
    let deleted = portal
        .run(&[
            "import",
            file,
            "--sync",
            "--delete-missing",
            "--max-removals",
            "3",
            "--yes",
        ])
        .await
        .ok();
    assert!(
        deleted.stdout.contains("0 disabled, 3 deleted"),
        "{}",
        deleted.stdout
    );
    let left = portal.run(&["users", "list", "--json"]).await.ok().json();
    assert_eq!(left.as_array().unwrap().len(), 3);
}
