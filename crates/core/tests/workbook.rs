//! Workbooks written by other programs (`tests/fixtures/workbooks/`, made by its
//! `make_workbooks.py` with openpyxl and LibreOffice), our own template and export read
//! back, and the removals a file can ask for.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeZone, Utc};
use sxadmin_core::csv::plan::{
    build_plan, build_plan_with, ActionKind, PlanOptions, PortalSnapshot, RemovalKind,
    RemovalLimit, SyncMode,
};
use sxadmin_core::csv::{Column, FileError, IssueCode, ParsedFile, ReadOptions, RowAction};
use sxadmin_core::workbook::{self, ExportRow, WorkbookFormat};
use sxadmin_core::{HeldLicence, Language, LicencePool, LicenceTier, Role, TierCount, User};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/workbooks"
);

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}/{name}");
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

fn read(bytes: &[u8], sheet: Option<&str>) -> ParsedFile<'static> {
    match workbook::read_any(bytes, sheet, &ReadOptions::default()) {
        Ok(parsed) => parsed.into_owned(),
        Err(error) => panic!("the workbook should be readable: {error}"),
    }
}

/// (row, cell, code) of every row issue.
fn places(parsed: &ParsedFile<'_>) -> Vec<(u64, Option<String>, &'static str)> {
    parsed
        .issues()
        .map(|issue| (issue.line, issue.cell.clone(), issue.code.as_str()))
        .collect()
}

const WRITTEN_BY_OTHERS: [(&str, WorkbookFormat); 5] = [
    ("people-openpyxl.xlsx", WorkbookFormat::Xlsx),
    ("people-libreoffice.xlsx", WorkbookFormat::Xlsx),
    ("people-libreoffice.xlsm", WorkbookFormat::Xlsx),
    ("people-libreoffice.ods", WorkbookFormat::Ods),
    ("people-libreoffice.xls", WorkbookFormat::Xls),
];

#[test]
fn workbooks_written_by_other_programs_read_alike() {
    for (name, format) in WRITTEN_BY_OTHERS {
        let parsed = read(&fixture(name), None);
        let sheet = parsed.sheet.as_ref().expect("a workbook names its sheet");
        assert_eq!(sheet.format, format, "{name}");
        assert_eq!(sheet.name, "Staff list", "{name}");
        assert_eq!(sheet.sheets, ["Staff list", "Notes"], "{name}");
        assert_eq!(parsed.columns, Column::WITH_ACTION, "{name}");

        let rows: Vec<(u64, &str, &str, &str)> = parsed
            .rows
            .iter()
            .map(|row| (row.line, &*row.email, &*row.first_name, &*row.last_name))
            .collect();
        // openpyxl stores no value for a formula it cannot calculate; LibreOffice does.
        let marie = if name.contains("openpyxl") {
            ""
        } else {
            "MARIE"
        };
        // LibreOffice keeps a boolean in .ods as the formula TRUE() with the number 1.
        let yes = if name.ends_with(".ods") { "1" } else { "TRUE" };
        assert_eq!(
            rows,
            [
                (3, "jean@example.com", "Jean", "Dupont"),
                (4, "marie@example.com", marie, "5145550123"),
                (5, "not-an-address", "Paul", "Martin"),
                (6, "zoe@example.com", "2024-03-01", yes),
                (8, "luc@gmail.com", "Luc", "42.5"),
            ],
            "{name}"
        );
        let jean = &parsed.rows[0];
        assert_eq!(jean.role, Some(Role::Administrator), "{name}");
        assert_eq!(jean.language, Some(Language::Fr), "{name}");
        assert_eq!(jean.licence, Some(LicenceTier::Pro), "{name}");
        let actions: Vec<RowAction> = parsed.rows.iter().map(|row| row.action).collect();
        assert_eq!(
            actions,
            [
                RowAction::Keep,
                RowAction::Keep,
                RowAction::Keep,
                RowAction::Delete,
                RowAction::Disable
            ],
            "{name}"
        );
        assert_eq!(
            places(&parsed),
            [
                (5, Some("'Staff list'!B5".to_owned()), "invalid_email"),
                (6, Some("'Staff list'!E6".to_owned()), "unknown_role"),
            ],
            "{name}"
        );
        // The unknown "Notes" column is reported, with the sheet.
        assert_eq!(parsed.warnings.len(), 1, "{name}: {:?}", parsed.warnings);
        assert!(parsed.warnings[0].message.starts_with("column I"), "{name}");
    }
}

