//! The Integrations tab (SETTINGS.md section 6): the organization's bug trackers and channels, each with
//! its kind's form (secrets write-only), a real Test of the service with the remote's answer, a webhook's
//! signing secret shown once, and removal asked first.

mod form;
mod log;
mod view;

pub use form::{IntegrationFields, IntegrationForm};
pub use log::DeliveryLog;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    integrations::{
        Delivery, Integration, IntegrationCreated, IntegrationKind, IntegrationPatch, IntegrationStatus,
        NewSigningSecret, TestOutcome, endpoints as ep,
    },
    inventory::{Application, endpoints::ListApplications},
};
use ratatui::{Frame, layout::Rect};
use uuid::Uuid;

use super::{Effects, Tab, TabCtx, doc::Load, own};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating, spec},
    widgets::{Dialog, FormEvent, Report, ToastLevel, overlay::ReportEvent},
};

/// The actions this area adds to the keymap.
pub const TEST: Action = Action::Tab(TabAction("test_integration"));
pub const SIGNING_SECRET: Action = Action::Tab(TabAction("new_signing_secret"));
pub const DELIVERIES: Action = Action::Tab(TabAction("delivery_log"));
pub const REDELIVER: Action = Action::Tab(TabAction("redeliver"));

pub const KEYS: &[ActionSpec] = &[
    mutating(
        TEST,
        "test_integration",
        Scope::Area("Integrations"),
        &["t"],
        "Integrations: test it for real (bug trackers: who am I and the project; channels: a test message)",
        Some("test"),
    ),
    mutating(
        SIGNING_SECRET,
        "new_signing_secret",
        Scope::Area("Integrations"),
        &["S"],
        "Integrations: a new signing secret for a webhook (shown once; the old one stops; asks first)",
        Some("new secret"),
    ),
    spec(
        DELIVERIES,
        "delivery_log",
        Scope::Area("Integrations"),
        &["D"],
        "Integrations: a channel's delivery log (status, attempts, answers; enter shows every attempt)",
        Some("deliveries"),
    ),
    mutating(
        REDELIVER,
        "redeliver",
        Scope::Area("Integrations"),
        &["R"],
        "Integrations: in the delivery log, send the delivery under the cursor again (same webhook-id)",
        Some("redeliver"),
    ),
];

/// The answers of the tab's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum IntegrationsMsg {
    List(Result<Vec<Integration>, ApiError>),
    Applications(Result<Page<Application>, ApiError>),
    Created(Result<IntegrationCreated, ApiError>),
    Updated(Result<Integration, ApiError>),
    /// The integration being edited, read again.
    Reloaded(Result<Integration, ApiError>),
    Deleted {
        id: Uuid,
        result: Result<(), ApiError>,
    },
    Tested {
        id: Uuid,
        result: Result<TestOutcome, ApiError>,
    },
    Secret {
        id: Uuid,
        result: Result<NewSigningSecret, ApiError>,
    },
    /// A page of a channel's delivery log (`more`: a page after the first).
    Log {
        id: Uuid,
        more: bool,
        result: Result<Page<Delivery>, ApiError>,
    },
    Redelivered {
        id: Uuid,
        result: Result<Delivery, ApiError>,
    },
}

fn list_call() -> Call {
    Call::of::<ep::List, _>((), IntegrationsMsg::List).label("loading integrations")
}

/// What the tab shows.
pub enum Mode {
    Browse,
    /// Choosing the kind of a new integration.
    Kinds {
        cursor: usize,
    },
    Form(Box<IntegrationForm>),
    /// A test's answer, or a signing secret shown once.
    Report(Report),
    /// A channel's delivery log.
    Log(Box<DeliveryLog>),
}

pub struct IntegrationsTab {
    pub list: Load<Vec<Integration>>,
    pub cursor: usize,
    pub apps: Vec<Application>,
    pub mode: Mode,
    /// Integrations whose Test is on its way.
    pub testing: Vec<Uuid>,
    /// The last Test of each integration this session: ok, and what it said.
    pub tested: Vec<(Uuid, TestOutcome)>,
    /// What a confirmation is about.
    pending: Option<Integration>,
}

