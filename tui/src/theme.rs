//! Colors in three variants: 256-color (default), 16-color, and monochrome when `NO_COLOR` is set.
//! Focus and selection are always shown by reverse video or a `>` marker too, never by color alone.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeKind {
    Color256,
    Color16,
    Mono,
}

impl ThemeKind {
    /// The theme to use: monochrome whenever `NO_COLOR` is non-empty, else the configured choice
    /// (`256`, `16`, `mono`), else 256 colors when the terminal says it has them.
    pub fn detect(configured: Option<&str>, no_color: Option<&str>, term: Option<&str>) -> ThemeKind {
        if no_color.is_some_and(|v| !v.is_empty()) {
            return ThemeKind::Mono;
        }
        match configured.map(str::to_ascii_lowercase).as_deref() {
            Some("256") | Some("256color") => ThemeKind::Color256,
            Some("16") | Some("16color") => ThemeKind::Color16,
            Some("mono") | Some("monochrome") | Some("none") => ThemeKind::Mono,
            _ => match term {
                Some(t) if t.contains("256") || t.contains("direct") => ThemeKind::Color256,
                Some("dumb") => ThemeKind::Mono,
                _ => ThemeKind::Color16,
            },
        }
    }

    pub fn from_env(configured: Option<&str>) -> ThemeKind {
        let no_color = std::env::var("NO_COLOR").ok();
        let term = std::env::var("TERM").ok();
        ThemeKind::detect(configured, no_color.as_deref(), term.as_deref())
    }
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub kind: ThemeKind,
    pub base: Style,
    pub muted: Style,
    pub title: Style,
    pub border: Style,
    pub border_focus: Style,
    pub tab: Style,
    pub tab_active: Style,
    /// The focused row or choice: always reverse video.
    pub selected: Style,
    /// The cursor row of a table: reverse video alone, the fewest bytes to move it (figure T3).
    pub cursor_row: Style,
    pub label: Style,
    pub value: Style,
    pub editing: Style,
    pub error: Style,
    pub warning: Style,
    pub ok: Style,
    pub key: Style,
    pub bar_used: Style,
    pub bar_free: Style,
    pub status: Style,
}

impl Theme {
    pub fn new(kind: ThemeKind) -> Theme {
        match kind {
            ThemeKind::Mono => Theme::mono(),
            ThemeKind::Color16 => Theme::colored(
                kind,
                Color::Cyan,
                Color::Yellow,
                Color::Red,
                Color::Green,
                Color::DarkGray,
            ),
            ThemeKind::Color256 => Theme::colored(
                kind,
                Color::Indexed(39),
                Color::Indexed(214),
                Color::Indexed(203),
                Color::Indexed(114),
                Color::Indexed(244),
            ),
        }
    }

    fn colored(kind: ThemeKind, accent: Color, warn: Color, err: Color, ok: Color, dim: Color) -> Theme {
        let bold = Modifier::BOLD;
        Theme {
            kind,
            base: Style::default(),
            muted: Style::default().fg(dim),
            title: Style::default().fg(accent).add_modifier(bold),
            border: Style::default().fg(dim),
            border_focus: Style::default().fg(accent),
            tab: Style::default(),
            tab_active: Style::default().fg(accent).add_modifier(bold | Modifier::REVERSED),
            selected: Style::default().fg(accent).add_modifier(Modifier::REVERSED),
            cursor_row: Style::default().add_modifier(Modifier::REVERSED),
            label: Style::default().add_modifier(bold),
            value: Style::default(),
            editing: Style::default().add_modifier(Modifier::UNDERLINED),
            error: Style::default().fg(err).add_modifier(bold),
            warning: Style::default().fg(warn).add_modifier(bold),
            ok: Style::default().fg(ok),
            key: Style::default().fg(accent).add_modifier(bold),
            bar_used: Style::default().fg(accent),
            bar_free: Style::default().fg(dim),
            status: Style::default().add_modifier(Modifier::REVERSED),
        }
    }

    fn mono() -> Theme {
        let s = Style::default();
        Theme {
            kind: ThemeKind::Mono,
            base: s,
            muted: s.add_modifier(Modifier::DIM),
            title: s.add_modifier(Modifier::BOLD),
            border: s,
            border_focus: s.add_modifier(Modifier::BOLD),
            tab: s,
            tab_active: s.add_modifier(Modifier::REVERSED | Modifier::BOLD),
            selected: s.add_modifier(Modifier::REVERSED),
            cursor_row: s.add_modifier(Modifier::REVERSED),
            label: s.add_modifier(Modifier::BOLD),
            value: s,
            editing: s.add_modifier(Modifier::UNDERLINED),
            error: s.add_modifier(Modifier::BOLD),
            warning: s.add_modifier(Modifier::BOLD),
            ok: s,
            key: s.add_modifier(Modifier::BOLD),
            bar_used: s,
            bar_free: s.add_modifier(Modifier::DIM),
            status: s.add_modifier(Modifier::REVERSED),
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::new(ThemeKind::Color256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins_over_everything_when_non_empty() {
        assert_eq!(
            ThemeKind::detect(Some("256"), Some("1"), Some("xterm-256color")),
            ThemeKind::Mono
        );
        assert_eq!(
            ThemeKind::detect(None, Some(""), Some("xterm-256color")),
            ThemeKind::Color256
        );
        assert_eq!(
            ThemeKind::detect(Some("16"), None, Some("xterm-256color")),
            ThemeKind::Color16
        );
        assert_eq!(ThemeKind::detect(None, None, Some("screen")), ThemeKind::Color16);
    }

    #[test]
    fn selection_is_reverse_video_in_every_theme() {
        for kind in [ThemeKind::Color256, ThemeKind::Color16, ThemeKind::Mono] {
            assert!(Theme::new(kind).selected.add_modifier.contains(Modifier::REVERSED));
            assert!(Theme::new(kind).cursor_row.add_modifier.contains(Modifier::REVERSED));
        }
    }
}
