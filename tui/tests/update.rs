//! The console driven by messages alone, with no terminal and no server: what a user would notice.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{
    Command, Msg,
    keymap::{ACTIONS, Keymap},
    widgets::Help,
};
use orgdeck_shared::{
    ApiError, ErrorCode, FieldError,
    auth::{
        LoginRequest, LoginResponse, MfaRequest, Secret, SessionGrant,
        endpoints::{Login, Mfa},
    },
    general::GeneralSettings,
    settings::endpoints::{Get, Put},
};

type GetGeneral = Get<GeneralSettings>;
type PutGeneral = Put<GeneralSettings>;

/// Focus is on Name: Enter edits, ctrl-u clears, then type.
fn edit_name(app: &mut orgdeck::App, name: &str) {
    send(app, [key(KeyCode::Enter), ctrl('u')]);
    type_text(app, name);
}

fn put_of(cmds: &[Command]) -> Option<(i64, String)> {
    let put = calls_of::<PutGeneral>(cmds).into_iter().next()?;
    let value: GeneralSettings = put.body_as().unwrap();
    Some((put.if_match.unwrap(), value.name))
}

#[test]
fn tab_number_keys_and_jump_switch_tabs() {
    let mut app = logged_in();
    let titles: Vec<&str> = app.tabs.iter().map(|t| t.title()).collect();
    assert_eq!(
        titles,
        [
            "General",
            "Users",
            "Groups",
            "Security",
            "Audit",
            "API keys",
            "Integrations",
            "Notifications",
            "Account",
            "Agent keys",
            "Servers",
            "Reports",
            "Scores",
            "Inbox"
        ]
    );
    app.tabs.push(Box::new(BlankTab("Extra")));
    send(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.active, 1);
    send(&mut app, [key(KeyCode::BackTab), key(KeyCode::BackTab)]);
    assert_eq!(app.active, app.tabs.len() - 1, "shift-tab wraps around");
    send(&mut app, [ch('1')]);
    assert_eq!(app.active, 0);
    send(&mut app, [ch(':'), ch('u'), key(KeyCode::Enter)]);
    assert_eq!(app.active, 1, ": jumps by name prefix");
    send(&mut app, [ch(':'), ch('g'), ch('r'), key(KeyCode::Tab)]);
    assert_eq!(app.jump.as_ref().unwrap().value(), "Groups", "tab completes the name");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.active, 2);
    app.active = app.tabs.len() - 1;
    assert_eq!(
        app.active_tab().title(),
        "Extra",
        "a tab plugs in through the trait alone"
    );
}

#[test]
fn editing_the_name_marks_the_tab_modified() {
    let mut app = logged_in();
    assert!(!app.is_dirty());
    edit_name(&mut app, "Acme Labs");
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(app.is_dirty());
    let screen = screen(&app, 120, 40);
    assert!(screen.contains("Acme Labs"), "{screen}");
    assert!(screen.contains("modified"), "{screen}");
}

#[test]
fn an_invalid_name_shows_the_shared_validation_error_as_you_type() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Enter), ctrl('u')]);
    let screen = screen(&app, 80, 24);
    assert!(screen.contains("! is required"), "{screen}");
    type_text(&mut app, "A");
    assert!(!screen_contains(&app, "is required"));
}

fn screen_contains(app: &orgdeck::App, text: &str) -> bool {
    screen(app, 80, 24).contains(text)
}

#[test]
fn saving_an_invalid_form_sends_nothing_and_says_why() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Enter), ctrl('u'), key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ctrl('s')]);
    assert_eq!(put_of(&cmds), None);
    assert!(screen_contains(&app, "Not saved: fix 1 field(s) first"));
}

#[test]
fn save_sends_a_put_with_the_version_it_was_read_at() {
    let mut app = logged_in();
    edit_name(&mut app, "Acme Labs");
    // ctrl-s saves straight from the field being edited.
    let cmds = send(&mut app, [ctrl('s')]);
    assert_eq!(put_of(&cmds), Some((3, "Acme Labs".to_string())));
    assert!(app.animating(), "the spinner runs while saving");
    let mut saved = settings();
    saved.version = 4;
    saved.value.name = "Acme Labs".into();
    let request = call_of::<PutGeneral>(&cmds);
    send(&mut app, [reply::<PutGeneral>(request, Ok(saved))]);
    assert!(!app.is_dirty());
    assert!(!app.animating(), "no timer once nothing runs");
    assert!(screen_contains(&app, "Saved general settings"));
    // `s` saves too in navigation mode; nothing changed now.
    let cmds = send(&mut app, [ch('s')]);
    assert_eq!(put_of(&cmds), None);
}

