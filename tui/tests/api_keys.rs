//! The API keys tab driven by messages alone: every action with what it asks first, what it sends, and
//! what the screen shows of the answer.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{
    App, Command,
    api::Call,
    bench::{fake_user, serve},
    tabs::api_keys::Mode,
};
use orgdeck_shared::{
    ApiError, ErrorCode, Page, Versioned,
    api_keys::{ApiKeyEmailed, ApiKeyInfo, ApiKeySettings, CreateApiKey, NewApiKey, RotateApiKey, endpoints as keys},
    auth::{OrgRole, Secret, endpoints::GetMe},
    settings::endpoints::{Get, Put},
    users::{UserQuery, endpoints::List as ListUsers},
};

/// A call's body as `T`.
fn body<T: serde::de::DeserializeOwned>(c: &Call) -> T {
    c.body_as().expect("a body of that type")
}
use uuid::Uuid;

const KEY: &str = "od_AbCdEfGhIjKlMnOpQrStUvWxYz0123457Xq2Lm";
const DANA: &str = "dana@acme.test";

fn dana() -> Uuid {
    Uuid::from_u128(0xda)
}

/// The admin's own key and Dana's.
fn keys() -> Vec<ApiKeyInfo> {
    vec![
        api_key_info(1, "admin@acme.test", Uuid::nil()),
        api_key_info(2, DANA, dana()),
    ]
}

fn new_key(info: ApiKeyInfo) -> NewApiKey {
    NewApiKey {
        info,
        key: Secret::new(KEY),
    }
}

fn dialog_text(app: &App) -> String {
    let d = app.dialog.as_ref().expect("a confirmation");
    format!("{} {}", d.title, d.message)
}

/// A viewer (not an admin) logged in, on the tab, with their own key.
fn viewer_app(read_only: bool) -> App {
    let mut app = App::new(init(orgdeck::theme::ThemeKind::Color256, read_only, true));
    app.start();
    let mut me = me();
    me.role = OrgRole::View;
    me.user.id = dana();
    me.user.email = DANA.into();
    let cmds = app.update(answer::<GetMe>(&app, Ok(me)));
    assert!(!sends::<Get<ApiKeySettings>>(&cmds), "only admins read the settings");
    serve(&mut app, cmds, 0);
    api_keys_app_with(app, &[api_key_info(2, DANA, dana())])
}

#[test]
fn an_admin_sees_every_key_of_the_organization_with_their_own_marked() {
    let app = api_keys_app(&keys());
    let text = screen(&app, 80, 24);
    assert!(text.contains("admin@acme.test (you)") && text.contains(DANA), "{text}");
    assert!(
        text.contains("od_Key002") && text.contains("emailing keys: allowed"),
        "{text}"
    );
    assert!(text.contains("key for a user") && text.contains("revoke"), "{text}");
}

#[test]
fn a_viewer_sees_their_own_key_and_no_admin_actions() {
    let mut app = viewer_app(false);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("dana@acme.test (you)") && text.contains("Your personal API key"),
        "{text}"
    );
    assert!(!text.contains("key for a user"), "{text}");
    let cmds = send(&mut app, [ch('A')]);
    assert!(requests(&cmds).is_empty());
    assert!(screen(&app, 80, 24).contains("Only organization admins make keys for other users"));
}

#[test]
fn a_new_key_is_shown_once_with_a_copy_action_and_a_curl_example_and_closing_asks_first() {
    let mut app = api_keys_app(&[api_key_info(2, DANA, dana())]);
    let cmds = send(&mut app, [ch('a')]);
    assert_eq!(
        only_body::<keys::Create, CreateApiKey>(&cmds),
        CreateApiKey { user_id: None }
    );
    let made = new_key(api_key_info(1, "admin@acme.test", Uuid::nil()));
    let cmds = app.update(answer::<keys::Create>(&app, Ok(made)));
    assert!(sends::<keys::List>(&cmds), "the list reloads");
    let text = screen(&app, 80, 24);
    assert!(text.contains(KEY) && text.contains("will not be shown again"), "{text}");
    assert!(text.contains(&format!("Authorization: Bearer {KEY}")), "{text}");
    assert!(text.contains("https://deck.acme.test/api/v1/me"), "{text}");

    let cmds = send(&mut app, [ch('c')]);
    assert!(cmds.contains(&Command::Copy(Secret::new(KEY))), "{cmds:?}");
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(dialog_text(&app).contains("will not be shown again"));
    send(&mut app, [ch('n')]);
    assert!(screen(&app, 80, 24).contains(KEY), "still open after no");
    send(&mut app, [key(KeyCode::Esc), ch('y')]);
    assert!(matches!(api_keys_tab(&app).mode, Mode::Browse));
    assert!(!screen(&app, 80, 24).contains(KEY), "gone once closed");
}

