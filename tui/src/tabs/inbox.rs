//! The Inbox (SETTINGS.md section 8): the user's own in-app notifications, newest first, unread marked.
//! `Enter` opens an entry (and marks it read), `A` marks every entry read, `U` shows only the unread ones,
//! `T` sends a new vulnerability's entry to a bug tracker as an issue (admins; the link shown with copy).
//! The unread count in the status line follows (the tab asks `GET me` again after a change of its own);
//! a new event (a live update, or an unread count that grew) reads the first page again.

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::Me,
    inbox::{InboxEntry, InboxPage, InboxQuery, Unread, endpoints as ep},
    integrations::{Integration, IntegrationStatus, NewTrackerIssue, TrackerIssue, endpoints as integration_ep},
};
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};
use uuid::Uuid;

use super::{
    Effects, Tab, TabCtx,
    doc::Load,
    own,
    paged::{Nav, Paged},
};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating, spec},
    widgets::{
        Prompt, Report, ToastLevel,
        overlay::{PromptEvent, ReportEvent},
        table::fit,
    },
};

pub const READ_ALL: Action = Action::Tab(TabAction("inbox_read_all"));
pub const UNREAD_ONLY: Action = Action::Tab(TabAction("inbox_unread_only"));
pub const SEND_TO_TRACKER: Action = Action::Tab(TabAction("send_to_tracker"));
pub const OPEN_SUBJECT: Action = Action::Tab(TabAction("inbox_open_subject"));

pub const KEYS: &[ActionSpec] = &[
    spec(
        READ_ALL,
        "inbox_read_all",
        Scope::Area("Inbox"),
        &["A"],
        "Inbox: mark every entry read",
        Some("all read"),
    ),
    spec(
        UNREAD_ONLY,
        "inbox_unread_only",
        Scope::Area("Inbox"),
        &["U"],
        "Inbox: show only unread entries, or all again",
        Some("unread only"),
    ),
    spec(
        OPEN_SUBJECT,
        "inbox_open_subject",
        Scope::Area("Inbox"),
        &["O"],
        "Inbox: open the server or application the entry is about (in the Servers area)",
        Some("open subject"),
    ),
    mutating(
        SEND_TO_TRACKER,
        "send_to_tracker",
        Scope::Area("Inbox"),
        &["T"],
        "Inbox: send the vulnerability of the entry to a bug tracker (JIRA, Bugzilla) as an issue",
        Some("to tracker"),
    ),
];

/// Entries read at a time.
const PAGE: u32 = 50;

#[derive(Debug, Clone, PartialEq)]
pub enum InboxMsg {
    First(Result<InboxPage, ApiError>),
    More(Result<InboxPage, ApiError>),
    Read {
        id: Uuid,
        result: Result<Unread, ApiError>,
    },
    AllRead(Result<Unread, ApiError>),
    /// The organization's integrations, to choose a bug tracker for `vulnerability`.
    Trackers {
        vulnerability: Uuid,
        title: String,
        result: Result<Vec<Integration>, ApiError>,
    },
    Issue {
        tracker: String,
        result: Result<TrackerIssue, ApiError>,
    },
}

/// Choosing the bug tracker a vulnerability goes to.
pub struct TrackerChoice {
    pub vulnerability: Uuid,
    pub trackers: Vec<Integration>,
    pub prompt: Prompt,
}

