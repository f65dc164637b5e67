//! The add / edit user form: the shared validation inline, and the password policy's unmet rules listed
//! live while a password is typed (no password: an invitation).

use orgdeck_shared::{
    FieldError,
    auth::{OrgRole, Secret},
    password::{PasswordContext, PasswordPolicy, PasswordProblem},
    users::{EMAIL_MAX, NewUser, PERSON_NAME_MAX, User, UserPatch},
};
use uuid::Uuid;

use crate::{
    api::NewUserRequest,
    keymap::Action,
    tabs::doc::MergeStep,
    widgets::{
        FieldSpec, Form,
        form::{Choice, Multi, Text, Toggle},
        merge::{Merge, MergeEvent},
    },
};

/// The form of a user's fields (a `NewUser` when adding, a `UserPatch` when editing).
pub enum UserFields {}

pub const EMAIL: Text<UserFields> = Text::new("email");
pub const FIRST: Text<UserFields> = Text::new("first_name");
pub const LAST: Text<UserFields> = Text::new("last_name");
pub const ROLE: Choice<UserFields> = Choice::new("default_group");
pub const GROUPS: Multi<UserFields> = Multi::new("groups");
pub const API_ONLY: Toggle<UserFields> = Toggle::new("api_only");
/// Only when adding: editing a user leaves the password out.
pub const PASSWORD: Text<UserFields> = Text::new("password");

pub struct UserForm {
    pub form: Form<UserFields>,
    /// The user being edited, as read; `None` adds a new one.
    pub original: Option<User>,
    /// Custom groups, in the order of the groups field's options.
    pub group_ids: Vec<Uuid>,
    /// Someone else saved a newer version of the user while the edits were made: the edits stay, and
    /// saving compares them with it first.
    pub stale: bool,
    /// The newer version, once read.
    pub theirs: Option<User>,
    /// Who changed the user and when, as the live updates told.
    pub changed_by: Option<String>,
    /// A save waits for the newer version, to open the conflict view when it arrives.
    pub merge_on_read: bool,
    /// The next read of the user replaces the edits (the user asked, with `r`).
    pub replace_on_read: bool,
    /// The conflict view of a save, while open.
    pub merge: Option<Merge>,
    /// The custom groups' names, in the order of `group_ids`.
    group_names: Vec<String>,
    pub saving: bool,
    /// The password policy's rules the typed password still misses.
    pub problems: Vec<PasswordProblem>,
    server_errors: Vec<FieldError>,
}

/// A user's editable fields as the conflict view of a save compares them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Comparable {
    email: String,
    first_name: String,
    last_name: String,
    default_group: String,
    groups: Vec<String>,
    api_only: bool,
}

fn specs(adding: bool, groups: &[(Uuid, String)]) -> Vec<FieldSpec<UserFields>> {
    let mut specs = vec![
        FieldSpec::text(EMAIL, "Email", Some(EMAIL_MAX)),
        FieldSpec::text(FIRST, "First name", Some(PERSON_NAME_MAX)),
        FieldSpec::text(LAST, "Last name", Some(PERSON_NAME_MAX)),
        FieldSpec::choice(
            ROLE,
            "Default group",
            OrgRole::ALL.iter().map(|r| r.label().to_owned()).collect(),
        ),
        FieldSpec::multi(GROUPS, "Groups", groups.iter().map(|(_, n)| n.clone()).collect()),
        FieldSpec::toggle(API_ONLY, "API only"),
    ];
    if adding {
        specs.push(FieldSpec::secret(
            PASSWORD,
            "Password",
            Some(orgdeck_shared::password::PASSWORD_MAX),
        ));
    }
    specs
}

impl UserForm {
    pub fn add(groups: &[(Uuid, String)]) -> UserForm {
        let mut form = Form::new(specs(true, groups));
        form.set_choice(ROLE, 0);
        UserForm {
            form,
            original: None,
            group_ids: groups.iter().map(|(id, _)| *id).collect(),
            group_names: groups.iter().map(|(_, n)| n.clone()).collect(),
            stale: false,
            theirs: None,
            changed_by: None,
            merge_on_read: false,
            replace_on_read: false,
            merge: None,
            saving: false,
            problems: Vec::new(),
            server_errors: Vec::new(),
        }
    }

