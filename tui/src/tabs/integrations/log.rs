//! A channel's delivery log (SETTINGS.md section 6): its deliveries newest first (event, status, attempts,
//! the last answer), the cursor delivery's attempts in full, Redeliver (the same `webhook-id`) for a
//! finished one. While a delivery is still going out, the log is read again when its next attempt is due
//! (a timer at that time, not a poll).

use std::time::Duration;

use orgdeck_shared::{
    ApiError, Page,
    integrations::{Delivery, DeliveryQuery, DeliveryStatus, Integration, endpoints as ep},
};
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};
use uuid::Uuid;

use super::IntegrationsMsg;
use crate::{
    api::Call,
    keymap::Action,
    tabs::{
        Effects, TabCtx,
        doc::Load,
        paged::{Nav, Paged},
    },
    widgets::{ToastLevel, table::fit},
};

/// Deliveries read at a time.
const PAGE: u32 = 50;
/// The timer that reads the log again when an open delivery's next attempt is due.
pub const REFRESH_TIMER: &str = "delivery_log";

pub struct DeliveryLog {
    pub integration: Integration,
    pub list: Paged<Delivery>,
    /// The cursor delivery's attempts are shown in full.
    pub detail: bool,
    /// Which timer token is current (a newer read makes older timers moot).
    pub token: u64,
}

fn page_of(page: Page<Delivery>) -> (Vec<Delivery>, Option<String>) {
    (page.items, page.next_cursor)
}

impl DeliveryLog {
    pub fn new(integration: Integration) -> Self {
        DeliveryLog {
            integration,
            list: Paged::default(),
            detail: false,
            token: 0,
        }
    }

    fn call(&self, cursor: Option<Uuid>, more: bool) -> Call {
        let id = self.integration.id;
        let query = DeliveryQuery {
            cursor,
            limit: Some(PAGE),
        };
        Call::of::<ep::Deliveries, _>(id, move |result| IntegrationsMsg::Log { id, more, result })
            .query(&query)
            .label(if more {
                "loading older deliveries"
            } else {
                "loading the delivery log"
            })
    }

    pub fn read_first(&mut self, fx: &mut Effects) {
        self.list.reloading();
        fx.call(self.call(None, false));
    }

