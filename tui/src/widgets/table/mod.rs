//! A windowed table over a list the server pages: it holds only the pages around what is on screen,
//! asks for the next page as the cursor nears the end of what it holds, and forgets pages far away
//! (keeping their cursors, so they can be asked for again). Search, sort and filter are sent to the
//! server; every change of them starts a new generation, and pages of an older generation are dropped.
//! Selection is kept by id, so it survives paging and searching.

use std::{cell::Cell, collections::BTreeMap};

use orgdeck_shared::Page;
use tui_input::Input;

mod search;
mod view;

pub use view::fit;

use crate::keymap::Action;

pub trait TableRow {
    type Id: Clone + Ord + std::fmt::Debug;
    fn id(&self) -> Self::Id;
    /// How the row is named in confirmations: "ana@acme.test".
    fn label(&self) -> String;
}

#[derive(Debug, Clone)]
pub struct Column {
    pub title: &'static str,
    /// A fixed width, or the least width of a flexible column (flexible ones share the room left).
    pub width: u16,
    pub flex: bool,
    /// The server's sort key, when the list can be sorted by this column.
    pub sort: Option<&'static str>,
    /// Lower priorities are hidden first when the table is narrow.
    pub priority: u8,
}

impl Column {
    pub fn fixed(title: &'static str, width: u16) -> Column {
        Column {
            title,
            width,
            flex: false,
            sort: None,
            priority: 5,
        }
    }
    pub fn flex(title: &'static str, min: u16) -> Column {
        Column {
            flex: true,
            ..Column::fixed(title, min)
        }
    }
    pub fn sort(self, key: &'static str) -> Column {
        Column {
            sort: Some(key),
            ..self
        }
    }
    pub fn priority(self, priority: u8) -> Column {
        Column { priority, ..self }
    }
}

/// What the server is asked for: search text, sort column (its key) and direction, filter choice.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableQuery {
    pub q: String,
    pub sort: Option<&'static str>,
    pub desc: bool,
    /// An index into the table's filter options.
    pub filter: Option<usize>,
}

/// One page the table wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub generation: u64,
    pub page: usize,
    pub cursor: Option<String>,
    pub limit: u32,
    pub query: TableQuery,
}

#[derive(Debug)]
enum Rows<R> {
    /// Never asked for, or forgotten because it is far from the cursor.
    Empty,
    Loading,
    Loaded(Vec<R>),
    Failed(String),
}

#[derive(Debug)]
struct Slot<R> {
    /// The cursor that asks for this page (`None` for the first).
    cursor: Option<String>,
    /// Rows the page had when it was last loaded.
    len: Option<usize>,
    limit: u32,
    rows: Rows<R>,
}

/// What is at a row index.
pub enum RowState<'a, R> {
    Row(&'a R),
    Loading,
    Failed(&'a str),
    Missing,
}

/// What a key did to the search line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchEvent {
    Ignored,
    /// The text changed: apply it when the debounce timer with this token goes off.
    Changed(u64),
    /// Enter: searching ends, the text is applied now.
    Done,
    /// Esc: the search is cleared.
    Cleared,
}

pub struct Table<R: TableRow> {
    pub columns: Vec<Column>,
    /// Options of the one filter (statuses); empty when the list has none.
    pub filters: Vec<&'static str>,
    /// "users": how the position and empty state talk about rows.
    pub noun: &'static str,
    /// The server can search this list (`/`); the bar offers it only then.
    pub searchable: bool,
    pub query: TableQuery,
    slots: Vec<Slot<R>>,
    /// `starts[i]` is the index of the first row of slot `i`; the last entry is the rows known.
    starts: Vec<usize>,
    /// The cursor of the page after the last slot, when there is one.
    next: Option<String>,
    /// The last slot is the end of the list.
    end: bool,
    cursor: usize,
    offset: Cell<usize>,
    height: Cell<usize>,
    generation: u64,
    page_size: u32,
    seek_page_size: u32,
    /// `G` was pressed: keep loading pages and following the end until it is reached.
    seeking_end: bool,
    selected: BTreeMap<R::Id, String>,
    search: Option<Input>,
    /// What was typed when Enter closed the search line, until it is applied.
    entered: Option<String>,
    search_token: u64,
    /// The table had data at least once (its first page arrived).
    started: bool,
}

