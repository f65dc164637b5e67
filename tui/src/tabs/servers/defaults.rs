//! The agent defaults of the Servers area (SETTINGS.md section 7): the organization's
//! `default_environment` and one form per environment, each its own versioned settings document (stale
//! edits, the conflict view of a save and live updates come with [`DocState`]). Switching environment
//! keeps each one's edits; a save sends every document with edits.

use orgdeck_shared::{
    ApiError, ErrorCode, FieldError, Versioned,
    events::ChangeEvent,
    format::DateTimeStyle,
    general::Environment,
    servers::{
        AgentSettings, DevelopmentDefaults, EnvironmentDefaults, LogLevel, ProductionDefaults, QaDefaults,
        ServerSettings, Stacktraces, SyslogProtocol, SyslogSeverity,
    },
};

use super::ServersMsg;
use crate::{
    keymap::Action,
    tabs::{
        Effects,
        doc::{Arrival, DocState, Document, MergeStep},
    },
    widgets::{
        FieldSpec, Form, FormEvent, ToastLevel,
        form::{Choice, Number, Text, Toggle},
    },
};

/// The answers about the documents of this section.
#[derive(Debug, Clone, PartialEq)]
pub enum DocMsg {
    ServerSettings(Answer<ServerSettings>),
    Development(Answer<DevelopmentDefaults>),
    Qa(Answer<QaDefaults>),
    Production(Answer<ProductionDefaults>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Answer<D> {
    Read(Result<Versioned<D>, ApiError>),
    Saved(Result<Versioned<D>, ApiError>),
}

macro_rules! document {
    ($ty:ty, $variant:ident, $title:literal) => {
        impl Document for $ty {
            const TITLE: &'static str = $title;
            type Msg = ServersMsg;
            fn read_msg(result: Result<Versioned<Self>, ApiError>) -> ServersMsg {
                ServersMsg::Doc(DocMsg::$variant(Answer::Read(result)))
            }
            fn saved_msg(_sent: &Self, result: Result<Versioned<Self>, ApiError>) -> ServersMsg {
                ServersMsg::Doc(DocMsg::$variant(Answer::Saved(result)))
            }
        }
    };
}

document!(ServerSettings, ServerSettings, "server settings");
document!(DevelopmentDefaults, Development, "development agent defaults");
document!(QaDefaults, Qa, "qa agent defaults");
document!(ProductionDefaults, Production, "production agent defaults");

pub const LOG_LEVEL: Choice<AgentSettings> = Choice::new("log_level");
pub const ASSESS: Toggle<AgentSettings> = Toggle::new("assess_enabled");
pub const STACKTRACES: Choice<AgentSettings> = Choice::new("stacktraces");
pub const SAMPLING: Toggle<AgentSettings> = Toggle::new("sampling.enabled");
pub const BASELINE: Number<AgentSettings> = Number::new("sampling.baseline");
pub const FREQUENCY: Number<AgentSettings> = Number::new("sampling.frequency");
pub const WINDOW: Number<AgentSettings> = Number::new("sampling.window_seconds");
pub const PROTECT: Toggle<AgentSettings> = Toggle::new("protect_enabled");
pub const BOTS: Toggle<AgentSettings> = Toggle::new("bot_blocking");
pub const SYSLOG: Toggle<AgentSettings> = Toggle::new("syslog.enabled");
pub const SYSLOG_HOST: Text<AgentSettings> = Text::new("syslog.host");
pub const SYSLOG_PORT: Number<AgentSettings> = Number::new("syslog.port");
pub const SYSLOG_PROTOCOL: Choice<AgentSettings> = Choice::new("syslog.protocol");
pub const FACILITY: Number<AgentSettings> = Number::new("syslog.facility");
pub const EXPLOITED: Choice<AgentSettings> = Choice::new("syslog.severities.exploited");
pub const BLOCKED: Choice<AgentSettings> = Choice::new("syslog.severities.blocked");
pub const PROBED: Choice<AgentSettings> = Choice::new("syslog.severities.probed");
pub const CLEANUP: Toggle<AgentSettings> = Toggle::new("cleanup.enabled");
pub const CLEANUP_DAYS: Number<AgentSettings> = Number::new("cleanup.after_days");

pub const DEFAULT_ENVIRONMENT: Choice<ServerSettings> = Choice::new("default_environment");

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|x| name(*x).to_owned()).collect()
}

