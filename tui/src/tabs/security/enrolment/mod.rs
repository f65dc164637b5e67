//! Enrolling the logged-in user in two-step verification. With an authenticator app: ask the server for a
//! secret, show it as a QR code and as a key to type, confirm with a current code. By email: ask the
//! server to mail a code to the user's own address, confirm with it (or ask for another). Either way the
//! ten backup codes are shown once at the end. Drawn over the whole screen, so the QR code has room in an
//! 80x24 terminal.
//!
//! The same screen serves Security › Two-step (`E`, `M`) and the enrolment an organization requires
//! before anything else (`required`: it opens by itself, offers the methods to choose from, and leaving
//! a method goes back to that choice instead of closing).

mod view;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::{
        BackupCodes, EmailCodeConfirm, EmailCodeSent, ReauthGranted, ReauthRequest, Secret, TotpConfirm,
        TotpEnrollment,
        endpoints::{ConfirmEmail, ConfirmTotp, Reauth, ReauthEmail, StartEmail, StartTotp},
    },
    security::TwoStepMethod,
};

pub use view::key_lines;

use crate::{
    api::{Call, OwnerMsg},
    keymap::Action,
    tabs::{Effects, TabCtx},
    widgets::{Dialog, ToastLevel, qr::QrArt},
};

/// The answers of the enrolment's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrolmentMsg {
    TotpStarted(Result<TotpEnrollment, ApiError>),
    /// A code was emailed to enrol with (`resend`: again, from the code screen).
    EmailStarted(Result<EmailCodeSent, ApiError>),
    ReauthEmailed(Result<EmailCodeSent, ApiError>),
    Reauthed(Result<ReauthGranted, ApiError>),
    /// Enrolment is complete (`by_email` says which method): the backup codes, shown once.
    Enrolled {
        by_email: bool,
        result: Result<BackupCodes, ApiError>,
    },
}

/// Calls that hand out or take a secret or a code are never sent again behind the user's back.
fn once(call: Call) -> Call {
    call.retryable(false)
}

fn start_call(method: TwoStepMethod) -> Call {
    match method {
        TwoStepMethod::Totp => {
            once(Call::new::<StartTotp, _>((), &(), EnrolmentMsg::TotpStarted).label("starting two-step enrolment"))
        }
        TwoStepMethod::Email => {
            once(Call::new::<StartEmail, _>((), &(), EnrolmentMsg::EmailStarted).label("emailing a code"))
        }
    }
}

/// Digits in a code.
pub const CODE_LEN: usize = 6;

/// A 6-digit code being typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeEntry {
    pub code: String,
    pub error: Option<String>,
    /// The code was sent; waiting for the answer.
    pub checking: bool,
}

impl CodeEntry {
    /// Takes a key: digits go in, backspace takes one out, anything else is refused inline. Enter with a
    /// whole code answers it (and marks it checking); `missing` is what Enter says to a partial one.
    fn type_key(&mut self, key: &KeyEvent, missing: &str) -> Option<Secret> {
        if self.checking {
            // One code at a time.
            return None;
        }
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char(c) if c.is_ascii_digit() && plain => {
                if self.code.len() < CODE_LEN {
                    self.code.push(c);
                    self.error = None;
                } else {
                    self.error = Some(format!("The code has {CODE_LEN} digits"));
                }
            }
            KeyCode::Backspace => {
                self.code.pop();
                self.error = None;
            }
            KeyCode::Enter if self.code.len() == CODE_LEN => {
                self.checking = true;
                self.error = None;
                return Some(Secret::new(self.code.clone()));
            }
            KeyCode::Enter => self.error = Some(missing.to_owned()),
            KeyCode::Char(c) if plain && c != ' ' => {
                self.error = Some(format!("Digits only: “{c}” is not part of a code"));
            }
            _ => {}
        }
        None
    }

    /// The server answered the code: refused, so it is typed again.
    fn refused(&mut self, why: String) {
        self.checking = false;
        self.code.clear();
        self.error = Some(why);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Which method to enrol in (enrolment is required and the user has not picked one yet).
    Choose { cursor: usize },
    /// Waiting for the server: a secret (authenticator app), or word that the code was emailed.
    Requesting(TwoStepMethod),
    /// The QR code and key are shown; the user types a code.
    Scan {
        enrollment: TotpEnrollment,
        /// `None` when the URI cannot be drawn as a QR code (too long).
        qr: Option<QrArt>,
        entry: CodeEntry,
    },
    /// A code was emailed to `sent_to` (masked); the user types it.
    Email {
        sent_to: String,
        entry: CodeEntry,
        /// Another code was asked for; waiting for the answer.
        resending: bool,
    },
    /// The server asks for fresh proof before the second factor changes (the user already has one):
    /// the password and a current code, then `method`'s enrolment starts.
    Reauth { method: TwoStepMethod, proof: ProofEntry },
    /// Done: the backup codes, shown this once.
    Codes(Vec<Secret>),
}

