//! Logging out, driven by messages: the session ends, nothing of it stays, and logging in again starts
//! afresh.

mod common;

use std::time::Duration;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{
    Command, Msg,
    api::ApiClient,
    credentials::Credentials,
    keymap::{ACTIONS, Action, Keymap},
    runtime::Runner,
    tabs::GeneralTab,
    widgets::{Connection, Help},
};
use orgdeck_shared::{
    auth::{LoginResponse, Secret, SessionGrant, endpoints::Login},
    general::GeneralSettings,
    inventory::endpoints::GetLicenses,
    settings::endpoints::Get,
};

fn general(app: &orgdeck::App) -> &GeneralTab {
    app.tab::<GeneralTab>().expect("a General tab")
}

#[test]
fn logging_out_of_an_unreachable_server_says_the_session_ends_when_it_is_back_and_then_that_it_did() {
    let mut app = logged_in();
    send(&mut app, [ch('L')]);
    let gone = orgdeck_shared::ApiError::new(orgdeck_shared::ErrorCode::Network, "connection refused");
    send(&mut app, [Msg::LoggedOut(Err(gone))]);
    assert_eq!(app.connection, Connection::Offline);
    let notice = app.login.as_ref().and_then(|l| l.notice.clone()).unwrap_or_default();
    assert!(
        notice.contains("cannot be reached") && notice.contains("will be ended when the server is back"),
        "{notice}"
    );
    // The runner tried again and the server answered.
    send(&mut app, [Msg::PreviousLogout(Ok(()))]);
    let notice = app.login.as_ref().and_then(|l| l.notice.clone()).unwrap_or_default();
    assert!(notice.contains("your previous session there is ended"), "{notice}");
    assert!(
        app.messages.iter().any(|e| e.text.contains("cannot be reached")),
        "kept in :messages"
    );
}

#[test]
fn l_logs_out_forgets_the_session_and_shows_the_full_screen_login() {
    let mut app = logged_in();
    send(&mut app, [ch('3')]);
    assert!(general(&app).settings().loaded().is_some());
    let cmds = send(&mut app, [ch('L')]);
    assert!(cmds.contains(&Command::Logout), "{cmds:?}");
    let login = app.login.as_ref().expect("the login dialog");
    assert!(!login.overlay, "full screen, not over the old console");
    assert_eq!(login.email.value(), "admin@acme.test", "the email is prefilled");
    assert!(app.me.is_none());
    assert_eq!(app.active, 0);
    assert!(
        general(&app).settings().loaded().is_none(),
        "the tabs are rebuilt empty"
    );
    assert!(app.retry.is_empty());
    let text = screen(&app, 80, 24);
    assert!(text.contains("Log in to orgdeck"), "{text}");
    assert!(text.contains("You are logged out."), "{text}");
    assert!(
        !text.contains("Acme Security"),
        "nothing of the session is on screen: {text}"
    );
    // The server's answer does not bring anything back, nor says "online".
    send(&mut app, [Msg::LoggedOut(Ok(()))]);
    assert_eq!(app.connection, Connection::LoggedOut);
    assert!(!app.animating(), "the spinner stops");
}

#[test]
fn logging_in_again_loads_fresh_data() {
    let mut app = logged_in();
    send(&mut app, [ch('L'), Msg::LoggedOut(Ok(()))]);
    type_text(&mut app, "pw");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let login = requests(&cmds).into_iter().next().expect("a login request");
    let grant = SessionGrant {
        token: Secret::new("tok-2"),
        expires_at: "2026-11-29T09:00:00Z".parse().unwrap(),
    };
    let cmds = send(&mut app, [reply::<Login>(login, Ok(LoginResponse::Granted(grant)))]);
    assert_eq!(
        cmds[..2],
        [
            Command::UseToken(Secret::new("tok-2")),
            Command::Api(orgdeck::app::me_call())
        ]
    );
    let cmds = send(&mut app, [me_answer()]);
    assert!(sends::<GetLicenses>(&cmds), "{cmds:?}");
    let general = call_of::<Get<GeneralSettings>>(&cmds);
    send(&mut app, [reply::<Get<GeneralSettings>>(general, Ok(settings()))]);
    assert!(screen(&app, 80, 24).contains("Acme Security"));
}

#[test]
fn logging_out_with_unsaved_edits_asks_first() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Unsaved");
    send(&mut app, [key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ch('L')]);
    assert!(!cmds.contains(&Command::Logout));
    let text = screen(&app, 80, 24);
    assert!(text.contains("Log out?"), "{text}");
    assert!(
        text.contains("unsaved edits in General. Log out and lose them?"),
        "{text}"
    );
    send(&mut app, [ch('n')]);
    assert!(app.me.is_some() && app.is_dirty(), "stay: the edits are kept");
    let cmds = send(&mut app, [ch('L'), ch('y')]);
    assert!(cmds.contains(&Command::Logout));
    assert!(!app.is_dirty(), "the edits went with the session");
    assert!(app.login.is_some());
}

#[test]
fn the_logout_key_is_bound_to_nothing_else_and_shows_in_the_help_and_footer() {
    let logout = ACTIONS.iter().find(|s| s.action == Action::Logout).unwrap();
    for key in logout.default_keys {
        let others: Vec<&str> = ACTIONS
            .iter()
            .filter(|s| s.action != Action::Logout && s.default_keys.contains(key))
            .map(|s| s.name)
            .collect();
        assert!(others.is_empty(), "{key} is also {others:?}");
    }
    let app = logged_in();
    let help: Vec<String> = Help::lines(&Keymap::default(), None, &app.theme)
        .iter()
        .map(|l| l.to_string())
        .collect();
    assert!(
        help.iter().any(|l| l.contains("L ") && l.contains("log out")),
        "{help:?}"
    );
    assert!(screen(&app, 120, 40).contains("L log out"));
}

#[test]
fn logout_and_quit_can_be_typed_at_the_colon_prompt() {
    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "logout");
    assert!(screen(&app, 80, 24).contains("→ log out"));
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(cmds.contains(&Command::Logout), "{cmds:?}");

    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "quit");
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(app.should_quit());

    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "sec");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.active_tab().title(), "Security", "tab names still jump");
}

#[tokio::test]
async fn the_runner_drops_replies_to_requests_sent_before_a_logout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = ApiClient::new(&format!("http://{addr}"), None).unwrap();
    client.set_token(Some(Secret::new("old")));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = Runner::new(client.clone(), Credentials::memory("test"), tx);
    let general = orgdeck::api::Call::of::<Get<GeneralSettings>, _>((), |_| ());
    runner.execute(Command::Api(general));
    runner.execute(Command::Logout);
    assert!(!client.has_token(), "the client forgets the token at once");
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("an answer")
        .expect("a message");
    assert!(matches!(&first, Msg::LoggedOut(_)), "{first:?}");
    let later = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    assert!(later.is_err(), "the General reply was dropped: {later:?}");
}
