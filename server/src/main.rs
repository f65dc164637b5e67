//! `orgdeck-server`: create organizations and serve the API.

use std::{
    io::{BufRead, IsTerminal},
    net::SocketAddr,
    path::PathBuf,
    sync::Arc,
};

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand};
use ipnet::IpNet;
use orgdeck_server::{
    SystemClock,
    config::{self, FileConfig, MailOverrides, Overrides},
    init_org,
    mail::{SmtpSecurity, TransportKind},
    orgs,
    outbound::AllowEntry,
};
use orgdeck_shared::auth::Secret;
use rand::RngExt;

#[derive(Parser)]
#[command(
    name = "orgdeck-server",
    version,
    about = "The orgdeck server: organizations and their settings over HTTP"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data directory, the database, the first organization and its admin.
    Init(CreateOrg),
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Serve the API.
    Serve(Serve),
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to standard output.
    Man,
    /// Recovery of an organization's administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Copy a SQLite deployment (the data directory's database) into an empty PostgreSQL database
    /// (`--database` / `ORGDECK_DATABASE_URL`), verified by each table's row count and checksum. The data
    /// directory must not be served meanwhile. Afterwards, serve with the database URL and the same secret
    /// key.
    MigrateToPostgres(Migrate),
}

#[derive(Args)]
struct Migrate {
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make EMAIL an admin who can log in, for an organization left with none (a new user, or an
    /// existing one of that organization unlocked and enabled with a new password). Audited as `system`.
    Create(CreateAdmin),
}

#[derive(Args)]
struct CreateAdmin {
    #[command(flatten)]
    common: Common,
    /// The organization's name.
    #[arg(long)]
    org: String,
    /// The admin's email (the login name).
    #[arg(long)]
    email: String,
    /// Generate the password and print it once, instead of reading it.
    #[arg(long)]
    generate_password: bool,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create one more organization with its admin.
    Create(CreateOrg),
}

#[derive(Args)]
struct Common {
    /// The data directory (default: the platform's data directory).
    #[arg(long, env = "ORGDECK_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// A TOML configuration file.
    #[arg(long, env = "ORGDECK_CONFIG")]
    config: Option<PathBuf>,
    /// A PostgreSQL database instead of the data directory's SQLite file (postgres://user@host/db), for
    /// several instances serving one deployment. A password never goes here (every user can read a
    /// command line): use ORGDECK_DATABASE_URL, `database` in the configuration file, or PGPASSWORD.
    #[arg(long, env = "ORGDECK_DATABASE_URL")]
    database: Option<String>,
    /// Log filter: error, warn, info, debug, trace, or a tracing directive.
    #[arg(long, env = "ORGDECK_LOG_LEVEL")]
    log_level: Option<String>,
}

#[derive(Args)]
struct CreateOrg {
    #[command(flatten)]
    common: Common,
    /// The organization's name.
    #[arg(long)]
    org: String,
    /// The admin's email (the login name).
    #[arg(long)]
    admin_email: String,
    /// Generate the admin password and print it once, instead of reading it.
    #[arg(long)]
    generate_password: bool,
}

#[derive(Args)]
struct Serve {
    #[command(flatten)]
    common: Common,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "ORGDECK_LISTEN")]
    listen: Option<SocketAddr>,
    /// PEM certificate chain; serves HTTPS together with --tls-key.
    #[arg(long, env = "ORGDECK_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "ORGDECK_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// A proxy (address or CIDR) whose X-Forwarded-For is believed; repeat for several.
    #[arg(long = "trusted-proxy", env = "ORGDECK_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    trusted_proxies: Vec<IpNet>,
    /// Where mail goes: outbox (one .eml file per message under <data-dir>/outbox; the default unless
    /// an SMTP host is set) or smtp.
    #[arg(long, env = "ORGDECK_MAIL_TRANSPORT")]
    mail_transport: Option<TransportKind>,
    /// The sender of mail: an address, or "Name <address>".
    #[arg(long, env = "ORGDECK_MAIL_FROM")]
    mail_from: Option<String>,
    /// The SMTP relay's host name.
    #[arg(long, env = "ORGDECK_SMTP_HOST")]
    smtp_host: Option<String>,
    /// The SMTP relay's port (default: 587 with starttls, 465 with tls, 25 with none).
    #[arg(long, env = "ORGDECK_SMTP_PORT")]
    smtp_port: Option<u16>,
    /// starttls (default), tls or none.
    #[arg(long, env = "ORGDECK_SMTP_SECURITY")]
    smtp_security: Option<SmtpSecurity>,
    /// The SMTP login name; its password comes only from ORGDECK_SMTP_PASSWORD or the config file.
    #[arg(long, env = "ORGDECK_SMTP_USERNAME")]
    smtp_username: Option<String>,
    /// Let integrations and webhooks reach loopback, private, link-local and shared addresses (never
    /// cloud metadata): for a demo or a closed network. --allow-private-targets alone means true.
    #[arg(long, env = "ORGDECK_ALLOW_PRIVATE_TARGETS", num_args = 0..=1, default_missing_value = "true",
          value_parser = clap::builder::BoolishValueParser::new())]
    allow_private_targets: Option<bool>,
    /// A host name, address or CIDR integrations may reach even though it is private; repeat for several.
    #[arg(long = "outbound-allow", env = "ORGDECK_OUTBOUND_ALLOWLIST", value_delimiter = ',', value_parser = parse_allow_entry)]
    outbound_allowlist: Vec<AllowEntry>,
}

