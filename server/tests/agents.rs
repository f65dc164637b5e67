//! Agents over real HTTP: the organization key and named agent keys (made once, never listed, rotated
//! with a grace period on the test's clock, revoked), what they reach (the agent routes of their own
//! organization, nothing else), and the events agents report (checked field by field, stored once per
//! id, filed under their application, new vulnerabilities on it).

mod common;

use common::*;
use orgdeck_server::{Clock, store::sqlite::ops};
use orgdeck_shared::{
    ErrorCode, Page,
    agents::{AgentKeyInfo, EventOutcome, EventsReceived, NewAgentKey, NewOrgKey, OrgKeyInfo},
    api_keys::{self, NewApiKey},
    auth::OrgRole,
    inventory::Application,
    licensing::LicenseKind,
    routes,
    vulnerabilities::{Severity, Vulnerability, VulnerabilityStatus},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// `POST agent_keys` as `admin`, expecting the key.
async fn make_key(s: &TestServer, admin: &str, body: Value) -> NewAgentKey {
    let resp = s.post(routes::AGENT_KEYS, admin, &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn list_keys(s: &TestServer, admin: &str) -> (Value, Vec<AgentKeyInfo>) {
    let resp = s.get(routes::AGENT_KEYS, admin).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let raw: Value = resp.json().await.unwrap();
    let page: Page<AgentKeyInfo> = serde_json::from_value(raw.clone()).unwrap();
    (raw, page.items)
}

/// `POST agent/events` with `key`.
async fn report(s: &TestServer, key: &str, body: &Value) -> reqwest::Response {
    s.post(routes::AGENT_EVENTS, key, body).await
}

/// `POST agent/events`, expecting the results.
async fn reported(s: &TestServer, key: &str, body: &Value) -> EventsReceived {
    let resp = report(s, key, body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

fn vulnerability(id: &str, application: &str, title: &str, severity: &str) -> Value {
    json!({
        "id": id, "type": "new_vulnerability", "application": application, "title": title,
        "severity": severity, "rule": "sql-injection", "route": "POST /login", "language": "java",
    })
}

async fn applications(s: &TestServer, admin: &str) -> Vec<Application> {
    let page: Page<Application> = s.get(routes::APPLICATIONS, admin).await.json().await.unwrap();
    page.items
}

async fn vulnerabilities(s: &TestServer, admin: &str, application: Uuid, query: &str) -> Page<Vulnerability> {
    let resp = s
        .get(
            &format!("{}{query}", routes::application_vulnerabilities(application)),
            admin,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

/// A request that works with `key` right now.
async fn key_works(s: &TestServer, key: &str, event_id: &str) -> bool {
    let resp = report(
        s,
        key,
        &json!({ "events": [vulnerability(event_id, "Shop", "XSS", "low")] }),
    )
    .await;
    match resp.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("{other}: {}", resp.text().await.unwrap()),
    }
}

#[tokio::test]
async fn an_agent_key_is_shown_once_never_listed_and_its_name_is_unique() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let made = make_key(&s, &admin, json!({ "name": "ci runner", "environment": "qa" })).await;
    let key = made.key.expose().to_owned();
    assert!(api_keys::well_formed(&key), "{key}");
    assert!(key.starts_with(&made.info.prefix));
    assert_eq!(made.info.name, "ci runner");
    assert_eq!(made.info.environment, Some(orgdeck_shared::general::Environment::Qa));

    let (raw, keys) = list_keys(&s, &admin).await;
    assert_eq!(keys, vec![made.info.clone()]);
    assert!(!raw.to_string().contains(&key[api_keys::DISPLAY_LEN..]), "{raw}");

    // Names are unique in the organization, letter case and spaces aside.
    let resp = s
        .post(routes::AGENT_KEYS, &admin, &json!({ "name": " CI Runner " }))
        .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "name", "{err:?}");
    let resp = s.post(routes::AGENT_KEYS, &admin, &json!({ "name": "" })).await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "name");
    let resp = s
        .post(
            routes::AGENT_KEYS,
            &admin,
            &json!({ "name": "x", "environment": "staging" }),
        )
        .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "environment");

    // Audited, the key never in the log.
    let audit = s.audit(&admin).await;
    let created = audit.iter().find(|e| e.action == "agent_key.create").unwrap();
    assert_eq!(created.target.id, made.info.id.to_string());
    assert!(created.summary.contains("ci runner") && created.summary.contains("qa"));
    assert!(
        !serde_json::to_string(&audit)
            .unwrap()
            .contains(&key[api_keys::DISPLAY_LEN..])
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn a_rotated_key_works_through_its_grace_period_and_a_revoked_one_stops() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let made = make_key(&s, &admin, json!({ "name": "build" })).await;
    let old = made.key.expose().to_owned();
    assert!(key_works(&s, &old, "e1").await);

    // More than a week of grace is refused, naming the field.
    let too_long = json!({ "grace_minutes": api_keys::MAX_GRACE_MINUTES + 1 });
    let resp = s.post(&routes::agent_key_rotate(made.info.id), &admin, &too_long).await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "grace_minutes");

    let resp = s
        .post(
            &routes::agent_key_rotate(made.info.id),
            &admin,
            &json!({ "grace_minutes": 30 }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated: NewAgentKey = resp.json().await.unwrap();
    let new = rotated.key.expose().to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated.info.id, made.info.id);
    assert_eq!(rotated.info.name, "build");
    assert!(rotated.info.previous_valid_until.is_some());
    assert!(key_works(&s, &new, "e2").await);
    assert!(
        key_works(&s, &old, "e3").await,
        "the old key works during its grace period"
    );

    s.advance_minutes(29);
    assert!(key_works(&s, &old, "e4").await);
    s.advance_minutes(2);
    assert!(!key_works(&s, &old, "e5").await, "the grace period is over");
    assert!(key_works(&s, &new, "e6").await);
    // The admin's session timed out meanwhile (idle 30 minutes).
    let admin = s.admin_token().await;
    let (_, keys) = list_keys(&s, &admin).await;
    assert_eq!(keys[0].previous_valid_until, None, "an ended grace period is not shown");
    assert_eq!(keys[0].last_used_at, Some(s.clock.now()));

    // Revoked: the key (and a replaced one still in its grace) stops at once.
    let resp = s
        .post(
            &routes::agent_key_rotate(made.info.id),
            &admin,
            &json!({ "grace_minutes": 60 }),
        )
        .await;
    let newest = resp.json::<NewAgentKey>().await.unwrap().key.expose().to_owned();
    let resp = s
        .send(Method::DELETE, &routes::agent_key(made.info.id), &admin, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(!key_works(&s, &newest, "e7").await);
    assert!(!key_works(&s, &new, "e8").await, "nor the one replaced minutes ago");
    assert!(list_keys(&s, &admin).await.1.is_empty());
    let resp = s
        .send(Method::DELETE, &routes::agent_key(made.info.id), &admin, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let actions: Vec<String> = s.audit(&admin).await.into_iter().map(|e| e.action).collect();
    for action in ["agent_key.create", "agent_key.rotate", "agent_key.revoke"] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
    s.handle.shutdown().await;
}

#[tokio::test]
async fn the_organization_key_is_issued_by_a_rotation_and_reports_as_the_organization() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let before: OrgKeyInfo = s.get(routes::ORG_KEY, &admin).await.json().await.unwrap();
    assert!(!before.issued, "nobody was shown the key made with the organization");
    assert!(before.prefix.starts_with(api_keys::KEY_PREFIX));
    assert_eq!(before.created_at, start_time());

    let resp = s
        .post(routes::ORG_KEY_ROTATE, &admin, &json!({ "grace_minutes": 10 }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let issued: NewOrgKey = resp.json().await.unwrap();
    assert!(issued.info.issued);
    assert_eq!(issued.info.previous_valid_until, None, "an unissued key gets no grace");
    let key = issued.key.expose().to_owned();
    assert!(key.starts_with(&issued.info.prefix) && api_keys::well_formed(&key));

    let received = reported(
        &s,
        &key,
        &json!({ "events": [vulnerability("o1", "Shop", "XSS", "low")] }),
    )
    .await;
    assert_eq!(received.results[0].stored.reported_by, "organization key");
    let after: OrgKeyInfo = s.get(routes::ORG_KEY, &admin).await.json().await.unwrap();
    assert_eq!(after.last_used_at, Some(start_time()));
    assert!(
        !serde_json::to_string(&after)
            .unwrap()
            .contains(&key[api_keys::DISPLAY_LEN..])
    );

    // Rotating an issued key keeps the old one through its grace period.
    let resp = s
        .post(routes::ORG_KEY_ROTATE, &admin, &json!({ "grace_minutes": 5 }))
        .await;
    let next = resp.json::<NewOrgKey>().await.unwrap();
    assert!(next.info.previous_valid_until.is_some());
    assert!(key_works(&s, &key, "o2").await);
    s.advance_minutes(6);
    assert!(!key_works(&s, &key, "o3").await);
    assert!(key_works(&s, next.key.expose(), "o4").await);

    let audit = s.audit(&admin).await;
    let rotations: Vec<&str> = audit
        .iter()
        .filter(|e| e.action == "org_key.rotate")
        .map(|e| e.summary.as_str())
        .collect();
    assert_eq!(rotations.len(), 2, "{rotations:?}");
    assert!(rotations.iter().any(|s| s.contains("issued")));
    let reported_entry = audit
        .iter()
        .find(|e| e.action == "agent_event.new_vulnerability")
        .unwrap();
    assert_eq!(reported_entry.actor.email, "organization key");
    assert_eq!(reported_entry.actor.user_id, None);
    s.handle.shutdown().await;
}

#[tokio::test]
async fn agent_keys_reach_the_agent_routes_only_and_people_do_not_reach_them() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let agent = make_key(&s, &admin, json!({ "name": "probe" }))
        .await
        .key
        .expose()
        .to_owned();

    // An agent key is no one's credential anywhere else.
    for path in [
        routes::ME,
        &routes::settings("general"),
        routes::AGENT_KEYS,
        routes::ORG_KEY,
        routes::EVENTS_STREAM,
    ] {
        let resp = s.get(path, &agent).await;
        let err = api_error(resp, StatusCode::UNAUTHORIZED).await;
        assert_eq!(err.code, ErrorCode::Unauthorized, "{path}");
    }
    let resp = s
        .post(routes::AGENT_KEYS, &agent, &json!({ "name": "self-made" }))
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

    // A session or a personal key is refused on the agent routes, however high its role.
    let personal = s.post(routes::API_KEYS, &admin, &json!({})).await;
    let personal = personal.json::<NewApiKey>().await.unwrap().key.expose().to_owned();
    let body = json!({ "events": [vulnerability("p1", "Shop", "XSS", "low")] });
    for (who, token) in [("a session", &admin), ("a personal key", &personal)] {
        let err = api_error(report(&s, token, &body).await, StatusCode::FORBIDDEN).await;
        assert_eq!(err.code, ErrorCode::Forbidden, "{who}");
        assert!(err.message.contains("agent key"), "{who}: {}", err.message);
    }
    // Nothing or something unknown is no credential at all.
    let unknown = api_keys::assemble("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    for token in [unknown.as_str(), "not-a-token"] {
        assert_eq!(report(&s, token, &body).await.status(), StatusCode::UNAUTHORIZED);
    }
    let resp = s
        .request(Method::POST, routes::AGENT_EVENTS, None)
        .await
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(applications(&s, &admin).await.is_empty(), "nothing was reported");
    s.handle.shutdown().await;
}

#[tokio::test]
async fn only_an_admin_at_a_session_manages_agent_keys() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    let admin_key = s.post(routes::API_KEYS, &admin, &json!({})).await;
    let admin_key = admin_key.json::<NewApiKey>().await.unwrap().key.expose().to_owned();
    for (who, token) in [("a viewer", &viewer), ("an admin's key", &admin_key)] {
        for path in [routes::AGENT_KEYS, routes::ORG_KEY] {
            let err = api_error(s.get(path, token).await, StatusCode::FORBIDDEN).await;
            assert_eq!(err.code, ErrorCode::Forbidden, "{who} GET {path}");
        }
        let resp = s.post(routes::AGENT_KEYS, token, &json!({ "name": "sneaky" })).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who}");
        let resp = s.post(routes::ORG_KEY_ROTATE, token, &json!({})).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who}");
    }
    assert!(list_keys(&s, &admin).await.1.is_empty());
    let org_key: OrgKeyInfo = s.get(routes::ORG_KEY, &admin).await.json().await.unwrap();
    assert!(!org_key.issued, "no refused rotation issued it");
    s.handle.shutdown().await;
}

#[tokio::test]
async fn another_organizations_key_never_reaches_this_one() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_org("Globex", "admin@globex.example");
    let globex = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    let ours = make_key(&s, &admin, json!({ "name": "shared name" })).await;
    // The same name is free in another organization.
    let theirs = make_key(&s, &globex, json!({ "name": "shared name" })).await;
    let their_key = theirs.key.expose().to_owned();

    // The same event id and application name in two organizations are two events and two applications.
    let body = json!({ "events": [vulnerability("same-id", "Shop", "SQL injection", "high")] });
    let mine = reported(&s, ours.key.expose(), &body).await;
    let other = reported(&s, &their_key, &body).await;
    assert_eq!(mine.results[0].outcome, EventOutcome::Stored);
    assert_eq!(other.results[0].outcome, EventOutcome::Stored, "not a retry of ours");
    let my_app = mine.results[0].stored.application_id;
    assert_ne!(my_app, other.results[0].stored.application_id);
    assert_eq!(applications(&s, &admin).await.len(), 1);
    assert_eq!(vulnerabilities(&s, &admin, my_app, "").await.items.len(), 1);

    // Nothing of ours answers to them.
    let resp = s.get(&routes::application_vulnerabilities(my_app), &globex).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = s
        .post(&routes::agent_key_rotate(ours.info.id), &globex, &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = s
        .send(Method::DELETE, &routes::agent_key(ours.info.id), &globex, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (_, their_list) = list_keys(&s, &globex).await;
    assert_eq!(
        their_list.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![theirs.info.id]
    );
    // Their key reads none of our data, as no agent key reads any.
    for path in [
        routes::APPLICATIONS.to_owned(),
        routes::application_vulnerabilities(my_app),
    ] {
        assert_eq!(s.get(&path, &their_key).await.status(), StatusCode::UNAUTHORIZED);
    }
    // A comment of theirs cannot attach to our vulnerability.
    let comment = json!({ "events": [{
        "id": "c1", "type": "new_comment", "application": "Shop", "vulnerability": "same-id",
        "author": "Mallory", "text": "ours now",
    }] });
    let other_vulnerability = reported(&s, &their_key, &comment).await.results[0]
        .stored
        .application_id;
    assert_ne!(other_vulnerability, my_app, "filed under their own application");
    assert_eq!(
        s.audit(&admin)
            .await
            .iter()
            .filter(|e| e.action == "agent_event.new_comment")
            .count(),
        0
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn a_key_limited_to_an_environment_reports_for_that_one_only() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let qa = make_key(&s, &admin, json!({ "name": "qa agent", "environment": "qa" })).await;
    let any = make_key(&s, &admin, json!({ "name": "any agent" })).await;
    let events = |id: &str| json!([vulnerability(id, "Shop", "XSS", "low")]);

    let resp = report(
        &s,
        qa.key.expose(),
        &json!({ "environment": "production", "events": events("q1") }),
    )
    .await;
    let err = api_error(resp, StatusCode::FORBIDDEN).await;
    assert!(err.message.contains("qa"), "{}", err.message);
    assert!(
        applications(&s, &admin).await.is_empty(),
        "nothing of the refused batch is stored"
    );

    let qa_key = qa.key.expose();
    let named = reported(&s, qa_key, &json!({ "environment": "qa", "events": events("q2") })).await;
    assert_eq!(named.results[0].stored.environment.as_str(), "qa");
    let implied = reported(&s, qa_key, &json!({ "events": events("q3") })).await;
    assert_eq!(
        implied.results[0].stored.environment.as_str(),
        "qa",
        "a limited key stands for its environment"
    );

    let unlimited = reported(
        &s,
        any.key.expose(),
        &json!({ "environment": "production", "events": events("q4") }),
    )
    .await;
    assert_eq!(unlimited.results[0].stored.environment.as_str(), "production");
    let default = reported(&s, any.key.expose(), &json!({ "events": events("q5") })).await;
    assert_eq!(default.results[0].stored.environment.as_str(), "development");
    // The application keeps the environment it was first reported in.
    let apps = applications(&s, &admin).await;
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].environment.as_str(), "qa");
    s.handle.shutdown().await;
}

#[tokio::test]
async fn a_retried_event_is_stored_once_and_a_changed_one_under_its_id_is_refused() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "agent" }))
        .await
        .key
        .expose()
        .to_owned();
    // A clock between milliseconds: what is answered now is what is stored.
    s.clock.advance(jiff::SignedDuration::from_nanos(1_234_567));
    let first = vulnerability("v-1", "Shop", "SQL injection", "critical");
    let batch = json!({ "events": [first.clone()] });
    let stored = reported(&s, &key, &batch).await;
    assert_eq!(stored.results[0].outcome, EventOutcome::Stored);
    let app = stored.results[0].stored.application_id;

    // The same report later (an answer lost on the way): the stored event, not a second one.
    s.advance_minutes(3);
    let mut reordered = first.clone();
    reordered.as_object_mut().unwrap().remove("language");
    reordered["language"] = json!("java");
    let retried = reported(&s, &key, &json!({ "events": [reordered] })).await;
    assert_eq!(retried.results[0].outcome, EventOutcome::AlreadyStored);
    assert_eq!(
        retried.results[0].stored, stored.results[0].stored,
        "received when it was first stored"
    );
    assert_eq!(vulnerabilities(&s, &admin, app, "").await.items.len(), 1);

    // Another event under a used id refuses the whole batch: its new event is not stored either.
    let mut changed = first.clone();
    changed["severity"] = json!("low");
    let new = vulnerability("v-2", "Shop", "XSS", "medium");
    let resp = report(&s, &key, &json!({ "events": [new, changed] })).await;
    let err = api_error(resp, StatusCode::CONFLICT).await;
    assert!(
        err.message.contains("events[1]") && err.message.contains("v-1"),
        "{}",
        err.message
    );
    assert_eq!(vulnerabilities(&s, &admin, app, "").await.items.len(), 1);

    // One id twice in a batch: the second is the first's retry.
    let twice = vulnerability("v-3", "Shop", "Path traversal", "high");
    let both = reported(&s, &key, &json!({ "events": [twice.clone(), twice] })).await;
    let outcomes: Vec<EventOutcome> = both.results.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [EventOutcome::Stored, EventOutcome::AlreadyStored]);
    assert_eq!(vulnerabilities(&s, &admin, app, "").await.items.len(), 2);
    let audited = s.audit(&admin).await;
    assert_eq!(
        audited
            .iter()
            .filter(|e| e.action == "agent_event.new_vulnerability")
            .count(),
        2,
        "one audit entry per stored event"
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn every_invalid_field_is_named_and_nothing_of_the_batch_is_stored() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "agent" }))
        .await
        .key
        .expose()
        .to_owned();
    let mut bad_severity = vulnerability("a1", "Shop", "XSS", "low");
    bad_severity["severity"] = json!("urgent");
    let mut no_title = vulnerability("a2", "Shop", "XSS", "low");
    no_title.as_object_mut().unwrap().remove("title");
    let body = json!({ "events": [
        vulnerability("fine", "Shop", "XSS", "low"),
        bad_severity,
        no_title,
        { "id": "a3", "type": "server_exploded", "application": "Shop" },
        { "id": "bad id!", "type": "application_attacked", "application": "Shop", "rule": "xss",
          "outcome": "blocked", "source_ip": "not an address" },
        { "id": "a5", "type": "vulnerable_library", "application": "Shop", "library": "log4j-core",
          "version": "2.14.1", "cves": ["CVE-2021-44228", "CVE-21-1"], "cvss": 12 },
        { "id": "a6", "type": "new_asset", "application": "\u{202e}Shop", "asset": "route" },
        "not an object",
    ] });
    let err = api_error(report(&s, &key, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.code, ErrorCode::ValidationFailed);
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "events[1].severity",
            "events[2].title",
            "events[3].type",
            "events[4].source_ip",
            "events[5].cves[1]",
            "events[5].cvss",
            "events[6].application",
            "events[6].name",
            "events[7]",
        ],
        "{err:?}"
    );
    assert!(err.fields[0].message.contains("urgent"), "{}", err.fields[0].message);

    // Checks that need the organization's data name their field too.
    let comment = json!({ "events": [{
        "id": "c1", "type": "new_comment", "application": "Shop", "vulnerability": "never-reported",
        "author": "Ann", "text": "fixed?",
    }] });
    let err = api_error(report(&s, &key, &comment).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "events[0].vulnerability");
    // The batch itself: empty, too long, wrong environment.
    for (body, field) in [
        (json!({ "events": [] }), "events"),
        (json!({ "events": vec![json!({}); 101] }), "events"),
        (json!({ "environment": "staging", "events": [] }), "environment"),
        (json!({}), "events"),
    ] {
        let err = api_error(report(&s, &key, &body).await, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(err.fields[0].field, field, "{body}");
    }
    assert!(applications(&s, &admin).await.is_empty(), "nothing was stored");
    assert!(
        !s.audit(&admin)
            .await
            .iter()
            .any(|e| e.action.starts_with("agent_event.")),
        "nothing was audited"
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn reported_vulnerabilities_appear_on_their_application() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "prod agent", "environment": "production" }))
        .await
        .key
        .expose()
        .to_owned();
    let found: jiff::Timestamp = "2026-11-27T08:30:00Z".parse().unwrap();
    let mut sqli = vulnerability("v1", "Shop", "SQL injection in login", "critical");
    sqli["occurred_at"] = json!(found.to_string());
    sqli["description"] = json!("The login form builds SQL\nfrom the user name.");
    let body = json!({ "events": [
        sqli,
        vulnerability("v2", "Shop", "Reflected XSS", "medium"),
        { "id": "c1", "type": "new_comment", "application": "Shop", "vulnerability": "v1",
          "author": "Ann Lee", "text": "Confirmed on staging.\nFix in review." },
        { "id": "l1", "type": "vulnerable_library", "application": "Shop", "library": "log4j-core",
          "version": "2.14.1", "latest_version": "2.24.3", "cves": ["CVE-2021-44228"], "cvss": 10.0 },
        { "id": "t1", "type": "application_attacked", "application": "Shop", "rule": "sql-injection",
          "outcome": "blocked", "source_ip": "203.0.113.9", "route": "POST /login" },
        { "id": "n1", "type": "new_asset", "application": "Billing", "asset": "application", "language": "python" },
    ] });
    let received = reported(&s, &key, &body).await;
    assert_eq!(received.results.len(), 6);
    assert!(received.results.iter().all(|r| r.outcome == EventOutcome::Stored));
    let shop = received.results[0].stored.application_id;
    assert!(received.results[..5].iter().all(|r| r.stored.application_id == shop));
    assert!(received.results[0].stored.vulnerability_id.is_some());
    assert_eq!(
        received.results[2].stored.vulnerability_id, None,
        "a comment is no vulnerability"
    );
    assert_eq!(received.results[0].stored.reported_by, "agent key prod agent");

    // The applications were made on first report, in the key's environment, with their language.
    let apps = applications(&s, &admin).await;
    let names: Vec<(&str, &str, &str)> = apps
        .iter()
        .map(|a| (a.name.as_str(), a.language.as_str(), a.environment.as_str()))
        .collect();
    assert_eq!(
        names,
        [("Billing", "python", "production"), ("Shop", "java", "production")]
    );
    assert!(
        apps.iter().all(|a| !a.licensed),
        "the organization does not license new applications"
    );

    let list = vulnerabilities(&s, &admin, shop, "").await;
    assert_eq!(list.next_cursor, None);
    let v: Vec<(&str, Severity, VulnerabilityStatus)> = list
        .items
        .iter()
        .map(|v| (v.title.as_str(), v.severity, v.status))
        .collect();
    assert_eq!(
        v,
        [
            (
                "SQL injection in login",
                Severity::Critical,
                VulnerabilityStatus::Reported
            ),
            ("Reflected XSS", Severity::Medium, VulnerabilityStatus::Reported),
        ]
    );
    assert_eq!(list.items[0].found_at, found, "found when the agent says it happened");
    assert_eq!(list.items[1].found_at, start_time(), "else when it was received");
    assert_eq!(list.items[0].event_id, "v1");
    assert_eq!(list.items[0].route.as_deref(), Some("POST /login"));
    assert_eq!(Some(list.items[0].id), received.results[0].stored.vulnerability_id);

    // Paged by cursor.
    let first = vulnerabilities(&s, &admin, shop, "?limit=1").await;
    assert_eq!(first.items.len(), 1);
    let cursor = first.next_cursor.clone().unwrap();
    let second = vulnerabilities(&s, &admin, shop, &format!("?limit=1&cursor={cursor}")).await;
    assert_eq!(second.items[0].title, "Reflected XSS");
    assert_eq!(second.next_cursor, None);
    let resp = s
        .get(&routes::application_vulnerabilities(Uuid::now_v7()), &admin)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Each stored event and each new application is in the audit log (what the live updates read),
    // by the key, about its application.
    let audit = s.audit(&admin).await;
    let of = |action: &str| audit.iter().filter(|e| e.action == action).count();
    assert_eq!(of("application.create"), 2);
    for action in [
        "agent_event.new_vulnerability",
        "agent_event.new_comment",
        "agent_event.vulnerable_library",
        "agent_event.application_attacked",
        "agent_event.new_asset",
    ] {
        assert!(of(action) >= 1, "{action}");
    }
    let entry = audit
        .iter()
        .find(|e| e.action == "agent_event.vulnerable_library")
        .unwrap();
    assert_eq!(entry.target.kind, "application");
    assert_eq!(entry.target.id, shop.to_string());
    assert_eq!(entry.actor.email, "agent key prod agent");
    assert!(entry.summary.contains("CVE-2021-44228"), "{}", entry.summary);

    // The key's last use is recorded.
    let (_, keys) = list_keys(&s, &admin).await;
    assert_eq!(keys[0].last_used_at, Some(start_time()));
    s.handle.shutdown().await;
}

