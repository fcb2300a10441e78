//! The Tauri commands through Tauri's mock runtime: real IPC requests (JSON and raw
//! bodies) into the real command handlers, against the embedded demo portal serving on a
//! loopback port with a SQLite file in a temporary folder. Only the keychain is the
//! in-memory seam here; the real keychain is covered by the end-to-end tests.

// Test helpers fail the test on anything unexpected; that is what a panic is for here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use serde_json::{json, Value};
use sxadmin_client::secrets::{MemorySecrets, SecretStore, SecretStoreError};
use sxadmin_desktop::state::AppState;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{
    get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY,
};
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

struct Harness {
    _app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    secrets: Arc<MemorySecrets>,
    _data: tempfile::TempDir,
}

fn harness() -> Harness {
    let secrets = Arc::new(MemorySecrets::default());
    harness_with(secrets.clone(), secrets)
}

/// The app with `store` as its keychain; `secrets` is what the test reads back.
fn harness_with(store: Arc<dyn SecretStore>, secrets: Arc<MemorySecrets>) -> Harness {
    let data = tempfile::tempdir().unwrap();
    let app = sxadmin_desktop::with_commands(mock_builder())
        .build(mock_context(noop_assets()))
        .unwrap();
    app.manage(AppState::new(data.path().to_path_buf(), store));
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    Harness {
        _app: app,
        window,
        secrets,
        _data: data,
    }
}

fn request(
    cmd: &str,
    body: InvokeBody,
    headers: tauri::http::HeaderMap,
) -> tauri::webview::InvokeRequest {
    tauri::webview::InvokeRequest {
        cmd: cmd.into(),
        callback: CallbackFn(0),
        error: CallbackFn(1),
        // On Linux the IPC only accepts requests from the app's own origin.
        url: "tauri://localhost".parse().unwrap(),
        body,
        headers,
        invoke_key: INVOKE_KEY.to_string(),
    }
}

impl Harness {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        get_ipc_response(
            &self.window,
            request(cmd, InvokeBody::Json(args), Default::default()),
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|error| panic!("{cmd} failed: {error}"))
    }

    fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(value) => panic!("{cmd} succeeded with {value}"),
            Err(error) => error,
        }
    }
}

/// A Linux session with a bus but no Secret Service, as under plain `xvfb-run`: every
/// lookup fails the way the keychain reports it there.
struct NoKeychain;

impl SecretStore for NoKeychain {
    fn get(&self, _: &str) -> Result<Option<String>, SecretStoreError> {
        Err(missing())
    }
    fn set(&self, _: &str, _: &str) -> Result<(), SecretStoreError> {
        Err(missing())
    }
    fn delete(&self, _: &str) -> Result<(), SecretStoreError> {
        Err(missing())
    }
}

fn missing() -> SecretStoreError {
    SecretStoreError::Unavailable(
        "org.freedesktop.secrets was not provided by any .service files".into(),
    )
}

fn session_admin_id(app: &Harness) -> Value {
    app.ok("list_users", json!({ "query": { "search": "admin@demo" } }))["items"][0]["id"].clone()
}

#[test]
fn commands_need_a_session_and_say_so_in_words() {
    let app = harness();
    let info = app.ok("app_info", json!({}));
    assert_eq!(info["session"], Value::Null);
    let error = app.err("list_users", json!({ "query": {} }));
    assert_eq!(error["code"], "not_signed_in");
    assert!(error["message"].as_str().unwrap().contains("not signed in"));
}

#[test]
fn a_portal_over_plain_http_is_refused_before_anything_is_sent() {
    let app = harness();
    let error = app.err(
        "sign_in",
        json!({ "portalUrl": "http://portal.example.com" }),
    );
    assert_eq!(error["code"], "insecure_url");
    assert!(error["message"].as_str().unwrap().contains("plain http"));
}

