//! `auth/login`, `auth/mfa`, `auth/mfa/email`, `auth/logout`, `me`, two-step enrolment.

use axum::{Json, extract::State, http::StatusCode};
use orgdeck_shared::auth::{
    BackupCodes, BackupCodesLeft, EmailCodeConfirm, EmailCodeSent, LoginRequest, LoginResponse, Me, MeOrg, MeSession,
    MeUser, MfaEmailRequest, MfaRequest, ReauthGranted, ReauthRequest, TotpConfirm, TotpEnrollment,
};

use crate::{
    auth::{AuthUser, Credential, SessionUser, email_code, login as service, reauth, two_step},
    error::AppResult,
    http::{client_ip::ClientIp, json::ApiJson},
    state::AppState,
};

pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> AppResult<Json<LoginResponse>> {
    Ok(Json(service::login(&state, req, ip).await?))
}

/// The second step of a login: a TOTP code or a backup code for the challenge `auth/login` gave.
pub async fn mfa(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<MfaRequest>,
) -> AppResult<Json<LoginResponse>> {
    Ok(Json(two_step::verify_mfa(&state, req, ip).await?))
}

/// `POST auth/mfa/email`: emails a (new) code for a login challenge that offers email.
pub async fn mfa_email(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<MfaEmailRequest>,
) -> AppResult<Json<EmailCodeSent>> {
    Ok(Json(email_code::resend_for_challenge(&state, req, ip).await?))
}

/// `POST me/two_step/email`: emails an enrolment code to the caller's own address.
pub async fn email_start(State(state): State<AppState>, user: SessionUser) -> AppResult<Json<EmailCodeSent>> {
    Ok(Json(email_code::start_enrolment(&state, &user).await?))
}

/// `POST me/two_step/email/confirm`: the emailed code completes enrolment; answers the backup codes.
pub async fn email_confirm(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<EmailCodeConfirm>,
) -> AppResult<Json<BackupCodes>> {
    Ok(Json(email_code::confirm_enrolment(&state, &user, req).await?))
}

/// `POST me/two_step/totp`: starts enrolling an authenticator app.
pub async fn totp_start(State(state): State<AppState>, user: SessionUser) -> AppResult<Json<TotpEnrollment>> {
    Ok(Json(two_step::start_enrolment(&state, &user).await?))
}

/// `POST me/two_step/totp/confirm`: a valid code completes enrolment; answers the backup codes.
pub async fn totp_confirm(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<TotpConfirm>,
) -> AppResult<Json<BackupCodes>> {
    Ok(Json(two_step::confirm_enrolment(&state, &user, req).await?))
}

/// `POST me/two_step/reauth`: password and a current code; the session may then change its second
/// factor for a few minutes.
pub async fn reauth(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<ReauthRequest>,
) -> AppResult<Json<ReauthGranted>> {
    Ok(Json(reauth::reauth(&state, &user, req).await?))
}

/// `POST me/two_step/reauth/email`: emails a fresh-proof code to the caller.
pub async fn reauth_email(State(state): State<AppState>, user: SessionUser) -> AppResult<Json<EmailCodeSent>> {
    Ok(Json(email_code::send_for_reauth(&state, &user).await?))
}

/// `GET me/two_step/backup_codes`: how many are left.
pub async fn backup_codes_left(State(state): State<AppState>, user: SessionUser) -> AppResult<Json<BackupCodesLeft>> {
    Ok(Json(reauth::backup_codes_left(&state, &user).await?))
}

/// `POST me/two_step/backup_codes`: a new set, shown once (fresh proof needed).
pub async fn backup_codes_new(State(state): State<AppState>, user: SessionUser) -> AppResult<Json<BackupCodes>> {
    Ok(Json(reauth::regenerate_backup_codes(&state, &user).await?))
}

pub async fn logout(State(state): State<AppState>, user: SessionUser) -> AppResult<StatusCode> {
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
        session: match &user.credential {
            Credential::Session {
                expires_at,
                idle_expires_at,
                ..
            } => Some(MeSession {
                expires_at: *expires_at,
                idle_expires_at: *idle_expires_at,
            }),
            Credential::ApiKey { .. } => None,
        },
        api_key: match &user.credential {
            Credential::ApiKey { prefix, .. } => Some(prefix.clone()),
            Credential::Session { .. } => None,
        },
        client_ip: user.client_ip.to_string(),
        must_change_password: user.must_change_password,
        two_step: user.two_step.clone(),
    })
}
