//! The Notifications tab (SETTINGS.md section 8): the organization's defaults per event type as a grid:
//! in-app, email, and the channel integrations to notify, plus the severities that make a new
//! vulnerability notify. One versioned settings document ([`DocState`]): stale edits, the conflict view
//! of a save and live updates come with it.

use orgdeck_shared::{
    ApiError, ErrorCode, Versioned,
    integrations::{Integration, endpoints as integrations},
    notifications::{EventType, NotificationSettings, Severity},
};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};
use uuid::Uuid;

use super::{
    Effects, Tab, TabCtx,
    doc::{Arrival, DocState, Document, Load, MergeStep},
    own,
};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::Action,
    widgets::{Dialog, ToastLevel, dialog::centered, merge::Merge, table::fit},
};

/// The answers of the tab's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationsMsg {
    Read(Result<Versioned<NotificationSettings>, ApiError>),
    Saved(Result<Versioned<NotificationSettings>, ApiError>),
    Channels(Result<Vec<Integration>, ApiError>),
}

impl Document for NotificationSettings {
    const TITLE: &'static str = "notification settings";
    type Msg = NotificationsMsg;
    fn read_msg(result: Result<Versioned<Self>, ApiError>) -> NotificationsMsg {
        NotificationsMsg::Read(result)
    }
    fn saved_msg(_sent: &Self, result: Result<Versioned<Self>, ApiError>) -> NotificationsMsg {
        NotificationsMsg::Saved(result)
    }
}

/// A row of the grid: an event type, or the severities of new vulnerabilities (under it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Event(EventType),
    Severities,
}

/// The rows, top to bottom.
pub fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for e in EventType::ALL {
        rows.push(Row::Event(e));
        if e == EventType::NewVulnerability {
            rows.push(Row::Severities);
        }
    }
    rows
}

/// The columns of an event row.
pub const IN_APP: usize = 0;
pub const EMAIL: usize = 1;
pub const CHANNELS: usize = 2;

/// Choosing the channels of one event type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelPicker {
    pub event: EventType,
    pub cursor: usize,
    pub chosen: Vec<bool>,
}

pub struct NotificationsTab {
    pub state: DocState<NotificationSettings>,
    /// The edits, on top of the document as read.
    pub edited: Option<NotificationSettings>,
    pub row: usize,
    pub col: usize,
    /// The organization's channel integrations (not bug trackers), by id and name.
    pub channels: Vec<(Uuid, String)>,
    pub picker: Option<ChannelPicker>,
}

impl Default for NotificationsTab {
    fn default() -> Self {
        Self::new()
    }
}

/// How the conflict view of a save names a field (`server_offline.email`: "Server offline: email").
fn label(path: &str) -> Option<(usize, String)> {
    let (event, what) = path.split_once('.').unwrap_or((path, ""));
    if event == "new_vulnerability_severities" {
        return Some((1, "New vulnerability: severities".into()));
    }
    let i = EventType::ALL.iter().position(|e| e.as_str() == event)?;
    let what = match what {
        "in_app" => "in-app",
        other => other,
    };
    Some((i * 3 + 2, format!("{}: {what}", EventType::ALL[i].label())))
}

impl NotificationsTab {
    pub fn new() -> Self {
        NotificationsTab {
            state: DocState::new(),
            edited: None,
            row: 0,
            col: 0,
            channels: Vec::new(),
            picker: None,
        }
    }

    fn refill(&mut self) {
        self.edited = self.state.base().map(|b| b.value.clone());
    }

    fn read_channels(&self, fx: &mut Effects) {
        fx.call(Call::of::<integrations::List, _>((), NotificationsMsg::Channels).label("loading channels"));
    }

