//! Opening the console: for a profile, or for the demo (an embedded server with demo data).

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use crossterm::event::EventStream;

use crate::{
    api::ApiClient,
    app::{App, AppInit},
    config::{Config, Dirs},
    credentials::Credentials,
    keymap::Keymap,
    runtime::{self, RunOptions},
    terminal::TerminalGuard,
    theme::{Theme, ThemeKind},
};

/// Logs go to `<data dir>/logs/orgdeck.log`, never to the terminal. Returns the file's path and the
/// guard that flushes it (keep it until the end).
pub fn init_logging(dirs: &Dirs) -> (Option<PathBuf>, Option<tracing_appender::non_blocking::WorkerGuard>) {
    let dir = dirs.log_dir();
    if std::fs::create_dir_all(&dir).is_err() {
        return (None, None);
    }
    let appender = tracing_appender::rolling::never(&dir, "orgdeck.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("ORGDECK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,hyper=warn,reqwest=warn,rustls=warn,h2=warn"));
    let ok = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .is_ok();
    if ok {
        (Some(dir.join("orgdeck.log")), Some(guard))
    } else {
        (None, None)
    }
}

/// What `orgdeck` prints when there is nothing to open yet.
pub const FIRST_RUN: &str = "\
orgdeck has no profile yet. Add one for your server:

    orgdeck profile add NAME --url https://SERVER:PORT --user YOU@EXAMPLE.COM

then run `orgdeck` (or `orgdeck --profile NAME`). To look around first, try the demo:

    orgdeck --demo
";

/// `orgdeck [--profile NAME]`.
pub async fn profile(dirs: &Dirs, name: Option<&str>) -> anyhow::Result<ExitCode> {
    let config_path = dirs.config_file();
    let mut config = Config::load(&config_path)?;
    if config.profiles.is_empty() {
        eprint!("{FIRST_RUN}");
        return Ok(ExitCode::from(2));
    }
    let (name, profile) = config.pick_profile(name)?;
    let (log_path, _log_guard) = init_logging(dirs);
    tracing::info!(profile = %name, url = %profile.url, "starting");
    if config.last_profile.as_deref() != Some(name.as_str()) {
        config.last_profile = Some(name.clone());
        if let Err(e) = config.save(&config_path) {
            tracing::warn!("saving the last used profile: {e:#}");
        }
    }
    let client = ApiClient::new(&profile.url, profile.ca_cert.as_deref())?;
    let credentials = Credentials::open(&name, config.credential_store, dirs.credentials_dir());
    let loader = credentials.clone();
    let token = tokio::task::spawn_blocking(move || loader.load()).await.unwrap_or(None);
    client.set_token(token.clone());
    let (keymap, notices) = Keymap::new(&config.key_overrides(), profile.read_only);
    let init = AppInit {
        profile: name,
        server: profile.url.clone(),
        user: profile.user.clone(),
        read_only: profile.read_only,
        keymap,
        theme: Theme::new(ThemeKind::from_env(config.theme.as_deref())),
        log_path: log_path.map(|p| p.display().to_string()),
        has_token: token.is_some(),
        notices,
    };
    open(App::new(init), client, credentials).await?;
    Ok(ExitCode::SUCCESS)
}

/// Runs the console in the terminal until the user quits; the terminal is restored on every path.
pub async fn open(app: App, client: ApiClient, credentials: Credentials) -> anyhow::Result<()> {
    let mut guard = TerminalGuard::enter().context("setting up the terminal")?;
    let options = RunOptions::SHIPPED;
    let result = runtime::run(
        &mut guard.terminal,
        app,
        client,
        credentials,
        EventStream::new(),
        options,
    )
    .await;
    drop(guard);
    if let Err(e) = &result {
        tracing::error!("console ended: {e:#}");
    }
    result
}

/// `orgdeck --demo`: a fresh temporary database with the demo organization, served on loopback, and the
/// console logged in as its admin. The token stays in memory; the server stops when the console does.
/// Stand-in agents beat for the demo's online servers over HTTP, as real agents would.
#[cfg(feature = "demo")]
pub async fn demo(dirs: &Dirs) -> anyhow::Result<ExitCode> {
    use orgdeck_server::SystemClock;
    use orgdeck_shared::auth::{LoginRequest, LoginResponse, Secret, endpoints::Login};

    let (log_path, _log_guard) = init_logging(dirs);
    let config = Config::load(&dirs.config_file()).unwrap_or_default();
    eprintln!("orgdeck: starting the demo server with demo data…");
    let data = tempfile::Builder::new()
        .prefix("orgdeck-demo-")
        .tempdir()
        .context("creating a temporary directory")?;
    let seed_dir = data.path().to_path_buf();
    let login = tokio::task::spawn_blocking(move || orgdeck_server::demo::seed(&seed_dir, &SystemClock))
        .await
        .context("seeding the demo data")??;
    // Mail (two-step codes) goes to the demo's own outbox folder, whatever the environment says.
    let server_config = orgdeck_server::demo::server_config(data.path());
    let outbox = server_config.data_dir.join(orgdeck_server::mail::transport::OUTBOX_DIR);
    let server = orgdeck_server::spawn(server_config)
        .await
        .context("starting the demo server")?;
    let url = server.base_url();
    tracing::info!(%url, "demo server listening");
    // Stand-ins for the demo's agents keep its online servers beating (the silent ones stay offline).
    let agents = orgdeck_server::demo::run_agents(url.clone(), login.agent_key.clone(), login.beating.clone());
    let client = ApiClient::new(&url, None)?;
    let body = LoginRequest {
        email: login.email.clone(),
        password: Secret::new(login.password.clone()),
    };
    let grant = match client.send::<Login>(&(), &(), &body).await {
        Ok(LoginResponse::Granted(grant)) => Some(grant),
        Ok(LoginResponse::MfaRequired { .. }) => None,
        Err(e) => {
            tracing::warn!("demo login: {}", e.message);
            None
        }
    };
    let has_token = grant.is_some();
    client.set_token(grant.map(|g| g.token));
    let (keymap, mut notices) = Keymap::new(&config.key_overrides(), false);
    notices.push(format!(
        "Demo: mail (two-step codes) is written to {} instead of being sent",
        outbox.display()
    ));
    let init = AppInit {
        profile: "demo".into(),
        server: url,
        user: login.email.clone(),
        read_only: false,
        keymap,
        theme: Theme::new(ThemeKind::from_env(config.theme.as_deref())),
        log_path: log_path.map(|p| p.display().to_string()),
        has_token,
        notices,
    };
    let result = open(App::new(init), client, Credentials::memory("demo")).await;
    agents.abort();
    server.shutdown().await;
    drop(data);
    result.map(|()| ExitCode::SUCCESS)
}

#[cfg(not(feature = "demo"))]
pub async fn demo(_dirs: &Dirs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this build of orgdeck has no demo server (built without the `demo` feature)")
}
