//! The development mailer: the reference portal sends no real e-mail. A demo, or a portal
//! started with the development mailer, prints each message and writes it to an outbox
//! folder, where a person or a test picks up the one-time code; any other portal does
//! neither, since a code printed or written is a code someone else may read. The outbox
//! folder and its messages are readable by their owner only.

use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct Outbox {
    pub folder: Option<PathBuf>,
    pub print: bool,
}

impl Outbox {
    /// `about` says what the code is for (which portal, which application, how long it
    /// lasts), so a person who did not ask for it knows to ignore it.
    pub async fn send_sign_in_code(&self, to: &str, code: &str, about: &str) {
        let body = format!(
            "To: {to}\nSubject: Your SX Admin sign-in code\n\nYour sign-in code is {code}.\n\n{about}\n"
        );
        if self.print {
            println!("sign-in code for {to}: {code}");
        }
        let Some(folder) = &self.folder else {
            return;
        };
        if let Err(error) = create_private_folder(folder).await {
            tracing::warn!(%error, folder = %folder.display(), "cannot create the outbox folder");
            return;
        }
        let safe_to: String = to
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = format!(
            "{}-{}.txt",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6f"),
            safe_to
        );
        if let Err(error) = write_private_file(&folder.join(name), body.as_bytes()).await {
            tracing::warn!(%error, folder = %folder.display(), "cannot write to the outbox folder");
        }
    }
}

/// Creates `folder` (and its parents) if missing, the folder itself for its owner only. A
/// folder that exists is left as it is: it may be one the person chose for other things.
async fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    if tokio::fs::metadata(folder).await.is_ok_and(|m| m.is_dir()) {
        return Ok(());
    }
    if let Some(parent) = folder.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let mut builder = tokio::fs::DirBuilder::new();
    #[cfg(unix)]
    builder.mode(0o700);
    match builder.create(folder).await {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

/// Writes a new file readable by its owner only; an existing file (or a link planted in its
/// place) is not followed or overwritten.
async fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(contents).await?;
    file.flush().await
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[tokio::test]
    async fn the_outbox_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("data").join("outbox");
        let outbox = Outbox {
            folder: Some(folder.clone()),
            print: false,
        };
        outbox
            .send_sign_in_code("camille@demo.example", "123456", "For the test portal.")
            .await;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&folder), 0o700);
        let files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(mode(&files[0]), 0o600);
        assert!(std::fs::read_to_string(&files[0])
            .unwrap()
            .contains("123456"));
    }
}
