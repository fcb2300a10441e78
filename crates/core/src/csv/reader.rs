//! Reading the rows: one pass over the (borrowed or once-decoded) text with a reused
//! record buffer, keeping only the cleaned values of each row.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use ::csv::{ByteRecord, ReaderBuilder};
use serde::Serialize;

use crate::email::normalize_email;
use crate::model::{Language, LicenceTier, Role};

use super::decode::{decode, Encoding};
use super::headers::{detect_delimiter, excel_separator_hint, first_record_line, Column};
use super::issue::{quoted, FileError, Issue, IssueCode};
use super::values::{parse_language, parse_licence, parse_role};
use super::ReadOptions;

/// A file that could be read: its rows, each with the problems found in it, and the
/// header warnings (columns ignored).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParsedFile {
    pub encoding: Encoding,
    pub delimiter: char,
    /// The template columns the header names, in file order.
    pub columns: Vec<Column>,
    /// Every non-blank data row, in file order, including rows with problems.
    pub rows: Vec<CsvRow>,
    /// Things the import ignores but the administrator should know about.
    pub warnings: Vec<Issue>,
}

impl ParsedFile {
    /// Every row problem, in file order.
    pub fn issues(&self) -> impl Iterator<Item = &Issue> {
        self.rows.iter().flat_map(|row| row.issues.iter())
    }

    /// Rows that can go on to the plan.
    pub fn valid_rows(&self) -> impl Iterator<Item = &CsvRow> {
        self.rows.iter().filter(|row| row.issues.is_empty())
    }

    pub fn has_column(&self, column: Column) -> bool {
        self.columns.contains(&column)
    }
}

/// One user line, values trimmed and parsed. Empty cells are empty strings or `None`; the
/// plan reads them as "portal default" for a new user and "keep as is" for an existing one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CsvRow {
    /// 1-based physical line where the record starts (a quoted line break makes a record
    /// span several lines).
    pub line: u64,
    /// The address as [`normalize_email`] returns it, or as typed (trimmed) when invalid.
    pub email: String,
    #[serde(skip)]
    pub email_is_valid: bool,
    pub first_name: String,
    pub last_name: String,
    pub role: Option<Role>,
    pub language: Option<Language>,
    pub licence: Option<LicenceTier>,
    /// Problems in this row, in column order; empty when the row is valid.
    pub issues: Vec<Issue>,
}

/// What a header cell maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Template(Column),
    /// A named column the template does not have (reported once, in the warnings).
    Ignored,
    /// A column with an empty header, as spreadsheets leave after the last used column.
    Unnamed,
}

/// Reads and checks a whole file. Row problems are collected in the rows; only problems
/// that make the file unusable as a whole are returned as errors.
pub fn read(bytes: &[u8], options: &ReadOptions) -> Result<ParsedFile, FileError> {
    if bytes.len() > options.max_bytes {
        return Err(FileError::FileTooLarge {
            size: bytes.len(),
            max: options.max_bytes,
        });
    }
    let (text, encoding) = decode(bytes)?;
    if text.trim().is_empty() {
        return Err(FileError::EmptyFile);
    }
    let (first_line, _) = first_record_line(&text);
    let separator_hint = excel_separator_hint(first_line);
    let delimiter = separator_hint.unwrap_or_else(|| detect_delimiter(first_line));

    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = ByteRecord::new();
    let mut lines = LineCounter::new(text.as_bytes());

    let mut skip_separator_line = separator_hint.is_some();
    let header_found = loop {
        if !next_record(&mut reader, &mut record)? {
            break false;
        }
        if is_blank(&record) {
            continue;
        }
        if skip_separator_line {
            skip_separator_line = false;
            continue;
        }
        break true;
    };
    if !header_found {
        return Err(FileError::EmptyFile);
    }
    let header_line = lines.line_of(&record);
    let mut warnings = Vec::new();
    let slots = map_header(&record, header_line, delimiter, &mut warnings)?;
    let columns = slots
        .iter()
        .filter_map(|slot| match slot {
            Slot::Template(column) => Some(*column),
            _ => None,
        })
        .collect();

    let mut rows = Vec::new();
    let mut unnamed_values: Option<(usize, u64)> = None;
    while next_record(&mut reader, &mut record)? {
        if is_blank(&record) {
            continue;
        }
        let line = lines.line_of(&record);
        if rows.len() >= options.max_rows {
            return Err(FileError::TooManyRows {
                max: options.max_rows,
                line,
            });
        }
        rows.push(read_row(
            &record,
            &slots,
            line,
            delimiter,
            &mut unnamed_values,
        ));
    }
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    if let Some((index, line)) = unnamed_values {
        warnings.push(Issue::new(
            line,
            None,
            IssueCode::UnnamedColumn,
            format!(
                "column {} has no header but holds values (first on line {line}); they are \
                 ignored. Give the column a template header if it should be imported",
                column_letter(index)
            ),
        ));
    }
    mark_duplicates(&mut rows);

    Ok(ParsedFile {
        encoding,
        delimiter: char::from(delimiter),
        columns,
        rows,
        warnings,
    })
}

