//! Logging in and out. Every outcome is audited; every refusal answers the same `invalid_credentials`.

use jiff::SignedDuration;
use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    auth::{LoginRequest, SessionGrant},
};

use super::{AuthUser, token};
use crate::{
    error::{AppError, AppResult},
    http::client_ip::ClientIp,
    state::AppState,
    store::{AuditRecord, LoginUser, NewSession, UserStatus, WriteTx},
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

    // A lock with a duration ends by itself (`lockout_minutes` 0: only an admin unlocks).
    let policy = state.store.password_policy(user.org_id).await?;
    let lock_over = user.status == UserStatus::Locked
        && policy.lockout_minutes > 0
        && user.locked_at.is_some_and(|at| {
            at.checked_add(SignedDuration::from_mins(i64::from(policy.lockout_minutes)))
                .is_ok_and(|end| end <= now)
        });
    let mut user = user;
    if lock_over {
        user.status = UserStatus::Active;
    }

    if !password_ok || !user.may_log_in() {
        let reason = if !password_ok {
            "wrong password"
        } else {
            refusal_reason(&user)
        };
        let mut tx = state.store.begin().await?;
        if lock_over {
            end_lock(tx.as_mut(), &user).await?;
        }
        let mut locked_now = false;
        if !password_ok && user.password_hash.is_some() {
            let failures = tx.record_failed_login(user.id).await?;
            if user.status == UserStatus::Active && failures >= policy.lockout_attempts {
                tx.lock_user(user.id, now).await?;
                locked_now = true;
            }
        }
        let actor = AuditActor {
            user_id: Some(user.id),
            email: user.email.clone(),
        };
        tx.append_audit(
            &AuditRecord::new(
                Some(user.org_id),
                now,
                actor.clone(),
                "auth.login_failed",
                AuditTarget::new("user", user.id.to_string()),
                format!("Login failed: {reason}"),
            )
            .ip(ip.to_string()),
        )
        .await?;
        if locked_now {
            tx.append_audit(
                &AuditRecord::new(
                    Some(user.org_id),
                    now,
                    AuditActor::system(),
                    "auth.lockout",
                    AuditTarget::new("user", user.id.to_string()),
                    format!(
                        "User {} locked after {} failed logins; all sessions ended",
                        user.email, policy.lockout_attempts
                    ),
                )
                .ip(ip.to_string()),
            )
            .await?;
        }
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
    if lock_over {
        end_lock(tx.as_mut(), &user).await?;
    }
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

/// A lock whose time is over: the account is active again with a fresh failure count.
async fn end_lock(tx: &mut dyn WriteTx, user: &LoginUser) -> AppResult<()> {
    if let Some(mut record) = tx.user_record(user.org_id, user.id).await? {
        let version = record.user.version;
        record.user.status = UserStatus::Active;
        record.user.failed_attempts = 0;
        record.locked_at = None;
        tx.save_user(&record, version).await?;
    }
    Ok(())
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
            UserStatus::Locked => "account locked",
            UserStatus::Disabled => "account disabled",
            UserStatus::Pending => "account not activated",
            UserStatus::Active => "account may not log in",
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
