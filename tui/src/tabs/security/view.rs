//! Drawing the Security tab: a line of sections, then the current one in a box.

use orgdeck_shared::{
    ErrorCode,
    security::{IpRestrictions, TwoStepMethod},
};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};

use super::{FormSection, SecurityTab, enrolment::methods_text, forms::FormDocument, ip::IpRuleFields};
use crate::{
    api::SecurityArea,
    tabs::{TabCtx, doc::Load},
    theme::Theme,
    widgets::{Form, table::fit},
};

pub fn render(tab: &SecurityTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    if area.height < 4 {
        return;
    }
    let mut spans = vec![Span::raw(" ")];
    for (i, a) in SecurityArea::ALL.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", theme.muted));
        }
        let dirty = if tab.section_dirty(*a) { "*" } else { "" };
        if *a == tab.section {
            spans.push(Span::styled(format!("[{}{dirty}]", a.title()), theme.selected));
        } else {
            spans.push(Span::styled(format!(" {}{dirty} ", a.title()), theme.label));
        }
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let body = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    let merge = match tab.section {
        SecurityArea::PasswordPolicy => tab.policy.state.merge.as_ref(),
        SecurityArea::Sessions => tab.sessions.state.merge.as_ref(),
        SecurityArea::IpRestrictions => tab.ip.state.merge.as_ref(),
        SecurityArea::TwoStep => tab.two_step.state.merge.as_ref(),
    };
    if let Some(merge) = merge {
        merge.render(frame, body, theme);
        return;
    }
    let dirty = tab.section_dirty(tab.section);
    let mut title = vec![Span::styled(format!(" {} ", tab.section.title()), theme.title)];
    if dirty {
        title.push(Span::styled("* modified ", theme.warning));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(body);
    frame.render_widget(block, body);
    let inner = Rect::new(inner.x + 1, inner.y, inner.width.saturating_sub(1), inner.height);
    match tab.section {
        SecurityArea::PasswordPolicy => {
            let note = super::preset_summary(super::strength_of(&tab.policy.form));
            render_form(&tab.policy, &[note], frame, inner, theme);
        }
        SecurityArea::Sessions => render_form(
            &tab.sessions,
            &["An expired session must log in again; minutes.".into()],
            frame,
            inner,
            theme,
        ),
        SecurityArea::TwoStep => render_form(&tab.two_step, &two_step_notes(tab, ctx), frame, inner, theme),
        SecurityArea::IpRestrictions => render_ip(tab, frame, inner, theme),
    }
}

/// The loading / failure text of a document, or `None` when it is loaded.
fn not_loaded<T>(doc: &Load<T>, theme: &Theme) -> Option<Paragraph<'static>> {
    match doc {
        Load::Loaded(_) => None,
        Load::NotLoaded | Load::Loading => Some(Paragraph::new(Span::styled("Loading…", theme.muted))),
        Load::Failed(e) => {
            let text = if e.code == ErrorCode::Forbidden {
                "Only organization admins can see these settings.".to_owned()
            } else {
                format!("Could not load the settings: {} (r retries)", e.message)
            };
            Some(Paragraph::new(Span::styled(text, theme.error)).wrap(Wrap { trim: true }))
        }
    }
}

/// Above the Two-step form: the user's own methods, and the keys that enrol them in those offered.
fn two_step_notes(tab: &SecurityTab, ctx: &TabCtx) -> Vec<String> {
    let me = &tab.me_two_step;
    let mine = if me.enrolled.is_empty() {
        "Your account: not enrolled in two-step.".to_owned()
    } else {
        format!("Your account: two-step by {}.", methods_text(&me.enrolled))
    };
    let keys: Vec<String> = [
        (
            crate::tabs::security::ENROL_TOTP,
            TwoStepMethod::Totp,
            "an authenticator app",
        ),
        (crate::tabs::security::ENROL_EMAIL, TwoStepMethod::Email, "email"),
    ]
    .into_iter()
    .filter(|(a, m, _)| ctx.keymap.allows(*a) && me.available.contains(m))
    .map(|(a, _, how)| format!("{} enrols you with {how}", ctx.keymap.keys_label(a)))
    .collect();
    let enrol = if keys.is_empty() {
        "Enrolment (QR code or email, backup codes) happens at each user's login.".to_owned()
    } else {
        format!("{}; others enrol at their login.", keys.join(", "))
    };
    vec![mine, enrol]
}

