//! `GET/PUT settings/{area}`: versioned documents, admins only. Each area is one line of
//! [`routes`]: its document type (a [`SettingsArea`], whose endpoints are `settings::endpoints::{Get,
//! Put}<T>`) and the check the server adds before a write.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, header},
};
use orgdeck_shared::{
    api_keys::ApiKeySettings,
    general::GeneralSettings,
    notifications::NotificationSettings,
    parse_etag,
    password::PasswordPolicy,
    security::{IpRestrictions, SessionSettings, TwoStepSettings},
    settings::{
        SettingsArea,
        endpoints::{Get, Put},
    },
};

use super::{Api, Reply};
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    http::json,
    services::settings as service,
    state::AppState,
};

/// Every settings area the server holds: one line each.
pub fn routes() -> Api {
    Api::new()
        .at(Get::<GeneralSettings>::new(), get_general)
        .at(Put::<GeneralSettings>::new(), put_general)
        .merge(doc_area::<PasswordPolicy>(no_guard))
        .merge(doc_area::<SessionSettings>(no_guard))
        .merge(doc_area::<TwoStepSettings>(no_guard))
        .merge(doc_area::<IpRestrictions>(service::refuse_self_lockout))
        .merge(doc_area::<ApiKeySettings>(no_guard))
        .merge(doc_area::<orgdeck_shared::reports::ReportSettings>(no_guard))
        .merge(doc_area::<orgdeck_shared::scores::ScoreSettings>(no_guard))
        .merge(doc_area::<orgdeck_shared::servers::ServerSettings>(no_guard))
        .merge(doc_area::<orgdeck_shared::servers::DevelopmentDefaults>(no_guard))
        .merge(doc_area::<orgdeck_shared::servers::QaDefaults>(no_guard))
        .merge(doc_area::<orgdeck_shared::servers::ProductionDefaults>(no_guard))
        .at(Get::<NotificationSettings>::new(), get_doc::<NotificationSettings>)
        .at(Put::<NotificationSettings>::new(), put_notifications)
        // Any other name: 404 naming it (after the admin check, so nothing is learnt without the role).
        .rest_of(Get::<GeneralSettings>::new(), unknown_area)
        .rest_of(Put::<GeneralSettings>::new(), unknown_area)
}

/// What the server checks of a new value of `T` against the admin saving it, beyond `T`'s own rules.
type Guard<T> = fn(&T, &OrgAdmin) -> AppResult<()>;

fn no_guard<T>(_: &T, _: &OrgAdmin) -> AppResult<()> {
    Ok(())
}

/// `settings/{T::NAME}`: a document kept in the settings store (its defaults until first written).
fn doc_area<T: SettingsArea + Default>(guard: Guard<T>) -> Api {
    Api::new().at(Get::<T>::new(), get_doc::<T>).at(
        Put::<T>::new(),
        move |State(state): State<AppState>, admin: OrgAdmin, headers: HeaderMap, body: Bytes| async move {
            put_doc::<T>(state, admin, headers, body, guard).await
        },
    )
}

async fn unknown_area(_: OrgAdmin, Path(name): Path<String>) -> AppError {
    AppError::NotFound(format!("no settings area {name:?} (yet)"))
}

/// The version a write is based on, from `If-Match`.
fn if_match(headers: &HeaderMap) -> AppResult<i64> {
    let value = headers.get(header::IF_MATCH).ok_or(AppError::PreconditionRequired)?;
    let text = value
        .to_str()
        .map_err(|_| AppError::BadRequest("If-Match is not readable".into()))?;
    parse_etag(text).ok_or_else(|| AppError::BadRequest(format!("If-Match {text:?} is not a settings version")))
}

async fn get_doc<T: SettingsArea + Default>(
    State(state): State<AppState>,
    admin: OrgAdmin,
) -> AppResult<Reply<Get<T>>> {
    Ok(Reply::new(service::doc::<T>(&state, admin.org_id()).await?))
}

async fn put_doc<T: SettingsArea + Default>(
    state: AppState,
    admin: OrgAdmin,
    headers: HeaderMap,
    body: Bytes,
    guard: Guard<T>,
) -> AppResult<Reply<Put<T>>> {
    let expected = if_match(&headers)?;
    let value: T = json::parse_request(&headers, &body)?;
    let doc = service::update_doc(&state, &admin, expected, value, |new| guard(new, &admin)).await?;
    Ok(Reply::new(doc))
}

/// The notification defaults name channels, which must be the organization's.
async fn put_notifications(
    State(state): State<AppState>,
    admin: OrgAdmin,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Reply<Put<NotificationSettings>>> {
    let expected = if_match(&headers)?;
    let value: NotificationSettings = json::parse_request(&headers, &body)?;
    Ok(Reply::new(
        service::update_notifications(&state, &admin, expected, value).await?,
    ))
}

/// The general settings live with the organization (name, time zone, licensing), not in the settings store.
async fn get_general(State(state): State<AppState>, admin: OrgAdmin) -> AppResult<Reply<Get<GeneralSettings>>> {
    Ok(Reply::new(service::general(&state, &admin).await?))
}

async fn put_general(
    State(state): State<AppState>,
    admin: OrgAdmin,
    headers: HeaderMap,
    body: Bytes,
) -> AppResult<Reply<Put<GeneralSettings>>> {
    let expected = if_match(&headers)?;
    let value: GeneralSettings = json::parse_request(&headers, &body)?;
    Ok(Reply::new(
        service::update_general(&state, &admin, expected, value).await?,
    ))
}
