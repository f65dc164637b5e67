//! The General tab: the organization's information and preferences as a form (SETTINGS.md section 1),
//! saved with the version it was read at, and the license summary.

mod view;

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, ErrorCode, Versioned,
    general::{DateFormat, Environment, GeneralSettings, NAME_MAX, TimeFormat},
    inventory::endpoints::GetLicenses,
    licensing::LicenseSummary,
};
use ratatui::{Frame, layout::Rect};

use super::{
    Effects, Tab, TabCtx,
    doc::{Arrival, DocState, Document, Load, MergeStep},
    own,
};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::Action,
    widgets::{
        Dialog, FieldSpec, Form, FormEvent, ToastLevel,
        form::{Choice, EditKey, Multi, Text, Toggle},
        merge::Merge,
    },
};

pub const NAME: Text<GeneralSettings> = Text::new("name");
pub const DATE_FORMAT: Choice<GeneralSettings> = Choice::new("date_format");
pub const TIME_FORMAT: Choice<GeneralSettings> = Choice::new("time_format");
pub const TIMEZONE: Text<GeneralSettings> = Text::new("timezone");
pub const AUTO_APPS: Toggle<GeneralSettings> = Toggle::new("auto_license_new_applications");
pub const AUTO_SERVERS: Toggle<GeneralSettings> = Toggle::new("auto_license_new_servers");
pub const ENVIRONMENTS: Multi<GeneralSettings> = Multi::new("auto_license_environments");

/// The answers of the tab's calls.
#[derive(Debug, Clone, PartialEq)]
pub enum GeneralMsg {
    Read(Result<Versioned<GeneralSettings>, ApiError>),
    Licenses(Result<LicenseSummary, ApiError>),
    Saved(Result<Versioned<GeneralSettings>, ApiError>),
}

impl Document for GeneralSettings {
    const TITLE: &'static str = "general settings";
    type Msg = GeneralMsg;
    fn read_msg(result: Result<Versioned<Self>, ApiError>) -> GeneralMsg {
        GeneralMsg::Read(result)
    }
    fn saved_msg(_sent: &Self, result: Result<Versioned<Self>, ApiError>) -> GeneralMsg {
        GeneralMsg::Saved(result)
    }
}

pub struct GeneralTab {
    /// The settings as last read or saved, and what a save or a newer version does to the edits the
    /// form holds on top of them.
    pub state: DocState<GeneralSettings>,
    pub licenses: Load<LicenseSummary>,
    pub form: Form<GeneralSettings>,
}

impl Default for GeneralTab {
    fn default() -> Self {
        Self::new()
    }
}

impl GeneralTab {
    pub fn new() -> GeneralTab {
        let form = Form::new(vec![
            FieldSpec::text(NAME, "Name", Some(NAME_MAX)),
            FieldSpec::choice(
                DATE_FORMAT,
                "Date format",
                DateFormat::ALL.iter().map(|d| d.as_str().to_owned()).collect(),
            ),
            FieldSpec::choice(
                TIME_FORMAT,
                "Time format",
                TimeFormat::ALL
                    .iter()
                    .map(|t| match t {
                        TimeFormat::H24 => format!("{} (24-hour)", t.as_str()),
                        TimeFormat::H12 => format!("{} (12-hour)", t.as_str()),
                    })
                    .collect(),
            ),
            FieldSpec::text(TIMEZONE, "Time zone", None),
            FieldSpec::toggle(AUTO_APPS, "Auto-license new apps"),
            FieldSpec::toggle(AUTO_SERVERS, "Auto-license new servers"),
            FieldSpec::multi(
                ENVIRONMENTS,
                "  in environments",
                Environment::ALL.iter().map(|e| e.as_str().to_owned()).collect(),
            ),
        ]);
        GeneralTab {
            state: DocState::new(),
            licenses: Load::NotLoaded,
            form,
        }
    }

    /// The settings as last read or saved.
    pub fn settings(&self) -> &Load<Versioned<GeneralSettings>> {
        &self.state.doc
    }

