//! The `/` search line: typed text goes to the server after a pause (a debounce timer the tab runs),
//! and every applied search starts a new generation.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::{Input, backend::crossterm::to_input_request};

use super::{PageRequest, SearchEvent, Table, TableRow};

impl<R: TableRow> Table<R> {
    pub fn is_searching(&self) -> bool {
        self.search.is_some()
    }

    pub fn start_search(&mut self) {
        self.search = Some(Input::new(self.query.q.clone()));
    }

    /// The text searched for (what is typed, while typing).
    pub fn search_text(&self) -> &str {
        match (&self.search, &self.entered) {
            (Some(input), _) => input.value(),
            (None, Some(entered)) => entered,
            (None, None) => self.query.q.as_str(),
        }
    }

    /// A key while the search line is open.
    pub fn search_key(&mut self, key: &KeyEvent) -> SearchEvent {
        let Some(input) = self.search.as_mut() else {
            return SearchEvent::Ignored;
        };
        match key.code {
            KeyCode::Enter => {
                // Typed faster than the debounce: the text is applied now, so it must outlive the line.
                self.entered = Some(input.value().to_owned());
                self.search = None;
                SearchEvent::Done
            }
            KeyCode::Esc => {
                self.search = None;
                SearchEvent::Cleared
            }
            _ if key.modifiers.contains(KeyModifiers::CONTROL) && !matches!(key.code, KeyCode::Char('u' | 'w')) => {
                SearchEvent::Ignored
            }
            _ => {
                let before = input.value().len();
                let old = input.value().to_owned();
                if let Some(req) = to_input_request(&Event::Key(*key)) {
                    input.handle(req);
                }
                if input.value() == old && input.value().len() == before {
                    return SearchEvent::Ignored;
                }
                self.search_token += 1;
                SearchEvent::Changed(self.search_token)
            }
        }
    }

    /// The debounce timer went off: search for what is typed, unless more was typed since.
    pub fn search_timer(&mut self, token: u64, out: &mut Vec<PageRequest>) -> bool {
        if token != self.search_token {
            return false;
        }
        self.apply_search(self.search_text().to_owned(), out)
    }

    /// Searches for `text` now (a new generation), unless it is already the search.
    pub fn apply_search(&mut self, text: String, out: &mut Vec<PageRequest>) -> bool {
        self.search_token += 1;
        self.entered = None;
        if text.trim() == self.query.q {
            return false;
        }
        self.query.q = text.trim().to_owned();
        self.reload(out);
        true
    }
}
