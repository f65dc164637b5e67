//! The API keys tab's actions: what each asks first (as data: a [`Pending`] and its dialog), the
//! requests a yes sends, and what their answers change. Refusals are shown in place, above the table.

use orgdeck_shared::{
    ApiError, Page,
    api_keys::{ApiKeySettings, CreateApiKey, MAX_GRACE_MINUTES, RotateApiKey, endpoints as keys},
    settings::endpoints::Put,
    users::{User, UserQuery, endpoints::List as ListUsers},
};
use tui_input::Input;
use uuid::Uuid;

use super::{ApiKeysMsg, ApiKeysTab, KeyRef, KeyReveal, Mode, Pending, settings_call};
use crate::{
    api::{Call, needs_login},
    keymap::Action,
    tabs::{Effects, TabCtx},
    widgets::{Dialog, Prompt, ToastLevel},
};

/// The grace period typed at the rotation's prompt, in minutes.
pub(crate) fn grace_minutes(text: &str) -> Result<u32, String> {
    let minutes: u32 = text
        .trim()
        .parse()
        .map_err(|_| "type a whole number of minutes (0: the old key stops now)".to_owned())?;
    RotateApiKey { grace_minutes: minutes }
        .validate()
        .map_err(|errors| errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; "))?;
    Ok(minutes)
}

/// The search for the user with this email (the answer is matched exactly).
pub(super) fn find_holder(email: &str) -> Call {
    let query = UserQuery {
        q: Some(email.trim().to_owned()),
        limit: Some(20),
        ..UserQuery::default()
    };
    Call::of::<ListUsers, _>((), ApiKeysMsg::Holder)
        .query(&query)
        .label("loading users")
}

/// A new key (shown once) for the caller, or (admins) for `user`; never sent again behind the user's back.
fn create(user: Option<Uuid>) -> Call {
    Call::new::<keys::Create, _>((), &CreateApiKey { user_id: user }, |result| ApiKeysMsg::NewKey {
        rotated: false,
        result,
    })
    .retryable(false)
    .label("making an API key")
}

fn what_the_old_key_does(grace_minutes: u32) -> String {
    match grace_minutes {
        0 => "The old key stops working now.".to_owned(),
        1 => "The old key keeps working 1 more minute.".to_owned(),
        n => format!("The old key keeps working {n} more minutes."),
    }
}

impl ApiKeysTab {
    /// Asks the user about `pending`; a yes comes back through [`crate::tabs::Tab::confirmed`].
    pub(super) fn ask(&mut self, pending: Pending, fx: &mut Effects) {
        let (title, message, yes) = match &pending {
            Pending::Rotate { key, grace_minutes } => (
                format!("Rotate {}?", key.prefix),
                format!(
                    "A new key for {} is made now and shown once. {}",
                    key.holder,
                    what_the_old_key_does(*grace_minutes)
                ),
                "rotate",
            ),
            Pending::Email(key) => (
                "Email me my key?".to_owned(),
                format!(
                    "This rotates your key: {} stops working now, and the new key is mailed to your own \
                     address ({}). Scripts using the old key must switch.",
                    key.prefix, key.holder
                ),
                "rotate and email",
            ),
            Pending::Revoke(key) => (
                format!("Revoke {}?", key.prefix),
                format!(
                    "Revoke the API key {} of {}? It stops working at once (so does a replaced key still in \
                     its grace period). This cannot be undone.",
                    key.prefix, key.holder
                ),
                "revoke",
            ),
            Pending::EmailKeys(true) => (
                "Allow emailing keys?".to_owned(),
                "Holders may then have a new key mailed to their own address (\"email me my key\").".to_owned(),
                "allow",
            ),
            Pending::EmailKeys(false) => (
                "Forbid emailing keys?".to_owned(),
                "Nobody in the organization can have a key emailed any more; keys are shown only in the console."
                    .to_owned(),
                "forbid",
            ),
            Pending::CloseReveal => unreachable!("asked by ask_to_close"),
        };
        fx.confirm = Some(Dialog::confirm(pending.action(), title, message, yes, "cancel"));
        self.pending = Some(pending);
    }

    /// Closing the new key's box loses the key: ask first.
    pub(super) fn ask_to_close(&mut self, copied: bool, fx: &mut Effects) {
        let message = if copied {
            "The key will not be shown again."
        } else {
            "The key will not be shown again, and you have not copied it (c)."
        };
        fx.confirm = Some(Dialog::confirm(
            Action::Cancel,
            "Close the new key?",
            message,
            "close",
            "keep it open",
        ));
        self.pending = Some(Pending::CloseReveal);
    }

    /// The key under the cursor, or a word in place when there is none.
    fn current_key(&mut self) -> Option<KeyRef> {
        let key = self.table.current().map(KeyRef::of);
        if key.is_none() {
            self.notice = Some("No API key here: a makes yours".into());
        }
        key
    }

    pub(super) fn browse_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        match action {
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                return self.with_table(fx, |t, out| t.handle_action(action, out));
            }
            Action::Reload => {
                self.notice = None;
                if !self.with_table(fx, |t, out| t.retry(out)) {
                    self.with_table(fx, |t, out| t.reload(out));
                }
                if self.is_admin() {
                    fx.call(settings_call());
                }
                return true;
            }
            Action::Cancel if self.notice.is_some() => {
                self.notice = None;
                return true;
            }
            _ => {}
        }
        if ctx.read_only {
            return false;
        }
        match action {
            Action::NewItem => {
                self.notice = None;
                match self.my_key() {
                    Some(mine) => {
                        self.notice = Some(format!("You have an API key already ({}): R rotates it", mine.prefix));
                    }
                    None => fx.call(create(None)),
                }
            }
            crate::tabs::api_keys::CREATE_KEY_FOR if !self.is_admin() => {
                self.notice = Some("Only organization admins make keys for other users".into());
            }
            crate::tabs::api_keys::CREATE_KEY_FOR => {
                self.notice = None;
                self.mode = Mode::Holder {
                    prompt: Prompt::new(
                        "Make an API key for a user",
                        "Email of a user of the organization (an API-only user, say):",
                    )
                    .with_submit("look up", "type the user's email"),
                    looking_up: None,
                };
            }
            crate::tabs::api_keys::ROTATE_KEY => {
                let Some(key) = self.current_key() else { return true };
                self.notice = None;
                let mut prompt = Prompt::new(
                    format!("Rotate {} of {}", key.prefix, key.holder),
                    format!("Minutes the old key keeps working (0: it stops now; at most {MAX_GRACE_MINUTES}):"),
                )
                .with_submit("next", "type a number of minutes (0: none)");
                prompt.input = Input::new("0".into());
                self.mode = Mode::Grace { key, prompt };
            }
            crate::tabs::api_keys::EMAIL_KEY => {
                self.notice = None;
                // The organization's rule first: with it, having a key would not help.
                let mine = self.my_key().map(KeyRef::of);
                match mine {
                    _ if self.email_forbidden() => {
                        let rotate = ctx.keymap.keys_label(crate::tabs::api_keys::ROTATE_KEY);
                        self.notice = Some(format!(
                            "Your organization forbids emailing API keys ({rotate} rotates yours, shown here)"
                        ));
                    }
                    None => self.notice = Some("You have no API key to email: a makes one".into()),
                    Some(key) => self.ask(Pending::Email(key), fx),
                }
            }
            Action::DeleteItem => {
                let Some(key) = self.current_key() else { return true };
                self.notice = None;
                self.ask(Pending::Revoke(key), fx);
            }
            crate::tabs::api_keys::EMAIL_KEYS_SWITCH if !self.is_admin() => {
                self.notice = Some("Only organization admins change the API key settings".into());
            }
            crate::tabs::api_keys::EMAIL_KEYS_SWITCH => match &self.settings {
                Some(s) => {
                    let allow = !s.value.email_keys;
                    self.notice = None;
                    self.ask(Pending::EmailKeys(allow), fx);
                }
                None => self.notice = Some("The API key settings have not loaded: r reloads".into()),
            },
            _ => return false,
        }
        true
    }

    /// Sends what a confirmed change asks for.
    pub(super) fn perform(&mut self, p: Pending, fx: &mut Effects) {
        match p {
            Pending::Rotate { key, grace_minutes } => {
                let body = RotateApiKey { grace_minutes };
                let call =
                    Call::new::<keys::Rotate, _>(key.id, &body, |result| ApiKeysMsg::NewKey { rotated: true, result });
                fx.call(call.retryable(false).label("rotating an API key"));
            }
            Pending::Email(key) => {
                let call = Call::new::<keys::Email, _>(key.id, &RotateApiKey::default(), ApiKeysMsg::Emailed);
                fx.call(call.retryable(false).label("emailing an API key"));
            }
            Pending::Revoke(key) => {
                let id = key.id;
                let call = Call::of::<keys::Revoke, _>(id, move |result| ApiKeysMsg::Revoked { id, result });
                fx.call(call.label("revoking an API key"));
            }
            Pending::EmailKeys(email_keys) => {
                if let Some(s) = &self.settings {
                    let call = Call::new::<Put<ApiKeySettings>, _>((), &ApiKeySettings { email_keys }, |result| {
                        ApiKeysMsg::Settings { saved: true, result }
                    });
                    fx.call(call.if_match(s.version).label("saving API key settings"));
                }
            }
            Pending::CloseReveal => self.mode = Mode::Browse,
        }
    }

    /// The answer to looking up the user an admin makes a key for: exactly that email, or a word why not.
    pub(super) fn holder_found(&mut self, result: &Result<Page<User>, ApiError>, fx: &mut Effects) {
        let Mode::Holder { prompt, looking_up } = &mut self.mode else {
            return;
        };
        let Some(email) = looking_up.take() else { return };
        match result {
            Ok(page) => match page.items.iter().find(|u| u.email.eq_ignore_ascii_case(email.trim())) {
                Some(user) => {
                    fx.call(create(Some(user.id)));
                    self.mode = Mode::Browse;
                }
                None => prompt.error = Some(format!("no user {email} in the organization")),
            },
            Err(e) if needs_login(e) => {}
            Err(e) => prompt.error = Some(e.message.clone()),
        }
    }

    /// Answers to making, rotating, emailing and revoking keys.
    pub(super) fn change_answered(&mut self, msg: ApiKeysMsg, ctx: &TabCtx, fx: &mut Effects) {
        match msg {
            ApiKeysMsg::NewKey { rotated, result } => match result {
                Err(e) if needs_login(&e) => {}
                Ok(new) => {
                    if rotated {
                        self.table.update_row(new.info.clone());
                    } else {
                        self.with_table(fx, |t, out| t.reload(out));
                    }
                    self.mode = Mode::NewKey(Box::new(KeyReveal::new(&new, ctx.server, rotated)));
                }
                Err(e) if rotated => self.notice = Some(format!("Not rotated: {}", e.message)),
                Err(e) => self.notice = Some(format!("No key made: {}", e.message)),
            },
            ApiKeysMsg::Emailed(Ok(emailed)) => {
                fx.toast(
                    ToastLevel::Info,
                    format!(
                        "Your new key {} is on its way to {}; the old one stopped working",
                        emailed.info.prefix, emailed.sent_to
                    ),
                );
                self.table.update_row(emailed.info);
            }
            ApiKeysMsg::Emailed(Err(e)) if !needs_login(&e) => {
                self.notice = Some(format!("Not emailed: {}", e.message));
            }
            ApiKeysMsg::Revoked { id, result: Ok(()) } => {
                let what = self.table.held().find(|k| k.id == id).map(KeyRef::of);
                self.table.remove_rows(&[id]);
                if let Some(k) = what {
                    fx.toast(ToastLevel::Info, format!("Revoked {} of {}", k.prefix, k.holder));
                }
            }
            ApiKeysMsg::Revoked { result: Err(e), .. } if !needs_login(&e) => {
                self.notice = Some(format!("Not revoked: {}", e.message));
            }
            _ => {}
        }
    }
}