/// The password (masked) and a code (authenticator or backup code) typed as fresh proof.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProofEntry {
    pub password: String,
    pub code: String,
    /// Typing goes to the code, else to the password.
    pub on_code: bool,
    pub error: Option<String>,
    /// Sent; waiting for the answer.
    pub checking: bool,
    /// A code was asked for by email; waiting for the answer.
    pub emailing: bool,
    /// Where the last emailed code went (masked).
    pub emailed_to: Option<String>,
}

/// The longest backup code typed by hand with its dash, with room for spaces.
const PROOF_CODE_MAX: usize = 16;

impl ProofEntry {
    /// Takes a key; answers the proof to send when Enter completes it.
    fn type_key(&mut self, key: &KeyEvent) -> Option<(Secret, Option<Secret>)> {
        if self.checking {
            return None;
        }
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => self.on_code = !self.on_code,
            KeyCode::Backspace => {
                if self.on_code {
                    self.code.pop();
                } else {
                    self.password.pop();
                }
            }
            KeyCode::Enter if !self.on_code && self.password.is_empty() => {
                self.error = Some("Enter your password".into());
            }
            KeyCode::Enter if !self.on_code => self.on_code = true,
            KeyCode::Enter if self.password.is_empty() => {
                self.on_code = false;
                self.error = Some("Enter your password".into());
            }
            KeyCode::Enter => {
                self.checking = true;
                self.error = None;
                let code = self.code.trim();
                let code = (!code.is_empty()).then(|| Secret::new(code.to_owned()));
                return Some((Secret::new(self.password.clone()), code));
            }
            KeyCode::Char(c) if plain && self.on_code && self.code.chars().count() < PROOF_CODE_MAX => {
                self.code.push(c);
            }
            KeyCode::Char(_) if self.on_code => {}
            KeyCode::Char(c) if plain => self.password.push(c),
            _ => {}
        }
        None
    }

    /// The server refused the proof: the field it names is emptied and focused, with its reason.
    fn refused(&mut self, e: &ApiError) {
        self.checking = false;
        let field = e.fields.first();
        match field.map(|f| f.field.as_str()) {
            Some("password") => {
                self.password.clear();
                self.on_code = false;
                self.error = Some("That is not your password.".into());
            }
            Some("code") => {
                self.code.clear();
                self.on_code = true;
                self.error = Some(format!(
                    "Code: {}",
                    field.map(|f| f.message.as_str()).unwrap_or("not valid")
                ));
            }
            _ => self.error = Some(e.message.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub stage: Stage,
    /// The methods the organization offers (the choice, when required).
    pub methods: Vec<TwoStepMethod>,
    /// The organization requires it before anything else: leaving a method goes back to the choice.
    pub required: bool,
    /// The methods the user already has (fresh proof can then be an emailed code when email is one).
    pub enrolled: Vec<TwoStepMethod>,
}

/// What a key or a reply did to the enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Close,
}

/// How a method reads in a sentence: "authenticator app".
pub fn method_label(method: TwoStepMethod) -> &'static str {
    match method {
        TwoStepMethod::Totp => "authenticator app",
        TwoStepMethod::Email => "email",
    }
}

/// How methods read in a list: "authenticator app, email".
pub fn methods_text(methods: &[TwoStepMethod]) -> String {
    methods.iter().map(|m| method_label(*m)).collect::<Vec<_>>().join(", ")
}

impl Enrolment {
    /// Starts enrolling in `method` (Security › Two-step): asks the server for what it needs.
    /// Starts enrolling in `method` when the organization offers it; otherwise says why in a toast
    /// (`off`: what to say when two-step is off altogether).
    pub fn offer(
        method: TwoStepMethod,
        two_step: &orgdeck_shared::auth::MeTwoStep,
        off: &str,
        fx: &mut Effects,
    ) -> Option<Enrolment> {
        let offered = &two_step.available;
        if offered.contains(&method) {
            return Some(Enrolment::start(method, &two_step.enrolled, fx));
        }
        if offered.is_empty() {
            fx.toast(ToastLevel::Warning, off.to_owned());
        } else {
            fx.toast(
                ToastLevel::Warning,
                format!("Your organization offers two-step by {} only", methods_text(offered)),
            );
        }
        None
    }

