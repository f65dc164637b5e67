//! Two-step verification by email: a 6-digit code (CSPRNG), valid 10 minutes, mailed to the user's own
//! address through the mail queue. It serves enrolment (`me/two_step/email`, `.../confirm`) and the
//! second step of a login (`auth/mfa/email` sends one for a challenge; `auth/mfa` takes it), and fresh
//! proof before changing one's second factor (`me/two_step/reauth/email`, then `me/two_step/reauth`). Codes are
//! stored only as keyed hashes bound to their user and purpose; the queued mail body is sealed.

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    audit::{AuditActor, AuditTarget},
    auth::{BackupCodes, EmailCodeConfirm, EmailCodeSent, MfaEmailRequest, MfaMethod, Secret},
    security::{TwoStepMethod, TwoStepSettings},
};
use rand::RngExt;
use uuid::Uuid;

use super::{AuthUser, SessionUser, token, two_step};
use crate::{
    error::{AppError, AppResult},
    http::client_ip::ClientIp,
    mail::{self, NewMail, mask_email},
    state::AppState,
    store::{AuditRecord, MfaChallenge, PendingCode, UserStatus, WriteTx},
};

/// How long an emailed code works.
pub const CODE_TTL: SignedDuration = SignedDuration::from_mins(10);
/// The least time between two codes for one enrolment or challenge.
pub const RESEND_AFTER: SignedDuration = SignedDuration::from_mins(1);
/// The most codes one login challenge may email.
pub const SENDS_PER_CHALLENGE: u32 = 5;
/// Wrong enrolment codes after which the pending one is dropped (a new one must be sent).
const ENROL_TRIES: u32 = 5;
const DIGITS: usize = 6;

pub fn email_allowed(s: &TwoStepSettings) -> bool {
    s.enabled && s.methods.contains(&TwoStepMethod::Email)
}

fn not_enabled() -> AppError {
    AppError::Forbidden("two-step verification by email is not enabled for your organization".into())
}

/// Six digits, uniformly from the thread's CSPRNG.
fn new_code() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// Six ASCII digits (spaces around them ignored).
pub fn looks_like_code(code: &str) -> bool {
    code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

fn enrol_context(user_id: Uuid) -> String {
    format!("orgdeck email enrol {user_id}")
}

fn challenge_context(user_id: Uuid, challenge_hash: &str) -> String {
    format!("orgdeck email login {user_id} {challenge_hash}")
}

fn reauth_context(user_id: Uuid, token_hash: &str) -> String {
    format!("orgdeck email reauth {user_id} {token_hash}")
}

fn whole_seconds(d: SignedDuration) -> u64 {
    u64::try_from(d.as_millis().max(0)).unwrap_or(0).div_ceil(1000).max(1)
}

/// Refuses a code asked for less than a minute after the last one.
fn check_resend(last: Option<&PendingCode>, now: Timestamp) -> AppResult<()> {
    if let Some(last) = last {
        let wait = last.sent_at.duration_until(now);
        if wait < RESEND_AFTER {
            return Err(AppError::RateLimited {
                message: "a code was emailed less than a minute ago; wait before asking for another".into(),
                retry_after: whole_seconds(RESEND_AFTER - wait),
            });
        }
    }
    Ok(())
}

/// Who a code goes to, and who the audit entries name.
struct Recipient<'a> {
    org_id: Uuid,
    user_id: Uuid,
    email: &'a str,
    ip: ClientIp,
}

impl<'a> Recipient<'a> {
    /// The logged-in user, at their own address.
    fn of(user: &'a AuthUser) -> Self {
        Recipient {
            org_id: user.org_id,
            user_id: user.user_id,
            email: &user.email,
            ip: user.client_ip,
        }
    }

    fn audit(&self, now: Timestamp, action: &str, summary: String) -> AuditRecord {
        AuditRecord::new(
            Some(self.org_id),
            now,
            AuditActor {
                user_id: Some(self.user_id),
                email: self.email.to_owned(),
            },
            action,
            AuditTarget::new("user", self.user_id.to_string()),
            summary,
        )
        .ip(self.ip.to_string())
    }
}

/// Why a code is sent: the mail and the audit entry say so.
#[derive(Clone, Copy)]
enum Purpose {
    Enrol,
    Login,
    Reauth,
}

