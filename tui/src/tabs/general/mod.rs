//! The General tab: the organization's information and preferences as a form (SETTINGS.md section 1),
//! saved with the version it was read at, and the license summary.

mod view;

use crossterm::event::{KeyCode, KeyEvent};
use orgdeck_shared::{
    ApiError, ErrorCode, FieldError, Versioned,
    general::{DateFormat, Environment, GeneralSettings, NAME_MAX, TimeFormat},
    inventory::endpoints::GetLicenses,
    licensing::LicenseSummary,
    settings::endpoints::{Get, Put},
};
use ratatui::{Frame, layout::Rect};

use super::{Effects, Tab, TabCtx, own};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::Action,
    widgets::{
        Dialog, FieldSpec, Form, FormEvent, ToastLevel,
        form::{Choice, Multi, Text, Toggle},
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

/// Reads the settings and the licenses.
fn read(fx: &mut Effects) {
    fx.call(Call::of::<Get<GeneralSettings>, _>((), GeneralMsg::Read).label("loading general settings"));
    fx.call(Call::of::<GetLicenses, _>((), GeneralMsg::Licenses).label("loading licenses"));
}

/// A resource the tab shows, and where its request stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    NotLoaded,
    Loading,
    Loaded(T),
    Failed(ApiError),
}

impl<T> Load<T> {
    pub fn loaded(&self) -> Option<&T> {
        match self {
            Load::Loaded(t) => Some(t),
            _ => None,
        }
    }
}

