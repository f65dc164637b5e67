//! Boxes a tab opens over itself: a scrollable report (import row errors, an activation token shown
//! once) and a one-line prompt (a file path).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::auth::Secret;
use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};
use tui_input::{Input, backend::crossterm::to_input_request};

use super::dialog::centered;
use crate::{keymap::Action, theme::Theme};

/// A scrollable box of lines; closes with esc or enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub title: String,
    pub lines: Vec<String>,
    pub scroll: usize,
    /// A secret the box shows once and `c` copies (an activation token).
    pub copy: Option<Secret>,
    /// Rows of lines the last drawing had room for.
    visible: std::cell::Cell<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportEvent {
    None,
    Close,
    Copy(Secret),
}

impl Report {
    pub fn new(title: impl Into<String>, lines: Vec<String>) -> Report {
        Report {
            title: title.into(),
            lines,
            scroll: 0,
            copy: None,
            visible: std::cell::Cell::new(10),
        }
    }

    pub fn handle(&mut self, action: Action) -> ReportEvent {
        let max = self.lines.len().saturating_sub(self.visible.get());
        let page = self.visible.get().max(2) - 1;
        // A report opened at its end (`usize::MAX`) scrolls up from what is shown.
        self.scroll = self.scroll.min(max);
        match action {
            Action::Up => self.scroll = self.scroll.saturating_sub(1),
            Action::Down => self.scroll = (self.scroll + 1).min(max),
            Action::PageUp => self.scroll = self.scroll.saturating_sub(page),
            Action::PageDown => self.scroll = (self.scroll + page).min(max),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll = max,
            Action::Copy => {
                if let Some(s) = &self.copy {
                    return ReportEvent::Copy(s.clone());
                }
            }
            Action::Cancel | Action::Activate | Action::Detail | Action::Quit => return ReportEvent::Close,
            _ => {}
        }
        ReportEvent::None
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let longest = self.lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16;
        let width = (longest + 4)
            .max(self.title.chars().count() as u16 + 6)
            .clamp(30, area.width.saturating_sub(2).max(30));
        let height = (self.lines.len() as u16 + 3).min(area.height.saturating_sub(1)).max(4);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let more = self.lines.len() > (height - 3) as usize;
        let hint = match (more, self.copy.is_some()) {
            (true, true) => " ↑/↓ scroll · c copy · esc close ",
            (true, false) => " ↑/↓ scroll · esc close ",
            (false, true) => " c copy · esc close ",
            (false, false) => " esc close ",
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(Span::styled(hint, theme.muted));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let visible = inner.height.saturating_sub(1) as usize;
        self.visible.set(visible.max(1));
        let scroll = self.scroll.min(self.lines.len().saturating_sub(visible));
        let lines: Vec<Line> = self
            .lines
            .iter()
            .skip(scroll)
            .take(visible)
            .map(|l| Line::from(l.clone()))
            .collect();
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(inner.x + 1, inner.y, inner.width.saturating_sub(1), inner.height),
        );
    }
}

/// A one-line question: a file path to import.
#[derive(Debug, Clone)]
pub struct Prompt {
    pub title: String,
    pub label: String,
    pub input: Input,
    pub error: Option<String>,
    /// What Enter does, for the box's bottom line: "import".
    pub submit: &'static str,
    /// What an empty answer is told.
    pub empty: &'static str,
    /// The input holds the offered default, untouched: typing replaces it (as a selected text would be),
    /// a key that moves or deletes starts editing it, enter takes it.
    pub offered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptEvent {
    None,
    Submit(String),
    Cancel,
}

impl Prompt {
    pub fn new(title: impl Into<String>, label: impl Into<String>) -> Prompt {
        Prompt {
            title: title.into(),
            label: label.into(),
            input: Input::default(),
            error: None,
            submit: "import",
            empty: "type a path first",
            offered: false,
        }
    }

    /// The prompt with `value` offered as the answer (see [`Prompt::offered`]).
    pub fn with_default(self, value: impl Into<String>) -> Prompt {
        Prompt {
            input: Input::new(value.into()),
            offered: true,
            ..self
        }
    }

    /// Names what Enter does ("export") and what to say to an empty answer.
    pub fn with_submit(self, submit: &'static str, empty: &'static str) -> Prompt {
        Prompt { submit, empty, ..self }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> PromptEvent {
        match key.code {
            KeyCode::Esc => PromptEvent::Cancel,
            KeyCode::Enter => {
                let text = self.input.value().trim().to_owned();
                if text.is_empty() {
                    self.error = Some(self.empty.into());
                    PromptEvent::None
                } else {
                    PromptEvent::Submit(text)
                }
            }
            _ if key.modifiers.contains(KeyModifiers::CONTROL) && !matches!(key.code, KeyCode::Char('u' | 'w')) => {
                PromptEvent::None
            }
            _ => {
                let typed = matches!(key.code, KeyCode::Char(_)) && !key.modifiers.contains(KeyModifiers::CONTROL);
                if std::mem::take(&mut self.offered) && typed {
                    self.input.reset();
                }
                if let Some(req) = to_input_request(&Event::Key(*key)) {
                    self.input.handle(req);
                    self.error = None;
                }
                PromptEvent::None
            }
        }
    }

    /// The label's lines at the box's width: each of its own lines (`\n`) wrapped, indents kept.
    fn label_lines(&self, room: usize) -> Vec<String> {
        self.label
            .lines()
            .flat_map(|line| {
                let indent = &line[..line.len() - line.trim_start().len()];
                let wrapped = super::wrap(line, room.saturating_sub(indent.len()).max(10));
                wrapped.into_iter().map(move |l| format!("{indent}{l}"))
            })
            .collect()
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width.saturating_sub(4).min(70);
        let label = self.label_lines(width.saturating_sub(3) as usize);
        let height = (5 + label.len() as u16).min(area.height);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(format!(" {} ", self.title), theme.title))
            .title_bottom(Span::styled(
                format!(" enter {} · esc cancel ", self.submit),
                theme.muted,
            ));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let room = inner.width.saturating_sub(3) as usize;
        let scroll = self.input.visual_scroll(room);
        let shown: String = self.input.value().chars().skip(scroll).collect();
        let input_row = inner.y + label.len() as u16;
        let mut lines: Vec<Line> = label
            .into_iter()
            .map(|l| Line::from(Span::styled(l, theme.muted)))
            .collect();
        lines.push(Line::from(vec![
            Span::styled("> ", theme.key),
            Span::styled(shown, if self.offered { theme.selected } else { theme.editing }),
        ]));
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(format!("! {e}"), theme.error)));
        }
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(inner.x + 1, inner.y, inner.width.saturating_sub(1), inner.height),
        );
        let x = inner.x + 3 + (self.input.visual_cursor().saturating_sub(scroll)) as u16;
        frame.set_cursor_position(Position::new(x.min(inner.right().saturating_sub(1)), input_row));
    }
}