    pub fn start(method: TwoStepMethod, enrolled: &[TwoStepMethod], fx: &mut Effects) -> Enrolment {
        Enrolment {
            stage: Enrolment::request(method, fx),
            methods: vec![method],
            required: false,
            enrolled: enrolled.to_vec(),
        }
    }

    /// The enrolment an organization requires: the choice of `methods`, or the only one started.
    pub fn required(methods: &[TwoStepMethod], enrolled: &[TwoStepMethod], fx: &mut Effects) -> Enrolment {
        let stage = match methods {
            [only] => Enrolment::request(*only, fx),
            _ => Stage::Choose { cursor: 0 },
        };
        Enrolment {
            stage,
            methods: methods.to_vec(),
            required: true,
            enrolled: enrolled.to_vec(),
        }
    }

    fn request(method: TwoStepMethod, fx: &mut Effects) -> Stage {
        fx.call(start_call(method));
        Stage::Requesting(method)
    }

    /// Leaves the current method: back to the choice when enrolment is required, else closed.
    fn leave(&mut self) -> Outcome {
        if self.required {
            self.stage = Stage::Choose { cursor: 0 };
            Outcome::Stay
        } else {
            Outcome::Close
        }
    }

    /// Whether the backup codes are on screen (the enrolment itself is complete).
    pub fn done(&self) -> bool {
        matches!(self.stage, Stage::Codes(_))
    }