impl Default for IntegrationsTab {
    fn default() -> Self {
        Self::new()
    }
}

impl IntegrationsTab {
    pub fn new() -> Self {
        IntegrationsTab {
            list: Load::NotLoaded,
            cursor: 0,
            apps: Vec::new(),
            mode: Mode::Browse,
            testing: Vec::new(),
            tested: Vec::new(),
            pending: None,
        }
    }

    pub fn items(&self) -> &[Integration] {
        self.list.loaded().map_or(&[], Vec::as_slice)
    }

    pub fn current(&self) -> Option<&Integration> {
        self.items().get(self.cursor)
    }

    pub fn last_test(&self, id: Uuid) -> Option<&TestOutcome> {
        self.tested.iter().rev().find(|(i, _)| *i == id).map(|(_, t)| t)
    }

    fn reload(&mut self, fx: &mut Effects) {
        if self.list.loaded().is_none() {
            self.list = Load::Loading;
        }
        fx.call(list_call());
    }

    fn replace(&mut self, integration: Integration) {
        if let Load::Loaded(items) = &mut self.list {
            match items.iter_mut().find(|i| i.id == integration.id) {
                Some(slot) => *slot = integration,
                None => {
                    items.push(integration);
                    items.sort_by_key(|i| i.name.to_lowercase());
                }
            }
        }
    }

    fn test(&mut self, fx: &mut Effects) {
        let Some(i) = self.current() else { return };
        if self.testing.contains(&i.id) {
            fx.toast(ToastLevel::Info, format!("Already testing {}…", i.name));
            return;
        }
        let id = i.id;
        self.testing.push(id);
        let call = Call::of::<ep::Test, _>(id, move |result| IntegrationsMsg::Tested { id, result });
        fx.call(call.retryable(false).label("testing the integration"));
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        let Mode::Form(f) = &mut self.mode else { return };
        if ctx.read_only {
            fx.toast(ToastLevel::Warning, "Read-only profile: saving is disabled");
            return;
        }
        if f.form.is_editing() {
            f.form.commit_edit();
        }
        if f.saving {
            fx.toast(ToastLevel::Info, "Already saving…");
            return;
        }
        let errors = f.validate();
        if let Some(first) = f.form.errors().keys().next().cloned() {
            f.form.focus_named(&first);
            fx.toast(
                ToastLevel::Error,
                format!("Not saved: fix {} field(s) first", errors.len()),
            );
            return;
        }
        if !errors.is_empty() {
            fx.toast(ToastLevel::Error, format!("Not saved: {}", errors[0].message));
            return;
        }
        match &f.original {
            None => {
                f.saving = true;
                let call = Call::new::<ep::Create, _>((), &f.new_integration(), IntegrationsMsg::Created);
                fx.call(call.retryable(false).label("adding the integration"));
            }
            Some(o) => {
                let patch = f.patch();
                if patch == IntegrationPatch::default() {
                    fx.toast(ToastLevel::Info, "Nothing to save");
                    return;
                }
                if f.stale {
                    fx.toast(
                        ToastLevel::Warning,
                        "Not saved: someone else changed this integration; r reads it again (drops your edits)",
                    );
                    return;
                }
                f.saving = true;
                let call = Call::new::<ep::Update, _>(o.id, &patch, IntegrationsMsg::Updated);
                fx.call(
                    call.if_match(o.version)
                        .retryable(false)
                        .label("saving the integration"),
                );
            }
        }
    }

