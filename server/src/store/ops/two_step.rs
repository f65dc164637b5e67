//! Two-step verification rows: TOTP secrets (sealed), enrolled methods, backup code hashes, login
//! challenges, and emailed codes (keyed hashes only).

use crate::store::sql::{Connection, OptionalExtension, params};
use jiff::Timestamp;
use orgdeck_shared::{auth::MfaMethod, security::TwoStepMethod};
use uuid::Uuid;

use super::{corrupt, db_err, ms, ts};
use crate::store::{
    MfaChallenge, PendingCode, StoreResult, TotpRow, method_name, mfa_method_name, parse_method, parse_mfa_method,
};

pub fn totp_row(c: &Connection, user_id: Uuid) -> StoreResult<Option<TotpRow>> {
    c.query_row(
        "SELECT secret, pending_secret, last_step FROM user_totp WHERE user_id = ?1",
        params![user_id.to_string()],
        |r| {
            Ok(TotpRow {
                secret: r.get(0)?,
                pending_secret: r.get(1)?,
                last_step: r.get::<_, Option<i64>>(2)?.map(|s| s as u64),
            })
        },
    )
    .optional()
    .map_err(db_err)
}

pub fn set_pending_totp(c: &Connection, user_id: Uuid, sealed: &[u8]) -> StoreResult<()> {
    c.execute(
        "INSERT INTO user_totp (user_id, pending_secret) VALUES (?1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret",
        params![user_id.to_string(), sealed],
    )
    .map_err(db_err)?;
    Ok(())
}

/// The user is enrolled in `method` (and so in two-step) with these backup codes.
fn enrol(
    c: &Connection,
    user_id: Uuid,
    method: TwoStepMethod,
    backup_hashes: &[String],
    at: Timestamp,
) -> StoreResult<()> {
    let id = user_id.to_string();
    c.execute(
        "INSERT INTO user_two_step_methods (user_id, method, enrolled_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (user_id, method) DO UPDATE SET enrolled_at = excluded.enrolled_at",
        params![id, method_name(method), ms(at)],
    )
    .map_err(db_err)?;
    replace_backup_codes(c, user_id, backup_hashes)?;
    c.execute(
        "UPDATE users SET two_step_enabled = TRUE, version = version + 1 WHERE id = ?1",
        params![id],
    )
    .map_err(db_err)?;
    Ok(())
}

/// The pending secret becomes the secret; the backup codes are replaced; the user is enrolled.
pub fn activate_totp(
    c: &Connection,
    user_id: Uuid,
    step: u64,
    backup_hashes: &[String],
    at: Timestamp,
) -> StoreResult<()> {
    c.execute(
        "UPDATE user_totp SET secret = pending_secret, pending_secret = NULL, last_step = ?2 WHERE user_id = ?1",
        params![user_id.to_string(), step as i64],
    )
    .map_err(db_err)?;
    enrol(c, user_id, TwoStepMethod::Totp, backup_hashes, at)
}

/// Enrolled in email codes; the backup codes are replaced; the pending code is gone.
pub fn activate_email(c: &Connection, user_id: Uuid, backup_hashes: &[String], at: Timestamp) -> StoreResult<()> {
    clear_email_enrolment(c, user_id)?;
    enrol(c, user_id, TwoStepMethod::Email, backup_hashes, at)
}

/// Records an accepted step; false when it is not later than the last one (a replay).
pub fn advance_totp_step(c: &Connection, user_id: Uuid, step: u64) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE user_totp SET last_step = ?2 WHERE user_id = ?1 AND (last_step IS NULL OR last_step < ?2)",
            params![user_id.to_string(), step as i64],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Marks an unused backup code used; false when there is none.
