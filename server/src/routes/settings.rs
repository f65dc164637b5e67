//! `GET/PUT settings/{area}`: versioned documents, admins only.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use orgdeck_shared::{Versioned, general::GeneralSettings, parse_etag, routes::area};
use serde::Serialize;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    http::json,
    services::settings as service,
    state::AppState,
};

fn unknown_area(name: &str) -> AppError {
    AppError::NotFound(format!("no settings area {name:?} (yet)"))
}

/// A settings document with its `ETag`.
fn versioned<T: Serialize>(doc: Versioned<T>) -> Response {
    let etag = doc.etag();
    let mut resp = Json(doc).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// The version a write is based on, from `If-Match`.
fn if_match(headers: &HeaderMap) -> AppResult<i64> {
    let value = headers.get(header::IF_MATCH).ok_or(AppError::PreconditionRequired)?;
    let text = value
        .to_str()
        .map_err(|_| AppError::BadRequest("If-Match is not readable".into()))?;
    parse_etag(text).ok_or_else(|| AppError::BadRequest(format!("If-Match {text:?} is not a settings version")))
}

pub async fn get(State(state): State<AppState>, admin: OrgAdmin, Path(name): Path<String>) -> AppResult<Response> {
    match name.as_str() {
        area::GENERAL => Ok(versioned(service::general(&state, &admin).await?)),
        other => Err(unknown_area(other)),
    }
}

pub async fn put(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    if name != area::GENERAL {
        return Err(unknown_area(&name));
    }
    let expected = if_match(&headers)?;
    let value: GeneralSettings = json::parse_request(&headers, &body)?;
    Ok(versioned(
        service::update_general(&state, &admin, expected, value).await?,
    ))
}