fn next_record(
    reader: &mut ::csv::Reader<&[u8]>,
    record: &mut ByteRecord,
) -> Result<bool, FileError> {
    reader.read_byte_record(record).map_err(|error| {
        FileError::NotText(format!(
            "the file could not be read as CSV ({error}); save it again from your spreadsheet \
             as \"CSV UTF-8\""
        ))
    })
}

/// Physical line numbers of records.
///
/// The csv reader's own positions are taken before it skips the line break that ends the
/// previous record and any empty lines, so with CRLF or blank lines they point one or more
/// lines too early. This counts line breaks (LF, CRLF or a lone CR) up to the record's
/// first byte instead, advancing through the text only once.
struct LineCounter<'t> {
    text: &'t [u8],
    offset: usize,
    line: u64,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_of(&mut self, record: &ByteRecord) -> u64 {
        let Some(position) = record.position() else {
            return self.line;
        };
        let mut start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        while let Some(b'\r' | b'\n') = self.text.get(start) {
            start += 1;
        }
        if start > self.offset {
            if let Some(skipped) = self.text.get(self.offset..start) {
                self.line += count_line_breaks(skipped);
                self.offset = start;
            }
        }
        self.line
    }
}

fn count_line_breaks(bytes: &[u8]) -> u64 {
    let line_feeds = bytes.iter().filter(|&&b| b == b'\n').count();
    let lone_carriage_returns = if bytes.contains(&b'\r') {
        let pairs = bytes.iter().zip(bytes.iter().skip(1));
        let crlf = pairs.filter(|&(&a, &b)| a == b'\r' && b == b'\n').count();
        bytes.iter().filter(|&&b| b == b'\r').count() - crlf
    } else {
        0
    };
    (line_feeds + lone_carriage_returns) as u64
}

fn is_blank(record: &ByteRecord) -> bool {
    record.iter().all(is_blank_field)
}

fn is_blank_field(field: &[u8]) -> bool {
    field.iter().all(u8::is_ascii_whitespace)
}

/// The text of a field. The whole file is valid UTF-8 and fields are split at ASCII bytes,
/// so the lossy path is never taken in practice; it only avoids trusting that silently.
fn field_text(field: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(field)
}

/// Spreadsheet column letters (A, B, …, Z, AA, …), as the administrator sees them.
fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let remainder = (n - 1) % 26;
        letters.push(char::from(b'A' + remainder as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn map_header(
    record: &ByteRecord,
    line: u64,
    delimiter: u8,
    warnings: &mut Vec<Issue>,
) -> Result<Vec<Slot>, FileError> {
    let mut slots = Vec::with_capacity(record.len());
    let mut seen: Vec<Column> = Vec::new();
    for (index, field) in record.iter().enumerate() {
        let text = field_text(field);
        let header = text.trim();
        let slot = if header.is_empty() {
            Slot::Unnamed
        } else {
            match Column::from_header(header) {
                Some(column) if seen.contains(&column) => {
                    warnings.push(Issue::new(
                        line,
                        Some(header),
                        IssueCode::DuplicateColumn,
                        format!(
                            "column {} {} is a second {} column and is ignored; keep only one",
                            column_letter(index),
                            quoted(header),
                            column.as_str()
                        ),
                    ));
                    Slot::Ignored
                }
                Some(column) => {
                    seen.push(column);
                    Slot::Template(column)
                }
                None => {
                    warnings.push(Issue::new(
                        line,
                        Some(header),
                        IssueCode::UnknownColumn,
                        format!(
                            "column {} {} is not part of the template and is ignored; the \
                             template columns are email, first_name, last_name, role, \
                             language, licence",
                            column_letter(index),
                            quoted(header)
                        ),
                    ));
                    Slot::Ignored
                }
            }
        };
        slots.push(slot);
    }
    if !seen.contains(&Column::Email) {
        return Err(missing_email_column(record, delimiter));
    }
    Ok(slots)
}

fn missing_email_column(record: &ByteRecord, delimiter: u8) -> FileError {
    let headers: Vec<String> = record
        .iter()
        .map(|field| field_text(field).trim().to_owned())
        .filter(|header| !header.is_empty())
        .collect();
    let message = if headers.iter().any(|header| header.contains('@')) {
        "the first line holds an address, so the header line is missing; add the line \
         email,first_name,last_name,role,language,licence above the first user"
            .to_owned()
    } else {
        let found = headers
            .iter()
            .take(10)
            .map(|header| quoted(header))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "the header has no e-mail column (found {found}, separated by {}); name the column \
             that holds the addresses \"email\" (or \"courriel\")",
            delimiter_name(delimiter)
        )
    };
    FileError::MissingEmailColumn(message)
}

fn delimiter_name(delimiter: u8) -> &'static str {
    match delimiter {
        b',' => "commas",
        b';' => "semicolons",
        b'\t' => "tabs",
        _ => "the delimiter named in the sep= line",
    }
}

