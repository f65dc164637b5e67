//! The Account area driven by messages: a forced password change first, the policy checked as one types,
//! one's sessions.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, tabs::AccountTab};
use orgdeck_shared::{
    ApiError, ErrorCode,
    account::{
        MySession,
        endpoints::{EndMySession, MyPasswordPolicy, MySessions},
    },
    auth::endpoints::GetMe,
    general::GeneralSettings,
    password::PasswordPolicy,
    settings::endpoints::Get,
    users::{ChangePasswordRequest, endpoints::ChangePassword},
};

fn account(app: &App) -> &AccountTab {
    app.tab::<AccountTab>().expect("an Account tab")
}

fn session(id: &str, ip: &str, current: bool) -> MySession {
    let at: jiff::Timestamp = "2026-11-28T20:00:00Z".parse().unwrap();
    MySession {
        id: id.into(),
        created_at: at,
        last_seen_at: at,
        expires_at: at,
        ip: ip.into(),
        current,
    }
}

/// A user whose password an admin reset logs in: `GET me` says so.
fn forced() -> App {
    let mut app = App::new(init(orgdeck::theme::ThemeKind::Color256, false, true));
    app.start();
    let mut me = me();
    me.must_change_password = true;
    let cmds = app.update(answer::<GetMe>(&app, Ok(me)));
    assert_eq!(endpoints_of(&cmds), ["account::MyPasswordPolicy"], "nothing else loads");
    app.update(answer::<MyPasswordPolicy>(&app, Ok(PasswordPolicy::default())));
    app
}

#[test]
fn a_forced_change_comes_first_checks_the_policy_live_and_then_the_tabs_load() {
    let mut app = forced();
    assert_eq!(app.active_tab().title(), "Account");
    assert!(account(&app).change.is_some(), "the change opens by itself");
    let text = screen(&app, 80, 24);
    assert!(text.contains("must be changed before anything else"), "{text}");
    // Esc does not leave it, nor do tab keys (they are typed: this is a password).
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(account(&app).change.is_some());
    type_text(&mut app, "old password 1");
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "short");
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("still missing") && text.contains("at least 15 characters"),
        "{text}"
    );
    assert!(
        !text.contains("short") && !text.contains("old password"),
        "masked: {text}"
    );
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "short");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(requests(&cmds).is_empty(), "refused in place: {cmds:?}");
    assert!(screen(&app, 80, 24).contains("does not meet the policy yet"));
    // The cursor is on what was refused: longer, and typed twice.
    assert_eq!(account(&app).change.as_ref().unwrap().focus, 1);
    type_text(&mut app, " but now long enough");
    send(&mut app, [key(KeyCode::Down)]);
    type_text(&mut app, " but now long enough");
    assert!(screen(&app, 80, 24).contains("✓ meets the password policy"));
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: ChangePasswordRequest = only_body::<ChangePassword, _>(&cmds);
    assert_eq!(body.current.expose(), "old password 1");
    assert_eq!(body.new.expose(), "short but now long enough");
    let cmds = app.update(answer::<ChangePassword>(&app, Ok(())));
    assert!(sends::<GetMe>(&cmds), "who I am, again: {cmds:?}");
    assert!(account(&app).change.is_none());
    // The change is done: a key pressed before `GET me` answers is not lost.
    assert!(!app.password_gate());
    send(&mut app, [ch('1')]);
    assert_eq!(app.active_tab().title(), "General");
    assert!(screen(&app, 80, 24).contains("Loading…"));
    let cmds = app.update(me_answer());
    assert!(sends::<Get<GeneralSettings>>(&cmds), "now the tabs load: {cmds:?}");
    assert!(!app.password_gate());
}

#[test]
fn a_wrong_current_password_is_said_under_it() {
    let mut app = forced();
    type_text(&mut app, "not it");
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "a brand new long passphrase");
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "a brand new long passphrase");
    send(&mut app, [key(KeyCode::Enter)]);
    let refused = ApiError::validation(vec![orgdeck_shared::FieldError::new(
        "current",
        "is not your current password",
    )]);
    app.update(answer::<ChangePassword>(&app, Err(refused)));
    let change = account(&app).change.as_ref().unwrap();
    assert_eq!(change.errors[0].as_deref(), Some("is not your current password"));
    assert_eq!(change.focus, 0);
    assert!(screen(&app, 80, 24).contains("is not your current password"));
}

