//! The `sxadmin` binary as scripts run it: output, JSON and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn sxadmin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sxadmin"))
        .args(args)
        .output()
        .expect("sxadmin runs")
}

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/csv")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn template_prints_the_header_and_refuses_to_overwrite() {
    let printed = sxadmin(&["template"]);
    assert_eq!(printed.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap(),
        "email,first_name,last_name,role,language,licence\n"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("users.csv");
    let path = path.to_str().unwrap();
    assert_eq!(sxadmin(&["template", "-o", path]).status.code(), Some(0));
    assert!(std::fs::read_to_string(path).unwrap().starts_with("email,"));
    let again = sxadmin(&["template", "-o", path]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn check_of_a_valid_file_exits_zero() {
    let out = sxadmin(&["import", &fixture("template.csv"), "--check"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("are valid"));
}

#[test]
fn check_reports_every_row_problem_as_json_and_exits_one() {
    let out = sxadmin(&[
        "import",
        &fixture("invalid_values.csv"),
        "--check",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["summary"]["with_errors"].as_u64().unwrap() >= 2);
    let first = &report["rows"][0];
    assert_eq!(first["line"], 2);
    assert_eq!(first["errors"][0]["column"], "email");
    assert_eq!(first["errors"][0]["code"], "invalid_email");
}

#[test]
fn a_file_that_is_not_text_is_bad_input() {
    let out = sxadmin(&["import", &fixture("not_text.csv"), "--check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not_text"));
    let missing = sxadmin(&["import", "/nonexistent/users.csv", "--check"]);
    assert_eq!(missing.status.code(), Some(2));
}
