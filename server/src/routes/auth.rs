//! `auth/login`, `auth/mfa`, `auth/mfa/email`, `auth/logout`, `me`, two-step enrolment.

use axum::extract::State;
use orgdeck_shared::auth::{
    EmailCodeConfirm, LoginRequest, Me, MeOrg, MeSession, MeUser, MfaEmailRequest, MfaRequest, ReauthRequest,
    TotpConfirm, endpoints as ep,
};

use super::Reply;
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
) -> AppResult<Reply<ep::Login>> {
    Ok(Reply::new(service::login(&state, req, ip).await?))
}

/// The second step of a login: a TOTP code or a backup code for the challenge `auth/login` gave.
pub async fn mfa(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<MfaRequest>,
) -> AppResult<Reply<ep::Mfa>> {
    Ok(Reply::new(two_step::verify_mfa(&state, req, ip).await?))
}

/// `POST auth/mfa/email`: emails a (new) code for a login challenge that offers email.
pub async fn mfa_email(
    State(state): State<AppState>,
    ip: ClientIp,
    ApiJson(req): ApiJson<MfaEmailRequest>,
) -> AppResult<Reply<ep::MfaEmail>> {
    Ok(Reply::new(email_code::resend_for_challenge(&state, req, ip).await?))
}

/// `POST me/two_step/email`: emails an enrolment code to the caller's own address.
pub async fn email_start(State(state): State<AppState>, user: SessionUser) -> AppResult<Reply<ep::StartEmail>> {
    Ok(Reply::new(email_code::start_enrolment(&state, &user).await?))
}

/// `POST me/two_step/email/confirm`: the emailed code completes enrolment; answers the backup codes.
pub async fn email_confirm(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<EmailCodeConfirm>,
) -> AppResult<Reply<ep::ConfirmEmail>> {
    Ok(Reply::new(email_code::confirm_enrolment(&state, &user, req).await?))
}

/// `POST me/two_step/totp`: starts enrolling an authenticator app.
pub async fn totp_start(State(state): State<AppState>, user: SessionUser) -> AppResult<Reply<ep::StartTotp>> {
    Ok(Reply::new(two_step::start_enrolment(&state, &user).await?))
}

/// `POST me/two_step/totp/confirm`: a valid code completes enrolment; answers the backup codes.
pub async fn totp_confirm(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<TotpConfirm>,
) -> AppResult<Reply<ep::ConfirmTotp>> {
    Ok(Reply::new(two_step::confirm_enrolment(&state, &user, req).await?))
}

/// `POST me/two_step/reauth`: password and a current code; the session may then change its second
/// factor for a few minutes.
pub async fn reauth(
    State(state): State<AppState>,
    user: SessionUser,
    ApiJson(req): ApiJson<ReauthRequest>,
) -> AppResult<Reply<ep::Reauth>> {
    Ok(Reply::new(reauth::reauth(&state, &user, req).await?))
}

/// `POST me/two_step/reauth/email`: emails a fresh-proof code to the caller.
pub async fn reauth_email(State(state): State<AppState>, user: SessionUser) -> AppResult<Reply<ep::ReauthEmail>> {
    Ok(Reply::new(email_code::send_for_reauth(&state, &user).await?))
}

/// `GET me/two_step/backup_codes`: how many are left.
pub async fn backup_codes_left(
    State(state): State<AppState>,
    user: SessionUser,
) -> AppResult<Reply<ep::CountBackupCodes>> {
    Ok(Reply::new(reauth::backup_codes_left(&state, &user).await?))
}

/// `POST me/two_step/backup_codes`: a new set, shown once (fresh proof needed).
pub async fn backup_codes_new(
    State(state): State<AppState>,
    user: SessionUser,
) -> AppResult<Reply<ep::NewBackupCodes>> {
    Ok(Reply::new(reauth::regenerate_backup_codes(&state, &user).await?))
}

pub async fn logout(State(state): State<AppState>, user: SessionUser) -> AppResult<Reply<ep::Logout>> {
    service::logout(&state, &user).await?;
    Ok(Reply::new(()))
}

pub async fn me(State(state): State<AppState>, user: AuthUser) -> AppResult<Reply<ep::GetMe>> {
    let unread = state.store.inbox_unread(user.org_id, user.user_id).await?;
    Ok(Reply::new(Me {
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
        unread,
    }))
}
