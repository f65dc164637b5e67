//! The API keys tab (SETTINGS.md section 5): every user sees their own personal key, admins every key of
//! the organization (a windowed table paged by the server). Make my key (admins: a key for a chosen user,
//! such as an API-only one), rotate it with a grace period for the old key, "email me my key" (which
//! rotates), revoke; a new key is shown once with a copy action and a ready `curl` example. Admins also
//! switch the organization's `email_keys` setting. Every change is confirmed first, naming the key.

mod actions;
mod reveal;
mod view;

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, ErrorCode, Page, Versioned,
    api_keys::{ApiKeyEmailed, ApiKeyInfo, ApiKeyQuery, ApiKeySettings, NewApiKey, endpoints as keys},
    auth::{Me, OrgRole},
    settings::endpoints::Get as GetSettings,
    users::User,
};
use ratatui::{Frame, layout::Rect};
use uuid::Uuid;

/// The grace period prompt's number, checked as the server checks it (agent keys ask the same).
pub(crate) use actions::grace_minutes;
pub use reveal::KeyReveal;

use super::{Effects, Tab, TabCtx, own};
use crate::{
    api::{Call, OwnerMsg, PageTag, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating},
    widgets::{PageRequest, Prompt, Table, TableRow, ToastLevel, overlay::PromptEvent},
};

/// The actions this area adds to the keymap (the help lists them under its title).
pub const CREATE_KEY_FOR: Action = Action::Tab(TabAction("create_key_for"));
pub const ROTATE_KEY: Action = Action::Tab(TabAction("rotate_key"));
pub const EMAIL_KEY: Action = Action::Tab(TabAction("email_key"));
pub const EMAIL_KEYS_SWITCH: Action = Action::Tab(TabAction("email_keys_switch"));

/// The rows of this area's actions: default keys, help text, footer hint.
pub const KEYS: &[ActionSpec] = &[
    mutating(
        CREATE_KEY_FOR,
        "create_key_for",
        Scope::Area("API keys"),
        &["A"],
        "API keys: make a key for a user of the organization (admins; asks for the email)",
        Some("key for a user"),
    ),
    mutating(
        ROTATE_KEY,
        "rotate_key",
        Scope::Area("API keys"),
        &["R"],
        "API keys: rotate the key (asks for the old key's grace period, then confirms)",
        Some("rotate"),
    ),
    mutating(
        EMAIL_KEY,
        "email_key",
        Scope::Area("API keys"),
        &["m"],
        "API keys: email me my key (rotates it; asks first)",
        Some("email me"),
    ),
    mutating(
        EMAIL_KEYS_SWITCH,
        "email_keys_switch",
        Scope::Area("API keys"),
        &["K"],
        "API keys: allow or forbid emailing keys in the organization (admins; asks first)",
        Some("email keys on/off"),
    ),
];

/// The answers of the tab's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiKeysMsg {
    Page {
        tag: PageTag,
        result: Result<Page<ApiKeyInfo>, ApiError>,
    },
    /// The `api_keys` settings as read, or as saved (`saved`).
    Settings {
        saved: bool,
        result: Result<Versioned<ApiKeySettings>, ApiError>,
    },
    /// Users matching the email an admin typed to make a key for.
    Holder(Result<Page<User>, ApiError>),
    /// A key made or rotated: the only time it is shown.
    NewKey {
        rotated: bool,
        result: Result<NewApiKey, ApiError>,
    },
    Emailed(Result<ApiKeyEmailed, ApiError>),
    Revoked {
        id: Uuid,
        result: Result<(), ApiError>,
    },
}

/// `GET settings/api_keys`.
fn settings_call() -> Call {
    Call::of::<GetSettings<ApiKeySettings>, _>((), |result| ApiKeysMsg::Settings { saved: false, result })
        .label("loading API key settings")
}

/// Keys asked for per page.
pub const PAGE_SIZE: u32 = 100;

impl TableRow for ApiKeyInfo {
    type Id = Uuid;
    fn id(&self) -> Uuid {
        self.id
    }
    fn label(&self) -> String {
        format!("{} of {}", self.prefix, self.holder.email)
    }
}

/// A key as confirmations name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub id: Uuid,
    pub prefix: String,
    pub holder: String,
}

impl KeyRef {
    fn of(info: &ApiKeyInfo) -> KeyRef {
        KeyRef {
            id: info.id,
            prefix: info.prefix.clone(),
            holder: info.holder.email.clone(),
        }
    }
}

/// What the tab shows over its table.
pub enum Mode {
    Browse,
    /// How long the key being rotated keeps working once replaced.
    Grace {
        key: KeyRef,
        prompt: Prompt,
    },
    /// Whom an admin makes a key for; `looking_up` while the server is asked for that email.
    Holder {
        prompt: Prompt,
        looking_up: Option<String>,
    },
    /// A new key, shown once.
    NewKey(Box<KeyReveal>),
}

