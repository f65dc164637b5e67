//! The form sections of the Security tab: password policy, sessions and two-step, each a settings
//! document mapped to and from a [`Form`].

use orgdeck_shared::{
    FieldError,
    password::{PasswordPolicy, PasswordStrength},
    security::{IpRestrictions, SessionSettings, TwoStepMethod, TwoStepSettings},
};

use super::doc::{Arrival, DocState, MergeStep, SecurityDocument, typed};
use crate::{
    api::{SecurityArea, SecurityDoc},
    tabs::Effects,
    widgets::{
        FieldSpec, Form, FormEvent,
        form::{Choice, Multi, Number, Toggle},
    },
};

/// A document edited through a form: the form is named by the document's type (`Form<PasswordPolicy>`).
pub trait FormDocument: SecurityDocument + Sized {
    fn specs() -> Vec<FieldSpec<Self>>;
    fn fill(&self, form: &mut Form<Self>);
    /// The document as the form has it now, on top of `base`.
    fn read(form: &Form<Self>, base: &Self) -> Self;
    /// After `field` changed (or the form was filled): what other fields that decides.
    fn sync(_form: &mut Form<Self>) {}
}

pub struct FormSection<D> {
    pub state: DocState<D>,
    pub form: Form<D>,
}

impl<D: FormDocument> FormSection<D> {
    pub fn new() -> Self {
        FormSection {
            state: DocState::new(),
            form: Form::new(D::specs()),
        }
    }

    pub fn edited(&self) -> Option<D> {
        self.state.base().map(|b| D::read(&self.form, &b.value))
    }

    pub fn is_dirty(&self) -> bool {
        self.state.is_dirty(self.edited().as_ref())
    }

    pub fn revalidate(&mut self, changed: Option<&str>) {
        if changed.is_some() {
            D::sync(&mut self.form);
        }
        let edited = self.edited();
        let errors = self.state.errors(edited.as_ref(), changed);
        self.form.set_errors(errors);
    }

    fn refill(&mut self) {
        if let Some(base) = self.state.base() {
            let value = base.value.canonical();
            value.fill(&mut self.form);
            D::sync(&mut self.form);
        }
        self.form.set_errors(Vec::<FieldError>::new());
    }

    pub fn on_form_event(&mut self, event: FormEvent) {
        match event {
            FormEvent::Changed(field) => self.revalidate(Some(field)),
            FormEvent::EditCancelled => self.revalidate(None),
            _ => {}
        }
    }

    pub fn save(&mut self, read_only: bool, fx: &mut Effects) {
        if self.form.is_editing() && self.form.commit_edit() == FormEvent::Ignored {
            return;
        }
        self.revalidate(None);
        let Some(edited) = self.edited() else { return };
        let version = self.state.check_save(&edited, read_only, &self.form.labels(), fx);
        if let Some(version) = version {
            self.state.send(version, edited.canonical(), fx);
        } else if let Some(first) = self.form.errors().keys().next().cloned() {
            self.form.focus_named(&first);
        }
    }

    pub fn arrived(
        &mut self,
        result: &Result<orgdeck_shared::Versioned<SecurityDoc>, orgdeck_shared::ApiError>,
        fx: &mut Effects,
    ) {
        let Some(result) = typed::<D>(result) else { return };
        let edited = self.edited();
        let arrival = self.state.arrived(
            result.as_ref().map_err(|e| *e),
            edited.as_ref(),
            &self.form.labels(),
            fx,
        );
        if arrival == Arrival::Refill {
            self.refill();
        }
    }

    /// A key while the conflict view of a save may be open; the merged document is saved at once.
    pub fn merge_action(&mut self, action: crate::keymap::Action, read_only: bool, fx: &mut Effects) -> Option<bool> {
        match self.state.merge_action(action, fx) {
            MergeStep::NotOpen => None,
            MergeStep::Handled => Some(true),
            MergeStep::Ignored => Some(false),
            MergeStep::Apply(merged) => {
                merged.fill(&mut self.form);
                D::sync(&mut self.form);
                self.revalidate(None);
                self.save(read_only, fx);
                Some(true)
            }
        }
    }

    /// A live update of the document.
    pub fn changed(
        &mut self,
        change: &orgdeck_shared::events::ChangeEvent,
        dates: &orgdeck_shared::format::DateTimeStyle,
        fx: &mut Effects,
    ) {
        let edited = self.edited();
        self.state.changed(change, edited.as_ref(), dates, fx);
    }

