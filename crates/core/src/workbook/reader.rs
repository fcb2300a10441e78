//! Reading one sheet of a workbook into the rows a CSV file gives, with the same header
//! recognition and the same checks (the CSV reader's row builder does both), each problem
//! placed in its cell.

use std::borrow::Cow;
use std::io::Cursor;

use calamine::{Data, Range, Reader, SheetType, SheetVisible, Sheets};

use super::{cells, SheetPlace, WorkbookFormat};
use crate::csv::Encoding;
use crate::csv::{
    column_letter, map_header, mark_duplicates, template_columns, unnamed_column_warning, CsvRow,
    DuplicateFinder, FieldSink, FileError, ParsedFile, ReadOptions, RecordStart, RowBuilder, Slot,
};

type Workbook<'a> = Sheets<Cursor<&'a [u8]>>;

fn open(bytes: &[u8]) -> Result<(Workbook<'_>, WorkbookFormat), FileError> {
    let workbook = calamine::open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|error| FileError::UnreadableWorkbook(error.to_string()))?;
    let format = match &workbook {
        Sheets::Xls(_) => WorkbookFormat::Xls,
        Sheets::Xlsb(_) => WorkbookFormat::Xlsb,
        Sheets::Ods(_) => WorkbookFormat::Ods,
        Sheets::Xlsx(_) if has_macros(bytes) => WorkbookFormat::Xlsm,
        Sheets::Xlsx(_) => WorkbookFormat::Xlsx,
    };
    Ok((workbook, format))
}

/// A macro-enabled workbook stores its macros in this part; ZIP names are stored
/// uncompressed, so the name shows in the bytes.
fn has_macros(bytes: &[u8]) -> bool {
    const PART: &[u8] = b"xl/vbaProject.bin";
    bytes.windows(PART.len()).any(|window| window == PART)
}

/// The visible worksheets, in workbook order (chart sheets and hidden sheets left out).
fn visible_sheets(workbook: &Workbook<'_>) -> Vec<String> {
    workbook
        .sheets_metadata()
        .iter()
        .filter(|sheet| sheet.typ == SheetType::WorkSheet && sheet.visible == SheetVisible::Visible)
        .map(|sheet| sheet.name.clone())
        .collect()
}

/// The sheets a chooser offers, in workbook order; the import reads the first by default.
pub fn sheet_names(bytes: &[u8]) -> Result<Vec<String>, FileError> {
    let (workbook, _) = open(bytes)?;
    Ok(visible_sheets(&workbook))
}

/// Reads the sheet named `sheet` (any worksheet, compared ignoring case when no name
/// matches exactly), or the first visible one.
pub fn read_sheet(
    bytes: &[u8],
    sheet: Option<&str>,
    options: &ReadOptions,
) -> Result<ParsedFile<'static>, FileError> {
    if bytes.len() > options.max_bytes {
        return Err(FileError::FileTooLarge {
            size: bytes.len(),
            max: options.max_bytes,
        });
    }
    let (mut workbook, format) = open(bytes)?;
    let sheets = visible_sheets(&workbook);
    let every_sheet = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => every_sheet
            .iter()
            .find(|name| name.as_str() == wanted)
            .or_else(|| {
                every_sheet
                    .iter()
                    .find(|name| name.to_lowercase() == wanted.trim().to_lowercase())
            })
            .cloned()
            .ok_or_else(|| FileError::SheetNotFound {
                name: wanted.to_owned(),
                available: sheets.clone(),
            })?,
        None => sheets
            .first()
            .or(every_sheet.first())
            .cloned()
            .ok_or(FileError::EmptyFile)?,
    };
    let range = workbook
        .worksheet_range(&name)
        .map_err(|error| FileError::UnreadableWorkbook(error.to_string()))?;
    read_range(&range, format, name, sheets, options)
}

fn read_range(
    range: &Range<Data>,
    format: WorkbookFormat,
    name: String,
    sheets: Vec<String>,
    options: &ReadOptions,
) -> Result<ParsedFile<'static>, FileError> {
    let Some((first_row, first_column)) = range.start() else {
        return Err(FileError::EmptyFile);
    };
    let first_column = first_column as usize;
    let row_number = |index: usize| u64::from(first_row) + index as u64 + 1;
    let mut grid = range.rows().enumerate();

    let (header_line, header) = loop {
        let Some((index, cells)) = grid.next() else {
            return Err(FileError::EmptyFile);
        };
        let texts: Vec<Cow<'static, str>> =
            cells.iter().map(|c| Cow::Owned(cells::text(c))).collect();
        if texts.iter().any(|text| !text.trim().is_empty()) {
            break (row_number(index), texts);
        }
    };
    let mut warnings = Vec::new();
    let slots = map_header(&header, header_line, None, first_column, &mut warnings)?;
    let columns = template_columns(&slots);
    let letters = slots
        .iter()
        .enumerate()
        .filter_map(|(index, slot)| match slot {
            Slot::Template(column) => Some((*column, column_letter(index + first_column))),
            _ => None,
        })
        .collect();
    let place = SheetPlace {
        format,
        name,
        sheets,
        letters,
    };

    let mut rows: Vec<CsvRow<'static>> = Vec::new();
    let mut duplicates = DuplicateFinder::new();
    let mut unnamed_values: Option<(usize, u64)> = None;
    let mut builder = RowBuilder::new(&slots);
    let limit = options.max_rows.min(DuplicateFinder::MAX_ROWS);
    for (index, cells) in grid {
        builder.start_record();
        for cell in cells {
            builder.field(Cow::Owned(cells::text(cell)));
        }
        if !builder.has_value {
            continue;
        }
        let line = row_number(index);
        if rows.len() >= limit {
            return Err(FileError::TooManyRows {
                max: options.max_rows,
                line,
            });
        }
        if let (None, Some(column)) = (unnamed_values, builder.unnamed_value_at) {
            unnamed_values = Some((column + first_column, line));
        }
        let start = RecordStart {
            line,
            unclosed_quote: false,
        };
        let row = builder.finish(start, None);
        if row.email_is_valid {
            duplicates.add(rows.len(), &row.email);
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    mark_duplicates(&mut rows, duplicates);
    if let Some((column, line)) = unnamed_values {
        warnings.push(unnamed_column_warning(column, line));
    }
    for issue in rows.iter_mut().flat_map(|row| row.issues.iter_mut()) {
        place.locate(issue);
    }
    // Header warnings name their column letter in the message; the sheet is enough.
    for warning in &mut warnings {
        warning.sheet = Some(place.name.clone());
    }
    Ok(ParsedFile {
        encoding: Encoding::Utf8,
        delimiter: ',',
        columns,
        rows,
        warnings,
        sheet: Some(place),
    })
}
