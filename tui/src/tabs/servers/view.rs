//! Drawing the Servers area: a line naming the sections (the shown one bracketed, not by colour alone),
//! then the shown section.

use orgdeck_shared::{ErrorCode, general::Environment};
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};

use super::{Asking, Focus, Section, ServersTab};
use crate::{
    tabs::{TabCtx, doc::Load},
    theme::Theme,
    widgets::table::fit,
};

pub fn render(tab: &ServersTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let [strip, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let mut spans = Vec::new();
    for s in Section::ALL {
        let text = if s == tab.section {
            format!("[{}]", s.title())
        } else {
            format!(" {} ", s.title())
        };
        let style = if s == tab.section { theme.tab_active } else { theme.tab };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(" [ ] switch", theme.muted));
    frame.render_widget(Paragraph::new(Line::from(spans)), strip);
    match tab.section {
        Section::Servers => servers(tab, frame, body, ctx),
        Section::Applications => applications(tab, frame, body, ctx),
        Section::Defaults => defaults(tab, frame, body, ctx),
    }
    if let Some(r) = &tab.open {
        r.render(frame, area, theme);
    }
    match &tab.asking {
        Some(Asking::Search(p)) | Some(Asking::Move { prompt: p, .. }) => p.render(frame, area, theme),
        None => {}
    }
}

fn block<'a>(title: String, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(title, theme.title))
}

fn failed(frame: &mut Frame, area: Rect, what: &str, e: &orgdeck_shared::ApiError, theme: &Theme) {
    let text = if e.code == ErrorCode::Forbidden {
        format!("Only organization admins can see {what}.")
    } else {
        format!("Could not load {what}: {} (r retries)", e.message)
    };
    frame.render_widget(
        Paragraph::new(Span::styled(text, theme.error)).wrap(Wrap { trim: true }),
        area,
    );
}

