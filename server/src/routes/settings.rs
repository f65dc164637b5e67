//! `GET/PUT settings/{area}`: versioned documents, admins only. Each area is one line of
//! [`routes`]: its document type (a [`SettingsArea`]) and the check the server adds before a write.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
    routing::get,
};
use orgdeck_shared::{
    Versioned,
    api_keys::ApiKeySettings,
    general::GeneralSettings,
    parse_etag,
    password::PasswordPolicy,
    routes::{self as paths, area},
    security::{IpRestrictions, SessionSettings, TwoStepSettings},
    settings::SettingsArea,
};
use serde::Serialize;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    http::json,
    services::settings as service,
    state::AppState,
};

/// Every settings area the server holds: one line each.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&paths::settings(area::GENERAL), get(get_general).put(put_general))
        .merge(doc_area::<PasswordPolicy>(no_guard))
        .merge(doc_area::<SessionSettings>(no_guard))
        .merge(doc_area::<TwoStepSettings>(no_guard))
        .merge(doc_area::<IpRestrictions>(service::refuse_self_lockout))
        .merge(doc_area::<ApiKeySettings>(no_guard))
        // Any other name: 404 naming it (after the admin check, so nothing is learnt without the role).
        .route(paths::SETTINGS, get(unknown_area).put(unknown_area))
}

/// What the server checks of a new value of `T` against the admin saving it, beyond `T`'s own rules.
type Guard<T> = fn(&T, &OrgAdmin) -> AppResult<()>;

fn no_guard<T>(_: &T, _: &OrgAdmin) -> AppResult<()> {
    Ok(())
}

/// `settings/{T::NAME}`: a document kept in the settings store (its defaults until first written).
fn doc_area<T: SettingsArea + Default>(guard: Guard<T>) -> Router<AppState> {
    Router::new().route(
        &paths::settings(T::NAME),
        get(get_doc::<T>).put(
            move |State(state): State<AppState>, admin: OrgAdmin, headers: HeaderMap, body: axum::body::Bytes| async move {
                put_doc::<T>(state, admin, headers, body, guard).await
            },
        ),
    )
}

async fn unknown_area(_: OrgAdmin, Path(name): Path<String>) -> AppError {
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

async fn get_doc<T: SettingsArea + Default>(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Response> {
    Ok(versioned(service::doc::<T>(&state, admin.org_id()).await?))
}

async fn put_doc<T: SettingsArea + Default>(
    state: AppState,
    admin: OrgAdmin,
    headers: HeaderMap,
    body: axum::body::Bytes,
    guard: Guard<T>,
) -> AppResult<Response> {
    let expected = if_match(&headers)?;
    let value: T = json::parse_request(&headers, &body)?;
    let doc = service::update_doc(&state, &admin, expected, value, |new| guard(new, &admin)).await?;
    Ok(versioned(doc))
}

/// The general settings live with the organization (name, time zone, licensing), not in the settings store.
async fn get_general(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Response> {
    Ok(versioned(service::general(&state, &admin).await?))
}

async fn put_general(
    State(state): State<AppState>,
    admin: OrgAdmin,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    let expected = if_match(&headers)?;
    let value: GeneralSettings = json::parse_request(&headers, &body)?;
    Ok(versioned(
        service::update_general(&state, &admin, expected, value).await?,
    ))
}
