//! `groups`, `groups/{id}`.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use orgdeck_shared::{
    Page,
    groups::{Group, GroupDeleted, GroupInput},
};
use uuid::Uuid;

use super::etag::{if_match, optional_if_match, tagged};
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    http::{json, json::ApiJson},
    services::groups as service,
    state::AppState,
};

fn group_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound("group not found".into()))
}

pub async fn list(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Json<Page<Group>>> {
    Ok(Json(service::list(&state, &admin).await?))
}

pub async fn create(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(input): ApiJson<GroupInput>,
) -> AppResult<Response> {
    let group = service::create(&state, &admin, input).await?;
    let version = group.version;
    let mut resp = tagged(group, version);
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

pub async fn get(State(state): State<AppState>, admin: OrgAdmin, Path(id): Path<String>) -> AppResult<Response> {
    let group = service::get(&state, &admin, group_id(&id)?).await?;
    let version = group.version;
    Ok(tagged(group, version))
}

pub async fn patch(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let id = group_id(&id)?;
    let expected = if_match(&headers)?;
    let input: GroupInput = json::parse_request(&headers, &body)?;
    let group = service::update(&state, &admin, id, expected, input).await?;
    let version = group.version;
    Ok(tagged(group, version))
}

pub async fn delete(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Json<GroupDeleted>> {
    let id = group_id(&id)?;
    Ok(Json(
        service::delete(&state, &admin, id, optional_if_match(&headers)?).await?,
    ))
}
