//! Integrations over real HTTP: create, read, change and delete them (admins of their own organization
//! only), validation naming fields, If-Match, secrets that never come back (not in any answer, not in the
//! audit log), the live-update stream, and Test against receivers on loopback that check the real request
//! each service expects.

mod common;

use common::{receivers::*, sse::Reader, *};
use orgdeck_server::Clock;
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::OrgRole,
    integrations::{Integration, IntegrationCreated, IntegrationStatus, NewSigningSecret, TestOutcome},
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const JIRA_TOKEN: &str = "jira-api-token-S3CRET-4242";
const SLACK_URL_SECRET: &str = "T000/B000/slack-S3CRET-path";

/// The demo organization (it has applications), and its admin's session.
async fn demo() -> (TestServer, String) {
    let dir = tempfile::tempdir().unwrap();
    let clock = orgdeck_server::ManualClock::new(start_time());
    let login = orgdeck_server::demo::seed(dir.path(), &clock).unwrap();
    let org = orgdeck_server::OrgCreated {
        org_id: Uuid::nil(),
        admin_id: Uuid::nil(),
    };
    let s = TestServer::serve(dir, clock, org).await;
    let token = s.login(&login.email, &login.password).await;
    (s, token)
}

fn integration(id: Uuid) -> String {
    routes::INTEGRATION.replace("{id}", &id.to_string())
}

fn test_path(id: Uuid) -> String {
    routes::INTEGRATION_TEST.replace("{id}", &id.to_string())
}

fn signing_path(id: Uuid) -> String {
    routes::INTEGRATION_SIGNING_SECRET.replace("{id}", &id.to_string())
}

fn jira(name: &str, url: &str) -> Value {
    json!({
        "name": name,
        "settings": {
            "type": "jira", "url": url, "auth": "basic", "user": "sec@acme.example",
            "project_key": "SEC", "issue_type": "Bug",
        },
        "secrets": { "token": JIRA_TOKEN },
    })
}

/// `POST integrations`, expecting 201; the answer's text too (to look for secrets in it).
async fn create(s: &TestServer, token: &str, body: &Value) -> (IntegrationCreated, String) {
    let resp = s.post(routes::INTEGRATIONS, token, body).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    (serde_json::from_str(&text).unwrap(), text)
}

/// The fields a 422 names.
async fn invalid_fields(resp: reqwest::Response) -> Vec<(String, String)> {
    let err: ApiError = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.code, ErrorCode::ValidationFailed);
    err.fields.into_iter().map(|f| (f.field, f.message)).collect()
}

fn names(fields: &[(String, String)]) -> Vec<&str> {
    fields.iter().map(|(f, _)| f.as_str()).collect()
}

/// Every audit entry of the organization as JSON text.
async fn audit_text(s: &TestServer, token: &str) -> String {
    serde_json::to_string(&s.audit(token).await).unwrap()
}

async fn patch(s: &TestServer, token: &str, id: Uuid, version: Option<i64>, body: &Value) -> reqwest::Response {
    s.send(Method::PATCH, &integration(id), token, Some(body), version)
        .await
}

