//! Enrolling the logged-in user in two-step verification with an authenticator app: ask the server for
//! a secret, show it as a QR code and as a key to type, confirm with a current code, then show the ten
//! backup codes once. Drawn over the whole screen, so the QR code has room in an 80x24 terminal.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::{BackupCodes, Secret, TotpEnrollment},
};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Clear, Paragraph},
};

use crate::{
    api::{Reply, Request},
    keymap::Action,
    tabs::{Effects, TabCtx},
    widgets::{Dialog, ToastLevel, qr::QrArt, wrap},
};

/// Digits in a code.
pub const CODE_LEN: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the server's secret.
    Requesting,
    /// The QR code and key are shown; the user types a code.
    Scan {
        enrollment: TotpEnrollment,
        /// `None` when the URI cannot be drawn as a QR code (too long).
        qr: Option<QrArt>,
        code: String,
        error: Option<String>,
        /// The code was sent; waiting for the answer.
        checking: bool,
    },
    /// Done: the backup codes, shown this once.
    Codes(Vec<Secret>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    pub stage: Stage,
}

/// What a key did to the enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Stay,
    Close,
}

impl Enrolment {
    /// Starts an enrolment: asks the server for a secret.
    pub fn start(fx: &mut Effects) -> Enrolment {
        fx.request(Request::EnrolTotp);
        Enrolment {
            stage: Stage::Requesting,
        }
    }

