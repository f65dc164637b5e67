//! Two-step verification beyond the authenticator app's QR screen, driven by messages: the login's
//! second step (app, email or backup code), the enrolment an organization requires before anything
//! else, and enrolling by email from Security › Two-step.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, app::login::Stage as LoginStage, tabs::security::EnrolmentStage};
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::{
        BackupCodes, EmailCodeConfirm, EmailCodeSent, Me, MfaMethod, MfaRequest, ReauthRequest, Secret, TotpConfirm,
        TotpEnrollment,
        endpoints::{ConfirmEmail, ConfirmTotp, GetMe, Mfa, MfaEmail, Reauth, ReauthEmail, StartEmail, StartTotp},
    },
    general::GeneralSettings,
    security::TwoStepMethod,
    settings::endpoints::Get,
};

const SENT_TO: &str = "a•••@acme.test";

fn sent() -> EmailCodeSent {
    EmailCodeSent {
        sent_to: SENT_TO.into(),
        expires_at: "2026-11-28T21:10:00Z".parse().unwrap(),
    }
}

fn backup_codes() -> BackupCodes {
    BackupCodes {
        backup_codes: (0..10).map(|i| Secret::new(format!("abcd{i}-efgh{i}"))).collect(),
    }
}

fn too_soon() -> ApiError {
    ApiError::new(
        ErrorCode::TooManyRequests,
        "a code was sent less than a minute ago: ask again in 42 s",
    )
}

fn login_stage(app: &App) -> LoginStage {
    app.login.as_ref().expect("the login dialog").stage.clone()
}

#[test]
fn the_second_step_says_what_to_enter_for_an_authenticator_app() {
    let app = second_step(vec![MfaMethod::Totp, MfaMethod::BackupCode], None);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Enter the 6-digit code from your authenticator app."),
        "{text}"
    );
    assert!(text.contains("A backup code works too."), "{text}");
    assert!(!text.contains("email"), "email is not offered: {text}");
}

#[test]
fn an_emailed_code_says_where_it_went() {
    let app = second_step(vec![MfaMethod::Email, MfaMethod::BackupCode], Some(SENT_TO));
    let text = screen(&app, 80, 24);
    assert!(text.contains(&format!("We emailed a code to {SENT_TO}")), "{text}");
    assert!(!text.contains("authenticator"), "{text}");
}

#[test]
fn ctrl_r_emails_a_code_and_a_429_says_when_to_ask_again_in_place() {
    let mut app = second_step(vec![MfaMethod::Totp, MfaMethod::Email, MfaMethod::BackupCode], None);
    assert!(screen(&app, 80, 24).contains("ctrl-r emails you a code"));
    let cmds = send(&mut app, [ctrl('r')]);
    assert_eq!(endpoints_of(&cmds), ["auth::MfaEmail"]);
    assert!(requests(&send(&mut app, [ctrl('r')])).is_empty(), "one at a time");
    app.update(answer::<MfaEmail>(&app, Ok(sent())));
    assert!(screen(&app, 80, 24).contains(&format!("We emailed a code to {SENT_TO}")));
    let cmds = send(&mut app, [ctrl('r')]);
    assert_eq!(endpoints_of(&cmds), ["auth::MfaEmail"], "and again");
    app.update(answer::<MfaEmail>(&app, Err(too_soon())));
    let text = screen(&app, 80, 24);
    assert!(text.contains("a minute ago: ask again in 42"), "{text}");
    assert!(
        matches!(login_stage(&app), LoginStage::Code { .. }),
        "still the second step"
    );
    assert!(app.login.as_ref().unwrap().password.value().is_empty());
}

#[test]
fn ctrl_r_does_nothing_when_email_is_not_offered() {
    let mut app = second_step(vec![MfaMethod::Totp, MfaMethod::BackupCode], None);
    assert!(requests(&send(&mut app, [ctrl('r')])).is_empty());
}