    fn channel_name(&self, id: Uuid) -> String {
        self.channels
            .iter()
            .find(|(c, _)| *c == id)
            .map_or_else(|| "(removed channel)".to_owned(), |(_, n)| n.clone())
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        let Some(edited) = self.edited.clone() else { return };
        if let Some(version) = self.state.check_save(&edited, ctx.read_only, &label, fx) {
            self.state.send(version, edited, fx);
        }
    }

    /// Space or Enter on the cursor cell.
    fn toggle(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        if ctx.read_only {
            fx.toast(ToastLevel::Warning, "Read-only profile: nothing changes here");
            return;
        }
        let row = rows()[self.row];
        let channels = self.channels.clone();
        let Some(edited) = self.edited.as_mut() else { return };
        match row {
            Row::Severities => {
                let sev = Severity::ALL[self.col.min(Severity::ALL.len() - 1)];
                let list = &mut edited.new_vulnerability_severities;
                if let Some(i) = list.iter().position(|s| *s == sev) {
                    list.remove(i);
                } else {
                    list.push(sev);
                    list.sort();
                }
            }
            Row::Event(e) => match self.col {
                IN_APP => edited.rule_mut(e).in_app = !edited.rule(e).in_app,
                EMAIL => edited.rule_mut(e).email = !edited.rule(e).email,
                _ => {
                    if channels.is_empty() {
                        fx.toast(
                            ToastLevel::Info,
                            "No channels yet: add Slack, Teams, a webhook... on the Integrations tab (' i)",
                        );
                        return;
                    }
                    let chosen = channels
                        .iter()
                        .map(|(id, _)| edited.rule(e).channels.contains(id))
                        .collect();
                    self.picker = Some(ChannelPicker {
                        event: e,
                        cursor: 0,
                        chosen,
                    });
                }
            },
        }
        // The server's errors about what was just changed no longer hold.
        let field = match row {
            Row::Severities => "new_vulnerability_severities",
            Row::Event(e) => e.as_str(),
        };
        self.state.server_errors.retain(|e| !e.field.starts_with(field));
    }

    fn columns_of(&self, row: Row) -> usize {
        match row {
            Row::Severities => Severity::ALL.len(),
            Row::Event(_) => 3,
        }
    }

    fn picker_action(&mut self, action: Action) -> bool {
        let Some(p) = self.picker.as_mut() else { return false };
        let n = self.channels.len();
        match action {
            Action::Up => p.cursor = p.cursor.saturating_sub(1),
            Action::Down => p.cursor = (p.cursor + 1).min(n.saturating_sub(1)),
            Action::ToggleSelect => {
                if let Some(c) = p.chosen.get_mut(p.cursor) {
                    *c = !*c;
                }
            }
            Action::Activate => {
                let p = self.picker.take().expect("open");
                if let Some(edited) = self.edited.as_mut() {
                    edited.rule_mut(p.event).channels = self
                        .channels
                        .iter()
                        .zip(&p.chosen)
                        .filter(|(_, on)| **on)
                        .map(|((id, _), _)| *id)
                        .collect();
                }
            }
            Action::Cancel => self.picker = None,
            _ => {}
        }
        true
    }
}

