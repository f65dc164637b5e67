//! `api_keys`, `api_keys/{id}`, `api_keys/{id}/rotate`: any user for their own key, admins for all;
//! `api_keys/{id}/email`: the holder only.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::HeaderMap,
};
use orgdeck_shared::{
    api_keys::{API_KEY_PAGE_MAX, ApiKeyQuery, CreateApiKey, RotateApiKey, endpoints as ep},
    validate::check_page_limit,
};
use uuid::Uuid;

use super::Reply;
use crate::{
    auth::{AuthUser, SessionUser},
    error::{AppError, AppResult},
    http::{
        json::{ApiJson, parse_request},
        query::ApiQuery,
    },
    services::api_keys as service,
    state::AppState,
};

/// A path id that is not a UUID names no key (404, like an unknown id).
fn key_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::NotFound("API key not found".into()))
}

pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<ApiKeyQuery>,
) -> AppResult<Reply<ep::List>> {
    check_page_limit(query.limit, API_KEY_PAGE_MAX).map_err(|e| AppError::Validation(vec![e]))?;
    Ok(Reply::new(service::list(&state, &user, query).await?))
}

/// Making, rotating, emailing and revoking keys need a logged-in session: a key never manages keys.
pub async fn create(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<CreateApiKey>,
) -> AppResult<Reply<ep::Create>> {
    Ok(Reply::new(service::create(&state, &user, req).await?))
}

pub async fn rotate(
    State(state): State<AppState>,
    user: SessionUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RotateApiKey>,
) -> AppResult<Reply<ep::Rotate>> {
    Ok(Reply::new(service::rotate(&state, &user, key_id(&id)?, req).await?))
}

/// The body is optional (`curl -X POST` with none is the plain "email me my key").
pub async fn email(
    State(state): State<AppState>,
    user: SessionUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Reply<ep::Email>> {
    let req = if body.is_empty() {
        RotateApiKey::default()
    } else {
        parse_request(&headers, &body)?
    };
    Ok(Reply::new(service::email(&state, &user, key_id(&id)?, req).await?))
}

pub async fn revoke(
    State(state): State<AppState>,
    user: SessionUser,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::Revoke>> {
    service::revoke(&state, &user, key_id(&id)?).await?;
    Ok(Reply::new(()))
}