/// Makes a code, queues its mail in `tx` with its audit entry; answers what the client is told and what
/// to store: the code only as its hash keyed by `context` (whose code it is, for what).
async fn send(
    state: &AppState,
    tx: &mut dyn WriteTx,
    to: &Recipient<'_>,
    purpose: Purpose,
    context: &str,
    now: Timestamp,
) -> AppResult<(EmailCodeSent, PendingCode)> {
    let code = new_code();
    let expires_at = now.checked_add(CODE_TTL).map_err(|e| AppError::Internal(e.into()))?;
    let until = expires_at.strftime("%Y-%m-%d %H:%M UTC");
    let (subject, why) = match purpose {
        Purpose::Enrol => (
            "Your orgdeck enrolment code",
            "Enter it in orgdeck to turn on two-step verification by email.",
        ),
        Purpose::Login => (
            "Your orgdeck login code",
            "Enter it in orgdeck to finish logging in. If you are not logging in, someone knows your \
             password: change it and tell your administrator.",
        ),
        Purpose::Reauth => (
            "Your orgdeck code to confirm it is you",
            "Enter it in orgdeck with your password to change your two-step verification. If you did not \
             ask for it, someone is using your session: log out everywhere and change your password.",
        ),
    };
    let body = format!("Your orgdeck verification code is: {code}\r\n\r\nIt works once, until {until}.\r\n{why}\r\n");
    mail::enqueue(
        tx,
        &state.secret_box,
        now,
        NewMail {
            org_id: Some(to.org_id),
            to: to.email,
            subject,
            body: &body,
        },
    )
    .await?;
    let sent_to = mask_email(to.email);
    let what = match purpose {
        Purpose::Enrol => "Enrolment code",
        Purpose::Login => "Login code",
        Purpose::Reauth => "Fresh-proof code",
    };
    tx.append_audit(&to.audit(now, "two_step.email_code_sent", format!("{what} emailed to {sent_to}")))
        .await?;
    let pending = PendingCode {
        code_hash: state.secret_box.code_hash(context, &code),
        expires_at,
        sent_at: now,
    };
    Ok((EmailCodeSent { sent_to, expires_at }, pending))
}

