//! Drawing the table: the search and position bar, the header with the sort arrow, the rows in view
//! (with the cursor and selection marked by characters and reverse video, not by color alone), and the
//! loading, error and empty rows.

use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
    widgets::{Block, Borders},
};

use super::{Column, RowState, Rows, Table, TableRow};
use crate::theme::Theme;

impl<R: TableRow> Table<R> {
    /// Widths of the columns shown at `width` (hidden ones get 0).
    fn widths(&self, width: u16) -> Vec<u16> {
        let mut shown: Vec<bool> = vec![true; self.columns.len()];
        loop {
            let cols: Vec<&Column> = self
                .columns
                .iter()
                .zip(&shown)
                .filter(|(_, s)| **s)
                .map(|(c, _)| c)
                .collect();
            let need: u16 = cols.iter().map(|c| c.width).sum::<u16>() + cols.len().saturating_sub(1) as u16;
            if need <= width || cols.len() <= 1 {
                break;
            }
            let drop = (0..self.columns.len())
                .filter(|i| shown[*i])
                .min_by_key(|i| (self.columns[*i].priority, usize::MAX - i))
                .expect("a column is shown");
            shown[drop] = false;
        }
        let cols = shown.iter().filter(|s| **s).count() as u16;
        let fixed: u16 = self
            .columns
            .iter()
            .zip(&shown)
            .filter(|(_, s)| **s)
            .map(|(c, _)| c.width)
            .sum();
        let spare = width.saturating_sub(fixed + cols.saturating_sub(1));
        let flex: Vec<usize> = (0..self.columns.len())
            .filter(|i| shown[*i] && self.columns[*i].flex)
            .collect();
        let mut widths: Vec<u16> = self
            .columns
            .iter()
            .zip(&shown)
            .map(|(c, s)| if *s { c.width } else { 0 })
            .collect();
        if !flex.is_empty() {
            let each = spare / flex.len() as u16;
            for (n, i) in flex.iter().enumerate() {
                widths[*i] += each + u16::from(n == 0) * (spare % flex.len() as u16);
            }
        }
        widths
    }

    /// Draws the table in a box titled `title`; `cells` gives a row's column texts.
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, title: &str, cells: &dyn Fn(&R) -> Vec<String>) {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(format!(" {title} "), theme.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        if inner.height < 3 || inner.width < 10 {
            return;
        }
        let rows_height = (inner.height - 2) as usize;
        self.height.set(rows_height);
        self.scroll_into_view();
        self.render_bar(frame, Rect::new(inner.x, inner.y, inner.width, 1), theme);
        // Two columns of markers: `>` the cursor, `✓` selected.
        let table_x = inner.x + 2;
        let table_width = inner.width.saturating_sub(2);
        let widths = self.widths(table_width);
        let buf = frame.buffer_mut();
        let mut x = table_x;
        for (c, w) in self.columns.iter().zip(&widths) {
            if *w == 0 {
                continue;
            }
            let mut text = c.title.to_owned();
            if c.sort.is_some() && c.sort == self.query.sort {
                text.push_str(if self.query.desc { " ▼" } else { " ▲" });
            }
            buf.set_stringn(x, inner.y + 1, fit(&text, *w), *w as usize, theme.label);
            x += w + 1;
        }
        let offset = self.offset.get();
        let total = self.known_rows();
        for i in 0..rows_height {
            let index = offset + i;
            let y = inner.y + 2 + i as u16;
            if index >= total {
                let text = if index == total && total == 0 && self.end {
                    Some((self.empty_text(), theme.muted))
                } else if index == total && !self.end {
                    Some(match self.slots.last().map(|s| &s.rows) {
                        Some(Rows::Failed(e)) => {
                            (format!("! Could not load {}: {e} (r retries)", self.noun), theme.error)
                        }
                        _ if self.seeking_end => {
                            (format!("Going to the end… {total} {} so far", self.noun), theme.muted)
                        }
                        _ => ("Loading…".to_owned(), theme.muted),
                    })
                } else {
                    None
                };
                if let Some((text, style)) = text {
                    buf.set_stringn(table_x, y, &text, table_width as usize, style);
                }
                continue;
            }
            let here = index == self.cursor;
            match self.row_state(index) {
                RowState::Row(row) => {
                    if self.selected.contains_key(&row.id()) {
                        buf.set_stringn(inner.x + 1, y, "✓", 1, theme.base);
                    }
                    let texts = cells(row);
                    let mut x = table_x;
                    for (text, w) in texts.iter().zip(&widths) {
                        if *w == 0 {
                            continue;
                        }
                        buf.set_stringn(x, y, fit(text, *w), *w as usize, theme.base);
                        x += w + 1;
                    }
                }
                RowState::Loading | RowState::Missing => {
                    buf.set_stringn(table_x, y, "…", 1, theme.muted);
                }
                RowState::Failed(e) => {
                    let text = format!("! {e} (r retries)");
                    buf.set_stringn(table_x, y, &text, table_width as usize, theme.error);
                }
            }
            if here {
                buf.set_stringn(inner.x, y, ">", 1, theme.base);
                buf.set_style(Rect::new(inner.x, y, inner.width, 1), theme.cursor_row);
            }
        }
    }

    fn empty_text(&self) -> String {
        match (self.query.q.is_empty(), self.filter_label()) {
            (true, None) => format!("No {} yet.", self.noun),
            (false, None) => format!("No {} match “{}”.", self.noun, self.query.q),
            (true, Some(f)) => format!("No {f} {}.", self.noun),
            (false, Some(f)) => format!("No {f} {} match “{}”.", self.noun, self.query.q),
        }
    }

    /// `/ search · status: active · sort: name ▲ · 3 selected · 12/5000+`.
    fn render_bar(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let mut right = Vec::new();
        if let Some(f) = self.filter_label() {
            right.push(format!("status: {f}"));
        }
        if !self.selected.is_empty() {
            right.push(format!("{} selected", self.selected.len()));
        }
        let total = self.known_rows();
        if total > 0 {
            right.push(format!(
                "{}/{}{}",
                self.cursor + 1,
                total,
                if self.end { "" } else { "+" }
            ));
        }
        let right = right.join(" · ");
        let mut spans = Vec::new();
        let editing = self.search.is_some();
        let text = self.search_text();
        if self.searchable {
            spans.push(Span::styled("/ ", theme.key));
            if text.is_empty() && !editing {
                spans.push(Span::styled("search", theme.muted));
            } else {
                spans.push(Span::styled(
                    text.to_owned(),
                    if editing { theme.editing } else { theme.value },
                ));
            }
        }
        let left_len: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        let pad = (area.width as usize).saturating_sub(left_len + right.chars().count());
        spans.push(Span::raw(" ".repeat(pad)));
        // The position changes with every move: drawn plain, it costs no style bytes.
        spans.push(Span::raw(right));
        frame.render_widget(Line::from(spans), area);
        if let Some(input) = &self.search {
            let x = area.x + 2 + input.visual_cursor() as u16;
            frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        }
    }
}

/// `text` cut to `width` characters, with `…` when cut.
pub fn fit(text: &str, width: u16) -> String {
    let width = width as usize;
    if text.chars().count() <= width {
        text.to_owned()
    } else if width == 0 {
        String::new()
    } else {
        let mut s: String = text.chars().take(width - 1).collect();
        s.push('…');
        s
    }
}