    /// A key while the enrolment is open (it takes every key).
    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) -> Outcome {
        let plain = !key.modifiers.contains(KeyModifiers::CONTROL);
        let is_digit = matches!(key.code, KeyCode::Char(c) if c.is_ascii_digit()) && plain;
        let cancel = ctx.keymap.is(key, Action::Cancel);
        let copy = !is_digit && ctx.keymap.is(key, Action::Copy);
        let submit = key.code == KeyCode::Enter;
        match &mut self.stage {
            Stage::Requesting => {
                if cancel {
                    return Outcome::Close;
                }
            }
            Stage::Scan {
                enrollment,
                code,
                error,
                checking,
                ..
            } => {
                if cancel {
                    fx.confirm = Some(Dialog::confirm(
                        Action::EnrolTotp,
                        "Cancel enrolment?",
                        "Two-step stays off for your account. An authenticator entry you already added will \
                         not work: enrolling again shows a new key.",
                        "cancel enrolment",
                        "keep enrolling",
                    ));
                } else if copy {
                    fx.copy = Some(enrollment.secret.clone());
                    fx.toast(ToastLevel::Info, "Key copied to the clipboard");
                } else if *checking {
                    // One code at a time.
                } else if is_digit {
                    if code.len() < CODE_LEN {
                        if let KeyCode::Char(c) = key.code {
                            code.push(c);
                        }
                        *error = None;
                    } else {
                        *error = Some(format!("The code has {CODE_LEN} digits"));
                    }
                } else if key.code == KeyCode::Backspace {
                    code.pop();
                    *error = None;
                } else if submit {
                    if code.len() == CODE_LEN {
                        *checking = true;
                        *error = None;
                        fx.request(Request::ConfirmTotp {
                            code: Secret::new(code.clone()),
                        });
                    } else {
                        *error = Some(format!("Enter the {CODE_LEN}-digit code your authenticator app shows"));
                    }
                } else if let KeyCode::Char(c) = key.code
                    && plain
                    && c != ' '
                {
                    *error = Some(format!("Digits only: “{c}” is not part of a code"));
                }
            }
            Stage::Codes(codes) => {
                if copy {
                    let all: Vec<&str> = codes.iter().map(Secret::expose).collect();
                    fx.copy = Some(Secret::new(all.join("\n")));
                    fx.toast(ToastLevel::Info, "Backup codes copied to the clipboard");
                } else if cancel || submit {
                    fx.confirm = Some(Dialog::confirm(
                        Action::EnrolTotp,
                        "Close?",
                        "The backup codes will not be shown again. Have you stored them?",
                        "close",
                        "keep showing",
                    ));
                }
            }
        }
        Outcome::Stay
    }

    /// The answer to one of the enrolment's requests; `Close` when the enrolment cannot go on.
    pub fn handle_reply(&mut self, request: &Request, reply: &Reply, fx: &mut Effects) -> Outcome {
        match (request, reply, &mut self.stage) {
            (Request::EnrolTotp, Reply::TotpEnrollment(result), Stage::Requesting) => match result {
                Ok(enrollment) => {
                    let qr = QrArt::new(enrollment.otpauth_uri.expose().as_bytes()).ok();
                    self.stage = Stage::Scan {
                        enrollment: enrollment.clone(),
                        qr,
                        code: String::new(),
                        error: None,
                        checking: false,
                    };
                }
                Err(e) => {
                    fx.toast(ToastLevel::Error, enrol_error(e));
                    return Outcome::Close;
                }
            },
            (
                Request::ConfirmTotp { .. },
                Reply::TotpConfirmed(result),
                Stage::Scan {
                    code, error, checking, ..
                },
            ) => {
                *checking = false;
                match result {
                    Ok(BackupCodes { backup_codes }) => {
                        self.stage = Stage::Codes(backup_codes.clone());
                        fx.toast(ToastLevel::Info, "Two-step verification is on for your account");
                    }
                    Err(e) => {
                        code.clear();
                        *error = Some(confirm_error(e));
                    }
                }
            }
            _ => {}
        }
        Outcome::Stay
    }

    /// Whether closing now loses something (a shown secret or the backup codes): ask first.
    pub fn asks_before_closing(&self) -> bool {
        !matches!(self.stage, Stage::Requesting)
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        frame.render_widget(Clear, area);
        let key = |a: Action| ctx.keymap.keys_label(a);
        match &self.stage {
            Stage::Requesting => {
                let lines = vec![
                    Line::from(Span::styled(" Two-step enrolment", theme.title)),
                    Line::from(""),
                    Line::from(Span::styled(" Asking the server for a new key…", theme.muted)),
                    Line::from(""),
                    Line::from(vec![
                        Span::styled(format!(" {}", key(Action::Cancel)), theme.key),
                        Span::raw(" cancel"),
                    ]),
                ];
                frame.render_widget(Paragraph::new(lines), area);
            }
            Stage::Scan {
                enrollment,
                qr,
                code,
                error,
                checking,
            } => {
                let drawn = qr.as_ref().and_then(|qr| qr.render(frame, area));
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
                                "The terminal is too small for the QR code (it needs {w}x{h}): enlarge the \
                                 window, or type the key below into your app."
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
                for group in key_lines(enrollment.secret.expose(), width) {
                    lines.push(Line::from(Span::styled(group, theme.value)));
                }
                lines.push(Line::from(""));
                lines.push(Line::from(Span::styled(
                    format!("Code from the app ({CODE_LEN} digits)"),
                    theme.label,
                )));
                let shown: String = code.chars().chain(std::iter::repeat('_')).take(CODE_LEN).collect();
                let mut code_line = vec![Span::styled(format!("[ {shown} ]"), theme.editing)];
                if *checking {
                    code_line.push(Span::styled(" checking…", theme.muted));
                }
                lines.push(Line::from(code_line));
                if let Some(e) = error {
                    lines.extend(wrap(e, width).into_iter().map(|l| Line::styled(l, theme.error)));
                }
                lines.push(Line::from(""));
                for (k, what) in [
                    (key(Action::Copy), "copy the key"),
                    ("enter".to_owned(), "confirm"),
                    (key(Action::Cancel), "cancel"),
                ] {
                    lines.push(Line::from(vec![
                        Span::styled(k, theme.key),
                        Span::raw(format!(" {what}")),
                    ]));
                }
                frame.render_widget(Paragraph::new(lines), text_area);
            }
            Stage::Codes(codes) => {
                let width = area.width.saturating_sub(2).max(10) as usize;
                let mut lines = vec![
                    Line::from(Span::styled(" Two-step verification is on", theme.title)),
                    Line::from(""),
                ];
                let warn = "Store these backup codes now, somewhere safe: they are shown only this once. \
                            Each one logs you in once if you lose your phone.";
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
                frame.render_widget(Paragraph::new(lines), area);
            }
        }
    }
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

fn enrol_error(e: &ApiError) -> String {
    match e.code {
        ErrorCode::Forbidden => format!(
            "Two-step verification is not enabled for this organization: an admin turns it on in \
             Security › Two-step ({})",
            e.message
        ),
        _ => format!("Cannot start two-step enrolment: {}", e.message),
    }
}

fn confirm_error(e: &ApiError) -> String {
    match e.code {
        ErrorCode::ValidationFailed | ErrorCode::BadRequest | ErrorCode::InvalidCredentials => {
            "That code is not valid. Check the phone's clock and enter the code the app shows now.".to_owned()
        }
        ErrorCode::Forbidden => {
            format!(
                "Two-step verification is not enabled for this organization ({})",
                e.message
            )
        }
        _ => format!("Cannot confirm: {}", e.message),
    }
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
