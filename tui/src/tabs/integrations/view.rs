//! Drawing the Integrations tab: the list (name, kind, where it sends, status), the cursor integration's
//! details and last Test, and over them the kind chooser, the form, or a report.

use orgdeck_shared::integrations::{Integration, IntegrationKind, IntegrationSettings};
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use super::{IntegrationForm, IntegrationsTab, Mode, status_text};
use crate::{
    tabs::{TabCtx, doc::Load},
    theme::Theme,
    widgets::{dialog::centered, table::fit},
};

pub fn render(tab: &IntegrationsTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" Integrations ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match &tab.list {
        Load::NotLoaded | Load::Loading => {
            frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
        }
        Load::Failed(e) => {
            let text = if e.code == orgdeck_shared::ErrorCode::Forbidden {
                "Only organization admins can see integrations.".to_owned()
            } else {
                format!("Could not load the integrations: {} (r retries)", e.message)
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.error)).wrap(Wrap { trim: true }),
                inner,
            );
        }
        Load::Loaded(items) => render_list(tab, items, frame, inner, ctx),
    }
    match &tab.mode {
        Mode::Browse => {}
        Mode::Kinds { cursor } => render_kinds(*cursor, frame, area, theme),
        Mode::Form(f) => render_form(f, frame, area, theme),
        Mode::Report(r) => r.render(frame, area, theme),
        Mode::Log(log) => log.render(frame, area, ctx),
    }
}

fn render_list(tab: &IntegrationsTab, items: &[Integration], frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    if items.is_empty() {
        let text = "No integrations yet. a adds one: a bug tracker (JIRA, Bugzilla) to send vulnerabilities to, \
                    or a channel (Slack, Teams, a webhook...) that hears of events.";
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.muted)).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let detail_rows = 5.min(area.height.saturating_sub(3));
    let [list, detail] = Layout::vertical([Constraint::Min(2), Constraint::Length(detail_rows)]).areas(area);
    let w = list.width;
    let (name_w, kind_w) = (w.saturating_sub(2) * 30 / 100, 17);
    let target_w = w.saturating_sub(name_w + kind_w + 2) * 55 / 100;
    let status_w = w.saturating_sub(name_w + kind_w + target_w + 2);
    let header = format!(
        "  {:<nw$}{:<kw$}{:<tw$}{}",
        "Name",
        "Kind",
        "Sends to",
        "Status",
        nw = name_w as usize,
        kw = kind_w as usize,
        tw = target_w as usize
    );
    let mut lines = vec![Line::styled(fit(&header, w), theme.label)];
    let rows = list.height.saturating_sub(1) as usize;
    let offset = tab.cursor.saturating_sub(rows.saturating_sub(1));
    for (i, it) in items.iter().enumerate().skip(offset).take(rows) {
        let marker = if i == tab.cursor { "> " } else { "  " };
        let testing = if tab.testing.contains(&it.id) {
            " (testing…)"
        } else {
            ""
        };
        let text = format!(
            "{marker}{:<nw$}{:<kw$}{:<tw$}{}",
            fit(&it.name, name_w.saturating_sub(1)),
            fit(it.kind.label(), kind_w.saturating_sub(1)),
            fit(&it.target, target_w.saturating_sub(1)),
            fit(&format!("{}{testing}", status_text(it)), status_w),
            nw = name_w as usize,
            kw = kind_w as usize,
            tw = target_w as usize
        );
        let style = if i == tab.cursor { theme.cursor_row } else { theme.base };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(Paragraph::new(lines), list);
    if let Some(it) = items.get(tab.cursor) {
        render_detail(tab, it, frame, detail, ctx);
    }
}

