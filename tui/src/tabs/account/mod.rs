//! The Account area, for every role: who I am, my password (changed here with the policy's rules checked
//! as I type; opened by itself when an admin forced a reset), my two-step methods (enrolling goes through
//! the fresh proof the server asks for), and my sessions (this one marked; ending one asks first, ending
//! this one logs out).

mod notifications;
mod view;

pub use notifications::MyNotificationsEditor;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use orgdeck_shared::{
    ApiError, ErrorCode,
    account::{
        MySession,
        endpoints::{EndMySession, MyPasswordPolicy, MySessions},
    },
    auth::{BackupCodesLeft, Me, Secret, endpoints::CountBackupCodes},
    notifications::endpoints::{GetMine as GetMyNotifications, PutMine as PutMyNotifications},
    password::{PasswordContext, PasswordPolicy, PasswordProblem},
    security::TwoStepMethod,
    users::{ChangePasswordRequest, endpoints::ChangePassword},
};
use ratatui::{Frame, layout::Rect};
use tui_input::{Input, backend::crossterm::to_input_request};

use super::{
    Effects, Tab, TabCtx,
    doc::Load,
    own,
    security::{Enrolment, EnrolmentMsg, enrolment},
};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::{Action, ActionSpec, Scope, TabAction, mutating},
    widgets::{Dialog, ToastLevel},
};

/// The actions this area adds to the keymap (the help lists them under its title).
pub const CHANGE_PASSWORD: Action = Action::Tab(TabAction("change_password"));

pub const MY_NOTIFICATIONS: Action = Action::Tab(TabAction("my_notifications"));

/// The rows of this area's actions.
pub const KEYS: &[ActionSpec] = &[
    mutating(
        CHANGE_PASSWORD,
        "change_password",
        Scope::Area("Account"),
        &["P"],
        "change your password (the policy's rules checked as you type)",
        Some("change password"),
    ),
    crate::keymap::spec(
        MY_NOTIFICATIONS,
        "my_notifications",
        Scope::Area("Account"),
        &["N"],
        "your notifications: in-app and email per event type, over the organization's defaults",
        Some("notifications"),
    ),
];

/// The answers of the tab's calls (the enrolment has its own).
#[derive(Debug, Clone, PartialEq)]
pub enum AccountMsg {
    Policy(Result<PasswordPolicy, ApiError>),
    Sessions(Result<Vec<MySession>, ApiError>),
    BackupCodes(Result<BackupCodesLeft, ApiError>),
    PasswordChanged(Result<(), ApiError>),
    /// My notification choices, as read (opens the editor) or saved.
    Notifications {
        saved: bool,
        result: Result<orgdeck_shared::notifications::MyNotificationsView, ApiError>,
    },
    /// A session of mine ended (`current`: this one, which logs out).
    Ended {
        current: bool,
        result: Result<(), ApiError>,
    },
}

/// The three fields of a password change, in order.
pub const FIELDS: [&str; 3] = ["Current password", "New password", "New password again"];

/// A password change being typed.
#[derive(Debug, Clone, Default)]
pub struct PasswordChange {
    pub inputs: [Input; 3],
    pub focus: usize,
    /// Errors under a field (0: current, 1: new, 2: again).
    pub errors: [Option<String>; 3],
    pub sending: bool,
}

impl PasswordChange {
    pub fn value(&self, i: usize) -> &str {
        self.inputs[i].value()
    }
}

pub struct AccountTab {
    pub me: Option<Me>,
    pub policy: Load<PasswordPolicy>,
    pub sessions: Load<Vec<MySession>>,
    pub backup_codes_left: Option<u32>,
    pub cursor: usize,
    /// The password change, when open.
    pub change: Option<PasswordChange>,
    /// The session a yes would end.
    pending_end: Option<MySession>,
    /// Enrolling in two-step, drawn over the whole screen while open.
    pub enrolment: Option<Enrolment>,
    /// My notification choices being edited.
    pub notifications: Option<MyNotificationsEditor>,
}

impl Default for AccountTab {
    fn default() -> Self {
        Self::new()
    }
}

impl AccountTab {
    pub fn new() -> AccountTab {
        AccountTab {
            me: None,
            policy: Load::NotLoaded,
            sessions: Load::NotLoaded,
            backup_codes_left: None,
            cursor: 0,
            change: None,
            pending_end: None,
            enrolment: None,
            notifications: None,
        }
    }

