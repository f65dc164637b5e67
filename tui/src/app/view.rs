//! Drawing the whole console from the state: tab bar, the active tab, footer hints, status line, and the
//! overlays (login, help, confirmation, `:` prompt, toasts) on top.

use ratatui::{
    Frame,
    layout::{Constraint, Layout, Position, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};

use super::App;
use crate::widgets::{
    StatusLine,
    dialog::centered,
    status::{SPINNER, render_hints, render_toasts},
};

impl App {
    pub fn view(&self, frame: &mut Frame) {
        let area = frame.area();
        let theme = &self.theme;
        let [top, body, footer, status] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);

        if self.me.is_some() {
            self.render_tab_bar(frame, top);
            self.active_tab().render(frame, body, &self.tab_ctx());
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

        if let Some(input) = &self.jump {
            self.render_jump(frame, footer, input);
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
        if let Some(dialog) = &self.dialog {
            dialog.render(frame, area, theme);
        }
        render_toasts(frame, body, &self.toasts, theme);
    }

    fn render_tab_bar(&self, frame: &mut Frame, area: Rect) {
        let theme = &self.theme;
        let labels: Vec<String> = self
            .tabs
            .iter()
            .enumerate()
            .map(|(i, tab)| format!(" {} {}{} ", i + 1, tab.title(), if tab.is_dirty() { "*" } else { "" }))
            .collect();
        let org = self.me.as_ref().map(|me| format!("{} ", me.org.name));
        let org_width = org.as_ref().map_or(0, |o| o.chars().count());
        let labels_width: usize = labels.iter().map(|l| l.chars().count()).sum();
        // Tabs are spaced apart when there is room for that and the organization's name; else they touch.
        let gap = if labels_width + labels.len() + org_width < area.width as usize {
            " "
        } else {
            ""
        };
        let mut spans = Vec::new();
        for (i, text) in labels.into_iter().enumerate() {
            let style = if i == self.active { theme.tab_active } else { theme.tab };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(gap));
        }
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        if let Some(org) = org {
            let room = (area.width as usize).saturating_sub(used);
            // A name too long for what is left is cut with an ellipsis, if enough of it stays to read.
            let org = if org_width < room {
                Some(org)
            } else if room > 8 {
                let kept: String = org.trim_end().chars().take(room - 3).collect();
                Some(format!("{}… ", kept.trim_end()))
            } else {
                None
            };
            if let Some(org) = org {
                let width = org.chars().count();
                spans.push(Span::raw(" ".repeat(room.saturating_sub(width))));
                spans.push(Span::styled(org, theme.title));
            }
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn render_jump(&self, frame: &mut Frame, area: Rect, input: &tui_input::Input) {
        let theme = &self.theme;
        let matches: Vec<&str> = self
            .jump_matches(input.value())
            .iter()
            .map(|i| self.tabs[*i].title())
            .collect();
        let hint = if let Some((_, what)) = App::jump_command(input.value()) {
            format!("→ {what}")
        } else if matches.is_empty() {
            "no such tab".to_owned()
        } else {
            format!("→ {}", matches.join(" · "))
        };
        let line = Line::from(vec![
            Span::styled(":", theme.key),
            Span::raw(input.value().to_owned()),
            Span::raw("  "),
            Span::styled(hint, theme.muted),
            Span::styled("  (tab completes, enter goes)", theme.muted),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        frame.set_cursor_position(Position::new(area.x + 1 + input.visual_cursor() as u16, area.y));
    }
}
