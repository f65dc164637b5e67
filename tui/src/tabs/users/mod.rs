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
    ApiError, ErrorCode, Page,
    groups::{Group, UserAccess, endpoints::List as ListGroups},
    password::PasswordPolicy,
    settings::endpoints::Get as GetSettings,
    users::{BulkAction, BulkReport, User, UserQuery, UserStatus, endpoints as users},
};
use ratatui::{Frame, layout::Rect};
use uuid::Uuid;

pub use form::UserForm;

pub use sessions::SessionsMsg;

use super::{Effects, Tab, TabCtx, own};
use crate::{
    api::{Call, Created, OwnerMsg, PageTag, UserAction, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating, spec},
    widgets::{
        Column, Dialog, FormEvent, PageRequest, Prompt, Report, SearchEvent, Table, TableRow, ToastLevel,
        overlay::{PromptEvent, ReportEvent},
    },
};

/// The actions this area adds to the keymap (the help lists them under its title).
pub const ENABLE: Action = Action::Tab(TabAction("enable"));
pub const DISABLE: Action = Action::Tab(TabAction("disable"));
pub const UNLOCK: Action = Action::Tab(TabAction("unlock"));
pub const RESET_PASSWORD: Action = Action::Tab(TabAction("reset_password"));
pub const RESET_TWO_STEP: Action = Action::Tab(TabAction("reset_two_step"));
pub const IMPORT: Action = Action::Tab(TabAction("import"));
pub const SESSIONS: Action = Action::Tab(TabAction("sessions"));
pub const END_ALL_SESSIONS: Action = Action::Tab(TabAction("end_all_sessions"));

/// The rows of this area's actions: default keys, help text, footer hint.
pub const KEYS: &[ActionSpec] = &[
    mutating(
        ENABLE,
        "enable",
        Scope::Area("Users"),
        &["+"],
        "enable the selected users",
        Some("enable"),
    ),
    mutating(
        DISABLE,
        "disable",
        Scope::Area("Users"),
        &["-"],
        "disable the selected users (asks first; logs them out)",
        Some("disable"),
    ),
    mutating(
        UNLOCK,
        "unlock",
        Scope::Area("Users"),
        &["u"],
        "unlock the selected users (clears failed attempts)",
        Some("unlock"),
    ),
    mutating(
        RESET_PASSWORD,
        "reset_password",
        Scope::Area("Users"),
        &["p"],
        "force a password reset at next login (asks first)",
        None,
    ),
    mutating(
        RESET_TWO_STEP,
        "reset_two_step",
        Scope::Area("Users"),
        &["t"],
        "reset two-step verification (asks first)",
        None,
    ),
    mutating(
        IMPORT,
        "import",
        Scope::Area("Users"),
        &["i"],
        "import users from a CSV file (asks for its path)",
        Some("import"),
    ),
    spec(
        SESSIONS,
        "sessions",
        Scope::Area("Users"),
        &["S"],
        "list the user's active sessions",
        Some("sessions"),
    ),
    mutating(
        END_ALL_SESSIONS,
        "end_all_sessions",
        Scope::Area("Users"),
        &["X"],
        "end all the user's sessions (asks first)",
        Some("end all"),
    ),
];

/// The answers of the tab's calls (the sessions list has its own, [`SessionsMsg`]).
#[derive(Debug, Clone, PartialEq)]
pub enum UsersMsg {
    /// A page of the table.
    Page {
        tag: PageTag,
        result: Result<Page<User>, ApiError>,
    },
    Policy(Result<PasswordPolicy, ApiError>),
    Groups(Result<Page<Group>, ApiError>),
    Access(Result<UserAccess, ApiError>),
    /// The user of the open form, read again.
    Reloaded(Result<User, ApiError>),
    /// The form's changes saved.
    Updated(Result<User, ApiError>),
    Acted {
        id: Uuid,
        action: UserAction,
        result: Result<User, ApiError>,
    },
    Created(Result<Created, ApiError>),
    Deleted {
        id: Uuid,
        /// Who was deleted, as the confirmation named them (the row may be gone by the answer: the live
        /// update of the deletion can come first).
        who: String,
        result: Result<(), ApiError>,
    },
    Bulk {
        action: BulkAction,
        result: Result<BulkReport, ApiError>,
    },
    /// The users an import created (all rows, or none and row errors in the error's fields).
    Imported(Result<Vec<Created>, ApiError>),
}

