//! Settings documents: read with a version, written only over the version they were read at.

use jiff::Timestamp;
use orgdeck_shared::{
    FieldError, Versioned,
    audit::{AuditTarget, diff_fields},
    general::GeneralSettings,
    notifications::{EventType, NotificationSettings},
    security::IpRestrictions,
    settings::SettingsArea,
};
use uuid::Uuid;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult, Internal},
    state::AppState,
    store::{AuditRecord, WriteTx},
};

pub async fn general(state: &AppState, admin: &OrgAdmin) -> AppResult<Versioned<GeneralSettings>> {
    Ok(state.store.general_settings(admin.org_id()).await?)
}

/// Replaces the general settings if they are still at `expected`; audits the changed fields. `id` and
/// `created_at` of `new` are ignored. An update that changes nothing writes nothing.
pub async fn update_general(
    state: &AppState,
    admin: &OrgAdmin,
    expected: i64,
    new: GeneralSettings,
) -> AppResult<Versioned<GeneralSettings>> {
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin_org(org_id).await?;
    let current = tx.general_settings(org_id).await?;
    if current.version != expected {
        return Err(AppError::VersionMismatch {
            current: current.version,
        });
    }
    let value = GeneralSettings {
        id: current.value.id,
        created_at: current.value.created_at,
        ..new
    };
    value.validate().map_err(AppError::Validation)?;
    let changes = diff_fields(&current.value, &value, &[]);
    if changes.is_empty() {
        return Ok(current);
    }
    let version = tx.update_general_settings(org_id, expected, &value, now).await?;
    let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let summary = format!("Changed general settings: {}", names.join(", "));
    let record = AuditRecord::new(
        Some(org_id),
        now,
        admin.user().actor(),
        "settings.update",
        AuditTarget::new("settings", "general"),
        summary,
    )
    .ip(admin.user().client_ip.to_string())
    .changes(changes);
    tx.append_audit(&record).await?;
    tx.commit().await?;
    Ok(Versioned { version, value })
}

fn parse_doc<T: SettingsArea + Default>(found: Option<(i64, String)>) -> AppResult<Versioned<T>> {
    match found {
        Some((version, doc)) => {
            let value = serde_json::from_str(&doc)
                .map_err(|e| AppError::Internal(Internal::stored(format!("{} settings", T::NAME), e)))?;
            Ok(Versioned { version, value })
        }
        None => Ok(Versioned {
            version: 1,
            value: T::default(),
        }),
    }
}

/// A settings document of the caller's organization (its defaults at version 1 when never written).
pub async fn doc<T: SettingsArea + Default>(state: &AppState, org_id: Uuid) -> AppResult<Versioned<T>> {
    parse_doc(state.store.settings_doc(org_id, T::NAME).await?)
}

/// A settings document as the write transaction `tx` sees it (for a change the document governs).
pub async fn doc_tx<T: SettingsArea + Default>(tx: &mut dyn WriteTx, org_id: Uuid) -> AppResult<Versioned<T>> {
    parse_doc(tx.settings_doc_tx(org_id, T::NAME).await?)
}

/// Replaces a settings document if still at `expected`; audits the changed fields (secrets redacted).
/// `guard` sees the new value before it is written and may refuse it.
pub async fn update_doc<T: SettingsArea + Default>(
    state: &AppState,
    admin: &OrgAdmin,
    expected: i64,
    new: T,
    guard: impl FnOnce(&T) -> AppResult<()>,
) -> AppResult<Versioned<T>> {
    new.check().map_err(AppError::Validation)?;
    let mut tx = state.store.begin_org(admin.org_id()).await?;
    guard(&new)?;
    write_doc(state, tx.as_mut(), admin, expected, new)
        .await?
        .commit(tx)
        .await
}

/// A document written in `tx` (not yet committed): [`Written::commit`] commits and answers it.
pub struct Written<T>(Versioned<T>, bool);

impl<T> Written<T> {
    pub async fn commit(self, tx: Box<dyn WriteTx>) -> AppResult<Versioned<T>> {
        if self.1 {
            tx.commit().await?;
        }
        Ok(self.0)
    }
}

