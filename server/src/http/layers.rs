//! Rules that hold for every route: what a request's log lines say, the one error body, and the security
//! headers.

use axum::{
    body::Body,
    extract::{MatchedPath, Request},
    http::{HeaderValue, header},
    response::IntoResponse,
    response::Response,
};
use orgdeck_shared::ApiError;

use crate::error::code_for_status;

/// The span every log line of a request carries: the method and the route's path (`/api/v1/users/{id}`, or
/// the path itself when no route matched). Never the query string (search terms, emails), ids in the path,
/// headers or the body.
pub fn request_span(req: &Request) -> tracing::Span {
    let route = match req.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str(),
        None => req.uri().path(),
    };
    tracing::info_span!("request", method = req.method().as_str(), route)
}

/// Refuses an address holding a NUL character (`%00`) in its path or query: no id, name or search may
/// hold one (and PostgreSQL cannot store or compare one), so nothing further looks at it.
pub async fn refuse_nul(req: Request, next: axum::middleware::Next) -> Response {
    let uri = req.uri();
    let nul = |s: &str| s.as_bytes().windows(3).any(|w| w == b"%00") || s.contains('\0');
    if nul(uri.path()) || uri.query().is_some_and(nul) {
        return crate::error::AppError::BadRequest("the address holds a NUL character (%00)".into()).into_response();
    }
    next.run(req).await
}

/// Gives every failure without a JSON body (router 404/405, body limit, timeout, panic) the `ApiError`
/// body of its status.
pub async fn error_bodies(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return resp;
    }
    let (code, message) = code_for_status(status);
    let body = serde_json::to_vec(&ApiError::new(code, message)).unwrap_or_default();
    let (mut parts, _) = resp.into_parts();
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}

/// The headers every answer carries.
pub fn security_headers(resp: &mut Response, tls: bool) {
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}
