//! Logging in and out. Every outcome is audited; every refusal answers the same `invalid_credentials`.

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    auth::{LoginRequest, LoginResponse, OrgRole, SessionGrant},
    password::PasswordPolicy,
    routes::area,
};

use super::{SessionUser, rate_limit::Verdict, token};
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

pub async fn login(state: &AppState, req: LoginRequest, ip: ClientIp) -> AppResult<LoginResponse> {
    if let Verdict::Limited { retry_after, first } = state.login_limiter.attempt(ip.0, state.clock.now()).await? {
        if first {
            let mut tx = state.store.begin().await?;
            tx.append_audit(
                &AuditRecord::new(
                    None,
                    state.clock.now(),
                    AuditActor::system(),
                    "auth.rate_limited",
                    AuditTarget::new("address", ip.to_string()),
                    format!("Login attempts from {ip} refused for {retry_after} s: too many a minute"),
                )
                .ip(ip.to_string()),
            )
            .await?;
            tx.commit().await?;
        }
        return Err(AppError::TooManyRequests { retry_after });
    }
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

    // A lock with a duration ends by itself (`lockout_minutes` 0: only an admin unlocks, except for the
    // organization's last admin, whose lock always ends: guesses never leave it without an admin).
    let policy = state.store.password_policy(user.org_id).await?;
    let lock_minutes = match policy.lockout_minutes {
        0 if user.status == UserStatus::Locked && login_admins(state, &user).await? == 0 => LAST_ADMIN_LOCK_MINUTES,
        minutes => minutes,
    };
    let lock_over = user.status == UserStatus::Locked
        && lock_minutes > 0
        && user.locked_at.is_some_and(|at| {
            at.checked_add(SignedDuration::from_mins(i64::from(lock_minutes)))
                .is_ok_and(|end| end <= now)
        });
    let mut user = user;
    if lock_over {
        user.status = UserStatus::Active;
    }

    // Inactivity locks anyone but the last admin who can log in (who would lock the organization out).
    let inactive = is_inactive(&user, &policy, now) && login_admins(state, &user).await? != 1;
    // The address is judged before anything is said, and refused with the same answer as a wrong
    // password: the allow-list must not tell the people it keeps out which passwords are right.
    let ip_doc = state.store.settings_doc(user.org_id, area::IP_RESTRICTIONS).await?;
    let ip_refused = super::check_ip(ip_doc.as_ref().map(|(_, d)| d.as_str()), ip).is_err();
    if !password_ok || !user.may_log_in() || inactive || ip_refused {
        let mut reasons = Vec::new();
        if ip_refused {
            reasons.push(format!("address {ip} not allowed by the IP restrictions"));
        }
        if !password_ok {
            reasons.push("wrong password".to_owned());
        } else if inactive {
            reasons.push("account inactive".to_owned());
        } else if !user.may_log_in() {
            reasons.push(refusal_reason(&user).to_owned());
        }
        let mut tx = state.store.begin().await?;
        if lock_over {
            end_lock(tx.as_mut(), &user, now).await?;
        }
        let mut lockout = None;
        if inactive && tx.lock_user(user.id, now).await? {
            lockout = Some(format!(
                "User {} locked: no login for more than {} days; all sessions ended",
                user.email, policy.inactive_lock_days
            ));
        }
        tx.append_audit(
            &AuditRecord::new(
                Some(user.org_id),
                now,
                user.actor(),
                "auth.login_failed",
                AuditTarget::new("user", user.id.to_string()),
                format!("Login failed: {}", reasons.join("; ")),
            )
            .ip(ip.to_string()),
        )
        .await?;
        if !password_ok && user.password_hash.is_some() && lockout.is_none() {
            count_failure(tx.as_mut(), &user, &policy, ip, now).await?;
        }
        if let Some(summary) = lockout {
            tx.append_audit(&lockout_record(&user, ip, now, summary)).await?;
        }
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    }

    let mut tx = state.store.begin().await?;
    if lock_over {
        end_lock(tx.as_mut(), &user, now).await?;
    }
    if user.two_step_enabled {
        let answer = super::two_step::challenge(state, tx.as_mut(), &user, ip, now).await?;
        tx.append_audit(
            &AuditRecord::new(
                Some(user.org_id),
                now,
                AuditActor {
                    user_id: Some(user.id),
                    email: user.email.clone(),
                },
                "auth.mfa_challenge",
                AuditTarget::new("user", user.id.to_string()),
                "Password accepted; two-step verification asked",
            )
            .ip(ip.to_string()),
        )
        .await?;
        tx.commit().await?;
        // The challenge may have queued an emailed code.
        state.mail.wake();
        return Ok(answer);
    }
    Ok(LoginResponse::Granted(
        grant_session(state, tx, &user, &policy, ip, now).await?,
    ))
}