#[test]
fn demo_sign_in_lists_and_adds_users_and_sign_out_forgets_the_token() {
    let app = harness();
    let session = app.ok("sign_in_demo", json!({}));
    assert_eq!(session["account_name"], "Demo Inc.");
    assert_eq!(session["admin_email"], "admin@demo.example");
    let keychain_entries = |app: &Harness| {
        let name = format!(
            "demo-portal:{}",
            app._data.path().join("demo-portal").display()
        );
        app.secrets.get(&name).unwrap()
    };
    let token = keychain_entries(&app).expect("the demo token is in the keychain");
    let info = app.ok("app_info", json!({}));
    assert!(
        !info.to_string().contains(&token),
        "the web view never sees the token"
    );

    let page = app.ok(
        "list_users",
        json!({ "query": { "sort": "email", "limit": 3 } }),
    );
    assert_eq!(page["total"], 6);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["items"][0]["email"], "admin@demo.example");
    let next = app.ok(
        "list_users",
        json!({ "query": { "sort": "email", "limit": 3, "cursor": page["next_cursor"] } }),
    );
    assert_eq!(next["items"][0]["email"], "lea.roy@demo.example");

    let created = app.ok(
        "create_user",
        json!({ "user": { "email": "zoe@demo.example", "first_name": "Zoé", "last_name": "L" } }),
    );
    assert_eq!(created["role"], "user");
    let refused = app.err(
        "create_user",
        json!({ "user": { "email": "x@unapproved.example" } }),
    );
    assert_eq!(refused["code"], "domain_not_approved");

    let id = created["id"].clone();
    let edited = app.ok(
        "update_user",
        json!({ "id": id, "changes": { "last_name": "Lambert", "language": "fr" } }),
    );
    assert_eq!(edited["last_name"], "Lambert");
    assert_eq!(edited["language"], "fr");
    let promoted = app.ok("set_role", json!({ "id": id, "role": "administrator" }));
    assert_eq!(promoted["role"], "administrator");
    app.ok("set_role", json!({ "id": id, "role": "user" }));
    let admin = session_admin_id(&app);
    let last = app.err("set_role", json!({ "id": admin, "role": "user" }));
    assert_eq!(last["code"], "last_administrator");
    app.ok("delete_user", json!({ "id": id }));
    assert_eq!(
        app.err("get_user", json!({ "id": id }))["code"],
        "not_found"
    );
    app.ok(
        "create_user",
        json!({ "user": { "email": "zoe@demo.example", "first_name": "Zoé", "last_name": "L" } }),
    );

    let overview = app.ok("overview", json!({}));
    assert_eq!(overview["me"]["account"]["name"], "Demo Inc.");
    assert_eq!(overview["user_count"], 7);

    app.ok("sign_out", json!({}));
    assert_eq!(keychain_entries(&app), None);
    assert_eq!(app.err("overview", json!({}))["code"], "not_signed_in");
}

#[test]
fn a_dropped_file_is_previewed_window_by_window() {
    let app = harness();
    app.ok("sign_in_demo", json!({}));
    let csv = "email,first_name,last_name,role,language,licence\n\
               new@demo.example,New,Person,,,eco\n\
               camille.tremblay@demo.example,Camille,Tremblay,,,\n\
               bad@,Bad,Address,,,\n\
               x@unapproved.example,,,,,\n";
    let mut headers = tauri::http::HeaderMap::new();
    headers.insert("x-file-name", "users%20%C3%A9t%C3%A9.csv".parse().unwrap());
    let preview = get_ipc_response(
        &app.window,
        request(
            "load_import_bytes",
            InvokeBody::Raw(csv.as_bytes().to_vec()),
            headers,
        ),
    )
    .unwrap()
    .deserialize::<Value>()
    .unwrap();
    assert_eq!(preview["file_name"], "users été.csv");
    assert_eq!(preview["summary"]["create"], 1);
    assert_eq!(preview["summary"]["unchanged"], 1);
    assert_eq!(preview["summary"]["error"], 2);

    let rows = app.ok("import_rows", json!({ "offset": 2, "limit": 10 }));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["line"], 4);
    assert_eq!(rows[0]["action"], "error");
    assert_eq!(rows[0]["issues"][0]["column"], "email");
    assert_eq!(rows[1]["issues"][0]["code"], "domain_not_approved");

    let unreadable = get_ipc_response(
        &app.window,
        request(
            "load_import_bytes",
            InvokeBody::Raw(Vec::new()),
            Default::default(),
        ),
    )
    .unwrap_err();
    assert_eq!(unreadable["code"], "empty_file");
}

