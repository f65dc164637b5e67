//! The Servers area driven by messages: the server list (offline marked without colour, filters and
//! search sent to the server), licenses applied at once and removed after a yes, a server moved and
//! removed, assess licenses on applications, and the agent defaults per environment saved as versioned
//! documents with their field errors inline.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, Msg, api::StreamEvent, tabs::ServersTab};
use orgdeck_shared::{
    ApiError, ErrorCode, Page, Versioned,
    events::ChangeEvent,
    general::Environment,
    inventory::{Application, endpoints as inventory},
    scores::{Grade, Scored},
    servers::{
        AgentSettings, DevelopmentDefaults, LicenseApplication, LicenseServer, ProductionDefaults, QaDefaults,
        ServerQuery, ServerSettings, ServerStatus, UpdateServer, endpoints as ep,
    },
    settings::endpoints::{Get, Put},
};
use uuid::Uuid;

fn server(
    n: u128,
    name: &str,
    env: Environment,
    status: ServerStatus,
    licensed: bool,
) -> orgdeck_shared::inventory::Server {
    orgdeck_shared::inventory::Server {
        id: Uuid::from_u128(n),
        name: name.into(),
        hostname: format!("{name}.dc1.acme.example"),
        environment: env,
        language: "java".into(),
        agent_version: "4.2.0".into(),
        licensed,
        status,
        last_seen_at: "2026-11-28T10:00:00Z".parse().unwrap(),
        registered_at: "2026-11-01T10:00:00Z".parse().unwrap(),
    }
}

fn fleet() -> Page<orgdeck_shared::inventory::Server> {
    Page {
        items: vec![
            server(1, "db-1", Environment::Production, ServerStatus::Online, true),
            server(2, "web-1", Environment::Production, ServerStatus::Offline, false),
            server(3, "qa-1", Environment::Qa, ServerStatus::Online, false),
        ],
        next_cursor: None,
    }
}

fn application(n: u128, name: &str, licensed: bool) -> Application {
    Application {
        id: Uuid::from_u128(100 + n),
        name: name.into(),
        language: "java".into(),
        environment: Environment::Production,
        licensed,
        open_vulnerabilities: Default::default(),
        score: Some(Scored {
            code: 65,
            library: Some(91),
            overall: 78,
            grade: Grade::C,
        }),
    }
}

/// Answers every server list read waiting (a read asked while one is on its way goes out after it).
fn settle(app: &mut App) {
    while app.running().any(|c| c.is::<ep::List>()) {
        let msg = answer::<ep::List>(app, Ok(fleet()));
        app.update(msg);
    }
}

fn servers_app() -> App {
    let mut app = logged_in();
    send(&mut app, [ch('\''), ch('v')]);
    assert_eq!(app.active_tab().title(), "Servers");
    send(&mut app, [ch('r')]);
    settle(&mut app);
    app
}

/// The body of the one call of `E` among commands.
fn body_of<E: orgdeck_shared::endpoint::Endpoint, B: serde::de::DeserializeOwned>(cmds: &[Command]) -> B {
    call_of::<E>(cmds).body_as().expect("a body of that type")
}

fn tab(app: &App) -> &ServersTab {
    app.tab::<ServersTab>().expect("a Servers tab")
}

fn query(cmds: &[Command]) -> ServerQuery {
    call_of::<ep::List>(cmds).query_as::<ServerQuery>().unwrap_or_default()
}

#[test]
fn the_list_shows_each_server_with_offline_marked_without_colour() {
    let app = servers_app();
    let s = screen(&app, 80, 24);
    assert!(s.contains("Servers (3)"), "{s}");
    let web = s.lines().find(|l| l.contains("web-1")).unwrap();
    assert!(web.contains("OFFLINE") && web.contains("production"), "{web}");
    let db = s.lines().find(|l| l.contains("db-1")).unwrap();
    assert!(db.contains("online") && db.contains("protect"), "{db}");
    insta::assert_snapshot!("servers_list_80x24", s);
}

