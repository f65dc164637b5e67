//! The group editor: a name, access rows (all applications or a picked list, with a role) and members
//! (picked with fuzzy search). Errors of the shared validation show under what they name.

use std::collections::BTreeSet;

use orgdeck_shared::{
    FieldError,
    groups::{AppAccess, AppRole, AppSelection, GROUP_NAME_MAX, Group, GroupInput},
};
use uuid::Uuid;

use super::picker::{Picker, PickerKind};
use crate::{
    keymap::Action,
    widgets::{FieldSpec, Form, FormEvent, form::Text},
};

/// The form of the group's name, the one text field of the editor.
pub enum GroupFields {}

pub const NAME: Text<GroupFields> = Text::new("name");

/// Where the editor's cursor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Name,
    Row(usize),
    AddRow,
    Members,
}

pub struct GroupEditor {
    /// The group as read; `None` creates one.
    pub original: Option<Group>,
    pub name: Form<GroupFields>,
    pub rows: Vec<AppAccess>,
    pub members: Vec<Uuid>,
    pub focus: Focus,
    pub picker: Option<Picker>,
    pub stale: bool,
    pub saving: bool,
    pub errors: Vec<FieldError>,
}

/// What the editor wants from the tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorEvent {
    None,
    /// Open the picker of this kind (the tab fills it).
    Pick(PickerKind),
}

impl GroupEditor {
    pub fn new(group: Option<&Group>) -> GroupEditor {
        let mut name = Form::new(vec![FieldSpec::text(NAME, "Name", Some(GROUP_NAME_MAX))]);
        if let Some(g) = group {
            name.set_text(NAME, g.name.clone());
        }
        GroupEditor {
            original: group.cloned(),
            name,
            rows: group.map(|g| g.app_access.clone()).unwrap_or_default(),
            members: group.map(|g| g.members.clone()).unwrap_or_default(),
            focus: Focus::Name,
            picker: None,
            stale: false,
            saving: false,
            errors: Vec::new(),
        }
    }

    pub fn input(&self) -> GroupInput {
        GroupInput {
            name: self.name.text(NAME).trim().to_owned(),
            app_access: self.rows.clone(),
            members: self.members.clone(),
        }
    }

    pub fn is_dirty(&self) -> bool {
        match &self.original {
            None => {
                let i = self.input();
                !i.name.is_empty() || !i.app_access.is_empty() || !i.members.is_empty()
            }
            Some(g) => {
                let i = self.input();
                let mut a = g.members.clone();
                a.sort();
                let mut b = i.members.clone();
                b.sort();
                i.name != g.name || i.app_access != g.app_access || a != b
            }
        }
    }

    pub fn revalidate(&mut self) {
        self.errors = if self.input().name.is_empty() && self.original.is_none() && !self.is_dirty() {
            Vec::new()
        } else {
            self.input().validate().err().unwrap_or_default()
        };
        self.name
            .set_errors(self.errors.iter().filter(|e| e.field == NAME.name()).cloned());
    }

    pub fn set_server_errors(&mut self, errors: Vec<FieldError>) {
        self.name
            .set_errors(errors.iter().filter(|e| e.field == NAME.name()).cloned());
        self.errors = errors;
    }

    /// The error of an access row, or of the members.
    pub fn error_of(&self, prefix: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field.starts_with(prefix))
            .map(|e| e.message.as_str())
    }

    fn order(&self) -> Vec<Focus> {
        let mut v = vec![Focus::Name];
        v.extend((0..self.rows.len()).map(Focus::Row));
        v.push(Focus::AddRow);
        v.push(Focus::Members);
        v
    }

    /// A semantic action while no text is being typed and no picker is open.
    pub fn handle_action(&mut self, action: Action) -> (bool, EditorEvent) {
        let order = self.order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        match (action, self.focus) {
            (Action::Up, _) => self.focus = order[at.saturating_sub(1)],
            (Action::Down, _) => self.focus = order[(at + 1).min(order.len() - 1)],
            (Action::Activate, Focus::Name) => {
                self.name.handle_action(Action::Activate);
            }
            (Action::Left | Action::Right, Focus::Row(i)) => {
                let all = AppRole::ALL;
                let now = all.iter().position(|r| *r == self.rows[i].role).unwrap_or(0);
                let next = if action == Action::Left {
                    (now + all.len() - 1) % all.len()
                } else {
                    (now + 1) % all.len()
                };
                self.rows[i].role = all[next];
                self.revalidate();
            }
            (Action::Activate, Focus::Row(_)) => return (true, EditorEvent::Pick(PickerKind::Applications)),
            (Action::DeleteItem, Focus::Row(i)) => {
                self.rows.remove(i);
                self.focus = if self.rows.is_empty() {
                    Focus::AddRow
                } else {
                    Focus::Row(i.min(self.rows.len() - 1))
                };
                self.revalidate();
            }
            (Action::Activate | Action::NewItem, Focus::AddRow) | (Action::NewItem, Focus::Row(_)) => {
                self.rows.push(AppAccess {
                    applications: AppSelection::All,
                    role: AppRole::View,
                });
                self.focus = Focus::Row(self.rows.len() - 1);
                self.revalidate();
            }
            (Action::Activate, Focus::Members) => return (true, EditorEvent::Pick(PickerKind::Members)),
            _ => return (false, EditorEvent::None),
        }
        (true, EditorEvent::None)
    }

    /// A raw key while the name is being typed.
    pub fn name_key(&mut self, key: &crossterm::event::KeyEvent, commit: bool, cancel: bool) {
        if let FormEvent::Changed(_) | FormEvent::EditCancelled = self.name.handle_edit_key(key, commit, cancel) {
            self.revalidate();
        }
    }

    /// The picker was closed with enter: take what it chose.
    pub fn picked(&mut self, picker: Picker) {
        match picker.kind {
            PickerKind::Applications => {
                if let Focus::Row(i) = self.focus
                    && let Some(row) = self.rows.get_mut(i)
                {
                    row.applications = if picker.all == Some(true) {
                        AppSelection::All
                    } else {
                        AppSelection::Only(picker.chosen.into_iter().collect())
                    };
                }
            }
            PickerKind::Members => self.members = picker.chosen.into_iter().collect(),
        }
        self.revalidate();
    }

    /// What the applications picker of the focused row starts with.
    pub fn row_choice(&self) -> (BTreeSet<Uuid>, bool) {
        match &self.focus {
            Focus::Row(i) => match self.rows.get(*i).map(|r| &r.applications) {
                Some(AppSelection::Only(ids)) => (ids.iter().copied().collect(), false),
                _ => (BTreeSet::new(), true),
            },
            _ => (BTreeSet::new(), true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_form_holds_its_field() {
        let group = Group {
            id: Uuid::from_u128(1),
            name: "ops".into(),
            built_in: false,
            grants_role: None,
            app_access: Vec::new(),
            members: Vec::new(),
            version: 1,
        };
        let editor = GroupEditor::new(Some(&group));
        editor.name.assert_has(NAME);
        assert_eq!(editor.input().name, "ops");
        assert!(!editor.is_dirty());
        editor.name.assert_names_fields_of(&editor.input());
    }
}
