//! The Integrations tab driven by messages: adding one of each kind's form, secrets write-only, the
//! server's field errors under their fields, a real Test's answer shown, a webhook's signing secret shown
//! once, removal asked first.

mod common;

use std::collections::BTreeMap;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, tabs::IntegrationsTab};
use orgdeck_shared::{
    ApiError, ErrorCode, FieldError, Page,
    auth::Secret,
    integrations::{
        Applications, Delivery, DeliveryAttempt, DeliveryStatus, Integration, IntegrationCreated, IntegrationKind,
        IntegrationSettings, IntegrationStatus, NewIntegration, NewSigningSecret, TestOutcome, WebhookSettings,
        endpoints as ep,
    },
    notifications::EventType,
};
use uuid::Uuid;

fn integrations_app(items: Vec<Integration>) -> App {
    let mut app = logged_in();
    let cmds = send(&mut app, [ch(':')]);
    assert!(cmds.is_empty());
    send(
        &mut app,
        [ch('i'), ch('n'), ch('t'), ch('e'), ch('g'), key(KeyCode::Enter)],
    );
    assert_eq!(app.active_tab().title(), "Integrations");
    let cmds = send(&mut app, [ch('r')]);
    app.update(reply::<ep::List>(call_of::<ep::List>(&cmds), Ok(items)));
    app
}

fn tab(app: &App) -> &IntegrationsTab {
    app.tab::<IntegrationsTab>().expect("an Integrations tab")
}

fn webhook(id: u128, name: &str) -> Integration {
    Integration {
        id: Uuid::from_u128(id),
        name: name.into(),
        kind: IntegrationKind::Webhook,
        enabled: true,
        applications: Applications::All,
        settings: IntegrationSettings::Webhook(WebhookSettings {
            url: "https://hooks.acme.test/orgdeck".into(),
            payload_template: None,
        }),
        secrets: [("signing_secret".to_owned(), true)].into_iter().collect(),
        target: "hooks.acme.test".into(),
        status: IntegrationStatus::Active,
        failures: 0,
        created_at: jiff::Timestamp::UNIX_EPOCH,
        updated_at: jiff::Timestamp::UNIX_EPOCH,
        version: 2,
    }
}

/// Chooses `kind` in the kind list that `a` opens.
fn add_kind(app: &mut App, kind: IntegrationKind) {
    send(app, [ch('a')]);
    let i = IntegrationKind::ALL.iter().position(|k| *k == kind).unwrap();
    send(app, (0..i).map(|_| key(KeyCode::Down)));
    send(app, [key(KeyCode::Enter)]);
}

/// Types `text` into the focused field (Enter edits, Enter ends).
fn fill(app: &mut App, text: &str) {
    send(app, [key(KeyCode::Enter)]);
    type_text(app, text);
    send(app, [key(KeyCode::Enter)]);
}

#[test]
fn an_empty_list_says_what_integrations_are_and_how_to_add_one() {
    let app = integrations_app(Vec::new());
    let text = screen(&app, 80, 24);
    assert!(text.contains("No integrations yet. a adds one"), "{text}");
}

#[test]
fn adding_a_slack_channel_sends_its_secret_url_once_and_never_shows_it() {
    let mut app = integrations_app(Vec::new());
    add_kind(&mut app, IntegrationKind::Slack);
    let text = screen(&app, 80, 24);
    assert!(text.contains("Add Slack") && text.contains("Webhook URL"), "{text}");
    fill(&mut app, "Security alerts");
    // Name, Enabled, then the secret URL.
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    fill(&mut app, "https://hooks.slack.com/services/T0/B0/sekrit");
    assert!(!screen(&app, 80, 24).contains("sekrit"), "the secret is masked");
    let cmds = send(&mut app, [ctrl('s')]);
    let body: NewIntegration = only_body::<ep::Create, _>(&cmds);
    assert_eq!(body.name, "Security alerts");
    assert_eq!(body.settings, IntegrationSettings::Slack);
    assert_eq!(
        body.secrets.get("url").map(Secret::expose),
        Some("https://hooks.slack.com/services/T0/B0/sekrit")
    );
    // The server refuses the URL (it resolves to a private address): said under the field.
    let mut refused = ApiError::new(ErrorCode::ValidationFailed, "invalid integration");
    refused.fields = vec![FieldError::new(
        "secrets.url",
        "resolves to 10.0.0.5, a private address",
    )];
    app.update(reply::<ep::Create>(call_of::<ep::Create>(&cmds), Err(refused)));
    let text = screen(&app, 80, 24);
    assert!(text.contains("resolves to 10.0.0.5"), "{text}");
    assert!(app.is_dirty(), "what was typed stays");
}