/// The cells of one record that belong to template columns, borrowed from the record.
#[derive(Default)]
struct Cells<'r> {
    email: Cow<'r, str>,
    first_name: Cow<'r, str>,
    last_name: Cow<'r, str>,
    role: Cow<'r, str>,
    language: Cow<'r, str>,
    licence: Cow<'r, str>,
}

impl<'r> Cells<'r> {
    fn set(&mut self, column: Column, text: Cow<'r, str>) {
        let cell = match column {
            Column::Email => &mut self.email,
            Column::FirstName => &mut self.first_name,
            Column::LastName => &mut self.last_name,
            Column::Role => &mut self.role,
            Column::Language => &mut self.language,
            Column::Licence => &mut self.licence,
        };
        *cell = text;
    }
}

fn read_row(
    record: &ByteRecord,
    slots: &[Slot],
    line: u64,
    delimiter: u8,
    unnamed_values: &mut Option<(usize, u64)>,
) -> CsvRow {
    let mut cells = Cells::default();
    let mut extra_values = 0usize;
    for (index, field) in record.iter().enumerate() {
        match slots.get(index) {
            Some(Slot::Template(column)) => cells.set(*column, field_text(field)),
            Some(Slot::Ignored) => {}
            Some(Slot::Unnamed) => {
                if unnamed_values.is_none() && !is_blank_field(field) {
                    *unnamed_values = Some((index, line));
                }
            }
            None => {
                if !is_blank_field(field) {
                    extra_values += 1;
                }
            }
        }
    }

    let mut issues = Vec::new();
    let raw_email = cells.email.trim();
    let (email, email_is_valid) = match normalize_email(raw_email) {
        Ok(email) => (email, true),
        Err(error) => {
            let message = if raw_email.is_empty() {
                "the e-mail address is empty; every user needs one".to_owned()
            } else {
                format!("{}: {error}", quoted(raw_email))
            };
            issues.push(Issue::new(
                line,
                Some(Column::Email.as_str()),
                IssueCode::InvalidEmail,
                message,
            ));
            (raw_email.to_owned(), false)
        }
    };
    let first_name = checked_name(&cells.first_name, Column::FirstName, line, &mut issues);
    let last_name = checked_name(&cells.last_name, Column::LastName, line, &mut issues);
    let role = parse_cell(&cells.role, parse_role, line, &mut issues, || {
        (
            Column::Role,
            IssueCode::UnknownRole,
            "is not a role; write user or administrator (utilisateur or administrateur), or \
             leave the cell empty for a standard user",
        )
    });
    let language = parse_cell(&cells.language, parse_language, line, &mut issues, || {
        (
            Column::Language,
            IssueCode::UnknownLanguage,
            "is not a supported language; write en or fr (english, français), or leave the \
             cell empty",
        )
    });
    let licence = parse_cell(&cells.licence, parse_licence, line, &mut issues, || {
        (
            Column::Licence,
            IssueCode::UnknownLicence,
            "is not a licence tier; write eco, advanced or pro (avancé in French), or leave \
             the cell empty for no licence",
        )
    });
    if extra_values > 0 {
        issues.push(Issue::new(
            line,
            None,
            IssueCode::TooManyValues,
            format!(
                "this line has more values than the header has columns, so its values may be \
                 in the wrong columns; a value containing {} probably lacks double quotes \
                 around it (write \"Dupont{} Jean\")",
                delimiter_shown(delimiter),
                char::from(delimiter)
            ),
        ));
    }

    CsvRow {
        line,
        email,
        email_is_valid,
        first_name,
        last_name,
        role,
        language,
        licence,
        issues,
    }
}