/// `POST me/two_step/email`: emails an enrolment code to the caller's own address.
pub async fn start_enrolment(state: &AppState, user: &SessionUser) -> AppResult<EmailCodeSent> {
    if !email_allowed(&two_step::settings(state, user.org_id).await?) {
        return Err(not_enabled());
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    super::reauth::require_fresh(tx.as_mut(), user, now).await?;
    let pending = tx.email_enrolment(user.user_id).await?;
    check_resend(pending.as_ref().map(|(p, _)| p), now)?;
    let context = enrol_context(user.user_id);
    let (sent, pending) = send(state, tx.as_mut(), &Recipient::of(user), Purpose::Enrol, &context, now).await?;
    tx.set_email_enrolment(user.user_id, &pending).await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(sent)
}

/// `POST me/two_step/reauth/email`: emails a code that, with the password, gives fresh proof (for users
/// who verify by email and have no authenticator). One code a session at a time, a minute apart.
pub async fn send_for_reauth(state: &AppState, user: &SessionUser) -> AppResult<EmailCodeSent> {
    if !user.two_step.enrolled.contains(&TwoStepMethod::Email) {
        return Err(AppError::BadRequest(
            "you do not verify by email: give fresh proof with a code from your authenticator app or a backup code"
                .into(),
        ));
    }
    let now = state.clock.now();
    let token_hash = user.token_hash().expose();
    let mut tx = state.store.begin().await?;
    let pending = tx.reauth_code(token_hash).await?;
    check_resend(pending.as_ref().map(|(p, _)| p), now)?;
    let context = reauth_context(user.user_id, token_hash);
    let (sent, pending) = send(state, tx.as_mut(), &Recipient::of(user), Purpose::Reauth, &context, now).await?;
    tx.set_reauth_code(token_hash, &pending).await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(sent)
}

/// Whether `code` is the session's emailed fresh-proof code, unexpired; a right code is used up, a wrong
/// one counted (the code is dropped after a few). `None`: no code is pending for the session.
pub async fn accept_reauth_code(
    state: &AppState,
    tx: &mut dyn WriteTx,
    user: &SessionUser,
    code: &str,
    now: Timestamp,
) -> AppResult<Option<bool>> {
    let token_hash = user.token_hash().expose();
    let Some((pending, _)) = tx.reauth_code(token_hash).await? else {
        return Ok(None);
    };
    if pending.expires_at <= now {
        tx.clear_reauth_code(token_hash).await?;
        return Ok(None);
    }
    if state
        .secret_box
        .code_hash(&reauth_context(user.user_id, token_hash), code)
        == pending.code_hash
    {
        tx.clear_reauth_code(token_hash).await?;
        return Ok(Some(true));
    }
    if tx.reauth_code_failed(token_hash).await? >= ENROL_TRIES {
        tx.clear_reauth_code(token_hash).await?;
    }
    Ok(Some(false))
}

/// `POST me/two_step/email/confirm`: the emailed code completes enrolment; answers new backup codes.
pub async fn confirm_enrolment(state: &AppState, user: &AuthUser, req: EmailCodeConfirm) -> AppResult<BackupCodes> {
    if !email_allowed(&two_step::settings(state, user.org_id).await?) {
        return Err(not_enabled());
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let Some((pending, _)) = tx.email_enrolment(user.user_id).await? else {
        return Err(AppError::BadRequest(
            "no email enrolment in progress: ask for a code with POST me/two_step/email".into(),
        ));
    };
    if pending.expires_at <= now {
        tx.clear_email_enrolment(user.user_id).await?;
        tx.commit().await?;
        return Err(AppError::BadRequest(
            "the code has expired: ask for a new one with POST me/two_step/email".into(),
        ));
    }
    let code = req.code.expose().trim();
    if state.secret_box.code_hash(&enrol_context(user.user_id), code) != pending.code_hash {
        let failures = tx.email_enrolment_failed(user.user_id).await?;
        let mut message = "the code is not valid: enter the code from the email".to_owned();
        if failures >= ENROL_TRIES {
            tx.clear_email_enrolment(user.user_id).await?;
            message = "the code is not valid, and too many were tried: ask for a new one".into();
        }
        tx.append_audit(&two_step::audit(
            user,
            now,
            "two_step.enrol_failed",
            format!("{} entered a wrong email enrolment code", user.email),
        ))
        .await?;
        tx.commit().await?;
        return Err(AppError::BadRequest(message));
    }
    let (codes, hashes) = two_step::new_backup_codes();
    tx.activate_email(user.user_id, &hashes, now).await?;
    tx.append_audit(&two_step::audit(
        user,
        now,
        "two_step.enrol",
        format!(
            "{} enrolled in email codes ({}); {} backup codes issued",
            user.email,
            mask_email(&user.email),
            codes.len()
        ),
    ))
    .await?;
    tx.commit().await?;
    Ok(BackupCodes {
        backup_codes: codes.into_iter().map(Secret::new).collect(),
    })
}

/// Emails a new code for the challenge `challenge_hash` (replacing its last one) inside `tx`; the
/// challenge then lives at least as long as the code.
#[allow(clippy::too_many_arguments)]
pub async fn send_for_challenge(
    state: &AppState,
    tx: &mut dyn WriteTx,
    challenge_hash: &str,
    challenge_expires_at: Timestamp,
    org_id: Uuid,
    user_id: Uuid,
    email: &str,
    ip: ClientIp,
    now: Timestamp,
) -> AppResult<EmailCodeSent> {
    let to = Recipient {
        org_id,
        user_id,
        email,
        ip,
    };
    let context = challenge_context(user_id, challenge_hash);
    let (sent, pending) = send(state, tx, &to, Purpose::Login, &context, now).await?;
    tx.set_challenge_code(challenge_hash, &pending, challenge_expires_at.max(sent.expires_at))
        .await?;
    Ok(sent)
}

/// `POST auth/mfa/email`: a new code for a login challenge that offers email; one a minute, five a
/// challenge. An unknown or expired challenge answers `invalid_credentials`.
pub async fn resend_for_challenge(state: &AppState, req: MfaEmailRequest, ip: ClientIp) -> AppResult<EmailCodeSent> {
    let now = state.clock.now();
    let hash = token::hash_token(req.challenge.expose());
    let (mut tx, ch) = two_step::live_challenge(state, &hash, now).await?;
    if !ch.methods.contains(&MfaMethod::Email) {
        return Err(AppError::InvalidCredentials);
    }
    let user = match state.store.user_for_login(&ch.email).await? {
        Some(u) if u.id == ch.user_id && u.may_log_in() && u.status == UserStatus::Active => u,
        _ => return Err(AppError::InvalidCredentials),
    };
    if ch.email_sends >= SENDS_PER_CHALLENGE {
        return Err(AppError::RateLimited {
            message: format!("{SENDS_PER_CHALLENGE} codes were emailed for this login already; log in again later"),
            retry_after: whole_seconds(now.duration_until(ch.expires_at)),
        });
    }
    check_resend(ch.email_code.as_ref(), now)?;
    let sent = send_for_challenge(
        state,
        tx.as_mut(),
        &hash,
        ch.expires_at,
        user.org_id,
        user.id,
        &user.email,
        ip,
        now,
    )
    .await?;
    tx.commit().await?;
    state.mail.wake();
    Ok(sent)
}

/// Whether `code` is the challenge's current emailed code, unexpired (single use: an accepted code's
/// challenge is deleted).
pub fn matches_challenge(
    state: &AppState,
    ch: &MfaChallenge,
    challenge_hash: &str,
    code: &str,
    now: Timestamp,
) -> bool {
    ch.methods.contains(&MfaMethod::Email)
        && ch.email_code.as_ref().is_some_and(|c| {
            c.expires_at > now
                && state
                    .secret_box
                    .code_hash(&challenge_context(ch.user_id, challenge_hash), code)
                    == c.code_hash
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..50).map(|_| new_code()).collect();
        assert!(codes.iter().all(|c| looks_like_code(c)));
        assert!(codes.len() > 40);
        assert!(!looks_like_code("12345a"));
    }
}