#[test]
fn filters_and_search_are_sent_to_the_server() {
    let mut app = servers_app();
    let cmds = send(&mut app, [ch('f')]);
    assert_eq!(query(&cmds).status, Some(ServerStatus::Online));
    // A filter changed while a read is on its way is read once that one is answered.
    let cmds = send(&mut app, [ch('f')]);
    assert!(!sends::<ep::List>(&cmds));
    let msg = answer::<ep::List>(&app, Ok(fleet()));
    let cmds = app.update(msg);
    assert_eq!(query(&cmds).status, Some(ServerStatus::Offline));
    settle(&mut app);
    let cmds = send(&mut app, [ch('v')]);
    let q = query(&cmds);
    assert_eq!(
        (q.status, q.environment),
        (Some(ServerStatus::Offline), Some(Environment::Development))
    );
    settle(&mut app);
    send(&mut app, [ch('/')]);
    type_text(&mut app, "web");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(query(&cmds).q.as_deref(), Some("web"));
    settle(&mut app);
    assert!(screen(&app, 80, 24).contains("offline · development · \"web\""));
}

#[test]
fn a_license_is_applied_at_once_and_removed_after_a_yes() {
    let mut app = servers_app();
    // web-1 (second row) has none: + applies one.
    send(&mut app, [ch('j')]);
    let cmds = send(&mut app, [ch('+')]);
    let body: LicenseServer = only_body::<ep::LicenseServer, _>(&cmds);
    assert_eq!(body.server_id, Uuid::from_u128(2));
    let msg = answer::<ep::LicenseServer>(
        &app,
        Ok(server(2, "web-1", Environment::Production, ServerStatus::Offline, true)),
    );
    app.update(msg);
    assert!(tab(&app).list.items()[1].licensed);
    assert!(screen(&app, 80, 24).contains("Protect license applied to web-1"));

    // Refused: the server's words are shown.
    send(&mut app, [ch('j')]);
    send(&mut app, [ch('+')]);
    let msg = answer::<ep::LicenseServer>(
        &app,
        Err(ApiError::new(
            ErrorCode::Conflict,
            "no protect license left: 40 of 40 in use; remove one from another server first",
        )),
    );
    app.update(msg);
    assert!(screen(&app, 80, 24).contains("no protect license left"));

    // - asks first; no sends nothing, yes removes.
    send(&mut app, [ch('k')]);
    let cmds = send(&mut app, [ch('-')]);
    assert!(!sends::<ep::UnlicenseServer>(&cmds));
    assert!(screen(&app, 80, 24).contains("Remove the protect license?"));
    let cmds = send(&mut app, [ch('n')]);
    assert!(!sends::<ep::UnlicenseServer>(&cmds));
    send(&mut app, [ch('-')]);
    let cmds = send(&mut app, [ch('y')]);
    let call = call_of::<ep::UnlicenseServer>(&cmds);
    assert!(
        call.path
            .ends_with(&format!("/licenses/protect/{}", Uuid::from_u128(2))),
        "{}",
        call.path
    );
}

