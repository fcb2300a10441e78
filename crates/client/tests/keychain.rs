//! The real system keychain: on Linux, Secret Service through gnome-keyring. Ignored by a
//! plain `cargo test`, which may run where no keychain is; `scripts/test` runs it with
//! `--include-ignored` inside a private D-Bus session with an unlocked keyring.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sxadmin_client::secrets::{Keychain, SecretStore};

#[test]
#[ignore = "needs a Secret Service keychain: scripts/test runs it with --include-ignored in a private one"]
fn keychain_stores_reads_and_deletes_a_real_secret() {
    let keychain = Keychain::with_service("com.secure-exchanges.sxadmin.tests");
    let account = format!("test-{}", std::process::id());
    if let Err(error) = keychain.set(&account, "sxr_example-refresh-token") {
        panic!("the keychain refused to store a secret: {error}");
    }
    // A second handle reads what the first stored: the secret is in the keychain, not in
    // this object.
    let other = Keychain::with_service("com.secure-exchanges.sxadmin.tests");
    assert_eq!(
        other.get(&account).unwrap().as_deref(),
        Some("sxr_example-refresh-token")
    );
    keychain.set(&account, "sxr_rotated").unwrap();
    assert_eq!(other.get(&account).unwrap().as_deref(), Some("sxr_rotated"));
    keychain.delete(&account).unwrap();
    assert_eq!(other.get(&account).unwrap(), None);
    keychain.delete(&account).unwrap();
}
