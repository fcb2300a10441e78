//! The CSV import against files as spreadsheets really write them
//! (`tests/fixtures/csv/`, made by its `generate.py`), and against arbitrary bytes.

use std::borrow::Cow;

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use sxadmin_core::csv::plan::{build_plan, Action, LicenceChange, PortalSnapshot};
use sxadmin_core::csv::results::{write_results, ResultRow};
use sxadmin_core::csv::{read, Column, Encoding, FileError, IssueCode, ParsedFile, ReadOptions};
use sxadmin_core::{
    BatchOutcome, HeldLicence, Language, LicencePool, LicenceTier, Role, TierCount, User,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/csv");

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{FIXTURES}/{name}");
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

fn read_fixture(bytes: &[u8]) -> ParsedFile<'_> {
    match read(bytes, &ReadOptions::default()) {
        Ok(parsed) => parsed,
        Err(error) => panic!("the fixture should be readable: {error}"),
    }
}

fn file_error(name: &str) -> FileError {
    match read(&fixture(name), &ReadOptions::default()) {
        Ok(parsed) => panic!("{name} should be refused, got {parsed:?}"),
        Err(error) => error,
    }
}

/// (line, column, code) of every row issue, in file order.
fn issue_places<'p>(parsed: &'p ParsedFile<'_>) -> Vec<(u64, Option<&'p str>, &'static str)> {
    parsed
        .issues()
        .map(|issue| (issue.line, issue.column.as_deref(), issue.code.as_str()))
        .collect()
}