#[tokio::test]
async fn an_integration_is_created_read_changed_and_deleted_and_its_secret_never_comes_back() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let mut stream = Reader::open(&s, &token, None).await;

    let (created, text) = create(&s, &token, &jira("Security JIRA", "https://jira.acme.example/")).await;
    assert!(!text.contains(JIRA_TOKEN), "{text}");
    let i = created.integration;
    assert_eq!(created.signing_secret, None);
    assert_eq!((i.name.as_str(), i.version, i.enabled), ("Security JIRA", 1, true));
    assert_eq!(i.status, IntegrationStatus::Active);
    assert!(i.secrets["token"]);
    assert_eq!(i.target, "jira.acme.example");
    let change = stream.change().await;
    assert_eq!(
        (change.kind.as_str(), change.area.as_str()),
        ("integration.create", "integration")
    );
    assert_eq!((change.id, change.version), (i.id.to_string(), Some(1)));

    // Read: one, with its ETag, and in the list.
    let resp = s.get(&integration(i.id), &token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let text = resp.text().await.unwrap();
    assert!(!text.contains(JIRA_TOKEN), "{text}");
    assert_eq!(serde_json::from_str::<Integration>(&text).unwrap(), i);
    let text = s.get(routes::INTEGRATIONS, &token).await.text().await.unwrap();
    assert!(!text.contains(JIRA_TOKEN));
    let list: Vec<Integration> = serde_json::from_str(&text).unwrap();
    assert_eq!(list, std::slice::from_ref(&i));

    // Changed: without If-Match 428, on a stale version 412, then on the current one.
    let rename = json!({ "name": "Product Security JIRA", "enabled": false });
    let resp = patch(&s, &token, i.id, None, &rename).await;
    assert_eq!(
        api_error(resp, StatusCode::PRECONDITION_REQUIRED).await.code,
        ErrorCode::PreconditionRequired
    );
    let resp = patch(&s, &token, i.id, Some(7), &rename).await;
    assert_eq!(
        api_error(resp, StatusCode::PRECONDITION_FAILED).await.code,
        ErrorCode::VersionMismatch
    );
    let resp = patch(&s, &token, i.id, Some(1), &rename).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let changed: Integration = resp.json().await.unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.version, changed.enabled),
        ("Product Security JIRA", 2, false)
    );
    assert_eq!(changed.status, IntegrationStatus::Off);
    assert!(changed.secrets["token"], "a secret not sent stays");
    let change = stream.change().await;
    assert_eq!((change.kind.as_str(), change.version), ("integration.update", Some(2)));
    // The same again changes nothing (no new version, no audit entry).
    let resp = patch(&s, &token, i.id, Some(2), &rename).await;
    assert_eq!(resp.json::<Integration>().await.unwrap().version, 2);

    // A new token replaces the old one; the answer says only that one is set.
    let resp = patch(
        &s,
        &token,
        i.id,
        Some(2),
        &json!({ "secrets": { "token": "jira-new-token-S3CRET-7" } }),
    )
    .await;
    let text = resp.text().await.unwrap();
    assert!(!text.contains("S3CRET"), "{text}");
    let changed: Integration = serde_json::from_str(&text).unwrap();
    assert_eq!(changed.version, 3);
    stream.change().await;

    // Deleted: on a stale version 412, then gone.
    let resp = s.send(Method::DELETE, &integration(i.id), &token, None, Some(2)).await;
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    let resp = s.send(Method::DELETE, &integration(i.id), &token, None, Some(3)).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let change = stream.change().await;
    assert_eq!((change.kind.as_str(), change.version), ("integration.delete", None));
    let resp = s.get(&integration(i.id), &token).await;
    assert_eq!(api_error(resp, StatusCode::NOT_FOUND).await.code, ErrorCode::NotFound);

    // The audit log tells each step, with the fields that changed and no secret.
    let entries = s.audit(&token).await;
    let actions: Vec<&str> = entries
        .iter()
        .filter(|e| e.target.kind == "integration")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "integration.delete",
            "integration.update",
            "integration.update",
            "integration.create"
        ]
    );
    let update = entries.iter().find(|e| e.action == "integration.update").unwrap();
    let secret_change = update.changes.iter().find(|c| c.field == "secrets.token").unwrap();
    assert_eq!(
        (secret_change.old.clone(), secret_change.new.clone()),
        (json!("***"), json!("***"))
    );
    let text = audit_text(&s, &token).await;
    assert!(!text.contains("S3CRET"), "{text}");
}

#[tokio::test]
async fn validation_names_each_field() {
    let (s, token) = demo().await;
    let apps: orgdeck_shared::Page<orgdeck_shared::inventory::Application> =
        s.get(routes::APPLICATIONS, &token).await.json().await.unwrap();

    // The shared rules: a PAT on JIRA Cloud, a missing secret, an unknown secret, a project key.
    let body = json!({
        "name": " ",
        "settings": { "type": "jira", "url": "https://acme.atlassian.net", "auth": "pat", "project_key": "sec" },
        "secrets": { "password": "x1234" },
    });
    let fields = invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await;
    assert_eq!(
        names(&fields),
        [
            "name",
            "settings.project_key",
            "settings.auth",
            "secrets.password",
            "secrets.token"
        ]
    );
    // A secret URL that is no URL is refused without being echoed.
    let body = json!({ "name": "Chat", "settings": { "type": "slack" }, "secrets": { "url": "not a url S3CRET" } });
    let fields = invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await;
    assert_eq!(names(&fields), ["secrets.url"]);
    assert!(!fields[0].1.contains("S3CRET"));

    // What needs the organization's data: a name taken (whatever its case), applications that exist.
    create(&s, &token, &jira("Tracker", "https://jira.acme.example")).await;
    let mut body = jira("TRACKER", "https://jira.acme.example");
    body["applications"] = json!({ "scope": "only", "ids": [apps.items[0].id, Uuid::new_v4()] });
    let fields = invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await;
    assert_eq!(names(&fields), ["name", "applications"]);
    body["name"] = json!("Second tracker");
    body["applications"] = json!({ "scope": "only", "ids": [apps.items[0].id] });
    let (second, _) = create(&s, &token, &body).await;

    // A patch keeps the kind and the rules; renaming onto another's name is refused.
    let resp = patch(
        &s,
        &token,
        second.integration.id,
        Some(1),
        &json!({ "settings": { "type": "slack" } }),
    )
    .await;
    assert_eq!(names(&invalid_fields(resp).await), ["settings.type"]);
    let resp = patch(
        &s,
        &token,
        second.integration.id,
        Some(1),
        &json!({ "name": "tracker" }),
    )
    .await;
    assert_eq!(names(&invalid_fields(resp).await), ["name"]);
    let resp = patch(
        &s,
        &token,
        second.integration.id,
        Some(1),
        &json!({ "secrets": { "api_key": "k1234" } }),
    )
    .await;
    assert_eq!(names(&invalid_fields(resp).await), ["secrets.api_key"]);
    // Only webhooks are signed.
    let mut body = jira("Signed", "https://jira.acme.example");
    body["sign"] = json!(true);
    assert_eq!(
        names(&invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await),
        ["sign"]
    );
    let resp = s.post(&signing_path(second.integration.id), &token, &json!({})).await;
    assert_eq!(api_error(resp, StatusCode::CONFLICT).await.code, ErrorCode::Conflict);
}

