//! `integrations`, `integrations/{id}`, `integrations/{id}/test`, `integrations/{id}/signing_secret`,
//! `integrations/{id}/deliveries` and their redelivery, `integrations/{id}/issues`: an
//! organization's admins only, for their organization only (another's id is not found).

use axum::{
    extract::{Path, State},
    http::HeaderMap,
};
use orgdeck_shared::integrations::{DeliveryQuery, IntegrationPatch, NewIntegration, NewTrackerIssue, endpoints as ep};
use uuid::Uuid;

use super::{
    Reply,
    etag::{if_match, optional_if_match},
};
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    http::{json, json::ApiJson, query::ApiQuery},
    services::integrations as service,
    state::AppState,
};

/// A path id that is not a UUID names no integration (404, like an unknown id).
fn integration_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound("integration not found".into()))
}

pub async fn list(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<ep::List>> {
    Ok(Reply::new(service::list(&state, &admin).await?))
}

pub async fn create(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(input): ApiJson<NewIntegration>,
) -> AppResult<Reply<ep::Create>> {
    Ok(Reply::new(service::create(&state, &admin, input).await?))
}

pub async fn get(State(state): State<AppState>, admin: OrgAdmin, Path(id): Path<String>) -> AppResult<Reply<ep::Get>> {
    Ok(Reply::new(service::get(&state, &admin, integration_id(&id)?).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Reply<ep::Update>> {
    let id = integration_id(&id)?;
    let expected = if_match(&headers)?;
    let patch: IntegrationPatch = json::parse_request(&headers, &body)?;
    Ok(Reply::new(service::update(&state, &admin, id, expected, patch).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Reply<ep::Delete>> {
    let id = integration_id(&id)?;
    service::delete(&state, &admin, id, optional_if_match(&headers)?).await?;
    Ok(Reply::new(()))
}

/// Takes no body (one sent is ignored): the call is the integration's own.
pub async fn test(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::Test>> {
    Ok(Reply::new(service::test(&state, &admin, integration_id(&id)?).await?))
}

pub async fn signing_secret(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::SigningSecret>> {
    Ok(Reply::new(
        service::rotate_signing_secret(&state, &admin, integration_id(&id)?).await?,
    ))
}

pub async fn deliveries(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> AppResult<Reply<ep::Deliveries>> {
    Ok(Reply::new(
        service::deliveries::list(&state, &admin, integration_id(&id)?, query).await?,
    ))
}

/// Takes no body (one sent is ignored).
pub async fn redeliver(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path((id, delivery_id)): Path<(String, String)>,
) -> AppResult<Reply<ep::Redeliver>> {
    let delivery_id = Uuid::parse_str(&delivery_id).map_err(|_| AppError::NotFound("delivery not found".into()))?;
    Ok(Reply::new(
        service::deliveries::redeliver(&state, &admin, integration_id(&id)?, delivery_id).await?,
    ))
}

pub async fn create_issue(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewTrackerIssue>,
) -> AppResult<Reply<ep::CreateIssue>> {
    Ok(Reply::new(
        service::issues::create(&state, &admin, integration_id(&id)?, input).await?,
    ))
}