    /// A key while the enrolment is open (it takes every key).
    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) -> Outcome {
        let is_digit = matches!(key.code, KeyCode::Char(c) if c.is_ascii_digit());
        let cancel = ctx.keymap.is(key, Action::Cancel);
        let copy = !is_digit && ctx.keymap.is(key, Action::Copy);
        match &mut self.stage {
            Stage::Choose { cursor } => {
                let candidates = [
                    Action::Up,
                    Action::Down,
                    Action::Activate,
                    crate::tabs::security::ENROL_TOTP,
                    crate::tabs::security::ENROL_EMAIL,
                ];
                let picked = match ctx.keymap.action_among(key, &candidates) {
                    Some(Action::Up) => {
                        *cursor = cursor.saturating_sub(1);
                        None
                    }
                    Some(Action::Down) => {
                        *cursor = (*cursor + 1).min(self.methods.len().saturating_sub(1));
                        None
                    }
                    Some(Action::Activate) => self.methods.get(*cursor).copied(),
                    Some(crate::tabs::security::ENROL_TOTP) => Some(TwoStepMethod::Totp),
                    Some(crate::tabs::security::ENROL_EMAIL) => Some(TwoStepMethod::Email),
                    _ => None,
                };
                if let Some(method) = picked.filter(|m| self.methods.contains(m)) {
                    self.stage = Enrolment::request(method, fx);
                } else if cancel && !self.required {
                    return Outcome::Close;
                }
            }
            Stage::Requesting(_) => {
                if cancel {
                    return self.leave();
                }
            }
            Stage::Scan { enrollment, entry, .. } => {
                if cancel {
                    fx.confirm = Some(Dialog::confirm(
                        crate::tabs::security::ENROL_TOTP,
                        "Cancel enrolment?",
                        "Two-step stays off for your account. An authenticator entry you already added will \
                         not work: enrolling again shows a new key.",
                        "cancel enrolment",
                        "keep enrolling",
                    ));
                } else if copy {
                    fx.copy = Some(enrollment.secret.clone());
                    fx.toast(ToastLevel::Info, "Key copied to the clipboard");
                } else if let Some(code) = entry.type_key(key, "Enter the 6-digit code your authenticator app shows") {
                    let call =
                        Call::new::<ConfirmTotp, _>((), &TotpConfirm { code }, |result| EnrolmentMsg::Enrolled {
                            by_email: false,
                            result,
                        });
                    fx.call(once(call.label("checking the two-step code")));
                }
            }
            Stage::Email { entry, resending, .. } => {
                if cancel {
                    // Nothing secret is on screen: a later enrolment mails a new code.
                    return self.leave();
                } else if ctx.keymap.is(key, Action::SendCode) {
                    if !*resending {
                        *resending = true;
                        fx.call(start_call(TwoStepMethod::Email));
                    }
                } else if let Some(code) = entry.type_key(key, "Enter the 6-digit code from the email") {
                    let call = Call::new::<ConfirmEmail, _>((), &EmailCodeConfirm { code }, |result| {
                        EnrolmentMsg::Enrolled { by_email: true, result }
                    });
                    fx.call(once(call.label("checking the two-step code")));
                }
            }
            Stage::Reauth { proof, .. } => {
                if cancel {
                    // Nothing secret stays on screen: what was typed goes with the stage.
                    return self.leave();
                }
                if ctx.keymap.is(key, Action::SendCode) {
                    if self.enrolled.contains(&TwoStepMethod::Email) && !proof.emailing && !proof.checking {
                        proof.emailing = true;
                        proof.error = None;
                        let call = Call::new::<ReauthEmail, _>((), &(), EnrolmentMsg::ReauthEmailed);
                        fx.call(once(call.label("emailing a code")));
                    }
                } else if let Some((password, code)) = proof.type_key(key) {
                    let call = Call::new::<Reauth, _>((), &ReauthRequest { password, code }, EnrolmentMsg::Reauthed);
                    fx.call(once(call.label("confirming it is you")));
                }
            }
            Stage::Codes(codes) => {
                if copy {
                    let all: Vec<&str> = codes.iter().map(Secret::expose).collect();
                    fx.copy = Some(Secret::new(all.join("\n")));
                    fx.toast(ToastLevel::Info, "Backup codes copied to the clipboard");
                } else if cancel || key.code == KeyCode::Enter {
                    fx.confirm = Some(Dialog::confirm(
                        crate::tabs::security::ENROL_TOTP,
                        "Close?",
                        "The backup codes will not be shown again. Have you stored them?",
                        "close",
                        "keep showing",
                    ));
                }
            }
        }
        Outcome::Stay
    }

    /// The user said yes to the enrolment's question (cancel it, or close the backup codes).
    pub fn confirmed(&mut self) -> Outcome {
        if self.done() { Outcome::Close } else { self.leave() }
    }

    /// The answer to one of the enrolment's calls (a message of another type is not for it: `Stay`);
    /// `Close` when the enrolment cannot go on.
    pub fn answer(&mut self, msg: OwnerMsg, fx: &mut Effects) -> Outcome {
        match crate::tabs::own::<EnrolmentMsg>(msg) {
            Some(msg) => self.on_answer(msg, fx),
            None => Outcome::Stay,
        }
    }

    fn on_answer(&mut self, msg: EnrolmentMsg, fx: &mut Effects) -> Outcome {
        match (&msg, &mut self.stage) {
            (EnrolmentMsg::TotpStarted(Err(e)), Stage::Requesting(method))
            | (EnrolmentMsg::EmailStarted(Err(e)), Stage::Requesting(method))
                if e.code == ErrorCode::ReauthRequired =>
            {
                self.stage = Stage::Reauth {
                    method: *method,
                    proof: ProofEntry::default(),
                };
            }
            (EnrolmentMsg::ReauthEmailed(result), Stage::Reauth { proof, .. }) => {
                proof.emailing = false;
                match result {
                    Ok(sent) => {
                        proof.emailed_to = Some(sent.sent_to.clone());
                        proof.on_code = !proof.password.is_empty();
                    }
                    Err(e) => proof.error = Some(e.message.clone()),
                }
            }
            (EnrolmentMsg::Reauthed(result), Stage::Reauth { method, proof }) => match result {
                Ok(_) => {
                    let method = *method;
                    self.stage = Enrolment::request(method, fx);
                }
                Err(e) => proof.refused(e),
            },
            (EnrolmentMsg::TotpStarted(result), Stage::Requesting(TwoStepMethod::Totp)) => match result {
                Ok(enrollment) => {
                    let qr = QrArt::new(enrollment.otpauth_uri.expose().as_bytes()).ok();
                    self.stage = Stage::Scan {
                        enrollment: enrollment.clone(),
                        qr,
                        entry: CodeEntry::default(),
                    };
                }
                Err(e) => {
                    fx.toast(ToastLevel::Error, enrol_error(e));
                    return self.leave();
                }
            },
            (EnrolmentMsg::EmailStarted(result), Stage::Requesting(TwoStepMethod::Email)) => match result {
                Ok(sent) => {
                    self.stage = Stage::Email {
                        sent_to: sent.sent_to.clone(),
                        entry: CodeEntry::default(),
                        resending: false,
                    };
                }
                Err(e) => {
                    fx.toast(ToastLevel::Error, enrol_error(e));
                    return self.leave();
                }
            },
            (
                EnrolmentMsg::EmailStarted(result),
                Stage::Email {
                    sent_to,
                    entry,
                    resending,
                },
            ) => {
                *resending = false;
                match result {
                    Ok(sent) => {
                        *sent_to = sent.sent_to.clone();
                        entry.error = None;
                        fx.toast(ToastLevel::Info, format!("Sent a new code to {}", sent.sent_to));
                    }
                    Err(e) => entry.error = Some(send_error(e)),
                }
            }
            (
                EnrolmentMsg::Enrolled {
                    by_email: false,
                    result,
                },
                Stage::Scan { entry, .. },
            )
            | (EnrolmentMsg::Enrolled { by_email: true, result }, Stage::Email { entry, .. }) => match result {
                Ok(BackupCodes { backup_codes }) => {
                    self.stage = Stage::Codes(backup_codes.clone());
                    fx.toast(ToastLevel::Info, "Two-step verification is on for your account");
                }
                Err(e) => {
                    let by_email = matches!(msg, EnrolmentMsg::Enrolled { by_email: true, .. });
                    entry.refused(confirm_error(e, by_email));
                }
            },
            _ => {}
        }
        Outcome::Stay
    }

    /// Whether closing now loses something (a shown secret or the backup codes): ask first.
    pub fn asks_before_closing(&self) -> bool {
        matches!(self.stage, Stage::Scan { .. } | Stage::Codes(_))
    }

    /// What quitting or logging out now would lose, when it loses something.
    pub fn unfinished(&self) -> Option<&'static str> {
        match self.stage {
            Stage::Scan { .. } => Some("Your two-step enrolment is not finished."),
            Stage::Codes(_) => Some("Your backup codes will not be shown again."),
            _ => None,
        }
    }

    /// The keys of the current stage, for the footer and the screen itself.
    pub fn hints(&self) -> Vec<(Action, &'static str)> {
        let mut hints = match &self.stage {
            Stage::Choose { .. } => vec![(Action::Activate, "choose"), (Action::Down, "move")],
            Stage::Requesting(_) => vec![(Action::Cancel, "cancel")],
            Stage::Scan { .. } => vec![
                (Action::Copy, "copy the key"),
                (Action::Activate, "confirm"),
                (Action::Cancel, "cancel"),
            ],
            Stage::Email { .. } => vec![
                (Action::Activate, "confirm"),
                (Action::SendCode, "email another code"),
                (Action::Cancel, "cancel"),
            ],
            Stage::Reauth { .. } if self.enrolled.contains(&TwoStepMethod::Email) => vec![
                (Action::Activate, "next / confirm"),
                (Action::SendCode, "email me a code"),
                (Action::Cancel, "cancel"),
            ],
            Stage::Reauth { .. } => vec![(Action::Activate, "next / confirm"), (Action::Cancel, "cancel")],
            Stage::Codes(_) => vec![(Action::Copy, "copy codes"), (Action::Cancel, "close")],
        };
        if self.required && !self.done() {
            hints.extend([(Action::Logout, "log out"), (Action::Quit, "quit")]);
        }
        hints
    }
}

