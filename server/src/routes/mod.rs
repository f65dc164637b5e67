//! The HTTP API: one module per area; each handler authorizes, validates, calls a service, answers.
//! Every route is an endpoint of `orgdeck_shared` registered with [`Api::at`], so the router, the
//! console's client and the OpenAPI document (`GET openapi.json`) say the same.

mod agents;
mod api;
mod api_keys;
mod audit;
mod auth;
mod etag;
mod events;
mod groups;
mod inbox;
mod integrations;
mod inventory;
mod me;
mod previews;
mod servers;
mod sessions;
mod settings;
mod users;
mod vulnerabilities;

use std::{sync::LazyLock, time::Duration};

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode, middleware, response::IntoResponse};
use orgdeck_shared::{
    account::endpoints as account_ep,
    agents::endpoints as agent_ep,
    api_keys::endpoints as key_ep,
    audit::endpoints as audit_ep,
    auth::{HealthStatus, endpoints as auth_ep},
    events::endpoints as events_ep,
    groups::endpoints as group_ep,
    inbox::endpoints as inbox_ep,
    integrations::endpoints as integration_ep,
    inventory::endpoints as inventory_ep,
    openapi::{self, endpoints as openapi_ep},
    security::endpoints as session_ep,
    servers::endpoints as server_ep,
    users::endpoints as user_ep,
    vulnerabilities::endpoints as vulnerability_ep,
};
use tower_http::{
    catch_panic::CatchPanicLayer, limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer,
};

pub use api::{Api, Encoded, Reply, Routed};

use crate::{
    error::{AppError, AppResult},
    http::{client_ip, layers},
    state::AppState,
};

/// Limits the router applies to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub tls: bool,
}

/// The whole API with its layers.
pub fn router(state: AppState, limits: Limits) -> Router {
    with_layers(api().into_router(), state, limits)
}

/// Every route the router has (method and path template), for the tests that compare it with
/// `orgdeck_shared::endpoint::all()`.
pub fn routed() -> Vec<Routed> {
    api().routed().to_vec()
}

/// One line per endpoint: the endpoint, its handler.
fn api() -> Api {
    Api::new()
        .merge(settings::routes())
        .at(auth_ep::Health, health)
        .at(events_ep::Stream, events::stream)
        .at(openapi_ep::GetDocument, openapi_document)
        .at(auth_ep::Login, auth::login)
        .at(auth_ep::Mfa, auth::mfa)
        .at(auth_ep::MfaEmail, auth::mfa_email)
        .at(auth_ep::Logout, auth::logout)
        .at(auth_ep::GetMe, auth::me)
        .at(auth_ep::StartTotp, auth::totp_start)
        .at(auth_ep::ConfirmTotp, auth::totp_confirm)
        .at(auth_ep::StartEmail, auth::email_start)
        .at(auth_ep::ConfirmEmail, auth::email_confirm)
        .at(auth_ep::Reauth, auth::reauth)
        .at(auth_ep::ReauthEmail, auth::reauth_email)
        .at(auth_ep::CountBackupCodes, auth::backup_codes_left)
        .at(auth_ep::NewBackupCodes, auth::backup_codes_new)
        .at(inventory_ep::GetLicenses, inventory::licenses)
        .at(inventory_ep::ListApplications, inventory::applications)
        .at(inventory_ep::ListLibraries, inventory::libraries)
        .at(server_ep::Register, servers::register)
        .at(server_ep::Beat, servers::heartbeat)
        .at(server_ep::List, servers::list)
        .at(server_ep::Update, servers::update)
        .at(server_ep::Remove, servers::remove)
        .at(server_ep::LicenseServer, servers::license_server)
        .at(server_ep::UnlicenseServer, servers::unlicense_server)
        .at(server_ep::LicenseApplication, servers::license_application)
        .at(server_ep::UnlicenseApplication, servers::unlicense_application)
        .at(orgdeck_shared::reports::endpoints::Preview, previews::report)
        .at(orgdeck_shared::reports::endpoints::Render, previews::render)
        .at(orgdeck_shared::scores::endpoints::Preview, previews::scores)
        .at(audit_ep::Search, audit::search)
        .at(audit_ep::Export, audit::export)
        .at(user_ep::Activate, users::activate)
        .at(user_ep::ChangePassword, users::change_password)
        .at(account_ep::MyPasswordPolicy, me::password_policy)
        .at(account_ep::MySessions, me::sessions)
        .at(account_ep::EndMySession, me::end_session)
        .at(orgdeck_shared::notifications::endpoints::GetMine, me::notifications)
        .at(orgdeck_shared::notifications::endpoints::PutMine, me::set_notifications)
        .at(user_ep::List, users::list)
        .at(user_ep::Create, users::create)
        .at(user_ep::Import, users::import)
        .at(user_ep::Bulk, users::bulk)
        .at(user_ep::Get, users::get)
        .at(user_ep::Update, users::patch)
        .at(user_ep::Delete, users::delete)
        .at(user_ep::Access, users::access)
        .at(user_ep::Act, users::action)
        .at(session_ep::ListSessions, sessions::list)
        .at(session_ep::EndSessions, sessions::end_all)
        .at(session_ep::EndSession, sessions::end_one)
        .at(group_ep::List, groups::list)
        .at(group_ep::Create, groups::create)
        .at(group_ep::Get, groups::get)
        .at(group_ep::Update, groups::patch)
        .at(group_ep::Delete, groups::delete)
        .at(key_ep::List, api_keys::list)
        .at(key_ep::Create, api_keys::create)
        .at(key_ep::Revoke, api_keys::revoke)
        .at(key_ep::Rotate, api_keys::rotate)
        .at(key_ep::Email, api_keys::email)
        .at(integration_ep::List, integrations::list)
        .at(integration_ep::Create, integrations::create)
        .at(integration_ep::Get, integrations::get)
        .at(integration_ep::Update, integrations::patch)
        .at(integration_ep::Delete, integrations::delete)
        .at(integration_ep::Test, integrations::test)
        .at(integration_ep::SigningSecret, integrations::signing_secret)
        .at(integration_ep::Deliveries, integrations::deliveries)
        .at(integration_ep::Redeliver, integrations::redeliver)
        .at(integration_ep::CreateIssue, integrations::create_issue)
        .at(agent_ep::ListKeys, agents::list)
        .at(agent_ep::CreateKey, agents::create)
        .at(agent_ep::RotateKey, agents::rotate)
        .at(agent_ep::RevokeKey, agents::revoke)
        .at(agent_ep::GetOrgKey, agents::org_key)
        .at(agent_ep::RotateOrgKey, agents::rotate_org_key)
        .at(agent_ep::ReportEvents, agents::report_events)
        .at(vulnerability_ep::ListForApplication, vulnerabilities::list)
        .at(inbox_ep::List, inbox::list)
        .at(inbox_ep::Read, inbox::read)
        .at(inbox_ep::ReadAll, inbox::read_all)
}

