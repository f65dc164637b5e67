//! The mail queue's rows.

use crate::store::sql::{Connection, params};
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

pub fn queued_mail(c: &Connection, limit: u32) -> StoreResult<Vec<OutboxMail>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, org_id, recipient, subject, body, created_at, attempts FROM mail_outbox
             WHERE status = 'queued' ORDER BY id LIMIT ?1",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![limit], |r| {
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
    Ok(out)
}

pub fn mail_delivered(c: &Connection, id: Uuid, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE mail_outbox SET status = 'sent', body = NULL, done_at = ?2, last_error = NULL WHERE id = ?1",
        params![id.to_string(), ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

fn clip(error: &str) -> String {
    error.chars().take(ERROR_MAX).collect()
}

pub fn mail_attempt_failed(c: &Connection, id: Uuid, error: &str) -> StoreResult<u32> {
    c.query_row(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1 RETURNING attempts",
        params![id.to_string(), clip(error)],
        |r| r.get(0),
    )
    .map_err(db_err)
}

pub fn mail_given_up(c: &Connection, id: Uuid, error: &str, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE mail_outbox SET status = 'failed', body = NULL, last_error = ?2, done_at = ?3 WHERE id = ?1",
        params![id.to_string(), clip(error), ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}
