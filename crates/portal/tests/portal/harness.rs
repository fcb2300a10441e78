//! One real portal per test, and the requests the clients make to it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sxadmin_core::{
    Account, Id, LicencePool, LicenceTier, NewUser, Permission, Role, TierCount, User, UserPage,
};
use sxadmin_portal::domains::StaticTxtRecords;
use sxadmin_portal::store::{Actor, Store};
use sxadmin_portal::{DemoServer, PortalConfig};
use tempfile::TempDir;

pub const ADMIN: &str = "admin@demo.example";
pub const CAMILLE: &str = "camille.tremblay@demo.example";
pub const NOAH: &str = "noah.gagnon@demo.example";
pub const LEA: &str = "lea.roy@demo.example";
/// Users the demo account starts with: its administrator and five standard users.
pub const SEEDED_USERS: i64 = 6;

pub const CLIENT_ID: &str = "sxadmin-cli";
/// Nothing listens here: redirects are read from the `Location` header, never followed.
pub const REDIRECT_URI: &str = "http://127.0.0.1:1234/callback";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A portal serving the seeded demo account, with the handles a test needs to arrange
/// what a real deployment gets from outside: DNS records and delivered e-mail.
pub struct Portal {
    pub url: String,
    pub store: Arc<dyn Store>,
    pub dns: Arc<StaticTxtRecords>,
    pub account: Account,
    /// Personal API token of the demo administrator.
    pub admin: String,
    http: reqwest::Client,
    /// The cookies the portal set, sent back with every page and form like a browser does.
    cookies: std::sync::Mutex<Vec<(String, String)>>,
    outbox: PathBuf,
    _server: DemoServer,
    _dir: TempDir,
}

/// The second account of isolation tests, with one of each kind of thing an id can name.
pub struct OtherAccount {
    pub admin_id: Id,
    pub user_id: Id,
    pub domain_id: Id,
    pub licence_id: Id,
    pub role_group_id: Id,
}

impl Portal {
    pub async fn start() -> Portal {
        Self::start_with(|_| {}).await
    }

    /// Starts a portal whose settings `adjust` has tightened for the test.
    pub async fn start_with(adjust: impl FnOnce(&mut PortalConfig)) -> Portal {
        let dir = tempfile::tempdir().unwrap();
        let dns = Arc::new(StaticTxtRecords::default());
        let mut config = PortalConfig {
            resolver: dns.clone(),
            device_poll_interval: Duration::ZERO,
            ..PortalConfig::default()
        };
        adjust(&mut config);
        let server = DemoServer::start(dir.path(), config).await.unwrap();
        assert!(server.created, "a new database gets the demo account");
        let admin = server.admin_token().await.unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Portal {
            url: server.url.clone(),
            store: server.store().clone(),
            dns,
            account: server.account.clone(),
            admin,
            http,
            cookies: std::sync::Mutex::default(),
            outbox: server.outbox.clone(),
            _server: server,
            _dir: dir,
        }
    }

