//! The Servers area (SETTINGS.md sections 1 and 7), three sections (`[` `]`):
//! - Servers: the registered servers, paged by the server (name, environment, status, last seen,
//!   license, agent version), searched (`/`) and filtered by status (`f`) and environment (`v`);
//!   `e` moves one to another environment, `+` applies a protect license and `-` removes it, `d`
//!   removes the server (both asked first), `Enter` shows it whole.
//! - Applications: each with its assess license and score; `+` / `-` apply and remove the license,
//!   `Enter` shows its score and libraries.
//! - Agent defaults: `default_environment` and a form per environment ([`defaults`]).
//!
//! Live updates (a server registered, gone offline, moved or removed; a license applied) read the lists
//! again; a refused license says why (every unexpired one is in use).

mod defaults;
mod view;

pub use defaults::{Defaults, DocMsg, Focus};

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, Page,
    general::Environment,
    inventory::{Application, Library, Server, endpoints as inventory},
    servers::{LicenseApplication, LicenseServer, ServerQuery, ServerStatus, UpdateServer, endpoints as ep},
};

use super::{
    Effects, Tab, TabCtx,
    doc::Load,
    own,
    paged::{Nav, Paged},
};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating, spec},
    nav::Section as NavSection,
    widgets::{Dialog, Prompt, Report, ToastLevel, merge::Merge, overlay::PromptEvent},
};

pub const LICENSE: Action = Action::Tab(TabAction("servers_license"));
pub const UNLICENSE: Action = Action::Tab(TabAction("servers_unlicense"));
pub const ENVIRONMENT_FILTER: Action = Action::Tab(TabAction("servers_environment_filter"));

pub const KEYS: &[ActionSpec] = &[
    mutating(
        LICENSE,
        "servers_license",
        Scope::Area("Servers"),
        &["+"],
        "Servers: apply a license to the server (protect) or application (assess)",
        Some("license"),
    ),
    mutating(
        UNLICENSE,
        "servers_unlicense",
        Scope::Area("Servers"),
        &["-"],
        "Servers: remove the license of the server or application (asks first)",
        Some("unlicense"),
    ),
    spec(
        ENVIRONMENT_FILTER,
        "servers_environment_filter",
        Scope::Area("Servers"),
        &["v"],
        "Servers: show one environment's servers (cycles)",
        Some("environment"),
    ),
];

#[rustfmt::skip]
pub const SECTIONS: &[NavSection] = &[
    NavSection { id: "server_list", title: "Server list", aliases: &["registered", "servers list"] },
    NavSection { id: "applications", title: "Applications", aliases: &["apps", "assess licenses"] },
    NavSection { id: "defaults", title: "Agent defaults", aliases: &["agent settings", "environments", "syslog", "cleanup"] },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Servers,
    Applications,
    Defaults,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Servers, Section::Applications, Section::Defaults];
    pub fn title(self) -> &'static str {
        SECTIONS[Section::ALL.iter().position(|s| *s == self).unwrap_or(0)].title
    }
}

/// Servers read at a time.
const PAGE: u32 = 100;

#[derive(Debug, Clone, PartialEq)]
pub enum ServersMsg {
    First(Result<Page<Server>, ApiError>),
    More(Result<Page<Server>, ApiError>),
    Applications(Result<Page<Application>, ApiError>),
    /// A server moved or (un)licensed: `what` says which, for the toast.
    Server {
        what: String,
        result: Result<Server, ApiError>,
    },
    Removed {
        name: String,
        result: Result<(), ApiError>,
    },
    Application {
        what: String,
        result: Result<Application, ApiError>,
    },
    Libraries {
        application: Box<Application>,
        result: Result<Vec<Library>, ApiError>,
    },
    Doc(DocMsg),
}

/// What a prompt open over the list is for.
pub enum Asking {
    Search(Prompt),
    Move { server: Server, prompt: Prompt },
}