/// The rules every request shares, outermost last: the client address, body limits, the request
/// timeout, panics as 500, tracing, the one error body, and the security headers.
fn with_layers(routes: Router<AppState>, state: AppState, limits: Limits) -> Router {
    let tls = limits.tls;
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), client_ip::layer))
        .layer(middleware::from_fn(layers::refuse_nul))
        .layer(DefaultBodyLimit::max(limits.body_limit))
        .layer(RequestBodyLimitLayer::new(limits.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(CatchPanicLayer::new())
        .layer(TraceLayer::new_for_http().make_span_with(layers::request_span))
        .layer(middleware::map_response(layers::error_bodies))
        .layer(middleware::map_response(
            move |mut resp: axum::response::Response| async move {
                layers::security_headers(&mut resp, tls);
                resp
            },
        ))
        .with_state(state)
}

async fn health() -> AppResult<Reply<auth_ep::Health>> {
    Ok(Reply::new(HealthStatus { status: "ok".into() }))
}

/// The document is the same for the life of the process: made and encoded once, on the first request
/// (anyone may ask for it, so asking costs no more than a health check).
async fn openapi_document() -> AppResult<Reply<openapi_ep::GetDocument>> {
    static DOCUMENT: LazyLock<Encoded<openapi::Document>> = LazyLock::new(|| Encoded::new(&openapi::document()));
    Ok(Reply::encoded(&DOCUMENT))
}

async fn not_found() -> AppError {
    AppError::NotFound("no such route".into())
}

async fn method_not_allowed() -> impl IntoResponse {
    let (code, message) = crate::error::code_for_status(StatusCode::METHOD_NOT_ALLOWED);
    crate::error::api_error_response(orgdeck_shared::ApiError::new(code, message))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::{body::Body, http::Request};
    use orgdeck_shared::{ApiError, ErrorCode};
    use tower::ServiceExt;

    use axum::routing::get;

    use super::*;
    use crate::{auth::password::Passwords, clock::SystemClock, store::sqlite::SqliteStore};

    async fn state(dir: &std::path::Path) -> AppState {
        AppState::new(crate::state::Services {
            store: Arc::new(SqliteStore::open(dir, jiff::Timestamp::now()).await.unwrap()),
            secret_box: Arc::new(crate::secret_box::SecretBox::new(&[0; 32])),
            mail: Arc::new(crate::mail::MailQueue::default()),
            deliveries: Arc::new(tokio::sync::Notify::new()),
            clock: Arc::new(SystemClock),
            passwords: Arc::new(Passwords::new().unwrap()),
            trusted_proxies: Arc::new(Vec::new()),
            login_limiter: Arc::new(crate::auth::rate_limit::LoginLimiter::new(
                crate::auth::rate_limit::DEFAULT_PER_MINUTE,
            )),
            closing: tokio::sync::watch::channel(false).1,
            outbound: crate::outbound::Outbound::new(Default::default()).unwrap(),
        })
    }

    async fn call(app: Router, path: &str) -> (StatusCode, axum::http::HeaderMap, ApiError) {
        let resp = app
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn timeouts_and_panics_answer_the_error_body_without_details() {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits {
            body_limit: 1024,
            request_timeout: Duration::from_millis(100),
            tls: true,
        };
        let slow = Router::new()
            .route(
                "/slow",
                get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }),
            )
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("secret internals");
                    }
                    "unreachable"
                }),
            );
        let app = with_layers(slow, state(dir.path()).await, limits);

        let (status, headers, err) = call(app.clone(), "/slow").await;
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(err.code, ErrorCode::Timeout);
        assert_eq!(headers["strict-transport-security"], "max-age=31536000");

        let (status, _, err) = call(app, "/panic").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(err.code, ErrorCode::Internal);
        assert!(!err.message.contains("secret"));
    }
}
