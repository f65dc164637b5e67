//! Fresh proof before the second factor changes. A stolen session token must not be enough to enrol a
//! new authenticator or email address, or to make new backup codes: those need a login within the last
//! [`FRESH_FOR`], or `POST me/two_step/reauth` with the password and a current code (authenticator,
//! emailed by `me/two_step/reauth/email`, or a backup code) within it. Wrong passwords and codes here count toward the lockout like a login's.

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    FieldError,
    auth::{BackupCodes, BackupCodesLeft, ReauthGranted, ReauthRequest, Secret},
    security::TwoStepMethod,
};

use super::{SessionUser, email_code, login, rate_limit::Verdict, two_step};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    store::{LoginUser, WriteTx},
};

/// How long a login or a reauth counts as fresh proof.
pub const FRESH_FOR: SignedDuration = SignedDuration::from_mins(5);

/// Refuses with `reauth_required` unless the session proved its user within [`FRESH_FOR`]. A user with
/// no second factor yet enrols their first without it (the password alone guards nothing more).
pub async fn require_fresh(tx: &mut dyn WriteTx, user: &SessionUser, now: Timestamp) -> AppResult<()> {
    if user.two_step.enrolled.is_empty() {
        return Ok(());
    }
    let proved = tx.session_proved_at(user.token_hash().expose()).await?;
    match proved.and_then(|at| at.checked_add(FRESH_FOR).ok()) {
        Some(until) if until > now => Ok(()),
        _ => Err(AppError::ReauthRequired),
    }
}

/// The caller's login record: for the password hash and the lockout count.
async fn login_user(state: &AppState, user: &SessionUser) -> AppResult<LoginUser> {
    match state.store.user_for_login(&user.email).await? {
        Some(u) if u.id == user.user_id => Ok(u),
        _ => Err(AppError::Unauthorized),
    }
}

/// A wrong password or code of the caller at `action`: audited and counted toward the lockout (which
/// ends this session too); answers the field error to show.
async fn wrong_secret(
    state: &AppState,
    user: &SessionUser,
    login: &LoginUser,
    action: &str,
    summary: &str,
    field: FieldError,
) -> AppResult<AppError> {
    let now = state.clock.now();
    let policy = state.store.password_policy(user.org_id).await?;
    let mut tx = state.store.begin().await?;
    tx.append_audit(&two_step::audit(user, now, action, summary.to_owned()))
        .await?;
    let locked = login::count_failure(tx.as_mut(), login, &policy, user.client_ip, now).await?;
    tx.commit().await?;
    Ok(if locked {
        AppError::Unauthorized
    } else {
        AppError::Validation(vec![field])
    })
}

/// The login limiter guards every place a password is checked.
async fn check_rate(state: &AppState, user: &SessionUser) -> AppResult<()> {
    match state.login_limiter.attempt(user.client_ip.0, state.clock.now()).await? {
        Verdict::Limited { retry_after, .. } => Err(AppError::TooManyRequests { retry_after }),
        Verdict::Allowed => Ok(()),
    }
}

/// The caller's password checked like a login's: rate limited per address, a wrong one audited as
/// `action` with `summary` and counted toward the lockout, answered as `field`'s error. Answers the
/// caller's login record when it is right.
pub async fn check_password(
    state: &AppState,
    user: &SessionUser,
    password: &Secret,
    action: &str,
    summary: &str,
    field: FieldError,
) -> AppResult<LoginUser> {
    check_rate(state, user).await?;
    let login = login_user(state, user).await?;
    if state.passwords.verify(password, login.password_hash.as_deref()).await? {
        Ok(login)
    } else {
        Err(wrong_secret(state, user, &login, action, summary, field).await?)
    }
}

/// `POST me/two_step/reauth`.
pub async fn reauth(state: &AppState, user: &SessionUser, req: ReauthRequest) -> AppResult<ReauthGranted> {
    let login = check_password(
        state,
        user,
        &req.password,
        "auth.reauth_failed",
        "Fresh proof refused: wrong password",
        FieldError::new("password", "is not your password"),
    )
    .await?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let proved_with = if user.two_step.enrolled.is_empty() {
        "the password"
    } else {
        let code = req.code.as_ref().map(|c| c.expose().trim()).unwrap_or_default();
        if code.is_empty() {
            return Err(AppError::Validation(vec![FieldError::new(
                "code",
                code_wanted(&user.two_step.enrolled),
            )]));
        }
        let totp = user.two_step.enrolled.contains(&TwoStepMethod::Totp);
        let emailed = if user.two_step.enrolled.contains(&TwoStepMethod::Email) && email_code::looks_like_code(code) {
            email_code::accept_reauth_code(state, tx.as_mut(), user, code, now).await? == Some(true)
        } else {
            false
        };
        let proved = if emailed {
            Some("an emailed code")
        } else {
            two_step::second_factor(state, tx.as_mut(), user.user_id, totp, code, now).await?
        };
        match proved {
            Some(with) => with,
            None => {
                // Keeps the count of wrong tries against an emailed code.
                tx.commit().await?;
                return Err(wrong_secret(
                    state,
                    user,
                    &login,
                    "auth.reauth_failed",
                    "Fresh proof refused: wrong code",
                    FieldError::new("code", "is not a current code of yours"),
                )
                .await?);
            }
        }
    };
    tx.set_session_reauth(user.token_hash().expose(), now).await?;
    tx.append_audit(&two_step::audit(
        user,
        now,
        "auth.reauth",
        format!("{} proved who they are with {proved_with}", user.email),
    ))
    .await?;
    tx.commit().await?;
    let fresh_until = now.checked_add(FRESH_FOR).map_err(|e| AppError::Internal(e.into()))?;
    Ok(ReauthGranted { fresh_until })
}

/// What the `code` field asks for, by the caller's methods.
fn code_wanted(enrolled: &[TwoStepMethod]) -> &'static str {
    if enrolled.contains(&TwoStepMethod::Totp) {
        "enter the current code from your authenticator app, or a backup code"
    } else if enrolled.contains(&TwoStepMethod::Email) {
        "enter the code emailed to you (ask for one first), or a backup code"
    } else {
        "enter one of your backup codes (or log in again: a login counts for five minutes)"
    }
}

/// `GET me/two_step/backup_codes`.
pub async fn backup_codes_left(state: &AppState, user: &SessionUser) -> AppResult<BackupCodesLeft> {
    let mut tx = state.store.begin().await?;
    let remaining = tx.backup_codes_left(user.user_id).await?;
    drop(tx);
    Ok(BackupCodesLeft { remaining })
}

/// `POST me/two_step/backup_codes`: a new set replaces every earlier code (fresh proof needed).
pub async fn regenerate_backup_codes(state: &AppState, user: &SessionUser) -> AppResult<BackupCodes> {
    if user.two_step.enrolled.is_empty() {
        return Err(AppError::BadRequest(
            "you have no two-step verification: backup codes come with enrolling a method".into(),
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    require_fresh(tx.as_mut(), user, now).await?;
    let (codes, hashes) = two_step::new_backup_codes();
    tx.replace_backup_codes(user.user_id, &hashes).await?;
    tx.append_audit(&two_step::audit(
        user,
        now,
        "two_step.backup_codes",
        format!(
            "{} made {} new backup codes; the earlier ones no longer work",
            user.email,
            codes.len()
        ),
    ))
    .await?;
    tx.commit().await?;
    Ok(BackupCodes {
        backup_codes: codes.into_iter().map(Secret::new).collect(),
    })
}
