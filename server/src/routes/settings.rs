//! `GET/PUT settings/{area}`: versioned documents, admins only.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use orgdeck_shared::{
    Versioned,
    api_keys::ApiKeySettings,
    general::GeneralSettings,
    parse_etag,
    password::PasswordPolicy,
    routes::area,
    security::{IpRestrictions, SessionSettings, TwoStepSettings},
};
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
    let org = admin.org_id();
    match name.as_str() {
        area::GENERAL => Ok(versioned(service::general(&state, &admin).await?)),
        area::PASSWORD_POLICY => Ok(versioned(service::security_doc::<PasswordPolicy>(&state, org).await?)),
        area::SESSIONS => Ok(versioned(service::security_doc::<SessionSettings>(&state, org).await?)),
        area::IP_RESTRICTIONS => Ok(versioned(service::security_doc::<IpRestrictions>(&state, org).await?)),
        area::TWO_STEP => Ok(versioned(service::security_doc::<TwoStepSettings>(&state, org).await?)),
        area::API_KEYS => Ok(versioned(service::security_doc::<ApiKeySettings>(&state, org).await?)),
        other => Err(unknown_area(other)),
    }
}

fn no_guard<T>(_: &T) -> AppResult<()> {
    Ok(())
}

/// `PUT` of a security area: parse, then the shared versioned update with `guard`.
async fn put_security<T: service::SecurityDoc>(
    state: &AppState,
    admin: &OrgAdmin,
    headers: &HeaderMap,
    body: &[u8],
    guard: impl FnOnce(&T) -> AppResult<()>,
) -> AppResult<Response> {
    let expected = if_match(headers)?;
    let value: T = json::parse_request(headers, body)?;
    Ok(versioned(
        service::update_security(state, admin, expected, value, guard).await?,
    ))
}

pub async fn put(
    State(state): State<AppState>,
    admin: OrgAdmin,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    match name.as_str() {
        area::GENERAL => {}
        area::PASSWORD_POLICY => {
            return put_security::<PasswordPolicy>(&state, &admin, &headers, &body, no_guard).await;
        }
        area::SESSIONS => return put_security::<SessionSettings>(&state, &admin, &headers, &body, no_guard).await,
        area::TWO_STEP => return put_security::<TwoStepSettings>(&state, &admin, &headers, &body, no_guard).await,
        area::API_KEYS => return put_security::<ApiKeySettings>(&state, &admin, &headers, &body, no_guard).await,
        area::IP_RESTRICTIONS => {
            let guard = service::self_lockout_guard(&admin);
            return put_security::<IpRestrictions>(&state, &admin, &headers, &body, guard).await;
        }
        other => return Err(unknown_area(other)),
    }
    let expected = if_match(&headers)?;
    let value: GeneralSettings = json::parse_request(&headers, &body)?;
    Ok(versioned(
        service::update_general(&state, &admin, expected, value).await?,
    ))
}