fn position<T: PartialEq>(all: &[T], v: T) -> usize {
    all.iter().position(|x| *x == v).unwrap_or(0)
}

fn agent_form() -> Form<AgentSettings> {
    let severities = names(&SyslogSeverity::ALL, SyslogSeverity::as_str);
    Form::new(vec![
        FieldSpec::choice(LOG_LEVEL, "Log level", names(&LogLevel::ALL, LogLevel::as_str)),
        FieldSpec::toggle(ASSESS, "Assess"),
        FieldSpec::choice(
            STACKTRACES,
            "  stack traces",
            names(&Stacktraces::ALL, Stacktraces::as_str),
        ),
        FieldSpec::toggle(SAMPLING, "Sampling"),
        FieldSpec::number(BASELINE, "  baseline (requests)", 1, 10_000),
        FieldSpec::number(FREQUENCY, "  frequency (1 in N)", 1, 10_000),
        FieldSpec::number(WINDOW, "  window (seconds)", 1, 86_400),
        FieldSpec::toggle(PROTECT, "Protect"),
        FieldSpec::toggle(BOTS, "  bot blocking"),
        FieldSpec::toggle(SYSLOG, "Syslog"),
        FieldSpec::text(SYSLOG_HOST, "  host", Some(253)),
        FieldSpec::number(SYSLOG_PORT, "  port", 1, 65_535),
        FieldSpec::choice(
            SYSLOG_PROTOCOL,
            "  protocol",
            names(&SyslogProtocol::ALL, SyslogProtocol::as_str),
        ),
        FieldSpec::number(FACILITY, "  facility (0-23)", 0, 23),
        FieldSpec::choice(EXPLOITED, "  exploited as", severities.clone()),
        FieldSpec::choice(BLOCKED, "  blocked as", severities.clone()),
        FieldSpec::choice(PROBED, "  probed as", severities),
        FieldSpec::toggle(CLEANUP, "Clean up silent servers"),
        FieldSpec::number(CLEANUP_DAYS, "  after (days)", 1, 365),
    ])
}

pub fn fill(form: &mut Form<AgentSettings>, s: &AgentSettings) {
    form.set_choice(LOG_LEVEL, position(&LogLevel::ALL, s.log_level));
    form.set_bool(ASSESS, s.assess_enabled);
    form.set_choice(STACKTRACES, position(&Stacktraces::ALL, s.stacktraces));
    form.set_bool(SAMPLING, s.sampling.enabled);
    form.set_number(BASELINE, i64::from(s.sampling.baseline));
    form.set_number(FREQUENCY, i64::from(s.sampling.frequency));
    form.set_number(WINDOW, i64::from(s.sampling.window_seconds));
    form.set_bool(PROTECT, s.protect_enabled);
    form.set_bool(BOTS, s.bot_blocking);
    form.set_bool(SYSLOG, s.syslog.enabled);
    form.set_text(SYSLOG_HOST, s.syslog.host.clone());
    form.set_number(SYSLOG_PORT, i64::from(s.syslog.port));
    form.set_choice(SYSLOG_PROTOCOL, position(&SyslogProtocol::ALL, s.syslog.protocol));
    form.set_number(FACILITY, i64::from(s.syslog.facility));
    form.set_choice(EXPLOITED, position(&SyslogSeverity::ALL, s.syslog.severities.exploited));
    form.set_choice(BLOCKED, position(&SyslogSeverity::ALL, s.syslog.severities.blocked));
    form.set_choice(PROBED, position(&SyslogSeverity::ALL, s.syslog.severities.probed));
    form.set_bool(CLEANUP, s.cleanup.enabled);
    form.set_number(CLEANUP_DAYS, i64::from(s.cleanup.after_days));
    sync(form);
}

