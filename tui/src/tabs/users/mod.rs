//! The Users tab (SETTINGS.md section 3): a windowed table of the organization's users paged from the
//! server, with search, sort, a status filter and multi-select; a detail pane; add and edit forms; the
//! user actions (each destructive one confirmed, naming who it affects); bulk actions; CSV import.

mod actions;
pub mod form;
pub mod sessions;
mod view;

use std::time::Duration;

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ErrorCode, Page,
    groups::{Group, UserAccess},
    password::PasswordPolicy,
    users::{User, UserQuery, UserStatus},
};
use ratatui::{Frame, layout::Rect};
use uuid::Uuid;

pub use form::UserForm;

use super::{Effects, Tab, TabCtx};
use crate::{
    api::{PageTag, Reply, Request, UserList, needs_login},
    keymap::Action,
    widgets::{
        Column, Dialog, FormEvent, PageRequest, Prompt, Report, SearchEvent, Table, TableRow, ToastLevel,
        overlay::{PromptEvent, ReportEvent},
    },
};

/// Rows asked for per page.
pub const PAGE_SIZE: u32 = 100;
/// How long typing must pause before the search goes to the server.
pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(250);
const SEARCH_TIMER: &str = "search";

impl TableRow for User {
    type Id = Uuid;
    fn id(&self) -> Uuid {
        self.id
    }
    fn label(&self) -> String {
        self.email.clone()
    }
}

/// What the tab shows over its table.
pub enum Mode {
    Browse,
    Form(Box<UserForm>),
    Import(Prompt),
    Report(Report),
    /// The active sessions of one user.
    Sessions(sessions::SessionList),
}

/// An action waiting for the user's yes.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub action: Action,
    pub targets: Vec<(Uuid, String)>,
}

pub struct UsersTab {
    pub table: Table<User>,
    pub mode: Mode,
    /// The details pane is open (always shown when the terminal is wide).
    pub detail: bool,
    pub policy: PasswordPolicy,
    /// Custom groups (id, name), for the form and the details.
    pub groups: Vec<(Uuid, String)>,
    pub pending: Option<Pending>,
    /// The effective access of the user last shown in detail (asked for with enter).
    pub access: Option<UserAccess>,
}

impl Default for UsersTab {
    fn default() -> Self {
        Self::new()
    }
}

pub fn columns() -> Vec<Column> {
    vec![
        Column::flex("Name", 14).sort("name").priority(9),
        Column::flex("Email", 22).sort("email").priority(8),
        Column::fixed("Status", 8).sort("status").priority(7),
        Column::fixed("Role", 11).priority(4),
        Column::fixed("Last login", 16).sort("last_login").priority(6),
        Column::fixed("2FA", 3).priority(2),
    ]
}

impl UsersTab {
    pub fn new() -> UsersTab {
        UsersTab {
            table: Table::new(columns(), PAGE_SIZE)
                .with_filters(UserStatus::ALL.iter().map(|s| s.as_str()).collect())
                .with_noun("users"),
            mode: Mode::Browse,
            detail: false,
            policy: PasswordPolicy::default(),
            groups: Vec::new(),
            pending: None,
            access: None,
        }
    }

    /// The request for a page the table wants.
    pub fn list_request(p: &PageRequest) -> Request {
        let sort = p
            .query
            .sort
            .map(|k| if p.query.desc { format!("-{k}") } else { k.to_owned() });
        Request::ListUsers {
            list: UserList::Table,
            tag: PageTag {
                generation: p.generation,
                page: p.page,
            },
            query: UserQuery {
                q: (!p.query.q.is_empty()).then(|| p.query.q.clone()),
                status: p.query.filter.and_then(|i| UserStatus::ALL.get(i).copied()),
                group: None,
                sort,
                cursor: p.cursor.clone(),
                limit: Some(p.limit),
            },
        }
    }

    fn send_pages(out: Vec<PageRequest>, fx: &mut Effects) {
        for p in &out {
            fx.request(Self::list_request(p));
        }
    }

