//! The table against a fake list of numbered rows.

use super::*;
use crate::keymap::Action;
use orgdeck_shared::Page;

#[derive(Debug, Clone, PartialEq)]
struct N(usize);
impl TableRow for N {
    type Id = usize;
    fn id(&self) -> usize {
        self.0
    }
    fn label(&self) -> String {
        format!("row {}", self.0)
    }
}

/// Serves pages of `0..total` like the server: the cursor is the last index of the page before.
fn serve(req: &PageRequest, total: usize) -> Page<N> {
    let from = req.cursor.as_ref().map_or(0, |c| c.parse::<usize>().unwrap() + 1);
    let to = (from + req.limit as usize).min(total);
    Page {
        items: (from..to).map(N).collect(),
        next_cursor: (to < total).then(|| (to - 1).to_string()),
    }
}

fn pump(t: &mut Table<N>, mut out: Vec<PageRequest>, total: usize) {
    while let Some(req) = out.pop() {
        let mut more = Vec::new();
        t.page_arrived(&req, Ok(serve(&req, total)), &mut more);
        out.extend(more);
    }
}

fn table() -> Table<N> {
    Table::new(vec![Column::flex("N", 5).sort("n")], 100)
}

#[test]
fn scrolling_asks_for_the_next_page_and_memory_stays_bounded() {
    let mut t = table();
    let mut out = Vec::new();
    t.reload(&mut out);
    assert_eq!(out.len(), 1);
    pump(&mut t, out, 100_000);
    assert_eq!(t.known_rows(), 100);
    let mut asked = 0;
    for _ in 0..5_000 {
        let mut out = Vec::new();
        t.handle_action(Action::Down, &mut out);
        asked += out.len();
        pump(&mut t, out, 100_000);
        assert!(t.held_rows() <= 600, "held {}", t.held_rows());
    }
    assert_eq!(t.cursor(), 5_000);
    assert_eq!(t.current(), Some(&N(5_000)));
    assert!(asked >= 49, "pages were asked for as the cursor went: {asked}");
    // Back to the top: forgotten pages are asked for again with their cursors.
    let mut out = Vec::new();
    t.handle_action(Action::Top, &mut out);
    assert!(!out.is_empty());
    pump(&mut t, out, 100_000);
    assert_eq!(t.current(), Some(&N(0)));
}

#[test]
fn the_end_key_follows_pages_to_the_end() {
    let mut t = table();
    let mut out = Vec::new();
    t.reload(&mut out);
    pump(&mut t, out, 2_345);
    let mut out = Vec::new();
    t.handle_action(Action::Bottom, &mut out);
    pump(&mut t, out, 2_345);
    assert!(t.at_end());
    assert_eq!(t.current(), Some(&N(2_344)));
    assert!(t.held_rows() <= 1_500);
}

#[test]
fn fit_cuts_with_an_ellipsis() {
    assert_eq!(fit("abcdef", 4), "abc…");
    assert_eq!(fit("abc", 4), "abc");
}
