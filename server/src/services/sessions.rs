//! Admins list a user's active sessions and end them; each end is audited (`session.end`).

use jiff::SignedDuration;
use orgdeck_shared::{
    audit::AuditTarget,
    security::{ActiveSession, SessionSettings},
};
use uuid::Uuid;

use super::{settings::doc, users::no_user};
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::AuditRecord,
};

async fn user_email(state: &AppState, admin: &OrgAdmin, user_id: Uuid) -> AppResult<String> {
    Ok(state
        .store
        .user(admin.org_id(), user_id)
        .await?
        .ok_or_else(no_user)?
        .email)
}

/// The user's sessions still alive under the organization's current timeouts, newest first.
pub async fn list(state: &AppState, admin: &OrgAdmin, user_id: Uuid) -> AppResult<Vec<ActiveSession>> {
    user_email(state, admin, user_id).await?;
    let now = state.clock.now();
    let timeouts = doc::<SessionSettings>(state, admin.org_id()).await?.value;
    let idle = SignedDuration::from_mins(i64::from(timeouts.idle_minutes));
    let absolute = SignedDuration::from_mins(i64::from(timeouts.absolute_minutes));
    let sessions = state.store.user_sessions(admin.org_id(), user_id).await?;
    Ok(sessions
        .into_iter()
        .filter_map(|s| {
            let expires_at = s.created_at.checked_add(absolute).ok()?;
            let idle_end = s.last_seen_at.checked_add(idle).ok()?;
            (now < expires_at && now < idle_end).then_some(ActiveSession {
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at,
                ip: s.ip,
            })
        })
        .collect())
}

/// Ends one session (`Some(id)`) or all of them; returns how many ended.
pub async fn end(state: &AppState, admin: &OrgAdmin, user_id: Uuid, session_id: Option<&str>) -> AppResult<u64> {
    let email = user_email(state, admin, user_id).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let (ended, summary) = match session_id {
        Some(id) => {
            if !tx.delete_session_by_id(admin.org_id(), user_id, id).await? {
                return Err(AppError::NotFound("session not found".into()));
            }
            (1, format!("Session {id} of {email} ended by an admin"))
        }
        None => {
            let n = tx.end_user_sessions(user_id).await?;
            (n, format!("All {n} session(s) of {email} ended by an admin"))
        }
    };
    tx.append_audit(
        &AuditRecord::new(
            Some(admin.org_id()),
            now,
            admin.user().actor(),
            "session.end",
            AuditTarget::new("user", user_id.to_string()),
            summary,
        )
        .ip(admin.user().client_ip.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}
