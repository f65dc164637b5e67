//! Migrations of the PostgreSQL store. A fresh database gets the whole schema of the SQLite store's
//! version 15 in one step (`schema.sql`); later versions add one step each on both engines (16: claims; 17: audit places from a sequence, on
//! PostgreSQL only). Every
//! instance migrates at start inside one transaction that first takes a transaction-scoped advisory lock,
//! so instances starting together apply each step once (the others wait, then find it applied). A database
//! newer than this build is refused: an older instance must not run against a schema it does not know.

use tokio_postgres::Client;

/// The advisory lock key of migrations ("orgdeck" in ASCII).
const MIGRATION_LOCK: i64 = 0x006f_7267_6465_636b;

/// `(version, SQL)`, oldest first. Version 15 is the SQLite store's version 15 as one step.
const MIGRATIONS: &[(i64, &str)] = &[(15, include_str!("schema.sql")), (16, V16), (17, V17)];

/// As the SQLite store's version 16: claims of queued mail and deliveries, with their leases.
const V16: &str = r#"
ALTER TABLE mail_outbox ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE mail_outbox ADD COLUMN lease_until BIGINT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE deliveries ADD COLUMN lease_until BIGINT;
"#;

/// The audit log's places in the change stream come from a sequence (the column's default), no longer
/// from the largest place plus one: write transactions of different organizations run side by side
/// (`Store::begin_org`), and two of them would take the same place. Each organization's changes are read
/// in place order by organization (`audit_by_org_seq`). SQLite's version 17 changes nothing: its place is
/// the rowid.
const V17: &str = r#"
CREATE SEQUENCE audit_seq AS BIGINT OWNED BY audit_log.seq;
SELECT setval('audit_seq', (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log), false);
ALTER TABLE audit_log ALTER COLUMN seq SET DEFAULT nextval('audit_seq');
CREATE INDEX audit_by_org_seq ON audit_log (org_id, seq);
"#;

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "the database is at schema version {found}, newer than this build knows ({known}): run a newer orgdeck-server"
    )]
    Newer { found: i64, known: i64 },
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// Applies every migration the database has not seen, under the migration lock.
pub async fn migrate(client: &mut Client, now_ms: i64) -> Result<i64, MigrateError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await?
        .get(0);
    if current > latest_version() {
        return Err(MigrateError::Newer {
            found: current,
            known: latest_version(),
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
            &[version, &now_ms],
        )
        .await?;
        tracing::info!(version, "applied PostgreSQL migration");
    }
    tx.commit().await?;
    Ok(latest_version())
}
