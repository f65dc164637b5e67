//! A typed form: text (tui-input), number, toggle, choice and multi-choice fields, with each field's
//! error shown under it. Tabs map their settings documents to and from its values.
//!
//! `Form<F>` is the form named by the marker type `F` (the document it edits, such as `PasswordPolicy`,
//! or a marker of the tab's own). Each field is a [`Field<F, K>`]: a `const` handle holding its wire name
//! (the document's field, which the server's field errors name) and bound to its form and its kind, one of
//! [`Text`], [`Number`], [`Toggle`], [`Choice`] or [`Multi`]. Tabs declare their handles beside the form
//! (`pub const MIN_LENGTH: Number<PasswordPolicy> = Number::new("min_length");`), build the form from
//! [`FieldSpec`]s made of them, and read and write values through them (`form.number(MIN_LENGTH)`,
//! `form.set_text(NAME, ..)`): a misspelt field, a field of another form or of another kind does not
//! compile. The one failure left at run time is a handle that was never added to its form's specs; its
//! panic names the field and the form, and each form's unit test touches every handle it declares.

use std::{any::type_name, collections::BTreeMap, fmt, marker::PhantomData};

use crossterm::event::{Event, KeyCode, KeyEvent};
use orgdeck_shared::FieldError;
use ratatui::{
    Frame,
    layout::{Position, Rect},
    text::{Line, Span},
    widgets::Paragraph,
};
use tui_input::{Input, backend::crossterm::to_input_request};

use super::wrap;
use crate::{keymap::Action, theme::Theme};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    /// `masked` draws `•` for each character (passwords).
    Text {
        max_chars: Option<usize>,
        masked: bool,
    },
    Number {
        min: i64,
        max: i64,
    },
    Toggle,
    Choice(Vec<String>),
    MultiChoice(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(String),
    Number(i64),
    Bool(bool),
    Choice(usize),
    Multi(Vec<bool>),
}

/// The kinds of field, as types: what a handle reads and writes.
pub mod kind {
    use super::{FieldKind, FieldValue};

    /// A kind of field: which [`FieldKind`]s it is and the value it reads.
    pub trait Kind {
        /// The kind in words, for the message of a missing field.
        const NAME: &'static str;
        type Value;
        fn fits(kind: &FieldKind) -> bool;
        fn read(value: FieldValue) -> Option<Self::Value>;
    }

    /// A kind whose options can be replaced (choice and multi-choice).
    pub trait HasOptions: Kind {}

    pub enum Text {}
    pub enum Number {}
    pub enum Toggle {}
    pub enum Choice {}
    pub enum Multi {}

    impl Kind for Text {
        const NAME: &'static str = "text";
        type Value = String;
        fn fits(kind: &FieldKind) -> bool {
            matches!(kind, FieldKind::Text { .. })
        }
        fn read(value: FieldValue) -> Option<String> {
            match value {
                FieldValue::Text(s) => Some(s),
                _ => None,
            }
        }
    }

    impl Kind for Number {
        const NAME: &'static str = "number";
        type Value = i64;
        fn fits(kind: &FieldKind) -> bool {
            matches!(kind, FieldKind::Number { .. })
        }
        fn read(value: FieldValue) -> Option<i64> {
            match value {
                FieldValue::Number(n) => Some(n),
                _ => None,
            }
        }
    }

    impl Kind for Toggle {
        const NAME: &'static str = "toggle";
        type Value = bool;
        fn fits(kind: &FieldKind) -> bool {
            matches!(kind, FieldKind::Toggle)
        }
        fn read(value: FieldValue) -> Option<bool> {
            match value {
                FieldValue::Bool(b) => Some(b),
                _ => None,
            }
        }
    }

    impl Kind for Choice {
        const NAME: &'static str = "choice";
        type Value = usize;
        fn fits(kind: &FieldKind) -> bool {
            matches!(kind, FieldKind::Choice(_))
        }
        fn read(value: FieldValue) -> Option<usize> {
            match value {
                FieldValue::Choice(i) => Some(i),
                _ => None,
            }
        }
    }

