//! Drawing the API keys tab: whose keys these are and whether keys may be emailed, a refusal in place,
//! the table, the cursor key's details, and the prompt or new key over them.

use orgdeck_shared::api_keys::ApiKeyInfo;
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Paragraph, Wrap},
};

use super::{ApiKeysTab, Mode};
use crate::{tabs::TabCtx, widgets::Column};

pub fn columns() -> Vec<Column> {
    vec![
        Column::flex("Holder", 16).priority(9),
        Column::fixed("Key", 9).priority(8),
        Column::fixed("Created", 16).priority(3),
        Column::fixed("Rotated", 16).priority(5),
        Column::fixed("Last used", 16).priority(7),
        Column::fixed("Old key until", 16).priority(6),
    ]
}

/// Whether the key was ever rotated: a new key's `rotated_at` is its `created_at`.
fn rotated(key: &ApiKeyInfo) -> bool {
    key.rotated_at != key.created_at
}

fn cells(tab: &ApiKeysTab, key: &ApiKeyInfo, ctx: &TabCtx) -> Vec<String> {
    let holder = if tab.is_mine(key) {
        format!("{} (you)", key.holder.email)
    } else {
        key.holder.email.clone()
    };
    vec![
        holder,
        key.prefix.clone(),
        ctx.dates.datetime(key.created_at),
        if rotated(key) {
            ctx.dates.datetime(key.rotated_at)
        } else {
            "never".to_owned()
        },
        key.last_used_at
            .map_or_else(|| "never".to_owned(), |t| ctx.dates.datetime(t)),
        key.previous_valid_until
            .map_or_else(|| "-".to_owned(), |t| ctx.dates.datetime(t)),
    ]
}

/// The line above the table: whose keys, and whether they may be emailed.
fn heading(tab: &ApiKeysTab) -> String {
    let scope = if tab.is_admin() {
        "Every personal key of the organization"
    } else {
        "Your personal API key: it acts as you, with your role"
    };
    match &tab.settings {
        Some(s) if s.value.email_keys => format!("{scope} · emailing keys: allowed"),
        Some(_) => format!("{scope} · emailing keys: forbidden"),
        None => scope.to_owned(),
    }
}

/// The cursor key in full, as lines `room` wide: what the narrow table leaves out. The replaced key's end
/// comes first (it runs out soon); each part stays whole on its line, so no date is split or cut.
fn details(key: &ApiKeyInfo, ctx: &TabCtx, room: usize) -> Vec<String> {
    let mut parts = vec![format!("{} of {}", key.prefix, key.holder.email)];
    if let Some(end) = key.previous_valid_until {
        parts.push(format!("old key works until {}", ctx.dates.datetime(end)));
    }
    let used = key
        .last_used_at
        .map_or_else(|| "never".to_owned(), |t| ctx.dates.datetime(t));
    parts.push(format!("last used {used}"));
    if rotated(key) {
        parts.push(format!("rotated {}", ctx.dates.datetime(key.rotated_at)));
    }
    parts.push(format!("created {}", ctx.dates.datetime(key.created_at)));
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 3 + part.chars().count() <= room => {
                line.push_str(" · ");
                line.push_str(&part);
            }
            _ => lines.extend(crate::widgets::wrap(&part, room)),
        }
    }
    lines
}

pub fn render(tab: &ApiKeysTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let notice_rows = u16::from(tab.notice.is_some());
    let room = area.width.saturating_sub(2) as usize;
    let below: Vec<Line> = match tab.table.current() {
        Some(k) => details(k, ctx, room).into_iter().map(Line::from).collect(),
        None if tab.table.known_rows() == 0 && tab.table.at_end() && !tab.is_admin() => vec![Line::from(Span::styled(
            "You have no API key yet: a makes one (shown once).",
            theme.muted,
        ))],
        None => Vec::new(),
    };
    let [head, notice, table, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(notice_rows),
        Constraint::Min(5),
        Constraint::Length((below.len() as u16).clamp(2, 4)),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(Span::styled(format!(" {}", heading(tab)), theme.muted)),
        head,
    );
    if let Some(text) = &tab.notice {
        frame.render_widget(Paragraph::new(Span::styled(format!(" ! {text}"), theme.error)), notice);
    }
    let cell = |k: &ApiKeyInfo| cells(tab, k, ctx);
    tab.table.render(frame, table, theme, "API keys", &cell);
    let room = Rect::new(detail.x + 1, detail.y, detail.width.saturating_sub(2), detail.height);
    frame.render_widget(Paragraph::new(below).wrap(Wrap { trim: true }), room);
    match &tab.mode {
        Mode::Browse => {}
        Mode::Grace { prompt, .. } => prompt.render(frame, area, theme),
        Mode::Holder { prompt, looking_up } => {
            prompt.render(frame, area, theme);
            if looking_up.is_some() {
                let line = Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1);
                frame.render_widget(Paragraph::new(Span::styled(" Looking the user up…", theme.muted)), line);
            }
        }
        Mode::NewKey(reveal) => reveal.render(frame, area, theme),
    }
}
