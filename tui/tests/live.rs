//! Live updates driven by messages: the stream opens once the tabs load, a change refreshes what shows
//! it (or, over edits, says so), and a stream that ends means offline, retried with a growing wait,
//! until it opens again.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{Command, Msg, api::StreamEvent, widgets::Connection};
use orgdeck_shared::{
    ApiError, ErrorCode,
    events::ChangeEvent,
    general::GeneralSettings,
    settings::endpoints::{Get, Put},
};

fn change(seq: i64, kind: &str, area: &str, id: &str, version: Option<i64>) -> Msg {
    Msg::Stream(StreamEvent::Change(ChangeEvent {
        seq,
        at: "2026-11-28T21:30:00Z".parse().unwrap(),
        kind: kind.into(),
        area: area.into(),
        id: id.into(),
        version,
        actor: "dana@acme.test".into(),
    }))
}

#[test]
fn the_stream_opens_with_the_tabs_and_a_change_refreshes_a_document_not_being_edited() {
    let mut app = orgdeck::App::new(init(orgdeck::theme::ThemeKind::Color256, false, true));
    app.start();
    let cmds = app.update(me_answer());
    assert!(cmds.contains(&Command::Follow { after: None }), "{cmds:?}");
    let mut app = logged_in();
    let cmds = app.update(change(7, "settings.update", "settings", "general", Some(4)));
    assert!(sends::<Get<GeneralSettings>>(&cmds), "read again: {cmds:?}");
    // The version already shown: nothing to do.
    let cmds = app.update(change(8, "settings.update", "settings", "general", Some(3)));
    assert!(!sends::<Get<GeneralSettings>>(&cmds));
}

#[test]
fn a_change_over_edits_keeps_them_says_who_and_saving_shows_both_then_saves_on_the_newer_version() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Mine");
    send(&mut app, [key(KeyCode::Enter)]);
    let cmds = app.update(change(9, "settings.update", "settings", "general", Some(4)));
    assert!(app.is_dirty(), "the edits stay");
    let said = app.toasts.last().map(|t| t.text.clone()).unwrap_or_default();
    assert!(said.contains("changed by dana@acme.test"), "{said}");
    // The newer version is read, and held beside the edits.
    let get = call_of::<Get<GeneralSettings>>(&cmds);
    let mut theirs = settings();
    theirs.version = 4;
    theirs.value.auto_license_new_servers = !theirs.value.auto_license_new_servers;
    app.update(reply::<Get<GeneralSettings>>(get, Ok(theirs.clone())));
    let text = screen(&app, 80, 24);
    assert!(text.contains("Mine"), "{text}");
    assert!(text.contains("Changed by dana@acme.test"), "{text}");
    // Saving shows the two side by side at once (no second read), each side's change kept.
    let cmds = send(&mut app, [ch('s')]);
    assert!(requests(&cmds).is_empty(), "{cmds:?}");
    let text = screen(&app, 80, 24);
    assert!(text.contains("dana@acme.test") && text.contains("version 4"), "{text}");
    assert!(text.contains("Auto-license new servers"), "{text}");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let put = call_of::<Put<GeneralSettings>>(&cmds);
    assert_eq!(put.if_match, Some(4));
    let body: GeneralSettings = put.body_as().unwrap();
    assert_eq!(body.name, "Mine");
    assert_eq!(body.auto_license_new_servers, theirs.value.auto_license_new_servers);
}

#[test]
fn my_own_save_announced_before_its_answer_is_not_someone_elses_change() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Mine");
    let cmds = send(&mut app, [key(KeyCode::Enter), ch('s')]);
    let put = call_of::<Put<GeneralSettings>>(&cmds);
    // The stream tells of version 4 before the save's answer (which is version 4).
    let cmds = app.update(change(9, "settings.update", "settings", "general", Some(4)));
    assert!(!sends::<Get<GeneralSettings>>(&cmds));
    let mut saved = settings();
    saved.version = 4;
    saved.value.name = "Mine".into();
    let cmds = app.update(reply::<Put<GeneralSettings>>(put, Ok(saved)));
    assert!(!sends::<Get<GeneralSettings>>(&cmds), "it was mine: {cmds:?}");
    assert!(!screen(&app, 80, 24).contains("Changed by"));
}

#[test]
fn security_sections_follow_live_updates_too() {
    let mut app = logged_in();
    let cmds = app.update(change(9, "settings.update", "settings", "password_policy", Some(7)));
    assert!(
        sends::<Get<orgdeck_shared::password::PasswordPolicy>>(&cmds),
        "{cmds:?}"
    );
    let cmds = app.update(change(10, "settings.update", "settings", "ip_restrictions", Some(7)));
    assert!(
        sends::<Get<orgdeck_shared::security::IpRestrictions>>(&cmds),
        "{cmds:?}"
    );
}

