//! Every list in a document or request has a size limit, refused with a 422 naming the list and nothing
//! stored; a list route's `limit` outside 1..=max (0 included) is a 422 naming `limit`.

mod common;

use common::*;
use orgdeck_shared::{
    ApiError, Page,
    api_keys::API_KEY_PAGE_MAX,
    audit::{AUDIT_PAGE_MAX, AuditEntry},
    groups::{GROUP_ACCESS_ROWS_MAX, GROUP_MEMBERS_MAX, Group, ROW_APPLICATIONS_MAX},
    routes,
    security::IP_RULES_MAX,
    users::{BULK_MAX, USER_GROUPS_MAX, USER_PAGE_MAX},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn refused_naming(resp: reqwest::Response, field: &str) -> ApiError {
    let err: ApiError = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.field(field).is_some(), "{field}: {err:?}");
    err
}

fn ids(n: usize) -> Vec<Uuid> {
    (1..=n as u128).map(Uuid::from_u128).collect()
}

async fn groups(s: &TestServer, token: &str) -> Vec<Group> {
    let page: Page<Group> = s.get(routes::GROUPS, token).await.json().await.unwrap();
    page.items
}

async fn audit_count(s: &TestServer, token: &str) -> usize {
    s.audit(token).await.len()
}

#[tokio::test]
async fn a_group_with_20000_access_rows_is_refused_and_nothing_is_stored() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let before = groups(&s, &token).await;
    let audit_before = audit_count(&s, &token).await;

    let rows: Vec<Value> = (0..20_000)
        .map(|_| json!({ "applications": "all", "role": "view" }))
        .collect();
    let body = json!({ "name": "Huge", "app_access": rows, "members": [] });
    let err = refused_naming(s.post(routes::GROUPS, &token, &body).await, "app_access").await;
    assert!(
        err.field("app_access")
            .unwrap()
            .contains(&GROUP_ACCESS_ROWS_MAX.to_string())
    );

    let row = json!({ "applications": ids(ROW_APPLICATIONS_MAX + 1), "role": "view" });
    let body = json!({ "name": "Wide", "app_access": [row], "members": [] });
    refused_naming(
        s.post(routes::GROUPS, &token, &body).await,
        "app_access[0].applications",
    )
    .await;

    let body = json!({ "name": "Crowd", "app_access": [], "members": ids(GROUP_MEMBERS_MAX + 1) });
    refused_naming(s.post(routes::GROUPS, &token, &body).await, "members").await;

    assert_eq!(groups(&s, &token).await, before);
    assert_eq!(audit_count(&s, &token).await, audit_before);

    // The limit itself is allowed (the rows are checked further: here they are fine).
    let rows: Vec<Value> = (0..GROUP_ACCESS_ROWS_MAX)
        .map(|_| json!({ "applications": "all", "role": "view" }))
        .collect();
    let body = json!({ "name": "Many rows", "app_access": rows, "members": [] });
    assert_eq!(
        s.post(routes::GROUPS, &token, &body).await.status(),
        StatusCode::CREATED
    );

    let created = groups(&s, &token).await.pop().unwrap();
    let rows: Vec<Value> = (0..20_000)
        .map(|_| json!({ "applications": "all", "role": "edit" }))
        .collect();
    let body = json!({ "name": "Many rows", "app_access": rows, "members": [] });
    let resp = s
        .send(
            Method::PATCH,
            &routes::group(created.id),
            &token,
            Some(&body),
            Some(created.version),
        )
        .await;
    refused_naming(resp, "app_access").await;
    assert_eq!(groups(&s, &token).await.pop().unwrap(), created);
}

#[tokio::test]
async fn request_lists_of_users_settings_and_bulk_actions_have_limits() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let audit_before = audit_count(&s, &token).await;

    let mut body = new_user("many@acme.example", "Many", "Groups", "view");
    body["groups"] = json!(ids(USER_GROUPS_MAX + 1));
    refused_naming(s.post(routes::USERS, &token, &body).await, "groups").await;
    let created = s
        .create_user_api(&token, new_user("ana@acme.example", "Ana", "Lima", "view"))
        .await;
    let audit_before = audit_before + 1;
    let patch = json!({ "groups": ids(USER_GROUPS_MAX + 1) });
    let resp = s
        .send(
            Method::PATCH,
            &routes::user(created.user.id),
            &token,
            Some(&patch),
            Some(created.user.version),
        )
        .await;
    refused_naming(resp, "groups").await;

    let body = json!({ "action": "disable", "ids": ids(BULK_MAX + 1) });
    refused_naming(s.post(routes::USERS_BULK, &token, &body).await, "ids").await;

    let path = routes::settings("ip_restrictions");
    let rules: Vec<Value> = (0..=IP_RULES_MAX)
        .map(|i| json!({ "cidr": format!("10.{}.{}.0/24", i / 256, i % 256), "label": "" }))
        .collect();
    let body = json!({ "rules": rules, "confirm_self_lockout": true });
    refused_naming(s.send(Method::PUT, &path, &token, Some(&body), Some(1)).await, "rules").await;

    let path = routes::settings("two_step");
    let body = json!({ "enabled": true, "methods": vec!["totp"; 5_000] });
    refused_naming(
        s.send(Method::PUT, &path, &token, Some(&body), Some(1)).await,
        "methods",
    )
    .await;

    assert_eq!(audit_count(&s, &token).await, audit_before, "no refusal was audited");
}

#[tokio::test]
async fn a_page_limit_of_zero_or_out_of_range_is_a_422_naming_limit() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    for (route, max) in [
        (routes::USERS, USER_PAGE_MAX),
        (routes::AUDIT, AUDIT_PAGE_MAX),
        (routes::API_KEYS, API_KEY_PAGE_MAX),
    ] {
        for bad in [
            "0".to_owned(),
            (max + 1).to_string(),
            "-1".into(),
            "abc".into(),
            "99999999999".into(),
        ] {
            let resp = s.get(&format!("{route}?limit={bad}"), &token).await;
            refused_naming(resp, "limit").await;
        }
        for good in ["1".to_owned(), max.to_string()] {
            let resp = s.get(&format!("{route}?limit={good}"), &token).await;
            assert_eq!(resp.status(), StatusCode::OK, "{route}?limit={good}");
        }
    }
    let page: Page<AuditEntry> = s
        .get(&format!("{}?limit=1", routes::AUDIT), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
}