#[test]
fn licences_domains_roles_and_events_go_through() {
    let app = harness();
    app.ok("sign_in_demo", json!({}));
    let users = app.ok("list_users", json!({ "query": { "search": "noah" } }));
    let noah = users["items"][0]["id"].clone();
    let liam =
        app.ok("list_users", json!({ "query": { "search": "liam" } }))["items"][0]["id"].clone();

    let assigned = app.ok(
        "assign_licences",
        json!({ "userIds": [noah], "tier": "pro" }),
    );
    assert_eq!(assigned[0]["user"]["licence"]["tier"], "pro");
    let changed = app.ok(
        "change_licences",
        json!({ "userIds": [noah], "tier": "eco" }),
    );
    assert_eq!(changed[0]["user"]["licence"]["tier"], "eco");
    // One refusal does not hide what happened to the others: a result per user.
    let mixed = app.ok(
        "assign_licences",
        json!({ "userIds": [noah, liam], "tier": "advanced" }),
    );
    assert_eq!(mixed[0]["user_id"], noah);
    assert_eq!(mixed[0]["problem"]["code"], "user_has_licence");
    assert!(!mixed[0]["problem"]["message"].as_str().unwrap().is_empty());
    assert_eq!(mixed[1]["user"]["licence"]["tier"], "advanced");
    // The same user twice: the library may send both at once, so either one unassigns
    // and the other finds no licence left.
    let back = app.ok("unassign_licences", json!({ "userIds": [liam, liam] }));
    let (done, refused) = if back[0]["problem"].is_null() {
        (&back[0], &back[1])
    } else {
        (&back[1], &back[0])
    };
    assert_eq!(done["problem"], Value::Null);
    assert_eq!(done["user"]["licence"], Value::Null);
    assert_eq!(refused["problem"]["code"], "user_has_no_licence");
    let to = app.ok(
        "transfer_licence",
        json!({ "fromUserId": noah, "toUserId": liam }),
    );
    assert_eq!(to["licence"]["tier"], "eco");
    let again = app.err(
        "transfer_licence",
        json!({ "fromUserId": noah, "toUserId": liam }),
    );
    assert!(!again["message"].as_str().unwrap().is_empty());

    let pool = app.ok("purchase_licences", json!({ "tier": "pro", "count": 1 }));
    let pro = pool["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tier"] == "pro")
        .unwrap()
        .clone();
    assert_eq!(pro["purchased"], 3);
    assert_eq!(
        app.err("purchase_licences", json!({ "tier": "pro", "count": 0 }))["code"],
        "invalid_input"
    );

    let domain = app.ok("request_domain", json!({ "name": "newco.example" }));
    assert_eq!(domain["status"], "pending");
    assert!(domain["txt_record_name"]
        .as_str()
        .unwrap()
        .contains("newco.example"));
    let verified = app.ok("verify_domain", json!({ "id": domain["id"] }));
    assert_eq!(verified["status"], "approved");
    app.ok("remove_domain", json!({ "id": domain["id"] }));

    let roles = app.ok("roles", json!({}));
    assert_eq!(roles["built_in"], json!(["user", "administrator"]));

    let events = app.ok("list_events", json!({ "query": { "user_id": liam } }));
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"licence.received"), "{actions:?}");
}

