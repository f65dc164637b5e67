//! The in-app inbox: one row per recipient of an event, read and marked by that recipient only.

use crate::store::sql;
use crate::store::sql::{Connection, Row, params};
use jiff::Timestamp;
use orgdeck_shared::{
    inbox::{InboxEntry, Subject},
    notifications::{EventType, Severity},
};
use uuid::Uuid;

use super::{corrupt, db_err, ms, ts, uuid};
use crate::store::{NewInboxRow, StoreResult};

fn subject(id: Option<String>, name: Option<String>) -> StoreResult<Option<Subject>> {
    match (id, name) {
        (Some(id), Some(name)) => Ok(Some(Subject { id: uuid(&id)?, name })),
        _ => Ok(None),
    }
}

type RawEntry = (
    String,
    String,
    String,
    String,
    Option<String>,
    [Option<String>; 6],
    Option<String>,
    i64,
    Option<i64>,
);

fn raw(r: &Row) -> sql::Result<RawEntry> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        [r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
        r.get(11)?,
        r.get(12)?,
        r.get(13)?,
    ))
}

fn entry(raw: RawEntry) -> StoreResult<InboxEntry> {
    let (id, kind, title, message, severity, [app_id, app, server_id, server, int_id, int], vuln, created, read) = raw;
    Ok(InboxEntry {
        id: uuid(&id)?,
        event_type: EventType::parse(&kind).ok_or_else(|| corrupt(format!("event type {kind:?}")))?,
        title,
        message,
        severity: severity
            .map(|s| Severity::parse(&s).ok_or_else(|| corrupt(format!("severity {s:?}"))))
            .transpose()?,
        application: subject(app_id, app)?,
        server: subject(server_id, server)?,
        integration: subject(int_id, int)?,
        vulnerability_id: vuln.as_deref().map(uuid).transpose()?,
        created_at: ts(created)?,
        read_at: read.map(ts).transpose()?,
    })
}

pub fn inbox(
    c: &Connection,
    org_id: Uuid,
    user_id: Uuid,
    unread_only: bool,
    before: Option<Uuid>,
    limit: u32,
) -> StoreResult<Vec<InboxEntry>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, event_type, title, message, severity, application_id, application_name, server_id,
                    server_name, integration_id, integration_name, vulnerability_id, created_at, read_at
             FROM inbox_entries
             WHERE org_id = ?1 AND user_id = ?2 AND (?3 = 0 OR read_at IS NULL) AND (CAST(?4 AS TEXT) IS NULL OR id < ?4)
             ORDER BY id DESC
             LIMIT ?5",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(
            params![
                org_id.to_string(),
                user_id.to_string(),
                unread_only,
                before.map(|b| b.to_string()),
                limit
            ],
            raw,
        )
        .map_err(db_err)?;
    rows.map(|r| entry(r.map_err(db_err)?)).collect()
}

pub fn inbox_unread(c: &Connection, org_id: Uuid, user_id: Uuid) -> StoreResult<u64> {
    c.prepare_cached("SELECT COUNT(*) FROM inbox_entries WHERE org_id = ?1 AND user_id = ?2 AND read_at IS NULL")
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), user_id.to_string()], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .map_err(db_err)
}

pub fn insert_inbox_entries(c: &Connection, rows: &[NewInboxRow]) -> StoreResult<()> {
    let mut stmt = c
        .prepare_cached(
            "INSERT INTO inbox_entries (id, org_id, user_id, event_type, title, message, severity,
                 application_id, application_name, server_id, server_name, integration_id, integration_name,
                 vulnerability_id, created_at, read_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )
        .map_err(db_err)?;
    for row in rows {
        let e = &row.entry;
        let id_of = |s: &Option<Subject>| s.as_ref().map(|s| s.id.to_string());
        let name_of = |s: &Option<Subject>| s.as_ref().map(|s| s.name.clone());
        stmt.execute(params![
            e.id.to_string(),
            row.org_id.to_string(),
            row.user_id.to_string(),
            e.event_type.as_str(),
            e.title,
            e.message,
            e.severity.map(Severity::as_str),
            id_of(&e.application),
            name_of(&e.application),
            id_of(&e.server),
            name_of(&e.server),
            id_of(&e.integration),
            name_of(&e.integration),
            e.vulnerability_id.map(|v| v.to_string()),
            ms(e.created_at),
            e.read_at.map(ms),
        ])
        .map_err(db_err)?;
    }
    Ok(())
}

pub fn mark_inbox_read(c: &Connection, org_id: Uuid, user_id: Uuid, id: Uuid, at: Timestamp) -> StoreResult<bool> {
    let found = c
        .prepare_cached(
            "UPDATE inbox_entries SET read_at = COALESCE(read_at, ?4)
             WHERE org_id = ?1 AND user_id = ?2 AND id = ?3",
        )
        .map_err(db_err)?
        .execute(params![org_id.to_string(), user_id.to_string(), id.to_string(), ms(at)])
        .map_err(db_err)?;
    Ok(found > 0)
}

pub fn mark_inbox_all_read(c: &Connection, org_id: Uuid, user_id: Uuid, at: Timestamp) -> StoreResult<u64> {
    c.prepare_cached("UPDATE inbox_entries SET read_at = ?3 WHERE org_id = ?1 AND user_id = ?2 AND read_at IS NULL")
        .map_err(db_err)?
        .execute(params![org_id.to_string(), user_id.to_string(), ms(at)])
        .map(|n| n as u64)
        .map_err(db_err)
}
