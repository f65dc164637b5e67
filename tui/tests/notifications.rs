//! The Notifications tab driven by messages: the grid of event types, toggles, channels chosen from the
//! organization's channel integrations, severities, and the versioned save.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, tabs::NotificationsTab};
use orgdeck_shared::{
    Versioned,
    integrations::{Applications, Integration, IntegrationKind, IntegrationStatus, endpoints as ep},
    notifications::{NotificationSettings, Severity},
    settings::endpoints::{Get, Put},
};
use uuid::Uuid;

type GetN = Get<NotificationSettings>;
type PutN = Put<NotificationSettings>;

fn channel(id: u128, name: &str, kind: IntegrationKind) -> Integration {
    Integration {
        id: Uuid::from_u128(id),
        name: name.into(),
        kind,
        enabled: true,
        applications: Applications::All,
        settings: kind.blank(),
        secrets: Default::default(),
        target: "hooks.acme.test".into(),
        status: IntegrationStatus::Active,
        failures: 0,
        created_at: jiff::Timestamp::UNIX_EPOCH,
        updated_at: jiff::Timestamp::UNIX_EPOCH,
        version: 1,
    }
}

fn notifications_app() -> App {
    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "notif");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.active_tab().title(), "Notifications");
    let cmds = send(&mut app, [ch('r')]);
    app.update(reply::<GetN>(
        call_of::<GetN>(&cmds),
        Ok(Versioned {
            version: 4,
            value: NotificationSettings::default(),
        }),
    ));
    let list = vec![
        channel(1, "Security alerts", IntegrationKind::Slack),
        channel(2, "JIRA", IntegrationKind::Jira),
        channel(3, "Pager hook", IntegrationKind::Webhook),
    ];
    app.update(reply::<ep::List>(call_of::<ep::List>(&cmds), Ok(list)));
    app
}

fn tab(app: &App) -> &NotificationsTab {
    app.tab::<NotificationsTab>().expect("a Notifications tab")
}

#[test]
fn toggles_channels_and_severities_are_saved_as_one_versioned_document() {
    let mut app = notifications_app();
    // New vulnerability: email on.
    send(&mut app, [key(KeyCode::Right), key(KeyCode::Enter)]);
    // Its severities: note off.
    send(&mut app, [key(KeyCode::Down)]);
    send(&mut app, (0..4).map(|_| key(KeyCode::Right)));
    send(&mut app, [key(KeyCode::Enter)]);
    // Application attacked: channels → the picker lists channels only (not the bug tracker).
    send(
        &mut app,
        [
            key(KeyCode::Down),
            key(KeyCode::Right),
            key(KeyCode::Right),
            key(KeyCode::Enter),
        ],
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("Channels for Application attacked"), "{text}");
    assert!(
        text.contains("Security alerts") && text.contains("Pager hook") && !text.contains("JIRA"),
        "{text}"
    );
    send(&mut app, [ch(' '), key(KeyCode::Down), ch(' '), key(KeyCode::Enter)]);
    assert!(screen(&app, 80, 24).contains("Security alerts, Pager hook"));
    assert!(app.is_dirty());
    let cmds = send(&mut app, [ch('s')]);
    let put = call_of::<PutN>(&cmds);
    assert_eq!(put.if_match, Some(4));
    let body: NotificationSettings = put.body_as().unwrap();
    assert!(body.new_vulnerability.email);
    assert!(!body.new_vulnerability_severities.contains(&Severity::Note));
    assert_eq!(
        body.application_attacked.channels,
        [Uuid::from_u128(1), Uuid::from_u128(3)]
    );
    let saved = Versioned {
        version: 5,
        value: body,
    };
    app.update(reply::<PutN>(put, Ok(saved)));
    assert!(!app.is_dirty());
    let said = app.toasts.last().map(|t| t.text.clone()).unwrap_or_default();
    assert_eq!(said, "Saved notification settings");
}

#[test]
fn no_severity_for_a_type_that_notifies_is_said_before_saving() {
    let mut app = notifications_app();
    send(&mut app, [key(KeyCode::Down)]);
    for i in 0..5 {
        if i > 0 {
            send(&mut app, [key(KeyCode::Right)]);
        }
        send(&mut app, [key(KeyCode::Enter)]);
    }
    let text = screen(&app, 80, 24);
    assert!(text.contains("choose at least one severity"), "{text}");
    let cmds = send(&mut app, [ch('s')]);
    assert!(calls_of::<PutN>(&cmds).is_empty(), "not sent");
    assert!(!tab(&app).state.saving);
}

#[test]
fn the_grid_80x24() {
    let app = notifications_app();
    insta::assert_snapshot!("notifications_grid_80x24", screen(&app, 80, 24));
}