pub fn use_backup_code(c: &Connection, user_id: Uuid, hash: &str, at: Timestamp) -> StoreResult<bool> {
    let n = c
        .execute(
            "UPDATE backup_codes SET used_at = ?3 WHERE user_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
            params![user_id.to_string(), hash, at.as_millisecond()],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

/// A user's enrolled methods, as stored (comma-separated by [`two_step_methods`] and the session query).
pub fn parse_methods(list: Option<&str>) -> StoreResult<Vec<TwoStepMethod>> {
    let mut methods: Vec<TwoStepMethod> = list
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| parse_method(s).ok_or_else(|| corrupt(format!("two-step method {s:?}"))))
        .collect::<StoreResult<_>>()?;
    methods.sort_by_key(|m| method_name(*m));
    Ok(methods)
}

pub fn two_step_methods(c: &Connection, user_id: Uuid) -> StoreResult<Vec<TwoStepMethod>> {
    let list: Option<String> = c
        .query_row(
            "SELECT string_agg(method, ',') FROM user_two_step_methods WHERE user_id = ?1",
            params![user_id.to_string()],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    parse_methods(list.as_deref())
}

pub fn email_enrolment(c: &Connection, user_id: Uuid) -> StoreResult<Option<(PendingCode, u32)>> {
    let row: Option<(String, i64, i64, u32)> = c
        .query_row(
            "SELECT code_hash, expires_at, sent_at, failures FROM email_enrolments WHERE user_id = ?1",
            params![user_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db_err)?;
    row.map(|(code_hash, e, s, f)| {
        Ok((
            PendingCode {
                code_hash,
                expires_at: ts(e)?,
                sent_at: ts(s)?,
            },
            f,
        ))
    })
    .transpose()
}

pub fn set_email_enrolment(c: &Connection, user_id: Uuid, code: &PendingCode) -> StoreResult<()> {
    c.execute(
        "INSERT INTO email_enrolments (user_id, code_hash, expires_at, sent_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,
             sent_at = excluded.sent_at, failures = 0",
        params![
            user_id.to_string(),
            code.code_hash,
            ms(code.expires_at),
            ms(code.sent_at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn email_enrolment_failed(c: &Connection, user_id: Uuid) -> StoreResult<u32> {
    c.query_row(
        "UPDATE email_enrolments SET failures = failures + 1 WHERE user_id = ?1 RETURNING failures",
        params![user_id.to_string()],
        |r| r.get(0),
    )
    .optional()
    .map_err(db_err)
    .map(Option::unwrap_or_default)
}

pub fn clear_email_enrolment(c: &Connection, user_id: Uuid) -> StoreResult<()> {
    c.execute(
        "DELETE FROM email_enrolments WHERE user_id = ?1",
        params![user_id.to_string()],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Forgets the user's secrets, methods, last step, backup codes, pending codes and challenges (the
/// flag is the caller's).
pub fn clear_two_step(c: &Connection, user_id: Uuid) -> StoreResult<()> {
    let id = user_id.to_string();
    for sql in [
        "DELETE FROM user_totp WHERE user_id = ?1",
        "DELETE FROM user_two_step_methods WHERE user_id = ?1",
        "DELETE FROM email_enrolments WHERE user_id = ?1",
        "DELETE FROM backup_codes WHERE user_id = ?1",
        "DELETE FROM mfa_challenges WHERE user_id = ?1",
    ] {
        c.execute(sql, params![id]).map_err(db_err)?;
    }
    Ok(())
}

pub fn insert_mfa_challenge(
    c: &Connection,
    hash: &str,
    user_id: Uuid,
    email: &str,
    expires_at: Timestamp,
    methods: &[MfaMethod],
) -> StoreResult<()> {
    // A newer challenge cleans up the user's expired ones.
    c.execute(
        "DELETE FROM mfa_challenges WHERE user_id = ?1 AND expires_at <= ?2",
        params![user_id.to_string(), ms(expires_at)],
    )
    .map_err(db_err)?;
    let methods: Vec<&str> = methods.iter().map(|m| mfa_method_name(*m)).collect();
    c.execute(
        "INSERT INTO mfa_challenges (challenge_hash, user_id, email, expires_at, methods) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash, user_id.to_string(), email, ms(expires_at), methods.join(",")],
    )
    .map_err(db_err)?;
    Ok(())
}

type RawChallenge = (
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    u32,
);

/// The challenge, if it exists (it stays until taken or cleaned up).
pub fn mfa_challenge(c: &Connection, hash: &str) -> StoreResult<Option<MfaChallenge>> {
    let row: Option<RawChallenge> = c
        .query_row(
            "SELECT user_id, email, expires_at, methods, email_code_hash, email_code_expires_at, email_sent_at,
                    email_sends
             FROM mfa_challenges WHERE challenge_hash = ?1",
            params![hash],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )
        .optional()
        .map_err(db_err)?;
    let Some((user_id, email, expires_at, methods, code_hash, code_expires, sent_at, sends)) = row else {
        return Ok(None);
    };
    let email_code = match (code_hash, code_expires, sent_at) {
        (Some(code_hash), Some(e), Some(s)) => Some(PendingCode {
            code_hash,
            expires_at: ts(e)?,
            sent_at: ts(s)?,
        }),
        _ => None,
    };
    Ok(Some(MfaChallenge {
        user_id: super::uuid(&user_id)?,
        email,
        expires_at: ts(expires_at)?,
        methods: methods
            .split(',')
            .map(|m| parse_mfa_method(m).ok_or_else(|| corrupt(format!("challenge method {m:?}"))))
            .collect::<StoreResult<_>>()?,
        email_code,
        email_sends: sends,
    }))
}

pub fn set_challenge_code(
    c: &Connection,
    hash: &str,
    code: &PendingCode,
    challenge_expires_at: Timestamp,
) -> StoreResult<()> {
    c.execute(
        "UPDATE mfa_challenges SET email_code_hash = ?2, email_code_expires_at = ?3, email_sent_at = ?4,
             email_sends = email_sends + 1, expires_at = ?5
         WHERE challenge_hash = ?1",
        params![
            hash,
            code.code_hash,
            ms(code.expires_at),
            ms(code.sent_at),
            ms(challenge_expires_at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn delete_mfa_challenge(c: &Connection, hash: &str) -> StoreResult<bool> {
    let n = c
        .execute("DELETE FROM mfa_challenges WHERE challenge_hash = ?1", params![hash])
        .map_err(db_err)?;
    Ok(n > 0)
}

pub fn mfa_challenge_failed(c: &Connection, hash: &str) -> StoreResult<u32> {
    c.query_row(
        "UPDATE mfa_challenges SET failures = failures + 1 WHERE challenge_hash = ?1 RETURNING failures",
        params![hash],
        |r| r.get(0),
    )
    .optional()
    .map(Option::unwrap_or_default)
    .map_err(db_err)
}

pub fn replace_backup_codes(c: &Connection, user_id: Uuid, backup_hashes: &[String]) -> StoreResult<()> {
    let id = user_id.to_string();
    c.execute("DELETE FROM backup_codes WHERE user_id = ?1", params![id])
        .map_err(db_err)?;
    for h in backup_hashes {
        c.execute(
            "INSERT INTO backup_codes (user_id, code_hash) VALUES (?1, ?2)",
            params![id, h],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

pub fn backup_codes_left(c: &Connection, user_id: Uuid) -> StoreResult<u32> {
    c.query_row(
        "SELECT COUNT(*) FROM backup_codes WHERE user_id = ?1 AND used_at IS NULL",
        params![user_id.to_string()],
        |r| r.get(0),
    )
    .map_err(db_err)
}

pub fn session_proved_at(c: &Connection, token_hash: &str) -> StoreResult<Option<Timestamp>> {
    let at: Option<i64> = c
        .query_row(
            "SELECT CASE WHEN created_at > COALESCE(reauth_at, 0) THEN created_at ELSE COALESCE(reauth_at, 0) END
             FROM sessions WHERE token_hash = ?1",
            params![token_hash],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    at.map(ts).transpose()
}

pub fn set_session_reauth(c: &Connection, token_hash: &str, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE sessions SET reauth_at = ?2 WHERE token_hash = ?1",
        params![token_hash, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn reauth_code(c: &Connection, token_hash: &str) -> StoreResult<Option<(PendingCode, u32)>> {
    let row: Option<(String, i64, i64, u32)> = c
        .query_row(
            "SELECT reauth_code_hash, reauth_code_expires_at, reauth_code_sent_at, reauth_code_failures
             FROM sessions WHERE token_hash = ?1 AND reauth_code_hash IS NOT NULL",
            params![token_hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(db_err)?;
    row.map(|(code_hash, e, s, failures)| {
        Ok((
            PendingCode {
                code_hash,
                expires_at: ts(e)?,
                sent_at: ts(s)?,
            },
            failures,
        ))
    })
    .transpose()
}

pub fn set_reauth_code(c: &Connection, token_hash: &str, code: &PendingCode) -> StoreResult<()> {
    c.execute(
        "UPDATE sessions SET reauth_code_hash = ?2, reauth_code_expires_at = ?3, reauth_code_sent_at = ?4,
             reauth_code_failures = 0
         WHERE token_hash = ?1",
        params![token_hash, code.code_hash, ms(code.expires_at), ms(code.sent_at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn reauth_code_failed(c: &Connection, token_hash: &str) -> StoreResult<u32> {
    c.query_row(
        "UPDATE sessions SET reauth_code_failures = reauth_code_failures + 1 WHERE token_hash = ?1
         RETURNING reauth_code_failures",
        params![token_hash],
        |r| r.get(0),
    )
    .optional()
    .map_err(db_err)
    .map(Option::unwrap_or_default)
}

pub fn clear_reauth_code(c: &Connection, token_hash: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE sessions SET reauth_code_hash = NULL, reauth_code_expires_at = NULL, reauth_code_sent_at = NULL,
             reauth_code_failures = 0
         WHERE token_hash = ?1",
        params![token_hash],
    )
    .map_err(db_err)?;
    Ok(())
}
