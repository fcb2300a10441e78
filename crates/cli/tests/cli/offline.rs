//! Commands that need no portal: the template and the offline check of a file.

use crate::harness::{fixture, Home};

#[tokio::test]
async fn template_prints_the_header_and_refuses_to_overwrite() {
    let home = Home::new();
    let printed = home.run(&["template"]).await.ok();
    assert_eq!(
        printed.stdout,
        "email,first_name,last_name,role,language,licence\n"
    );

    let path = home.dir.path().join("users.csv");
    let path = path.to_str().unwrap();
    home.run(&["template", "-o", path]).await.ok();
    assert!(std::fs::read_to_string(path).unwrap().starts_with("email,"));
    let again = home.run(&["template", "-o", path]).await.expect(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[tokio::test]
async fn check_of_a_valid_file_exits_zero() {
    let home = Home::new();
    let out = home
        .run(&["import", &fixture("template.csv"), "--check"])
        .await
        .ok();
    assert!(out.stdout.contains("are valid"), "{}", out.stdout);
}

#[tokio::test]
async fn check_reports_every_row_problem_as_json_and_exits_one() {
    let home = Home::new();
    let out = home
        .run(&[
            "import",
            &fixture("invalid_values.csv"),
            "--check",
            "--json",
        ])
        .await
        .expect(1);
    let report = out.json();
    assert!(report["summary"]["with_errors"].as_u64().unwrap() >= 2);
    let first = &report["rows"][0];
    assert_eq!(first["line"], 2);
    assert_eq!(first["errors"][0]["column"], "email");
    assert_eq!(first["errors"][0]["code"], "invalid_email");
}

#[tokio::test]
async fn a_file_that_is_not_text_is_bad_input() {
    let home = Home::new();
    let out = home
        .run(&["import", &fixture("not_text.csv"), "--check"])
        .await
        .expect(2);
    assert!(out.stderr.contains("not_text"), "{}", out.stderr);
    home.run(&["import", "/nonexistent/users.csv", "--check"])
        .await
        .expect(2);
}