/// The password policy (the default one when the server has none yet), for live password rules.
fn policy_call() -> Call {
    Call::of::<GetSettings<PasswordPolicy>, _>((), |result| {
        UsersMsg::Policy(match result {
            Ok(v) => Ok(v.value),
            Err(e) if e.code == ErrorCode::NotFound => Ok(PasswordPolicy::default()),
            Err(e) => Err(e),
        })
    })
    .label("loading the password policy")
}

fn groups_call() -> Call {
    Call::of::<ListGroups, _>((), UsersMsg::Groups).label("loading groups")
}

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
    /// The user is an organization admin (everything here is theirs only); until `GET me` says, yes.
    pub admin: bool,
}

impl UsersMsg {
    /// The error of the answer, whatever it answers.
    pub fn error(&self) -> Option<&ApiError> {
        match self {
            UsersMsg::Page { result, .. } => result.as_ref().err(),
            UsersMsg::Policy(r) => r.as_ref().err(),
            UsersMsg::Groups(r) => r.as_ref().err(),
            UsersMsg::Access(r) => r.as_ref().err(),
            UsersMsg::Reloaded(r) | UsersMsg::Updated(r) | UsersMsg::Acted { result: r, .. } => r.as_ref().err(),
            UsersMsg::Created(r) => r.as_ref().err(),
            UsersMsg::Deleted { result, .. } => result.as_ref().err(),
            UsersMsg::Bulk { result, .. } => result.as_ref().err(),
            UsersMsg::Imported(r) => r.as_ref().err(),
        }
    }
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
            admin: true,
        }
    }

    /// The query of a page the table wants.
    pub fn list_query(p: &PageRequest) -> UserQuery {
        let sort = p
            .query
            .sort
            .map(|k| if p.query.desc { format!("-{k}") } else { k.to_owned() });
        UserQuery {
            q: (!p.query.q.is_empty()).then(|| p.query.q.clone()),
            status: p.query.filter.and_then(|i| UserStatus::ALL.get(i).copied()),
            group: None,
            sort,
            cursor: p.cursor.clone(),
            limit: Some(p.limit),
        }
    }

    /// The call for a page the table wants.
    pub fn list_request(p: &PageRequest) -> Call {
        let tag = PageTag {
            generation: p.generation,
            page: p.page,
        };
        Call::of::<users::List, _>((), move |result| UsersMsg::Page {
            tag: tag.clone(),
            result,
        })
        .query(&Self::list_query(p))
        .label("loading users")
    }

    fn send_pages(out: Vec<PageRequest>, fx: &mut Effects) {
        for p in &out {
            fx.call(Self::list_request(p));
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
                    fx.call(Call::of::<users::Access, _>(u.id, UsersMsg::Access).label("loading a user's access"));
                }
                true
            }
            Action::Cancel if !self.table.query.q.is_empty() => {
                self.with_table(fx, |t, out| t.apply_search(String::new(), out));
                true
            }
            Action::Cancel => self.table.clear_selection(),
            SESSIONS => {
                let Some(u) = self.table.current() else { return false };
                self.mode = Mode::Sessions(sessions::SessionList::open(u.id, u.email.clone(), fx));
                true
            }
            Action::Reload => {
                if !self.with_table(fx, |t, out| t.retry(out)) {
                    self.with_table(fx, |t, out| t.reload(out));
                }
                fx.call(policy_call());
                fx.call(groups_call());
                true
            }
            _ => self.user_action(action, ctx, fx),
        }
    }

    fn form_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let Mode::Form(f) = &mut self.mode else {
            return false;
        };
        match f.merge_action(action) {
            crate::tabs::doc::MergeStep::NotOpen => {}
            crate::tabs::doc::MergeStep::Handled => return true,
            crate::tabs::doc::MergeStep::Ignored => return false,
            crate::tabs::doc::MergeStep::Apply(()) => {
                self.save(ctx, fx);
                return true;
            }
        }
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
                f.replace_on_read = true;
                if let Some(u) = &f.original {
                    fx.call(Call::of::<users::Get, _>(u.id, UsersMsg::Reloaded).label("loading a user"));
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

    /// A user read again: its row, and the open form's user (edits kept beside a newer version).
    fn reloaded(&mut self, user: User) {
        if let Mode::Form(f) = &mut self.mode
            && f.original.as_ref().is_some_and(|o| o.id == user.id)
        {
            f.newer(user.clone());
        }
        self.table.update_row(user);
    }

    fn updated(&mut self, result: Result<User, ApiError>, ctx: &TabCtx, fx: &mut Effects) {
        let e = match result {
            Ok(user) => {
                if matches!(&self.mode, Mode::Form(f) if f.original.as_ref().is_some_and(|o| o.id == user.id)) {
                    self.mode = Mode::Browse;
                }
                fx.toast(ToastLevel::Info, format!("Saved {}", user.email));
                self.table.update_row(user);
                return;
            }
            Err(e) => e,
        };
        let Mode::Form(f) = &mut self.mode else {
            fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
            return;
        };
        f.saving = false;
        match e.code {
            ErrorCode::VersionMismatch => {
                f.stale = true;
                f.merge_on_read = true;
                if let Some(u) = &f.original {
                    fx.call(Call::of::<users::Get, _>(u.id, UsersMsg::Reloaded).label("loading a user"));
                }
                let who = f.changed_by.clone().unwrap_or_else(|| "someone else".into());
                fx.toast(
                    ToastLevel::Warning,
                    format!("Not saved: {who} changed this user first; showing both side by side…"),
                );
            }
            ErrorCode::ValidationFailed => {
                f.server_refused(e.fields.clone(), &self.policy, ctx.org_name);
                fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
            }
            _ => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
        }
    }

    fn acted(&mut self, id: Uuid, action: UserAction, result: Result<User, ApiError>, fx: &mut Effects) {
        match result {
            Ok(user) => {
                fx.toast(ToastLevel::Info, format!("{}: {}", user.email, action.done()));
                self.table.update_row(user);
            }
            Err(e) => {
                let who = self
                    .table
                    .held()
                    .find(|u| u.id == id)
                    .map_or("the user".to_owned(), |u| u.email.clone());
                let what = format!("{action:?}").to_lowercase();
                fx.toast(ToastLevel::Error, format!("Could not {what} {who}: {}", e.message));
            }
        }
    }
}

