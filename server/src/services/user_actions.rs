//! User actions (enable, disable, unlock, forced password reset, two-step reset), bulk actions,
//! redeeming an invitation, and changing one's own password.

use jiff::Timestamp;
use orgdeck_shared::{
    FieldError,
    audit::AuditTarget,
    routes::user_action,
    users::{
        ActivateRequest, BULK_MAX, BulkAction, BulkOutcome, BulkReport, BulkRequest, ChangePasswordRequest, User,
        UserStatus,
    },
};
use uuid::Uuid;

use super::{
    passwords::{PasswordOwner, accept_password, record_password},
    users::{audit, delete_in, keep_an_admin, no_user, resting_status, user_changes},
};
use crate::{
    auth::{AuthUser, OrgAdmin, SessionUser, reauth, token},
    error::{AppError, AppResult},
    http::client_ip::ClientIp,
    state::AppState,
    store::{AuditRecord, WriteTx},
};

/// The user actions of `POST users/{id}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Enable,
    Disable,
    Unlock,
    ResetPassword,
    ResetTwoStep,
}

impl UserAction {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            user_action::ENABLE => UserAction::Enable,
            user_action::DISABLE => UserAction::Disable,
            user_action::UNLOCK => UserAction::Unlock,
            user_action::RESET_PASSWORD => UserAction::ResetPassword,
            user_action::RESET_TWO_STEP => UserAction::ResetTwoStep,
            _ => return None,
        })
    }

    fn audit_action(self) -> &'static str {
        match self {
            UserAction::Enable => "user.enable",
            UserAction::Disable => "user.disable",
            UserAction::Unlock => "user.unlock",
            UserAction::ResetPassword => "user.reset_password",
            UserAction::ResetTwoStep => "user.reset_two_step",
        }
    }
}

/// Applies one action inside `tx`, with its audit entry; returns the user as it is now.
pub async fn act_in(
    tx: &mut dyn WriteTx,
    admin: &AuthUser,
    id: Uuid,
    action: UserAction,
    now: Timestamp,
) -> AppResult<User> {
    let before = tx.user_record(admin.org_id, id).await?.ok_or_else(no_user)?;
    let mut after = before.clone();
    let mut end_sessions = false;
    let email = before.user.email.clone();
    let mut summary = match action {
        UserAction::Enable => {
            after.user.enabled = true;
            after.user.status = if after.locked_at.is_some() {
                UserStatus::Locked
            } else {
                resting_status(&after)
            };
            format!("User {email} enabled")
        }
        UserAction::Disable => {
            after.user.enabled = false;
            after.user.status = UserStatus::Disabled;
            end_sessions = true;
            format!("User {email} disabled")
        }
        UserAction::Unlock => {
            after.user.failed_attempts = 0;
            after.locked_at = None;
            if after.user.status == UserStatus::Locked {
                after.user.status = resting_status(&after);
            }
            format!("User {email} unlocked; failure count cleared")
        }
        UserAction::ResetPassword => {
            after.must_change_password = true;
            format!("User {email} must change their password at next login")
        }
        UserAction::ResetTwoStep => {
            after.user.two_step_enabled = false;
            format!("Two-step verification of {email} reset")
        }
    };
    keep_an_admin(tx, &before, Some(&after)).await?;
    let changes = user_changes(&before, &after);
    if !changes.is_empty() {
        after.user.version = tx.save_user(&after, before.user.version).await?;
    }
    if action == UserAction::Unlock {
        tx.mark_unlocked(id, now).await?;
    }
    if action == UserAction::ResetTwoStep {
        // The secret, enrolled methods, pending enrolments and emailed codes, the last used step, backup
        // codes and open login challenges.
        tx.clear_two_step(id).await?;
        summary.push_str("; TOTP secret, email enrolment, pending codes and backup codes removed");
    }
    if end_sessions {
        let ended = tx.end_user_sessions(id).await?;
        summary.push_str(&format!("; {ended} session(s) ended"));
    }
    tx.append_audit(&audit(admin, now, action.audit_action(), id, summary).changes(changes))
        .await?;
    Ok(after.user)
}

pub async fn act(state: &AppState, admin: &OrgAdmin, id: Uuid, action: UserAction) -> AppResult<User> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let user = act_in(tx.as_mut(), admin.user(), id, action, now).await?;
    tx.commit().await?;
    Ok(user)
}

