//! The login dialog: email and password (masked), then a second step when the server asks for one (a
//! code from the authenticator app or an email, or a backup code). Full screen at start and after
//! logging out; over the current screen when a session expires, so nothing typed is lost.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::{
        EmailCodeSent, LoginRequest, MfaEmailRequest, MfaMethod, MfaRequest, Secret,
        endpoints::{Login, Mfa, MfaEmail},
    },
};
use ratatui::{
    Frame,
    layout::{Position, Rect},
    style::Style,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};
use tui_input::{Input, backend::crossterm::to_input_request};

use super::AppAnswer;
use crate::{
    api::Call,
    keymap::{Action, Keymap},
    theme::Theme,
    widgets::{dialog::centered, status::SPINNER, wrap},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Password,
    /// The server wants a second factor for this challenge.
    Code {
        challenge: Secret,
        /// What the user can answer with.
        methods: Vec<MfaMethod>,
        /// Where the last email code went (masked), once one was sent.
        sent_to: Option<String>,
        /// An email code was asked for; waiting for the answer.
        sending: bool,
    },
}

#[derive(Debug, Clone)]
pub struct LoginDialog {
    pub email: Input,
    pub password: Input,
    pub code: Input,
    pub stage: Stage,
    /// 0: email, 1: password.
    pub focus: usize,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub busy: bool,
    /// Drawn over the console (a session expired) rather than as the start screen.
    pub overlay: bool,
}

/// What a key did in the dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum LoginEvent {
    None,
    Submit(Call),
    Dismiss,
}

impl LoginDialog {
    pub fn new(email: &str, overlay: bool) -> LoginDialog {
        LoginDialog {
            email: Input::new(email.to_owned()),
            password: Input::default(),
            code: Input::default(),
            stage: Stage::Password,
            focus: if email.is_empty() { 0 } else { 1 },
            error: None,
            notice: None,
            busy: false,
            overlay,
        }
    }

    pub fn handle_key(&mut self, key: &KeyEvent, keymap: &Keymap) -> LoginEvent {
        if self.busy {
            return LoginEvent::None;
        }
        if let Stage::Code {
            challenge,
            methods,
            sending,
            ..
        } = &mut self.stage
            && keymap.is(key, Action::SendCode)
        {
            if !methods.contains(&MfaMethod::Email) || *sending {
                return LoginEvent::None;
            }
            *sending = true;
            self.error = None;
            let body = MfaEmailRequest {
                challenge: challenge.clone(),
            };
            return LoginEvent::Submit(
                Call::new::<MfaEmail, _>((), &body, AppAnswer::MfaEmail)
                    .label("emailing a code")
                    .retryable(false),
            );
        }
        match key.code {
            KeyCode::Esc if matches!(self.stage, Stage::Code { .. }) => {
                self.stage = Stage::Password;
                self.code = Input::default();
                self.password = Input::default();
                self.error = None;
                return LoginEvent::None;
            }
            KeyCode::Esc if self.overlay => return LoginEvent::Dismiss,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down if self.stage == Stage::Password => {
                self.focus = 1 - self.focus;
                return LoginEvent::None;
            }
            KeyCode::Enter => return self.submit(),
            _ => {}
        }
        if key.modifiers.contains(KeyModifiers::CONTROL)
            && !matches!(key.code, KeyCode::Char('u' | 'w' | 'a' | 'e' | 'k'))
        {
            return LoginEvent::None;
        }
        let input = match (&self.stage, self.focus) {
            (Stage::Code { .. }, _) => &mut self.code,
            (_, 0) => &mut self.email,
            _ => &mut self.password,
        };
        if let Some(req) = to_input_request(&Event::Key(*key)) {
            input.handle(req);
            self.error = None;
        }
        LoginEvent::None
    }

    fn submit(&mut self) -> LoginEvent {
        match &self.stage {
            Stage::Password if self.focus == 0 => {
                self.focus = 1;
                LoginEvent::None
            }
            Stage::Password => {
                let email = self.email.value().trim().to_owned();
                if email.is_empty() || self.password.value().is_empty() {
                    self.error = Some("Enter your email and password.".into());
                    self.focus = if email.is_empty() { 0 } else { 1 };
                    return LoginEvent::None;
                }
                self.busy = true;
                self.error = None;
                let body = LoginRequest {
                    email,
                    password: Secret::new(self.password.value()),
                };
                LoginEvent::Submit(
                    Call::new::<Login, _>((), &body, AppAnswer::Login)
                        .label("logging in")
                        .retryable(false),
                )
            }
            Stage::Code { challenge, .. } => {
                let code = self.code.value().trim().to_owned();
                if code.is_empty() {
                    self.error = Some("Enter a code first.".into());
                    return LoginEvent::None;
                }
                self.busy = true;
                self.error = None;
                let body = MfaRequest {
                    challenge: challenge.clone(),
                    code: Secret::new(code),
                };
                LoginEvent::Submit(
                    Call::new::<Mfa, _>((), &body, AppAnswer::Login)
                        .label("logging in")
                        .retryable(false),
                )
            }
        }
    }

