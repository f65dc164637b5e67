//! A form built from field descriptors: text (tui-input), number, toggle, choice and multi-choice,
//! with each field's error shown under it. Tabs map their settings documents to and from its values.

use std::collections::BTreeMap;

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

/// One field: its wire name (which field errors name), label and kind.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
}

impl FieldSpec {
    pub fn text(key: &'static str, label: &'static str, max_chars: Option<usize>) -> Self {
        FieldSpec {
            key,
            label,
            kind: FieldKind::Text {
                max_chars,
                masked: false,
            },
        }
    }
    /// A text field drawn as `•••` (a password).
    pub fn secret(key: &'static str, label: &'static str, max_chars: Option<usize>) -> Self {
        FieldSpec {
            key,
            label,
            kind: FieldKind::Text {
                max_chars,
                masked: true,
            },
        }
    }
    pub fn number(key: &'static str, label: &'static str, min: i64, max: i64) -> Self {
        FieldSpec {
            key,
            label,
            kind: FieldKind::Number { min, max },
        }
    }
    pub fn toggle(key: &'static str, label: &'static str) -> Self {
        FieldSpec {
            key,
            label,
            kind: FieldKind::Toggle,
        }
    }
    pub fn choice(key: &'static str, label: &'static str, options: Vec<String>) -> Self {
        FieldSpec {
            key,
            label,
            kind: FieldKind::Choice(options),
        }
    }
    pub fn multi(key: &'static str, label: &'static str, options: Vec<String>) -> Self {
        FieldSpec {
            key,
            label,
            kind: FieldKind::MultiChoice(options),
        }
    }

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
struct Field {
    spec: FieldSpec,
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
    /// A value changed (a keystroke in the field being edited counts).
    Changed(&'static str),
}

#[derive(Debug, Clone)]
pub struct Form {
    fields: Vec<Field>,
    focus: usize,
    editing: Option<Input>,
    errors: BTreeMap<String, String>,
    read_only: bool,
}

impl Form {
    pub fn new(specs: Vec<FieldSpec>) -> Form {
        let fields = specs
            .into_iter()
            .map(|spec| Field {
                value: spec.empty_value(),
                spec,
                option: 0,
                disabled: false,
            })
            .collect();
        Form {
            fields,
            focus: 0,
            editing: None,
            errors: BTreeMap::new(),
            read_only: false,
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
    pub fn set_disabled(&mut self, key: &str, disabled: bool) {
        let i = self.index(key);
        self.fields[i].disabled = disabled;
        if disabled && self.focus == i {
            self.editing = None;
        }
    }

    pub fn is_disabled(&self, key: &str) -> bool {
        self.fields[self.index(key)].disabled
    }

    fn index(&self, key: &str) -> usize {
        self.fields
            .iter()
            .position(|f| f.spec.key == key)
            .unwrap_or_else(|| panic!("form has no field {key}"))
    }

    pub fn set(&mut self, key: &str, value: FieldValue) {
        let i = self.index(key);
        self.fields[i].value = value;
        if self.focus == i {
            self.editing = None;
        }
    }

    /// The value of a field; for the field being edited, what is typed so far.
    pub fn value(&self, key: &str) -> FieldValue {
        let i = self.index(key);
        match (&self.editing, &self.fields[i].spec.kind) {
            (Some(input), FieldKind::Text { .. }) if i == self.focus => FieldValue::Text(input.value().to_owned()),
            (Some(input), FieldKind::Number { .. }) if i == self.focus => input
                .value()
                .trim()
                .parse()
                .map(FieldValue::Number)
                .unwrap_or(self.fields[i].value.clone()),
            _ => self.fields[i].value.clone(),
        }
    }

    pub fn text(&self, key: &str) -> String {
        match self.value(key) {
            FieldValue::Text(s) => s,
            FieldValue::Number(n) => n.to_string(),
            other => panic!("{key} is not a text field: {other:?}"),
        }
    }

    pub fn number(&self, key: &str) -> i64 {
        match self.value(key) {
            FieldValue::Number(n) => n,
            other => panic!("{key} is not a number field: {other:?}"),
        }
    }

    pub fn bool(&self, key: &str) -> bool {
        matches!(self.value(key), FieldValue::Bool(true))
    }

    pub fn choice(&self, key: &str) -> usize {
        match self.value(key) {
            FieldValue::Choice(i) => i,
            other => panic!("{key} is not a choice field: {other:?}"),
        }
    }

    pub fn multi(&self, key: &str) -> Vec<bool> {
        match self.value(key) {
            FieldValue::Multi(v) => v,
            other => panic!("{key} is not a multi-choice field: {other:?}"),
        }
    }

    /// Replaces the options of a choice or multi-choice field (a list loaded later), keeping what fits.
    pub fn set_options(&mut self, key: &str, options: Vec<String>) {
        let i = self.index(key);
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

    pub fn focused_key(&self) -> &'static str {
        self.fields[self.focus].spec.key
    }

    pub fn focus(&mut self, key: &str) {
        self.editing = None;
        self.focus = self.index(key);
    }

    pub fn is_editing(&self) -> bool {
        self.editing.is_some()
    }

    /// Replaces every inline error.
    pub fn set_errors(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.errors.clear();
        for e in errors {
            // Errors on `list[2].x` show under the field `list`.
            let key = e.field.split(['[', '.']).next().unwrap_or(&e.field).to_owned();
            self.errors.entry(key).or_insert(e.message);
        }
    }

    pub fn error(&self, key: &str) -> Option<&str> {
        self.errors.get(key).map(String::as_str)
    }

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
        let key = field.spec.key;
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
                FormEvent::Changed(key)
            }
            (FieldKind::Toggle, FieldValue::Bool(b)) => {
                *b = !*b;
                FormEvent::Changed(key)
            }
            (FieldKind::Choice(options), FieldValue::Choice(i)) if !options.is_empty() => {
                let len = options.len();
                *i = if action == Action::Left {
                    (*i + len - 1) % len
                } else {
                    (*i + 1) % len
                };
                FormEvent::Changed(key)
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
                    FormEvent::Changed(key)
                }
            },
            _ => FormEvent::Ignored,
        }
    }

