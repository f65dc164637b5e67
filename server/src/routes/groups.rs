//! `groups`, `groups/{id}`.

use axum::{
    extract::{Path, State},
    http::HeaderMap,
};
use orgdeck_shared::groups::{GroupInput, endpoints as ep};
use uuid::Uuid;

use super::{
    Reply,
    etag::{if_match, optional_if_match},
};
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

pub async fn list(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<ep::List>> {
    Ok(Reply::new(service::list(&state, &admin).await?))
}

pub async fn create(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(input): ApiJson<GroupInput>,
) -> AppResult<Reply<ep::Create>> {
    Ok(Reply::new(service::create(&state, &admin, input).await?))
}

pub async fn get(State(state): State<AppState>, admin: OrgAdmin, Path(id): Path<String>) -> AppResult<Reply<ep::Get>> {
    Ok(Reply::new(service::get(&state, &admin, group_id(&id)?).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Reply<ep::Update>> {
    let id = group_id(&id)?;
    let expected = if_match(&headers)?;
    let input: GroupInput = json::parse_request(&headers, &body)?;
    Ok(Reply::new(service::update(&state, &admin, id, expected, input).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Reply<ep::Delete>> {
    let id = group_id(&id)?;
    Ok(Reply::new(
        service::delete(&state, &admin, id, optional_if_match(&headers)?).await?,
    ))
}
