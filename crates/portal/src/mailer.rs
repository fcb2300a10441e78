//! The local mailer: the reference portal sends no real e-mail. Each message is printed
//! (when configured) and written as a file to an outbox folder, where a person or a test
//! picks up the one-time code.

use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Outbox {
    pub folder: Option<PathBuf>,
    pub print: bool,
}

impl Outbox {
    pub async fn send_sign_in_code(&self, to: &str, code: &str) {
        let body = format!(
            "To: {to}\nSubject: Your SX Admin sign-in code\n\nYour sign-in code is {code}.\n\
             It is valid for 10 minutes. If you did not try to sign in, ignore this message.\n"
        );
        if self.print {
            println!("sign-in code for {to}: {code}");
        }
        let Some(folder) = &self.folder else {
            return;
        };
        if let Err(error) = tokio::fs::create_dir_all(folder).await {
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
        if let Err(error) = tokio::fs::write(folder.join(name), body).await {
            tracing::warn!(%error, folder = %folder.display(), "cannot write to the outbox folder");
        }
    }
}
