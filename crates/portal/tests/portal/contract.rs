//! The OpenAPI document is the portal's promise to every client: each status a route can
//! answer is in it, every name it refers to is defined in it, its limits are core's rules,
//! and a request it calls valid is not refused as malformed. (`scripts/api-contract`
//! holds the whole API to it with schemathesis; these pin the parts that broke before.)

use reqwest::StatusCode;
use serde_json::{json, Value};
use sxadmin_core::rules;

use crate::harness::Portal;

async fn document(portal: &Portal) -> Value {
    portal
        .get(&portal.admin, "/openapi.json")
        .await
        .parse_ok(StatusCode::OK)
}

/// Every `$ref` anywhere under `value`.
fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                match (key.as_str(), field) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => references(field, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "no schema {name}");
    schema
}

fn query_parameter<'a>(doc: &'a Value, path: &str, name: &str) -> &'a Value {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
        .map(|parameter| &parameter["schema"])
        .unwrap_or_else(|| panic!("no parameter {name} on GET {path}"))
}

#[tokio::test]
async fn every_reference_names_a_schema_of_the_document() {
    let portal = Portal::start().await;
    let doc = document(&portal).await;
    let mut found = Vec::new();
    references(&doc, &mut found);
    assert!(found.iter().any(|r| r.ends_with("/UserSort")), "{found:?}");
    for target in found {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target} points outside the schemas"));
        schema(&doc, name);
    }
}

#[tokio::test]
async fn every_operation_documents_the_refusals_every_route_can_give() {
    let portal = Portal::start().await;
    let doc = document(&portal).await;
    let error_body = json!({"$ref": "#/components/schemas/ErrorBody"});
    let mut operations = 0;
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            operations += 1;
            // Malformed, unauthenticated and throttled requests reach every route.
            for status in ["400", "401", "429"] {
                let answer = &operation["responses"][status];
                assert_eq!(
                    answer["content"]["application/json"]["schema"], error_body,
                    "{method} {path} does not document {status} as an ErrorBody"
                );
            }
        }
    }
    assert!(operations > 25, "only {operations} operations documented");
}

#[tokio::test]
async fn the_documented_limits_are_the_rules_of_core() {
    let portal = Portal::start().await;
    let doc = document(&portal).await;
    let name_length = format!("{{0,{}}}", rules::MAX_NAME_CHARS);
    for (body, field) in [
        ("NewUser", "first_name"),
        ("NewUser", "last_name"),
        ("UserChanges", "first_name"),
        ("UserChanges", "last_name"),
    ] {
        let pattern = schema(&doc, body)["properties"][field]["pattern"]
            .as_str()
            .unwrap_or_else(|| panic!("{body}.{field} has no pattern"));
        assert!(pattern.contains(&name_length), "{body}.{field}: {pattern}");
    }
    let group_name = schema(&doc, "NewRoleGroup")["properties"]["name"]["pattern"]
        .as_str()
        .unwrap();
    // One visible character, then the rest of the limit.
    let rest = format!("{{0,{}}}", rules::MAX_ROLE_GROUP_NAME_CHARS - 1);
    assert!(group_name.contains(&rest), "{group_name}");

    let email = &schema(&doc, "NewUser")["properties"]["email"];
    assert_eq!(email["format"], "email");
    assert_eq!(email["maxLength"], 254);

    let count = &schema(&doc, "Purchase")["properties"]["count"];
    assert_eq!(count["minimum"], 1);
    assert_eq!(count["maximum"], rules::MAX_PURCHASE_COUNT);
    assert_eq!(
        schema(&doc, "BatchRequest")["properties"]["items"]["maxItems"],
        rules::MAX_BATCH_ITEMS
    );
    let page = query_parameter(&doc, "/users", "limit");
    assert_eq!(page["minimum"], 1);
    assert_eq!(page["maximum"], rules::MAX_USER_PAGE);
    let events = query_parameter(&doc, "/events", "limit");
    assert_eq!(events["minimum"], 1);
    assert_eq!(events["maximum"], rules::MAX_EVENT_LIMIT);
}

#[tokio::test]
async fn a_whole_number_written_with_a_fraction_is_the_number() {
    let portal = Portal::start().await;
    let admin = &portal.admin;
    // JSON and the document's `integer` do not tell 2.0 from 2.
    let bought: Vec<Value> = portal
        .post(
            admin,
            "/licences/purchase",
            json!({"tier": "eco", "count": 2.0}),
        )
        .await
        .parse_ok(StatusCode::CREATED);
    assert_eq!(bought.len(), 2);
    portal
        .post(
            admin,
            "/licences/purchase",
            json!({"tier": "eco", "count": 2.5}),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
}

#[tokio::test]
async fn well_formed_requests_that_the_data_refuses_are_not_called_malformed() {
    let portal = Portal::start().await;
    let admin = &portal.admin;
    // A cursor no listing handed out names no page.
    portal
        .get(admin, "/users?cursor=AAAA")
        .await
        .expect_error(StatusCode::NOT_FOUND, "not_found");
    // A range that ends before it starts holds no events.
    let events: Vec<Value> = portal
        .get(admin, "/events?from=2026-02-01&to=2026-01-01")
        .await
        .parse_ok(StatusCode::OK);
    assert!(events.is_empty());
    // An address of a public mail provider needs no approval.
    portal
        .post(admin, "/domains", json!({"name": "gmail.com"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
    // Confirming an authenticator no one started to enrol.
    portal
        .post(admin, "/me/totp/confirm", json!({"code": "123456"}))
        .await
        .expect_error(StatusCode::CONFLICT, "conflict");
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused() {
    let portal = Portal::start().await;
    let lea = portal.user_id(crate::harness::LEA).await;
    // serde reads a struct from an array of its fields; the document promises an object.
    portal
        .patch(&portal.admin, &format!("/users/{lea}"), json!([null, null]))
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
    portal
        .patch(
            &portal.admin,
            &format!("/users/{lea}"),
            json!(["Léa", "Roy"]),
        )
        .await
        .expect_error(StatusCode::BAD_REQUEST, "invalid_input");
}