#[test]
fn the_server_saying_a_change_is_required_opens_it() {
    let mut app = logged_in();
    send(&mut app, [ch('1'), ch('r')]);
    let refused = ApiError::new(ErrorCode::PasswordChangeRequired, "your password must be changed");
    let cmds = app.update(answer::<Get<GeneralSettings>>(&app, Err(refused)));
    assert!(sends::<GetMe>(&cmds), "{cmds:?}");
    let mut me = me();
    me.must_change_password = true;
    app.update(reply::<GetMe>(orgdeck::app::me_call(), Ok(me)));
    assert!(app.password_gate());
}

#[test]
fn my_sessions_are_listed_and_ending_one_asks_first_and_this_one_logs_out() {
    let mut app = logged_in();
    let cmds = send(&mut app, [ch(':')]);
    assert!(cmds.is_empty());
    type_text(&mut app, "account");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.active_tab().title(), "Account");
    send(&mut app, [ch('r')]);
    app.update(answer::<MySessions>(
        &app,
        Ok(vec![
            session("s1", "192.0.2.10", true),
            session("s2", "198.51.100.7", false),
        ]),
    ));
    let text = screen(&app, 80, 24);
    assert!(text.contains("this session") && text.contains("198.51.100.7"), "{text}");
    let cmds = send(&mut app, [key(KeyCode::Down), ch('d')]);
    assert!(requests(&cmds).is_empty(), "asks first");
    let cmds = send(&mut app, [ch('y')]);
    assert_eq!(call_of::<EndMySession>(&cmds).path, "/api/v1/me/sessions/s2");
    app.update(answer::<EndMySession>(&app, Ok(())));
    // This one: a yes logs out.
    send(&mut app, [key(KeyCode::Up), ch('d')]);
    assert!(app.dialog.as_ref().unwrap().message.contains("logs you out"));
    send(&mut app, [ch('y')]);
    let cmds = app.update(answer::<EndMySession>(&app, Ok(())));
    assert!(cmds.contains(&Command::Logout), "{cmds:?}");
    assert!(app.login.is_some());
}

#[test]
fn n_opens_my_notification_choices_over_the_defaults_and_s_saves_them_with_the_version_read() {
    use orgdeck_shared::notifications::{
        EventType, MyNotifications, MyNotificationsView, NotificationSettings,
        endpoints::{GetMine, PutMine},
    };
    let mut app = logged_in();
    send(&mut app, [ch('\''), ch('m')]);
    assert_eq!(app.active_tab().title(), "Account");
    let cmds = send(&mut app, [ch('N')]);
    let get = call_of::<GetMine>(&cmds);
    let view = MyNotificationsView {
        version: 2,
        mine: MyNotifications::default(),
        defaults: MyNotificationsView::defaults_of(&NotificationSettings::default()),
    };
    app.update(reply::<GetMine>(get, Ok(view.clone())));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("My notifications") && text.contains("Server offline"),
        "{text}"
    );
    assert!(text.contains("(org)"), "{text}");
    // Server offline (4th row), email: off, for me.
    send(&mut app, (0..3).map(|_| key(KeyCode::Down)));
    send(&mut app, [key(KeyCode::Right), ch(' ')]);
    assert!(screen(&app, 80, 24).contains("(me)"));
    assert!(app.is_dirty());
    let cmds = send(&mut app, [ch('s')]);
    let put = call_of::<PutMine>(&cmds);
    assert_eq!(put.if_match, Some(2));
    let body: MyNotifications = put.body_as().unwrap();
    assert_eq!(body.choices[&EventType::ServerOffline].email, Some(false));
    assert_eq!(
        body.choices[&EventType::ServerOffline].in_app,
        None,
        "in-app follows the default"
    );
    let mut saved = view;
    saved.version = 3;
    saved.mine = body;
    app.update(reply::<PutMine>(put, Ok(saved)));
    assert!(!app.is_dirty());
    assert!(!screen(&app, 80, 24).contains("My notifications"), "closed once saved");
}
