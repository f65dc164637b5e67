//! The IP restrictions section: a list of `{cidr, label}` rows edited in place, saved as one document.
//! A list that would shut out the address the server sees for you is only sent after a confirmation
//! naming that address, and then with `confirm_self_lockout: true`.

use std::net::IpAddr;

use orgdeck_shared::{
    ApiError, ErrorCode, Versioned,
    security::{Cidr, IpRestrictions, IpRule},
};

use super::doc::{Arrival, DocState, MergeStep, typed};
use crate::{
    api::SecurityDoc,
    keymap::Action,
    tabs::Effects,
    widgets::{Dialog, FieldSpec, Form, FormEvent, ToastLevel, form::Text},
};

/// The form of one rule (an [`IpRule`]) in the row editor.
pub enum IpRuleFields {}

pub const CIDR: Text<IpRuleFields> = Text::new("cidr");
pub const LABEL: Text<IpRuleFields> = Text::new("label");

/// A row being added (`None`) or edited (its index).
pub struct RowEditor {
    pub row: Option<usize>,
    pub form: Form<IpRuleFields>,
}

pub struct IpSection {
    pub state: DocState<IpRestrictions>,
    /// The rows as edited.
    pub rules: Vec<IpRule>,
    pub cursor: usize,
    pub editor: Option<RowEditor>,
    /// The row a delete confirmation is about.
    pub pending_delete: Option<usize>,
    /// The list waiting for the self-lockout confirmation.
    pub pending_lockout: Option<(i64, IpRestrictions)>,
}

impl Default for IpSection {
    fn default() -> Self {
        Self::new()
    }
}

impl IpSection {
    pub fn new() -> Self {
        IpSection {
            state: DocState::new(),
            rules: Vec::new(),
            cursor: 0,
            editor: None,
            pending_delete: None,
            pending_lockout: None,
        }
    }

    pub fn edited(&self) -> Option<IpRestrictions> {
        self.state.base().map(|_| IpRestrictions {
            rules: self.rules.clone(),
            confirm_self_lockout: false,
        })
    }

    pub fn is_dirty(&self) -> bool {
        self.state.is_dirty(self.edited().as_ref()) || self.editor.is_some()
    }

    /// Inline errors of the list: `rules[i].cidr` and the server's.
    pub fn errors(&mut self) -> Vec<orgdeck_shared::FieldError> {
        let edited = self.edited();
        self.state.errors(edited.as_ref(), None)
    }

    fn refill(&mut self) {
        if let Some(base) = self.state.base() {
            self.rules = base.value.rules.clone();
            self.cursor = self.cursor.min(self.rules.len().saturating_sub(1));
        }
    }

    pub fn open_editor(&mut self, row: Option<usize>) {
        let mut form = Form::new(vec![
            FieldSpec::text(CIDR, "Address or CIDR", Some(50)),
            FieldSpec::text(LABEL, "Label", Some(100)),
        ]);
        if let Some(rule) = row.and_then(|i| self.rules.get(i)) {
            form.set_text(CIDR, rule.cidr.clone());
            form.set_text(LABEL, rule.label.clone());
        }
        form.start_edit();
        self.editor = Some(RowEditor { row, form });
    }

    /// Checks the editor's row as typed (the CIDR parses) and shows the problem inline.
    pub fn check_editor(&mut self) {
        if let Some(editor) = self.editor.as_mut() {
            let mut errors = Vec::new();
            if let Err(e) = Cidr::parse(&editor.form.text(CIDR)) {
                errors.push(orgdeck_shared::FieldError::new(CIDR.name(), e));
            }
            if editor.form.text(LABEL).chars().count() > 100 {
                errors.push(orgdeck_shared::FieldError::new(
                    LABEL.name(),
                    "must be at most 100 characters",
                ));
            }
            editor.form.set_errors(errors);
        }
    }

    /// Puts the editor's row into the list, when it is valid.
    pub fn apply_editor(&mut self, fx: &mut Effects) {
        let Some(editor) = self.editor.as_mut() else { return };
        if editor.form.is_editing() && editor.form.commit_edit() == FormEvent::Ignored {
            return;
        }
        self.check_editor();
        let Some(editor) = self.editor.as_ref() else { return };
        if !editor.form.errors().is_empty() {
            fx.toast(ToastLevel::Error, "Fix the row first");
            return;
        }
        let rule = IpRule {
            cidr: editor.form.text(CIDR).trim().to_owned(),
            label: editor.form.text(LABEL).trim().to_owned(),
        };
        match editor.row {
            Some(i) if i < self.rules.len() => {
                self.rules[i] = rule;
                self.cursor = i;
            }
            _ => {
                self.rules.push(rule);
                self.cursor = self.rules.len() - 1;
            }
        }
        self.editor = None;
        self.state.server_errors.retain(|e| !e.field.starts_with("rules"));
    }

    pub fn ask_delete(&mut self, fx: &mut Effects) {
        let Some(rule) = self.rules.get(self.cursor) else {
            return;
        };
        self.pending_delete = Some(self.cursor);
        let label = if rule.label.is_empty() {
            rule.cidr.clone()
        } else {
            format!("{} ({})", rule.cidr, rule.label)
        };
        fx.confirm = Some(Dialog::confirm(
            Action::DeleteItem,
            "Remove the rule?",
            format!("Remove {label} from the allowed networks? Nothing changes until you save."),
            "remove",
            "keep",
        ));
    }

