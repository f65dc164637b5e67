//! One's own account, every role: the password policy one's new password must meet, one's sessions.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
};
use orgdeck_shared::{
    account::endpoints as ep,
    notifications::{MyNotifications, endpoints as notif_ep},
    password::PasswordPolicy,
};

use super::{Reply, etag::if_match};
use crate::{
    auth::{AuthUser, SessionUser},
    error::AppResult,
    http::json,
    services::{notifications, sessions, settings},
    state::AppState,
};

/// Answers also while a password change is required: the change needs its rules.
pub async fn password_policy(
    State(state): State<AppState>,
    user: SessionUser,
) -> AppResult<Reply<ep::MyPasswordPolicy>> {
    Ok(Reply::new(
        settings::doc::<PasswordPolicy>(&state, user.org_id).await?.value,
    ))
}

pub async fn sessions(State(state): State<AppState>, user: SessionUser) -> AppResult<Reply<ep::MySessions>> {
    Ok(Reply::new(sessions::mine(&state, &user).await?))
}

pub async fn end_session(
    State(state): State<AppState>,
    user: SessionUser,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::EndMySession>> {
    sessions::end_mine(&state, &user, &id).await?;
    Ok(Reply::new(()))
}

pub async fn notifications(State(state): State<AppState>, user: AuthUser) -> AppResult<Reply<notif_ep::GetMine>> {
    Ok(Reply::new(notifications::mine(&state, &user).await?))
}

pub async fn set_notifications(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Reply<notif_ep::PutMine>> {
    let expected = if_match(&headers)?;
    let mine: MyNotifications = json::parse_request(&headers, &body)?;
    Ok(Reply::new(
        notifications::set_mine(&state, &user, expected, mine).await?,
    ))
}
