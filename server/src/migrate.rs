//! `orgdeck-server migrate-to-postgres`: copies a SQLite deployment (a data directory's database) into an
//! empty PostgreSQL database, then proves the copy: every table's row count and a checksum of its rows,
//! computed on each side from the values each holds, must agree. Everything is copied in one PostgreSQL
//! transaction under the store's write lock, and committed only once every table agrees; a failure leaves
//! the target as it was.
//!
//! - The data directory is locked as a serving server locks it: it cannot be served while it is copied,
//!   and it is refused while a server serves it.
//! - The SQLite database is first brought to this build's schema (as `serve` would), the PostgreSQL one
//!   created (as `serve` would); the target must hold no organization.
//! - Values go over as the PostgreSQL column's type wants them (SQLite's 0/1 as booleans); `audit_log.seq`
//!   (the change stream's place on PostgreSQL) is the SQLite rowid, so places stay what consoles saw; the
//!   sequences (identities, the audit places) continue after the copied values.
//! - The checksum of a table is the sum (mod 2^128) of a SHA-256 of each row's values in canonical text:
//!   independent of row order, computed while reading.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::Path,
};

use futures_util::{StreamExt, pin_mut};
use jiff::Timestamp;
use rusqlite::types::Value as SqliteValue;
use sha2::{Digest, Sha256};
use tokio_postgres::{
    Client,
    types::{ToSql, Type},
};

use crate::{
    data_dir::{DataDirError, ServeLock},
    store::{
        ops,
        postgres::{self as pg, PgOpenError},
        sqlite,
    },
};

/// Rows per `INSERT` (PostgreSQL takes at most 65,535 parameters in one statement).
const ROWS_PER_INSERT: usize = 500;

/// Tables of the SQLite file that are SQLite's own (its full-text index of the audit log, the schema
/// version): PostgreSQL has its own equivalents.
fn sqlite_only(table: &str) -> bool {
    table == "schema_version" || table.starts_with("sqlite_") || table.starts_with("audit_fts")
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{0} holds no orgdeck database")]
    NoDatabase(String),
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error("the SQLite database: {0}")]
    Sqlite(#[from] sqlite::OpenError),
    #[error("reading the SQLite database: {0}")]
    SqliteRead(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] PgOpenError),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("{target} already holds {orgs} organization(s): migrate into an empty database")]
    NotEmpty { target: String, orgs: i64 },
    #[error("the schemas differ: {0}")]
    Schema(String),
    #[error("{table}.{column}: {message}")]
    Value {
        table: String,
        column: String,
        message: String,
    },
    #[error(
        "the copy of {table} does not match: SQLite {sqlite_rows} rows, checksum {sqlite_sum}; PostgreSQL {pg_rows} rows, checksum {pg_sum}; nothing was committed"
    )]
    Mismatch {
        table: String,
        sqlite_rows: u64,
        sqlite_sum: String,
        pg_rows: u64,
        pg_sum: String,
    },
    #[error("cannot start the migration's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// One table as copied and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCopy {
    pub table: String,
    pub rows: u64,
    /// The same on both sides (32 hex digits).
    pub checksum: String,
}

#[derive(Debug, Clone)]
pub struct MigrationReport {
    /// The target, without its password.
    pub target: String,
    /// Every copied table, parents before children.
    pub tables: Vec<TableCopy>,
}

/// A column of the target: its name and PostgreSQL type, and whether its values come from a sequence
/// (an identity, or a default from a sequence it owns: the audit log's places).
#[derive(Debug, Clone)]
struct Column {
    name: String,
    ty: Type,
    identity: bool,
}

/// A value as the target column's type takes it.
#[derive(Debug, Clone)]
enum PgValue {
    Null,
    Bool(bool),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// NULL for a parameter of any type.
#[derive(Debug)]
struct Null;

impl ToSql for Null {
    fn to_sql(
        &self,
        _: &Type,
        _: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        Ok(tokio_postgres::types::IsNull::Yes)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

impl PgValue {
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            PgValue::Null => &Null,
            PgValue::Bool(v) => v,
            PgValue::I16(v) => v,
            PgValue::I32(v) => v,
            PgValue::I64(v) => v,
            PgValue::F32(v) => v,
            PgValue::F64(v) => v,
            PgValue::Text(v) => v,
            PgValue::Bytes(v) => v,
        }
    }

