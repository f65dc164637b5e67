//! The HTTP API: one module per area; each handler authorizes, validates, calls a service, answers.

mod api_keys;
mod audit;
mod auth;
mod etag;
mod groups;
mod inventory;
mod me;
mod sessions;
mod settings;
mod users;

use std::time::Duration;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    http::StatusCode,
    middleware,
    response::IntoResponse,
    routing::{delete, get, post},
};
use orgdeck_shared::routes;
use tower_http::{
    catch_panic::CatchPanicLayer, limit::RequestBodyLimitLayer, timeout::TimeoutLayer, trace::TraceLayer,
};

use crate::{
    error::AppError,
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
    with_layers(api(), state, limits)
}

fn api() -> Router<AppState> {
    Router::new()
        .merge(settings::routes())
        .route(routes::HEALTH, get(health))
        .route(routes::LOGIN, post(auth::login))
        .route(routes::MFA, post(auth::mfa))
        .route(routes::MFA_EMAIL, post(auth::mfa_email))
        .route(routes::LOGOUT, post(auth::logout))
        .route(routes::ME, get(auth::me))
        .route(routes::ME_TOTP, post(auth::totp_start))
        .route(routes::ME_TOTP_CONFIRM, post(auth::totp_confirm))
        .route(routes::ME_EMAIL_CODE, post(auth::email_start))
        .route(routes::ME_EMAIL_CONFIRM, post(auth::email_confirm))
        .route(routes::ME_REAUTH, post(auth::reauth))
        .route(routes::ME_REAUTH_EMAIL, post(auth::reauth_email))
        .route(
            routes::ME_BACKUP_CODES,
            get(auth::backup_codes_left).post(auth::backup_codes_new),
        )
        .route(routes::LICENSES, get(inventory::licenses))
        .route(routes::APPLICATIONS, get(inventory::applications))
        .route(routes::SERVERS, get(inventory::servers))
        .route(routes::AUDIT, get(audit::search))
        .route(routes::AUDIT_EXPORT, get(audit::export))
        .route(routes::ACTIVATE, post(users::activate))
        .route(routes::ME_PASSWORD, post(users::change_password))
        .route(routes::ME_PASSWORD_POLICY, get(me::password_policy))
        .route(routes::ME_SESSIONS, get(me::sessions))
        .route(routes::ME_SESSION, delete(me::end_session))
        .route(routes::USERS, get(users::list).post(users::create))
        .route(routes::USERS_IMPORT, post(users::import))
        .route(routes::USERS_BULK, post(users::bulk))
        .route(routes::USER, get(users::get).patch(users::patch).delete(users::delete))
        .route(routes::USER_ACCESS, get(users::access))
        .route(routes::USER_SESSIONS, get(sessions::list).delete(sessions::end_all))
        .route(routes::USER_SESSION, delete(sessions::end_one))
        .route(routes::USER_ACTION, post(users::action))
        .route(routes::GROUPS, get(groups::list).post(groups::create))
        .route(routes::API_KEYS, get(api_keys::list).post(api_keys::create))
        .route(routes::API_KEY, delete(api_keys::revoke))
        .route(routes::API_KEY_ROTATE, post(api_keys::rotate))
        .route(routes::API_KEY_EMAIL, post(api_keys::email))
        .route(
            routes::GROUP,
            get(groups::get).patch(groups::patch).delete(groups::delete),
        )
}

/// The rules every request shares, outermost last: the client address, body limits, the request
/// timeout, panics as 500, tracing, the one error body, and the security headers.
fn with_layers(routes: Router<AppState>, state: AppState, limits: Limits) -> Router {
    let tls = limits.tls;
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), client_ip::layer))
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

async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
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

    use super::*;
    use crate::{auth::password::Passwords, clock::SystemClock, store::sqlite::SqliteStore};

    async fn state(dir: &std::path::Path) -> AppState {
        AppState::new(crate::state::Services {
            store: Arc::new(SqliteStore::open(dir, jiff::Timestamp::now()).await.unwrap()),
            secret_box: Arc::new(crate::secret_box::SecretBox::new(&[0; 32])),
            mail: Arc::new(crate::mail::MailQueue::default()),
            clock: Arc::new(SystemClock),
            passwords: Arc::new(Passwords::new().unwrap()),
            trusted_proxies: Arc::new(Vec::new()),
            login_limiter: Arc::new(crate::auth::rate_limit::LoginLimiter::new(
                crate::auth::rate_limit::DEFAULT_PER_MINUTE,
            )),
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