/// What a confirmation asked about.
#[derive(Debug, Clone)]
pub enum Pending {
    RemoveServer(Server),
    UnlicenseServer(Server),
    UnlicenseApplication(Application),
}

pub struct ServersTab {
    pub section: Section,
    pub list: Paged<Server>,
    pub q: String,
    pub environment: Option<Environment>,
    pub status: Option<ServerStatus>,
    pub applications: Load<Vec<Application>>,
    pub app_cursor: usize,
    pub defaults: Defaults,
    pub asking: Option<Asking>,
    pub pending: Option<Pending>,
    pub open: Option<Report>,
    /// A server or application another area asked to show: the cursor goes to it once its list is read.
    pub wanted: Option<super::Show>,
}

impl Default for ServersTab {
    fn default() -> Self {
        Self::new()
    }
}

/// The environment `text` names (a prefix will do).
pub fn environment_named(text: &str) -> Option<Environment> {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return None;
    }
    Environment::ALL.into_iter().find(|e| e.as_str().starts_with(&t))
}

fn cycle<T: Copy + PartialEq>(all: &[T], current: Option<T>) -> Option<T> {
    match current {
        None => all.first().copied(),
        Some(c) => {
            let i = all.iter().position(|x| *x == c).unwrap_or(0);
            all.get(i + 1).copied()
        }
    }
}

impl ServersTab {
    pub fn new() -> Self {
        ServersTab {
            section: Section::Servers,
            list: Paged::default(),
            q: String::new(),
            environment: None,
            status: None,
            applications: Load::NotLoaded,
            app_cursor: 0,
            defaults: Defaults::new(),
            asking: None,
            pending: None,
            open: None,
            wanted: None,
        }
    }

    /// Puts the cursor on what was asked to be shown, when its list holds it.
    fn find_wanted(&mut self) {
        match &self.wanted {
            Some(super::Show::Server { id, .. }) => {
                if let Some(i) = self.list.items().iter().position(|s| s.id == *id) {
                    self.list.cursor = i;
                    self.wanted = None;
                }
            }
            Some(super::Show::Application { id, .. }) => {
                if let Some(i) = self
                    .applications
                    .loaded()
                    .and_then(|apps| apps.iter().position(|a| a.id == *id))
                {
                    self.app_cursor = i;
                    self.wanted = None;
                }
            }
            None => {}
        }
    }

    fn query(&self, cursor: Option<String>) -> ServerQuery {
        ServerQuery {
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            environment: self.environment,
            status: self.status,
            licensed: None,
            cursor,
            limit: Some(PAGE),
        }
    }

    fn read_first(&mut self, fx: &mut Effects) {
        if !self.list.start_first() {
            return;
        }
        fx.call(
            Call::of::<ep::List, _>((), ServersMsg::First)
                .query(&self.query(None))
                .label("loading servers"),
        );
    }

    fn read_more(&mut self, fx: &mut Effects) {
        fx.call(
            Call::of::<ep::List, _>((), ServersMsg::More)
                .query(&self.query(self.list.next.clone()))
                .label("loading more servers"),
        );
    }

    fn read_applications(&mut self, fx: &mut Effects) {
        if self.applications.loaded().is_none() {
            self.applications = Load::Loading;
        }
        fx.call(Call::of::<inventory::ListApplications, _>((), ServersMsg::Applications).label("loading applications"));
    }

    /// Filters changed: from the top again.
    fn refilter(&mut self, fx: &mut Effects) {
        self.list.cursor = 0;
        self.list.rows = Load::Loading;
        self.read_first(fx);
    }

    fn current_app(&self) -> Option<&Application> {
        self.applications.loaded().and_then(|a| a.get(self.app_cursor))
    }

    fn read_only(ctx: &TabCtx, fx: &mut Effects) -> bool {
        if ctx.read_only {
            fx.toast(ToastLevel::Warning, "Read-only profile: changes are disabled");
        }
        ctx.read_only
    }

