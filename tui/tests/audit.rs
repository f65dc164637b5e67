//! The Audit tab driven by messages: search requests, date ranges, detail, export.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{
    Command,
    api::{ExportFormat, ExportReport},
};
use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    audit::{
        AuditActor, AuditEntry, AuditExportQuery, AuditTarget, FieldChange,
        endpoints::{Export, Search},
    },
    general::GeneralSettings,
    settings::endpoints::Get,
};

fn audit_app() -> orgdeck::App {
    let mut app = logged_in();
    send(&mut app, [ch('5')]);
    assert_eq!(app.active_tab().title(), "Audit");
    app
}

fn searches(cmds: &[Command]) -> Vec<orgdeck_shared::audit::AuditQuery> {
    calls_of::<Search>(cmds)
        .iter()
        .map(|c| c.query_as().expect("a search query"))
        .collect()
}

/// Fires the search debounce timers among `cmds`.
fn fire_timers(app: &mut orgdeck::App, cmds: Vec<Command>) -> Vec<Command> {
    let mut out = Vec::new();
    for c in cmds {
        if let Command::Timer { msg, .. } = c {
            out.extend(app.update(*msg));
        }
    }
    out
}

fn entry() -> AuditEntry {
    AuditEntry {
        id: uuid::Uuid::now_v7(),
        at: "2026-11-28T21:30:00Z".parse().unwrap(),
        actor: AuditActor {
            user_id: None,
            email: "admin@acme.test".into(),
        },
        action: "settings.update".into(),
        target: AuditTarget::new("settings", "password_policy"),
        ip: Some("127.0.0.1".into()),
        summary: "Password policy changed".into(),
        changes: vec![FieldChange {
            field: "strength".into(),
            old: "nist".into(),
            new: "strong".into(),
        }],
    }
}

#[test]
fn typing_a_search_sends_one_debounced_query_with_the_keyword() {
    let mut app = audit_app();
    let cmds = send(&mut app, [ch('/')]);
    let cmds = [cmds, type_text(&mut app, "policy")].concat();
    assert!(searches(&cmds).is_empty(), "nothing sent per keystroke");
    let sent = searches(&fire_timers(&mut app, cmds));
    assert_eq!(sent.len(), 1, "only the last keystroke's timer searches: {sent:?}");
    assert_eq!(sent[0].q.as_deref(), Some("policy"));
    assert_eq!(sent[0].cursor, None);
}

#[test]
fn a_date_range_in_the_org_format_or_iso_reloads_and_bad_input_is_named() {
    let mut app = audit_app();
    send(&mut app, [ch('D')]);
    type_text(&mut app, "2026-11-01 31/11/2026");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(searches(&cmds).is_empty());
    assert!(screen(&app, 80, 24).contains("\"31/11/2026\" is not a date"));
    send(&mut app, [ctrl('u')]);
    type_text(&mut app, "2026-11-01 2026-11-28");
    let sent = searches(&send(&mut app, [key(KeyCode::Enter)]));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].from.unwrap().to_string(), "2026-11-01T00:00:00Z");
    assert_eq!(
        sent[0].to.unwrap().to_string(),
        "2026-11-29T00:00:00Z",
        "the end day is included"
    );
}

#[test]
fn an_end_before_the_start_is_refused() {
    let mut app = audit_app();
    send(&mut app, [ch('D')]);
    type_text(&mut app, "2026-11-28 2026-11-01");
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(screen(&app, 80, 24).contains("the end date is before the start date"));
}

#[test]
fn enter_shows_the_field_changes_of_an_entry() {
    let mut app = audit_app();
    let cmds = send(&mut app, [key(KeyCode::Char('r'))]);
    let request = call_of::<Search>(&cmds);
    app.update(reply::<Search>(
        request,
        Ok(Page {
            items: vec![entry()],
            next_cursor: None,
        }),
    ));
    assert!(screen(&app, 80, 24).contains("Password policy changed"));
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(screen(&app, 80, 24).contains("strength: nist → strong"));
}

#[test]
fn exporting_over_an_existing_file_asks_first_then_overwrites() {
    let mut app = audit_app();
    send(&mut app, [ch('x')]);
    type_text(&mut app, "/tmp/audit.jsonl");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let export = call_of::<Export>(&cmds);
    let query: AuditExportQuery = export.query_as().unwrap();
    assert_eq!(query.format, ExportFormat::Jsonl);
    let save = export.save_to.clone().expect("streamed to a file");
    assert_eq!(save.path, "/tmp/audit.jsonl");
    assert!(!save.overwrite, "never overwrites unasked");
    let exists = ApiError::new(ErrorCode::Conflict, "/tmp/audit.jsonl already exists");
    app.update(reply_to::<ExportReport>(export.clone(), Err(exists)));
    assert!(screen(&app, 80, 24).contains("Overwrite?"));
    let cmds = send(&mut app, [ch('y')]);
    let again = call_of::<Export>(&cmds);
    assert!(again.save_to.as_ref().is_some_and(|s| s.overwrite));
    app.update(reply_to(again, Ok(ExportReport { bytes: 120, rows: 2 })));
    assert!(screen(&app, 80, 24).contains("Exported 2 rows (120 bytes)"));
}

