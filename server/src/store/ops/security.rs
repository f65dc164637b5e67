//! Security: settings documents by area, password history, sessions by their opaque id.

use crate::store::sql::{Connection, OptionalExtension, params};
use jiff::Timestamp;
use uuid::Uuid;

use super::{db_err, ms, ts};
use crate::store::{SessionInfo, StoreError, StoreResult};

/// The stored document of one settings area and its version; `None` when never written (then it is
/// its defaults at version 1).
pub fn settings_doc(c: &Connection, org_id: Uuid, area: &str) -> StoreResult<Option<(i64, String)>> {
    c.prepare_cached("SELECT version, doc FROM settings WHERE org_id = ?1 AND area = ?2")
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), area], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(db_err)
}

/// The documents whose key starts with `prefix` (`user_notifications/`), as `(key, document)`. The range
/// `[prefix, prefix + U+FFFF)` keeps the primary key's index usable, which `LIKE` would not.
pub fn settings_docs_under(c: &Connection, org_id: Uuid, prefix: &str) -> StoreResult<Vec<(String, String)>> {
    let end = format!("{prefix}\u{ffff}");
    let mut stmt = c
        .prepare_cached("SELECT area, doc FROM settings WHERE org_id = ?1 AND area >= ?2 AND area < ?3")
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![org_id.to_string(), prefix, end], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(db_err)?;
    rows.map(|r| r.map_err(db_err)).collect()
}

/// Writes a settings document over version `expected` (1 for a document never written); returns the
/// new version.
pub fn update_settings_doc(
    c: &Connection,
    org_id: Uuid,
    area: &str,
    expected: i64,
    doc: &str,
    at: Timestamp,
) -> StoreResult<i64> {
    match settings_doc(c, org_id, area)? {
        Some((current, _)) if current != expected => Err(StoreError::VersionMismatch { current }),
        Some(_) => {
            c.execute(
                "UPDATE settings SET version = version + 1, doc = ?3, updated_at = ?4
                 WHERE org_id = ?1 AND area = ?2 AND version = ?5",
                params![org_id.to_string(), area, doc, ms(at), expected],
            )
            .map_err(db_err)?;
            Ok(expected + 1)
        }
        None if expected != 1 => Err(StoreError::VersionMismatch { current: 1 }),
        None => {
            c.execute(
                "INSERT INTO settings (org_id, area, version, doc, updated_at) VALUES (?1, ?2, 2, ?3, ?4)",
                params![org_id.to_string(), area, doc, ms(at)],
            )
            .map_err(db_err)?;
            Ok(2)
        }
    }
}

/// The user's last `n` password hashes, newest first.
pub fn password_history(c: &Connection, user_id: Uuid, n: u32) -> StoreResult<Vec<String>> {
    let mut stmt = c
        .prepare_cached("SELECT hash FROM password_history WHERE user_id = ?1 ORDER BY seq DESC LIMIT ?2")
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![user_id.to_string(), i64::from(n)], |r| r.get::<_, String>(0))
        .map_err(db_err)?;
    rows.collect::<Result<_, _>>().map_err(db_err)
}

/// The most hashes kept per user (the policy's `history` goes up to 24).
pub const HISTORY_KEPT: i64 = 24;

/// A password was set: remember when, and keep its hash for the reuse check.
pub fn record_password_change(c: &Connection, user_id: Uuid, hash: &str, at: Timestamp) -> StoreResult<()> {
    let id = user_id.to_string();
    c.execute(
        "UPDATE users SET password_changed_at = ?2 WHERE id = ?1",
        params![id, ms(at)],
    )
    .map_err(db_err)?;
    c.execute(
        "INSERT INTO password_history (user_id, hash, at) VALUES (?1, ?2, ?3)",
        params![id, hash, ms(at)],
    )
    .map_err(db_err)?;
    c.execute(
        "DELETE FROM password_history WHERE user_id = ?1 AND seq NOT IN
            (SELECT seq FROM password_history WHERE user_id = ?1 ORDER BY seq DESC LIMIT ?2)",
        params![id, HISTORY_KEPT],
    )
    .map_err(db_err)?;
    Ok(())
}

