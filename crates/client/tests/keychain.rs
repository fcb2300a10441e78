//! The real system keychain: on Linux, Secret Service through gnome-keyring. `scripts/test`
//! runs this inside a private D-Bus session with an unlocked keyring and sets
//! SXADMIN_KEYCHAIN_TESTS=1, which makes a missing keychain a failure instead of a notice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use sxadmin_client::secrets::{Keychain, SecretStore, SecretStoreError};

fn required() -> bool {
    std::env::var("SXADMIN_KEYCHAIN_TESTS").is_ok_and(|v| v == "1")
}

#[test]
fn stores_reads_and_deletes_a_real_secret() {
    let keychain = Keychain::with_service("com.secure-exchanges.sxadmin.tests");
    let account = format!("test-{}", std::process::id());
    match keychain.set(&account, "sxr_example-refresh-token") {
        Ok(()) => {}
        Err(SecretStoreError::Unavailable(reason)) if !required() => {
            eprintln!("no system keychain here ({reason}); run scripts/test to test it");
            return;
        }
        Err(error) => panic!("the keychain refused to store a secret: {error}"),
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
