//! The Groups tab driven by messages alone.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{
    App, Command,
    bench::{fake_page, fake_user},
};
use orgdeck_shared::{
    Page,
    auth::OrgRole,
    general::Environment,
    groups,
    groups::{AppAccess, AppRole, AppSelection, Group, GroupDeleted, GroupInput},
    inventory::{Application, endpoints::ListApplications},
    users::{self, UserQuery},
};
use uuid::Uuid;

fn app_id(n: u128) -> Uuid {
    Uuid::from_u128(0xa000 + n)
}

pub fn fixture_groups() -> Vec<Group> {
    let mut groups: Vec<Group> = OrgRole::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| Group {
            id: Uuid::from_u128(0xb000 + i as u128),
            name: r.label().into(),
            built_in: true,
            grants_role: Some(*r),
            app_access: Vec::new(),
            members: (0..(i + 1)).map(|n| fake_user(n).id).collect(),
            version: 1,
        })
        .collect();
    groups.push(Group {
        id: Uuid::from_u128(0xc001),
        name: "Payments Team".into(),
        built_in: false,
        grants_role: None,
        app_access: vec![AppAccess {
            applications: AppSelection::Only(vec![app_id(1), app_id(2)]),
            role: AppRole::Edit,
        }],
        members: (0..7).map(|n| fake_user(n).id).collect(),
        version: 3,
    });
    groups
}

fn applications() -> Vec<Application> {
    ["billing", "ledger", "kyc-verifier"]
        .iter()
        .enumerate()
        .map(|(i, name)| Application {
            id: app_id(i as u128 + 1),
            name: (*name).into(),
            language: "java".into(),
            environment: Environment::Production,
            licensed: true,
            open_vulnerabilities: Default::default(),
            score: None,
        })
        .collect()
}

fn groups_app() -> App {
    let mut app = users_app(30);
    send(&mut app, [ch('3'), ch('r')]);
    let page = Page {
        items: fixture_groups(),
        next_cursor: None,
    };
    app.update(answer::<groups::endpoints::List>(&app, Ok(page)));
    app.update(answer::<ListApplications>(
        &app,
        Ok(Page {
            items: applications(),
            next_cursor: None,
        }),
    ));
    app
}

fn select(app: &mut App, name: &str) {
    send(app, [ch('g')]);
    for _ in 0..10 {
        if groups_tab(app).table.current().is_some_and(|g| g.name == name) {
            return;
        }
        send(app, [ch('j')]);
    }
    panic!("no group {name}");
}

#[test]
fn built_in_groups_are_shown_locked_and_cannot_be_deleted_or_edited() {
    let mut app = groups_app();
    let text = screen(&app, 80, 24);
    assert!(text.contains("Admin") && text.contains("locked · built-in"), "{text}");
    assert!(text.contains("Payments Team") && text.contains("custom"));
    select(&mut app, "Admin");
    let cmds = send(&mut app, [ch('d')]);
    assert!(requests(&cmds).is_empty());
    assert!(app.dialog.is_none());
    assert!(screen(&app, 120, 40).contains("built-in group: it cannot be deleted"));
    send(&mut app, [ch('e')]);
    assert!(groups_tab(&app).editor.is_none());
}

#[test]
fn deleting_a_group_asks_first_and_says_how_many_members_lose_access() {
    let mut app = groups_app();
    select(&mut app, "Payments Team");
    let cmds = send(&mut app, [ch('d')]);
    assert!(requests(&cmds).is_empty());
    let d = app.dialog.clone().expect("a confirmation");
    assert!(
        d.message.contains("Its 7 members lose the access it grants"),
        "{}",
        d.message
    );
    assert!(screen(&app, 80, 24).contains("Payments Team"));
    let cmds = send(&mut app, [ch('y')]);
    let id = Uuid::from_u128(0xc001);
    assert_eq!(endpoints_of(&cmds), ["groups::Delete"]);
    assert_eq!(requests(&cmds)[0].path, format!("/api/v1/groups/{id}"));
    app.update(answer::<groups::endpoints::Delete>(
        &app,
        Ok(GroupDeleted { members_affected: 7 }),
    ));
    let text = screen(&app, 120, 40);
    assert!(text.contains("7 member(s) lost the access it granted"), "{text}");
    assert!(groups_tab(&app).table.held().all(|g| g.id != id));
}

