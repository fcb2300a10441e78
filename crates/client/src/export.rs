//! Exporting the account's users to a spreadsheet the administrator edits and imports
//! again: the same filters as the user list, every page fetched, role groups named, and
//! the file written by core (an .xlsx with the template's drop-down lists, or CSV).
//!
//! Both front ends call [`export_users`] and write the bytes where the administrator
//! chose; the command line and the desktop only translate and present.

use std::path::Path;

use sxadmin_core::workbook::{self, ExportError, ExportRow};
use sxadmin_core::UserListQuery;

use crate::{ClientError, PortalClient};

/// The file an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// An Excel workbook with the template's drop-down lists and guide sheet.
    Xlsx,
    /// CSV for any program: UTF-8 with a byte-order mark, cells safe to open in Excel.
    Csv,
}

impl ExportFormat {
    /// The format a file name asks for by its extension (`.xlsx` or `.csv`, any case).
    pub fn from_path(path: &Path) -> Option<ExportFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::Csv),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportUsersError {
    #[error(transparent)]
    Portal(#[from] ClientError),
    #[error(transparent)]
    Write(#[from] ExportError),
}

impl ExportUsersError {
    pub fn code(&self) -> String {
        match self {
            ExportUsersError::Portal(error) => error.code().to_owned(),
            ExportUsersError::Write(error) => error.code().to_owned(),
        }
    }
}

/// An export ready to be written to a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exported {
    pub bytes: Vec<u8>,
    /// Users in the file.
    pub users: usize,
}

/// The users matching `query` (as the user list filters them), as an export file.
pub async fn export_users(
    client: &PortalClient,
    query: &UserListQuery,
    format: ExportFormat,
) -> Result<Exported, ExportUsersError> {
    let (users, _) = client.users_matching(query, None).await?;
    let groups = client.roles().await?.groups;
    let rows: Vec<ExportRow> = users
        .iter()
        .map(|user| {
            let group = user
                .role_group_id
                .and_then(|id| groups.iter().find(|group| group.id == id))
                .map(|group| group.name.as_str());
            ExportRow::from_user(user, group)
        })
        .collect();
    let bytes = match format {
        ExportFormat::Xlsx => workbook::write_xlsx(&rows)?,
        ExportFormat::Csv => workbook::write_csv(&rows)?,
    };
    Ok(Exported {
        bytes,
        users: rows.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_extension() {
        assert_eq!(
            ExportFormat::from_path(Path::new("staff.XLSX")),
            Some(ExportFormat::Xlsx)
        );
        assert_eq!(
            ExportFormat::from_path(Path::new("dir/staff.csv")),
            Some(ExportFormat::Csv)
        );
        assert_eq!(ExportFormat::from_path(Path::new("staff.ods")), None);
        assert_eq!(ExportFormat::from_path(Path::new("staff")), None);
    }
}
