//! `agent_keys`, `agent_keys/{id}`, `agent_keys/{id}/rotate`, `org_key`, `org_key/rotate`: an admin at a
//! logged-in session (keys never manage keys); `agent/events`: an agent or organization key only.

use axum::extract::{Path, State};
use orgdeck_shared::{
    agents::{CreateAgentKey, endpoints as ep},
    api_keys::RotateApiKey,
};
use uuid::Uuid;

use super::Reply;
use crate::{
    auth::{SessionAdmin, agent::AgentCaller},
    error::{AppError, AppResult},
    http::json::ApiJson,
    services::agents::{self as service, events},
    state::AppState,
};

/// A path id that is not a UUID names no key (404, like an unknown id).
fn key_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound("agent key not found".into()))
}

pub async fn list(State(state): State<AppState>, admin: SessionAdmin) -> AppResult<Reply<ep::ListKeys>> {
    Ok(Reply::new(service::list(&state, &admin).await?))
}

pub async fn create(
    State(state): State<AppState>,
    admin: SessionAdmin,
    ApiJson(req): ApiJson<CreateAgentKey>,
) -> AppResult<Reply<ep::CreateKey>> {
    Ok(Reply::new(service::create(&state, &admin, req).await?))
}

pub async fn rotate(
    State(state): State<AppState>,
    admin: SessionAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RotateApiKey>,
) -> AppResult<Reply<ep::RotateKey>> {
    Ok(Reply::new(service::rotate(&state, &admin, key_id(&id)?, req).await?))
}

pub async fn revoke(
    State(state): State<AppState>,
    admin: SessionAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::RevokeKey>> {
    service::revoke(&state, &admin, key_id(&id)?).await?;
    Ok(Reply::new(()))
}

pub async fn org_key(State(state): State<AppState>, admin: SessionAdmin) -> AppResult<Reply<ep::GetOrgKey>> {
    Ok(Reply::new(service::org_key(&state, &admin).await?))
}

pub async fn rotate_org_key(
    State(state): State<AppState>,
    admin: SessionAdmin,
    ApiJson(req): ApiJson<RotateApiKey>,
) -> AppResult<Reply<ep::RotateOrgKey>> {
    Ok(Reply::new(service::rotate_org_key(&state, &admin, req).await?))
}

/// Each event is read on its own (the body's `events` as JSON values), so every problem is named by its
/// place in the batch.
pub async fn report_events(
    State(state): State<AppState>,
    agent: AgentCaller,
    ApiJson(raw): ApiJson<events::RawReport>,
) -> AppResult<Reply<ep::ReportEvents>> {
    Ok(Reply::new(events::report(&state, &agent, raw).await?))
}