#[test]
fn a_stale_save_keeps_the_edits_and_shows_them_beside_the_newer_version_field_by_field() {
    let mut app = logged_in();
    edit_name(&mut app, "Mine");
    let cmds = send(&mut app, [key(KeyCode::Enter), ch('s')]);
    let put = requests(&cmds).into_iter().next().unwrap();
    let stale = ApiError::new(ErrorCode::VersionMismatch, "settings changed since version 3");
    let cmds = send(&mut app, [reply::<PutGeneral>(put, Err(stale))]);
    assert!(app.is_dirty(), "the edits are kept");
    let said = app.toasts.last().map(|t| t.text.clone()).unwrap_or_default();
    assert!(said.contains("showing both side by side"), "{said}");
    // The newer version is read to compare with.
    let get = call_of::<GetGeneral>(&cmds);
    let mut theirs = settings();
    theirs.version = 4;
    theirs.value.name = "Theirs".into();
    theirs.value.timezone = "Europe/Paris".into();
    send(&mut app, [reply::<GetGeneral>(get, Ok(theirs.clone()))]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("Save: your edits and the newer version"), "{text}");
    for seen in ["Name", "Mine", "Theirs", "Time zone", "Europe/Paris", "2 fields differ"] {
        assert!(text.contains(seen), "{seen} in {text}");
    }
    // Enter saves the merge: my name, their time zone, on their version.
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let sent = calls_of::<PutGeneral>(&cmds);
    assert_eq!(sent.len(), 1, "{cmds:?}");
    let body: GeneralSettings = sent[0].body_as().unwrap();
    assert_eq!(sent[0].if_match, Some(4));
    assert_eq!((body.name.as_str(), body.timezone.as_str()), ("Mine", "Europe/Paris"));
    let mut saved = theirs;
    saved.version = 5;
    saved.value.name = "Mine".into();
    send(&mut app, [reply::<PutGeneral>(sent[0].clone(), Ok(saved))]);
    assert!(!app.is_dirty());
    assert!(screen_contains(&app, "Saved general settings"));
}

#[test]
fn in_the_conflict_view_t_takes_theirs_esc_goes_back_and_r_takes_the_newer_version() {
    let mut app = logged_in();
    edit_name(&mut app, "Mine");
    let cmds = send(&mut app, [key(KeyCode::Enter), ch('s')]);
    let put = requests(&cmds).into_iter().next().unwrap();
    let stale = ApiError::new(ErrorCode::VersionMismatch, "stale");
    let cmds = send(&mut app, [reply::<PutGeneral>(put, Err(stale))]);
    let mut theirs = settings();
    theirs.version = 4;
    theirs.value.name = "Theirs".into();
    send(
        &mut app,
        [reply::<GetGeneral>(call_of::<GetGeneral>(&cmds), Ok(theirs.clone()))],
    );
    // Taking theirs for the only field that differs leaves nothing to save: the form shows theirs.
    let cmds = send(&mut app, [ch('t'), key(KeyCode::Enter)]);
    assert!(calls_of::<PutGeneral>(&cmds).is_empty());
    assert!(!app.is_dirty());
    assert!(screen_contains(&app, "Nothing to save"));
    assert!(screen_contains(&app, "Theirs"));

    // Again, then Esc: back to the form, edits kept, still stale; r takes the newer version at once.
    let mut app = logged_in();
    edit_name(&mut app, "Mine");
    let cmds = send(&mut app, [key(KeyCode::Enter), ch('s')]);
    let put = requests(&cmds).into_iter().next().unwrap();
    let cmds = send(
        &mut app,
        [reply::<PutGeneral>(
            put,
            Err(ApiError::new(ErrorCode::VersionMismatch, "stale")),
        )],
    );
    send(
        &mut app,
        [reply::<GetGeneral>(call_of::<GetGeneral>(&cmds), Ok(theirs.clone()))],
    );
    send(&mut app, [key(KeyCode::Esc)]);
    let text = screen(&app, 80, 24);
    assert!(!text.contains("Save: your edits"), "{text}");
    assert!(text.contains("Mine") && app.is_dirty());
    assert!(text.contains("compare and save"), "{text}");
    let cmds = send(&mut app, [ch('r')]);
    assert!(app.dialog.is_none(), "a stale form reloads without asking");
    send(
        &mut app,
        [reply::<GetGeneral>(call_of::<GetGeneral>(&cmds), Ok(theirs))],
    );
    assert!(!app.is_dirty());
    assert!(screen_contains(&app, "Theirs"));
}