    /// A request to any path of the portal (sign-in pages, OAuth endpoints, API).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    fn api(&self, method: Method, token: &str, path: &str) -> RequestBuilder {
        self.request(method, &format!("/api/v1{path}"))
            .bearer_auth(token)
    }

    /// `GET /api/v1{path}` with a bearer token.
    pub async fn get(&self, token: &str, path: &str) -> Reply {
        Reply::read(self.api(Method::GET, token, path)).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        Reply::read(self.api(Method::POST, token, path).json(&body)).await
    }

    pub async fn patch(&self, token: &str, path: &str, body: Value) -> Reply {
        Reply::read(self.api(Method::PATCH, token, path).json(&body)).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> Reply {
        Reply::read(self.api(Method::PUT, token, path).json(&body)).await
    }

    pub async fn delete(&self, token: &str, path: &str) -> Reply {
        Reply::read(self.api(Method::DELETE, token, path)).await
    }

    /// A personal API token for a user of any account.
    pub async fn token_for(&self, email: &str) -> String {
        sxadmin_portal::mint_personal_token(self.store.as_ref(), email)
            .await
            .unwrap()
    }

    /// The id of a user of the demo account.
    pub async fn user_id(&self, email: &str) -> Id {
        self.store
            .user_by_email(self.account.id, email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email} is not a user of the demo account"))
            .id
    }

    pub async fn user(&self, id: Id) -> User {
        self.get(&self.admin, &format!("/users/{id}"))
            .await
            .parse_ok(StatusCode::OK)
    }

    /// How many users the demo account has, as its administrator sees it.
    pub async fn user_total(&self) -> i64 {
        self.get(&self.admin, "/users?limit=1")
            .await
            .parse_ok::<UserPage>(StatusCode::OK)
            .total
    }

    /// Every user of the demo account, in one page.
    pub async fn all_users(&self) -> Vec<User> {
        let page: UserPage = self
            .get(&self.admin, "/users?limit=1000")
            .await
            .parse_ok(StatusCode::OK);
        assert_eq!(page.next_cursor, None, "one page holds the whole account");
        assert_eq!(page.items.len() as i64, page.total);
        page.items
    }

    pub async fn pool(&self) -> LicencePool {
        self.get(&self.admin, "/licences/pool")
            .await
            .parse_ok(StatusCode::OK)
    }

    pub async fn tier(&self, tier: LicenceTier) -> TierCount {
        self.pool().await.tier(tier).cloned().unwrap()
    }

    /// Actions of the event log about or by a user, newest first.
    pub async fn user_actions(&self, id: Id) -> Vec<String> {
        let events: Vec<Value> = self
            .get(&self.admin, &format!("/users/{id}/events"))
            .await
            .parse_ok(StatusCode::OK);
        events
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A second account ("Other Ltd.", domain other.example) made through the store, as
    /// another customer of the same portal would have it.
    pub async fn other_account(&self) -> OtherAccount {
        let store = self.store.as_ref();
        let actor = Actor::system("test");
        let account = store.create_account("Other Ltd.").await.unwrap();
        let domain = store
            .request_domain(account.id, &actor, "other.example", "other-token")
            .await
            .unwrap();
        store
            .approve_domain(account.id, &actor, domain.id)
            .await
            .unwrap();
        let admin = store
            .create_user(
                account.id,
                &actor,
                &NewUser {
                    email: "boss@other.example".into(),
                    first_name: "Olga".into(),
                    last_name: "Other".into(),
                    language: None,
                    role: Some(Role::Administrator),
                },
            )
            .await
            .unwrap();
        let user = store
            .create_user(
                account.id,
                &actor,
                &NewUser {
                    email: "bob@other.example".into(),
                    first_name: "Bob".into(),
                    last_name: "Other".into(),
                    ..NewUser::default()
                },
            )
            .await
            .unwrap();
        let licences = store
            .purchase_licences(account.id, &actor, LicenceTier::Eco, 2)
            .await
            .unwrap();
        let group = store
            .create_role_group(account.id, &actor, "Auditors", &[Permission::Logs])
            .await
            .unwrap();
        OtherAccount {
            admin_id: admin.id,
            user_id: user.id,
            domain_id: domain.id,
            licence_id: licences[0].id,
            role_group_id: group.id,
        }
    }

    /// Creates a standard user through the API; the domain must be approved.
    pub async fn create_user(&self, email: &str, first_name: &str, last_name: &str) -> User {
        self.post(
            &self.admin,
            "/users",
            json!({"email": email, "first_name": first_name, "last_name": last_name}),
        )
        .await
        .parse_ok(StatusCode::CREATED)
    }

    pub async fn assign(&self, user: Id, tier: &str) -> User {
        self.post(
            &self.admin,
            &format!("/users/{user}/licence"),
            json!({ "tier": tier }),
        )
        .await
        .parse_ok(StatusCode::OK)
    }

    // Sign-in pages and OAuth endpoints.

    /// `request` with the cookies the portal set so far, as a browser sends them.
    pub fn with_cookies(&self, request: RequestBuilder) -> RequestBuilder {
        let jar: Vec<String> = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        if jar.is_empty() {
            request
        } else {
            request.header("cookie", jar.join("; "))
        }
    }

    /// Keeps the cookies `reply` sets.
    fn keep_cookies(&self, reply: &Reply) {
        for set in reply.headers.get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            let mut cookies = self.cookies.lock().unwrap();
            cookies.retain(|(n, _)| n != name);
            cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    /// Sends `request` with the cookies the portal set so far, and keeps those it sets.
    pub async fn browse(&self, request: RequestBuilder) -> Reply {
        let reply = Reply::read(self.with_cookies(request)).await;
        self.keep_cookies(&reply);
        reply
    }

    /// A browser-style GET of a portal page.
    pub async fn page(&self, path: &str) -> Reply {
        self.browse(self.request(Method::GET, path)).await
    }

    /// A form post as a browser sends it from the portal's own page, with its cookies; to
    /// send as it is, or many at once.
    pub fn form_post(&self, path: &str, fields: &[(&str, &str)]) -> RequestBuilder {
        self.with_cookies(
            self.request(Method::POST, path)
                .header("origin", &self.url)
                .form(fields),
        )
    }

    /// Submits a form the way a browser does.
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let reply = Reply::read(self.form_post(path, fields)).await;
        self.keep_cookies(&reply);
        reply
    }

    /// `GET /oauth/authorize` as the CLI opens it in the browser.
    pub async fn authorize(&self, pkce: &Pkce, state: &str) -> Reply {
        self.browse(self.request(Method::GET, "/oauth/authorize").query(&[
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", state),
        ]))
        .await
    }

    /// The one-time code of the newest sign-in message sent to `email`.
    pub fn latest_code(&self, email: &str) -> String {
        let text = self.latest_message(email);
        let (_, rest) = text
            .split_once("Your sign-in code is ")
            .expect("a sign-in message states the code");
        rest.chars().take_while(char::is_ascii_digit).collect()
    }

    /// The newest message sent to `email`, as written to the outbox.
    pub fn latest_message(&self, email: &str) -> String {
        let suffix = format!("-{email}.txt");
        let mut names: Vec<String> = std::fs::read_dir(&self.outbox)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(&suffix))
            .collect();
        // Names start with the time the message was written.
        names.sort();
        let newest = names
            .last()
            .unwrap_or_else(|| panic!("no message to {email} in the outbox"));
        std::fs::read_to_string(self.outbox.join(newest)).unwrap()
    }

    /// How many messages the portal has sent to `email`.
    pub fn messages_to(&self, email: &str) -> usize {
        let suffix = format!("-{email}.txt");
        match std::fs::read_dir(&self.outbox) {
            Ok(entries) => entries
                .filter(|entry| {
                    entry
                        .as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(&suffix)
                })
                .count(),
            Err(_) => 0,
        }
    }

    /// Fills in the e-mail form of `email_page` and checks that the code form follows.
    /// Returns the flow id for the next steps.
    pub async fn enter_email(&self, email_page: &Reply, email: &str) -> String {
        let flow = flow_of(email_page);
        let code_page = self
            .submit("/signin/email", &[("flow", &flow), ("email", email)])
            .await;
        code_page.expect_page(StatusCode::OK, "action=\"/signin/code\"");
        assert_eq!(flow_of(&code_page), flow);
        flow
    }

    pub async fn enter_code(&self, flow: &str, code: &str) -> Reply {
        self.submit("/signin/code", &[("flow", flow), ("code", code)])
            .await
    }

    /// Signs in on the pages from `email_page` with the code the portal e-mails.
    pub async fn complete_sign_in(&self, email_page: &Reply, email: &str) -> Reply {
        let flow = self.enter_email(email_page, email).await;
        let code = self.latest_code(email);
        self.enter_code(&flow, &code).await
    }

    /// The authorisation code the portal redirected to the app with, checking `state`.
    pub fn code_from_redirect(reply: &Reply, state: &str) -> String {
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
        let location = reply.location();
        assert!(
            location.as_str().starts_with(REDIRECT_URI),
            "redirected to the app: {location}"
        );
        assert_eq!(query_value(&location, "state").as_deref(), Some(state));
        query_value(&location, "code").expect("the redirect carries a code")
    }

    /// The whole authorisation-code sign-in of `email`, as the CLI does it.
    pub async fn sign_in(&self, email: &str) -> Tokens {
        let pkce = Pkce::new("sign-in");
        let email_page = self.authorize(&pkce, "state-1").await;
        email_page.expect_page(StatusCode::OK, "action=\"/signin/email\"");
        let redirect = self.complete_sign_in(&email_page, email).await;
        let code = Self::code_from_redirect(&redirect, "state-1");
        self.exchange(&code, &pkce.verifier)
            .await
            .tokens(StatusCode::OK)
    }

    pub async fn token_endpoint(&self, fields: &[(&str, &str)]) -> Reply {
        self.submit("/oauth/token", fields).await
    }

    pub async fn exchange(&self, code: &str, verifier: &str) -> Reply {
        self.token_endpoint(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", CLIENT_ID),
            ("code_verifier", verifier),
        ])
        .await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.token_endpoint(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", CLIENT_ID),
        ])
        .await
    }

    /// The status `GET /api/v1/me` answers with this token.
    pub async fn me_status(&self, token: &str) -> StatusCode {
        self.get(token, "/me").await.status
    }
}

