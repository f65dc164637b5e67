//! Two-step verification: TOTP enrolment (`me/two_step/totp`, `.../confirm`), the login challenge and
//! its second step (`auth/mfa`: a TOTP code, an emailed code (see [`super::email_code`]) or a backup
//! code). Secrets are sealed with the server key; backup codes and challenges are stored as SHA-256
//! hashes only.

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    audit::AuditTarget,
    auth::{BackupCodes, LoginResponse, MfaMethod, MfaRequest, Secret, TotpConfirm, TotpEnrollment},
    routes::area,
    security::{TwoStepMethod, TwoStepSettings},
};
use uuid::Uuid;

use super::{AuthUser, SessionUser, email_code, login, rate_limit::Verdict, token, totp};
use crate::{
    error::{AppError, AppResult, Internal},
    http::client_ip::ClientIp,
    state::AppState,
    store::{AuditRecord, LoginUser, MfaChallenge, UserStatus, WriteTx, sqlite::ops::AREA_TWO_STEP},
};

/// How long a login challenge stays valid (longer once a code is emailed for it: as long as the code).
pub const CHALLENGE_TTL: SignedDuration = SignedDuration::from_mins(5);
/// Wrong codes after which a login challenge is dropped (the login starts again with the password).
pub const CHALLENGE_TRIES: u32 = 5;
/// Backup codes issued at enrolment.
pub const BACKUP_CODES: usize = 10;
/// Characters of a backup code (Crockford-like base32 without look-alikes: 5 bits each, 50 bits a code).
const BACKUP_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
const BACKUP_LEN: usize = 10;

/// The organization's two-step settings (defaults when never written).
pub fn parse_settings(doc: Option<&str>) -> AppResult<TwoStepSettings> {
    match doc {
        None => Ok(TwoStepSettings::default()),
        Some(d) => serde_json::from_str(d).map_err(|e| AppError::Internal(Internal::stored("two_step settings", e))),
    }
}

pub(super) async fn settings(state: &AppState, org_id: Uuid) -> AppResult<TwoStepSettings> {
    let doc = state.store.settings_doc(org_id, AREA_TWO_STEP).await?;
    parse_settings(doc.as_ref().map(|(_, d)| d.as_str()))
}

fn totp_allowed(s: &TwoStepSettings) -> bool {
    s.enabled && s.methods.contains(&TwoStepMethod::Totp)
}

fn unix_secs(t: Timestamp) -> u64 {
    u64::try_from(t.as_second()).unwrap_or(0)
}

fn context(user_id: Uuid) -> Vec<u8> {
    format!("orgdeck totp {user_id}").into_bytes()
}

/// The stored form of a backup code: spaces, dashes and case do not matter.
fn backup_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token::hash_token(&format!("backup:{norm}"))
}

/// A fresh set of backup codes and their hashes (what the store keeps).
pub(super) fn new_backup_codes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..BACKUP_CODES).map(|_| new_backup_code()).collect();
    let hashes = codes.iter().map(|c| backup_hash(c)).collect();
    (codes, hashes)
}