    fn server_license(&mut self, apply: bool, ctx: &TabCtx, fx: &mut Effects) {
        let Some(s) = self.list.current().cloned() else {
            fx.toast(ToastLevel::Info, "No server here");
            return;
        };
        if Self::read_only(ctx, fx) {
            return;
        }
        if s.licensed == apply {
            let state = if apply {
                "has a protect license"
            } else {
                "has no license"
            };
            fx.toast(ToastLevel::Info, format!("{} {state} already", s.name));
            return;
        }
        if !apply {
            fx.confirm = Some(Dialog::confirm(
                UNLICENSE,
                "Remove the protect license?",
                format!(
                    "{} stops being protected (its agent keeps reporting). The license goes back to the pool.",
                    s.name
                ),
                "remove license",
                "keep it",
            ));
            self.pending = Some(Pending::UnlicenseServer(s));
        } else {
            let body = LicenseServer { server_id: s.id };
            let what = format!("Protect license applied to {}", s.name);
            fx.call(
                Call::new::<ep::LicenseServer, _>((), &body, move |result| ServersMsg::Server {
                    what: what.clone(),
                    result,
                })
                .retryable(false)
                .label("applying a license"),
            );
        }
    }

    fn application_license(&mut self, apply: bool, ctx: &TabCtx, fx: &mut Effects) {
        let Some(a) = self.current_app().cloned() else {
            fx.toast(ToastLevel::Info, "No application here");
            return;
        };
        if Self::read_only(ctx, fx) {
            return;
        }
        if a.licensed == apply {
            let state = if apply {
                "has an assess license"
            } else {
                "has no license"
            };
            fx.toast(ToastLevel::Info, format!("{} {state} already", a.name));
            return;
        }
        if !apply {
            fx.confirm = Some(Dialog::confirm(
                UNLICENSE,
                "Remove the assess license?",
                format!("{} stops being assessed. The license goes back to the pool.", a.name),
                "remove license",
                "keep it",
            ));
            self.pending = Some(Pending::UnlicenseApplication(a));
        } else {
            let body = LicenseApplication { application_id: a.id };
            let what = format!("Assess license applied to {}", a.name);
            fx.call(
                Call::new::<ep::LicenseApplication, _>((), &body, move |result| ServersMsg::Application {
                    what: what.clone(),
                    result,
                })
                .retryable(false)
                .label("applying a license"),
            );
        }
    }

    fn server_detail(&mut self, ctx: &TabCtx) {
        let Some(s) = self.list.current() else { return };
        let lines = vec![
            format!("{} ({})", s.name, s.hostname),
            String::new(),
            format!("Environment:    {}", s.environment),
            format!("Status:         {}", s.status.as_str()),
            format!("Last seen:      {}", ctx.dates.datetime(s.last_seen_at)),
            format!("Registered:     {}", ctx.dates.datetime(s.registered_at)),
            format!(
                "Protect:        {}",
                if s.licensed {
                    "licensed"
                } else {
                    "unlicensed (L applies one)"
                }
            ),
            format!("Agent:          {} {}", s.language, s.agent_version),
            String::new(),
            format!(
                "Its settings are the {} agent defaults (] ] shows them).",
                s.environment
            ),
        ];
        self.open = Some(Report::new("Server", lines));
    }