/// A PKCE verifier and its S256 challenge (RFC 7636), computed independently of the server.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// A verifier of its own for each label, so two flows of a test never share one.
    pub fn new(label: &str) -> Pkce {
        Self::from_verifier(&format!(
            "{label}-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
        ))
    }

    pub fn from_verifier(verifier: &str) -> Pkce {
        Pkce {
            verifier: verifier.to_owned(),
            challenge: URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

/// An answer read in full, so a failed assertion can show what the server said.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub async fn read(request: RequestBuilder) -> Reply {
        let response = request.send().await.unwrap();
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// The body as a wire type, after checking the status.
    pub fn parse_ok<T: DeserializeOwned>(&self, status: StatusCode) -> T {
        assert_eq!(self.status, status, "{}", self.text);
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("unexpected body ({e}): {}", self.text))
    }

    pub fn expect_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.text);
    }

    /// Checks an API error: its status and the `code` of its `{code, message, details}`
    /// body. Returns the details.
    pub fn expect_error(&self, status: StatusCode, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        let body = self.json();
        assert_eq!(body["code"], code, "{}", self.text);
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error explains itself: {}",
            self.text
        );
        body["details"].clone()
    }

    /// Checks an OAuth error answer (RFC 6749 §5.2).
    pub fn expect_oauth_error(&self, status: StatusCode, error: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json()["error"], error, "{}", self.text);
    }

    /// Checks a sign-in page: its status, that it is HTML, and that it holds `fragment`.
    pub fn expect_page(&self, status: StatusCode, fragment: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.header("content-type")
                .is_some_and(|t| t.starts_with("text/html")),
            "an HTML page: {:?}",
            self.headers
        );
        assert!(
            self.text.contains(fragment),
            "the page holds {fragment:?}: {}",
            self.text
        );
    }

    pub fn tokens(&self, status: StatusCode) -> Tokens {
        assert_eq!(self.status, status, "{}", self.text);
        let body = self.json();
        assert_eq!(body["token_type"], "Bearer");
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> url::Url {
        let location = self.header("location").expect("a Location header");
        url::Url::parse(location).unwrap()
    }
}

/// The hidden `flow` field of a sign-in form.
pub fn flow_of(page: &Reply) -> String {
    let marker = "name=\"flow\" value=\"";
    let (_, rest) = page
        .text
        .split_once(marker)
        .unwrap_or_else(|| panic!("no flow field in {}", page.text));
    rest.split('"').next().unwrap().to_owned()
}

pub fn query_value(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A six-digit code that differs from `right`.
pub fn wrong_code(right: &str) -> String {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
    .to_owned()
}