/// An admin unlocked the user: the inactivity clock starts again from `at`.
pub fn mark_unlocked(c: &Connection, user_id: Uuid, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE users SET unlocked_at = ?2 WHERE id = ?1",
        params![user_id.to_string(), ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Marks a user as having to change their password before anything else.
pub fn require_password_change(c: &Connection, user_id: Uuid) -> StoreResult<()> {
    c.execute(
        "UPDATE users SET must_change_password = TRUE, version = version + 1 WHERE id = ?1",
        params![user_id.to_string()],
    )
    .map_err(db_err)?;
    Ok(())
}

/// The user's stored sessions, newest first (whether each is still alive depends on the organization's
/// current timeouts: the caller decides).
pub fn user_sessions(c: &Connection, org_id: Uuid, user_id: Uuid) -> StoreResult<Vec<SessionInfo>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, created_at, last_seen_at, expires_at, idle_timeout_ms, ip FROM sessions
             WHERE org_id = ?1 AND user_id = ?2
             ORDER BY created_at DESC",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![org_id.to_string(), user_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, created, seen, expires, idle_ms, ip) = row.map_err(db_err)?;
        out.push(SessionInfo {
            id,
            created_at: ts(created)?,
            last_seen_at: ts(seen)?,
            expires_at: ts(expires)?,
            idle_timeout_ms: idle_ms,
            ip,
        });
    }
    Ok(out)
}

/// Ends one session of a user by its opaque id; false when there was none.
pub fn delete_session_by_id(c: &Connection, org_id: Uuid, user_id: Uuid, id: &str) -> StoreResult<bool> {
    let n = c
        .execute(
            "DELETE FROM sessions WHERE org_id = ?1 AND user_id = ?2 AND id = ?3",
            params![org_id.to_string(), user_id.to_string(), id],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

/// Ends every session of a user but the one with `keep` (a token hash); returns how many ended.
pub fn end_other_sessions(c: &Connection, user_id: Uuid, keep: &str) -> StoreResult<u64> {
    let n = c
        .execute(
            "DELETE FROM sessions WHERE user_id = ?1 AND token_hash <> ?2",
            params![user_id.to_string(), keep],
        )
        .map_err(db_err)?;
    Ok(n as u64)
}

/// One login attempt from `addr` against its bucket in `login_buckets` (PostgreSQL only: shared by every
/// instance). The write lock every transaction holds there makes the read and the write one step; buckets
/// silent for a minute are full again, so they are forgotten.
pub fn login_attempt(
    c: &Connection,
    addr: &str,
    burst: f64,
    now_ms: i64,
) -> StoreResult<crate::auth::rate_limit::Verdict> {
    use crate::auth::rate_limit::Bucket;
    c.execute("DELETE FROM login_buckets WHERE at_ms < ?1", params![now_ms - 60_000])
        .map_err(db_err)?;
    let found = c
        .query_row(
            "SELECT tokens, at_ms, reported FROM login_buckets WHERE addr = ?1",
            params![addr],
            |r| {
                Ok(Bucket {
                    tokens: r.get(0)?,
                    at_ms: r.get(1)?,
                    reported: r.get(2)?,
                })
            },
        )
        .optional()
        .map_err(db_err)?;
    let mut bucket = found.unwrap_or(Bucket::full(burst, now_ms));
    let verdict = bucket.take(burst, now_ms);
    c.execute(
        "INSERT INTO login_buckets (addr, tokens, at_ms, reported) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (addr) DO UPDATE SET tokens = excluded.tokens, at_ms = excluded.at_ms,
                                          reported = excluded.reported",
        params![addr, bucket.tokens, bucket.at_ms, bucket.reported],
    )
    .map_err(db_err)?;
    Ok(verdict)
}
