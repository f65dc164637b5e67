//! The audit log: append and search, nothing else.

use orgdeck_shared::audit::{AuditActor, AuditEntry, AuditTarget, FieldChange};
use rusqlite::{Connection, params};
use uuid::Uuid;

use super::{corrupt, db_err, ms, ts, uuid};
use crate::store::{AuditFilter, AuditRecord, StoreResult};

// ---- audit ----

pub fn append_audit(c: &Connection, rec: &AuditRecord) -> StoreResult<()> {
    let e = &rec.entry;
    let changes = serde_json::to_string(&e.changes).map_err(corrupt)?;
    c.execute(
        "INSERT INTO audit_log (id, org_id, at, actor_user_id, actor_email, action, target_kind, target_id, ip,
                                summary, changes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            e.id.to_string(),
            rec.org_id.map(|o| o.to_string()),
            ms(e.at),
            e.actor.user_id.map(|u| u.to_string()),
            e.actor.email,
            e.action,
            e.target.kind,
            e.target.id,
            e.ip,
            e.summary,
            changes,
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Adds a query parameter; returns its 1-based position.
fn bind(args: &mut Vec<Box<dyn rusqlite::ToSql>>, v: impl rusqlite::ToSql + 'static) -> usize {
    args.push(Box::new(v));
    args.len()
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_pattern(keyword: &str) -> String {
    let mut p = String::with_capacity(keyword.len() + 2);
    p.push('%');
    for ch in keyword.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

pub fn audit_search(c: &Connection, org_id: Uuid, f: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
    let mut sql = String::from(
        "SELECT id, at, actor_user_id, actor_email, action, target_kind, target_id, ip, summary, changes
         FROM audit_log WHERE org_id = ?1",
    );
    let mut args: Vec<Box<dyn rusqlite::ToSql>> = vec![Box::new(org_id.to_string())];
    if let Some(from) = f.from {
        let n = bind(&mut args, ms(from));
        sql.push_str(&format!(" AND at >= ?{n}"));
    }
    if let Some(to) = f.to {
        let n = bind(&mut args, ms(to));
        sql.push_str(&format!(" AND at <= ?{n}"));
    }
    if let Some((at, id)) = f.before {
        let a = bind(&mut args, ms(at));
        let i = bind(&mut args, id.to_string());
        sql.push_str(&format!(" AND (at < ?{a} OR (at = ?{a} AND id < ?{i}))"));
    }
    if let Some(k) = f.keyword.as_deref().filter(|k| !k.is_empty()) {
        let n = bind(&mut args, like_pattern(&k.to_lowercase()));
        sql.push_str(&format!(
            " AND (LOWER(summary) LIKE ?{n} ESCAPE '\\' OR LOWER(actor_email) LIKE ?{n} ESCAPE '\\'
               OR LOWER(action) LIKE ?{n} ESCAPE '\\'
               OR LOWER(target_kind || ':' || target_id) LIKE ?{n} ESCAPE '\\')"
        ));
    }
    let n = bind(&mut args, i64::from(f.limit));
    sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT ?{n}"));
    let mut stmt = c.prepare(&sql).map_err(db_err)?;
    let params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a.as_ref()).collect();
    let rows = stmt
        .query_map(params.as_slice(), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
            ))
        })
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (id, at, actor_id, actor_email, action, kind, target_id, ip, summary, changes) = row.map_err(db_err)?;
        let changes: Vec<FieldChange> = serde_json::from_str(&changes).map_err(corrupt)?;
        out.push(AuditEntry {
            id: uuid(&id)?,
            at: ts(at)?,
            actor: AuditActor {
                user_id: actor_id.as_deref().map(uuid).transpose()?,
                email: actor_email,
            },
            action,
            target: AuditTarget { kind, id: target_id },
            ip,
            summary,
            changes,
        });
    }
    Ok(out)
}