#[test]
fn the_audit_log_shows_a_change_without_r() {
    let mut app = logged_in();
    send(&mut app, [ch('5')]);
    let cmds = app.update(change(10, "user.update", "user", "x", None));
    assert!(sends::<orgdeck_shared::audit::endpoints::Search>(&cmds), "{cmds:?}");
}

#[test]
fn a_stream_that_ends_means_offline_retried_with_a_growing_wait_until_it_opens() {
    let mut app = logged_in();
    app.update(change(11, "user.update", "user", "x", None));
    let gone = ApiError::new(ErrorCode::Network, "cannot connect to the server: connection refused");
    let cmds = app.update(Msg::StreamEnded(gone.clone()));
    assert_eq!(app.connection, Connection::Offline);
    assert!(screen(&app, 80, 24).contains("offline"));
    let delays: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Command::Timer { delay, msg, .. } if **msg == Msg::Reconnect => Some(*delay),
            _ => None,
        })
        .collect();
    assert_eq!(delays, [std::time::Duration::from_secs(1)]);
    let cmds = app.update(Msg::Reconnect);
    assert!(
        cmds.contains(&Command::Follow { after: Some(11) }),
        "resumes after the last: {cmds:?}"
    );
    let cmds = app.update(Msg::StreamEnded(gone));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Timer { delay, .. } if *delay == std::time::Duration::from_secs(2))),
        "a longer wait: {cmds:?}"
    );
    app.update(Msg::Reconnect);
    app.update(Msg::Stream(StreamEvent::Opened));
    assert_eq!(app.connection, Connection::Online);
    assert!(app.toasts.iter().any(|t| t.text == "Back online"));
}

#[test]
fn a_search_typed_in_one_burst_stays_applied() {
    let mut app = logged_in();
    send(
        &mut app,
        [ch('5'), ch('/'), ch('l'), ch('o'), ch('g'), key(KeyCode::Enter)],
    );
    let tab = app.tab::<orgdeck::tabs::AuditTab>().unwrap();
    assert_eq!(tab.table.query.q, "log");
    // A change meanwhile leaves the search as it is.
    app.update(change(12, "user.update", "user", "x", None));
    let tab = app.tab::<orgdeck::tabs::AuditTab>().unwrap();
    assert_eq!(tab.table.query.q, "log");
}

#[test]
fn a_deletion_announced_before_its_answer_still_says_who_was_deleted() {
    let mut app = users_app(3);
    let cmds = send(&mut app, [ch('d'), ch('y')]);
    let del = call_of::<orgdeck_shared::users::endpoints::Delete>(&cmds);
    let email = orgdeck::bench::fake_user(0).email;
    let id = orgdeck::bench::fake_user(0).id.to_string();
    // The stream tells of it first: the row goes.
    app.update(change(12, "user.delete", "user", &id, None));
    app.update(reply::<orgdeck_shared::users::endpoints::Delete>(del, Ok(())));
    let said = app.toasts.last().map(|t| t.text.clone()).unwrap_or_default();
    assert_eq!(said, format!("Deleted {email}"));
}

#[test]
fn an_agents_event_refreshes_the_unread_count_once_however_many_arrive_and_the_status_line_shows_it() {
    use orgdeck_shared::auth::endpoints::GetMe;
    let mut app = logged_in();
    assert!(!screen(&app, 80, 24).contains("unread"), "nothing unread: nothing said");
    let cmds = app.update(change(9, "agent_event.new_vulnerability", "application", "a1", None));
    let calls = calls_of::<GetMe>(&cmds);
    assert_eq!(calls.len(), 1, "{cmds:?}");
    let cmds = app.update(change(10, "agent_event.new_vulnerability", "application", "a1", None));
    assert!(calls_of::<GetMe>(&cmds).is_empty(), "one refresh at a time");
    let mut me = me();
    me.unread = 3;
    app.update(reply::<GetMe>(calls[0].clone(), Ok(me)));
    let screen = screen(&app, 80, 24);
    let status = screen.lines().find(|l| l.contains("online")).unwrap_or_default();
    assert!(status.contains("3 unread"), "{screen}");
    // The next event asks again.
    let cmds = app.update(change(11, "agent_event.new_vulnerability", "application", "a1", None));
    assert_eq!(calls_of::<GetMe>(&cmds).len(), 1);
    // Other areas do not.
    let mut app = logged_in();
    let cmds = app.update(change(12, "user.update", "user", "u1", Some(2)));
    assert!(calls_of::<GetMe>(&cmds).is_empty());
}