    /// The value in canonical text, the same whichever side it was read from.
    fn canonical(&self, out: &mut Vec<u8>) {
        let text = match self {
            PgValue::Null => {
                out.extend_from_slice(b"N;");
                return;
            }
            PgValue::Bool(v) => u8::from(*v).to_string(),
            PgValue::I16(v) => v.to_string(),
            PgValue::I32(v) => v.to_string(),
            PgValue::I64(v) => v.to_string(),
            PgValue::F32(v) => format!("{:?}", f64::from(*v)),
            PgValue::F64(v) => format!("{v:?}"),
            PgValue::Text(v) => v.clone(),
            PgValue::Bytes(v) => v.iter().map(|b| format!("{b:02x}")).collect(),
        };
        // Length-prefixed: no value can pass for two.
        out.extend_from_slice(format!("V{}:", text.len()).as_bytes());
        out.extend_from_slice(text.as_bytes());
    }
}

/// `value` of the SQLite file as `ty` takes it.
fn convert(value: SqliteValue, ty: &Type) -> Result<PgValue, String> {
    use SqliteValue as S;
    let int = |v: &SqliteValue| -> Result<i64, String> {
        match v {
            S::Integer(i) => Ok(*i),
            S::Text(t) => t.trim().parse().map_err(|_| format!("{t:?} is not an integer")),
            S::Real(f) if f.fract() == 0.0 => Ok(*f as i64),
            other => Err(format!("{other:?} is not an integer")),
        }
    };
    if value == S::Null {
        return Ok(PgValue::Null);
    }
    Ok(match *ty {
        Type::BOOL => match int(&value)? {
            0 => PgValue::Bool(false),
            1 => PgValue::Bool(true),
            other => return Err(format!("{other} is not a boolean (0 or 1)")),
        },
        Type::INT2 => PgValue::I16(int(&value)?.try_into().map_err(|_| "out of range for smallint")?),
        Type::INT4 => PgValue::I32(int(&value)?.try_into().map_err(|_| "out of range for integer")?),
        Type::INT8 => PgValue::I64(int(&value)?),
        Type::FLOAT4 | Type::FLOAT8 => {
            let f = match value {
                S::Real(f) => f,
                S::Integer(i) => i as f64,
                S::Text(t) => t.trim().parse().map_err(|_| format!("{t:?} is not a number"))?,
                other => return Err(format!("{other:?} is not a number")),
            };
            if *ty == Type::FLOAT4 {
                PgValue::F32(f as f32)
            } else {
                PgValue::F64(f)
            }
        }
        Type::TEXT | Type::VARCHAR | Type::BPCHAR => match value {
            S::Text(t) if t.contains('\0') => return Err("holds a NUL character, which PostgreSQL cannot store".into()),
            S::Text(t) => PgValue::Text(t),
            S::Integer(i) => PgValue::Text(i.to_string()),
            S::Real(f) => PgValue::Text(f.to_string()),
            S::Blob(b) => PgValue::Text(String::from_utf8(b).map_err(|_| "bytes that are not UTF-8 text")?),
            S::Null => PgValue::Null,
        },
        Type::BYTEA => match value {
            S::Blob(b) => PgValue::Bytes(b),
            S::Text(t) => PgValue::Bytes(t.into_bytes()),
            other => return Err(format!("{other:?} is not bytes")),
        },
        ref other => return Err(format!("the column's type {other} is not one the store uses")),
    })
}

/// A value read back from the target, by its column's type.
fn read_back(row: &tokio_postgres::Row, i: usize, ty: &Type) -> Result<PgValue, tokio_postgres::Error> {
    fn or_null<T>(v: Option<T>, f: impl FnOnce(T) -> PgValue) -> PgValue {
        v.map_or(PgValue::Null, f)
    }
    Ok(match *ty {
        Type::BOOL => or_null(row.try_get(i)?, PgValue::Bool),
        Type::INT2 => or_null(row.try_get(i)?, PgValue::I16),
        Type::INT4 => or_null(row.try_get(i)?, PgValue::I32),
        Type::INT8 => or_null(row.try_get(i)?, PgValue::I64),
        Type::FLOAT4 => or_null(row.try_get(i)?, PgValue::F32),
        Type::FLOAT8 => or_null(row.try_get(i)?, PgValue::F64),
        Type::BYTEA => or_null(row.try_get(i)?, PgValue::Bytes),
        _ => or_null(row.try_get(i)?, PgValue::Text),
    })
}

/// Rows counted and summed: the order they come in does not matter.
#[derive(Default)]
struct Checksum {
    rows: u64,
    sum: u128,
    buf: Vec<u8>,
}

impl Checksum {
    fn add(&mut self, row: &[PgValue]) {
        self.buf.clear();
        for v in row {
            v.canonical(&mut self.buf);
        }
        let digest = Sha256::digest(&self.buf);
        let mut half = [0u8; 16];
        half.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_be_bytes(half));
        self.rows += 1;
    }

    fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

/// Copies the SQLite database of `data_dir` into the empty PostgreSQL database at `url`, and verifies
/// it. Runs on a runtime of its own: call it from a plain thread (the command line), not from async code.
pub fn to_postgres(data_dir: &Path, url: &str, now: Timestamp) -> Result<MigrationReport, MigrateError> {
    if !sqlite::db_path(data_dir).exists() {
        return Err(MigrateError::NoDatabase(data_dir.display().to_string()));
    }
    // Nobody serves it while it is copied (and a served one is refused).
    let _lock = ServeLock::acquire(data_dir)?;
    let source = sqlite::open_and_migrate(data_dir, now)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(MigrateError::Runtime)?;
    runtime.block_on(copy(&source, url, now))
}

async fn copy(source: &rusqlite::Connection, url: &str, now: Timestamp) -> Result<MigrationReport, MigrateError> {
    let to = pg::target(url)?;
    let target = pg::describe(&to.config);
    let (mut client, connection) = to
        .config
        .connect(to.tls.clone())
        .await
        .map_err(|e| PgOpenError::Connect {
            target: target.clone(),
            reason: e.to_string(),
        })?;
    let connection = tokio::spawn(connection);
    pg::schema::migrate(&mut client, now.as_millisecond())
        .await
        .map_err(|e| MigrateError::Schema(e.to_string()))?;
    let result = copy_tables(source, &mut client, &target).await;
    drop(client);
    let _ = connection.await;
    result
}

async fn copy_tables(
    source: &rusqlite::Connection,
    client: &mut Client,
    target: &str,
) -> Result<MigrationReport, MigrateError> {
    let tx = client.transaction().await?;
    // Instances started early wait; none writes meanwhile.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&ops::WRITE_LOCK])
        .await?;
    let orgs: i64 = tx.query_one("SELECT COUNT(*) FROM organizations", &[]).await?.get(0);
    if orgs > 0 {
        return Err(MigrateError::NotEmpty {
            target: target.to_owned(),
            orgs,
        });
    }
    let columns = target_columns(&tx).await?;
    let order = parent_first(&tx, columns.keys().cloned().collect()).await?;
    let mut sqlite_tables: BTreeSet<String> = source
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    sqlite_tables.retain(|t| !sqlite_only(t));

    let mut tables = Vec::new();
    for table in &order {
        if !sqlite_tables.remove(table) {
            // PostgreSQL's own (the shared login limiter's buckets): nothing in SQLite to copy.
            continue;
        }
        let cols = &columns[table];
        let sqlite_cols: BTreeSet<String> = source
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<_, _>>()?;
        // What each target column is read from in SQLite.
        let mut select = Vec::new();
        for c in cols {
            if sqlite_cols.contains(&c.name) {
                select.push(format!("\"{}\"", c.name));
            } else if table == "audit_log" && c.name == "seq" {
                select.push("rowid".to_owned());
            } else {
                return Err(MigrateError::Schema(format!(
                    "{table}.{} is in PostgreSQL only",
                    c.name
                )));
            }
        }
        if let Some(extra) = sqlite_cols.iter().find(|s| !cols.iter().any(|c| &&c.name == s)) {
            return Err(MigrateError::Schema(format!("{table}.{extra} is in SQLite only")));
        }
        let copied = copy_table(source, &tx, table, cols, &select).await?;
        let back = checksum_target(&tx, table, cols).await?;
        if (copied.rows, copied.sum) != (back.rows, back.sum) {
            return Err(MigrateError::Mismatch {
                table: table.clone(),
                sqlite_rows: copied.rows,
                sqlite_sum: copied.hex(),
                pg_rows: back.rows,
                pg_sum: back.hex(),
            });
        }
        for c in cols.iter().filter(|c| c.identity) {
            tx.execute(
                &format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{0}'), COALESCE(MAX(\"{0}\"), 0) + 1, false) FROM {table}",
                    c.name
                ),
                &[],
            )
            .await?;
        }
        tables.push(TableCopy {
            table: table.clone(),
            rows: copied.rows,
            checksum: copied.hex(),
        });
    }
    if let Some(left) = sqlite_tables.first() {
        return Err(MigrateError::Schema(format!("the table {left} is in SQLite only")));
    }
    tx.commit().await?;
    // Planner statistics and visibility of the loaded tables, as after any bulk load (autovacuum would
    // come later).
    client.batch_execute("VACUUM (ANALYZE)").await?;
    Ok(MigrationReport {
        target: target.to_owned(),
        tables,
    })
}

