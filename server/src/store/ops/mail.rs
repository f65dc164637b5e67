//! The mail queue's rows.

use crate::store::sql::{Connection, OptionalExtension, params};
use jiff::Timestamp;
use uuid::Uuid;

use super::{db_err, ms, ts, uuid};
use crate::store::{OutboxMail, StoreResult};

/// The longest delivery error kept with a message.
const ERROR_MAX: usize = 500;

pub fn queue_mail(c: &Connection, m: &OutboxMail) -> StoreResult<()> {
    c.execute(
        "INSERT INTO mail_outbox (id, org_id, recipient, subject, body, created_at, status, attempts)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7)",
        params![
            m.id.to_string(),
            m.org_id.map(|o| o.to_string()),
            m.recipient,
            m.subject,
            m.sealed_body,
            ms(m.created_at),
            m.attempts
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Takes up to `limit` queued messages for `worker`, oldest first, its claim holding until `lease_until`:
/// those nobody holds, those whose claim ran out (the worker that took them died or stalled), and
/// `worker`'s own (after the others: those are mostly waiting for their retry, and must not hold back
/// mail queued since). On PostgreSQL, rows another instance is claiming at this moment are skipped, not waited
/// for (`FOR UPDATE SKIP LOCKED`); SQLite has one writer.
pub fn claim_mail(
    c: &Connection,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<OutboxMail>> {
    let lock = if c.is_postgres() { " FOR UPDATE SKIP LOCKED" } else { "" };
    let mut stmt = c
        .prepare_cached(&format!(
            "UPDATE mail_outbox SET claimed_by = ?1, lease_until = ?3
             WHERE id IN (
                 SELECT id FROM mail_outbox
                 WHERE status = 'queued' AND (lease_until IS NULL OR lease_until <= ?2 OR claimed_by = ?1)
                 ORDER BY CASE WHEN claimed_by = ?1 AND lease_until > ?2 THEN 1 ELSE 0 END, id
                 LIMIT ?4{lock}
             )
             RETURNING id, org_id, recipient, subject, body, created_at, attempts"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![worker, ms(now), ms(lease_until), limit], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<Vec<u8>>>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, u32>(6)?,
            ))
        })
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, org_id, recipient, subject, body, created_at, attempts) = row.map_err(db_err)?;
        out.push(OutboxMail {
            id: uuid(&id)?,
            org_id: org_id.as_deref().map(uuid).transpose()?,
            recipient,
            subject,
            sealed_body: body.unwrap_or_default(),
            created_at: ts(created_at)?,
            attempts,
        });
    }
    // RETURNING keeps no order.
    out.sort_by_key(|m| m.id);
    Ok(out)
}

/// Lets go of everything `worker` holds, retry waits included (a worker stopping: the next to look sends
/// it at once, as a restarted server does).
pub fn release_mail(c: &Connection, worker: &str) -> StoreResult<u64> {
    c.execute(
        "UPDATE mail_outbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = ?1 AND status = 'queued'",
        params![worker],
    )
    .map(|n| n as u64)
    .map_err(db_err)
}

/// When the first claim of another worker on queued mail runs out, if any does.
pub fn next_mail_lease_end(c: &Connection, worker: &str) -> StoreResult<Option<Timestamp>> {
    let end: Option<i64> = c
        .prepare_cached(
            "SELECT MIN(lease_until) FROM mail_outbox
             WHERE status = 'queued' AND claimed_by IS NOT NULL AND claimed_by <> ?1",
        )
        .map_err(db_err)?
        .query_row(params![worker], |r| r.get(0))
        .map_err(db_err)?;
    end.map(ts).transpose()
}

/// Delivered: the body is cleared. Only while `worker` holds the claim (false when another took it over).
pub fn mail_delivered(c: &Connection, id: Uuid, worker: &str, at: Timestamp) -> StoreResult<bool> {
    c.execute(
        "UPDATE mail_outbox SET status = 'sent', body = NULL, done_at = ?3, last_error = NULL,
                claimed_by = NULL, lease_until = NULL
         WHERE id = ?1 AND claimed_by = ?2 AND status = 'queued'",
        params![id.to_string(), worker, ms(at)],
    )
    .map(|n| n == 1)
    .map_err(db_err)
}

fn clip(error: &str) -> String {
    error.chars().take(ERROR_MAX).collect()
}

/// A failed attempt: `worker` keeps the message until `retry_at` (no instance tries it sooner); returns
/// the attempts so far, or `None` when `worker` no longer holds the claim.
pub fn mail_attempt_failed(
    c: &Connection,
    id: Uuid,
    worker: &str,
    error: &str,
    retry_at: Timestamp,
) -> StoreResult<Option<u32>> {
    c.query_row(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?3, lease_until = ?4
         WHERE id = ?1 AND claimed_by = ?2 AND status = 'queued' RETURNING attempts",
        params![id.to_string(), worker, clip(error), ms(retry_at)],
        |r| r.get(0),
    )
    .optional()
    .map_err(db_err)
}

/// No more attempts: the body is cleared, the mail stays as `failed` (while `worker` holds the claim).
pub fn mail_given_up(c: &Connection, id: Uuid, worker: &str, error: &str, at: Timestamp) -> StoreResult<bool> {
    c.execute(
        "UPDATE mail_outbox SET status = 'failed', body = NULL, last_error = ?3, done_at = ?4,
                claimed_by = NULL, lease_until = NULL
         WHERE id = ?1 AND claimed_by = ?2 AND status = 'queued'",
        params![id.to_string(), worker, clip(error), ms(at)],
    )
    .map(|n| n == 1)
    .map_err(db_err)
}
