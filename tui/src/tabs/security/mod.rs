//! The Security tab (SETTINGS.md section 4): password policy, sessions, IP restrictions and two-step,
//! one section at a time (`[` / `]`), each its own versioned document saved with If-Match.

mod doc;
pub mod enrolment;
pub mod forms;
pub mod ip;
mod view;

pub use enrolment::{CodeEntry, Enrolment, EnrolmentMsg, Stage as EnrolmentStage};
pub use forms::{CUSTOM_FIELDS, FormSection, preset_summary, strength_of};
pub use ip::IpSection;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{
    ApiError, Versioned,
    auth::{Me, MeTwoStep},
    password::PasswordPolicy,
    security::{SessionSettings, TwoStepMethod, TwoStepSettings},
};
use ratatui::{Frame, layout::Rect};

use super::{Effects, Tab, TabCtx, own};
use crate::{
    api::{OwnerMsg, SecurityArea, SecurityDoc},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating},
    nav::Section,
    widgets::{Dialog, FormEvent},
};

/// The actions this area adds to the keymap (the help lists them under its title).
pub const ENROL_TOTP: Action = Action::Tab(TabAction("enrol_totp"));
pub const ENROL_EMAIL: Action = Action::Tab(TabAction("enrol_email"));

/// The rows of this area's actions: default keys, help text, footer hint.
pub const KEYS: &[ActionSpec] = &[
    mutating(
        ENROL_TOTP,
        "enrol_totp",
        Scope::Area("Security"),
        &["E"],
        "Security › Two-step: enrol this account in two-step (authenticator app)",
        Some("enrol"),
    ),
    mutating(
        ENROL_EMAIL,
        "enrol_email",
        Scope::Area("Security"),
        &["M"],
        "Security › Two-step: enrol this account in two-step (codes by email)",
        Some("enrol by email"),
    ),
];

/// The answers of the tab's calls (the enrolment has its own, [`EnrolmentMsg`]).
#[derive(Debug, Clone, PartialEq)]
pub enum SecurityMsg {
    /// A document as read.
    Read(SecurityArea, Result<Versioned<SecurityDoc>, ApiError>),
    /// A save answered; `sent` is what was sent.
    Saved {
        sent: SecurityDoc,
        result: Result<Versioned<SecurityDoc>, ApiError>,
    },
}

/// The sections `:` opens directly (`:ip`, `:2fa`...), in the order of [`SecurityArea::ALL`].
#[rustfmt::skip]
pub const SECTIONS: &[Section] = &[
    Section { id: "password_policy", title: "Password policy", aliases: &["password", "passwords", "policy"] },
    Section { id: "sessions", title: "Sessions", aliases: &["session", "timeouts"] },
    Section { id: "ip_restrictions", title: "IP restrictions", aliases: &["ip", "allowlist", "allow-list"] },
    Section { id: "two_step", title: "Two-step", aliases: &["2fa", "mfa", "two step", "totp"] },
];

/// The section a [`SECTIONS`] id names.
fn section_of(id: &str) -> Option<SecurityArea> {
    let i = SECTIONS.iter().position(|s| s.id == id)?;
    SecurityArea::ALL.get(i).copied()
}

pub struct SecurityTab {
    pub section: SecurityArea,
    pub policy: FormSection<PasswordPolicy>,
    pub sessions: FormSection<SessionSettings>,
    pub ip: IpSection,
    pub two_step: FormSection<TwoStepSettings>,
    /// The address the server sees for this console (`GET me`).
    pub client_ip: Option<String>,
    /// Two-step enrolment of the logged-in user, drawn over the whole screen while open.
    pub enrolment: Option<Enrolment>,
    /// The logged-in user's two-step methods: those offered and those enrolled (`GET me`).
    pub me_two_step: MeTwoStep,
}

impl Default for SecurityTab {
    fn default() -> Self {
        Self::new()
    }
}

impl SecurityTab {
    pub fn new() -> Self {
        SecurityTab {
            section: SecurityArea::PasswordPolicy,
            policy: FormSection::new(),
            sessions: FormSection::new(),
            ip: IpSection::new(),
            two_step: FormSection::new(),
            client_ip: None,
            enrolment: None,
            me_two_step: MeTwoStep::default(),
        }
    }

    fn form_section(&mut self) -> Option<&mut dyn FormLike> {
        match self.section {
            SecurityArea::PasswordPolicy => Some(&mut self.policy),
            SecurityArea::Sessions => Some(&mut self.sessions),
            SecurityArea::TwoStep => Some(&mut self.two_step),
            SecurityArea::IpRestrictions => None,
        }
    }

