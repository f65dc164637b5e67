//! One module per settings area. Adding an area is one module and one line in [`AREAS`]; navigation (the
//! header, the list of areas, `:` and the go key) follows from that line.

pub mod account;
pub mod agents;
pub mod api_keys;
pub mod audit;
pub mod doc;
mod general;
pub mod groups;
pub mod inbox;
pub mod integrations;
pub mod notifications;
mod paged;
pub mod reports;
pub mod scores;
pub mod security;
pub mod servers;
pub mod users;

pub use account::AccountTab;
pub use agents::AgentsTab;
pub use api_keys::ApiKeysTab;
pub use audit::AuditTab;
pub use general::GeneralTab;
pub use groups::GroupsTab;
pub use inbox::InboxTab;
pub use integrations::IntegrationsTab;
pub use notifications::NotificationsTab;
pub use reports::ReportsTab;
pub use scores::ScoresTab;
pub use security::SecurityTab;
pub use servers::ServersTab;
pub use users::UsersTab;

use std::time::Duration;

use crossterm::event::KeyEvent;
use orgdeck_shared::{auth::Secret, format::DateTimeStyle};
use ratatui::{Frame, layout::Rect};

use std::{any::Any, sync::Arc};

use orgdeck_shared::auth::Me;

use crate::{
    api::{Call, OwnerMsg},
    keymap::{Action, Keymap},
    nav::{Area, Group},
    theme::Theme,
    widgets::{Dialog, ToastLevel},
};

/// Every area, in order (digits 1-9 open the first nine): id, title, group, go key, more `:` names,
/// sections, and how its tab is made. An area not built yet is simply not here.
#[rustfmt::skip]
pub const AREAS: &[Area] = &[
    Area { id: "general", title: "General", group: Group::Organization, key: 'g', aliases: &["organization", "org", "licenses"], sections: &[], keys: &[], make: || Box::new(GeneralTab::new()) },
    Area { id: "users", title: "Users", group: Group::UsersAndAccess, key: 'u', aliases: &["people"], sections: &[], keys: users::KEYS, make: || Box::new(UsersTab::new()) },
    Area { id: "groups", title: "Groups", group: Group::UsersAndAccess, key: 'r', aliases: &[], sections: &[], keys: &[], make: || Box::new(GroupsTab::new()) },
    Area { id: "security", title: "Security", group: Group::Security, key: 's', aliases: &[], sections: security::SECTIONS, keys: security::KEYS, make: || Box::new(SecurityTab::new()) },
    Area { id: "audit", title: "Audit", group: Group::Security, key: 'a', aliases: &["log", "audit log"], sections: &[], keys: audit::KEYS, make: || Box::new(AuditTab::new()) },
    Area { id: "api_keys", title: "API keys", group: Group::UsersAndAccess, key: 'k', aliases: &["api", "keys"], sections: &[], keys: api_keys::KEYS, make: || Box::new(ApiKeysTab::new()) },
    Area { id: "integrations", title: "Integrations", group: Group::IntegrationsAndNotifications, key: 'i', aliases: &["jira", "bugzilla", "slack", "webhooks", "teams"], sections: &[], keys: integrations::KEYS, make: || Box::new(IntegrationsTab::new()) },
    Area { id: "notifications", title: "Notifications", group: Group::IntegrationsAndNotifications, key: 'n', aliases: &["alerts", "email"], sections: &[], keys: &[], make: || Box::new(NotificationsTab::new()) },
    Area { id: "account", title: "Account", group: Group::UsersAndAccess, key: 'm', aliases: &["me", "profile", "my account"], sections: &[], keys: account::KEYS, make: || Box::new(AccountTab::new()) },
    Area { id: "agent_keys", title: "Agent keys", group: Group::Servers, key: 'e', aliases: &["agents", "organization key", "org key"], sections: &[], keys: agents::KEYS, make: || Box::new(AgentsTab::new()) },
    Area { id: "servers", title: "Servers", group: Group::Servers, key: 'v', aliases: &["hosts", "fleet", "protect licenses"], sections: servers::SECTIONS, keys: servers::KEYS, make: || Box::new(ServersTab::new()) },
    Area { id: "reports", title: "Reports", group: Group::ReportsAndScores, key: 'p', aliases: &["report settings", "report", "owasp", "pci"], sections: &[], keys: reports::KEYS, make: || Box::new(ReportsTab::new()) },
    Area { id: "scores", title: "Scores", group: Group::ReportsAndScores, key: 'c', aliases: &["score settings", "grades", "weights"], sections: &[], keys: &[], make: || Box::new(ScoresTab::new()) },
    Area { id: "inbox", title: "Inbox", group: Group::IntegrationsAndNotifications, key: 'x', aliases: &["unread", "notifications inbox"], sections: &[], keys: inbox::KEYS, make: || Box::new(InboxTab::new()) },
];

/// Every tab, in the order of [`AREAS`].
pub fn all() -> Vec<Box<dyn Tab>> {
    AREAS.iter().map(|a| (a.make)()).collect()
}

/// What a tab needs to know about the console around it.
pub struct TabCtx<'a> {
    pub keymap: &'a Keymap,
    pub theme: &'a Theme,
    /// The organization's date and time style.
    pub dates: &'a DateTimeStyle,
    pub read_only: bool,
    /// The organization's name (passwords must not contain it).
    pub org_name: &'a str,
    /// The server's URL, as the profile names it (for examples the user can paste).
    pub server: &'a str,
}

