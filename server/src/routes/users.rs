//! `users`, `users/{id}`, `users/{id}/{action}`, `users/{id}/access`, `users/bulk`, `users/import`,
//! `auth/activate`, `me/password`.

use axum::{
    extract::{Path, State},
    http::{HeaderMap, header},
};
use orgdeck_shared::users::{
    ActivateRequest, BulkRequest, ChangePasswordRequest, NewUser, UserPatch, UserQuery, endpoints as ep,
};
use uuid::Uuid;

use super::{
    Reply,
    etag::{if_match, optional_if_match},
};
use crate::{
    auth::{OrgAdmin, SessionUser},
    error::{AppError, AppResult},
    http::{client_ip::ClientIp, json, json::ApiJson, query::ApiQuery},
    services::{
        import,
        user_actions::{self, UserAction},
        users as service,
    },
    state::AppState,
};

/// A path id that is not a UUID names no user (404, like an unknown id).
fn user_id(text: &str) -> AppResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| service::no_user())
}

pub async fn list(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiQuery(query): ApiQuery<UserQuery>,
) -> AppResult<Reply<ep::List>> {
    query.validate().map_err(AppError::Validation)?;
    Ok(Reply::new(service::list(&state, &admin, query).await?))
}

pub async fn create(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(new): ApiJson<NewUser>,
) -> AppResult<Reply<ep::Create>> {
    Ok(Reply::new(service::create(&state, &admin, new).await?))
}

pub async fn get(State(state): State<AppState>, admin: OrgAdmin, Path(id): Path<String>) -> AppResult<Reply<ep::Get>> {
    Ok(Reply::new(service::get(&state, &admin, user_id(&id)?).await?))
}

pub async fn patch(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Reply<ep::Update>> {
    let id = user_id(&id)?;
    let expected = if_match(&headers)?;
    let patch: UserPatch = json::parse_request(&headers, &body)?;
    Ok(Reply::new(service::update(&state, &admin, id, expected, patch).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Reply<ep::Delete>> {
    let id = user_id(&id)?;
    service::delete(&state, &admin, id, optional_if_match(&headers)?).await?;
    Ok(Reply::new(()))
}

pub async fn action(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path((id, action)): Path<(String, String)>,
) -> AppResult<Reply<ep::Act>> {
    let action = UserAction::parse(&action).ok_or_else(|| AppError::NotFound(format!("no user action {action:?}")))?;
    Ok(Reply::new(
        user_actions::act(&state, &admin, user_id(&id)?, action).await?,
    ))
}

pub async fn access(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Reply<ep::Access>> {
    Ok(Reply::new(service::access(&state, &admin, user_id(&id)?).await?))
}

pub async fn bulk(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(req): ApiJson<BulkRequest>,
) -> AppResult<Reply<ep::Bulk>> {
    req.validate().map_err(AppError::Validation)?;
    Ok(Reply::new(user_actions::bulk(&state, &admin, req).await?))
}

fn is_csv(headers: &HeaderMap) -> bool {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "text/csv" || mime == "application/csv"
}

pub async fn import(
    State(state): State<AppState>,
    admin: OrgAdmin,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Reply<ep::Import>> {
    if !is_csv(&headers) {
        return Err(AppError::UnsupportedMediaType(
            "send the file as Content-Type: text/csv".into(),
        ));
    }
    Ok(Reply::new(import::import(&state, &admin, &body).await?))
}

pub async fn activate(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<ActivateRequest>,
) -> AppResult<Reply<ep::Activate>> {
    user_actions::activate(&state, req, ip).await?;
    Ok(Reply::new(()))
}

pub async fn change_password(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> AppResult<Reply<ep::ChangePassword>> {
    user_actions::change_password(&state, &user, req).await?;
    Ok(Reply::new(()))
}
