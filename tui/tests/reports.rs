//! The Reports area driven by messages: the settings form with its errors named, the preview of a chosen
//! application under the settings as edited (asked again a moment after an edit), and writing the report
//! to a file (its format from the extension, an existing file replaced only after a yes).

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, Msg, tabs::ReportsTab};
use orgdeck_shared::{
    ApiError, ErrorCode, Page, Versioned,
    general::Environment,
    inventory::{Application, endpoints::ListApplications},
    reports::{
        PreviewQuery, PreviewRequest, ReportFormat, ReportPreview, ReportSettings,
        endpoints::{Preview, Render},
    },
    settings::endpoints::{Get, Put},
    vulnerabilities::VulnerabilityStatus,
};
use uuid::Uuid;

fn application(n: u128, name: &str) -> Application {
    Application {
        id: Uuid::from_u128(n),
        name: name.into(),
        language: "java".into(),
        environment: Environment::Production,
        licensed: true,
        open_vulnerabilities: Default::default(),
        score: None,
    }
}

fn rendered(app: &str, listed: u32) -> ReportPreview {
    ReportPreview {
        application: app.into(),
        format: ReportFormat::Markdown,
        listed,
        total: 5,
        content: format!("# Security report: {app}\n\nNorthwind · java · production\n\n## Vulnerabilities\n"),
    }
}

fn reports_app() -> App {
    let mut app = logged_in();
    send(&mut app, [ch('\''), ch('p')]);
    assert_eq!(app.active_tab().title(), "Reports");
    send(&mut app, [ch('r')]);
    let msg = answer::<Get<ReportSettings>>(
        &app,
        Ok(Versioned {
            version: 2,
            value: ReportSettings::default(),
        }),
    );
    app.update(msg);
    // The applications arrive: the first one is previewed.
    let apps = Page {
        items: vec![application(1, "ledger"), application(2, "shop")],
        next_cursor: None,
    };
    let cmds = app.update(answer::<ListApplications>(&app, Ok(apps)));
    let preview = call_of::<Preview>(&cmds);
    let req: PreviewRequest = preview.body_as().unwrap();
    assert_eq!(req.application_id, Uuid::from_u128(1));
    app.update(reply::<Preview>(preview, Ok(rendered("ledger", 3))));
    app
}

fn tab(app: &App) -> &ReportsTab {
    app.tab::<ReportsTab>().expect("a Reports tab")
}

/// The preview timer going off, as the runtime sends it.
fn timer_fires(app: &mut App, cmds: &[Command]) -> Vec<Command> {
    let msg = cmds
        .iter()
        .rev()
        .find_map(|c| match c {
            Command::Timer { msg, .. } => Some((**msg).clone()),
            _ => None,
        })
        .expect("a preview timer");
    app.update(msg)
}

#[test]
fn the_preview_shows_the_chosen_application_as_text() {
    let app = reports_app();
    let s = screen(&app, 80, 24);
    assert!(s.contains("Preview: ledger, 3 of 5 listed"), "{s}");
    assert!(s.contains("# Security report: ledger"), "{s}");
    insta::assert_snapshot!("reports_80x24", s);
}

#[test]
fn an_edit_that_passes_the_checks_is_previewed_a_moment_later_unsaved() {
    let mut app = reports_app();
    // Statuses: right five times reaches "fixed"; Enter checks it.
    send(&mut app, [ch('j')]);
    for _ in 0..5 {
        send(&mut app, [ch('l')]);
    }
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(!sends::<Preview>(&cmds), "not at once: after a pause");
    let cmds = timer_fires(&mut app, &cmds);
    let call = call_of::<Preview>(&cmds);
    let req: PreviewRequest = call.body_as().unwrap();
    let settings = req.settings.expect("the edits, not saved");
    assert!(settings.statuses.contains(&VulnerabilityStatus::Fixed));
    app.update(reply::<Preview>(call, Ok(rendered("ledger", 4))));
    assert!(screen(&app, 80, 24).contains("4 of 5 listed"));
    assert!(tab(&app).state.is_dirty(tab(&app).edited().as_ref()), "nothing saved");
}

#[test]
fn an_edit_that_fails_the_checks_is_named_and_not_previewed() {
    let mut app = reports_app();
    // Uncheck the only report type.
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(!cmds.iter().any(|c| matches!(c, Command::Timer { .. })));
    let s = screen(&app, 80, 24);
    assert!(s.contains("choose at least one report type"), "{s}");
    let cmds = send(&mut app, [ctrl('s')]);
    assert!(!sends::<Put<ReportSettings>>(&cmds));
}

#[test]
fn another_application_is_chosen_by_part_of_its_name() {
    let mut app = reports_app();
    send(&mut app, [ch('A')]);
    send(&mut app, [ctrl('u')]);
    type_text(&mut app, "nothing");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(!sends::<Preview>(&cmds));
    assert!(screen(&app, 80, 24).contains("no application has"));
    for _ in 0..7 {
        send(&mut app, [key(KeyCode::Backspace)]);
    }
    type_text(&mut app, "sho");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let req: PreviewRequest = call_of::<Preview>(&cmds).body_as().unwrap();
    assert_eq!(req.application_id, Uuid::from_u128(2));
}

#[test]
fn the_report_is_written_in_the_format_of_the_extension_and_replaced_only_after_a_yes() {
    let mut app = reports_app();
    send(&mut app, [ch('W')]);
    assert!(screen(&app, 80, 24).contains("./ledger-report.md"));
    send(&mut app, [ctrl('u')]);
    type_text(&mut app, "/tmp/out/ledger.html");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let call = call_of::<Render>(&cmds);
    let q: PreviewQuery = call.query_as().unwrap();
    assert_eq!(q.format, Some(ReportFormat::Html));
    let save = call.save_to.clone().expect("saved to a file");
    assert_eq!((save.path.as_str(), save.overwrite), ("/tmp/out/ledger.html", false));
    // It exists: asked, and sent again with overwrite only after a yes.
    let cmds = app.update(Msg::reply::<Render>(
        call,
        Err(ApiError::new(
            ErrorCode::Conflict,
            "/tmp/out/ledger.html already exists",
        )),
    ));
    assert!(requests(&cmds).is_empty());
    assert!(screen(&app, 80, 24).contains("already exists. Replace it"));
    let cmds = send(&mut app, [ch('y')]);
    let again = call_of::<Render>(&cmds);
    assert!(again.save_to.as_ref().unwrap().overwrite);
}
