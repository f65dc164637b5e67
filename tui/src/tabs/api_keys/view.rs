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
        ctx.dates.datetime(key.rotated_at),
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

/// The cursor key in full: what the narrow table leaves out.
fn details(key: &ApiKeyInfo, ctx: &TabCtx) -> String {
    let mut text = format!(
        "{} of {} · created {} · rotated {} · last used {}",
        key.prefix,
        key.holder.email,
        ctx.dates.datetime(key.created_at),
        ctx.dates.datetime(key.rotated_at),
        key.last_used_at
            .map_or_else(|| "never".to_owned(), |t| ctx.dates.datetime(t)),
    );
    if let Some(end) = key.previous_valid_until {
        text.push_str(&format!(" · the replaced key works until {}", ctx.dates.datetime(end)));
    }
    text
}

pub fn render(tab: &ApiKeysTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let notice_rows = u16::from(tab.notice.is_some());
    let [head, notice, table, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(notice_rows),
        Constraint::Min(5),
        Constraint::Length(2),
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
    let below = match tab.table.current() {
        Some(k) => Line::from(Span::raw(details(k, ctx))),
        None if tab.table.known_rows() == 0 && tab.table.at_end() && !tab.is_admin() => Line::from(Span::styled(
            "You have no API key yet: a makes one (shown once).",
            theme.muted,
        )),
        None => Line::from(""),
    };
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