#[test]
fn problems_name_the_cell_as_the_spreadsheet_shows_it() {
    let parsed = read(&fixture("people-libreoffice.xlsx"), None);
    let issue = parsed.issues().next().expect("the bad address is reported");
    assert_eq!(
        issue.to_string(),
        "'Staff list'!B5 (email): \"not-an-address\": the address has no @; write it as \
         name@company.com"
    );
}

#[test]
fn another_sheet_is_read_by_name_and_an_unknown_one_is_refused() {
    let bytes = fixture("people-libreoffice.ods");
    let parsed = read(&bytes, Some("notes"));
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].email, "other@example.com");
    assert_eq!(
        workbook::sheet_names(&bytes).unwrap(),
        ["Staff list", "Notes"]
    );
    let error = workbook::read_any(&bytes, Some("Payroll"), &ReadOptions::default()).unwrap_err();
    assert_eq!(error.code(), IssueCode::SheetNotFound);
    assert_eq!(
        error.to_string(),
        "the workbook has no sheet named \"Payroll\"; its sheets are \"Staff list\", \"Notes\""
    );
}

#[test]
fn a_damaged_workbook_is_refused_with_advice() {
    let mut bytes = fixture("people-libreoffice.xlsx");
    bytes.truncate(bytes.len() / 2);
    let error = workbook::read_any(&bytes, None, &ReadOptions::default()).unwrap_err();
    assert_eq!(error.code(), IssueCode::UnreadableWorkbook);
    assert!(error.to_string().contains("save it again"), "{error}");
}

#[test]
fn the_row_limit_holds_for_workbooks() {
    let options = ReadOptions {
        max_bytes: ReadOptions::DEFAULT_MAX_BYTES,
        max_rows: 2,
    };
    let error =
        workbook::read_any(&fixture("people-libreoffice.xlsx"), None, &options).unwrap_err();
    assert_eq!(error, FileError::TooManyRows { max: 2, line: 5 });
}

#[test]
fn the_template_reads_back_with_its_columns_and_no_rows() {
    let template = workbook::template_xlsx().unwrap();
    assert_eq!(
        workbook::sheet_names(&template).unwrap(),
        ["Users", "Guide"]
    );
    let error = workbook::read_any(&template, None, &ReadOptions::default()).unwrap_err();
    assert_eq!(error, FileError::NoRows);
}

fn user(id: i64, email: &str, role: Role, licence: Option<LicenceTier>) -> User {
    let at = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap();
    User {
        id,
        email: email.into(),
        first_name: format!("First{id}"),
        last_name: format!("Last{id}"),
        language: if id % 2 == 0 {
            Language::Fr
        } else {
            Language::En
        },
        role,
        role_group_id: None,
        active: id != 4,
        licence: licence.map(|tier| HeldLicence { id: 100 + id, tier }),
        created_at: at,
        updated_at: at,
    }
}

fn snapshot(users: Vec<User>) -> PortalSnapshot {
    PortalSnapshot {
        users,
        approved_domains: vec!["example.com".into()],
        pool: LicencePool {
            tiers: LicenceTier::ALL
                .iter()
                .map(|&tier| TierCount {
                    tier,
                    purchased: 5,
                    assigned: 0,
                    available: 5,
                })
                .collect(),
        },
    }
}

fn account() -> Vec<User> {
    (1..=20)
        .map(|id| {
            let role = if id <= 2 {
                Role::Administrator
            } else {
                Role::User
            };
            let licence = match id % 3 {
                0 => Some(LicenceTier::Pro),
                1 => Some(LicenceTier::Eco),
                _ => None,
            };
            user(id, &format!("user{id}@example.com"), role, licence)
        })
        .collect()
}

