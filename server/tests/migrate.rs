//! `orgdeck-server migrate-to-postgres`: the demo deployment (every area holds data) copied from its
//! SQLite file (after it was served: its own secret key, sealed secrets, sessions, mail) into an empty
//! PostgreSQL database by the real binary, verified table by table, then served
//! from PostgreSQL with the deployment's own secret key: what the API answers is what it answered from
//! SQLite. A second run, and a served data directory, are refused.

mod common;

use std::process::Command;

use common::*;
use orgdeck_server::{Database, OrgCreated, demo, pg_test, secret_box};
use orgdeck_shared::routes;
use serde_json::Value;

fn migrate(data_dir: &std::path::Path, url: &str) -> std::process::Output {
    Command::new(process::BIN)
        .env_remove("ORGDECK_CONFIG")
        .env_remove("ORGDECK_SECRET_KEY")
        .env("ORGDECK_DATABASE_URL", url)
        .arg("migrate-to-postgres")
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap()
}

/// Rows per table of the SQLite file, as the report lists them (`table rows`).
fn sqlite_counts(data_dir: &std::path::Path) -> Vec<(String, u64)> {
    orgdeck_server::orgs::read(&Database::Sqlite(data_dir.to_owned()), |c| {
        let tables: Vec<String> = c
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                 AND name NOT LIKE 'audit_fts%' AND name <> 'schema_version' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        Ok(tables
            .into_iter()
            .map(|t| {
                let n: i64 = c
                    .query_row(&format!("SELECT COUNT(*) FROM \"{t}\""), [], |r| r.get(0))
                    .unwrap();
                (t, n as u64)
            })
            .collect())
    })
    .unwrap()
}

/// What the admin sees in each area, without what the looking itself added (the login's audit entry,
/// the session).
async fn views(s: &TestServer, token: &str) -> Vec<(String, reqwest::StatusCode, Value)> {
    let mut paths: Vec<String> = [
        routes::USERS,
        routes::GROUPS,
        routes::API_KEYS,
        routes::AGENT_KEYS,
        routes::INTEGRATIONS,
        routes::SERVERS,
        routes::APPLICATIONS,
        routes::LICENSES,
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    paths.push(format!("{}?limit=200", routes::AUDIT));
    paths.extend(routes::area::ALL.iter().map(|a| routes::settings(a)));
    let mut out = Vec::new();
    for path in paths {
        let resp = s.get(&path, token).await;
        let status = resp.status();
        let mut body: Value = resp.json().await.unwrap_or(Value::Null);
        if let Some(items) = body.get_mut("items").and_then(Value::as_array_mut) {
            items.retain(|e| !e["action"].as_str().is_some_and(|a| a.contains("login")));
        }
        out.push((path, status, body));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_deployment_is_copied_verified_and_served_from_postgres_as_it_was() {
    let Some(pg) = pg_test::server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let clock = orgdeck_server::ManualClock::new(start_time());
    let login = demo::seed(dir.path(), &clock).unwrap();
    let org = OrgCreated {
        org_id: uuid::Uuid::nil(),
        admin_id: uuid::Uuid::nil(),
    };
    // Served once before: its own secret key, sealed secrets (an integration's signing secret), an API
    // key, sessions, queued mail.
    let before = TestServer::serve_with(dir, clock.clone(), org, |_| {}).await;
    let admin = before.login(&login.email, &login.password).await;
    let hook = before
        .post(
            routes::INTEGRATIONS,
            &admin,
            &serde_json::json!({ "name": "Ops hook", "settings": { "type": "webhook", "url": "https://hooks.example.com/orgdeck" } }),
        )
        .await;
    assert_eq!(hook.status(), reqwest::StatusCode::CREATED);
    let user = before
        .post(
            routes::USERS,
            &admin,
            &new_user("new@northwind.example", "New", "User", "view"),
        )
        .await;
    assert_eq!(user.status(), reqwest::StatusCode::CREATED);
    let key = before.post(routes::API_KEYS, &admin, &serde_json::json!({})).await;
    assert_eq!(key.status(), reqwest::StatusCode::CREATED);
    let TestServer {
        handle, runtime, dir, ..
    } = before;
    handle.shutdown().await;
    drop(runtime);
    let url = pg.fresh_database().await;

    let out = migrate(dir.path(), &url);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("every table's count and checksum are the same in both"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ORGDECK_SECRET_KEY"),
        "it says which key to give: {stdout}"
    );
    // Every table is listed with as many rows as the SQLite file holds.
    for (table, rows) in sqlite_counts(dir.path()) {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table.as_str()))
            .unwrap_or_else(|| panic!("{table} is not in the report:\n{stdout}"));
        assert_eq!(
            line.split_whitespace().nth(1),
            Some(rows.to_string().as_str()),
            "{line}"
        );
    }

    // Served from each: the same answers.
    let key = std::fs::read_to_string(dir.path().join(secret_box::KEY_FILE)).unwrap();
    let key = secret_box::parse_key(key.trim()).unwrap();
    let on_pg = TestServer::serve_on(
        tempfile::tempdir().unwrap(),
        Database::Postgres(url.clone()),
        clock.clone(),
        org,
        |c| c.secret_key = Some(key),
    )
    .await;
    let pg_token = on_pg.login(&login.email, &login.password).await;
    let from_pg = views(&on_pg, &pg_token).await;
    drop(on_pg);

    // Copying again into the same database is refused, and so is copying a served data directory.
    let again = migrate(dir.path(), &url);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let on_sqlite = TestServer::serve_with(dir, clock, org, |_| {}).await;
    // The report named the tables that were filled.
    for table in [
        "integrations",
        "api_keys",
        "sessions",
        "mail_outbox",
        "audit_log",
        "users",
    ] {
        assert!(
            sqlite_counts(on_sqlite.dir.path())
                .iter()
                .any(|(t, n)| t == table && *n > 0),
            "{table} holds rows to copy"
        );
    }
    let other = pg.fresh_database().await;
    let served = migrate(on_sqlite.dir.path(), &other);
    assert!(!served.status.success(), "a served data directory is not copied");
    let sqlite_token = on_sqlite.login(&login.email, &login.password).await;
    let from_sqlite = views(&on_sqlite, &sqlite_token).await;
    assert!(
        from_sqlite.iter().filter(|(_, status, _)| status.is_success()).count() >= 15,
        "most areas answer: {:?}",
        from_sqlite.iter().map(|(p, s, _)| (p, s)).collect::<Vec<_>>()
    );
    for ((path, status, sqlite), (_, pg_status, pg)) in from_sqlite.iter().zip(&from_pg) {
        assert_eq!((status, sqlite), (pg_status, pg), "{path} answers the same from both");
    }
}
