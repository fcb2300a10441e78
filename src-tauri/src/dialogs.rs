//! Native file dialogs (GTK on Linux). Always the asynchronous dialog from an async
//! command: the synchronous one, called on the GTK main thread, would deadlock the window.

use std::path::PathBuf;

pub async fn pick_csv(title: &str) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .add_filter("CSV files", &["csv", "txt"])
        .add_filter("All files", &["*"])
        .pick_file()
        .await
        .map(|file| file.path().to_path_buf())
}

pub async fn save_csv(title: &str, suggested: &str) -> Option<PathBuf> {
    rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_file_name(suggested)
        .add_filter("CSV files", &["csv"])
        .save_file()
        .await
        .map(|file| file.path().to_path_buf())
}