#[test]
fn test_shows_the_remote_answer_and_what_was_detected() {
    let hook = webhook(1, "Deploy hook");
    let mut app = integrations_app(vec![hook.clone()]);
    let cmds = send(&mut app, [ch('t')]);
    let test = call_of::<ep::Test>(&cmds);
    assert_eq!(test.path, format!("/api/v1/integrations/{}/test", hook.id));
    assert!(screen(&app, 80, 24).contains("testing…"));
    let outcome = TestOutcome {
        ok: false,
        status: Some(410),
        message: "the receiver answered 410 Gone".into(),
        detected: BTreeMap::new(),
    };
    let cmds = app.update(reply::<ep::Test>(test, Ok(outcome)));
    assert!(sends::<ep::List>(&cmds), "the list is read again");
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Test of Deploy hook") && text.contains("HTTP 410"),
        "{text}"
    );
    assert!(text.contains("410 Gone"), "{text}");
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app, 80, 24).contains("Last test: failed (HTTP 410)"));
}

#[test]
fn a_new_signing_secret_asks_first_and_is_shown_once_with_copy() {
    let hook = webhook(1, "Deploy hook");
    let mut app = integrations_app(vec![hook.clone()]);
    let cmds = send(&mut app, [ch('S')]);
    assert!(requests(&cmds).is_empty(), "asks first");
    assert!(app.dialog.is_some());
    let cmds = send(&mut app, [ch('y')]);
    let call = call_of::<ep::SigningSecret>(&cmds);
    let secret = Secret::new("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    app.update(reply::<ep::SigningSecret>(
        call,
        Ok(NewSigningSecret {
            signing_secret: secret.clone(),
        }),
    ));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD") && text.contains("Shown only now"),
        "{text}"
    );
    let cmds = send(&mut app, [ch('c')]);
    assert!(
        cmds.iter().any(|c| matches!(c, Command::Copy(s) if *s == secret)),
        "{cmds:?}"
    );
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(!screen(&app, 80, 24).contains("whsec_"), "gone once closed");
}

#[test]
fn a_webhook_made_with_signing_shows_its_secret_once() {
    let mut app = integrations_app(Vec::new());
    add_kind(&mut app, IntegrationKind::Webhook);
    fill(&mut app, "Deploy hook");
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    fill(&mut app, "https://hooks.acme.test/orgdeck");
    // URL, template, then "Sign requests".
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ctrl('s')]);
    let body: NewIntegration = only_body::<ep::Create, _>(&cmds);
    assert!(body.sign);
    assert!(body.secrets.is_empty(), "the server makes the secret");
    let created = IntegrationCreated {
        integration: webhook(9, "Deploy hook"),
        signing_secret: Some(Secret::new("whsec_made_by_the_server")),
    };
    app.update(reply::<ep::Create>(call_of::<ep::Create>(&cmds), Ok(created)));
    let text = screen(&app, 80, 24);
    assert!(text.contains("whsec_made_by_the_server"), "{text}");
    assert_eq!(tab(&app).items().len(), 1);
}

#[test]
fn removing_asks_naming_it_and_where_it_sends() {
    let hook = webhook(1, "Deploy hook");
    let mut app = integrations_app(vec![hook.clone()]);
    let cmds = send(&mut app, [ch('d')]);
    assert!(requests(&cmds).is_empty());
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Remove Deploy hook") && text.contains("hooks.acme.test"),
        "{text}"
    );
    let cmds = send(&mut app, [ch('y')]);
    let del = call_of::<ep::Delete>(&cmds);
    assert_eq!(del.if_match, Some(2));
    app.update(reply::<ep::Delete>(del, Ok(())));
    assert!(tab(&app).items().is_empty());
}

#[test]
fn a_viewer_profile_lists_but_neither_adds_tests_nor_removes() {
    let mut app = logged_in_with(orgdeck::theme::ThemeKind::Color256, true);
    send(&mut app, [ch(':'), ch('i'), ch('n'), ch('t'), key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ch('r')]);
    app.update(reply::<ep::List>(
        call_of::<ep::List>(&cmds),
        Ok(vec![webhook(1, "Deploy hook")]),
    ));
    for c in ['a', 't', 'd', 'S'] {
        let cmds = send(&mut app, [ch(c)]);
        assert!(requests(&cmds).is_empty(), "{c}: {cmds:?}");
        assert!(app.dialog.is_none(), "{c}");
    }
}

#[test]
fn the_list_and_a_jira_form_80x24() {
    let mut slack = webhook(2, "Security alerts");
    slack.kind = IntegrationKind::Slack;
    slack.settings = IntegrationSettings::Slack;
    slack.secrets = [("url".to_owned(), true)].into_iter().collect();
    slack.target = "hooks.slack.com".into();
    let mut off = webhook(3, "Old pager");
    off.status = IntegrationStatus::Disabled {
        reason: "5 deliveries failed in a row (HTTP 503)".into(),
        at: jiff::Timestamp::UNIX_EPOCH,
    };
    off.failures = 5;
    let mut app = integrations_app(vec![webhook(1, "Deploy hook"), slack, off]);
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    insta::assert_snapshot!("integrations_list_80x24", screen(&app, 80, 24));
    add_kind(&mut app, IntegrationKind::Jira);
    insta::assert_snapshot!("integrations_jira_form_80x24", screen(&app, 80, 24));
}