fn enrol_error(e: &ApiError) -> String {
    match e.code {
        ErrorCode::ReauthRequired => {
            "Changing your second factor needs fresh proof that it is you: your password and a current code.".to_owned()
        }
        ErrorCode::Forbidden => format!(
            "Two-step verification is not enabled for this organization: an admin turns it on in \
             Security › Two-step ({})",
            e.message
        ),
        _ => format!("Cannot start two-step enrolment: {}", e.message),
    }
}

/// Another code was asked for and refused: 429 says when to ask again, in its own words.
fn send_error(e: &ApiError) -> String {
    match e.code {
        ErrorCode::TooManyRequests => e.message.clone(),
        _ => format!("Could not send another code: {}", e.message),
    }
}

fn confirm_error(e: &ApiError, by_email: bool) -> String {
    match e.code {
        ErrorCode::ValidationFailed | ErrorCode::BadRequest | ErrorCode::InvalidCredentials if by_email => {
            "That code is not valid. Enter the code from the latest email (it works for 10 minutes).".to_owned()
        }
        ErrorCode::ValidationFailed | ErrorCode::BadRequest | ErrorCode::InvalidCredentials => {
            "That code is not valid. Check the phone's clock and enter the code the app shows now.".to_owned()
        }
        ErrorCode::Forbidden => {
            format!(
                "Two-step verification is not enabled for this organization ({})",
                e.message
            )
        }
        _ => format!("Cannot confirm: {}", e.message),
    }
}