#[tokio::test]
async fn only_admins_of_the_organization_reach_its_integrations() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let (created, _) = create(&s, &token, &jira("Tracker", "https://jira.acme.example")).await;
    let id = created.integration.id;

    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    for (method, path) in [
        (Method::GET, routes::INTEGRATIONS.to_owned()),
        (Method::GET, integration(id)),
        (Method::PATCH, integration(id)),
        (Method::DELETE, integration(id)),
        (Method::POST, test_path(id)),
        (Method::POST, signing_path(id)),
    ] {
        let resp = s.send(method.clone(), &path, &viewer, Some(&json!({})), Some(1)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }

    s.add_org("Globex", "admin@globex.example");
    let other = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    let list: Vec<Integration> = s.get(routes::INTEGRATIONS, &other).await.json().await.unwrap();
    assert!(list.is_empty());
    for (method, path) in [
        (Method::GET, integration(id)),
        (Method::PATCH, integration(id)),
        (Method::DELETE, integration(id)),
        (Method::POST, test_path(id)),
        (Method::POST, signing_path(id)),
    ] {
        let resp = s
            .send(
                method.clone(),
                &path,
                &other,
                Some(&json!({ "name": "Stolen" })),
                Some(1),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    // Still there, unchanged.
    let i: Integration = s.get(&integration(id), &token).await.json().await.unwrap();
    assert_eq!((i.name.as_str(), i.version), ("Tracker", 1));
}

#[tokio::test]
async fn a_webhook_signing_secret_is_made_by_the_server_and_shown_once() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let body = json!({
        "name": "SIEM hook",
        "settings": { "type": "webhook", "url": "https://siem.acme.example/hooks/orgdeck" },
        "sign": true,
    });
    let (created, _) = create(&s, &token, &body).await;
    let first = created.signing_secret.expect("a signing secret on create");
    assert!(first.expose().starts_with("whsec_"), "{first:?}");
    assert!(created.integration.secrets["signing_secret"]);
    let id = created.integration.id;
    let text = s.get(&integration(id), &token).await.text().await.unwrap();
    assert!(!text.contains(first.expose()));

    let resp = s.post(&signing_path(id), &token, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: NewSigningSecret = resp.json().await.unwrap();
    assert!(second.signing_secret.expose().starts_with("whsec_"));
    assert_ne!(second.signing_secret, first);
    let i: Integration = s.get(&integration(id), &token).await.json().await.unwrap();
    assert_eq!(i.version, 2);

    let text = audit_text(&s, &token).await;
    assert!(text.contains("integration.rotate_secret"));
    for secret in [first.expose(), second.signing_secret.expose()] {
        assert!(!text.contains(secret));
        let raw = secret.trim_start_matches("whsec_");
        assert!(!text.contains(raw));
    }
}

#[tokio::test]
async fn a_channel_whose_url_is_the_secret_shows_only_its_host() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let url = format!("https://hooks.slack.com/services/{SLACK_URL_SECRET}");
    let body = json!({ "name": "Alerts", "settings": { "type": "slack" }, "secrets": { "url": url } });
    let (created, text) = create(&s, &token, &body).await;
    assert!(!text.contains(SLACK_URL_SECRET), "{text}");
    assert_eq!(created.integration.target, "hooks.slack.com");
    assert!(created.integration.secrets["url"]);
    let text = s.get(routes::INTEGRATIONS, &token).await.text().await.unwrap();
    assert!(!text.contains(SLACK_URL_SECRET));
    let text = audit_text(&s, &token).await;
    assert!(!text.contains(SLACK_URL_SECRET), "{text}");
}

// ---- Test, against receivers on loopback ----

/// A server for Test against the receivers. They are on loopback, so its configuration lets integrations
/// reach private addresses (the outbound client's `allow_private_targets`, off by default).
async fn private_ok() -> (TestServer, String) {
    let s = TestServer::start_with(|c| c.outbound.allow_private_targets = true).await;
    let token = s.admin_token().await;
    (s, token)
}

async fn run_test(s: &TestServer, token: &str, id: Uuid) -> (TestOutcome, String) {
    let resp = s.send(Method::POST, &test_path(id), token, None, None).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    (serde_json::from_str(&text).unwrap(), text)
}

async fn get_integration(s: &TestServer, token: &str, id: Uuid) -> Integration {
    s.get(&integration(id), token).await.json().await.unwrap()
}

/// A JIRA that answers like Cloud (`deploymentType: Cloud`) or Data Center, takes Basic `email:token` (Cloud)
/// or a bearer PAT (Data Center), and has project SEC.
fn jira_receiver(cloud: bool, pat: Option<&'static str>) -> impl Fn(&Received) -> Reply + Send + Sync {
    use base64::Engine;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("sec@acme.example:{JIRA_TOKEN}"))
    );
    move |r: &Received| {
        let auth = r.header("authorization").unwrap_or_default();
        let authed = match pat {
            Some(p) => auth == format!("Bearer {p}"),
            None => auth == basic,
        };
        if r.method != "GET" || r.header("accept") != Some("application/json") {
            return Reply::json(415, json!({ "errorMessages": ["GET with Accept: application/json"] }));
        }
        match r.path.as_str() {
            "/rest/api/2/serverInfo" => Reply::json(
                200,
                json!({ "deploymentType": if cloud { "Cloud" } else { "Server" }, "version": "9.12.4" }),
            ),
            _ if !authed => Reply::json(
                401,
                json!({ "errorMessages": ["You are not authenticated. Authentication required to perform this operation."] }),
            ),
            "/rest/api/2/myself" => Reply::json(
                200,
                json!({ "displayName": "Security Bot", "emailAddress": "sec@acme.example", "name": "secbot" }),
            ),
            "/rest/api/2/project/SEC" => Reply::json(200, json!({ "key": "SEC", "name": "Security" })),
            p if p.starts_with("/rest/api/2/project/") => Reply::json(
                404,
                json!({ "errorMessages": ["No project could be found with key 'NOPE'."], "errors": {} }),
            ),
            _ => Reply::json(404, json!({ "errorMessages": ["no such resource"] })),
        }
    }
}

