//! `users`, `users/{id}`, `users/{id}/{action}`, `users/{id}/access`, `users/bulk`, `users/import`,
//! `auth/activate`, `me/password`.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use orgdeck_shared::{
    Page,
    groups::UserAccess,
    users::{
        ActivateRequest, BulkReport, BulkRequest, ChangePasswordRequest, ImportReport, NewUser, User, UserPatch,
        UserQuery,
    },
};
use uuid::Uuid;

use super::etag::{if_match, optional_if_match, tagged};
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
) -> AppResult<Json<Page<User>>> {
    query.validate().map_err(AppError::Validation)?;
    Ok(Json(service::list(&state, &admin, query).await?))
}

pub async fn create(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(new): ApiJson<NewUser>,
) -> AppResult<Response> {
    let created = service::create(&state, &admin, new).await?;
    let version = created.user.version;
    let mut resp = tagged(created, version);
    *resp.status_mut() = StatusCode::CREATED;
    Ok(resp)
}

pub async fn get(State(state): State<AppState>, admin: OrgAdmin, Path(id): Path<String>) -> AppResult<Response> {
    let user = service::get(&state, &admin, user_id(&id)?).await?;
    let version = user.version;
    Ok(tagged(user, version))
}

pub async fn patch(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let id = user_id(&id)?;
    let expected = if_match(&headers)?;
    let patch: UserPatch = json::parse_request(&headers, &body)?;
    let user = service::update(&state, &admin, id, expected, patch).await?;
    let version = user.version;
    Ok(tagged(user, version))
}

pub async fn delete(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<StatusCode> {
    let id = user_id(&id)?;
    service::delete(&state, &admin, id, optional_if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn action(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path((id, action)): Path<(String, String)>,
) -> AppResult<Response> {
    let action = UserAction::parse(&action).ok_or_else(|| AppError::NotFound(format!("no user action {action:?}")))?;
    let user = user_actions::act(&state, &admin, user_id(&id)?, action).await?;
    let version = user.version;
    Ok(tagged(user, version))
}

pub async fn access(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(id): Path<String>,
) -> AppResult<Json<UserAccess>> {
    Ok(Json(service::access(&state, &admin, user_id(&id)?).await?))
}

pub async fn bulk(
    State(state): State<AppState>,
    admin: OrgAdmin,
    ApiJson(req): ApiJson<BulkRequest>,
) -> AppResult<Json<BulkReport>> {
    req.validate().map_err(AppError::Validation)?;
    Ok(Json(user_actions::bulk(&state, &admin, req).await?))
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
) -> AppResult<(StatusCode, Json<ImportReport>)> {
    if !is_csv(&headers) {
        return Err(AppError::UnsupportedMediaType(
            "send the file as Content-Type: text/csv".into(),
        ));
    }
    Ok((StatusCode::CREATED, Json(import::import(&state, &admin, &body).await?)))
}

pub async fn activate(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<ActivateRequest>,
) -> AppResult<StatusCode> {
    user_actions::activate(&state, req, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn change_password(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> AppResult<impl IntoResponse> {
    user_actions::change_password(&state, &user, req).await?;
    Ok(StatusCode::NO_CONTENT)
}
