//! Admins list a user's active sessions and end them; every user lists and ends their own. Each end is
//! audited (`session.end`).

use jiff::SignedDuration;
use orgdeck_shared::{
    account::MySession,
    audit::AuditTarget,
    security::{ActiveSession, SessionSettings},
};
use uuid::Uuid;

use super::{settings::doc, users::no_user};
use crate::{
    auth::{OrgAdmin, SessionUser},
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
    alive(state, admin.org_id(), user_id).await
}

/// The sessions of `user_id` still alive under the organization's current timeouts, newest first.
async fn alive(state: &AppState, org_id: Uuid, user_id: Uuid) -> AppResult<Vec<ActiveSession>> {
    let now = state.clock.now();
    let timeouts = doc::<SessionSettings>(state, org_id).await?.value;
    let idle = SignedDuration::from_mins(i64::from(timeouts.idle_minutes));
    let absolute = SignedDuration::from_mins(i64::from(timeouts.absolute_minutes));
    let sessions = state.store.user_sessions(org_id, user_id).await?;
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

/// The id of the session `user` called with.
async fn current_id(state: &AppState, user: &SessionUser) -> AppResult<String> {
    let view = state
        .store
        .session(user.token_hash().expose())
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(view.id)
}

/// The caller's own live sessions, this one marked.
pub async fn mine(state: &AppState, user: &SessionUser) -> AppResult<Vec<MySession>> {
    let current = current_id(state, user).await?;
    Ok(alive(state, user.org_id, user.user_id)
        .await?
        .into_iter()
        .map(|s| MySession {
            current: s.id == current,
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            ip: s.ip,
        })
        .collect())
}

/// Ends one of the caller's own sessions (another's id is not found); audited as `session.end`.
pub async fn end_mine(state: &AppState, user: &SessionUser, session_id: &str) -> AppResult<()> {
    let current = current_id(state, user).await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if !tx.delete_session_by_id(user.org_id, user.user_id, session_id).await? {
        return Err(AppError::NotFound("session not found".into()));
    }
    let which = if session_id == current {
        "this session (logged out)"
    } else {
        "another session"
    };
    tx.append_audit(
        &AuditRecord::new(
            Some(user.org_id),
            now,
            user.actor(),
            "session.end",
            AuditTarget::new("user", user.user_id.to_string()),
            format!("{} ended {which} of their own: {session_id}", user.email),
        )
        .ip(user.client_ip.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