fn parse_allow_entry(s: &str) -> Result<AllowEntry, String> {
    s.parse()
}

/// A CIDR, or a single address as its /32 or /128.
fn parse_net(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{s:?} is not an address or CIDR"))
}

/// A request allocates and frees dozens of small buffers (headers, JSON, the span); glibc's malloc spent
/// an eighth of the server's CPU time on them under load (perf, S1 round-robin), mimalloc far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orgdeck-server: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Init(args) => create_org(args, true),
        Command::Org {
            command: OrgCommand::Create(args),
        } => create_org(args, false),
        Command::Serve(args) => serve(args),
        Command::Admin {
            command: AdminCommand::Create(args),
        } => create_admin(args),
        Command::MigrateToPostgres(args) => migrate_to_postgres(args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "orgdeck-server", &mut std::io::stdout().lock());
            Ok(())
        }
        Command::Man => Ok(clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout().lock())?),
    }
}

/// The database of an operator command (PostgreSQL when configured, else the data directory's file),
/// with its logging set up (quiet unless asked).
fn operator_database(common: Common) -> anyhow::Result<orgs::Database> {
    let file = load_file(&common)?;
    init_logging(
        common
            .log_level
            .as_deref()
            .or(file.log_level.as_deref())
            .or(Some("warn")),
    )?;
    let url = database_url(&common, &file)?;
    let data_dir = match common.data_dir.or(file.data_dir) {
        Some(d) => d,
        None => config::default_data_dir()?,
    };
    Ok(orgs::Database::configured(&data_dir, url.as_deref()))
}

/// The PostgreSQL database configured by `--database`/`ORGDECK_DATABASE_URL` or the file; refuses a
/// password on the command line.
fn database_url(common: &Common, file: &FileConfig) -> anyhow::Result<Option<String>> {
    let from_env = std::env::var("ORGDECK_DATABASE_URL").ok();
    if let Some(url) = &common.database
        && from_env.as_deref() != Some(url.as_str())
        && orgdeck_server::store::postgres::config(url)
            .map(|c| c.get_password().is_some())
            .unwrap_or(false)
    {
        anyhow::bail!(
            "--database holds a password, which every user of this machine can read on a command line: put \
             the URL in ORGDECK_DATABASE_URL or `database` in the configuration file, or the password in \
             PGPASSWORD"
        );
    }
    Ok(common
        .database
        .clone()
        .or(file.database.clone())
        .filter(|u| !u.trim().is_empty()))
}

fn migrate_to_postgres(args: Migrate) -> anyhow::Result<()> {
    let file = load_file(&args.common)?;
    init_logging(
        args.common
            .log_level
            .as_deref()
            .or(file.log_level.as_deref())
            .or(Some("warn")),
    )?;
    let Some(url) = database_url(&args.common, &file)? else {
        anyhow::bail!("name the PostgreSQL database to copy into: ORGDECK_DATABASE_URL, --database or `database`");
    };
    let data_dir = match args.common.data_dir.clone().or(file.data_dir.clone()) {
        Some(d) => d,
        None => config::default_data_dir()?,
    };
    let report = orgdeck_server::migrate::to_postgres(&data_dir, &url, jiff::Timestamp::now())?;
    println!("Copied {} into {}:", data_dir.display(), report.target);
    let width = report.tables.iter().map(|t| t.table.len()).max().unwrap_or(0);
    for t in &report.tables {
        println!("  {:width$}  {:>9} rows  checksum {}", t.table, t.rows, t.checksum);
    }
    let rows: u64 = report.tables.iter().map(|t| t.rows).sum();
    println!(
        "{} tables, {rows} rows; every table's count and checksum are the same in both.",
        report.tables.len()
    );
    let key = data_dir.join(orgdeck_server::secret_box::KEY_FILE);
    if file.secret_key.is_none() && std::env::var_os("ORGDECK_SECRET_KEY").is_none() && key.exists() {
        println!(
            "The secrets are sealed with the key in {}: give it to every instance as ORGDECK_SECRET_KEY \
             (or `secret_key` in the configuration file).",
            key.display()
        );
    } else {
        println!("Serve every instance with the same secret key as before.");
    }
    Ok(())
}