/// Every table of the target (but the schema version) with its columns in order.
async fn target_columns(tx: &tokio_postgres::Transaction<'_>) -> Result<BTreeMap<String, Vec<Column>>, MigrateError> {
    let rows = tx
        .query(
            "SELECT c.relname::text, a.attname::text, a.atttypid,
                    a.attidentity <> '' OR pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
               AND c.relname <> 'schema_version'
             ORDER BY c.relname, a.attnum",
            &[],
        )
        .await?;
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for r in rows {
        let oid: u32 = r.get(2);
        let ty = Type::from_oid(oid).ok_or_else(|| MigrateError::Schema(format!("unknown type oid {oid}")))?;
        tables.entry(r.get(0)).or_default().push(Column {
            name: r.get(1),
            ty,
            identity: r.get(3),
        });
    }
    Ok(tables)
}

/// `tables` ordered so that every table comes after the tables its foreign keys name.
async fn parent_first(
    tx: &tokio_postgres::Transaction<'_>,
    tables: BTreeSet<String>,
) -> Result<Vec<String>, MigrateError> {
    let rows = tx
        .query(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
             JOIN pg_namespace n ON n.oid = c.connamespace
             WHERE c.contype = 'f' AND n.nspname = current_schema()",
            &[],
        )
        .await?;
    let mut parents: HashMap<String, BTreeSet<String>> = HashMap::new();
    for r in rows {
        let (child, parent): (String, String) = (r.get(0), r.get(1));
        if child != parent {
            parents.entry(child).or_default().insert(parent);
        }
    }
    let mut order = Vec::new();
    let mut left = tables;
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|t| parents.get(*t).is_none_or(|ps| ps.iter().all(|p| !left.contains(p))))
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(MigrateError::Schema(format!(
                "foreign keys form a cycle among {left:?}"
            )));
        }
        for t in ready {
            left.remove(&t);
            order.push(t);
        }
    }
    Ok(order)
}

