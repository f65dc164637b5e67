//! Drawing the whole console from the state: the header (where you are), the list of areas when shown,
//! the active tab, footer hints, status line, and the overlays (login, help, confirmation, `:` prompt,
//! toasts) on top. Below [`MIN_WIDTH`]x[`MIN_HEIGHT`] only a message saying so, never cut content.

use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};

use super::App;
use crate::widgets::{
    StatusLine,
    dialog::centered,
    status::{SPINNER, message_lines, render_hints, render_messages},
};

mod nav;

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

impl App {
    pub fn view(&self, frame: &mut Frame) {
        let area = frame.area();
        let theme = &self.theme;
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            self.render_too_small(frame, area);
            return;
        }
        // Messages take their own rows at the bottom, under everything else: they never cover text.
        let messages = message_lines(&self.toasts, area.width);
        let [area, message_area] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(messages.len() as u16)]).areas(area);
        render_messages(frame, message_area, &messages, theme);
        let [top, body, footer, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);

        if self.me.is_some() {
            self.render_header(frame, top);
            let width = self.sidebar_width();
            // Beside the tab when both fit (the tab keeps 80 columns), else over it.
            let beside = area.width >= MIN_WIDTH + width;
            if (self.sidebar || self.go_pending) && beside {
                let [side, rest] = Layout::horizontal([Constraint::Length(width), Constraint::Min(0)]).areas(body);
                self.render_sidebar(frame, side, false);
                self.active_tab().render(frame, rest, &self.tab_ctx());
            } else {
                self.active_tab().render(frame, body, &self.tab_ctx());
                if self.sidebar || self.go_pending {
                    let side = Rect::new(body.x, body.y, (width + 1).min(body.width), body.height);
                    self.render_sidebar(frame, side, true);
                }
            }
        } else {
            let title = Line::from(vec![
                Span::styled(" orgdeck ", theme.tab_active),
                Span::styled(format!(" {}", self.server), theme.muted),
            ]);
            frame.render_widget(Paragraph::new(title), top);
            if self.login.is_none() {
                let text = format!(
                    "{} Connecting to {}…",
                    SPINNER[self.spinner() % SPINNER.len()],
                    self.server
                );
                let rect = centered(body, (text.chars().count() as u16 + 4).min(body.width), 3);
                let block = Block::default().borders(Borders::ALL).border_style(theme.border);
                frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: true }), rect);
            }
        }

        if let Some(prompt) = &self.jump {
            self.render_jump(frame, body, footer, prompt);
        } else if self.go_pending {
            self.render_go(frame, footer);
        } else if self.login.is_none() || self.dialog.is_some() {
            render_hints(frame, footer, &self.hints(), theme);
        }
        StatusLine {
            profile: &self.profile,
            server: &self.server,
            user: self.me.as_ref().map(|m| m.user.email.as_str()),
            connection: self.connection,
            busy: self.busy().map(|what| (self.spinner(), what)),
            read_only: self.read_only,
            unread: self.me.as_ref().map_or(0, |m| m.unread),
        }
        .render(frame, status, theme);
        if self.me.is_some() {
            self.active_tab().render_overlay(frame, area, &self.tab_ctx());
        }
        if let Some(enrolment) = &self.enrolment {
            enrolment.render(frame, area, &self.tab_ctx());
        }

        if let Some(login) = &self.login {
            let over = if login.overlay {
                body
            } else {
                Rect::new(area.x, top.bottom(), area.width, body.height)
            };
            login.render(frame, over, theme, &self.keymap, &self.server, self.spinner());
        }
        if let Some(help) = &self.help {
            help.render(frame, area, &self.keymap, self.log_path.as_deref(), theme);
        }
        if let Some(log) = &self.message_log {
            log.render(frame, area, theme);
        }
        if let Some(dialog) = &self.dialog {
            dialog.render(frame, area, theme);
        }
    }
}
