//! One's own account, every role: the password policy one's new password must meet, one's sessions.

use axum::extract::{Path, State};
use orgdeck_shared::{account::endpoints as ep, password::PasswordPolicy};

use super::Reply;
use crate::{
    auth::SessionUser,
    error::AppResult,
    services::{sessions, settings},
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
