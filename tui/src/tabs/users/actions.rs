//! The Users tab's actions on the cursor row or the selection: confirmations that name who is affected,
//! single and bulk requests, saving the form, and what their answers change.

use orgdeck_shared::{
    ErrorCode,
    users::{BULK_MAX, BulkAction, BulkRequest, UserPatch, UserStatus, endpoints as users, row_errors},
};
use uuid::Uuid;

use super::{Mode, Pending, UserForm, UsersMsg, UsersTab};
use crate::{
    api::{Call, Created, UserAction},
    keymap::Action,
    tabs::{Effects, TabCtx},
    widgets::{Dialog, Prompt, Report, ToastLevel},
};

/// `POST users/{id}/{action}`.
fn act(id: Uuid, action: UserAction) -> Call {
    Call::of::<users::Act, _>((id, action.route()), move |result| UsersMsg::Acted {
        id,
        action,
        result,
    })
    .label("changing a user")
}

/// What `POST users/import` takes, as its prompt says it: the header's columns (shared with the server,
/// which refuses any other), what `group` and `api_only` hold, and that the file is all or nothing.
pub fn import_hint() -> String {
    use orgdeck_shared::{
        auth::OrgRole,
        users::{IMPORT_COLUMNS, IMPORT_MAX_ROWS, IMPORT_OPTIONAL_COLUMNS},
    };
    let roles: Vec<&str> = OrgRole::ALL.iter().map(|r| r.label()).collect();
    format!(
        "The first line names the columns, in any order (case ignored):\n  {}\n  and, if wanted, {} \
         (true/false, yes/no or 1/0; false when left out).\ngroup is {} (the default group) or a custom \
         group's name (joined, with View).\nEach row invites one user, at most {IMPORT_MAX_ROWS}; one bad row \
         imports none.\nPath of the CSV file (UTF-8):",
        IMPORT_COLUMNS.join(","),
        IMPORT_OPTIONAL_COLUMNS.join(","),
        roles.join(", "),
    )
}

/// Most users one action may touch with one request each (unlock, resets); bulk routes take more.
const SINGLE_MAX: usize = 100;

/// `ana@acme.test`, `ana@…, bob@… and cy@…`, `ana@…, bob@…, cy@… and 7 more`.
pub fn describe(targets: &[(Uuid, String)]) -> String {
    let names: Vec<&str> = targets.iter().map(|(_, n)| n.as_str()).collect();
    match names.len() {
        0 => "nobody".into(),
        1 => names[0].to_owned(),
        2 | 3 => format!("{} and {}", names[..names.len() - 1].join(", "), names[names.len() - 1]),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    }
}

fn count(n: usize) -> String {
    if n == 1 { "1 user".into() } else { format!("{n} users") }
}