#[test]
fn a_server_is_moved_and_removed_after_a_yes() {
    let mut app = servers_app();
    send(&mut app, [ch('e')]);
    assert!(screen(&app, 80, 24).contains("Move db-1"));
    // Its own environment is not a move.
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(!sends::<ep::Update>(&cmds));
    assert!(screen(&app, 80, 24).contains("is in production already"));
    send(&mut app, [key(KeyCode::Backspace)]);
    for _ in 0..12 {
        send(&mut app, [key(KeyCode::Backspace)]);
    }
    type_text(&mut app, "q");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: UpdateServer = only_body::<ep::Update, _>(&cmds);
    assert_eq!(body.environment, Environment::Qa);
    let msg = answer::<ep::Update>(&app, Ok(server(1, "db-1", Environment::Qa, ServerStatus::Online, true)));
    app.update(msg);
    assert_eq!(tab(&app).list.items()[0].environment, Environment::Qa);

    let cmds = send(&mut app, [ch('d')]);
    assert!(!sends::<ep::Remove>(&cmds));
    let s = screen(&app, 80, 24);
    assert!(
        s.contains("Remove db-1?") && s.contains("license goes back to the pool"),
        "{s}"
    );
    let cmds = send(&mut app, [ch('y')]);
    let call = call_of::<ep::Remove>(&cmds);
    assert!(call.path.ends_with(&format!("/servers/{}", Uuid::from_u128(1))));
    let cmds = app.update(reply::<ep::Remove>(call, Ok(())));
    assert!(sends::<ep::List>(&cmds), "the list is read again");
}

#[test]
fn live_changes_to_servers_and_licenses_read_the_list_again() {
    let mut app = servers_app();
    let change = |area: &str| {
        Msg::Stream(StreamEvent::Change(ChangeEvent {
            seq: 7,
            at: "2026-11-28T21:30:00Z".parse().unwrap(),
            kind: "server.register".into(),
            area: area.into(),
            id: Uuid::from_u128(9).to_string(),
            version: None,
            actor: "agent key fleet".into(),
        }))
    };
    let cmds = app.update(change("server"));
    assert!(sends::<ep::List>(&cmds), "{:?}", endpoints_of(&cmds));
    settle(&mut app);
    let cmds = app.update(change("license"));
    assert!(sends::<ep::List>(&cmds));
    let cmds = app.update(change("user"));
    assert!(!sends::<ep::List>(&cmds));
}

#[test]
fn applications_take_and_give_back_assess_licenses() {
    let mut app = servers_app();
    send(&mut app, [ch(']')]);
    send(&mut app, [ch('r')]);
    let msg = answer::<inventory::ListApplications>(
        &app,
        Ok(Page {
            items: vec![application(1, "ledger", true), application(2, "shop", false)],
            next_cursor: None,
        }),
    );
    app.update(msg);
    let s = screen(&app, 80, 24);
    let ledger = s.lines().find(|l| l.contains("ledger")).unwrap();
    assert!(ledger.contains("assess") && ledger.contains("78 C"), "{ledger}");
    send(&mut app, [ch('j')]);
    let cmds = send(&mut app, [ch('+')]);
    let body: LicenseApplication = only_body::<ep::LicenseApplication, _>(&cmds);
    assert_eq!(body.application_id, Uuid::from_u128(102));
    let msg = answer::<ep::LicenseApplication>(&app, Ok(application(2, "shop", true)));
    app.update(msg);
    assert!(tab(&app).applications.loaded().unwrap()[1].licensed);
    send(&mut app, [ch('k'), ch('-')]);
    let cmds = send(&mut app, [ch('y')]);
    assert!(sends::<ep::UnlicenseApplication>(&cmds));
}

fn v1<T>(value: T) -> Versioned<T> {
    Versioned { version: 1, value }
}

fn defaults_app() -> App {
    let mut app = servers_app();
    send(&mut app, [ch(']'), ch(']')]);
    assert_eq!(tab(&app).section, orgdeck::tabs::servers::Section::Defaults);
    send(&mut app, [ch('r')]);
    let msg = answer::<Get<ServerSettings>>(&app, Ok(v1(ServerSettings::default())));
    app.update(msg);
    let msg = answer::<Get<DevelopmentDefaults>>(&app, Ok(v1(DevelopmentDefaults(AgentSettings::default()))));
    app.update(msg);
    let msg = answer::<Get<QaDefaults>>(&app, Ok(v1(QaDefaults(AgentSettings::default()))));
    app.update(msg);
    let msg = answer::<Get<ProductionDefaults>>(&app, Ok(v1(ProductionDefaults(AgentSettings::default()))));
    app.update(msg);
    app
}