impl<R: TableRow> Table<R> {
    pub fn new(columns: Vec<Column>, page_size: u32) -> Table<R> {
        let sort = columns.iter().find_map(|c| c.sort);
        Table {
            columns,
            filters: Vec::new(),
            noun: "rows",
            searchable: true,
            query: TableQuery {
                sort,
                ..TableQuery::default()
            },
            slots: Vec::new(),
            starts: vec![0],
            next: None,
            end: false,
            cursor: 0,
            offset: Cell::new(0),
            height: Cell::new(20),
            generation: 0,
            page_size,
            seek_page_size: page_size.max(500),
            seeking_end: false,
            selected: BTreeMap::new(),
            search: None,
            entered: None,
            search_token: 0,
            started: false,
        }
    }

    pub fn with_filters(self, filters: Vec<&'static str>) -> Self {
        Table { filters, ..self }
    }

    pub fn with_noun(self, noun: &'static str) -> Self {
        Table { noun, ..self }
    }

    /// A list the server cannot search: the bar shows no `/ search`.
    pub fn without_search(self) -> Self {
        Table {
            searchable: false,
            ..self
        }
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Rows known so far (the whole list once `at_end`).
    pub fn known_rows(&self) -> usize {
        *self.starts.last().expect("starts is never empty")
    }

    pub fn at_end(&self) -> bool {
        self.end
    }

    /// Rows held in memory now.
    pub fn held_rows(&self) -> usize {
        self.slots
            .iter()
            .map(|s| match &s.rows {
                Rows::Loaded(r) => r.len(),
                _ => 0,
            })
            .sum()
    }

    pub fn filter_label(&self) -> Option<&'static str> {
        self.query.filter.and_then(|i| self.filters.get(i).copied())
    }

    /// Starts over with the current query: a new generation, the first page, the cursor on top.
    pub fn reload(&mut self, out: &mut Vec<PageRequest>) {
        self.generation += 1;
        self.slots.clear();
        self.starts = vec![0];
        self.next = None;
        self.end = false;
        self.cursor = 0;
        self.offset.set(0);
        self.seeking_end = false;
        self.ensure(out);
    }

    /// Asks again for the pages that failed.
    pub fn retry(&mut self, out: &mut Vec<PageRequest>) -> bool {
        let mut any = false;
        for slot in &mut self.slots {
            if matches!(slot.rows, Rows::Failed(_)) {
                slot.rows = Rows::Empty;
                any = true;
            }
        }
        if any {
            self.ensure(out);
        }
        any
    }

    fn recount(&mut self) {
        self.starts.clear();
        let mut at = 0;
        self.starts.push(0);
        for slot in &self.slots {
            at += slot.len.unwrap_or(0);
            self.starts.push(at);
        }
        let total = self.known_rows();
        if self.cursor >= total {
            self.cursor = total.saturating_sub(1);
        }
    }

