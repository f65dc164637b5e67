//! Channel deliveries over real HTTP, to receivers on loopback: an agent's event reaches each channel the
//! notification settings name, in that service's format (webhook signed with a stable `webhook-id`);
//! failures are retried on the schedule and after `Retry-After`; a dead destination fails at once; five
//! failed deliveries in a row disable the integration and tell the admins (inbox, mail, other channels);
//! the delivery log and Redeliver; another organization sees none of it.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::{mail::outbox, receivers::*, *};
use jiff::SignedDuration;
use orgdeck_shared::{
    Page, Versioned,
    agents::NewAgentKey,
    auth::OrgRole,
    inbox::InboxPage,
    integrations::{Delivery, DeliveryStatus, Integration, IntegrationCreated, IntegrationStatus},
    notifications::NotificationSettings,
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(15);

/// A server whose integrations may reach loopback, whose worker looks at the outbox often (the test clock
/// only moves when the test moves it) and whose waits have no jitter.
async fn server() -> (TestServer, String) {
    let s = TestServer::start_with(|c| {
        c.outbound.allow_private_targets = true;
        c.delivery.poll = Duration::from_millis(20);
        c.delivery.jitter = 0.0;
    })
    .await;
    let token = s.admin_token().await;
    (s, token)
}

async fn create(s: &TestServer, token: &str, body: &Value) -> IntegrationCreated {
    let resp = s.post(routes::INTEGRATIONS, token, body).await;
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// `POST integrations`, expecting 201: the new integration's id.
async fn create_id(s: &TestServer, token: &str, body: &Value) -> Uuid {
    create(s, token, body).await.integration.id
}

async fn agent_key(s: &TestServer, admin: &str) -> String {
    let resp = s
        .post(routes::AGENT_KEYS, admin, &json!({ "name": "delivery-agent" }))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let made: NewAgentKey = resp.json().await.unwrap();
    made.key.expose().to_owned()
}

/// Sends the channels `ids` the organization's `event` notifications.
async fn route_to(s: &TestServer, admin: &str, event: &str, ids: &[Uuid]) {
    let event = orgdeck_shared::notifications::EventType::parse(event).unwrap();
    change_notification_defaults(s, admin, |d| d.rule_mut(event).channels = ids.to_vec()).await;
}

async fn vulnerability(s: &TestServer, key: &str, id: &str, title: &str) {
    let body = json!({
        "environment": "production",
        "events": [{
            "id": id, "type": "new_vulnerability", "application": "Shop", "title": title,
            "severity": "high", "rule": "sql-injection",
        }],
    });
    let resp = s.post(routes::AGENT_EVENTS, key, &body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
}

/// A webhook "Hook" to `receiver` that the defaults send new vulnerabilities to, and an agent key to
/// report them: the integration's id and the key.
async fn hook_for_vulnerabilities(s: &TestServer, admin: &str, receiver: &Receiver) -> (Uuid, String) {
    let id = create_id(
        s,
        admin,
        &json!({ "name": "Hook", "settings": { "type": "webhook", "url": receiver.url("/in") } }),
    )
    .await;
    route_to(s, admin, "new_vulnerability", &[id]).await;
    (id, agent_key(s, admin).await)
}

/// Waits until `receiver` got `n` requests; returns them.
async fn wait_for(receiver: &Receiver, n: usize) -> Vec<Received> {
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let got = receiver.requests();
        if got.len() >= n {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < end,
            "{n} request(s) expected, {} arrived",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Gives the worker time to act (several of its polls), then says how many requests `receiver` got.
async fn settled(receiver: &Receiver) -> usize {
    tokio::time::sleep(Duration::from_millis(300)).await;
    receiver.requests().len()
}

fn deliveries_path(id: Uuid) -> String {
    routes::INTEGRATION_DELIVERIES.replace("{id}", &id.to_string())
}

fn redeliver_path(id: Uuid, delivery: Uuid) -> String {
    routes::INTEGRATION_REDELIVER
        .replace("{id}", &id.to_string())
        .replace("{delivery_id}", &delivery.to_string())
}

async fn log(s: &TestServer, token: &str, id: Uuid) -> Vec<Delivery> {
    let resp = s.get(&deliveries_path(id), token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json::<Page<Delivery>>().await.unwrap().items
}

/// Waits until the newest delivery of `id` is `status`; returns it.
async fn wait_for_status(s: &TestServer, token: &str, id: Uuid, status: DeliveryStatus) -> Delivery {
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let items = log(s, token, id).await;
        if let Some(d) = items.first().filter(|d| d.status == status) {
            return d.clone();
        }
        assert!(tokio::time::Instant::now() < end, "no {status:?} delivery: {items:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until the newest delivery of `id` has `n` attempts recorded; returns it.
async fn wait_for_attempts(s: &TestServer, token: &str, id: Uuid, n: usize) -> Delivery {
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let items = log(s, token, id).await;
        if let Some(d) = items.first().filter(|d| d.attempts.len() == n) {
            return d.clone();
        }
        assert!(
            tokio::time::Instant::now() < end,
            "no delivery with {n} attempts: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_agent_event_reaches_each_channel_in_its_own_format_and_the_webhook_is_signed() {
    let (s, admin) = server().await;
    let hook = Receiver::start(|_: &Received| Reply::empty(204)).await;
    let slack = Receiver::start(|_: &Received| Reply::text(200, "ok")).await;
    let teams = Receiver::start(|_: &Received| Reply::empty(202)).await;
    let silent = Receiver::start(|_: &Received| Reply::empty(204)).await;
    let webhook = create(
        &s,
        &admin,
        &json!({ "name": "SIEM", "settings": { "type": "webhook", "url": hook.url("/in") }, "sign": true }),
    )
    .await;
    let secret = webhook.signing_secret.clone().unwrap().expose().to_owned();
    let slack_id = create_id(&s, &admin, &json!({ "name": "Alerts", "settings": { "type": "slack" }, "secrets": { "url": slack.url("/services/T/B/x") } })).await;
    let teams_id = create_id(
        &s,
        &admin,
        &json!({ "name": "Team", "settings": { "type": "teams" }, "secrets": { "url": teams.url("/workflows/x") } }),
    )
    .await;
    // A channel no event type names hears nothing.
    create(
        &s,
        &admin,
        &json!({ "name": "Quiet", "settings": { "type": "webhook", "url": silent.url("/q") } }),
    )
    .await;
    let hook_id = webhook.integration.id;
    route_to(&s, &admin, "new_vulnerability", &[hook_id, slack_id, teams_id]).await;
    let key = agent_key(&s, &admin).await;
    vulnerability(&s, &key, "ev-1", "SQL injection in <login> & search").await;

    let sent = &wait_for(&hook, 1).await[0];
    assert!(
        verify_standard_webhook(&secret, sent),
        "the receiver verifies the signature"
    );
    let body = sent.json();
    assert_eq!(body["type"], "new_vulnerability");
    assert_eq!(
        body["data"]["title"],
        "High vulnerability in Shop: SQL injection in <login> & search"
    );
    assert_eq!(body["data"]["application"]["name"], "Shop");
    assert_eq!(body["data"]["severity"], "high");
    assert!(body["data"]["vulnerability_id"].is_string());
    let message_id = sent.header("webhook-id").unwrap().to_owned();

    let posted = wait_for(&slack, 1).await[0].json();
    // Slack's mrkdwn escapes what people typed; the header block is plain text.
    assert_eq!(
        posted["text"],
        "High vulnerability in Shop: SQL injection in &lt;login&gt; &amp; search"
    );
    assert_eq!(posted["blocks"][0]["type"], "header");
    assert!(
        posted["blocks"][2]["elements"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Shop")
    );
    let card = wait_for(&teams, 1).await[0].json();
    assert_eq!(card["attachments"][0]["content"]["type"], "AdaptiveCard");
    assert_eq!(settled(&silent).await, 0);

    let delivered = wait_for_status(&s, &admin, hook_id, DeliveryStatus::Delivered).await;
    assert_eq!(delivered.message_id, message_id);
    assert_eq!(delivered.attempts.len(), 1);
    assert_eq!(delivered.attempts[0].status, Some(204));
    assert!(delivered.next_attempt_at.is_none());
    wait_for_status(&s, &admin, slack_id, DeliveryStatus::Delivered).await;
    wait_for_status(&s, &admin, teams_id, DeliveryStatus::Delivered).await;
    // The same event again (an agent retrying) is not delivered twice.
    vulnerability(&s, &key, "ev-1", "SQL injection in <login> & search").await;
    assert_eq!(settled(&hook).await, 1);
    assert_eq!(log(&s, &admin, hook_id).await.len(), 1);
}

#[tokio::test]
async fn failures_are_retried_on_the_schedule_after_retry_after_and_a_redelivery_keeps_the_webhook_id() {
    let (s, admin) = server().await;
    // The first answer asks to come back in 30 s, the second fails, the rest succeed.
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let hook = Receiver::start(move |_: &Received| match seen.fetch_add(1, Ordering::SeqCst) {
        0 => Reply::text(429, "slow down").header("retry-after", "30"),
        1 => Reply::json(500, json!({ "error": "flaky" })),
        _ => Reply::empty(200),
    })
    .await;
    let (id, key) = hook_for_vulnerabilities(&s, &admin, &hook).await;
    vulnerability(&s, &key, "ev-1", "XSS").await;
    wait_for(&hook, 1).await;
    let retrying = wait_for_status(&s, &admin, id, DeliveryStatus::Retrying).await;
    assert_eq!(retrying.attempts[0].status, Some(429));
    assert_eq!(retrying.attempts[0].message, "slow down");
    // The schedule's first wait is 5 s; the receiver asked for 30.
    let due = retrying.next_attempt_at.unwrap();
    assert_eq!(
        due,
        orgdeck_server::Clock::now(&s.clock) + SignedDuration::from_secs(30)
    );
    s.clock.advance(SignedDuration::from_secs(29));
    assert_eq!(settled(&hook).await, 1, "not before its time");
    s.clock.advance(SignedDuration::from_secs(1));
    wait_for(&hook, 2).await;
    let again = wait_for_attempts(&s, &admin, id, 2).await;
    assert_eq!(again.status, DeliveryStatus::Retrying);
    assert_eq!(again.attempts[1].status, Some(500));
    assert_eq!(
        again.next_attempt_at.unwrap(),
        orgdeck_server::Clock::now(&s.clock) + SignedDuration::from_mins(5),
        "the second wait is 5 minutes"
    );
    s.clock.advance(SignedDuration::from_mins(5));
    let requests = wait_for(&hook, 3).await;
    let delivered = wait_for_status(&s, &admin, id, DeliveryStatus::Delivered).await;
    assert_eq!(delivered.attempts.len(), 3);
    let ids: Vec<&str> = requests.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    assert!(ids.iter().all(|i| *i == delivered.message_id), "{ids:?}");

    // Redeliver: an attempt now with the same id, audited; an open delivery cannot be redelivered.
    let resp = s
        .send(Method::POST, &redeliver_path(id, delivered.id), &admin, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED, "{}", resp.text().await.unwrap());
    let requests = wait_for(&hook, 4).await;
    assert_eq!(requests[3].header("webhook-id"), Some(delivered.message_id.as_str()));
    let redelivered = wait_for_attempts(&s, &admin, id, 4).await;
    assert_eq!(redelivered.status, DeliveryStatus::Delivered);
    let audit = s.audit(&admin).await;
    assert!(audit.iter().any(|e| e.action == "integration.redeliver"));
}

#[tokio::test]
async fn exhausted_attempts_fail_the_delivery_and_count_against_the_integration() {
    let (s, admin) = server().await;
    // Always busy, asking for 1 s (shorter than every wait of the schedule, which then wins).
    let slack = Receiver::start(|_: &Received| Reply::text(429, "rate_limited").header("retry-after", "1")).await;
    let id = create_id(
        &s,
        &admin,
        &json!({ "name": "Alerts", "settings": { "type": "slack" }, "secrets": { "url": slack.url("/services/x") } }),
    )
    .await;
    route_to(&s, &admin, "new_vulnerability", &[id]).await;
    let key = agent_key(&s, &admin).await;
    vulnerability(&s, &key, "ev-1", "XSS").await;
    let waits = [5, 5 * 60, 30 * 60, 2 * 60 * 60];
    let mut admin = admin;
    for (i, wait) in waits.iter().enumerate() {
        wait_for(&slack, i + 1).await;
        let retrying = wait_for_attempts(&s, &admin, id, i + 1).await;
        assert_eq!(retrying.status, DeliveryStatus::Retrying);
        assert_eq!(
            retrying.next_attempt_at.unwrap(),
            orgdeck_server::Clock::now(&s.clock) + SignedDuration::from_secs(*wait)
        );
        s.clock.advance(SignedDuration::from_secs(*wait));
        // Hours pass: the session times out, so the admin logs in again.
        admin = s.admin_token().await;
    }
    wait_for(&slack, 5).await;
    let failed = wait_for_status(&s, &admin, id, DeliveryStatus::Failed).await;
    assert_eq!(failed.attempts.len(), 5);
    s.clock.advance(SignedDuration::from_hours(24));
    assert_eq!(settled(&slack).await, 5, "five attempts in all");
    let admin = s.admin_token().await;
    let integration: Integration = s
        .get(&routes::INTEGRATION.replace("{id}", &id.to_string()), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(integration.failures, 1);
    assert_eq!(integration.status, IntegrationStatus::Active);
}

#[tokio::test]
async fn a_dead_destination_fails_at_once_and_five_failures_disable_the_integration_and_tell_the_admins() {
    let (s, admin) = server().await;
    let gone = Receiver::start(|_: &Received| Reply::text(404, "no_service")).await;
    let ops = Receiver::start(|_: &Received| Reply::empty(204)).await;
    let dead_id = create_id(
        &s,
        &admin,
        &json!({ "name": "Old Slack", "settings": { "type": "slack" }, "secrets": { "url": gone.url("/services/x") } }),
    )
    .await;
    let ops_id = create_id(
        &s,
        &admin,
        &json!({ "name": "Ops hook", "settings": { "type": "webhook", "url": ops.url("/ops") } }),
    )
    .await;
    route_to(&s, &admin, "new_vulnerability", &[dead_id]).await;
    route_to(&s, &admin, "integration_disabled", &[dead_id, ops_id]).await;
    let key = agent_key(&s, &admin).await;
    for i in 1..=4 {
        vulnerability(&s, &key, &format!("ev-{i}"), &format!("Finding {i}")).await;
        wait_for(&gone, i).await;
    }
    let first = wait_for_status(&s, &admin, dead_id, DeliveryStatus::Failed).await;
    assert_eq!(first.attempts.len(), 1, "a dead destination is not retried");
    assert_eq!(first.attempts[0].message, "no_service");
    vulnerability(&s, &key, "ev-5", "Finding 5").await;
    wait_for(&gone, 5).await;

    // Disabled with its reason and audited; the admins get an inbox entry, a mail, and the other channel
    // named for integration_disabled a message (the disabled one none).
    let ops_sent = wait_for(&ops, 1).await;
    assert_eq!(ops_sent[0].json()["type"], "integration_disabled");
    assert_eq!(ops_sent[0].json()["data"]["integration"]["name"], "Old Slack");
    let integration: Integration = s
        .get(&routes::INTEGRATION.replace("{id}", &dead_id.to_string()), &admin)
        .await
        .json()
        .await
        .unwrap();
    let IntegrationStatus::Disabled { reason, .. } = &integration.status else {
        panic!("{:?}", integration.status)
    };
    assert!(
        reason.contains("5 deliveries in a row failed") && reason.contains("the last: HTTP 404: no_service"),
        "{reason}"
    );
    let audit = s.audit(&admin).await;
    assert!(audit.iter().any(|e| e.action == "integration.disabled"));
    let inbox: InboxPage = s.get(routes::INBOX, &admin).await.json().await.unwrap();
    assert_eq!(inbox.items[0].title, "Integration Old Slack disabled");
    let mails = common::mail::wait_for_outbox(s.dir.path(), 1).await;
    assert!(
        mails.iter().any(
            |m| m.contains("Subject: [orgdeck] Integration Old Slack disabled") && m.contains("admin@acme.example")
        ),
        "{mails:?}"
    );
    assert_eq!(settled(&gone).await, 5, "no message about its own disabling");

    // A disabled channel gets nothing more, and cannot be redelivered to until a Test succeeds.
    vulnerability(&s, &key, "ev-6", "Finding 6").await;
    assert_eq!(settled(&gone).await, 5);
    let resp = s
        .send(Method::POST, &redeliver_path(dead_id, first.id), &admin, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    assert!(resp.text().await.unwrap().contains("Test"));
}

#[tokio::test]
async fn the_delivery_log_is_for_admins_of_its_organization_only() {
    let (s, admin) = server().await;
    let hook = Receiver::start(|_: &Received| Reply::empty(204)).await;
    let (id, key) = hook_for_vulnerabilities(&s, &admin, &hook).await;
    for i in 0..3 {
        vulnerability(&s, &key, &format!("ev-{i}"), &format!("Finding {i}")).await;
    }
    wait_for(&hook, 3).await;
    let page: Page<Delivery> = s
        .get(&format!("{}?limit=2", deliveries_path(id)), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(
        page.items[0].title, "High vulnerability in Shop: Finding 2",
        "newest first"
    );
    let cursor = page.next_cursor.unwrap();
    let rest: Page<Delivery> = s
        .get(&format!("{}?cursor={cursor}", deliveries_path(id)), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(rest.next_cursor.is_none());
    let resp = s.get(&format!("{}?limit=1000", deliveries_path(id)), &admin).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);

    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    assert_eq!(
        s.get(&deliveries_path(id), &viewer).await.status(),
        StatusCode::FORBIDDEN
    );
    let delivery = page.items[0].id;
    let resp = s
        .send(Method::POST, &redeliver_path(id, delivery), &viewer, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    s.add_org("Globex", "admin@globex.example");
    let other = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    assert_eq!(
        s.get(&deliveries_path(id), &other).await.status(),
        StatusCode::NOT_FOUND
    );
    let resp = s
        .send(Method::POST, &redeliver_path(id, delivery), &other, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // A delivery id under another integration is not found either.
    let resp = s
        .send(
            Method::POST,
            &redeliver_path(Uuid::now_v7(), delivery),
            &admin,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(settled(&hook).await, 3);
    let _ = outbox(s.dir.path());
}

#[tokio::test]
async fn the_defaults_name_only_the_organizations_channels_and_a_deleted_channel_leaves_them() {
    let (s, admin) = server().await;
    let hook = Receiver::start(|_: &Received| Reply::empty(204)).await;
    let id = create_id(
        &s,
        &admin,
        &json!({ "name": "Hook", "settings": { "type": "webhook", "url": hook.url("/in") } }),
    )
    .await;
    let jira = create(
        &s,
        &admin,
        &json!({ "name": "Tracker", "settings": { "type": "jira", "url": "https://acme.atlassian.net", "auth": "basic",
                  "user": "bot@acme.example", "project_key": "SEC" }, "secrets": { "token": "jira-token-123" } }),
    )
    .await
    .integration
    .id;
    s.add_org("Globex", "admin@globex.example");
    let other = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    let theirs = create_id(
        &s,
        &other,
        &json!({ "name": "Their hook", "settings": { "type": "webhook", "url": hook.url("/theirs") } }),
    )
    .await;

    let doc: Versioned<NotificationSettings> = s
        .get(&routes::settings("notifications"), &admin)
        .await
        .json()
        .await
        .unwrap();
    let mut value = serde_json::to_value(&doc.value).unwrap();
    value["new_vulnerability"]["channels"] = json!([id, theirs]);
    value["server_offline"]["channels"] = json!([jira]);
    let resp = s
        .send(
            Method::PUT,
            &routes::settings("notifications"),
            &admin,
            Some(&value),
            Some(doc.version),
        )
        .await;
    let err: orgdeck_shared::ApiError = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<(&str, &str)> = err
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.message.as_str()))
        .collect();
    assert_eq!(fields.len(), 2, "{fields:?}");
    assert_eq!(fields[0].0, "new_vulnerability.channels");
    assert!(fields[0].1.contains(&theirs.to_string()), "{fields:?}");
    assert_eq!(
        fields[1],
        ("server_offline.channels", "Tracker is a bug tracker, not a channel")
    );

    route_to(&s, &admin, "new_vulnerability", &[id]).await;
    route_to(&s, &admin, "application_attacked", &[id]).await;
    let resp = s
        .send(
            Method::DELETE,
            &routes::INTEGRATION.replace("{id}", &id.to_string()),
            &admin,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let doc: Versioned<NotificationSettings> = s
        .get(&routes::settings("notifications"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(doc.value.new_vulnerability.channels.is_empty());
    assert!(doc.value.application_attacked.channels.is_empty());
    let audit = s.audit(&admin).await;
    let deleted = audit.iter().find(|e| e.action == "integration.delete").unwrap();
    assert!(
        deleted
            .summary
            .contains("no longer a channel of new_vulnerability, application_attacked"),
        "{}",
        deleted.summary
    );
}

#[tokio::test]
async fn an_attack_is_mailed_through_smtp_to_the_users_who_want_it_by_email() {
    use common::mail::{SmtpReceiver, header, smtp_to};
    let receiver = SmtpReceiver::start().await;
    let s = TestServer::start_with(smtp_to(receiver.addr, None)).await;
    let admin = s.admin_token().await;
    s.add_user("viewer@acme.example", OrgRole::View);
    // One more admin, who chose not to get attacks by email.
    s.add_user("quiet@acme.example", OrgRole::Admin);
    let quiet = s.login("quiet@acme.example", USER_PASSWORD).await;
    let mine: Value = s.get(routes::ME_NOTIFICATIONS, &quiet).await.json().await.unwrap();
    let resp = s
        .send(
            Method::PUT,
            routes::ME_NOTIFICATIONS,
            &quiet,
            Some(&json!({ "choices": { "application_attacked": { "email": false } } })),
            mine["version"].as_i64(),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());

    let key = agent_key(&s, &admin).await;
    let body = json!({ "environment": "production", "events": [{
        "id": "attack-1", "type": "application_attacked", "application": "Shop", "rule": "sql-injection",
        "outcome": "blocked", "source_ip": "203.0.113.9",
    }]});
    let resp = s.post(routes::AGENT_EVENTS, &key, &body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Email is on by default for attacks: the admin and the viewer (whose role sees every application)
    // get one each; the other admin said no.
    receiver.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut got_all = receiver.wait_for(2).await;
    got_all.sort_by(|a, b| a.to.cmp(&b.to));
    let to: Vec<&str> = got_all.iter().map(|m| m.to[0].as_str()).collect();
    assert_eq!(to, ["admin@acme.example", "viewer@acme.example"]);
    assert_eq!(
        header(&got_all[0].data, "Subject"),
        Some("[orgdeck] Shop attacked: sql-injection from 203.0.113.9 (blocked)")
    );
    assert!(got_all[0].data.contains("Application: Shop"), "{}", got_all[0].data);
}

#[tokio::test]
async fn the_log_keeps_three_days_and_at_least_the_newest_deliveries() {
    let (s, admin) = server().await;
    let hook = Receiver::start(|_: &Received| Reply::empty(204)).await;
    let (id, key) = hook_for_vulnerabilities(&s, &admin, &hook).await;
    for i in 0..4 {
        vulnerability(&s, &key, &format!("old-{i}"), &format!("Old {i}")).await;
    }
    wait_for(&hook, 4).await;
    wait_for_status(&s, &admin, id, DeliveryStatus::Delivered).await;
    // Four days later, with a log that keeps at least 2 per channel: the restart prunes the two oldest.
    s.clock.advance(SignedDuration::from_hours(96));
    let s = s
        .restart(|c| {
            c.outbound.allow_private_targets = true;
            c.delivery.poll = Duration::from_millis(20);
            c.delivery.keep = 2;
        })
        .await;
    let admin = s.admin_token().await;
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let titles: Vec<String> = log(&s, &admin, id).await.into_iter().map(|d| d.title).collect();
        if titles.len() == 2 {
            assert_eq!(
                titles,
                ["High vulnerability in Shop: Old 3", "High vulnerability in Shop: Old 2"]
            );
            break;
        }
        assert!(tokio::time::Instant::now() < end, "{titles:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