/// Writes `new` over version `expected` inside `tx`, audited with the changed fields; nothing when it
/// changes nothing.
async fn write_doc<T: SettingsArea + Default>(
    state: &AppState,
    tx: &mut dyn WriteTx,
    admin: &OrgAdmin,
    expected: i64,
    new: T,
) -> AppResult<Written<T>> {
    let org_id = admin.org_id();
    let now = state.clock.now();
    let current: Versioned<T> = parse_doc(tx.settings_doc_tx(org_id, T::NAME).await?)?;
    if current.version != expected {
        return Err(AppError::VersionMismatch {
            current: current.version,
        });
    }
    let value = new.stored();
    let changes = diff_fields(&current.value, &value, T::SECRET_FIELDS);
    if changes.is_empty() {
        return Ok(Written(current, false));
    }
    let doc = serde_json::to_string(&value).map_err(|e| AppError::Internal(e.into()))?;
    let version = tx.update_settings_doc(org_id, T::NAME, expected, &doc, now).await?;
    let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let summary = format!("Changed {} settings: {}", T::NAME, names.join(", "));
    let record = AuditRecord::new(
        Some(org_id),
        now,
        admin.user().actor(),
        "settings.update",
        AuditTarget::new("settings", T::NAME),
        summary,
    )
    .ip(admin.user().client_ip.to_string())
    .changes(changes);
    tx.append_audit(&record).await?;
    Ok(Written(Versioned { version, value }, true))
}

/// Takes a deleted channel out of the notification defaults inside `tx` (the delete's own transaction, so
/// the defaults never name a channel that is gone); returns the event types that named it.
pub async fn forget_channel(tx: &mut dyn WriteTx, org_id: Uuid, id: Uuid, now: Timestamp) -> AppResult<Vec<EventType>> {
    let current: Versioned<NotificationSettings> = doc_tx(tx, org_id).await?;
    let mut value = current.value;
    let mut named = Vec::new();
    for event in EventType::ALL {
        let rule = value.rule_mut(event);
        if rule.channels.contains(&id) {
            rule.channels.retain(|c| *c != id);
            named.push(event);
        }
    }
    if !named.is_empty() {
        let doc = serde_json::to_string(&value).map_err(|e| AppError::Internal(e.into()))?;
        tx.update_settings_doc(org_id, NotificationSettings::NAME, current.version, &doc, now)
            .await?;
    }
    Ok(named)
}

/// `PUT settings/notifications`: besides the document's own rules, every channel it names must be one of
/// the organization's channels (not a bug tracker), checked in the write's transaction, each wrong one
/// named by its field (`new_vulnerability.channels`).
pub async fn update_notifications(
    state: &AppState,
    admin: &OrgAdmin,
    expected: i64,
    new: NotificationSettings,
) -> AppResult<Versioned<NotificationSettings>> {
    new.check().map_err(AppError::Validation)?;
    let mut tx = state.store.begin_org(admin.org_id()).await?;
    let integrations = tx.integrations_tx(admin.org_id()).await?;
    let mut errors = Vec::new();
    for event in EventType::ALL {
        for id in &new.rule(event).channels {
            let field = format!("{}.channels", event.as_str());
            match integrations.iter().find(|i| i.id == *id) {
                None => errors.push(FieldError::new(
                    field,
                    format!("no integration {id} in this organization"),
                )),
                Some(i) if i.kind.tracker() => errors.push(FieldError::new(
                    field,
                    format!("{} is a bug tracker, not a channel", i.name),
                )),
                Some(_) => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    write_doc(state, tx.as_mut(), admin, expected, new)
        .await?
        .commit(tx)
        .await
}

/// Saving a list that leaves out the caller's own address locks them out: refused unless confirmed.
pub fn refuse_self_lockout(new: &IpRestrictions, admin: &OrgAdmin) -> AppResult<()> {
    let ip = admin.user().client_ip;
    if new.allows(ip.0) || new.confirm_self_lockout {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "this list does not allow your own address {ip}: you would be locked out; \
             send confirm_self_lockout: true to save it anyway"
        )))
    }
}
