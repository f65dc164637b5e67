//! The audit log: append and search, nothing else.

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Value, params, params_from_iter};
use orgdeck_shared::audit::{AuditActor, AuditEntry, AuditTarget, FieldChange};
use uuid::Uuid;

use super::{corrupt, db_err, ms, ts, uuid};
use crate::store::{AuditFilter, AuditRecord, StoreResult};

// ---- audit ----

/// What a keyword is matched against: summary, actor, action and `kind:id` target, folded to lower case
/// (Unicode-aware) once when written, so a search compares one column the time index carries.
pub fn audit_search_key(summary: &str, actor: &str, action: &str, kind: &str, id: &str) -> String {
    format!("{summary}\n{actor}\n{action}\n{kind}:{id}").to_lowercase()
}

/// The columns of an entry after its place (the rowid or `seq`), in the order [`audit_values`] gives.
const AUDIT_COLUMNS: &str =
    "id, org_id, at, actor_user_id, actor_email, action, target_kind, target_id, ip, summary, changes, search";
/// How many.
const AUDIT_VALUES: usize = 12;

/// An entry's values for [`AUDIT_COLUMNS`]; the last is its search key.
fn audit_values(rec: &AuditRecord) -> StoreResult<[Value; AUDIT_VALUES]> {
    use sql::ToValue;
    let e = &rec.entry;
    let changes = serde_json::to_string(&e.changes).map_err(corrupt)?;
    let search = audit_search_key(&e.summary, &e.actor.email, &e.action, &e.target.kind, &e.target.id);
    Ok([
        e.id.to_string().to_value(),
        rec.org_id.map(|o| o.to_string()).to_value(),
        ms(e.at).to_value(),
        e.actor.user_id.map(|u| u.to_string()).to_value(),
        e.actor.email.to_value(),
        e.action.to_value(),
        e.target.kind.to_value(),
        e.target.id.to_value(),
        e.ip.to_value(),
        e.summary.to_value(),
        changes.to_value(),
        search.to_value(),
    ])
}

pub fn append_audit(c: &Connection, rec: &AuditRecord) -> StoreResult<()> {
    let values = audit_values(rec)?;
    // Where the entry stands in the change stream: SQLite's time-ordered rowid (`?13`, in commit order:
    // one writer), or PostgreSQL's `seq`, taken from the sequence `audit_seq` by the column's default.
    // That must follow the organization's commit order (else a reader that saw place n could miss an n-1
    // committed later), and does: every PostgreSQL transaction that appends an organization's entries
    // holds its organization's lock or the whole store's from its first statement to its end
    // (`PgStore::open_tx`, `orgs::on_postgres`), so it takes its place after every earlier one committed.
    let (column, place, rowid) = if c.is_postgres() {
        ("seq", "DEFAULT", None)
    } else {
        ("rowid", "?13", Some(Value::Integer(time_key(c, rec.entry.at)?)))
    };
    c.prepare_cached(&format!(
        "INSERT INTO audit_log ({column}, {AUDIT_COLUMNS})
         VALUES ({place}, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))
    .map_err(db_err)?
    .execute(params_from_iter(values.iter().chain(&rowid)))
    .map_err(db_err)?;
    if let Some(rowid) = rowid {
        c.prepare_cached("INSERT INTO audit_fts (rowid, search) VALUES (?1, ?2)")
            .map_err(db_err)?
            .execute(params![rowid, values[AUDIT_VALUES - 1]])
            .map_err(db_err)?;
    }
    Ok(())
}

/// Appends `recs` in order, as [`append_audit`] one by one would; on PostgreSQL in statements of many rows
/// (bulk loads: the benchmark's million entries).
pub fn append_audit_many(c: &Connection, recs: &[AuditRecord]) -> StoreResult<()> {
    if !c.is_postgres() {
        return recs.iter().try_for_each(|r| append_audit(c, r));
    }
    // The whole store's write lock (a transaction of `orgs`, which holds it already): the places the
    // sequence gives in row order follow commit order.
    c.query_row("SELECT pg_advisory_xact_lock(?1)", params![super::WRITE_LOCK], |_| {
        Ok(())
    })
    .map_err(db_err)?;
    for chunk in recs.chunks(1000) {
        let mut values = Vec::with_capacity(chunk.len() * AUDIT_VALUES);
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, rec) in chunk.iter().enumerate() {
            values.extend(audit_values(rec)?);
            let row: Vec<String> = (1..=AUDIT_VALUES)
                .map(|k| format!("?{}", i * AUDIT_VALUES + k))
                .collect();
            rows.push(format!("({})", row.join(", ")));
        }
        c.execute(
            &format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES {}", rows.join(", ")),
            params_from_iter(values),
        )
        .map_err(db_err)?;
    }
    Ok(())
}

/// Entries of one millisecond a time key has room for.
const PER_MS: i64 = 1 << 16;

/// The first time key of millisecond `at` (instants before 1970 share key 0's millisecond).
pub fn ms_key(at_ms: i64) -> i64 {
    at_ms.max(0) * PER_MS
}