/// What a switch decides of the fields under it: off, they are shown but not editable.
fn sync(form: &mut Form<AgentSettings>) {
    let assess = form.bool(ASSESS);
    form.set_disabled(STACKTRACES, !assess);
    let sampling = form.bool(SAMPLING);
    for f in [BASELINE, FREQUENCY, WINDOW] {
        form.set_disabled(f, !sampling);
    }
    form.set_disabled(BOTS, !form.bool(PROTECT));
    let syslog = form.bool(SYSLOG);
    form.set_disabled(SYSLOG_HOST, !syslog);
    for f in [SYSLOG_PORT, FACILITY] {
        form.set_disabled(f, !syslog);
    }
    for f in [SYSLOG_PROTOCOL, EXPLOITED, BLOCKED, PROBED] {
        form.set_disabled(f, !syslog);
    }
    form.set_disabled(CLEANUP_DAYS, !form.bool(CLEANUP));
}

/// The option at `i` (the last one past the end).
fn pick<T: Copy>(all: &[T], i: usize) -> T {
    all[i.min(all.len() - 1)]
}

fn number<T: TryFrom<i64>>(n: i64, fallback: T) -> T {
    T::try_from(n).unwrap_or(fallback)
}

pub fn read(form: &Form<AgentSettings>, base: &AgentSettings) -> AgentSettings {
    let mut s = base.clone();
    s.log_level = pick(&LogLevel::ALL, form.choice(LOG_LEVEL));
    s.assess_enabled = form.bool(ASSESS);
    s.stacktraces = pick(&Stacktraces::ALL, form.choice(STACKTRACES));
    s.sampling.enabled = form.bool(SAMPLING);
    s.sampling.baseline = number(form.number(BASELINE), 0);
    s.sampling.frequency = number(form.number(FREQUENCY), 0);
    s.sampling.window_seconds = number(form.number(WINDOW), 0);
    s.protect_enabled = form.bool(PROTECT);
    s.bot_blocking = form.bool(BOTS);
    s.syslog.enabled = form.bool(SYSLOG);
    s.syslog.host = form.text(SYSLOG_HOST);
    s.syslog.port = number(form.number(SYSLOG_PORT), 0);
    s.syslog.protocol = pick(&SyslogProtocol::ALL, form.choice(SYSLOG_PROTOCOL));
    s.syslog.facility = number(form.number(FACILITY), 24);
    s.syslog.severities.exploited = pick(&SyslogSeverity::ALL, form.choice(EXPLOITED));
    s.syslog.severities.blocked = pick(&SyslogSeverity::ALL, form.choice(BLOCKED));
    s.syslog.severities.probed = pick(&SyslogSeverity::ALL, form.choice(PROBED));
    s.cleanup.enabled = form.bool(CLEANUP);
    s.cleanup.after_days = number(form.number(CLEANUP_DAYS), 0);
    s
}

/// One environment's defaults being edited.
pub struct EnvForm<D> {
    pub state: DocState<D>,
    pub form: Form<AgentSettings>,
}

impl<D: EnvironmentDefaults + Document<Msg = ServersMsg>> EnvForm<D> {
    fn new() -> Self {
        EnvForm {
            state: DocState::new(),
            form: agent_form(),
        }
    }

    pub fn edited(&self) -> Option<D> {
        self.state.base().map(|b| D::wrap(read(&self.form, &b.value)))
    }

    pub fn is_dirty(&self) -> bool {
        self.state.is_dirty(self.edited().as_ref())
    }

    fn revalidate(&mut self, changed: Option<&str>) {
        if changed.is_some() {
            sync(&mut self.form);
        }
        let edited = self.edited();
        let errors = self.state.errors(edited.as_ref(), changed);
        self.form.set_errors(errors);
    }

    fn refill(&mut self) {
        if let Some(base) = self.state.base() {
            let value: AgentSettings = (*base.value).clone();
            fill(&mut self.form, &value);
        }
        self.form.set_errors(Vec::<FieldError>::new());
    }