    fn form_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let Mode::Form(f) = &mut self.mode else { return false };
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
                if let Some(o) = &f.original {
                    let call = Call::of::<ep::Get, _>(o.id, IntegrationsMsg::Reloaded).label("loading the integration");
                    fx.call(call);
                }
            }
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Activate => {
                if ctx.read_only && matches!(action, Action::Left | Action::Right | Action::Activate) {
                    return true;
                }
                if let FormEvent::Changed(_) = f.form.handle_action(action) {
                    f.sync();
                    f.validate();
                }
            }
            _ => return false,
        }
        true
    }

    fn browse_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let n = self.items().len();
        let editable = !ctx.read_only;
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(n.saturating_sub(1)),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = n.saturating_sub(1),
            Action::Reload => self.reload(fx),
            Action::NewItem if editable => self.mode = Mode::Kinds { cursor: 0 },
            Action::EditItem | Action::Activate if editable => {
                let Some(i) = self.current() else {
                    fx.toast(ToastLevel::Info, "No integration here yet: a adds one");
                    return true;
                };
                self.mode = Mode::Form(Box::new(IntegrationForm::edit(i, &self.apps)));
            }
            Action::DeleteItem if editable => {
                let Some(i) = self.current().cloned() else { return true };
                fx.confirm = Some(Dialog::confirm(
                    Action::DeleteItem,
                    "Remove the integration?",
                    format!(
                        "Remove {} ({}, {})? Nothing more is sent to it, and its delivery log goes with it.",
                        i.name,
                        i.kind.label(),
                        i.target
                    ),
                    "remove",
                    "keep",
                ));
                self.pending = Some(i);
            }
            TEST if editable => {
                if self.current().is_none() {
                    fx.toast(ToastLevel::Info, "No integration to test: a adds one");
                } else {
                    self.test(fx);
                }
            }
            DELIVERIES => {
                let Some(i) = self.current().cloned() else {
                    fx.toast(ToastLevel::Info, "No integration here yet: a adds one");
                    return true;
                };
                if i.kind.tracker() {
                    fx.toast(
                        ToastLevel::Info,
                        format!("{} is a bug tracker: it gets issues, not deliveries", i.name),
                    );
                    return true;
                }
                let mut log = DeliveryLog::new(i);
                log.read_first(fx);
                self.mode = Mode::Log(Box::new(log));
            }
            REDELIVER => fx.toast(ToastLevel::Info, "Open a channel's delivery log first (D)"),
            SIGNING_SECRET if editable => {
                let Some(i) = self.current().cloned() else { return true };
                if i.kind != IntegrationKind::Webhook {
                    fx.toast(
                        ToastLevel::Info,
                        format!("{} is not a webhook: only webhooks are signed", i.name),
                    );
                    return true;
                }
                let has = i.secrets.get("signing_secret").copied().unwrap_or(false);
                let body = if has {
                    format!(
                        "Make a new signing secret for {}? The current one stops at once: receivers must be given the new one.",
                        i.name
                    )
                } else {
                    format!("Sign {}'s requests from now on? The secret is shown once.", i.name)
                };
                fx.confirm = Some(Dialog::confirm(
                    SIGNING_SECRET,
                    "New signing secret?",
                    body,
                    "make it",
                    "cancel",
                ));
                self.pending = Some(i);
            }
            _ => return false,
        }
        true
    }

    fn kinds_action(&mut self, action: Action) -> bool {
        let Mode::Kinds { cursor } = &mut self.mode else {
            return false;
        };
        let n = IntegrationKind::ALL.len();
        match action {
            Action::Up => *cursor = cursor.saturating_sub(1),
            Action::Down => *cursor = (*cursor + 1).min(n - 1),
            Action::Top => *cursor = 0,
            Action::Bottom => *cursor = n - 1,
            Action::Activate => {
                let kind = IntegrationKind::ALL[*cursor];
                self.mode = Mode::Form(Box::new(IntegrationForm::add(kind, &self.apps)));
            }
            Action::Cancel => self.mode = Mode::Browse,
            _ => return false,
        }
        true
    }

    fn saved(&mut self, result: Result<Integration, ApiError>, fx: &mut Effects) {
        let Mode::Form(f) = &mut self.mode else {
            if let Ok(i) = result {
                self.replace(i);
            }
            return;
        };
        f.saving = false;
        match result {
            Ok(i) => {
                fx.toast(ToastLevel::Info, format!("Saved {}", i.name));
                self.replace(i);
                self.mode = Mode::Browse;
            }
            Err(e) if e.code == ErrorCode::VersionMismatch => {
                f.stale = true;
                fx.toast(
                    ToastLevel::Warning,
                    "Not saved: someone else changed this integration first. r reads it again (drops your edits)",
                );
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => {
                f.show_errors(e.fields.clone());
                if let Some(first) = f.form.errors().keys().next().cloned() {
                    f.form.focus_named(&first);
                }
                fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
            }
            Err(e) if needs_login(&e) => {}
            Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
        }
    }

    fn created(&mut self, result: Result<IntegrationCreated, ApiError>, fx: &mut Effects) {
        match result {
            Ok(created) => {
                let name = created.integration.name.clone();
                self.replace(created.integration.clone());
                if let Some(pos) = self.items().iter().position(|i| i.id == created.integration.id) {
                    self.cursor = pos;
                }
                self.mode = match created.signing_secret {
                    Some(secret) => Mode::Report(secret_report(&name, secret)),
                    None => Mode::Browse,
                };
                fx.toast(ToastLevel::Info, format!("Added {name}; t tests it"));
            }
            Err(e) => self.saved(Err(e), fx),
        }
    }

    fn tested(&mut self, id: Uuid, result: Result<TestOutcome, ApiError>, fx: &mut Effects) {
        self.testing.retain(|t| *t != id);
        let name = self
            .items()
            .iter()
            .find(|i| i.id == id)
            .map_or_else(|| "the integration".to_owned(), |i| i.name.clone());
        match result {
            Ok(outcome) => {
                let (level, verdict) = if outcome.ok {
                    (ToastLevel::Info, "works")
                } else {
                    (ToastLevel::Warning, "failed")
                };
                fx.toast(level, format!("Test of {name} {verdict}: {}", outcome.message));
                if matches!(self.mode, Mode::Browse) {
                    self.mode = Mode::Report(test_report(&name, &outcome));
                }
                self.tested.push((id, outcome));
                // What Test detected (and a re-enabled integration) is stored: read the list again.
                fx.call(list_call());
            }
            Err(e) if needs_login(&e) => {}
            Err(e) => fx.toast(ToastLevel::Error, format!("Could not test {name}: {}", e.message)),
        }
    }
}

