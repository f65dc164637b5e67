//! Notification settings over real HTTP: the organization's defaults (`settings/notifications`, admins
//! only, versioned) and each user's own choices over them (`me/notifications`, any role, versioned, kept
//! apart per user and per organization).

mod common;

use common::*;
use orgdeck_shared::{
    auth::OrgRole,
    notifications::{EventType, MyNotificationsView, NotificationSettings},
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn mine(s: &TestServer, token: &str) -> MyNotificationsView {
    let resp = s.get(routes::ME_NOTIFICATIONS, token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().contains_key("etag"));
    resp.json().await.unwrap()
}

#[tokio::test]
async fn a_new_organization_starts_with_the_documented_defaults_and_only_admins_change_them() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let resp = s.get("/api/v1/settings/notifications", &admin).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let doc: orgdeck_shared::Versioned<NotificationSettings> = resp.json().await.unwrap();
    assert_eq!(doc.value, NotificationSettings::default());
    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    let resp = s.get("/api/v1/settings/notifications", &viewer).await;
    assert_eq!(
        resp.status(),
        StatusCode::FORBIDDEN,
        "a viewer cannot read the organization's settings"
    );
    // A bad document is refused naming the field.
    let mut bad = serde_json::to_value(&doc.value).unwrap();
    bad["new_vulnerability_severities"] = json!([]);
    let resp = s
        .send(
            Method::PUT,
            "/api/v1/settings/notifications",
            &admin,
            Some(&bad),
            Some(doc.version),
        )
        .await;
    let e = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.fields[0].field, "new_vulnerability_severities");
}

#[tokio::test]
async fn each_user_keeps_their_own_choices_over_the_organizations_defaults() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user("ana@acme.example", OrgRole::View);
    s.add_user("bo@acme.example", OrgRole::Edit);
    let ana = s.login("ana@acme.example", USER_PASSWORD).await;
    let bo = s.login("bo@acme.example", USER_PASSWORD).await;
    let view = mine(&s, &ana).await;
    assert!(view.mine.choices.is_empty());
    assert_eq!(
        view.effective(EventType::ServerOffline),
        (true, true),
        "the defaults show through"
    );
    // Ana turns off email for offline servers.
    let body = json!({"choices": {"server_offline": {"email": false}}});
    let resp = s
        .send(
            Method::PUT,
            routes::ME_NOTIFICATIONS,
            &ana,
            Some(&body),
            Some(view.version),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let saved: MyNotificationsView = resp.json().await.unwrap();
    assert_eq!(saved.version, view.version + 1);
    assert_eq!(saved.effective(EventType::ServerOffline), (true, false));
    // A stale write is refused.
    let resp = s
        .send(
            Method::PUT,
            routes::ME_NOTIFICATIONS,
            &ana,
            Some(&body),
            Some(view.version),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    // Bo's are his own.
    assert!(mine(&s, &bo).await.mine.choices.is_empty());
    // The admin turns in-app off for offline servers by default: Ana's email choice stays, in-app follows.
    let doc: orgdeck_shared::Versioned<NotificationSettings> = s
        .get("/api/v1/settings/notifications", &admin)
        .await
        .json()
        .await
        .unwrap();
    let mut org = doc.value.clone();
    org.server_offline.in_app = false;
    let resp = s
        .send(
            Method::PUT,
            "/api/v1/settings/notifications",
            &admin,
            Some(&serde_json::to_value(&org).unwrap()),
            Some(doc.version),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(mine(&s, &ana).await.effective(EventType::ServerOffline), (false, false));
    // Audited as her own change.
    let entries = s.audit(&admin).await;
    assert!(
        entries
            .iter()
            .any(|e| e.action == "notifications.mine" && e.actor.email.contains("ana@acme.example"))
    );
}

#[tokio::test]
async fn another_organizations_users_choices_never_mix() {
    let s = TestServer::start().await;
    s.add_org("Globex", "admin@globex.example");
    let globex = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    let acme = s.admin_token().await;
    let view = mine(&s, &acme).await;
    let body = json!({"choices": {"new_asset": {"in_app": false}}});
    let resp = s
        .send(
            Method::PUT,
            routes::ME_NOTIFICATIONS,
            &acme,
            Some(&body),
            Some(view.version),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(mine(&s, &globex).await.mine.choices.is_empty());
    let resp = s
        .request(Method::GET, routes::ME_NOTIFICATIONS, None)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