#[test]
fn an_export_imported_again_changes_nothing_in_both_formats() {
    let users = account();
    let rows: Vec<ExportRow> = users
        .iter()
        .map(|u| ExportRow::from_user(u, (u.id == 3).then_some("Support")))
        .collect();
    let portal = snapshot(users);
    for bytes in [
        workbook::write_xlsx(&rows).unwrap(),
        workbook::write_csv(&rows).unwrap(),
    ] {
        let parsed = read(&bytes, None);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let plan = build_plan(&parsed, &portal);
        assert_eq!(plan.summary.rows, 20);
        assert_eq!(plan.summary.unchanged, 20, "{:?}", plan.rows);
        assert!(plan.removals.is_empty());
    }
}

#[test]
fn an_edited_export_changes_only_what_was_edited() {
    let users = account();
    let mut rows: Vec<ExportRow> = users
        .iter()
        .map(|u| ExportRow::from_user(u, None))
        .collect();
    rows[5].first_name = "Renamed".into();
    let parsed = read(&workbook::write_xlsx(&rows).unwrap(), None);
    let plan = build_plan(&parsed, &snapshot(users));
    assert_eq!(plan.summary.update, 1);
    assert_eq!(plan.summary.unchanged, 19);
    assert_eq!(plan.rows[5].action.kind(), ActionKind::Update);
}

fn csv(text: &str) -> ParsedFile<'static> {
    sxadmin_core::csv::read(text.as_bytes(), &ReadOptions::default())
        .unwrap()
        .into_owned()
}

#[test]
fn the_action_column_disables_and_deletes_and_says_what_is_lost() {
    let parsed = csv("email,action\n\
         user3@example.com,supprimer\n\
         user5@example.com,disable\n\
         user4@example.com,désactiver\n\
         nobody@example.com,delete\n\
         user1@example.com,delete\n");
    let options = PlanOptions {
        caller: Some(1),
        ..PlanOptions::default()
    };
    let plan = build_plan_with(&parsed, &snapshot(account()), &options);
    let kinds: Vec<ActionKind> = plan.rows.iter().map(|row| row.action.kind()).collect();
    assert_eq!(
        kinds,
        [
            ActionKind::Delete,
            ActionKind::Disable,
            // user4 is already disabled.
            ActionKind::Unchanged,
            ActionKind::Error,
            ActionKind::Error,
        ]
    );
    assert_eq!(plan.rows[3].issues[0].code, IssueCode::UnknownUser);
    assert_eq!(plan.rows[4].issues[0].code, IssueCode::RemovesCaller);
    assert_eq!((plan.summary.delete, plan.summary.disable), (1, 1));
    let deleted = &plan.removals[0];
    assert_eq!(deleted.line, Some(2));
    assert_eq!(deleted.kind, RemovalKind::Delete);
    assert!(
        deleted
            .loss
            .contains("their Pro licence goes back to the pool"),
        "{}",
        deleted.loss
    );
    // 2 of 20 users is 10%: within the default limit.
    assert!(!plan.safeguard.exceeded);
}

#[test]
fn sync_disables_the_users_missing_from_the_file_but_never_the_caller() {
    let listed: String = (1..=18)
        .filter(|id| *id != 1)
        .map(|id| format!("user{id}@example.com\n"))
        .collect();
    let parsed = csv(&format!("email\n{listed}"));
    let options = PlanOptions {
        sync: SyncMode::DisableMissing,
        caller: Some(1),
        ..PlanOptions::default()
    };
    let plan = build_plan_with(&parsed, &snapshot(account()), &options);
    let missing: Vec<(&str, RemovalKind, Option<u64>)> = plan
        .removals
        .iter()
        .map(|r| (r.email.as_str(), r.kind, r.line))
        .collect();
    assert_eq!(
        missing,
        [
            ("user19@example.com", RemovalKind::Disable, None),
            ("user20@example.com", RemovalKind::Disable, None),
        ]
    );
    assert!(plan
        .findings
        .iter()
        .any(|f| f.code == IssueCode::RemovesCaller));
    assert_eq!(plan.summary.disable, 2);
    assert!(!plan.safeguard.exceeded);

    let delete = PlanOptions {
        sync: SyncMode::DeleteMissing,
        ..options
    };
    let plan = build_plan_with(&parsed, &snapshot(account()), &delete);
    assert!(plan.removals.iter().all(|r| r.kind == RemovalKind::Delete));
    assert_eq!(plan.summary.delete, 2);
}