#[tokio::test]
async fn jira_test_detects_the_deployment_checks_the_credentials_and_the_project() {
    let (s, token) = private_ok().await;

    // Data Center with a personal access token as a bearer token.
    let dc = Receiver::start(jira_receiver(false, Some("pat-S3CRET-9"))).await;
    let mut body = jira("JIRA DC", &dc.url("/"));
    body["settings"]["auth"] = json!("pat");
    body["secrets"] = json!({ "token": "pat-S3CRET-9" });
    let (created, _) = create(&s, &token, &body).await;
    let id = created.integration.id;
    let (outcome, text) = run_test(&s, &token, id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(200));
    assert_eq!(outcome.detected["deployment"], "data_center");
    assert!(
        outcome.message.contains("Security Bot") && outcome.message.contains("SEC"),
        "{}",
        outcome.message
    );
    assert!(!text.contains("S3CRET"));
    let paths: Vec<String> = dc.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/rest/api/2/serverInfo",
            "/rest/api/2/myself",
            "/rest/api/2/project/SEC"
        ]
    );
    assert!(
        dc.requests()
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer pat-S3CRET-9"))
    );
    // What it detected is stored, on a new version, audited.
    let stored = get_integration(&s, &token, id).await;
    assert_eq!(stored.version, 2);
    assert_eq!(stored.settings, {
        let mut s = created.integration.settings.clone();
        if let orgdeck_shared::integrations::IntegrationSettings::Jira(j) = &mut s {
            j.deployment = Some(orgdeck_shared::integrations::JiraDeployment::DataCenter);
        }
        s
    });
    let entries = s.audit(&token).await;
    let tested = entries.iter().find(|e| e.action == "integration.test").unwrap();
    assert!(tested.changes.iter().any(|c| c.field == "settings"), "{tested:?}");

    // Cloud with Basic email:token; a project that does not exist is the message.
    let cloud = Receiver::start(jira_receiver(true, None)).await;
    let mut body = jira("JIRA Cloud", &cloud.url(""));
    body["settings"]["project_key"] = json!("NOPE");
    let (created, _) = create(&s, &token, &body).await;
    let (outcome, _) = run_test(&s, &token, created.integration.id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(404));
    assert_eq!(outcome.detected["deployment"], "cloud");
    assert!(outcome.message.contains("NOPE"), "{}", outcome.message);
    // The right key, and the wrong token: JIRA's own words, no secret.
    let resp = patch(
        &s,
        &token,
        created.integration.id,
        Some(2),
        &json!({ "settings": { "type": "jira", "url": cloud.url(""), "user": "sec@acme.example", "project_key": "SEC" },
                 "secrets": { "token": "wrong-S3CRET-token" } }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let (outcome, text) = run_test(&s, &token, created.integration.id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(401));
    assert!(
        outcome.message.contains("You are not authenticated"),
        "{}",
        outcome.message
    );
    assert!(!text.contains("S3CRET"));
    let basic = cloud
        .requests()
        .last()
        .unwrap()
        .header("authorization")
        .unwrap()
        .to_owned();
    assert!(basic.starts_with("Basic "));
    let text = audit_text(&s, &token).await;
    assert!(
        !text.contains("S3CRET") && !text.contains(basic.trim_start_matches("Basic ")),
        "{text}"
    );
}

const BZ_KEY: &str = "bz-api-key-S3CRET-0001";

fn bugzilla_products() -> Value {
    json!({ "products": [{
        "name": "Orgdeck", "is_active": true,
        "components": [{ "name": "Security", "is_active": true }],
        "versions": [{ "name": "unspecified", "is_active": true }],
    }]})
}

/// Bugzilla 6.x-like: the key only in the `X-BUGZILLA-API-KEY` header, with `whoami`.
fn bugzilla_header_only(r: &Received) -> Reply {
    let authed = r.header("x-bugzilla-api-key") == Some(BZ_KEY);
    match r.path.as_str() {
        "/rest/version" => Reply::json(200, json!({ "version": "20240719.1" })),
        "/rest/whoami" if authed => Reply::json(
            200,
            json!({ "id": 7, "name": "sec@acme.example", "real_name": "Security Bot" }),
        ),
        "/rest/whoami" => Reply::json(
            401,
            json!({ "error": true, "code": 410, "message": "You must log in before using this part of Bugzilla." }),
        ),
        "/rest/product" if authed && r.param("names").as_deref() == Some("Orgdeck") => {
            Reply::json(200, bugzilla_products())
        }
        "/rest/product" => Reply::json(200, json!({ "products": [] })),
        _ => Reply::json(
            404,
            json!({ "error": true, "code": 32614, "message": "A REST API resource was not found." }),
        ),
    }
}

/// Bugzilla 5.2-like: no `whoami`, the key only as the `api_key` parameter, a wrong one refused with 306.
fn bugzilla_param_only(r: &Received) -> Reply {
    let key = r.param("api_key");
    if key.as_deref().is_some_and(|k| k != BZ_KEY) {
        return Reply::json(
            400,
            json!({ "error": true, "code": 306, "message": "The API key you specified is invalid. Please check that you typed it correctly." }),
        );
    }
    match r.path.as_str() {
        "/rest/version" => Reply::json(200, json!({ "version": "5.2" })),
        "/rest/product" if key.is_some() && r.param("names").as_deref() == Some("Orgdeck") => {
            Reply::json(200, bugzilla_products())
        }
        "/rest/product" => Reply::json(200, json!({ "products": [] })),
        _ => Reply::json(
            404,
            json!({ "error": true, "code": 32614, "message": "A REST API resource was not found for 'GET /whoami'." }),
        ),
    }
}

fn bugzilla(name: &str, url: &str, key: &str) -> Value {
    json!({
        "name": name,
        "settings": { "type": "bugzilla", "url": url, "product": "Orgdeck", "component": "Security" },
        "secrets": { "api_key": key },
    })
}

#[tokio::test]
async fn bugzilla_test_finds_how_each_server_takes_the_key_and_stores_it() {
    let (s, token) = private_ok().await;

    let header = Receiver::start(bugzilla_header_only).await;
    let (created, _) = create(&s, &token, &bugzilla("BMO", &header.url("/"), BZ_KEY)).await;
    let (outcome, text) = run_test(&s, &token, created.integration.id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.detected["auth_style"], "header");
    assert!(outcome.message.contains("Security Bot"), "{}", outcome.message);
    assert!(!text.contains("S3CRET"));
    let stored = get_integration(&s, &token, created.integration.id).await;
    assert_eq!(stored.settings.clone(), {
        let mut b = created.integration.settings.clone();
        if let orgdeck_shared::integrations::IntegrationSettings::Bugzilla(b) = &mut b {
            b.auth_style = Some(orgdeck_shared::integrations::BugzillaAuthStyle::Header);
        }
        b
    });
    let reqs = header.requests();
    assert_eq!(reqs[0].path, "/rest/version");
    assert_eq!(reqs[1].path, "/rest/whoami");
    assert!(
        reqs.iter().all(|r| r.param("api_key").is_none()),
        "the key never in a URL here"
    );

    let param = Receiver::start(bugzilla_param_only).await;
    let (created, _) = create(&s, &token, &bugzilla("Bugzilla 5.2", &param.url(""), BZ_KEY)).await;
    let (outcome, text) = run_test(&s, &token, created.integration.id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.detected["auth_style"], "parameter");
    assert_eq!(outcome.detected["server_version"], "5.2");
    assert!(!text.contains("S3CRET"));
    let stored = get_integration(&s, &token, created.integration.id).await;
    assert_eq!(
        serde_json::to_value(&stored.settings).unwrap()["auth_style"],
        "parameter"
    );
    let product = param
        .requests()
        .into_iter()
        .find(|r| r.path == "/rest/product")
        .unwrap();
    assert_eq!(product.param("api_key").as_deref(), Some(BZ_KEY));
    assert_eq!(product.param("names").as_deref(), Some("Orgdeck"));

    // A wrong key: Bugzilla's own message, the key cut out of it.
    let (created, _) = create(&s, &token, &bugzilla("Bad key", &param.url(""), "bz-wrong-S3CRET-key")).await;
    let (outcome, text) = run_test(&s, &token, created.integration.id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(400));
    assert!(
        outcome.message.contains("The API key you specified is invalid"),
        "{}",
        outcome.message
    );
    assert!(!text.contains("S3CRET"));
    let text = audit_text(&s, &token).await;
    assert!(!text.contains("S3CRET"), "{text}");
}

#[tokio::test]
async fn chat_channels_post_a_test_message_and_report_the_services_answer() {
    let (s, token) = private_ok().await;

    // Slack: text and blocks, 200 "ok"; a bad payload is the service's own error string.
    let slack = Receiver::start(|r: &Received| {
        let b = r.json();
        if r.method == "POST"
            && r.header("content-type") == Some("application/json")
            && b["text"].is_string()
            && b["blocks"].is_array()
        {
            Reply::text(200, "ok")
        } else {
            Reply::text(400, "invalid_payload")
        }
    })
    .await;
    let url = slack.url("/services/T000/B000/slack-S3CRET");
    let body = json!({ "name": "Slack <!channel>", "settings": { "type": "slack" }, "secrets": { "url": url } });
    let (created, _) = create(&s, &token, &body).await;
    let (outcome, text) = run_test(&s, &token, created.integration.id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(200));
    assert!(!text.contains("S3CRET"));
    let sent = slack.requests()[0].json();
    assert!(
        sent["text"].as_str().unwrap().contains("&lt;!channel&gt;"),
        "mrkdwn escaped: {sent}"
    );
    assert_eq!(slack.requests()[0].path, "/services/T000/B000/slack-S3CRET");

    let refusing = Receiver::start(|_: &Received| Reply::text(400, "invalid_payload")).await;
    let body = json!({ "name": "Slack 2", "settings": { "type": "slack" }, "secrets": { "url": refusing.url("/services/x-S3CRET") } });
    let (created, _) = create(&s, &token, &body).await;
    let (outcome, text) = run_test(&s, &token, created.integration.id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(400));
    assert!(outcome.message.contains("invalid_payload"), "{}", outcome.message);
    assert!(!text.contains("S3CRET"));

    // Mattermost: Slack-compatible, 200 "ok".
    let mattermost = Receiver::start(|r: &Received| {
        if r.json()["text"].is_string() {
            Reply::text(200, "ok")
        } else {
            Reply::text(400, "bad")
        }
    })
    .await;
    let body = json!({ "name": "MM", "settings": { "type": "mattermost" }, "secrets": { "url": mattermost.url("/hooks/S3CRET") } });
    let (created, _) = create(&s, &token, &body).await;
    assert!(run_test(&s, &token, created.integration.id).await.0.ok);

    // Teams Workflows: an Adaptive Card in a message envelope, answered 202.
    let teams = Receiver::start(|r: &Received| {
        let b = r.json();
        let card = &b["attachments"][0];
        if b["type"] == "message"
            && card["contentType"] == "application/vnd.microsoft.card.adaptive"
            && card["content"]["type"] == "AdaptiveCard"
        {
            Reply::empty(202)
        } else {
            Reply::json(
                400,
                json!({ "error": { "code": "InvalidRequestContent", "message": "not a card" } }),
            )
        }
    })
    .await;
    let body = json!({ "name": "Teams", "settings": { "type": "teams" }, "secrets": { "url": teams.url("/workflows/x?sig=S3CRET") } });
    let (created, _) = create(&s, &token, &body).await;
    let (outcome, text) = run_test(&s, &token, created.integration.id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(202));
    assert!(!text.contains("S3CRET"));

    // Google Chat: {"text": ...}.
    let chat = Receiver::start(|r: &Received| {
        if r.json()["text"].is_string() {
            Reply::json(200, json!({ "name": "spaces/A/messages/B" }))
        } else {
            Reply::empty(400)
        }
    })
    .await;
    let body = json!({ "name": "Chat", "settings": { "type": "google_chat" }, "secrets": { "url": chat.url("/v1/spaces/A/messages?key=k&token=S3CRET") } });
    let (created, _) = create(&s, &token, &body).await;
    assert!(run_test(&s, &token, created.integration.id).await.0.ok);
    assert_eq!(chat.requests()[0].param("token").as_deref(), Some("S3CRET"));

    // HipChat Server: the room notification with the room token as a bearer token, 204.
    let hipchat = Receiver::start(|r: &Received| {
        if r.path == "/v2/room/Security%20Team/notification"
            && r.header("authorization") == Some("Bearer hip-S3CRET")
            && r.json()["message"].is_string()
        {
            Reply::empty(204)
        } else {
            Reply::json(
                401,
                json!({ "error": { "code": 401, "message": "Invalid OAuth session" } }),
            )
        }
    })
    .await;
    let body = json!({
        "name": "HipChat", "settings": { "type": "hipchat", "server_url": hipchat.url(""), "room": "Security Team" },
        "secrets": { "token": "hip-S3CRET" },
    });
    let (created, _) = create(&s, &token, &body).await;
    let (outcome, _) = run_test(&s, &token, created.integration.id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(204));

    let text = audit_text(&s, &token).await;
    assert!(!text.contains("S3CRET"), "{text}");
}

#[tokio::test]
async fn serena_test_is_a_soap_call_with_the_credentials_and_a_fault_is_a_failure() {
    let (s, token) = private_ok().await;
    let sbm = Receiver::start(|r: &Received| {
        let body = r.text();
        let envelope = r.path == "/gsoap/gsoap_ssl.dll"
            && r.query.as_deref() == Some("sbmappservices72")
            && r.header("content-type").is_some_and(|c| c.starts_with("text/xml"))
            && body.contains("http://schemas.xmlsoap.org/soap/envelope/")
            && body.contains("<urn:GetSubmitProjects>");
        if !envelope {
            return Reply::empty(400);
        }
        if body.contains("<urn:userId>secbot</urn:userId>") && body.contains("<urn:password>sbm-S3CRET</urn:password>") {
            Reply::xml(
                200,
                "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ae=\"urn:sbmappservices72\">\
                 <SOAP-ENV:Body><ae:GetSubmitProjectsResponse><ae:return><ae:project><ae:displayName>Security</ae:displayName>\
                 <ae:id>42</ae:id><ae:uuid>a1-b2</ae:uuid></ae:project></ae:return></ae:GetSubmitProjectsResponse>\
                 </SOAP-ENV:Body></SOAP-ENV:Envelope>",
            )
        } else {
            Reply::xml(
                500,
                "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body>\
                 <SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>Invalid user ID or password.</faultstring>\
                 </SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
            )
        }
    })
    .await;
    let body = json!({
        "name": "SBM", "settings": { "type": "serena", "url": sbm.url("/"), "user": "secbot", "project_id": "42" },
        "secrets": { "password": "sbm-S3CRET" },
    });
    let (created, _) = create(&s, &token, &body).await;
    let id = created.integration.id;
    let (outcome, _) = run_test(&s, &token, id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(200));

    let resp = patch(
        &s,
        &token,
        id,
        Some(1),
        &json!({ "secrets": { "password": "wrong-S3CRET" } }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (outcome, text) = run_test(&s, &token, id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(500));
    assert!(
        outcome.message.contains("Invalid user ID or password."),
        "{}",
        outcome.message
    );
    assert!(!text.contains("S3CRET"));
}

/// Standard Webhooks 1.0, as a receiver checks it: HMAC-SHA256 under the base64 key after `whsec_`, over
/// `id.timestamp.body`, base64, as one of the `v1,` entries of `webhook-signature`.
#[tokio::test]
async fn a_webhook_test_is_a_signed_test_ping_the_receiver_verifies() {
    let (s, token) = private_ok().await;
    let secret: std::sync::Arc<std::sync::Mutex<String>> = Default::default();
    let known = secret.clone();
    let hook = Receiver::start(move |r: &Received| {
        let ok = verify_standard_webhook(&known.lock().unwrap(), r) && r.json()["type"] == "test.ping";
        if ok {
            Reply::empty(204)
        } else {
            Reply::json(401, json!({ "message": "bad signature" }))
        }
    })
    .await;
    let body = json!({ "name": "SIEM", "settings": { "type": "webhook", "url": hook.url("/in") }, "sign": true });
    let (created, _) = create(&s, &token, &body).await;
    let id = created.integration.id;
    *secret.lock().unwrap() = created.signing_secret.unwrap().expose().to_owned();
    let (outcome, _) = run_test(&s, &token, id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(outcome.status, Some(204));
    let sent = &hook.requests()[0];
    assert!(sent.header("webhook-id").unwrap().starts_with("msg_"));
    assert_eq!(
        sent.header("webhook-timestamp").unwrap().parse::<i64>().unwrap(),
        s.clock.now().as_second()
    );

    // After a rotation the receiver that still holds the old secret refuses; with the new one it accepts.
    let rotated: NewSigningSecret = s
        .post(&signing_path(id), &token, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let (outcome, _) = run_test(&s, &token, id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(401));
    *secret.lock().unwrap() = rotated.signing_secret.expose().to_owned();
    assert!(run_test(&s, &token, id).await.0.ok);
}

#[tokio::test]
async fn a_successful_test_enables_again_an_integration_the_server_disabled() {
    let (s, token) = private_ok().await;
    let slack = Receiver::start(|_: &Received| Reply::text(200, "ok")).await;
    let body =
        json!({ "name": "Alerts", "settings": { "type": "slack" }, "secrets": { "url": slack.url("/services/x") } });
    let (created, _) = create(&s, &token, &body).await;
    let id = created.integration.id;
    orgdeck_server::disable_integration(&s.db, s.org.org_id, id, "5 deliveries failed in a row", &s.clock).unwrap();
    let disabled = get_integration(&s, &token, id).await;
    assert!(matches!(&disabled.status, IntegrationStatus::Disabled { reason, .. } if reason.contains("5 deliveries")));
    // Switching it on is not enough.
    let resp = patch(&s, &token, id, Some(disabled.version), &json!({ "enabled": true })).await;
    assert!(matches!(
        resp.json::<Integration>().await.unwrap().status,
        IntegrationStatus::Disabled { .. }
    ));

    let (outcome, _) = run_test(&s, &token, id).await;
    assert!(outcome.ok);
    let enabled = get_integration(&s, &token, id).await;
    assert_eq!(enabled.status, IntegrationStatus::Active);
    assert_eq!(enabled.version, disabled.version + 1);
    let entries = s.audit(&token).await;
    let tested = entries.iter().find(|e| e.action == "integration.test").unwrap();
    assert!(tested.summary.contains("enabled again"), "{}", tested.summary);
    assert!(tested.changes.iter().any(|c| c.field == "status"));
}

#[tokio::test]
async fn a_test_reports_a_redirect_and_a_dead_receiver_as_they_are() {
    let (s, token) = private_ok().await;
    let redirect = Receiver::start(|_: &Received| Reply::empty(302)).await;
    let body = json!({ "name": "Moved", "settings": { "type": "webhook", "url": redirect.url("/") } });
    let (created, _) = create(&s, &token, &body).await;
    let (outcome, _) = run_test(&s, &token, created.integration.id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, Some(302));
    assert!(outcome.message.contains("redirect"), "{}", outcome.message);

    // Nobody listening: the local failure, no remote status.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let body = json!({ "name": "Gone", "settings": { "type": "webhook", "url": format!("http://127.0.0.1:{port}/") } });
    let (created, _) = create(&s, &token, &body).await;
    let (outcome, _) = run_test(&s, &token, created.integration.id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, None);
    assert!(!outcome.message.is_empty());
}

#[tokio::test]
async fn a_url_to_a_private_address_is_refused_naming_the_field_unless_the_server_allows_it() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://0x7f.1/",
        "http://2130706433/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::1]/",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data",
        "http://metadata.google.internal/",
        "http://localhost:8080/",
        "http://api.localhost:8080/",
        "ftp://hooks.example.com/",
        "http://user:pw@hooks.example.com/",
    ] {
        let body = json!({ "name": "Inside", "settings": { "type": "webhook", "url": url } });
        let fields = invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await;
        assert_eq!(names(&fields), ["settings.url"], "{url}");
    }
    // A secret URL: the field is named, the URL is not echoed.
    let body = json!({ "name": "Inside", "settings": { "type": "slack" }, "secrets": { "url": "http://127.0.0.1:8080/services/S3CRET" } });
    let fields = invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await;
    assert_eq!(names(&fields), ["secrets.url"]);
    assert!(!fields[0].1.contains("S3CRET"), "{fields:?}");
    // A change to a private address is refused the same way.
    let body = json!({ "name": "Outside", "settings": { "type": "webhook", "url": "https://hooks.example.com/in" } });
    let (created, _) = create(&s, &token, &body).await;
    let path = integration(created.integration.id);
    let patch = json!({ "settings": { "type": "webhook", "url": "http://192.168.1.1:8080/in" } });
    let resp = s.send(Method::PATCH, &path, &token, Some(&patch), Some(1)).await;
    assert_eq!(names(&invalid_fields(resp).await), ["settings.url"]);
    let list: Vec<Integration> = s.get(routes::INTEGRATIONS, &token).await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].version, 1);

    // A server that allows private targets saves them.
    let s = TestServer::start_with(|c| c.outbound.allow_private_targets = true).await;
    let token = s.admin_token().await;
    let body = json!({ "name": "Inside", "settings": { "type": "webhook", "url": "http://10.1.2.3:8080/hook" } });
    create(&s, &token, &body).await;
}

#[tokio::test]
async fn a_payload_template_that_would_not_stay_json_is_refused_naming_the_field() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let body = json!({ "name": "Templated", "settings": {
        "type": "webhook", "url": "https://hooks.example.com/in", "payload_template": "{\"text\": \"$Title\"",
    } });
    let fields = invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await;
    assert_eq!(names(&fields), ["settings.payload_template"], "{fields:?}");
    let body = json!({ "name": "Templated", "settings": {
        "type": "webhook", "url": "https://hooks.example.com/in", "payload_template": "{\"text\": \"$Nope\"}",
    } });
    let fields = invalid_fields(s.post(routes::INTEGRATIONS, &token, &body).await).await;
    assert!(fields[0].1.contains("$Nope"), "{fields:?}");
    let body = json!({ "name": "Templated", "settings": {
        "type": "webhook", "url": "https://hooks.example.com/in", "payload_template": "{\"text\": \"$Title\"}",
    } });
    create(&s, &token, &body).await;
}

