//! A real server on 127.0.0.1:0 over a temporary data directory, with a clock the test moves.
#![allow(dead_code)]

pub mod mail;
pub mod process;
pub mod receivers;
pub mod sse;

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use orgdeck_server::{Clock, Database, ManualClock, OrgCreated, ServerConfig, ServerHandle, create_user, init_org};
use orgdeck_shared::{
    ApiError,
    auth::{BackupCodes, OrgRole, TotpEnrollment},
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN_EMAIL: &str = "admin@acme.example";
pub const ADMIN_PASSWORD: &str = "acme admin password 2026";
pub const USER_PASSWORD: &str = "plain user password 2026";

/// The runtime a test server runs on, apart from the test's: a test that waits for the database (an
/// operator action, a look at what is stored) blocks its own thread, and the server must go on meanwhile,
/// as a real one would (it may hold the write lock the test waits for: its workers' claims and group
/// commits write in the background).
pub struct ServerRuntime(Option<tokio::runtime::Runtime>);

impl Drop for ServerRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

pub struct TestServer {
    pub handle: ServerHandle,
    pub runtime: ServerRuntime,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
    /// The server's database: the data directory's SQLite file, or with `ORGDECK_TEST_DATABASE=postgres`
    /// a fresh PostgreSQL database of its own (`orgdeck_server::pg_test`).
    pub db: Database,
    pub org: OrgCreated,
    pub http: reqwest::Client,
}

pub fn start_time() -> Timestamp {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

/// Whether the tests' servers run on PostgreSQL (`ORGDECK_TEST_DATABASE=postgres`) instead of SQLite.
pub fn on_postgres() -> bool {
    std::env::var("ORGDECK_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

/// The secret key of servers on PostgreSQL (which requires one given).
pub const PG_SECRET_KEY: [u8; 32] = [7; 32];

/// The database of a test server with data directory `dir`: its SQLite file, or a fresh PostgreSQL
/// database when the tests run on PostgreSQL.
pub async fn test_database(dir: &std::path::Path) -> Database {
    if on_postgres() {
        let pg = orgdeck_server::pg_test::server().expect("ORGDECK_TEST_DATABASE=postgres needs a PostgreSQL");
        Database::Postgres(pg.fresh_database().await)
    } else {
        Database::Sqlite(dir.to_owned())
    }
}

/// Points `config` at `db`.
pub fn use_database(config: &mut ServerConfig, db: &Database) {
    if let Database::Postgres(url) = db {
        config.database = Some(url.clone());
        config.secret_key.get_or_insert(PG_SECRET_KEY);
    }
}

impl TestServer {
    /// A server with one organization, "Acme", and its admin.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`TestServer::start`], with a change to the configuration (e.g. trusted proxies).
    pub async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = test_database(dir.path()).await;
        let clock = ManualClock::new(start_time());
        let org = init_org(&db, "Acme", ADMIN_EMAIL, ADMIN_PASSWORD, &clock).unwrap();
        Self::serve_on(dir, db, clock, org, configure).await
    }

    /// Like [`TestServer::start`], on the data directory's SQLite file whatever the tests run on: for what
    /// only SQLite has (its files' durability and modes).
    pub async fn start_on_sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clock = ManualClock::new(start_time());
        let db = Database::Sqlite(dir.path().to_owned());
        let org = init_org(&db, "Acme", ADMIN_EMAIL, ADMIN_PASSWORD, &clock).unwrap();
        Self::serve_on(dir, db, clock, org, |_| {}).await
    }

    /// A server on the data directory `dir`'s database, prepared by the caller (SQLite only).
    pub async fn serve(dir: tempfile::TempDir, clock: ManualClock, org: OrgCreated) -> Self {
        Self::serve_with(dir, clock, org, |_| {}).await
    }

    /// Like [`TestServer::serve`], with a change to the configuration (SQLite only).
    pub async fn serve_with(
        dir: tempfile::TempDir,
        clock: ManualClock,
        org: OrgCreated,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> Self {
        let db = Database::Sqlite(dir.path().to_owned());
        Self::serve_on(dir, db, clock, org, configure).await
    }

    /// A server on `db`, prepared by the caller.
    pub async fn serve_on(
        dir: tempfile::TempDir,
        db: Database,
        clock: ManualClock,
        org: OrgCreated,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> Self {
        let mut config = ServerConfig::new(dir.path());
        config.listen = "127.0.0.1:0".parse().unwrap();
        use_database(&mut config, &db);
        configure(&mut config);
        config.clock = Arc::new(clock.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.spawn(orgdeck_server::spawn(config)).await.unwrap().unwrap();
        let runtime = ServerRuntime(Some(runtime));
        Self {
            handle,
            runtime,
            clock,
            dir,
            db,
            org,
            http: reqwest::Client::new(),
        }
    }

    /// Stops the server and starts it again on the same data directory, database and clock.
    pub async fn restart(self, configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let TestServer {
            handle,
            runtime,
            clock,
            dir,
            db,
            org,
            ..
        } = self;
        handle.shutdown().await;
        drop(runtime);
        Self::serve_on(dir, db, clock, org, configure).await
    }

    /// Runs `f` on the server's database, whichever the engine, reading what is committed (tests look at
    /// what is stored).
    pub fn sql<T: Send>(
        &self,
        f: impl FnOnce(&orgdeck_server::store::sql::Connection) -> Result<T, orgdeck_server::OrgError> + Send,
    ) -> T {
        orgdeck_server::orgs::read(&self.db, f).unwrap()
    }

    /// Like [`TestServer::sql`], in a write transaction (rows an operator adds beside the running server).
    pub fn sql_write<T: Send>(
        &self,
        f: impl FnOnce(&orgdeck_server::store::sql::Connection) -> Result<T, orgdeck_server::OrgError> + Send,
    ) -> T {
        orgdeck_server::orgs::transaction(&self.db, f).unwrap()
    }

    /// Every value every table holds, as text by table and column (rows sorted): the engine's own
    /// values, bytes as hex.
    pub fn table_rows(&self) -> std::collections::BTreeMap<String, (Vec<String>, Vec<Vec<String>>)> {
        self.sql(|c| {
            let sql = match c.is_postgres() {
                true => {
                    "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
                         AND table_type = 'BASE TABLE' ORDER BY 1"
                }
                false => {
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
                          AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
                }
            };
            let tables: Vec<String> = c.prepare(sql)?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut out = std::collections::BTreeMap::new();
            for table in tables {
                let columns: Vec<(String, String)> = match c.is_postgres() {
                    true => c
                        .prepare(
                            "SELECT column_name::text, data_type::text FROM information_schema.columns
                             WHERE table_schema = 'public' AND table_name = ?1 ORDER BY ordinal_position",
                        )?
                        .query_map(orgdeck_server::store::sql::params![table], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })?
                        .collect::<Result<_, _>>()?,
                    false => c
                        .prepare(&format!("SELECT name, type FROM pragma_table_info('{table}')"))?
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<_, _>>()?,
                };
                // Read as bytes: SQLite's text may be any bytes a request managed to store.
                let select: Vec<String> = columns
                    .iter()
                    .map(|(name, ty)| match ty.to_ascii_lowercase().as_str() {
                        "bytea" => format!("convert_to(encode(\"{name}\", 'hex'), 'UTF8')"),
                        "blob" => format!("CAST(lower(hex(\"{name}\")) AS BLOB)"),
                        _ if c.is_postgres() => format!("convert_to(CAST(\"{name}\" AS TEXT), 'UTF8')"),
                        _ => format!("CAST(\"{name}\" AS BLOB)"),
                    })
                    .collect();
                let width = columns.len();
                let mut rows: Vec<Vec<String>> = c
                    .prepare(&format!("SELECT {} FROM \"{table}\"", select.join(", ")))?
                    .query_map([], |r| {
                        (0..width)
                            .map(|i| {
                                Ok(r.get::<_, Option<Vec<u8>>>(i)?
                                    .map_or_else(|| "NULL".into(), |b| String::from_utf8_lossy(&b).into_owned()))
                            })
                            .collect()
                    })?
                    .collect::<Result<_, _>>()?;
                rows.sort();
                out.insert(table, (columns.into_iter().map(|(n, _)| n).collect(), rows));
            }
            Ok(out)
        })
    }

    /// What the database holds, to search for a secret: the SQLite files (the log too), or on PostgreSQL
    /// every value of every table (bytes as they are).
    pub fn stored_bytes(&self) -> Vec<u8> {
        match &self.db {
            Database::Sqlite(dir) => ["orgdeck.db", "orgdeck.db-wal"]
                .iter()
                .flat_map(|name| std::fs::read(dir.join(name)).unwrap_or_default())
                .collect(),
            Database::Postgres(_) => {
                let mut bytes = Vec::new();
                for (_, rows) in self.table_rows().into_values() {
                    for value in rows.into_iter().flatten() {
                        bytes.extend(value.as_bytes());
                        // Hex of bytes, decoded: a secret kept as bytes is found too.
                        if value.len() % 2 == 0
                            && let Some(raw) = (0..value.len())
                                .step_by(2)
                                .map(|i| u8::from_str_radix(&value[i..i + 2], 16).ok())
                                .collect::<Option<Vec<u8>>>()
                        {
                            bytes.extend(raw);
                        }
                        bytes.push(b'\n');
                    }
                }
                bytes
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.base_url())
    }

    /// Another organization in the same server, with its admin.
    pub fn add_org(&self, name: &str, admin_email: &str) -> OrgCreated {
        init_org(&self.db, name, admin_email, ADMIN_PASSWORD, &self.clock).unwrap()
    }

    /// A user of the first organization with `role`.
    pub fn add_user(&self, email: &str, role: OrgRole) -> Uuid {
        create_user(&self.db, self.org.org_id, email, USER_PASSWORD, role, &self.clock)
            .unwrap()
            .user_id
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(SignedDuration::from_mins(minutes));
    }

    pub async fn login_raw(&self, email: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url(routes::LOGIN))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Logs in and returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self.login_raw(email, password).await;
        assert_eq!(resp.status(), StatusCode::OK, "login of {email}");
        let body: Value = resp.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_token(&self) -> String {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.request(Method::GET, path, Some(token)).await.send().await.unwrap()
    }

    /// `PUT settings/general` with an optional `If-Match` version.
    pub async fn put_general(&self, token: &str, if_match: Option<i64>, body: &Value) -> reqwest::Response {
        let mut req = self
            .request(Method::PUT, &routes::settings("general"), Some(token))
            .await
            .json(body);
        if let Some(v) = if_match {
            req = req.header("if-match", orgdeck_shared::etag_for(v));
        }
        req.send().await.unwrap()
    }

    pub async fn general(&self, token: &str) -> Value {
        let resp = self.get(&routes::settings("general"), token).await;
        assert_eq!(resp.status(), StatusCode::OK);
        resp.json().await.unwrap()
    }
}

/// The `ApiError` body of a failed response, checking its status.
pub async fn api_error(resp: reqwest::Response, status: StatusCode) -> ApiError {
    assert_eq!(resp.status(), status);
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(ct.as_deref(), Some("application/json"));
    resp.json().await.unwrap()
}

impl TestServer {
    /// A request with a JSON body and an optional `If-Match` version.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
        if_match: Option<i64>,
    ) -> reqwest::Response {
        let mut req = self.request(method, path, Some(token)).await;
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(v) = if_match {
            req = req.header("if-match", orgdeck_shared::etag_for(v));
        }
        req.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.send(Method::POST, path, token, Some(body), None).await
    }

    /// `POST users`, expecting 201.
    pub async fn create_user_api(&self, token: &str, body: Value) -> orgdeck_shared::users::UserCreated {
        let resp = self.post(routes::USERS, token, &body).await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
        resp.json().await.unwrap()
    }

    /// `POST users/{id}/{action}`.
    pub async fn user_action(&self, token: &str, id: Uuid, action: &str) -> reqwest::Response {
        self.send(Method::POST, &routes::user_action(id, action), token, None, None)
            .await
    }

    /// The newest audit entries of the caller's organization.
    pub async fn audit(&self, token: &str) -> Vec<orgdeck_shared::audit::AuditEntry> {
        let page: orgdeck_shared::Page<orgdeck_shared::audit::AuditEntry> = self
            .get(&format!("{}?limit=100", routes::AUDIT), token)
            .await
            .json()
            .await
            .unwrap();
        page.items
    }
}

/// A test CA (`ca.pem`) and a certificate for 127.0.0.1 it signed (`cert.pem`, `key.pem`), by openssl.
pub fn make_certificates(dir: &std::path::Path) -> bool {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
    ];
    let run = |args: &[&str]| {
        std::process::Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    run(&[
        &["req", "-x509"][..],
        &ec,
        &["-subj", "/CN=orgdeck test CA", "-keyout", "ca.key", "-out", "ca.pem"],
    ]
    .concat())
        && run(&[
            &["req", "-x509", "-CA", "ca.pem", "-CAkey", "ca.key"][..],
            &ec,
            &[
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            &[
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
            ],
        ]
        .concat())
}

/// A `POST users` body with a password that meets the default policy.
pub fn new_user(email: &str, first: &str, last: &str, group: &str) -> Value {
    json!({
        "email": email, "first_name": first, "last_name": last, "default_group": group,
        "password": USER_PASSWORD,
    })
}

/// Writes `settings/two_step` (over its current version).
pub async fn set_two_step(s: &TestServer, admin: &str, body: Value) {
    let current: Value = s.get(&routes::settings("two_step"), admin).await.json().await.unwrap();
    let version = current["version"].as_i64().unwrap();
    let resp = s
        .send(
            Method::PUT,
            &routes::settings("two_step"),
            admin,
            Some(&body),
            Some(version),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
}

/// The code of a base32 secret at the server's current (manual) time plus `offset_steps` steps.
pub fn totp_code(s: &TestServer, secret: &str, offset_steps: i64) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let now = s.clock.now().as_second() + offset_steps * 30;
    totp.generate(now as u64).to_string()
}

/// Enrols the token's user: returns the base32 secret and the backup codes.
pub async fn enrol_totp(s: &TestServer, token: &str) -> (String, Vec<String>) {
    let resp = s.post(routes::ME_TOTP, token, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let e: TotpEnrollment = resp.json().await.unwrap();
    let secret = e.secret.expose().to_owned();
    assert!(
        e.otpauth_uri.expose().starts_with("otpauth://totp/orgdeck:"),
        "{}",
        e.otpauth_uri.expose()
    );
    assert!(e.otpauth_uri.expose().contains("issuer=orgdeck"));
    assert!(e.otpauth_uri.expose().contains(&format!("secret={secret}")));
    let resp = s
        .post(
            routes::ME_TOTP_CONFIRM,
            token,
            &json!({ "code": totp_code(s, &secret, 0) }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let codes: BackupCodes = resp.json().await.unwrap();
    assert_eq!(codes.backup_codes.len(), 10);
    let codes = codes.backup_codes.iter().map(|c| c.expose().to_owned()).collect();
    (secret, codes)
}

/// `POST auth/mfa`: the second step of a login.
pub async fn mfa(s: &TestServer, challenge: &str, code: &str) -> reqwest::Response {
    s.request(Method::POST, routes::MFA, None)
        .await
        .json(&json!({ "challenge": challenge, "code": code }))
        .send()
        .await
        .unwrap()
}

/// `POST auth/mfa`, expecting a session; returns its token.
pub async fn mfa_token(s: &TestServer, challenge: &str, code: &str) -> String {
    let resp = mfa(s, challenge, code).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let body: Value = resp.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

/// The answer is 401 `invalid_credentials`.
pub async fn refused(resp: reqwest::Response) {
    assert_eq!(
        api_error(resp, StatusCode::UNAUTHORIZED).await.code,
        orgdeck_shared::ErrorCode::InvalidCredentials
    );
}

pub async fn logout(s: &TestServer, token: &str) {
    let resp = s.post(routes::LOGOUT, token, &json!({})).await;
    assert!(resp.status().is_success());
}

/// Changes the organization's notification defaults as an admin would: read them, change, write back.
pub async fn change_notification_defaults(
    s: &TestServer,
    admin: &str,
    change: impl FnOnce(&mut orgdeck_shared::notifications::NotificationSettings),
) {
    let path = routes::settings("notifications");
    let doc: orgdeck_shared::Versioned<orgdeck_shared::notifications::NotificationSettings> =
        s.get(&path, admin).await.json().await.unwrap();
    let mut value = doc.value;
    change(&mut value);
    let body = serde_json::to_value(&value).unwrap();
    let resp = s.send(Method::PUT, &path, admin, Some(&body), Some(doc.version)).await;
    assert_eq!(resp.status(), reqwest::StatusCode::OK, "{}", resp.text().await.unwrap());
}