#[test]
fn a_new_group_gets_access_rows_picked_applications_and_members_picked_by_fuzzy_search() {
    let mut app = groups_app();
    send(&mut app, [ch('a')]);
    type_text(&mut app, "Auditors");
    send(&mut app, [key(KeyCode::Enter)]);
    // Down to "+ add an access row", add one (view), make it admin (view → edit → rules_admin → admin).
    send(
        &mut app,
        [key(KeyCode::Down), key(KeyCode::Enter), ch('l'), ch('l'), ch('l')],
    );
    // Enter on the row picks its applications: uncheck "all", pick ledger by typing "ldg".
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(screen(&app, 80, 24).contains("All applications"));
    send(&mut app, [ch(' ')]);
    type_text(&mut app, "ldg");
    let text = screen(&app, 80, 24);
    assert!(text.contains("ledger") && !text.contains("billing"), "{text}");
    send(&mut app, [ch(' '), key(KeyCode::Enter)]);
    // Members: the picker loads users (a small organization: everything fits) and filters locally.
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Down)]);
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let pages = user_pages(&cmds);
    assert_eq!(pages.len(), 1);
    let query: UserQuery = pages[0].query_as().unwrap();
    app.update(reply::<users::endpoints::List>(
        pages[0].clone(),
        Ok(fake_page(&query, 30)),
    ));
    let cmds = type_text(&mut app, "u0012");
    assert!(user_pages(&cmds).is_empty(), "all users are held: no server search");
    let text = screen(&app, 80, 24);
    assert!(
        text.contains(&fake_user(12).email) && !text.contains("user000013"),
        "{text}"
    );
    send(&mut app, [ch(' '), key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ctrl('s')]);
    assert_eq!(
        only_body::<groups::endpoints::Create, GroupInput>(&cmds),
        GroupInput {
            name: "Auditors".into(),
            app_access: vec![AppAccess {
                applications: AppSelection::Only(vec![app_id(2)]),
                role: AppRole::Admin,
            }],
            members: vec![fake_user(12).id],
        }
    );
}

#[test]
fn the_member_picker_of_a_big_organization_searches_the_server_as_you_type() {
    let mut app = groups_app();
    select(&mut app, "Payments Team");
    send(
        &mut app,
        [ch('e'), key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Down)],
    );
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let first = user_pages(&cmds).remove(0);
    let query: UserQuery = first.query_as().unwrap();
    app.update(reply::<users::endpoints::List>(
        first.clone(),
        Ok(fake_page(&query, 100_000)),
    ));
    let cmds = type_text(&mut app, "user09");
    let timers: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Command::Timer { msg, .. } => Some((**msg).clone()),
            _ => None,
        })
        .collect();
    assert_eq!(timers.len(), 6);
    let cmds = send(&mut app, [timers[5].clone()]);
    let pages = user_pages(&cmds);
    let query: UserQuery = pages[0].query_as().unwrap();
    assert_eq!(query.q.as_deref(), Some("user09"));
    assert_eq!(
        groups_tab(&app)
            .editor
            .as_ref()
            .and_then(|e| e.picker.as_ref())
            .map(|p| p.loading),
        Some(true)
    );
}

