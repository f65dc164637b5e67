//! The `?` overlay: every action and its keys, generated from the keymap, and where the log file is.

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use crate::{keymap::Keymap, theme::Theme, widgets::dialog::centered};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Help {
    pub scroll: u16,
}

impl Help {
    /// The lines of the help: sections of `keys  description`, then the log file.
    pub fn lines(keymap: &Keymap, log_path: Option<&str>, theme: &Theme) -> Vec<Line<'static>> {
        let rows = keymap.help_rows();
        let key_width = rows.iter().map(|(_, k, _)| k.chars().count()).max().unwrap_or(0).max(8);
        // The log file first, so it is in sight without scrolling at 80x24.
        let mut lines = vec![
            Line::from(vec![
                Span::styled("Log file ", theme.title),
                Span::raw(log_path.unwrap_or("(logging is off)").to_owned()),
            ]),
            Line::from(""),
        ];
        let mut scope = None;
        for (s, keys, description) in rows {
            if scope != Some(s) {
                if scope.is_some() {
                    lines.push(Line::from(""));
                }
                lines.push(Line::from(Span::styled(s.title().to_owned(), theme.title)));
                scope = Some(s);
            }
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<key_width$}"), theme.key),
                Span::raw("  "),
                Span::raw(description),
            ]));
        }
        if keymap.read_only() {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Read-only profile: saving and every action that changes something are disabled.",
                theme.warning,
            )));
        }
        lines
    }

    /// Scrolls by `delta` lines; `visible` is how many lines the terminal can show at most.
    pub fn scroll_by(&mut self, delta: i32, total: usize, visible: usize) {
        let max = total.saturating_sub(visible) as i32;
        self.scroll = (i32::from(self.scroll) + delta).clamp(0, max) as u16;
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, keymap: &Keymap, log_path: Option<&str>, theme: &Theme) {
        let lines = Help::lines(keymap, log_path, theme);
        let width = area.width.saturating_sub(4).min(76);
        let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2)).max(3);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let more = lines.len() as u16 > height.saturating_sub(2);
        let title = if more {
            " Help (↑/↓ scroll, esc close) "
        } else {
            " Help (esc close) "
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(title, theme.title));
        let max_scroll = (lines.len() as u16).saturating_sub(height.saturating_sub(2));
        frame.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll.min(max_scroll), 0)),
            rect,
        );
    }
}
