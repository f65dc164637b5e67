//! The Agent keys tab (SETTINGS.md section 5): the keys agents report with. The organization key (one per
//! organization; the first rotation issues it) and named agent keys, each maybe limited to one
//! environment. Admins make a key (name, then environment), rotate one with a grace period for the old
//! key, and revoke one; a new key is shown once with a copy action. The server allows all of it only to an
//! admin at an interactive session (keys never manage keys).

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    agents::{AgentKeyInfo, CreateAgentKey, NewAgentKey, NewOrgKey, OrgKeyInfo, endpoints as ep},
    api_keys::{MAX_GRACE_MINUTES, RotateApiKey},
    auth::Secret,
    general::Environment,
};
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};
use uuid::Uuid;

use super::{Effects, Tab, TabCtx, api_keys::grace_minutes, doc::Load, own};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating},
    widgets::{Dialog, Prompt, Report, ToastLevel, overlay::PromptEvent, overlay::ReportEvent, table::fit},
};

pub const ROTATE_AGENT_KEY: Action = Action::Tab(TabAction("rotate_agent_key"));

pub const KEYS: &[ActionSpec] = &[mutating(
    ROTATE_AGENT_KEY,
    "rotate_agent_key",
    Scope::Area("Agent keys"),
    &["R"],
    "Agent keys: rotate the key under the cursor, the organization key too (asks the old key's grace period, then confirms)",
    Some("rotate"),
)];

#[derive(Debug, Clone, PartialEq)]
pub enum AgentsMsg {
    Keys(Result<Page<AgentKeyInfo>, ApiError>),
    OrgKey(Result<OrgKeyInfo, ApiError>),
    Made {
        rotated: bool,
        result: Result<NewAgentKey, ApiError>,
    },
    OrgRotated(Result<NewOrgKey, ApiError>),
    Revoked {
        id: Uuid,
        result: Result<(), ApiError>,
    },
}

/// The row under the cursor: row 0 is the organization key, then the named keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRow {
    Org,
    Agent(AgentKeyInfo),
}

impl KeyRow {
    fn label(&self) -> String {
        match self {
            KeyRow::Org => "the organization key".to_owned(),
            KeyRow::Agent(k) => format!("agent key {} ({})", k.name, k.prefix),
        }
    }
}

/// A change waiting for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    Rotate { row: KeyRow, grace_minutes: u32 },
    Revoke(AgentKeyInfo),
}

pub enum Mode {
    Browse,
    /// Making a key: its name.
    Name(Prompt),
    /// Making a key: the environment it is limited to (empty: any).
    Env {
        name: String,
        prompt: Prompt,
    },
    /// Rotating: the old key's grace period.
    Grace {
        row: KeyRow,
        prompt: Prompt,
    },
    /// A key shown once.
    Report(Report),
}

pub struct AgentsTab {
    pub keys: Load<Vec<AgentKeyInfo>>,
    pub org: Load<OrgKeyInfo>,
    pub cursor: usize,
    pub mode: Mode,
    pending: Option<Pending>,
}

impl Default for AgentsTab {
    fn default() -> Self {
        Self::new()
    }
}

fn keys_call() -> Call {
    Call::of::<ep::ListKeys, _>((), AgentsMsg::Keys).label("loading agent keys")
}

fn org_call() -> Call {
    Call::of::<ep::GetOrgKey, _>((), AgentsMsg::OrgKey).label("loading the organization key")
}

/// What the environment prompt accepts: a name or its start; `any` (offered) or nothing for every one.
pub fn parse_environment(text: &str) -> Result<Option<Environment>, String> {
    let t = text.trim().to_lowercase();
    if t.is_empty() || t == "any" {
        return Ok(None);
    }
    Environment::ALL
        .into_iter()
        .find(|e| e.as_str() == t || e.as_str().starts_with(&t))
        .map(Some)
        .ok_or_else(|| "type development, qa, production or any".to_owned())
}