/// How long a lock of an organization's last admin lasts when the policy's locks last until an admin
/// unlocks (there is no other admin to do it).
pub const LAST_ADMIN_LOCK_MINUTES: u32 = 60;

/// How many admins of the user's organization can log in now, when the user is an admin (else none
/// are counted: the answer matters only for admins).
async fn login_admins(state: &AppState, user: &LoginUser) -> AppResult<u64> {
    if user.role != OrgRole::Admin {
        return Ok(u64::MAX);
    }
    let mut tx = state.store.begin().await?;
    let n = tx.login_admin_count(user.org_id).await?;
    drop(tx);
    Ok(n)
}

/// The audit entry of an account locked by the system.
fn lockout_record(user: &LoginUser, ip: ClientIp, now: Timestamp, summary: String) -> AuditRecord {
    AuditRecord::new(
        Some(user.org_id),
        now,
        AuditActor::system(),
        "auth.lockout",
        AuditTarget::new("user", user.id.to_string()),
        summary,
    )
    .ip(ip.to_string())
}

/// A wrong password or code of a known, active user, counted in `tx` toward the policy's lockout:
/// at the limit the account is locked (its sessions ended) and the lock audited. True when it locked.
pub(crate) async fn count_failure(
    tx: &mut dyn WriteTx,
    user: &LoginUser,
    policy: &PasswordPolicy,
    ip: ClientIp,
    now: Timestamp,
) -> AppResult<bool> {
    let failures = tx.record_failed_login(user.id).await?;
    if user.status != UserStatus::Active || failures < policy.lockout_attempts {
        return Ok(false);
    }
    if !tx.lock_user(user.id, now).await? {
        // Another request locked it first, and audited it.
        return Ok(true);
    }
    tx.append_audit(&lockout_record(
        user,
        ip,
        now,
        format!(
            "User {} locked after {} failed logins; all sessions ended",
            user.email, policy.lockout_attempts
        ),
    ))
    .await?;
    Ok(true)
}

/// Opens a session for `user` in `tx` (with its audit entries) and commits.
pub(crate) async fn grant_session(
    state: &AppState,
    mut tx: Box<dyn WriteTx>,
    user: &LoginUser,
    policy: &PasswordPolicy,
    ip: ClientIp,
    now: Timestamp,
) -> AppResult<SessionGrant> {
    let expired = password_expired(user, policy, now);

    let timeouts = state.store.session_timeouts(user.org_id).await?;
    let expires_at = now
        .checked_add(timeouts.absolute())
        .and_then(|t| jiff::Timestamp::from_millisecond(t.as_millisecond()))
        .map_err(|e| AppError::Internal(e.into()))?;
    let (token, token_hash) = token::new_session_token();
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
    if expired {
        tx.require_password_change(user.id).await?;
        tx.append_audit(
            &AuditRecord::new(
                Some(user.org_id),
                now,
                AuditActor::system(),
                "auth.password_expired",
                AuditTarget::new("user", user.id.to_string()),
                format!(
                    "Password of {} older than {} days: it must be changed before anything else",
                    user.email,
                    policy.normalized().expiration_days
                ),
            )
            .ip(ip.to_string()),
        )
        .await?;
    }
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

/// No login (or, never logged in, no account; or an admin's unlock) for longer than `inactive_lock_days`.
fn is_inactive(user: &LoginUser, policy: &PasswordPolicy, now: Timestamp) -> bool {
    let days = policy.inactive_lock_days;
    days > 0
        && user.status == UserStatus::Active
        && user
            .last_login_at
            .unwrap_or(user.created_at)
            .max(user.unlocked_at.unwrap_or(user.created_at))
            .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
            .is_ok_and(|end| end <= now)
}

/// The password is older than `expiration_days` (custom policies only; presets never expire).
fn password_expired(user: &LoginUser, policy: &PasswordPolicy, now: Timestamp) -> bool {
    let days = policy.normalized().expiration_days;
    days > 0
        && user
            .password_changed_at
            .unwrap_or(user.created_at)
            .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
            .is_ok_and(|end| end <= now)
}

/// A lock whose time is over: the account is active again with a fresh failure count (audited).
async fn end_lock(tx: &mut dyn WriteTx, user: &LoginUser, now: Timestamp) -> AppResult<()> {
    if let Some(mut record) = tx.user_record(user.org_id, user.id).await? {
        let version = record.user.version;
        record.user.status = UserStatus::Active;
        record.user.failed_attempts = 0;
        record.locked_at = None;
        tx.save_user(&record, version).await?;
        tx.append_audit(&AuditRecord::new(
            Some(user.org_id),
            now,
            AuditActor::system(),
            "auth.unlock",
            AuditTarget::new("user", user.id.to_string()),
            format!("Lock of {} ended: its lockout time is over", user.email),
        ))
        .await?;
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
pub async fn logout(state: &AppState, user: &SessionUser) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    tx.delete_session(user.token_hash().expose()).await?;
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