    impl Kind for Multi {
        const NAME: &'static str = "multi-choice";
        type Value = Vec<bool>;
        fn fits(kind: &FieldKind) -> bool {
            matches!(kind, FieldKind::MultiChoice(_))
        }
        fn read(value: FieldValue) -> Option<Vec<bool>> {
            match value {
                FieldValue::Multi(v) => Some(v),
                _ => None,
            }
        }
    }

    impl HasOptions for Choice {}
    impl HasOptions for Multi {}
}

use kind::{HasOptions, Kind};

/// A field of the form `F` whose value is of kind `K`, named by its wire name.
pub struct Field<F, K> {
    name: &'static str,
    // `fn() -> _`: a handle is Copy, Send and Sync whatever the marker types are.
    marker: PhantomData<fn() -> (F, K)>,
}

/// A text field (also a secret one): a `String`.
pub type Text<F> = Field<F, kind::Text>;
/// A whole number between the bounds of its spec: an `i64`.
pub type Number<F> = Field<F, kind::Number>;
/// On or off: a `bool`.
pub type Toggle<F> = Field<F, kind::Toggle>;
/// One of a list of options: its index.
pub type Choice<F> = Field<F, kind::Choice>;
/// Any of a list of options: one `bool` per option.
pub type Multi<F> = Field<F, kind::Multi>;

impl<F, K> Field<F, K> {
    /// A field of the form `F` named `name` on the wire.
    pub const fn new(name: &'static str) -> Self {
        Field {
            name,
            marker: PhantomData,
        }
    }

    /// The wire name: the document's field, which the server's field errors name.
    pub const fn name(self) -> &'static str {
        self.name
    }
}

impl<F, K> Clone for Field<F, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F, K> Copy for Field<F, K> {}

impl<F, K> PartialEq for Field<F, K> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl<F, K> Eq for Field<F, K> {}

impl<F, K: Kind> fmt::Debug for Field<F, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} field {} of {}", K::NAME, self.name, type_name::<F>())
    }
}

/// One field of the form `F`: its handle (whose wire name field errors use), label and kind.
pub struct FieldSpec<F> {
    spec: Spec,
    form: PhantomData<fn() -> F>,
}

#[derive(Debug, Clone)]
struct Spec {
    name: &'static str,
    label: &'static str,
    kind: FieldKind,
}

impl<F> FieldSpec<F> {
    fn of<K>(field: Field<F, K>, label: &'static str, kind: FieldKind) -> Self {
        FieldSpec {
            spec: Spec {
                name: field.name,
                label,
                kind,
            },
            form: PhantomData,
        }
    }

    pub fn text(field: Text<F>, label: &'static str, max_chars: Option<usize>) -> Self {
        Self::of(
            field,
            label,
            FieldKind::Text {
                max_chars,
                masked: false,
            },
        )
    }
    /// A text field drawn as `•••` (a password).
    pub fn secret(field: Text<F>, label: &'static str, max_chars: Option<usize>) -> Self {
        Self::of(
            field,
            label,
            FieldKind::Text {
                max_chars,
                masked: true,
            },
        )
    }
    pub fn number(field: Number<F>, label: &'static str, min: i64, max: i64) -> Self {
        Self::of(field, label, FieldKind::Number { min, max })
    }
    pub fn toggle(field: Toggle<F>, label: &'static str) -> Self {
        Self::of(field, label, FieldKind::Toggle)
    }
    pub fn choice(field: Choice<F>, label: &'static str, options: Vec<String>) -> Self {
        Self::of(field, label, FieldKind::Choice(options))
    }
    pub fn multi(field: Multi<F>, label: &'static str, options: Vec<String>) -> Self {
        Self::of(field, label, FieldKind::MultiChoice(options))
    }
}

impl Spec {
    fn empty_value(&self) -> FieldValue {
        match &self.kind {
            FieldKind::Text { .. } => FieldValue::Text(String::new()),
            FieldKind::Number { min, .. } => FieldValue::Number(*min),
            FieldKind::Toggle => FieldValue::Bool(false),
            FieldKind::Choice(_) => FieldValue::Choice(0),
            FieldKind::MultiChoice(o) => FieldValue::Multi(vec![false; o.len()]),
        }
    }
}

#[derive(Debug, Clone)]
struct Slot {
    spec: Spec,
    value: FieldValue,
    /// The option under the cursor of a multi-choice.
    option: usize,
    /// Shown (muted) but not editable: a value another field decides.
    disabled: bool,
}