    pub fn delete_confirmed(&mut self) {
        if let Some(i) = self.pending_delete.take()
            && i < self.rules.len()
        {
            self.rules.remove(i);
            self.cursor = self.cursor.min(self.rules.len().saturating_sub(1));
        }
    }

    /// Saves the list; one that would exclude `client_ip` asks first.
    pub fn save(&mut self, client_ip: Option<&str>, read_only: bool, fx: &mut Effects) {
        if self.editor.is_some() {
            self.apply_editor(fx);
            if self.editor.is_some() {
                return;
            }
        }
        let Some(edited) = self.edited() else { return };
        let Some(version) = self.state.check_save(&edited, read_only, &label, fx) else {
            return;
        };
        let ip: Option<IpAddr> = client_ip.and_then(|s| s.parse().ok());
        match ip {
            Some(ip) if !edited.allows(ip) => self.ask_lockout(version, edited, &ip.to_string(), fx),
            _ => self.state.send(version, edited, fx),
        }
    }

    fn ask_lockout(&mut self, version: i64, list: IpRestrictions, ip: &str, fx: &mut Effects) {
        self.pending_lockout = Some((version, list));
        fx.confirm = Some(Dialog::confirm(
            Action::Save,
            "Lock yourself out?",
            format!(
                "The server sees you as {ip}, and this list does not allow {ip}. Once saved, you (and \
                 anyone else at {ip}) can no longer sign in or make requests from here. Save anyway?"
            ),
            "save anyway",
            "cancel",
        ));
    }

    /// The user confirmed the self-lockout: send again, saying so.
    pub fn lockout_confirmed(&mut self, fx: &mut Effects) {
        if let Some((version, mut list)) = self.pending_lockout.take() {
            list.confirm_self_lockout = true;
            self.state.send(version, list, fx);
        }
    }

    pub fn arrived(&mut self, result: &Result<Versioned<SecurityDoc>, ApiError>, fx: &mut Effects) {
        let Some(result) = typed::<IpRestrictions>(result) else {
            return;
        };
        let edited = self.edited();
        if self
            .state
            .arrived(result.as_ref().map_err(|e| *e), edited.as_ref(), &label, fx)
            == Arrival::Refill
        {
            self.refill();
        }
    }

    /// A key while the conflict view of a save may be open; the merged list is saved at once.
    pub fn merge_action(
        &mut self,
        action: Action,
        client_ip: Option<&str>,
        read_only: bool,
        fx: &mut Effects,
    ) -> Option<bool> {
        match self.state.merge_action(action, fx) {
            MergeStep::NotOpen => None,
            MergeStep::Handled => Some(true),
            MergeStep::Ignored => Some(false),
            MergeStep::Apply(merged) => {
                self.rules = merged.rules;
                self.cursor = self.cursor.min(self.rules.len().saturating_sub(1));
                self.save(client_ip, read_only, fx);
                Some(true)
            }
        }
    }

    /// A live update of the list.
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
        sent: &SecurityDoc,
        result: &Result<Versioned<SecurityDoc>, ApiError>,
        client_ip: Option<&str>,
        fx: &mut Effects,
    ) {
        let SecurityDoc::IpRestrictions(sent) = sent else {
            return;
        };
        let Some(result) = typed::<IpRestrictions>(result) else {
            return;
        };
        match self.state.saved(result.as_ref().map_err(|e| *e), fx) {
            Ok(Arrival::Refill) => self.refill(),
            Ok(Arrival::Keep) => {}
            // The server refused a list that shuts the caller out: ask, then resend confirmed.
            Err(e) if !sent.confirm_self_lockout && is_self_lockout(e) => {
                let version = self.state.base().map_or(0, |b| b.version);
                let ip = client_ip.unwrap_or("your address").to_owned();
                self.ask_lockout(version, sent.clone(), &ip, fx);
            }
            Err(e) if e.code == ErrorCode::ValidationFailed => self.state.rejected(e, fx),
            Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
        }
    }
}

/// The list's fields as the conflict view of a save names them.
fn label(field: &str) -> Option<(usize, String)> {
    (field == "rules").then(|| (0, "Allowed addresses".to_owned()))
}

/// 409, or 422 on `rules` itself (not on one row): the list excludes the caller.
fn is_self_lockout(e: &ApiError) -> bool {
    e.code == ErrorCode::Conflict
        || (e.code == ErrorCode::ValidationFailed
            && e.fields
                .iter()
                .any(|f| f.field == "rules" || f.field == "confirm_self_lockout"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_editor_holds_every_field_it_declares() {
        let rule = IpRule {
            cidr: "10.0.0.0/8".into(),
            label: "office".into(),
        };
        let mut ip = IpSection::new();
        ip.rules = vec![rule.clone()];
        ip.open_editor(Some(0));
        ip.check_editor();
        let form = &ip.editor.as_ref().expect("the row editor").form;
        form.assert_has(CIDR);
        form.assert_has(LABEL);
        assert_eq!(
            (form.text(CIDR), form.text(LABEL)),
            (rule.cidr.clone(), rule.label.clone())
        );
        assert!(form.errors().is_empty());
        form.assert_names_fields_of(&rule);
    }
}