    fn fill_form(&mut self, s: &GeneralSettings) {
        self.form.set_text(NAME, s.name.clone());
        self.form
            .set_choice(DATE_FORMAT, position(&DateFormat::ALL, s.date_format));
        self.form
            .set_choice(TIME_FORMAT, position(&TimeFormat::ALL, s.time_format));
        self.form.set_text(TIMEZONE, s.timezone.clone());
        self.form.set_bool(AUTO_APPS, s.auto_license_new_applications);
        self.form.set_bool(AUTO_SERVERS, s.auto_license_new_servers);
        let envs = Environment::ALL
            .iter()
            .map(|e| s.auto_license_environments.contains(e))
            .collect();
        self.form.set_multi(ENVIRONMENTS, envs);
    }

    /// The form shows the settings as read or saved, without errors.
    fn refill(&mut self) {
        if let Some(base) = self.state.base().cloned() {
            self.fill_form(&base.value);
        }
        self.form.set_errors(Vec::new());
    }

    /// The settings as the form has them now (what typing has made of the loaded ones).
    pub fn edited(&self) -> Option<GeneralSettings> {
        let base = self.state.base()?;
        let mut s = base.value.clone();
        s.name = self.form.text(NAME);
        s.date_format = DateFormat::ALL[self.form.choice(DATE_FORMAT).min(DateFormat::ALL.len() - 1)];
        s.time_format = TimeFormat::ALL[self.form.choice(TIME_FORMAT).min(TimeFormat::ALL.len() - 1)];
        s.timezone = self.form.text(TIMEZONE);
        s.auto_license_new_applications = self.form.bool(AUTO_APPS);
        s.auto_license_new_servers = self.form.bool(AUTO_SERVERS);
        let checked = self.form.multi(ENVIRONMENTS);
        s.auto_license_environments = Environment::ALL
            .iter()
            .zip(checked)
            .filter(|(_, on)| *on)
            .map(|(e, _)| *e)
            .collect();
        Some(s)
    }

    /// Shows the shared validation's errors, and the server's for fields not edited since.
    fn revalidate(&mut self, changed: Option<&str>) {
        let edited = self.edited();
        let errors = self.state.errors(edited.as_ref(), changed);
        self.form.set_errors(errors);
    }

    fn reload(&mut self, fx: &mut Effects) {
        self.state.reload(fx);
        self.read_licenses(fx);
    }

    fn read_licenses(&mut self, fx: &mut Effects) {
        if self.licenses.loaded().is_none() {
            self.licenses = Load::Loading;
        }
        fx.call(Call::of::<GetLicenses, _>((), GeneralMsg::Licenses).label("loading licenses"));
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        if self.form.is_editing() && self.form.commit_edit() == FormEvent::Ignored {
            return;
        }
        self.revalidate(None);
        let Some(edited) = self.edited() else { return };
        let version = self.state.check_save(&edited, ctx.read_only, &self.form.labels(), fx);
        if let Some(version) = version {
            self.state.send(version, edited, fx);
        } else if let Some(first) = self.form.errors().keys().next().cloned() {
            self.form.focus_named(&first);
        }
    }

    /// A key while the conflict view of a save may be open (`None`: it is not): whether it was taken.
    /// The merged settings are saved at once.
    fn merge_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> Option<bool> {
        match self.state.merge_action(action, fx) {
            MergeStep::NotOpen => None,
            MergeStep::Handled => Some(true),
            MergeStep::Ignored => Some(false),
            MergeStep::Apply(merged) => {
                self.fill_form(&merged);
                self.revalidate(None);
                self.save(ctx, fx);
                Some(true)
            }
        }
    }
}

fn position<T: PartialEq>(all: &[T], v: T) -> usize {
    all.iter().position(|x| *x == v).unwrap_or(0)
}

