//! `agent/register` and `agent/heartbeat` (an agent or organization key only); `servers`, `servers/{id}`
//! and license allocation (admins).

use axum::extract::{Path, State};
use orgdeck_shared::servers::{
    Heartbeat, LicenseApplication, LicenseServer, RegisterAgent, ServerQuery, UpdateServer, endpoints as ep,
};
use uuid::Uuid;

use super::Reply;
use crate::{
    auth::{OrgAdmin, agent::AgentCaller},
    error::{AppError, AppResult},
    http::{json::ApiJson, query::ApiQuery},
    services::servers as service,
    state::AppState,
};

/// A path id that is not a UUID names nothing (404, like an unknown id).
fn id_of(text: &str, what: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound(format!("{what} not found")))
}

pub async fn register(
    State(state): State<AppState>,
    agent: AgentCaller,
    ApiJson(req): ApiJson<RegisterAgent>,
) -> AppResult<Reply<ep::Register>> {
    Ok(Reply::new(service::register(&state, &agent, req).await?))
}

pub async fn heartbeat(
    State(state): State<AppState>,
    agent: AgentCaller,
    ApiJson(beat): ApiJson<Heartbeat>,
) -> AppResult<Reply<ep::Beat>> {
    Ok(Reply::new(service::heartbeat(&state, &agent, beat).await?))
}

pub async fn list(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiQuery(query): ApiQuery<ServerQuery>,
) -> AppResult<Reply<ep::List>> {
    Ok(Reply::new(service::list(&state, &admin, query).await?))
}

pub async fn update(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateServer>,
) -> AppResult<Reply<ep::Update>> {
    Ok(Reply::new(
        service::update(&state, &admin, id_of(&id, "server")?, req).await?,
    ))
}

pub async fn remove(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::Remove>> {
    service::remove(&state, &admin, id_of(&id, "server")?).await?;
    Ok(Reply::new(()))
}

pub async fn license_server(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(req): ApiJson<LicenseServer>,
) -> AppResult<Reply<ep::LicenseServer>> {
    Ok(Reply::new(
        service::license_server(&state, &admin, req.server_id).await?,
    ))
}

pub async fn unlicense_server(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::UnlicenseServer>> {
    Ok(Reply::new(
        service::unlicense_server(&state, &admin, id_of(&id, "server")?).await?,
    ))
}

pub async fn license_application(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(req): ApiJson<LicenseApplication>,
) -> AppResult<Reply<ep::LicenseApplication>> {
    Ok(Reply::new(
        service::license_application(&state, &admin, req.application_id).await?,
    ))
}

pub async fn unlicense_application(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::UnlicenseApplication>> {
    Ok(Reply::new(
        service::unlicense_application(&state, &admin, id_of(&id, "application")?).await?,
    ))
}
