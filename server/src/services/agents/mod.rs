//! Agents' credentials: the organization key (one an organization, made with it) and the named agent keys
//! admins make, each optionally limited to one environment. Made, shown once, rotated with a grace
//! period for the replaced key and revoked as personal keys are, and only by an admin at a logged-in
//! session; only their SHA-256 and display prefix are stored. What agents report with them is
//! [`events`].

pub mod events;

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    Page,
    agents::{AgentKeyInfo, CreateAgentKey, MAX_AGENT_KEYS, NewAgentKey, NewOrgKey, OrgKeyInfo},
    api_keys::RotateApiKey,
    audit::AuditTarget,
    auth::Secret,
};
use uuid::Uuid;

use crate::{
    auth::SessionAdmin,
    error::{AppError, AppResult},
    services::api_keys::new_key,
    state::AppState,
    store::{AgentKeyKind, AuditRecord, NewAgentKeyRow, StoreError, WriteTx},
};

fn no_key() -> AppError {
    AppError::NotFound("agent key not found".into())
}

fn no_org_key() -> AppError {
    AppError::NotFound("the organization has no organization key".into())
}

/// The organization key every organization starts with: its value is dropped at once, since nobody is
/// there to be shown it; `POST org_key/rotate` issues one.
pub(crate) fn unissued_org_key(org_id: Uuid, at: Timestamp) -> NewAgentKeyRow {
    let (_, key_hash, prefix) = new_key();
    NewAgentKeyRow {
        id: Uuid::now_v7(),
        org_id,
        kind: AgentKeyKind::Organization,
        name: None,
        environment: None,
        key_hash,
        prefix,
        issued: false,
        at,
    }
}

fn audit(admin: &SessionAdmin, now: Timestamp, action: &str, target: AuditTarget, summary: String) -> AuditRecord {
    let user = admin.user();
    AuditRecord::new(Some(user.org_id), now, user.actor(), action, target, summary).ip(user.client_ip.to_string())
}

/// A replaced key's grace period is shown only while it lasts.
fn current(mut info: AgentKeyInfo, now: Timestamp) -> AgentKeyInfo {
    info.previous_valid_until = info.previous_valid_until.filter(|end| *end > now);
    info
}

fn current_org_key(mut info: OrgKeyInfo, now: Timestamp) -> OrgKeyInfo {
    info.previous_valid_until = info.previous_valid_until.filter(|end| *end > now);
    info
}

/// `GET agent_keys`: every named key of the organization (at most [`MAX_AGENT_KEYS`]), by name.
pub async fn list(state: &AppState, admin: &SessionAdmin) -> AppResult<Page<AgentKeyInfo>> {
    let now = state.clock.now();
    let items = state.store.agent_keys(admin.org_id()).await?;
    Ok(Page {
        items: items.into_iter().map(|k| current(k, now)).collect(),
        next_cursor: None,
    })
}

/// `POST agent_keys`: a named key, shown once.
pub async fn create(state: &AppState, admin: &SessionAdmin, req: CreateAgentKey) -> AppResult<NewAgentKey> {
    req.validate().map_err(AppError::Validation)?;
    let org_id = admin.org_id();
    let name = req.name.trim().to_owned();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if tx.agent_key_count(org_id).await? >= MAX_AGENT_KEYS as u64 {
        return Err(AppError::Conflict(format!(
            "the organization holds {MAX_AGENT_KEYS} agent keys, the most it may: revoke one first"
        )));
    }
    let (key, key_hash, prefix) = new_key();
    let id = Uuid::now_v7();
    let row = NewAgentKeyRow {
        id,
        org_id,
        kind: AgentKeyKind::Agent,
        name: Some(name.clone()),
        environment: req.environment,
        key_hash,
        prefix: prefix.clone(),
        issued: true,
        at: now,
    };
    match tx.insert_agent_key(&row).await {
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::Validation(vec![orgdeck_shared::FieldError::new(
                "name",
                format!("the organization already has an agent key named {name:?}"),
            )]));
        }
        other => other?,
    }
    let limit = match req.environment {
        Some(env) => format!(", limited to {env}"),
        None => String::new(),
    };
    tx.append_audit(&audit(
        admin,
        now,
        "agent_key.create",
        AuditTarget::new("agent_key", id.to_string()),
        format!("Agent key {name} ({prefix}…) made{limit}"),
    ))
    .await?;
    let info = tx.agent_key(org_id, id).await?.ok_or_else(no_key)?;
    tx.commit().await?;
    tracing::info!(agent_key = %id, key = %prefix, "agent key created");
    Ok(NewAgentKey { info, key })
}

