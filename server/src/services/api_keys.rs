//! API keys: one personal key a user, made by its holder (or, for a user who cannot log in, an admin),
//! shown once, rotated with an optional grace period for the replaced key, revoked. Only the SHA-256 of a
//! key and its display prefix are stored.

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    Page,
    api_keys::{
        self, ApiKeyEmailed, ApiKeyInfo, ApiKeyQuery, ApiKeySettings, BASE62, CreateApiKey, NewApiKey, RANDOM_LEN,
        RotateApiKey,
    },
    audit::AuditTarget,
    auth::Secret,
};
use uuid::Uuid;

use crate::{
    auth::{AuthUser, OrgAdmin, token},
    error::{AppError, AppResult},
    mail::{self, NewMail, mask_email},
    services::{settings::doc_tx, users::no_user},
    state::AppState,
    store::{AuditRecord, NewApiKeyRow, StoreError, UserRecord, UserStatus, WriteTx},
};

/// Keys a page lists unless asked otherwise, and at most.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 500;

/// A new key (`od_` + 32 random base62 characters + checksum), its hash and its display prefix. Agent
/// and organization keys are made the same way.
pub(crate) fn new_key() -> (Secret, String, String) {
    let mut random = String::with_capacity(RANDOM_LEN);
    let mut bytes = [0u8; 64];
    while random.len() < RANDOM_LEN {
        rand::fill(&mut bytes[..]);
        // 248 = 4 * 62: rejecting the bytes above keeps every character equally likely.
        for b in bytes.iter().filter(|b| **b < 248) {
            if random.len() < RANDOM_LEN {
                random.push(char::from(BASE62[usize::from(*b % 62)]));
            }
        }
    }
    let key = api_keys::assemble(&random);
    let hash = token::hash_token(&key);
    let prefix = api_keys::display_prefix(&key);
    (Secret::new(key), hash, prefix)
}

fn others_keys() -> AppError {
    AppError::Forbidden("only organization admins manage other users' API keys".into())
}

fn no_key() -> AppError {
    AppError::NotFound("API key not found".into())
}

/// A replaced key's grace period is shown only while it lasts.
fn current(mut info: ApiKeyInfo, now: Timestamp) -> ApiKeyInfo {
    info.previous_valid_until = info.previous_valid_until.filter(|end| *end > now);
    info
}

/// Who may make or replace the key of `holder` (a new key is shown to whoever makes it): its holder, or
/// an admin when the holder is an API-only user. Never an admin for another person's login account,
/// which would let one admin act as another.
fn may_issue(caller: &AuthUser, holder: &UserRecord) -> AppResult<()> {
    if caller.user_id == holder.user.id {
        return Ok(());
    }
    OrgAdmin::of(caller).map_err(|_| others_keys())?;
    if !holder.user.api_only {
        return Err(AppError::Forbidden(format!(
            "{} logs in themselves: only they can make or rotate their key (admins do it for API-only users)",
            holder.user.email
        )));
    }
    Ok(())
}

/// Who may revoke the key of `holder`: its holder, or any admin of the organization (revoking hands no
/// one a credential, and stops a leaked key).
fn may_revoke(caller: &AuthUser, holder: Uuid) -> AppResult<()> {
    if caller.user_id != holder {
        OrgAdmin::of(caller).map_err(|_| others_keys())?;
    }
    Ok(())
}

fn audit(caller: &AuthUser, now: Timestamp, action: &str, holder: Uuid, summary: String) -> AuditRecord {
    AuditRecord::new(
        Some(caller.org_id),
        now,
        caller.actor(),
        action,
        AuditTarget::new("user", holder.to_string()),
        summary,
    )
    .ip(caller.client_ip.to_string())
}