fn delimiter_shown(delimiter: u8) -> &'static str {
    match delimiter {
        b',' => "a comma",
        b';' => "a semicolon",
        b'\t' => "a tab",
        _ => "the delimiter",
    }
}

/// Names are stored as typed (trimmed); a line break or control character in a name is
/// almost always a paste accident and would break the portal's lists and e-mails.
fn checked_name(cell: &str, column: Column, line: u64, issues: &mut Vec<Issue>) -> String {
    let name = cell.trim();
    if name.chars().any(char::is_control) {
        issues.push(Issue::new(
            line,
            Some(column.as_str()),
            IssueCode::InvalidName,
            format!(
                "{} contains a line break or another invisible character; keep the name on \
                 one line",
                quoted(name)
            ),
        ));
    }
    name.to_owned()
}

fn parse_cell<T>(
    cell: &str,
    parse: impl Fn(&str) -> Option<T>,
    line: u64,
    issues: &mut Vec<Issue>,
    problem: impl Fn() -> (Column, IssueCode, &'static str),
) -> Option<T> {
    let value = cell.trim();
    if value.is_empty() {
        return None;
    }
    let parsed = parse(value);
    if parsed.is_none() {
        let (column, code, advice) = problem();
        issues.push(Issue::new(
            line,
            Some(column.as_str()),
            code,
            format!("{} {advice}", quoted(value)),
        ));
    }
    parsed
}

/// Valid addresses are ASCII, so comparing them ignoring ASCII case is the portal's
/// case-insensitive comparison; hashing through a small buffer avoids a lower-cased copy
/// of every address.
struct Caseless<'a>(&'a str);

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut buffer = [0u8; 64];
        for chunk in self.0.as_bytes().chunks(buffer.len()) {
            let mut used = 0;
            for (slot, byte) in buffer.iter_mut().zip(chunk) {
                *slot = byte.to_ascii_lowercase();
                used += 1;
            }
            state.write(buffer.get(..used).unwrap_or_default());
        }
        state.write_u8(0xFF);
    }
}

impl PartialEq for Caseless<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(other.0)
    }
}

impl Eq for Caseless<'_> {}

/// Flags every repeat of an address (ignoring case) and points it at the first row.
fn mark_duplicates(rows: &mut [CsvRow]) {
    let repeats: Vec<(usize, u64)> = {
        let mut first_line: HashMap<Caseless<'_>, u64> = HashMap::with_capacity(rows.len());
        let mut repeats = Vec::new();
        for (index, row) in rows.iter().enumerate() {
            if !row.email_is_valid {
                continue;
            }
            match first_line.entry(Caseless(&row.email)) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    repeats.push((index, *first.get()));
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(row.line);
                }
            }
        }
        repeats
    };
    for (index, first) in repeats {
        if let Some(row) = rows.get_mut(index) {
            let message = format!(
                "{} is already on line {first} (addresses are compared ignoring case); keep \
                 one line per user and delete this one",
                row.email
            );
            // The address issue comes first, as the email column does.
            row.issues.insert(
                0,
                Issue::new(
                    row.line,
                    Some(Column::Email.as_str()),
                    IssueCode::DuplicateInFile,
                    message,
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Result<ParsedFile, FileError> {
        read(text.as_bytes(), &ReadOptions::default())
    }

    fn codes(row: &CsvRow) -> Vec<&'static str> {
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
            read_str("email;nom\n;\n\na@example.com;\"Du\npont\"\nb@example.com;X\n;;\n\n")
                .unwrap();
        let lines: Vec<u64> = parsed.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 6]);
        assert_eq!(codes(&parsed.rows[0]), ["invalid_name"]);
    }

    #[test]
    fn extra_values_and_unnamed_columns() {
        let parsed =
            read_str("email,first_name,\na@example.com,Jean,x\nb@example.com,Dupont, Jean\n")
                .unwrap();
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
}
