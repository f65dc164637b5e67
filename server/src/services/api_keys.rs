//! API keys: one personal key a user, made by its holder (or, for a user who cannot log in, an admin),
//! shown once, rotated with an optional grace period for the replaced key, revoked. Only the SHA-256 of a
//! key and its display prefix are stored.

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    Page,
    api_keys::{self, ApiKeyInfo, BASE62, CreateApiKey, NewApiKey, RANDOM_LEN, RotateApiKey},
    audit::AuditTarget,
    auth::{OrgRole, Secret},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::{AuthUser, token},
    error::{AppError, AppResult},
    services::users::no_user,
    state::AppState,
    store::{AuditRecord, NewApiKeyRow, StoreError},
};

/// Keys a page lists unless asked otherwise, and at most.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 500;

/// `GET api_keys?user=&cursor=&limit=`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiKeyQuery {
    pub user: Option<Uuid>,
    pub cursor: Option<Uuid>,
    pub limit: Option<u32>,
}

/// A new key (`od_` + 32 random base62 characters + checksum), its hash and its display prefix.
fn new_key() -> (Secret, String, String) {
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

fn no_key() -> AppError {
    AppError::NotFound("API key not found".into())
}

/// A replaced key's grace period is shown only while it lasts.
fn current(mut info: ApiKeyInfo, now: Timestamp) -> ApiKeyInfo {
    info.previous_valid_until = info.previous_valid_until.filter(|end| *end > now);
    info
}

/// The holder manages their own key; an admin any key of the organization.
fn may_manage(caller: &AuthUser, holder: Uuid) -> AppResult<()> {
    if caller.user_id == holder || caller.role == OrgRole::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only organization admins manage other users' API keys".into(),
        ))
    }
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
    let user = if caller.role == OrgRole::Admin {
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
    may_manage(caller, holder)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let user = tx.user_record(caller.org_id, holder).await?.ok_or_else(no_user)?;
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

/// `POST api_keys/{id}/rotate`: a new key at once; the replaced one works `grace_minutes` more.
pub async fn rotate(state: &AppState, caller: &AuthUser, id: Uuid, req: RotateApiKey) -> AppResult<NewApiKey> {
    req.validate().map_err(AppError::Validation)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let old = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    may_manage(caller, old.holder.id)?;
    let replaced_until = (req.grace_minutes > 0)
        .then(|| now.checked_add(SignedDuration::from_mins(i64::from(req.grace_minutes))))
        .transpose()
        .map_err(|e| AppError::Internal(e.into()))?;
    let (key, key_hash, prefix) = new_key();
    tx.rotate_api_key(id, &key_hash, &prefix, now, replaced_until).await?;
    let grace = match replaced_until {
        Some(end) => format!("the old key works until {end}"),
        None => "the old key stopped working".to_owned(),
    };
    tx.append_audit(&audit(
        caller,
        now,
        "api_key.rotate",
        old.holder.id,
        format!(
            "API key {}… of {} replaced by {prefix}…; {grace}",
            old.prefix, old.holder.email
        ),
    ))
    .await?;
    let info = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    tx.commit().await?;
    tracing::info!(holder = %old.holder.id, key = %prefix, "api key rotated");
    Ok(NewApiKey {
        info: current(info, now),
        key,
    })
}

/// `DELETE api_keys/{id}`: the key (and a replaced one still in its grace period) stops working now.
pub async fn revoke(state: &AppState, caller: &AuthUser, id: Uuid) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let key = tx.api_key(caller.org_id, id).await?.ok_or_else(no_key)?;
    may_manage(caller, key.holder.id)?;
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