/// What the narrow list leaves out: settings, secrets set, failures, the last Test.
fn render_detail(tab: &IntegrationsTab, it: &Integration, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let mut parts = vec![it.kind.label().to_owned()];
    parts.extend(settings_summary(&it.settings));
    let secrets: Vec<String> = it
        .secrets
        .iter()
        .map(|(k, set)| format!("{k} {}", if *set { "set" } else { "not set" }))
        .collect();
    if !secrets.is_empty() {
        parts.push(secrets.join(", "));
    }
    if it.failures > 0 {
        parts.push(format!("{} failed deliveries in a row", it.failures));
    }
    parts.push(format!("changed {}", ctx.dates.datetime(it.updated_at)));
    let mut lines = vec![Line::styled("─".repeat(area.width as usize), theme.border)];
    lines.push(Line::styled(parts.join(" · "), theme.base));
    if let orgdeck_shared::integrations::IntegrationStatus::Disabled { reason, at } = &it.status {
        lines.push(Line::styled(
            format!(
                "Disabled by the server {}: {reason}. A test that works enables it again.",
                ctx.dates.datetime(*at)
            ),
            theme.warning,
        ));
    }
    if it.kind.legacy() {
        lines.push(Line::styled(
            match it.kind {
                IntegrationKind::Hipchat => "Legacy: HipChat's cloud ended in 2019; self-hosted servers only.",
                _ => "Legacy: Serena speaks SOAP only.",
            },
            theme.warning,
        ));
    }
    if let Some(t) = tab.last_test(it.id) {
        let status = t.status.map_or_else(String::new, |s| format!(" (HTTP {s})"));
        let verdict = if t.ok { "works" } else { "failed" };
        let style = if t.ok { theme.ok } else { theme.error };
        lines.push(Line::styled(
            format!("Last test: {verdict}{status}: {}", t.message),
            style,
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

fn settings_summary(s: &IntegrationSettings) -> Vec<String> {
    match s {
        IntegrationSettings::Jira(j) => {
            let mut v = vec![format!("project {}", j.project_key), format!("type {}", j.issue_type)];
            if let Some(d) = j.deployment {
                v.push(format!("{d:?}").to_lowercase());
            }
            v
        }
        IntegrationSettings::Bugzilla(b) => vec![format!("{} / {}", b.product, b.component)],
        IntegrationSettings::Serena(s) => vec![format!("project {}", s.project_id)],
        IntegrationSettings::Hipchat(h) => vec![format!("room {}", h.room)],
        IntegrationSettings::Webhook(w) => vec![if w.payload_template.is_some() {
            "own payload template".into()
        } else {
            "standard payload".into()
        }],
        _ => Vec::new(),
    }
}

fn render_kinds(cursor: usize, frame: &mut Frame, area: Rect, theme: &Theme) {
    let kinds = IntegrationKind::ALL;
    let height = (kinds.len() as u16 + 4).min(area.height);
    let rect = centered(area, 48.min(area.width), height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(" Add an integration ", theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        let what = if k.tracker() { "bug tracker" } else { "channel" };
        let text = format!("{} {:<18}{what}", if i == cursor { ">" } else { " " }, k.label());
        let style = if i == cursor { theme.selected } else { theme.base };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn render_form(f: &IntegrationForm, frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = area.width.saturating_sub(2).min(78);
    let banner = f
        .stale
        .then_some("! Changed by someone else meanwhile. r: read it again (drops your edits)");
    let hint = if f.adding() {
        None
    } else {
        Some("Secrets: leave empty to keep the stored one; type to replace it.")
    };
    let extra = u16::from(banner.is_some()) + u16::from(hint.is_some());
    let height = (f.form.height(width.saturating_sub(3)) + extra + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let title = match &f.original {
        None => format!(" Add {} ", f.kind.label()),
        Some(o) => format!(" Edit {} ({}) ", o.name, f.kind.label()),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(title, theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut y = inner.y;
    for (text, style) in [(hint, theme.muted), (banner, theme.warning)] {
        if let Some(text) = text
            && y < inner.bottom()
        {
            frame.render_widget(
                Paragraph::new(Span::styled(fit(text, inner.width), style)),
                Rect::new(inner.x + 1, y, inner.width.saturating_sub(1), 1),
            );
            y += 1;
        }
    }
    let form_area = Rect::new(
        inner.x + 1,
        y,
        inner.width.saturating_sub(1),
        inner.bottom().saturating_sub(y),
    );
    f.form.render(frame, form_area, theme, true);
}