    /// Sends the edits when there are any; false when they do not pass the checks.
    fn save(&mut self, read_only: bool, fx: &mut Effects) -> bool {
        self.revalidate(None);
        let Some(edited) = self.edited() else { return true };
        if !self.is_dirty() && !self.state.stale {
            return true;
        }
        let version = self.state.check_save(&edited, read_only, &self.form.labels(), fx);
        match version {
            Some(version) => {
                self.state.send(version, edited, fx);
                true
            }
            None => {
                if let Some(first) = self.form.errors().keys().next().cloned() {
                    self.form.focus_named(&first);
                }
                false
            }
        }
    }

    fn answer(&mut self, answer: Answer<D>, fx: &mut Effects) {
        match answer {
            Answer::Read(result) => {
                let edited = self.edited();
                if self
                    .state
                    .arrived(result.as_ref(), edited.as_ref(), &self.form.labels(), fx)
                    == Arrival::Refill
                {
                    self.refill();
                }
            }
            Answer::Saved(result) => match self.state.saved(result.as_ref(), fx) {
                Ok(Arrival::Refill) => self.refill(),
                Ok(Arrival::Keep) => {}
                Err(e) if e.code == ErrorCode::ValidationFailed => {
                    self.state.rejected(e, fx);
                    self.revalidate(None);
                }
                Err(e) => fx.toast(ToastLevel::Error, format!("{} not saved: {}", D::TITLE, e.message)),
            },
        }
    }

    fn merge_action(&mut self, action: Action, read_only: bool, fx: &mut Effects) -> Option<bool> {
        match self.state.merge_action(action, fx) {
            MergeStep::NotOpen => None,
            MergeStep::Handled => Some(true),
            MergeStep::Ignored => Some(false),
            MergeStep::Apply(merged) => {
                fill(&mut self.form, &merged);
                self.revalidate(None);
                self.save(read_only, fx);
                Some(true)
            }
        }
    }
}

/// Which part of the section the keys move in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The environment switcher (which form is shown).
    Switcher,
    /// `default_environment`.
    Default,
    /// The shown environment's form.
    Form,
}

pub struct Defaults {
    pub shown: Environment,
    pub focus: Focus,
    pub server: DocState<ServerSettings>,
    pub server_form: Form<ServerSettings>,
    pub development: EnvForm<DevelopmentDefaults>,
    pub qa: EnvForm<QaDefaults>,
    pub production: EnvForm<ProductionDefaults>,
}

/// Runs `$body` with `$f` bound to the `EnvForm` of `$env`.
macro_rules! with_env {
    ($self:expr, $env:expr, |$f:ident| $body:expr) => {
        match $env {
            Environment::Development => {
                let $f = &mut $self.development;
                $body
            }
            Environment::Qa => {
                let $f = &mut $self.qa;
                $body
            }
            Environment::Production => {
                let $f = &mut $self.production;
                $body
            }
        }
    };
}

impl Default for Defaults {
    fn default() -> Self {
        Self::new()
    }
}

impl Defaults {
    pub fn new() -> Self {
        Defaults {
            shown: Environment::Production,
            focus: Focus::Switcher,
            server: DocState::new(),
            server_form: Form::new(vec![FieldSpec::choice(
                DEFAULT_ENVIRONMENT,
                "Default environment    ",
                names(&Environment::ALL, Environment::as_str),
            )]),
            development: EnvForm::new(),
            qa: EnvForm::new(),
            production: EnvForm::new(),
        }
    }

    pub fn load(&mut self, fx: &mut Effects) {
        self.server.load(fx);
        self.development.state.load(fx);
        self.qa.state.load(fx);
        self.production.state.load(fx);
    }

    pub fn reload(&mut self, fx: &mut Effects) {
        self.server.reload(fx);
        self.development.state.reload(fx);
        self.qa.state.reload(fx);
        self.production.state.reload(fx);
    }

    pub fn server_edited(&self) -> Option<ServerSettings> {
        let base = self.server.base()?;
        let mut s = base.value.clone();
        s.default_environment = Environment::ALL[self.server_form.choice(DEFAULT_ENVIRONMENT).min(2)];
        Some(s)
    }

