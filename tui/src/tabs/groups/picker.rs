//! A pick-many list with fuzzy search: applications for an access row, users for a group's members.
//! The typed text ranks what is loaded with nucleo, as helix's pickers do (best match first, the matched
//! characters marked); a picker over a big list (users of a large organization) also sends the text to
//! the server as a search, debounced.

use std::{cmp::Reverse, collections::BTreeSet};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use nucleo_matcher::{
    Config, Matcher, Utf32Str,
    pattern::{AtomKind, CaseMatching, Normalization, Pattern},
};
use ratatui::{
    Frame,
    layout::{Position, Rect},
    style::{Modifier, Style},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};
use tui_input::{Input, backend::crossterm::to_input_request};
use uuid::Uuid;

use crate::{theme::Theme, widgets::dialog::centered};

/// The typed text as helix's pickers read it: each word must match on its own, its letters in order with
/// gaps allowed; smart case (an upper-case letter makes the match case-sensitive); `e` matches `é`.
/// Taken literally: no `^`, `$`, `!` or `'` operators, which nothing on screen teaches.
pub struct Fuzzy {
    pattern: Pattern,
    /// nucleo's scratch memory (about 135 KB): one per list, not one per line.
    matcher: Matcher,
    chars: Vec<char>,
}

impl Fuzzy {
    pub fn new(typed: &str) -> Fuzzy {
        Fuzzy {
            pattern: Pattern::new(typed, CaseMatching::Smart, Normalization::Smart, AtomKind::Fuzzy),
            matcher: Matcher::new(Config::DEFAULT),
            chars: Vec::new(),
        }
    }

    /// How well `text` matches, higher is better; `None` when it does not. Anything matches nothing typed.
    pub fn score(&mut self, text: &str) -> Option<u32> {
        self.pattern
            .score(Utf32Str::new(text, &mut self.chars), &mut self.matcher)
    }

    /// The matched characters of `text` (grapheme indices, ascending), to mark when it is drawn.
    pub fn marks(&mut self, text: &str) -> Vec<u32> {
        let mut marks = Vec::new();
        let haystack = Utf32Str::new(text, &mut self.chars);
        // A pattern of several words fills in the marks of each word until one fails: none then.
        if self.pattern.indices(haystack, &mut self.matcher, &mut marks).is_none() {
            return Vec::new();
        }
        marks.sort_unstable();
        marks.dedup();
        marks
    }

    /// The positions of the texts that match, best first; equal scores keep the texts' order.
    pub fn rank<'t>(&mut self, texts: impl IntoIterator<Item = &'t str>) -> Vec<usize> {
        let mut ranked: Vec<(u32, usize)> = texts
            .into_iter()
            .enumerate()
            .filter_map(|(i, text)| self.score(text).map(|score| (score, i)))
            .collect();
        ranked.sort_by_key(|&(score, i)| (Reverse(score), i));
        ranked.into_iter().map(|(_, i)| i).collect()
    }
}

/// Whether `hay` matches `needle` as the picker matches ([`Fuzzy`]). One matcher per call: for a few
/// texts (the groups table's names); a long list should share one [`Fuzzy`].
pub fn fuzzy_match(needle: &str, hay: &str) -> bool {
    Fuzzy::new(needle).score(hay).is_some()
}