    pub fn saved(
        &mut self,
        result: &Result<orgdeck_shared::Versioned<SecurityDoc>, orgdeck_shared::ApiError>,
        fx: &mut Effects,
    ) {
        let Some(result) = typed::<D>(result) else { return };
        match self.state.saved(result.as_ref().map_err(|e| *e), fx) {
            Ok(Arrival::Refill) => self.refill(),
            Ok(Arrival::Keep) => {}
            Err(e) if e.code == orgdeck_shared::ErrorCode::ValidationFailed => {
                self.state.rejected(e, fx);
                self.revalidate(None);
            }
            Err(e) => fx.toast(crate::widgets::ToastLevel::Error, format!("Not saved: {}", e.message)),
        }
    }
}

impl<D: FormDocument> Default for FormSection<D> {
    fn default() -> Self {
        Self::new()
    }
}

pub const STRENGTH: Choice<PasswordPolicy> = Choice::new("strength");
pub const MIN_LENGTH: Number<PasswordPolicy> = Number::new("min_length");
pub const MIN_UPPER: Number<PasswordPolicy> = Number::new("min_upper");
pub const MIN_LOWER: Number<PasswordPolicy> = Number::new("min_lower");
pub const MIN_DIGITS: Number<PasswordPolicy> = Number::new("min_digits");
pub const MIN_SYMBOLS: Number<PasswordPolicy> = Number::new("min_symbols");
pub const EXPIRATION: Number<PasswordPolicy> = Number::new("expiration_days");
pub const HISTORY: Number<PasswordPolicy> = Number::new("history");
pub const LOCKOUT_ATTEMPTS: Number<PasswordPolicy> = Number::new("lockout_attempts");
pub const LOCKOUT_MINUTES: Number<PasswordPolicy> = Number::new("lockout_minutes");
pub const INACTIVE_LOCK_DAYS: Number<PasswordPolicy> = Number::new("inactive_lock_days");
pub const BLOCK_COMMON: Toggle<PasswordPolicy> = Toggle::new("block_common");
/// The fields only a custom policy sets; presets fix them.
pub const CUSTOM_FIELDS: [Number<PasswordPolicy>; 6] =
    [MIN_LENGTH, MIN_UPPER, MIN_LOWER, MIN_DIGITS, MIN_SYMBOLS, EXPIRATION];

fn num<D>(form: &Form<D>, field: Number<D>) -> u32 {
    u32::try_from(form.number(field)).unwrap_or(0)
}

impl SecurityDocument for PasswordPolicy {
    const TITLE: &'static str = "password policy";
    const AREA: SecurityArea = SecurityArea::PasswordPolicy;
    fn wrap(self) -> SecurityDoc {
        SecurityDoc::PasswordPolicy(self)
    }
    fn unwrap(doc: &SecurityDoc) -> Option<&Self> {
        match doc {
            SecurityDoc::PasswordPolicy(p) => Some(p),
            _ => None,
        }
    }
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        PasswordPolicy::validate(self)
    }
    fn canonical(&self) -> Self {
        self.normalized()
    }
}

impl FormDocument for PasswordPolicy {
    fn specs() -> Vec<FieldSpec<Self>> {
        vec![
            FieldSpec::choice(
                STRENGTH,
                "Preset",
                PasswordStrength::ALL.iter().map(|s| s.as_str().to_owned()).collect(),
            ),
            FieldSpec::number(MIN_LENGTH, "  Min length", 1, 128),
            FieldSpec::number(MIN_UPPER, "  Min upper case", 0, 10),
            FieldSpec::number(MIN_LOWER, "  Min lower case", 0, 10),
            FieldSpec::number(MIN_DIGITS, "  Min digits", 0, 10),
            FieldSpec::number(MIN_SYMBOLS, "  Min symbols", 0, 10),
            FieldSpec::number(EXPIRATION, "  Expires (days)", 0, 365),
            FieldSpec::number(HISTORY, "History", 0, 24),
            FieldSpec::number(LOCKOUT_ATTEMPTS, "Lockout after", 1, 100),
            FieldSpec::number(LOCKOUT_MINUTES, "Lockout minutes", 0, 10_080),
            FieldSpec::number(INACTIVE_LOCK_DAYS, "Inactive lock days", 0, 3_650),
            FieldSpec::toggle(BLOCK_COMMON, "Block common"),
        ]
    }

