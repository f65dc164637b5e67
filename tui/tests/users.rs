//! The Users tab driven by messages alone, over a fake organization served in-process: what an
//! administrator would notice.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{
    Command, Msg,
    api::{Call, UserAction},
    bench::{fake_page, fake_user, serve},
    tabs::users::{Mode, UsersMsg},
};
use orgdeck_shared::{
    ApiError, ErrorCode, FieldError,
    auth::Secret,
    auth::endpoints::GetMe,
    security::endpoints::{EndSession, EndSessions, ListSessions},
    users::{self, BulkAction, BulkRequest, NewUser, RowError, UserCreated, UserQuery},
};

/// The table's generation and page a page call is for (as its answer would say), and its query.
fn tag_of(c: &Call) -> (u64, usize, UserQuery) {
    assert!(c.is::<users::endpoints::List>(), "not a page request: {c:?}");
    let query: UserQuery = c.query_as().unwrap();
    let msg = c.finish(Err(&ApiError::new(ErrorCode::Unknown, "look")));
    match *msg.downcast::<UsersMsg>().expect("a Users tab message") {
        UsersMsg::Page { tag, .. } => (tag.generation, tag.page, query),
        other => panic!("{other:?}"),
    }
}

/// The debounce timers among commands: `(tab, token)` messages they will send.
fn timers(cmds: &[Command]) -> Vec<Msg> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Timer { msg, .. } => Some((**msg).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_table_shows_the_first_page_and_asks_for_more_only_when_scrolling_near_its_end() {
    let mut app = users_app(100_000);
    let t = &users(&app).table;
    assert_eq!(t.known_rows(), 100, "one page of 100 is asked for at first");
    assert!(!t.at_end());
    let text = screen(&app, 80, 24);
    assert!(text.contains("user000000.andersen@"), "{text}");
    assert!(text.contains("1/100+"), "{text}");
    // The first moves need nothing from the server.
    let cmds = send(&mut app, (0..10).map(|_| ch('j')));
    assert!(user_pages(&cmds).is_empty());
    // Nearing the end of what is held asks for the next page, with the cursor of the page before.
    let mut asked = Vec::new();
    for _ in 0..60 {
        let cmds = send(&mut app, [ch('j')]);
        asked.extend(user_pages(&cmds));
    }
    assert_eq!(asked.len(), 1, "{asked:?}");
    let (_, page, query) = tag_of(&asked[0]);
    assert_eq!(page, 1);
    assert_eq!(query.cursor.as_deref(), Some("99"));
    assert_eq!(query.limit, Some(100));
    serve(&mut app, asked.into_iter().map(Command::Api).collect(), 100_000);
    assert_eq!(users(&app).table.known_rows(), 200);
}

#[test]
fn a_hundred_thousand_rows_never_sit_in_memory_at_once() {
    let mut app = users_app(100_000);
    for _ in 0..30 {
        let cmds = send(&mut app, [key(KeyCode::PageDown)]);
        serve(&mut app, cmds, 100_000);
        assert!(
            users(&app).table.held_rows() <= 600,
            "held {}",
            users(&app).table.held_rows()
        );
    }
    let cmds = send(&mut app, [ch('G')]);
    serve(&mut app, cmds, 100_000);
    let t = &users(&app).table;
    assert!(t.at_end());
    assert_eq!(t.cursor(), 99_999);
    assert!(t.held_rows() <= 1_500, "held {}", t.held_rows());
    assert!(screen(&app, 80, 24).contains("user099999."));
    // Back on top, the first page comes again from its (empty) cursor.
    let cmds = send(&mut app, [ch('g')]);
    let pages = user_pages(&cmds);
    assert!(pages.iter().any(|r| tag_of(r).2.cursor.is_none()), "{pages:?}");
}

#[test]
fn typing_a_search_waits_for_a_pause_then_asks_the_server_and_drops_stale_answers() {
    let mut app = users_app(1_000);
    let cmds = send(&mut app, [ch('/')]);
    assert!(cmds.is_empty());
    let cmds = type_text(&mut app, "user0001");
    assert!(user_pages(&cmds).is_empty(), "nothing is sent while typing");
    let t = timers(&cmds);
    assert_eq!(t.len(), 8, "each key restarts the one debounce timer");
    assert!(
        cmds.iter()
            .all(|c| !matches!(c, Command::Timer { delay, .. } if delay.as_millis() != 250))
    );
    // An old timer going off does nothing; the last one searches.
    assert!(user_pages(&send(&mut app, [t[0].clone()])).is_empty());
    let first = user_pages(&send(&mut app, [t[7].clone()]));
    assert_eq!(first.len(), 1);
    let (gen_a, _, query) = tag_of(&first[0]);
    assert_eq!(query.q.as_deref(), Some("user0001"));
    // More typing: a newer search goes out before the first answer comes back.
    let cmds = type_text(&mut app, "2");
    let second = user_pages(&send(&mut app, timers(&cmds)));
    let (gen_b, _, query_b) = tag_of(&second[0]);
    assert!(gen_b > gen_a);
    // The newer answer arrives first; then the stale one, which must not replace it.
    let newer = fake_page(&query_b, 1_000);
    app.update(reply::<users::endpoints::List>(second[0].clone(), Ok(newer)));
    let older = fake_page(&query, 1_000);
    app.update(reply::<users::endpoints::List>(first[0].clone(), Ok(older)));
    let t = &users(&app).table;
    assert_eq!(t.known_rows(), 10, "only user00012x rows: {}", t.known_rows());
    assert!(t.current().unwrap().email.starts_with("user00012"));
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(screen(&app, 80, 24).contains("/ user00012"));
}

#[test]
fn the_selection_is_kept_by_id_across_pages_and_bulk_actions_use_it() {
    let mut app = users_app(1_000);
    send(&mut app, [ch(' '), ch(' ')]);
    for _ in 0..3 {
        let cmds = send(
            &mut app,
            [key(KeyCode::PageDown), key(KeyCode::PageDown), key(KeyCode::PageDown)],
        );
        serve(&mut app, cmds, 1_000);
    }
    let here = users(&app).table.cursor();
    assert!(here > 100, "on a later page: {here}");
    send(&mut app, [ch(' ')]);
    assert_eq!(users(&app).table.selected().len(), 3);
    assert!(screen(&app, 80, 24).contains("3 selected"));
    let cmds = send(&mut app, [ch('+')]);
    assert!(requests(&cmds).is_empty(), "enabling several asks first");
    let dialog = app.dialog.as_ref().expect("a confirmation");
    assert_eq!(dialog.title, "Enable 3 users?");
    let cmds = send(&mut app, [ch('y')]);
    let ids = vec![fake_user(0).id, fake_user(1).id, fake_user(here).id];
    let mut sent: BulkRequest = only_body::<users::endpoints::Bulk, _>(&cmds);
    sent.ids.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(
        sent,
        BulkRequest {
            action: BulkAction::Enable,
            ids: want
        }
    );
}

#[test]
fn delete_asks_first_names_the_users_and_their_count() {
    let mut app = users_app(1_000);
    send(&mut app, [ch(' '), ch(' '), ch(' '), ch(' '), ch(' ')]);
    let cmds = send(&mut app, [ch('d')]);
    assert!(requests(&cmds).is_empty());
    let d = app.dialog.clone().expect("a confirmation");
    assert_eq!(d.title, "Delete 5 users?");
    assert!(d.message.contains(&fake_user(0).email), "{}", d.message);
    assert!(d.message.contains("and 2 more"), "{}", d.message);
    assert!(!d.on_yes, "enter means no");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(requests(&cmds).is_empty(), "enter on the default button cancels");
    send(&mut app, [ch('d')]);
    let cmds = send(&mut app, [ch('y')]);
    let req: BulkRequest = only_body::<users::endpoints::Bulk, _>(&cmds);
    assert_eq!((req.action, req.ids.len()), (BulkAction::Delete, 5));
}

#[test]
fn disabling_one_user_asks_first_and_the_answer_updates_the_row_while_enabling_does_not_ask() {
    let mut app = users_app(50);
    let cmds = send(&mut app, [ch('-')]);
    assert!(requests(&cmds).is_empty());
    assert!(app.dialog.as_ref().unwrap().message.contains(&fake_user(0).email));
    let cmds = send(&mut app, [ch('y')]);
    let id = fake_user(0).id;
    let req = call_of::<users::endpoints::Act>(&cmds);
    assert_eq!(requests(&cmds).len(), 1);
    assert_eq!(req.path, format!("/api/v1/users/{id}/{}", UserAction::Disable.route()));
    let mut disabled = fake_user(0);
    disabled.status = orgdeck_shared::users::UserStatus::Disabled;
    disabled.enabled = false;
    app.update(reply::<users::endpoints::Act>(req, Ok(disabled)));
    assert!(screen(&app, 80, 24).contains("disabled"));
    let cmds = send(&mut app, [ch('+')]);
    assert_eq!(endpoints_of(&cmds), ["users::Act"]);
    assert_eq!(requests(&cmds)[0].path, format!("/api/v1/users/{id}/enable"));
    // The last admin: the server's refusal is said in a toast.
    let refused = ApiError::new(ErrorCode::Conflict, "the organization must keep an admin");
    app.update(answer::<users::endpoints::Act>(&app, Err(refused)));
    assert!(screen(&app, 120, 40).contains("must keep an admin"));
}

#[test]
fn import_row_errors_are_shown_in_a_scrollable_report_and_nothing_changes() {
    let mut app = users_app(50);
    send(&mut app, [ch('i')]);
    type_text(&mut app, "/tmp/people.csv");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let req = call_of::<users::endpoints::Import>(&cmds);
    assert_eq!(req.payload, orgdeck::api::Payload::CsvFile("/tmp/people.csv".into()));
    let rows: Vec<FieldError> = (2..40)
        .map(|row| {
            RowError {
                row,
                field: "email".into(),
                message: format!("row {row} is taken"),
            }
            .to_field_error()
        })
        .collect();
    let refused = ApiError::validation(rows);
    app.update(reply::<users::endpoints::Import>(req, Err(refused)));
    let text = screen(&app, 80, 24);
    assert!(text.contains("Import refused"), "{text}");
    assert!(text.contains("Nothing was imported: 38 problem(s)"), "{text}");
    assert!(text.contains("2      email        row 2 is taken"), "{text}");
    assert!(!text.contains("row 39 is taken"));
    send(&mut app, (0..40).map(|_| ch('j')));
    assert!(screen(&app, 80, 24).contains("row 39 is taken"), "the report scrolls");
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(matches!(users(&app).mode, Mode::Browse));
}

#[test]
fn a_stale_edit_keeps_the_edits_and_r_reloads_the_user() {
    let mut app = users_app(50);
    send(&mut app, [ch('e'), key(KeyCode::Down), key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Renamed");
    let cmds = send(&mut app, [ctrl('s')]);
    let req = call_of::<users::endpoints::Update>(&cmds);
    assert_eq!(req.if_match, Some(1));
    let stale = ApiError::new(ErrorCode::VersionMismatch, "the user changed since version 1");
    app.update(reply::<users::endpoints::Update>(req, Err(stale)));
    assert!(app.is_dirty(), "the edits stay");
    let text = screen(&app, 80, 24);
    assert!(text.contains("Someone else changed this user"), "{text}");
    assert!(text.contains("Renamed"));
    let cmds = send(&mut app, [ch('r')]);
    let id = fake_user(0).id;
    assert_eq!(endpoints_of(&cmds), ["users::Get"]);
    assert_eq!(requests(&cmds)[0].path, format!("/api/v1/users/{id}"));
    let mut now = fake_user(0);
    now.version = 2;
    now.first_name = "Theirs".into();
    app.update(answer::<users::endpoints::Get>(&app, Ok(now)));
    assert!(!app.is_dirty());
    assert!(screen(&app, 80, 24).contains("Theirs"));
}

#[test]
fn a_stale_edit_shows_both_versions_field_by_field_and_saves_the_merge_on_the_newer_version() {
    let mut app = users_app(50);
    send(&mut app, [ch('e'), key(KeyCode::Down), key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Renamed");
    let cmds = send(&mut app, [ctrl('s')]);
    let req = call_of::<users::endpoints::Update>(&cmds);
    let stale = ApiError::new(ErrorCode::VersionMismatch, "the user changed since version 1");
    let cmds = app.update(reply::<users::endpoints::Update>(req, Err(stale)));
    // The newer version is read to compare with.
    let get = call_of::<users::endpoints::Get>(&cmds);
    let mut theirs = fake_user(0);
    theirs.version = 2;
    theirs.first_name = "Theirs".into();
    theirs.last_name = "Newname".into();
    app.update(reply::<users::endpoints::Get>(get, Ok(theirs)));
    let text = screen(&app, 80, 24);
    for seen in [
        "Save: your edits and the newer version",
        "First name",
        "Renamed",
        "Theirs",
        "Last name",
        "Newname",
    ] {
        assert!(text.contains(seen), "{seen} in {text}");
    }
    // Both changed the first name (marked, mine kept); they alone changed the last name (theirs kept).
    assert!(text.contains("(1 changed by both, marked !)"), "{text}");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let save = call_of::<users::endpoints::Update>(&cmds);
    assert_eq!(save.if_match, Some(2), "on the newer version");
    let patch: orgdeck_shared::users::UserPatch = save.body_as().unwrap();
    assert_eq!(patch.first_name.as_deref(), Some("Renamed"));
    assert_eq!(patch.last_name, None, "theirs is the base now: nothing to send for it");
}

#[test]
fn the_password_rules_still_missing_update_as_the_password_is_typed() {
    let mut app = users_app(5);
    send(&mut app, [ch('a')]);
    type_text(&mut app, "new.person@bench.test");
    send(&mut app, (0..6).map(|_| key(KeyCode::Down)));
    let text = screen(&app, 80, 24);
    assert!(text.contains("No password: the user is invited"), "{text}");
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "short");
    let text = screen(&app, 80, 24);
    assert!(text.contains("✗ at least 15 characters (5 so far)"), "{text}");
    assert!(!text.contains("short"), "the password is masked");
    type_text(&mut app, " but now long enough");
    let text = screen(&app, 80, 24);
    assert!(!text.contains("at least 15"), "{text}");
    assert!(text.contains("✓ meets the password policy"), "{text}");
}

#[test]
fn an_invitation_shows_the_activation_token_once_and_c_copies_it() {
    let mut app = users_app(5);
    send(&mut app, [ch('a')]);
    type_text(&mut app, "invitee@bench.test");
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    type_text(&mut app, "Ivy");
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    type_text(&mut app, "Invitee");
    let cmds = send(&mut app, [ctrl('s')]);
    let req = call_of::<users::endpoints::Create>(&cmds);
    let new: NewUser = req.body_as().unwrap();
    assert!(new.password.is_none(), "no password: an invitation");
    let mut user = fake_user(7);
    user.email = "invitee@bench.test".into();
    let created = UserCreated {
        user,
        activation_token: Some(Secret::new("act-123456")),
    };
    let cmds = app.update(reply::<users::endpoints::Create>(req, Ok(created)));
    assert!(!user_pages(&cmds).is_empty(), "the list is read again");
    assert!(screen(&app, 80, 24).contains("act-123456"));
    let cmds = send(&mut app, [ch('c')]);
    assert!(cmds.contains(&Command::Copy(Secret::new("act-123456"))));
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(!screen(&app, 80, 24).contains("act-123456"), "shown once");
}

#[test]
fn sorting_and_filtering_start_a_new_generation_from_the_first_page() {
    let mut app = users_app(500);
    let g0 = users(&app).table.generation();
    let cmds = send(&mut app, [ch('o')]);
    let (g1, page, query) = tag_of(&user_pages(&cmds)[0]);
    assert!(g1 > g0);
    assert_eq!((page, query.sort.as_deref()), (0, Some("email")));
    let cmds = send(&mut app, [ch('O')]);
    assert_eq!(tag_of(&user_pages(&cmds)[0]).2.sort.as_deref(), Some("-email"));
    let cmds = send(&mut app, [ch('f')]);
    assert_eq!(
        tag_of(&user_pages(&cmds)[0]).2.status,
        Some(orgdeck_shared::users::UserStatus::Active)
    );
    assert!(screen(&app, 80, 24).contains("status: active"));
}

#[test]
fn read_only_profiles_browse_and_search_but_cannot_change_users() {
    let mut app = users_app_with(50, true);
    for c in ['a', 'e', 'd', '-', '+', 'u', 'i'] {
        let cmds = send(&mut app, [ch(c)]);
        assert!(requests(&cmds).is_empty(), "{c}");
        assert!(app.dialog.is_none(), "{c}");
        assert!(matches!(users(&app).mode, Mode::Browse), "{c}");
    }
    let cmds = send(&mut app, [ch('j'), ch('/')]);
    assert!(cmds.is_empty());
    let text = screen(&app, 80, 24);
    assert!(!text.contains("delete") && !text.contains(" add"), "{text}");
}

#[test]
fn a_page_that_fails_shows_an_error_row_and_r_asks_again() {
    let mut app = App2::new();
    let failed = ApiError::new(ErrorCode::Internal, "database is busy");
    let req = app.first_page.clone();
    app.app
        .update(reply::<users::endpoints::List>(req.clone(), Err(failed)));
    assert!(screen(&app.app, 80, 24).contains("! Could not load users: database is busy (r retries)"));
    let cmds = send(&mut app.app, [ch('r')]);
    assert!(user_pages(&cmds).iter().any(|r| tag_of(r).1 == 0));
}

/// An app whose Users tab asked for its first page, not answered yet.
struct App2 {
    app: orgdeck::App,
    first_page: Call,
}

impl App2 {
    fn new() -> App2 {
        let mut app = orgdeck::App::new(init(orgdeck::theme::ThemeKind::Color256, false, true));
        app.start();
        let cmds = app.update(answer::<GetMe>(&app, Ok(me())));
        let first_page = user_pages(&cmds)
            .into_iter()
            .next()
            .expect("the first page is asked for");
        assert_eq!(tag_of(&first_page).1, 0, "the first page");
        send(&mut app, [ch('2')]);
        App2 { app, first_page }
    }
}

#[test]
fn closing_a_form_with_edits_asks_first_and_esc_keeps_editing() {
    let mut app = users_app(5);
    send(&mut app, [ch('e'), key(KeyCode::Down), key(KeyCode::Enter)]);
    type_text(&mut app, "x");
    send(&mut app, [key(KeyCode::Enter), key(KeyCode::Esc)]);
    assert_eq!(
        app.dialog.as_ref().map(|d| d.title.as_str()),
        Some("Discard your edits?")
    );
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(
        app.dialog.is_none() && app.is_dirty(),
        "esc on the question keeps the form"
    );
    send(&mut app, [key(KeyCode::Esc), ch('y')]);
    assert!(matches!(users(&app).mode, Mode::Browse));
    assert!(!app.is_dirty());
    // An untouched form closes at once.
    send(&mut app, [ch('e'), key(KeyCode::Esc)]);
    assert!(app.dialog.is_none() && matches!(users(&app).mode, Mode::Browse));
}

#[test]
fn enter_shows_the_effective_access_the_server_computes_for_the_user() {
    use orgdeck_shared::groups::{AppRole, AppRoleOf, UserAccess};
    let mut app = users_app(5);
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let id = fake_user(0).id;
    assert_eq!(endpoints_of(&cmds), ["users::Access"]);
    let access = UserAccess {
        user_id: id,
        default_group: orgdeck_shared::auth::OrgRole::View,
        groups: Vec::new(),
        applications: vec![AppRoleOf {
            application_id: uuid::Uuid::from_u128(7),
            application_name: "payments-api".into(),
            role: AppRole::Edit,
        }],
    };
    app.update(answer::<users::endpoints::Access>(&app, Ok(access)));
    let text = screen(&app, 120, 40);
    assert!(text.contains("payments-api") && text.contains("edit"), "{text}");
}

#[test]
fn a_users_sessions_are_listed_and_ending_one_or_all_asks_first() {
    use orgdeck_shared::security::ActiveSession;
    let mut app = users_app(3);
    let cmds = send(&mut app, [ch('S')]);
    let user = users(&app).table.current().unwrap().id;
    assert!(sends::<ListSessions>(&cmds));
    let at: jiff::Timestamp = "2026-11-28T20:00:00Z".parse().unwrap();
    let session = |id: &str, ip: &str| ActiveSession {
        id: id.into(),
        created_at: at,
        last_seen_at: at,
        expires_at: at,
        ip: ip.into(),
    };
    app.update(answer::<ListSessions>(
        &app,
        Ok(vec![session("s1", "192.0.2.10"), session("s2", "198.51.100.7")]),
    ));
    assert!(screen(&app, 80, 24).contains("198.51.100.7"));
    let cmds = send(&mut app, [key(KeyCode::Down), ch('d')]);
    assert!(
        requests(&cmds)
            .iter()
            .all(|r| !r.is::<EndSession>() && !r.is::<EndSessions>()),
        "asks first"
    );
    assert!(screen(&app, 80, 24).contains("End the session?"));
    let cmds = send(&mut app, [ch('y')]);
    assert_eq!(
        call_of::<EndSession>(&cmds).path,
        format!("/api/v1/users/{user}/sessions/s2")
    );
    send(&mut app, [ch('X')]);
    assert!(screen(&app, 80, 24).contains("End all 2 sessions"));
    let cmds = send(&mut app, [ch('n')]);
    assert!(requests(&cmds).is_empty(), "no means nothing");
    let cmds = send(&mut app, [ch('X'), ch('y')]);
    assert_eq!(
        call_of::<EndSessions>(&cmds).path,
        format!("/api/v1/users/{user}/sessions")
    );
}