/// What a tab asks the app to do: calls to send, toasts to show, a confirmation to ask.
#[derive(Debug, Default)]
pub struct Effects {
    /// API calls; each one's answer comes back to the tab that made it ([`Tab::answer`]).
    pub calls: Vec<Call>,
    /// Values every other tab is told of ([`Tab::broadcast`]): a saved password policy, the general
    /// settings. Typed: a tab picks the types it cares for.
    pub broadcasts: Vec<Arc<dyn Any + Send + Sync>>,
    /// Ask the server again who the user is (`GET me`); the answer reaches every tab ([`Tab::me_changed`]).
    pub refresh_me: bool,
    /// The user changed their own password: a change the server required is done (the gate opens at
    /// once; `GET me` then confirms it and the other areas load).
    pub password_changed: bool,
    /// The session ended (the user ended it from the Account area): log out here.
    pub logout: bool,
    pub toasts: Vec<(ToastLevel, String)>,
    pub confirm: Option<Dialog>,
    /// Timers to (re)start: `(name, delay, token)`; a timer replaces the tab's pending one of that name.
    pub timers: Vec<(&'static str, Duration, u64)>,
    /// Text to put on the terminal's clipboard (OSC 52).
    pub copy: Option<Secret>,
    /// Open another area on what a row is about (the Inbox's server or application).
    pub open: Option<Show>,
}

/// What another area is asked to show: it goes there and the area finds it ([`Tab::broadcast`] gets it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    /// A registered server, in the Servers area's list.
    Server { id: uuid::Uuid, name: String },
    /// An application, in the Servers area's applications.
    Application { id: uuid::Uuid, name: String },
}

impl Show {
    /// The area and section that show it.
    pub fn place(&self) -> (&'static str, &'static str) {
        match self {
            Show::Server { .. } => ("servers", "server_list"),
            Show::Application { .. } => ("servers", "applications"),
        }
    }
}

impl Effects {
    pub fn call(&mut self, c: Call) {
        self.calls.push(c);
    }
    /// Tells every tab (and the console) of `value`.
    pub fn broadcast<T: Any + Send + Sync>(&mut self, value: T) {
        self.broadcasts.push(Arc::new(value));
    }
    /// Starts (or restarts) the tab's timer `name`: [`Tab::timer`] gets `token` after `delay`.
    pub fn timer(&mut self, name: &'static str, delay: Duration, token: u64) {
        self.timers.push((name, delay, token));
    }
    pub fn toast(&mut self, level: ToastLevel, text: impl Into<String>) {
        self.toasts.push((level, text.into()));
    }
}

/// A call's answer as the message type `M` the tab made it into (`None`: not one of the tab's).
pub fn own<M: 'static>(msg: OwnerMsg) -> Option<M> {
    msg.downcast::<M>().ok().map(|m| *m)
}

pub trait Tab {
    fn title(&self) -> &'static str;
    /// A session started: load what the tab shows.
    fn load(&mut self, fx: &mut Effects);
    /// Whether the tab is taking raw keys (a text field is being edited).
    fn captures_input(&self) -> bool;
    /// A raw key while capturing input.
    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects);
    /// A semantic action; false when the tab has no use for it.
    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool;
    /// The user said yes to a confirmation the tab asked for.
    fn confirmed(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects);
    /// The answer to one of the tab's calls: the message the call's function made, of the tab's own type.
    fn answer(&mut self, msg: OwnerMsg, ctx: &TabCtx, fx: &mut Effects);
    /// Who the user is, as the server said just now (after login, and when a tab asked again).
    fn me_changed(&mut self, _me: &Me, _fx: &mut Effects) {}
    /// Something changed on the server (a live update, maybe one's own): refresh what shows it, or, when
    /// it is being edited here, say so (the save will show the conflict).
    fn changed(&mut self, _change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, _fx: &mut Effects) {}
    /// Another tab told every tab of a value (see [`Effects::broadcast`]).
    fn broadcast(&mut self, _what: &(dyn Any + Send + Sync), _fx: &mut Effects) {}
    /// A timer the tab started went off.
    fn timer(&mut self, _name: &'static str, _token: u64, _ctx: &TabCtx, _fx: &mut Effects) {}
    /// Edits not saved yet.
    fn is_dirty(&self) -> bool;
    /// Footer hints for the current mode.
    fn hints(&self) -> Vec<(Action, &'static str)>;
    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx);
    /// The title of the section shown, for the header ("Security › IP restrictions").
    fn section(&self) -> Option<&'static str> {
        None
    }
    /// Shows the section `id` (one of its area's [`crate::nav::Section`]s); false if it cannot now.
    fn show_section(&mut self, _id: &str) -> bool {
        false
    }
    /// A screen the tab draws over the whole console (tab bar, footer and status line too), drawn under
    /// the dialogs, help and toasts.
    fn render_overlay(&self, _frame: &mut Frame, _area: Rect, _ctx: &TabCtx) {}
    /// The tab as `Any`, so tests and benchmarks can look inside a known tab ([`crate::App::tab`]).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}