    /// The server refused: say why in place, and clear what must be typed again.
    pub fn failed(&mut self, e: &ApiError) {
        self.busy = false;
        let second_step = matches!(self.stage, Stage::Code { .. });
        self.error = Some(match e.code {
            ErrorCode::InvalidCredentials if second_step => {
                self.code = Input::default();
                "That code was not accepted: try again, or esc to start over.".to_owned()
            }
            ErrorCode::InvalidCredentials | ErrorCode::Unauthorized => {
                self.password = Input::default();
                self.code = Input::default();
                "Wrong email or password.".to_owned()
            }
            ErrorCode::TooManyRequests => format!("Too many attempts: {}", e.message),
            _ => e.message.clone(),
        });
    }

    /// The password was right and a second step is due: `methods` say what answers it, `sent_to`
    /// where the server already emailed a code.
    pub fn ask_code(&mut self, challenge: Secret, methods: Vec<MfaMethod>, sent_to: Option<String>) {
        self.busy = false;
        self.error = None;
        self.notice = None;
        self.code = Input::default();
        // The challenge stands for the password now: it is not kept.
        self.password = Input::default();
        self.stage = Stage::Code {
            challenge,
            methods,
            sent_to,
            sending: false,
        };
    }

    /// The answer to asking for an email code: where it went, or why not (in place: a 429 says when
    /// to ask again).
    pub fn email_sent(&mut self, result: &Result<EmailCodeSent, ApiError>) {
        let Stage::Code { sent_to, sending, .. } = &mut self.stage else {
            return;
        };
        *sending = false;
        match result {
            Ok(sent) => {
                *sent_to = Some(sent.sent_to.clone());
                self.error = None;
            }
            Err(e) if e.code == ErrorCode::TooManyRequests => self.error = Some(e.message.clone()),
            Err(e) => self.error = Some(format!("Could not email a code: {}", e.message)),
        }
    }

    /// What the second step asks for, in sentences, from the methods the server offers.
    pub fn instructions(&self, keymap: &Keymap) -> Vec<String> {
        let Stage::Code { methods, sent_to, .. } = &self.stage else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        if methods.contains(&MfaMethod::Totp) {
            lines.push("Enter the 6-digit code from your authenticator app.".to_owned());
        }
        if methods.contains(&MfaMethod::Email) {
            let key = keymap.keys(Action::SendCode).first().map(ToString::to_string);
            // Once one was sent, the keys below say how to get another.
            lines.push(match (sent_to, key) {
                (Some(to), _) => format!("We emailed a code to {to}."),
                (None, Some(key)) => format!("{key} emails you a code."),
                (None, None) => "A code by email works too.".to_owned(),
            });
        }
        if methods.contains(&MfaMethod::BackupCode) {
            lines.push("A backup code works too.".to_owned());
        }
        lines
    }

    /// The line above the keys: what is going on, what went wrong, or a notice.
    fn status(&self, spinner: usize, theme: &Theme) -> (String, Style) {
        let sending = matches!(self.stage, Stage::Code { sending: true, .. });
        if self.busy || sending {
            let doing = if self.busy {
                "Logging in…"
            } else {
                "Emailing a code…"
            };
            (
                format!("{} {doing}", SPINNER[spinner % SPINNER.len()]),
                Style::default(),
            )
        } else if let Some(e) = &self.error {
            (format!("! {e}"), theme.error)
        } else if let Some(n) = &self.notice {
            (n.clone(), theme.warning)
        } else if self.overlay {
            ("Your edits are kept.".to_owned(), theme.muted)
        } else {
            (String::new(), Style::default())
        }
    }

