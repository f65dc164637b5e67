//! Drawing the enrolment over the whole screen: the choice of method, the QR code and key, the emailed
//! code, the backup codes.

use orgdeck_shared::{auth::Secret, security::TwoStepMethod};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Clear, Paragraph},
};

use super::{CODE_LEN, CodeEntry, Enrolment, Stage};
use crate::{
    keymap::Action,
    tabs::TabCtx,
    theme::Theme,
    widgets::{qr::QrArt, wrap},
};

impl Enrolment {
    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        frame.render_widget(Clear, area);
        // One key a line, as the footer would name them.
        let keys = |indent: &str| -> Vec<Line<'static>> {
            ctx.keymap
                .hints_labeled(&self.hints())
                .into_iter()
                .map(|(k, what)| {
                    Line::from(vec![
                        Span::styled(format!("{indent}{k}"), theme.key),
                        Span::raw(format!(" {what}")),
                    ])
                })
                .collect()
        };
        let width = area.width.saturating_sub(2).max(10) as usize;
        let paragraph = |text: &str, style| -> Vec<Line<'static>> {
            wrap(text, width)
                .into_iter()
                .map(|l| Line::styled(format!(" {l}"), style))
                .collect()
        };
        let title = Line::from(Span::styled(" Two-step enrolment", theme.title));
        match &self.stage {
            Stage::Choose { cursor } => {
                let mut lines = vec![title, Line::from("")];
                let why = if self.required {
                    "Your organization requires two-step verification: set it up to go on. Each login then \
                     asks for a code besides your password."
                } else {
                    "Choose how you will get your login codes."
                };
                lines.extend(paragraph(why, theme.base));
                lines.push(Line::from(""));
                if self.methods.is_empty() {
                    lines.extend(paragraph(
                        "Your organization offers no method yet: ask an admin to choose one in Security › Two-step.",
                        theme.warning,
                    ));
                }
                for (i, method) in self.methods.iter().enumerate() {
                    let selected = i == *cursor;
                    let what = match method {
                        TwoStepMethod::Totp => "Authenticator app: a code from an app on your phone",
                        TwoStepMethod::Email => "Email: a code sent to your address",
                    };
                    lines.push(Line::from(vec![
                        Span::styled(if selected { " > " } else { "   " }, theme.key),
                        Span::styled(what, if selected { theme.selected } else { theme.value }),
                    ]));
                }
                lines.push(Line::from(""));
                lines.extend(keys(" "));
                frame.render_widget(Paragraph::new(lines), area);
            }
            Stage::Requesting(method) => {
                let doing = match method {
                    TwoStepMethod::Totp => " Asking the server for a new key…",
                    TwoStepMethod::Email => " Emailing you a code…",
                };
                let mut lines = vec![title, Line::from(""), Line::from(Span::styled(doing, theme.muted))];
                lines.push(Line::from(""));
                lines.extend(keys(" "));
                frame.render_widget(Paragraph::new(lines), area);
            }
            Stage::Scan { enrollment, qr, entry } => {
                let (text_area, lines) = scan_lines(enrollment.secret.expose(), qr.as_ref(), entry, frame, area, theme);
                let mut lines = lines;
                lines.extend(keys(""));
                frame.render_widget(Paragraph::new(lines), text_area);
            }
            Stage::Email {
                sent_to,
                entry,
                resending,
            } => {
                let mut lines = vec![title, Line::from("")];
                lines.extend(paragraph(
                    &format!("We emailed a {CODE_LEN}-digit code to {sent_to}. It works for 10 minutes."),
                    theme.base,
                ));
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(
                    format!(" Code from the email ({CODE_LEN} digits)"),
                    theme.label,
                )));
                lines.push(code_line(entry, " ", theme));
                if *resending {
                    lines.push(Line::from(Span::styled(" Emailing another code…", theme.muted)));
                }
                if let Some(e) = &entry.error {
                    lines.extend(paragraph(e, theme.error));
                }
                lines.push(Line::from(""));
                lines.extend(keys(" "));
                frame.render_widget(Paragraph::new(lines), area);
            }
            Stage::Reauth { method, proof } => {
                let mut lines = vec![title, Line::from("")];
                let by_email = self.enrolled.contains(&TwoStepMethod::Email);
                let code_from = match (self.enrolled.contains(&TwoStepMethod::Totp), by_email) {
                    (true, true) => "a code from your authenticator app or by email, or one of your backup codes",
                    (false, true) => "a code we email you, or one of your backup codes",
                    _ => "a code from your authenticator app or one of your backup codes",
                };
                lines.extend(paragraph(
                    &format!(
                        "You already have two-step verification. Before adding {}, confirm it is you: your \
                         password, and {code_from}.",
                        match method {
                            TwoStepMethod::Totp => "an authenticator app",
                            TwoStepMethod::Email => "email codes",
                        }
                    ),
                    theme.base,
                ));
                lines.push(Line::from(""));
                let field = |label: &str, value: String, focused: bool| {
                    Line::from(vec![
                        Span::styled(if focused { " > " } else { "   " }, theme.key),
                        Span::styled(format!("{label:<10}"), theme.label),
                        Span::styled(value, if focused { theme.selected } else { theme.value }),
                    ])
                };
                lines.push(field(
                    "Password",
                    "•".repeat(proof.password.chars().count()),
                    !proof.on_code,
                ));
                lines.push(field("Code", proof.code.clone(), proof.on_code));
                if proof.checking {
                    lines.push(Line::from(Span::styled(" Checking…", theme.muted)));
                } else if proof.emailing {
                    lines.push(Line::from(Span::styled(" Emailing a code…", theme.muted)));
                } else if let Some(to) = &proof.emailed_to {
                    lines.extend(paragraph(
                        &format!("A code was emailed to {to}: it works once, for 10 minutes."),
                        theme.muted,
                    ));
                }
                if let Some(e) = &proof.error {
                    lines.extend(paragraph(e, theme.error));
                }
                lines.push(Line::from(""));
                lines.extend(keys(" "));
                frame.render_widget(Paragraph::new(lines), area);
            }
            Stage::Codes(codes) => {
                let lines = codes_lines(codes, width, ctx);
                frame.render_widget(Paragraph::new(lines), area);
            }
        }
    }
}

