//! Drawing the Audit tab: the range line, the table, and the detail or prompt over it.

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::Paragraph,
};

use super::{AuditTab, Mode};
use crate::tabs::TabCtx;

pub fn render(tab: &AuditTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    if area.height < 4 {
        return;
    }
    let day = |t: Option<jiff::Timestamp>, end: bool| match t {
        None => "…".to_owned(),
        Some(t) if end => ctx
            .dates
            .day(t.checked_sub(jiff::SignedDuration::from_secs(1)).unwrap_or(t)),
        Some(t) => ctx.dates.day(t),
    };
    let mut spans = vec![Span::styled(" Dates ", theme.label)];
    if tab.from.is_none() && tab.to.is_none() {
        spans.push(Span::styled("all (D sets a range)", theme.muted));
    } else {
        spans.push(Span::styled(
            format!("{} – {}", day(tab.from, false), day(tab.to, true)),
            theme.value,
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let table_area = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    let dates = ctx.dates;
    tab.table.render(frame, table_area, theme, "Audit log", &|e| {
        vec![
            dates.datetime(e.at),
            e.actor.to_string(),
            e.action.clone(),
            e.target.to_string(),
            e.ip.clone().unwrap_or_default(),
            e.summary.clone(),
        ]
    });
    match &tab.mode {
        Mode::Browse => {}
        Mode::Detail(report) => report.render(frame, area, theme),
        Mode::Dates(prompt) | Mode::Export(prompt) => prompt.render(frame, area, theme),
    }
}
