//! Drawing the General tab: the organization form beside (or above, when narrow) the license summary.

use orgdeck_shared::licensing::{LicenseKind, LicensePool, LicenseSummary};
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};

use super::{GeneralTab, Load};
use crate::{tabs::TabCtx, theme::Theme};

pub fn render(tab: &GeneralTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    if let Some(merge) = &tab.state.merge {
        merge.render(frame, area, ctx.theme);
        return;
    }
    let (org_area, license_area) = if area.width >= 110 {
        let [a, b] = Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(area);
        (a, b)
    } else {
        let wanted = 3 + tab.form.height(area.width.saturating_sub(3)) + u16::from(tab.state.banner().is_some());
        let org = wanted.min(area.height.saturating_sub(5)).max(area.height.min(6));
        let [a, b] = Layout::vertical([Constraint::Length(org), Constraint::Min(0)]).areas(area);
        (a, b)
    };
    render_org(tab, frame, org_area, ctx);
    render_licenses(&tab.licenses, frame, license_area, ctx);
}

fn block<'a>(title: &'a str, extra: Option<Span<'a>>, theme: &Theme) -> Block<'a> {
    let mut spans = vec![Span::styled(format!(" {title} "), theme.title)];
    if let Some(extra) = extra {
        spans.push(extra);
    }
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(spans))
}

fn render_org(tab: &GeneralTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let dirty = crate::tabs::Tab::is_dirty(tab);
    let extra = dirty.then(|| Span::styled("* modified ", theme.warning));
    let block = block("Organization", extra, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let settings = match tab.settings() {
        Load::Loaded(v) => v,
        Load::NotLoaded | Load::Loading => {
            frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
            return;
        }
        Load::Failed(e) => {
            let text = if e.code == orgdeck_shared::ErrorCode::Forbidden {
                "Only organization admins can see these settings.".to_owned()
            } else {
                format!("Could not load the settings: {} (r retries)", e.message)
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.error)).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
    };
    let s = &settings.value;
    let info = Line::from(vec![
        Span::styled("ID ", theme.muted),
        Span::raw(s.id.to_string()),
        Span::styled("  Created ", theme.muted),
        Span::raw(ctx.dates.datetime(s.created_at)),
    ]);
    frame.render_widget(
        Paragraph::new(info),
        Rect::new(inner.x + 3, inner.y, inner.width.saturating_sub(3), 1),
    );
    let mut form_area = Rect::new(
        inner.x + 1,
        inner.y + 1,
        inner.width.saturating_sub(1),
        inner.height.saturating_sub(1),
    );
    if let Some(text) = tab.state.banner()
        && form_area.height > 1
    {
        let y = form_area.bottom() - 1;
        let style = if tab.state.stale { theme.warning } else { theme.muted };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)),
            Rect::new(inner.x + 3, y, inner.width.saturating_sub(3), 1),
        );
        form_area.height -= 1;
    }
    tab.form.render(frame, form_area, theme, true);
}

fn render_licenses(licenses: &Load<LicenseSummary>, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    if area.height < 3 {
        return;
    }
    let block = block("Licenses", None, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let summary = match licenses {
        Load::Loaded(s) => s,
        Load::Failed(e) => {
            let text = format!("Could not load the licenses: {}", e.message);
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.error)).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        _ => {
            frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
            return;
        }
    };
    let mut lines = Vec::new();
    for kind in LicenseKind::ALL {
        lines.push(bar_line(kind, summary.pool(kind), inner.width.saturating_sub(1), theme));
    }
    let mut expirations: Vec<_> = LicenseKind::ALL
        .iter()
        .flat_map(|k| summary.pool(*k).expirations.iter().map(move |e| (e.date, *k, e.count)))
        .collect();
    expirations.sort_by_key(|(date, kind, _)| (*date, kind.as_str()));
    let room = (inner.height as usize).saturating_sub(lines.len() + 1);
    if expirations.is_empty() {
        lines.push(Line::from(Span::styled("No upcoming expirations", theme.muted)));
    } else if room > 0 {
        lines.push(Line::from(Span::styled("Expiring", theme.label)));
        let shown = if expirations.len() > room {
            room.saturating_sub(1)
        } else {
            room
        };
        for (date, kind, count) in expirations.iter().take(shown) {
            let noun = if *count == 1 { "license" } else { "licenses" };
            lines.push(Line::from(vec![
                Span::raw(format!("  {}  ", ctx.dates.date(*date))),
                Span::styled(format!("{:<8}", kind.as_str()), theme.muted),
                Span::raw(format!("{count:>5} {noun}")),
            ]));
        }
        if expirations.len() > shown {
            lines.push(Line::from(Span::styled(
                format!("  … {} more", expirations.len() - shown),
                theme.muted,
            )));
        }
    }
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(inner.x + 1, inner.y, inner.width.saturating_sub(1), inner.height),
    );
}

/// `Assess   ███████░░░░░  12 used · 8 free / 20`, drawn with characters so it reads without color. A pool
/// of none is an empty bar saying so: a full one would read as every license used.
fn bar_line(kind: LicenseKind, pool: &LicensePool, width: u16, theme: &Theme) -> Line<'static> {
    let label = match kind {
        LicenseKind::Assess => "Assess ",
        LicenseKind::Protect => "Protect",
    };
    let text = if pool.total == 0 && pool.used == 0 {
        " none licensed (0 / 0)".to_owned()
    } else if pool.total == 0 {
        format!(" {} used · none licensed", pool.used)
    } else {
        format!(" {} used · {} free / {}", pool.used, pool.available, pool.total)
    };
    let bar_width = (width as usize)
        .saturating_sub(label.len() + 1 + text.chars().count())
        .clamp(4, 40);
    let filled = if pool.total == 0 {
        0
    } else {
        let filled = ((pool.ratio() * bar_width as f64).round() as usize).min(bar_width);
        if pool.used > 0 { filled.max(1) } else { filled }
    };
    Line::from(vec![
        Span::styled(format!("{label} "), theme.label),
        Span::styled("█".repeat(filled), theme.bar_used),
        Span::styled("░".repeat(bar_width - filled), theme.bar_free),
        Span::raw(text),
    ])
}