/// A resolver whose every name is a private address (as an internal DNS, or a rebinding one, answers).
struct InsideDns;

#[async_trait::async_trait]
impl orgdeck_server::outbound::Lookup for InsideDns {
    async fn lookup(&self, _host: &str) -> std::io::Result<Vec<std::net::IpAddr>> {
        Ok(vec![std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 5))])
    }
}

#[tokio::test]
async fn a_test_that_could_not_call_says_why_changes_nothing_and_is_audited() {
    // A default server (private targets refused) whose DNS answers a private address for a public-looking
    // name: a name is not resolved at save, so the save passes; the outbound client resolves it when it
    // connects and refuses before sending anything.
    let s = TestServer::start_with(|c| {
        c.outbound = c.outbound.clone().with_lookup(std::sync::Arc::new(InsideDns));
    })
    .await;
    let token = s.admin_token().await;
    let body = json!({
        "name": "Inside", "settings": { "type": "webhook", "url": "https://hooks.inside.example/hook" }, "sign": true,
    });
    let (created, _) = create(&s, &token, &body).await;
    let secret = created.signing_secret.unwrap();
    let id = created.integration.id;
    let (outcome, text) = run_test(&s, &token, id).await;
    assert!(!outcome.ok);
    assert_eq!(outcome.status, None, "no remote answered");
    assert!(outcome.message.contains("10.0.0.5"), "{}", outcome.message);
    assert!(outcome.detected.is_empty());
    assert!(!text.contains(secret.expose()));
    assert_eq!(get_integration(&s, &token, id).await.version, 1);
    let entries = s.audit(&token).await;
    let tested = entries.iter().find(|e| e.action == "integration.test").unwrap();
    assert!(tested.summary.contains("failed"), "{}", tested.summary);
    assert!(tested.changes.is_empty());
    assert!(!audit_text(&s, &token).await.contains(secret.expose()));
}
