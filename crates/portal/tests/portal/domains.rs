//! Domain approval by DNS TXT record, through the resolver the test controls.

use reqwest::StatusCode;
use serde_json::json;
use sxadmin_core::{Domain, DomainStatus, User};

use crate::harness::Portal;

#[tokio::test]
async fn a_domain_is_approved_once_its_txt_record_is_published() {
    let portal = Portal::start().await;
    let admin = &portal.admin;

    let requested: Domain = portal
        .post(admin, "/domains", json!({"name": " Acme.Example. "}))
        .await
        .parse_ok(StatusCode::CREATED);
    assert_eq!(requested.name, "acme.example");
    assert_eq!(requested.status, DomainStatus::Pending);
    assert_eq!(requested.txt_record_name, "_secure-exchanges.acme.example");
    assert!(requested
        .txt_record_value
        .starts_with("sx-domain-verification="));
    assert_eq!(requested.approved_at, None);

    portal
        .post(admin, "/users", json!({"email": "ceo@acme.example"}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "domain_not_approved");

    let verify = format!("/domains/{}/verify", requested.id);
    let details = portal.post(admin, &verify, json!({})).await.expect_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "domain_verification_failed",
    );
    assert_eq!(details["record_name"], requested.txt_record_name);
    assert_eq!(details["record_value"], requested.txt_record_value);

    // A record with another value, or at another name, proves nothing.
    portal.dns.publish(
        &requested.txt_record_name,
        "sx-domain-verification=someone-elses-token",
    );
    portal
        .dns
        .publish("acme.example", &requested.txt_record_value);
    portal.post(admin, &verify, json!({})).await.expect_error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "domain_verification_failed",
    );
    let domains: Vec<Domain> = portal.get(admin, "/domains").await.parse_ok(StatusCode::OK);
    let acme = domains.iter().find(|d| d.name == "acme.example").unwrap();
    assert_eq!(acme.status, DomainStatus::Pending);

    portal
        .dns
        .publish(&requested.txt_record_name, &requested.txt_record_value);
    let approved: Domain = portal
        .post(admin, &verify, json!({}))
        .await
        .parse_ok(StatusCode::OK);
    assert_eq!(approved.status, DomainStatus::Approved);
    assert!(approved.approved_at.is_some());

    let created: User = portal
        .post(admin, "/users", json!({"email": "ceo@ACME.example"}))
        .await
        .parse_ok(StatusCode::CREATED);
    assert_eq!(created.email, "ceo@acme.example");

    // Removing the domain keeps its users but stops new ones.
    portal
        .delete(admin, &format!("/domains/{}", requested.id))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    portal
        .post(admin, "/users", json!({"email": "cfo@acme.example"}))
        .await
        .expect_error(StatusCode::UNPROCESSABLE_ENTITY, "domain_not_approved");
    assert_eq!(portal.user(created.id).await.email, "ceo@acme.example");
    portal
        .post(admin, &verify, json!({}))
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn public_duplicate_and_malformed_domains_are_refused() {
    let portal = Portal::start().await;
    let admin = &portal.admin;

    // Well formed, so not `invalid_input`: there is just nothing to approve.
    portal
        .post(admin, "/domains", json!({"name": "gmail.com"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    portal
        .post(admin, "/domains", json!({"name": "Hotmail.COM"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    for bad in ["not a domain", "localhost", "", "acme..example"] {
        portal
            .post(admin, "/domains", json!({ "name": bad }))
            .await
            .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    }

    portal
        .post(admin, "/domains", json!({"name": "acme.example"}))
        .await
        .parse_ok::<Domain>(StatusCode::CREATED);
    for duplicate in ["acme.example", "ACME.example", "demo.example"] {
        let details = portal
            .post(admin, "/domains", json!({ "name": duplicate }))
            .await
            .expect_error(StatusCode::CONFLICT, "domain_exists");
        assert_eq!(details["domain"], duplicate.to_lowercase());
    }

    let domains: Vec<Domain> = portal.get(admin, "/domains").await.parse_ok(StatusCode::OK);
    let names: Vec<&str> = domains.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["acme.example", "demo.example"]);
}
