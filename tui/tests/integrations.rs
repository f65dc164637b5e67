//! The Integrations tab driven by messages: adding one of each kind's form, secrets write-only, the
//! server's field errors under their fields, a real Test's answer shown, a webhook's signing secret shown
//! once, removal asked first.

mod common;

use std::collections::BTreeMap;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, tabs::IntegrationsTab};
use orgdeck_shared::{
    ApiError, ErrorCode, FieldError,
    auth::Secret,
    integrations::{
        Applications, Integration, IntegrationCreated, IntegrationKind, IntegrationSettings, IntegrationStatus,
        NewIntegration, NewSigningSecret, TestOutcome, WebhookSettings, endpoints as ep,
    },
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
