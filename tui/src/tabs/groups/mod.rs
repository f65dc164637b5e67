//! The Groups tab (SETTINGS.md section 2): the groups in the same table as users (built-in ones locked),
//! an editor with access rows and a member picker, and a delete that says how many members lose access.

mod editor;
pub mod picker;
mod view;

use std::{collections::BTreeMap, time::Duration};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    groups::{AppSelection, Group, GroupDeleted, endpoints as groups},
    inventory::{Application, endpoints::ListApplications},
    users::{USER_PAGE_MAX, User, UserQuery, endpoints::List as ListUsers},
};
use ratatui::{Frame, layout::Rect};
use uuid::Uuid;

pub use editor::{EditorEvent, Focus, GroupEditor};
pub use picker::{Picker, PickerEvent, PickerKind};

use super::{Effects, Tab, TabCtx, doc::Load, own};
use crate::{
    api::{Call, OwnerMsg, PageTag, needs_login},
    keymap::Action,
    widgets::{Column, Dialog, PageRequest, SearchEvent, Table, TableRow, ToastLevel},
};

/// The answers of the tab's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupsMsg {
    Groups(Result<Page<Group>, ApiError>),
    Applications(Result<Page<Application>, ApiError>),
    /// A page of users for the member picker.
    PickerUsers {
        tag: PageTag,
        result: Result<Page<User>, ApiError>,
    },
    Saved {
        created: bool,
        result: Result<Group, ApiError>,
    },
    Deleted {
        id: Uuid,
        result: Result<GroupDeleted, ApiError>,
    },
}

fn list_groups() -> Call {
    Call::of::<groups::List, _>((), GroupsMsg::Groups).label("loading groups")
}

fn list_applications() -> Call {
    Call::of::<ListApplications, _>((), GroupsMsg::Applications).label("loading applications")
}

const PICKER_TIMER: &str = "picker";
const DEBOUNCE: Duration = Duration::from_millis(250);
/// Names of users seen, for showing members; bounded so a big organization does not fill memory.
const KNOWN_USERS_MAX: usize = 5_000;

impl TableRow for Group {
    type Id = Uuid;
    fn id(&self) -> Uuid {
        self.id
    }
    fn label(&self) -> String {
        self.name.clone()
    }
}

pub struct GroupsTab {
    pub groups: Load<Vec<Group>>,
    pub table: Table<Group>,
    pub apps: Vec<Application>,
    pub editor: Option<Box<GroupEditor>>,
    /// The group a delete confirmation is about.
    pub pending_delete: Option<Group>,
    /// Users' emails by id, from every page of users seen.
    pub known_users: BTreeMap<Uuid, String>,
    /// The user is an organization admin (groups are theirs only); until `GET me` says, yes.
    pub admin: bool,
    picker_generation: u64,
}

impl Default for GroupsTab {
    fn default() -> Self {
        Self::new()
    }
}

