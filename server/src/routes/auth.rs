//! `auth/login`, `auth/mfa`, `auth/logout`, `me`.

use axum::{Json, extract::State, http::StatusCode};
use orgdeck_shared::auth::{LoginRequest, LoginResponse, Me, MeOrg, MeSession, MeUser};

use crate::{
    auth::{AuthUser, login as service},
    error::{AppError, AppResult},
    http::{client_ip::ClientIp, json::ApiJson},
    state::AppState,
};

pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    let grant = service::login(&state, req, ip).await?;
    Ok(Json(LoginResponse::Granted(grant)))
}

/// Two-step verification comes with its settings; until then no login asks for a second step.
pub async fn mfa() -> AppError {
    AppError::MfaUnavailable
}

pub async fn logout(State(state): State<AppState>, user: AuthUser) -> AppResult<StatusCode> {
    service::logout(&state, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(user: AuthUser) -> Json<Me> {
    Json(Me {
        user: MeUser {
            id: user.user_id,
            email: user.email.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
        },
        org: MeOrg {
            id: user.org_id,
            name: user.org_name.clone(),
        },
        role: user.role,
        session: MeSession {
            expires_at: user.expires_at,
            idle_expires_at: user.idle_expires_at,
        },
        client_ip: user.client_ip.to_string(),
        must_change_password: user.must_change_password,
    })
}