    /// A page arrived: shown, and a timer set for the soonest attempt still to come.
    pub fn page(&mut self, more: bool, result: Result<Page<Delivery>, ApiError>, fx: &mut Effects) {
        let result = result.map(page_of);
        let shown = if more {
            self.list.more(result)
        } else {
            self.list.first(result)
        };
        match shown {
            Ok(()) => {}
            Err(e) if crate::api::needs_login(&e) => {}
            Err(e) if self.list.rows.loaded().is_some() => fx.toast(
                ToastLevel::Error,
                format!("The delivery log did not load: {}", e.message),
            ),
            Err(_) => {}
        }
        let now = jiff::Timestamp::now();
        let due = self
            .list
            .items()
            .iter()
            .filter(|d| d.status.open())
            .map(|d| d.next_attempt_at.unwrap_or(now))
            .min();
        if let Some(at) = due {
            let wait = Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO);
            self.token += 1;
            // A moment after it is due, so the attempt is recorded when the log is read.
            fx.timer(REFRESH_TIMER, wait + Duration::from_secs(1), self.token);
        }
    }

    /// Navigation and the log's own keys; false for what it has no use for.
    pub fn handle(&mut self, action: Action, fx: &mut Effects) -> bool {
        match self.list.nav(action, 10) {
            Nav::Moved => return true,
            Nav::More => {
                let cursor = self.list.next.as_deref().and_then(|c| Uuid::parse_str(c).ok());
                fx.call(self.call(cursor, true));
                return true;
            }
            Nav::No => {}
        }
        match action {
            Action::Activate | Action::Detail => self.detail = !self.detail,
            Action::Reload => self.read_first(fx),
            _ => return false,
        }
        true
    }

    /// The redelivery of the cursor delivery, or why there is none.
    pub fn redeliver(&self, fx: &mut Effects) {
        let Some(d) = self.list.current() else {
            fx.toast(ToastLevel::Info, "No delivery here yet");
            return;
        };
        if d.status.open() {
            fx.toast(
                ToastLevel::Info,
                format!("This delivery is still {}: it goes out by itself", d.status.as_str()),
            );
            return;
        }
        let (id, delivery) = (self.integration.id, d.id);
        let call = Call::of::<ep::Redeliver, _>((id, delivery), move |result| IntegrationsMsg::Redelivered {
            id,
            result,
        });
        fx.call(call.retryable(false).label("sending it again"));
    }

    /// A redelivery was accepted: its row shows it pending, and the log is read again shortly.
    pub fn redelivered(&mut self, d: Delivery, fx: &mut Effects) {
        if let Load::Loaded(rows) = &mut self.list.rows
            && let Some(row) = rows.iter_mut().find(|r| r.id == d.id)
        {
            *row = d;
        }
        self.token += 1;
        fx.timer(REFRESH_TIMER, Duration::from_secs(1), self.token);
        fx.toast(ToastLevel::Info, "Sent again with the same webhook-id; the log follows");
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        frame.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(
                format!(" Deliveries to {} ", self.integration.name),
                theme.title,
            ));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let rows = match &self.list.rows {
            Load::NotLoaded | Load::Loading => {
                frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
                return;
            }
            Load::Failed(e) => {
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        format!("Could not load the delivery log: {} (r retries)", e.message),
                        theme.error,
                    ))
                    .wrap(Wrap { trim: true }),
                    inner,
                );
                return;
            }
            Load::Loaded(rows) => rows,
        };
        if rows.is_empty() {
            let text = "Nothing delivered yet. Events reach this channel when the Notifications area names it \
                        for their type (' n).";
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.muted)).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let detail_rows = if self.detail { (inner.height / 2).max(3) } else { 4 }.min(inner.height.saturating_sub(3));
        let [list, detail] = Layout::vertical([Constraint::Min(2), Constraint::Length(detail_rows)]).areas(inner);
        let w = list.width;
        let (when_w, status_w, tries_w): (u16, u16, u16) = (17, 10, 4);
        let title_w = w.saturating_sub(when_w + status_w + tries_w + 2);
        let header = format!(
            "  {:<ww$}{:<sw$}{:<tw$}{}",
            "When",
            "Status",
            "Try",
            "Event",
            ww = when_w as usize,
            sw = status_w as usize,
            tw = tries_w as usize
        );
        let mut lines = vec![Line::styled(fit(&header, w), theme.label)];
        let shown = list.height.saturating_sub(1) as usize;
        for (i, d) in rows.iter().enumerate().skip(self.list.offset(shown)).take(shown) {
            let marker = if i == self.list.cursor { "> " } else { "  " };
            let text = format!(
                "{marker}{:<ww$}{:<sw$}{:<tw$}{}",
                fit(&ctx.dates.datetime(d.created_at), when_w - 1),
                d.status.as_str(),
                d.attempts.len(),
                fit(&d.title, title_w),
                ww = when_w as usize,
                sw = status_w as usize,
                tw = tries_w as usize
            );
            let style = match (i == self.list.cursor, d.status) {
                (true, _) => theme.cursor_row,
                (false, DeliveryStatus::Failed) => theme.error,
                (false, DeliveryStatus::Retrying) => theme.warning,
                _ => theme.base,
            };
            lines.push(Line::styled(text, style));
        }
        if self.list.more_asked {
            lines.push(Line::styled("  loading older deliveries…", theme.muted));
        }
        frame.render_widget(Paragraph::new(lines), list);
        if let Some(d) = self.list.current() {
            self.render_detail(d, frame, detail, ctx);
        }
    }

    /// The cursor delivery: its id, what comes next, and its attempts (the newest first when folded).
    fn render_detail(&self, d: &Delivery, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let mut lines = vec![Line::styled("─".repeat(area.width as usize), theme.border)];
        let mut head = d.event_type.label().to_owned();
        if let (true, Some(at)) = (d.status.open(), d.next_attempt_at) {
            head.push_str(&format!(" · next attempt {}", ctx.dates.datetime(at)));
        }
        if self.detail {
            head.push_str(&format!(" · webhook-id {}", d.message_id));
        }
        lines.push(Line::styled(head, theme.muted));
        let attempt_line = |n: usize, a: &orgdeck_shared::integrations::DeliveryAttempt| {
            let status = a.status.map_or_else(|| "no answer".to_owned(), |s| format!("HTTP {s}"));
            let said = match a.message.trim() {
                "" => String::new(),
                m => format!(": {}", m.replace('\n', " ")),
            };
            format!(
                "#{n} {} · {} ms · {status}{said}",
                ctx.dates.datetime(a.at),
                a.duration_ms
            )
        };
        if self.detail {
            for (n, a) in d.attempts.iter().enumerate().rev() {
                lines.push(Line::styled(attempt_line(n + 1, a), theme.base));
            }
        } else if let Some(a) = d.attempts.last() {
            lines.push(Line::styled(attempt_line(d.attempts.len(), a), theme.base));
        } else {
            lines.push(Line::styled("No attempt yet.", theme.muted));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
    }
}
