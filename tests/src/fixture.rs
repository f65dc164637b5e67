//! A real orgdeck server on 127.0.0.1 with its own data directory and organization.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use orgdeck_server::{Clock, Database, OrgCreated, ServerConfig, ServerHandle, SystemClock};
use orgdeck_shared::{
    auth::{LoginRequest, LoginResponse, OrgRole, Secret},
    routes,
};
use tempfile::TempDir;

pub const ADMIN_EMAIL: &str = "admin@acme.example";
/// Long enough for the default (NIST) password policy.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
pub const ORG_NAME: &str = "Acme Security";
/// The secret key of servers on PostgreSQL (which requires one given), and its base64 for the environment.
pub const PG_SECRET_KEY: [u8; 32] = *b"orgdeck-bench-postgres-key-32by!";
pub const PG_SECRET_KEY_BASE64: &str = "b3JnZGVjay1iZW5jaC1wb3N0Z3Jlcy1rZXktMzJieSE=";

/// A running server holding one organization and its admin. The data directory lives as long as this.
pub struct TestServer {
    pub handle: ServerHandle,
    pub base_url: String,
    pub data_dir: TempDir,
    pub http: reqwest::Client,
    pub org: OrgCreated,
    pub clock: Arc<dyn Clock>,
    /// The server's database: the data directory's SQLite file, or a PostgreSQL database.
    pub database: Database,
}

impl TestServer {
    /// A fresh server with the organization `ORG_NAME` and its admin.
    pub async fn start() -> Result<Self> {
        Self::start_with(Arc::new(SystemClock)).await
    }

    pub async fn start_with(clock: Arc<dyn Clock>) -> Result<Self> {
        Self::start_configured(clock, |_| {}).await
    }

    /// A fresh server whose configuration `configure` adjusts (a connection cap, a login rate) before it
    /// starts: on SQLite, or with `ORGDECK_TEST_DATABASE=postgres` on a fresh PostgreSQL database (as the
    /// server's own tests, README "Tests and PostgreSQL").
    pub async fn start_configured(clock: Arc<dyn Clock>, configure: impl FnOnce(&mut ServerConfig)) -> Result<Self> {
        Self::start_on(test_database().await?, clock, configure).await
    }

    /// A fresh server on the PostgreSQL database `database` (empty) when given, else on SQLite.
    pub async fn start_on(
        database: Option<String>,
        clock: Arc<dyn Clock>,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> Result<Self> {
        let data_dir = tempfile::tempdir().context("temp data dir")?;
        let db = Database::configured(data_dir.path(), database.as_deref());
        let org = orgdeck_server::init_org(&db, ORG_NAME, ADMIN_EMAIL, ADMIN_PASSWORD, clock.as_ref())?;
        let mut config = ServerConfig::new(data_dir.path());
        config.listen = "127.0.0.1:0".parse()?;
        config.clock = clock.clone();
        if database.is_some() {
            config.database = database;
            config.secret_key = Some(PG_SECRET_KEY);
        }
        configure(&mut config);
        let handle = orgdeck_server::spawn(config).await?;
        let base_url = handle.base_url();
        Ok(Self {
            handle,
            base_url,
            data_dir,
            http: reqwest::Client::new(),
            org,
            clock,
            database: db,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Logs in and returns the session token.
    pub async fn login(&self, email: &str, password: &str) -> Result<String> {
        login(&self.http, &self.base_url, email, password).await
    }

    /// Adds a user with `role` to the organization and returns their session token.
    pub async fn user_token(&self, email: &str, password: &str, role: OrgRole) -> Result<String> {
        orgdeck_server::create_user(
            &self.database,
            self.org.org_id,
            email,
            password,
            role,
            self.clock.as_ref(),
        )?;
        self.login(email, password).await
    }

    pub async fn admin_token(&self) -> Result<String> {
        self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await
    }

    pub async fn stop(self) {
        self.handle.shutdown().await;
    }
}

/// The PostgreSQL database tests run their servers on when `ORGDECK_TEST_DATABASE=postgres` (a fresh one
/// of `pg_test`'s server each time); `None`: the data directory's SQLite file.
pub async fn test_database() -> Result<Option<String>> {
    if std::env::var("ORGDECK_TEST_DATABASE").is_ok_and(|v| v == "postgres") {
        let pg = orgdeck_server::pg_test::server()
            .context("ORGDECK_TEST_DATABASE=postgres needs a PostgreSQL (ORGDECK_TEST_PG_URL or initdb)")?;
        return Ok(Some(pg.fresh_database().await));
    }
    Ok(None)
}

/// Logs in to the server at `base_url` and returns the session token.
pub async fn login(http: &reqwest::Client, base_url: &str, email: &str, password: &str) -> Result<String> {
    let resp = http
        .post(format!("{base_url}{}", routes::LOGIN))
        .json(&LoginRequest {
            email: email.into(),
            password: Secret::new(password),
        })
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!(
            "login failed: {} {}",
            resp.status(),
            resp.text().await.unwrap_or_default()
        );
    }
    match resp.json::<LoginResponse>().await? {
        LoginResponse::Granted(grant) => Ok(grant.token.expose().to_owned()),
        LoginResponse::MfaRequired { .. } => bail!("login asked for a second factor"),
    }
}