/// `GET api_keys`: the caller's key; an admin sees every key of the organization (or one user's).
pub async fn list(state: &AppState, caller: &AuthUser, q: ApiKeyQuery) -> AppResult<Page<ApiKeyInfo>> {
    let user = if OrgAdmin::of(caller).is_ok() {
        q.user
    } else {
        if q.user.is_some_and(|u| u != caller.user_id) {
            return Err(AppError::Forbidden(
                "only organization admins see other users' API keys".into(),
            ));
        }
        Some(caller.user_id)
    };
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let mut items = state.store.api_keys(caller.org_id, user, q.cursor, limit + 1).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|k| k.id.to_string())
    } else {
        None
    };
    let now = state.clock.now();
    Ok(Page {
        items: items.into_iter().map(|k| current(k, now)).collect(),
        next_cursor,
    })
}

/// `POST api_keys`: a key for the caller or (admins) for a user of the organization.
pub async fn create(state: &AppState, caller: &AuthUser, req: CreateApiKey) -> AppResult<NewApiKey> {
    let holder = req.user_id.unwrap_or(caller.user_id);
    if holder != caller.user_id {
        OrgAdmin::of(caller).map_err(|_| others_keys())?;
    }
    let now = state.clock.now();
    let mut tx = state.store.begin_org(caller.org_id).await?;
    let user = tx.user_record(caller.org_id, holder).await?.ok_or_else(no_user)?;
    may_issue(caller, &user)?;
    if user.user.status == UserStatus::Pending {
        return Err(AppError::Conflict(format!(
            "{} has not activated their account yet: a key is made once it is active",
            user.user.email
        )));
    }
    let (key, key_hash, prefix) = new_key();
    let id = Uuid::now_v7();
    match tx
        .insert_api_key(&NewApiKeyRow {
            id,
            org_id: caller.org_id,
            user_id: holder,
            key_hash,
            prefix: prefix.clone(),
            at: now,
        })
        .await
    {
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(format!(
                "{} already has an API key: rotate it, or revoke it first",
                user.user.email
            )));
        }
        other => other?,
    }
    tx.append_audit(&audit(
        caller,
        now,
        "api_key.create",
        holder,
        format!("API key {prefix}… made for {}", user.user.email),
    ))
    .await?;
    let info = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    tx.commit().await?;
    tracing::info!(holder = %holder, key = %prefix, "api key created");
    Ok(NewApiKey { info, key })
}

/// A key that replaced another: the new key, its prefix, and until when the replaced one works.
struct Replaced {
    key: Secret,
    prefix: String,
    replaced_until: Option<Timestamp>,
}

impl Replaced {
    /// What became of the replaced key, for the audit log and the mail.
    fn grace(&self) -> String {
        match self.replaced_until {
            Some(end) => format!("the old key works until {}", end.strftime("%Y-%m-%d %H:%M UTC")),
            None => "the old key stopped working".to_owned(),
        }
    }
}

/// Gives the key `id` a new value inside `tx`; the replaced one works `grace_minutes` more.
async fn replace(tx: &mut dyn WriteTx, id: Uuid, grace_minutes: u32, now: Timestamp) -> AppResult<Replaced> {
    let replaced_until = (grace_minutes > 0)
        .then(|| now.checked_add(SignedDuration::from_mins(i64::from(grace_minutes))))
        .transpose()
        .map_err(|e| AppError::Internal(e.into()))?;
    let (key, key_hash, prefix) = new_key();
    tx.rotate_api_key(id, &key_hash, &prefix, now, replaced_until).await?;
    Ok(Replaced {
        key,
        prefix,
        replaced_until,
    })
}

/// `POST api_keys/{id}/rotate`: a new key at once; the replaced one works `grace_minutes` more.
pub async fn rotate(state: &AppState, caller: &AuthUser, id: Uuid, req: RotateApiKey) -> AppResult<NewApiKey> {
    req.validate().map_err(AppError::Validation)?;
    let now = state.clock.now();
    let mut tx = state.store.begin_org(caller.org_id).await?;
    let old = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    let holder = tx
        .user_record(caller.org_id, old.holder.id)
        .await?
        .ok_or_else(no_user)?;
    may_issue(caller, &holder)?;
    let new = replace(tx.as_mut(), id, req.grace_minutes, now).await?;
    tx.append_audit(&audit(
        caller,
        now,
        "api_key.rotate",
        old.holder.id,
        format!(
            "API key {}… of {} replaced by {}…; {}",
            old.prefix,
            old.holder.email,
            new.prefix,
            new.grace()
        ),
    ))
    .await?;
    let info = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    tx.commit().await?;
    tracing::info!(holder = %old.holder.id, key = %new.prefix, "api key rotated");
    Ok(NewApiKey {
        info: current(info, now),
        key: new.key,
    })
}