impl UsersTab {
    /// Only what can be done now (the help lists every key): nothing but help for someone who is not an
    /// admin (the server refuses them the list), no row actions without a row, and of enable and disable
    /// the one that changes the user under the cursor (both for a selection).
    fn browse_hints(&self) -> Vec<(Action, &'static str)> {
        if !self.admin {
            return vec![(Action::Help, "help"), (Action::Quit, "quit")];
        }
        let mut hints = vec![(Action::Search, "search")];
        let row = self.table.current();
        if row.is_some() {
            if self.detail {
                // The details pane is open: the user's sessions are one key away.
                hints.push((SESSIONS, "sessions"));
            }
            hints.push((Action::ToggleSelect, "select"));
        }
        hints.push((Action::NewItem, "add"));
        if let Some(user) = row {
            hints.push((Action::EditItem, "edit"));
            let selection = !self.table.selected().is_empty();
            if selection || !user.enabled {
                hints.push((ENABLE, "enable"));
            }
            if selection || user.enabled {
                hints.push((DISABLE, "disable"));
            }
            hints.extend([(Action::DeleteItem, "delete"), (Action::Detail, "details")]);
        }
        hints.extend([
            (Action::Filter, "filter"),
            (Action::SortNext, "sort"),
            (IMPORT, "import"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]);
        hints
    }
}

impl Tab for UsersTab {
    fn title(&self) -> &'static str {
        "Users"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.with_table(fx, |t, out| t.reload(out));
        fx.call(policy_call());
        // The custom groups come with the Groups tab's answer, which it tells every tab: one big list of
        // members in flight at a time, not two.
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
                    let call = Call::new::<users::Import, _>((), &String::new(), |result| {
                        UsersMsg::Imported(result.map(|r| r.created.into_iter().map(Created::from).collect()))
                    });
                    fx.call(call.csv_file(path).label("importing users"));
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

