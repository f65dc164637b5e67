//! The `?` overlay: every action and its keys, generated from the keymap, and where the log file is.

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};

use crate::{keymap::Keymap, theme::Theme, widgets::dialog::centered};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Help {
    pub scroll: u16,
}

impl Help {
    /// The lines of the help as drawn `width` columns wide (`None`: unwrapped): sections of
    /// `keys  description`, a long description continuing under itself, then the log file.
    pub fn lines(keymap: &Keymap, log_path: Option<&str>, theme: &Theme) -> Vec<Line<'static>> {
        Help::lines_in(keymap, log_path, theme, None)
    }

    pub fn lines_in(
        keymap: &Keymap,
        log_path: Option<&str>,
        theme: &Theme,
        width: Option<usize>,
    ) -> Vec<Line<'static>> {
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
            let indent = key_width + 4;
            let room = width.map_or(usize::MAX, |w| w.saturating_sub(indent).max(20));
            for (i, part) in super::wrap(description, room).into_iter().enumerate() {
                let lead = if i == 0 {
                    format!("  {keys:<key_width$}")
                } else {
                    " ".repeat(key_width + 2)
                };
                lines.push(Line::from(vec![
                    Span::styled(lead, theme.key),
                    Span::raw("  "),
                    Span::raw(part),
                ]));
            }
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

    /// The help box's width on a screen of `area`.
    pub fn width(area: Rect) -> u16 {
        area.width.saturating_sub(4).min(76)
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, keymap: &Keymap, log_path: Option<&str>, theme: &Theme) {
        let width = Help::width(area);
        let lines = Help::lines_in(keymap, log_path, theme, Some(width.saturating_sub(2) as usize));
        let height = (lines.len() as u16 + 2).min(area.height.saturating_sub(2)).max(3);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let more = lines.len() as u16 > height.saturating_sub(2);
        let title = if more {
            " Help (↑/↓ pgup/pgdn scroll, esc close) "
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
                .scroll((self.scroll.min(max_scroll), 0)),
            rect,
        );
    }
}
