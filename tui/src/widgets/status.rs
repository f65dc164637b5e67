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
    /// The user's unread inbox entries.
    pub unread: u64,
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
        if self.unread > 0 {
            left.push_str(&format!(" │ {} unread", self.unread));
        }
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

/// One message of the session, as `:messages` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub at: jiff::Timestamp,
    pub level: ToastLevel,
    pub text: String,
}

/// Most lines the message area takes at the bottom of the screen; older toasts give way first.
pub const MESSAGE_LINES: usize = 4;

impl ToastLevel {
    /// The mark that says the level without colour.
    pub fn mark(self) -> &'static str {
        match self {
            ToastLevel::Info => "✓",
            ToastLevel::Warning => "!",
            ToastLevel::Error => "✗",
        }
    }

    fn style(self, theme: &Theme) -> Style {
        match self {
            ToastLevel::Info => theme.ok,
            ToastLevel::Warning => theme.warning,
            ToastLevel::Error => theme.error,
        }
    }
}

/// The lines the toasts take in the message area `width` wide, oldest first: a level, whether the line
/// starts its message, and the text. Long messages wrap (continuation lines indented); at most
/// [`MESSAGE_LINES`], the newest kept.
pub fn message_lines(toasts: &[Toast], width: u16) -> Vec<(ToastLevel, bool, String)> {
    let room = (width as usize).saturating_sub(4).max(10);
    let mut lines: Vec<(ToastLevel, bool, String)> = Vec::new();
    for toast in toasts.iter().rev() {
        let wrapped = super::wrap(&toast.text, room);
        let n = wrapped.len();
        for (i, line) in wrapped.into_iter().enumerate().rev() {
            lines.push((toast.level, i == 0, line));
        }
        if lines.len() >= MESSAGE_LINES {
            // A message that does not fit whole says so on its last visible line.
            if lines.len() > MESSAGE_LINES || n > MESSAGE_LINES {
                lines.truncate(MESSAGE_LINES);
                if let Some(first) = lines.last_mut() {
                    first.1 = true;
                }
            }
            break;
        }
    }
    lines.reverse();
    lines
}

/// The message area: the lines of [`message_lines`], full width, each row its own (nothing drawn over
/// another text or a border).
pub fn render_messages(frame: &mut Frame, area: Rect, lines: &[(ToastLevel, bool, String)], theme: &Theme) {
    for (row, (level, first, text)) in lines.iter().enumerate() {
        if row as u16 >= area.height {
            break;
        }
        let lead = if *first { level.mark() } else { " " };
        let style = level.style(theme).add_modifier(ratatui::style::Modifier::REVERSED);
        let text = format!(" {lead} {text}");
        let pad = (area.width as usize).saturating_sub(text.chars().count());
        let rect = Rect::new(area.x, area.y + row as u16, area.width, 1);
        frame.render_widget(
            Paragraph::new(Span::styled(format!("{text}{}", " ".repeat(pad)), style)),
            rect,
        );
    }
}
