//! A new key, shown once: the key itself, a warning that it will not be shown again, and a ready `curl`
//! example against the console's own server. `c` copies the key; closing asks first.

use orgdeck_shared::{api_keys::NewApiKey, auth::Secret, routes};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use crate::{theme::Theme, widgets::dialog::centered};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyReveal {
    pub title: String,
    pub key: Secret,
    pub holder: String,
    /// `curl -H "Authorization: Bearer od_..." URL/api/v1/me`, one line a shell word group.
    pub curl: Vec<String>,
    pub copied: bool,
}

impl KeyReveal {
    pub fn new(new: &NewApiKey, server: &str, rotated: bool) -> KeyReveal {
        let holder = new.info.holder.email.clone();
        let title = if rotated {
            format!("Rotated: the new API key of {holder}")
        } else {
            format!("New API key for {holder}")
        };
        let url = format!("{}{}", server.trim_end_matches('/'), routes::ME);
        KeyReveal {
            title,
            key: new.key.clone(),
            holder,
            curl: vec![
                "curl \\".to_owned(),
                format!("  -H \"Authorization: Bearer {}\" \\", new.key.expose()),
                format!("  {url}"),
            ],
            copied: false,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width.saturating_sub(2).min(80);
        let mut lines = vec![
            Line::from(Span::styled(
                "! Shown only now: copy it (c). It will not be shown again.",
                theme.warning,
            )),
            Line::from(""),
            Line::from(Span::styled(self.key.expose().to_owned(), theme.value)),
            Line::from(""),
            Line::from(Span::styled(
                format!("It acts as {}, with their role. Try it:", self.holder),
                theme.label,
            )),
        ];
        lines.extend(self.curl.iter().map(|l| Line::from(l.clone())));
        if self.copied {
            lines.push(Line::from(Span::styled("✓ copied to the clipboard", theme.ok)));
        }
        let inner_width = width.saturating_sub(3).max(1);
        let rows: u16 = lines
            .iter()
            .map(|l| (l.width() as u16).div_ceil(inner_width).max(1))
            .sum();
        let rect = centered(area, width, rows + 2);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(Span::styled(" c copy the key · esc close ", theme.muted));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }),
            Rect::new(inner.x + 1, inner.y, inner.width.saturating_sub(1), inner.height),
        );
    }
}