    /// The keys at the bottom of the dialog.
    fn key_hints(&self, keymap: &Keymap, theme: &Theme) -> Vec<Span<'static>> {
        let mut keys: Vec<(String, &str)> = Vec::new();
        match &self.stage {
            Stage::Password => {
                keys.push(("enter".into(), "next/log in"));
                keys.push(("tab".into(), "switch field"));
                if self.overlay {
                    keys.push(("esc".into(), "later"));
                }
            }
            Stage::Code { methods, .. } => {
                keys.push(("enter".into(), "log in"));
                if let Some(k) = keymap.keys(Action::SendCode).first()
                    && methods.contains(&MfaMethod::Email)
                {
                    keys.push((k.to_string(), "email a code"));
                }
                keys.push(("esc".into(), "back"));
            }
        }
        if !self.overlay {
            keys.push(("ctrl-c".into(), "quit"));
        }
        let mut spans = Vec::new();
        for (key, what) in keys {
            if !spans.is_empty() {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(key, theme.key));
            spans.push(Span::styled(format!(" {what}"), theme.muted));
        }
        spans
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap, server: &str, spinner: usize) {
        let width = area.width.saturating_sub(4).min(60);
        let instructions: Vec<String> = self
            .instructions(keymap)
            .iter()
            .flat_map(|l| wrap(l, width.saturating_sub(2) as usize))
            .collect();
        let (status, status_style) = self.status(spinner, theme);
        let status = wrap(&status, width.saturating_sub(2) as usize);
        let extra = if instructions.is_empty() {
            0
        } else {
            instructions.len() as u16 + 1
        };
        let height = (9 + extra + status.len().max(1) as u16).min(area.height);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let title = if self.overlay {
            " Session expired: log in again "
        } else {
            " Log in to orgdeck "
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(title, theme.title));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let mut lines = vec![
            Line::from(Span::styled(format!("Server {server}"), theme.muted)),
            Line::from(""),
        ];
        let field = |label: &str, value: String, focused: bool| {
            let marker = if focused { "> " } else { "  " };
            let style = if focused { theme.selected } else { theme.label };
            Line::from(vec![
                Span::styled(marker.to_owned(), theme.key),
                Span::styled(format!("{label:<9}"), style),
                Span::raw(" "),
                Span::styled(value, theme.editing),
            ])
        };
        let mut cursor = None;
        let value_x = inner.x + 12;
        let visible = inner.width.saturating_sub(13) as usize;
        let shown = |input: &Input, masked: bool| -> (String, u16) {
            let scroll = input.visual_scroll(visible);
            let text: String = if masked {
                "•".repeat(input.value().chars().count())
            } else {
                input.value().to_owned()
            };
            (
                text.chars().skip(scroll).collect(),
                input.visual_cursor().saturating_sub(scroll) as u16,
            )
        };
        match self.stage {
            Stage::Password => {
                let (email, ec) = shown(&self.email, false);
                let (password, pc) = shown(&self.password, true);
                lines.push(field("Email", email, self.focus == 0));
                lines.push(field("Password", password, self.focus == 1));
                cursor = Some((
                    value_x + if self.focus == 0 { ec } else { pc },
                    inner.y + 2 + self.focus as u16,
                ));
            }
            Stage::Code { .. } => {
                lines.push(field("Email", self.email.value().to_owned(), false));
                let (code, cc) = shown(&self.code, false);
                lines.push(field("Code", code, true));
                cursor = cursor.or(Some((value_x + cc, inner.y + 3)));
                lines.push(Line::from(""));
                lines.extend(instructions.into_iter().map(|l| Line::styled(l, theme.label)));
            }
        }
        lines.push(Line::from(""));
        if status.is_empty() {
            lines.push(Line::from(""));
        }
        lines.extend(status.into_iter().map(|l| Line::styled(l, status_style)));
        lines.push(Line::from(""));
        lines.push(Line::from(self.key_hints(keymap, theme)));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
        if let Some((x, y)) = cursor.filter(|_| !self.busy)
            && y < inner.bottom()
        {
            frame.set_cursor_position(Position::new(x.min(inner.right().saturating_sub(1)), y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_str(d: &mut LoginDialog, s: &str) {
        for c in s.chars() {
            d.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), &Keymap::default());
        }
    }

    #[test]
    fn enter_moves_to_the_password_then_submits() {
        let mut d = LoginDialog::new("", false);
        type_str(&mut d, "a@b.c");
        assert_eq!(
            d.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), &Keymap::default()),
            LoginEvent::None
        );
        type_str(&mut d, "pw");
        match d.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), &Keymap::default()) {
            LoginEvent::Submit(call) if call.is::<Login>() => {
                let body: LoginRequest = call.body_as().unwrap();
                assert_eq!(body.email, "a@b.c");
                assert_eq!(body.password.expose(), "pw");
            }
            other => panic!("{other:?}"),
        }
        assert!(d.busy);
    }

    #[test]
    fn an_empty_password_is_refused_in_place() {
        let mut d = LoginDialog::new("a@b.c", false);
        assert_eq!(
            d.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), &Keymap::default()),
            LoginEvent::None
        );
        assert!(d.error.is_some());
    }
}
