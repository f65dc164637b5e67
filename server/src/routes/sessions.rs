//! `users/{id}/sessions`, `users/{id}/sessions/{session_id}`: admins only.

use axum::extract::{Path, State};
use orgdeck_shared::security::endpoints as ep;
use uuid::Uuid;

use super::Reply;
use crate::{
    auth::OrgAdmin,
    error::AppResult,
    services::{sessions as service, users::no_user},
    state::AppState,
};

fn user_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| no_user())
}

pub async fn list(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::ListSessions>> {
    Ok(Reply::new(service::list(&state, &admin, user_id(&id)?).await?))
}

pub async fn end_all(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::EndSessions>> {
    service::end(&state, &admin, user_id(&id)?, None).await?;
    Ok(Reply::new(()))
}

pub async fn end_one(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path((id, session_id)): Path<(String, String)>,
) -> AppResult<Reply<ep::EndSession>> {
    service::end(&state, &admin, user_id(&id)?, Some(&session_id)).await?;
    Ok(Reply::new(()))
}
