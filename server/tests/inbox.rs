//! The in-app inbox over HTTP: agent events reach the inboxes the notification settings and application
//! access say, each user reads and marks only their own entries, and another organization sees nothing.

mod common;

use common::*;
use orgdeck_shared::{
    Page,
    agents::NewAgentKey,
    auth::{Me, OrgRole},
    inbox::{InboxPage, Unread},
    inventory::Application,
    notifications::{EventType, MyNotificationsView, Severity},
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn agent_key(s: &TestServer, admin: &str) -> String {
    let resp = s
        .post(routes::AGENT_KEYS, admin, &json!({ "name": "inbox-agent" }))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    let made: NewAgentKey = resp.json().await.unwrap();
    made.key.expose().to_owned()
}

async fn report(s: &TestServer, key: &str, id: &str, title: &str, severity: &str) {
    let body = json!({
        "environment": "production",
        "events": [{
            "id": id, "type": "new_vulnerability", "application": "Shop", "title": title,
            "severity": severity, "rule": "sql-injection",
        }],
    });
    let resp = s.post(routes::AGENT_EVENTS, key, &body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
}

async fn inbox(s: &TestServer, token: &str, query: &str) -> InboxPage {
    let resp = s.get(&format!("{}{query}", routes::INBOX), token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

async fn unread_in_me(s: &TestServer, token: &str) -> u64 {
    let me: Me = s.get(routes::ME, token).await.json().await.unwrap();
    me.unread
}

async fn shop(s: &TestServer, admin: &str) -> Uuid {
    let page: Page<Application> = s.get(routes::APPLICATIONS, admin).await.json().await.unwrap();
    page.items.iter().find(|a| a.name == "Shop").expect("Shop").id
}

fn titles(page: &InboxPage) -> Vec<&str> {
    page.items.iter().map(|e| e.title.as_str()).collect()
}

#[tokio::test]
async fn an_agent_event_reaches_admins_and_users_with_access_and_no_one_else() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user("viewer@acme.example", OrgRole::View);
    s.add_user("blocked@acme.example", OrgRole::View);
    let blocked_id = s.add_user("later@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    let blocked = s.login("blocked@acme.example", USER_PASSWORD).await;
    let key = agent_key(&s, &admin).await;

    report(&s, &key, "v-1", "SQL injection in login", "high").await;
    let page = inbox(&s, &admin, "").await;
    assert_eq!(titles(&page), ["High vulnerability in Shop: SQL injection in login"]);
    let entry = &page.items[0];
    assert_eq!(entry.event_type, EventType::NewVulnerability);
    assert_eq!(entry.severity, Some(Severity::High));
    assert_eq!(entry.application.as_ref().unwrap().name, "Shop");
    assert!(entry.vulnerability_id.is_some());
    assert!(entry.read_at.is_none());
    assert_eq!(page.unread, 1);
    assert_eq!(unread_in_me(&s, &admin).await, 1);
    assert_eq!(
        inbox(&s, &viewer, "").await.items.len(),
        1,
        "a viewer sees every application by default"
    );

    // A group that takes Shop away from one user: the next event passes them by.
    let app = shop(&s, &admin).await;
    let blocked_user = s
        .get(&format!("{}?q=blocked", routes::USERS), &admin)
        .await
        .json::<Value>()
        .await
        .unwrap()["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = json!({
        "name": "No shop", "app_access": [{ "applications": [app], "role": "no_access" }],
        "members": [blocked_user],
    });
    let resp = s.post(routes::GROUPS, &admin, &group).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    report(&s, &key, "v-2", "XSS in search", "medium").await;
    assert_eq!(inbox(&s, &admin, "").await.items.len(), 2);
    assert_eq!(inbox(&s, &viewer, "").await.items.len(), 2);
    assert_eq!(
        titles(&inbox(&s, &blocked, "").await),
        ["High vulnerability in Shop: SQL injection in login"]
    );
    // A disabled user gets nothing.
    let resp = s.user_action(&admin, blocked_id, "disable").await;
    assert_eq!(resp.status(), StatusCode::OK);
    report(&s, &key, "v-3", "Open redirect", "low").await;
    assert_eq!(inbox(&s, &admin, "").await.items.len(), 3);

    // Newest first, paged by cursor.
    let first = inbox(&s, &admin, "?limit=2").await;
    assert_eq!(
        titles(&first),
        [
            "Low vulnerability in Shop: Open redirect",
            "Medium vulnerability in Shop: XSS in search"
        ]
    );
    let cursor = first.next_cursor.expect("a next page");
    let rest = inbox(&s, &admin, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(titles(&rest), ["High vulnerability in Shop: SQL injection in login"]);
    assert!(rest.next_cursor.is_none());

    // Another organization sees none of it.
    s.add_org("Other", "admin@other.example");
    let other = s.login("admin@other.example", ADMIN_PASSWORD).await;
    assert!(inbox(&s, &other, "").await.items.is_empty());
    assert_eq!(unread_in_me(&s, &other).await, 0);
    let id = rest.items[0].id;
    let resp = s
        .send(
            Method::POST,
            &routes::INBOX_READ.replace("{id}", &id.to_string()),
            &other,
            None,
            None,
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "another organization's entry is no entry"
    );
}

#[tokio::test]
async fn each_user_marks_their_own_entries_read_one_or_all() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    let key = agent_key(&s, &admin).await;
    report(&s, &key, "v-1", "One", "high").await;
    report(&s, &key, "v-2", "Two", "high").await;
    report(&s, &key, "v-2", "Two", "high").await;
    let page = inbox(&s, &admin, "").await;
    assert_eq!(page.items.len(), 2, "a retried event makes no second entry");

    let id = page.items[0].id;
    let read = |token: &str, id: Uuid| {
        let path = routes::INBOX_READ.replace("{id}", &id.to_string());
        let token = token.to_owned();
        let s = &s;
        async move { s.send(Method::POST, &path, &token, None, None).await }
    };
    let resp = read(&viewer, id).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "another user's entry is no entry");
    let resp = read(&admin, id).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Unread>().await.unwrap().unread, 1);
    assert_eq!(unread_in_me(&s, &admin).await, 1);
    assert_eq!(unread_in_me(&s, &viewer).await, 2, "the viewer's entries are theirs");
    let unread = inbox(&s, &admin, "?unread=true").await;
    assert_eq!(titles(&unread), ["High vulnerability in Shop: One"]);
    let resp = s.send(Method::POST, routes::INBOX_READ_ALL, &viewer, None, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(unread_in_me(&s, &viewer).await, 0);
    assert!(inbox(&s, &viewer, "").await.items.iter().all(|e| e.read_at.is_some()));
    assert_eq!(unread_in_me(&s, &admin).await, 1);

    let resp = s.get(&format!("{}?limit=0", routes::INBOX), &admin).await;
    let e = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(e.fields[0].field, "limit");
}

#[tokio::test]
async fn the_organizations_defaults_and_each_users_own_choice_decide_who_gets_it_in_app() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user("ana@acme.example", OrgRole::View);
    s.add_user("bo@acme.example", OrgRole::View);
    let ana = s.login("ana@acme.example", USER_PASSWORD).await;
    let bo = s.login("bo@acme.example", USER_PASSWORD).await;
    let key = agent_key(&s, &admin).await;

    // Ana turns in-app off for new vulnerabilities.
    let view: MyNotificationsView = s.get(routes::ME_NOTIFICATIONS, &ana).await.json().await.unwrap();
    let body = json!({ "choices": { "new_vulnerability": { "in_app": false } } });
    let resp = s
        .send(
            Method::PUT,
            routes::ME_NOTIFICATIONS,
            &ana,
            Some(&body),
            Some(view.version),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    report(&s, &key, "v-1", "One", "high").await;
    assert!(inbox(&s, &ana, "").await.items.is_empty());
    assert_eq!(inbox(&s, &bo, "").await.items.len(), 1);

    // The organization keeps only critical and high.
    change_notification_defaults(&s, &admin, |v| {
        v.new_vulnerability_severities = vec![Severity::Critical, Severity::High]
    })
    .await;
    report(&s, &key, "v-2", "Two", "medium").await;
    report(&s, &key, "v-3", "Three", "critical").await;
    assert_eq!(
        titles(&inbox(&s, &bo, "").await),
        [
            "Critical vulnerability in Shop: Three",
            "High vulnerability in Shop: One"
        ]
    );

    // In-app off for everyone: nobody gets it, the admin neither.
    change_notification_defaults(&s, &admin, |v| v.rule_mut(EventType::NewVulnerability).in_app = false).await;
    let before = inbox(&s, &admin, "").await.items.len();
    report(&s, &key, "v-4", "Four", "critical").await;
    assert_eq!(inbox(&s, &admin, "").await.items.len(), before);
}
