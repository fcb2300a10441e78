//! The reader's unit tests: line numbers, delimiters, headers and cells.
use super::*;

fn read_str(text: &str) -> Result<ParsedFile<'_>, FileError> {
    read(text.as_bytes(), &ReadOptions::default())
}

fn codes(row: &CsvRow<'_>) -> Vec<&'static str> {
    row.issues.iter().map(|i| i.code.as_str()).collect()
}

#[test]
fn reads_the_template_columns_in_any_order() {
    let parsed = read_str(
        "Licence,Email,Role\r\npro,Jean@Example.com,administrator\r\n,marie@example.com,\r\n",
    )
    .unwrap();
    assert_eq!(parsed.delimiter, ',');
    assert_eq!(
        parsed.columns,
        [Column::Licence, Column::Email, Column::Role]
    );
    let [jean, marie] = &parsed.rows[..] else {
        panic!("two rows expected: {:?}", parsed.rows)
    };
    assert_eq!(jean.line, 2);
    assert_eq!(jean.email, "Jean@example.com");
    assert_eq!(jean.licence, Some(LicenceTier::Pro));
    assert_eq!(jean.role, Some(Role::Administrator));
    assert_eq!(marie.line, 3);
    assert_eq!(marie.licence, None);
    assert_eq!(marie.role, None);
    assert!(parsed.issues().next().is_none());
}

#[test]
fn reports_every_problem_of_a_row() {
    let parsed = read_str("email,role,language,licence\njean@,boss,de,gold\n").unwrap();
    assert_eq!(
        codes(&parsed.rows[0]),
        [
            "invalid_email",
            "unknown_role",
            "unknown_language",
            "unknown_licence"
        ]
    );
    assert_eq!(
        parsed.rows[0].issues[0].to_string(),
        "line 2, column email: \"jean@\": the address has no domain after the @; write it \
        as name@company.com"
    );
}

#[test]
fn duplicates_point_at_the_first_occurrence() {
    let parsed = read_str("email\na@example.com\nb@example.com\nA@EXAMPLE.com\n").unwrap();
    assert!(parsed.rows[0].issues.is_empty());
    assert_eq!(codes(&parsed.rows[2]), ["duplicate_in_file"]);
    assert!(parsed.rows[2].issues[0]
        .message
        .contains("already on line 2"));
}

#[test]
fn blank_rows_are_skipped_and_lines_stay_physical() {
    let parsed =
        read_str("email;nom\n;\n\na@example.com;\"Du\npont\"\nb@example.com;X\n;;\n\n").unwrap();
    let lines: Vec<u64> = parsed.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [4, 6]);
    assert_eq!(codes(&parsed.rows[0]), ["invalid_name"]);
}

#[test]
fn extra_values_and_unnamed_columns() {
    let parsed =
        read_str("email,first_name,\na@example.com,Jean,x\nb@example.com,Dupont, Jean\n").unwrap();
    assert_eq!(codes(&parsed.rows[0]), Vec::<&str>::new());
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].code, IssueCode::UnnamedColumn);
    assert!(parsed.warnings[0].message.starts_with("column C"));
    let parsed = read_str("email,first_name\na@example.com,Dupont, Jean\n").unwrap();
    assert_eq!(codes(&parsed.rows[0]), ["too_many_values"]);
}

#[test]
fn header_problems() {
    let error = read_str("name,first\nx,y\n").unwrap_err();
    assert_eq!(error.code(), IssueCode::MissingEmailColumn);
    assert!(error.to_string().contains("\"name\", \"first\""), "{error}");
    let error = read_str("jean@example.com,Jean\n").unwrap_err();
    assert!(
        error.to_string().contains("header line is missing"),
        "{error}"
    );
    assert_eq!(read_str("email\n\n").unwrap_err(), FileError::NoRows);
    assert_eq!(read_str(" \r\n ").unwrap_err(), FileError::EmptyFile);
    assert_eq!(read_str(",,,\n").unwrap_err(), FileError::EmptyFile);
}

#[test]
fn excel_sep_line_sets_the_delimiter() {
    let parsed = read_str("sep=;\nemail;first_name\na@example.com;Jean, Marie\n").unwrap();
    assert_eq!(parsed.delimiter, ';');
    assert_eq!(parsed.rows[0].first_name, "Jean, Marie");
    assert_eq!(parsed.rows[0].line, 3);
}

#[test]
fn limits() {
    let options = ReadOptions {
        max_bytes: 10,
        max_rows: 1,
    };
    assert_eq!(
        read(b"email\na@example.com\n", &options)
            .unwrap_err()
            .code(),
        IssueCode::FileTooLarge
    );
    let options = ReadOptions {
        max_bytes: 1000,
        max_rows: 1,
    };
    assert_eq!(
        read(b"email\na@example.com\n\nb@example.com\n", &options).unwrap_err(),
        FileError::TooManyRows { max: 1, line: 4 }
    );
    assert!(read(b"email\na@example.com\n\n", &options).is_ok());
}

#[test]
fn line_numbers_count_every_kind_of_line_break() {
    let parsed =
        read_str("email\r\n\r\na@example.com\rb@example.com\n\"c\r\n\"@x.com\r\nd@example.com")
            .unwrap();
    let lines: Vec<u64> = parsed.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 4, 5, 7]);
}

#[test]
fn column_letters_match_spreadsheets() {
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(25), "Z");
    assert_eq!(column_letter(26), "AA");
    assert_eq!(column_letter(701), "ZZ");
    assert_eq!(column_letter(702), "AAA");
}
