//! Drawing the Groups tab: the table of groups (built-in ones marked locked), and the editor over it.

use orgdeck_shared::groups::{AppSelection, Group};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use super::{Focus, GroupEditor, GroupsTab};
use crate::{
    tabs::{TabCtx, doc::Load},
    widgets::dialog::centered,
};

pub fn cells(g: &Group) -> Vec<String> {
    vec![
        g.name.clone(),
        if g.built_in {
            "locked · built-in".into()
        } else {
            "custom".into()
        },
        super::access_summary(g),
        g.members.len().to_string(),
    ]
}

pub fn render(tab: &GroupsTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    match &tab.groups {
        Load::Failed(e) => {
            let text = format!("Could not load the groups: {} (r retries)", e.message);
            let block = Block::default().borders(Borders::ALL).border_style(theme.border);
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.error))
                    .block(block)
                    .wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        Load::NotLoaded | Load::Loading => {
            let block = Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border)
                .title(Span::styled(" Groups ", theme.title));
            frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)).block(block), area);
            return;
        }
        Load::Loaded(_) => {}
    }
    tab.table.render(frame, area, theme, "Groups", &cells);
    if let Some(ed) = &tab.editor {
        render_editor(tab, ed, frame, area, ctx);
        if let Some(p) = &ed.picker {
            p.render(frame, area, theme);
        }
    }
}

fn app_names(tab: &GroupsTab, sel: &AppSelection) -> String {
    match sel {
        AppSelection::All => "all applications".into(),
        AppSelection::Only(ids) if ids.is_empty() => "no application picked".into(),
        AppSelection::Only(ids) => {
            let names: Vec<String> = ids
                .iter()
                .map(|id| {
                    tab.apps
                        .iter()
                        .find(|a| a.id == *id)
                        .map_or_else(|| id.to_string()[..8].to_owned(), |a| a.name.clone())
                })
                .collect();
            let n = names.len();
            let shown = names.into_iter().take(3).collect::<Vec<_>>().join(", ");
            if n > 3 {
                format!("{n} apps: {shown}, …")
            } else {
                format!("{n} app{}: {shown}", if n == 1 { "" } else { "s" })
            }
        }
    }
}

fn render_editor(tab: &GroupsTab, ed: &GroupEditor, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let mut lines: Vec<Line> = Vec::new();
    let mark = |f: Focus| if ed.focus == f { "> " } else { "  " };
    let style = |f: Focus| if ed.focus == f { theme.selected } else { theme.label };
    lines.push(Line::from(Span::styled(
        "  Access rows (role on applications)",
        theme.label,
    )));
    for (i, row) in ed.rows.iter().enumerate() {
        let f = Focus::Row(i);
        lines.push(Line::from(vec![
            Span::styled(mark(f), theme.key),
            Span::styled(format!("◂ {} ▸", row.role), style(f)),
            Span::raw(format!(" on {}", app_names(tab, &row.applications))),
        ]));
        if let Some(e) = ed.error_of(&format!("app_access[{i}]")) {
            lines.push(Line::from(Span::styled(format!("    ! {e}"), theme.error)));
        }
    }
    lines.push(Line::from(vec![
        Span::styled(mark(Focus::AddRow), theme.key),
        Span::styled("+ add an access row", style(Focus::AddRow)),
    ]));
    let n = ed.members.len();
    let mut names: Vec<&str> = ed.members.iter().filter_map(|m| tab.member_label(m)).take(2).collect();
    names.sort_unstable();
    let known = if names.is_empty() {
        String::new()
    } else {
        format!(": {}", names.join(", "))
    };
    let more = if n > names.len() && !names.is_empty() {
        format!(" and {} more", n - names.len())
    } else {
        String::new()
    };
    lines.push(Line::from(vec![
        Span::styled(mark(Focus::Members), theme.key),
        Span::styled(format!("Members ({n})"), style(Focus::Members)),
        Span::raw(format!("{known}{more}")),
    ]));
    if let Some(e) = ed.error_of("members") {
        lines.push(Line::from(Span::styled(format!("    ! {e}"), theme.error)));
    }
    if ed.stale {
        lines.push(Line::from(Span::styled(
            "! Someone else changed this group. r: reload (drops your edits)",
            theme.warning,
        )));
    } else if ed.saving {
        lines.push(Line::from(Span::styled("Saving…", theme.muted)));
    }
    let width = area.width.saturating_sub(2).min(80);
    let name_height = ed.name.height(width.saturating_sub(2));
    let height = (name_height + lines.len() as u16 + 3).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let title = match &ed.original {
        None => " New group ".to_owned(),
        Some(g) => format!(" Edit group {} ", g.name),
    };
    let dirty = if ed.is_dirty() { "* modified " } else { "" };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Line::from(vec![
            Span::styled(title, theme.title),
            Span::styled(dirty, theme.warning),
        ]));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    ed.name.render(
        frame,
        Rect::new(inner.x, inner.y, inner.width, name_height.min(inner.height)),
        theme,
        ed.focus == Focus::Name,
    );
    let rest = Rect::new(
        inner.x,
        inner.y + name_height + 1,
        inner.width,
        inner.height.saturating_sub(name_height + 1),
    );
    frame.render_widget(Paragraph::new(lines), rest);
}