#[test]
fn the_demo_works_without_a_keychain_and_says_it_will_not_be_remembered() {
    let app = harness_with(Arc::new(NoKeychain), Arc::new(MemorySecrets::default()));
    let session = app.ok("sign_in_demo", json!({}));
    assert_eq!(session["account_name"], "Demo Inc.");
    assert_eq!(session["remembered"], false);
    let page = app.ok("list_users", json!({ "query": { "limit": 2 } }));
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.ok("app_info", json!({}))["session"]["remembered"],
        false
    );
    app.ok("sign_out", json!({}));
    assert_eq!(app.err("overview", json!({}))["code"], "not_signed_in");
    // Starting again brings the demo back, still without a keychain.
    let restored = app.ok("restore_session", json!({}));
    assert_eq!(restored, Value::Null, "signing out of the demo forgets it");
    app.ok("sign_in_demo", json!({}));
}

#[test]
fn a_portal_sign_in_without_a_keychain_says_how_to_get_one_before_the_browser_opens() {
    let app = harness_with(Arc::new(NoKeychain), Arc::new(MemorySecrets::default()));
    let error = app.err(
        "sign_in",
        json!({ "portalUrl": "https://portal.example.com" }),
    );
    assert_eq!(error["code"], "keychain_unavailable");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("no system keychain is running"),
        "{message}"
    );
    assert!(message.contains("gnome-keyring"), "{message}");
}

#[test]
fn a_demo_with_a_keychain_is_remembered() {
    let app = harness();
    assert_eq!(app.ok("sign_in_demo", json!({}))["remembered"], true);
}

#[test]
fn every_user_of_an_account_larger_than_a_page_is_reached_page_by_page() {
    let app = harness();
    app.ok("sign_in_demo", json!({}));
    let page_size = sxadmin_client::core::rules::DEFAULT_USER_PAGE as usize;
    for n in 0..page_size + 20 {
        app.ok(
            "create_user",
            json!({ "user": { "email": format!("many{n:03}@demo.example") } }),
        );
    }
    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page = app.ok(
            "list_users",
            json!({ "query": { "sort": "email", "cursor": cursor, "limit": page_size } }),
        );
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= page_size);
        seen.extend(
            items
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            assert_eq!(page["total"].as_u64().unwrap() as usize, seen.len());
            break;
        }
    }
    assert_eq!(seen.len(), page_size + 20 + 6, "every user once");
    assert!(seen.contains(&format!("many{:03}@demo.example", page_size + 19)));
    // The Licences screen searches the portal for a user beyond the first page.
    let found = app.ok(
        "list_users",
        json!({ "query": { "search": format!("many{:03}", page_size + 19) } }),
    );
    assert_eq!(found["total"], 1);
}

#[test]
fn an_interrupted_import_is_listed_resumed_with_every_row_once_and_then_gone() {
    use std::sync::atomic::AtomicBool;
    use sxadmin_client::import::{workflow, ApplyOptions};
    use sxadmin_client::{PortalClient, PortalUrl};

    let app = harness();
    let session = app.ok("sign_in_demo", json!({}));
    let folder = app._data.path().join("demo-portal");
    let token = app
        .secrets
        .get(&format!("demo-portal:{}", folder.display()))
        .unwrap()
        .unwrap();
    let csv: String = std::iter::once("email,first_name,last_name\n".to_owned())
        .chain((0..30).map(|n| format!("stop{n:02}@demo.example,Stop,{n}\n")))
        .collect();
    // The import stops before its first batch, as when the app closes: the journal stays.
    let journals = app._data.path().join("imports");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let url = PortalUrl::parse(session["portal_url"].as_str().unwrap()).unwrap();
        let client = PortalClient::new(url, token).unwrap();
        let planned = workflow::plan(&client, csv.as_bytes(), "stop.csv", &journals)
            .await
            .unwrap();
        let stop = AtomicBool::new(true);
        let outcome = workflow::apply(&client, &planned, &ApplyOptions::default(), &stop, |_| {})
            .await
            .unwrap();
        assert!(outcome.cancelled);
    });

    let listed = app.ok("interrupted_imports", json!({}));
    assert_eq!(listed[0]["file_name"], "stop.csv");
    assert_eq!(listed[0]["left"], 30);
    let id = listed[0]["id"].clone();
    // The window names an import, never a path.
    assert_eq!(
        app.err("discard_import", json!({ "id": "../settings.json" }))["code"],
        "invalid_input"
    );
    let report = app.ok(
        "resume_import",
        json!({ "id": id, "progress": "__CHANNEL__:1" }),
    );
    assert_eq!(report["progress"]["created"], 30);
    assert_eq!(report["progress"]["failed"], 0);
    assert_eq!(app.ok("interrupted_imports", json!({})), json!([]));
    let found = app.ok("list_users", json!({ "query": { "search": "stop" } }));
    assert_eq!(found["total"], 30);
    assert_eq!(
        app.err(
            "resume_import",
            json!({ "id": id, "progress": "__CHANNEL__:2" })
        )["code"],
        "invalid_input"
    );
}