    /// Runs `f` on the table and sends the pages it asks for.
    fn with_table<T>(&mut self, fx: &mut Effects, f: impl FnOnce(&mut Table<User>, &mut Vec<PageRequest>) -> T) -> T {
        let mut out = Vec::new();
        let r = f(&mut self.table, &mut out);
        Self::send_pages(out, fx);
        r
    }

    fn groups_arrived(&mut self, page: &Page<Group>) {
        self.groups = page
            .items
            .iter()
            .filter(|g| !g.built_in)
            .map(|g| (g.id, g.name.clone()))
            .collect();
        if let Mode::Form(f) = &mut self.mode {
            f.set_groups(&self.groups);
        }
    }

    pub fn group_name(&self, id: Uuid) -> String {
        self.groups
            .iter()
            .find(|(g, _)| *g == id)
            .map_or_else(|| id.to_string()[..8].to_owned(), |(_, n)| n.clone())
    }

    fn form_event(&mut self, event: FormEvent, ctx: &TabCtx) {
        let Mode::Form(f) = &mut self.mode else {
            return;
        };
        match event {
            FormEvent::Changed(field) => f.revalidate(Some(field), &self.policy, ctx.org_name),
            FormEvent::EditCancelled => f.revalidate(None, &self.policy, ctx.org_name),
            _ => {}
        }
    }

    fn browse_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::ToggleSelect
            | Action::SortNext
            | Action::SortReverse
            | Action::Filter => self.with_table(fx, |t, out| t.handle_action(action, out)),
            Action::Search => {
                self.table.start_search();
                true
            }
            Action::Detail => {
                self.detail = !self.detail;
                // The effective role per application, computed by the server, is worth one request.
                if let Some(u) = self.table.current()
                    && self.access.as_ref().is_none_or(|a| a.user_id != u.id)
                {
                    fx.request(Request::GetUserAccess(u.id));
                }
                true
            }
            Action::Cancel if !self.table.query.q.is_empty() => {
                self.with_table(fx, |t, out| t.apply_search(String::new(), out));
                true
            }
            Action::Cancel => self.table.clear_selection(),
            Action::Sessions => {
                let Some(u) = self.table.current() else { return false };
                self.mode = Mode::Sessions(sessions::SessionList::open(u.id, u.email.clone(), fx));
                true
            }
            Action::Reload => {
                if !self.with_table(fx, |t, out| t.retry(out)) {
                    self.with_table(fx, |t, out| t.reload(out));
                }
                fx.request(Request::GetPasswordPolicy);
                fx.request(Request::ListGroups);
                true
            }
            _ => self.user_action(action, ctx, fx),
        }
    }

    fn form_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let Mode::Form(f) = &mut self.mode else {
            return false;
        };
        match action {
            Action::Save => self.save(ctx, fx),
            Action::Cancel if f.is_dirty() => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Cancel,
                    "Discard your edits?",
                    "Close the form and lose what you typed?",
                    "discard",
                    "keep editing",
                ));
            }
            Action::Cancel => self.mode = Mode::Browse,
            Action::Reload if f.stale => {
                if let Some(u) = &f.original {
                    fx.request(Request::GetUser(u.id));
                }
            }
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Activate => {
                let event = f.form.handle_action(action);
                self.form_event(event, ctx);
            }
            _ => return false,
        }
        true
    }

    fn user_replied(&mut self, request: &Request, user: &User, fx: &mut Effects) {
        self.table.update_row(user.clone());
        match request {
            Request::UserAction { action, .. } => {
                fx.toast(ToastLevel::Info, format!("{}: {}", user.email, action.done()));
            }
            Request::UpdateUser { .. } => {
                if matches!(&self.mode, Mode::Form(f) if f.original.as_ref().is_some_and(|o| o.id == user.id)) {
                    self.mode = Mode::Browse;
                }
                fx.toast(ToastLevel::Info, format!("Saved {}", user.email));
            }
            Request::GetUser(_) => {
                if let Mode::Form(f) = &mut self.mode
                    && f.original.as_ref().is_some_and(|o| o.id == user.id)
                {
                    f.fill(user);
                }
            }
            _ => {}
        }
    }

    fn user_refused(&mut self, request: &Request, e: &orgdeck_shared::ApiError, ctx: &TabCtx, fx: &mut Effects) {
        match request {
            Request::UpdateUser { .. } => {
                let Mode::Form(f) = &mut self.mode else {
                    fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
                    return;
                };
                f.saving = false;
                match e.code {
                    ErrorCode::VersionMismatch => {
                        f.stale = true;
                        fx.toast(
                            ToastLevel::Warning,
                            "Not saved: someone else changed this user first. r reloads (drops your edits)",
                        );
                    }
                    ErrorCode::ValidationFailed => {
                        f.server_refused(e.fields.clone(), &self.policy, ctx.org_name);
                        fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
                    }
                    _ => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
                }
            }
            Request::UserAction { action, id } => {
                let who = self
                    .table
                    .held()
                    .find(|u| u.id == *id)
                    .map_or("the user".to_owned(), |u| u.email.clone());
                let what = format!("{action:?}").to_lowercase();
                fx.toast(ToastLevel::Error, format!("Could not {what} {who}: {}", e.message));
            }
            Request::GetUser(_) => fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message)),
            _ => {}
        }
    }
}

