//! Versions on the wire: `If-Match` on writes (the `ETag` of answers is [`super::Reply`]'s, where the
//! endpoint has one).

use axum::http::{HeaderMap, header};
use orgdeck_shared::parse_etag;

use crate::error::{AppError, AppResult};

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