/// The tracker `text` names: its name, or the start of exactly one name, any letter case.
pub fn pick_tracker<'a>(trackers: &'a [Integration], text: &str) -> Result<&'a Integration, String> {
    let t = text.trim().to_lowercase();
    if let Some(exact) = trackers.iter().find(|i| i.name.to_lowercase() == t) {
        return Ok(exact);
    }
    let starting: Vec<&Integration> = trackers
        .iter()
        .filter(|i| i.name.to_lowercase().starts_with(&t))
        .collect();
    match starting.as_slice() {
        [one] => Ok(one),
        _ => Err(format!(
            "type one of: {}",
            trackers.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

pub struct InboxTab {
    pub list: Paged<InboxEntry>,
    /// The unread count the last page came with.
    pub unread: u64,
    pub unread_only: bool,
    /// An entry opened, or an issue made.
    pub open: Option<Report>,
    /// Choosing a bug tracker.
    pub choice: Option<TrackerChoice>,
}

impl Default for InboxTab {
    fn default() -> Self {
        Self::new()
    }
}

fn page_of(page: InboxPage) -> (Vec<InboxEntry>, Option<String>) {
    (page.items, page.next_cursor)
}

/// An entry as its report shows it: the title, what it is about, when, and the details.
fn entry_report(e: &InboxEntry, ctx: &TabCtx) -> Report {
    let mut lines = Vec::new();
    lines.extend(crate::widgets::wrap(&e.title, 72));
    lines.push(String::new());
    let mut about = vec![format!(
        "{} · {}",
        e.event_type.label(),
        ctx.dates.datetime(e.created_at)
    )];
    if let Some(s) = e.severity {
        about.push(format!("Severity: {}", s.as_str()));
    }
    if let Some(a) = &e.application {
        about.push(format!("Application: {}", a.name));
    }
    if let Some(s) = &e.server {
        about.push(format!("Server: {}", s.name));
    }
    if let Some(i) = &e.integration {
        about.push(format!("Integration: {} (' i opens Integrations)", i.name));
    }
    lines.extend(about);
    lines.push(String::new());
    lines.extend(e.message.lines().flat_map(|l| crate::widgets::wrap(l, 72)));
    Report::new("Notification", lines)
}

impl InboxTab {
    pub fn new() -> Self {
        InboxTab {
            list: Paged::default(),
            unread: 0,
            unread_only: false,
            open: None,
            choice: None,
        }
    }

    fn query(&self, cursor: Option<Uuid>) -> InboxQuery {
        InboxQuery {
            unread: self.unread_only.then_some(true),
            cursor,
            limit: Some(PAGE),
        }
    }

    fn read_first(&mut self, fx: &mut Effects) {
        if !self.list.start_first() {
            return;
        }
        fx.call(
            Call::of::<ep::List, _>((), InboxMsg::First)
                .query(&self.query(None))
                .label("loading the inbox"),
        );
    }

    fn read_more(&mut self, fx: &mut Effects) {
        let cursor = self.list.next.as_deref().and_then(|c| Uuid::parse_str(c).ok());
        fx.call(
            Call::of::<ep::List, _>((), InboxMsg::More)
                .query(&self.query(cursor))
                .label("loading older entries"),
        );
    }

    fn mark(&mut self, id: Uuid, at: jiff::Timestamp) {
        if let Load::Loaded(rows) = &mut self.list.rows
            && let Some(e) = rows.iter_mut().find(|e| e.id == id)
            && e.read_at.is_none()
        {
            e.read_at = Some(at);
        }
    }

    fn open_current(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        let Some(e) = self.list.current().cloned() else {
            fx.toast(ToastLevel::Info, "Nothing in the inbox");
            return;
        };
        self.open = Some(entry_report(&e, ctx));
        if e.read_at.is_none() {
            // Shown read at once; the server's answer brings the count.
            self.mark(e.id, jiff::Timestamp::now());
            let id = e.id;
            fx.call(
                Call::of::<ep::Read, _>(id, move |result| InboxMsg::Read { id, result })
                    .retryable(true)
                    .label("marking it read"),
            );
        }
    }

    /// `T`: the trackers are read first (only admins may), then chosen.
    fn ask_tracker(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        if ctx.read_only {
            fx.toast(
                ToastLevel::Warning,
                "Read-only profile: sending to a bug tracker is disabled",
            );
            return;
        }
        let Some(e) = self.list.current() else {
            fx.toast(ToastLevel::Info, "Nothing in the inbox");
            return;
        };
        let Some(vulnerability) = e.vulnerability_id else {
            fx.toast(
                ToastLevel::Info,
                "Only a new vulnerability can be sent to a bug tracker",
            );
            return;
        };
        let title = e.title.clone();
        fx.call(
            Call::of::<integration_ep::List, _>((), move |result| InboxMsg::Trackers {
                vulnerability,
                title: title.clone(),
                result,
            })
            .label("loading the bug trackers"),
        );
    }

    fn trackers(
        &mut self,
        vulnerability: Uuid,
        title: String,
        result: Result<Vec<Integration>, ApiError>,
        fx: &mut Effects,
    ) {
        let all = match result {
            Ok(all) => all,
            Err(e) if e.code == ErrorCode::Forbidden => {
                fx.toast(
                    ToastLevel::Warning,
                    "Only organization admins send vulnerabilities to bug trackers",
                );
                return;
            }
            Err(e) if needs_login(&e) => return,
            Err(e) => {
                fx.toast(
                    ToastLevel::Error,
                    format!("The bug trackers did not load: {}", e.message),
                );
                return;
            }
        };
        let trackers: Vec<Integration> = all
            .into_iter()
            .filter(|i| i.kind.tracker() && !i.kind.legacy() && i.enabled && i.status == IntegrationStatus::Active)
            .collect();
        let Some(first) = trackers.first() else {
            fx.toast(
                ToastLevel::Info,
                "No bug tracker is switched on: add JIRA or Bugzilla in Integrations (' i)",
            );
            return;
        };
        let names: Vec<String> = trackers
            .iter()
            .map(|i| format!("{} ({})", i.name, i.kind.label()))
            .collect();
        let prompt = Prompt::new(
            "Send to a bug tracker",
            format!("{title}\n\nAs an issue in which tracker? {}", names.join(", ")),
        )
        .with_default(first.name.clone())
        .with_submit("send", "type a tracker's name");
        self.choice = Some(TrackerChoice {
            vulnerability,
            trackers,
            prompt,
        });
    }

    fn unread_changed(&mut self, result: Result<Unread, ApiError>, fx: &mut Effects) {
        match result {
            Ok(u) => {
                self.unread = u.unread;
                fx.refresh_me = true;
            }
            Err(e) if needs_login(&e) => {}
            Err(e) => {
                fx.toast(ToastLevel::Error, format!("Not marked read: {}", e.message));
                self.read_first(fx);
            }
        }
    }
}

impl Tab for InboxTab {
    fn title(&self) -> &'static str {
        "Inbox"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.read_first(fx);
    }

    fn captures_input(&self) -> bool {
        self.choice.is_some()
    }

    fn handle_key(&mut self, key: &KeyEvent, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(choice) = &mut self.choice else { return };
        match choice.prompt.handle_key(key) {
            PromptEvent::None => {}
            PromptEvent::Cancel => self.choice = None,
            PromptEvent::Submit(text) => match pick_tracker(&choice.trackers, &text) {
                Err(why) => choice.prompt.error = Some(why),
                Ok(tracker) => {
                    let (id, name) = (tracker.id, tracker.name.clone());
                    let body = NewTrackerIssue {
                        vulnerability_id: choice.vulnerability,
                    };
                    fx.call(
                        Call::new::<integration_ep::CreateIssue, _>(id, &body, move |result| InboxMsg::Issue {
                            tracker: name.clone(),
                            result,
                        })
                        .retryable(false)
                        .label("sending it to the bug tracker"),
                    );
                    self.choice = None;
                }
            },
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        if let Some(r) = &mut self.open {
            match r.handle(action) {
                ReportEvent::Close => self.open = None,
                ReportEvent::Copy(link) => {
                    fx.copy = Some(link);
                    fx.toast(ToastLevel::Info, "Copied the issue's link");
                }
                ReportEvent::None => {}
            }
            return true;
        }
        if self.choice.is_some() {
            return false;
        }
        match self.list.nav(action, 10) {
            Nav::Moved => return true,
            Nav::More => {
                self.read_more(fx);
                return true;
            }
            Nav::No => {}
        }
        match action {
            Action::Activate | Action::Detail => self.open_current(ctx, fx),
            Action::Reload => self.read_first(fx),
            SEND_TO_TRACKER => self.ask_tracker(ctx, fx),
            OPEN_SUBJECT => match self.list.current() {
                Some(InboxEntry { server: Some(s), .. }) => {
                    fx.open = Some(super::Show::Server {
                        id: s.id,
                        name: s.name.clone(),
                    })
                }
                Some(InboxEntry {
                    application: Some(a), ..
                }) => {
                    fx.open = Some(super::Show::Application {
                        id: a.id,
                        name: a.name.clone(),
                    })
                }
                Some(_) => fx.toast(ToastLevel::Info, "This entry is about no server or application"),
                None => fx.toast(ToastLevel::Info, "Nothing in the inbox"),
            },
            READ_ALL => {
                if self.list.items().iter().all(|e| e.read_at.is_some()) && self.unread == 0 {
                    fx.toast(ToastLevel::Info, "Nothing unread");
                    return true;
                }
                let now = jiff::Timestamp::now();
                if let Load::Loaded(rows) = &mut self.list.rows {
                    for e in rows.iter_mut().filter(|e| e.read_at.is_none()) {
                        e.read_at = Some(now);
                    }
                }
                fx.call(
                    Call::of::<ep::ReadAll, _>((), InboxMsg::AllRead)
                        .retryable(true)
                        .label("marking all read"),
                );
            }
            UNREAD_ONLY => {
                self.unread_only = !self.unread_only;
                self.list.cursor = 0;
                self.list.rows = Load::Loading;
                self.read_first(fx);
            }
            _ => return false,
        }
        true
    }

    fn confirmed(&mut self, _action: Action, _ctx: &TabCtx, _fx: &mut Effects) {}

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<InboxMsg>(msg) else { return };
        match msg {
            InboxMsg::First(result) => {
                if let Ok(page) = &result {
                    self.unread = page.unread;
                }
                match self.list.first(result.map(page_of)) {
                    Err(e) if needs_login(&e) => {}
                    Err(e) if self.list.rows.loaded().is_some() => {
                        fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message))
                    }
                    _ => {}
                }
                if self.list.first_arrived() {
                    self.read_first(fx);
                }
            }
            InboxMsg::More(result) => {
                if let Err(e) = self.list.more(result.map(page_of))
                    && !needs_login(&e)
                {
                    fx.toast(ToastLevel::Error, format!("Older entries did not load: {}", e.message));
                }
            }
            InboxMsg::Read { result, .. } | InboxMsg::AllRead(result) => self.unread_changed(result, fx),
            InboxMsg::Trackers {
                vulnerability,
                title,
                result,
            } => self.trackers(vulnerability, title, result, fx),
            InboxMsg::Issue { tracker, result } => match result {
                Ok(issue) => {
                    let lines = vec![
                        format!("✓ {tracker} made issue {}.", issue.key),
                        String::new(),
                        issue.url.clone(),
                        String::new(),
                        "c copies the link (it works over SSH: OSC 52).".to_owned(),
                    ];
                    let mut report = Report::new(format!("Sent to {tracker}"), lines);
                    report.copy = Some(orgdeck_shared::auth::Secret::new(issue.url));
                    self.open = Some(report);
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Not sent to {tracker}: {}", e.message)),
            },
        }
    }

    fn me_changed(&mut self, me: &Me, fx: &mut Effects) {
        // More unread than the page said: something arrived.
        if self.list.rows.loaded().is_some() && me.unread > self.unread {
            self.read_first(fx);
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, fx: &mut Effects) {
        // Events are audited under their application, a disabling under its integration, an expiring
        // license under its licenses.
        if matches!(change.area.as_str(), "application" | "integration" | "license")
            && self.list.rows.loaded().is_some()
        {
            self.read_first(fx);
        }
    }

    fn is_dirty(&self) -> bool {
        false
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.choice.is_some() {
            return vec![(Action::Activate, "send"), (Action::Cancel, "cancel")];
        }
        if let Some(r) = &self.open {
            if r.copy.is_some() {
                return vec![(Action::Copy, "copy link"), (Action::Cancel, "close")];
            }
            return vec![(Action::Down, "scroll"), (Action::Cancel, "close")];
        }
        let mut hints = vec![(Action::Activate, "open")];
        if self
            .list
            .current()
            .is_some_and(|e| e.server.is_some() || e.application.is_some())
        {
            hints.push((OPEN_SUBJECT, "open subject"));
        }
        if self.list.current().is_some_and(|e| e.vulnerability_id.is_some()) {
            hints.push((SEND_TO_TRACKER, "to tracker"));
        }
        hints.extend([
            (READ_ALL, "all read"),
            (UNREAD_ONLY, if self.unread_only { "show all" } else { "unread only" }),
            (Action::Reload, "reload"),
            (Action::Help, "help"),
        ]);
        hints
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let title = match (self.unread_only, self.unread) {
            (true, n) => format!(" Inbox: unread only ({n}) "),
            (false, 0) => " Inbox ".to_owned(),
            (false, n) => format!(" Inbox ({n} unread) "),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        match &self.list.rows {
            Load::NotLoaded | Load::Loading => {
                frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
            }
            Load::Failed(e) => {
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        format!("Could not load the inbox: {} (r retries)", e.message),
                        theme.error,
                    ))
                    .wrap(Wrap { trim: true }),
                    inner,
                );
            }
            Load::Loaded(rows) if rows.is_empty() => {
                let text = if self.unread_only {
                    "Nothing unread. U shows every entry."
                } else {
                    "Nothing yet. What your notification settings send in-app (new vulnerabilities, attacks, \
                     disabled integrations...) arrives here."
                };
                frame.render_widget(
                    Paragraph::new(Span::styled(text, theme.muted)).wrap(Wrap { trim: true }),
                    inner,
                );
            }
            Load::Loaded(rows) => self.render_rows(rows, frame, inner, ctx),
        }
        if let Some(r) = &self.open {
            r.render(frame, area, theme);
        }
        if let Some(c) = &self.choice {
            c.prompt.render(frame, area, theme);
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

impl InboxTab {
    fn render_rows(&self, rows: &[InboxEntry], frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let detail_rows = 3.min(area.height.saturating_sub(3));
        let [list, detail] = Layout::vertical([Constraint::Min(2), Constraint::Length(detail_rows)]).areas(area);
        let w = list.width;
        let when_w: u16 = 18;
        let title_w = w.saturating_sub(when_w + 4);
        let mut lines = vec![Line::styled(
            fit(
                &format!("    {:<ww$}{}", "When", "Notification", ww = when_w as usize),
                w,
            ),
            theme.label,
        )];
        let shown = list.height.saturating_sub(1) as usize;
        let offset = self.list.offset(shown);
        for (i, e) in rows.iter().enumerate().skip(offset).take(shown) {
            let marker = if i == self.list.cursor { ">" } else { " " };
            // NO_COLOR keeps the dot: unread is never colour alone.
            let dot = if e.read_at.is_none() { "●" } else { " " };
            let text = format!(
                "{marker}{dot}  {:<ww$}{}",
                fit(&ctx.dates.datetime(e.created_at), when_w - 1),
                fit(&e.title, title_w),
                ww = when_w as usize
            );
            let style = if i == self.list.cursor {
                theme.cursor_row
            } else if e.read_at.is_none() {
                theme.title
            } else {
                theme.base
            };
            lines.push(Line::styled(text, style));
        }
        if self.list.more_asked {
            lines.push(Line::styled("  loading older entries…", theme.muted));
        }
        frame.render_widget(Paragraph::new(lines), list);
        if let Some(e) = self.list.current() {
            let mut text = vec![Line::styled("─".repeat(detail.width as usize), theme.border)];
            text.push(Line::styled(e.message.replace('\n', " "), theme.base));
            frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), detail);
        }
    }
}