    fn section_dirty(&self, area: SecurityArea) -> bool {
        match area {
            SecurityArea::PasswordPolicy => self.policy.is_dirty(),
            SecurityArea::Sessions => self.sessions.is_dirty(),
            SecurityArea::IpRestrictions => self.ip.is_dirty(),
            SecurityArea::TwoStep => self.two_step.is_dirty(),
        }
    }

    fn section_stale(&self, area: SecurityArea) -> bool {
        match area {
            SecurityArea::PasswordPolicy => self.policy.state.stale,
            SecurityArea::Sessions => self.sessions.state.stale,
            SecurityArea::IpRestrictions => self.ip.state.stale,
            SecurityArea::TwoStep => self.two_step.state.stale,
        }
    }

    fn reload_section(&mut self, fx: &mut Effects) {
        match self.section {
            SecurityArea::PasswordPolicy => self.policy.state.reload(fx),
            SecurityArea::Sessions => self.sessions.state.reload(fx),
            SecurityArea::IpRestrictions => {
                self.ip.editor = None;
                self.ip.state.reload(fx);
                fx.refresh_me = true;
            }
            SecurityArea::TwoStep => self.two_step.state.reload(fx),
        }
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        if self.section == SecurityArea::IpRestrictions && self.ip.editor.is_some() {
            // In the row editor, save puts the row into the list; the list is saved on its own.
            self.ip.apply_editor(fx);
        } else if self.section == SecurityArea::IpRestrictions {
            self.ip.save(self.client_ip.as_deref(), ctx.read_only, fx);
        } else if let Some(s) = self.form_section() {
            s.save(ctx.read_only, fx);
        }
    }

    fn move_section(&mut self, delta: isize) {
        if self.editing() {
            return;
        }
        let all = SecurityArea::ALL;
        let i = all.iter().position(|a| *a == self.section).unwrap_or(0) as isize;
        let n = all.len() as isize;
        self.section = all[((i + delta + n) % n) as usize];
    }

    fn editing(&self) -> bool {
        match self.section {
            SecurityArea::PasswordPolicy => self.policy.form.is_editing(),
            SecurityArea::Sessions => self.sessions.form.is_editing(),
            SecurityArea::TwoStep => self.two_step.form.is_editing(),
            SecurityArea::IpRestrictions => self.ip.editor.as_ref().is_some_and(|e| e.form.is_editing()),
        }
    }

    /// Enrols the logged-in user in `method`, when the organization offers it.
    fn enrol(&mut self, method: TwoStepMethod, fx: &mut Effects) {
        let off = "Two-step verification is off for this organization: turn it on here and save first";
        if let Some(e) = Enrolment::offer(method, &self.me_two_step, off, fx) {
            self.enrolment = Some(e);
        }
    }

    /// Whether the current section's conflict view is open.
    fn merging(&self) -> bool {
        match self.section {
            SecurityArea::PasswordPolicy => self.policy.state.merge.is_some(),
            SecurityArea::Sessions => self.sessions.state.merge.is_some(),
            SecurityArea::IpRestrictions => self.ip.state.merge.is_some(),
            SecurityArea::TwoStep => self.two_step.state.merge.is_some(),
        }
    }

    /// A key for the current section's conflict view (`None`: it is not open): whether it was taken.
    fn merge_action(&mut self, action: Action, read_only: bool, fx: &mut Effects) -> Option<bool> {
        match self.section {
            SecurityArea::PasswordPolicy => self.policy.merge_action(action, read_only, fx),
            SecurityArea::Sessions => self.sessions.merge_action(action, read_only, fx),
            SecurityArea::TwoStep => self.two_step.merge_action(action, read_only, fx),
            SecurityArea::IpRestrictions => {
                let client_ip = self.client_ip.clone();
                self.ip.merge_action(action, client_ip.as_deref(), read_only, fx)
            }
        }
    }

    fn ip_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let ip = &mut self.ip;
        if ip.state.base().is_none() {
            return false;
        }
        if let Some(editor) = ip.editor.as_mut() {
            match action {
                Action::Cancel => ip.editor = None,
                Action::Up | Action::Down | Action::Activate => {
                    editor.form.handle_action(action);
                }
                _ => return false,
            }
            return true;
        }
        let editable = !ctx.read_only;
        match action {
            Action::Up => ip.cursor = ip.cursor.saturating_sub(1),
            Action::Down => ip.cursor = (ip.cursor + 1).min(ip.rules.len().saturating_sub(1)),
            Action::NewItem if editable => ip.open_editor(None),
            Action::EditItem | Action::Activate if editable && !ip.rules.is_empty() => ip.open_editor(Some(ip.cursor)),
            Action::DeleteItem if editable => ip.ask_delete(fx),
            _ => return false,
        }
        true
    }
}