#[tokio::test]
async fn new_applications_take_an_assess_license_when_the_organization_says_so() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let general = s.general(&admin).await;
    let mut doc = general["value"].clone();
    doc["auto_license_new_applications"] = json!(true);
    let resp = s.put_general(&admin, general["version"].as_i64(), &doc).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    // The operator bought one assess license (written beside the running server, as the demo's are).
    let expires = jiff::civil::date(2027, 12, 31);
    let now = s.clock.now();
    s.sql_write(|c| {
        Ok(ops::insert_license(
            c,
            s.org.org_id,
            LicenseKind::Assess,
            1,
            expires,
            now,
        )?)
    });
    let key = make_key(&s, &admin, json!({ "name": "agent" }))
        .await
        .key
        .expose()
        .to_owned();
    reported(
        &s,
        &key,
        &json!({ "events": [vulnerability("a", "First", "XSS", "low"), vulnerability("b", "Second", "XSS", "low")] }),
    )
    .await;
    let licensed: Vec<(String, bool)> = applications(&s, &admin)
        .await
        .into_iter()
        .map(|a| (a.name, a.licensed))
        .collect();
    assert_eq!(
        licensed,
        [("First".to_owned(), true), ("Second".to_owned(), false)],
        "one license, so the second application goes without"
    );
    s.handle.shutdown().await;
}

