//! What the console looks like, at 80x24 (the smallest supported) and 120x40, as insta snapshots.

mod common;

use common::*;
use crossterm::event::KeyCode;
use insta::assert_snapshot;
use orgdeck::{App, theme::ThemeKind};
use orgdeck_shared::auth::endpoints::{GetMe, StartEmail, StartTotp};
use ratatui::{
    Terminal,
    backend::TestBackend,
    style::{Color, Modifier},
};

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.view(f)).unwrap();
    terminal
}

/// NO_COLOR: every cell in the terminal's own colors.
fn assert_no_color(buffer: &ratatui::buffer::Buffer) {
    for cell in buffer.content() {
        assert!(
            cell.fg == Color::Reset && cell.bg == Color::Reset,
            "NO_COLOR draws no color: {cell:?}"
        );
    }
}

/// The first row whose cell in column `x` shows `symbol` (a focus, cursor or selection marker).
fn row_marked(buffer: &ratatui::buffer::Buffer, x: u16, symbol: &str) -> Option<u16> {
    (0..buffer.area.height).find(|y| buffer.cell((x, *y)).unwrap().symbol() == symbol)
}

fn login_screen() -> App {
    let mut app = App::new(init(ThemeKind::Color256, false, false));
    app.start();
    type_text(&mut app, "hunter2");
    app
}

#[test]
fn login_screen_80x24() {
    assert_snapshot!(screen(&login_screen(), 80, 24));
}

#[test]
fn login_screen_120x40() {
    assert_snapshot!(screen(&login_screen(), 120, 40));
}

#[test]
fn the_password_is_never_drawn() {
    assert!(!screen(&login_screen(), 120, 40).contains("hunter2"));
}

#[test]
fn general_tab_80x24() {
    assert_snapshot!(screen(&logged_in(), 80, 24));
}

#[test]
fn general_tab_120x40() {
    assert_snapshot!(screen(&logged_in(), 120, 40));
}

#[test]
fn general_tab_with_an_inline_error_80x24() {
    let mut app = logged_in();
    send(
        &mut app,
        [
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Enter),
        ],
    );
    type_text(&mut app, "x");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.active, 0, "the General tab");
    assert_snapshot!(screen(&app, 80, 24));
}

/// An organization with no Protect licenses at all: its bar is empty and says so, never full.
#[test]
fn general_tab_with_no_licenses_of_a_kind_80x24() {
    use orgdeck_shared::{inventory::endpoints::GetLicenses, licensing::LicensePool};
    let mut app = logged_in_with(ThemeKind::Mono, false);
    let mut none = licenses();
    none.protect = LicensePool::new(0, 0, Vec::new());
    let cmds = send(&mut app, [ch('r')]);
    app.update(reply::<GetLicenses>(call_of::<GetLicenses>(&cmds), Ok(none)));
    let text = screen(&app, 80, 24);
    let protect = text.lines().find(|l| l.contains("Protect")).expect("a Protect bar");
    assert!(!protect.contains('█'), "nothing of none is used: {protect}");
    assert!(protect.contains("none licensed (0 / 0)"), "{protect}");
    assert_snapshot!(text);
}

