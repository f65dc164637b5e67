//! A PostgreSQL server for tests (the `testkit` feature), found in this order:
//! 1. `ORGDECK_TEST_PG_URL` (a libpq connection string or URL of a server where the user may create
//!    databases);
//! 2. a throwaway cluster started from the system's binaries (`pg_config --bindir`, else
//!    `/usr/lib/postgresql/*/bin`), once per test process: `initdb` in a temporary directory (as the
//!    `postgres` user through `setpriv` when the process is root, since `initdb` refuses root), `postgres`
//!    listening on a Unix socket in that directory only (parallel test processes never share a port), with
//!    `fsync` off; it is stopped and its directory removed when the process exits;
//! 3. none: [`server`] answers `None`, and each PostgreSQL test says it was skipped, unless
//!    `ORGDECK_REQUIRE_PG=1` (CI sets it), which makes that a failure.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Mutex, OnceLock},
    time::{Duration, Instant},
};

/// Where tests reach PostgreSQL: a connection string to which `dbname=...` may be appended.
#[derive(Debug, Clone)]
pub struct PgTestServer {
    /// Without a database name.
    pub conninfo: String,
}

struct Cluster {
    child: Child,
    dir: PathBuf,
}

static SERVER: OnceLock<Option<PgTestServer>> = OnceLock::new();
static DURABLE: OnceLock<Result<PgTestServer, String>> = OnceLock::new();
static CLUSTERS: Mutex<Vec<Cluster>> = Mutex::new(Vec::new());

/// The PostgreSQL server tests use, started on first use; `None` when there is none (see the module).
pub fn server() -> Option<&'static PgTestServer> {
    let found = SERVER.get_or_init(|| match std::env::var("ORGDECK_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(PgTestServer {
            conninfo: strip_dbname(url.trim()),
        }),
        _ => match start_cluster(false) {
            Ok(server) => Some(server),
            Err(why) => {
                eprintln!("no PostgreSQL for tests: {why}");
                None
            }
        },
    });
    if found.is_none() && std::env::var("ORGDECK_REQUIRE_PG").is_ok_and(|v| v == "1") {
        panic!("ORGDECK_REQUIRE_PG=1 but no PostgreSQL: set ORGDECK_TEST_PG_URL or install PostgreSQL (initdb)");
    }
    if found.is_none() {
        eprintln!("SKIPPED (no PostgreSQL: set ORGDECK_TEST_PG_URL or install postgresql)");
    }
    found.as_ref()
}