fn servers(tab: &ServersTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let mut filters = Vec::new();
    if let Some(s) = tab.status {
        filters.push(s.as_str().to_owned());
    }
    if let Some(e) = tab.environment {
        filters.push(e.as_str().to_owned());
    }
    if !tab.q.is_empty() {
        filters.push(format!("\"{}\"", tab.q));
    }
    let shown = tab.list.items().len();
    let more = if tab.list.next.is_some() { "+" } else { "" };
    let title = if filters.is_empty() {
        format!(" Servers ({shown}{more}) ")
    } else {
        format!(" Servers ({shown}{more}): {} ", filters.join(" · "))
    };
    let block = block(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = match &tab.list.rows {
        Load::NotLoaded | Load::Loading => {
            frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
            return;
        }
        Load::Failed(e) => return failed(frame, inner, "the servers", e, theme),
        Load::Loaded(rows) if rows.is_empty() => {
            let text = if filters.is_empty() {
                "No server yet. An agent registers with an agent key (Agent keys area): POST agent/register."
            } else {
                "No server matches: f, v and / change the filters."
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.muted)).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        Load::Loaded(rows) => rows,
    };
    let w = inner.width;
    // Name takes what the fixed columns leave.
    let fixed: u16 = 12 + 9 + 17 + 9 + 8;
    let name_w = w.saturating_sub(fixed + 2).max(8) as usize;
    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "  {:<name_w$}{:<12}{:<9}{:<17}{:<9}{}",
                "Name", "Environment", "Status", "Last seen", "License", "Agent"
            ),
            w,
        ),
        theme.label,
    )];
    let visible = inner.height.saturating_sub(1) as usize;
    let offset = tab.list.offset(visible);
    for (i, s) in rows.iter().enumerate().skip(offset).take(visible) {
        let marker = if i == tab.list.cursor { ">" } else { " " };
        let status = match s.status {
            orgdeck_shared::servers::ServerStatus::Online => "online",
            orgdeck_shared::servers::ServerStatus::Offline => "OFFLINE",
        };
        let text = format!(
            "{marker} {:<name_w$}{:<12}{:<9}{:<17}{:<9}{}",
            fit(&s.name, name_w as u16 - 1),
            s.environment.as_str(),
            status,
            fit(&ctx.dates.datetime(s.last_seen_at), 16),
            if s.licensed { "protect" } else { "—" },
            fit(&s.agent_version, 8)
        );
        let style = if i == tab.list.cursor {
            theme.cursor_row
        } else if s.status == orgdeck_shared::servers::ServerStatus::Offline {
            theme.warning
        } else {
            theme.base
        };
        lines.push(Line::styled(fit(&text, w), style));
    }
    if tab.list.more_asked {
        lines.push(Line::styled("  loading more servers…", theme.muted));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn applications(tab: &ServersTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let apps = match &tab.applications {
        Load::Loaded(a) => a,
        other => {
            let block = block(" Applications ".into(), theme);
            let inner = block.inner(area);
            frame.render_widget(block, area);
            match other {
                Load::Failed(e) => failed(frame, inner, "the applications", e, theme),
                _ => frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner),
            }
            return;
        }
    };
    let licensed = apps.iter().filter(|a| a.licensed).count();
    let block = block(format!(" Applications ({}, {licensed} licensed) ", apps.len()), theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if apps.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "No application yet: agents report them as they find them.",
                theme.muted,
            )),
            inner,
        );
        return;
    }
    let w = inner.width;
    let fixed: u16 = 12 + 9 + 9 + 9 + 12;
    let name_w = w.saturating_sub(fixed + 2).max(8) as usize;
    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "  {:<name_w$}{:<12}{:<9}{:<9}{:<9}{}",
                "Name", "Environment", "Language", "License", "Score", "Open c/h/m/l"
            ),
            w,
        ),
        theme.label,
    )];
    let visible = inner.height.saturating_sub(1) as usize;
    let offset = tab.app_cursor.saturating_sub(visible.saturating_sub(1));
    for (i, a) in apps.iter().enumerate().skip(offset).take(visible) {
        let marker = if i == tab.app_cursor { ">" } else { " " };
        let score = a
            .score
            .map_or_else(|| "—".to_owned(), |s| format!("{} {}", s.overall, s.grade.as_str()));
        let c = a.open_vulnerabilities;
        let text = format!(
            "{marker} {:<name_w$}{:<12}{:<9}{:<9}{:<9}{}/{}/{}/{}",
            fit(&a.name, name_w as u16 - 1),
            a.environment.as_str(),
            fit(&a.language, 8),
            if a.licensed { "assess" } else { "—" },
            score,
            c.critical,
            c.high,
            c.medium,
            c.low
        );
        let style = if i == tab.app_cursor {
            theme.cursor_row
        } else {
            theme.base
        };
        lines.push(Line::styled(fit(&text, w), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn defaults(tab: &ServersTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let d = &tab.defaults;
    let merge = [
        d.server.merge.as_ref(),
        d.development.state.merge.as_ref(),
        d.qa.state.merge.as_ref(),
        d.production.state.merge.as_ref(),
    ]
    .into_iter()
    .flatten()
    .next();
    if let Some(merge) = merge {
        merge.render(frame, area, theme);
        return;
    }
    let dirty = crate::tabs::Tab::is_dirty(tab);
    let title = format!(" Agent defaults{} ", if dirty { " * modified" } else { "" });
    let block = block(title, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let banner = d.banner();
    let [switcher, default_row, banner_row, form_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1 + u16::from(d.server_form.errors().values().next().is_some())),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Min(0),
    ])
    .areas(inner);
    let mut spans = vec![
        Span::styled(if d.focus == Focus::Switcher { "> " } else { "  " }, theme.key),
        Span::styled("Settings of       ", theme.label),
    ];
    for env in Environment::ALL {
        let marked = if d.env_dirty(env) { "*" } else { "" };
        if env == d.shown {
            let style = if d.focus == Focus::Switcher {
                theme.selected
            } else {
                theme.value
            };
            spans.push(Span::styled(format!("[{}{marked}]", env.as_str()), style));
        } else {
            spans.push(Span::styled(format!(" {}{marked} ", env.as_str()), theme.muted));
        }
        spans.push(Span::raw(" "));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), switcher);
    match &d.server.doc {
        Load::Loaded(_) => d
            .server_form
            .render(frame, default_row, theme, d.focus == Focus::Default),
        Load::Failed(e) => failed(frame, default_row, "the server settings", e, theme),
        _ => frame.render_widget(Paragraph::new(Span::styled("  Loading…", theme.muted)), default_row),
    }
    if let Some(b) = banner {
        frame.render_widget(Paragraph::new(Span::styled(b, theme.warning)), banner_row);
    }
    let state_doc_loaded = match d.shown {
        Environment::Development => d.development.state.base().is_some(),
        Environment::Qa => d.qa.state.base().is_some(),
        Environment::Production => d.production.state.base().is_some(),
    };
    if state_doc_loaded {
        d.form().render(frame, form_area, theme, d.focus == Focus::Form);
    } else {
        frame.render_widget(Paragraph::new(Span::styled("  Loading…", theme.muted)), form_area);
    }
}