/// "edit on all apps; admin on 2 apps".
pub fn access_summary(g: &Group) -> String {
    if let Some(role) = g.grants_role {
        return format!("{} on all applications", role.as_str());
    }
    if g.app_access.is_empty() {
        return "no access rows".into();
    }
    g.app_access
        .iter()
        .map(|a| match &a.applications {
            AppSelection::All => format!("{} on all apps", a.role),
            AppSelection::Only(ids) => format!(
                "{} on {} app{}",
                a.role,
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The orders `o` goes through: by kind (built-in by the role they grant, then custom), name, members.
const SORT_KIND: &str = "kind";
const SORT_NAME: &str = "name";
const SORT_MEMBERS: &str = "members";

/// The groups in the order of the sort column `key` (all are held, so they are sorted here).
fn sort(groups: &mut [Group], key: Option<&str>) {
    let name = |g: &Group| g.name.to_lowercase();
    match key {
        Some(SORT_NAME) => groups.sort_by_key(name),
        Some(SORT_MEMBERS) => groups.sort_by_key(|g| (g.members.len(), name(g))),
        _ => groups.sort_by_key(|g| (!g.built_in, g.grants_role.map(std::cmp::Reverse), name(g))),
    }
}

impl GroupsTab {
    pub fn new() -> GroupsTab {
        let columns = vec![
            Column::flex("Name", 14).sort(SORT_NAME).priority(9),
            Column::fixed("Kind", 17).sort(SORT_KIND).priority(8),
            Column::flex("Access", 16).priority(6),
            Column::fixed("Members", 9).sort(SORT_MEMBERS).priority(7),
        ];
        let mut table = Table::new(columns, 1_000).with_noun("groups");
        // Built-in groups first, by the role they grant, then custom ones by name.
        table.query.sort = Some(SORT_KIND);
        GroupsTab {
            groups: Load::NotLoaded,
            table,
            apps: Vec::new(),
            editor: None,
            pending_delete: None,
            known_users: BTreeMap::new(),
            admin: true,
            picker_generation: 0,
        }
    }

    /// Answers the table's page requests from the groups held (a few, all loaded at once).
    fn feed(&mut self, mut out: Vec<PageRequest>) {
        let Some(groups) = self.groups.loaded() else {
            return;
        };
        let groups = groups.clone();
        while let Some(req) = out.pop() {
            let mut items: Vec<Group> = groups
                .iter()
                .filter(|g| picker::fuzzy_match(&req.query.q, &g.name))
                .cloned()
                .collect();
            sort(&mut items, req.query.sort);
            if req.query.desc {
                items.reverse();
            }
            let page = Page {
                items,
                next_cursor: None,
            };
            let mut more = Vec::new();
            self.table.page_arrived(&req, Ok(page), &mut more);
            out.extend(more);
        }
    }

    fn with_table(&mut self, f: impl FnOnce(&mut Table<Group>, &mut Vec<PageRequest>) -> bool) -> bool {
        let mut out = Vec::new();
        let r = f(&mut self.table, &mut out);
        self.feed(out);
        r
    }

    fn groups_arrived(&mut self, groups: Vec<Group>) {
        let at = self.table.cursor();
        // A reload asked for after a refused save shows the group as it is now (the edits are dropped).
        if let Some(ed) = self.editor.as_mut()
            && ed.stale
            && let Some(now) = ed.original.as_ref().and_then(|o| groups.iter().find(|g| g.id == o.id))
        {
            **ed = GroupEditor::new(Some(now));
        }
        self.groups = Load::Loaded(groups);
        self.with_table(|t, out| {
            t.reload(out);
            false
        });
        self.with_table(|t, out| {
            t.move_to(at, out);
            true
        });
    }

    pub fn member_label(&self, id: &Uuid) -> Option<&str> {
        self.known_users.get(id).map(String::as_str)
    }

    fn open_picker(&mut self, kind: PickerKind, fx: &mut Effects) {
        let Some(editor) = self.editor.as_mut() else {
            return;
        };
        let picker = match kind {
            PickerKind::Applications => {
                let items = self
                    .apps
                    .iter()
                    .map(|a| (a.id, format!("{} ({}, {})", a.name, a.language, a.environment.as_str())))
                    .collect();
                let (chosen, all) = editor.row_choice();
                Picker::new(kind, items, chosen, Some(all))
            }
            PickerKind::Members => {
                let items = self.known_users.iter().map(|(id, e)| (*id, e.clone())).collect();
                let mut p = Picker::new(kind, items, editor.members.iter().copied().collect(), None);
                self.picker_generation += 1;
                p.generation = self.picker_generation;
                p.loading = true;
                fx.call(Self::picker_request(p.generation, ""));
                p
            }
        };
        editor.picker = Some(picker);
    }

    fn picker_request(generation: u64, q: &str) -> Call {
        let query = UserQuery {
            q: (!q.is_empty()).then(|| q.to_owned()),
            limit: Some(USER_PAGE_MAX),
            ..UserQuery::default()
        };
        let tag = PageTag { generation, page: 0 };
        Call::of::<ListUsers, _>((), move |result| GroupsMsg::PickerUsers {
            tag: tag.clone(),
            result,
        })
        .query(&query)
        .label("loading users")
    }

    fn remember_users(&mut self, page: &Page<User>) {
        for u in &page.items {
            if self.known_users.len() >= KNOWN_USERS_MAX && !self.known_users.contains_key(&u.id) {
                break;
            }
            self.known_users.insert(u.id, u.email.clone());
        }
    }

    fn picker_page(&mut self, tag: &PageTag, page: &Page<User>) {
        let Some(p) = self.editor.as_mut().and_then(|e| e.picker.as_mut()) else {
            return;
        };
        if tag.generation != p.generation {
            return;
        }
        p.loading = false;
        // The first answer decides: everything fits (filter locally), or search the server as you type.
        if p.query.value().is_empty() {
            p.remote = page.next_cursor.is_some();
        }
        p.items = page
            .items
            .iter()
            .map(|u| (u.id, format!("{} <{}>", u.full_name(), u.email)))
            .collect();
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        if ctx.read_only {
            return;
        }
        if ed.name.is_editing() {
            ed.name.commit_edit();
        }
        let input = ed.input();
        if let Err(errors) = input.validate() {
            ed.set_server_errors(errors);
            fx.toast(ToastLevel::Error, "Not saved: fix the marked fields first");
            return;
        }
        ed.saving = true;
        let call = match &ed.original {
            None => Call::new::<groups::Create, _>((), &input, |result| GroupsMsg::Saved { created: true, result }),
            Some(g) => {
                Call::new::<groups::Update, _>(g.id, &input, |result| GroupsMsg::Saved { created: false, result })
                    .if_match(g.version)
            }
        };
        fx.call(call.label("saving a group"));
    }

    /// Only what can be done now (the help lists every key): nothing but help for someone who is not an
    /// admin (the server refuses them the groups), and no edit or delete on a built-in group (locked).
    fn browse_hints(&self) -> Vec<(Action, &'static str)> {
        if !self.admin {
            return vec![(Action::Help, "help"), (Action::Quit, "quit")];
        }
        let mut hints = vec![(Action::Search, "search"), (Action::NewItem, "add")];
        if self.table.current().is_some_and(|g| !g.built_in) {
            hints.extend([(Action::EditItem, "edit"), (Action::DeleteItem, "delete")]);
        }
        hints.extend([
            (Action::SortNext, "sort"),
            (Action::Reload, "reload"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]);
        hints
    }

    fn browse_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        match action {
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
            | Action::SortNext
            | Action::SortReverse => self.with_table(|t, out| t.handle_action(action, out)),
            // The list keys that have nothing to act on here say why, rather than only "not here".
            Action::Filter => {
                let search = ctx.keymap.keys_label(Action::Search);
                fx.toast(
                    ToastLevel::Info,
                    format!("Groups have no status to filter by: {search} finds them by name"),
                );
                true
            }
            Action::ToggleSelect => {
                let edit = ctx.keymap.keys_label(Action::EditItem);
                let text = if edit.is_empty() {
                    "Groups are taken one at a time: there is nothing to select".to_owned()
                } else {
                    format!(
                        "Groups are changed one at a time, nothing to select: {edit} edits the one under the cursor"
                    )
                };
                fx.toast(ToastLevel::Info, text);
                true
            }
            Action::Search => {
                self.table.start_search();
                true
            }
            Action::Cancel if !self.table.query.q.is_empty() => {
                self.with_table(|t, out| t.apply_search(String::new(), out))
            }
            Action::Reload => {
                fx.call(list_groups());
                fx.call(list_applications());
                true
            }
            Action::NewItem if !ctx.read_only => {
                let mut ed = GroupEditor::new(None);
                ed.name.handle_action(Action::Activate);
                self.editor = Some(Box::new(ed));
                true
            }
            Action::EditItem | Action::Detail => {
                let Some(g) = self.table.current().cloned() else {
                    return true;
                };
                if g.built_in {
                    fx.toast(
                        ToastLevel::Info,
                        format!("{} is built-in (locked): its members are the users whose default group it is; change that in Users", g.name),
                    );
                } else if !ctx.read_only {
                    self.editor = Some(Box::new(GroupEditor::new(Some(&g))));
                }
                true
            }
            Action::DeleteItem if !ctx.read_only => {
                let Some(g) = self.table.current().cloned() else {
                    return true;
                };
                if g.built_in {
                    fx.toast(
                        ToastLevel::Warning,
                        format!("{} is a built-in group: it cannot be deleted", g.name),
                    );
                    return true;
                }
                let n = g.members.len();
                let members = if n == 1 {
                    "Its 1 member loses".to_owned()
                } else {
                    format!("Its {n} members lose")
                };
                fx.confirm = Some(Dialog::confirm(
                    Action::DeleteItem,
                    format!("Delete group {}?", g.name),
                    format!("Delete the group “{}”? {members} the access it grants.", g.name),
                    "delete",
                    "cancel",
                ));
                self.pending_delete = Some(g);
                true
            }
            _ => false,
        }
    }

    fn editor_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let Some(ed) = self.editor.as_mut() else {
            return false;
        };
        match action {
            Action::Save => self.save(ctx, fx),
            Action::Cancel if ed.is_dirty() => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Cancel,
                    "Discard your edits?",
                    "Close the group editor and lose your changes?",
                    "discard",
                    "keep editing",
                ));
            }
            Action::Cancel => self.editor = None,
            Action::Reload if ed.stale => {
                fx.call(list_groups());
            }
            Action::ToggleSelect | Action::Detail => return false,
            _ => {
                let (handled, event) = ed.handle_action(action);
                if let EditorEvent::Pick(kind) = event {
                    self.open_picker(kind, fx);
                }
                return handled;
            }
        }
        true
    }

    fn saved(&mut self, created: bool, result: &Result<Group, ApiError>, fx: &mut Effects) {
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        ed.saving = false;
        match result {
            Ok(g) => {
                let verb = if created { "Created" } else { "Saved" };
                fx.toast(ToastLevel::Info, format!("{verb} group {}", g.name));
                self.editor = None;
                fx.call(list_groups());
            }
            Err(e) if e.code == ErrorCode::VersionMismatch => {
                ed.stale = true;
                fx.toast(
                    ToastLevel::Warning,
                    "Not saved: someone else changed this group first. r reloads (drops your edits)",
                );
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => {
                ed.set_server_errors(e.fields.clone());
                fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
            }
            Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
        }
    }
}

impl Tab for GroupsTab {
    fn title(&self) -> &'static str {
        "Groups"
    }

    fn load(&mut self, fx: &mut Effects) {
        if self.groups.loaded().is_none() {
            self.groups = Load::Loading;
        }
        fx.call(list_groups());
        fx.call(list_applications());
    }

    fn captures_input(&self) -> bool {
        self.table.is_searching()
            || self
                .editor
                .as_ref()
                .is_some_and(|e| e.picker.is_some() || e.name.is_editing())
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if self.table.is_searching() {
            match self.table.search_key(key) {
                // The groups are all held: filter as you type, no pause needed.
                SearchEvent::Changed(token) => {
                    self.with_table(|t, out| t.search_timer(token, out));
                }
                SearchEvent::Done | SearchEvent::Cleared => {
                    let text = if matches!(key.code, KeyCode::Esc) {
                        String::new()
                    } else {
                        self.table.search_text().to_owned()
                    };
                    self.with_table(|t, out| t.apply_search(text, out));
                }
                SearchEvent::Ignored => {}
            }
            return;
        }
        let Some(ed) = self.editor.as_mut() else {
            return;
        };
        if let Some(picker) = ed.picker.as_mut() {
            match picker.handle_key(key) {
                PickerEvent::None => {}
                PickerEvent::Cancel => ed.picker = None,
                PickerEvent::Done => {
                    let p = ed.picker.take().expect("picker is open");
                    ed.picked(p);
                }
                PickerEvent::QueryChanged(token) if picker.remote => fx.timer(PICKER_TIMER, DEBOUNCE, token),
                PickerEvent::QueryChanged(_) => {}
            }
            return;
        }
        let is_char = matches!(key.code, KeyCode::Char(_)) && !key.modifiers.contains(KeyModifiers::CONTROL);
        if !is_char && ctx.keymap.is(key, Action::Save) {
            self.save(ctx, fx);
            return;
        }
        let commit = !is_char && ctx.keymap.is(key, Action::Activate);
        let cancel = !is_char && ctx.keymap.is(key, Action::Cancel);
        ed.name_key(key, commit, cancel);
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        if self.editor.is_some() {
            self.editor_action(action, ctx, fx)
        } else {
            self.browse_action(action, ctx, fx)
        }
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if action == Action::Cancel {
            self.editor = None;
            return;
        }
        if action == Action::DeleteItem
            && let Some(g) = self.pending_delete.take()
        {
            let id = g.id;
            let call = Call::of::<groups::Delete, _>(id, move |result| GroupsMsg::Deleted { id, result });
            fx.call(call.label("deleting a group"));
        }
    }

    fn timer(&mut self, name: &'static str, token: u64, _ctx: &TabCtx, fx: &mut Effects) {
        if name != PICKER_TIMER {
            return;
        }
        let next = self.picker_generation + 1;
        if let Some(p) = self.editor.as_mut().and_then(|e| e.picker.as_mut())
            && p.token == token
        {
            p.generation = next;
            p.loading = true;
            self.picker_generation = next;
            fx.call(Self::picker_request(next, p.query.value()));
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<GroupsMsg>(msg) else { return };
        match msg {
            GroupsMsg::Groups(Ok(page)) => {
                // The Users tab's form offers the custom groups: it hears of them from here.
                fx.broadcast(page.clone());
                self.groups_arrived(page.items);
            }
            GroupsMsg::Groups(Err(e)) if !needs_login(&e) && self.groups.loaded().is_none() => {
                self.groups = Load::Failed(e);
            }
            GroupsMsg::Groups(Err(_)) => {}
            GroupsMsg::Applications(Ok(page)) => self.apps = page.items,
            GroupsMsg::Applications(Err(_)) => {}
            GroupsMsg::PickerUsers { tag, result: Ok(page) } => {
                self.remember_users(&page);
                self.picker_page(&tag, &page);
            }
            GroupsMsg::PickerUsers { .. } => {}
            GroupsMsg::Saved { created, result } => self.saved(created, &result, fx),
            GroupsMsg::Deleted { id, result: Ok(d) } => {
                let name = self
                    .groups
                    .loaded()
                    .and_then(|gs| gs.iter().find(|g| g.id == id))
                    .map_or("the group".to_owned(), |g| g.name.clone());
                fx.toast(
                    ToastLevel::Info,
                    format!(
                        "Deleted group {name}: {} member(s) lost the access it granted",
                        d.members_affected
                    ),
                );
                if let Some(mut gs) = self.groups.loaded().cloned() {
                    gs.retain(|g| g.id != id);
                    self.groups_arrived(gs);
                }
            }
            GroupsMsg::Deleted { result: Err(e), .. } if !needs_login(&e) => {
                fx.toast(ToastLevel::Error, format!("Not deleted: {}", e.message));
            }
            GroupsMsg::Deleted { .. } => {}
        }
    }

    fn me_changed(&mut self, me: &orgdeck_shared::auth::Me, _fx: &mut Effects) {
        self.admin = me.role == orgdeck_shared::auth::OrgRole::Admin;
    }

    /// Pages of users the Users tab loaded name the members of groups too.
    fn broadcast(&mut self, what: &(dyn std::any::Any + Send + Sync), _fx: &mut Effects) {
        if let Some(page) = what.downcast_ref::<Page<User>>() {
            self.remember_users(page);
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, fx: &mut Effects) {
        if change.area != "group" {
            return;
        }
        match self.editor.as_mut() {
            Some(ed) if ed.original.as_ref().is_some_and(|g| g.id.to_string() == change.id) => {
                ed.stale = true;
                fx.toast(
                    ToastLevel::Warning,
                    format!(
                        "This group was changed by {} meanwhile: r reloads (drops your edits)",
                        change.actor
                    ),
                );
            }
            Some(_) => {}
            None => fx.call(list_groups()),
        }
    }

    fn is_dirty(&self) -> bool {
        self.editor.as_ref().is_some_and(|e| e.is_dirty())
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.table.is_searching() {
            return vec![(Action::Activate, "done"), (Action::Cancel, "clear")];
        }
        match &self.editor {
            Some(e) if e.picker.is_some() => vec![(Action::Activate, "done"), (Action::Cancel, "cancel")],
            Some(e) if e.name.is_editing() => vec![
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
                (Action::Save, "save"),
            ],
            Some(e) => {
                let mut h = vec![(Action::Activate, "edit/pick")];
                // A role and a remove for the access row under the cursor only.
                if matches!(e.focus, Focus::Row(_)) {
                    h.push((Action::Left, "role"));
                }
                h.push((Action::NewItem, "add row"));
                if matches!(e.focus, Focus::Row(_)) {
                    h.push((Action::DeleteItem, "remove row"));
                }
                h.extend([(Action::Save, "save"), (Action::Cancel, "close")]);
                if e.stale {
                    h.insert(0, (Action::Reload, "reload (drops edits)"));
                }
                h
            }
            None => self.browse_hints(),
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