/// What a key did to the form, so the owner knows whether to revalidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    Ignored,
    Moved,
    EditStarted,
    EditCancelled,
    /// A value changed (a keystroke in the field being edited counts): the wire name of its field.
    Changed(&'static str),
}

/// What a raw key did while a field is being edited ([`Form::edit_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKey {
    /// The save key (never a typed character): the owner saves (the edit is committed by its save).
    Save,
    Edit(FormEvent),
}

/// The form named by the marker type `F`; its fields are the [`Field<F, _>`](Field) handles of its specs.
pub struct Form<F> {
    fields: Vec<Slot>,
    focus: usize,
    editing: Option<Input>,
    errors: BTreeMap<String, String>,
    read_only: bool,
    form: PhantomData<fn() -> F>,
}

impl<F> Clone for Form<F> {
    fn clone(&self) -> Self {
        Form {
            fields: self.fields.clone(),
            focus: self.focus,
            editing: self.editing.clone(),
            errors: self.errors.clone(),
            read_only: self.read_only,
            form: PhantomData,
        }
    }
}

impl<F> fmt::Debug for Form<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("form", &type_name::<F>())
            .field("fields", &self.fields)
            .field("focus", &self.focus)
            .field("editing", &self.editing)
            .field("errors", &self.errors)
            .field("read_only", &self.read_only)
            .finish()
    }
}

impl<F> Form<F> {
    pub fn new(specs: Vec<FieldSpec<F>>) -> Form<F> {
        let fields: Vec<Slot> = specs
            .into_iter()
            .map(|FieldSpec { spec, .. }| Slot {
                value: spec.empty_value(),
                spec,
                option: 0,
                disabled: false,
            })
            .collect();
        for (i, slot) in fields.iter().enumerate() {
            debug_assert!(
                fields[..i].iter().all(|f| f.spec.name != slot.spec.name),
                "the form {} has two fields named {}",
                type_name::<F>(),
                slot.spec.name
            );
        }
        Form {
            fields,
            focus: 0,
            editing: None,
            errors: BTreeMap::new(),
            read_only: false,
            form: PhantomData,
        }
    }