    /// An admin forced a reset, or the password expired: only the change is possible.
    pub fn must_change(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.must_change_password)
    }

    fn load_policy(&mut self, fx: &mut Effects) {
        if self.policy.loaded().is_none() {
            self.policy = Load::Loading;
        }
        fx.call(Call::of::<MyPasswordPolicy, _>((), AccountMsg::Policy).label("loading the password policy"));
    }

    fn load_rest(&mut self, fx: &mut Effects) {
        if self.sessions.loaded().is_none() {
            self.sessions = Load::Loading;
        }
        fx.call(Call::of::<MySessions, _>((), AccountMsg::Sessions).label("loading your sessions"));
        if self.me.as_ref().is_some_and(|m| !m.two_step.enrolled.is_empty()) {
            fx.call(Call::of::<CountBackupCodes, _>((), AccountMsg::BackupCodes).label("counting backup codes"));
        }
    }

    /// What the typed new password still misses.
    pub fn problems(&self, ctx: &TabCtx) -> Vec<PasswordProblem> {
        let (Some(change), Some(policy), Some(me)) = (&self.change, self.policy.loaded(), &self.me) else {
            return Vec::new();
        };
        let context = PasswordContext {
            email: &me.user.email,
            org_name: ctx.org_name,
        };
        policy.check(change.value(1), context)
    }

    fn open_change(&mut self, fx: &mut Effects) {
        self.change = Some(PasswordChange::default());
        self.load_policy(fx);
    }

    fn submit(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        let problems = self.problems(ctx);
        let Some(change) = self.change.as_mut() else { return };
        if change.sending {
            return;
        }
        change.errors = Default::default();
        if change.value(0).is_empty() {
            change.errors[0] = Some("type your current password".into());
        }
        if change.value(1).is_empty() {
            change.errors[1] = Some("type the new password".into());
        } else if !problems.is_empty() {
            change.errors[1] = Some("does not meet the policy yet (see below)".into());
        }
        if change.value(2) != change.value(1) {
            change.errors[2] = Some("is not the same as the new password".into());
        }
        if let Some(first) = change.errors.iter().position(Option::is_some) {
            change.focus = first;
            return;
        }
        change.sending = true;
        let body = ChangePasswordRequest {
            current: Secret::new(change.value(0)),
            new: Secret::new(change.value(1)),
        };
        let call = Call::new::<ChangePassword, _>((), &body, AccountMsg::PasswordChanged);
        fx.call(call.retryable(false).label("changing your password"));
    }

    fn change_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        let must = self.must_change();
        let Some(change) = self.change.as_mut() else { return };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc if !must => self.change = None,
            KeyCode::Esc => fx.toast(
                ToastLevel::Info,
                "Your password must be changed before anything else (ctrl-c quits)",
            ),
            KeyCode::Tab | KeyCode::Down => change.focus = (change.focus + 1) % 3,
            KeyCode::BackTab | KeyCode::Up => change.focus = (change.focus + 2) % 3,
            KeyCode::Enter if change.focus < 2 => change.focus += 1,
            KeyCode::Enter => self.submit(ctx, fx),
            KeyCode::Char('s') if ctrl => self.submit(ctx, fx),
            _ => {
                if let Some(req) = to_input_request(&Event::Key(*key)) {
                    let i = change.focus;
                    change.inputs[i].handle(req);
                    change.errors[i] = None;
                }
            }
        }
    }

    /// Keys while my notification choices are open.
    fn notifications_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        let Some(e) = self.notifications.as_mut() else {
            return false;
        };
        match action {
            Action::Up => e.move_by(-1, 0),
            Action::Down => e.move_by(1, 0),
            Action::Left => e.move_by(0, -1),
            Action::Right => e.move_by(0, 1),
            Action::Activate | Action::ToggleSelect if !ctx.read_only => e.flip(),
            Action::Save if ctx.read_only => fx.toast(ToastLevel::Warning, "Read-only profile: saving is disabled"),
            Action::Save if !e.is_dirty() => fx.toast(ToastLevel::Info, "Nothing to save"),
            Action::Save if !e.saving => {
                e.saving = true;
                let call = Call::new::<PutMyNotifications, _>((), &e.edited, |result| AccountMsg::Notifications {
                    saved: true,
                    result,
                });
                fx.call(call.if_match(e.read.version).label("saving your notification choices"));
            }
            Action::Cancel if e.is_dirty() => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Cancel,
                    "Discard your changes?",
                    "Close your notification choices without saving them?",
                    "discard",
                    "keep editing",
                ));
            }
            Action::Cancel => self.notifications = None,
            _ => return false,
        }
        true
    }

    fn enrol(&mut self, method: TwoStepMethod, fx: &mut Effects) {
        let Some(me) = &self.me else { return };
        let off = "Two-step verification is off in your organization";
        if let Some(e) = Enrolment::offer(method, &me.two_step, off, fx) {
            self.enrolment = Some(e);
        }
    }
}