#[test]
fn the_safeguard_refuses_more_than_ten_percent_unless_raised() {
    let parsed = csv("email\nuser1@example.com\nuser2@example.com\nuser3@example.com\n");
    let options = PlanOptions {
        sync: SyncMode::DisableMissing,
        caller: Some(1),
        ..PlanOptions::default()
    };
    let plan = build_plan_with(&parsed, &snapshot(account()), &options);
    // 17 users missing, one of them already disabled: 16 to disable, 2 allowed.
    assert_eq!(plan.removals.len(), 16);
    assert!(plan.safeguard.exceeded);
    assert_eq!(plan.safeguard.allowed, 2);
    let finding = plan
        .findings
        .iter()
        .find(|f| f.code == IssueCode::TooManyRemovals)
        .expect("the refusal is a finding");
    assert!(
        finding.message.contains("allow 16 removals"),
        "{}",
        finding.message
    );

    for limit in [RemovalLimit::Count(16), RemovalLimit::Percent(80)] {
        let raised = PlanOptions {
            max_removals: limit,
            ..options.clone()
        };
        let plan = build_plan_with(&parsed, &snapshot(account()), &raised);
        assert!(!plan.safeguard.exceeded, "{limit}");
    }
}

#[test]
fn the_last_active_administrator_is_never_removed() {
    let users = vec![
        user(1, "boss@example.com", Role::Administrator, None),
        user(2, "staff@example.com", Role::User, None),
    ];
    let parsed = csv("email,action\nboss@example.com,delete\n");
    // Even by another administrator's token (the caller unknown), the last one stays.
    let plan = build_plan(&parsed, &snapshot(users.clone()));
    assert_eq!(plan.rows[0].action.kind(), ActionKind::Error);
    assert_eq!(plan.rows[0].issues[0].code, IssueCode::LastAdministrator);
    assert!(plan.removals.is_empty());

    let parsed = csv("email\nstaff@example.com\n");
    let options = PlanOptions {
        sync: SyncMode::DeleteMissing,
        max_removals: RemovalLimit::Percent(100),
        caller: None,
    };
    let plan = build_plan_with(&parsed, &snapshot(users), &options);
    assert!(plan.removals.is_empty(), "{:?}", plan.removals);
    assert!(plan
        .findings
        .iter()
        .any(|f| f.code == IssueCode::LastAdministrator));
}

#[test]
fn problems_found_by_the_plan_name_their_cell_too() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, cells) in [
        ["email", "licence", "action"],
        ["ghost@example.com", "", "delete"],
        ["new@unknown.org", "pro", ""],
    ]
    .iter()
    .enumerate()
    {
        for (col, text) in cells.iter().enumerate() {
            sheet.write_string(row as u32, col as u16, *text).unwrap();
        }
    }
    let parsed = read(&book.save_to_buffer().unwrap(), None);
    let plan = build_plan(&parsed, &snapshot(account()));
    let cells: Vec<(Option<&str>, IssueCode)> = plan
        .rows
        .iter()
        .flat_map(|row| &row.issues)
        .map(|issue| (issue.cell.as_deref(), issue.code))
        .collect();
    assert_eq!(
        cells,
        [
            (Some("Sheet1!C2"), IssueCode::UnknownUser),
            (Some("Sheet1!A3"), IssueCode::DomainNotApproved),
        ]
    );
}
