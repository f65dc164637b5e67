//! Vulnerabilities sent to bug trackers over real HTTP, to trackers on loopback that check the request
//! each one expects: a JIRA REST v2 issue (Basic auth, project, issue type, summary, plain-text
//! description, labels), a Bugzilla bug (product, component, version, the key in the body for 5.x); the
//! remote key kept with the vulnerability, one issue per tracker, refusals said in the tracker's words,
//! and only admins of the vulnerability's organization.

mod common;

use common::{receivers::*, *};
use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    agents::NewAgentKey,
    auth::OrgRole,
    integrations::{IntegrationCreated, TrackerIssue},
    inventory::Application,
    routes,
    vulnerabilities::Vulnerability,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const JIRA_TOKEN: &str = "jira-token-S3CRET-77";
const BUGZILLA_KEY: &str = "bugzilla-key-S3CRET-88";

async fn server() -> (TestServer, String) {
    let s = TestServer::start_with(|c| c.outbound.allow_private_targets = true).await;
    let token = s.admin_token().await;
    (s, token)
}

async fn create(s: &TestServer, token: &str, body: &Value) -> Uuid {
    let resp = s.post(routes::INTEGRATIONS, token, body).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    resp.json::<IntegrationCreated>().await.unwrap().integration.id
}

/// Reports one vulnerability of Shop through an agent; returns it as the API lists it.
async fn reported(s: &TestServer, admin: &str, title: &str) -> Vulnerability {
    let slug: String = title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let made: NewAgentKey = s
        .post(routes::AGENT_KEYS, admin, &json!({ "name": format!("agent-{slug}") }))
        .await
        .json()
        .await
        .unwrap();
    let body = json!({ "environment": "production", "events": [{
        "id": format!("ev-{slug}"), "type": "new_vulnerability", "application": "Shop", "title": title,
        "severity": "critical", "rule": "sql injection", "route": "POST /login",
    }]});
    let resp = s.post(routes::AGENT_EVENTS, made.key.expose(), &body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    vulnerabilities(s, admin)
        .await
        .into_iter()
        .find(|v| v.title == title)
        .unwrap()
}

async fn vulnerabilities(s: &TestServer, admin: &str) -> Vec<Vulnerability> {
    let apps: Page<Application> = s.get(routes::APPLICATIONS, admin).await.json().await.unwrap();
    let shop = apps.items.iter().find(|a| a.name == "Shop").unwrap().id;
    let path = routes::APPLICATION_VULNERABILITIES.replace("{id}", &shop.to_string());
    let page: Page<Vulnerability> = s.get(&path, admin).await.json().await.unwrap();
    page.items
}

fn issues_path(id: Uuid) -> String {
    routes::INTEGRATION_ISSUES.replace("{id}", &id.to_string())
}

async fn send(s: &TestServer, token: &str, integration: Uuid, vulnerability: Uuid) -> reqwest::Response {
    s.post(
        &issues_path(integration),
        token,
        &json!({ "vulnerability_id": vulnerability }),
    )
    .await
}

#[tokio::test]
async fn a_vulnerability_becomes_a_jira_issue_once_and_keeps_its_key() {
    let (s, admin) = server().await;
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("sec@acme.example:{JIRA_TOKEN}"))
    );
    let jira = Receiver::start(move |r: &Received| {
        let b = r.json();
        let f = &b["fields"];
        if r.method != "POST" || r.path != "/rest/api/2/issue" {
            return Reply::json(404, json!({ "errorMessages": ["no such resource"] }));
        }
        if r.header("authorization") != Some(basic.as_str()) {
            return Reply::json(401, json!({ "errorMessages": ["You are not authenticated."] }));
        }
        let ok = f["project"]["key"] == "SEC"
            && f["issuetype"]["name"] == "Bug"
            && f["summary"] == "[critical] SQL injection in login in Shop"
            && f["description"]
                .as_str()
                .is_some_and(|d| d.contains("Route: POST /login"))
            && f["labels"] == json!(["orgdeck", "sql-injection"]);
        if ok {
            Reply::json(
                201,
                json!({ "id": "10000", "key": "SEC-24", "self": "https://x/rest/api/2/issue/10000" }),
            )
        } else {
            Reply::json(
                400,
                json!({ "errorMessages": [], "errors": { "summary": format!("unexpected body {b}") } }),
            )
        }
    })
    .await;
    let id = create(
        &s,
        &admin,
        &json!({ "name": "Tracker", "settings": { "type": "jira", "url": jira.url("/"), "auth": "basic",
                 "user": "sec@acme.example", "project_key": "SEC", "issue_type": "Bug" },
                 "secrets": { "token": JIRA_TOKEN } }),
    )
    .await;
    let v = reported(&s, &admin, "SQL injection in login").await;
    assert!(v.issues.is_empty());

    let resp = send(&s, &admin, id, v.id).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    assert!(!text.contains("S3CRET"));
    let issue: TrackerIssue = serde_json::from_str(&text).unwrap();
    assert_eq!(issue.key, "SEC-24");
    assert_eq!(issue.url, jira.url("/browse/SEC-24"));
    let listed = vulnerabilities(&s, &admin).await;
    assert_eq!(listed[0].issues, vec![issue.clone()], "kept with the vulnerability");

    // Once per tracker: a second send says where the first went, and calls nobody.
    let resp = send(&s, &admin, id, v.id).await;
    let err: ApiError = api_error(resp, StatusCode::CONFLICT).await;
    assert!(err.message.contains("SEC-24"), "{}", err.message);
    assert_eq!(jira.requests().len(), 1);
    let audit = s.audit(&admin).await;
    let entry = audit.iter().find(|e| e.action == "integration.issue").unwrap();
    assert!(entry.summary.contains("as SEC-24"), "{}", entry.summary);
    assert!(!serde_json::to_string(&audit).unwrap().contains("S3CRET"));
}

