//! A list the server pages by cursor, newest first (the inbox, a channel's delivery log): the rows read so
//! far, the cursor row, and the next page asked for when the cursor reaches the last row read.

use orgdeck_shared::ApiError;

use super::doc::Load;
use crate::keymap::Action;

/// What a navigation key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Not a navigation key.
    No,
    Moved,
    /// The cursor is on the last row read and more rows exist: ask for the page after `cursor`.
    More,
}

pub struct Paged<T> {
    pub rows: Load<Vec<T>>,
    /// The server's cursor for the next page, when there is one.
    pub next: Option<String>,
    pub cursor: usize,
    /// A next page is on its way.
    pub more_asked: bool,
    /// A first page is on its way; `again` when something changed meanwhile (one more read after it).
    reading: bool,
    again: bool,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            rows: Load::NotLoaded,
            next: None,
            cursor: 0,
            more_asked: false,
            reading: false,
            again: false,
        }
    }
}

impl<T> Paged<T> {
    pub fn items(&self) -> &[T] {
        self.rows.loaded().map_or(&[], Vec::as_slice)
    }

    pub fn current(&self) -> Option<&T> {
        self.items().get(self.cursor)
    }

    /// Whether to ask for the first page now: not while one is on its way (then it is asked once more
    /// when that one arrives, however many changes come meanwhile: [`Paged::first_arrived`]).
    pub fn start_first(&mut self) -> bool {
        if self.reading {
            self.again = true;
            return false;
        }
        self.reading = true;
        self.reloading();
        true
    }

    /// The answer to the first page's call came: whether to ask for it once more.
    pub fn first_arrived(&mut self) -> bool {
        self.reading = false;
        std::mem::take(&mut self.again)
    }

    /// Reading again from the first page: what is shown stays until the answer.
    pub fn reloading(&mut self) {
        if self.rows.loaded().is_none() {
            self.rows = Load::Loading;
        }
        self.more_asked = false;
    }

    /// The first page arrived (it replaces every row; the cursor stays where it was, within the rows).
    pub fn first(&mut self, result: Result<(Vec<T>, Option<String>), ApiError>) -> Result<(), ApiError> {
        match result {
            Ok((items, next)) => {
                self.cursor = self.cursor.min(items.len().saturating_sub(1));
                self.rows = Load::Loaded(items);
                self.next = next;
                Ok(())
            }
            Err(e) if self.rows.loaded().is_some() => Err(e),
            Err(e) => {
                self.rows = Load::Failed(e.clone());
                Err(e)
            }
        }
    }

    /// A next page arrived: appended.
    pub fn more(&mut self, result: Result<(Vec<T>, Option<String>), ApiError>) -> Result<(), ApiError> {
        self.more_asked = false;
        let (items, next) = result?;
        if let Load::Loaded(rows) = &mut self.rows {
            rows.extend(items);
            self.next = next;
        }
        Ok(())
    }

    /// Moves the cursor for `action` (`page` rows for a page key).
    pub fn nav(&mut self, action: Action, page: usize) -> Nav {
        let n = self.items().len();
        let last = n.saturating_sub(1);
        self.cursor = match action {
            Action::Up => self.cursor.saturating_sub(1),
            Action::Down => (self.cursor + 1).min(last),
            Action::PageUp => self.cursor.saturating_sub(page.max(1)),
            Action::PageDown => (self.cursor + page.max(1)).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return Nav::No,
        };
        if self.cursor == last && self.next.is_some() && !self.more_asked && n > 0 {
            self.more_asked = true;
            Nav::More
        } else {
            Nav::Moved
        }
    }

    /// The first row to draw so that the cursor is within `rows` rows.
    pub fn offset(&self, rows: usize) -> usize {
        self.cursor.saturating_sub(rows.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_is_asked_once_when_the_cursor_reaches_the_last_row() {
        let mut p: Paged<u32> = Paged::default();
        p.first(Ok(((0..3).collect(), Some("c1".into())))).unwrap();
        assert_eq!(p.nav(Action::Down, 10), Nav::Moved);
        assert_eq!(p.nav(Action::Bottom, 10), Nav::More);
        assert_eq!(p.nav(Action::Down, 10), Nav::Moved, "asked already");
        p.more(Ok(((3..5).collect(), None))).unwrap();
        assert_eq!(p.items(), &[0, 1, 2, 3, 4]);
        assert_eq!(p.nav(Action::PageDown, 10), Nav::Moved);
        assert_eq!(p.cursor, 4);
        assert_eq!(p.nav(Action::Activate, 10), Nav::No);
        assert_eq!(p.offset(3), 2);
        // Read again with fewer rows: the cursor stays within them.
        p.first(Ok((vec![9], None))).unwrap();
        assert_eq!(p.cursor, 0);
    }
}