    fn fill(&self, form: &mut Form<Self>) {
        let i = PasswordStrength::ALL
            .iter()
            .position(|s| *s == self.strength)
            .unwrap_or(0);
        form.set_choice(STRENGTH, i);
        for (field, v) in [
            (MIN_LENGTH, self.min_length),
            (MIN_UPPER, self.min_upper),
            (MIN_LOWER, self.min_lower),
            (MIN_DIGITS, self.min_digits),
            (MIN_SYMBOLS, self.min_symbols),
            (EXPIRATION, self.expiration_days),
            (HISTORY, self.history),
            (LOCKOUT_ATTEMPTS, self.lockout_attempts),
            (LOCKOUT_MINUTES, self.lockout_minutes),
            (INACTIVE_LOCK_DAYS, self.inactive_lock_days),
        ] {
            form.set_number(field, i64::from(v));
        }
        form.set_bool(BLOCK_COMMON, self.block_common);
    }

    fn read(form: &Form<Self>, base: &Self) -> Self {
        let strength = strength_of(form);
        let policy = PasswordPolicy {
            strength,
            min_length: num(form, MIN_LENGTH),
            min_upper: num(form, MIN_UPPER),
            min_lower: num(form, MIN_LOWER),
            min_digits: num(form, MIN_DIGITS),
            min_symbols: num(form, MIN_SYMBOLS),
            expiration_days: num(form, EXPIRATION),
            history: num(form, HISTORY),
            lockout_attempts: num(form, LOCKOUT_ATTEMPTS),
            lockout_minutes: num(form, LOCKOUT_MINUTES),
            inactive_lock_days: num(form, INACTIVE_LOCK_DAYS),
            block_common: form.bool(BLOCK_COMMON),
        };
        let _ = base;
        policy.normalized()
    }

    /// A preset shows its fixed length and no class minimums, greyed; only `custom` edits them.
    fn sync(form: &mut Form<Self>) {
        let strength = strength_of(form);
        let custom = strength == PasswordStrength::Custom;
        if let Some((min_length, _)) = strength.preset() {
            form.set_number(MIN_LENGTH, i64::from(min_length));
            for field in &CUSTOM_FIELDS[1..] {
                form.set_number(*field, 0);
            }
        }
        for field in CUSTOM_FIELDS {
            form.set_disabled(field, !custom);
        }
    }
}

pub fn strength_of(form: &Form<PasswordPolicy>) -> PasswordStrength {
    PasswordStrength::ALL[form.choice(STRENGTH).min(PasswordStrength::ALL.len() - 1)]
}

/// What a preset means, in words: "at least 12 characters mixing 4 classes".
pub fn preset_summary(strength: PasswordStrength) -> String {
    match strength.preset() {
        Some((len, 0)) => format!("{strength}: at least {len} characters, no class rules, no expiry"),
        Some((len, classes)) => {
            format!("{strength}: at least {len} characters mixing {classes} of upper/lower/digits/symbols, no expiry")
        }
        None => "custom: set the length, class minimums and expiry below".into(),
    }
}

impl SecurityDocument for SessionSettings {
    const TITLE: &'static str = "session settings";
    const AREA: SecurityArea = SecurityArea::Sessions;
    fn wrap(self) -> SecurityDoc {
        SecurityDoc::Sessions(self)
    }
    fn unwrap(doc: &SecurityDoc) -> Option<&Self> {
        match doc {
            SecurityDoc::Sessions(s) => Some(s),
            _ => None,
        }
    }
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        SessionSettings::validate(self)
    }
}

pub const IDLE_MINUTES: Number<SessionSettings> = Number::new("idle_minutes");
pub const ABSOLUTE_MINUTES: Number<SessionSettings> = Number::new("absolute_minutes");

impl FormDocument for SessionSettings {
    fn specs() -> Vec<FieldSpec<Self>> {
        vec![
            FieldSpec::number(IDLE_MINUTES, "Idle timeout (min)", 5, 1440),
            FieldSpec::number(ABSOLUTE_MINUTES, "Absolute timeout (min)", 15, 10_080),
        ]
    }
    fn fill(&self, form: &mut Form<Self>) {
        form.set_number(IDLE_MINUTES, i64::from(self.idle_minutes));
        form.set_number(ABSOLUTE_MINUTES, i64::from(self.absolute_minutes));
    }
    fn read(form: &Form<Self>, _base: &Self) -> Self {
        SessionSettings {
            idle_minutes: num(form, IDLE_MINUTES),
            absolute_minutes: num(form, ABSOLUTE_MINUTES),
        }
    }
}

/// The methods in the order of the methods field's options.
const METHOD_OPTIONS: [TwoStepMethod; 2] = [TwoStepMethod::Totp, TwoStepMethod::Email];