/// Applies a bulk action id by id in one transaction: refusals (unknown id, the last admin) are reported
/// per id and do not stop the others; an internal failure rolls everything back.
pub async fn bulk(state: &AppState, admin: &OrgAdmin, req: BulkRequest) -> AppResult<BulkReport> {
    if req.ids.is_empty() {
        return Err(AppError::Validation(vec![FieldError::new(
            "ids",
            "choose at least one user",
        )]));
    }
    if req.ids.len() > BULK_MAX {
        return Err(AppError::Validation(vec![FieldError::new(
            "ids",
            format!("at most {BULK_MAX} users at once"),
        )]));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let mut results = Vec::with_capacity(req.ids.len());
    for (i, &id) in req.ids.iter().enumerate() {
        let outcome = if req.ids[..i].contains(&id) {
            Err(AppError::BadRequest("listed twice".into()))
        } else {
            match req.action {
                BulkAction::Enable => act_in(tx.as_mut(), admin.user(), id, UserAction::Enable, now)
                    .await
                    .map(drop),
                BulkAction::Disable => act_in(tx.as_mut(), admin.user(), id, UserAction::Disable, now)
                    .await
                    .map(drop),
                BulkAction::Delete => delete_in(tx.as_mut(), admin.user(), id, None, now).await,
            }
        };
        results.push(match outcome {
            Ok(()) => BulkOutcome {
                id,
                ok: true,
                error: None,
            },
            Err(e @ AppError::Internal(_)) => return Err(e),
            Err(e) => BulkOutcome {
                id,
                ok: false,
                error: Some(e.to_api()),
            },
        });
    }
    let succeeded = results.iter().filter(|r| r.ok).count() as u32;
    tx.commit().await?;
    Ok(BulkReport {
        succeeded,
        failed: results.len() as u32 - succeeded,
        results,
    })
}

fn bad_token() -> AppError {
    AppError::Validation(vec![FieldError::new(
        "token",
        "is not a valid activation token (unknown, already used or expired)",
    )])
}

/// Redeems an invitation: the token works once, before it expires; the password must meet the policy.
pub async fn activate(state: &AppState, req: ActivateRequest, ip: ClientIp) -> AppResult<()> {
    let now = state.clock.now();
    let hash = token::hash_token(req.token.expose().trim());
    let mut tx = state.store.begin().await?;
    let Some(activation) = tx.take_activation(&hash).await? else {
        return Err(bad_token());
    };
    if activation.expires_at <= now {
        // The expired token is gone for good.
        tx.commit().await?;
        return Err(bad_token());
    }
    let before = tx
        .user_record(activation.org_id, activation.user_id)
        .await?
        .ok_or_else(bad_token)?;
    let org_name = tx.general_settings(activation.org_id).await?.value.name;
    // A refused password rolls back: the token stays valid for another try.
    let hash = accept_password(
        state,
        &PasswordOwner {
            org_id: activation.org_id,
            user_id: Some(before.user.id),
            email: &before.user.email,
            org_name: &org_name,
            current_hash: before.password_hash.as_deref(),
        },
        "password",
        &req.password,
    )
    .await?;
    let mut after = before.clone();
    after.password_hash = Some(hash.clone());
    after.must_change_password = false;
    if after.user.status == UserStatus::Pending {
        after.user.status = UserStatus::Active;
    }
    after.user.version = tx.save_user(&after, before.user.version).await?;
    record_password(tx.as_mut(), before.user.id, &hash, now).await?;
    let changes = user_changes(&before, &after);
    let actor = orgdeck_shared::audit::AuditActor {
        user_id: Some(before.user.id),
        email: before.user.email.clone(),
    };
    tx.append_audit(
        &AuditRecord::new(
            Some(activation.org_id),
            now,
            actor,
            "user.activate",
            AuditTarget::new("user", before.user.id.to_string()),
            format!("User {} activated their account", before.user.email),
        )
        .ip(ip.to_string())
        .changes(changes),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the caller's own password (clears a forced reset).
pub async fn change_password(state: &AppState, user: &SessionUser, req: ChangePasswordRequest) -> AppResult<()> {
    // A password check like a login's: rate limited per address, a wrong one audited and counted
    // toward the lockout, so a stolen session cannot guess the password at leisure.
    let login = reauth::check_password(
        state,
        user,
        &req.current,
        "user.change_password_failed",
        "Password change refused: wrong current password",
        FieldError::new("current", "is not your current password"),
    )
    .await?;
    let hash = accept_password(
        state,
        &PasswordOwner {
            org_id: user.org_id,
            user_id: Some(user.user_id),
            email: &user.email,
            org_name: &user.org_name,
            current_hash: login.password_hash.as_deref(),
        },
        "new",
        &req.new,
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let before = tx
        .user_record(user.org_id, user.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let mut after = before.clone();
    after.password_hash = Some(hash.clone());
    after.must_change_password = false;
    after.user.version = tx.save_user(&after, before.user.version).await?;
    record_password(tx.as_mut(), user.user_id, &hash, now).await?;
    // Whoever else holds a session of this account loses it; this one stays.
    let ended = tx.end_other_sessions(user.user_id, user.token_hash().expose()).await?;
    let changes = user_changes(&before, &after);
    tx.append_audit(
        &audit(
            user,
            now,
            "user.change_password",
            user.user_id,
            "Changed their password",
        )
        .changes(changes),
    )
    .await?;
    if ended > 0 {
        tx.append_audit(&audit(
            user,
            now,
            "session.end",
            user.user_id,
            format!("{ended} other session(s) of {} ended by a password change", user.email),
        ))
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