#[test]
fn reloading_with_edits_asks_first() {
    let mut app = logged_in();
    edit_name(&mut app, "Mine");
    send(&mut app, [key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ch('r')]);
    assert!(requests(&cmds).is_empty());
    assert!(app.dialog.is_some());
    let cmds = send(&mut app, [ch('y')]);
    assert!(
        sends::<GetGeneral>(&cmds),
        "Confirm(Reload) came back as Confirmed(Reload)"
    );
}

#[test]
fn server_field_errors_show_inline_and_the_typed_text_stays() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Down)]);
    send(&mut app, [key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Europe/Paris");
    let cmds = send(&mut app, [key(KeyCode::Enter), ch('s')]);
    let put = requests(&cmds).into_iter().next().unwrap();
    let refused = ApiError::validation(vec![FieldError::new("timezone", "not allowed for this organization")]);
    send(&mut app, [reply::<PutGeneral>(put, Err(refused))]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("! not allowed for this organization"), "{text}");
    assert!(text.contains("Europe/Paris"));
    assert!(app.is_dirty());
}

#[test]
fn an_expired_session_opens_the_login_over_the_form_keeps_edits_and_retries() {
    let mut app = logged_in();
    edit_name(&mut app, "Half typed");
    let cmds = send(&mut app, [ctrl('s')]);
    let put = requests(&cmds).into_iter().next().unwrap();
    let expired = ApiError::new(ErrorCode::SessionExpired, "session expired");
    let cmds = send(&mut app, [reply::<PutGeneral>(put.clone(), Err(expired))]);
    assert!(cmds.contains(&Command::ForgetToken));
    let login = app.login.as_ref().expect("the login dialog is open");
    assert!(login.overlay, "over the current screen");
    assert_eq!(login.email.value(), "admin@acme.test");
    assert!(app.is_dirty(), "edits kept");
    let text = screen(&app, 80, 24);
    assert!(text.contains("Session expired"), "{text}");
    // Typing goes to the password, not to the form.
    let cmds = type_text(&mut app, "s3cret");
    assert!(cmds.is_empty());
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let login_request = requests(&cmds).into_iter().next().unwrap();
    let body: LoginRequest = login_request.body_as().unwrap();
    assert!(login_request.is::<Login>() && body.email == "admin@acme.test" && body.password.expose() == "s3cret");
    let grant = SessionGrant {
        token: Secret::new("tok-2"),
        expires_at: "2026-11-29T09:00:00Z".parse().unwrap(),
    };
    let cmds = send(
        &mut app,
        [reply::<Login>(login_request, Ok(LoginResponse::Granted(grant)))],
    );
    assert!(app.login.is_none());
    assert_eq!(cmds[0], Command::UseToken(Secret::new("tok-2")));
    assert!(
        requests(&cmds).contains(&put),
        "the refused save is sent again: {cmds:?}"
    );
    assert!(screen_contains(&app, "Half typed"));
}

#[test]
fn quitting_with_unsaved_edits_asks_first() {
    let mut app = logged_in();
    send(&mut app, [ch('q')]);
    assert!(app.should_quit(), "nothing to lose: q quits at once");

    let mut app = logged_in();
    edit_name(&mut app, "Unsaved");
    send(&mut app, [key(KeyCode::Enter), ch('q')]);
    assert!(!app.should_quit());
    let text = screen(&app, 80, 24);
    assert!(text.contains("unsaved edits in General"), "{text}");
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(!app.should_quit(), "Enter presses the default button, which is stay");
    send(&mut app, [ctrl('c')]);
    assert!(app.dialog.is_some(), "ctrl-c asks the same");
    send(&mut app, [ch('y')]);
    assert!(app.should_quit());
}

#[test]
fn help_lists_every_keymap_action_and_the_log_file() {
    let app = logged_in();
    let keymap = Keymap::default();
    let lines: Vec<String> = Help::lines(&keymap, app.log_path.as_deref(), &app.theme)
        .iter()
        .map(|l| l.to_string())
        .collect();
    let text = lines.join("\n");
    for spec in ACTIONS {
        assert!(text.contains(spec.description), "help misses {}", spec.name);
    }
    assert!(text.contains("/home/ada/.local/share/orgdeck/logs/orgdeck.log"));
    let mut app = app;
    send(&mut app, [ch('?')]);
    assert!(app.help.is_some());
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(app.help.is_none());
}

#[test]
fn read_only_profiles_view_but_neither_edit_nor_save() {
    let mut app = logged_in_with(orgdeck::theme::ThemeKind::Color256, true);
    edit_name(&mut app, "Nope");
    let cmds = send(&mut app, [ctrl('s'), key(KeyCode::Enter), ch('s')]);
    assert_eq!(put_of(&cmds), None);
    assert!(!app.is_dirty(), "the form does not edit");
    send(&mut app, [key(KeyCode::Down)]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("> Date format"), "the cursor still moves: {text}");
    assert!(text.contains("read-only"));
    assert!(!text.contains("save"), "no save hint: {text}");
}

#[test]
fn without_a_stored_session_the_login_screen_comes_first_and_shows_errors_in_place() {
    let mut app = orgdeck::App::new(init(orgdeck::theme::ThemeKind::Color256, false, false));
    assert!(app.start().is_empty());
    assert!(app.login.as_ref().is_some_and(|l| !l.overlay));
    type_text(&mut app, "wrong");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let login_request = requests(&cmds).into_iter().next().unwrap();
    assert!(app.animating());
    let refused = ApiError::new(ErrorCode::InvalidCredentials, "invalid email or password");
    send(&mut app, [reply::<Login>(login_request, Err(refused))]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("Wrong email or password."), "{text}");
    assert_eq!(
        app.login.as_ref().unwrap().password.value(),
        "",
        "the password must be typed again"
    );
}

#[test]
fn toasts_go_away_on_the_next_key_or_their_timer() {
    let mut app = logged_in();
    let cmds = send(&mut app, [ch('s')]);
    assert_eq!(app.toasts.len(), 1, "nothing to save");
    let expiry = cmds.iter().find_map(|c| {
        if let Command::After { msg, .. } = c {
            Some((**msg).clone())
        } else {
            None
        }
    });
    assert!(matches!(expiry, Some(Msg::ToastExpired(_))));
    send(&mut app, [key(KeyCode::Down)]);
    assert!(app.toasts.is_empty());
    send(&mut app, [ch('s')]);
    send(&mut app, [expiry.unwrap()]);
    assert_eq!(app.toasts.len(), 1, "another toast's timer leaves this one");
}

#[test]
fn a_second_factor_is_asked_for_when_the_server_wants_one() {
    let mut app = orgdeck::App::new(init(orgdeck::theme::ThemeKind::Color256, false, false));
    app.start();
    type_text(&mut app, "pw");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let login_request = requests(&cmds).into_iter().next().unwrap();
    let challenge = LoginResponse::MfaRequired {
        mfa_required: true,
        challenge: Secret::new("ch-1"),
        methods: vec![orgdeck_shared::auth::MfaMethod::Totp],
        email_sent_to: None,
    };
    send(&mut app, [reply::<Login>(login_request, Ok(challenge))]);
    assert!(screen(&app, 80, 24).contains("6-digit code"));
    type_text(&mut app, "123456");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let mfa = call_of::<Mfa>(&cmds);
    let body: MfaRequest = mfa.body_as().unwrap();
    assert_eq!(
        (body.challenge, body.code),
        (Secret::new("ch-1"), Secret::new("123456"))
    );
}

#[test]
fn a_key_that_does_nothing_here_says_so_and_r_says_reloaded() {
    let mut app = logged_in();
    send(&mut app, [ch('3'), ch('x')]);
    let said = app.toasts.last().map(|t| t.text.clone()).unwrap_or_default();
    assert!(said.contains("export") && said.contains("not in Groups"), "{said}");
    // Reloading the groups: said once everything it asked for is back, not before.
    let cmds = send(&mut app, [ch('r')]);
    let asked = requests(&cmds);
    assert_eq!(asked.len(), 2, "{asked:?}");
    app.update(reply_to(
        asked[0].clone(),
        Ok(orgdeck_shared::Page::<orgdeck_shared::groups::Group> {
            items: Vec::new(),
            next_cursor: None,
        }),
    ));
    assert!(!app.toasts.iter().any(|t| t.text == "Reloaded"));
    app.update(reply_to(
        asked[1].clone(),
        Ok(orgdeck_shared::Page::<orgdeck_shared::inventory::Application> {
            items: Vec::new(),
            next_cursor: None,
        }),
    ));
    assert!(app.toasts.iter().any(|t| t.text == "Reloaded"));
    // A failed part: no "Reloaded".
    let cmds = send(&mut app, [ch('r')]);
    let asked = requests(&cmds);
    app.update(reply_to::<()>(
        asked[0].clone(),
        Err(ApiError::new(ErrorCode::Internal, "busy")),
    ));
    app.toasts.clear();
    app.update(reply_to(
        asked[1].clone(),
        Ok(orgdeck_shared::Page::<orgdeck_shared::inventory::Application> {
            items: Vec::new(),
            next_cursor: None,
        }),
    ));
    assert!(!app.toasts.iter().any(|t| t.text == "Reloaded"));
}

#[test]
fn help_scrolls_by_pages() {
    let mut app = logged_in();
    send(&mut app, [orgdeck::Msg::Resize(80, 24), ch('?')]);
    send(&mut app, [key(KeyCode::PageDown)]);
    let after_page = app.help.as_ref().unwrap().scroll;
    assert!(after_page > 5, "{after_page}");
    send(&mut app, [key(KeyCode::End)]);
    assert!(app.help.as_ref().unwrap().scroll > after_page);
    send(&mut app, [key(KeyCode::Home)]);
    assert_eq!(app.help.as_ref().unwrap().scroll, 0);
}

/// The footer's labels on the tab numbered `n` (1-based), as drawn.
fn footer_on(app: &mut orgdeck::App, n: char) -> Vec<&'static str> {
    send(app, [ch(n)]);
    app.hints().into_iter().map(|(_, label)| label).collect()
}