/// What the tab needs of a form section, whatever its document.
trait FormLike {
    fn edit_key(&mut self, key: &KeyEvent, commit: bool, cancel: bool) -> FormEvent;
    fn form_action(&mut self, action: Action) -> FormEvent;
    fn on_form_event(&mut self, event: FormEvent);
    fn save(&mut self, read_only: bool, fx: &mut Effects);
    fn loaded(&self) -> bool;
}

impl<D: forms::FormDocument> FormLike for FormSection<D> {
    fn edit_key(&mut self, key: &KeyEvent, commit: bool, cancel: bool) -> FormEvent {
        self.form.handle_edit_key(key, commit, cancel)
    }
    fn form_action(&mut self, action: Action) -> FormEvent {
        self.form.handle_action(action)
    }
    fn on_form_event(&mut self, event: FormEvent) {
        FormSection::on_form_event(self, event);
    }
    fn save(&mut self, read_only: bool, fx: &mut Effects) {
        FormSection::save(self, read_only, fx);
    }
    fn loaded(&self) -> bool {
        self.state.base().is_some()
    }
}

impl Tab for SecurityTab {
    fn title(&self) -> &'static str {
        "Security"
    }

    fn section(&self) -> Option<&'static str> {
        Some(self.section.title())
    }

    fn show_section(&mut self, id: &str) -> bool {
        match section_of(id) {
            // Like `]`: not while a field is being edited.
            Some(area) if !self.editing() && self.enrolment.is_none() => {
                self.section = area;
                true
            }
            _ => false,
        }
    }

    fn load(&mut self, fx: &mut Effects) {
        self.policy.state.load(fx);
        self.sessions.state.load(fx);
        self.ip.state.load(fx);
        self.two_step.state.load(fx);
    }

    fn captures_input(&self) -> bool {
        self.enrolment.is_some() || self.editing()
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if let Some(enrolment) = self.enrolment.as_mut() {
            if enrolment.handle_key(key, ctx, fx) == enrolment::Outcome::Close {
                self.enrolment = None;
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
        if self.section == SecurityArea::IpRestrictions {
            if let Some(editor) = self.ip.editor.as_mut() {
                editor.form.handle_edit_key(key, commit, cancel);
                self.ip.check_editor();
            }
        } else if let Some(s) = self.form_section() {
            let event = s.edit_key(key, commit, cancel);
            s.on_form_event(event);
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        self.policy.form.set_read_only(ctx.read_only);
        self.sessions.form.set_read_only(ctx.read_only);
        self.two_step.form.set_read_only(ctx.read_only);
        if let Some(taken) = self.merge_action(action, ctx.read_only, fx) {
            return taken;
        }
        match action {
            Action::NextSection => self.move_section(1),
            Action::PrevSection => self.move_section(-1),
            Action::Save => self.save(ctx, fx),
            Action::Reload if self.section_dirty(self.section) && !self.section_stale(self.section) => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Reload,
                    "Reload?",
                    format!(
                        "Reloading drops your unsaved edits to {}.",
                        self.section.title().to_lowercase()
                    ),
                    "reload",
                    "keep editing",
                ));
            }
            Action::Reload => self.reload_section(fx),
            ENROL_TOTP if self.section == SecurityArea::TwoStep && !self.editing() => {
                self.enrol(TwoStepMethod::Totp, fx);
            }
            ENROL_EMAIL if self.section == SecurityArea::TwoStep && !self.editing() => {
                self.enrol(TwoStepMethod::Email, fx);
            }
            _ if self.section == SecurityArea::IpRestrictions => return self.ip_action(action, ctx, fx),
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Activate => {
                let Some(s) = self.form_section() else { return false };
                if !s.loaded() {
                    return false;
                }
                match s.form_action(action) {
                    FormEvent::Ignored => return false,
                    event => s.on_form_event(event),
                }
            }
            _ => return false,
        }
        true
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        match action {
            Action::Reload => self.reload_section(fx),
            Action::DeleteItem => self.ip.delete_confirmed(),
            Action::Save => self.ip.lockout_confirmed(fx),
            ENROL_TOTP => {
                if let Some(e) = self.enrolment.as_mut()
                    && e.confirmed() == enrolment::Outcome::Close
                {
                    // Enrolled: `GET me` tells the methods the account has now.
                    if e.done() {
                        fx.refresh_me = true;
                    }
                    self.enrolment = None;
                }
            }
            _ => {}
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        if msg.is::<EnrolmentMsg>() {
            if let Some(enrolment) = self.enrolment.as_mut()
                && enrolment.answer(msg, fx) == enrolment::Outcome::Close
            {
                self.enrolment = None;
            }
            return;
        }
        let Some(msg) = own::<SecurityMsg>(msg) else { return };
        match &msg {
            SecurityMsg::Read(area, result) => {
                if let Ok(Versioned {
                    value: SecurityDoc::PasswordPolicy(p),
                    ..
                }) = result
                {
                    fx.broadcast(p.clone());
                }
                match area {
                    SecurityArea::PasswordPolicy => self.policy.arrived(result, fx),
                    SecurityArea::Sessions => self.sessions.arrived(result, fx),
                    SecurityArea::IpRestrictions => self.ip.arrived(result, fx),
                    SecurityArea::TwoStep => self.two_step.arrived(result, fx),
                }
            }
            SecurityMsg::Saved { sent, result } => match sent {
                SecurityDoc::PasswordPolicy(_) => {
                    if let Ok(Versioned {
                        value: SecurityDoc::PasswordPolicy(p),
                        ..
                    }) = result
                    {
                        fx.broadcast(p.clone());
                    }
                    self.policy.saved(result, fx)
                }
                SecurityDoc::Sessions(_) => self.sessions.saved(result, fx),
                SecurityDoc::IpRestrictions(_) => self.ip.saved(sent, result, self.client_ip.as_deref(), fx),
                SecurityDoc::TwoStep(_) => {
                    // The methods on offer changed: `GET me` tells which the account may enrol in now.
                    if result.is_ok() {
                        fx.refresh_me = true;
                    }
                    self.two_step.saved(result, fx)
                }
            },
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, ctx: &TabCtx, fx: &mut Effects) {
        self.policy.changed(change, ctx.dates, fx);
        self.sessions.changed(change, ctx.dates, fx);
        self.ip.changed(change, ctx.dates, fx);
        self.two_step.changed(change, ctx.dates, fx);
    }

    fn me_changed(&mut self, me: &Me, _fx: &mut Effects) {
        self.client_ip = Some(me.client_ip.clone());
        self.me_two_step = me.two_step.clone();
    }

    fn is_dirty(&self) -> bool {
        self.enrolment.as_ref().is_some_and(Enrolment::asks_before_closing)
            || SecurityArea::ALL.iter().any(|a| self.section_dirty(*a))
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if let Some(enrolment) = &self.enrolment {
            return enrolment.hints();
        }
        if self.merging() {
            let mut hints = crate::widgets::merge::Merge::hints();
            hints.extend([(Action::Help, "help"), (Action::Quit, "quit")]);
            return hints;
        }
        if self.editing() {
            let save = if self.section == SecurityArea::IpRestrictions {
                "apply row"
            } else {
                "save"
            };
            return vec![
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
                (Action::Save, save),
            ];
        }
        let mut hints = Vec::new();
        if self.section_stale(self.section) {
            hints.push((Action::Reload, "reload (drops edits)"));
        }
        if self.section == SecurityArea::IpRestrictions {
            if self.ip.editor.is_some() {
                return vec![
                    (Action::Activate, "edit"),
                    (Action::Save, "apply row"),
                    (Action::Cancel, "cancel"),
                ];
            }
            hints.extend([
                (Action::NewItem, "add"),
                (Action::EditItem, "edit"),
                (Action::DeleteItem, "delete"),
            ]);
        } else {
            hints.extend([(Action::Activate, "edit/toggle"), (Action::Left, "choose")]);
        }
        if self.section == SecurityArea::TwoStep {
            let offered = &self.me_two_step.available;
            if offered.contains(&TwoStepMethod::Totp) {
                hints.push((ENROL_TOTP, "enrol me (app)"));
            }
            if offered.contains(&TwoStepMethod::Email) {
                hints.push((ENROL_EMAIL, "enrol me (email)"));
            }
        }
        hints.extend([(Action::Save, "save"), (Action::NextSection, "section")]);
        if !self.section_stale(self.section) {
            hints.push((Action::Reload, "reload"));
        }
        hints.extend([(Action::Help, "help"), (Action::Quit, "quit")]);
        hints
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
    }

    fn render_overlay(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        if let Some(enrolment) = &self.enrolment {
            enrolment.render(frame, area, ctx);
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_section_of_the_registry_is_the_section_of_that_title() {
        for s in SECTIONS {
            assert_eq!(section_of(s.id).map(SecurityArea::title), Some(s.title));
        }
        assert_eq!(SECTIONS.len(), SecurityArea::ALL.len());
    }
}
