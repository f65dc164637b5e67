//! Servers over real HTTP (SETTINGS.md sections 1 and 7): agents register and get their environment's
//! settings with the origin of each value; auto-licensing and the license limits; admins apply and remove
//! licenses, move and remove servers; 15 silent minutes make a server offline (announced once to the
//! admins) and cleanup removes servers silent for its days, freeing their licenses; all on the test clock.

mod common;

use std::time::Duration;

use common::*;
use orgdeck_server::{Clock, store::sqlite::ops};
use orgdeck_shared::{
    ErrorCode, Page,
    agents::NewAgentKey,
    auth::OrgRole,
    inbox::InboxPage,
    inventory::{Application, Server},
    licensing::{LicenseKind, LicenseSummary},
    routes,
    servers::{EnvironmentOrigin, HeartbeatAnswer, Registration, ServerStatus, SettingOrigin},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

async fn make_key(s: &TestServer, admin: &str, body: Value) -> String {
    let resp = s.post(routes::AGENT_KEYS, admin, &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    let key: NewAgentKey = resp.json().await.unwrap();
    key.key.expose().to_owned()
}

fn agent(name: &str, environment: Option<&str>) -> Value {
    let mut body = json!({
        "name": name, "hostname": format!("{name}.dc1.acme.example"), "language": "java", "agent_version": "4.2.0",
    });
    if let Some(env) = environment {
        body["environment"] = json!(env);
    }
    body
}

async fn register(s: &TestServer, key: &str, body: &Value) -> Registration {
    let resp = s.post(routes::AGENT_REGISTER, key, body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn servers(s: &TestServer, admin: &str, query: &str) -> Page<Server> {
    let resp = s.get(&format!("{}{query}", routes::SERVERS), admin).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn licenses(s: &TestServer, admin: &str) -> LicenseSummary {
    s.get(routes::LICENSES, admin).await.json().await.unwrap()
}

/// The operator's licenses, written beside the running server as the demo's are.
fn add_licenses(s: &TestServer, kind: LicenseKind, count: u32, expires: jiff::civil::Date) {
    let now = s.clock.now();
    s.sql_write(|c| Ok(ops::insert_license(c, s.org.org_id, kind, count, expires, now)?));
}

async fn put_doc(s: &TestServer, admin: &str, area: &str, change: impl FnOnce(&mut Value)) -> reqwest::Response {
    let current: Value = s.get(&routes::settings(area), admin).await.json().await.unwrap();
    let mut doc = current["value"].clone();
    change(&mut doc);
    s.send(
        Method::PUT,
        &routes::settings(area),
        admin,
        Some(&doc),
        current["version"].as_i64(),
    )
    .await
}

async fn auto_license_servers(s: &TestServer, admin: &str, environments: &[&str]) {
    let general = s.general(admin).await;
    let mut doc = general["value"].clone();
    doc["auto_license_new_servers"] = json!(true);
    doc["auto_license_environments"] = json!(environments);
    let resp = s.put_general(admin, general["version"].as_i64(), &doc).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
}

#[tokio::test]
async fn agents_get_their_environments_settings_with_where_each_value_came_from() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    // Production logs at debug and samples; development keeps the product's defaults.
    let resp = put_doc(&s, &admin, "servers/production", |d| {
        d["log_level"] = json!("debug");
        d["sampling"]["enabled"] = json!(true);
        d["sampling"]["baseline"] = json!(9);
    })
    .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());

    let prod = register(&s, &key, &agent("web-1", Some("production"))).await;
    assert_eq!(
        prod.server.environment,
        orgdeck_shared::general::Environment::Production
    );
    assert_eq!(prod.environment_origin, EnvironmentOrigin::Agent);
    assert_eq!(prod.settings.sampling.baseline, 9);
    assert_eq!(prod.settings_version, 2);
    let origin = |r: &Registration, f: &str| r.effective.iter().find(|e| e.field == f).unwrap().clone();
    assert_eq!(origin(&prod, "log_level").value, "debug");
    assert_eq!(origin(&prod, "log_level").origin, SettingOrigin::EnvironmentDefaults);
    assert_eq!(
        origin(&prod, "sampling.frequency").origin,
        SettingOrigin::ProductDefault
    );
    assert!(!prod.registered_before);

    // No environment named: the organization's default environment, here changed to qa.
    let resp = put_doc(&s, &admin, "servers", |d| d["default_environment"] = json!("qa")).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let qa = register(&s, &key, &agent("batch-1", None)).await;
    assert_eq!(qa.server.environment.as_str(), "qa");
    assert_eq!(qa.environment_origin, EnvironmentOrigin::DefaultEnvironment);
    assert_eq!(origin(&qa, "log_level").value, "error");
    assert_eq!(origin(&qa, "log_level").origin, SettingOrigin::ProductDefault);

    // A key limited to development registers there whatever it does not say, and refuses another.
    let dev_key = make_key(&s, &admin, json!({ "name": "dev", "environment": "development" })).await;
    let dev = register(&s, &dev_key, &agent("laptop", None)).await;
    assert_eq!(dev.server.environment.as_str(), "development");
    assert_eq!(dev.environment_origin, EnvironmentOrigin::AgentKey);
    let resp = s
        .post(routes::AGENT_REGISTER, &dev_key, &agent("laptop", Some("production")))
        .await;
    assert_eq!(api_error(resp, StatusCode::FORBIDDEN).await.code, ErrorCode::Forbidden);

    // Registering again is the same server (a new agent version, the same id).
    let mut again = agent("web-1", Some("production"));
    again["agent_version"] = json!("4.3.0");
    let second = register(&s, &key, &again).await;
    assert_eq!(second.server.id, prod.server.id);
    assert!(second.registered_before);
    let page = servers(&s, &admin, "").await;
    assert_eq!(page.items.len(), 3);
    let web = page.items.iter().find(|x| x.name == "web-1").unwrap();
    assert_eq!(web.agent_version, "4.3.0");
    assert_eq!(web.status, ServerStatus::Online);

    // An admin moves web-1 to qa: a registration without an environment keeps the admin's choice.
    let resp = s
        .send(
            Method::PATCH,
            &routes::SERVER.replace("{id}", &prod.server.id.to_string()),
            &admin,
            Some(&json!({ "environment": "qa" })),
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let kept = register(&s, &key, &agent("web-1", None)).await;
    assert_eq!(kept.server.environment.as_str(), "qa");
    assert_eq!(kept.environment_origin, EnvironmentOrigin::Admin);

    // Heartbeats answer the settings version of the environment, so agents see a change.
    let beat: HeartbeatAnswer = s
        .post(routes::AGENT_HEARTBEAT, &key, &json!({ "server_id": prod.server.id }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((beat.environment.as_str(), beat.settings_version), ("qa", 1));
    put_doc(&s, &admin, "servers/qa", |d| d["bot_blocking"] = json!(true)).await;
    let beat: HeartbeatAnswer = s
        .post(routes::AGENT_HEARTBEAT, &key, &json!({ "server_id": prod.server.id }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(beat.settings_version, 2);
    let audit = s.audit(&admin).await;
    assert!(
        audit
            .iter()
            .any(|e| e.action == "server.register" && e.actor.email == "agent key fleet")
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "server.update" && e.summary.contains("from production to qa"))
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn registration_and_settings_name_each_bad_field() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    let resp = s
        .post(
            routes::AGENT_REGISTER,
            &key,
            &json!({ "name": "", "hostname": "bad host", "language": "java", "agent_version": "4" }),
        )
        .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["name", "hostname"]);
    let resp = put_doc(&s, &admin, "servers/qa", |d| {
        d["syslog"]["enabled"] = json!(true);
        d["syslog"]["facility"] = json!(24);
        d["cleanup"]["after_days"] = json!(0);
    })
    .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["syslog.host", "syslog.facility", "cleanup.after_days"]);
    // A heartbeat for a server nobody registered: 404.
    let resp = s
        .post(routes::AGENT_HEARTBEAT, &key, &json!({ "server_id": Uuid::new_v4() }))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = s.get(&format!("{}?cursor=nonsense", routes::SERVERS), &admin).await;
    assert_eq!(
        api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await.fields[0].field,
        "cursor"
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn auto_licensing_says_why_and_licenses_never_go_beyond_the_total() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    let first = register(&s, &key, &agent("p1", Some("production"))).await;
    assert!(!first.license.licensed);
    assert!(
        first.license.reason.contains("auto-licensing of new servers is off"),
        "{}",
        first.license.reason
    );

    auto_license_servers(&s, &admin, &["production"]).await;
    let dev = register(&s, &key, &agent("d1", Some("development"))).await;
    assert!(!dev.license.licensed);
    assert!(
        dev.license.reason.contains("covers production only, not development"),
        "{}",
        dev.license.reason
    );
    let none_left = register(&s, &key, &agent("p2", Some("production"))).await;
    assert!(!none_left.license.licensed);
    assert!(
        none_left.license.reason.contains("no unexpired protect license"),
        "{}",
        none_left.license.reason
    );

    add_licenses(&s, LicenseKind::Protect, 2, jiff::civil::date(2027, 6, 30));
    let p3 = register(&s, &key, &agent("p3", Some("production"))).await;
    assert!(p3.license.licensed, "{}", p3.license.reason);
    assert!(p3.license.reason.contains("1 left"), "{}", p3.license.reason);

    // The admin applies the last one by hand; a third is refused with what to do.
    let resp = s
        .post(
            routes::LICENSES_PROTECT,
            &admin,
            &json!({ "server_id": first.server.id }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let summary = licenses(&s, &admin).await;
    assert_eq!((summary.protect.used, summary.protect.available), (2, 0));
    let resp = s
        .post(routes::LICENSES_PROTECT, &admin, &json!({ "server_id": dev.server.id }))
        .await;
    let err = api_error(resp, StatusCode::CONFLICT).await;
    assert!(
        err.message.contains("no protect license left: 2 of 2 in use"),
        "{}",
        err.message
    );
    let p4 = register(&s, &key, &agent("p4", Some("production"))).await;
    assert!(!p4.license.licensed);
    assert!(p4.license.reason.contains("2 of 2 in use"), "{}", p4.license.reason);

    // Removing one frees it at once; the General area's numbers follow.
    let resp = s
        .send(
            Method::DELETE,
            &routes::LICENSE_PROTECT.replace("{id}", &first.server.id.to_string()),
            &admin,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let freed: Server = resp.json().await.unwrap();
    assert!(!freed.licensed);
    assert_eq!(licenses(&s, &admin).await.protect.available, 1);
    let audit = s.audit(&admin).await;
    assert!(
        audit
            .iter()
            .any(|e| e.action == "license.remove" && e.target.kind == "license")
    );

    // An expired batch stops counting: past its day, nothing can be applied.
    s.clock.set("2027-07-01T12:00:00Z".parse().unwrap());
    let admin = s.admin_token().await;
    let summary = licenses(&s, &admin).await;
    assert_eq!((summary.protect.total, summary.protect.available), (0, 0));
    let resp = s
        .post(
            routes::LICENSES_PROTECT,
            &admin,
            &json!({ "server_id": first.server.id }),
        )
        .await;
    let err = api_error(resp, StatusCode::CONFLICT).await;
    assert!(err.message.contains("no unexpired protect license"), "{}", err.message);
    s.handle.shutdown().await;
}

#[tokio::test]
async fn assess_licenses_are_applied_and_removed_on_applications_within_the_total() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    let event = |id: &str, app: &str| json!({ "id": id, "type": "new_asset", "application": app, "asset": "application", "language": "java" });
    let resp = s
        .post(
            routes::AGENT_EVENTS,
            &key,
            &json!({ "events": [event("a", "shop"), event("b", "ledger")] }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    add_licenses(&s, LicenseKind::Assess, 1, jiff::civil::date(2027, 6, 30));
    let apps: Page<Application> = s.get(routes::APPLICATIONS, &admin).await.json().await.unwrap();
    let (ledger, shop) = (apps.items[0].id, apps.items[1].id);
    let resp = s
        .post(routes::LICENSES_ASSESS, &admin, &json!({ "application_id": shop }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    assert!(resp.json::<Application>().await.unwrap().licensed);
    let resp = s
        .post(routes::LICENSES_ASSESS, &admin, &json!({ "application_id": ledger }))
        .await;
    let err = api_error(resp, StatusCode::CONFLICT).await;
    assert!(
        err.message.contains("no assess license left: 1 of 1 in use"),
        "{}",
        err.message
    );
    let resp = s
        .send(
            Method::DELETE,
            &routes::LICENSE_ASSESS.replace("{id}", &shop.to_string()),
            &admin,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = s
        .post(routes::LICENSES_ASSESS, &admin, &json!({ "application_id": ledger }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    assert_eq!(licenses(&s, &admin).await.assess.used, 1);
    s.handle.shutdown().await;
}

#[tokio::test]
async fn only_admins_of_the_organization_reach_servers_and_only_agents_register() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    let reg = register(&s, &key, &agent("web-1", Some("qa"))).await;
    let id = reg.server.id.to_string();
    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    for (method, path) in [
        (Method::GET, routes::SERVERS.to_owned()),
        (Method::GET, routes::settings("servers/qa")),
        (Method::PATCH, routes::SERVER.replace("{id}", &id)),
        (Method::DELETE, routes::SERVER.replace("{id}", &id)),
    ] {
        let resp = s
            .send(
                method.clone(),
                &path,
                &viewer,
                Some(&json!({ "environment": "qa" })),
                None,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    let resp = s
        .post(
            routes::LICENSES_PROTECT,
            &viewer,
            &json!({ "server_id": reg.server.id }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // A session cannot register as an agent; an agent key cannot list servers.
    let resp = s.post(routes::AGENT_REGISTER, &admin, &agent("x", None)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let resp = s.get(routes::SERVERS, &key).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // Another organization sees none of it and cannot touch it.
    s.add_org("Globex", "admin@globex.example");
    let globex = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    assert!(servers(&s, &globex, "").await.items.is_empty());
    for (method, path) in [
        (Method::PATCH, routes::SERVER.replace("{id}", &id)),
        (Method::DELETE, routes::SERVER.replace("{id}", &id)),
        (Method::DELETE, routes::LICENSE_PROTECT.replace("{id}", &id)),
    ] {
        let resp = s
            .send(
                method.clone(),
                &path,
                &globex,
                Some(&json!({ "environment": "qa" })),
                None,
            )
            .await;
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let globex_key = make_key(&s, &globex, json!({ "name": "theirs" })).await;
    let resp = s
        .post(
            routes::AGENT_HEARTBEAT,
            &globex_key,
            &json!({ "server_id": reg.server.id }),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::NOT_FOUND,
        "another organization's server is not theirs"
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn the_list_pages_by_name_and_filters_by_text_environment_status_and_license() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    for i in 0..7 {
        let env = ["production", "qa", "development"][i % 3];
        register(&s, &key, &agent(&format!("node-{i}"), Some(env))).await;
    }
    s.advance_minutes(20);
    register(&s, &key, &agent("node-2", Some("development"))).await;
    let mut names = Vec::new();
    let mut query = "?limit=3".to_owned();
    loop {
        let page = servers(&s, &admin, &query).await;
        assert!(page.items.len() <= 3);
        names.extend(page.items.iter().map(|x| x.name.clone()));
        match page.next_cursor {
            Some(c) => query = format!("?limit=3&cursor={}", urlencode(&c)),
            None => break,
        }
    }
    assert_eq!(names, (0..7).map(|i| format!("node-{i}")).collect::<Vec<_>>());
    let online = servers(&s, &admin, "?status=online").await;
    assert_eq!(
        online.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        ["node-2"]
    );
    let offline = servers(&s, &admin, "?status=offline&environment=production").await;
    assert_eq!(
        offline.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        ["node-0", "node-3", "node-6"]
    );
    let found = servers(&s, &admin, "?q=NODE-5.DC1").await;
    assert_eq!(found.items.len(), 1);
    let unlicensed = servers(&s, &admin, "?licensed=false").await;
    assert_eq!(unlicensed.items.len(), 7);
    let resp = s.get(&format!("{}?limit=0", routes::SERVERS), &admin).await;
    assert_eq!(
        api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await.fields[0].field,
        "limit"
    );
    s.handle.shutdown().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn inbox_titles(s: &TestServer, token: &str) -> Vec<String> {
    let page: InboxPage = s.get(routes::INBOX, token).await.json().await.unwrap();
    page.items.into_iter().map(|e| e.title).collect()
}

async fn wait_until<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F, what: &str) {
    let end = tokio::time::Instant::now() + Duration::from_secs(15);
    while !check().await {
        assert!(tokio::time::Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server whose watch looks for silent servers every 20 ms.
async fn watched() -> TestServer {
    TestServer::start_with(|c| c.watch.servers_every = Duration::from_millis(20)).await
}

#[tokio::test]
async fn a_silent_server_goes_offline_once_and_cleanup_removes_it_freeing_its_license() {
    let s = watched().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    add_licenses(&s, LicenseKind::Protect, 5, jiff::civil::date(2027, 12, 31));
    auto_license_servers(&s, &admin, &["production"]).await;
    let web = register(&s, &key, &agent("web-1", Some("production"))).await;
    let db = register(&s, &key, &agent("db-1", Some("production"))).await;
    assert!(web.license.licensed && db.license.licensed);
    let resp = put_doc(&s, &admin, "servers/production", |d| {
        d["cleanup"] = json!({ "enabled": true, "after_days": 2 });
    })
    .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());

    // 15 minutes of silence is still online; past it, offline, and the admins hear of it once.
    s.advance_minutes(15);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let admin = s.admin_token().await;
    assert!(inbox_titles(&s, &admin).await.is_empty());
    s.advance_minutes(1);
    s.post(routes::AGENT_HEARTBEAT, &key, &json!({ "server_id": db.server.id }))
        .await;
    let admin = s.admin_token().await;
    wait_until(
        || async { inbox_titles(&s, &admin).await == ["Server web-1 is offline"] },
        "web-1's offline notice",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(inbox_titles(&s, &admin).await.len(), 1, "raised once per silence");
    let offline = servers(&s, &admin, "?status=offline").await;
    assert_eq!(
        offline.items.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(),
        ["web-1"]
    );

    // Its heartbeat brings it back (audited); silence again raises it again.
    let resp = s
        .post(routes::AGENT_HEARTBEAT, &key, &json!({ "server_id": web.server.id }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(s.audit(&admin).await.iter().any(|e| e.action == "server.online"));
    assert_eq!(servers(&s, &admin, "?status=offline").await.items.len(), 0);

    // Two days and a bit without db-1... cleanup removes both after 2 days, freeing their licenses.
    s.advance_minutes(60 * 24 * 2 + 30);
    let admin = s.admin_token().await;
    wait_until(
        || async { servers(&s, &admin, "").await.items.is_empty() },
        "cleanup of silent servers",
    )
    .await;
    assert_eq!(licenses(&s, &admin).await.protect.used, 0);
    let audit = s.audit(&admin).await;
    let cleaned: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "server.cleanup")
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(cleaned.len(), 2, "{cleaned:?}");
    assert!(cleaned[0].contains("silent for more than 2 days") && cleaned[0].contains("license is free"));
    s.handle.shutdown().await;
}

#[tokio::test]
async fn cleanup_spares_environments_without_it_and_removing_by_hand_frees_the_license() {
    let s = watched().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "fleet" })).await;
    add_licenses(&s, LicenseKind::Protect, 5, jiff::civil::date(2027, 12, 31));
    auto_license_servers(&s, &admin, &["qa"]).await;
    let qa = register(&s, &key, &agent("qa-1", Some("qa"))).await;
    assert!(qa.license.licensed);
    s.advance_minutes(60 * 24 * 60);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let admin = s.admin_token().await;
    let left = servers(&s, &admin, "").await;
    assert_eq!(left.items.len(), 1, "cleanup is off by default");
    assert_eq!(left.items[0].status, ServerStatus::Offline);
    let resp = s
        .send(
            Method::DELETE,
            &routes::SERVER.replace("{id}", &qa.server.id.to_string()),
            &admin,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(licenses(&s, &admin).await.protect.used, 0);
    let removed = s.audit(&admin).await;
    assert!(
        removed
            .iter()
            .any(|e| e.action == "server.remove" && e.summary.contains("license is free"))
    );
    s.handle.shutdown().await;
}