#[test]
fn the_conflict_view_of_a_save_80x24_no_color() {
    use orgdeck_shared::{
        ApiError, ErrorCode,
        general::GeneralSettings,
        settings::endpoints::{Get, Put},
    };
    let mut app = logged_in_with(orgdeck::theme::ThemeKind::Mono, false);
    send(&mut app, [key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "Acme Security Labs");
    let cmds = send(&mut app, [key(KeyCode::Enter), ch('s')]);
    let put = call_of::<Put<GeneralSettings>>(&cmds);
    let cmds = send(
        &mut app,
        [reply::<Put<GeneralSettings>>(
            put,
            Err(ApiError::new(ErrorCode::VersionMismatch, "stale")),
        )],
    );
    let mut theirs = settings();
    theirs.version = 4;
    theirs.value.name = "Acme Security Inc".into();
    theirs.value.timezone = "America/New_York".into();
    send(
        &mut app,
        [reply::<Get<GeneralSettings>>(
            call_of::<Get<GeneralSettings>>(&cmds),
            Ok(theirs),
        )],
    );
    send(&mut app, [key(KeyCode::Down)]);
    let terminal = draw(&app, 80, 24);
    assert_no_color(terminal.backend().buffer());
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn help_overlay_80x24() {
    let mut app = logged_in();
    send(&mut app, [ch('?')]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn help_overlay_120x40() {
    let mut app = logged_in();
    send(&mut app, [ch('?')]);
    assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn quit_confirmation_80x24() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, " Labs");
    send(&mut app, [key(KeyCode::Enter), ch('q')]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn monochrome_general_tab_80x24() {
    let app = logged_in_with(ThemeKind::Mono, false);
    let terminal = draw(&app, 80, 24);
    assert_snapshot!(terminal.backend().to_string());
    let buffer = terminal.backend().buffer();
    assert_no_color(buffer);
    // The focused field is shown by a marker and reverse video, not by color.
    let row = row_marked(buffer, 2, ">").expect("a focus marker");
    assert!(buffer.cell((4, row)).unwrap().modifier.contains(Modifier::REVERSED));
}

fn users_screen() -> App {
    users_app(100_000)
}

#[test]
fn users_tab_80x24() {
    assert_snapshot!(screen(&users_screen(), 80, 24));
}

#[test]
fn users_tab_120x40() {
    let mut app = users_screen();
    send(&mut app, [ch('j'), ch('j'), ch(' ')]);
    assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn users_tab_with_details_below_80x24() {
    let mut app = users_screen();
    send(&mut app, [ch('j'), key(KeyCode::Enter)]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn user_form_with_password_rules_80x24() {
    let mut app = users_screen();
    send(&mut app, [ch('a')]);
    type_text(&mut app, "new.person@acme.test");
    send(&mut app, (0..6).map(|_| key(KeyCode::Down)));
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "acme1");
    assert_snapshot!(screen(&app, 80, 24));
}

/// The user form of an organization with more custom groups than fit on the row: moving along them keeps
/// the one under the cursor in sight, and `…` says which side has more.
#[test]
fn user_form_with_many_groups_80x24() {
    use orgdeck_shared::{Page, groups::Group};
    let mut app = users_screen();
    let cmds = send(&mut app, [ch('r')]);
    let names = [
        "Contractors",
        "Data Science",
        "Payments Team",
        "Platform Engineering",
        "Security Champions",
    ];
    let groups = names
        .iter()
        .enumerate()
        .map(|(i, name)| Group {
            id: uuid::Uuid::from_u128(0xc000 + i as u128),
            name: (*name).into(),
            built_in: false,
            grants_role: None,
            app_access: Vec::new(),
            members: Vec::new(),
            version: 1,
        })
        .collect();
    let list = call_of::<orgdeck_shared::groups::endpoints::List>(&cmds);
    let others = cmds
        .into_iter()
        .filter(|c| !matches!(c, orgdeck::Command::Api(call) if *call == list))
        .collect();
    orgdeck::bench::serve(&mut app, others, 100_000);
    app.update(reply::<orgdeck_shared::groups::endpoints::List>(
        list,
        Ok(Page {
            items: groups,
            next_cursor: None,
        }),
    ));
    send(&mut app, [ch('a')]);
    send(&mut app, (0..4).map(|_| key(KeyCode::Down)));
    let groups_row = |app: &App| {
        screen(app, 80, 24)
            .lines()
            .find(|l| l.contains("> Groups"))
            .expect("the groups row has the focus")
            .to_owned()
    };
    let first = groups_row(&app);
    assert!(first.contains("[ ] Contractors") && first.contains('…'), "{first}");
    for (i, name) in names.iter().enumerate().skip(1) {
        send(&mut app, [key(KeyCode::Right)]);
        let row = groups_row(&app);
        assert!(
            row.contains(&format!("[ ] {name}")),
            "{name} (option {i}) in sight: {row}"
        );
        assert!(row.trim_matches('"').ends_with('│'), "the box stays whole: {row}");
    }
    send(&mut app, [ch(' ')]);
    let last = groups_row(&app);
    assert!(last.contains("[x] Security Champions") && last.contains('…'), "{last}");
    assert_snapshot!(screen(&app, 80, 24));
}

/// The import prompt says what the server's import takes: a header naming the columns (any order), the
/// optional one, what `group` holds; never the old `group[,api_only]`, which read as a fixed order.
#[test]
fn import_prompt_80x24() {
    use orgdeck_shared::users::{IMPORT_COLUMNS, IMPORT_OPTIONAL_COLUMNS};
    let mut app = users_screen();
    send(&mut app, [ch('i')]);
    type_text(&mut app, "~/people.csv");
    let text = screen(&app, 80, 24);
    assert!(text.contains(&IMPORT_COLUMNS.join(",")), "{text}");
    assert!(
        text.contains(&format!("if wanted, {}", IMPORT_OPTIONAL_COLUMNS.join(","))),
        "{text}"
    );
    assert!(text.contains("in any order"), "{text}");
    assert!(text.contains("View, Edit, Rules Admin, Admin"), "{text}");
    assert!(!text.contains("[,api_only]"), "{text}");
    assert!(text.contains("> ~/people.csv"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn delete_confirmation_naming_users_80x24() {
    let mut app = users_screen();
    send(&mut app, [ch(' '), ch(' '), ch('d')]);
    assert_snapshot!(screen(&app, 80, 24));
}

fn groups_screen() -> App {
    use orgdeck_shared::{Page, auth::OrgRole, groups::*};
    let mut app = users_app(30);
    send(&mut app, [ch('3'), ch('r')]);
    app.update(answer::<orgdeck_shared::inventory::endpoints::ListApplications>(
        &app,
        Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        }),
    ));
    let mut groups: Vec<Group> = OrgRole::ALL
        .iter()
        .rev()
        .enumerate()
        .map(|(i, r)| Group {
            id: uuid::Uuid::from_u128(0xb000 + i as u128),
            name: r.label().into(),
            built_in: true,
            grants_role: Some(*r),
            app_access: Vec::new(),
            members: (0..(i * 3 + 1)).map(|n| orgdeck::bench::fake_user(n).id).collect(),
            version: 1,
        })
        .collect();
    groups.push(Group {
        id: uuid::Uuid::from_u128(0xc001),
        name: "Payments Team".into(),
        built_in: false,
        grants_role: None,
        app_access: vec![
            AppAccess {
                applications: AppSelection::All,
                role: AppRole::View,
            },
            AppAccess {
                applications: AppSelection::Only(vec![uuid::Uuid::from_u128(1), uuid::Uuid::from_u128(2)]),
                role: AppRole::Edit,
            },
        ],
        members: (0..7).map(|n| orgdeck::bench::fake_user(n).id).collect(),
        version: 3,
    });
    app.update(answer::<orgdeck_shared::groups::endpoints::List>(
        &app,
        Ok(Page {
            items: groups,
            next_cursor: None,
        }),
    ));
    app
}

#[test]
fn groups_tab_80x24() {
    assert_snapshot!(screen(&groups_screen(), 80, 24));
}

#[test]
fn groups_tab_120x40() {
    assert_snapshot!(screen(&groups_screen(), 120, 40));
}

#[test]
fn group_editor_80x24() {
    let mut app = groups_screen();
    send(&mut app, [ch('G'), ch('e'), key(KeyCode::Down)]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn monochrome_users_table_marks_the_cursor_and_selection_without_color() {
    let mut app = users_app_with(50, false);
    app.theme = orgdeck::theme::Theme::new(ThemeKind::Mono);
    send(&mut app, [ch(' ')]);
    let terminal = draw(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    assert_no_color(buffer);
    let row = row_marked(buffer, 1, ">").expect("a cursor marker");
    assert!(buffer.cell((10, row)).unwrap().modifier.contains(Modifier::REVERSED));
    let selected = row_marked(buffer, 2, "✓").expect("a selection marker");
    assert_ne!(selected, row, "space moved the cursor on");
}

#[test]
fn security_password_policy_80x24() {
    assert_snapshot!(screen(&security_app(), 80, 24));
}

#[test]
fn security_password_policy_120x40() {
    assert_snapshot!(screen(&security_app(), 120, 40));
}

#[test]
fn security_ip_restrictions_with_a_row_80x24() {
    let mut app = security_app();
    send(&mut app, [ch(']'), ch(']'), ch('a')]);
    type_text(&mut app, "10.0.0.0/8");
    send(&mut app, [ctrl('s')]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn audit_tab_80x24() {
    let mut app = logged_in();
    send(&mut app, [ch('5')]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn audit_tab_120x40() {
    let mut app = logged_in();
    send(&mut app, [ch('5')]);
    assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn audit_entry_detail_80x24() {
    use orgdeck_shared::{
        Page,
        audit::{AuditActor, AuditEntry, AuditTarget, FieldChange, REDACTED},
    };
    let mut app = logged_in();
    send(&mut app, [ch('5')]);
    let entry = AuditEntry {
        id: uuid::Uuid::nil(),
        at: "2026-11-28T21:30:00Z".parse().unwrap(),
        actor: AuditActor {
            user_id: None,
            email: "admin@acme.test".into(),
        },
        action: "settings.update".into(),
        target: AuditTarget::new("settings", "password_policy"),
        ip: Some("192.0.2.10".into()),
        summary: "Changed password_policy settings: strength, history".into(),
        changes: vec![
            FieldChange {
                field: "strength".into(),
                old: "nist".into(),
                new: "strong".into(),
            },
            FieldChange {
                field: "smtp_password".into(),
                old: REDACTED.into(),
                new: REDACTED.into(),
            },
        ],
    };
    send(&mut app, [ch('r')]);
    app.update(answer::<orgdeck_shared::audit::endpoints::Search>(
        &app,
        Ok(Page {
            items: vec![entry],
            next_cursor: None,
        }),
    ));
    send(&mut app, [key(KeyCode::Enter)]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn user_sessions_80x24() {
    use orgdeck_shared::security::ActiveSession;
    let mut app = users_app(3);
    send(&mut app, [ch('S')]);
    let at: jiff::Timestamp = "2026-11-28T20:00:00Z".parse().unwrap();
    let sessions = ["192.0.2.10", "2001:db8::7"]
        .iter()
        .enumerate()
        .map(|(i, ip)| ActiveSession {
            id: format!("s{i}"),
            created_at: at,
            last_seen_at: at,
            expires_at: at,
            ip: (*ip).into(),
        })
        .collect();
    app.update(answer::<orgdeck_shared::security::endpoints::ListSessions>(
        &app,
        Ok(sessions),
    ));
    assert_snapshot!(screen(&app, 80, 24));
}

const ENROL_URI: &str = "otpauth://totp/Acme%20Security:admin%40acme.test?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\
                         &issuer=Acme%20Security";

/// Security › Two-step, `E` pressed and the server's secret arrived: the QR code beside the key.
fn totp_enrolment() -> App {
    totp_enrolment_of(ENROL_URI)
}

/// A longer URI (the demo organization's name, a longer address): a bigger code, which fits 80x24
/// only with a narrower quiet zone.
const LONG_ENROL_URI: &str = "otpauth://totp/Northwind%20Security:admin%40northwind.example\
                              ?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Northwind%20Security";

fn totp_enrolment_of(uri: &str) -> App {
    use orgdeck_shared::auth::{Secret, TotpEnrollment};
    let mut app = logged_in();
    send(&mut app, [ch('4'), ch(']'), ch(']'), ch(']'), ch('E')]);
    let enrollment = TotpEnrollment {
        otpauth_uri: Secret::new(uri),
        secret: Secret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
    };
    app.update(answer::<StartTotp>(&app, Ok(enrollment)));
    type_text(&mut app, "12");
    app
}

#[test]
fn totp_enrolment_qr_code_80x24() {
    assert_snapshot!(screen(&totp_enrolment(), 80, 24));
}

#[test]
fn the_qr_code_is_dark_on_light_whatever_the_theme() {
    for theme in [ThemeKind::Color256, ThemeKind::Mono] {
        let mut app = totp_enrolment();
        app.theme = orgdeck::theme::Theme::new(theme);
        let terminal = draw(&app, 80, 24);
        let buffer = terminal.backend().buffer();
        // The top-left corner is quiet zone; a cell of the finder pattern is dark.
        let quiet = &buffer[(0, 0)];
        assert_eq!((quiet.symbol(), quiet.bg), (" ", Color::White));
        let q = orgdeck::widgets::qr::QUIET as u16;
        let finder = &buffer[(q, q / 2)];
        assert_eq!(
            (finder.symbol(), finder.fg, finder.bg),
            ("█", Color::Black, Color::White)
        );
    }
}

/// What a phone's camera sees of the drawn screen, read by a QR decoder: each cell two pixels high
/// (upper and lower half), black and white as drawn, and everything else (text, borders, the
/// terminal's own background) dark, the hardest case for finding the code's edge.
fn scan(terminal: &Terminal<TestBackend>) -> Vec<String> {
    const SCALE: usize = 4;
    let buffer = terminal.backend().buffer();
    let (w, h) = (buffer.area.width as usize, buffer.area.height as usize * 2);
    let light = |c: Color| c == Color::White;
    let mut pixels = vec![false; w * h];
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            let (upper, lower) = match cell.symbol() {
                "█" => (cell.fg, cell.fg),
                "▀" => (cell.fg, cell.bg),
                "▄" => (cell.bg, cell.fg),
                " " => (cell.bg, cell.bg),
                _ => (Color::Reset, Color::Reset),
            };
            pixels[2 * y as usize * w + x as usize] = light(upper);
            pixels[(2 * y as usize + 1) * w + x as usize] = light(lower);
        }
    }
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w * SCALE, h * SCALE, |x, y| {
        if pixels[(y / SCALE) * w + x / SCALE] { 255 } else { 0 }
    });
    image
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

#[test]
fn a_qr_decoder_reads_the_enrolment_uri_off_the_screen_at_80x24_and_120x40() {
    for uri in [ENROL_URI, LONG_ENROL_URI] {
        let app = totp_enrolment_of(uri);
        for (w, h) in [(80, 24), (120, 40)] {
            assert_eq!(scan(&draw(&app, w, h)), vec![uri.to_owned()], "at {w}x{h}");
        }
    }
}

#[test]
fn the_standard_quiet_zone_is_drawn_when_the_terminal_has_room_and_a_narrower_one_otherwise() {
    let white_columns = |terminal: &Terminal<TestBackend>| {
        let buffer = terminal.backend().buffer();
        (0..buffer.area.width)
            .take_while(|x| (0..10).all(|y| buffer[(*x, y)].symbol() == " " && buffer[(*x, y)].bg == Color::White))
            .count()
    };
    use orgdeck::widgets::qr::{MIN_QUIET, QUIET};
    assert_eq!(white_columns(&draw(&totp_enrolment(), 80, 24)), QUIET);
    let long = totp_enrolment_of(LONG_ENROL_URI);
    assert_eq!(white_columns(&draw(&long, 120, 40)), QUIET);
    let narrow = white_columns(&draw(&long, 80, 24));
    assert!((MIN_QUIET..QUIET).contains(&narrow), "{narrow}");
}

/// The login's second step when the user has an authenticator app and email, and a code was emailed.
#[test]
fn login_second_step_80x24() {
    use orgdeck_shared::auth::MfaMethod;
    let mut app = second_step(
        vec![MfaMethod::Totp, MfaMethod::Email, MfaMethod::BackupCode],
        Some("a•••@acme.test"),
    );
    type_text(&mut app, "12");
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn logged_out_80x24() {
    let mut app = logged_in();
    send(&mut app, [ch('L')]);
    assert_snapshot!(screen(&app, 80, 24));
}

/// `GET me` said the organization requires two-step and offers both methods.
fn required_enrolment(theme: ThemeKind) -> App {
    use orgdeck_shared::security::TwoStepMethod;
    let mut app = App::new(init(theme, false, true));
    app.start();
    let mut me = me();
    me.two_step.available = vec![TwoStepMethod::Totp, TwoStepMethod::Email];
    me.two_step.must_enrol = true;
    app.update(answer::<GetMe>(&app, Ok(me)));
    app
}

#[test]
fn required_enrolment_choice_80x24() {
    assert_snapshot!(screen(&required_enrolment(ThemeKind::Color256), 80, 24));
}

#[test]
fn monochrome_required_enrolment_marks_the_choice_without_color() {
    let mut app = required_enrolment(ThemeKind::Mono);
    send(&mut app, [key(KeyCode::Down)]);
    let terminal = draw(&app, 80, 24);
    let buffer = terminal.backend().buffer();
    assert_no_color(buffer);
    let row = row_marked(buffer, 1, ">").expect("a choice marker");
    assert!(
        screen(&app, 80, 24)
            .lines()
            .nth(row as usize)
            .unwrap()
            .contains("Email")
    );
    assert!(buffer.cell((4, row)).unwrap().modifier.contains(Modifier::REVERSED));
}

#[test]
fn email_enrolment_80x24() {
    use orgdeck_shared::auth::EmailCodeSent;
    let mut app = logged_in();
    send(&mut app, [ch('4'), ch(']'), ch(']'), ch(']'), ch('M')]);
    let sent = EmailCodeSent {
        sent_to: "a•••@acme.test".into(),
        expires_at: "2026-11-28T21:10:00Z".parse().unwrap(),
    };
    app.update(answer::<StartEmail>(&app, Ok(sent)));
    type_text(&mut app, "12");
    assert_snapshot!(screen(&app, 80, 24));
}

/// The API keys tab of an admin: their own key, Dana's rotated one in its grace period, a CI bot's.
fn api_keys_list(theme: ThemeKind) -> App {
    let at = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
    let own = api_key_info(1, "admin@acme.test", uuid::Uuid::nil());
    let mut dana = api_key_info(2, "dana@acme.test", uuid::Uuid::from_u128(0xda));
    dana.rotated_at = at("2026-11-28T20:30:00Z");
    dana.previous_valid_until = Some(at("2026-11-28T21:30:00Z"));
    dana.last_used_at = Some(at("2026-11-28T20:45:00Z"));
    let mut bot = api_key_info(3, "ci-bot@acme.test", uuid::Uuid::from_u128(0xb0));
    bot.last_used_at = Some(at("2026-11-28T06:00:00Z"));
    api_keys_app_with(logged_in_with(theme, false), &[own, dana, bot])
}

/// The same tab right after the admin made a key for the CI bot.
fn new_api_key_shown(theme: ThemeKind) -> App {
    let mut app = api_keys_list(theme);
    let made = orgdeck_shared::api_keys::NewApiKey {
        info: api_key_info(3, "ci-bot@acme.test", uuid::Uuid::from_u128(0xb0)),
        key: orgdeck_shared::auth::Secret::new("od_AbCdEfGhIjKlMnOpQrStUvWxYz0123457Xq2Lm"),
    };
    // `A`, the bot's email, its user found: the key is made.
    send(&mut app, [ch('A')]);
    type_text(&mut app, "ci-bot@acme.test");
    send(&mut app, [key(KeyCode::Enter)]);
    let mut bot = orgdeck::bench::fake_user(3);
    bot.id = uuid::Uuid::from_u128(0xb0);
    bot.email = "ci-bot@acme.test".into();
    let found = orgdeck_shared::Page {
        items: vec![bot],
        next_cursor: None,
    };
    app.update(answer::<orgdeck_shared::users::endpoints::List>(&app, Ok(found)));
    app.update(answer::<orgdeck_shared::api_keys::endpoints::Create>(&app, Ok(made)));
    app
}

#[test]
fn api_keys_tab_80x24() {
    let app = api_keys_list(ThemeKind::Color256);
    assert_snapshot!(screen(&app, 80, 24));
}

/// A key never rotated says nothing of rotating; a rotated one in its grace period shows when it was
/// rotated and, whole at 80 columns, until when the replaced key works.
#[test]
fn api_keys_tab_rotated_or_not_80x24() {
    let mut app = api_keys_list(ThemeKind::Mono);
    let text = screen(&app, 80, 24);
    let below: String = text.lines().skip(19).take(3).collect();
    assert!(below.contains("od_Key001 of admin@acme.test"), "{text}");
    assert!(!below.contains("rotated"), "the admin's key was never rotated: {text}");
    send(&mut app, [ch('j')]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("old key works until 2026-11-28 21:30"), "{text}");
    assert!(text.contains("rotated 2026-11-28 20:30"), "{text}");
    assert!(text.contains("created 2026-11-20 10:00"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn new_api_key_dialog_80x24() {
    assert_snapshot!(screen(&new_api_key_shown(ThemeKind::Color256), 80, 24));
}

#[test]
fn the_api_keys_tab_and_a_new_key_need_no_color() {
    for app in [api_keys_list(ThemeKind::Mono), new_api_key_shown(ThemeKind::Mono)] {
        let terminal = draw(&app, 80, 24);
        assert_no_color(terminal.backend().buffer());
    }
    // The cursor row is marked by a character, not by color alone.
    let terminal = draw(&api_keys_list(ThemeKind::Mono), 80, 24);
    assert!(row_marked(terminal.backend().buffer(), 1, ">").is_some());
}

/// The header at 80 columns keeps a long organization name whole: the keys give way, then the group and
/// the section; only a name longer than the line is cut, with an ellipsis.
#[test]
fn a_long_organization_name_fits_the_header_before_anything_is_cut() {
    let long = "Northwind Security Operations and Compliance International";
    let mut app = logged_in();
    app.me.as_mut().unwrap().org.name = long.into();
    send(&mut app, [ch('6')]);
    let bar = screen(&app, 80, 24).lines().next().unwrap().to_owned();
    assert!(bar.contains(long), "the whole name: {bar}");
    assert!(bar.contains(" API keys "), "the area's title stays: {bar}");
    assert!(!bar.contains('…'), "{bar}");
    assert_eq!(bar.trim_matches('"').chars().count(), 80, "{bar}");
    // The Security tab's section gives way too (its own bar shows it).
    send(&mut app, [ch('4'), ch(']'), ch(']')]);
    let bar = screen(&app, 80, 24).lines().next().unwrap().to_owned();
    assert!(bar.contains(long) && bar.contains(" Security "), "{bar}");
    // A shorter name keeps the whole crumb.
    app.me.as_mut().unwrap().org.name = "Northwind Security Operations".into();
    let bar = screen(&app, 80, 24).lines().next().unwrap().to_owned();
    assert!(bar.contains("Security  › IP restrictions"), "{bar}");
    assert!(bar.contains("Northwind Security Operations"), "{bar}");
    // With room, everything.
    app.me.as_mut().unwrap().org.name = long.into();
    send(&mut app, [ch('6')]);
    let wide = screen(&app, 120, 40).lines().next().unwrap().to_owned();
    assert!(
        wide.contains("Users & access ›  API keys") && wide.contains(long),
        "{wide}"
    );
    // Only a name longer than the line is cut, keeping what it can.
    let huge = format!("{long} Holdings and Subsidiaries Worldwide");
    app.me.as_mut().unwrap().org.name = huge;
    let bar = screen(&app, 80, 24).lines().next().unwrap().to_owned();
    assert!(
        bar.contains("Northwind Security Operations and Compliance") && bar.contains('…'),
        "{bar}"
    );
    assert!(bar.contains(" API keys "), "{bar}");
    assert_eq!(bar.trim_matches('"').chars().count(), 80, "{bar}");
}

/// A long message wraps in its own rows at the bottom: the tab's border and text stay whole.
#[test]
fn message_area_80x24() {
    let mut app = logged_in_with(ThemeKind::Mono, false);
    send(&mut app, [ch('2')]);
    // `o` does nothing in General: the message says so. Then a long one, as a refused save gives.
    send(&mut app, [ch('1'), ch('/')]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("not in General"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[20].contains('└'), "the tab's bottom border is whole: {text}");
    assert!(lines[23].starts_with("\" ✓ /"), "the message has the last row: {text}");
    assert_snapshot!(text);
}

#[test]
fn message_log_80x24() {
    let mut app = logged_in();
    app.clock = || "2026-11-28T21:30:00Z".parse().unwrap();
    app.update(orgdeck::Msg::Resize(80, 24));
    send(&mut app, [ch('s'), ch('/'), ch(':')]);
    type_text(&mut app, "messages");
    send(&mut app, [key(KeyCode::Enter)]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("Messages (2)"), "{text}");
    assert!(text.contains("Nothing to save"), "{text}");
    assert_snapshot!(text);
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(app.message_log.is_none());
}

#[test]
fn account_80x24() {
    use orgdeck_shared::account::{MySession, endpoints::MySessions};
    let mut app = logged_in_with(ThemeKind::Mono, false);
    send(&mut app, [ch('\''), ch('m'), ch('r')]);
    let at: jiff::Timestamp = "2026-11-28T20:00:00Z".parse().unwrap();
    let s = |id: &str, ip: &str, current| MySession {
        id: id.into(),
        created_at: at,
        last_seen_at: at,
        expires_at: at,
        ip: ip.into(),
        current,
    };
    app.update(answer::<MySessions>(
        &app,
        Ok(vec![s("a", "192.0.2.10", true), s("b", "2001:db8::7", false)]),
    ));
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn forced_password_change_80x24() {
    use orgdeck_shared::{account::endpoints::MyPasswordPolicy, password::PasswordPolicy};
    let mut app = App::new(init(ThemeKind::Mono, false, true));
    app.start();
    let mut me = me();
    me.must_change_password = true;
    app.update(answer::<GetMe>(&app, Ok(me)));
    app.update(answer::<MyPasswordPolicy>(&app, Ok(PasswordPolicy::default())));
    type_text(&mut app, "old one");
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "Acme2026");
    assert_snapshot!(screen(&app, 80, 24));
}