#[test]
fn a_backup_code_goes_in_as_typed() {
    let mut app = second_step(vec![MfaMethod::Totp, MfaMethod::BackupCode], None);
    type_text(&mut app, "abcde-fgh23");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: MfaRequest = call_of::<Mfa>(&cmds).body_as().unwrap();
    assert_eq!(
        (body.challenge, body.code),
        (Secret::new("ch-1"), Secret::new("abcde-fgh23"))
    );
}

#[test]
fn a_refused_code_stays_on_the_second_step_and_esc_goes_back_to_the_password() {
    let mut app = second_step(vec![MfaMethod::Totp, MfaMethod::BackupCode], None);
    type_text(&mut app, "000000");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let mfa = requests(&cmds).remove(0);
    let refused = ApiError::new(ErrorCode::InvalidCredentials, "invalid credentials");
    send(
        &mut app,
        [reply_to::<orgdeck_shared::auth::LoginResponse>(mfa, Err(refused))],
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("That code was not accepted"), "{text}");
    assert!(matches!(login_stage(&app), LoginStage::Code { .. }));
    assert_eq!(app.login.as_ref().unwrap().code.value(), "", "typed again");
    send(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(login_stage(&app), LoginStage::Password);
    let text = screen(&app, 80, 24);
    assert!(text.contains("Password"), "{text}");
    assert!(!text.contains("not accepted"), "{text}");
}

/// A stored session whose user must enrol before anything else, offered `methods`.
fn must_enrol(methods: Vec<TwoStepMethod>) -> (App, Vec<Command>) {
    let mut app = App::new(init(orgdeck::theme::ThemeKind::Color256, false, true));
    app.start();
    let mut me: Me = me();
    me.two_step.available = methods;
    me.two_step.must_enrol = true;
    let cmds = app.update(answer::<GetMe>(&app, Ok(me)));
    (app, cmds)
}

fn required_stage(app: &App) -> Option<EnrolmentStage> {
    app.enrolment.as_ref().map(|e| e.stage.clone())
}

fn enrollment() -> TotpEnrollment {
    TotpEnrollment {
        otpauth_uri: Secret::new("otpauth://totp/orgdeck:admin%40acme.test?secret=JBSWY3DPEHPK3PXP&issuer=orgdeck"),
        secret: Secret::new("JBSWY3DPEHPK3PXP"),
    }
}

#[test]
fn a_required_enrolment_opens_by_itself_and_the_tabs_load_only_after_it() {
    let (mut app, cmds) = must_enrol(vec![TwoStepMethod::Totp]);
    assert_eq!(endpoints_of(&cmds), ["auth::StartTotp"], "nothing but the enrolment");
    app.update(answer::<StartTotp>(&app, Ok(enrollment())));
    assert!(screen(&app, 80, 24).contains("JBSW Y3DP EHPK 3PXP"));
    type_text(&mut app, "123456");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: TotpConfirm = only_body::<ConfirmTotp, _>(&cmds);
    assert_eq!(body.code, Secret::new("123456"));
    let cmds = app.update(answer::<ConfirmTotp>(&app, Ok(backup_codes())));
    assert!(requests(&cmds).is_empty());
    assert!(screen(&app, 80, 24).contains("abcd0-efgh0"));
    // Dismissing the codes asks first, then asks the server again.
    let cmds = send(&mut app, [key(KeyCode::Esc), ch('y')]);
    assert_eq!(endpoints_of(&cmds), ["auth::GetMe"]);
    assert!(app.enrolment.is_none());
    let mut enrolled = me();
    enrolled.two_step.enrolled = vec![TwoStepMethod::Totp];
    let cmds = app.update(answer::<GetMe>(&app, Ok(enrolled)));
    assert!(sends::<Get<GeneralSettings>>(&cmds), "now the tabs load");
}

#[test]
fn when_both_methods_are_offered_the_user_chooses_and_can_choose_again() {
    let (mut app, cmds) = must_enrol(vec![TwoStepMethod::Totp, TwoStepMethod::Email]);
    assert!(requests(&cmds).is_empty(), "{cmds:?}");
    let text = screen(&app, 80, 24);
    assert!(text.contains("requires two-step verification"), "{text}");
    assert!(text.contains("> Authenticator app"), "{text}");
    assert!(text.contains("Email: a code sent to your address"), "{text}");
    let cmds = send(&mut app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    assert_eq!(endpoints_of(&cmds), ["auth::StartEmail"]);
    app.update(answer::<StartEmail>(&app, Ok(sent())));
    assert!(screen(&app, 80, 24).contains(&format!("We emailed a 6-digit code to {SENT_TO}")));
    // Leaving a method goes back to the choice, never into the console.
    send(&mut app, [key(KeyCode::Esc)]);
    assert_eq!(required_stage(&app), Some(EnrolmentStage::Choose { cursor: 0 }));
    let cmds = send(&mut app, [ch('E')]);
    assert_eq!(endpoints_of(&cmds), ["auth::StartTotp"]);
}

#[test]
fn a_method_that_fails_to_start_goes_back_to_the_choice() {
    let (mut app, _) = must_enrol(vec![TwoStepMethod::Totp, TwoStepMethod::Email]);
    send(&mut app, [ch('M')]);
    let missing = ApiError::new(ErrorCode::NotFound, "no such route");
    app.update(answer::<StartEmail>(&app, Err(missing)));
    assert_eq!(required_stage(&app), Some(EnrolmentStage::Choose { cursor: 0 }));
    assert!(app.toasts.last().unwrap().text.contains("no such route"));
}

#[test]
fn quitting_and_logging_out_stay_possible_while_enrolment_is_required() {
    let (mut app, _) = must_enrol(vec![TwoStepMethod::Totp, TwoStepMethod::Email]);
    let cmds = send(&mut app, [ch('L')]);
    assert!(cmds.contains(&Command::Logout));
    assert!(app.enrolment.is_none() && app.login.is_some());

    let (mut app, _) = must_enrol(vec![TwoStepMethod::Totp]);
    app.update(answer::<StartTotp>(&app, Ok(enrollment())));
    send(&mut app, [ch('q')]);
    assert!(!app.should_quit(), "a key is on screen: ask first");
    assert!(screen(&app, 80, 24).contains("Your two-step enrolment is not finished. Quit anyway?"));
    send(&mut app, [ch('y')]);
    assert!(app.should_quit());
}

/// Security › Two-step, `M` pressed: the code is asked for by email.
fn enrolling_by_email() -> App {
    let mut app = security_app();
    send(&mut app, [ch(']'), ch(']'), ch(']')]);
    let cmds = send(&mut app, [ch('M')]);
    assert_eq!(endpoints_of(&cmds), ["auth::StartEmail"]);
    app.update(answer::<StartEmail>(&app, Ok(sent())));
    app
}

fn security_stage(app: &App) -> Option<EnrolmentStage> {
    security(app).enrolment.as_ref().map(|e| e.stage.clone())
}

#[test]
fn m_enrols_by_email_shows_where_the_code_went_and_ends_with_the_backup_codes() {
    let mut app = enrolling_by_email();
    let text = screen(&app, 80, 24);
    assert!(
        text.contains(&format!("We emailed a 6-digit code to {SENT_TO}")),
        "{text}"
    );
    type_text(&mut app, "12");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(requests(&cmds).is_empty(), "two digits are not a code");
    type_text(&mut app, "3456");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: EmailCodeConfirm = only_body::<ConfirmEmail, _>(&cmds);
    assert_eq!(body.code, Secret::new("123456"));
    let wrong = ApiError::new(ErrorCode::InvalidCredentials, "invalid code");
    app.update(answer::<ConfirmEmail>(&app, Err(wrong)));
    assert!(screen(&app, 80, 24).contains("That code is not valid"));
    type_text(&mut app, "123456");
    send(&mut app, [key(KeyCode::Enter)]);
    app.update(answer::<ConfirmEmail>(&app, Ok(backup_codes())));
    let Some(EnrolmentStage::Codes(codes)) = security_stage(&app) else {
        panic!("{:?}", security_stage(&app))
    };
    assert_eq!(codes.len(), 10);
    let cmds = send(&mut app, [key(KeyCode::Esc), ch('y')]);
    assert_eq!(security_stage(&app), None);
    assert!(sends::<GetMe>(&cmds), "the enrolled methods are read again");
}

#[test]
fn ctrl_r_sends_another_code_and_a_429_shows_in_place() {
    let mut app = enrolling_by_email();
    let cmds = send(&mut app, [ctrl('r')]);
    assert_eq!(endpoints_of(&cmds), ["auth::StartEmail"]);
    app.update(answer::<StartEmail>(&app, Err(too_soon())));
    let text = screen(&app, 80, 24);
    assert!(text.contains("a minute ago: ask again in 42"), "{text}");
    assert!(matches!(security_stage(&app), Some(EnrolmentStage::Email { .. })));
    send(&mut app, [ctrl('r')]);
    app.update(answer::<StartEmail>(&app, Ok(sent())));
    assert!(app.toasts.iter().any(|t| t.text.contains("Sent a new code")));
}

#[test]
fn only_the_offered_methods_are_offered_and_the_enrolled_ones_are_shown() {
    let mut app = security_app();
    let mut only_app = me();
    only_app.two_step.available = vec![TwoStepMethod::Totp];
    only_app.two_step.enrolled = vec![TwoStepMethod::Totp];
    app.update(answer::<GetMe>(&app, Ok(only_app)));
    send(&mut app, [ch(']'), ch(']'), ch(']')]);
    let text = screen(&app, 120, 40);
    assert!(text.contains("Your account: two-step by authenticator app."), "{text}");
    assert!(text.contains("E enrols you with an authenticator app"), "{text}");
    assert!(!text.contains("M enrols"), "{text}");
    assert!(!text.contains("enrol me (email)"), "{text}");
    let cmds = send(&mut app, [ch('M')]);
    assert!(requests(&cmds).is_empty());
    assert!(app.toasts.last().unwrap().text.contains("by authenticator app only"));

    let text = screen(&security_app_on_two_step(), 120, 40);
    assert!(text.contains("Your account: not enrolled"), "{text}");
    assert!(text.contains("M enrols you with email"), "{text}");
}

fn security_app_on_two_step() -> App {
    let mut app = security_app();
    send(&mut app, [ch(']'), ch(']'), ch(']')]);
    app
}

#[test]
fn enrolling_another_method_asks_for_fresh_proof_first_then_goes_on() {
    let mut app = security_app();
    send(&mut app, [ch(']'), ch(']'), ch(']')]);
    send(&mut app, [ch('M')]);
    let refusal = ApiError::new(ErrorCode::ReauthRequired, "confirm it is you first");
    app.update(answer::<StartEmail>(&app, Err(refusal)));
    assert!(matches!(security_stage(&app), Some(EnrolmentStage::Reauth { .. })));
    let text = screen(&app, 80, 24);
    assert!(text.contains("Before adding email codes, confirm it"), "{text}");
    assert!(text.contains("Password"), "{text}");
    // Enter on an empty password says so; nothing is sent.
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(requests(&cmds).is_empty());
    assert!(screen(&app, 80, 24).contains("Enter your password"));
    type_text(&mut app, "secret words here");
    let text = screen(&app, 80, 24);
    assert!(!text.contains("secret words here"), "the password is masked: {text}");
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, "123456");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: ReauthRequest = only_body::<Reauth, _>(&cmds);
    assert_eq!(
        (body.password, body.code),
        (Secret::new("secret words here"), Some(Secret::new("123456")))
    );
    // A wrong code: the code is asked again, the password kept.
    let mut wrong = ApiError::new(ErrorCode::ValidationFailed, "invalid fields");
    wrong.fields = vec![orgdeck_shared::FieldError::new(
        "code",
        "is not a current code of yours",
    )];
    app.update(answer::<Reauth>(&app, Err(wrong)));
    assert!(screen(&app, 80, 24).contains("is not a current code of yours"));
    type_text(&mut app, "654321");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: ReauthRequest = only_body::<Reauth, _>(&cmds);
    assert_eq!(
        (body.password, body.code),
        (Secret::new("secret words here"), Some(Secret::new("654321")))
    );
    // Accepted: the enrolment starts again, by email.
    let granted = orgdeck_shared::auth::ReauthGranted {
        fresh_until: "2026-11-28T21:10:00Z".parse().unwrap(),
    };
    let cmds = app.update(answer::<Reauth>(&app, Ok(granted)));
    assert_eq!(endpoints_of(&cmds), ["auth::StartEmail"]);
    app.update(answer::<StartEmail>(&app, Ok(sent())));
    assert!(matches!(security_stage(&app), Some(EnrolmentStage::Email { .. })));
}

/// Security › Two-step for a user who verifies by email and adds an authenticator app: the server asks
/// for fresh proof.
fn reauth_for(enrolled: Vec<TwoStepMethod>) -> App {
    let mut app = security_app();
    let mut user = me();
    user.two_step.available = vec![TwoStepMethod::Totp, TwoStepMethod::Email];
    user.two_step.enrolled = enrolled;
    app.update(answer::<GetMe>(&app, Ok(user)));
    send(&mut app, [ch(']'), ch(']'), ch(']')]);
    let cmds = send(&mut app, [ch('E')]);
    assert_eq!(endpoints_of(&cmds), ["auth::StartTotp"]);
    let refusal = ApiError::new(ErrorCode::ReauthRequired, "confirm it is you first");
    app.update(answer::<StartTotp>(&app, Err(refusal)));
    assert!(matches!(security_stage(&app), Some(EnrolmentStage::Reauth { .. })));
    app
}

#[test]
fn an_email_user_gives_fresh_proof_with_an_emailed_code() {
    let mut app = reauth_for(vec![TwoStepMethod::Email]);
    let text = screen(&app, 80, 24);
    assert!(text.contains("a code we email you"), "{text}");
    assert!(text.contains("email me a code"), "the footer offers it: {text}");
    type_text(&mut app, "my password");
    let cmds = send(&mut app, [ctrl('r')]);
    assert_eq!(endpoints_of(&cmds), ["auth::ReauthEmail"]);
    assert!(screen(&app, 80, 24).contains("Emailing a code"));
    let cmds = send(&mut app, [ctrl('r')]);
    assert!(requests(&cmds).is_empty(), "one request at a time");
    app.update(answer::<ReauthEmail>(&app, Err(too_soon())));
    assert!(screen(&app, 80, 24).contains("ask again in 42"));
    send(&mut app, [ctrl('r')]);
    app.update(answer::<ReauthEmail>(&app, Ok(sent())));
    let text = screen(&app, 80, 24);
    assert!(text.contains(&format!("A code was emailed to {SENT_TO}")), "{text}");
    // The password was typed: the code is next, and both go together.
    type_text(&mut app, "123456");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body: ReauthRequest = call_of::<Reauth>(&cmds).body_as().unwrap();
    assert_eq!(
        (body.password, body.code),
        (Secret::new("my password"), Some(Secret::new("123456")))
    );
}

#[test]
fn an_authenticator_user_is_not_offered_an_emailed_code() {
    let mut app = reauth_for(vec![TwoStepMethod::Totp]);
    let text = screen(&app, 80, 24);
    assert!(!text.contains("email me a code"), "{text}");
    assert!(text.contains("a code from your authenticator app or"), "{text}");
    let cmds = send(&mut app, [ctrl('r')]);
    assert!(requests(&cmds).is_empty());
}
