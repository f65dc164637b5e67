//! The Inbox area driven by messages: entries newest first with unread marked (without colour too),
//! `Enter` opens one and marks it read, `A` marks all read, `U` shows only the unread ones, the next page
//! is asked when the cursor reaches the last entry, and a new event reads the first page again, once however
//! many arrive while a read is on its way.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, Msg, api::StreamEvent, tabs::InboxTab};
use orgdeck_shared::{
    events::ChangeEvent,
    inbox::{InboxEntry, InboxPage, InboxQuery, Subject, Unread, endpoints as ep},
    integrations::{
        Applications, Integration, IntegrationKind, IntegrationStatus, NewTrackerIssue, TrackerIssue,
        endpoints as integration_ep,
    },
    notifications::{EventType, Severity},
};
use uuid::Uuid;

fn entry(n: u128, title: &str, read: bool) -> InboxEntry {
    InboxEntry {
        id: Uuid::from_u128(n),
        event_type: EventType::NewVulnerability,
        title: title.into(),
        message: format!("new_vulnerability ev-{n}: details of {title}"),
        severity: Some(Severity::High),
        application: Some(Subject {
            id: Uuid::from_u128(1000),
            name: "Shop".into(),
        }),
        server: None,
        integration: None,
        vulnerability_id: None,
        created_at: "2026-11-28T10:00:00Z".parse().unwrap(),
        read_at: read.then(|| "2026-11-28T11:00:00Z".parse().unwrap()),
    }
}

fn page(items: Vec<InboxEntry>, next: Option<u128>, unread: u64) -> InboxPage {
    InboxPage {
        items,
        next_cursor: next.map(|n| Uuid::from_u128(n).to_string()),
        unread,
    }
}

fn inbox_app(first: InboxPage) -> App {
    let mut app = logged_in();
    send(&mut app, [ch('\''), ch('x')]);
    assert_eq!(app.active_tab().title(), "Inbox");
    let cmds = send(&mut app, [ch('r')]);
    app.update(reply::<ep::List>(call_of::<ep::List>(&cmds), Ok(first)));
    app
}

fn screen_contains(app: &App, text: &str) -> bool {
    screen(app, 80, 24).contains(text)
}

fn tab(app: &App) -> &InboxTab {
    app.tab::<InboxTab>().expect("an Inbox tab")
}

fn query(cmds: &[Command]) -> InboxQuery {
    call_of::<ep::List>(cmds).query_as::<InboxQuery>().unwrap_or_default()
}

#[test]
fn entries_are_listed_newest_first_with_the_unread_marked_even_without_colour() {
    let app = inbox_app(page(
        vec![
            entry(3, "High vulnerability in Shop: SQL injection", false),
            entry(2, "Shop attacked: sqli from 203.0.113.9 (blocked)", true),
        ],
        None,
        1,
    ));
    let s = screen(&app, 80, 24);
    assert!(s.contains("Inbox (1 unread)"), "{s}");
    let lines: Vec<&str> = s.lines().collect();
    let sql = lines.iter().find(|l| l.contains("SQL injection")).unwrap();
    let attacked = lines.iter().find(|l| l.contains("Shop attacked")).unwrap();
    assert!(sql.contains('●'), "unread has its dot: {sql}");
    assert!(!attacked.contains('●'), "{attacked}");
    assert!(
        s.contains("details of High vulnerability"),
        "the cursor entry's details: {s}"
    );
}

#[test]
fn enter_opens_an_entry_marks_it_read_and_the_status_line_count_is_asked_again() {
    let mut app = inbox_app(page(vec![entry(3, "High vulnerability in Shop: XSS", false)], None, 1));
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let read = call_of::<ep::Read>(&cmds);
    assert!(
        read.path.ends_with(&format!("/inbox/{}/read", Uuid::from_u128(3))),
        "{}",
        read.path
    );
    assert!(tab(&app).list.items()[0].read_at.is_some(), "shown read at once");
    let s = screen(&app, 80, 24);
    assert!(s.contains("Severity: high") && s.contains("Application: Shop"), "{s}");
    let cmds = app.update(reply::<ep::Read>(read, Ok(Unread { unread: 0 })));
    assert!(
        cmds.contains(&Command::Api(orgdeck::app::me_call())),
        "GET me again: {cmds:?}"
    );
    assert_eq!(tab(&app).unread, 0);
    // Opening a read entry again asks nothing.
    send(&mut app, [key(KeyCode::Esc)]);
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(!sends::<ep::Read>(&cmds));
}