/// A key shown once: `c` copies it.
fn reveal(title: String, key: Secret, what: &str) -> Report {
    let lines = vec![
        "! Shown only now: copy it (c). It will not be shown again.".to_owned(),
        String::new(),
        key.expose().to_owned(),
        String::new(),
        "Agents send it as Authorization: Bearer <key>.".to_owned(),
        format!("It opens agent/* only ({what}): not the console, not the API."),
    ];
    let mut report = Report::new(title, lines);
    report.copy = Some(key);
    report
}

impl AgentsTab {
    pub fn new() -> Self {
        AgentsTab {
            keys: Load::NotLoaded,
            org: Load::NotLoaded,
            cursor: 0,
            mode: Mode::Browse,
            pending: None,
        }
    }

    pub fn items(&self) -> &[AgentKeyInfo] {
        self.keys.loaded().map_or(&[], Vec::as_slice)
    }

    /// The row under the cursor (the organization key once it has loaded).
    pub fn current(&self) -> Option<KeyRow> {
        match self.cursor {
            0 => self.org.loaded().map(|_| KeyRow::Org),
            n => self.items().get(n - 1).cloned().map(KeyRow::Agent),
        }
    }

    fn reload(&mut self, fx: &mut Effects) {
        if self.keys.loaded().is_none() {
            self.keys = Load::Loading;
        }
        if self.org.loaded().is_none() {
            self.org = Load::Loading;
        }
        fx.call(keys_call());
        fx.call(org_call());
    }

    fn ask(&mut self, pending: Pending, fx: &mut Effects) {
        let (action, title, body, yes) = match &pending {
            Pending::Rotate { row, grace_minutes } => {
                let old = match grace_minutes {
                    0 => "The old key stops now: agents using it are refused until they have the new one.".to_owned(),
                    m => format!("The old key keeps working for {m} minute(s), then stops."),
                };
                (
                    ROTATE_AGENT_KEY,
                    "Rotate the key?",
                    format!("Make a new {}? {old} The new key is shown once.", row.label()),
                    "rotate",
                )
            }
            Pending::Revoke(k) => (
                Action::DeleteItem,
                "Revoke the key?",
                format!(
                    "Revoke agent key {} ({})? Agents using it are refused at once. This cannot be undone.",
                    k.name, k.prefix
                ),
                "revoke",
            ),
        };
        fx.confirm = Some(Dialog::confirm(action, title, body, yes, "keep"));
        self.pending = Some(pending);
    }