/// The mail that carries a new key to its holder (plain ASCII, so no transfer encoding splits the key).
fn key_mail(key: &Secret, old_prefix: &str, new: &Replaced) -> String {
    format!(
        "Your new orgdeck API key is:\r\n\r\n{}\r\n\r\n\
         It replaces the key {old_prefix}...: {}.\r\n\
         Send it as the header \"Authorization: Bearer <key>\". Keep it secret: store it, then delete this mail.\r\n\
         If you did not ask for it, revoke the key in orgdeck and tell your administrator.\r\n",
        key.expose(),
        new.grace()
    )
}

/// `POST api_keys/{id}/email`: "email me my key". Only the holder, and only to their own address (an
/// admin cannot mail someone else's key anywhere); the key is rotated, since the server never keeps the
/// current one, and the new key goes through the mail queue with its body sealed. The organization's
/// `api_keys` setting `email_keys` may forbid it.
pub async fn email(state: &AppState, caller: &AuthUser, id: Uuid, req: RotateApiKey) -> AppResult<ApiKeyEmailed> {
    req.validate().map_err(AppError::Validation)?;
    let now = state.clock.now();
    let mut tx = state.store.begin_org(caller.org_id).await?;
    let old = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    if old.holder.id != caller.user_id {
        return Err(AppError::Forbidden(format!(
            "a key is emailed only to its holder's own address: {} must ask for it (an admin may rotate it)",
            old.holder.email
        )));
    }
    let settings = doc_tx::<ApiKeySettings>(tx.as_mut(), caller.org_id).await?;
    if !settings.value.email_keys {
        return Err(AppError::Forbidden(
            "your organization does not allow emailing API keys (settings api_keys: email_keys is off)".into(),
        ));
    }
    let new = replace(tx.as_mut(), id, req.grace_minutes, now).await?;
    let body = key_mail(&new.key, &old.prefix, &new);
    mail::enqueue(
        tx.as_mut(),
        &state.secret_box,
        now,
        NewMail {
            org_id: Some(caller.org_id),
            to: &old.holder.email,
            subject: "Your new orgdeck API key",
            body: &body,
        },
    )
    .await?;
    let sent_to = mask_email(&old.holder.email);
    tx.append_audit(&audit(
        caller,
        now,
        "api_key.email",
        old.holder.id,
        format!(
            "API key {}… replaced by {}… and emailed to {sent_to}; {}",
            old.prefix,
            new.prefix,
            new.grace()
        ),
    ))
    .await?;
    let info = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    tx.commit().await?;
    state.mail.wake();
    tracing::info!(holder = %old.holder.id, key = %new.prefix, "api key rotated and emailed");
    Ok(ApiKeyEmailed {
        sent_to,
        info: current(info, now),
    })
}

/// `DELETE api_keys/{id}`: the key (and a replaced one still in its grace period) stops working now.
pub async fn revoke(state: &AppState, caller: &AuthUser, id: Uuid) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin_org(caller.org_id).await?;
    let key = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    may_revoke(caller, key.holder.id)?;
    tx.delete_api_key(caller.org_id, id).await?;
    tx.append_audit(&audit(
        caller,
        now,
        "api_key.revoke",
        key.holder.id,
        format!("API key {}… of {} revoked", key.prefix, key.holder.email),
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_are_well_formed_distinct_and_stored_only_as_hash() {
        let (a, hash, prefix) = new_key();
        let (b, _, _) = new_key();
        assert_ne!(a, b);
        assert!(api_keys::well_formed(a.expose()), "{}", a.expose());
        assert_eq!(hash, token::hash_token(a.expose()));
        assert!(a.expose().starts_with(&prefix) && prefix.len() == api_keys::DISPLAY_LEN);
    }
}