#[tokio::test]
async fn a_bugzilla_refusal_is_said_in_its_words_and_a_later_send_makes_the_bug() {
    let (s, admin) = server().await;
    let allowed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let open = allowed.clone();
    let bugzilla = Receiver::start(move |r: &Received| {
        let b = r.json();
        if r.path != "/rest/bug" || r.method != "POST" {
            return Reply::json(404, json!({ "error": true, "code": 51, "message": "no such resource" }));
        }
        // Bugzilla 5.x: the key in the body, never in the URL.
        if b["api_key"] != BUGZILLA_KEY || r.query.is_some() {
            return Reply::json(
                400,
                json!({ "error": true, "code": 306, "message": "The API key you specified is invalid." }),
            );
        }
        if !open.load(std::sync::atomic::Ordering::SeqCst) {
            return Reply::json(
                400,
                json!({ "error": true, "code": 106,
                "message": "You are not allowed to file bugs in the 'Orgdeck' product." }),
            );
        }
        let ok = b["product"] == "Orgdeck"
            && b["component"] == "Security"
            && b["version"] == "unspecified"
            && b["summary"].as_str().is_some_and(|s| s.starts_with("[critical] XSS"));
        if ok {
            Reply::json(200, json!({ "id": 1234 }))
        } else {
            Reply::json(
                400,
                json!({ "error": true, "code": 104, "message": format!("unexpected {b}") }),
            )
        }
    })
    .await;
    let id = create(
        &s,
        &admin,
        &json!({ "name": "Bugs", "settings": { "type": "bugzilla", "url": bugzilla.url(""), "product": "Orgdeck",
                 "component": "Security" }, "secrets": { "api_key": BUGZILLA_KEY } }),
    )
    .await;
    let v = reported(&s, &admin, "XSS in search").await;
    let resp = send(&s, &admin, id, v.id).await;
    let err: ApiError = api_error(resp, StatusCode::BAD_GATEWAY).await;
    assert_eq!(err.code, ErrorCode::RemoteFailed);
    assert!(err.message.contains("not allowed to file bugs"), "{}", err.message);
    assert!(!err.message.contains("S3CRET"));
    assert!(vulnerabilities(&s, &admin).await[0].issues.is_empty(), "nothing kept");

    allowed.store(true, std::sync::atomic::Ordering::SeqCst);
    let resp = send(&s, &admin, id, v.id).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "the refusal left no claim behind");
    let issue: TrackerIssue = resp.json().await.unwrap();
    assert_eq!(issue.key, "1234");
    assert_eq!(issue.url, bugzilla.url("/show_bug.cgi?id=1234"));
}

#[tokio::test]
async fn only_admins_send_their_own_organizations_vulnerabilities_to_their_trackers() {
    let (s, admin) = server().await;
    let jira = Receiver::start(|_: &Received| Reply::json(201, json!({ "key": "SEC-1" }))).await;
    let hook = Receiver::start(|_: &Received| Reply::empty(204)).await;
    let tracker = create(
        &s,
        &admin,
        &json!({ "name": "Tracker", "settings": { "type": "jira", "url": jira.url("/"), "auth": "basic",
                 "user": "sec@acme.example", "project_key": "SEC" }, "secrets": { "token": JIRA_TOKEN } }),
    )
    .await;
    let channel = create(
        &s,
        &admin,
        &json!({ "name": "Hook", "settings": { "type": "webhook", "url": hook.url("/in") } }),
    )
    .await;
    let v = reported(&s, &admin, "Open redirect").await;

    let resp = send(&s, &admin, channel, v.id).await;
    let err: ApiError = api_error(resp, StatusCode::CONFLICT).await;
    assert!(err.message.contains("not a bug tracker"), "{}", err.message);
    let resp = send(&s, &admin, tracker, Uuid::now_v7()).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    assert_eq!(send(&s, &viewer, tracker, v.id).await.status(), StatusCode::FORBIDDEN);

    // Another organization's admin: neither the tracker nor the vulnerability exists for them.
    s.add_org("Globex", "admin@globex.example");
    let other = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    assert_eq!(send(&s, &other, tracker, v.id).await.status(), StatusCode::NOT_FOUND);
    let theirs = create(
        &s,
        &other,
        &json!({ "name": "Their tracker", "settings": { "type": "jira", "url": jira.url("/"), "auth": "basic",
                 "user": "x@globex.example", "project_key": "GLX" }, "secrets": { "token": JIRA_TOKEN } }),
    )
    .await;
    assert_eq!(send(&s, &other, theirs, v.id).await.status(), StatusCode::NOT_FOUND);
    assert!(jira.requests().is_empty(), "no tracker was called");
}
