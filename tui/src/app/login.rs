//! The login dialog: email and password (masked), then a one-time code when the server asks for one.
//! Full screen at start; over the current screen when a session expires, so nothing typed is lost.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{ApiError, ErrorCode, auth::Secret};
use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};
use tui_input::{Input, backend::crossterm::to_input_request};

use crate::{
    api::Request,
    theme::Theme,
    widgets::{dialog::centered, status::SPINNER},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Password,
    /// The server wants a second factor for this challenge.
    Code {
        challenge: Secret,
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
    Submit(Request),
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

    pub fn handle_key(&mut self, key: &KeyEvent) -> LoginEvent {
        if self.busy {
            return LoginEvent::None;
        }
        match key.code {
            KeyCode::Esc if self.overlay => return LoginEvent::Dismiss,
            KeyCode::Esc if matches!(self.stage, Stage::Code { .. }) => {
                self.stage = Stage::Password;
                self.code = Input::default();
                return LoginEvent::None;
            }
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
                LoginEvent::Submit(Request::Login {
                    email,
                    password: Secret::new(self.password.value()),
                })
            }
            Stage::Code { challenge } => {
                let code = self.code.value().trim().to_owned();
                if code.is_empty() {
                    self.error = Some("Enter the code from your authenticator app.".into());
                    return LoginEvent::None;
                }
                self.busy = true;
                self.error = None;
                LoginEvent::Submit(Request::Mfa {
                    challenge: challenge.clone(),
                    code: Secret::new(code),
                })
            }
        }
    }

    /// The server refused: say why in place, and clear what must be typed again.
    pub fn failed(&mut self, e: &ApiError) {
        self.busy = false;
        self.error = Some(match e.code {
            ErrorCode::InvalidCredentials | ErrorCode::Unauthorized => {
                self.password = Input::default();
                self.code = Input::default();
                "Wrong email or password.".to_owned()
            }
            ErrorCode::TooManyRequests => format!("Too many attempts: {}", e.message),
            _ => e.message.clone(),
        });
    }

    pub fn ask_code(&mut self, challenge: Secret) {
        self.busy = false;
        self.stage = Stage::Code { challenge };
        self.notice = Some("Two-step verification: enter the 6-digit code.".into());
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, server: &str, spinner: usize) {
        let width = area.width.saturating_sub(4).min(60);
        let height = 10u16.min(area.height);
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
            }
        }
        lines.push(Line::from(""));
        if self.busy {
            lines.push(Line::from(Span::raw(format!(
                "{} Logging in…",
                SPINNER[spinner % SPINNER.len()]
            ))));
        } else if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(format!("! {e}"), theme.error)));
        } else if let Some(n) = self
            .notice
            .as_ref()
            .filter(|_| matches!(self.stage, Stage::Code { .. }))
        {
            lines.push(Line::from(Span::styled(n.clone(), theme.warning)));
        } else if self.overlay {
            lines.push(Line::from(Span::styled("Your edits are kept.", theme.muted)));
        } else {
            lines.push(Line::from(""));
        }
        lines.push(Line::from(""));
        let esc = if self.overlay { "  esc later" } else { "  ctrl-c quit" };
        lines.push(Line::from(vec![
            Span::styled("enter", theme.key),
            Span::styled(" next/log in  ", theme.muted),
            Span::styled("tab", theme.key),
            Span::styled(" switch field", theme.muted),
            Span::styled(esc, theme.muted),
        ]));
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
            d.handle_key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn enter_moves_to_the_password_then_submits() {
        let mut d = LoginDialog::new("", false);
        type_str(&mut d, "a@b.c");
        assert_eq!(
            d.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            LoginEvent::None
        );
        type_str(&mut d, "pw");
        match d.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)) {
            LoginEvent::Submit(Request::Login { email, password }) => {
                assert_eq!(email, "a@b.c");
                assert_eq!(password.expose(), "pw");
            }
            other => panic!("{other:?}"),
        }
        assert!(d.busy);
    }

    #[test]
    fn an_empty_password_is_refused_in_place() {
        let mut d = LoginDialog::new("a@b.c", false);
        assert_eq!(
            d.handle_key(&KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            LoginEvent::None
        );
        assert!(d.error.is_some());
    }
}