/// The groups loaded when the console opens reach the Users tab's form (it offered none until `r` on Users).
#[test]
fn the_user_form_offers_the_custom_groups_loaded_at_login() {
    let mut app = logged_in();
    let groups = Page {
        items: fixture_groups(),
        next_cursor: None,
    };
    let cmds = send(&mut app, [ch('3'), ch('r')]);
    app.update(reply::<groups::endpoints::List>(
        call_of::<groups::endpoints::List>(&cmds),
        Ok(groups),
    ));
    send(&mut app, [ch('2'), ch('a')]);
    send(&mut app, (0..4).map(|_| key(KeyCode::Down)));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("[ ] Payments Team") && !text.contains("none to choose from"),
        "{text}"
    );
}

/// The names in the Groups table, top to bottom.
fn order(app: &App) -> Vec<String> {
    groups_tab(app).table.held().map(|g| g.name.clone()).collect()
}

/// `o` sorts the groups by the next column (kind, then members, then name), `O` reverses; `f` and space,
/// which filter and select other lists, say why they have nothing to do here.
#[test]
fn o_sorts_the_groups_and_f_and_space_say_why_they_do_nothing() {
    let mut app = groups_app();
    assert_eq!(order(&app), ["Admin", "Rules Admin", "Edit", "View", "Payments Team"]);
    assert!(screen(&app, 80, 24).contains("Kind ▲"));
    let cmds = send(&mut app, [ch('o')]);
    assert!(requests(&cmds).is_empty(), "all groups are held: sorted here");
    assert_eq!(order(&app), ["View", "Edit", "Rules Admin", "Admin", "Payments Team"]);
    assert!(screen(&app, 80, 24).contains("Members ▲"));
    send(&mut app, [ch('o')]);
    assert_eq!(order(&app), ["Admin", "Edit", "Payments Team", "Rules Admin", "View"]);
    send(&mut app, [ch('O')]);
    assert_eq!(order(&app), ["View", "Rules Admin", "Payments Team", "Edit", "Admin"]);
    assert!(screen(&app, 80, 24).contains("Name ▼"));

    send(&mut app, [ch('f')]);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Groups have no status to filter by: / finds them by name"),
        "{text}"
    );
    send(&mut app, [ch(' ')]);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Groups are changed one at a time, nothing to select"),
        "{text}"
    );
    assert!(groups_tab(&app).table.selected().is_empty());
}

#[test]
fn slash_filters_the_groups_as_you_type() {
    let mut app = groups_app();
    let cmds = send(&mut app, [ch('/'), ch('p'), ch('a'), ch('y')]);
    assert!(requests(&cmds).is_empty(), "the groups are all held: no request");
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Payments Team") && !text.contains("Rules Admin"),
        "{text}"
    );
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app, 80, 24).contains("Rules Admin"));
}

#[test]
fn a_stale_group_save_keeps_the_edits_until_r() {
    use orgdeck_shared::{ApiError, ErrorCode};
    let mut app = groups_app();
    select(&mut app, "Payments Team");
    send(&mut app, [ch('e'), key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Payments Crew");
    let cmds = send(&mut app, [key(KeyCode::Enter), ctrl('s')]);
    let req = call_of::<groups::endpoints::Update>(&cmds);
    let input: GroupInput = req.body_as().unwrap();
    assert_eq!((req.if_match, input.name.as_str()), (Some(3), "Payments Crew"));
    let stale = ApiError::new(ErrorCode::VersionMismatch, "changed since version 3");
    app.update(reply_to::<()>(req, Err(stale)));
    assert!(app.is_dirty());
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Someone else changed this group") && text.contains("Payments Crew"),
        "{text}"
    );
    let cmds = send(&mut app, [ch('r')]);
    assert_eq!(endpoints_of(&cmds), ["groups::List"]);
    let mut now = fixture_groups();
    now[4].version = 4;
    now[4].name = "Payments (theirs)".into();
    app.update(answer::<groups::endpoints::List>(
        &app,
        Ok(Page {
            items: now,
            next_cursor: None,
        }),
    ));
    assert!(!app.is_dirty());
    assert!(screen(&app, 80, 24).contains("Payments (theirs)"));
}