/// `x` offers a file named after the organization and the day, says the directory a name alone goes in,
/// and exports to that full path, which the message names; typing replaces the offer, ← → edit it.
#[test]
fn an_export_offers_a_named_file_and_says_its_full_path() {
    let today = jiff::tz::TimeZone::UTC.to_datetime(jiff::Timestamp::now()).date();
    let name = format!("orgdeck-audit-acme-security-{today}.csv");
    let cwd = std::env::current_dir().unwrap();
    let mut app = audit_app();
    send(&mut app, [ch('x')]);
    let text = screen(&app, 100, 30);
    assert!(text.contains(&format!("> {name}")), "the offered name: {text}");
    assert!(text.contains(cwd.to_str().unwrap()), "where a name alone goes: {text}");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let export = call_of::<Export>(&cmds);
    let full = cwd.join(&name).to_str().unwrap().to_owned();
    assert_eq!(export.save_to.as_ref().unwrap().path, full);
    assert_eq!(export.query_as::<AuditExportQuery>().unwrap().format, ExportFormat::Csv);
    app.update(reply_to(export, Ok(ExportReport { bytes: 40, rows: 1 })));
    let text = screen(&app, 200, 30);
    assert!(text.contains(&format!("Exported 1 row (40 bytes) to {full}")), "{text}");

    // Editing the offer: the end of the name becomes .jsonl.
    send(&mut app, [ch('x'), key(KeyCode::End)]);
    send(&mut app, (0..3).map(|_| key(KeyCode::Backspace)));
    type_text(&mut app, "jsonl");
    let export = call_of::<Export>(&send(&mut app, [key(KeyCode::Enter)]));
    let jsonl = cwd.join(name.replace(".csv", ".jsonl"));
    assert_eq!(export.save_to.as_ref().unwrap().path, jsonl.to_str().unwrap());
    assert_eq!(
        export.query_as::<AuditExportQuery>().unwrap().format,
        ExportFormat::Jsonl
    );

    // A path typed over the offer: relative to the launch directory, or the home directory's.
    send(&mut app, [ch('x')]);
    type_text(&mut app, "out/log.csv");
    let export = call_of::<Export>(&send(&mut app, [key(KeyCode::Enter)]));
    assert_eq!(
        export.save_to.as_ref().unwrap().path,
        cwd.join("out/log.csv").to_str().unwrap()
    );
    if let Some(home) = std::env::var_os("HOME") {
        send(&mut app, [ch('x')]);
        type_text(&mut app, "~/log.csv");
        let export = call_of::<Export>(&send(&mut app, [key(KeyCode::Enter)]));
        let at_home = std::path::Path::new(&home).join("log.csv");
        assert_eq!(export.save_to.as_ref().unwrap().path, at_home.to_str().unwrap());
    }
}

#[test]
fn the_offered_export_name_is_the_organization_in_letters_and_digits() {
    use orgdeck::tabs::audit::export_file_name;
    let day = jiff::civil::date(2026, 11, 28);
    assert_eq!(
        export_file_name("Acme Security", day),
        "orgdeck-audit-acme-security-2026-11-28.csv"
    );
    assert_eq!(
        export_file_name("  Northwind Security, Inc. ", day),
        "orgdeck-audit-northwind-security-inc-2026-11-28.csv"
    );
    assert_eq!(export_file_name("../..", day), "orgdeck-audit-org-2026-11-28.csv");
}

#[test]
fn dates_in_the_orgs_own_format_are_understood() {
    use orgdeck_shared::general::DateFormat;
    let mut app = audit_app();
    let mut s = settings();
    s.value.date_format = DateFormat::Dotted;
    // The organization's settings change (read again on the General tab).
    send(&mut app, [ch('1'), ch('r')]);
    app.update(answer::<Get<GeneralSettings>>(&app, Ok(s)));
    send(&mut app, [ch('5'), ch('D')]);
    type_text(&mut app, "02.11.2026 -");
    let sent = searches(&send(&mut app, [key(KeyCode::Enter)]));
    assert_eq!(sent[0].from.unwrap().to_string(), "2026-11-02T00:00:00Z");
    assert_eq!(sent[0].to, None, "- leaves the end open");
}