#[tokio::test]
async fn consoles_hear_of_reported_events_at_once_without_their_content() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "agent" }))
        .await
        .key
        .expose()
        .to_owned();
    let mut stream = s.get(routes::EVENTS_STREAM, &admin).await;
    assert_eq!(stream.status(), StatusCode::OK);
    let received = reported(
        &s,
        &key,
        &json!({ "events": [vulnerability("s1", "Shop", "Secret-looking title", "high")] }),
    )
    .await;
    let app = received.results[0].stored.application_id.to_string();
    let mut text = String::new();
    while !text.contains("agent_event.new_vulnerability") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
            .await
            .expect("a change within 10 s")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    let changes: Vec<orgdeck_shared::events::ChangeEvent> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| serde_json::from_str(d.trim()).unwrap())
        .collect();
    let kinds: Vec<(&str, &str, &str)> = changes
        .iter()
        .map(|c| (c.kind.as_str(), c.area.as_str(), c.id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("application.create", "application", app.as_str()),
            ("agent_event.new_vulnerability", "application", app.as_str()),
        ]
    );
    assert!(changes.iter().all(|c| c.actor == "agent key agent"));
    assert!(!text.contains("Secret-looking"), "no event body in the stream: {text}");
    s.handle.shutdown().await;
}

#[tokio::test]
async fn applications_count_their_open_vulnerabilities_by_severity() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = make_key(&s, &admin, json!({ "name": "counting" })).await;
    let events = [
        vulnerability("c1", "Ledger", "Finding c1", "critical"),
        vulnerability("h1", "Ledger", "Finding h1", "high"),
        vulnerability("h2", "Ledger", "Finding h2", "high"),
        vulnerability("n1", "Ledger", "Finding n1", "note"),
        vulnerability("a1", "Shop", "One", "low"),
    ];
    reported(&s, key.key.expose(), &json!({ "events": events })).await;
    let apps = applications(&s, &admin).await;
    let ledger = apps.iter().find(|a| a.name == "Ledger").unwrap();
    let c = ledger.open_vulnerabilities;
    assert_eq!((c.critical, c.high, c.medium, c.low, c.note), (1, 2, 0, 0, 1));
    let shop = apps.iter().find(|a| a.name == "Shop").unwrap();
    assert_eq!(shop.open_vulnerabilities.low, 1);
    // What the custom-code score makes of them: 100 − 20 − 2·10 = 60.
    let settings = orgdeck_shared::scores::ScoreSettings::default();
    assert_eq!(orgdeck_shared::scores::code_score(&c, &settings.weights), 60.0);
}