fn delivery(n: u128, status: DeliveryStatus, answers: &[(Option<u16>, &str)]) -> Delivery {
    let at: jiff::Timestamp = "2026-11-28T10:00:00Z".parse().unwrap();
    Delivery {
        id: Uuid::from_u128(n),
        integration_id: Uuid::from_u128(1),
        message_id: format!("msg_{n:032x}"),
        event_type: EventType::NewVulnerability,
        title: format!("High vulnerability in Shop: finding {n}"),
        status,
        attempts: answers
            .iter()
            .map(|(status, message)| DeliveryAttempt {
                at,
                duration_ms: 12,
                status: *status,
                message: (*message).into(),
            })
            .collect(),
        next_attempt_at: status
            .open()
            .then(|| jiff::Timestamp::now() + jiff::SignedDuration::from_secs(300)),
        created_at: at,
    }
}

/// The integrations list with one webhook, its delivery log open on `items`.
fn log_app(items: Vec<Delivery>) -> (App, Vec<Command>) {
    let mut app = integrations_app(vec![webhook(1, "SIEM")]);
    let cmds = send(&mut app, [ch('D')]);
    let call = call_of::<ep::Deliveries>(&cmds);
    assert!(
        call.path
            .contains(&format!("/integrations/{}/deliveries", Uuid::from_u128(1))),
        "{}",
        call.path
    );
    let cmds = app.update(reply::<ep::Deliveries>(
        call,
        Ok(Page {
            items,
            next_cursor: None,
        }),
    ));
    (app, cmds)
}

#[test]
fn the_delivery_log_shows_each_delivery_and_its_attempts() {
    let (mut app, _) = log_app(vec![
        delivery(3, DeliveryStatus::Delivered, &[(Some(204), "")]),
        delivery(
            2,
            DeliveryStatus::Failed,
            &[
                (Some(500), "boom"),
                (None, "cannot connect to https://hooks.acme.test/orgdeck"),
            ],
        ),
    ]);
    let s = screen(&app, 80, 24);
    assert!(s.contains("Deliveries to SIEM"), "{s}");
    assert!(s.contains("delivered") && s.contains("failed"), "{s}");
    assert!(
        s.contains("#1") && s.contains("HTTP 204"),
        "the cursor delivery's last attempt: {s}"
    );
    send(&mut app, [ch('j'), key(KeyCode::Enter)]);
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("#2") && s.contains("no answer") && s.contains("#1") && s.contains("HTTP 500: boom"),
        "{s}"
    );
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app, 80, 24).contains("hooks.acme.test"), "back to the list");
}

#[test]
fn redeliver_sends_a_finished_delivery_again_and_the_log_follows() {
    let (mut app, _) = log_app(vec![
        delivery(3, DeliveryStatus::Retrying, &[(Some(429), "slow down")]),
        delivery(2, DeliveryStatus::Failed, &[(Some(410), "gone")]),
    ]);
    let cmds = send(&mut app, [ch('R')]);
    assert!(!sends::<ep::Redeliver>(&cmds), "an open delivery goes out by itself");
    assert!(screen(&app, 80, 24).contains("still retrying"));
    let cmds = send(&mut app, [ch('j'), ch('R')]);
    let call = call_of::<ep::Redeliver>(&cmds);
    assert!(
        call.path
            .ends_with(&format!("/deliveries/{}/redeliver", Uuid::from_u128(2))),
        "{}",
        call.path
    );
    let mut pending = delivery(2, DeliveryStatus::Pending, &[(Some(410), "gone")]);
    pending.next_attempt_at = Some(jiff::Timestamp::now());
    let cmds = app.update(reply::<ep::Redeliver>(call, Ok(pending)));
    assert!(
        cmds.iter().any(|c| matches!(c, Command::Timer { .. })),
        "the log is read again once it went out: {cmds:?}"
    );
    assert!(screen(&app, 80, 24).contains("same webhook-id"));
}

#[test]
fn an_open_delivery_reads_the_log_again_when_its_next_attempt_is_due_and_a_tracker_has_no_log() {
    let (_, cmds) = log_app(vec![delivery(3, DeliveryStatus::Retrying, &[(Some(500), "down")])]);
    let delay = cmds
        .iter()
        .find_map(|c| match c {
            Command::Timer { delay, .. } => Some(*delay),
            _ => None,
        })
        .expect("a timer for the next attempt");
    assert!(
        delay > std::time::Duration::from_secs(290) && delay <= std::time::Duration::from_secs(302),
        "{delay:?}"
    );
    let (_, cmds) = log_app(vec![delivery(3, DeliveryStatus::Delivered, &[(Some(200), "ok")])]);
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::Timer { .. })),
        "nothing to wait for: no timer"
    );

    let mut jira = webhook(9, "Tracker");
    jira.kind = IntegrationKind::Jira;
    let mut app = integrations_app(vec![jira]);
    let cmds = send(&mut app, [ch('D')]);
    assert!(!sends::<ep::Deliveries>(&cmds));
    assert!(screen(&app, 80, 24).contains("bug tracker"));
}