    fn browse_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let rows = self.items().len() + 1;
        let editable = !ctx.read_only;
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(rows - 1),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = rows - 1,
            Action::Reload => self.reload(fx),
            Action::NewItem if editable => {
                self.mode = Mode::Name(
                    Prompt::new(
                        "Make an agent key",
                        "Name (unique in the organization, e.g. shop-prod):",
                    )
                    .with_submit("next", "type a name"),
                );
            }
            ROTATE_AGENT_KEY if editable => {
                let Some(row) = self.current() else { return true };
                let prompt = Prompt::new(
                    format!("Rotate {}", row.label()),
                    format!("Minutes the old key keeps working (0: it stops now; at most {MAX_GRACE_MINUTES}):"),
                )
                .with_default("0")
                .with_submit("next", "type a number of minutes (0: none)");
                self.mode = Mode::Grace { row, prompt };
            }
            Action::DeleteItem if editable => match self.current() {
                Some(KeyRow::Agent(k)) => self.ask(Pending::Revoke(k), fx),
                Some(KeyRow::Org) => fx.toast(
                    ToastLevel::Info,
                    "The organization key cannot be revoked: R rotates it (0 minutes stops the old one now)",
                ),
                None => {}
            },
            _ => return false,
        }
        true
    }

    fn prompt_key(&mut self, key: &KeyEvent, fx: &mut Effects) {
        let mode = std::mem::replace(&mut self.mode, Mode::Browse);
        self.mode = match mode {
            Mode::Name(mut prompt) => match prompt.handle_key(key) {
                PromptEvent::Cancel => Mode::Browse,
                PromptEvent::Submit(name) => {
                    let body = CreateAgentKey {
                        name: name.trim().to_owned(),
                        environment: None,
                    };
                    match body.validate() {
                        Ok(()) => Mode::Env {
                            name: body.name,
                            prompt: Prompt::new(
                                "Make an agent key",
                                "Only for one environment? development, qa or production (any: every one):",
                            )
                            .with_default("any")
                            .with_submit("make it", "type development, qa, production or any"),
                        },
                        Err(errors) => {
                            prompt.error = errors.first().map(|e| e.message.clone());
                            Mode::Name(prompt)
                        }
                    }
                }
                PromptEvent::None => Mode::Name(prompt),
            },
            Mode::Env { name, mut prompt } => match prompt.handle_key(key) {
                PromptEvent::Cancel => Mode::Browse,
                PromptEvent::Submit(text) => match parse_environment(&text) {
                    Ok(environment) => {
                        let body = CreateAgentKey { name, environment };
                        let call = Call::new::<ep::CreateKey, _>((), &body, |result| AgentsMsg::Made {
                            rotated: false,
                            result,
                        });
                        fx.call(call.retryable(false).label("making the agent key"));
                        Mode::Browse
                    }
                    Err(why) => {
                        prompt.error = Some(why);
                        Mode::Env { name, prompt }
                    }
                },
                PromptEvent::None => Mode::Env { name, prompt },
            },
            Mode::Grace { row, mut prompt } => match prompt.handle_key(key) {
                PromptEvent::Cancel => Mode::Browse,
                PromptEvent::Submit(text) => match grace_minutes(&text) {
                    Ok(grace_minutes) => {
                        self.ask(Pending::Rotate { row, grace_minutes }, fx);
                        Mode::Browse
                    }
                    Err(why) => {
                        prompt.error = Some(why);
                        Mode::Grace { row, prompt }
                    }
                },
                PromptEvent::None => Mode::Grace { row, prompt },
            },
            other => other,
        };
    }

    fn made(&mut self, rotated: bool, result: Result<NewAgentKey, ApiError>, fx: &mut Effects) {
        match result {
            Ok(new) => {
                let name = new.info.name.clone();
                let scope = match new.info.environment {
                    Some(e) => format!("{} only", e.as_str()),
                    None => "any environment".to_owned(),
                };
                let title = if rotated {
                    format!("Rotated: the new key of {name}")
                } else {
                    format!("New agent key {name}")
                };
                self.mode = Mode::Report(reveal(title, new.key, &scope));
                fx.toast(
                    ToastLevel::Info,
                    format!("{} agent key {name}", if rotated { "Rotated" } else { "Made" }),
                );
                fx.call(keys_call());
            }
            Err(e) if needs_login(&e) => {}
            Err(e) if e.code == ErrorCode::ValidationFailed || e.code == ErrorCode::Conflict => {
                let why = e
                    .fields
                    .first()
                    .map_or(e.message.clone(), |f| format!("{}: {}", f.field, f.message));
                fx.toast(ToastLevel::Error, format!("Not made: {why}"));
            }
            Err(e) => fx.toast(ToastLevel::Error, format!("Not done: {}", e.message)),
        }
    }
}