impl Harness {
    /// Drops `bytes` on the window as `name`.
    fn drop_file(&self, name: &str, bytes: Vec<u8>) -> Result<Value, Value> {
        let mut headers = tauri::http::HeaderMap::new();
        headers.insert("x-file-name", name.parse().unwrap());
        get_ipc_response(
            &self.window,
            request("load_import_bytes", InvokeBody::Raw(bytes), headers),
        )
        .map(|body| body.deserialize::<Value>().unwrap())
    }
}

fn workbook_fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/workbooks")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn a_dropped_workbook_offers_its_sheets_and_names_the_cell_of_each_problem() {
    let app = harness();
    app.ok("sign_in_demo", json!({}));
    for name in [
        "people-libreoffice.xlsx",
        "people-libreoffice.ods",
        "people-libreoffice.xls",
    ] {
        let preview = app.drop_file(name, workbook_fixture(name)).unwrap();
        assert_eq!(preview["sheet"], "Staff list", "{name}");
        assert_eq!(preview["sheets"], json!(["Staff list", "Notes"]), "{name}");
        assert_eq!(preview["summary"]["rows"], 5, "{name}");
        let rows = app.ok("import_rows", json!({ "offset": 0, "limit": 10 }));
        // "not-an-address" is on the fifth row of the sheet, in column B.
        let bad = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["email"] == "not-an-address")
            .unwrap();
        assert_eq!(bad["line"], 5, "{name}");
        assert_eq!(bad["issues"][0]["sheet"], "Staff list", "{name}");
        assert_eq!(bad["issues"][0]["cell"], "'Staff list'!B5", "{name}");
    }

    let other = app.ok("plan_import", json!({ "choices": { "sheet": "Notes" } }));
    assert_eq!(other["sheet"], "Notes");
    assert_eq!(other["summary"]["rows"], 1);
    let rows = app.ok("import_rows", json!({ "offset": 0, "limit": 10 }));
    assert_eq!(rows[0]["email"], "other@example.com");
    let missing = app.err("plan_import", json!({ "choices": { "sheet": "Nope" } }));
    assert!(
        missing["message"].as_str().unwrap().contains("Nope"),
        "{missing}"
    );
}

