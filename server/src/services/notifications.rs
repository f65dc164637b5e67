//! One's own notification choices (`me/notifications`): per event type, in-app and email on or off over
//! the organization's defaults (`settings/notifications`). Kept as a versioned document of the
//! organization's settings store under a key of its own per user, so it is read, written and versioned
//! exactly like the organization's documents.

use orgdeck_shared::{
    audit::{AuditTarget, diff_fields},
    notifications::{MyNotifications, MyNotificationsView, NotificationSettings},
};
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    error::{AppError, AppResult, Internal},
    services::settings,
    state::AppState,
    store::AuditRecord,
};

/// The key of a user's choices in the settings store (never a settings area: no route names it).
pub(crate) fn key(user_id: Uuid) -> String {
    format!("{}{user_id}", key_prefix())
}

/// What every user's key starts with (the fan-out reads them all at once).
pub(crate) fn key_prefix() -> &'static str {
    "user_notifications/"
}

pub(crate) fn parse(found: Option<(i64, String)>) -> AppResult<(i64, MyNotifications)> {
    match found {
        Some((version, doc)) => serde_json::from_str(&doc)
            .map(|mine| (version, mine))
            .map_err(|e| AppError::Internal(Internal::stored("notification choices", e))),
        None => Ok((1, MyNotifications::default())),
    }
}

async fn view(
    state: &AppState,
    user: &AuthUser,
    version: i64,
    mine: MyNotifications,
) -> AppResult<MyNotificationsView> {
    let org = settings::doc::<NotificationSettings>(state, user.org_id).await?;
    Ok(MyNotificationsView {
        version,
        mine,
        defaults: MyNotificationsView::defaults_of(&org.value),
    })
}

pub async fn mine(state: &AppState, user: &AuthUser) -> AppResult<MyNotificationsView> {
    let (version, mine) = parse(state.store.settings_doc(user.org_id, &key(user.user_id)).await?)?;
    view(state, user, version, mine).await
}

/// Replaces the caller's choices if still at `expected` (412 otherwise); audited with what changed.
pub async fn set_mine(
    state: &AppState,
    user: &AuthUser,
    expected: i64,
    new: MyNotifications,
) -> AppResult<MyNotificationsView> {
    let new = new.normalized();
    let now = state.clock.now();
    let mut tx = state.store.begin_org(user.org_id).await?;
    let (current_version, current) = parse(tx.settings_doc_tx(user.org_id, &key(user.user_id)).await?)?;
    if current_version != expected {
        return Err(AppError::VersionMismatch {
            current: current_version,
        });
    }
    let changes = diff_fields(&current, &new, &[]);
    if changes.is_empty() {
        drop(tx);
        return view(state, user, current_version, current).await;
    }
    let doc = serde_json::to_string(&new).map_err(|e| AppError::Internal(e.into()))?;
    let version = tx
        .update_settings_doc(user.org_id, &key(user.user_id), expected, &doc, now)
        .await?;
    let record = AuditRecord::new(
        Some(user.org_id),
        now,
        user.actor(),
        "notifications.mine",
        AuditTarget::new("my_notifications", user.user_id.to_string()),
        format!("{} changed their own notification choices", user.email),
    )
    .ip(user.client_ip.to_string())
    .changes(changes);
    tx.append_audit(&record).await?;
    tx.commit().await?;
    view(state, user, version, new).await
}
