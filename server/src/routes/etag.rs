//! Versions on the wire: `ETag` on answers, `If-Match` on writes.

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use orgdeck_shared::{etag_for, parse_etag};
use serde::Serialize;

use crate::error::{AppError, AppResult};

/// `body` as JSON with the `ETag` of `version`.
pub fn tagged<T: Serialize>(body: T, version: i64) -> Response {
    let mut resp = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag_for(version)) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}

/// The version a write is based on, from `If-Match`, when one was sent.
pub fn optional_if_match(headers: &HeaderMap) -> AppResult<Option<i64>> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| AppError::BadRequest("If-Match is not readable".into()))?;
    parse_etag(text)
        .map(Some)
        .ok_or_else(|| AppError::BadRequest(format!("If-Match {text:?} is not a version")))
}

/// The version a write is based on; 428 without `If-Match`.
pub fn if_match(headers: &HeaderMap) -> AppResult<i64> {
    optional_if_match(headers)?.ok_or(AppError::PreconditionRequired)
}