#[test]
fn a_sync_beyond_the_safeguard_is_refused_until_the_number_is_typed() {
    let app = harness();
    app.ok("sign_in_demo", json!({}));
    let csv = "email,first_name,last_name\n\
               admin@demo.example,,\n\
               camille.tremblay@demo.example,Camille,Tremblay\n";
    let preview = app.drop_file("two.csv", csv.as_bytes().to_vec()).unwrap();
    assert_eq!(preview["removals"], json!([]));
    assert_eq!(preview["safeguard"]["exceeded"], false);

    let preview = app.ok(
        "plan_import",
        json!({ "choices": { "sync": "disable_missing" } }),
    );
    let removals = preview["removals"].as_array().unwrap();
    let removed = removals.len();
    // The demo account has six users: the four not in the file are disabled.
    assert_eq!(removed, 4, "{preview}");
    assert!(removals
        .iter()
        .all(|r| r["kind"] == "disable" && r["line"].is_null()));
    assert!(removals.iter().all(
        |r| r["email"] != "admin@demo.example" && r["email"] != "camille.tremblay@demo.example"
    ));
    assert_eq!(preview["summary"]["disable"], removed);
    assert_eq!(preview["safeguard"]["exceeded"], true);
    assert_eq!(preview["safeguard"]["removals"], removed);

    let refused = app.err(
        "apply_import",
        json!({ "confirmedRemovals": null, "progress": "__CHANNEL__:1" }),
    );
    assert_eq!(refused["code"], "too_many_removals");
    let wrong = app.err(
        "apply_import",
        json!({ "confirmedRemovals": removed + 1, "progress": "__CHANNEL__:2" }),
    );
    assert_eq!(wrong["code"], "removals_not_confirmed");
    let active = |app: &Harness| {
        app.ok("list_users", json!({ "query": { "status": "active" } }))["total"].clone()
    };
    assert_eq!(active(&app), removed + 2, "nothing was changed yet");

    let report = app.ok(
        "apply_import",
        json!({ "confirmedRemovals": removed, "progress": "__CHANNEL__:3" }),
    );
    assert_eq!(report["progress"]["disabled"], removed);
    assert_eq!(report["progress"]["failed"], 0);
    assert_eq!(active(&app), 2);
    let disabled = app.ok("list_users", json!({ "query": { "status": "disabled" } }));
    assert_eq!(disabled["total"], removed);
}

#[test]
fn deleting_the_users_missing_from_the_file_says_what_each_loses() {
    let app = harness();
    app.ok("sign_in_demo", json!({}));
    let csv = "email\nadmin@demo.example\n";
    app.drop_file("admin.csv", csv.as_bytes().to_vec()).unwrap();
    let preview = app.ok(
        "plan_import",
        json!({ "choices": { "sync": "delete_missing" } }),
    );
    let removals = preview["removals"].as_array().unwrap();
    assert!(!removals.is_empty());
    for removal in removals {
        assert_eq!(removal["kind"], "delete");
        let loss = removal["loss"].as_str().unwrap();
        assert!(loss.contains(removal["email"].as_str().unwrap()), "{loss}");
        assert!(loss.contains("for good"), "{loss}");
    }
    assert_eq!(preview["summary"]["delete"], removals.len());
}

#[test]
fn the_user_list_filters_by_status_role_and_licence() {
    let app = harness();
    app.ok("sign_in_demo", json!({}));
    let all = app.ok("list_users", json!({ "query": {} }))["total"].clone();
    let admins = app.ok(
        "list_users",
        json!({ "query": { "role": "administrator" } }),
    );
    assert!(admins["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["role"] == "administrator"));
    assert!(admins["total"].as_i64().unwrap() < all.as_i64().unwrap());
    let unlicensed = app.ok("list_users", json!({ "query": { "licence": "none" } }));
    assert!(unlicensed["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["licence"].is_null()));
    let eco = app.ok("list_users", json!({ "query": { "licence": "eco" } }));
    assert!(eco["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|u| u["licence"]["tier"] == "eco"));
    assert_eq!(
        unlicensed["total"].as_i64().unwrap()
            + eco["total"].as_i64().unwrap()
            + app.ok("list_users", json!({ "query": { "licence": "advanced" } }))["total"]
                .as_i64()
                .unwrap()
            + app.ok("list_users", json!({ "query": { "licence": "pro" } }))["total"]
                .as_i64()
                .unwrap(),
        all.as_i64().unwrap()
    );
}