    fn libraries(&mut self, application: Application, result: Result<Vec<Library>, ApiError>, fx: &mut Effects) {
        let libs = match result {
            Ok(l) => l,
            Err(e) if needs_login(&e) => return,
            Err(e) => {
                fx.toast(ToastLevel::Error, format!("The libraries did not load: {}", e.message));
                return;
            }
        };
        let mut lines = vec![format!(
            "{} · {} · {} · {}",
            application.name,
            application.language,
            application.environment,
            if application.licensed {
                "assess licensed"
            } else {
                "unlicensed"
            }
        )];
        lines.push(String::new());
        if let Some(s) = application.score {
            lines.push(format!(
                "Score {} ({}): custom code {}, libraries {}",
                s.overall,
                s.grade.as_str(),
                s.code,
                s.library.map_or_else(|| "none".to_owned(), |l| l.to_string())
            ));
        }
        let c = application.open_vulnerabilities;
        lines.push(format!(
            "Open vulnerabilities: {} critical, {} high, {} medium, {} low, {} notes",
            c.critical, c.high, c.medium, c.low, c.note
        ));
        lines.push(String::new());
        if libs.is_empty() {
            lines.push("No library reported yet.".into());
        } else {
            lines.push(format!("Libraries ({}):", libs.len()));
            for l in &libs {
                let cvss = l
                    .highest_cvss
                    .map_or_else(|| "no CVE".to_owned(), |c| format!("CVSS {c:.1}"));
                lines.push(format!(
                    "  {} {} → {} ({} behind, {})",
                    l.name,
                    l.version,
                    l.latest_version.as_deref().unwrap_or("?"),
                    l.versions_behind,
                    cvss
                ));
            }
        }
        self.open = Some(Report::new("Application", lines));
    }

    fn move_section(&mut self, step: isize) {
        if self.defaults.is_editing() || self.defaults.merge_open() {
            return;
        }
        let i = Section::ALL.iter().position(|s| *s == self.section).unwrap_or(0) as isize;
        let n = Section::ALL.len() as isize;
        self.section = Section::ALL[((i + step).rem_euclid(n)) as usize];
    }