    /// The slot holding row `index`, and the row's place in it.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.known_rows() {
            return None;
        }
        let slot = self.starts.partition_point(|&s| s <= index) - 1;
        Some((slot, index - self.starts[slot]))
    }

    pub fn row_state(&self, index: usize) -> RowState<'_, R> {
        let Some((slot, at)) = self.locate(index) else {
            return RowState::Missing;
        };
        match &self.slots[slot].rows {
            Rows::Loaded(rows) => rows.get(at).map_or(RowState::Missing, RowState::Row),
            Rows::Failed(e) => RowState::Failed(e),
            Rows::Loading | Rows::Empty => RowState::Loading,
        }
    }

    pub fn row(&self, index: usize) -> Option<&R> {
        match self.row_state(index) {
            RowState::Row(r) => Some(r),
            _ => None,
        }
    }

    /// The row under the cursor.
    pub fn current(&self) -> Option<&R> {
        self.row(self.cursor)
    }

    /// Every row held now.
    pub fn held(&self) -> impl Iterator<Item = &R> {
        self.slots.iter().flat_map(|s| match &s.rows {
            Rows::Loaded(rows) => rows.as_slice(),
            _ => &[],
        })
    }

    /// Asks for what the window needs, and forgets pages far from it.
    pub fn ensure(&mut self, out: &mut Vec<PageRequest>) {
        let page = self.page_size as usize;
        let height = self.height.get().max(1);
        let offset = self.offset.get().min(self.cursor);
        let want_lo = offset.saturating_sub(page / 2);
        let want_hi = (offset + height).max(self.cursor + 1) + page / 2;
        let keep_lo = offset.saturating_sub(2 * page);
        let keep_hi = want_hi + 2 * page;
        for i in 0..self.slots.len() {
            let (lo, hi) = (self.starts[i], self.starts[i + 1]);
            let slot = &mut self.slots[i];
            // A page never loaded stands where the known rows end.
            let hi = if slot.len.is_none() { lo + 1 } else { hi };
            if slot.len.is_some() && (hi <= keep_lo || lo >= keep_hi) {
                if matches!(slot.rows, Rows::Loaded(_)) {
                    slot.rows = Rows::Empty;
                }
                continue;
            }
            if matches!(slot.rows, Rows::Empty) && hi > want_lo && lo < want_hi {
                slot.rows = Rows::Loading;
                out.push(PageRequest {
                    generation: self.generation,
                    page: i,
                    cursor: slot.cursor.clone(),
                    limit: slot.limit,
                    query: self.query.clone(),
                });
            }
        }
        let last_ready = self
            .slots
            .last()
            .is_none_or(|s| matches!(s.rows, Rows::Loaded(_) | Rows::Empty));
        let first = self.slots.is_empty();
        if !self.end && (first || (self.next.is_some() && last_ready && self.known_rows() < want_hi)) {
            let limit = if self.seeking_end {
                self.seek_page_size
            } else {
                self.page_size
            };
            let cursor = self.next.take();
            self.slots.push(Slot {
                cursor: cursor.clone(),
                len: None,
                limit,
                rows: Rows::Loading,
            });
            self.starts.push(self.known_rows());
            out.push(PageRequest {
                generation: self.generation,
                page: self.slots.len() - 1,
                cursor,
                limit,
                query: self.query.clone(),
            });
        }
    }

    /// A page arrived. False when it was for an older generation (and was dropped).
    pub fn page_arrived(
        &mut self,
        req: &PageRequest,
        result: Result<Page<R>, String>,
        out: &mut Vec<PageRequest>,
    ) -> bool {
        self.page_arrived_at(req.generation, req.page, result, out)
    }

    pub fn page_arrived_at(
        &mut self,
        generation: u64,
        page: usize,
        result: Result<Page<R>, String>,
        out: &mut Vec<PageRequest>,
    ) -> bool {
        if generation != self.generation || page >= self.slots.len() {
            return false;
        }
        match result {
            Ok(p) => {
                self.started = true;
                let last = page + 1 == self.slots.len();
                let slot = &mut self.slots[page];
                slot.len = Some(p.items.len());
                slot.rows = Rows::Loaded(p.items);
                if last {
                    self.end = p.next_cursor.is_none();
                    self.next = p.next_cursor;
                } else if self.slots[page + 1].cursor != p.next_cursor {
                    // The list changed under us: the pages after this one no longer line up.
                    self.slots.truncate(page + 1);
                    self.end = p.next_cursor.is_none();
                    self.next = p.next_cursor;
                }
                self.recount();
                if self.seeking_end {
                    self.cursor = self.known_rows().saturating_sub(1);
                    self.seeking_end = !self.end;
                }
                self.scroll_into_view();
                self.ensure(out);
            }
            Err(e) => {
                self.slots[page].rows = Rows::Failed(e);
                self.seeking_end = false;
            }
        }
        true
    }

    /// Keeps the cursor on screen. A cursor that steps past an edge scrolls the rows by half a screen
    /// (vim's `scrolljump`), not by one: most moves then redraw two rows instead of every row.
    fn scroll_into_view(&self) {
        let h = self.height.get().max(1);
        let jump = (h / 2).max(1);
        let mut offset = self.offset.get();
        if self.cursor < offset {
            offset = if offset - self.cursor == 1 {
                self.cursor.saturating_sub(jump - 1)
            } else {
                self.cursor
            };
        } else if self.cursor >= offset + h {
            offset = if self.cursor - (offset + h) == 0 {
                self.cursor + jump - h
            } else {
                self.cursor + 1 - h
            };
        }
        // At the end of the list, never scroll past its last row.
        if self.end {
            offset = offset.min(self.known_rows().saturating_sub(h));
        }
        self.offset.set(offset);
    }

    pub fn move_to(&mut self, index: usize, out: &mut Vec<PageRequest>) {
        self.seeking_end = false;
        let total = self.known_rows();
        self.cursor = index.min(total.saturating_sub(1));
        self.scroll_into_view();
        self.ensure(out);
    }

    fn move_by(&mut self, delta: isize, out: &mut Vec<PageRequest>) {
        let to = self.cursor.saturating_add_signed(delta);
        self.move_to(to, out);
    }

    /// Navigation, sorting, filtering and selection; false for other actions.
    pub fn handle_action(&mut self, action: Action, out: &mut Vec<PageRequest>) -> bool {
        let page = self.height.get().max(2) as isize - 1;
        match action {
            Action::Up => self.move_by(-1, out),
            Action::Down => self.move_by(1, out),
            Action::PageUp => self.move_by(-page, out),
            Action::PageDown => self.move_by(page, out),
            Action::Top => self.move_to(0, out),
            Action::Bottom => {
                self.move_to(usize::MAX, out);
                if !self.end {
                    self.seeking_end = true;
                }
            }
            Action::ToggleSelect => {
                if let Some((id, label)) = self.current().map(|r| (r.id(), r.label())) {
                    if self.selected.remove(&id).is_none() {
                        self.selected.insert(id, label);
                    }
                    self.move_by(1, out);
                }
            }
            Action::SortNext => {
                let keys: Vec<&'static str> = self.columns.iter().filter_map(|c| c.sort).collect();
                if keys.is_empty() {
                    return false;
                }
                let at = self.query.sort.and_then(|s| keys.iter().position(|k| *k == s));
                self.query.sort = Some(keys[at.map_or(0, |i| (i + 1) % keys.len())]);
                self.query.desc = false;
                self.reload(out);
            }
            Action::SortReverse if self.query.sort.is_some() => {
                self.query.desc = !self.query.desc;
                self.reload(out);
            }
            Action::Filter if !self.filters.is_empty() => {
                self.query.filter = match self.query.filter {
                    None => Some(0),
                    Some(i) if i + 1 < self.filters.len() => Some(i + 1),
                    Some(_) => None,
                };
                self.reload(out);
            }
            _ => return false,
        }
        true
    }

    // --- selection

    pub fn selected(&self) -> &BTreeMap<R::Id, String> {
        &self.selected
    }

    pub fn clear_selection(&mut self) -> bool {
        let had = !self.selected.is_empty();
        self.selected.clear();
        had
    }

    /// What an action applies to: the selection, else the row under the cursor.
    pub fn targets(&self) -> Vec<(R::Id, String)> {
        if self.selected.is_empty() {
            self.current().map(|r| vec![(r.id(), r.label())]).unwrap_or_default()
        } else {
            self.selected.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        }
    }

    /// A row changed on the server: show it as it is now, wherever it is held.
    pub fn update_row(&mut self, row: R) {
        let id = row.id();
        if let Some(label) = self.selected.get_mut(&id) {
            *label = row.label();
        }
        let mut row = Some(row);
        for slot in &mut self.slots {
            if let Rows::Loaded(rows) = &mut slot.rows
                && let Some(r) = rows.iter_mut().find(|r| r.id() == id)
            {
                *r = row.take().expect("one row per id");
                return;
            }
        }
    }

    /// Rows deleted on the server leave the table and the selection.
    pub fn remove_rows(&mut self, ids: &[R::Id]) {
        for slot in &mut self.slots {
            if let Rows::Loaded(rows) = &mut slot.rows {
                rows.retain(|r| !ids.contains(&r.id()));
                slot.len = Some(rows.len());
            }
        }
        for id in ids {
            self.selected.remove(id);
        }
        self.recount();
        self.scroll_into_view();
    }
}

#[cfg(test)]
mod tests;