/// `text` in `style`, its graphemes at `marks` ([`Fuzzy::marks`]) bold and underlined: seen without
/// color too (NO_COLOR), and over the reverse video of a selected line.
pub fn marked(text: &str, marks: &[u32], style: Style) -> Vec<Span<'static>> {
    // ratatui leaves control characters out of its graphemes, which would shift the marks: none then.
    if marks.is_empty() || text.contains(char::is_control) {
        return vec![Span::styled(text.to_owned(), style)];
    }
    let mark = style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let mut runs: Vec<(String, bool)> = Vec::new();
    let raw = Span::raw(text);
    for (i, g) in raw.styled_graphemes(Style::default()).enumerate() {
        let on = marks.binary_search(&(i as u32)).is_ok();
        match runs.last_mut() {
            Some((run, was)) if *was == on => run.push_str(g.symbol),
            _ => runs.push((g.symbol.to_owned(), on)),
        }
    }
    runs.into_iter()
        .map(|(run, on)| Span::styled(run, if on { mark } else { style }))
        .collect()
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
        self.visible_with(&mut Fuzzy::new(self.query.value()))
    }

    /// The lines shown, the items ranked by `fuzzy` (best match first, the list's order between equals).
    fn visible_with(&self, fuzzy: &mut Fuzzy) -> Vec<Option<usize>> {
        let mut v = Vec::new();
        if self.all.is_some() && self.query.value().is_empty() {
            v.push(None);
        }
        let ranked = fuzzy.rank(self.items.iter().map(|(_, text)| text.as_str()));
        v.extend(ranked.into_iter().map(Some));
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
        let mut fuzzy = Fuzzy::new(self.query.value());
        let visible = self.visible_with(&mut fuzzy);
        let rows = (inner.height - 1) as usize;
        let offset = self.cursor.saturating_sub(rows.saturating_sub(1));
        let mut lines = Vec::new();
        for (n, entry) in visible.iter().enumerate().skip(offset).take(rows) {
            let here = n == self.cursor;
            let style = if here { theme.selected } else { theme.base };
            let (checked, text, marks) = match entry {
                None => (
                    self.all == Some(true),
                    "All applications (present and future)",
                    Vec::new(),
                ),
                Some(i) => {
                    let (id, text) = &self.items[*i];
                    let marks = fuzzy.marks(text);
                    (self.chosen.contains(id) && self.all != Some(true), text.as_str(), marks)
                }
            };
            let mark = if checked { "[x]" } else { "[ ]" };
            let mut spans = vec![Span::styled(
                format!("{}{mark} ", if here { "> " } else { "  " }),
                style,
            )];
            spans.extend(marked(text, &marks, style));
            lines.push(Line::from(spans));
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
    use ratatui::{Terminal, backend::TestBackend};

    use super::*;
    use crate::theme::ThemeKind;

    fn picker(texts: &[&str], all: Option<bool>) -> Picker {
        let items = texts.iter().map(|t| (Uuid::new_v4(), t.to_string())).collect();
        Picker::new(PickerKind::Members, items, BTreeSet::new(), all)
    }

    fn typed(p: &mut Picker, text: &str) {
        for c in text.chars() {
            p.handle_key(&KeyEvent::from(KeyCode::Char(c)));
        }
    }

    /// The texts of the lines shown, in order ("*" for the all-applications line).
    fn shown(p: &Picker) -> Vec<&str> {
        p.visible()
            .into_iter()
            .map(|line| line.map_or("*", |i| p.items[i].1.as_str()))
            .collect()
    }

    #[test]
    fn fuzzy_matching_takes_each_word_as_letters_in_order() {
        assert!(fuzzy_match("anl", "Ana Lima ana@acme.test"));
        assert!(fuzzy_match("lima ana", "Ana Lima"), "words in any order");
        assert!(fuzzy_match("", "anything"));
        assert!(fuzzy_match("jose", "José Ortega"), "accents folded");
        assert!(!fuzzy_match("lan", "ana li"));
    }

    #[test]
    fn an_upper_case_letter_makes_the_match_case_sensitive() {
        assert!(fuzzy_match("ali", "ALI KHAN"), "lower case matches either case");
        assert!(fuzzy_match("ALI", "ALI KHAN"));
        assert!(!fuzzy_match("ALI", "ana lima"), "upper case matches upper case only");
        let mut p = picker(&["ana lima", "Ana Lima", "Lina Alm"], None);
        typed(&mut p, "Li");
        assert_eq!(shown(&p), ["Ana Lima", "Lina Alm"]);
    }

    #[test]
    fn a_word_start_or_an_unbroken_match_ranks_before_scattered_letters() {
        let mut p = picker(&["Marta Lindqvist", "Ali Khan", "Alina Berg"], None);
        typed(&mut p, "ali");
        // Ali and Alina tie (a word start, unbroken) and keep the list's order.
        assert_eq!(shown(&p), ["Ali Khan", "Alina Berg", "Marta Lindqvist"]);
        let mut p = picker(&["Mariano Palacio", "Magali"], None);
        typed(&mut p, "ali");
        assert_eq!(shown(&p), ["Magali", "Mariano Palacio"], "unbroken inside a word");
        let mut p = picker(&["Kalina Berg", "Bo Ali"], None);
        typed(&mut p, "ali");
        assert_eq!(
            shown(&p),
            ["Bo Ali", "Kalina Berg"],
            "a word start before an earlier match inside a word"
        );
    }

    #[test]
    fn nothing_typed_keeps_the_list_order_with_the_all_line_first() {
        let p = picker(&["zeta", "alpha", "mid"], Some(false));
        assert_eq!(shown(&p), ["*", "zeta", "alpha", "mid"]);
        let mut p = picker(&["zeta", "alpha"], Some(false));
        typed(&mut p, "a");
        assert!(!shown(&p).contains(&"*"), "typing hides the all line");
    }

    #[test]
    fn the_matched_letters_are_bold_and_underlined_without_color() {
        let mut p = picker(&["billing", "ledger"], None);
        typed(&mut p, "ldg");
        let mut terminal = Terminal::new(TestBackend::new(60, 12)).unwrap();
        let theme = Theme::new(ThemeKind::Mono);
        terminal.draw(|f| p.render(f, f.area(), &theme)).unwrap();
        let buffer = terminal.backend().buffer();
        let (x0, y) = (0..12)
            .find_map(|y| {
                let row: Vec<&str> = (0..60).map(|x| buffer[(x, y)].symbol()).collect();
                let at = row.windows(6).position(|w| w.concat() == "ledger")?;
                Some((at as u16, y))
            })
            .expect("ledger listed");
        let marked: String = (0..6)
            .filter(|dx| {
                let m = buffer[(x0 + dx, y)].modifier;
                m.contains(Modifier::BOLD | Modifier::UNDERLINED)
            })
            .map(|dx| buffer[(x0 + dx, y)].symbol().to_owned())
            .collect();
        assert_eq!(marked, "ldg");
        assert!(
            buffer[(x0, y)].modifier.contains(Modifier::REVERSED),
            "the cursor line stays reversed"
        );
    }

    #[test]
    fn marks_fall_on_whole_characters_of_any_width() {
        let spans = marked("Zoë 山田", &Fuzzy::new("山").marks("Zoë 山田"), Style::default());
        let texts: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, ["Zoë ", "山", "田"]);
        assert!(spans[1].style.add_modifier.contains(Modifier::UNDERLINED));
    }
}
