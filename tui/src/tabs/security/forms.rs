//! The form sections of the Security tab: password policy, sessions and two-step, each a settings
//! document mapped to and from a [`Form`].

use orgdeck_shared::{
    FieldError,
    password::{PasswordPolicy, PasswordStrength},
    security::{IpRestrictions, SessionSettings, TwoStepMethod, TwoStepSettings},
};

use super::doc::{Arrival, DocState, Document};
use crate::{
    api::{SecurityArea, SecurityDoc},
    tabs::Effects,
    widgets::{FieldSpec, FieldValue, Form, FormEvent},
};

/// A document edited through a form.
pub trait FormDocument: Document {
    fn specs() -> Vec<FieldSpec>;
    fn fill(&self, form: &mut Form);
    /// The document as the form has it now, on top of `base`.
    fn read(form: &Form, base: &Self) -> Self;
    /// After `field` changed (or the form was filled): what other fields that decides.
    fn sync(_form: &mut Form) {}
}

pub struct FormSection<D> {
    pub state: DocState<D>,
    pub form: Form,
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
        if let Some(version) = self.state.check_save(&edited, read_only, fx) {
            self.state.send(version, edited.canonical(), fx);
        } else if let Some(first) = self.form.errors().keys().next().cloned() {
            self.form.focus(&first);
        }
    }

    pub fn arrived(
        &mut self,
        result: &Result<orgdeck_shared::Versioned<SecurityDoc>, orgdeck_shared::ApiError>,
        fx: &mut Effects,
    ) {
        let dirty = self.is_dirty();
        if self.state.arrived(result, dirty, fx) == Arrival::Refill {
            self.refill();
        }
    }

    pub fn saved(
        &mut self,
        result: &Result<orgdeck_shared::Versioned<SecurityDoc>, orgdeck_shared::ApiError>,
        fx: &mut Effects,
    ) {
        match self.state.saved(result, fx) {
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

pub const STRENGTH: &str = "strength";
pub const MIN_LENGTH: &str = "min_length";
pub const MIN_UPPER: &str = "min_upper";
pub const MIN_LOWER: &str = "min_lower";
pub const MIN_DIGITS: &str = "min_digits";
pub const MIN_SYMBOLS: &str = "min_symbols";
pub const EXPIRATION: &str = "expiration_days";
/// The fields only a custom policy sets; presets fix them.
pub const CUSTOM_FIELDS: [&str; 6] = [MIN_LENGTH, MIN_UPPER, MIN_LOWER, MIN_DIGITS, MIN_SYMBOLS, EXPIRATION];

fn num(form: &Form, key: &str) -> u32 {
    u32::try_from(form.number(key)).unwrap_or(0)
}

impl Document for PasswordPolicy {
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
    fn specs() -> Vec<FieldSpec> {
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
            FieldSpec::number("history", "History", 0, 24),
            FieldSpec::number("lockout_attempts", "Lockout after", 1, 100),
            FieldSpec::number("lockout_minutes", "Lockout minutes", 0, 10_080),
            FieldSpec::number("inactive_lock_days", "Inactive lock days", 0, 3_650),
            FieldSpec::toggle("block_common", "Block common"),
        ]
    }

    fn fill(&self, form: &mut Form) {
        let i = PasswordStrength::ALL
            .iter()
            .position(|s| *s == self.strength)
            .unwrap_or(0);
        form.set(STRENGTH, FieldValue::Choice(i));
        for (key, v) in [
            (MIN_LENGTH, self.min_length),
            (MIN_UPPER, self.min_upper),
            (MIN_LOWER, self.min_lower),
            (MIN_DIGITS, self.min_digits),
            (MIN_SYMBOLS, self.min_symbols),
            (EXPIRATION, self.expiration_days),
            ("history", self.history),
            ("lockout_attempts", self.lockout_attempts),
            ("lockout_minutes", self.lockout_minutes),
            ("inactive_lock_days", self.inactive_lock_days),
        ] {
            form.set(key, FieldValue::Number(i64::from(v)));
        }
        form.set("block_common", FieldValue::Bool(self.block_common));
    }

    fn read(form: &Form, base: &Self) -> Self {
        let strength = strength_of(form);
        let policy = PasswordPolicy {
            strength,
            min_length: num(form, MIN_LENGTH),
            min_upper: num(form, MIN_UPPER),
            min_lower: num(form, MIN_LOWER),
            min_digits: num(form, MIN_DIGITS),
            min_symbols: num(form, MIN_SYMBOLS),
            expiration_days: num(form, EXPIRATION),
            history: num(form, "history"),
            lockout_attempts: num(form, "lockout_attempts"),
            lockout_minutes: num(form, "lockout_minutes"),
            inactive_lock_days: num(form, "inactive_lock_days"),
            block_common: form.bool("block_common"),
        };
        let _ = base;
        policy.normalized()
    }

    /// A preset shows its fixed length and no class minimums, greyed; only `custom` edits them.
    fn sync(form: &mut Form) {
        let strength = strength_of(form);
        let custom = strength == PasswordStrength::Custom;
        if let Some((min_length, _)) = strength.preset() {
            form.set(MIN_LENGTH, FieldValue::Number(i64::from(min_length)));
            for key in &CUSTOM_FIELDS[1..] {
                form.set(key, FieldValue::Number(0));
            }
        }
        for key in CUSTOM_FIELDS {
            form.set_disabled(key, !custom);
        }
    }
}

pub fn strength_of(form: &Form) -> PasswordStrength {
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

impl Document for SessionSettings {
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

impl FormDocument for SessionSettings {
    fn specs() -> Vec<FieldSpec> {
        vec![
            FieldSpec::number("idle_minutes", "Idle timeout (min)", 5, 1440),
            FieldSpec::number("absolute_minutes", "Absolute timeout (min)", 15, 10_080),
        ]
    }
    fn fill(&self, form: &mut Form) {
        form.set("idle_minutes", FieldValue::Number(i64::from(self.idle_minutes)));
        form.set("absolute_minutes", FieldValue::Number(i64::from(self.absolute_minutes)));
    }
    fn read(form: &Form, _base: &Self) -> Self {
        SessionSettings {
            idle_minutes: num(form, "idle_minutes"),
            absolute_minutes: num(form, "absolute_minutes"),
        }
    }
}

const METHODS: [TwoStepMethod; 2] = [TwoStepMethod::Totp, TwoStepMethod::Email];

impl Document for TwoStepSettings {
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

impl FormDocument for TwoStepSettings {
    fn specs() -> Vec<FieldSpec> {
        vec![
            FieldSpec::toggle("enabled", "Enabled"),
            FieldSpec::toggle("required", "Required for everyone"),
            FieldSpec::multi("methods", "Methods", vec!["totp (app)".into(), "email code".into()]),
        ]
    }
    fn fill(&self, form: &mut Form) {
        form.set("enabled", FieldValue::Bool(self.enabled));
        form.set("required", FieldValue::Bool(self.required));
        form.set(
            "methods",
            FieldValue::Multi(METHODS.iter().map(|m| self.methods.contains(m)).collect()),
        );
    }
    fn read(form: &Form, _base: &Self) -> Self {
        TwoStepSettings {
            enabled: form.bool("enabled"),
            required: form.bool("required"),
            methods: METHODS
                .iter()
                .zip(form.multi("methods"))
                .filter(|(_, on)| *on)
                .map(|(m, _)| *m)
                .collect(),
        }
    }
}

impl Document for IpRestrictions {
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