impl Tab for AgentsTab {
    fn title(&self) -> &'static str {
        "Agent keys"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.reload(fx);
    }

    fn captures_input(&self) -> bool {
        matches!(self.mode, Mode::Name(_) | Mode::Env { .. } | Mode::Grace { .. })
    }

    fn handle_key(&mut self, key: &KeyEvent, _ctx: &TabCtx, fx: &mut Effects) {
        self.prompt_key(key, fx);
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        self.cursor = self.cursor.min(self.items().len());
        match &mut self.mode {
            Mode::Report(r) => {
                match r.handle(action) {
                    ReportEvent::Close => self.mode = Mode::Browse,
                    ReportEvent::Copy(secret) => {
                        fx.copy = Some(secret);
                        fx.toast(ToastLevel::Info, "Copied the key");
                    }
                    ReportEvent::None => {}
                }
                true
            }
            Mode::Browse => self.browse_action(action, ctx, fx),
            _ => false,
        }
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(pending) = self.pending.take() else { return };
        match (action, pending) {
            (ROTATE_AGENT_KEY, Pending::Rotate { row, grace_minutes }) => {
                let body = RotateApiKey { grace_minutes };
                let call = match row {
                    KeyRow::Org => Call::new::<ep::RotateOrgKey, _>((), &body, AgentsMsg::OrgRotated),
                    KeyRow::Agent(k) => {
                        Call::new::<ep::RotateKey, _>(k.id, &body, |result| AgentsMsg::Made { rotated: true, result })
                    }
                };
                fx.call(call.retryable(false).label("rotating the key"));
            }
            (Action::DeleteItem, Pending::Revoke(k)) => {
                let id = k.id;
                let call = Call::of::<ep::RevokeKey, _>(id, move |result| AgentsMsg::Revoked { id, result });
                fx.call(call.retryable(false).label("revoking the key"));
            }
            _ => {}
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<AgentsMsg>(msg) else { return };
        match msg {
            AgentsMsg::Keys(Ok(page)) => {
                let mut items = page.items;
                items.sort_by_key(|k| k.name.to_lowercase());
                self.keys = Load::Loaded(items);
            }
            AgentsMsg::Keys(Err(e)) if needs_login(&e) => {}
            AgentsMsg::Keys(Err(e)) => {
                // Refused now (the role changed): what was shown goes too.
                if self.keys.loaded().is_some() && e.code != ErrorCode::Forbidden {
                    fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message));
                } else {
                    self.keys = Load::Failed(e);
                }
            }
            AgentsMsg::OrgKey(Ok(info)) => self.org = Load::Loaded(info),
            AgentsMsg::OrgKey(Err(e)) if needs_login(&e) => {}
            AgentsMsg::OrgKey(Err(e)) => {
                if self.org.loaded().is_none() || e.code == ErrorCode::Forbidden {
                    self.org = Load::Failed(e);
                }
            }
            AgentsMsg::Made { rotated, result } => self.made(rotated, result, fx),
            AgentsMsg::OrgRotated(Ok(new)) => {
                self.org = Load::Loaded(new.info);
                self.mode = Mode::Report(reveal(
                    "Rotated: the new organization key".to_owned(),
                    new.key,
                    "any environment",
                ));
                fx.toast(ToastLevel::Info, "Rotated the organization key");
            }
            AgentsMsg::OrgRotated(Err(e)) if needs_login(&e) => {}
            AgentsMsg::OrgRotated(Err(e)) => fx.toast(ToastLevel::Error, format!("Not rotated: {}", e.message)),
            AgentsMsg::Revoked { id, result } => match result {
                Ok(()) => {
                    if let Load::Loaded(items) = &mut self.keys {
                        if let Some(k) = items.iter().find(|k| k.id == id) {
                            fx.toast(ToastLevel::Info, format!("Revoked agent key {}", k.name));
                        }
                        items.retain(|k| k.id != id);
                    }
                }
                Err(e) if needs_login(&e) => {}
                Err(e) => fx.toast(ToastLevel::Error, format!("Not revoked: {}", e.message)),
            },
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, fx: &mut Effects) {
        match change.area.as_str() {
            "agent_key" => fx.call(keys_call()),
            "org_key" => fx.call(org_call()),
            _ => {}
        }
    }

    fn is_dirty(&self) -> bool {
        false
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        match &self.mode {
            Mode::Name(_) | Mode::Env { .. } | Mode::Grace { .. } => {
                vec![(Action::Activate, "next"), (Action::Cancel, "cancel")]
            }
            Mode::Report(_) => vec![(Action::Copy, "copy"), (Action::Cancel, "close")],
            Mode::Browse => {
                let mut h = vec![(Action::NewItem, "new key")];
                match self.current() {
                    Some(KeyRow::Agent(_)) => h.extend([(ROTATE_AGENT_KEY, "rotate"), (Action::DeleteItem, "revoke")]),
                    Some(KeyRow::Org) => h.push((ROTATE_AGENT_KEY, "rotate")),
                    None => {}
                }
                h.extend([(Action::Reload, "reload"), (Action::Help, "help")]);
                h
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(" Agent keys ", theme.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let failed = match (&self.org, &self.keys) {
            (Load::Failed(e), _) | (_, Load::Failed(e)) => Some(e),
            _ => None,
        };
        if let Some(e) = failed {
            let text = if e.code == ErrorCode::Forbidden {
                "Only organization admins, logged in (not with an API key), see and manage agent keys.".to_owned()
            } else {
                format!("Could not load the agent keys: {} (r retries)", e.message)
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.error)).wrap(Wrap { trim: true }),
                inner,
            );
        } else if self.org.loaded().is_none() || self.keys.loaded().is_none() {
            frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
        } else {
            self.render_rows(frame, inner, ctx);
        }
        match &self.mode {
            Mode::Name(p) | Mode::Env { prompt: p, .. } | Mode::Grace { prompt: p, .. } => p.render(frame, area, theme),
            Mode::Report(r) => r.render(frame, area, theme),
            Mode::Browse => {}
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

impl AgentsTab {
    fn render_rows(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let w = area.width;
        let when = |t: Option<jiff::Timestamp>| t.map_or_else(|| "never".to_owned(), |t| ctx.dates.datetime(t));
        let (name_w, env_w, prefix_w) = (w.saturating_sub(2) * 30 / 100, 13, 12);
        let used_w = w.saturating_sub(name_w + env_w + prefix_w + 2);
        let row = |marker: &str, name: &str, env: &str, prefix: &str, used: &str| {
            format!(
                "{marker}{:<nw$}{:<ew$}{:<pw$}{}",
                fit(name, name_w.saturating_sub(1)),
                fit(env, env_w - 1),
                fit(prefix, prefix_w - 1),
                fit(used, used_w),
                nw = name_w as usize,
                ew = env_w as usize,
                pw = prefix_w as usize
            )
        };
        let mut lines = vec![Line::styled(
            fit(&row("  ", "Key", "Environment", "Prefix", "Last used"), w),
            theme.label,
        )];
        let style = |i: usize| if i == self.cursor { theme.cursor_row } else { theme.base };
        let marker = |i: usize| if i == self.cursor { "> " } else { "  " };
        if let Some(org) = self.org.loaded() {
            let used = if org.issued {
                when(org.last_used_at)
            } else {
                "not issued yet: R issues it".to_owned()
            };
            lines.push(Line::styled(
                row(marker(0), "Organization key", "any", &org.prefix, &used),
                style(0),
            ));
        }
        let rows = area.height.saturating_sub(4) as usize;
        let offset = self.cursor.saturating_sub(rows.max(1));
        for (i, k) in self.items().iter().enumerate().skip(offset).take(rows) {
            let env = k.environment.map_or("any", Environment::as_str);
            lines.push(Line::styled(
                row(marker(i + 1), &k.name, env, &k.prefix, &when(k.last_used_at)),
                style(i + 1),
            ));
        }
        if self.items().is_empty() {
            lines.push(Line::from(""));
            lines.push(Line::styled(
                "No named agent keys yet: a makes one (one per application or team, limited to an environment).",
                theme.muted,
            ));
        }
        // The cursor key's grace period, if a rotation left one.
        let grace = match self.current() {
            Some(KeyRow::Org) => self.org.loaded().and_then(|o| o.previous_valid_until),
            Some(KeyRow::Agent(k)) => k.previous_valid_until,
            None => None,
        };
        if let Some(until) = grace {
            lines.push(Line::from(""));
            lines.push(Line::styled(
                format!("The key it replaced works until {}", ctx.dates.datetime(until)),
                theme.warning,
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_prompt_takes_a_name_a_prefix_or_nothing() {
        assert_eq!(parse_environment(""), Ok(None));
        assert_eq!(parse_environment(" any "), Ok(None));
        assert_eq!(parse_environment("qa"), Ok(Some(Environment::Qa)));
        assert_eq!(parse_environment("Prod"), Ok(Some(Environment::Production)));
        assert_eq!(parse_environment("d"), Ok(Some(Environment::Development)));
        assert!(
            parse_environment("staging")
                .unwrap_err()
                .contains("development, qa, production or any")
        );
    }

    #[test]
    fn a_grace_period_is_checked_as_the_server_checks_it() {
        assert_eq!(grace_minutes(" 30 "), Ok(30));
        assert!(grace_minutes("soon").is_err());
        assert!(grace_minutes(&(MAX_GRACE_MINUTES + 1).to_string()).is_err());
    }
}
