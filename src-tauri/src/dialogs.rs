//! Native file dialogs (GTK on Linux). Always the asynchronous dialog from an async
//! command: the synchronous one, called on the GTK main thread, would deadlock the window.

use std::path::PathBuf;

/// The open dialog of an import: CSV text and every workbook the import reads.
pub async fn pick_import_file(title: &str) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter(
            "Spreadsheets and CSV files",
            &["xlsx", "xlsm", "xls", "ods", "csv", "txt"],
        )
        .add_filter("Excel workbooks", &["xlsx", "xlsm", "xls"])
        .add_filter("OpenDocument spreadsheets", &["ods"])
        .add_filter("CSV files", &["csv", "txt"])
        .add_filter("All files", &["*"])
        .pick_file()
        .await
        .map(|file| file.path().to_path_buf())
}

pub async fn save_csv(title: &str, suggested: &str) -> Option<PathBuf> {
    save_file(title, suggested, "CSV files", &["csv"]).await
}

/// The save dialog with one filter, `kind` naming the files `extensions` match.
pub async fn save_file(
    title: &str,
    suggested: &str,
    kind: &str,
    extensions: &[&str],
) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_file_name(suggested)
        .add_filter(kind, extensions)
        .save_file()
        .await
        .map(|file| file.path().to_path_buf())
}

/// The file the administrator chose to write: a workbook or CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Xlsx,
    Csv,
}

impl FileFormat {
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Csv => "csv",
        }
    }

    /// The save dialog for a file of this format, suggesting `stem` and the extension.
    /// A name typed without an extension gets this format's, so the file opens in the
    /// program the administrator expects.
    pub async fn save(self, title: &str, stem: &str) -> Option<PathBuf> {
        let kind = match self {
            FileFormat::Xlsx => "Excel workbooks",
            FileFormat::Csv => "CSV files",
        };
        let extension = self.extension();
        let suggested = format!("{stem}.{extension}");
        let path = save_file(title, &suggested, kind, &[extension]).await?;
        if path.extension().is_none() {
            return Some(path.with_extension(extension));
        }
        Some(path)
    }
}

impl From<FileFormat> for sxadmin_client::export::ExportFormat {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Xlsx => sxadmin_client::export::ExportFormat::Xlsx,
            FileFormat::Csv => sxadmin_client::export::ExportFormat::Csv,
        }
    }
}