    /// A key while a text or number field is being edited: `commit` ends the edit keeping the text,
    /// `cancel` restores the value from before the edit, anything else edits the text.
    pub fn handle_edit_key(&mut self, key: &KeyEvent, commit: bool, cancel: bool) -> FormEvent {
        let Some(input) = self.editing.as_mut() else {
            return FormEvent::Ignored;
        };
        let field_key = self.fields[self.focus].spec.key;
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
            FormEvent::Changed(field_key)
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
        let key = field.spec.key;
        match (&field.spec.kind, &mut field.value) {
            (FieldKind::Number { min, max }, FieldValue::Number(v)) => match input.value().trim().parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => *v = n,
                _ => {
                    let message = format!("enter a whole number from {min} to {max}");
                    self.errors.insert(key.to_owned(), message);
                    self.editing = Some(input);
                    return FormEvent::Ignored;
                }
            },
            (_, FieldValue::Text(s)) => *s = input.value().to_owned(),
            _ => {}
        }
        FormEvent::Changed(key)
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
            .filter_map(|f| self.errors.get(f.spec.key))
            .map(|e| self.error_lines(e, width).len())
            .sum();
        (self.fields.len() + errors) as u16
    }

    /// Draws the form; `active` shows the focus (a `>` marker and reverse video on the label).
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme, active: bool) {
        let label_width = self.label_width();
        let mut y = area.y;
        for (i, field) in self.fields.iter().enumerate() {
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
                spans.extend(self.value_spans(field, focused, theme));
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), Rect::new(area.x, y, area.width, 1));
            y += 1;
            if let Some(error) = self.errors.get(field.spec.key) {
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

    fn value_spans(&self, field: &Field, focused: bool, theme: &Theme) -> Vec<Span<'static>> {
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

#[cfg(test)]
mod tests;