/// A change waiting for the user's yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Rotate {
        key: KeyRef,
        grace_minutes: u32,
    },
    Email(KeyRef),
    Revoke(KeyRef),
    /// Allow (true) or forbid emailing keys in the organization.
    EmailKeys(bool),
    /// Close the new key's box (the key is gone then).
    CloseReveal,
}

impl Pending {
    /// The action the confirmation answers.
    pub fn action(&self) -> Action {
        match self {
            Pending::Rotate { .. } => ROTATE_KEY,
            Pending::Email(_) => EMAIL_KEY,
            Pending::Revoke(_) => Action::DeleteItem,
            Pending::EmailKeys(_) => EMAIL_KEYS_SWITCH,
            Pending::CloseReveal => Action::Cancel,
        }
    }
}

/// Who is logged in, from `GET me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: Uuid,
    pub admin: bool,
}

pub struct ApiKeysTab {
    pub table: Table<ApiKeyInfo>,
    pub mode: Mode,
    pub viewer: Option<Viewer>,
    /// The organization's `api_keys` settings (read by admins only).
    pub settings: Option<Versioned<ApiKeySettings>>,
    pub pending: Option<Pending>,
    /// The last refusal (a 403, a 409), shown above the table until the next action.
    pub notice: Option<String>,
}

impl Default for ApiKeysTab {
    fn default() -> Self {
        Self::new()
    }
}

impl ApiKeysTab {
    pub fn new() -> ApiKeysTab {
        ApiKeysTab {
            table: Table::new(view::columns(), PAGE_SIZE)
                .with_noun("keys")
                .without_search(),
            mode: Mode::Browse,
            viewer: None,
            settings: None,
            pending: None,
            notice: None,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.viewer.is_some_and(|v| v.admin)
    }

    /// The organization's settings say keys may not be emailed (known to admins, who read them).
    pub fn email_forbidden(&self) -> bool {
        self.settings.as_ref().is_some_and(|s| !s.value.email_keys)
    }

    /// Whether `key` is the logged-in user's own.
    pub fn is_mine(&self, key: &ApiKeyInfo) -> bool {
        self.viewer.is_some_and(|v| v.user_id == key.holder.id)
    }

    /// The logged-in user's key, when a page holding it is loaded.
    pub fn my_key(&self) -> Option<&ApiKeyInfo> {
        self.table.held().find(|k| self.is_mine(k))
    }

    /// The call for a page the table wants.
    pub fn list_request(p: &PageRequest) -> Call {
        let tag = PageTag {
            generation: p.generation,
            page: p.page,
        };
        let query = ApiKeyQuery {
            user: None,
            cursor: p.cursor.as_deref().and_then(|c| Uuid::parse_str(c).ok()),
            limit: Some(p.limit),
        };
        Call::of::<keys::List, _>((), move |result| ApiKeysMsg::Page {
            tag: tag.clone(),
            result,
        })
        .query(&query)
        .label("loading API keys")
    }

    /// Runs `f` on the table and sends the pages it asks for.
    fn with_table<T>(
        &mut self,
        fx: &mut Effects,
        f: impl FnOnce(&mut Table<ApiKeyInfo>, &mut Vec<PageRequest>) -> T,
    ) -> T {
        let mut out = Vec::new();
        let r = f(&mut self.table, &mut out);
        for p in &out {
            fx.call(Self::list_request(p));
        }
        r
    }

    fn viewer_arrived(&mut self, me: &Me, fx: &mut Effects) {
        let viewer = Viewer {
            user_id: me.user.id,
            admin: me.role == OrgRole::Admin,
        };
        let first = self.viewer.is_none();
        self.viewer = Some(viewer);
        // Only admins may read the settings; the server refuses everything until required enrolment.
        if first && viewer.admin && !me.two_step.must_enrol {
            fx.call(settings_call());
        }
    }

    fn key_typed_in_prompt(&mut self, key: &KeyEvent, fx: &mut Effects) {
        match &mut self.mode {
            Mode::Grace { key: target, prompt } => match prompt.handle_key(key) {
                PromptEvent::Submit(text) => match actions::grace_minutes(&text) {
                    Ok(grace_minutes) => {
                        let key = target.clone();
                        self.mode = Mode::Browse;
                        self.ask(Pending::Rotate { key, grace_minutes }, fx);
                    }
                    Err(e) => prompt.error = Some(e),
                },
                PromptEvent::Cancel => self.mode = Mode::Browse,
                PromptEvent::None => {}
            },
            Mode::Holder { prompt, looking_up } => match prompt.handle_key(key) {
                PromptEvent::Submit(email) => {
                    fx.call(actions::find_holder(&email));
                    *looking_up = Some(email);
                }
                PromptEvent::Cancel => self.mode = Mode::Browse,
                PromptEvent::None => {}
            },
            Mode::Browse | Mode::NewKey(_) => {}
        }
    }

    fn pages_arrived(&mut self, tag: &PageTag, result: Result<Page<ApiKeyInfo>, ApiError>, fx: &mut Effects) {
        if let Err(e) = &result
            && needs_login(e)
        {
            return;
        }
        let result = result.map_err(|e| e.message);
        self.with_table(fx, |t, out| t.page_arrived_at(tag.generation, tag.page, result, out));
    }

    fn settings_answered(
        &mut self,
        saved: bool,
        result: &Result<Versioned<ApiKeySettings>, ApiError>,
        fx: &mut Effects,
    ) {
        match (saved, result) {
            (true, Ok(v)) => {
                let text = if v.value.email_keys {
                    "Holders may now have their key emailed to them"
                } else {
                    "Emailing API keys is now forbidden in the organization"
                };
                fx.toast(ToastLevel::Info, text);
                self.settings = Some(v.clone());
            }
            (_, Ok(v)) => self.settings = Some(v.clone()),
            (_, Err(e)) if needs_login(e) => {}
            (true, Err(e)) if e.code == ErrorCode::VersionMismatch => {
                self.notice =
                    Some("Not saved: another admin changed the API key settings first; reloaded, try again".into());
                fx.call(settings_call());
            }
            (true, Err(e)) => self.notice = Some(format!("Not saved: {}", e.message)),
            (_, Err(e)) => self.notice = Some(format!("API key settings: {}", e.message)),
        }
    }
}

impl Tab for ApiKeysTab {
    fn title(&self) -> &'static str {
        "API keys"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.with_table(fx, |t, out| t.reload(out));
    }

