//! The PostgreSQL store's schema, against a real PostgreSQL (`orgdeck_server::pg_test`): migrated once
//! when instances start together, refused when newer than the build, and the same tables, columns, types,
//! nullability, primary keys and indexes as the SQLite schema (so the two cannot drift apart unnoticed).

use std::collections::BTreeMap;

use orgdeck_server::{
    pg_test,
    store::{postgres::schema, sqlite},
};

/// `(table, column) -> (type class, not null, part of the primary key)`.
type Columns = BTreeMap<(String, String), (String, bool, bool)>;

/// The engines name their types differently; these are the same.
fn type_class(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "text" => "text",
        "bigint" | "integer" => "integer",
        "boolean" => "boolean",
        "blob" | "bytea" => "bytes",
        "real" | "double precision" => "float",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// Tables only one engine has for its own machinery.
fn engine_table(name: &str) -> bool {
    name == "schema_version" || name.starts_with("sqlite_") || name.starts_with("audit_fts")
        // Shared login buckets: one SQLite server counts in memory.
        || name == "login_buckets"
}

/// Columns only one engine has: PostgreSQL's audit place in commit order (SQLite's is the rowid).
fn engine_column(table: &str, column: &str) -> bool {
    (table, column) == ("audit_log", "seq")
}

fn sqlite_schema() -> (Columns, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let c = sqlite::open_and_migrate(dir.path(), jiff::Timestamp::now()).unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .filter(|n: &String| !engine_table(n))
        .collect();
    let mut columns = Columns::new();
    for t in &tables {
        let mut stmt = c
            .prepare(&format!(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{t}')"
            ))
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)? > 0,
                ))
            })
            .unwrap();
        for row in rows {
            let (name, ty, not_null, pk) = row.unwrap();
            // A primary key is never null on PostgreSQL; SQLite allows it on a non-integer key but the
            // store never writes one.
            columns.insert((t.clone(), name), (type_class(&ty), not_null || pk, pk));
        }
    }
    let mut indexes: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    indexes.sort();
    (columns, indexes)
}

async fn postgres_schema(client: &tokio_postgres::Client) -> (Columns, Vec<String>) {
    let pk: Vec<(String, String)> = client
        .query(
            "SELECT k.table_name::text, k.column_name::text FROM information_schema.table_constraints c
             JOIN information_schema.key_column_usage k
               ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name
             WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut columns = Columns::new();
    for r in client
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
             FROM information_schema.columns WHERE table_schema = 'public'",
            &[],
        )
        .await
        .unwrap()
    {
        let (table, column, ty, nullable): (String, String, String, String) = (r.get(0), r.get(1), r.get(2), r.get(3));
        if engine_table(&table) || engine_column(&table, &column) {
            continue;
        }
        let is_pk = pk.contains(&(table.clone(), column.clone()));
        columns.insert((table, column), (type_class(&ty), nullable == "NO", is_pk));
    }
    // The indexes the schema names (not those of primary keys and unique constraints, which SQLite makes
    // without a name of ours, nor the trigram index that stands for SQLite's FTS table).
    let mut indexes: Vec<String> = client
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
               AND indexname NOT IN (SELECT conname FROM pg_constraint)
               AND indexname NOT IN ('audit_search_trgm', 'audit_by_seq', 'audit_by_org_seq', 'login_buckets_by_time')",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    indexes.sort();
    (columns, indexes)
}

#[tokio::test]
async fn the_postgres_schema_has_the_sqlite_schemas_tables_columns_keys_and_indexes() {
    let Some(pg) = pg_test::server() else { return };
    let url = pg.fresh_database().await;
    let mut client = pg_test::connect(&url).await;
    assert_eq!(schema::migrate(&mut client, 0).await.unwrap(), schema::latest_version());
    assert_eq!(
        schema::latest_version(),
        sqlite::schema::latest_version(),
        "a migration added to one engine is added to the other"
    );
    let (sqlite_columns, sqlite_indexes) = sqlite_schema();
    let (pg_columns, pg_indexes) = postgres_schema(&client).await;
    let only_sqlite: Vec<_> = sqlite_columns
        .iter()
        .filter(|(k, v)| pg_columns.get(*k) != Some(*v))
        .collect();
    let only_pg: Vec<_> = pg_columns
        .iter()
        .filter(|(k, v)| sqlite_columns.get(*k) != Some(*v))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "the schemas drifted:\n  SQLite: {only_sqlite:?}\n  PostgreSQL: {only_pg:?}"
    );
    assert_eq!(sqlite_indexes, pg_indexes);
}

#[tokio::test]
async fn instances_starting_together_migrate_once_and_a_newer_database_is_refused() {
    let Some(pg) = pg_test::server() else { return };
    let url = pg.fresh_database().await;
    let mut a = pg_test::connect(&url).await;
    let mut b = pg_test::connect(&url).await;
    let (ra, rb) = tokio::join!(schema::migrate(&mut a, 1), schema::migrate(&mut b, 2));
    let latest = schema::latest_version();
    assert_eq!((ra.unwrap(), rb.unwrap()), (latest, latest));
    let applied: i64 = a
        .query_one("SELECT COUNT(*) FROM schema_version", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        applied, 3,
        "each step (15: the whole schema, 16: claims, 17: audit places) applied once"
    );
    // Started again: nothing to do.
    assert_eq!(schema::migrate(&mut a, 3).await.unwrap(), latest);
    // A database a newer build migrated: this build refuses it.
    a.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 4)", &[])
        .await
        .unwrap();
    let err = schema::migrate(&mut b, 5).await.unwrap_err();
    assert!(err.to_string().contains("schema version 99"), "{err}");
}
