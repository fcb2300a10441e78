//! `sxadmin domains`: requested, verified, listed and removed by the name an administrator
//! types, internationalised names included.

use sxadmin_client::core::DomainStatus;

use crate::admin::approving;
use crate::harness::{row, Portal};

#[tokio::test(flavor = "multi_thread")]
async fn domains_are_requested_verified_listed_and_removed() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();

    let added = portal.run(&["domains", "add", "example.org"]).await.ok();
    let domain = client
        .list_domains()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "example.org")
        .unwrap();
    assert_eq!(domain.status, DomainStatus::Pending);
    assert!(
        added.stdout.contains(&domain.txt_record_name),
        "{}",
        added.stdout
    );
    assert!(
        added.stdout.contains(&domain.txt_record_value),
        "{}",
        added.stdout
    );
    assert!(added.stdout.contains("sxadmin domains verify example.org"));

    let listed = portal.run(&["domains", "list"]).await.ok();
    assert!(listed.stdout.starts_with("DOMAIN"), "{}", listed.stdout);
    assert_eq!(row(&listed.stdout, "example.org").unwrap()[1], "pending");
    assert_eq!(row(&listed.stdout, "demo.example").unwrap()[1], "approved");

    // Users of a pending domain cannot be added yet.
    portal
        .run(&["users", "add", "ana@example.org"])
        .await
        .expect(1);

    let verified = portal
        .run(&["domains", "verify", "Example.ORG.", "--json"])
        .await
        .ok();
    assert_eq!(verified.json()["status"], "approved");
    portal.run(&["users", "add", "ana@example.org"]).await.ok();

    let listed = portal.run(&["--json", "domains", "list"]).await.ok().json();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"example.org"), "{names:?}");

    let refused = portal
        .run(&["domains", "remove", "example.org"])
        .await
        .expect(2);
    assert!(refused.stderr.contains("pass --yes"), "{}", refused.stderr);
    assert_eq!(client.list_domains().await.unwrap().len(), 2);

    portal
        .run(&["domains", "remove", "example.org", "--yes"])
        .await
        .ok();
    let left = client.list_domains().await.unwrap();
    assert!(left.iter().all(|d| d.name != "example.org"), "{left:?}");

    portal
        .run(&["domains", "verify", "never-added.example"])
        .await
        .expect(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_internationalised_domain_is_verified_and_removed_by_the_name_typed() {
    let portal = Portal::start_with(approving()).await;
    let client = portal.client();

    portal.run(&["domains", "add", "exemple.québec"]).await.ok();
    let stored = client
        .list_domains()
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "exemple.xn--qubec-csa")
        .expect("the portal keeps the ASCII form");
    assert_eq!(stored.status, DomainStatus::Pending);

    // Typed as the administrator knows it, in another case, with DNS's final dot.
    let verified = portal
        .run(&["domains", "verify", "Exemple.Québec.", "--json"])
        .await
        .ok()
        .json();
    assert_eq!(verified["name"], "exemple.xn--qubec-csa");
    assert_eq!(verified["status"], "approved");

    portal
        .run(&["domains", "remove", "exemple.québec", "--yes"])
        .await
        .ok();
    let left = client.list_domains().await.unwrap();
    assert!(left.iter().all(|d| d.id != stored.id), "{left:?}");

    // Not a domain name at all: bad input, said before anything is sent.
    let refused = portal
        .run(&["domains", "verify", "not a domain"])
        .await
        .expect(2);
    assert!(refused.stderr.contains("company.com"), "{}", refused.stderr);
}
