//! A pick-many list with fuzzy search: applications for an access row, users for a group's members.
//! The typed text filters what is loaded by subsequence; a picker over a big list (users of a large
//! organization) also sends the text to the server as a search, debounced.

use std::collections::BTreeSet;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};
use tui_input::{Input, backend::crossterm::to_input_request};
use uuid::Uuid;

use crate::{theme::Theme, widgets::dialog::centered};

/// Whether every character of `needle` appears in `hay` in order (case-insensitive).
pub fn fuzzy_match(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars().flat_map(char::to_lowercase);
    needle
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .all(|n| hay.any(|h| h == n))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Applications,
    Members,
}

pub struct Picker {
    pub kind: PickerKind,
    pub query: Input,
    /// What can be picked: (id, text to show and match).
    pub items: Vec<(Uuid, String)>,
    pub chosen: BTreeSet<Uuid>,
    /// The applications picker's first line: all applications (then the list is ignored).
    pub all: Option<bool>,
    pub cursor: usize,
    /// The items are a server search's answer (the list is too big to hold); typing searches again.
    pub remote: bool,
    pub loading: bool,
    /// The generation of the server search whose answer is awaited.
    pub generation: u64,
    pub token: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerEvent {
    None,
    /// The query changed: for a remote picker, search when the debounce timer with this token goes off.
    QueryChanged(u64),
    Done,
    Cancel,
}

impl Picker {
    pub fn new(kind: PickerKind, items: Vec<(Uuid, String)>, chosen: BTreeSet<Uuid>, all: Option<bool>) -> Picker {
        Picker {
            kind,
            query: Input::default(),
            items,
            chosen,
            all,
            cursor: 0,
            remote: false,
            loading: false,
            generation: 0,
            token: 0,
        }
    }

    /// The lines shown: `None` stands for the "all applications" line.
    pub fn visible(&self) -> Vec<Option<usize>> {
        let q = self.query.value();
        let mut v = Vec::new();
        if self.all.is_some() && q.is_empty() {
            v.push(None);
        }
        // Closer matches first: the typed text as a whole (earliest first), then scattered letters.
        let lower = q.to_lowercase();
        let mut matches: Vec<(usize, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, (_, text))| fuzzy_match(q, text))
            .map(|(i, (_, text))| (text.to_lowercase().find(&lower).unwrap_or(usize::MAX), i))
            .collect();
        matches.sort();
        v.extend(matches.into_iter().map(|(_, i)| Some(i)));
        v
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> PickerEvent {
        let visible = self.visible();
        match key.code {
            KeyCode::Esc => return PickerEvent::Cancel,
            KeyCode::Enter => return PickerEvent::Done,
            KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down => self.cursor = (self.cursor + 1).min(visible.len().saturating_sub(1)),
            KeyCode::PageUp => self.cursor = self.cursor.saturating_sub(10),
            KeyCode::PageDown => self.cursor = (self.cursor + 10).min(visible.len().saturating_sub(1)),
            KeyCode::Char(' ') | KeyCode::Tab => match visible.get(self.cursor) {
                Some(None) => self.all = self.all.map(|a| !a),
                Some(Some(i)) => {
                    let id = self.items[*i].0;
                    if !self.chosen.remove(&id) {
                        self.chosen.insert(id);
                    }
                    if self.all == Some(true) {
                        self.all = Some(false);
                    }
                    self.cursor = (self.cursor + 1).min(visible.len().saturating_sub(1));
                }
                None => {}
            },
            _ if key.modifiers.contains(KeyModifiers::CONTROL) && !matches!(key.code, KeyCode::Char('u' | 'w')) => {}
            _ => {
                let before = self.query.value().to_owned();
                if let Some(req) = to_input_request(&Event::Key(*key)) {
                    self.query.handle(req);
                }
                if self.query.value() != before {
                    self.cursor = 0;
                    self.token += 1;
                    return PickerEvent::QueryChanged(self.token);
                }
            }
        }
        PickerEvent::None
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width.saturating_sub(6).min(70);
        let height = area.height.saturating_sub(2).min(22);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let title = match self.kind {
            PickerKind::Applications => " Applications for this access row ",
            PickerKind::Members => " Members ",
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(title, theme.title))
            .title_bottom(Span::styled(
                " type to search · space pick · enter done · esc cancel ",
                theme.muted,
            ));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        if inner.height < 3 {
            return;
        }
        let status = if self.loading {
            "searching…".to_owned()
        } else {
            format!("{} chosen", self.chosen.len())
        };
        let bar = Line::from(vec![
            Span::styled("/ ", theme.key),
            Span::styled(self.query.value().to_owned(), theme.editing),
            Span::raw("  "),
            Span::styled(status, theme.muted),
        ]);
        frame.render_widget(Paragraph::new(bar), Rect::new(inner.x + 1, inner.y, inner.width - 1, 1));
        frame.set_cursor_position(Position::new(
            (inner.x + 3 + self.query.visual_cursor() as u16).min(inner.right().saturating_sub(1)),
            inner.y,
        ));
        let visible = self.visible();
        let rows = (inner.height - 1) as usize;
        let offset = self.cursor.saturating_sub(rows.saturating_sub(1));
        let mut lines = Vec::new();
        for (n, entry) in visible.iter().enumerate().skip(offset).take(rows) {
            let (checked, text) = match entry {
                None => (
                    self.all == Some(true),
                    "All applications (present and future)".to_owned(),
                ),
                Some(i) => {
                    let (id, text) = &self.items[*i];
                    (self.chosen.contains(id) && self.all != Some(true), text.clone())
                }
            };
            let here = n == self.cursor;
            let mark = if checked { "[x]" } else { "[ ]" };
            let line = format!("{}{mark} {text}", if here { "> " } else { "  " });
            lines.push(Line::from(Span::styled(
                line,
                if here { theme.selected } else { theme.base },
            )));
        }
        if visible.is_empty() {
            let text = if self.loading {
                "Searching…"
            } else {
                "Nothing matches."
            };
            lines.push(Line::from(Span::styled(text, theme.muted)));
        }
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(inner.x + 1, inner.y + 1, inner.width - 1, inner.height - 1),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_matching_is_an_ordered_subsequence() {
        assert!(fuzzy_match("anl", "Ana Lima ana@acme.test"));
        assert!(fuzzy_match("", "anything"));
        assert!(fuzzy_match("ALI", "ana lima"));
        assert!(!fuzzy_match("lan", "ana li"));
    }
}