    fn captures_input(&self) -> bool {
        !matches!(self.mode, Mode::Browse)
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if let Mode::NewKey(reveal) = &mut self.mode {
            for action in ctx.keymap.actions_for(key) {
                match action {
                    Action::Copy => {
                        reveal.copied = true;
                        fx.copy = Some(reveal.key.clone());
                        fx.toast(ToastLevel::Info, "Copied the key to the clipboard (OSC 52)");
                    }
                    Action::Cancel | Action::Activate | Action::Quit => {
                        let copied = reveal.copied;
                        self.ask_to_close(copied, fx);
                    }
                    _ => continue,
                }
                break;
            }
            return;
        }
        self.key_typed_in_prompt(key, fx);
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        if !matches!(self.mode, Mode::Browse) {
            return false;
        }
        self.browse_action(action, ctx, fx)
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if let Some(p) = self.pending.take()
            && p.action() == action
        {
            self.perform(p, fx);
        }
    }

    fn answer(&mut self, msg: OwnerMsg, ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<ApiKeysMsg>(msg) else { return };
        match msg {
            ApiKeysMsg::Page { tag, result } => self.pages_arrived(&tag, result, fx),
            ApiKeysMsg::Settings { saved, result } => self.settings_answered(saved, &result, fx),
            ApiKeysMsg::Holder(result) => self.holder_found(&result, fx),
            other => self.change_answered(other, ctx, fx),
        }
    }

    fn me_changed(&mut self, me: &Me, fx: &mut Effects) {
        self.viewer_arrived(me, fx);
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, fx: &mut Effects) {
        if change.area == "api_key" && matches!(self.mode, Mode::Browse) {
            self.with_table(fx, |t, out| t.reload(out));
        }
    }

    fn is_dirty(&self) -> bool {
        false
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        match &self.mode {
            Mode::Grace { .. } => vec![(Action::Activate, "next"), (Action::Cancel, "cancel")],
            Mode::Holder { .. } => vec![(Action::Activate, "look up"), (Action::Cancel, "cancel")],
            Mode::NewKey(_) => vec![(Action::Copy, "copy the key"), (Action::Cancel, "close")],
            // Only what can be done now: the help still lists every key.
            Mode::Browse => {
                let mine = self.my_key().is_some();
                let mut hints = Vec::new();
                if !mine {
                    hints.push((Action::NewItem, "create my key"));
                }
                if self.is_admin() {
                    hints.push((CREATE_KEY_FOR, "key for a user"));
                }
                if self.table.current().is_some() {
                    hints.push((ROTATE_KEY, "rotate"));
                }
                if mine && !self.email_forbidden() {
                    hints.push((EMAIL_KEY, "email me my key"));
                }
                if self.table.current().is_some() {
                    hints.push((Action::DeleteItem, "revoke"));
                }
                if self.is_admin() && self.settings.is_some() {
                    hints.push((EMAIL_KEYS_SWITCH, "email keys on/off"));
                }
                hints.extend([
                    (Action::Reload, "reload"),
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
