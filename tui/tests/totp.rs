//! Two-step enrolment of the logged-in user (Security › Two-step), driven by messages.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, tabs::security::EnrolmentStage, widgets::ToastLevel};
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::{
        BackupCodes, Secret, TotpConfirm, TotpEnrollment,
        endpoints::{ConfirmTotp, StartTotp},
    },
    security::TwoStepMethod,
};

pub const KEY: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

pub fn enrollment() -> TotpEnrollment {
    TotpEnrollment {
        otpauth_uri: Secret::new(format!(
            "otpauth://totp/Acme%20Security:admin%40acme.test?secret={KEY}&issuer=Acme%20Security"
        )),
        secret: Secret::new(KEY),
    }
}

fn backup_codes() -> BackupCodes {
    BackupCodes {
        backup_codes: (0..10)
            .map(|i| Secret::new(format!("{i:04}-7{i}3{i}-{i}{i}9")))
            .collect(),
    }
}

fn stage(app: &App) -> Option<EnrolmentStage> {
    security(app).enrolment.as_ref().map(|e| e.stage.clone())
}

/// The Security tab on its Two-step section, `E` pressed: the enrolment request goes out.
fn enrolling() -> App {
    let mut app = security_app();
    send(&mut app, [ch(']'), ch(']'), ch(']')]);
    let cmds = send(&mut app, [ch('E')]);
    assert_eq!(endpoints_of(&cmds), ["auth::StartTotp"]);
    assert_eq!(stage(&app), Some(EnrolmentStage::Requesting(TwoStepMethod::Totp)));
    app
}

/// Enrolling, with the secret arrived.
fn scanning() -> App {
    let mut app = enrolling();
    app.update(answer::<StartTotp>(&app, Ok(enrollment())));
    app
}

fn code_error(app: &App) -> Option<String> {
    match stage(app) {
        Some(EnrolmentStage::Scan { entry, .. }) => entry.error,
        other => panic!("not scanning: {other:?}"),
    }
}

#[test]
fn the_key_is_offered_in_the_two_step_section_and_listed_in_the_help() {
    let mut app = security_app();
    assert!(
        requests(&send(&mut app, [ch('E')])).is_empty(),
        "only in the Two-step section"
    );
    send(&mut app, [ch(']'), ch(']'), ch(']')]);
    let screen = screen(&app, 120, 40);
    assert!(screen.contains("enrol me"), "{screen}");
    assert!(screen.contains("E enrols you with an authenticator app"), "{screen}");
    send(&mut app, [ch('?')]);
    assert!(common::screen(&app, 120, 72).contains("enrol this account in two-step"));
}

#[test]
fn the_secret_shows_as_a_qr_code_and_a_grouped_key() {
    let app = scanning();
    let Some(EnrolmentStage::Scan { qr, .. }) = stage(&app) else {
        panic!("scanning")
    };
    let qr = qr.expect("the URI fits a QR code");
    let screen = screen(&app, 80, 24);
    assert!(screen.contains("JBSW Y3DP EHPK 3PXP"), "{screen}");
    // The first line of the code's own modules (the finder patterns' top edges) is on screen.
    assert!(
        screen.contains(qr.lines(orgdeck::widgets::qr::MIN_QUIET)[1].trim()),
        "{screen}"
    );
    assert!(screen.contains("Scan the QR code"), "{screen}");
}

#[test]
fn c_copies_the_key() {
    let mut app = scanning();
    let cmds = send(&mut app, [ch('c')]);
    assert!(cmds.contains(&Command::Copy(Secret::new(KEY))), "{cmds:?}");
}

#[test]
fn a_code_that_is_not_six_digits_is_refused_inline_and_nothing_is_sent() {
    let mut app = scanning();
    let cmds = type_text(&mut app, "12a");
    assert!(requests(&cmds).is_empty());
    assert!(code_error(&app).unwrap().contains("Digits only"));
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(requests(&cmds).is_empty(), "two digits are not a code");
    assert!(code_error(&app).unwrap().contains("6-digit"));
    assert!(screen(&app, 80, 24).contains("6-digit"));
    // A seventh digit does not go in.
    type_text(&mut app, "34567");
    let Some(EnrolmentStage::Scan { entry, .. }) = stage(&app) else {
        panic!()
    };
    assert_eq!(entry.code, "123456");
    assert!(code_error(&app).unwrap().contains("6 digits"));
}