    pub fn edit(user: &User, groups: &[(Uuid, String)]) -> UserForm {
        let mut f = UserForm {
            form: Form::new(specs(false, groups)),
            original: Some(user.clone()),
            group_ids: groups.iter().map(|(id, _)| *id).collect(),
            group_names: groups.iter().map(|(_, n)| n.clone()).collect(),
            stale: false,
            theirs: None,
            changed_by: None,
            merge_on_read: false,
            replace_on_read: false,
            merge: None,
            saving: false,
            problems: Vec::new(),
            server_errors: Vec::new(),
        };
        f.fill(user);
        f
    }

    /// Shows `user` as it is now (a reload after a refused save drops the edits).
    pub fn fill(&mut self, user: &User) {
        self.form.set_text(EMAIL, user.email.clone());
        self.form.set_text(FIRST, user.first_name.clone());
        self.form.set_text(LAST, user.last_name.clone());
        let role = OrgRole::ALL.iter().position(|r| *r == user.default_group).unwrap_or(0);
        self.form.set_choice(ROLE, role);
        let checked = self.group_ids.iter().map(|g| user.groups.contains(g)).collect();
        self.form.set_multi(GROUPS, checked);
        self.form.set_bool(API_ONLY, user.api_only);
        self.original = Some(user.clone());
        self.stale = false;
        self.theirs = None;
        self.changed_by = None;
        self.merge_on_read = false;
        self.replace_on_read = false;
        self.merge = None;
        self.server_errors.clear();
        self.form.set_errors(Vec::new());
    }

    /// The custom groups changed (loaded later): keep what was checked, by id.
    pub fn set_groups(&mut self, groups: &[(Uuid, String)]) {
        let checked: Vec<Uuid> = self.checked_groups();
        self.form
            .set_options(GROUPS, groups.iter().map(|(_, n)| n.clone()).collect());
        self.group_ids = groups.iter().map(|(id, _)| *id).collect();
        self.group_names = groups.iter().map(|(_, n)| n.clone()).collect();
        let values = self.group_ids.iter().map(|g| checked.contains(g)).collect();
        self.form.set_multi(GROUPS, values);
    }

    pub fn adding(&self) -> bool {
        self.original.is_none()
    }

    fn checked_groups(&self) -> Vec<Uuid> {
        self.group_ids
            .iter()
            .zip(self.form.multi(GROUPS))
            .filter(|(_, on)| *on)
            .map(|(id, _)| *id)
            .collect()
    }

    fn role(&self) -> OrgRole {
        OrgRole::ALL[self.form.choice(ROLE).min(OrgRole::ALL.len() - 1)]
    }

    pub fn password(&self) -> String {
        if self.adding() {
            self.form.text(PASSWORD)
        } else {
            String::new()
        }
    }

    pub fn new_user(&self) -> NewUserRequest {
        let password = self.password();
        NewUserRequest {
            email: self.form.text(EMAIL).trim().to_owned(),
            first_name: self.form.text(FIRST).trim().to_owned(),
            last_name: self.form.text(LAST).trim().to_owned(),
            default_group: self.role(),
            groups: self.checked_groups(),
            api_only: self.form.bool(API_ONLY),
            password: (!password.is_empty()).then(|| Secret::new(password)),
        }
    }

    /// The fields changed from the user as read.
    pub fn patch(&self) -> UserPatch {
        let Some(u) = &self.original else {
            return UserPatch::default();
        };
        let n = self.new_user();
        let mut before = u.groups.clone();
        before.sort();
        let mut after = n.groups.clone();
        after.sort();
        UserPatch {
            email: (n.email != u.email).then_some(n.email),
            first_name: (n.first_name != u.first_name).then_some(n.first_name),
            last_name: (n.last_name != u.last_name).then_some(n.last_name),
            default_group: (n.default_group != u.default_group).then_some(n.default_group),
            groups: (before != after).then_some(n.groups),
            api_only: (n.api_only != u.api_only).then_some(n.api_only),
        }
    }