#[test]
fn all_read_and_unread_only() {
    let mut app = inbox_app(page(
        vec![entry(3, "One", false), entry(2, "Two", false), entry(1, "Three", true)],
        None,
        2,
    ));
    let cmds = send(&mut app, [ch('A')]);
    let all = call_of::<ep::ReadAll>(&cmds);
    assert!(tab(&app).list.items().iter().all(|e| e.read_at.is_some()));
    app.update(reply::<ep::ReadAll>(all, Ok(Unread { unread: 0 })));
    let cmds = send(&mut app, [ch('A')]);
    assert!(!sends::<ep::ReadAll>(&cmds));
    assert!(screen_contains(&app, "Nothing unread"));

    let cmds = send(&mut app, [ch('U')]);
    assert_eq!(query(&cmds).unread, Some(true));
    app.update(reply::<ep::List>(
        call_of::<ep::List>(&cmds),
        Ok(page(Vec::new(), None, 0)),
    ));
    assert!(screen_contains(&app, "Nothing unread. U shows every entry."));
    let cmds = send(&mut app, [ch('U')]);
    assert_eq!(query(&cmds).unread, None);
}

#[test]
fn the_next_page_is_asked_at_the_last_entry() {
    let mut app = inbox_app(page(vec![entry(3, "One", true), entry(2, "Two", true)], Some(2), 0));
    let cmds = send(&mut app, [ch('G')]);
    assert_eq!(query(&cmds).cursor, Some(Uuid::from_u128(2)));
    let more = call_of::<ep::List>(&cmds);
    let cmds = send(&mut app, [ch('j')]);
    assert!(!sends::<ep::List>(&cmds), "asked once");
    app.update(reply::<ep::List>(
        more,
        Ok(page(vec![entry(1, "Three", true)], None, 0)),
    ));
    assert_eq!(tab(&app).list.items().len(), 3);
    send(&mut app, [ch('j')]);
    assert_eq!(tab(&app).list.cursor, 2);
}

fn event_change(seq: i64) -> Msg {
    Msg::Stream(StreamEvent::Change(ChangeEvent {
        seq,
        at: "2026-11-28T21:30:00Z".parse().unwrap(),
        kind: "agent_event.new_vulnerability".into(),
        area: "application".into(),
        id: Uuid::from_u128(1000).to_string(),
        version: None,
        actor: "agent key od_x".into(),
    }))
}

#[test]
fn new_events_read_the_first_page_again_once_while_a_read_is_on_its_way() {
    let mut app = inbox_app(page(vec![entry(3, "One", true)], None, 0));
    let cmds = app.update(event_change(1));
    let first = call_of::<ep::List>(&cmds);
    let cmds: Vec<Command> = (2..6).flat_map(|n| app.update(event_change(n))).collect();
    assert!(!sends::<ep::List>(&cmds), "one read at a time: {cmds:?}");
    let cmds = app.update(reply::<ep::List>(
        first,
        Ok(page(vec![entry(4, "New one", false), entry(3, "One", true)], None, 1)),
    ));
    let again = call_of::<ep::List>(&cmds);
    app.update(reply::<ep::List>(
        again,
        Ok(page(
            vec![
                entry(5, "Newer", false),
                entry(4, "New one", false),
                entry(3, "One", true),
            ],
            None,
            2,
        )),
    ));
    assert_eq!(tab(&app).list.items().len(), 3);
    assert!(screen_contains(&app, "Inbox (2 unread)"));
}

#[test]
fn a_larger_unread_count_in_me_reads_the_inbox_again() {
    let mut app = inbox_app(page(vec![entry(3, "One", true)], None, 0));
    let mut me = common::me();
    me.unread = 2;
    let cmds = app.update(reply::<orgdeck_shared::auth::endpoints::GetMe>(
        orgdeck::app::me_call(),
        Ok(me.clone()),
    ));
    assert!(sends::<ep::List>(&cmds), "{cmds:?}");
    // The same count again: nothing new to read.
    app.update(reply::<ep::List>(
        call_of::<ep::List>(&cmds),
        Ok(page(vec![entry(4, "Two", false)], None, 2)),
    ));
    let cmds = app.update(reply::<orgdeck_shared::auth::endpoints::GetMe>(
        orgdeck::app::me_call(),
        Ok(me),
    ));
    assert!(!sends::<ep::List>(&cmds));
}

