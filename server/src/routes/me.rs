//! One's own account, every role: the password policy one's new password must meet, one's sessions.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use orgdeck_shared::{account::MySession, password::PasswordPolicy};

use crate::{
    auth::SessionUser,
    error::AppResult,
    services::{sessions, settings},
    state::AppState,
};

/// Answers also while a password change is required: the change needs its rules.
pub async fn password_policy(State(state): State<AppState>, user: SessionUser) -> AppResult<Json<PasswordPolicy>> {
    Ok(Json(settings::doc::<PasswordPolicy>(&state, user.org_id).await?.value))
}

pub async fn sessions(State(state): State<AppState>, user: SessionUser) -> AppResult<Json<Vec<MySession>>> {
    Ok(Json(sessions::mine(&state, &user).await?))
}

pub async fn end_session(
    State(state): State<AppState>,
    user: SessionUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    sessions::end_mine(&state, &user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
