//! Settings documents: read with a version, written only over the version they were read at.

use orgdeck_shared::{
    Versioned,
    audit::{AuditTarget, diff_fields},
    general::GeneralSettings,
};

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::AuditRecord,
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