fn render_form<D: FormDocument>(
    section: &FormSection<D>,
    notes: &[String],
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    if let Some(p) = not_loaded(&section.state.doc, theme) {
        frame.render_widget(p, area);
        return;
    }
    let mut y = area.y;
    for note in notes.iter().take(area.height.saturating_sub(1) as usize) {
        frame.render_widget(
            Paragraph::new(Span::styled(fit(note, area.width), theme.muted)),
            Rect::new(area.x, y, area.width, 1),
        );
        y += 1;
    }
    let mut form_area = Rect::new(area.x, y, area.width, area.bottom().saturating_sub(y));
    if let Some(text) = section.state.banner()
        && form_area.height > 1
    {
        let style = if section.state.stale {
            theme.warning
        } else {
            theme.muted
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)),
            Rect::new(area.x, form_area.bottom() - 1, area.width, 1),
        );
        form_area.height -= 1;
    }
    section.form.render(frame, form_area, theme, true);
}

fn render_ip(tab: &SecurityTab, frame: &mut Frame, area: Rect, theme: &Theme) {
    let ip = &tab.ip;
    if let Some(p) = not_loaded(&ip.state.doc, theme) {
        frame.render_widget(p, area);
        return;
    }
    let mut lines = Vec::new();
    let you = tab.client_ip.as_deref().unwrap_or("(unknown)");
    let edited = IpRestrictions {
        rules: ip.rules.clone(),
        confirm_self_lockout: false,
    };
    let mut you_line = vec![
        Span::styled("The server sees you as ", theme.muted),
        Span::styled(you.to_owned(), theme.value),
    ];
    if let Ok(addr) = you.parse()
        && !edited.allows(addr)
    {
        you_line.push(Span::styled("  ! this list excludes you", theme.warning));
    }
    lines.push(Line::from(you_line));
    if ip.rules.is_empty() {
        lines.push(Line::from(Span::styled(
            "No rules: every address may connect. a adds one.",
            theme.muted,
        )));
    }
    let errors = {
        let mut all = edited.validate().err().unwrap_or_default();
        all.extend(ip.state.server_errors.iter().cloned());
        all
    };
    let cidr_width = 44.min(area.width.saturating_sub(4) / 2);
    for (i, rule) in ip.rules.iter().enumerate() {
        let selected = i == ip.cursor && ip.editor.is_none();
        let marker = if selected { "> " } else { "  " };
        let style = if selected { theme.selected } else { theme.value };
        lines.push(Line::from(vec![
            Span::styled(marker, theme.key),
            Span::styled(fit(&rule.cidr, cidr_width), style),
            Span::raw("  "),
            Span::styled(rule.label.clone(), theme.label),
        ]));
        let prefix = format!("rules[{i}]");
        if let Some(e) = errors.iter().find(|e| e.field.starts_with(&prefix)) {
            lines.push(Line::from(Span::styled(format!("    ! {}", e.message), theme.error)));
        }
    }
    if let Some(e) = errors.iter().find(|e| e.field == "rules") {
        lines.push(Line::from(Span::styled(format!("! {}", e.message), theme.error)));
    }
    let list_height = (lines.len() as u16).min(area.height);
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(area.x, area.y, area.width, list_height),
    );
    let mut y = area.y + list_height;
    if let Some(editor) = &ip.editor
        && y + 2 < area.bottom()
    {
        let title = if editor.row.is_some() { "Edit rule" } else { "New rule" };
        frame.render_widget(
            Paragraph::new(Span::styled(title, theme.title)),
            Rect::new(area.x, y + 1, area.width, 1),
        );
        y += 2;
        render_editor(
            &editor.form,
            frame,
            Rect::new(area.x, y, area.width, area.bottom() - y),
            theme,
        );
    }
    if let Some(text) = ip.state.banner() {
        let style = if ip.state.stale { theme.warning } else { theme.muted };
        frame.render_widget(
            Paragraph::new(Span::styled(text, style)),
            Rect::new(area.x, area.bottom().saturating_sub(1), area.width, 1),
        );
    }
}

fn render_editor(form: &Form<IpRuleFields>, frame: &mut Frame, area: Rect, theme: &Theme) {
    form.render(frame, area, theme, true);
}
