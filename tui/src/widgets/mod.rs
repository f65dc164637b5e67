//! Generic pieces the tabs are built from.

pub mod dialog;
pub mod form;
pub mod help;
pub mod merge;
pub mod overlay;
pub mod qr;
pub mod status;
pub mod table;

pub use dialog::{Dialog, DialogOutcome};
pub use form::{FieldKind, FieldSpec, FieldValue, Form, FormEvent};
pub use help::Help;
pub use overlay::{Prompt, Report};
pub use status::{Connection, LogEntry, StatusLine, Toast, ToastLevel};
pub use table::{Column, PageRequest, SearchEvent, Table, TableQuery, TableRow};

use ratatui::text::Span;

/// Greedy word wrap to `width` characters (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = if line.is_empty() {
            word.chars().count()
        } else {
            line.chars().count() + 1 + word.chars().count()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// What marks a side of [`window`] with more left out.
const MORE: &str = "…";

/// `spans` cut to `width` columns around the span at `keep` (a multi-choice's option under the cursor,
/// which must stay in sight however many options there are), starting as far left as that allows; a side
/// with spans left out shows `…`. Spans that fit are returned as they are.
pub fn window(spans: Vec<Span<'static>>, width: u16, keep: usize) -> Vec<Span<'static>> {
    let width = width as usize;
    let total = |r: &[Span]| r.iter().map(Span::width).sum::<usize>();
    if spans.is_empty() || total(&spans) <= width {
        return spans;
    }
    let keep = keep.min(spans.len() - 1);
    let fits = |a: usize, b: usize| {
        let marks = 2 * (usize::from(a > 0) + usize::from(b + 1 < spans.len()));
        total(&spans[a..=b]) + marks <= width
    };
    let mut first = 0;
    while first < keep && !fits(first, keep) {
        first += 1;
    }
    let mut last = keep;
    while last + 1 < spans.len() && fits(first, last + 1) {
        last += 1;
    }
    // A window does not start or end on the blank between two options.
    while first < keep && spans[first].content.trim().is_empty() {
        first += 1;
    }
    while last > keep && spans[last].content.trim().is_empty() {
        last -= 1;
    }
    let cut_right = last + 1 < spans.len();
    let mut out = Vec::new();
    if first > 0 {
        out.push(Span::raw(format!("{MORE} ")));
    }
    out.extend(spans.into_iter().skip(first).take(last + 1 - first));
    if cut_right {
        out.push(Span::raw(format!(" {MORE}")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(n: usize, focus: usize) -> (Vec<Span<'static>>, usize) {
        let mut spans = Vec::new();
        for o in 0..n {
            if o > 0 {
                spans.push(Span::raw(" "));
            }
            spans.push(Span::raw(format!("[ ] option{o}")));
        }
        (spans, focus * 2)
    }

    fn text(spans: &[Span]) -> String {
        spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_row_that_fits_is_left_alone() {
        let (spans, keep) = options(3, 2);
        assert_eq!(text(&window(spans, 80, keep)), "[ ] option0 [ ] option1 [ ] option2");
    }

    #[test]
    fn the_kept_option_is_always_in_sight_and_each_cut_side_says_so() {
        for focus in 0..8 {
            let (spans, keep) = options(8, focus);
            let shown = text(&window(spans, 40, keep));
            assert!(shown.chars().count() <= 40, "{shown}");
            assert!(shown.contains(&format!("option{focus}")), "option{focus} in {shown:?}");
            assert_eq!(shown.starts_with('…'), focus > 2, "{shown:?}");
            assert_eq!(shown.ends_with('…'), focus < 7, "{shown:?}");
        }
        let (spans, keep) = options(8, 0);
        assert_eq!(text(&window(spans, 40, keep)), "[ ] option0 [ ] option1 [ ] option2 …");
        let (spans, keep) = options(8, 7);
        assert_eq!(text(&window(spans, 40, keep)), "… [ ] option5 [ ] option6 [ ] option7");
    }
}