/// The TOTP screen: the QR code on the left when it fits, and the text beside it (or alone).
fn scan_lines(
    secret: &str,
    qr: Option<&QrArt>,
    entry: &CodeEntry,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) -> (Rect, Vec<Line<'static>>) {
    let drawn = qr.and_then(|qr| qr.render(frame, area));
    let (text_area, too_small) = match (qr, drawn) {
        (Some(_), Some(code)) => {
            let x = code.right() + 1;
            (Rect::new(x, area.y, area.right().saturating_sub(x), area.height), None)
        }
        (Some(qr), None) => {
            let (w, h) = qr.min_size();
            (
                area,
                Some(format!(
                    "The terminal is too small for the QR code (it needs {w}x{h}): enlarge the window, \
                     or type the key below into your app."
                )),
            )
        }
        (None, _) => (
            area,
            Some("This key is too long for a QR code: type it into your app.".to_owned()),
        ),
    };
    let width = text_area.width.saturating_sub(1).max(10) as usize;
    let mut lines = vec![Line::from(Span::styled("Two-step enrolment", theme.title))];
    lines.push(Line::from(""));
    let intro = match too_small {
        Some(why) => why,
        None => "Scan the QR code with your authenticator app, or type in the key.".to_owned(),
    };
    let intro_style = if drawn.is_some() { theme.base } else { theme.warning };
    lines.extend(wrap(&intro, width).into_iter().map(|l| Line::styled(l, intro_style)));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Key", theme.label)));
    for group in key_lines(secret, width) {
        lines.push(Line::from(Span::styled(group, theme.value)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!("Code from the app ({CODE_LEN} digits)"),
        theme.label,
    )));
    lines.push(code_line(entry, "", theme));
    if let Some(e) = &entry.error {
        lines.extend(wrap(e, width).into_iter().map(|l| Line::styled(l, theme.error)));
    }
    lines.push(Line::from(""));
    (text_area, lines)
}

/// `[ 12____ ]`, and whether it is being checked.
fn code_line(entry: &CodeEntry, indent: &str, theme: &Theme) -> Line<'static> {
    let shown: String = entry
        .code
        .chars()
        .chain(std::iter::repeat('_'))
        .take(CODE_LEN)
        .collect();
    let mut spans = vec![Span::styled(format!("{indent}[ {shown} ]"), theme.editing)];
    if entry.checking {
        spans.push(Span::styled(" checking…", theme.muted));
    }
    Line::from(spans)
}

fn codes_lines(codes: &[Secret], width: usize, ctx: &TabCtx) -> Vec<Line<'static>> {
    let theme = ctx.theme;
    let key = |a| ctx.keymap.keys_label(a);
    let mut lines = vec![
        Line::from(Span::styled(" Two-step verification is on", theme.title)),
        Line::from(""),
    ];
    let warn = "Store these backup codes now, somewhere safe: they are shown only this once. \
                Each one logs you in once when you cannot get a code (a lost phone, no mail).";
    lines.extend(
        wrap(warn, width)
            .into_iter()
            .map(|l| Line::styled(format!(" {l}"), theme.warning)),
    );
    lines.push(Line::from(""));
    for pair in codes.chunks(2) {
        let text: Vec<String> = pair.iter().map(|c| format!("{:<16}", c.expose())).collect();
        lines.push(Line::from(Span::styled(format!("   {}", text.join("  ")), theme.value)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(format!(" {}", key(Action::Copy)), theme.key),
        Span::raw(" copy all codes   "),
        Span::styled(key(Action::Cancel), theme.key),
        Span::raw(" close"),
    ]));
    lines
}

/// The key in groups of four, as many groups a line as fit in `width`.
pub fn key_lines(secret: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    let fit = (width.saturating_add(1) / 5).max(1);
    // Lines as even as can be: 4 + 4 rather than 7 + 1.
    let lines = groups.len().div_ceil(fit).max(1);
    let per_line = groups.len().div_ceil(lines).max(1);
    groups.chunks(per_line).map(|l| l.join(" ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_grouped_in_fours() {
        let key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        assert_eq!(key_lines(key, 80), vec!["JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"]);
        assert_eq!(key_lines(key, 20), vec!["JBSW Y3DP EHPK 3PXP", "JBSW Y3DP EHPK 3PXP"]);
        assert_eq!(key_lines(key, 37), vec!["JBSW Y3DP EHPK 3PXP", "JBSW Y3DP EHPK 3PXP"]);
        assert_eq!(key_lines("ABCDEF", 3), vec!["ABCD", "EF"]);
    }
}
