//! My notification choices (Account › `N`): per event type, in-app and email, each following the
//! organization's default or set by me. Space flips the cell under the cursor (a choice equal to the
//! default is no choice), `s` saves with the version read (412: read again, edits said lost), Esc closes
//! (asking first when changed).

use orgdeck_shared::notifications::{EventType, MyNotifications, MyNotificationsView};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};

use crate::{theme::Theme, widgets::dialog::centered};

/// The choices being edited over what was read.
#[derive(Debug, Clone, PartialEq)]
pub struct MyNotificationsEditor {
    pub read: MyNotificationsView,
    pub edited: MyNotifications,
    pub row: usize,
    /// 0: in-app, 1: email.
    pub col: usize,
    pub saving: bool,
}

impl MyNotificationsEditor {
    pub fn new(read: MyNotificationsView) -> Self {
        MyNotificationsEditor {
            edited: read.mine.clone(),
            read,
            row: 0,
            col: 0,
            saving: false,
        }
    }

    pub fn is_dirty(&self) -> bool {
        self.edited.clone().normalized() != self.read.mine.clone().normalized()
    }

    /// (in-app, email) as they would be with the edits, and whether each is the organization's default.
    pub fn cell(&self, event: EventType) -> [(bool, bool); 2] {
        let view = MyNotificationsView {
            mine: self.edited.clone(),
            ..self.read.clone()
        };
        let (in_app, email) = view.effective(event);
        let c = self.edited.choices.get(&event).copied().unwrap_or_default();
        [(in_app, c.in_app.is_none()), (email, c.email.is_none())]
    }

    pub fn move_by(&mut self, rows: isize, cols: isize) {
        let n = EventType::ALL.len() as isize;
        self.row = (self.row as isize + rows).clamp(0, n - 1) as usize;
        self.col = (self.col as isize + cols).clamp(0, 1) as usize;
    }

    /// Flips the cell under the cursor; a value equal to the organization's default becomes "default".
    pub fn flip(&mut self) {
        let event = EventType::ALL[self.row];
        let default = self.read.defaults.iter().find(|d| d.event == event).copied();
        let [in_app, email] = self.cell(event);
        let choice = self.edited.choices.entry(event).or_default();
        if self.col == 0 {
            let new = !in_app.0;
            choice.in_app = (Some(new) != default.map(|d| d.in_app)).then_some(new);
        } else {
            let new = !email.0;
            choice.email = (Some(new) != default.map(|d| d.email)).then_some(new);
        }
        self.edited = std::mem::take(&mut self.edited).normalized();
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let height = (EventType::ALL.len() as u16 + 6).min(area.height);
        let rect = centered(area, 64.min(area.width), height);
        frame.render_widget(Clear, rect);
        let mut title = vec![Span::styled(" My notifications ", theme.title)];
        if self.is_dirty() {
            title.push(Span::styled("* modified ", theme.warning));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Line::from(title));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let mut lines = vec![
            Line::styled(
                "What reaches you; (org) follows the organization's default.",
                theme.muted,
            ),
            Line::styled(format!("  {:<24}{:<15}{}", "Event", "In-app", "Email"), theme.label),
        ];
        for (i, event) in EventType::ALL.iter().enumerate() {
            let cells = self.cell(*event);
            let mut spans = vec![
                Span::styled(if i == self.row { "> " } else { "  " }, theme.key),
                Span::styled(format!("{:<24}", event.label()), theme.label),
            ];
            for (c, (on, default)) in cells.iter().enumerate() {
                let text = format!(
                    "{} {}",
                    if *on { "[x]" } else { "[ ]" },
                    if *default { "(org)" } else { "(me) " }
                );
                let style = if i == self.row && c == self.col {
                    theme.selected
                } else {
                    theme.value
                };
                spans.push(Span::styled(text, style));
                spans.push(Span::raw("      "));
            }
            lines.push(Line::from(spans));
        }
        if self.saving {
            lines.push(Line::styled("Saving…", theme.muted));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use orgdeck_shared::notifications::NotificationSettings;

    use super::*;

    #[test]
    fn flipping_back_to_the_default_leaves_no_choice() {
        let read = MyNotificationsView {
            version: 3,
            mine: MyNotifications::default(),
            defaults: MyNotificationsView::defaults_of(&NotificationSettings::default()),
        };
        let mut e = MyNotificationsEditor::new(read);
        e.move_by(3, 1); // server offline, email (default on)
        e.flip();
        assert_eq!(e.cell(EventType::ServerOffline)[1], (false, false));
        assert!(e.is_dirty());
        e.flip();
        assert_eq!(e.cell(EventType::ServerOffline)[1], (true, true));
        assert!(!e.is_dirty(), "back to the default is no change");
        assert!(e.edited.choices.is_empty());
    }
}
