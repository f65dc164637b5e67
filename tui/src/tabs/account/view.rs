//! Drawing the Account area: who I am, my password and two-step, my sessions; the password change over it.

use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};

use super::{AccountTab, FIELDS};
use crate::{
    tabs::{TabCtx, doc::Load, security::enrolment::methods_text},
    widgets::{dialog::centered, table::fit},
};

pub fn render(tab: &AccountTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" Your account ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(me) = &tab.me else {
        frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
        return;
    };
    let row = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {label:<10} "), theme.label),
            Span::styled(fit(&value, inner.width.saturating_sub(12)), theme.value),
        ])
    };
    let name = format!("{} {}", me.user.first_name, me.user.last_name);
    let two_step = if me.two_step.enrolled.is_empty() {
        if me.two_step.available.is_empty() {
            "off in your organization".to_owned()
        } else {
            format!(
                "not enrolled; offered: {} (E app, M email)",
                methods_text(&me.two_step.available)
            )
        }
    } else {
        let codes = tab
            .backup_codes_left
            .map_or(String::new(), |n| format!(" · {n} backup codes left"));
        format!("{}{codes}", methods_text(&me.two_step.enrolled))
    };
    let mut lines = vec![
        row("Name", format!("{} <{}>", name.trim(), me.user.email)),
        row("Role", format!("{} in {}", me.role.label(), me.org.name)),
        row(
            "Password",
            if me.must_change_password {
                "must be changed now".to_owned()
            } else {
                "P changes it".to_owned()
            },
        ),
        row("Two-step", two_step),
        row(
            "API key",
            "on the API keys tab (' k): yours, made, rotated or emailed there".to_owned(),
        ),
        Line::from(""),
        Line::from(Span::styled(" Your sessions (d ends one)", theme.title)),
    ];
    match &tab.sessions {
        Load::Loaded(list) if list.is_empty() => {
            lines.push(Line::from(Span::styled(" No live sessions.", theme.muted)));
        }
        Load::Loaded(list) => {
            lines.push(Line::from(Span::styled(
                fit("   Address          Started           Last seen", inner.width),
                theme.label,
            )));
            for (i, s) in list.iter().enumerate() {
                let selected = i == tab.cursor;
                let text = format!(
                    " {}{:<16} {:<17} {:<17} {}",
                    if selected { "> " } else { "  " },
                    fit(&s.ip, 16),
                    ctx.dates.datetime(s.created_at),
                    ctx.dates.datetime(s.last_seen_at),
                    if s.current { "this session" } else { "" },
                );
                let style = if selected { theme.selected } else { theme.value };
                lines.push(Line::from(Span::styled(fit(&text, inner.width), style)));
            }
        }
        Load::Failed(e) => lines.push(Line::from(Span::styled(
            format!(" Could not load your sessions: {}", e.message),
            theme.error,
        ))),
        _ => lines.push(Line::from(Span::styled(" Loading…", theme.muted))),
    }
    frame.render_widget(Paragraph::new(lines), inner);
    if tab.change.is_some() {
        render_change(tab, frame, area, ctx);
    }
}

/// The password change, over the area: three masked fields, what is wrong under each, and the
/// policy's rules the new one still misses, live.
fn render_change(tab: &AccountTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let Some(change) = &tab.change else { return };
    let mut lines: Vec<Line> = Vec::new();
    if tab.must_change() {
        lines.push(Line::from(Span::styled(
            "Your password must be changed before anything else.",
            theme.warning,
        )));
        lines.push(Line::from(""));
    }
    let mut cursor = None;
    for (i, label) in FIELDS.iter().enumerate() {
        let focused = i == change.focus;
        let value = change.value(i);
        let masked: String = "•".repeat(value.chars().count());
        if focused {
            cursor = Some((lines.len() as u16, 2 + 20 + change.inputs[i].visual_cursor() as u16));
        }
        lines.push(Line::from(vec![
            Span::styled(if focused { "> " } else { "  " }, theme.key),
            Span::styled(format!("{label:<20}"), theme.label),
            Span::styled(masked, if focused { theme.selected } else { theme.value }),
        ]));
        if let Some(e) = &change.errors[i] {
            lines.push(Line::from(Span::styled(format!("  ! {e}"), theme.error)));
        }
    }
    lines.push(Line::from(""));
    match tab.policy.loaded() {
        Some(policy) => {
            let problems = tab.problems(ctx);
            let strength = policy.strength.as_str();
            if change.value(1).is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("The policy ({strength}) is checked as you type the new password."),
                    theme.muted,
                )));
            } else if problems.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("✓ meets the password policy ({strength})"),
                    theme.ok,
                )));
            } else {
                lines.push(Line::from(Span::styled(
                    format!("Password policy ({strength}) — still missing:"),
                    theme.label,
                )));
                for p in problems {
                    lines.push(Line::from(Span::styled(format!("✗ {}", p.message), theme.error)));
                }
            }
        }
        None if matches!(tab.policy, Load::Failed(_)) => lines.push(Line::from(Span::styled(
            "The policy could not be read: the server checks it when you change.",
            theme.warning,
        ))),
        None => lines.push(Line::from(Span::styled("Loading the password policy…", theme.muted))),
    }
    if change.sending {
        lines.push(Line::from(Span::styled("Changing…", theme.muted)));
    }
    let width = area.width.saturating_sub(6).min(72);
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(" Change your password ", theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((row, col)) = cursor
        && row < inner.height
    {
        frame.set_cursor_position(Position::new(
            inner.x + col.min(inner.width.saturating_sub(1)),
            inner.y + row,
        ));
    }
}