#[test]
fn agent_defaults_are_saved_per_environment_with_their_errors_inline() {
    let mut app = defaults_app();
    insta::assert_snapshot!("servers_defaults_80x24", screen(&app, 80, 24));
    // The switcher starts on production; down to the default environment, then the form.
    send(&mut app, [ch('j'), ch('j')]);
    // Syslog is the 10th field: switched on without a host, the save is refused with the field named.
    for _ in 0..9 {
        send(&mut app, [ch('j')]);
    }
    send(&mut app, [key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ctrl('s')]);
    assert!(!sends::<Put<ProductionDefaults>>(&cmds));
    let s = screen(&app, 80, 24);
    assert!(s.contains("is required when syslog is on"), "{s}");
    // The host typed, the production document goes out (and only it).
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "logs.acme.example");
    send(&mut app, [key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ctrl('s')]);
    let body: AgentSettings = only_body::<Put<ProductionDefaults>, _>(&cmds);
    assert!(body.syslog.enabled);
    assert_eq!(body.syslog.host, "logs.acme.example");
    assert!(!sends::<Put<QaDefaults>>(&cmds) && !sends::<Put<ServerSettings>>(&cmds));
}

#[test]
fn each_environment_keeps_its_edits_and_the_default_environment_is_saved_too() {
    let mut app = defaults_app();
    // The switcher: left to qa; down to the default environment: right makes it qa.
    send(&mut app, [ch('h')]);
    assert_eq!(tab(&app).defaults.shown, Environment::Qa);
    send(&mut app, [ch('j'), ch('l')]);
    // Into qa's form: the log level one step up (warn).
    send(&mut app, [ch('j'), ch('l')]);
    assert!(screen(&app, 80, 24).contains("[qa*]"), "qa's edits are marked");
    let cmds = send(&mut app, [ctrl('s')]);
    let server: ServerSettings = body_of::<Put<ServerSettings>, _>(&cmds);
    assert_eq!(server.default_environment, Environment::Qa);
    let qa: AgentSettings = body_of::<Put<QaDefaults>, _>(&cmds);
    assert_eq!(qa.log_level.as_str(), "warn");
    assert!(!sends::<Put<ProductionDefaults>>(&cmds));
}

#[test]
fn the_inbox_opens_the_server_an_entry_is_about() {
    use orgdeck_shared::{
        inbox::{InboxEntry, InboxPage, Subject, endpoints as inbox},
        notifications::EventType,
    };
    let mut app = servers_app();
    send(&mut app, [ch('\''), ch('x')]);
    send(&mut app, [ch('r')]);
    let entry = InboxEntry {
        id: Uuid::from_u128(77),
        event_type: EventType::ServerOffline,
        title: "Server qa-1 is offline".into(),
        message: "No heartbeat from qa-1".into(),
        severity: None,
        application: None,
        server: Some(Subject {
            id: Uuid::from_u128(3),
            name: "qa-1".into(),
        }),
        integration: None,
        vulnerability_id: None,
        created_at: "2026-11-28T10:00:00Z".parse().unwrap(),
        read_at: None,
    };
    let page = InboxPage {
        items: vec![entry],
        next_cursor: None,
        unread: 1,
    };
    while app.running().any(|c| c.is::<inbox::List>()) {
        let msg = answer::<inbox::List>(&app, Ok(page.clone()));
        app.update(msg);
    }
    let cmds = send(&mut app, [ch('O')]);
    assert_eq!(app.active_tab().title(), "Servers");
    let q = query(&cmds);
    assert_eq!((q.q.as_deref(), q.status, q.environment), (Some("qa-1"), None, None));
    let msg = answer::<ep::List>(&app, Ok(fleet()));
    app.update(msg);
    assert_eq!(tab(&app).list.cursor, 2, "on qa-1");
    assert!(screen(&app, 80, 24).contains("\"qa-1\""));
}
