//! Two-step verification rows: TOTP secrets (sealed), backup code hashes, login challenges.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::db_err;
use crate::store::{StoreResult, TotpRow};

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

/// The pending secret becomes the secret; the backup codes are replaced; the user is enrolled.
pub fn activate_totp(c: &Connection, user_id: Uuid, step: u64, backup_hashes: &[String]) -> StoreResult<()> {
    let id = user_id.to_string();
    c.execute(
        "UPDATE user_totp SET secret = pending_secret, pending_secret = NULL, last_step = ?2 WHERE user_id = ?1",
        params![id, step as i64],
    )
    .map_err(db_err)?;
    c.execute("DELETE FROM backup_codes WHERE user_id = ?1", params![id])
        .map_err(db_err)?;
    for h in backup_hashes {
        c.execute(
            "INSERT INTO backup_codes (user_id, code_hash) VALUES (?1, ?2)",
            params![id, h],
        )
        .map_err(db_err)?;
    }
    c.execute(
        "UPDATE users SET two_step_enabled = 1, version = version + 1 WHERE id = ?1",
        params![id],
    )
    .map_err(db_err)?;
    Ok(())
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

/// Forgets the user's secrets, last step, backup codes and challenges (the flag is the caller's).
pub fn clear_two_step(c: &Connection, user_id: Uuid) -> StoreResult<()> {
    let id = user_id.to_string();
    for sql in [
        "DELETE FROM user_totp WHERE user_id = ?1",
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
) -> StoreResult<()> {
    // A newer challenge supersedes (and cleans up) the user's older ones.
    c.execute(
        "DELETE FROM mfa_challenges WHERE user_id = ?1 AND expires_at <= ?2",
        params![user_id.to_string(), expires_at.as_millisecond()],
    )
    .map_err(db_err)?;
    c.execute(
        "INSERT INTO mfa_challenges (challenge_hash, user_id, email, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![hash, user_id.to_string(), email, expires_at.as_millisecond()],
    )
    .map_err(db_err)?;
    Ok(())
}

/// The challenge's user, email and end, if it exists (it stays until taken or superseded).
pub fn mfa_challenge(c: &Connection, hash: &str) -> StoreResult<Option<(Uuid, String, Timestamp)>> {
    let row: Option<(String, String, i64)> = c
        .query_row(
            "SELECT user_id, email, expires_at FROM mfa_challenges WHERE challenge_hash = ?1",
            params![hash],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db_err)?;
    row.map(|(u, m, e)| Ok((super::uuid(&u)?, m, super::ts(e)?)))
        .transpose()
}

pub fn delete_mfa_challenge(c: &Connection, hash: &str) -> StoreResult<()> {
    c.execute("DELETE FROM mfa_challenges WHERE challenge_hash = ?1", params![hash])
        .map_err(db_err)?;
    Ok(())
}