/// The rowid of a new entry: its millisecond times 2^16 plus its rank in that millisecond, so rowid
/// order is time order (then write order) and the trigram index, keyed by the same rowid, can walk a
/// date range newest first and stop at a page.
fn time_key(c: &Connection, at: jiff::Timestamp) -> StoreResult<i64> {
    let lo = ms_key(ms(at));
    let next: i64 = c
        .prepare_cached("SELECT COALESCE(MAX(rowid) + 1, ?1) FROM audit_log WHERE rowid >= ?1 AND rowid < ?2")
        .map_err(db_err)?
        .query_row(params![lo, lo + PER_MS], |r| r.get(0))
        .map_err(db_err)?;
    if next >= lo + PER_MS {
        return Err(corrupt(format!("more than {PER_MS} audit entries in one millisecond")));
    }
    Ok(next)
}

/// Adds a query parameter; returns its 1-based position.
fn bind(args: &mut Vec<Box<dyn sql::ToSql>>, v: impl sql::ToSql + 'static) -> usize {
    args.push(Box::new(v));
    args.len()
}

/// Entries scanned newest first (in the time index, which carries the search column) before a keyword
/// search switches to the trigram index: a frequent keyword fills a page within this window, a rare one
/// is found through `audit_fts` instead of walking the whole range.
const SCAN_WINDOW: i64 = 4000;

/// How the rows of one search query are found.
enum Plan {
    /// The time index, optionally bounded below by an inclusive `(at, id)` position.
    Scan { down_to: Option<(i64, String)> },
    /// The trigram index's candidates (then checked exactly).
    Trigram,
}

/// The conditions every search shares: organization, range and keyset position.
fn base_conditions(org_id: Uuid, f: &AuditFilter, prefix: &str) -> (String, Vec<Box<dyn sql::ToSql>>) {
    let mut sql = format!(" WHERE {prefix}org_id = ?1");
    let mut args: Vec<Box<dyn sql::ToSql>> = vec![Box::new(org_id.to_string())];
    if let Some(from) = f.from {
        let n = bind(&mut args, ms(from));
        sql.push_str(&format!(" AND {prefix}at >= ?{n}"));
    }
    if let Some(to) = f.to {
        let n = bind(&mut args, ms(to));
        sql.push_str(&format!(" AND {prefix}at <= ?{n}"));
    }
    if let Some((at, id)) = f.before {
        let a = bind(&mut args, ms(at));
        let i = bind(&mut args, id.to_string());
        sql.push_str(&format!(
            " AND ({prefix}at < ?{a} OR ({prefix}at = ?{a} AND {prefix}id < ?{i}))"
        ));
    }
    (sql, args)
}