impl Tab for NotificationsTab {
    fn title(&self) -> &'static str {
        "Notifications"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.state.load(fx);
        self.read_channels(fx);
    }

    /// The channel picker takes its keys itself: Space chooses, Enter is done (both are "activate" in
    /// the keymap).
    fn captures_input(&self) -> bool {
        self.picker.is_some()
    }

    fn handle_key(&mut self, key: &crossterm::event::KeyEvent, ctx: &TabCtx, _fx: &mut Effects) {
        use crossterm::event::KeyCode;
        let action = match key.code {
            KeyCode::Char(' ') => Action::ToggleSelect,
            KeyCode::Enter => Action::Activate,
            KeyCode::Esc => Action::Cancel,
            _ => match ctx
                .keymap
                .action_among(key, &[Action::Up, Action::Down, Action::Cancel])
            {
                Some(a) => a,
                None => return,
            },
        };
        self.picker_action(action);
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        match self.state.merge_action(action, fx) {
            MergeStep::NotOpen => {}
            MergeStep::Handled => return true,
            MergeStep::Ignored => return false,
            MergeStep::Apply(merged) => {
                self.edited = Some(merged);
                self.save(ctx, fx);
                return true;
            }
        }
        if self.picker.is_some() {
            return self.picker_action(action);
        }
        if self.edited.is_none() && !matches!(action, Action::Reload) {
            return false;
        }
        let all = rows();
        match action {
            Action::Up => self.row = self.row.saturating_sub(1),
            Action::Down => self.row = (self.row + 1).min(all.len() - 1),
            Action::Left => self.col = self.col.saturating_sub(1),
            Action::Right => self.col += 1,
            Action::Top => self.row = 0,
            Action::Bottom => self.row = all.len() - 1,
            Action::Activate | Action::ToggleSelect => self.toggle(ctx, fx),
            Action::Save => self.save(ctx, fx),
            Action::Reload if self.is_dirty() && !self.state.stale => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Reload,
                    "Reload?",
                    "Reloading drops your unsaved edits to the notification settings.",
                    "reload",
                    "keep editing",
                ));
            }
            Action::Reload => {
                self.state.reload(fx);
                self.read_channels(fx);
            }
            _ => return false,
        }
        self.col = self.col.min(self.columns_of(all[self.row]) - 1);
        true
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if action == Action::Reload {
            self.state.reload(fx);
            self.read_channels(fx);
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<NotificationsMsg>(msg) else {
            return;
        };
        match msg {
            NotificationsMsg::Read(result) => {
                let edited = self.edited.clone();
                if self.state.arrived(result.as_ref(), edited.as_ref(), &label, fx) == Arrival::Refill {
                    self.refill();
                }
            }
            NotificationsMsg::Saved(result) => match self.state.saved(result.as_ref(), fx) {
                Ok(Arrival::Refill) => self.refill(),
                Ok(Arrival::Keep) => {}
                Err(e) if e.code == ErrorCode::ValidationFailed => self.state.rejected(e, fx),
                Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
            },
            NotificationsMsg::Channels(Ok(list)) => {
                self.channels = list
                    .into_iter()
                    .filter(|i| !i.kind.tracker())
                    .map(|i| (i.id, i.name))
                    .collect();
            }
            NotificationsMsg::Channels(Err(e)) if needs_login(&e) => {}
            NotificationsMsg::Channels(Err(_)) => {}
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, ctx: &TabCtx, fx: &mut Effects) {
        if change.area == "integration" {
            self.read_channels(fx);
            return;
        }
        let edited = self.edited.clone();
        self.state.changed(change, edited.as_ref(), ctx.dates, fx);
    }

    fn is_dirty(&self) -> bool {
        self.state.is_dirty(self.edited.as_ref())
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.state.merge.is_some() {
            let mut h = Merge::hints();
            h.extend([(Action::Help, "help"), (Action::Quit, "quit")]);
            return h;
        }
        if self.picker.is_some() {
            return vec![
                (Action::ToggleSelect, "choose"),
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
            ];
        }
        let mut h = Vec::new();
        if self.state.stale {
            h.extend([(Action::Save, "compare & save"), (Action::Reload, "take theirs")]);
        } else {
            h.extend([
                (Action::Activate, "toggle"),
                (Action::Save, "save"),
                (Action::Reload, "reload"),
            ]);
        }
        h.extend([(Action::Help, "help"), (Action::Quit, "quit")]);
        h
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        render(self, frame, area, ctx);
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

fn check(on: bool) -> &'static str {
    if on { "[x]" } else { "[ ]" }
}

fn render(tab: &NotificationsTab, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    if let Some(merge) = &tab.state.merge {
        merge.render(frame, area, theme);
        return;
    }
    let mut title = vec![Span::styled(
        " Notifications: the organization's defaults ",
        theme.title,
    )];
    if tab.is_dirty() {
        title.push(Span::styled("* modified ", theme.warning));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let edited = match (&tab.state.doc, &tab.edited) {
        (Load::Loaded(_), Some(e)) => e,
        (Load::Failed(e), _) => {
            let text = if e.code == ErrorCode::Forbidden {
                "Only organization admins can see these settings.".to_owned()
            } else {
                format!("Could not load the notification settings: {} (r retries)", e.message)
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.error)).wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        _ => {
            frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
            return;
        }
    };
    let name_w = 24usize;
    let mut lines = vec![Line::styled(
        fit(&format!("  {:<name_w$}In-app  Email   Channels", "Event"), inner.width),
        theme.label,
    )];
    let errors = {
        let mut state_errors: Vec<String> = edited
            .validate()
            .err()
            .unwrap_or_default()
            .into_iter()
            .chain(tab.state.server_errors.iter().cloned())
            .map(|e| format!("! {}: {}", e.field, e.message))
            .collect();
        state_errors.dedup();
        state_errors
    };
    for (i, row) in rows().into_iter().enumerate() {
        let at = |col: usize| i == tab.row && col == tab.col;
        let cell = |text: String, col: usize| {
            let style = if at(col) { theme.selected } else { theme.value };
            Span::styled(text, style)
        };
        let marker = if i == tab.row { "> " } else { "  " };
        match row {
            Row::Event(e) => {
                let rule = edited.rule(e);
                let names: Vec<String> = rule.channels.iter().map(|c| tab.channel_name(*c)).collect();
                let channels = if names.is_empty() {
                    "(none)".to_owned()
                } else {
                    names.join(", ")
                };
                let room = (inner.width as usize).saturating_sub(2 + name_w + 16);
                lines.push(Line::from(vec![
                    Span::styled(marker, theme.key),
                    Span::styled(format!("{:<name_w$}", e.label()), theme.label),
                    cell(check(rule.in_app).to_owned(), IN_APP),
                    Span::raw("     "),
                    cell(check(rule.email).to_owned(), EMAIL),
                    Span::raw("     "),
                    cell(fit(&channels, room as u16), CHANNELS),
                ]));
            }
            Row::Severities => {
                let mut spans = vec![
                    Span::styled(marker, theme.key),
                    Span::styled("  only severities ", theme.muted),
                ];
                for (c, s) in Severity::ALL.iter().enumerate() {
                    let on = edited.new_vulnerability_severities.contains(s);
                    spans.push(cell(format!("{} {}", check(on), s.as_str()), c));
                    spans.push(Span::raw(" "));
                }
                lines.push(Line::from(spans));
            }
        }
    }
    lines.push(Line::raw(""));
    for e in &errors {
        lines.push(Line::styled(e.clone(), theme.error));
    }
    if let Some(text) = tab.state.banner() {
        lines.push(Line::styled(text, theme.warning));
    }
    lines.push(Line::styled(
        "Admins get organization events (servers, licenses, integrations); application events go to the users with access to the application.",
        theme.muted,
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    if let Some(p) = &tab.picker {
        render_picker(tab, p, frame, area, ctx);
    }
}

fn render_picker(tab: &NotificationsTab, p: &ChannelPicker, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
    let theme = ctx.theme;
    let height = (tab.channels.len() as u16 + 2).min(area.height);
    let rect = centered(area, 50.min(area.width), height);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border_focus)
        .title(Span::styled(format!(" Channels for {} ", p.event.label()), theme.title));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let lines: Vec<Line> = tab
        .channels
        .iter()
        .zip(&p.chosen)
        .enumerate()
        .map(|(i, ((_, name), on))| {
            let style = if i == p.cursor { theme.selected } else { theme.base };
            Line::styled(
                format!("{} {} {name}", if i == p.cursor { ">" } else { " " }, check(*on)),
                style,
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
