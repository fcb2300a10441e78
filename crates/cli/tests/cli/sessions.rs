//! `sxadmin sessions`: a user lists their own sign-ins and personal tokens and ends one;
//! `sxadmin portal token --expires-in-days` sets how long a new token lives.

use sxadmin_client::core::Session;

use crate::harness::{row, Portal, STANDARD_USER};

/// The id of the session `token` is, as `sessions list --json` shows it.
async fn current_id(portal: &Portal, token: &str) -> String {
    let listed = portal
        .run_as(Some(token), &["sessions", "list", "--json"])
        .await
        .ok()
        .json();
    listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .expect("the listing marks its own session")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_lists_their_sessions_and_ends_one() {
    let portal = Portal::start().await;
    let laptop = portal.demo.token_for(STANDARD_USER).await;
    let script = portal.demo.token_for(STANDARD_USER).await;

    let table = portal
        .run_as(Some(&laptop), &["sessions", "list"])
        .await
        .ok();
    assert!(table.stdout.starts_with("ID"), "{}", table.stdout);
    let laptop_id = current_id(&portal, &laptop).await;
    let script_id = current_id(&portal, &script).await;
    assert_ne!(laptop_id, script_id);
    let mine = row(&table.stdout, &laptop_id).expect("the session is listed");
    assert_eq!(mine[1], "personal token");
    assert_eq!(mine.last(), Some(&"this one"));
    assert!(row(&table.stdout, &script_id).is_some(), "{}", table.stdout);
    for token in [&laptop, &script] {
        assert!(
            !table.stdout.contains(token.as_str()),
            "no token is printed"
        );
    }

    // Ended by the start of its id: the script's token stops working.
    let ended = portal
        .run_as(Some(&laptop), &["sessions", "revoke", &script_id[..12]])
        .await
        .ok();
    assert!(ended.stdout.contains("Ended"), "{}", ended.stdout);
    portal
        .run_as(Some(&script), &["sessions", "list"])
        .await
        .expect(3);

    // Ending the session the command runs in needs a confirmation.
    portal
        .run_as(Some(&laptop), &["sessions", "revoke", &laptop_id])
        .await
        .expect(2);
    portal
        .run_as(Some(&laptop), &["sessions", "list"])
        .await
        .ok();
    portal
        .run_as(Some(&laptop), &["sessions", "revoke", "../users"])
        .await
        .expect(2);
    portal
        .run_as(Some(&laptop), &["sessions", "revoke", "nosuchsession"])
        .await
        .expect(2);
    portal
        .run_as(Some(&laptop), &["--yes", "sessions", "revoke", &laptop_id])
        .await
        .ok();
    portal
        .run_as(Some(&laptop), &["sessions", "list"])
        .await
        .expect(3);
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_token_expires_in_the_days_asked() {
    let portal = Portal::start().await;
    let db = portal.demo.server().database_url.clone();
    let minted = portal
        .signed_out(&[
            "portal",
            "token",
            "--db",
            &db,
            "--email",
            STANDARD_USER,
            "--expires-in-days",
            "7",
        ])
        .run()
        .await
        .ok();
    let token = minted.stdout.trim().to_owned();
    let listed = portal
        .run_as(Some(&token), &["sessions", "list", "--json"])
        .await
        .ok()
        .json();
    let sessions: Vec<Session> = serde_json::from_value(listed).unwrap();
    let current = sessions.iter().find(|s| s.current).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let left = current.expires_at.expect("the token expires").timestamp() - now;
    let day = 24 * 3600;
    assert!(left > 6 * day && left <= 7 * day, "{left} s");

    for days in ["0", "3651", "soon"] {
        portal
            .signed_out(&[
                "portal",
                "token",
                "--db",
                &db,
                "--email",
                STANDARD_USER,
                "--expires-in-days",
                days,
            ])
            .run()
            .await
            .expect(2);
    }
}