    fn answer(&mut self, msg: OwnerMsg, ctx: &TabCtx, fx: &mut Effects) {
        if msg.is::<SessionsMsg>() {
            if let (Mode::Sessions(list), Some(msg)) = (&mut self.mode, own::<SessionsMsg>(msg)) {
                list.answer(msg, fx);
            }
            return;
        }
        let Some(msg) = own::<UsersMsg>(msg) else { return };
        if let Some(e) = msg.error()
            && needs_login(e)
        {
            // The console asks to log in again and sends the call again; edits stay as they are.
            return;
        }
        match msg {
            UsersMsg::Page { tag, result } => {
                if let Ok(page) = &result {
                    // Other tabs (the group editor) name users from the pages seen.
                    fx.broadcast(page.clone());
                }
                let result = result.map_err(|e| e.message);
                self.with_table(fx, |t, out| t.page_arrived_at(tag.generation, tag.page, result, out));
            }
            UsersMsg::Policy(Ok(p)) => self.policy = p,
            UsersMsg::Access(Ok(a)) => self.access = Some(a),
            UsersMsg::Groups(Ok(page)) => self.groups_arrived(&page),
            UsersMsg::Reloaded(Ok(user)) => self.reloaded(user),
            UsersMsg::Reloaded(Err(e)) => fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message)),
            UsersMsg::Updated(result) => self.updated(result, ctx, fx),
            UsersMsg::Acted { id, action, result } => self.acted(id, action, result, fx),
            UsersMsg::Policy(Err(_)) | UsersMsg::Access(Err(_)) | UsersMsg::Groups(Err(_)) => {}
            other => self.action_answered(other, ctx, fx),
        }
    }

    fn me_changed(&mut self, me: &orgdeck_shared::auth::Me, _fx: &mut Effects) {
        self.admin = me.role == orgdeck_shared::auth::OrgRole::Admin;
    }

    fn broadcast(&mut self, what: &(dyn std::any::Any + Send + Sync), _fx: &mut Effects) {
        if let Some(page) = what.downcast_ref::<Page<Group>>() {
            // The Groups tab's list: custom groups for the form and the details.
            self.groups_arrived(page);
        } else if let Some(p) = what.downcast_ref::<PasswordPolicy>() {
            // The Security tab read or saved the policy: live password rules follow it.
            self.policy = p.clone();
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, ctx: &TabCtx, fx: &mut Effects) {
        if change.area != "user" {
            return;
        }
        let Ok(id) = uuid::Uuid::parse_str(&change.id) else {
            return;
        };
        if change.kind == "user.delete" {
            self.table.remove_rows(&[id]);
            return;
        }
        let editing = matches!(&self.mode, Mode::Form(f) if f.original.as_ref().is_some_and(|u| u.id == id));
        if editing {
            if matches!(&self.mode, Mode::Form(f) if f.saving) {
                return; // perhaps my own save: its answer tells
            }
            if let Mode::Form(f) = &mut self.mode
                && f.is_dirty()
            {
                let by = format!("{} at {}", change.actor, ctx.dates.datetime(change.at));
                fx.toast(
                    ToastLevel::Warning,
                    format!("This user was changed by {by}: your edits are kept; saving shows both side by side"),
                );
                f.stale = true;
                f.changed_by = Some(by);
            }
            // Read it: the form shows it when it has no edits, else holds it for the conflict view.
            fx.call(Call::of::<users::Get, _>(id, UsersMsg::Reloaded).label("loading a user"));
        } else if self.table.held().any(|u| u.id == id) {
            fx.call(Call::of::<users::Get, _>(id, UsersMsg::Reloaded).label("loading a user"));
        } else if change.kind == "user.create" {
            self.with_table(fx, |t, out| t.reload(out));
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
            Mode::Form(f) if f.merge.is_some() => crate::widgets::merge::Merge::hints(),
            Mode::Form(f) if f.stale => vec![
                (Action::Save, "compare & save"),
                (Action::Reload, "take theirs"),
                (Action::Activate, "edit/toggle"),
                (Action::Cancel, "close"),
            ],
            Mode::Form(_) => vec![
                (Action::Activate, "edit/toggle"),
                (Action::Save, "save"),
                (Action::Cancel, "close"),
            ],
            Mode::Import(_) => vec![(Action::Activate, "import"), (Action::Cancel, "cancel")],
            Mode::Report(r) if r.copy.is_some() => vec![(Action::Copy, "copy"), (Action::Cancel, "close")],
            Mode::Report(_) => vec![(Action::Down, "scroll"), (Action::Cancel, "close")],
            Mode::Sessions(list) => {
                let mut hints = Vec::new();
                if list.sessions.loaded().is_some_and(|s| !s.is_empty()) {
                    hints.extend([(Action::DeleteItem, "end one"), (END_ALL_SESSIONS, "end all")]);
                }
                hints.extend([(Action::Reload, "reload"), (Action::Cancel, "close")]);
                hints
            }
            Mode::Browse => self.browse_hints(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