fn create_admin(args: CreateAdmin) -> anyhow::Result<()> {
    let db = operator_database(args.common)?;
    let password = if args.generate_password {
        generate_password()
    } else {
        read_password()?
    };
    let done = orgs::recover_admin(&db, &args.org, &args.email, &password, &SystemClock)?;
    let email = args.email.trim().to_lowercase();
    if done.existing {
        println!(
            "{email} of {:?} is an admin again, active, with the new password",
            args.org
        );
    } else {
        println!("Created admin {email} in {:?}", args.org);
    }
    if args.generate_password {
        println!("Password (shown only now): {password}");
    }
    Ok(())
}

fn load_file(common: &Common) -> anyhow::Result<FileConfig> {
    match &common.config {
        Some(path) => Ok(FileConfig::load(path)?),
        None => Ok(FileConfig::default()),
    }
}

fn init_logging(level: Option<&str>) -> anyhow::Result<()> {
    let filter =
        tracing_subscriber::EnvFilter::try_new(level.unwrap_or("info")).context("--log-level is not a valid filter")?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Ok(())
}

fn create_org(args: CreateOrg, first: bool) -> anyhow::Result<()> {
    let db = operator_database(args.common)?;
    let existing = orgs::organization_count(&db)?;
    if first && existing > 0 {
        anyhow::bail!(
            "{} already holds {existing} organization(s); add one with `orgdeck-server org create`",
            db.describe()
        );
    }
    if !first && existing == 0 {
        anyhow::bail!(
            "{} holds no organization yet; start with `orgdeck-server init`",
            db.describe()
        );
    }
    let password = if args.generate_password {
        generate_password()
    } else {
        read_password()?
    };
    let created = init_org(&db, &args.org, &args.admin_email, &password, &SystemClock)?;
    println!(
        "Created organization {:?} ({}) in {}",
        args.org,
        created.org_id,
        db.describe()
    );
    println!("Admin: {}", args.admin_email.trim().to_lowercase());
    if args.generate_password {
        println!("Admin password (shown only now): {password}");
    }
    Ok(())
}

/// 24 characters from 62 letters and digits: about 143 bits.
fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The admin password: the first line of stdin when it is not a terminal, else typed twice.
fn read_password() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password).to_owned();
        anyhow::ensure!(
            !password.is_empty(),
            "no password on stdin (or use --generate-password)"
        );
        return Ok(password);
    }
    let first = rpassword::prompt_password("Admin password (at least 15 characters): ")?;
    let second = rpassword::prompt_password("Repeat it: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(first)
}

fn serve(args: Serve) -> anyhow::Result<()> {
    let file = load_file(&args.common)?;
    init_logging(args.common.log_level.as_deref().or(file.log_level.as_deref()))?;
    let database = database_url(&args.common, &file)?;
    let overrides = Overrides {
        data_dir: args.common.data_dir,
        database,
        listen: args.listen,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        trusted_proxies: args.trusted_proxies,
        // A secret never comes from the command line (argv is visible to every user): only from the
        // environment, the config file, or the data directory's `secret.key`.
        secret_key: std::env::var("ORGDECK_SECRET_KEY").ok(),
        mail: MailOverrides {
            transport: args.mail_transport,
            from: args.mail_from,
            smtp_host: args.smtp_host,
            smtp_port: args.smtp_port,
            smtp_security: args.smtp_security,
            smtp_username: args.smtp_username,
            // Like the secret key: never a flag.
            smtp_password: std::env::var("ORGDECK_SMTP_PASSWORD").ok().map(Secret::new),
        },
        allow_private_targets: args.allow_private_targets,
        outbound_allowlist: args.outbound_allowlist,
    };
    let mut config = config::resolve(overrides, file)?;
    config.clock = Arc::new(SystemClock);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let db = orgs::Database::configured(&config.data_dir, config.database.as_deref());
        let handle = orgdeck_server::spawn(config).await?;
        if orgs::organization_count(&db)? == 0 {
            tracing::warn!(
                database = %db.describe(),
                "no organization yet: create one with `orgdeck-server init`"
            );
        }
        println!("orgdeck server listening on {}", handle.base_url());
        shutdown_signal().await;
        tracing::info!("shutting down");
        handle.shutdown().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