#[test]
fn a_second_key_is_refused_in_place() {
    let mut app = api_keys_app(&keys());
    let cmds = send(&mut app, [ch('a')]);
    assert!(requests(&cmds).is_empty(), "the console knows the admin has one");
    assert!(screen(&app, 80, 24).contains("You have an API key already (od_Key001)"));

    let mut app = api_keys_app(&[]);
    let refused = ApiError::new(ErrorCode::Conflict, "admin@acme.test already has an API key: rotate it");
    send(&mut app, [ch('a')]);
    app.update(answer::<keys::Create>(&app, Err(refused)));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("! No key made: admin@acme.test already has an API key"),
        "{text}"
    );
}

#[test]
fn rotating_asks_for_the_grace_period_and_the_confirmation_says_what_becomes_of_the_old_key() {
    let mut app = api_keys_app(&keys());
    send(&mut app, [ch('j'), ch('R')]);
    assert!(screen(&app, 80, 24).contains("Rotate od_Key002 of dana@acme.test"));
    send(&mut app, [key(KeyCode::Backspace)]);
    type_text(&mut app, "soon");
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(screen(&app, 80, 24).contains("whole number of minutes"));
    send(&mut app, [ctrl('u')]);
    type_text(&mut app, "30");
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(
        dialog_text(&app).contains("keeps working 30 more minutes"),
        "{}",
        dialog_text(&app)
    );
    let cmds = send(&mut app, [ch('y')]);
    let id = keys()[1].id;
    let rotate = call_of::<keys::Rotate>(&cmds);
    assert_eq!(requests(&cmds).len(), 1);
    assert_eq!(rotate.path, format!("/api/v1/api_keys/{id}/rotate"));
    assert_eq!(body::<RotateApiKey>(&rotate), RotateApiKey { grace_minutes: 30 });

    // 0, the default: the old key stops now, and the new key is shown once.
    send(&mut app, [ch('R'), key(KeyCode::Enter)]);
    assert!(dialog_text(&app).contains("The old key stops working now"));
    send(&mut app, [ch('y')]);
    app.update(answer::<keys::Rotate>(&app, Ok(new_key(keys()[1].clone()))));
    assert!(screen(&app, 80, 24).contains("Rotated: the new API key of dana@acme.test"));
}

#[test]
fn email_me_my_key_confirms_that_it_rotates_and_says_where_the_key_went() {
    let mut app = api_keys_app(&keys());
    // The cursor is on Dana's key: it is still the admin's own key that goes by mail.
    send(&mut app, [ch('j'), ch('m')]);
    let asked = dialog_text(&app);
    assert!(
        asked.contains("rotates your key: od_Key001 stops working now"),
        "{asked}"
    );
    let cmds = send(&mut app, [ch('y')]);
    let id = keys()[0].id;
    assert_eq!(endpoints_of(&cmds), ["api_keys::Email"]);
    assert_eq!(requests(&cmds)[0].path, format!("/api/v1/api_keys/{id}/email"));
    let emailed = ApiKeyEmailed {
        sent_to: "a•••@acme.test".into(),
        info: api_key_info(1, "admin@acme.test", Uuid::nil()),
    };
    app.update(answer::<keys::Email>(&app, Ok(emailed)));
    assert!(screen(&app, 80, 24).contains("on its way to a•••@acme.test"));

    let off = ApiError::new(
        ErrorCode::Forbidden,
        "your organization does not allow emailing API keys",
    );
    send(&mut app, [ch('m'), ch('y')]);
    app.update(answer::<keys::Email>(&app, Err(off)));
    assert!(screen(&app, 80, 24).contains("! Not emailed: your organization does not allow"));
}

#[test]
fn revoking_is_confirmed_naming_the_holder_and_the_prefix() {
    let mut app = api_keys_app(&keys());
    send(&mut app, [ch('j'), ch('d')]);
    let asked = dialog_text(&app);
    assert!(asked.contains("od_Key002") && asked.contains(DANA), "{asked}");
    let cmds = send(&mut app, [ch('y')]);
    let id = keys()[1].id;
    assert_eq!(endpoints_of(&cmds), ["api_keys::Revoke"]);
    assert_eq!(requests(&cmds)[0].path, format!("/api/v1/api_keys/{id}"));
    app.update(answer::<keys::Revoke>(&app, Ok(())));
    let text = screen(&app, 80, 24);
    assert!(text.contains("Revoked od_Key002 of dana@acme.test"), "{text}");
    assert_eq!(api_keys_tab(&app).table.known_rows(), 1);
}