impl Tab for GeneralTab {
    fn title(&self) -> &'static str {
        "General"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.state.load(fx);
        self.read_licenses(fx);
    }

    fn captures_input(&self) -> bool {
        self.form.is_editing()
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        match self.form.edit_key(key, ctx.keymap) {
            EditKey::Save => self.save(ctx, fx),
            EditKey::Edit(FormEvent::Changed(field)) => self.revalidate(Some(field)),
            EditKey::Edit(FormEvent::EditCancelled) => self.revalidate(None),
            EditKey::Edit(_) => {}
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        // A read-only profile views the settings: the form moves but does not edit.
        self.form.set_read_only(ctx.read_only);
        if let Some(taken) = self.merge_action(action, ctx, fx) {
            return taken;
        }
        match action {
            Action::Save => {
                self.save(ctx, fx);
                true
            }
            Action::Reload if self.is_dirty() && !self.state.stale => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Reload,
                    "Reload?",
                    "Reloading drops your unsaved edits to the general settings.",
                    "reload",
                    "keep editing",
                ));
                true
            }
            Action::Reload => {
                self.reload(fx);
                true
            }
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Activate => {
                if self.state.base().is_none() {
                    return false;
                }
                match self.form.handle_action(action) {
                    FormEvent::Changed(field) => self.revalidate(Some(field)),
                    FormEvent::Ignored => return false,
                    _ => {}
                }
                true
            }
            _ => false,
        }
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if action == Action::Reload {
            self.reload(fx);
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<GeneralMsg>(msg) else { return };
        match &msg {
            GeneralMsg::Read(result) => {
                if let Ok(v) = result {
                    fx.broadcast(v.value.clone());
                }
                let edited = self.edited();
                let arrival = self
                    .state
                    .arrived(result.as_ref(), edited.as_ref(), &self.form.labels(), fx);
                if arrival == Arrival::Refill {
                    self.refill();
                }
            }
            GeneralMsg::Licenses(Ok(l)) => self.licenses = Load::Loaded(l.clone()),
            GeneralMsg::Licenses(Err(e)) if !needs_login(e) && self.licenses.loaded().is_none() => {
                self.licenses = Load::Failed(e.clone());
            }
            GeneralMsg::Licenses(Err(_)) => {}
            GeneralMsg::Saved(result) => {
                if let Ok(v) = result {
                    fx.broadcast(v.value.clone());
                }
                match self.state.saved(result.as_ref(), fx) {
                    Ok(Arrival::Refill) => self.refill(),
                    Ok(Arrival::Keep) => {}
                    Err(e) if e.code == ErrorCode::ValidationFailed => {
                        self.state.rejected(e, fx);
                        self.revalidate(None);
                    }
                    Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
                }
            }
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, ctx: &TabCtx, fx: &mut Effects) {
        let edited = self.edited();
        self.state.changed(change, edited.as_ref(), ctx.dates, fx);
        // A license applied or removed, a server registered (maybe licensed) or cleaned up, an application
        // reported (maybe licensed): the bars follow at once.
        if matches!(change.area.as_str(), "license" | "server" | "application") && self.licenses.loaded().is_some() {
            self.read_licenses(fx);
        }
    }

    fn is_dirty(&self) -> bool {
        self.state.is_dirty(self.edited().as_ref())
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.state.merge.is_some() {
            let mut hints = Merge::hints();
            hints.extend([(Action::Help, "help"), (Action::Quit, "quit")]);
            return hints;
        }
        if self.form.is_editing() {
            return vec![
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
                (Action::Save, "save"),
            ];
        }
        let mut hints = Vec::new();
        if self.state.stale {
            hints.extend([(Action::Save, "compare & save"), (Action::Reload, "take theirs")]);
        }
        hints.extend([(Action::Activate, "edit/toggle"), (Action::Left, "choose")]);
        if !self.state.stale {
            hints.extend([(Action::Save, "save"), (Action::Reload, "reload")]);
        }
        hints.extend([
            (Action::JumpToTab, "jump"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]);
        hints
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_holds_every_field_it_declares_and_gives_back_what_it_was_filled_with() {
        let mut tab = GeneralTab::new();
        tab.form.assert_has(NAME);
        tab.form.assert_has(DATE_FORMAT);
        tab.form.assert_has(TIME_FORMAT);
        tab.form.assert_has(TIMEZONE);
        tab.form.assert_has(AUTO_APPS);
        tab.form.assert_has(AUTO_SERVERS);
        tab.form.assert_has(ENVIRONMENTS);
        let mut s: GeneralSettings = serde_json::from_str(r#"{"name": "Acme"}"#).unwrap();
        s.date_format = DateFormat::ALL[1];
        s.time_format = TimeFormat::ALL[1];
        s.timezone = "Europe/Paris".into();
        s.auto_license_new_applications = true;
        s.auto_license_environments = vec![Environment::Development, Environment::Production];
        tab.state.doc = Load::Loaded(Versioned {
            version: 1,
            value: s.clone(),
        });
        tab.fill_form(&s);
        assert_eq!(tab.edited(), Some(s.clone()));
        tab.form.assert_names_fields_of(&s);
    }
}
