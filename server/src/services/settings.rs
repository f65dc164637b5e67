//! Settings documents: read with a version, written only over the version they were read at.

use orgdeck_shared::{
    Versioned,
    audit::{AuditTarget, diff_fields},
    general::GeneralSettings,
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
    let mut tx = state.store.begin().await?;
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
    let org_id = admin.org_id();
    let now = state.clock.now();
    new.check().map_err(AppError::Validation)?;
    let mut tx = state.store.begin().await?;
    let current: Versioned<T> = parse_doc(tx.settings_doc_tx(org_id, T::NAME).await?)?;
    if current.version != expected {
        return Err(AppError::VersionMismatch {
            current: current.version,
        });
    }
    guard(&new)?;
    let value = new.stored();
    let changes = diff_fields(&current.value, &value, T::SECRET_FIELDS);
    if changes.is_empty() {
        return Ok(current);
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
    tx.commit().await?;
    Ok(Versioned { version, value })
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