#[test]
fn an_admin_makes_a_key_for_a_user_found_by_email() {
    let mut app = api_keys_app(&keys());
    send(&mut app, [ch('A')]);
    type_text(&mut app, "ci-bot@acme.test");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let lookup = call_of::<ListUsers>(&cmds);
    let query: UserQuery = lookup.query_as().unwrap();
    assert_eq!(query.q.as_deref(), Some("ci-bot@acme.test"));
    let mut bot = fake_user(7);
    bot.email = "CI-Bot@acme.test".into();
    let page = Page {
        items: vec![fake_user(3), bot.clone()],
        next_cursor: None,
    };
    let cmds = app.update(reply::<ListUsers>(lookup.clone(), Ok(page)));
    assert_eq!(
        only_body::<keys::Create, CreateApiKey>(&cmds),
        CreateApiKey { user_id: Some(bot.id) }
    );

    // Nobody by that email: said in the prompt.
    send(&mut app, [ch('A')]);
    type_text(&mut app, "nobody@acme.test");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let lookup = call_of::<ListUsers>(&cmds);
    let empty = Page {
        items: Vec::new(),
        next_cursor: None,
    };
    app.update(reply::<ListUsers>(lookup, Ok(empty)));
    assert!(screen(&app, 80, 24).contains("no user nobody@acme.test in the organization"));
}

#[test]
fn the_email_keys_switch_is_saved_with_its_version_and_a_stale_one_reloads() {
    let mut app = api_keys_app(&keys());
    send(&mut app, [ch('K')]);
    assert!(dialog_text(&app).contains("Forbid emailing keys?"));
    let cmds = send(&mut app, [ch('y')]);
    let put = call_of::<Put<ApiKeySettings>>(&cmds);
    assert_eq!(requests(&cmds).len(), 1);
    assert_eq!(
        (put.if_match, body::<ApiKeySettings>(&put)),
        (Some(1), ApiKeySettings { email_keys: false })
    );
    let stale = ApiError::new(ErrorCode::VersionMismatch, "it changed since it was read");
    let cmds = app.update(reply::<Put<ApiKeySettings>>(put.clone(), Err(stale)));
    assert_eq!(endpoints_of(&cmds), ["settings::Get<ApiKeySettings>"]);
    assert!(screen(&app, 80, 24).contains("another admin changed the API key settings first"));

    let saved = Versioned {
        version: 2,
        value: ApiKeySettings { email_keys: false },
    };
    app.update(reply::<Put<ApiKeySettings>>(put, Ok(saved)));
    assert!(screen(&app, 80, 24).contains("emailing keys: forbidden"));
    let cmds = send(&mut app, [ch('m')]);
    assert!(requests(&cmds).is_empty() && app.dialog.is_none());
    assert!(screen(&app, 80, 24).contains("Your organization forbids emailing API keys"));
}

/// With emailing forbidden, `m` says so, even to an admin without a key of their own (it said "no key", as
/// if making one would help), and the footer offers no "email me".
#[test]
fn email_me_when_the_organization_forbids_it_says_so() {
    for keys in [keys(), vec![api_key_info(2, DANA, dana())]] {
        let mut app = api_keys_app(&keys);
        let mine = keys.iter().any(|k| k.holder.id == Uuid::nil());
        assert_eq!(screen(&app, 80, 24).contains("m email me"), mine);
        send(&mut app, [ch('K'), ch('y')]);
        let saved = Versioned {
            version: 2,
            value: ApiKeySettings { email_keys: false },
        };
        app.update(answer::<Put<ApiKeySettings>>(&app, Ok(saved)));
        let cmds = send(&mut app, [ch('m')]);
        assert!(requests(&cmds).is_empty() && app.dialog.is_none());
        let text = screen(&app, 80, 24);
        assert!(
            text.contains(" ! Your organization forbids emailing API keys (R rotates yours, shown here) "),
            "{text}"
        );
        assert!(!text.contains("email me"), "no hint for what cannot be done: {text}");
    }
}

#[test]
fn a_read_only_profile_shows_the_keys_and_changes_none() {
    let mut app = viewer_app(true);
    for c in ['a', 'A', 'R', 'm', 'd', 'K'] {
        let cmds = send(&mut app, [ch(c)]);
        assert!(requests(&cmds).is_empty() && app.dialog.is_none(), "{c}: {cmds:?}");
    }
    let text = screen(&app, 80, 24);
    assert!(text.contains("od_Key002") && !text.contains("R rotate"), "{text}");
    assert!(!text.contains("/ search"), "the server does not search keys");
}
