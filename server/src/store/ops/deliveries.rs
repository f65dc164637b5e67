//! Channel deliveries: the outbox of each event's channel messages and each channel's delivery log.

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Row, params};
use jiff::Timestamp;
use orgdeck_shared::{
    inbox::InboxEntry,
    integrations::{Delivery, DeliveryAttempt, DeliveryStatus},
    notifications::EventType,
};
use uuid::Uuid;

use super::{corrupt, db_err, ms, ts, uuid};
use crate::store::{DeliveryRow, DeliveryUpdate, StoreResult};

const COLUMNS: &str = "id, org_id, integration_id, message_id, event_type, title, notice, status, tries, attempts,
     next_attempt_at, created_at";

type Raw = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    u32,
    String,
    Option<i64>,
    i64,
);

fn raw(r: &Row) -> sql::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

fn row(raw: Raw) -> StoreResult<DeliveryRow> {
    let (id, org_id, integration_id, message_id, kind, title, notice, status, tries, attempts, next, created) = raw;
    let notice: InboxEntry = serde_json::from_str(&notice).map_err(|e| corrupt(format!("delivery notice: {e}")))?;
    let attempts: Vec<DeliveryAttempt> =
        serde_json::from_str(&attempts).map_err(|e| corrupt(format!("delivery attempts: {e}")))?;
    Ok(DeliveryRow {
        org_id: uuid(&org_id)?,
        view: Delivery {
            id: uuid(&id)?,
            integration_id: uuid(&integration_id)?,
            message_id,
            event_type: EventType::parse(&kind).ok_or_else(|| corrupt(format!("event type {kind:?}")))?,
            title,
            status: DeliveryStatus::parse(&status).ok_or_else(|| corrupt(format!("delivery status {status:?}")))?,
            attempts,
            next_attempt_at: next.map(ts).transpose()?,
            created_at: ts(created)?,
        },
        notice,
        tries,
    })
}

fn attempts_json(attempts: &[DeliveryAttempt]) -> StoreResult<String> {
    serde_json::to_string(attempts).map_err(|e| corrupt(format!("delivery attempts: {e}")))
}

/// Claims due deliveries for `worker` until `lease_until` (as `claim_mail` does mail).
pub fn claim_deliveries(
    c: &Connection,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<DeliveryRow>> {
    let lock = if c.is_postgres() { " FOR UPDATE SKIP LOCKED" } else { "" };
    let mut stmt = c
        .prepare_cached(&format!(
            "UPDATE deliveries SET claimed_by = ?1, lease_until = ?3
             WHERE id IN (
                 SELECT id FROM deliveries
                 WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?2
                   AND (lease_until IS NULL OR lease_until <= ?2 OR claimed_by = ?1)
                 ORDER BY next_attempt_at, id LIMIT ?4{lock}
             )
             RETURNING {COLUMNS}"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![worker, ms(now), ms(lease_until), limit], raw)
        .map_err(db_err)?;
    let mut out = rows.map(|r| row(r.map_err(db_err)?)).collect::<StoreResult<Vec<_>>>()?;
    // RETURNING keeps no order.
    out.sort_by_key(|r| (r.view.next_attempt_at, r.view.id));
    Ok(out)
}

/// Lets go of the deliveries `worker` holds (a worker stopping); each stays due when it was.
pub fn release_deliveries(c: &Connection, worker: &str) -> StoreResult<u64> {
    c.execute(
        "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL
         WHERE claimed_by = ?1 AND status IN ('pending', 'retrying')",
        params![worker],
    )
    .map(|n| n as u64)
    .map_err(db_err)
}

pub fn next_delivery_due(c: &Connection) -> StoreResult<Option<Timestamp>> {
    let next: Option<i64> = c
        .prepare_cached(
            "SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END)
             FROM deliveries WHERE status IN ('pending', 'retrying')",
        )
        .map_err(db_err)?
        .query_row([], |r| r.get(0))
        .map_err(db_err)?;
    next.map(ts).transpose()
}

pub fn deliveries(
    c: &Connection,
    org_id: Uuid,
    integration_id: Uuid,
    before: Option<Uuid>,
    limit: u32,
) -> StoreResult<Vec<Delivery>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries
             WHERE org_id = ?1 AND integration_id = ?2 AND (CAST(?3 AS TEXT) IS NULL OR id < ?3)
             ORDER BY id DESC LIMIT ?4"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(
            params![
                org_id.to_string(),
                integration_id.to_string(),
                before.map(|b| b.to_string()),
                limit
            ],
            raw,
        )
        .map_err(db_err)?;
    rows.map(|r| Ok(row(r.map_err(db_err)?)?.view)).collect()
}

pub fn delivery(c: &Connection, org_id: Uuid, integration_id: Uuid, id: Uuid) -> StoreResult<Option<DeliveryRow>> {
    let found = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM deliveries WHERE org_id = ?1 AND integration_id = ?2 AND id = ?3"
        ))
        .map_err(db_err)?
        .query_row(
            params![org_id.to_string(), integration_id.to_string(), id.to_string()],
            raw,
        )
        .optional()
        .map_err(db_err)?;
    found.map(row).transpose()
}

pub fn insert_deliveries(c: &Connection, rows: &[DeliveryRow]) -> StoreResult<()> {
    let mut stmt = c
        .prepare_cached(&format!(
            "INSERT INTO deliveries ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        ))
        .map_err(db_err)?;
    for r in rows {
        let v = &r.view;
        let notice = serde_json::to_string(&r.notice).map_err(|e| corrupt(format!("delivery notice: {e}")))?;
        stmt.execute(params![
            v.id.to_string(),
            r.org_id.to_string(),
            v.integration_id.to_string(),
            v.message_id,
            v.event_type.as_str(),
            v.title,
            notice,
            v.status.as_str(),
            r.tries,
            attempts_json(&v.attempts)?,
            v.next_attempt_at.map(ms),
            ms(v.created_at),
        ])
        .map_err(db_err)?;
    }
    Ok(())
}

pub fn update_delivery(c: &Connection, u: &DeliveryUpdate) -> StoreResult<bool> {
    c.prepare_cached(
        "UPDATE deliveries SET status = ?2, tries = ?3, attempts = ?4, next_attempt_at = ?5,
                claimed_by = NULL, lease_until = NULL
         WHERE id = ?1 AND (CAST(?6 AS TEXT) IS NULL OR claimed_by = ?6)",
    )
    .map_err(db_err)?
    .execute(params![
        u.id.to_string(),
        u.status.as_str(),
        u.tries,
        attempts_json(&u.attempts)?,
        u.next_attempt_at.map(ms),
        u.claim,
    ])
    .map(|n| n == 1)
    .map_err(db_err)
}

pub fn prune_deliveries(c: &Connection, before: Timestamp, keep: u32) -> StoreResult<u64> {
    c.prepare_cached(
        "DELETE FROM deliveries WHERE id IN (
             SELECT id FROM (
                 SELECT id, created_at, status,
                        ROW_NUMBER() OVER (PARTITION BY integration_id ORDER BY id DESC) AS place
                 FROM deliveries
             ) AS ranked WHERE place > ?2 AND created_at < ?1 AND status IN ('delivered', 'failed')
         )",
    )
    .map_err(db_err)?
    .execute(params![ms(before), keep])
    .map(|n| n as u64)
    .map_err(db_err)
}