    fn list_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        match self.list.nav(action, 10) {
            Nav::Moved => return true,
            Nav::More => {
                self.read_more(fx);
                return true;
            }
            Nav::No => {}
        }
        match action {
            Action::Activate | Action::Detail => self.server_detail(ctx),
            Action::Search => {
                let prompt = Prompt::new("Search servers", "Part of a name or hostname (empty: every server)")
                    .with_default(self.q.clone())
                    .with_submit("search", "");
                self.asking = Some(Asking::Search(prompt));
            }
            Action::Filter => {
                self.status = cycle(&ServerStatus::ALL, self.status);
                self.refilter(fx);
            }
            ENVIRONMENT_FILTER => {
                self.environment = cycle(&Environment::ALL, self.environment);
                self.refilter(fx);
            }
            Action::EditItem => {
                let Some(s) = self.list.current().cloned() else {
                    return true;
                };
                if Self::read_only(ctx, fx) {
                    return true;
                }
                let prompt = Prompt::new(
                    format!("Move {}", s.name),
                    format!(
                        "Now in {}. To which environment? development, qa, production\n(its agent gets that \
                         environment's settings at its next heartbeat)",
                        s.environment
                    ),
                )
                .with_default(s.environment.as_str())
                .with_submit("move", "type an environment");
                self.asking = Some(Asking::Move { server: s, prompt });
            }
            LICENSE => self.server_license(true, ctx, fx),
            UNLICENSE => self.server_license(false, ctx, fx),
            Action::DeleteItem => {
                let Some(s) = self.list.current().cloned() else {
                    return true;
                };
                if Self::read_only(ctx, fx) {
                    return true;
                }
                let license = if s.licensed {
                    " Its protect license goes back to the pool."
                } else {
                    ""
                };
                fx.confirm = Some(Dialog::confirm(
                    Action::DeleteItem,
                    format!("Remove {}?", s.name),
                    format!(
                        "{} ({}) leaves the list.{license} An agent still running registers it again.",
                        s.name, s.hostname
                    ),
                    "remove",
                    "keep it",
                ));
                self.pending = Some(Pending::RemoveServer(s));
            }
            Action::Reload => self.read_first(fx),
            _ => return false,
        }
        true
    }

    fn applications_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let n = self.applications.loaded().map_or(0, Vec::len);
        let last = n.saturating_sub(1);
        match action {
            Action::Up => self.app_cursor = self.app_cursor.saturating_sub(1),
            Action::Down => self.app_cursor = (self.app_cursor + 1).min(last),
            Action::PageUp => self.app_cursor = self.app_cursor.saturating_sub(10),
            Action::PageDown => self.app_cursor = (self.app_cursor + 10).min(last),
            Action::Top => self.app_cursor = 0,
            Action::Bottom => self.app_cursor = last,
            LICENSE => self.application_license(true, ctx, fx),
            UNLICENSE => self.application_license(false, ctx, fx),
            Action::Activate | Action::Detail => {
                let Some(a) = self.current_app().cloned() else {
                    return true;
                };
                let id = a.id;
                let application = Box::new(a);
                fx.call(
                    Call::of::<inventory::ListLibraries, _>(id, move |result| ServersMsg::Libraries {
                        application: application.clone(),
                        result,
                    })
                    .label("loading libraries"),
                );
            }
            Action::Reload => self.read_applications(fx),
            _ => return false,
        }
        true
    }

    fn prompt_key(&mut self, key: &KeyEvent, fx: &mut Effects) {
        let Some(asking) = &mut self.asking else { return };
        match asking {
            Asking::Search(prompt) => match prompt.handle_key(key) {
                PromptEvent::None => {}
                PromptEvent::Cancel => self.asking = None,
                PromptEvent::Submit(text) => {
                    self.q = text.trim().to_owned();
                    self.asking = None;
                    self.refilter(fx);
                }
            },
            Asking::Move { server, prompt } => match prompt.handle_key(key) {
                PromptEvent::None => {}
                PromptEvent::Cancel => self.asking = None,
                PromptEvent::Submit(text) => match environment_named(&text) {
                    None => prompt.error = Some("type development, qa or production".into()),
                    Some(env) if env == server.environment => {
                        prompt.error = Some(format!("{} is in {env} already", server.name));
                    }
                    Some(env) => {
                        let what = format!("{} moved to {env}", server.name);
                        fx.call(
                            Call::new::<ep::Update, _>(server.id, &UpdateServer { environment: env }, move |result| {
                                ServersMsg::Server {
                                    what: what.clone(),
                                    result,
                                }
                            })
                            .retryable(false)
                            .label("moving the server"),
                        );
                        self.asking = None;
                    }
                },
            },
        }
    }

    /// A server as the server answered it now: replaced in the list.
    fn replace(&mut self, server: Server) {
        if let Load::Loaded(rows) = &mut self.list.rows
            && let Some(row) = rows.iter_mut().find(|r| r.id == server.id)
        {
            *row = server;
        }
    }

    fn refused(what: &str, e: &ApiError, fx: &mut Effects) {
        if !needs_login(e) {
            fx.toast(ToastLevel::Error, format!("{what}: {}", e.message));
        }
    }
}

