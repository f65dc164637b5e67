//! Logging in and out. Every outcome is audited; every refusal answers the same `invalid_credentials`.

use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    auth::{LoginRequest, SessionGrant},
};

use super::{AuthUser, token};
use crate::{
    error::{AppError, AppResult},
    http::client_ip::ClientIp,
    state::AppState,
    store::{AuditRecord, LoginUser, NewSession},
};

/// The longest email kept in an audit entry of a failed login with an unknown address.
const AUDIT_EMAIL_MAX: usize = 254;

/// Logins look emails up case-insensitively: they are stored lower-case.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub async fn login(state: &AppState, req: LoginRequest, ip: ClientIp) -> AppResult<SessionGrant> {
    let email = normalize_email(&req.email);
    let user = state.store.user_for_login(&email).await?;
    // Verify even when there is no account (against a dummy hash), so the answer takes as long.
    let phc = user.as_ref().and_then(|u| u.password_hash.as_deref());
    let password_ok = state.passwords.verify(&req.password, phc).await?;
    let now = state.clock.now();

    let Some(user) = user else {
        let typed: String = req.email.trim().chars().take(AUDIT_EMAIL_MAX).collect();
        let mut tx = state.store.begin().await?;
        tx.append_audit(
            &AuditRecord::new(
                None,
                now,
                AuditActor {
                    user_id: None,
                    email: typed.clone(),
                },
                "auth.login_failed",
                AuditTarget::new("user", typed),
                "Login failed: unknown email",
            )
            .ip(ip.to_string()),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    };

    if !password_ok || !user.may_log_in() {
        let reason = if !password_ok {
            "wrong password"
        } else {
            refusal_reason(&user)
        };
        let mut tx = state.store.begin().await?;
        if !password_ok && user.password_hash.is_some() {
            tx.record_failed_login(user.id).await?;
        }
        tx.append_audit(
            &AuditRecord::new(
                Some(user.org_id),
                now,
                AuditActor {
                    user_id: Some(user.id),
                    email: user.email.clone(),
                },
                "auth.login_failed",
                AuditTarget::new("user", user.id.to_string()),
                format!("Login failed: {reason}"),
            )
            .ip(ip.to_string()),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    }

    let timeouts = state.store.session_timeouts(user.org_id).await?;
    let expires_at = now
        .checked_add(timeouts.absolute())
        .and_then(|t| jiff::Timestamp::from_millisecond(t.as_millisecond()))
        .map_err(|e| AppError::Internal(e.into()))?;
    let (token, token_hash) = token::new_session_token();
    let mut tx = state.store.begin().await?;
    tx.delete_ended_sessions(user.id, now).await?;
    tx.insert_session(&NewSession {
        token_hash,
        user_id: user.id,
        org_id: user.org_id,
        created_at: now,
        expires_at,
        idle_timeout: timeouts.idle(),
        ip: ip.to_string(),
    })
    .await?;
    tx.record_login(user.id, now, &ip.to_string()).await?;
    tx.append_audit(
        &AuditRecord::new(
            Some(user.org_id),
            now,
            AuditActor {
                user_id: Some(user.id),
                email: user.email.clone(),
            },
            "auth.login",
            AuditTarget::new("user", user.id.to_string()),
            "Logged in",
        )
        .ip(ip.to_string()),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user = %user.id, org = %user.org_id, "login");
    Ok(SessionGrant { token, expires_at })
}

fn refusal_reason(user: &LoginUser) -> &'static str {
    if !user.enabled {
        "account disabled"
    } else if user.api_only {
        "account is API-only"
    } else if user.password_hash.is_none() {
        "no password set"
    } else {
        match user.status {
            crate::store::UserStatus::Locked => "account locked",
            crate::store::UserStatus::Disabled => "account disabled",
            crate::store::UserStatus::Pending => "account not activated",
            crate::store::UserStatus::Active => "account may not log in",
        }
    }
}

/// Ends the caller's session.
pub async fn logout(state: &AppState, user: &AuthUser) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    tx.delete_session(user.token_hash.expose()).await?;
    tx.append_audit(
        &AuditRecord::new(
            Some(user.org_id),
            now,
            user.actor(),
            "auth.logout",
            AuditTarget::new("user", user.user_id.to_string()),
            "Logged out",
        )
        .ip(user.client_ip.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
