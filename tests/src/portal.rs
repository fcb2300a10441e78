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
    pub async fn sign_in_on_pages(
        &self,
        http: &reqwest::Client,
        email_page: &SignInPage,
    ) -> String {
        let flow = form_field(&email_page.html, "flow");
        let page = self
            .post(
                http,
                email_page,
                "/signin/email",
                &[
                    ("flow", flow.as_str()),
                    ("email", sxadmin_portal::demo::DEMO_ADMIN),
                ],
            )
            .await;
        assert!(page.contains("/signin/code"), "{page}");
        let code = self.latest_code();
        self.post(
            http,
            email_page,
            "/signin/code",
            &[("flow", flow.as_str()), ("code", code.as_str())],
        )
        .await
    }

    /// Approves a device sign-in with `user_code`, as on another machine's browser: the
    /// code, the confirmation that it is the device's, then the sign-in.
    pub async fn approve_device(&self, user_code: &str) {
        let http = reqwest::Client::new();
        let confirm = SignInPage::read(
            http.post(format!("{}/device", self.url))
                .header("origin", &self.url)
                .form(&[("user_code", user_code)])
                .send()
                .await,
        )
        .await;
        assert!(confirm.html.contains(user_code), "{}", confirm.html);
        let flow = form_field(&confirm.html, "flow");
        let email_page = SignInPage {
            html: self
                .post(
                    &http,
                    &confirm,
                    "/device/confirm",
                    &[("flow", flow.as_str()), ("answer", "confirm")],
                )
                .await,
            cookie: confirm.cookie.clone(),
        };
        let done = self.sign_in_on_pages(&http, &email_page).await;
        assert!(done.contains("You are signed in"), "{done}");
    }

    /// Posts a form of the portal's pages as the browser that holds `page` does: from the
    /// portal's origin, with the flow cookie the portal set.
    async fn post(
        &self,
        http: &reqwest::Client,
        page: &SignInPage,
        path: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let mut request = http
            .post(format!("{}{path}", self.url))
            .header("origin", &self.url)
            .form(fields);
        if let Some(cookie) = &page.cookie {
            request = request.header("cookie", cookie);
        }
        text(request.send().await).await
    }
}

/// A sign-in page as the browser holds it: its HTML and the flow cookie set with it.
pub struct SignInPage {
    pub html: String,
    /// `name=value` of the cookie, as a browser sends it back.
    pub cookie: Option<String>,
}

impl SignInPage {
    pub async fn read(response: reqwest::Result<reqwest::Response>) -> SignInPage {
        let response = response.expect("the portal answers");
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let html = response.text().await.expect("the page reads");
        SignInPage { html, cookie }
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
