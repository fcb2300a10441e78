//! The user export: the template's columns filled in with the account's users, then what
//! describes them (status, role group, date added). Written so that importing it again as
//! it is changes nothing, and editing a cell and importing it changes just that.

use chrono::{DateTime, Datelike, Utc};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use serde::Serialize;

use super::template::users_sheet;
use crate::csv::{Column, EXPORT_INFO_COLUMNS};
use crate::model::{Language, LicenceTier, Role, User};
use crate::spreadsheet::excel_safe;

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the workbook could not be written: {0}")]
    Workbook(String),
    #[error("the CSV file could not be written: {0}")]
    Csv(String),
}

impl ExportError {
    /// A stable code for scripts and the desktop.
    pub fn code(&self) -> &'static str {
        match self {
            ExportError::Workbook(_) => "workbook_write_failed",
            ExportError::Csv(_) => "csv_write_failed",
        }
    }
}

impl From<XlsxError> for ExportError {
    fn from(error: XlsxError) -> Self {
        ExportError::Workbook(error.to_string())
    }
}

/// Whether the user can sign in, as the export's status column spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatusText {
    Active,
    Disabled,
}

impl UserStatusText {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatusText::Active => "active",
            UserStatusText::Disabled => "disabled",
        }
    }
}

/// One exported user.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExportRow {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub language: Language,
    pub licence: Option<LicenceTier>,
    pub status: UserStatusText,
    /// The name of the user's role group, if they are in one.
    pub group: Option<String>,
    pub added: DateTime<Utc>,
}

impl ExportRow {
    /// The row of `user`, whose role group is named `group`.
    pub fn from_user(user: &User, group: Option<&str>) -> Self {
        ExportRow {
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            role: user.role,
            language: user.language,
            licence: user.licence.as_ref().map(|held| held.tier),
            status: if user.active {
                UserStatusText::Active
            } else {
                UserStatusText::Disabled
            },
            group: group.map(str::to_owned),
            added: user.created_at,
        }
    }

    /// The cells in the order of [`header`]; `action` is left empty (keep).
    fn cells(&self) -> [String; 10] {
        [
            self.email.clone(),
            self.first_name.clone(),
            self.last_name.clone(),
            self.role.as_str().to_owned(),
            self.language.as_str().to_owned(),
            self.licence
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            String::new(),
            self.status.as_str().to_owned(),
            self.group.clone().unwrap_or_default(),
            self.added.format("%Y-%m-%d").to_string(),
        ]
    }
}

/// The export's columns: the template's with `action`, then the informative ones.
pub fn header() -> Vec<&'static str> {
    Column::WITH_ACTION
        .iter()
        .map(|column| column.as_str())
        .chain(EXPORT_INFO_COLUMNS)
        .collect()
}

/// The export as an Excel workbook: the template's sheet (drop-down lists, text columns,
/// frozen header) with one user per row, and the guide. Every value is written as text,
/// never as a formula.
pub fn write_xlsx(rows: &[ExportRow]) -> Result<Vec<u8>, ExportError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    users_sheet(sheet, true)?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let added_column = u16::try_from(header().len() - 1).unwrap_or(u16::MAX);
    for (index, row) in rows.iter().enumerate() {
        let line = u32::try_from(index + 1)
            .map_err(|_| ExportError::Workbook("too many users for one sheet".into()))?;
        let cells = row.cells();
        for (col, text) in cells.iter().enumerate().take(cells.len() - 1) {
            if !text.is_empty() {
                sheet.write_string(line, u16::try_from(col).unwrap_or(u16::MAX), text)?;
            }
        }
        let added = row.added.date_naive();
        let month = u8::try_from(added.month()).unwrap_or(1);
        let day = u8::try_from(added.day()).unwrap_or(1);
        match u16::try_from(added.year())
            .ok()
            .and_then(|year| ExcelDateTime::from_ymd(year, month, day).ok())
        {
            Some(when) => sheet.write_datetime_with_format(line, added_column, when, &date)?,
            None => sheet.write_string(line, added_column, cells[cells.len() - 1].as_str())?,
        };
    }
    super::template::guide_sheet(workbook.add_worksheet())?;
    Ok(workbook.save_to_buffer()?)
}

/// The export as CSV, as the results file is written: UTF-8 with a byte-order mark (for
/// Excel), `,`, CRLF, and every cell neutralised against formula injection.
pub fn write_csv(rows: &[ExportRow]) -> Result<Vec<u8>, ExportError> {
    let failed = |error: ::csv::Error| ExportError::Csv(error.to_string());
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record(header()).map_err(failed)?;
        for row in rows {
            let cells = row.cells();
            writer
                .write_record(cells.iter().map(|cell| excel_safe(cell).into_owned()))
                .map_err(failed)?;
        }
        writer
            .flush()
            .map_err(|error| ExportError::Csv(error.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: 7,
            email: "zoe@example.com".into(),
            first_name: "=Zoé".into(),
            last_name: "Martin".into(),
            language: Language::Fr,
            role: Role::Administrator,
            role_group_id: Some(2),
            active: false,
            licence: Some(crate::model::HeldLicence {
                id: 3,
                tier: LicenceTier::Pro,
            }),
            created_at: DateTime::parse_from_rfc3339("2024-03-01T10:00:00Z")
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn csv_rows_have_the_template_columns_then_status_group_and_date() {
        let rows = [ExportRow::from_user(&user(), Some("Support"))];
        let text = String::from_utf8(write_csv(&rows).unwrap()).unwrap();
        assert_eq!(
            text,
            "\u{FEFF}email,first_name,last_name,role,language,licence,action,status,group,\
             date_added\r\n\
             zoe@example.com,'=Zoé,Martin,administrator,fr,pro,,disabled,Support,2024-03-01\r\n"
        );
    }
}
