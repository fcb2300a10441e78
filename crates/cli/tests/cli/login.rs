//! `sxadmin login`, `whoami` and `logout` with the real system keychain and the real
//! portal pages: the device flow, and the browser flow with its loopback redirect. The
//! portal's pages are filled in over HTTP as an administrator would fill them in a browser.
//!
//! These need a Secret Service keychain, which a developer's session may lack and which
//! must never be the developer's own: they are ignored by default, and `scripts/test` runs
//! them with `--ignored` inside its private D-Bus session with an unlocked gnome-keyring.
//! Run that way, a missing keychain is a failure, not a skip.

use std::time::Duration;

use sxadmin_client::secrets::{Keychain, SecretStore};
use sxadmin_client::session::secret_name;
use sxadmin_client::PortalUrl;
use sxadmin_portal::PortalConfig;
use sxadmin_tests::portal::SignInPage;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::Portal;

const NEEDS_KEYCHAIN: &str =
    "needs a Secret Service keychain: scripts/test runs it with --ignored in a private one";

async fn start_portal() -> Portal {
    // Fails loudly: run with --ignored, the test was asked for a keychain.
    let probe = Keychain::with_service("com.secure-exchanges.sxadmin.tests");
    let account = format!("probe-{}", std::process::id());
    if let Err(error) = probe.set(&account, "probe") {
        panic!("{NEEDS_KEYCHAIN}; the keychain here is not usable: {error}");
    }
    probe.delete(&account).unwrap();
    Portal::start_with(PortalConfig {
        device_poll_interval: Duration::ZERO,
        ..PortalConfig::default()
    })
    .await
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
#[ignore = "needs a Secret Service keychain: scripts/test runs it with --ignored in a private one"]
async fn device_login_keeps_the_sign_in_in_the_keychain_until_logout() {
    let portal = start_portal().await;
    let mut login = portal
        .signed_out(&["login", "--device", "--portal", &portal.url])
        .spawn();
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
    let settings = std::fs::read_to_string(portal.home().join("config/settings.json")).unwrap();
    assert!(settings.contains(&portal.url.trim_end_matches('/').to_string()));
    assert!(!settings.contains(&kept));

    // The next command finds the portal and the sign-in by itself.
    let whoami = portal.signed_out(&["whoami", "--json"]).run().await.ok();
    let me = whoami.json();
    assert_eq!(me["email"], "admin@demo.example");
    assert_eq!(me["account"], "Demo Inc.");
    assert!(!whoami.stdout.contains(&kept));

    portal.signed_out(&["logout"]).run().await.ok();
    assert_eq!(Keychain::default().get(&name).unwrap(), None);
    let after = portal.signed_out(&["whoami"]).run().await.expect(3);
    assert!(after.stderr.contains("sxadmin login"), "{}", after.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service keychain: scripts/test runs it with --ignored in a private one"]
async fn browser_login_receives_the_code_on_a_loopback_redirect() {
    let portal = start_portal().await;
    // The "browser" opens nothing: the test plays its part from the address printed.
    let mut login = portal
        .signed_out(&["login", "--portal", &portal.url])
        .env("SXADMIN_BROWSER", "true")
        .spawn();
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
    let email_page = SignInPage::read(http.get(&authorize).send().await).await;
    // The code page redirects to the command's loopback listener, which answers.
    let landing = portal.demo.sign_in_on_pages(&http, &email_page).await;
    assert!(landing.contains("Signed in to SX Admin"), "{landing}");
    let out = login.wait_with_output().await.unwrap();
    assert_eq!(out.status.code(), Some(0));

    let whoami = portal.signed_out(&["whoami"]).run().await.ok();
    assert!(
        whoami.stdout.contains("admin@demo.example"),
        "{}",
        whoami.stdout
    );
    portal.signed_out(&["logout"]).run().await.ok();
}