impl UsersTab {
    /// Actions that change users: forms, confirmations, requests.
    pub(super) fn user_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        if ctx.read_only {
            return false;
        }
        match action {
            Action::NewItem => {
                let mut form = UserForm::add(&self.groups);
                form.form.start_edit();
                self.mode = Mode::Form(Box::new(form));
                return true;
            }
            Action::EditItem => {
                if let Some(user) = self.table.current() {
                    self.mode = Mode::Form(Box::new(UserForm::edit(user, &self.groups)));
                }
                return true;
            }
            crate::tabs::users::IMPORT => {
                self.mode = Mode::Import(Prompt::new("Import users from CSV", import_hint()));
                return true;
            }
            Action::DeleteItem
            | crate::tabs::users::ENABLE
            | crate::tabs::users::DISABLE
            | crate::tabs::users::UNLOCK
            | crate::tabs::users::RESET_PASSWORD
            | crate::tabs::users::RESET_TWO_STEP => {}
            _ => return false,
        }
        let targets = self.table.targets();
        if targets.is_empty() {
            fx.toast(ToastLevel::Info, "No user here to act on");
            return true;
        }
        let bulk = matches!(
            action,
            crate::tabs::users::ENABLE | crate::tabs::users::DISABLE | Action::DeleteItem
        );
        if targets.len() > SINGLE_MAX && !bulk {
            fx.toast(
                ToastLevel::Warning,
                format!(
                    "Select at most {SINGLE_MAX} users for this action (selected {})",
                    targets.len()
                ),
            );
            return true;
        }
        if targets.len() > BULK_MAX {
            fx.toast(ToastLevel::Warning, format!("Select at most {BULK_MAX} users"));
            return true;
        }
        let who = describe(&targets);
        let n = count(targets.len());
        let question = match action {
            Action::DeleteItem => Some((
                format!("Delete {n}?"),
                format!("Delete {who}? Their sessions end and this cannot be undone."),
                "delete",
            )),
            crate::tabs::users::DISABLE => Some((
                format!("Disable {n}?"),
                format!("Disable {who}? They are logged out at once and cannot log in until enabled."),
                "disable",
            )),
            crate::tabs::users::RESET_PASSWORD => Some((
                format!("Force a password reset for {n}?"),
                format!("{who} must set a new password at their next login."),
                "reset",
            )),
            crate::tabs::users::RESET_TWO_STEP => Some((
                format!("Reset two-step verification for {n}?"),
                format!("{who} must enrol a new authenticator at their next login."),
                "reset",
            )),
            crate::tabs::users::ENABLE if targets.len() > 1 => {
                Some((format!("Enable {n}?"), format!("Enable {who}?"), "enable"))
            }
            _ => None,
        };
        let pending = Pending { action, targets };
        match question {
            Some((title, message, yes)) => {
                fx.confirm = Some(Dialog::confirm(action, title, message, yes, "cancel"));
                self.pending = Some(pending);
            }
            None => self.perform(pending, ctx, fx),
        }
        true
    }

    /// Sends what a (confirmed) action asks for.
    pub(super) fn perform(&mut self, p: Pending, _ctx: &TabCtx, fx: &mut Effects) {
        let ids: Vec<Uuid> = p.targets.iter().map(|(id, _)| *id).collect();
        let single = match p.action {
            crate::tabs::users::ENABLE => Some(UserAction::Enable),
            crate::tabs::users::DISABLE => Some(UserAction::Disable),
            crate::tabs::users::UNLOCK => Some(UserAction::Unlock),
            crate::tabs::users::RESET_PASSWORD => Some(UserAction::ResetPassword),
            crate::tabs::users::RESET_TWO_STEP => Some(UserAction::ResetTwoStep),
            _ => None,
        };
        let bulk = match p.action {
            crate::tabs::users::ENABLE => Some(BulkAction::Enable),
            crate::tabs::users::DISABLE => Some(BulkAction::Disable),
            Action::DeleteItem => Some(BulkAction::Delete),
            _ => None,
        };
        match (ids.len(), single, bulk) {
            (1, _, Some(BulkAction::Delete)) => {
                let id = ids[0];
                let who = p.targets[0].1.clone();
                let call = Call::of::<users::Delete, _>(id, move |result| UsersMsg::Deleted {
                    id,
                    who: who.clone(),
                    result,
                });
                fx.call(call.label("deleting a user"));
            }
            (1, Some(action), _) => fx.call(act(ids[0], action)),
            (_, _, Some(action)) => {
                let call = Call::new::<users::Bulk, _>((), &BulkRequest { action, ids }, move |result| {
                    UsersMsg::Bulk { action, result }
                });
                fx.call(call.label("changing users"));
            }
            (_, Some(action), _) => {
                for id in ids {
                    fx.call(act(id, action));
                }
            }
            _ => {}
        }
    }

    /// Saves the form: a new user, or the changed fields of an existing one (with its version).
    pub(super) fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        let Mode::Form(f) = &mut self.mode else {
            return;
        };
        if f.form.is_editing() {
            f.form.commit_edit();
        }
        f.revalidate(None, &self.policy, ctx.org_name);
        if f.saving {
            fx.toast(ToastLevel::Info, "Already saving…");
            return;
        }
        if f.adding() {
            // Required fields count now, even untouched.
            let errors = f.new_user().to_wire().validate().err().unwrap_or_default();
            f.form.set_errors(errors);
        }
        if let Some(field) = f.blocking() {
            let text = [
                super::form::EMAIL,
                super::form::FIRST,
                super::form::LAST,
                super::form::PASSWORD,
            ]
            .into_iter()
            .find(|t| field.starts_with(t.name()) && f.form.has(*t));
            if let Some(text) = text {
                f.form.focus(text);
            }
            fx.toast(ToastLevel::Error, "Not saved: fix the marked fields first");
            return;
        }
        match &f.original {
            None => {
                f.saving = true;
                let call = Call::new::<users::Create, _>((), &f.new_user().to_wire(), |result| {
                    UsersMsg::Created(result.map(Created::from))
                });
                fx.call(call.label("adding a user"));
            }
            Some(u) => {
                let patch = f.patch();
                if patch == UserPatch::default() {
                    fx.toast(ToastLevel::Info, "Nothing to save");
                    return;
                }
                if f.stale {
                    // Over a newer version: compare first (reading it when not yet read).
                    if f.theirs.is_some() {
                        if !f.open_merge() {
                            fx.toast(
                                ToastLevel::Info,
                                "The newer version already has your edits: nothing to save",
                            );
                        }
                    } else {
                        f.merge_on_read = true;
                        let call = Call::of::<users::Get, _>(u.id, UsersMsg::Reloaded).label("loading a user");
                        fx.call(call);
                    }
                    return;
                }
                f.saving = true;
                let call = Call::new::<users::Update, _>(u.id, &patch, UsersMsg::Updated);
                fx.call(call.if_match(u.version).label("saving a user"));
            }
        }
    }

    /// Answers to creating, deleting, bulk actions and imports.
    pub(super) fn action_answered(&mut self, msg: UsersMsg, ctx: &TabCtx, fx: &mut Effects) {
        match msg {
            UsersMsg::Created(Ok(created)) => {
                self.mode = Mode::Browse;
                fx.toast(ToastLevel::Info, format!("Added {}", created.user.email));
                if let Some(token) = &created.activation_token {
                    let mut report = Report::new(
                        format!("Invitation for {}", created.user.email),
                        vec![
                            "Hand this one-time activation token to the user; it is shown only now.".into(),
                            String::new(),
                            token.expose().to_owned(),
                        ],
                    );
                    report.copy = Some(token.clone());
                    self.mode = Mode::Report(report);
                }
                self.with_table(fx, |t, out| t.reload(out));
            }
            UsersMsg::Created(Err(e)) => {
                if let Mode::Form(f) = &mut self.mode {
                    f.saving = false;
                    if e.code == ErrorCode::ValidationFailed || e.code == ErrorCode::Conflict {
                        f.server_refused(e.fields.clone(), &self.policy, ctx.org_name);
                    }
                }
                fx.toast(ToastLevel::Error, format!("Not added: {}", e.message));
            }
            UsersMsg::Deleted {
                id,
                who,
                result: Ok(()),
            } => {
                self.table.remove_rows(&[id]);
                fx.toast(ToastLevel::Info, format!("Deleted {who}"));
            }
            UsersMsg::Deleted { result: Err(e), .. } => {
                fx.toast(ToastLevel::Error, format!("Not deleted: {}", e.message));
            }
            UsersMsg::Bulk {
                action: bulk,
                result: Ok(report),
            } => {
                let ok: Vec<Uuid> = report.results.iter().filter(|r| r.ok).map(|r| r.id).collect();
                match bulk {
                    BulkAction::Delete => self.table.remove_rows(&ok),
                    action => {
                        let changed: Vec<_> = self.table.held().filter(|u| ok.contains(&u.id)).cloned().collect();
                        for mut u in changed {
                            u.enabled = action == BulkAction::Enable;
                            u.status = match (action, u.status) {
                                (BulkAction::Disable, _) => UserStatus::Disabled,
                                (_, UserStatus::Disabled) => UserStatus::Active,
                                (_, s) => s,
                            };
                            self.table.update_row(u);
                        }
                    }
                }
                let verb = match bulk {
                    BulkAction::Enable => "Enabled",
                    BulkAction::Disable => "Disabled",
                    BulkAction::Delete => "Deleted",
                };
                if report.failed == 0 {
                    self.table.clear_selection();
                    fx.toast(ToastLevel::Info, format!("{verb} {}", count(report.succeeded as usize)));
                } else {
                    let why = report
                        .results
                        .iter()
                        .find_map(|r| r.error.as_ref())
                        .map_or(String::new(), |e| format!(": {}", e.message));
                    fx.toast(
                        ToastLevel::Warning,
                        format!(
                            "{verb} {}; {} refused{why}",
                            count(report.succeeded as usize),
                            report.failed
                        ),
                    );
                }
            }
            UsersMsg::Bulk { result: Err(e), .. } => {
                fx.toast(ToastLevel::Error, format!("Nothing changed: {}", e.message));
            }
            UsersMsg::Imported(Ok(created)) => {
                let mut lines = vec![
                    format!(
                        "Imported {} as invitations. Their one-time activation tokens:",
                        count(created.len())
                    ),
                    String::new(),
                ];
                let mut csv = String::from("email,activation_token\n");
                for c in &created {
                    let token = c.activation_token.as_ref().map_or("", |t| t.expose());
                    lines.push(format!("{}  {token}", c.user.email));
                    csv.push_str(&format!("{},{token}\n", c.user.email));
                }
                let mut report = Report::new("Import done", lines);
                report.copy = Some(orgdeck_shared::auth::Secret::new(csv));
                self.mode = Mode::Report(report);
                self.with_table(fx, |t, out| t.reload(out));
            }
            UsersMsg::Imported(Err(e)) => {
                let rows = row_errors(&e);
                if rows.is_empty() {
                    fx.toast(ToastLevel::Error, format!("Not imported: {}", e.message));
                } else {
                    let mut lines = vec![
                        format!(
                            "Nothing was imported: {} problem(s). Fix the file and import it again.",
                            rows.len()
                        ),
                        String::new(),
                        format!("{:<6} {:<12} {}", "row", "field", "problem"),
                    ];
                    lines.extend(
                        rows.iter()
                            .map(|r| format!("{:<6} {:<12} {}", r.row, r.field, r.message)),
                    );
                    self.mode = Mode::Report(Report::new("Import refused", lines));
                }
            }
            _ => {}
        }
    }
}
