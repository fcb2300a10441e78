//! `sxadmin login`, `whoami` and `logout` with the real system keychain and the real
//! portal pages: the device flow, and the browser flow with its loopback redirect. The
//! portal's pages are filled in over HTTP as an administrator would fill them in a browser.
//! `scripts/test` runs this inside a private D-Bus session with an unlocked gnome-keyring
//! and sets SXADMIN_KEYCHAIN_TESTS=1; elsewhere, a machine without a keychain skips it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Stdio;
use std::time::Duration;

use sxadmin_client::secrets::{Keychain, SecretStore, SecretStoreError};
use sxadmin_client::session::secret_name;
use sxadmin_client::PortalUrl;
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::DemoPortal;
use tokio::io::{AsyncBufReadExt, BufReader};

struct Portal {
    demo: DemoPortal,
    url: String,
}

async fn start_portal() -> Portal {
    let demo = DemoPortal::start(PortalConfig {
        device_poll_interval: Duration::ZERO,
        ..PortalConfig::default()
    })
    .await;
    Portal {
        url: demo.url.clone(),
        demo,
    }
}

fn keychain_available() -> bool {
    let probe = Keychain::with_service("com.secure-exchanges.sxadmin.tests");
    let account = format!("probe-{}", std::process::id());
    match probe.set(&account, "probe") {
        Ok(()) => {
            probe.delete(&account).unwrap();
            true
        }
        Err(SecretStoreError::Unavailable(reason))
            if std::env::var("SXADMIN_KEYCHAIN_TESTS").as_deref() != Ok("1") =>
        {
            eprintln!("no system keychain here ({reason}); run scripts/test to test it");
            false
        }
        Err(error) => panic!("the keychain is not usable: {error}"),
    }
}

impl Portal {
    fn sxadmin(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sxadmin"));
        command
            .args(args)
            .env_remove("SXADMIN_TOKEN")
            .env_remove("SXADMIN_PORTAL")
            .env("SXADMIN_CONFIG_DIR", self.demo.dir.path().join("config"))
            .env("SXADMIN_DATA_DIR", self.demo.dir.path().join("data"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    async fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let out = self.sxadmin(args).output().await.unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Reads the child's standard error until a line contains `marker`; returns that line.
async fn line_with(
    lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStderr>>,
    marker: &str,
) -> String {
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.contains(marker) {
            return line;
        }
    }
    panic!("sxadmin never printed {marker:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_login_keeps_the_sign_in_in_the_keychain_until_logout() {
    if !keychain_available() {
        return;
    }
    let portal = start_portal().await;
    let mut login = portal
        .sxadmin(&["login", "--device", "--portal", &portal.url])
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(login.stderr.take().unwrap()).lines();
    let line = line_with(&mut stderr, "enter the code").await;
    let user_code = line.rsplit(' ').next().unwrap().to_owned();

    portal.demo.approve_device(&user_code).await;
    let out = login.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Signed in as admin@demo.example"),
        "{stdout}"
    );

    // The refresh token is in the keychain; the settings file has the address only.
    let url = PortalUrl::parse(&portal.url).unwrap();
    let name = secret_name(&url, "sxadmin-cli");
    let kept = Keychain::default().get(&name).unwrap().expect("kept");
    let settings =
        std::fs::read_to_string(portal.demo.dir.path().join("config/settings.json")).unwrap();
    assert!(settings.contains(&portal.url.trim_end_matches('/').to_string()));
    assert!(!settings.contains(&kept));

    // The next command finds the portal and the sign-in by itself.
    let (code, stdout, stderr) = portal.run(&["whoami", "--json"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    let me: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(me["email"], "admin@demo.example");
    assert_eq!(me["account"], "Demo Inc.");
    assert!(!stdout.contains(&kept));

    let (code, _, stderr) = portal.run(&["logout"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(Keychain::default().get(&name).unwrap(), None);
    let (code, _, stderr) = portal.run(&["whoami"]).await;
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("sxadmin login"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_login_receives_the_code_on_a_loopback_redirect() {
    if !keychain_available() {
        return;
    }
    let portal = start_portal().await;
    // The "browser" opens nothing: the test plays its part from the address printed.
    let mut login = portal
        .sxadmin(&["login", "--portal", &portal.url])
        .env("SXADMIN_BROWSER", "true")
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(login.stderr.take().unwrap()).lines();
    let line = line_with(&mut stderr, "go to this address: ").await;
    let authorize = line
        .split_once("go to this address: ")
        .unwrap()
        .1
        .to_owned();
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );

    let http = reqwest::Client::new();
    let email_page = http
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The code page redirects to the command's loopback listener, which answers.
    let landing = portal.demo.sign_in_on_pages(&http, &email_page).await;
    assert!(landing.contains("Signed in to SX Admin"), "{landing}");
    let out = login.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0));

    let (code, stdout, stderr) = portal.run(&["whoami"]).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("admin@demo.example"), "{stdout}");
    let (code, _, _) = portal.run(&["logout"]).await;
    assert_eq!(code, Some(0));
}