fn tracker(n: u128, name: &str, kind: IntegrationKind) -> Integration {
    Integration {
        id: Uuid::from_u128(n),
        name: name.into(),
        kind,
        enabled: true,
        applications: Applications::All,
        settings: kind.blank(),
        secrets: Default::default(),
        target: "tracker.acme.test".into(),
        status: IntegrationStatus::Active,
        failures: 0,
        created_at: jiff::Timestamp::UNIX_EPOCH,
        updated_at: jiff::Timestamp::UNIX_EPOCH,
        version: 1,
    }
}

#[test]
fn a_vulnerability_goes_to_the_chosen_bug_tracker_and_its_link_can_be_copied() {
    let mut with_vuln = entry(3, "Critical vulnerability in Shop: SQL injection", false);
    with_vuln.vulnerability_id = Some(Uuid::from_u128(77));
    let mut app = inbox_app(page(vec![with_vuln, entry(2, "Shop attacked", true)], None, 1));
    assert!(screen(&app, 80, 24).contains("T to tracker"));
    let cmds = send(&mut app, [ch('T')]);
    let list = call_of::<integration_ep::List>(&cmds);
    app.update(reply::<integration_ep::List>(
        list,
        Ok(vec![
            tracker(10, "Jira SEC", IntegrationKind::Jira),
            tracker(11, "Alerts", IntegrationKind::Slack),
            tracker(12, "Bugzilla", IntegrationKind::Bugzilla),
        ]),
    ));
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("Jira SEC (JIRA)") && s.contains("Bugzilla (Bugzilla)") && !s.contains("Alerts"),
        "{s}"
    );
    // A name that is no tracker is refused in place; the start of one is enough.
    send(&mut app, [ctrl('u')]);
    type_text(&mut app, "Alerts");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(!sends::<integration_ep::CreateIssue>(&cmds));
    assert!(screen(&app, 80, 24).contains("type one of: Jira SEC, Bugzilla"));
    send(&mut app, [ctrl('u')]);
    type_text(&mut app, "bug");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let create = call_of::<integration_ep::CreateIssue>(&cmds);
    assert!(
        create
            .path
            .ends_with(&format!("/integrations/{}/issues", Uuid::from_u128(12))),
        "{}",
        create.path
    );
    assert_eq!(
        create.body_as::<NewTrackerIssue>(),
        Some(NewTrackerIssue {
            vulnerability_id: Uuid::from_u128(77)
        })
    );
    let issue = TrackerIssue {
        integration_id: Uuid::from_u128(12),
        kind: IntegrationKind::Bugzilla,
        key: "1234".into(),
        url: "https://bugs.acme.test/show_bug.cgi?id=1234".into(),
        created_at: jiff::Timestamp::UNIX_EPOCH,
    };
    app.update(reply::<integration_ep::CreateIssue>(create, Ok(issue)));
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("Bugzilla made issue 1234") && s.contains("show_bug.cgi?id=1234"),
        "{s}"
    );
    let cmds = send(&mut app, [ch('c')]);
    assert!(
        cmds.iter().any(
            |c| matches!(c, Command::Copy(link) if link.expose() == "https://bugs.acme.test/show_bug.cgi?id=1234")
        ),
        "{cmds:?}"
    );
}

#[test]
fn only_a_vulnerability_goes_to_a_tracker_and_only_for_admins() {
    let mut with_vuln = entry(3, "High vulnerability in Shop: XSS", false);
    with_vuln.vulnerability_id = Some(Uuid::from_u128(77));
    let mut app = inbox_app(page(vec![entry(4, "Shop attacked", false), with_vuln], None, 2));
    let cmds = send(&mut app, [ch('T')]);
    assert!(!sends::<integration_ep::List>(&cmds));
    assert!(screen(&app, 80, 24).contains("Only a new vulnerability"));
    let cmds = send(&mut app, [ch('j'), ch('T')]);
    let list = call_of::<integration_ep::List>(&cmds);
    app.update(reply::<integration_ep::List>(
        list,
        Err(orgdeck_shared::ApiError::new(
            orgdeck_shared::ErrorCode::Forbidden,
            "admins only",
        )),
    ));
    assert!(screen(&app, 80, 24).contains("Only organization admins send"));
    assert!(tab(&app).choice.is_none());
    // No tracker switched on: said so, nothing asked.
    let cmds = send(&mut app, [ch('T')]);
    let list = call_of::<integration_ep::List>(&cmds);
    let mut off = tracker(10, "Jira SEC", IntegrationKind::Jira);
    off.enabled = false;
    app.update(reply::<integration_ep::List>(list, Ok(vec![off])));
    assert!(screen(&app, 80, 24).contains("No bug tracker is switched on"));
}
