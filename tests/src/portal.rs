//! The demo portal on 127.0.0.1 port 0 with its own SQLite file, and the portal's sign-in
//! pages filled in over HTTP the way an administrator fills them in a browser.

use std::path::PathBuf;

use sxadmin_portal::{DemoServer, PortalConfig};

pub struct DemoPortal {
    /// Declared first so the server stops before its folder is removed.
    server: DemoServer,
    /// Holds the database, the outbox and anything a test keeps next to them.
    pub dir: tempfile::TempDir,
    pub url: String,
    /// A personal API token of the demo administrator.
    pub admin_token: String,
    pub outbox: PathBuf,
}

impl DemoPortal {
    /// Starts the demo account's portal with `config`; the outbox is always the portal's
    /// own folder.
    pub async fn start(config: PortalConfig) -> DemoPortal {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = PortalConfig {
            outbox: None,
            ..config
        };
        let server = DemoServer::start(dir.path(), config)
            .await
            .expect("the demo portal starts");
        let admin_token = server
            .admin_token()
            .await
            .expect("a token for the demo administrator");
        DemoPortal {
            url: server.url.clone(),
            outbox: server.outbox.clone(),
            admin_token,
            dir,
            server,
        }
    }

    /// The running server, for what a test arranges through the portal's store.
    pub fn server(&self) -> &DemoServer {
        &self.server
    }

    /// A personal API token of another user of the demo account.
    pub async fn token_for(&self, email: &str) -> String {
        self.server
            .token_for(email)
            .await
            .expect("a token for the user")
    }

    /// The newest one-time code the portal e-mailed.
    pub fn latest_code(&self) -> String {
        let message = std::fs::read_dir(&self.outbox)
            .expect("the outbox exists")
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .max()
            .expect("the portal sent a message");
        let text = std::fs::read_to_string(message).expect("the message reads");
        text.split_once("Your sign-in code is ")
            .expect("the message states the code")
            .1
            .chars()
            .take_while(char::is_ascii_digit)
            .collect()
    }

    /// Signs the demo administrator in on the pages that follow `email_page` (the e-mail
    /// form) and returns the last page the browser shows.
    pub async fn sign_in_on_pages(&self, http: &reqwest::Client, email_page: &str) -> String {
        let flow = form_field(email_page, "flow");
        let page = text(
            http.post(format!("{}/signin/email", self.url))
                .form(&[
                    ("flow", flow.as_str()),
                    ("email", sxadmin_portal::demo::DEMO_ADMIN),
                ])
                .send()
                .await,
        )
        .await;
        assert!(page.contains("/signin/code"), "{page}");
        let code = self.latest_code();
        text(
            http.post(format!("{}/signin/code", self.url))
                .form(&[("flow", flow.as_str()), ("code", code.as_str())])
                .send()
                .await,
        )
        .await
    }

    /// Approves a device sign-in with `user_code`, as on another machine's browser.
    pub async fn approve_device(&self, user_code: &str) {
        let http = reqwest::Client::new();
        let email_page = text(
            http.post(format!("{}/device", self.url))
                .form(&[("user_code", user_code)])
                .send()
                .await,
        )
        .await;
        let done = self.sign_in_on_pages(&http, &email_page).await;
        assert!(done.contains("You are signed in"), "{done}");
    }
}

async fn text(response: reqwest::Result<reqwest::Response>) -> String {
    response
        .expect("the portal answers")
        .text()
        .await
        .expect("the page reads")
}

/// The value of a form's field in a page.
pub fn form_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("the form has the field") + marker.len();
    page[start..].chars().take_while(|&c| c != '"').collect()
}