/// A key that replaced another: the new key, its prefix, and until when the replaced one works.
struct Replaced {
    key: Secret,
    prefix: String,
    replaced_until: Option<Timestamp>,
}

impl Replaced {
    /// What became of the replaced key, for the audit log.
    fn grace(&self) -> String {
        match self.replaced_until {
            Some(end) => format!("the old key works until {}", end.strftime("%Y-%m-%d %H:%M UTC")),
            None => "the old key stopped working".to_owned(),
        }
    }
}

/// Gives the agent credential `id` a new value inside `tx`; the replaced one works `grace_minutes` more.
async fn replace(tx: &mut dyn WriteTx, id: Uuid, grace_minutes: u32, now: Timestamp) -> AppResult<Replaced> {
    let replaced_until = (grace_minutes > 0)
        .then(|| now.checked_add(SignedDuration::from_mins(i64::from(grace_minutes))))
        .transpose()
        .map_err(|e| AppError::Internal(e.into()))?;
    let (key, key_hash, prefix) = new_key();
    tx.rotate_agent_key(id, &key_hash, &prefix, now, replaced_until).await?;
    Ok(Replaced {
        key,
        prefix,
        replaced_until,
    })
}

/// `POST agent_keys/{id}/rotate`: a new key at once; the replaced one works `grace_minutes` more.
pub async fn rotate(state: &AppState, admin: &SessionAdmin, id: Uuid, req: RotateApiKey) -> AppResult<NewAgentKey> {
    req.validate().map_err(AppError::Validation)?;
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let old = tx.agent_key(org_id, id).await?.ok_or_else(no_key)?;
    let new = replace(tx.as_mut(), id, req.grace_minutes, now).await?;
    tx.append_audit(&audit(
        admin,
        now,
        "agent_key.rotate",
        AuditTarget::new("agent_key", id.to_string()),
        format!(
            "Agent key {} ({}…) replaced by {}…; {}",
            old.name,
            old.prefix,
            new.prefix,
            new.grace()
        ),
    ))
    .await?;
    let info = tx.agent_key(org_id, id).await?.ok_or_else(no_key)?;
    tx.commit().await?;
    tracing::info!(agent_key = %id, key = %new.prefix, "agent key rotated");
    Ok(NewAgentKey {
        info: current(info, now),
        key: new.key,
    })
}

/// `DELETE agent_keys/{id}`: the key (and a replaced one still in its grace period) stops working now.
/// The events it reported stay, naming it.
pub async fn revoke(state: &AppState, admin: &SessionAdmin, id: Uuid) -> AppResult<()> {
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let key = tx.agent_key(org_id, id).await?.ok_or_else(no_key)?;
    tx.delete_agent_key(org_id, id).await?;
    tx.append_audit(&audit(
        admin,
        now,
        "agent_key.revoke",
        AuditTarget::new("agent_key", id.to_string()),
        format!("Agent key {} ({}…) revoked", key.name, key.prefix),
    ))
    .await?;
    tx.commit().await?;
    tracing::info!(agent_key = %id, key = %key.prefix, "agent key revoked");
    Ok(())
}

/// `GET org_key`: what the organization key is, never its value.
pub async fn org_key(state: &AppState, admin: &SessionAdmin) -> AppResult<OrgKeyInfo> {
    let info = state.store.org_key(admin.org_id()).await?.ok_or_else(no_org_key)?;
    Ok(current_org_key(info, state.clock.now()))
}

/// `POST org_key/rotate`: a new organization key, shown once; the replaced one works `grace_minutes`
/// more, unless it was never issued (then nothing can hold it, and it stops at once).
pub async fn rotate_org_key(state: &AppState, admin: &SessionAdmin, req: RotateApiKey) -> AppResult<NewOrgKey> {
    req.validate().map_err(AppError::Validation)?;
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let (id, old) = tx.org_key_tx(org_id).await?.ok_or_else(no_org_key)?;
    let grace = if old.issued { req.grace_minutes } else { 0 };
    let new = replace(tx.as_mut(), id, grace, now).await?;
    let summary = if old.issued {
        format!(
            "Organization key {}… replaced by {}…; {}",
            old.prefix,
            new.prefix,
            new.grace()
        )
    } else {
        format!("Organization key issued ({}…)", new.prefix)
    };
    tx.append_audit(&audit(
        admin,
        now,
        "org_key.rotate",
        AuditTarget::new("org_key", id.to_string()),
        summary,
    ))
    .await?;
    let (_, info) = tx.org_key_tx(org_id).await?.ok_or_else(no_org_key)?;
    tx.commit().await?;
    tracing::info!(key = %new.prefix, "organization key rotated");
    Ok(NewOrgKey {
        info: current_org_key(info, now),
        key: new.key,
    })
}