/// The Test's answer as a report: verdict, remote status, message, what was detected.
fn test_report(name: &str, outcome: &TestOutcome) -> Report {
    let mut lines = vec![if outcome.ok {
        "✓ It works.".to_owned()
    } else {
        "✗ It does not work.".to_owned()
    }];
    lines.push(match outcome.status {
        Some(s) => format!("Remote answer: HTTP {s}"),
        None => "No remote answer (refused here or not reached).".to_owned(),
    });
    lines.push(String::new());
    // The box is at most 78 wide: the remote's message wraps inside it.
    lines.extend(outcome.message.lines().flat_map(|l| crate::widgets::wrap(l, 72)));
    if !outcome.detected.is_empty() {
        lines.push(String::new());
        lines.push("Detected and stored:".to_owned());
        for (k, v) in &outcome.detected {
            lines.push(format!("  {k}: {v}"));
        }
    }
    Report::new(format!("Test of {name}"), lines)
}

/// A webhook's signing secret, shown once, `c` copies it.
fn secret_report(name: &str, secret: orgdeck_shared::auth::Secret) -> Report {
    let lines = vec![
        "! Shown only now: copy it (c). It will not be shown again.".to_owned(),
        String::new(),
        secret.expose().to_owned(),
        String::new(),
        "Each request carries webhook-id, webhook-timestamp and".to_owned(),
        "webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>".to_owned(),
        "(Standard Webhooks 1.0), and X-Orgdeck-Signature, the same value.".to_owned(),
    ];
    let mut report = Report::new(format!("Signing secret of {name}"), lines);
    report.copy = Some(secret);
    report
}

