//! Drawing the Users tab: the table, the details pane (right when wide, below when toggled), and the
//! form, prompt or report over them.

use orgdeck_shared::users::User;
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use super::{Mode, UserForm, UsersTab};
use crate::{tabs::TabCtx, theme::Theme, widgets::dialog::centered};

/// Wide enough for the details pane beside the table.
pub const WIDE: u16 = 110;

pub fn cells(user: &User, ctx: &TabCtx) -> Vec<String> {
    vec![
        user.full_name(),
        user.email.clone(),
        user.status.as_str().to_owned(),
        user.default_group.label().to_owned(),
        user.last_login_at
            .map_or_else(|| "never".to_owned(), |t| ctx.dates.datetime(t)),
        if user.two_step_enabled { "on" } else { "off" }.to_owned(),
    ]
}

pub fn render(tab: &UsersTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let (table_area, detail_area) = if area.width >= WIDE {
        let [a, b] = Layout::horizontal([Constraint::Min(60), Constraint::Length(area.width * 30 / 100)]).areas(area);
        (a, Some(b))
    } else if tab.detail && area.height >= 16 {
        let [a, b] = Layout::vertical([Constraint::Min(6), Constraint::Length(9)]).areas(area);
        (a, Some(b))
    } else {
        (area, None)
    };
    let cell = |u: &User| cells(u, ctx);
    tab.table.render(frame, table_area, ctx.theme, "Users", &cell);
    if let Some(d) = detail_area {
        render_detail(tab, frame, d, ctx);
    }
    match &tab.mode {
        Mode::Browse => {}
        Mode::Form(f) => render_form(tab, f, frame, area, ctx),
        Mode::Import(p) => p.render(frame, area, ctx.theme),
        Mode::Report(r) => r.render(frame, area, ctx.theme),
        Mode::Sessions(list) => list.render(frame, area, ctx),
    }
}

fn field<'a>(label: &'a str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<11}"), theme.label),
        Span::raw(value),
    ])
}

fn render_detail(tab: &UsersTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" Details ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(u) = tab.table.current() else {
        let text = if tab.table.known_rows() == 0 { "" } else { "Loading…" };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.muted)), inner);
        return;
    };
    let groups = if u.groups.is_empty() {
        "none".to_owned()
    } else {
        u.groups
            .iter()
            .map(|g| tab.group_name(*g))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let last = match (&u.last_login_at, &u.last_login_ip) {
        (Some(t), Some(ip)) => format!("{} from {ip}", ctx.dates.datetime(*t)),
        (Some(t), None) => ctx.dates.datetime(*t),
        _ => "never".to_owned(),
    };
    let status = format!("{}{}", u.status, if u.enabled { "" } else { " (disabled)" })
        .replace("disabled (disabled)", "disabled");
    let mut lines = vec![
        Line::from(Span::styled(u.full_name(), theme.title)),
        Line::from(u.email.clone()),
        field("Status", status, theme),
        field("Role", u.default_group.label().to_owned(), theme),
        field("Groups", groups, theme),
        field("Last login", last, theme),
        field("Two-step", if u.two_step_enabled { "on" } else { "off" }.into(), theme),
        field("API only", if u.api_only { "yes" } else { "no" }.into(), theme),
        field("Failures", u.failed_attempts.to_string(), theme),
        field("Created", ctx.dates.datetime(u.created_at), theme),
    ];
    if inner.width >= 40 {
        lines.push(field("ID", u.id.to_string(), theme));
    }
    match tab.access.as_ref().filter(|a| a.user_id == u.id) {
        Some(a) => {
            lines.push(Line::from(Span::styled("Effective access", theme.label)));
            if a.applications.is_empty() {
                lines.push(Line::from(Span::styled("  no applications yet", theme.muted)));
            }
            for app in &a.applications {
                lines.push(Line::from(format!("  {:<20} {}", app.application_name, app.role)));
            }
        }
        None => lines.push(Line::from(Span::styled(
            "enter: effective access per application",
            theme.muted,
        ))),
    }
    let room = Rect::new(inner.x + 1, inner.y, inner.width.saturating_sub(1), inner.height);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), room);
}

fn render_form(tab: &UsersTab, f: &UserForm, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    if let Some(merge) = &f.merge {
        merge.render(frame, area, theme);
        return;
    }
    let width = area.width.saturating_sub(2).min(78);
    let form_height = f.form.height(width.saturating_sub(3));
    let rules = rule_lines(tab, f, theme);
    let banner = form_banner(f);
    let height = (form_height + rules.len() as u16 + u16::from(banner.is_some()) + 3).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let title = match &f.original {
        None => " Add user ".to_owned(),
        Some(u) => format!(" Edit {} ", u.email),
    };
    let dirty = if f.is_dirty() { "* modified " } else { "" };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Line::from(vec![
            Span::styled(title, theme.title),
            Span::styled(dirty, theme.warning),
        ]));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let form_rect = Rect::new(inner.x, inner.y, inner.width, form_height.min(inner.height));
    f.form.render(frame, form_rect, theme, true);
    let mut y = form_rect.bottom() + 1;
    if let Some((text, warn)) = banner
        && y < inner.bottom()
    {
        let style = if warn { theme.warning } else { theme.muted };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)),
            Rect::new(inner.x + 2, y, inner.width - 2, 1),
        );
        y += 1;
    }
    for line in rules {
        if y >= inner.bottom() {
            break;
        }
        frame.render_widget(
            Paragraph::new(line),
            Rect::new(inner.x + 2, y, inner.width.saturating_sub(2), 1),
        );
        y += 1;
    }
}

fn form_banner(f: &UserForm) -> Option<(String, bool)> {
    if f.stale {
        let who = match &f.changed_by {
            Some(by) => format!("Changed by {by}"),
            None => "Someone else changed this user".to_owned(),
        };
        Some((format!("! {who}. s: compare and save, r: take theirs"), true))
    } else if f.saving {
        Some(("Saving…".to_owned(), false))
    } else {
        None
    }
}

/// The password rules: what the typed password still misses, live.
fn rule_lines(tab: &UsersTab, f: &UserForm, theme: &Theme) -> Vec<Line<'static>> {
    if !f.adding() {
        return Vec::new();
    }
    let strength = tab.policy.strength.as_str();
    if f.password().is_empty() {
        return vec![Line::from(Span::styled(
            "No password: the user is invited with a one-time activation token.",
            theme.muted,
        ))];
    }
    if f.problems.is_empty() {
        return vec![Line::from(Span::styled(
            format!("✓ meets the password policy ({strength})"),
            theme.ok,
        ))];
    }
    let mut lines = vec![Line::from(Span::styled(
        format!("Password policy ({strength}) — still missing:"),
        theme.label,
    ))];
    for p in &f.problems {
        lines.push(Line::from(Span::styled(format!("✗ {}", p.message), theme.error)));
    }
    lines
}