impl Tab for AccountTab {
    fn title(&self) -> &'static str {
        "Account"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.load_rest(fx);
    }

    fn me_changed(&mut self, me: &Me, fx: &mut Effects) {
        let forced = me.must_change_password;
        let first = self.me.is_none();
        self.me = Some(me.clone());
        if forced && self.change.is_none() {
            // The console opens the change before anything else.
            self.open_change(fx);
        } else if first {
            self.load_policy(fx);
        }
    }

    fn captures_input(&self) -> bool {
        self.change.is_some() || self.enrolment.is_some()
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        if let Some(e) = self.enrolment.as_mut() {
            if e.handle_key(key, ctx, fx) == enrolment::Outcome::Close {
                self.enrolment = None;
            }
            return;
        }
        self.change_key(key, ctx, fx);
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        if self.notifications.is_some() {
            return self.notifications_action(action, ctx, fx);
        }
        let count = self.sessions.loaded().map_or(0, Vec::len);
        match action {
            MY_NOTIFICATIONS => {
                let call =
                    Call::of::<GetMyNotifications, _>((), |result| AccountMsg::Notifications { saved: false, result });
                fx.call(call.label("loading your notification choices"));
            }
            CHANGE_PASSWORD if !ctx.read_only => self.open_change(fx),
            crate::tabs::security::ENROL_TOTP if !ctx.read_only => self.enrol(TwoStepMethod::Totp, fx),
            crate::tabs::security::ENROL_EMAIL if !ctx.read_only => self.enrol(TwoStepMethod::Email, fx),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(count.saturating_sub(1)),
            Action::Reload => {
                self.load_policy(fx);
                self.load_rest(fx);
            }
            Action::DeleteItem if !ctx.read_only => {
                let Some(s) = self.sessions.loaded().and_then(|v| v.get(self.cursor)).cloned() else {
                    return true;
                };
                let seen = ctx.dates.datetime(s.last_seen_at);
                let (title, message, yes) = if s.current {
                    (
                        "End this session?",
                        "This is the session you are using: ending it logs you out here.".to_owned(),
                        "log out",
                    )
                } else {
                    (
                        "End the session?",
                        format!(
                            "End your session from {} (last seen {seen})? It must log in again there.",
                            s.ip
                        ),
                        "end it",
                    )
                };
                self.pending_end = Some(s);
                fx.confirm = Some(Dialog::confirm(Action::DeleteItem, title, message, yes, "keep"));
            }
            _ => return false,
        }
        true
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if action == Action::Cancel {
            self.notifications = None;
            return;
        }
        if action == crate::tabs::security::ENROL_TOTP {
            if let Some(e) = self.enrolment.as_mut()
                && e.confirmed() == enrolment::Outcome::Close
            {
                if e.done() {
                    fx.refresh_me = true;
                }
                self.enrolment = None;
            }
            return;
        }
        if action == Action::DeleteItem
            && let Some(s) = self.pending_end.take()
        {
            let current = s.current;
            let call = Call::of::<EndMySession, _>(s.id.clone(), move |result| AccountMsg::Ended { current, result });
            fx.call(call.label("ending a session"));
        }
    }

    fn answer(&mut self, msg: OwnerMsg, ctx: &TabCtx, fx: &mut Effects) {
        if msg.is::<EnrolmentMsg>() {
            if let Some(e) = self.enrolment.as_mut()
                && e.answer(msg, fx) == enrolment::Outcome::Close
            {
                self.enrolment = None;
            }
            return;
        }
        let Some(msg) = own::<AccountMsg>(msg) else { return };
        match msg {
            AccountMsg::Policy(Ok(p)) => self.policy = Load::Loaded(p),
            AccountMsg::Policy(Err(e)) if !needs_login(&e) => self.policy = Load::Failed(e),
            AccountMsg::Sessions(Ok(list)) => {
                self.cursor = self.cursor.min(list.len().saturating_sub(1));
                self.sessions = Load::Loaded(list);
            }
            AccountMsg::Sessions(Err(e)) if !needs_login(&e) => self.sessions = Load::Failed(e),
            AccountMsg::BackupCodes(Ok(left)) => self.backup_codes_left = Some(left.remaining),
            AccountMsg::Notifications {
                saved: false,
                result: Ok(view),
            } => {
                self.notifications = Some(MyNotificationsEditor::new(view));
            }
            AccountMsg::Notifications {
                saved: true,
                result: Ok(_),
            } => {
                self.notifications = None;
                fx.toast(ToastLevel::Info, "Saved your notification choices");
            }
            AccountMsg::Notifications { result: Err(e), .. } if needs_login(&e) => {}
            AccountMsg::Notifications { saved, result: Err(e) } => {
                if let Some(ed) = self.notifications.as_mut() {
                    ed.saving = false;
                }
                if saved && e.code == ErrorCode::VersionMismatch {
                    fx.toast(
                        ToastLevel::Warning,
                        "Not saved: your choices were changed elsewhere meanwhile; N reads them again",
                    );
                    self.notifications = None;
                } else {
                    fx.toast(ToastLevel::Error, format!("Notification choices: {}", e.message));
                }
            }
            AccountMsg::PasswordChanged(result) => {
                let Some(change) = self.change.as_mut() else { return };
                change.sending = false;
                match result {
                    Ok(()) => {
                        self.change = None;
                        fx.toast(ToastLevel::Info, "Password changed; your other sessions were ended");
                        // A forced change is lifted at once (a key pressed now opens its area), and
                        // `GET me` again: the tabs load.
                        fx.password_changed = true;
                        fx.refresh_me = true;
                        self.load_rest(fx);
                    }
                    Err(e) if e.code == ErrorCode::ValidationFailed => {
                        for f in &e.fields {
                            match f.field.as_str() {
                                "current" => change.errors[0] = Some(f.message.clone()),
                                _ => change.errors[1] = Some(f.message.clone()),
                            }
                        }
                        if change.errors.iter().all(Option::is_none) {
                            change.errors[1] = Some(e.message.clone());
                        }
                        change.focus = change.errors.iter().position(Option::is_some).unwrap_or(0);
                    }
                    Err(e) if needs_login(&e) => {}
                    Err(e) => fx.toast(ToastLevel::Error, format!("Password not changed: {}", e.message)),
                }
            }
            AccountMsg::Ended {
                current: true,
                result: Ok(()),
            } => fx.logout = true,
            AccountMsg::Ended { result: Ok(()), .. } => {
                fx.toast(ToastLevel::Info, "Ended the session");
                self.load_rest(fx);
            }
            AccountMsg::Ended { result: Err(e), .. } if !needs_login(&e) => {
                fx.toast(ToastLevel::Error, format!("Not ended: {}", e.message));
            }
            _ => {}
        }
        let _ = ctx;
    }

    fn is_dirty(&self) -> bool {
        self.change
            .as_ref()
            .is_some_and(|c| c.inputs.iter().any(|i| !i.value().is_empty()))
            || self.enrolment.as_ref().is_some_and(Enrolment::asks_before_closing)
            || self.notifications.as_ref().is_some_and(MyNotificationsEditor::is_dirty)
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if let Some(e) = &self.enrolment {
            return e.hints();
        }
        if self.change.is_some() {
            let mut hints = vec![(Action::Activate, "next / change"), (Action::Save, "change")];
            if !self.must_change() {
                hints.push((Action::Cancel, "cancel"));
            }
            return hints;
        }
        if self.notifications.is_some() {
            return vec![
                (Action::ToggleSelect, "flip"),
                (Action::Save, "save"),
                (Action::Cancel, "close"),
                (Action::Help, "help"),
            ];
        }
        // Only what can be done now (the help lists every key): ending a session once they are listed,
        // enrolling in a method the organization offers.
        let mut hints = vec![(CHANGE_PASSWORD, "password")];
        if self.sessions.loaded().is_some_and(|s| !s.is_empty()) {
            hints.push((Action::DeleteItem, "end session"));
        }
        let offered = |m| self.me.as_ref().is_some_and(|me| me.two_step.available.contains(&m));
        // One hint is room enough: with both methods offered, `E` (the app) and the help names `M`.
        if offered(TwoStepMethod::Totp) {
            hints.push((crate::tabs::security::ENROL_TOTP, "enrol"));
        } else if offered(TwoStepMethod::Email) {
            hints.push((crate::tabs::security::ENROL_EMAIL, "enrol by email"));
        }
        hints.push((MY_NOTIFICATIONS, "notifications"));
        hints.extend([
            (Action::Reload, "reload"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ]);
        hints
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        view::render(self, frame, area, ctx);
        if let Some(e) = &self.notifications {
            e.render(frame, area, ctx.theme);
        }
    }

    fn render_overlay(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        if let Some(e) = &self.enrolment {
            e.render(frame, area, ctx);
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