pub struct GeneralTab {
    /// The settings as last read or saved; the form holds the edits on top of them.
    pub settings: Load<Versioned<GeneralSettings>>,
    pub licenses: Load<LicenseSummary>,
    pub form: Form<GeneralSettings>,
    pub saving: bool,
    /// A save was refused because someone else saved first: the edits stay until the user reloads.
    pub stale: bool,
    /// The next settings that arrive replace the form even when it has edits (the user asked).
    replace_on_load: bool,
    /// Errors the server reported for fields not edited since.
    server_errors: Vec<FieldError>,
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
            settings: Load::NotLoaded,
            licenses: Load::NotLoaded,
            form,
            saving: false,
            stale: false,
            replace_on_load: false,
            server_errors: Vec::new(),
        }
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
        self.server_errors.clear();
        self.form.set_errors(Vec::new());
    }

    /// The settings as the form has them now (what typing has made of the loaded ones).
    pub fn edited(&self) -> Option<GeneralSettings> {
        let base = self.settings.loaded()?;
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
        if let Some(field) = changed {
            self.server_errors.retain(|e| !e.field.starts_with(field));
        }
        let mut errors = self
            .edited()
            .map(|s| s.validate().err().unwrap_or_default())
            .unwrap_or_default();
        for e in &self.server_errors {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e.clone());
            }
        }
        self.form.set_errors(errors);
    }

    fn reload(&mut self, fx: &mut Effects) {
        self.replace_on_load = true;
        self.settings = match std::mem::replace(&mut self.settings, Load::NotLoaded) {
            Load::Loaded(v) => Load::Loaded(v),
            _ => Load::Loading,
        };
        read(fx);
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        if ctx.read_only {
            fx.toast(ToastLevel::Warning, "Read-only profile: saving is disabled");
            return;
        }
        if self.form.is_editing() && self.form.commit_edit() == FormEvent::Ignored {
            return;
        }
        let (Some(base), Some(edited)) = (self.settings.loaded(), self.edited()) else {
            return;
        };
        if self.saving {
            fx.toast(ToastLevel::Info, "Already saving…");
            return;
        }
        if let Err(errors) = edited.validate() {
            let first = errors[0].field.clone();
            self.revalidate(None);
            self.form.focus_named(&first);
            fx.toast(
                ToastLevel::Error,
                format!("Not saved: fix {} field(s) first", errors.len()),
            );
            return;
        }
        if edited == base.value {
            fx.toast(ToastLevel::Info, "Nothing to save");
            return;
        }
        self.saving = true;
        let version = base.version;
        fx.call(
            Call::new::<Put<GeneralSettings>, _>((), &edited, GeneralMsg::Saved)
                .if_match(version)
                .label("saving general settings"),
        );
    }

    fn settings_arrived(&mut self, v: &Versioned<GeneralSettings>) {
        let replace = self.replace_on_load || !self.is_dirty();
        if replace {
            self.settings = Load::Loaded(v.clone());
            self.fill_form(&v.value);
            self.stale = false;
            self.replace_on_load = false;
        } else if self.settings.loaded().is_some_and(|mine| mine.version != v.version) {
            // Keep the edits and the version they started from; saving will be refused as stale.
            self.stale = true;
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
        if self.settings.loaded().is_none() {
            self.settings = Load::Loading;
        }
        if self.licenses.loaded().is_none() {
            self.licenses = Load::Loading;
        }
        read(fx);
    }

    fn captures_input(&self) -> bool {
        self.form.is_editing()
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        let is_char =
            matches!(key.code, KeyCode::Char(_)) && !key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL);
        if !is_char && ctx.keymap.is(key, Action::Save) {
            self.save(ctx, fx);
            return;
        }
        let commit = !is_char && ctx.keymap.is(key, Action::Activate);
        let cancel = !is_char && ctx.keymap.is(key, Action::Cancel);
        match self.form.handle_edit_key(key, commit, cancel) {
            FormEvent::Changed(field) => self.revalidate(Some(field)),
            FormEvent::EditCancelled => self.revalidate(None),
            _ => {}
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        // A read-only profile views the settings: the form moves but does not edit.
        self.form.set_read_only(ctx.read_only);
        match action {
            Action::Save => {
                self.save(ctx, fx);
                true
            }
            Action::Reload if self.is_dirty() && !self.stale => {
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
                if self.settings.loaded().is_none() {
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
            GeneralMsg::Read(Ok(v)) => {
                fx.broadcast(v.value.clone());
                self.settings_arrived(v)
            }
            GeneralMsg::Read(Err(e)) if !needs_login(e) => {
                if self.settings.loaded().is_none() {
                    self.settings = Load::Failed(e.clone());
                } else {
                    fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message));
                }
                self.replace_on_load = false;
            }
            GeneralMsg::Licenses(Ok(l)) => self.licenses = Load::Loaded(l.clone()),
            GeneralMsg::Licenses(Err(e)) if !needs_login(e) && self.licenses.loaded().is_none() => {
                self.licenses = Load::Failed(e.clone());
            }
            GeneralMsg::Saved(result) => {
                self.saving = false;
                match result {
                    Ok(v) => {
                        fx.broadcast(v.value.clone());
                        self.settings = Load::Loaded(v.clone());
                        self.fill_form(&v.value);
                        self.stale = false;
                        fx.toast(ToastLevel::Info, "Saved general settings");
                    }
                    Err(e) if e.code == ErrorCode::VersionMismatch => {
                        self.stale = true;
                        fx.toast(
                            ToastLevel::Warning,
                            "Not saved: someone else saved first. r reloads (drops your edits)",
                        );
                    }
                    Err(e) if e.code == ErrorCode::ValidationFailed => {
                        self.server_errors = e.fields.clone();
                        self.revalidate(None);
                        fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
                    }
                    Err(e) if needs_login(e) => {}
                    Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
                }
            }
            _ => {}
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, _ctx: &TabCtx, fx: &mut Effects) {
        if change.area != "settings" || change.id != orgdeck_shared::routes::area::GENERAL {
            return;
        }
        let mine = self.settings.loaded().map(|v| v.version);
        if change.version.is_some() && change.version == mine {
            return;
        }
        if self.is_dirty() {
            // The edits stay; saving them is refused as stale, and `r` takes the new version.
            self.stale = true;
            fx.toast(
                ToastLevel::Warning,
                format!(
                    "The general settings were changed by {} meanwhile: saving yours is refused; r reloads (drops your edits)",
                    change.actor
                ),
            );
        } else {
            read(fx);
        }
    }

    fn is_dirty(&self) -> bool {
        match (self.settings.loaded(), self.edited()) {
            (Some(base), Some(edited)) => base.value != edited,
            _ => false,
        }
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.form.is_editing() {
            return vec![
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
                (Action::Save, "save"),
            ];
        }
        let mut hints = Vec::new();
        if self.stale {
            hints.push((Action::Reload, "reload (drops edits)"));
        }
        hints.extend([
            (Action::Activate, "edit/toggle"),
            (Action::Left, "choose"),
            (Action::Save, "save"),
        ]);
        if !self.stale {
            hints.push((Action::Reload, "reload"));
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
        tab.settings = Load::Loaded(Versioned {
            version: 1,
            value: s.clone(),
        });
        tab.fill_form(&s);
        assert_eq!(tab.edited(), Some(s.clone()));
        tab.form.assert_names_fields_of(&s);
    }
}