/// A PostgreSQL server that keeps what it commits (`fsync` and full-page writes on, the defaults), for the
/// benchmark's durable-write figures: `ORGDECK_BENCH_PG_URL` when set, else a cluster of its own started
/// from the system's binaries as [`server`]'s is, stopped when the process exits.
pub fn durable_server() -> Result<&'static PgTestServer, String> {
    DURABLE
        .get_or_init(|| match std::env::var("ORGDECK_BENCH_PG_URL") {
            Ok(url) if !url.trim().is_empty() => Ok(PgTestServer {
                conninfo: strip_dbname(url.trim()),
            }),
            _ => start_cluster(true),
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A URL's or key-value string's `dbname` is chosen per test: a key-value string keeps the rest.
fn strip_dbname(conninfo: &str) -> String {
    if conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://") {
        // host and port of the URL as key-value pairs are not needed: tokio-postgres takes URLs, and a
        // database is chosen by replacing the path.
        match conninfo.split_once('?') {
            Some((base, query)) => format!("{}?{query}", base.rsplit_once('/').map_or(base, |(b, _)| b)),
            None => conninfo.rsplit_once('/').map_or(conninfo, |(b, _)| b).to_owned(),
        }
    } else {
        conninfo
            .split_whitespace()
            .filter(|kv| !kv.starts_with("dbname="))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl PgTestServer {
    /// The connection string of database `name`.
    pub fn database(&self, name: &str) -> String {
        if self.conninfo.starts_with("postgres://") || self.conninfo.starts_with("postgresql://") {
            match self.conninfo.split_once('?') {
                Some((base, query)) => format!("{base}/{name}?{query}"),
                None => format!("{}/{name}", self.conninfo),
            }
        } else {
            format!("{} dbname={name}", self.conninfo)
        }
    }

    /// A new, empty database of its own, named `t_<random>`: its connection string.
    pub async fn fresh_database(&self) -> String {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        connect(&self.database("postgres"))
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("a test database");
        self.database(&name)
    }
}

/// Where PostgreSQL's programs are.
fn bindir() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no PostgreSQL installation (/usr/lib/postgresql: {e})"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().ok_or_else(|| "no initdb under /usr/lib/postgresql".into())
}

/// Runs a PostgreSQL program, as the `postgres` user when this process is root. `setpriv` execs the
/// program in its own process, so the child's pid is the server's (a signal reaches it, not a wrapper).
fn program(bin: &Path, name: &str, as_postgres: bool) -> Command {
    if as_postgres {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups", "--"])
            .arg(bin.join(name));
        c
    } else {
        Command::new(bin.join(name))
    }
}

/// Starts a cluster in a temporary directory; `durable` keeps PostgreSQL's defaults (every commit synced),
/// else syncing is off (tests need no crash safety from it).
fn start_cluster(durable: bool) -> Result<PgTestServer, String> {
    start_cluster_with(durable, None).map(|(server, _)| server)
}

/// A cluster of its own that takes TCP connections on 127.0.0.1 with TLS only (`cert` and `key`, PEM),
/// refusing them unencrypted; its Unix socket stays open without TLS for the test's own setup. The
/// server for setup, and the TCP port.
pub fn start_tls_cluster(cert: &Path, key: &Path) -> Result<(PgTestServer, u16), String> {
    let (server, port) = start_cluster_with(false, Some((cert, key)))?;
    Ok((server, port.ok_or("no TCP port")?))
}

fn start_cluster_with(durable: bool, tls: Option<(&Path, &Path)>) -> Result<(PgTestServer, Option<u16>), String> {
    let bin = bindir()?;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let dir = std::env::temp_dir().join(format!("orgdeck-pg-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if root {
        let status = Command::new("chown")
            .args(["postgres:", &dir.to_string_lossy()])
            .status()
            .map_err(|e| format!("chown: {e}"))?;
        if !status.success() {
            return Err(format!("chown postgres: {} failed", dir.display()));
        }
    }
    let data = dir.join("data");
    let out = program(&bin, "initdb", root)
        .args(["-D", &data.to_string_lossy()])
        .args([
            "-A",
            "trust",
            "-U",
            "orgdeck",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let mut tcp = Vec::new();
    let mut port = None;
    if let Some((cert, key)) = tls {
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        port = Some(free);
        for (from, to) in [(cert, "server.crt"), (key, "server.key")] {
            std::fs::copy(from, data.join(to)).map_err(|e| format!("{}: {e}", from.display()))?;
        }
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .map_err(|e| format!("pg_hba.conf: {e}"))?;
        if root {
            let owned = Command::new("chown")
                .args(["-R", "postgres:", &data.to_string_lossy()])
                .status()
                .is_ok_and(|s| s.success());
            if !owned {
                return Err("chown of the cluster's files failed".into());
            }
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(data.join("server.key"), std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("server.key: {e}"))?;
        tcp = vec![
            "-c".to_owned(),
            "listen_addresses=127.0.0.1".to_owned(),
            "-p".to_owned(),
            free.to_string(),
            "-c".to_owned(),
            "ssl=on".to_owned(),
        ];
    } else {
        tcp.extend(["-c".to_owned(), "listen_addresses=".to_owned()]);
    }
    let child = program(&bin, "postgres", root)
        .args(["-D", &data.to_string_lossy()])
        .args(["-k", &dir.to_string_lossy()])
        .args(&tcp)
        .args(match durable {
            true => &[][..],
            false => &["-c", "fsync=off", "-c", "full_page_writes=off"][..],
        })
        .args(["-c", "max_connections=200"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("postgres: {e}"))?;
    let mut clusters = CLUSTERS.lock().unwrap_or_else(|p| p.into_inner());
    if clusters.is_empty() {
        // SAFETY: `stop_clusters` is an `extern "C" fn()` that does not unwind.
        unsafe {
            libc::atexit(stop_clusters);
        }
    }
    clusters.push(Cluster {
        child,
        dir: dir.clone(),
    });
    drop(clusters);
    let socket = dir.join(format!(".s.PGSQL.{}", port.unwrap_or(5432)));
    let start = Instant::now();
    while !socket.exists() {
        if start.elapsed() > Duration::from_secs(30) {
            return Err("the test PostgreSQL did not start within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The socket exists a moment before connections are accepted; the first connect retries.
    Ok((
        PgTestServer {
            conninfo: format!(
                "host={} port={} user=orgdeck connect_timeout=10",
                dir.display(),
                port.unwrap_or(5432)
            ),
        },
        port,
    ))
}

extern "C" fn stop_clusters() {
    let clusters = CLUSTERS.lock().map(|mut c| std::mem::take(&mut *c)).unwrap_or_default();
    for mut c in clusters {
        // SIGINT: PostgreSQL's fast shutdown.
        // SAFETY: kill with a pid this process started.
        unsafe {
            libc::kill(c.child.id() as libc::pid_t, libc::SIGINT);
        }
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            if let Ok(Some(_)) = c.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.child.kill();
        let _ = std::fs::remove_dir_all(&c.dir);
    }
}

/// A client of `conninfo`, retried while the server is still starting.
pub async fn connect(conninfo: &str) -> tokio_postgres::Client {
    let start = Instant::now();
    loop {
        match tokio_postgres::connect(conninfo, tokio_postgres::NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(connection);
                return client;
            }
            Err(e) if start.elapsed() < Duration::from_secs(30) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("cannot connect to the test PostgreSQL: {e}"),
        }
    }
}