fn new_backup_code() -> String {
    let mut bytes = [0u8; BACKUP_LEN];
    rand::fill(&mut bytes[..]);
    let chars: String = bytes
        .iter()
        .map(|b| char::from(BACKUP_ALPHABET[usize::from(b & 31)]))
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

pub(super) fn audit(user: &AuthUser, now: Timestamp, action: &str, summary: String) -> AuditRecord {
    AuditRecord::new(
        Some(user.org_id),
        now,
        user.actor(),
        action,
        AuditTarget::new("user", user.user_id.to_string()),
        summary,
    )
    .ip(user.client_ip.to_string())
}

/// `POST me/two_step/totp`: a new pending secret (replacing an unfinished enrolment).
pub async fn start_enrolment(state: &AppState, user: &SessionUser) -> AppResult<TotpEnrollment> {
    if !totp_allowed(&settings(state, user.org_id).await?) {
        return Err(AppError::Forbidden(
            "two-step verification with an authenticator app is not enabled for your organization".into(),
        ));
    }
    let secret = totp::new_secret();
    let uri = totp::otpauth_uri(&secret, &user.email)?;
    let sealed = state.secret_box.seal(&context(user.user_id), &secret)?;
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    super::reauth::require_fresh(tx.as_mut(), user, now).await?;
    tx.set_pending_totp(user.user_id, &sealed).await?;
    tx.append_audit(&audit(
        user,
        now,
        "two_step.enrol_start",
        format!("{} started enrolling an authenticator app", user.email),
    ))
    .await?;
    tx.commit().await?;
    Ok(TotpEnrollment {
        otpauth_uri: Secret::new(uri),
        secret: Secret::new(totp::secret_base32(&secret)),
    })
}

/// `POST me/two_step/totp/confirm`: a valid code of the pending secret completes enrolment.
pub async fn confirm_enrolment(state: &AppState, user: &AuthUser, req: TotpConfirm) -> AppResult<BackupCodes> {
    if !totp_allowed(&settings(state, user.org_id).await?) {
        return Err(AppError::Forbidden(
            "two-step verification with an authenticator app is not enabled for your organization".into(),
        ));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let row = tx.totp_row(user.user_id).await?.unwrap_or_default();
    let Some(sealed) = row.pending_secret else {
        return Err(AppError::BadRequest(
            "no enrolment in progress: start one with POST me/two_step/totp".into(),
        ));
    };
    let secret = state.secret_box.open(&context(user.user_id), &sealed)?;
    let Some(step) = totp::verify(&secret, req.code.expose(), unix_secs(now), None) else {
        return Err(AppError::BadRequest(
            "the code is not valid: enter the current code from your authenticator app".into(),
        ));
    };
    let (codes, hashes) = new_backup_codes();
    tx.activate_totp(user.user_id, step, &hashes, now).await?;
    tx.append_audit(&audit(
        user,
        now,
        "two_step.enrol",
        format!(
            "{} enrolled an authenticator app; {BACKUP_CODES} backup codes issued",
            user.email
        ),
    ))
    .await?;
    tx.commit().await?;
    Ok(BackupCodes {
        backup_codes: codes.into_iter().map(Secret::new).collect(),
    })
}

/// What a challenge of a user enrolled in `enrolled` offers: the methods the organization allows, and
/// backup codes. When the organization allows none of them any more, their own methods still answer,
/// so narrowing the settings never leaves anyone with backup codes alone.
fn challenge_methods(enrolled: &[TwoStepMethod], settings: &TwoStepSettings) -> Vec<MfaMethod> {
    let allowed: Vec<TwoStepMethod> = enrolled
        .iter()
        .copied()
        .filter(|m| settings.enabled && settings.methods.contains(m))
        .collect();
    let usable = if allowed.is_empty() { enrolled.to_vec() } else { allowed };
    let mut methods: Vec<MfaMethod> = [TwoStepMethod::Totp, TwoStepMethod::Email]
        .into_iter()
        .filter(|m| usable.contains(m))
        .map(|m| match m {
            TwoStepMethod::Totp => MfaMethod::Totp,
            TwoStepMethod::Email => MfaMethod::Email,
        })
        .collect();
    methods.push(MfaMethod::BackupCode);
    methods
}

/// After a right password for an enrolled user: a single-use challenge for `auth/mfa`. When email is
/// the user's only code method, the code is emailed right away (queued in `tx`).
pub async fn challenge(
    state: &AppState,
    tx: &mut dyn WriteTx,
    user: &LoginUser,
    ip: ClientIp,
    now: Timestamp,
) -> AppResult<LoginResponse> {
    let settings = settings(state, user.org_id).await?;
    let methods = challenge_methods(&tx.two_step_methods(user.id).await?, &settings);
    let (challenge, hash) = token::new_session_token();
    let expires_at = now
        .checked_add(CHALLENGE_TTL)
        .map_err(|e| AppError::Internal(e.into()))?;
    tx.insert_mfa_challenge(&hash, user.id, &user.email, expires_at, &methods)
        .await?;
    let email_sent_to = if methods.contains(&MfaMethod::Email) && !methods.contains(&MfaMethod::Totp) {
        let sent =
            email_code::send_for_challenge(state, tx, &hash, expires_at, user.org_id, user.id, &user.email, ip, now)
                .await?;
        Some(sent.sent_to)
    } else {
        None
    };
    Ok(LoginResponse::MfaRequired {
        mfa_required: true,
        challenge,
        methods,
        email_sent_to,
    })
}

/// `POST auth/mfa`: a TOTP code, the challenge's emailed code or an unused backup code answers the
/// challenge with a session (only by the methods the challenge offers). Wrong codes count toward the
/// lockout like wrong passwords; every refusal answers `invalid_credentials`.
pub async fn verify_mfa(state: &AppState, req: MfaRequest, ip: ClientIp) -> AppResult<LoginResponse> {
    let now = state.clock.now();
    if let Verdict::Limited { retry_after, .. } = state.login_limiter.attempt(ip.0, now).await? {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let hash = token::hash_token(req.challenge.expose());
    // One write transaction from reading the challenge to granting the session: two requests with the
    // same challenge are serialized, and only the one that deletes it goes on.
    let (mut tx, ch) = live_challenge(state, &hash, now).await?;
    let user = match state.store.user_for_login(&ch.email).await? {
        Some(u) if u.id == ch.user_id => u,
        _ => return Err(AppError::InvalidCredentials),
    };
    let record = |action: &str, summary: String| {
        AuditRecord::new(
            Some(user.org_id),
            now,
            user.actor(),
            action,
            AuditTarget::new("user", user.id.to_string()),
            summary,
        )
        .ip(ip.to_string())
    };
    // Refusals that do not depend on the code are judged before it is looked at.
    let ip_doc = state.store.settings_doc(user.org_id, area::IP_RESTRICTIONS).await?;
    let refusal = if !user.may_log_in() || user.status != UserStatus::Active || !user.two_step_enabled {
        Some("the account may not log in".to_owned())
    } else if super::check_ip(ip_doc.as_ref().map(|(_, d)| d.as_str()), ip).is_err() {
        Some(format!("address {ip} not allowed by the IP restrictions"))
    } else {
        None
    };
    if let Some(why) = refusal {
        tx.append_audit(&record(
            "auth.mfa_failed",
            format!("Two-step verification refused: {why}"),
        ))
        .await?;
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    }
    let code = req.code.expose().trim();
    let is_code = email_code::looks_like_code(code);
    let passed_with = if is_code && email_code::matches_challenge(state, &ch, &hash, code, now) {
        Some("an emailed code")
    } else {
        let totp = ch.methods.contains(&MfaMethod::Totp);
        second_factor(state, tx.as_mut(), user.id, totp, code, now).await?
    };
    let Some(passed_with) = passed_with else {
        let policy = state.store.password_policy(user.org_id).await?;
        let tries = tx.mfa_challenge_failed(&hash).await?;
        let mut summary = format!(
            "Two-step verification failed: wrong {}",
            if is_code { "code" } else { "backup code" }
        );
        let locked = login::count_failure(tx.as_mut(), &user, &policy, ip, now).await?;
        if locked || tries >= CHALLENGE_TRIES {
            tx.delete_mfa_challenge(&hash).await?;
            if !locked {
                summary.push_str(&format!("; {tries} wrong codes: the login must start again"));
            }
        }
        tx.append_audit(&record("auth.mfa_failed", summary)).await?;
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    };
    if !tx.delete_mfa_challenge(&hash).await? {
        return Err(AppError::InvalidCredentials);
    }
    tx.append_audit(&record(
        "auth.mfa",
        format!("Two-step verification passed with {passed_with}"),
    ))
    .await?;
    let policy = state.store.password_policy(user.org_id).await?;
    let grant = login::grant_session(state, tx, &user, &policy, ip, now).await?;
    Ok(LoginResponse::Granted(grant))
}

/// The unexpired challenge with this hash, in a new write transaction; an unknown one answers
/// `invalid_credentials`, and so does an expired one (which is deleted).
pub(super) async fn live_challenge(
    state: &AppState,
    hash: &str,
    now: Timestamp,
) -> AppResult<(Box<dyn WriteTx>, MfaChallenge)> {
    let mut tx = state.store.begin().await?;
    let Some(ch) = tx.mfa_challenge(hash).await? else {
        return Err(AppError::InvalidCredentials);
    };
    if ch.expires_at <= now {
        tx.delete_mfa_challenge(hash).await?;
        tx.commit().await?;
        return Err(AppError::InvalidCredentials);
    }
    Ok((tx, ch))
}

/// An unused backup code, or (when `totp`) a valid authenticator code at a step not used before;
/// either is then used up. Answers what it was, for the audit log.
pub(super) async fn second_factor(
    state: &AppState,
    tx: &mut dyn WriteTx,
    user_id: Uuid,
    totp: bool,
    code: &str,
    now: Timestamp,
) -> AppResult<Option<&'static str>> {
    if !email_code::looks_like_code(code) {
        Ok(tx
            .use_backup_code(user_id, &backup_hash(code), now)
            .await?
            .then_some("a backup code"))
    } else if totp && totp_accepts(state, tx, user_id, code, now).await? {
        Ok(Some("an authenticator code"))
    } else {
        Ok(None)
    }
}

/// A valid TOTP code of the user's secret at a step not used before (the step is then used).
async fn totp_accepts(
    state: &AppState,
    tx: &mut dyn WriteTx,
    user_id: Uuid,
    code: &str,
    now: Timestamp,
) -> AppResult<bool> {
    let row = tx.totp_row(user_id).await?.unwrap_or_default();
    let Some(sealed) = row.secret else {
        return Ok(false);
    };
    let secret = state.secret_box.open(&context(user_id), &sealed)?;
    match totp::verify(&secret, code, unix_secs(now), row.last_step) {
        Some(step) => Ok(tx.advance_totp_step(user_id, step).await?),
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_codes_are_distinct_and_normalized() {
        let a = new_backup_code();
        assert_eq!(a.len(), 11);
        assert_ne!(a, new_backup_code());
        assert_eq!(backup_hash(&a), backup_hash(&a.to_uppercase().replace('-', " ")));
    }

    #[test]
    fn a_challenge_offers_the_allowed_enrolled_methods_and_backup_codes() {
        use MfaMethod::{BackupCode, Email, Totp};
        let both = [TwoStepMethod::Totp, TwoStepMethod::Email];
        let only = |methods: Vec<TwoStepMethod>| TwoStepSettings {
            enabled: true,
            required: false,
            methods,
        };
        assert_eq!(
            challenge_methods(&both, &only(both.to_vec())),
            vec![Totp, Email, BackupCode]
        );
        assert_eq!(
            challenge_methods(&both, &only(vec![TwoStepMethod::Email])),
            vec![Email, BackupCode]
        );
        // Nothing the user has is allowed any more: their own methods still answer.
        assert_eq!(
            challenge_methods(&[TwoStepMethod::Totp], &only(vec![TwoStepMethod::Email])),
            vec![Totp, BackupCode]
        );
    }
}