    /// The form of the environment shown.
    pub fn form(&self) -> &Form<AgentSettings> {
        match self.shown {
            Environment::Development => &self.development.form,
            Environment::Qa => &self.qa.form,
            Environment::Production => &self.production.form,
        }
    }

    pub fn env_dirty(&self, env: Environment) -> bool {
        match env {
            Environment::Development => self.development.is_dirty(),
            Environment::Qa => self.qa.is_dirty(),
            Environment::Production => self.production.is_dirty(),
        }
    }

    pub fn banner(&self) -> Option<String> {
        match self.shown {
            Environment::Development => self.development.state.banner(),
            Environment::Qa => self.qa.state.banner(),
            Environment::Production => self.production.state.banner(),
        }
        .or_else(|| self.server.banner())
    }

    pub fn is_dirty(&self) -> bool {
        self.server.is_dirty(self.server_edited().as_ref()) || Environment::ALL.iter().any(|e| self.env_dirty(*e))
    }

    pub fn is_editing(&self) -> bool {
        self.form().is_editing()
    }

    pub fn merge_open(&self) -> bool {
        self.server.merge.is_some()
            || self.development.state.merge.is_some()
            || self.qa.state.merge.is_some()
            || self.production.state.merge.is_some()
    }

    /// Saves every document with edits.
    pub fn save(&mut self, read_only: bool, fx: &mut Effects) {
        let shown = self.shown;
        with_env!(self, shown, |f| {
            if f.form.is_editing() && f.form.commit_edit() == FormEvent::Ignored {
                return;
            }
        });
        if let Some(edited) = self.server_edited()
            && (self.server.is_dirty(Some(&edited)) || self.server.stale)
            && let Some(version) = self
                .server
                .check_save(&edited, read_only, &self.server_form.labels(), fx)
        {
            self.server.send(version, edited, fx);
        }
        let mut saved_any = self.server.is_dirty(self.server_edited().as_ref());
        for env in Environment::ALL {
            let dirty = self.env_dirty(env);
            saved_any |= dirty;
            let ok = with_env!(self, env, |f| f.save(read_only, fx));
            if !ok {
                // Show the environment whose form has the error.
                self.shown = env;
                self.focus = Focus::Form;
                return;
            }
        }
        if !saved_any && !self.server.stale {
            fx.toast(ToastLevel::Info, "Nothing to save");
        }
    }

    pub fn answer(&mut self, msg: DocMsg, fx: &mut Effects) {
        match msg {
            DocMsg::ServerSettings(answer) => self.server_answer(answer, fx),
            DocMsg::Development(a) => self.development.answer(a, fx),
            DocMsg::Qa(a) => self.qa.answer(a, fx),
            DocMsg::Production(a) => self.production.answer(a, fx),
        }
    }

    fn server_refill(&mut self) {
        if let Some(base) = self.server.base() {
            let i = position(&Environment::ALL, base.value.default_environment);
            self.server_form.set_choice(DEFAULT_ENVIRONMENT, i);
        }
    }

    fn server_answer(&mut self, answer: Answer<ServerSettings>, fx: &mut Effects) {
        match answer {
            Answer::Read(result) => {
                let edited = self.server_edited();
                let arrival = self
                    .server
                    .arrived(result.as_ref(), edited.as_ref(), &self.server_form.labels(), fx);
                if arrival == Arrival::Refill {
                    self.server_refill();
                }
            }
            Answer::Saved(result) => match self.server.saved(result.as_ref(), fx) {
                Ok(Arrival::Refill) => self.server_refill(),
                Ok(Arrival::Keep) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Server settings not saved: {}", e.message)),
            },
        }
    }

    pub fn changed(&mut self, change: &ChangeEvent, dates: &DateTimeStyle, fx: &mut Effects) {
        let edited = self.server_edited();
        self.server.changed(change, edited.as_ref(), dates, fx);
        let e = self.development.edited();
        self.development.state.changed(change, e.as_ref(), dates, fx);
        let e = self.qa.edited();
        self.qa.state.changed(change, e.as_ref(), dates, fx);
        let e = self.production.edited();
        self.production.state.changed(change, e.as_ref(), dates, fx);
    }