/// Copies one table in batches; the checksum of what was sent.
async fn copy_table(
    source: &rusqlite::Connection,
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    cols: &[Column],
    select: &[String],
) -> Result<Checksum, MigrateError> {
    let mut stmt = source.prepare(&format!("SELECT {} FROM \"{table}\" ORDER BY rowid", select.join(", ")))?;
    let mut rows = stmt.query([])?;
    let names: Vec<String> = cols.iter().map(|c| format!("\"{}\"", c.name)).collect();
    let overriding = if cols.iter().any(|c| c.identity) {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    let mut sum = Checksum::default();
    let mut batch: Vec<Vec<PgValue>> = Vec::with_capacity(ROWS_PER_INSERT);
    loop {
        let row = rows.next()?;
        if let Some(row) = row {
            let mut values = Vec::with_capacity(cols.len());
            for (i, c) in cols.iter().enumerate() {
                let v: SqliteValue = row.get(i)?;
                values.push(convert(v, &c.ty).map_err(|message| MigrateError::Value {
                    table: table.to_owned(),
                    column: c.name.clone(),
                    message,
                })?);
            }
            sum.add(&values);
            batch.push(values);
        }
        if batch.len() == ROWS_PER_INSERT || (row.is_none() && !batch.is_empty()) {
            let mut placeholders = Vec::with_capacity(batch.len());
            let mut n = 0;
            for _ in &batch {
                let one: Vec<String> = cols
                    .iter()
                    .map(|_| {
                        n += 1;
                        format!("${n}")
                    })
                    .collect();
                placeholders.push(format!("({})", one.join(", ")));
            }
            let params: Vec<&(dyn ToSql + Sync)> = batch.iter().flatten().map(PgValue::as_sql).collect();
            tx.execute(
                &format!(
                    "INSERT INTO \"{table}\" ({}){overriding} VALUES {}",
                    names.join(", "),
                    placeholders.join(", ")
                ),
                &params,
            )
            .await?;
            batch.clear();
        }
        if row.is_none() {
            return Ok(sum);
        }
    }
}

/// The checksum of what the target holds in `table` (inside the copying transaction).
async fn checksum_target(
    tx: &tokio_postgres::Transaction<'_>,
    table: &str,
    cols: &[Column],
) -> Result<Checksum, MigrateError> {
    let names: Vec<String> = cols.iter().map(|c| format!("\"{}\"", c.name)).collect();
    let stream = tx
        .query_raw(
            &format!("SELECT {} FROM \"{table}\"", names.join(", ")),
            std::iter::empty::<i64>(),
        )
        .await?;
    pin_mut!(stream);
    let mut sum = Checksum::default();
    let mut values = Vec::with_capacity(cols.len());
    while let Some(row) = stream.next().await {
        let row = row?;
        values.clear();
        for (i, c) in cols.iter().enumerate() {
            values.push(read_back(&row, i, &c.ty)?);
        }
        sum.add(&values);
    }
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_go_over_as_the_target_column_takes_them() {
        let b = convert(SqliteValue::Integer(1), &Type::BOOL).unwrap();
        assert!(matches!(b, PgValue::Bool(true)));
        assert!(convert(SqliteValue::Integer(2), &Type::BOOL).is_err());
        assert!(matches!(
            convert(SqliteValue::Integer(7), &Type::TEXT).unwrap(),
            PgValue::Text(t) if t == "7"
        ));
        assert!(convert(SqliteValue::Integer(1 << 40), &Type::INT4).is_err());
        assert!(convert(SqliteValue::Text("a\0b".into()), &Type::TEXT).is_err());
        assert!(matches!(
            convert(SqliteValue::Null, &Type::INT8).unwrap(),
            PgValue::Null
        ));
    }

    #[test]
    fn the_checksum_ignores_row_order_but_not_values_or_their_boundaries() {
        let row = |a: &str, b: &str| vec![PgValue::Text(a.into()), PgValue::Text(b.into())];
        let sum = |rows: &[Vec<PgValue>]| {
            let mut c = Checksum::default();
            rows.iter().for_each(|r| c.add(r));
            (c.rows, c.hex())
        };
        assert_eq!(
            sum(&[row("a", "b"), row("c", "d")]),
            sum(&[row("c", "d"), row("a", "b")])
        );
        assert_ne!(sum(&[row("ab", "")]), sum(&[row("a", "b")]));
        assert_ne!(sum(&[vec![PgValue::Null]]), sum(&[vec![PgValue::Text(String::new())]]));
    }
}