impl Tab for ServersTab {
    fn title(&self) -> &'static str {
        "Servers"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.read_first(fx);
        self.read_applications(fx);
        self.defaults.load(fx);
    }

    fn captures_input(&self) -> bool {
        self.asking.is_some() || (self.section == Section::Defaults && self.defaults.is_editing())
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if self.asking.is_some() {
            self.prompt_key(key, fx);
            return;
        }
        let is_char = matches!(key.code, crossterm::event::KeyCode::Char(_))
            && !key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL);
        if !is_char && ctx.keymap.is(key, Action::Save) {
            self.defaults.save(ctx.read_only, fx);
            return;
        }
        let commit = !is_char && ctx.keymap.is(key, Action::Activate);
        let cancel = !is_char && ctx.keymap.is(key, Action::Cancel);
        self.defaults.edit_key(key, commit, cancel);
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        if let Some(r) = &mut self.open {
            if r.handle(action) == crate::widgets::overlay::ReportEvent::Close {
                self.open = None;
            }
            return true;
        }
        if self.section == Section::Defaults && self.defaults.merge_open() {
            return self.defaults.action(action, ctx.read_only, fx);
        }
        match action {
            Action::NextSection => {
                self.move_section(1);
                return true;
            }
            Action::PrevSection => {
                self.move_section(-1);
                return true;
            }
            _ => {}
        }
        match self.section {
            Section::Servers => self.list_action(action, ctx, fx),
            Section::Applications => self.applications_action(action, ctx, fx),
            Section::Defaults => match action {
                Action::Save => {
                    self.defaults.save(ctx.read_only, fx);
                    true
                }
                Action::Reload if self.defaults.is_dirty() => {
                    fx.confirm = Some(Dialog::confirm(
                        Action::Reload,
                        "Reload?",
                        "Reloading drops your unsaved edits to the agent defaults.",
                        "reload",
                        "keep editing",
                    ));
                    true
                }
                Action::Reload => {
                    self.defaults.reload(fx);
                    true
                }
                _ => self.defaults.action(action, ctx.read_only, fx),
            },
        }
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if action == Action::Reload {
            self.defaults.reload(fx);
            return;
        }
        match self.pending.take() {
            Some(Pending::RemoveServer(s)) if action == Action::DeleteItem => {
                let name = s.name.clone();
                fx.call(
                    Call::of::<ep::Remove, _>(s.id, move |result| ServersMsg::Removed {
                        name: name.clone(),
                        result,
                    })
                    .retryable(false)
                    .label("removing the server"),
                );
            }
            Some(Pending::UnlicenseServer(s)) if action == UNLICENSE => {
                let what = format!("Protect license removed from {}", s.name);
                fx.call(
                    Call::of::<ep::UnlicenseServer, _>(s.id, move |result| ServersMsg::Server {
                        what: what.clone(),
                        result,
                    })
                    .retryable(false)
                    .label("removing a license"),
                );
            }
            Some(Pending::UnlicenseApplication(a)) if action == UNLICENSE => {
                let what = format!("Assess license removed from {}", a.name);
                fx.call(
                    Call::of::<ep::UnlicenseApplication, _>(a.id, move |result| ServersMsg::Application {
                        what: what.clone(),
                        result,
                    })
                    .retryable(false)
                    .label("removing a license"),
                );
            }
            _ => {}
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<ServersMsg>(msg) else { return };
        match msg {
            ServersMsg::First(result) => {
                match self.list.first(result.map(|p| (p.items, p.next_cursor))) {
                    Err(e) if needs_login(&e) => {}
                    Err(e) if self.list.rows.loaded().is_some() => {
                        fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message))
                    }
                    _ => {}
                }
                self.find_wanted();
                if self.list.first_arrived() {
                    self.read_first(fx);
                }
            }
            ServersMsg::More(result) => {
                if let Err(e) = self.list.more(result.map(|p| (p.items, p.next_cursor))) {
                    Self::refused("More servers did not load", &e, fx);
                }
            }
            ServersMsg::Applications(result) => match result {
                Ok(page) => {
                    self.app_cursor = self.app_cursor.min(page.items.len().saturating_sub(1));
                    self.applications = Load::Loaded(page.items);
                    self.find_wanted();
                }
                Err(e) if needs_login(&e) => {}
                Err(e) if self.applications.loaded().is_some() => Self::refused("Reload failed", &e, fx),
                Err(e) => self.applications = Load::Failed(e),
            },
            ServersMsg::Server { what, result } => match result {
                Ok(server) => {
                    fx.toast(ToastLevel::Info, what);
                    self.replace(server);
                }
                Err(e) => Self::refused("Not done", &e, fx),
            },
            ServersMsg::Removed { name, result } => match result {
                Ok(()) => {
                    fx.toast(ToastLevel::Info, format!("{name} removed"));
                    self.read_first(fx);
                }
                Err(e) => Self::refused(&format!("{name} not removed"), &e, fx),
            },
            ServersMsg::Application { what, result } => match result {
                Ok(app) => {
                    fx.toast(ToastLevel::Info, what);
                    if let Load::Loaded(rows) = &mut self.applications
                        && let Some(row) = rows.iter_mut().find(|r| r.id == app.id)
                    {
                        row.licensed = app.licensed;
                    }
                }
                Err(e) => Self::refused("Not done", &e, fx),
            },
            ServersMsg::Libraries { application, result } => self.libraries(*application, result, fx),
            ServersMsg::Doc(d) => self.defaults.answer(d, fx),
        }
    }

    fn broadcast(&mut self, what: &(dyn std::any::Any + Send + Sync), fx: &mut Effects) {
        let Some(show) = what.downcast_ref::<super::Show>() else {
            return;
        };
        self.open = None;
        self.asking = None;
        match show {
            super::Show::Server { name, .. } => {
                // Searched by its name, whatever the filters were (it may be offline, in any environment).
                self.section = Section::Servers;
                self.q = name.clone();
                self.status = None;
                self.environment = None;
                self.wanted = Some(show.clone());
                self.refilter(fx);
            }
            super::Show::Application { .. } => {
                self.section = Section::Applications;
                self.wanted = Some(show.clone());
                self.find_wanted();
                if self.wanted.is_some() {
                    self.read_applications(fx);
                }
            }
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, ctx: &TabCtx, fx: &mut Effects) {
        match change.area.as_str() {
            "server" if self.list.rows.loaded().is_some() => self.read_first(fx),
            "license" => {
                if self.list.rows.loaded().is_some() {
                    self.read_first(fx);
                }
                if self.applications.loaded().is_some() {
                    self.read_applications(fx);
                }
            }
            "application" if self.applications.loaded().is_some() => self.read_applications(fx),
            // Score settings change every application's score.
            "settings" if change.id == "scores" && self.applications.loaded().is_some() => self.read_applications(fx),
            _ => {}
        }
        self.defaults.changed(change, ctx.dates, fx);
    }

    fn is_dirty(&self) -> bool {
        self.defaults.is_dirty()
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.asking.is_some() {
            return vec![(Action::Activate, "ok"), (Action::Cancel, "cancel")];
        }
        if self.open.is_some() {
            return vec![(Action::Down, "scroll"), (Action::Cancel, "close")];
        }
        let mut hints = Vec::new();
        match self.section {
            Section::Servers => hints.extend([
                (Action::Activate, "details"),
                (Action::Search, "search"),
                (Action::Filter, "status"),
                (ENVIRONMENT_FILTER, "environment"),
                (Action::EditItem, "move"),
                (LICENSE, "license"),
                (UNLICENSE, "unlicense"),
                (Action::DeleteItem, "remove"),
            ]),
            Section::Applications => hints.extend([
                (Action::Activate, "score & libraries"),
                (LICENSE, "license"),
                (UNLICENSE, "unlicense"),
            ]),
            Section::Defaults => {
                if self.defaults.merge_open() {
                    let mut h = Merge::hints();
                    h.push((Action::Help, "help"));
                    return h;
                }
                if self.defaults.is_editing() {
                    return vec![
                        (Action::Activate, "done"),
                        (Action::Cancel, "cancel"),
                        (Action::Save, "save"),
                    ];
                }
                let choose = if self.defaults.focus == Focus::Switcher {
                    "environment"
                } else {
                    "choose"
                };
                hints.extend([
                    (Action::Left, choose),
                    (Action::Activate, "edit/toggle"),
                    (Action::Save, "save"),
                ]);
            }
        }
        hints.extend([
            (Action::NextSection, "section"),
            (Action::Reload, "reload"),
            (Action::Help, "help"),
        ]);
        hints
    }

    fn render(&self, frame: &mut ratatui::Frame, area: ratatui::layout::Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
    }

    fn section(&self) -> Option<&'static str> {
        Some(self.section.title())
    }

    fn show_section(&mut self, id: &str) -> bool {
        let Some(i) = SECTIONS.iter().position(|s| s.id == id) else {
            return false;
        };
        if self.defaults.is_editing() || self.asking.is_some() {
            return false;
        }
        self.section = Section::ALL[i];
        true
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
