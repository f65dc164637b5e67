//! A user's active sessions over the Users table (`S` on a user): end one (`d`) or all (`X`), each asked
//! first.

use orgdeck_shared::{
    ApiError,
    security::{
        ActiveSession,
        endpoints::{EndSession, EndSessions, ListSessions},
    },
};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};
use uuid::Uuid;

use crate::{
    api::{Call, needs_login},
    keymap::Action,
    tabs::{Effects, TabCtx, doc::Load},
    widgets::{Dialog, ToastLevel, dialog::centered, table::fit},
};

/// The answers of the list's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionsMsg {
    Listed {
        user: Uuid,
        result: Result<Vec<ActiveSession>, ApiError>,
    },
    /// One session (its id) or all (`None`) ended.
    Ended {
        user: Uuid,
        session: Option<String>,
        result: Result<(), ApiError>,
    },
}

fn list_call(user: Uuid) -> Call {
    Call::of::<ListSessions, _>(user, move |result| SessionsMsg::Listed { user, result }).label("loading sessions")
}

pub struct SessionList {
    pub user: Uuid,
    pub email: String,
    pub sessions: Load<Vec<ActiveSession>>,
    pub cursor: usize,
    /// What a yes ends: one session (its id) or all (`None`).
    pub pending: Option<Option<String>>,
}

impl SessionList {
    pub fn open(user: Uuid, email: String, fx: &mut Effects) -> SessionList {
        fx.call(list_call(user));
        SessionList {
            user,
            email,
            sessions: Load::Loading,
            cursor: 0,
            pending: None,
        }
    }

    /// False when the list has no use for the action (Cancel closes it; the tab does that).
    pub fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let count = self.sessions.loaded().map_or(0, Vec::len);
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(count.saturating_sub(1)),
            Action::Reload => fx.call(list_call(self.user)),
            Action::DeleteItem if !ctx.read_only => {
                let Some(s) = self.sessions.loaded().and_then(|v| v.get(self.cursor)) else {
                    return true;
                };
                self.pending = Some(Some(s.id.clone()));
                let seen = ctx.dates.datetime(s.last_seen_at);
                fx.confirm = Some(Dialog::confirm(
                    Action::DeleteItem,
                    "End the session?",
                    format!(
                        "End {}'s session from {} (last seen {seen})? They must log in again there.",
                        self.email, s.ip
                    ),
                    "end it",
                    "keep",
                ));
            }
            crate::tabs::users::END_ALL_SESSIONS if !ctx.read_only && count > 0 => {
                self.pending = Some(None);
                fx.confirm = Some(Dialog::confirm(
                    crate::tabs::users::END_ALL_SESSIONS,
                    "End all sessions?",
                    format!(
                        "End all {count} sessions of {}? They must log in again everywhere.",
                        self.email
                    ),
                    "end all",
                    "keep",
                ));
            }
            _ => return false,
        }
        true
    }

    pub fn confirmed(&mut self, action: Action, fx: &mut Effects) {
        if matches!(action, Action::DeleteItem | crate::tabs::users::END_ALL_SESSIONS)
            && let Some(session) = self.pending.take()
        {
            let user = self.user;
            let call = match session.clone() {
                Some(id) => Call::of::<EndSession, _>((user, id), move |result| SessionsMsg::Ended {
                    user,
                    session: session.clone(),
                    result,
                }),
                None => Call::of::<EndSessions, _>(user, move |result| SessionsMsg::Ended {
                    user,
                    session: None,
                    result,
                }),
            };
            fx.call(call.label("ending sessions"));
        }
    }

    pub fn answer(&mut self, msg: SessionsMsg, fx: &mut Effects) {
        match msg {
            SessionsMsg::Listed { user, result } if user == self.user => match result {
                Ok(list) => {
                    self.cursor = self.cursor.min(list.len().saturating_sub(1));
                    self.sessions = Load::Loaded(list);
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => self.sessions = Load::Failed(e),
            },
            SessionsMsg::Ended { user, session, result } if user == self.user => match result {
                Ok(()) => {
                    let what = if session.is_some() {
                        "Ended the session"
                    } else {
                        "Ended all sessions"
                    };
                    fx.toast(ToastLevel::Info, format!("{what} of {}", self.email));
                    fx.call(list_call(self.user));
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Not ended: {}", e.message)),
            },
            _ => {}
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let width = area.width.saturating_sub(4).min(90);
        let height = area.height.saturating_sub(2).clamp(5, 16);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(format!(" Sessions of {} ", self.email), theme.title));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let lines: Vec<Line> = match &self.sessions {
            Load::Loaded(list) if list.is_empty() => vec![Line::from(Span::styled("No active sessions.", theme.muted))],
            Load::Loaded(list) => {
                let mut lines = vec![Line::from(Span::styled(
                    fit(
                        "  Address          Started           Last seen         Ends",
                        inner.width,
                    ),
                    theme.label,
                ))];
                for (i, s) in list.iter().enumerate() {
                    let selected = i == self.cursor;
                    let text = format!(
                        "{}{:<16} {:<17} {:<17} {}",
                        if selected { "> " } else { "  " },
                        fit(&s.ip, 16),
                        ctx.dates.datetime(s.created_at),
                        ctx.dates.datetime(s.last_seen_at),
                        ctx.dates.datetime(s.expires_at),
                    );
                    let style = if selected { theme.selected } else { theme.value };
                    lines.push(Line::from(Span::styled(fit(&text, inner.width), style)));
                }
                lines
            }
            Load::Failed(e) => vec![Line::from(Span::styled(
                format!("Could not load the sessions: {}", e.message),
                theme.error,
            ))],
            _ => vec![Line::from(Span::styled("Loading…", theme.muted))],
        };
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
