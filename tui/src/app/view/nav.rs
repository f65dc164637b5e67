//! Drawing where you are and where you can go: the header ("Users & access › Users", or "Security › IP
//! restrictions"), the list of areas, the `:` prompt with its matches, the go key's prompt, and the
//! message of a terminal too small.

use ratatui::{
    Frame,
    layout::{Alignment, Position, Rect},
    style::Style,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use super::{App, MIN_HEIGHT, MIN_WIDTH};
use crate::{
    app::JumpPrompt,
    keymap::Action,
    nav::{self, Group},
    tabs::groups::picker::marked,
};

/// The most matches the `:` prompt lists at once (it scrolls to the highlighted one).
const JUMP_ROWS: u16 = 8;

fn width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

impl App {
    /// The header: the group, the area (highlighted) and its section; then, as room allows, the keys
    /// that go elsewhere and the organization's name. The name goes before anything else: the keys give
    /// way first, then the group and the section (the area's title and the tab's own section bar still
    /// say where you are); only a name too long even then is cut.
    pub(super) fn render_header(&self, frame: &mut Frame, area: Rect) {
        let theme = &self.theme;
        let tab = self.active_tab();
        let mut left = vec![Span::raw(" ")];
        let org_width = self.me.as_ref().map_or(0, |me| me.org.name.chars().count() + 1);
        // Room left of the name with the whole crumb: the name alone decides whether its parts stay.
        let crumb = |parts: usize| (area.width as usize).saturating_sub(parts + 2) >= org_width;
        let group = self
            .area(self.active)
            .map(|a| a.group.title())
            .filter(|g| *g != tab.title());
        let dirty = if tab.is_dirty() { "*" } else { "" };
        let title = format!(" {}{dirty} ", tab.title());
        let section_width = tab.section().map_or(0, |s| s.chars().count() + 3);
        let group_width = group.map_or(0, |g| g.chars().count() + 3);
        let keep_group = crumb(1 + group_width + title.chars().count() + section_width);
        if let Some(group) = group.filter(|_| keep_group) {
            left.push(Span::styled(format!("{group} › "), theme.muted));
        }
        left.push(Span::styled(title, theme.tab_active));
        if let Some(section) = tab
            .section()
            .filter(|_| keep_group || crumb(width(&left) + section_width))
        {
            left.push(Span::styled(" › ", theme.muted));
            left.push(Span::styled(section, theme.title));
        }
        let mut hints = Vec::new();
        for (key, label) in self
            .keymap
            .hints(&[Action::ToggleSidebar, Action::GoTo, Action::JumpToTab])
        {
            hints.push(Span::styled(key, theme.key));
            hints.push(Span::styled(format!(" {label}  "), theme.muted));
        }
        let org = self
            .me
            .as_ref()
            .map(|me| format!("{} ", me.org.name))
            .unwrap_or_default();
        let room = (area.width as usize).saturating_sub(width(&left) + 2);
        let org_width = org.chars().count();
        let mut right = Vec::new();
        if width(&hints) + org_width <= room {
            right = hints;
        }
        let org_room = room.saturating_sub(width(&right));
        // A name too long for what is left is cut with an ellipsis, if enough of it stays to read.
        if org_width <= org_room {
            right.push(Span::styled(org, theme.title));
        } else if org_room > 8 {
            right.push(Span::styled(
                format!("{} ", cut(org.trim_end(), org_room - 1)),
                theme.title,
            ));
        }
        let pad = (area.width as usize).saturating_sub(width(&left) + width(&right));
        left.push(Span::raw(" ".repeat(pad)));
        left.extend(right);
        frame.render_widget(Paragraph::new(Line::from(left)), area);
    }

    /// The list of areas as lines `room` wide at most (a long group name takes two), with the index of
    /// the line to keep in sight. Over the tab, `>` and reverse video mark the highlighted area and `•`
    /// the current one; beside it, `>` and reverse video mark the current one.
    fn sidebar_lines(&self, room: usize, cursor: Option<usize>) -> (Vec<(String, Style)>, usize) {
        let theme = &self.theme;
        let mut lines = Vec::new();
        let mut focus = 0;
        let marked = cursor.unwrap_or(self.active);
        for (group, tabs) in self.sidebar_groups() {
            let heading = format!(" {}", group.map_or("More", Group::title));
            match heading
                .char_indices()
                .rev()
                .find(|(i, c)| *c == ' ' && *i > 1 && *i < room)
            {
                Some((at, _)) if heading.chars().count() > room => {
                    lines.push((heading[..at].to_owned(), theme.title));
                    lines.push((format!("  {}", &heading[at + 1..]), theme.title));
                }
                _ => lines.push((heading, theme.title)),
            }
            for i in tabs {
                let key = match self.area(i) {
                    Some(a) => a.key,
                    None => char::from_digit(i as u32 + 1, 10).unwrap_or(' '),
                };
                let dirty = if self.tabs[i].is_dirty() { "*" } else { "" };
                let title = self.tabs[i].title();
                if i == marked {
                    focus = lines.len();
                    lines.push((format!(" > {key} {title}{dirty}"), theme.selected));
                } else if i == self.active {
                    lines.push((format!(" • {key} {title}{dirty}"), theme.label));
                } else {
                    lines.push((format!("   {key} {title}{dirty}"), theme.base));
                }
            }
        }
        (lines, focus)
    }

    /// Room for the list of areas: its longest line (a long group name takes two lines), its border.
    pub(crate) fn sidebar_width(&self) -> u16 {
        let (lines, _) = self.sidebar_lines(usize::MAX, None);
        let longest = lines.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0);
        (longest as u16 + 2).clamp(18, 32)
    }

    /// The list of every area, grouped, each with the key that opens it after the go key: beside the tab
    /// when there is room for both, else over it (see [`App::sidebar_is_drawer`]).
    pub(super) fn render_sidebar(&self, frame: &mut Frame, area: Rect, over: bool) {
        let theme = &self.theme;
        let cursor = (over && self.sidebar).then_some(self.sidebar_cursor);
        let room = area.width.saturating_sub(2) as usize;
        let (lines, focus) = self.sidebar_lines(room, cursor);
        // Over the tab, a box, when the box leaves room for every line.
        let block = if over && lines.len() + 2 <= area.height as usize {
            frame.render_widget(Clear, area);
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border_focus)
                .title(Span::styled(" Areas ", theme.title))
        } else {
            frame.render_widget(Clear, area);
            Block::default().borders(Borders::RIGHT).border_style(theme.border)
        };
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let room = inner.width as usize;
        let skip = (focus + 1).saturating_sub(inner.height as usize);
        let lines: Vec<Line> = lines
            .into_iter()
            .skip(skip)
            .map(|(text, style)| {
                let text = cut(&text, room);
                let pad = room.saturating_sub(text.chars().count());
                Line::from(Span::styled(format!("{text}{}", " ".repeat(pad)), style))
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), inner);
    }

    /// The `:` prompt on the footer line, its matches listed above it (best first, the highlighted one
    /// marked `>`).
    pub(super) fn render_jump(&self, frame: &mut Frame, body: Rect, footer: Rect, prompt: &JumpPrompt) {
        let theme = &self.theme;
        let list = self.jump_list();
        let (hint, style) = if let Some(name) = &prompt.unknown {
            (format!("no area or section is called “{name}”"), theme.error)
        } else if let Some((_, what)) = App::jump_command(prompt.value()) {
            (format!("→ {what}"), theme.muted)
        } else if list.is_empty() {
            ("no area or section by that name".to_owned(), theme.error)
        } else if prompt.value().trim().is_empty() && !list.is_empty() && prompt.selected == 0 {
            ("type a name".to_owned(), theme.muted)
        } else {
            (
                format!("→ {}", list[prompt.selected.min(list.len() - 1)].crumb),
                theme.muted,
            )
        };
        let mut spans = vec![
            Span::styled(":", theme.key),
            Span::raw(prompt.value().to_owned()),
            Span::raw("  "),
            Span::styled(hint, style),
        ];
        let help = "  tab completes, ↑↓ choose, enter goes, esc";
        if width(&spans) + help.chars().count() <= footer.width as usize {
            spans.push(Span::styled(help, theme.muted));
        }
        let line = Line::from(spans);
        frame.render_widget(Paragraph::new(line), footer);
        frame.set_cursor_position(Position::new(
            footer.x + 1 + prompt.input.visual_cursor() as u16,
            footer.y,
        ));

        let rows = (list.len() as u16).min(JUMP_ROWS).min(body.height.saturating_sub(2));
        if rows == 0 {
            return;
        }
        let crumb_width = list.iter().map(|e| e.crumb.chars().count()).max().unwrap_or(0);
        let short_width = list.iter().map(|e| e.short.chars().count()).max().unwrap_or(0);
        let inner_width = (crumb_width + short_width + 6) as u16;
        let rect = Rect::new(
            body.x,
            body.bottom() - rows - 2,
            (inner_width + 2).min(body.width),
            rows + 2,
        );
        let selected = prompt.selected.min(list.len() - 1);
        let skip = (selected + 1).saturating_sub(rows as usize);
        let marks = nav::marks(&list, prompt.value());
        let lines: Vec<Line> = list
            .iter()
            .zip(marks)
            .enumerate()
            .skip(skip)
            .take(rows as usize)
            .map(|(i, (e, marks))| {
                let style = if i == selected { theme.selected } else { theme.base };
                // The crumb ends with the title ("Security › IP restrictions"): its letters typed are marked.
                let (area, title, title_marks) = match e.crumb.strip_suffix(e.name.as_str()) {
                    Some(area) => (area, e.name.as_str(), marks.name),
                    None => (e.crumb.as_str(), "", Vec::new()),
                };
                let mut spans = vec![Span::styled(
                    format!("{} {area}", if i == selected { ">" } else { " " }),
                    style,
                )];
                spans.extend(marked(title, &title_marks, style));
                let pad = crumb_width - e.crumb.chars().count();
                spans.push(Span::styled(format!("{}  :", " ".repeat(pad)), style));
                spans.extend(marked(&e.short, &marks.short, style));
                let pad = short_width - e.short.chars().count();
                spans.push(Span::styled(format!("{} ", " ".repeat(pad)), style));
                Line::from(spans)
            })
            .collect();
        let title = format!(" {} of {} ", list.len(), self.nav_entries().len());
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(title, theme.title));
        frame.render_widget(Clear, rect);
        frame.render_widget(Paragraph::new(lines).block(block), rect);
    }

    /// After the go key: what the next key does.
    pub(super) fn render_go(&self, frame: &mut Frame, footer: Rect) {
        let theme = &self.theme;
        let go = self.keymap.keys_label(Action::GoTo);
        let line = Line::from(vec![
            Span::styled(format!(" {go} "), theme.key),
            Span::styled(
                "go to: press the area's key from the list (or its digit); esc cancels",
                theme.muted,
            ),
        ]);
        frame.render_widget(Paragraph::new(line), footer);
    }

    /// All that is drawn below the smallest size: what is needed, what there is.
    pub(super) fn render_too_small(&self, frame: &mut Frame, area: Rect) {
        let theme = &self.theme;
        let lines = vec![
            Line::from(Span::styled(
                format!(
                    "Terminal too small: {MIN_WIDTH}x{MIN_HEIGHT} needed, this is {}x{}.",
                    area.width, area.height
                ),
                theme.title,
            )),
            Line::from(Span::styled("Enlarge the window to continue.", theme.muted)),
        ];
        let top = (area.height / 2).saturating_sub(1);
        let rect = Rect::new(area.x, area.y + top, area.width, area.height - top);
        frame.render_widget(
            Paragraph::new(lines)
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            rect,
        );
    }
}