/// The position of the `SCAN_WINDOW`-th entry of the search's range, `None` when the range has fewer.
fn window_end(c: &Connection, org_id: Uuid, f: &AuditFilter) -> StoreResult<Option<(i64, String)>> {
    let (conditions, mut args) = base_conditions(org_id, f, "");
    let n = bind(&mut args, SCAN_WINDOW - 1);
    let sql = format!("SELECT at, id FROM audit_log{conditions} ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?{n}");
    let params: Vec<&dyn sql::ToSql> = args.iter().map(|a| a.as_ref()).collect();
    c.prepare_planned(&sql)
        .map_err(db_err)?
        .query_row(params.as_slice(), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(db_err)
}

/// The trigram index's query for a keyword: one phrase (substring match).
fn fts_phrase(keyword: &str) -> String {
    format!("\"{}\"", keyword.replace('"', "\"\""))
}

pub fn audit_search(c: &Connection, org_id: Uuid, f: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
    let keyword = f.keyword.as_deref().filter(|k| !k.is_empty());
    // The trigram index needs three characters; shorter keywords (and no keyword) scan. PostgreSQL's
    // planner chooses between the time index and the trigram index by itself (each search is planned
    // for its own values: `Connection::prepare_planned`).
    if c.is_postgres() || keyword.is_none_or(|k| k.chars().count() < 3) {
        return search_with(c, org_id, f, Plan::Scan { down_to: None });
    }
    let boundary = window_end(c, org_id, f)?;
    let mut found = search_with(
        c,
        org_id,
        f,
        Plan::Scan {
            down_to: boundary.clone(),
        },
    )?;
    let Some((at, id)) = boundary else {
        return Ok(found);
    };
    if found.len() >= f.limit as usize {
        return Ok(found);
    }
    let rest = AuditFilter {
        before: Some((ts(at)?, uuid(&id)?)),
        limit: f.limit - found.len() as u32,
        ..f.clone()
    };
    found.extend(search_with(c, org_id, &rest, Plan::Trigram)?);
    Ok(found)
}

fn search_with(c: &Connection, org_id: Uuid, f: &AuditFilter, plan: Plan) -> StoreResult<Vec<AuditEntry>> {
    let columns = "a.id, a.at, a.actor_user_id, a.actor_email, a.action, a.target_kind, a.target_id, a.ip, \
                   a.summary, a.changes";
    let (conditions, mut args) = base_conditions(org_id, f, "a.");
    let plan_is_trigram = matches!(plan, Plan::Trigram);
    let mut sql = match &plan {
        Plan::Scan { .. } => format!("SELECT {columns} FROM audit_log a{conditions}"),
        // The candidates drive the join (CROSS JOIN keeps that order): few rows, then sorted.
        Plan::Trigram => {
            let n = bind(&mut args, fts_phrase(f.keyword.as_deref().unwrap_or_default()));
            let mut sql = format!(
                "SELECT {columns} FROM audit_fts CROSS JOIN audit_log a ON a.rowid = audit_fts.rowid{conditions} \
                 AND audit_fts MATCH ?{n}"
            );
            // The range as rowid bounds: the trigram index seeks to them.
            if let Some(from) = f.from {
                let n = bind(&mut args, ms_key(ms(from)));
                sql.push_str(&format!(" AND audit_fts.rowid >= ?{n}"));
            }
            let upper = [f.to.map(ms), f.before.map(|(at, _)| ms(at))]
                .into_iter()
                .flatten()
                .min();
            if let Some(to) = upper {
                let n = bind(&mut args, ms_key(to) + PER_MS - 1);
                sql.push_str(&format!(" AND audit_fts.rowid <= ?{n}"));
            }
            sql
        }
    };
    if let Plan::Scan {
        down_to: Some((at, id)),
    } = plan
    {
        let a = bind(&mut args, at);
        let i = bind(&mut args, id);
        sql.push_str(&format!(" AND (a.at > ?{a} OR (a.at = ?{a} AND a.id >= ?{i}))"));
    }
    if let Some(k) = f.keyword.as_deref().filter(|k| !k.is_empty()) {
        // Both sides are folded already: a plain substring test (no per-character case folding or
        // wildcard handling, which makes LIKE several times slower).
        if c.is_postgres() {
            // LIKE is what the pg_trgm index answers; its wildcards and escape in the keyword are literal.
            let escaped = k
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let n = bind(&mut args, format!("%{escaped}%"));
            sql.push_str(&format!(" AND a.search LIKE ?{n}"));
        } else {
            let n = bind(&mut args, k.to_lowercase());
            sql.push_str(&format!(" AND instr(a.search, ?{n}) > 0"));
        }
    }
    let n = bind(&mut args, i64::from(f.limit));
    match plan_is_trigram {
        // Rowid order is time order: the index walks newest first and stops after a page.
        true => sql.push_str(&format!(" ORDER BY audit_fts.rowid DESC LIMIT ?{n}")),
        false => sql.push_str(&format!(" ORDER BY a.at DESC, a.id DESC LIMIT ?{n}")),
    }
    let mut stmt = c.prepare_planned(&sql).map_err(db_err)?;
    let params: Vec<&dyn sql::ToSql> = args.iter().map(|a| a.as_ref()).collect();
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

/// The newest place in `org_id`'s change stream. SQLite: the largest audit rowid of all (rowid order is
/// time, then write order, and one writer commits in that order, so no smaller place can come later).
/// PostgreSQL: the organization's largest `seq`; the largest of all could pass the place of another
/// organization's entry not yet committed, which commits later (see [`append_audit`]).
pub fn change_head(c: &Connection, org_id: Uuid) -> StoreResult<i64> {
    match c.is_postgres() {
        true => c.query_row(
            "SELECT COALESCE(MAX(seq), 0) FROM audit_log WHERE org_id = ?1",
            params![org_id.to_string()],
            |r| r.get(0),
        ),
        false => c.query_row("SELECT COALESCE(MAX(rowid), 0) FROM audit_log", [], |r| r.get(0)),
    }
    .map_err(db_err)
}

/// The organization's audit entries after place `after`, oldest first, as change events (no summary, no
/// field changes: what changed and who changed it).
pub fn changes_after(
    c: &Connection,
    org_id: Uuid,
    after: i64,
    limit: usize,
) -> StoreResult<Vec<orgdeck_shared::events::ChangeEvent>> {
    let mut stmt = c
        .prepare_cached(match c.is_postgres() {
            true => {
                "SELECT seq, at, actor_email, action, target_kind, target_id FROM audit_log
                 WHERE org_id = ?2 AND seq > ?1 ORDER BY seq LIMIT ?3"
            }
            false => {
                "SELECT rowid, at, actor_email, action, target_kind, target_id FROM audit_log
                 WHERE rowid > ?1 AND org_id = ?2 ORDER BY rowid LIMIT ?3"
            }
        })
        .map_err(db_err)?;
    let rows = stmt
        .query_map(params![after, org_id.to_string(), limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .map_err(db_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, at, actor, kind, area, id) = row.map_err(db_err)?;
        out.push(orgdeck_shared::events::ChangeEvent {
            seq,
            at: ts(at)?,
            kind,
            area,
            id,
            version: None,
            actor,
        });
    }
    Ok(out)
}
