//! Reading the rows: one pass over the text (borrowed from the caller's bytes when they
//! are UTF-8, decoded once otherwise), keeping only the cleaned values of each row.

use std::borrow::Cow;

use serde::Serialize;

use crate::email::{normalize_email, normalize_email_borrowed, EmailError};
use crate::model::{Language, LicenceTier, Role};

use super::decode::{decode, Encoding};
use super::duplicates::DuplicateFinder;
use super::headers::{
    detect_delimiter, excel_separator_hint, first_record_line, is_export_info_column, Column,
};
use super::issue::{quoted, FileError, Issue, IssueCode};
use super::tokenizer::{FieldSink, RecordStart, Tokenizer};
use super::values::{parse_action, parse_language, parse_licence, parse_role, RowAction};
use super::ReadOptions;
use crate::workbook::SheetPlace;

/// A file that could be read: its rows, each with the problems found in it, and the
/// header warnings (columns ignored).
///
/// Values borrow from the bytes given to [`read`] when those are UTF-8 and the value needed
/// no change, so a large file is not copied; [`ParsedFile::into_owned`] detaches them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParsedFile<'a> {
    pub encoding: Encoding,
    pub delimiter: char,
    /// The template columns the header names, in file order.
    pub columns: Vec<Column>,
    /// Every non-blank data row, in file order, including rows with problems.
    pub rows: Vec<CsvRow<'a>>,
    /// Things the import ignores but the administrator should know about.
    pub warnings: Vec<Issue>,
    /// Where the rows came from when the file is a workbook: its format, the sheet read
    /// and the letter of each column, so that problems name cells (`Sheet1!C4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<SheetPlace>,
}

impl ParsedFile<'_> {
    /// Every row problem, in file order.
    pub fn issues(&self) -> impl Iterator<Item = &Issue> {
        self.rows.iter().flat_map(|row| row.issues.iter())
    }

    /// Rows that can go on to the plan.
    pub fn valid_rows(&self) -> impl Iterator<Item = &CsvRow<'_>> {
        self.rows.iter().filter(|row| row.issues.is_empty())
    }

    pub fn has_column(&self, column: Column) -> bool {
        self.columns.contains(&column)
    }

    /// The same file, owning its values, for callers that keep it after the bytes go.
    pub fn into_owned(self) -> ParsedFile<'static> {
        ParsedFile {
            encoding: self.encoding,
            delimiter: self.delimiter,
            columns: self.columns,
            rows: self.rows.into_iter().map(CsvRow::into_owned).collect(),
            warnings: self.warnings,
            sheet: self.sheet,
        }
    }
}

/// One user line, values trimmed and parsed. Empty cells are empty strings or `None`; the
/// plan reads them as "portal default" for a new user and "keep as is" for an existing one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CsvRow<'a> {
    /// 1-based physical line where the record starts (a quoted line break makes a record
    /// span several lines).
    pub line: u64,
    /// The address as [`normalize_email`] returns it, or as typed (trimmed) when invalid.
    pub email: Cow<'a, str>,
    #[serde(skip)]
    pub email_is_valid: bool,
    pub first_name: Cow<'a, str>,
    pub last_name: Cow<'a, str>,
    pub role: Option<Role>,
    pub language: Option<Language>,
    pub licence: Option<LicenceTier>,
    /// The `action` cell; [`RowAction::Keep`] when the column is absent or the cell empty.
    #[serde(default)]
    pub action: RowAction,
    /// Problems in this row, in column order; empty when the row is valid.
    pub issues: Vec<Issue>,
}

impl CsvRow<'_> {
    pub fn into_owned(self) -> CsvRow<'static> {
        CsvRow {
            line: self.line,
            email: Cow::Owned(self.email.into_owned()),
            email_is_valid: self.email_is_valid,
            first_name: Cow::Owned(self.first_name.into_owned()),
            last_name: Cow::Owned(self.last_name.into_owned()),
            role: self.role,
            language: self.language,
            licence: self.licence,
            action: self.action,
            issues: self.issues,
        }
    }
}

/// What a header cell maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    Template(Column),
    /// A named column the template does not have (reported once, in the warnings), or one
    /// an export adds for information.
    Ignored,
    /// A column with an empty header, as spreadsheets leave after the last used column.
    Unnamed,
}

/// Rows read before estimating how many the file holds.
const SIZE_ESTIMATE_AFTER: usize = 1024;