impl Tab for UsersTab {
    fn title(&self) -> &'static str {
        "Users"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.with_table(fx, |t, out| t.reload(out));
        fx.request(Request::GetPasswordPolicy);
        // The custom groups come with the Groups tab's answer (every tab sees every reply): one big
        // list of members in flight at a time, not two.
    }

    fn captures_input(&self) -> bool {
        self.table.is_searching()
            || match &self.mode {
                Mode::Browse => false,
                Mode::Form(f) => f.form.is_editing(),
                Mode::Import(_) | Mode::Report(_) => true,
                Mode::Sessions(_) => false,
            }
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if self.table.is_searching() {
            match self.table.search_key(key) {
                SearchEvent::Changed(token) => fx.timer(SEARCH_TIMER, SEARCH_DEBOUNCE, token),
                SearchEvent::Done => {
                    let text = self.table.search_text().to_owned();
                    self.with_table(fx, |t, out| t.apply_search(text, out));
                }
                SearchEvent::Cleared => {
                    self.with_table(fx, |t, out| t.apply_search(String::new(), out));
                }
                SearchEvent::Ignored => {}
            }
            return;
        }
        match &mut self.mode {
            Mode::Browse | Mode::Sessions(_) => {}
            Mode::Form(f) => {
                let is_char = matches!(key.code, crossterm::event::KeyCode::Char(_))
                    && !key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL);
                if !is_char && ctx.keymap.is(key, Action::Save) {
                    self.save(ctx, fx);
                    return;
                }
                let commit = !is_char && ctx.keymap.is(key, Action::Activate);
                let cancel = !is_char && ctx.keymap.is(key, Action::Cancel);
                let event = f.form.handle_edit_key(key, commit, cancel);
                self.form_event(event, ctx);
            }
            Mode::Import(prompt) => match prompt.handle_key(key) {
                PromptEvent::Submit(path) => {
                    self.mode = Mode::Browse;
                    fx.request(Request::ImportUsers { path });
                }
                PromptEvent::Cancel => self.mode = Mode::Browse,
                PromptEvent::None => {}
            },
            Mode::Report(report) => {
                for action in ctx.keymap.actions_for(key) {
                    match report.handle(action) {
                        ReportEvent::None => continue,
                        ReportEvent::Close => self.mode = Mode::Browse,
                        ReportEvent::Copy(secret) => {
                            fx.copy = Some(secret);
                            fx.toast(ToastLevel::Info, "Copied to the clipboard (OSC 52)");
                        }
                    }
                    break;
                }
            }
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        match self.mode {
            Mode::Browse => self.browse_action(action, ctx, fx),
            Mode::Form(_) => self.form_action(action, ctx, fx),
            Mode::Import(_) | Mode::Report(_) => false,
            Mode::Sessions(_) if action == Action::Cancel => {
                self.mode = Mode::Browse;
                true
            }
            Mode::Sessions(ref mut list) => list.handle_action(action, ctx, fx),
        }
    }

    fn confirmed(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) {
        if let Mode::Sessions(list) = &mut self.mode {
            list.confirmed(action, fx);
            return;
        }
        if action == Action::Cancel && matches!(self.mode, Mode::Form(_)) {
            self.mode = Mode::Browse;
            return;
        }
        if let Some(p) = self.pending.take()
            && p.action == action
        {
            self.perform(p, ctx, fx);
        }
    }

    fn timer(&mut self, name: &'static str, token: u64, _ctx: &TabCtx, fx: &mut Effects) {
        if name == SEARCH_TIMER {
            self.with_table(fx, |t, out| t.search_timer(token, out));
        }
    }

    fn handle_reply(&mut self, request: &Request, reply: &Reply, ctx: &TabCtx, fx: &mut Effects) {
        if let Mode::Sessions(list) = &mut self.mode {
            list.handle_reply(request, reply, fx);
        }
        match (request, reply) {
            (
                Request::ListUsers {
                    list: UserList::Table,
                    tag,
                    ..
                },
                Reply::Users(result),
            ) => {
                if let Err(e) = result
                    && needs_login(e)
                {
                    return;
                }
                let result = result.clone().map_err(|e| e.message);
                self.with_table(fx, |t, out| t.page_arrived_at(tag.generation, tag.page, result, out));
            }
            (_, Reply::PasswordPolicy(Ok(p))) => self.policy = p.clone(),
            // The Security tab saved or read the policy: live password rules follow it.
            (_, Reply::Security(Ok(v)) | Reply::SecuritySaved(Ok(v))) => {
                if let crate::api::SecurityDoc::PasswordPolicy(p) = &v.value {
                    self.policy = p.clone();
                }
            }
            (_, Reply::UserAccess(Ok(a))) => self.access = Some(a.clone()),
            (_, Reply::Groups(Ok(page))) => self.groups_arrived(page),
            (_, Reply::User(Ok(user))) => self.user_replied(request, user, fx),
            (_, Reply::User(Err(e))) if !needs_login(e) => self.user_refused(request, e, ctx, fx),
            _ => self.action_replied(request, reply, ctx, fx),
        }
    }

    fn is_dirty(&self) -> bool {
        matches!(&self.mode, Mode::Form(f) if f.is_dirty())
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.table.is_searching() {
            return vec![(Action::Activate, "done"), (Action::Cancel, "clear")];
        }
        match &self.mode {
            Mode::Form(f) if f.form.is_editing() => {
                vec![
                    (Action::Activate, "done"),
                    (Action::Cancel, "cancel"),
                    (Action::Save, "save"),
                ]
            }
            Mode::Form(f) => {
                let mut h = vec![
                    (Action::Activate, "edit/toggle"),
                    (Action::Save, "save"),
                    (Action::Cancel, "close"),
                ];
                if f.stale {
                    h.insert(0, (Action::Reload, "reload (drops edits)"));
                }
                h
            }
            Mode::Import(_) => vec![(Action::Activate, "import"), (Action::Cancel, "cancel")],
            Mode::Report(r) if r.copy.is_some() => vec![(Action::Copy, "copy"), (Action::Cancel, "close")],
            Mode::Report(_) => vec![(Action::Down, "scroll"), (Action::Cancel, "close")],
            Mode::Sessions(_) => vec![
                (Action::DeleteItem, "end one"),
                (Action::EndAllSessions, "end all"),
                (Action::Reload, "reload"),
                (Action::Cancel, "close"),
            ],
            Mode::Browse => {
                let mut hints = vec![(Action::Search, "search")];
                if self.detail {
                    // The details pane is open: the user's sessions are one key away.
                    hints.push((Action::Sessions, "sessions"));
                }
                hints.extend([
                    (Action::ToggleSelect, "select"),
                    (Action::NewItem, "add"),
                    (Action::EditItem, "edit"),
                    (Action::Enable, "enable"),
                    (Action::Disable, "disable"),
                    (Action::DeleteItem, "delete"),
                    (Action::Detail, "details"),
                    (Action::Filter, "filter"),
                    (Action::SortNext, "sort"),
                    (Action::Import, "import"),
                    (Action::Help, "help"),
                    (Action::Quit, "quit"),
                ]);
                hints
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