fn names(parsed: &ParsedFile<'_>) -> Vec<(String, String, String)> {
    parsed
        .rows
        .iter()
        .map(|row| {
            (
                row.email.to_string(),
                row.first_name.to_string(),
                row.last_name.to_string(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// template.csv: the template filled in; every value in its wire spelling, all valid.
#[test]
fn template_file() {
    let bytes = fixture("template.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(parsed.encoding, Encoding::Utf8);
    assert_eq!(parsed.delimiter, ',');
    assert_eq!(parsed.columns, Column::ALL);
    assert!(parsed.warnings.is_empty());
    assert_eq!(issue_places(&parsed), []);
    let jean = &parsed.rows[0];
    assert_eq!(jean.line, 2);
    assert_eq!(jean.email, "jean.dupont@example.com");
    assert_eq!(jean.role, Some(Role::Administrator));
    assert_eq!(jean.language, Some(Language::Fr));
    assert_eq!(jean.licence, Some(LicenceTier::Pro));
    let li = &parsed.rows[2];
    assert_eq!((li.role, li.language, li.licence), (None, None, None));
    // UTF-8 input is not copied: values borrow from the bytes.
    assert!(matches!(jean.first_name, Cow::Borrowed("Jean")));
}

/// excel_windows1252.csv: Excel's plain "CSV" on Windows; accents and € decoded, not mangled.
#[test]
fn excel_windows_1252() {
    let bytes = fixture("excel_windows1252.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(parsed.encoding, Encoding::Windows1252);
    assert_eq!(
        names(&parsed),
        owned(&[
            ("renee.cote@example.com", "Renée", "Côté"),
            ("francois.leger@example.com", "François", "Léger"),
            ("zoe.muller@example.com", "Zoë", "Müller – €"),
        ])
    );
    assert_eq!(parsed.rows[0].licence, Some(LicenceTier::Advanced));
    assert_eq!(
        parsed.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 3, 4]
    );
    assert_eq!(issue_places(&parsed), []);
}

/// semicolon_bom.csv: "CSV UTF-8" in a French locale; BOM stripped, `;` detected, headers
/// with spaces, capitals and hyphens matched, a comma inside a value kept.
#[test]
fn semicolons_with_bom() {
    let bytes = fixture("semicolon_bom.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(parsed.encoding, Encoding::Utf8Bom);
    assert_eq!(parsed.delimiter, ';');
    assert_eq!(parsed.columns, Column::ALL);
    assert_eq!(
        names(&parsed),
        owned(&[
            ("anne@example.com", "Anne", "Roy, Jr"),
            ("paul@example.com", "Paul", "Martin"),
        ])
    );
    assert_eq!(parsed.rows[0].role, Some(Role::Administrator));
    assert_eq!(parsed.rows[0].language, Some(Language::Fr));
    assert_eq!(parsed.rows[1].language, Some(Language::En));
    assert_eq!(issue_places(&parsed), []);
}

/// excel_unicode_text_utf16le.txt: Excel's "Unicode text": UTF-16 LE, tabs, non-Latin names.
#[test]
fn excel_unicode_text() {
    let bytes = fixture("excel_unicode_text_utf16le.txt");
    let parsed = read_fixture(&bytes);
    assert_eq!(parsed.encoding, Encoding::Utf16Le);
    assert_eq!(parsed.delimiter, '\t');
    assert_eq!(
        parsed.columns,
        [
            Column::Email,
            Column::FirstName,
            Column::LastName,
            Column::Language
        ]
    );
    assert_eq!(
        names(&parsed),
        owned(&[
            ("chloe@example.com", "Chloé", "Nguyễn"),
            ("bob@example.com", "Bob", "김"),
        ])
    );
    assert_eq!(issue_places(&parsed), []);
}

/// utf16be.csv: UTF-16 big-endian with its byte-order mark.
#[test]
fn utf16_big_endian() {
    let bytes = fixture("utf16be.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(parsed.encoding, Encoding::Utf16Be);
    assert_eq!(names(&parsed), owned(&[("andre@example.com", "André", "")]));
}

/// quoted_newlines.csv: quoted delimiters, doubled quotes and line breaks; the records after
/// a multi-line value keep their physical line numbers; the unknown `notes` column is a
/// warning; a line break inside a name is an error on that name.
#[test]
fn quoted_fields_and_line_breaks() {
    let bytes = fixture("quoted_newlines.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(
        parsed.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        [2, 4, 6]
    );
    assert_eq!(parsed.rows[0].first_name, "Jean, Marc");
    assert_eq!(parsed.rows[0].last_name, "O\"Neil");
    assert_eq!(parsed.rows[1].first_name, "Anne\r\nMarie");
    assert_eq!(parsed.rows[2].first_name, "Zoé");
    assert_eq!(
        issue_places(&parsed),
        [(4, Some("first_name"), "invalid_name")]
    );
    let [warning] = &parsed.warnings[..] else {
        panic!("one warning expected: {:?}", parsed.warnings)
    };
    assert_eq!(warning.code, IssueCode::UnknownColumn);
    assert_eq!(warning.column.as_deref(), Some("notes"));
    assert_eq!(warning.line, 1);
    assert!(warning.message.contains("column D"), "{}", warning.message);
}

/// french_headers.csv: French headers (with accents) and French values.
#[test]
fn french_headers_and_values() {
    let bytes = fixture("french_headers.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(parsed.columns, Column::ALL);
    let values: Vec<_> = parsed
        .rows
        .iter()
        .map(|r| (r.role, r.language, r.licence))
        .collect();
    assert_eq!(
        values,
        [
            (
                Some(Role::Administrator),
                Some(Language::Fr),
                Some(LicenceTier::Advanced)
            ),
            (Some(Role::User), Some(Language::En), Some(LicenceTier::Pro)),
            (Some(Role::User), Some(Language::Fr), Some(LicenceTier::Eco)),
        ]
    );
    assert_eq!(parsed.rows[0].last_name, "Lefèvre");
    assert_eq!(issue_places(&parsed), []);
}

/// duplicates.csv: repeats are found ignoring case and point at the first occurrence.
#[test]
fn duplicates_point_at_the_first_occurrence() {
    let bytes = fixture("duplicates.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(
        issue_places(&parsed),
        [
            (4, Some("email"), "duplicate_in_file"),
            (5, Some("email"), "duplicate_in_file"),
        ]
    );
    for issue in parsed.issues() {
        assert!(
            issue.message.contains("already on line 2"),
            "{}",
            issue.message
        );
    }
    assert_eq!(parsed.valid_rows().count(), 2);
}

/// invalid_values.csv: every row problem is reported at once, with line, column and code,
/// and messages that say how to fix.
#[test]
fn every_row_problem_is_reported() {
    let bytes = fixture("invalid_values.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(
        issue_places(&parsed),
        [
            (2, Some("email"), "invalid_email"),
            (3, Some("email"), "invalid_email"),
            (4, Some("role"), "unknown_role"),
            (5, Some("language"), "unknown_language"),
            (6, Some("licence"), "unknown_licence"),
            (7, Some("role"), "unknown_role"),
            (7, Some("language"), "unknown_language"),
            (7, Some("licence"), "unknown_licence"),
            (7, None, "too_many_values"),
            (8, Some("email"), "invalid_email"),
            (9, Some("email"), "invalid_email"),
            (9, Some("role"), "unknown_role"),
            (9, Some("language"), "unknown_language"),
            (9, Some("licence"), "unknown_licence"),
        ]
    );
    let messages: Vec<String> = parsed.issues().map(ToString::to_string).collect();
    assert_eq!(
        messages[0],
        "line 2, column email: \"jean.dupont@\": the address has no domain after the @; \
         write it as name@company.com"
    );
    assert!(messages[1].contains("space"), "{}", messages[1]);
    assert!(
        messages[2].contains("write user or administrator"),
        "{}",
        messages[2]
    );
    assert!(messages[3].contains("write en or fr"), "{}", messages[3]);
    assert!(
        messages[4].contains("write eco, advanced or pro"),
        "{}",
        messages[4]
    );
    assert!(messages[8].contains("double quotes"), "{}", messages[8]);
    assert!(messages[9].contains("empty"), "{}", messages[9]);
    assert!(messages[10].contains("more than one @"), "{}", messages[10]);
    // An invalid address is kept as typed so the administrator can find it.
    assert_eq!(parsed.rows[1].email, "marie example.com");
}

/// missing_email_column.csv: without an e-mail column nothing can be imported.
#[test]
fn missing_email_column_is_a_file_error() {
    let error = file_error("missing_email_column.csv");
    assert_eq!(error.code(), IssueCode::MissingEmailColumn);
    assert!(
        error.to_string().contains("\"name\", \"first_name\""),
        "{error}"
    );
    assert!(error.to_string().contains("courriel"), "{error}");
}

/// empty.csv, header_only.csv, not_text.csv, workbook.csv: file-level errors with advice.
#[test]
fn unusable_files_are_refused_clearly() {
    assert_eq!(file_error("empty.csv").code(), IssueCode::EmptyFile);
    assert_eq!(file_error("header_only.csv").code(), IssueCode::NoRows);
    let binary = file_error("not_text.csv");
    assert_eq!(binary.code(), IssueCode::NotText);
    assert!(binary.to_string().contains("CSV UTF-8"), "{binary}");
    let workbook = file_error("workbook.csv");
    assert_eq!(workbook.code(), IssueCode::NotText);
    assert!(workbook.to_string().contains("workbook"), "{workbook}");
}

/// The limits apply to any file: size before decoding, rows as they are read.
#[test]
fn limits_are_enforced() {
    let bytes = fixture("template.csv");
    let error = read(
        &bytes,
        &ReadOptions {
            max_bytes: 100,
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(error.code(), IssueCode::FileTooLarge);
    let error = read(
        &bytes,
        &ReadOptions {
            max_rows: 2,
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert_eq!(error, FileError::TooManyRows { max: 2, line: 4 });
    assert_eq!(error.code().as_str(), "too_many_rows");
    assert_eq!(ReadOptions::default().max_bytes, 50_000_000);
    assert_eq!(ReadOptions::default().max_rows, 200_000);
}

/// trailing_empty.csv: empty columns after the last one and empty lines are ignored silently.
#[test]
fn trailing_empty_lines_and_columns() {
    let bytes = fixture("trailing_empty.csv");
    let parsed = read_fixture(&bytes);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    assert_eq!(
        names(&parsed),
        owned(&[
            ("jean@example.com", "Jean", ""),
            ("marie@example.com", "Marie", ""),
        ])
    );
    assert_eq!(parsed.rows[1].line, 4);
    assert_eq!(issue_places(&parsed), []);
}

/// idn_domains.csv: international domains become ASCII; the local part keeps its case.
#[test]
fn international_domains() {
    let bytes = fixture("idn_domains.csv");
    let parsed = read_fixture(&bytes);
    let emails: Vec<&str> = parsed.rows.iter().map(|r| r.email.as_ref()).collect();
    assert_eq!(
        emails,
        ["marie@exemple.xn--qubec-csa", "Hans@xn--bcher-kva.de"]
    );
}

/// mac_cr.csv: lone CR line ends from "CSV (Macintosh)".
#[test]
fn classic_mac_line_ends() {
    let bytes = fixture("mac_cr.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(
        parsed
            .rows
            .iter()
            .map(|r| (r.line, r.first_name.as_ref()))
            .collect::<Vec<_>>(),
        [(2, "Jean"), (3, "Marie")]
    );
}

/// excel_sep_line.csv: Excel's `sep=;` line sets the delimiter and is not the header.
#[test]
fn excel_separator_line() {
    let bytes = fixture("excel_sep_line.csv");
    let parsed = read_fixture(&bytes);
    assert_eq!(parsed.delimiter, ';');
    assert_eq!(
        names(&parsed),
        owned(&[("jean@example.com", "Jean, Marc", "Dupont")])
    );
    assert_eq!(parsed.rows[0].line, 3);
}

fn at_noon() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap()
}

fn user(id: i64, email: &str, first: &str, last: &str, licence: Option<LicenceTier>) -> User {
    User {
        id,
        email: email.to_owned(),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        language: Language::En,
        role: Role::User,
        role_group_id: None,
        active: true,
        licence: licence.map(|tier| HeldLicence { id: id * 10, tier }),
        created_at: at_noon(),
        updated_at: at_noon(),
    }
}

fn pool(eco: i64, advanced: i64, pro: i64) -> LicencePool {
    LicencePool {
        tiers: [
            (LicenceTier::Eco, eco),
            (LicenceTier::Advanced, advanced),
            (LicenceTier::Pro, pro),
        ]
        .into_iter()
        .map(|(tier, available)| TierCount {
            tier,
            purchased: available + 1,
            assigned: 1,
            available,
        })
        .collect(),
    }
}

fn snapshot() -> PortalSnapshot {
    let mut admin = user(4, "admin@example.com", "Ada", "Admin", None);
    admin.role = Role::Administrator;
    PortalSnapshot {
        users: vec![
            user(1, "Existing@example.com", "Existing", "Person", None),
            user(
                2,
                "same@example.com",
                "Same",
                "Person",
                Some(LicenceTier::Eco),
            ),
            user(
                3,
                "upgrade@example.com",
                "Up",
                "Grade",
                Some(LicenceTier::Eco),
            ),
            admin,
        ],
        approved_domains: vec!["Example.com".to_owned()],
        pool: pool(0, 5, 2),
    }
}

/// plan.csv against `snapshot()`: each row gets its action; Pro licences run out after
/// two (file order), the unapproved domain and the bad address are errors.
#[test]
fn plan_compares_the_file_with_the_portal() {
    let bytes = fixture("plan.csv");
    let parsed = read_fixture(&bytes);
    let plan = build_plan(&parsed, &snapshot());

    let actions: Vec<(u64, &str, &str)> = plan
        .rows
        .iter()
        .map(|row| {
            let kind = match row.action.kind() {
                sxadmin_core::csv::plan::ActionKind::Create => "create",
                sxadmin_core::csv::plan::ActionKind::Update => "update",
                sxadmin_core::csv::plan::ActionKind::Unchanged => "unchanged",
                sxadmin_core::csv::plan::ActionKind::Error => "error",
                sxadmin_core::csv::plan::ActionKind::Disable => "disable",
                sxadmin_core::csv::plan::ActionKind::Delete => "delete",
            };
            (row.line, row.email.as_str(), kind)
        })
        .collect();
    assert_eq!(
        actions,
        [
            (2, "new.one@example.com", "create"),
            (3, "existing@example.com", "update"),
            (4, "same@example.com", "unchanged"),
            (5, "upgrade@example.com", "update"),
            (6, "stranger@unapproved.org", "error"),
            (7, "gmail.user@gmail.com", "error"),
            (8, "new.two@example.com", "error"),
            (9, "bad@", "error"),
        ]
    );

    match &plan.rows[1].action {
        Action::Update {
            user_id,
            changes,
            licence,
        } => {
            assert_eq!(*user_id, 1);
            assert_eq!(changes.last_name.as_deref(), Some("Renamed"));
            assert_eq!(changes.first_name, None, "unchanged names are not sent");
            assert_eq!(*licence, None);
        }
        other => panic!("update expected, got {other:?}"),
    }
    match &plan.rows[3].action {
        Action::Update {
            changes, licence, ..
        } => {
            assert!(changes.is_empty(), "empty cells keep the portal's values");
            assert_eq!(
                *licence,
                Some(LicenceChange {
                    from: Some(LicenceTier::Eco),
                    to: LicenceTier::Pro
                })
            );
        }
        other => panic!("update expected, got {other:?}"),
    }

    let codes = |index: usize| -> Vec<&'static str> {
        plan.rows[index]
            .issues
            .iter()
            .map(|issue| issue.code.as_str())
            .collect()
    };
    assert_eq!(codes(4), ["domain_not_approved"]);
    assert_eq!(codes(5), ["licences_exhausted"]);
    assert_eq!(codes(6), ["licences_exhausted"]);
    assert_eq!(codes(7), ["invalid_email"]);

    assert_eq!(
        (
            plan.summary.rows,
            plan.summary.create,
            plan.summary.update,
            plan.summary.unchanged,
            plan.summary.error
        ),
        (8, 1, 2, 1, 4)
    );
    let pro = plan
        .summary
        .licences
        .iter()
        .find(|demand| demand.tier == LicenceTier::Pro)
        .unwrap();
    assert_eq!((pro.needed, pro.available), (4, 2));

    let findings: Vec<(&str, &str)> = plan
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(findings[0].0, "licences_exhausted");
    assert!(
        findings[0]
            .1
            .starts_with("the file assigns 4 Pro licences and 2 are available; buy 2 more"),
        "{}",
        findings[0].1
    );
    assert_eq!(findings[1].0, "domain_not_approved");
    assert!(
        findings[1].1.contains("unapproved.org (1)"),
        "{}",
        findings[1].1
    );
}

/// The plan is a pure function: same input, same plan, and the JSON the CLI prints.
#[test]
fn plan_is_deterministic_and_serialises_for_the_cli() {
    let bytes = fixture("plan.csv");
    let parsed = read_fixture(&bytes);
    let first = serde_json::to_value(build_plan(&parsed, &snapshot())).unwrap();
    let second = serde_json::to_value(build_plan(&parsed, &snapshot())).unwrap();
    assert_eq!(first, second);
    assert_eq!(first["summary"]["create"], 1);
    assert_eq!(first["rows"][0]["action"], "create");
    assert_eq!(first["rows"][0]["licence"], "pro");
    assert_eq!(first["rows"][1]["action"], "update");
    assert_eq!(first["rows"][1]["changes"]["last_name"], "Renamed");
    assert_eq!(first["rows"][4]["errors"][0]["code"], "domain_not_approved");
    assert_eq!(first["rows"][4]["errors"][0]["column"], "email");
    assert_eq!(first["rows"][7]["errors"][0]["line"], 9);
}

/// Demoting every active administrator is refused before anything is sent.
#[test]
fn plan_keeps_an_administrator() {
    let file = b"email,role\nadmin@example.com,user\n";
    let parsed = read_fixture(file);
    let plan = build_plan(&parsed, &snapshot());
    assert_eq!(plan.rows[0].issues[0].code, IssueCode::LastAdministrator);
    assert_eq!(plan.summary.error, 1);

    // With another administrator created in the same file, the demotion may go ahead.
    let file = b"email,role\nadmin@example.com,user\nnew.admin@example.com,administrateur\n";
    let parsed = read_fixture(file);
    let plan = build_plan(&parsed, &snapshot());
    assert_eq!((plan.summary.update, plan.summary.create), (1, 1));
}

/// formula_names.csv through the plan to the results file: no cell can run as a formula.
#[test]
fn results_file_neutralises_formulas() {
    let bytes = fixture("formula_names.csv");
    let parsed = read_fixture(&bytes);
    let plan = build_plan(&parsed, &snapshot());
    let results = plan
        .rows
        .iter()
        .zip(&parsed.rows)
        .map(|(planned, row)| ResultRow {
            line: planned.line,
            email: planned.email.clone(),
            outcome: BatchOutcome::Created,
            message: format!("created {} {}", row.first_name, row.last_name),
        });
    let mut out = Vec::new();
    write_results(results, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("\u{FEFF}row,email,outcome,message"));
    assert_eq!(
        lines.next(),
        Some("2,eve@example.com,created,\"created =HYPERLINK(\"\"http://evil.example\"\") +1\"")
    );

    let cells = [
        ResultRow {
            line: 2,
            email: "@attacker".into(),
            outcome: BatchOutcome::Error,
            message: parsed.rows[0].first_name.to_string(),
        },
        ResultRow {
            line: 3,
            email: "x@example.com".into(),
            outcome: BatchOutcome::Error,
            message: parsed.rows[1].last_name.to_string(),
        },
    ];
    let mut out = Vec::new();
    write_results(cells, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("2,'@attacker,error,\"'=HYPERLINK("), "{text}");
    assert!(text.contains("3,x@example.com,error,'-2\r\n"), "{text}");
}

/// Values borrowed from the caller's bytes can be detached and outlive them.
#[test]
fn parsed_file_can_own_its_values() {
    let owned = {
        let bytes = fixture("template.csv");
        read_fixture(&bytes).into_owned()
    };
    assert_eq!(owned.rows[0].email, "jean.dupont@example.com");
}

/// Cells from which random files are built: delimiters, quotes, line breaks, spaces,
/// addresses, accents, BOMs and values in every spelling.
fn csv_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(",".to_owned()),
        Just(";".to_owned()),
        Just("\t".to_owned()),
        Just("\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("\r\n".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just(" ".to_owned()),
        Just("\u{FEFF}".to_owned()),
        Just("sep=;".to_owned()),
        Just("email".to_owned()),
        Just("courriel".to_owned()),
        Just("prénom".to_owned()),
        Just("licence".to_owned()),
        Just("role".to_owned()),
        Just("@".to_owned()),
        Just("jean@example.com".to_owned()),
        Just("JEAN@EXAMPLE.COM".to_owned()),
        Just("x@exemple.québec".to_owned()),
        Just("administrateur".to_owned()),
        Just("pro".to_owned()),
        Just("fr-CA".to_owned()),
        "[a-zA-Z0-9.@_-]{0,12}",
        any::<String>(),
    ]
}

fn check_everything(bytes: &[u8]) {
    let options = ReadOptions {
        max_bytes: 1 << 20,
        max_rows: 50,
    };
    match read(bytes, &options) {
        Ok(parsed) => {
            assert!(!parsed.rows.is_empty());
            assert!(parsed.rows.len() <= options.max_rows);
            for row in &parsed.rows {
                assert!(row.line >= 1);
                assert_eq!(
                    row.email_is_valid,
                    !row.issues
                        .iter()
                        .any(|i| { i.code == IssueCode::InvalidEmail })
                );
                for issue in &row.issues {
                    assert_eq!(issue.line, row.line);
                    assert!(!issue.message.is_empty());
                }
            }
            let plan = build_plan(&parsed, &snapshot());
            assert_eq!(plan.rows.len(), parsed.rows.len());
            let results = plan.rows.iter().map(|row| ResultRow {
                line: row.line,
                email: row.email.clone(),
                outcome: BatchOutcome::Error,
                message: row.issues.iter().map(ToString::to_string).collect(),
            });
            let mut out = Vec::new();
            assert!(write_results(results, &mut out).is_ok());
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes give a file or a file error, never a panic.
    #[test]
    fn any_bytes_are_read_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_everything(&bytes);
    }

    /// Text made of CSV syntax in random order, in every encoding the reader accepts.
    #[test]
    fn any_csv_like_text_is_read_without_panic(
        pieces in proptest::collection::vec(csv_piece(), 0..60),
        encoding in 0..4u8,
    ) {
        let text: String = pieces.concat();
        let bytes: Vec<u8> = match encoding {
            0 => text.into_bytes(),
            1 => [0xFF, 0xFE].into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
            2 => [0xFE, 0xFF].into_iter()
                .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
                .collect(),
            _ => text.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect(),
        };
        check_everything(&bytes);
    }

    /// A valid file read back gives every row, in order, with its values.
    #[test]
    fn generated_files_round_trip(
        rows in proptest::collection::vec(("[a-z]{1,8}", "[A-Za-zé ]{0,8}", 0..3usize), 1..30),
        delimiter in prop_oneof![Just(','), Just(';'), Just('\t')],
    ) {
        let mut text = format!("email{delimiter}first_name{delimiter}licence\r\n");
        for (index, (local, name, tier)) in rows.iter().enumerate() {
            let tier = ["", "eco", "Pro"][*tier];
            text.push_str(&format!(
                "{local}{index}@example.com{delimiter}\"{name}\"{delimiter}{tier}\r\n"
            ));
        }
        let parsed = read(text.as_bytes(), &ReadOptions::default()).unwrap();
        prop_assert_eq!(parsed.rows.len(), rows.len());
        for (index, (row, (local, name, _))) in parsed.rows.iter().zip(&rows).enumerate() {
            prop_assert_eq!(row.line, index as u64 + 2);
            prop_assert_eq!(row.email.as_ref(), format!("{local}{index}@example.com"));
            prop_assert_eq!(row.first_name.as_ref(), name.trim());
            prop_assert!(row.issues.is_empty());
        }
    }
}

/// The plan promises that a row it marks `create` passes every check the portal makes
/// before writing: a name over the portal's limit is refused here, not when applied.
#[test]
fn names_over_the_portal_limit_are_refused_by_the_plan() {
    let long = "A".repeat(sxadmin_core::rules::MAX_NAME_CHARS + 50);
    let at_limit = "B".repeat(sxadmin_core::rules::MAX_NAME_CHARS);
    let text = format!(
        "email,first_name,last_name\nlong@example.com,{long},Person\nfits@example.com,{at_limit},Person\n"
    );
    let parsed = read(text.as_bytes(), &ReadOptions::default()).unwrap();
    assert_eq!(
        issue_places(&parsed),
        vec![(2, Some("first_name"), "invalid_name")]
    );
    let plan = build_plan(&parsed, &snapshot());
    assert!(matches!(plan.rows[0].action, Action::Error));
    assert!(matches!(plan.rows[1].action, Action::Create { .. }));
    assert!(
        plan.rows[0].issues[0].message.contains("200 characters"),
        "{}",
        plan.rows[0].issues[0].message
    );
}