    /// A read-only form shows its values and lets the cursor move, but never edits.
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
        if read_only {
            self.editing = None;
        }
    }

    /// Disables (or enables) a field: it still shows its value, muted, but keys do not change it.
    pub fn set_disabled<K: Kind>(&mut self, field: Field<F, K>, disabled: bool) {
        let i = self.index(field);
        self.fields[i].disabled = disabled;
        if disabled && self.focus == i {
            self.editing = None;
        }
    }

    pub fn is_disabled<K: Kind>(&self, field: Field<F, K>) -> bool {
        self.fields[self.index(field)].disabled
    }

    /// Whether `field` is one of this form's fields (a form may leave one out, as editing a user leaves
    /// out the password).
    pub fn has<K: Kind>(&self, field: Field<F, K>) -> bool {
        self.position(field).is_some()
    }

    fn position<K: Kind>(&self, field: Field<F, K>) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.spec.name == field.name && K::fits(&f.spec.kind))
    }

    /// Where `field` is. Its handle is typed, so the only way to miss is a handle left out of the specs.
    fn index<K: Kind>(&self, field: Field<F, K>) -> usize {
        self.position(field).unwrap_or_else(|| {
            panic!(
                "the form {} has no {} field {}: add it to the form's specs",
                type_name::<F>(),
                K::NAME,
                field.name
            )
        })
    }

    /// Panics, naming the field and the form, unless `field` is one of the form's fields.
    #[cfg(test)]
    pub(crate) fn assert_has<K: Kind>(&self, field: Field<F, K>) {
        self.index(field);
    }

    /// Panics unless every field's wire name is a field of `doc` as it travels (so the server's field
    /// errors, and the shared validation's, show under it).
    #[cfg(test)]
    pub(crate) fn assert_names_fields_of(&self, doc: &impl serde::Serialize) {
        let json = serde_json::to_value(doc).expect("a document serializes");
        for f in &self.fields {
            // A field may name a path into the document (`syslog.host`).
            let found = f.spec.name.split('.').try_fold(&json, |v, key| v.get(key)).is_some();
            assert!(
                found,
                "the field {} of the form {} is not a field of {json}",
                f.spec.name,
                type_name::<F>()
            );
        }
    }

    fn put<K: Kind>(&mut self, field: Field<F, K>, value: FieldValue) {
        let i = self.index(field);
        self.fields[i].value = value;
        if self.focus == i {
            self.editing = None;
        }
    }

    /// The value of a field; for the field being edited, what is typed so far.
    fn get<K: Kind>(&self, field: Field<F, K>) -> K::Value {
        let i = self.index(field);
        let value = match (&self.editing, &self.fields[i].spec.kind) {
            (Some(input), FieldKind::Text { .. }) if i == self.focus => FieldValue::Text(input.value().to_owned()),
            (Some(input), FieldKind::Number { .. }) if i == self.focus => input
                .value()
                .trim()
                .parse()
                .map(FieldValue::Number)
                .unwrap_or(self.fields[i].value.clone()),
            _ => self.fields[i].value.clone(),
        };
        K::read(value).expect("a field holds a value of its kind")
    }

    pub fn text(&self, field: Text<F>) -> String {
        self.get(field)
    }

    pub fn set_text(&mut self, field: Text<F>, text: impl Into<String>) {
        self.put(field, FieldValue::Text(text.into()));
    }

    pub fn number(&self, field: Number<F>) -> i64 {
        self.get(field)
    }

    pub fn set_number(&mut self, field: Number<F>, n: i64) {
        self.put(field, FieldValue::Number(n));
    }

    pub fn bool(&self, field: Toggle<F>) -> bool {
        self.get(field)
    }

    pub fn set_bool(&mut self, field: Toggle<F>, on: bool) {
        self.put(field, FieldValue::Bool(on));
    }

    /// The index of the chosen option.
    pub fn choice(&self, field: Choice<F>) -> usize {
        self.get(field)
    }

    pub fn set_choice(&mut self, field: Choice<F>, index: usize) {
        self.put(field, FieldValue::Choice(index));
    }

    /// Whether each option is checked.
    pub fn multi(&self, field: Multi<F>) -> Vec<bool> {
        self.get(field)
    }

    pub fn set_multi(&mut self, field: Multi<F>, checked: Vec<bool>) {
        self.put(field, FieldValue::Multi(checked));
    }

    /// Replaces the options of a choice or multi-choice field (a list loaded later), keeping what fits.
    pub fn set_options<K: HasOptions>(&mut self, field: Field<F, K>, options: Vec<String>) {
        let i = self.index(field);
        let field = &mut self.fields[i];
        match (&mut field.spec.kind, &mut field.value) {
            (FieldKind::Choice(o), FieldValue::Choice(v)) => {
                *v = (*v).min(options.len().saturating_sub(1));
                *o = options;
            }
            (FieldKind::MultiChoice(o), FieldValue::Multi(v)) => {
                v.resize(options.len(), false);
                *o = options;
                field.option = field.option.min(o.len().saturating_sub(1));
            }
            _ => {}
        }
    }

    /// Starts editing the focused text field, as Enter would.
    pub fn start_edit(&mut self) -> FormEvent {
        self.change_focused(Action::Activate)
    }

    /// The wire name of the focused field.
    pub fn focused_name(&self) -> &'static str {
        self.fields[self.focus].spec.name
    }

    /// Where the form shows the field of wire name `name`: its place and label (the conflict view of a
    /// save orders and names fields by it).
    pub fn labels(&self) -> impl Fn(&str) -> Option<(usize, String)> + '_ {
        |name: &str| {
            let i = self.field_at(name)?;
            Some((i, self.fields[i].spec.label.trim().to_owned()))
        }
    }

    /// The field a wire path names: the field of that name, or the one the path is within (`rules[0].ip`
    /// is in `rules`); a field may be named by a path itself (`syslog.host`), the longest one wins.
    fn field_at(&self, path: &str) -> Option<usize> {
        let within = |name: &str| {
            path == name
                || path
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        };
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| within(f.spec.name))
            .max_by_key(|(_, f)| f.spec.name.len())
            .map(|(i, _)| i)
    }

    pub fn focus<K: Kind>(&mut self, field: Field<F, K>) {
        self.editing = None;
        self.focus = self.index(field);
    }

    /// Focuses the field an error names by its wire name (`list[2].x` names `list`), as the error shows
    /// under it; `false` when no field has that name (an error about the document as a whole).
    pub fn focus_named(&mut self, name: &str) -> bool {
        match self.field_at(name) {
            Some(i) => {
                self.editing = None;
                self.focus = i;
                true
            }
            None => false,
        }
    }

    pub fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    /// Replaces every inline error.
    pub fn set_errors(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.errors.clear();
        for e in errors {
            let name = match self.field_at(&e.field) {
                Some(i) => self.fields[i].spec.name,
                None => error_field(&e.field),
            }
            .to_owned();
            self.errors.entry(name).or_insert(e.message);
        }
    }

    pub fn error<K: Kind>(&self, field: Field<F, K>) -> Option<&str> {
        self.errors.get(field.name).map(String::as_str)
    }

    /// Every inline error by the wire name of its field.
    pub fn errors(&self) -> &BTreeMap<String, String> {
        &self.errors
    }

    /// A semantic action while no field is being edited.
    pub fn handle_action(&mut self, action: Action) -> FormEvent {
        let n = self.fields.len();
        match action {
            Action::Up if self.focus > 0 => {
                self.focus -= 1;
                FormEvent::Moved
            }
            Action::Down if self.focus + 1 < n => {
                self.focus += 1;
                FormEvent::Moved
            }
            Action::Left | Action::Right | Action::Activate if !self.read_only && !self.fields[self.focus].disabled => {
                self.change_focused(action)
            }
            _ => FormEvent::Ignored,
        }
    }

    fn change_focused(&mut self, action: Action) -> FormEvent {
        let field = &mut self.fields[self.focus];
        let name = field.spec.name;
        match (&field.spec.kind, &mut field.value) {
            (FieldKind::Text { .. }, FieldValue::Text(s)) if action == Action::Activate => {
                self.editing = Some(Input::new(s.clone()));
                FormEvent::EditStarted
            }
            (FieldKind::Number { .. }, FieldValue::Number(v)) if action == Action::Activate => {
                self.editing = Some(Input::new(v.to_string()));
                FormEvent::EditStarted
            }
            (FieldKind::Number { min, max }, FieldValue::Number(v)) => {
                let next = if action == Action::Left { *v - 1 } else { *v + 1 };
                *v = next.clamp(*min, *max);
                FormEvent::Changed(name)
            }
            (FieldKind::Toggle, FieldValue::Bool(b)) => {
                *b = !*b;
                FormEvent::Changed(name)
            }
            (FieldKind::Choice(options), FieldValue::Choice(i)) if !options.is_empty() => {
                let len = options.len();
                *i = if action == Action::Left {
                    (*i + len - 1) % len
                } else {
                    (*i + 1) % len
                };
                FormEvent::Changed(name)
            }
            (FieldKind::MultiChoice(options), FieldValue::Multi(checked)) if !options.is_empty() => match action {
                Action::Left => {
                    field.option = field.option.saturating_sub(1);
                    FormEvent::Moved
                }
                Action::Right => {
                    field.option = (field.option + 1).min(options.len() - 1);
                    FormEvent::Moved
                }
                _ => {
                    let o = field.option.min(checked.len().saturating_sub(1));
                    checked[o] = !checked[o];
                    FormEvent::Changed(name)
                }
            },
            _ => FormEvent::Ignored,
        }
    }

    /// A raw key while a field is being edited, read through the keymap: the save key (not a character
    /// typed), or an edit (`Activate` commits it, `Cancel` restores the value from before it).
    pub fn edit_key(&mut self, key: &KeyEvent, keymap: &crate::keymap::Keymap) -> EditKey {
        let is_char =
            matches!(key.code, KeyCode::Char(_)) && !key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL);
        if !is_char && keymap.is(key, Action::Save) {
            return EditKey::Save;
        }
        let commit = !is_char && keymap.is(key, Action::Activate);
        let cancel = !is_char && keymap.is(key, Action::Cancel);
        EditKey::Edit(self.handle_edit_key(key, commit, cancel))
    }

    /// A key while a text or number field is being edited: `commit` ends the edit keeping the text,
    /// `cancel` restores the value from before the edit, anything else edits the text.
    pub fn handle_edit_key(&mut self, key: &KeyEvent, commit: bool, cancel: bool) -> FormEvent {
        let Some(input) = self.editing.as_mut() else {
            return FormEvent::Ignored;
        };
        let name = self.fields[self.focus].spec.name;
        if cancel {
            self.editing = None;
            return FormEvent::EditCancelled;
        }
        if commit {
            return self.commit_edit();
        }
        if matches!(key.code, KeyCode::Up | KeyCode::Down) {
            let event = self.commit_edit();
            if event != FormEvent::Ignored {
                self.handle_action(if key.code == KeyCode::Up {
                    Action::Up
                } else {
                    Action::Down
                });
            }
            return event;
        }
        let before = input.value().to_owned();
        if let Some(req) = to_input_request(&Event::Key(*key)) {
            input.handle(req);
        }
        if let FieldKind::Text {
            max_chars: Some(max), ..
        } = self.fields[self.focus].spec.kind
        {
            // Typing past the limit is allowed up to one character, so the inline error can say why.
            if input.value().chars().count() > max + 1 {
                *input = Input::new(before.clone());
            }
        }
        if input.value() != before {
            FormEvent::Changed(name)
        } else {
            FormEvent::Ignored
        }
    }

    /// Ends the edit, keeping the text. A number that does not parse keeps the edit open.
    pub fn commit_edit(&mut self) -> FormEvent {
        let Some(input) = self.editing.take() else {
            return FormEvent::Ignored;
        };
        let field = &mut self.fields[self.focus];
        let name = field.spec.name;
        match (&field.spec.kind, &mut field.value) {
            (FieldKind::Number { min, max }, FieldValue::Number(v)) => match input.value().trim().parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => *v = n,
                _ => {
                    let message = format!("enter a whole number from {min} to {max}");
                    self.errors.insert(name.to_owned(), message);
                    self.editing = Some(input);
                    return FormEvent::Ignored;
                }
            },
            (_, FieldValue::Text(s)) => *s = input.value().to_owned(),
            _ => {}
        }
        FormEvent::Changed(name)
    }

    fn label_width(&self) -> u16 {
        self.fields
            .iter()
            .map(|f| f.spec.label.chars().count())
            .max()
            .unwrap_or(0) as u16
            + 1
    }

    /// An error wrapped to the room right of the labels.
    fn error_lines(&self, error: &str, width: u16) -> Vec<String> {
        let room = width.saturating_sub(2 + self.label_width() + 2).max(10) as usize;
        wrap(error, room)
    }

    /// Rows the form takes at a width: one per field plus the lines of each shown error.
    pub fn height(&self, width: u16) -> u16 {
        let errors: usize = self
            .fields
            .iter()
            .filter_map(|f| self.errors.get(f.spec.name))
            .map(|e| self.error_lines(e, width).len())
            .sum();
        (self.fields.len() + errors) as u16
    }

    /// The first field drawn in `area`: 0 when the form fits, else the one that puts the focused field
    /// (and its error) on the last rows, so a long form scrolls with its focus.
    fn first_shown(&self, area: Rect) -> usize {
        if self.height(area.width) <= area.height || self.fields.is_empty() {
            return 0;
        }
        let rows = |i: usize| {
            1 + self
                .errors
                .get(self.fields[i].spec.name)
                .map_or(0, |e| self.error_lines(e, area.width).len())
        };
        let focus = self.focus.min(self.fields.len() - 1);
        let mut first = focus;
        let mut used = rows(focus);
        while first > 0 && used + rows(first - 1) <= area.height as usize {
            first -= 1;
            used += rows(first);
        }
        first
    }

    /// Draws the form; `active` shows the focus (a `>` marker and reverse video on the label).
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, active: bool) {
        let label_width = self.label_width();
        let mut y = area.y;
        let first = self.first_shown(area);
        for (i, field) in self.fields.iter().enumerate().skip(first) {
            if y >= area.bottom() {
                break;
            }
            let focused = active && i == self.focus;
            let marker = if focused { "> " } else { "  " };
            let label_style = if focused {
                theme.selected
            } else if field.disabled {
                theme.muted
            } else {
                theme.label
            };
            let label = format!("{:<width$}", field.spec.label, width = label_width as usize - 1);
            let mut spans = vec![
                Span::styled(marker, theme.key),
                Span::styled(label, label_style),
                Span::raw(" "),
            ];
            let value_x = area.x + 2 + label_width;
            let value_width = area.right().saturating_sub(value_x);
            let editing = focused && self.editing.is_some();
            if editing {
                let input = self.editing.as_ref().expect("editing");
                let scroll = input.visual_scroll(value_width.saturating_sub(1) as usize);
                let shown: String = if matches!(field.spec.kind, FieldKind::Text { masked: true, .. }) {
                    "•".repeat(input.value().chars().count().saturating_sub(scroll))
                } else {
                    input.value().chars().skip(scroll).collect()
                };
                spans.push(Span::styled(shown, theme.editing));
                let cursor_x = value_x + (input.visual_cursor().saturating_sub(scroll)) as u16;
                frame.set_cursor_position(Position::new(cursor_x.min(area.right().saturating_sub(1)), y));
            } else if field.disabled {
                let text: String = self
                    .value_spans(field, false, theme)
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect();
                spans.push(Span::styled(text, theme.muted));
            } else {
                spans.extend(super::window(
                    self.value_spans(field, focused, theme),
                    value_width,
                    field.option * 2,
                ));
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), Rect::new(area.x, y, area.width, 1));
            y += 1;
            if let Some(error) = self.errors.get(field.spec.name) {
                for (n, text) in self.error_lines(error, area.width).into_iter().enumerate() {
                    if y >= area.bottom() {
                        break;
                    }
                    let mark = if n == 0 { "! " } else { "  " };
                    let line = Line::from(vec![
                        Span::raw(" ".repeat(value_x.saturating_sub(area.x) as usize)),
                        Span::styled(format!("{mark}{text}"), theme.error),
                    ]);
                    frame.render_widget(Paragraph::new(line), Rect::new(area.x, y, area.width, 1));
                    y += 1;
                }
            }
        }
    }

    fn value_spans(&self, field: &Slot, focused: bool, theme: &Theme) -> Vec<Span<'static>> {
        match (&field.spec.kind, &field.value) {
            (FieldKind::Text { .. }, FieldValue::Text(s)) if s.is_empty() => vec![Span::styled("(empty)", theme.muted)],
            (FieldKind::Text { masked: true, .. }, FieldValue::Text(s)) => {
                vec![Span::styled("•".repeat(s.chars().count()), theme.value)]
            }
            (_, FieldValue::Text(s)) => vec![Span::styled(s.clone(), theme.value)],
            (_, FieldValue::Number(n)) => vec![Span::styled(n.to_string(), theme.value)],
            (_, FieldValue::Bool(b)) => {
                vec![Span::styled(if *b { "[x] on" } else { "[ ] off" }, theme.value)]
            }
            (FieldKind::Choice(options), FieldValue::Choice(i)) => {
                let name = options.get(*i).cloned().unwrap_or_default();
                vec![
                    Span::styled(format!("◂ {name} ▸"), theme.value),
                    Span::styled(format!("  {}/{}", i + 1, options.len()), theme.muted),
                ]
            }
            (FieldKind::MultiChoice(options), FieldValue::Multi(_)) if options.is_empty() => {
                vec![Span::styled("(none to choose from)", theme.muted)]
            }
            (FieldKind::MultiChoice(options), FieldValue::Multi(checked)) => {
                let mut spans = Vec::new();
                for (o, name) in options.iter().enumerate() {
                    let mark = if checked.get(o).copied().unwrap_or(false) {
                        "[x]"
                    } else {
                        "[ ]"
                    };
                    let style = if focused && o == field.option {
                        theme.selected
                    } else {
                        theme.value
                    };
                    if o > 0 {
                        spans.push(Span::raw(" "));
                    }
                    spans.push(Span::styled(format!("{mark} {name}"), style));
                }
                spans
            }
            _ => Vec::new(),
        }
    }
}

/// The field an error shows under: errors on `list[2].x` show under the field `list`.
fn error_field(name: &str) -> &str {
    name.split(['[', '.']).next().unwrap_or(name)
}

#[cfg(test)]
mod tests;