    pub fn is_dirty(&self) -> bool {
        if self.adding() {
            let n = self.new_user();
            !(n.email.is_empty() && n.first_name.is_empty() && n.last_name.is_empty() && n.password.is_none())
        } else {
            self.patch() != UserPatch::default()
        }
    }

    /// Field errors from the shared validation (and the server's for fields not edited since), and the
    /// password rules still unmet.
    pub fn revalidate(&mut self, changed: Option<&str>, policy: &PasswordPolicy, org_name: &str) {
        if let Some(field) = changed {
            self.server_errors.retain(|e| !e.field.starts_with(field));
        }
        let mut errors = if self.adding() {
            let n = self.new_user();
            let wire: NewUser = n.to_wire();
            wire.validate().err().unwrap_or_default()
        } else {
            self.patch().validate().err().unwrap_or_default()
        };
        // Say "is required" only once the user has been there: not on a fresh, empty form.
        if self.adding() && !self.is_dirty() {
            errors.clear();
        }
        for e in &self.server_errors {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e.clone());
            }
        }
        self.form.set_errors(errors);
        let password = self.password();
        let email = self.form.text(EMAIL);
        self.problems = if password.is_empty() {
            Vec::new()
        } else {
            policy.check(
                &password,
                PasswordContext {
                    email: &email,
                    org_name,
                },
            )
        };
    }

    /// A user's fields as the conflict view compares them: custom groups by name.
    fn comparable(
        &self,
        email: &str,
        first: &str,
        last: &str,
        role: OrgRole,
        groups: &[Uuid],
        api_only: bool,
    ) -> Comparable {
        let mut names: Vec<String> = groups
            .iter()
            .map(|g| match self.group_ids.iter().position(|x| x == g) {
                Some(i) => self.group_names[i].clone(),
                None => g.to_string(),
            })
            .collect();
        names.sort();
        Comparable {
            email: email.to_owned(),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            default_group: role.label().to_owned(),
            groups: names,
            api_only,
        }
    }

    fn comparable_user(&self, u: &User) -> Comparable {
        self.comparable(
            &u.email,
            &u.first_name,
            &u.last_name,
            u.default_group,
            &u.groups,
            u.api_only,
        )
    }

    /// A newer version of the user, read while the form has edits: held beside them (the conflict view
    /// opens at once when a save waits for it). Without edits, or when `r` asked, it replaces the form.
    pub fn newer(&mut self, user: User) {
        if self.replace_on_read || !self.is_dirty() {
            self.fill(&user);
            return;
        }
        if self.original.as_ref().is_some_and(|o| o.version == user.version) {
            return;
        }
        self.stale = true;
        self.theirs = Some(user);
        if std::mem::take(&mut self.merge_on_read) {
            self.open_merge();
        }
    }

    /// Opens the conflict view of the edits against the newer version; `false` when nothing differs (the
    /// form then shows the newer version).
    pub fn open_merge(&mut self) -> bool {
        let (Some(base), Some(theirs)) = (self.original.clone(), self.theirs.clone()) else {
            return false;
        };
        let n = self.new_user();
        let mine = self.comparable(
            &n.email,
            &n.first_name,
            &n.last_name,
            n.default_group,
            &n.groups,
            n.api_only,
        );
        let theirs_v = orgdeck_shared::Versioned {
            version: theirs.version,
            value: self.comparable_user(&theirs),
        };
        let merge = Merge::new(
            "user",
            self.changed_by.clone(),
            &self.comparable_user(&base),
            &mine,
            &theirs_v,
            self.form.labels(),
        );
        if merge.rows().is_empty() {
            self.fill(&theirs);
            return false;
        }
        self.merge = Some(merge);
        true
    }

    /// A key while the conflict view may be open. `Apply`: the form now holds the merge, on top of the
    /// newer version, to be saved.
    pub fn merge_action(&mut self, action: Action) -> MergeStep<()> {
        let Some(merge) = self.merge.as_mut() else {
            return MergeStep::NotOpen;
        };
        let event = merge.handle(action);
        match event {
            MergeEvent::Apply => {
                let Some(theirs) = self.theirs.clone() else {
                    self.merge = None;
                    return MergeStep::Handled;
                };
                let theirs_fields = self.comparable_user(&theirs);
                let merged: Option<Comparable> = self.merge.as_ref().and_then(|m| m.resolve(&theirs_fields).ok());
                self.fill(&theirs);
                if let Some(m) = merged {
                    self.form.set_text(EMAIL, m.email);
                    self.form.set_text(FIRST, m.first_name);
                    self.form.set_text(LAST, m.last_name);
                    let role = OrgRole::ALL
                        .iter()
                        .position(|r| r.label() == m.default_group)
                        .unwrap_or(0);
                    self.form.set_choice(ROLE, role);
                    let checked = self.group_names.iter().map(|n| m.groups.contains(n)).collect();
                    self.form.set_multi(GROUPS, checked);
                    self.form.set_bool(API_ONLY, m.api_only);
                }
                MergeStep::Apply(())
            }
            MergeEvent::Cancel => {
                self.merge = None;
                MergeStep::Handled
            }
            MergeEvent::Changed => MergeStep::Handled,
            MergeEvent::Ignored => MergeStep::Ignored,
        }
    }

    pub fn server_refused(&mut self, errors: Vec<FieldError>, policy: &PasswordPolicy, org_name: &str) {
        self.server_errors = errors;
        self.revalidate(None, policy, org_name);
    }

    /// What stops a save: the first invalid field, or a password that misses rules.
    pub fn blocking(&self) -> Option<String> {
        if let Some((field, _)) = self.form.errors().iter().next() {
            return Some(field.clone());
        }
        let errors = if self.adding() {
            self.new_user().to_wire().validate().err()
        } else {
            self.patch().validate().err()
        };
        if let Some(first) = errors.and_then(|e| e.into_iter().next()) {
            return Some(first.field);
        }
        (!self.problems.is_empty()).then(|| PASSWORD.name().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use orgdeck_shared::users::UserStatus;

    use super::*;

    fn groups() -> Vec<(Uuid, String)> {
        vec![(Uuid::from_u128(1), "ops".into()), (Uuid::from_u128(2), "dev".into())]
    }

    #[test]
    fn the_add_form_holds_every_field_it_declares() {
        let mut f = UserForm::add(&groups());
        f.form.set_text(EMAIL, "ada@example.com");
        f.form.set_text(FIRST, "Ada");
        f.form.set_text(LAST, "Lovelace");
        f.form.set_choice(ROLE, 1);
        f.form.set_multi(GROUPS, vec![false, true]);
        f.form.set_bool(API_ONLY, true);
        f.form.set_text(PASSWORD, "correct horse battery");
        let n = f.new_user();
        assert_eq!(
            (n.email.as_str(), n.first_name.as_str(), n.last_name.as_str()),
            ("ada@example.com", "Ada", "Lovelace")
        );
        assert_eq!(n.default_group, OrgRole::ALL[1]);
        assert_eq!(n.groups, vec![Uuid::from_u128(2)]);
        assert!(n.api_only);
        assert_eq!(f.password(), "correct horse battery");
        f.form.assert_names_fields_of(&n.to_wire());
    }

    #[test]
    fn the_edit_form_holds_every_field_but_the_password() {
        let user = User {
            id: Uuid::from_u128(9),
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            default_group: OrgRole::ALL[2],
            groups: vec![Uuid::from_u128(1)],
            enabled: true,
            api_only: false,
            status: UserStatus::Active,
            last_login_at: None,
            last_login_ip: None,
            failed_attempts: 0,
            two_step_enabled: false,
            created_at: jiff::Timestamp::UNIX_EPOCH,
            version: 3,
        };
        let mut f = UserForm::edit(&user, &groups());
        assert!(!f.form.has(PASSWORD), "editing never sets a password");
        assert_eq!(f.patch(), UserPatch::default(), "filled with the user as read");
        f.set_groups(&[(Uuid::from_u128(3), "qa".into()), (Uuid::from_u128(1), "ops".into())]);
        assert_eq!(f.form.multi(GROUPS), vec![false, true], "checked groups kept by id");
        f.form.set_text(FIRST, "Augusta");
        assert_eq!(f.patch().first_name.as_deref(), Some("Augusta"));
        f.form.assert_names_fields_of(&f.new_user().to_wire());
    }
}