/// The footer hides what cannot be done now: everything but help for someone who is not an admin (the
/// server refuses them users, groups and the log), row actions without a row or on a locked built-in
/// group; `?` still lists every binding.
#[test]
fn the_footer_offers_only_what_can_be_done_now() {
    use orgdeck_shared::auth::{OrgRole, endpoints::GetMe};
    let mut viewer = orgdeck::App::new(init(orgdeck::theme::ThemeKind::Color256, false, true));
    viewer.start();
    let mut me = me();
    me.role = OrgRole::View;
    let cmds = viewer.update(answer::<GetMe>(&viewer, Ok(me)));
    orgdeck::bench::serve(&mut viewer, cmds, 30);
    for tab in ['2', '3', '5'] {
        assert_eq!(footer_on(&mut viewer, tab), ["help", "quit", "log out"], "tab {tab}");
    }

    // An admin: no row actions on an empty log, none on a built-in group.
    let mut admin = logged_in();
    let audit = footer_on(&mut admin, '5');
    assert!(audit.contains(&"search") && !audit.contains(&"details") && !audit.contains(&"export"));
    let groups = footer_on(&mut admin, '3');
    assert!(groups.contains(&"add") && !groups.contains(&"edit") && !groups.contains(&"delete"));
    // Users: of enable and disable, what changes the user under the cursor.
    let mut users = users_app(30);
    let hints = footer_on(&mut users, '2');
    assert!(hints.contains(&"disable") && !hints.contains(&"enable"), "{hints:?}");

    // The help still has every binding, whatever the footer shows.
    let rows = viewer.keymap.help_rows();
    for name in ["filter", "sort", "export", "email_key", "delete"] {
        let spec = orgdeck::keymap::all_specs().find(|s| s.name == name).unwrap();
        assert!(
            rows.iter().any(|(_, _, d)| *d == spec.description),
            "{name} in the help"
        );
    }
}