/// Reads and checks a whole file. Row problems are collected in the rows; only problems
/// that make the file unusable as a whole are returned as errors.
pub fn read<'a>(bytes: &'a [u8], options: &ReadOptions) -> Result<ParsedFile<'a>, FileError> {
    if bytes.len() > options.max_bytes {
        return Err(FileError::FileTooLarge {
            size: bytes.len(),
            max: options.max_bytes,
        });
    }
    let (text, encoding) = decode(bytes)?;
    match text {
        Cow::Borrowed(text) => read_text(text, encoding, options),
        Cow::Owned(text) => read_text(&text, encoding, options).map(ParsedFile::into_owned),
    }
}

fn read_text<'t>(
    text: &'t str,
    encoding: Encoding,
    options: &ReadOptions,
) -> Result<ParsedFile<'t>, FileError> {
    if text.trim().is_empty() {
        return Err(FileError::EmptyFile);
    }
    let (first_line, _) = first_record_line(text);
    let separator_hint = excel_separator_hint(first_line);
    let delimiter = separator_hint.unwrap_or_else(|| detect_delimiter(first_line));

    let mut tokenizer = Tokenizer::new(text, delimiter);
    let mut fields: Vec<Cow<'t, str>> = Vec::new();

    let mut skip_separator_line = separator_hint.is_some();
    let header = loop {
        let Some(start) = tokenizer.next_record(&mut fields) else {
            return Err(FileError::EmptyFile);
        };
        if is_blank(&fields) {
            continue;
        }
        if skip_separator_line {
            skip_separator_line = false;
            continue;
        }
        break start;
    };
    let mut warnings = Vec::new();
    let slots = map_header(&fields, header.line, Some(delimiter), 0, &mut warnings)?;
    let columns = template_columns(&slots);

    let data_start = tokenizer.offset();
    let mut rows: Vec<CsvRow<'t>> = Vec::new();
    let mut duplicates = DuplicateFinder::new();
    let mut unnamed_values: Option<(usize, u64)> = None;
    let mut builder = RowBuilder::new(&slots);
    while let Some(start) = tokenizer.next_record_into(&mut builder) {
        if !builder.has_value {
            continue;
        }
        if rows.len() >= options.max_rows.min(DuplicateFinder::MAX_ROWS) {
            return Err(FileError::TooManyRows {
                max: options.max_rows,
                line: start.line,
            });
        }
        if rows.len() == SIZE_ESTIMATE_AFTER {
            // Growing by doubling would copy the rows several times over a large file.
            let per_row = tokenizer.offset().saturating_sub(data_start) / SIZE_ESTIMATE_AFTER;
            let remaining = text.len().saturating_sub(tokenizer.offset()) / per_row.max(1);
            let expected = remaining.min(options.max_rows.saturating_sub(rows.len()));
            rows.reserve(expected);
            duplicates.reserve(expected);
        }
        if let (None, Some(index)) = (unnamed_values, builder.unnamed_value_at) {
            unnamed_values = Some((index, start.line));
        }
        let row = builder.finish(start, Some(delimiter));
        if row.email_is_valid {
            duplicates.add(rows.len(), &row.email);
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    mark_duplicates(&mut rows, duplicates);
    if let Some((index, line)) = unnamed_values {
        warnings.push(unnamed_column_warning(index, line));
    }

    Ok(ParsedFile {
        encoding,
        delimiter: char::from(delimiter),
        columns,
        rows,
        warnings,
        sheet: None,
    })
}

/// The template columns the header names, in file order.
pub(crate) fn template_columns(slots: &[Slot]) -> Vec<Column> {
    slots
        .iter()
        .filter_map(|slot| match slot {
            Slot::Template(column) => Some(*column),
            _ => None,
        })
        .collect()
}

/// Adds the "already on line N" issue to every repeated address.
pub(crate) fn mark_duplicates(rows: &mut [CsvRow<'_>], duplicates: DuplicateFinder) {
    for (index, first_line) in duplicates.repeats(rows) {
        if let Some(row) = rows.get_mut(index) {
            // The address issue comes first, as the email column does.
            let issue = duplicate_issue(row, first_line);
            row.issues.insert(0, issue);
        }
    }
}

/// Values under a column without a header, said once for the first of them.
pub(crate) fn unnamed_column_warning(index: usize, line: u64) -> Issue {
    Issue::new(
        line,
        None,
        IssueCode::UnnamedColumn,
        format!(
            "column {} has no header but holds values (first on line {line}); they are \
             ignored. Give the column a template header if it should be imported",
            column_letter(index)
        ),
    )
}

fn is_blank(fields: &[Cow<'_, str>]) -> bool {
    fields.iter().all(|field| is_blank_field(field))
}

fn is_blank_field(field: &str) -> bool {
    trim(field).is_empty()
}

/// `str::trim`, without decoding characters when the ends are plain ASCII (nearly always).
/// Unicode spaces still count: Excel leaves no-break spaces around pasted values.
fn trim(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        (None, _) => text,
        _ => text.trim(),
    }
}

/// Spreadsheet column letters (A, B, …, Z, AA, …), as the administrator sees them.
pub(crate) fn column_letter(index: usize) -> String {
    let mut letters = Vec::new();
    let mut n = index + 1;
    while n > 0 {
        let remainder = (n - 1) % 26;
        letters.push(char::from(b'A' + remainder as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// Maps each header cell to a slot. `delimiter` is the CSV file's (`None` for a sheet);
/// `first_column` is the index of the first cell, for the letters named in warnings.
pub(crate) fn map_header(
    fields: &[Cow<'_, str>],
    line: u64,
    delimiter: Option<u8>,
    first_column: usize,
    warnings: &mut Vec<Issue>,
) -> Result<Vec<Slot>, FileError> {
    let mut slots = Vec::with_capacity(fields.len());
    let mut seen: Vec<Column> = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        let header = field.trim();
        let index = index + first_column;
        let slot = if header.is_empty() {
            Slot::Unnamed
        } else if Column::from_header(header).is_none() && is_export_info_column(header) {
            Slot::Ignored
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
        return Err(missing_email_column(fields, delimiter));
    }
    Ok(slots)
}

fn missing_email_column(fields: &[Cow<'_, str>], delimiter: Option<u8>) -> FileError {
    let headers: Vec<&str> = fields
        .iter()
        .map(|field| field.trim())
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
        let separated = match delimiter {
            Some(delimiter) => format!(", separated by {}", delimiter_name(delimiter)),
            None => String::new(),
        };
        format!(
            "the header has no e-mail column (found {found}{separated}); name the column \
            that holds the addresses \"email\" (or \"courriel\")"
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

/// The cells of one record that belong to template columns, moved out of the record.
#[derive(Default)]
struct Cells<'t> {
    email: Cow<'t, str>,
    first_name: Cow<'t, str>,
    last_name: Cow<'t, str>,
    role: Cow<'t, str>,
    language: Cow<'t, str>,
    licence: Cow<'t, str>,
    action: Cow<'t, str>,
}

impl<'t> Cells<'t> {
    fn set(&mut self, column: Column, text: Cow<'t, str>) {
        let cell = match column {
            Column::Email => &mut self.email,
            Column::FirstName => &mut self.first_name,
            Column::LastName => &mut self.last_name,
            Column::Role => &mut self.role,
            Column::Language => &mut self.language,
            Column::Licence => &mut self.licence,
            Column::Action => &mut self.action,
        };
        *cell = text;
    }
}

/// Surrounding spaces removed, without copying a borrowed value.
fn trimmed(cell: Cow<'_, str>) -> Cow<'_, str> {
    match cell {
        Cow::Borrowed(text) => Cow::Borrowed(trim(text)),
        Cow::Owned(text) if trim(&text).len() == text.len() => Cow::Owned(text),
        Cow::Owned(text) => Cow::Owned(trim(&text).to_owned()),
    }
}

fn normalized_email<'t>(cell: &Cow<'t, str>) -> Result<Cow<'t, str>, EmailError> {
    match cell {
        Cow::Borrowed(text) => normalize_email_borrowed(text),
        Cow::Owned(text) => normalize_email(text).map(Cow::Owned),
    }
}

/// Collects one record's template cells as the tokenizer hands over its fields, so that
/// fields of ignored columns are never stored.
pub(crate) struct RowBuilder<'s, 't> {
    slots: &'s [Slot],
    index: usize,
    cells: Cells<'t>,
    /// Whether any field holds more than spaces; blank records are skipped.
    pub(crate) has_value: bool,
    /// A field beyond the header's columns holds a value.
    extra_values: bool,
    /// The first column without a header that holds a value in this record.
    pub(crate) unnamed_value_at: Option<usize>,
}

impl<'s> RowBuilder<'s, '_> {
    pub(crate) fn new(slots: &'s [Slot]) -> Self {
        RowBuilder {
            slots,
            index: 0,
            cells: Cells::default(),
            has_value: false,
            extra_values: false,
            unnamed_value_at: None,
        }
    }
}

impl<'t> FieldSink<'t> for RowBuilder<'_, 't> {
    fn start_record(&mut self) {
        // `finish` already took the cells of a kept record; only a skipped or restarted
        // record leaves values behind.
        if self.index > 0 {
            self.cells = Cells::default();
        }
        self.index = 0;
        self.has_value = false;
        self.extra_values = false;
        self.unnamed_value_at = None;
    }

    fn field(&mut self, value: Cow<'t, str>) {
        let value = trimmed(value);
        let blank = value.is_empty();
        self.has_value |= !blank;
        match self.slots.get(self.index) {
            Some(Slot::Template(column)) => self.cells.set(*column, value),
            Some(Slot::Ignored) => {}
            Some(Slot::Unnamed) => {
                if !blank && self.unnamed_value_at.is_none() {
                    self.unnamed_value_at = Some(self.index);
                }
            }
            None => self.extra_values |= !blank,
        }
        self.index += 1;
    }
}

impl<'t> RowBuilder<'_, 't> {
    /// Checks the collected cells and turns them into a row. `delimiter` is the CSV
    /// file's, `None` for a sheet.
    pub(crate) fn finish(&mut self, start: RecordStart, delimiter: Option<u8>) -> CsvRow<'t> {
        let cells = std::mem::take(&mut self.cells);
        self.index = 0;
        let line = start.line;
        let extra_values = self.extra_values;
        let mut issues = Vec::new();
        let (email, email_is_valid) = match normalized_email(&cells.email) {
            Ok(email) => (email, true),
            Err(error) => {
                let message = if cells.email.is_empty() {
                    "the e-mail address is empty; every user needs one".to_owned()
                } else {
                    format!("{}: {error}", quoted(&cells.email))
                };
                issues.push(Issue::new(
                    line,
                    Some(Column::Email.as_str()),
                    IssueCode::InvalidEmail,
                    message,
                ));
                (cells.email, false)
            }
        };
        let first_name = unneutralised(cells.first_name);
        let last_name = unneutralised(cells.last_name);
        check_name(&first_name, Column::FirstName, line, &mut issues);
        check_name(&last_name, Column::LastName, line, &mut issues);
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
        let action = parse_cell(&cells.action, parse_action, line, &mut issues, || {
            (
                Column::Action,
                IssueCode::UnknownAction,
                "is not an action; write keep, disable or delete (conserver, désactiver, \
                supprimer), or leave the cell empty to keep the user",
            )
        })
        .unwrap_or_default();
        if let (true, Some(delimiter)) = (extra_values, delimiter) {
            issues.push(Issue::new(
                line,
                None,
                IssueCode::TooManyValues,
                format!(
                    "this line has more values than the header has columns, so its values may \
                     be in the wrong columns; a value containing {} probably lacks double \
                     quotes around it (write \"Dupont{} Jean\")",
                    delimiter_shown(delimiter),
                    char::from(delimiter)
                ),
            ));
        }
        if start.unclosed_quote {
            issues.push(Issue::new(
                line,
                None,
                IssueCode::UnclosedQuote,
                "a double quote opened on this line is never closed, so everything after it was \
                read as one value; add the closing quote or remove the opening one",
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
            action,
            issues,
        }
    }
}

/// A name as it was before a CSV writer (the export, the results file, this program's
/// or another's) put `'` before it so that spreadsheets would not run it as a formula:
/// no real name starts with `'=`, `'+`, `'-` or `'@`, so reading the export back gives the
/// name the portal holds.
fn unneutralised(name: Cow<'_, str>) -> Cow<'_, str> {
    let bytes = name.as_bytes();
    if bytes.first() != Some(&b'\'') || !matches!(bytes.get(1), Some(b'=' | b'+' | b'-' | b'@')) {
        return name;
    }
    match name {
        Cow::Borrowed(text) => Cow::Borrowed(text.get(1..).unwrap_or(text)),
        Cow::Owned(text) => Cow::Owned(text.get(1..).unwrap_or(&text).to_owned()),
    }
}

fn duplicate_issue(row: &CsvRow<'_>, first_line: u64) -> Issue {
    Issue::new(
        row.line,
        Some(Column::Email.as_str()),
        IssueCode::DuplicateInFile,
        format!(
            "{} is already on line {first_line} (addresses are compared ignoring case); keep \
            one line per user and delete this one",
            row.email
        ),
    )
}

fn delimiter_shown(delimiter: u8) -> &'static str {
    match delimiter {
        b',' => "a comma",
        b';' => "a semicolon",
        b'\t' => "a tab",
        _ => "the delimiter",
    }
}

/// Names are held to the portal's own rule (`rules::name_problem`), so a row the plan marks
/// `create` is never refused when it is applied.
fn check_name(name: &str, column: Column, line: u64, issues: &mut Vec<Issue>) {
    if let Some(problem) = crate::rules::name_problem(name) {
        issues.push(Issue::new(
            line,
            Some(column.as_str()),
            IssueCode::InvalidName,
            format!("{} {}", quoted(name), problem.advice()),
        ));
    }
}

fn parse_cell<T>(
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    line: u64,
    issues: &mut Vec<Issue>,
    problem: impl Fn() -> (Column, IssueCode, &'static str),
) -> Option<T> {
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

#[cfg(test)]
mod tests;
