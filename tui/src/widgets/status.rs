//! The bottom lines: key hints (from the keymap), toasts, and the status line (profile, server, user,
//! connection, spinner).

use ratatui::{
    Frame,
    layout::Rect,
    style::Style,
    text::{Line, Span},
    widgets::Paragraph,
};

use crate::theme::Theme;

pub const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Online,
    /// The last request could not reach the server.
    Offline,
    /// No session: the login screen is up.
    LoggedOut,
}

impl Connection {
    pub fn label(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Online => "online",
            Connection::Offline => "offline",
            Connection::LoggedOut => "logged out",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastLevel {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub level: ToastLevel,
    pub text: String,
    /// A toast that must be read (the keyring warning) survives the next key press.
    pub sticky: bool,
}

pub struct StatusLine<'a> {
    pub profile: &'a str,
    pub server: &'a str,
    pub user: Option<&'a str>,
    pub connection: Connection,
    /// The spinner frame and what is running, while a request runs.
    pub busy: Option<(usize, &'a str)>,
    pub read_only: bool,
}

impl StatusLine<'_> {
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let dot = match self.connection {
            Connection::Online => "●",
            Connection::Connecting => "◌",
            Connection::Offline | Connection::LoggedOut => "○",
        };
        let mut left = format!(
            " {} │ {} │ {} │ {dot} {}",
            self.profile,
            self.server,
            self.user.unwrap_or("-"),
            self.connection.label()
        );
        if self.read_only {
            left.push_str(" │ read-only");
        }
        let right = match self.busy {
            Some((frame_no, what)) => format!("{} {what} ", SPINNER[frame_no % SPINNER.len()]),
            None => String::new(),
        };
        let width = area.width as usize;
        let right_len = right.chars().count();
        let left: String = left.chars().take(width.saturating_sub(right_len + 1)).collect();
        let pad = width.saturating_sub(left.chars().count() + right_len);
        let line = Line::from(vec![Span::raw(left), Span::raw(" ".repeat(pad)), Span::raw(right)]);
        frame.render_widget(Paragraph::new(line).style(theme.status), area);
    }
}

/// The footer: `key label` pairs, as many as fit.
pub fn render_hints(frame: &mut Frame, area: Rect, hints: &[(String, &str)], theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, label) in hints {
        let len = key.chars().count() + label.chars().count() + 3;
        if used + len > area.width as usize {
            break;
        }
        spans.push(Span::styled(key.clone(), theme.key));
        spans.push(Span::styled(format!(" {label}  "), theme.muted));
        used += len;
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Toasts, newest at the bottom, drawn over the bottom right of `area`; long ones wrap.
pub fn render_toasts(frame: &mut Frame, area: Rect, toasts: &[Toast], theme: &Theme) {
    let mut bottom = area.bottom();
    for toast in toasts.iter().rev().take(3) {
        let (mark, style): (&str, Style) = match toast.level {
            ToastLevel::Info => ("✓", theme.ok),
            ToastLevel::Warning => ("!", theme.warning),
            ToastLevel::Error => ("✗", theme.error),
        };
        let style = style.add_modifier(ratatui::style::Modifier::REVERSED);
        let room = (area.width as usize).saturating_sub(5).max(10);
        let lines = super::wrap(&toast.text, room);
        let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16 + 4;
        for (i, line) in lines.iter().enumerate().rev() {
            if bottom <= area.y {
                return;
            }
            bottom -= 1;
            let lead = if i == 0 { mark } else { " " };
            let text = format!(" {lead} {line:<w$} ", w = width as usize - 4);
            let rect = Rect::new(area.right().saturating_sub(width), bottom, width.min(area.width), 1);
            frame.render_widget(Paragraph::new(Span::styled(text, style)), rect);
        }
    }
}