impl SecurityDocument for TwoStepSettings {
    const TITLE: &'static str = "two-step settings";
    const AREA: SecurityArea = SecurityArea::TwoStep;
    fn wrap(self) -> SecurityDoc {
        SecurityDoc::TwoStep(self)
    }
    fn unwrap(doc: &SecurityDoc) -> Option<&Self> {
        match doc {
            SecurityDoc::TwoStep(t) => Some(t),
            _ => None,
        }
    }
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        TwoStepSettings::validate(self)
    }
}

pub const ENABLED: Toggle<TwoStepSettings> = Toggle::new("enabled");
pub const REQUIRED: Toggle<TwoStepSettings> = Toggle::new("required");
pub const METHODS: Multi<TwoStepSettings> = Multi::new("methods");

impl FormDocument for TwoStepSettings {
    fn specs() -> Vec<FieldSpec<Self>> {
        vec![
            FieldSpec::toggle(ENABLED, "Enabled"),
            FieldSpec::toggle(REQUIRED, "Required for everyone"),
            FieldSpec::multi(METHODS, "Methods", vec!["totp (app)".into(), "email code".into()]),
        ]
    }
    fn fill(&self, form: &mut Form<Self>) {
        form.set_bool(ENABLED, self.enabled);
        form.set_bool(REQUIRED, self.required);
        form.set_multi(
            METHODS,
            METHOD_OPTIONS.iter().map(|m| self.methods.contains(m)).collect(),
        );
    }
    fn read(form: &Form<Self>, _base: &Self) -> Self {
        TwoStepSettings {
            enabled: form.bool(ENABLED),
            required: form.bool(REQUIRED),
            methods: METHOD_OPTIONS
                .iter()
                .zip(form.multi(METHODS))
                .filter(|(_, on)| *on)
                .map(|(m, _)| *m)
                .collect(),
        }
    }
}

impl SecurityDocument for IpRestrictions {
    const TITLE: &'static str = "IP restrictions";
    const AREA: SecurityArea = SecurityArea::IpRestrictions;
    fn wrap(self) -> SecurityDoc {
        SecurityDoc::IpRestrictions(self)
    }
    fn unwrap(doc: &SecurityDoc) -> Option<&Self> {
        match doc {
            SecurityDoc::IpRestrictions(r) => Some(r),
            _ => None,
        }
    }
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        IpRestrictions::validate(self)
    }
    /// The confirmation is part of a request, never of the document.
    fn canonical(&self) -> Self {
        IpRestrictions {
            confirm_self_lockout: false,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills a fresh form with `doc` and reads it back: every handle `fill`, `read` and `sync` use is
    /// in the form, and the form edits the document field for field.
    fn round_trip<D: FormDocument + serde::Serialize + PartialEq + std::fmt::Debug>(doc: D) -> Form<D> {
        let mut form = Form::new(D::specs());
        doc.fill(&mut form);
        D::sync(&mut form);
        assert_eq!(D::read(&form, &doc), doc);
        form.assert_names_fields_of(&doc);
        form
    }

    #[test]
    fn the_password_policy_form_holds_every_field_it_declares() {
        let custom = PasswordPolicy {
            strength: PasswordStrength::Custom,
            min_length: 14,
            min_upper: 1,
            min_lower: 2,
            min_digits: 3,
            min_symbols: 4,
            expiration_days: 90,
            history: 5,
            lockout_attempts: 6,
            lockout_minutes: 7,
            inactive_lock_days: 8,
            block_common: true,
        };
        let form = round_trip(custom);
        form.assert_has(STRENGTH);
        form.assert_has(BLOCK_COMMON);
        for field in CUSTOM_FIELDS {
            assert!(!form.is_disabled(field), "a custom policy edits {field:?}");
        }
        for field in [HISTORY, LOCKOUT_ATTEMPTS, LOCKOUT_MINUTES, INACTIVE_LOCK_DAYS] {
            form.assert_has(field);
        }
        let preset = round_trip(PasswordPolicy::default().normalized());
        assert!(CUSTOM_FIELDS.into_iter().all(|f| preset.is_disabled(f)));
    }

    #[test]
    fn the_sessions_form_holds_every_field_it_declares() {
        let form = round_trip(SessionSettings {
            idle_minutes: 31,
            absolute_minutes: 600,
        });
        form.assert_has(IDLE_MINUTES);
        form.assert_has(ABSOLUTE_MINUTES);
    }

    #[test]
    fn the_two_step_form_holds_every_field_it_declares() {
        let form = round_trip(TwoStepSettings {
            enabled: true,
            required: true,
            methods: vec![TwoStepMethod::Email],
        });
        form.assert_has(ENABLED);
        form.assert_has(REQUIRED);
        form.assert_has(METHODS);
    }
}