impl Tab for IntegrationsTab {
    fn title(&self) -> &'static str {
        "Integrations"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.reload(fx);
        fx.call(Call::of::<ListApplications, _>((), IntegrationsMsg::Applications).label("loading applications"));
    }

    fn captures_input(&self) -> bool {
        matches!(&self.mode, Mode::Form(f) if f.form.is_editing())
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        let is_char = matches!(key.code, KeyCode::Char(_)) && !key.modifiers.contains(KeyModifiers::CONTROL);
        if !is_char && ctx.keymap.is(key, Action::Save) {
            self.save(ctx, fx);
            return;
        }
        let commit = !is_char && ctx.keymap.is(key, Action::Activate);
        let cancel = !is_char && ctx.keymap.is(key, Action::Cancel);
        if let Mode::Form(f) = &mut self.mode
            && let FormEvent::Changed(_) = f.form.handle_edit_key(key, commit, cancel)
        {
            f.sync();
            f.validate();
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        self.cursor = self.cursor.min(self.items().len().saturating_sub(1));
        match &mut self.mode {
            Mode::Browse => self.browse_action(action, ctx, fx),
            Mode::Kinds { .. } => self.kinds_action(action),
            Mode::Form(_) => self.form_action(action, ctx, fx),
            Mode::Log(log) => {
                match action {
                    Action::Cancel => self.mode = Mode::Browse,
                    REDELIVER if ctx.read_only => {
                        fx.toast(ToastLevel::Warning, "Read-only profile: redelivery is disabled")
                    }
                    REDELIVER => log.redeliver(fx),
                    _ => return log.handle(action, fx),
                }
                true
            }
            Mode::Report(r) => {
                match r.handle(action) {
                    ReportEvent::Close => self.mode = Mode::Browse,
                    ReportEvent::Copy(secret) => {
                        fx.copy = Some(secret);
                        fx.toast(ToastLevel::Info, "Copied the signing secret");
                    }
                    ReportEvent::None => {}
                }
                true
            }
        }
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        match action {
            Action::Cancel => self.mode = Mode::Browse,
            Action::DeleteItem => {
                if let Some(i) = self.pending.take() {
                    let id = i.id;
                    let call = Call::of::<ep::Delete, _>(id, move |result| IntegrationsMsg::Deleted { id, result });
                    fx.call(call.if_match(i.version).label("removing the integration"));
                }
            }
            SIGNING_SECRET => {
                if let Some(i) = self.pending.take() {
                    let id = i.id;
                    let call =
                        Call::of::<ep::SigningSecret, _>(id, move |result| IntegrationsMsg::Secret { id, result });
                    fx.call(call.retryable(false).label("making a signing secret"));
                }
            }
            _ => {}
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<IntegrationsMsg>(msg) else { return };
        match msg {
            IntegrationsMsg::List(Ok(mut items)) => {
                items.sort_by_key(|i| i.name.to_lowercase());
                self.cursor = self.cursor.min(items.len().saturating_sub(1));
                self.list = Load::Loaded(items);
            }
            IntegrationsMsg::List(Err(e)) if needs_login(&e) => {}
            IntegrationsMsg::List(Err(e)) => {
                if self.list.loaded().is_some() {
                    fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message));
                } else {
                    self.list = Load::Failed(e);
                }
            }
            IntegrationsMsg::Applications(Ok(page)) => self.apps = page.items,
            IntegrationsMsg::Applications(Err(_)) => {}
            IntegrationsMsg::Created(result) => self.created(result, fx),
            IntegrationsMsg::Updated(result) => self.saved(result, fx),
            IntegrationsMsg::Reloaded(Ok(i)) => {
                if let Mode::Form(f) = &mut self.mode
                    && f.original.as_ref().is_some_and(|o| o.id == i.id)
                {
                    f.fill(&i);
                }
                self.replace(i);
            }
            IntegrationsMsg::Reloaded(Err(e)) => fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message)),
            IntegrationsMsg::Deleted { id, result } => match result {
                Ok(()) => {
                    if let Load::Loaded(items) = &mut self.list {
                        if let Some(i) = items.iter().find(|i| i.id == id) {
                            fx.toast(ToastLevel::Info, format!("Removed {}", i.name));
                        }
                        items.retain(|i| i.id != id);
                    }
                    self.cursor = self.cursor.min(self.items().len().saturating_sub(1));
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Not removed: {}", e.message)),
            },
            IntegrationsMsg::Tested { id, result } => self.tested(id, result, fx),
            IntegrationsMsg::Secret { id, result } => match result {
                Ok(new) => {
                    let name = self
                        .items()
                        .iter()
                        .find(|i| i.id == id)
                        .map_or_else(|| "the webhook".to_owned(), |i| i.name.clone());
                    self.mode = Mode::Report(secret_report(&name, new.signing_secret));
                    fx.call(list_call());
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("No new secret: {}", e.message)),
            },
            IntegrationsMsg::Log { id, more, result } => {
                if let Mode::Log(log) = &mut self.mode
                    && log.integration.id == id
                {
                    log.page(more, result, fx);
                }
            }
            IntegrationsMsg::Redelivered { id, result } => match result {
                Ok(d) => {
                    if let Mode::Log(log) = &mut self.mode
                        && log.integration.id == id
                    {
                        log.redelivered(d, fx);
                    }
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Not sent again: {}", e.message)),
            },
        }
    }

    fn timer(&mut self, name: &'static str, token: u64, _ctx: &TabCtx, fx: &mut Effects) {
        if name == log::REFRESH_TIMER
            && let Mode::Log(log) = &mut self.mode
            && log.token == token
        {
            log.read_first(fx);
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, fx: &mut Effects) {
        if change.area != "integration" {
            return;
        }
        let editing = matches!(&self.mode, Mode::Form(f)
            if f.original.as_ref().is_some_and(|o| o.id.to_string() == change.id && Some(o.version) != change.version));
        if editing
            && let Mode::Form(f) = &mut self.mode
            && f.is_dirty()
            && !f.saving
        {
            f.stale = true;
            fx.toast(
                ToastLevel::Warning,
                format!(
                    "This integration was changed by {}: your edits are kept; r reads it again (drops them)",
                    change.actor
                ),
            );
            return;
        }
        fx.call(list_call());
    }

    fn is_dirty(&self) -> bool {
        matches!(&self.mode, Mode::Form(f) if f.is_dirty())
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        match &self.mode {
            Mode::Form(f) if f.form.is_editing() => vec![
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
                (Action::Save, "save"),
            ],
            Mode::Form(f) => {
                let mut h = vec![
                    (Action::Activate, "edit/toggle"),
                    (Action::Save, "save"),
                    (Action::Cancel, "close"),
                ];
                if f.stale {
                    h.insert(0, (Action::Reload, "read again (drops edits)"));
                }
                h
            }
            Mode::Kinds { .. } => vec![
                (Action::Down, "choose"),
                (Action::Activate, "add"),
                (Action::Cancel, "cancel"),
            ],
            Mode::Log(log) => {
                let mut h = vec![(Action::Activate, "attempts")];
                if log.list.current().is_some_and(|d| !d.status.open()) {
                    h.push((REDELIVER, "redeliver"));
                }
                h.extend([(Action::Reload, "reload"), (Action::Cancel, "close")]);
                h
            }
            Mode::Report(r) if r.copy.is_some() => vec![(Action::Copy, "copy"), (Action::Cancel, "close")],
            Mode::Report(_) => vec![(Action::Down, "scroll"), (Action::Cancel, "close")],
            Mode::Browse => {
                let mut h = vec![(Action::NewItem, "add")];
                if let Some(i) = self.current() {
                    h.extend([
                        (Action::EditItem, "edit"),
                        (TEST, "test"),
                        (Action::DeleteItem, "remove"),
                    ]);
                    if !i.kind.tracker() {
                        h.push((DELIVERIES, "deliveries"));
                    }
                    if i.kind == IntegrationKind::Webhook {
                        h.push((SIGNING_SECRET, "new secret"));
                    }
                }
                h.extend([
                    (Action::Reload, "reload"),
                    (Action::Help, "help"),
                    (Action::Quit, "quit"),
                ]);
                h
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

/// A status as the list shows it.
pub fn status_text(i: &Integration) -> String {
    match &i.status {
        IntegrationStatus::Active if i.enabled => "active".to_owned(),
        IntegrationStatus::Active | IntegrationStatus::Off => "off".to_owned(),
        IntegrationStatus::Disabled { reason, .. } => format!("disabled: {reason}"),
    }
}
