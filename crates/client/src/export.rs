//! Exporting the account's users to a spreadsheet the administrator edits and imports
//! again: the same filters as the user list, every page fetched, role groups named, and
//! the file written by core (an .xlsx with the template's drop-down lists, or CSV).
//!
//! Both front ends call [`export_users`] and write the bytes where the administrator
//! chose; the command line and the desktop only translate and present.

use std::path::Path;

use sxadmin_core::workbook::{self, ExportError, ExportRow};
use sxadmin_core::{User, UserListQuery};

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

/// Every user matching `query`'s search and filters (its cursor and page size are
/// ignored), page after page, up to `max`; with how many match in all.
pub async fn all_users(
    client: &PortalClient,
    query: &UserListQuery,
    max: Option<usize>,
) -> Result<(Vec<User>, i64), ClientError> {
    const PAGE: usize = sxadmin_core::rules::MAX_USER_PAGE as usize;
    let mut query = UserListQuery {
        cursor: None,
        ..query.clone()
    };
    let mut users = Vec::new();
    let mut total = 0;
    loop {
        let left = max.map_or(PAGE, |max| max.saturating_sub(users.len()));
        if left == 0 {
            break;
        }
        query.limit = u32::try_from(left.min(PAGE)).ok();
        let page = client.list_users(&query).await?;
        total = page.total;
        let got = page.items.len();
        users.extend(page.items);
        // A page without rows but with a cursor would loop for ever; stop on it too.
        match page.next_cursor {
            Some(cursor) if got > 0 => query.cursor = Some(cursor),
            _ => break,
        }
    }
    Ok((users, total))
}

/// The users matching `query` (as the user list filters them), as an export file.
pub async fn export_users(
    client: &PortalClient,
    query: &UserListQuery,
    format: ExportFormat,
) -> Result<Exported, ExportUsersError> {
    let (users, _) = all_users(client, query, None).await?;
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