    /// A key while a text or number field is being edited.
    pub fn edit_key(&mut self, key: &crossterm::event::KeyEvent, commit: bool, cancel: bool) {
        let shown = self.shown;
        with_env!(self, shown, |f| match f.form.handle_edit_key(key, commit, cancel) {
            FormEvent::Changed(field) => f.revalidate(Some(field)),
            FormEvent::EditCancelled => f.revalidate(None),
            _ => {}
        });
    }

    /// A key of the section; false when it has no use for it.
    pub fn action(&mut self, action: Action, read_only: bool, fx: &mut Effects) -> bool {
        let shown = self.shown;
        let conflict = match self.server.merge_action(action, fx) {
            MergeStep::NotOpen => None,
            MergeStep::Handled => Some(true),
            MergeStep::Ignored => Some(false),
            MergeStep::Apply(merged) => {
                let i = position(&Environment::ALL, merged.default_environment);
                self.server_form.set_choice(DEFAULT_ENVIRONMENT, i);
                self.save(read_only, fx);
                Some(true)
            }
        }
        .or_else(|| with_env!(self, shown, |f| f.merge_action(action, read_only, fx)));
        if let Some(taken) = conflict {
            return taken;
        }
        self.server_form.set_read_only(read_only);
        with_env!(self, shown, |f| f.form.set_read_only(read_only));
        match (self.focus, action) {
            (Focus::Switcher, Action::Left | Action::Right) => {
                let i = position(&Environment::ALL, self.shown);
                let n = Environment::ALL.len();
                let next = if action == Action::Left {
                    (i + n - 1) % n
                } else {
                    (i + 1) % n
                };
                self.shown = Environment::ALL[next];
                true
            }
            (Focus::Switcher, Action::Down) => {
                self.focus = Focus::Default;
                true
            }
            (Focus::Default, Action::Up) => {
                self.focus = Focus::Switcher;
                true
            }
            (Focus::Default, Action::Down) => {
                self.focus = Focus::Form;
                true
            }
            (Focus::Default, Action::Left | Action::Right | Action::Activate) => {
                if self.server.base().is_none() {
                    return false;
                }
                self.server_form.handle_action(action);
                let edited = self.server_edited();
                let errors = self.server.errors(edited.as_ref(), Some("default_environment"));
                self.server_form.set_errors(errors);
                true
            }
            (Focus::Form, _) => with_env!(self, shown, |f| {
                if f.state.base().is_none() {
                    return false;
                }
                match f.form.handle_action(action) {
                    FormEvent::Changed(field) => {
                        f.revalidate(Some(field));
                        true
                    }
                    FormEvent::Ignored if action == Action::Up => {
                        self.focus = Focus::Default;
                        true
                    }
                    FormEvent::Ignored => false,
                    _ => true,
                }
            }),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_gives_back_what_it_was_filled_with() {
        let mut form = agent_form();
        let mut s = AgentSettings {
            log_level: LogLevel::Trace,
            stacktraces: Stacktraces::None,
            ..AgentSettings::default()
        };
        s.sampling.enabled = true;
        s.sampling.baseline = 12;
        s.syslog.enabled = true;
        s.syslog.host = "logs.example.com".into();
        s.syslog.protocol = SyslogProtocol::Tls;
        s.syslog.facility = 3;
        s.syslog.severities.probed = SyslogSeverity::Debug;
        s.cleanup.enabled = true;
        s.cleanup.after_days = 9;
        fill(&mut form, &s);
        assert_eq!(read(&form, &AgentSettings::default()), s);
        let doc: serde_json::Value = serde_json::to_value(&s).unwrap();
        let mut leaves = Vec::new();
        fn walk(prefix: &str, v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(m) => {
                    for (k, c) in m {
                        let p = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        walk(&p, c, out);
                    }
                }
                _ => out.push(prefix.to_owned()),
            }
        }
        walk("", &doc, &mut leaves);
        for leaf in leaves {
            assert!(form.labels()(&leaf).is_some(), "the form has no field {leaf}");
        }
    }
}