#[test]
fn enter_sends_the_code_to_confirm() {
    let mut app = scanning();
    type_text(&mut app, "123456");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let confirm = call_of::<ConfirmTotp>(&cmds);
    assert_eq!(endpoints_of(&cmds), ["auth::ConfirmTotp"]);
    let body: TotpConfirm = confirm.body_as().unwrap();
    assert_eq!(body.code, Secret::new("123456"));
}

#[test]
fn a_wrong_code_is_an_inline_error_and_the_screen_stays() {
    let mut app = scanning();
    type_text(&mut app, "000000");
    send(&mut app, [key(KeyCode::Enter)]);
    let e = ApiError::new(ErrorCode::ValidationFailed, "invalid code");
    app.update(answer::<ConfirmTotp>(&app, Err(e)));
    assert!(code_error(&app).unwrap().contains("not valid"));
    assert!(screen(&app, 80, 24).contains("That code is not valid"));
    // Another try goes out.
    type_text(&mut app, "654321");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(requests(&cmds).len(), 1);
}

#[test]
fn success_shows_the_ten_backup_codes_once_with_copy() {
    let mut app = scanning();
    type_text(&mut app, "123456");
    send(&mut app, [key(KeyCode::Enter)]);
    app.update(answer::<ConfirmTotp>(&app, Ok(backup_codes())));
    let Some(EnrolmentStage::Codes(codes)) = stage(&app) else {
        panic!("{:?}", stage(&app))
    };
    assert_eq!(codes.len(), 10);
    let screen = screen(&app, 80, 24);
    for c in &backup_codes().backup_codes {
        assert!(screen.contains(c.expose()), "{screen}");
    }
    assert!(screen.contains("Store these backup codes now"), "{screen}");
    let cmds = send(&mut app, [ch('c')]);
    let codes = backup_codes().backup_codes;
    let all = codes.iter().map(|c| c.expose()).collect::<Vec<_>>().join("\n");
    assert!(cmds.contains(&Command::Copy(Secret::new(all))), "{cmds:?}");
    // Closing asks first; once closed, the codes are gone.
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(app.dialog.is_some());
    send(&mut app, [ch('y')]);
    assert_eq!(stage(&app), None);
    assert!(!common::screen(&app, 80, 24).contains(backup_codes().backup_codes[0].expose()));
}

#[test]
fn forbidden_explains_that_two_step_is_not_enabled_for_the_org() {
    let mut app = enrolling();
    let e = ApiError::new(ErrorCode::Forbidden, "two-step verification is not enabled");
    app.update(answer::<StartTotp>(&app, Err(e)));
    assert_eq!(stage(&app), None);
    let toast = app.toasts.last().expect("a toast");
    assert_eq!(toast.level, ToastLevel::Error);
    assert!(
        toast.text.contains("not enabled for this organization"),
        "{}",
        toast.text
    );
}

#[test]
fn esc_asks_before_dropping_a_shown_secret() {
    let mut app = enrolling();
    // Nothing shown yet: esc just closes.
    send(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(stage(&app), None);
    assert!(app.dialog.is_none());
    let mut app = scanning();
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(app.dialog.is_some(), "a secret is shown: ask first");
    send(&mut app, [ch('n')]);
    assert!(matches!(stage(&app), Some(EnrolmentStage::Scan { .. })));
    send(&mut app, [key(KeyCode::Esc), ch('y')]);
    assert_eq!(stage(&app), None);
}

#[test]
fn a_space_too_small_for_the_qr_code_says_so_and_still_shows_the_key() {
    let app = scanning();
    // The console draws nothing below 80x24 (it says the terminal is too small), so the enrolment screen is
    // drawn alone into a 60x20 space, where the QR code does not fit.
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(60, 20)).unwrap();
    terminal
        .draw(|f| app.active_tab().render_overlay(f, f.area(), &app.tab_ctx()))
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("too small for the QR code"), "{screen}");
    assert!(screen.contains("JBSW Y3DP"), "{screen}");
    let console = common::screen(&app, 60, 20);
    assert!(console.contains("Terminal too small"), "{console}");
}
