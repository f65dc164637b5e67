//! The benchmark harness: prints each figure of PERFORMANCE.md it can measure, with its bar.
//!
//! `cargo run --release -p orgdeck-tests --bin bench [-- --only S1,T1] [--seconds N] [--strict]`
//!
//! Every figure is a ratio against a reference measured in the same run, or a count (bytes, rows, CPU time
//! of one process); absolute times are printed beside them for context only. Every figure is measured on
//! the shipped defaults. A figure that cannot be read (e.g. `/proc` refuses) is printed as not measured.

use std::{
    net::SocketAddr,
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Empty};
use hyper::{Request, body::Bytes};
use hyper_util::rt::TokioIo;
use orgdeck::bench::{Cause, FrameCost, cursor_moves, moves_across_the_table};
use orgdeck_shared::routes;
use orgdeck_tests::{
    fixture::{ADMIN_EMAIL, ADMIN_PASSWORD, TestServer},
    pty::{PtyApp, console_binary, peak_rss},
};
use process::process_cpu;
use ratatui::crossterm::event::KeyCode;
use tokio::net::TcpStream;

mod fanout;
mod idle;
mod memory;
mod process;
mod server_cpu;
mod slow;
mod writes;

use fanout::s9_fanout;
use idle::s7_idle_connections;
use memory::s6_server_memory;
use server_cpu::s1_server_cpu_per_request;
use slow::t6_keys_while_in_flight;
use writes::s4_settings_writes;

const CONCURRENCY: usize = 64;
/// The shortest measured round of the alternating figures (S1, S4).
const MIN_ROUND_SECS: f64 = 3.0;

#[derive(Clone, Copy)]
enum Bar {
    AtLeast(f64),
    AtMost(f64),
}

struct Figure {
    id: &'static str,
    what: &'static str,
    value: f64,
    bar: Bar,
    context: String,
}

impl Figure {
    /// A figure that could not be measured, saying why: it never passes.
    fn not_measured(id: &'static str, what: &'static str, bar: Bar, why: String) -> Figure {
        Figure {
            id,
            what,
            value: f64::NAN,
            bar,
            context: format!("not measured: {why}"),
        }
    }

    /// The same figure measured on PostgreSQL: S8, naming the figure it repeats.
    fn on_postgres(mut self) -> Figure {
        self.context = format!("{} on PostgreSQL: {}", self.id, self.context);
        self.id = "S8";
        self
    }

    fn measured(&self) -> bool {
        !self.value.is_nan()
    }

    fn passes(&self) -> bool {
        match self.bar {
            Bar::AtLeast(b) => self.value >= b,
            Bar::AtMost(b) => self.value <= b,
        }
    }

    fn print(&self) {
        let bar = match self.bar {
            Bar::AtLeast(b) => format!(">= {b}"),
            Bar::AtMost(b) => format!("<= {b}"),
        };
        let verdict = match (self.measured(), self.passes()) {
            (false, _) => "unmeasured",
            (true, true) => "pass",
            (true, false) => "falls short",
        };
        println!(
            "{:<3} {:<52} {:>10.4}  bar {:<8} {:<11} {}",
            self.id, self.what, self.value, bar, verdict, self.context
        );
    }
}

struct Options {
    only: Option<Vec<String>>,
    seconds: f64,
    strict: bool,
}

impl Options {
    fn parse() -> Result<Self> {
        let mut opts = Options {
            only: None,
            seconds: 3.0,
            strict: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--only" => {
                    let list = args.next().context("--only takes a list like S1,T1")?;
                    opts.only = Some(list.split(',').map(|s| s.trim().to_uppercase()).collect());
                }
                "--seconds" => opts.seconds = args.next().context("--seconds takes a number")?.parse()?,
                "--strict" => opts.strict = true,
                "-h" | "--help" => {
                    println!(
                        "bench [--only S1,S2,S3,S4,S5,S6,S7,S8,S9,T1,T2,T3,T4,T5,T6 (S8/S2: one figure of S8)] [--seconds N (load duration, default 3)] [--strict]"
                    );
                    std::process::exit(0);
                }
                other => bail!("unknown argument {other:?} (see --help)"),
            }
        }
        Ok(opts)
    }

    fn wants(&self, id: &str) -> bool {
        self.only.as_ref().is_none_or(|ids| {
            ids.iter()
                .any(|i| i == id || i.split_once('/').is_some_and(|(of, _)| of == id))
        })
    }

    /// Whether S8 (on PostgreSQL) is to repeat `figure`: all three with `--only S8`, one with `--only S8/S4`.
    fn wants_on_postgres(&self, figure: &str) -> bool {
        self.only.as_ref().is_none_or(|ids| {
            ids.iter()
                .any(|i| i == "S8" || i.split_once('/') == Some(("S8", figure)))
        })
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let opts = Options::parse()?;
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; the bars are for release builds (cargo run --release ...)");
    }
    println!("id  figure{:47} value       bar          verdict     context", "");
    let mut figures = Vec::new();
    let mut report = |measured: Vec<Figure>| {
        for figure in measured {
            figure.print();
            figures.push(figure);
        }
    };
    if opts.wants("S1") {
        report(vec![s1_server_cpu_per_request(&opts).await?]);
    }
    if opts.wants("S2") {
        report(vec![s2_users_search_latency(None).await?]);
    }
    if opts.wants("S3") {
        report(s3_audit_search_latency(None).await?);
    }
    if opts.wants("S4") {
        report(vec![s4_settings_writes(&opts, None).await?]);
    }
    if opts.wants("S5") {
        report(vec![s5_login_latency().await?]);
    }
    if opts.wants("S6") {
        report(vec![s6_server_memory(&opts).await?]);
    }
    if opts.wants("S7") {
        report(s7_idle_connections(&opts).await?);
    }
    if opts.wants("S8") {
        report(s8_postgres(&opts).await?);
    }
    if opts.wants("S9") {
        report(vec![s9_fanout().await?]);
    }
    if opts.wants("T1") || opts.wants("T4") {
        report(console_figures(&opts).await?);
    }
    if opts.wants("T2") || opts.wants("T3") {
        report(users_table_figures(&opts)?);
    }
    if opts.wants("T5") {
        report(vec![t5_console_memory().await?]);
    }
    if opts.wants("T6") {
        report(vec![t6_keys_while_in_flight().await?]);
    }
    let unmeasured = figures.iter().filter(|f| !f.measured()).count();
    let short = figures.iter().filter(|f| f.measured() && !f.passes()).count();
    println!(
        "{} figures, {} pass, {} fall short, {} could not be measured",
        figures.len(),
        figures.len() - short - unmeasured,
        short,
        unmeasured
    );
    if opts.strict && short + unmeasured > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// `CONCURRENCY` keep-alive connections, each sending GETs of `paths` in turn (each connection starting at
/// another one) for a warm-up and then `duration`: what they did in that window, and the CPU time that the
/// process `server` used in it.
async fn load_round_robin(
    addr: SocketAddr,
    paths: &[String],
    token: Option<&str>,
    duration: Duration,
    server: Option<u32>,
) -> Result<Window> {
    let meter = Meter::default();
    let mut workers = Vec::new();
    for i in 0..CONCURRENCY {
        let mut sender = http1_connection(addr).await?;
        let meter = meter.clone();
        let paths = paths.to_vec();
        let auth = token.map(|t| format!("Bearer {t}"));
        workers.push(tokio::spawn(async move {
            for path in paths.iter().cycle().skip(i) {
                if !meter.running() {
                    break;
                }
                let mut req = Request::get(path).header("host", addr.to_string());
                if let Some(auth) = &auth {
                    req = req.header("authorization", auth);
                }
                let resp = sender.send_request(req.body(Empty::<Bytes>::new())?).await?;
                let status = resp.status();
                resp.into_body().collect().await?;
                if !status.is_success() {
                    bail!("GET {path} answered {status}");
                }
                meter.record();
            }
            Ok(())
        }));
    }
    meter.window(duration, workers, server).await
}

/// A keep-alive HTTP/1.1 client connection to `addr`, its connection task running.
async fn http1_connection<B>(addr: SocketAddr) -> Result<hyper::client::conn::http1::SendRequest<B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

/// What the workers of a load share: whether to go on, and the count of what they did in the window.
#[derive(Clone, Default)]
struct Meter(Arc<MeterState>);

#[derive(Default)]
struct MeterState {
    done: AtomicU64,
    counting: AtomicBool,
    stop: AtomicBool,
}

impl Meter {
    fn running(&self) -> bool {
        !self.0.stop.load(Ordering::Relaxed)
    }

    /// One request done; it counts only inside the measured window.
    fn record(&self) {
        if self.0.counting.load(Ordering::Relaxed) {
            self.0.done.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Lets `workers` warm up for 500 ms, counts over `duration` (with the CPU time the process `server`
    /// used meanwhile, when given), then stops them.
    async fn window(
        self,
        duration: Duration,
        workers: Vec<tokio::task::JoinHandle<Result<()>>>,
        server: Option<u32>,
    ) -> Result<Window> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let cpu_before = server.map(process_cpu).transpose();
        self.0.counting.store(true, Ordering::Relaxed);
        let start = Instant::now();
        tokio::time::sleep(duration).await;
        let done = self.0.done.load(Ordering::Relaxed);
        let elapsed = start.elapsed();
        let cpu_after = server.map(process_cpu).transpose();
        self.0.stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await??;
        }
        let cpu = match (cpu_before?, cpu_after?) {
            (Some(before), Some(after)) => Some(after.saturating_sub(before)),
            _ => None,
        };
        Ok(Window { done, elapsed, cpu })
    }
}

/// What a load did in its measured window.
struct Window {
    done: u64,
    elapsed: Duration,
    /// CPU time of the measured server process in the window.
    cpu: Option<Duration>,
}

impl Window {
    fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }
}

/// Name searches of the kind people type: prefixes of first names, last names, "first last", emails.
const USER_SEARCHES: [&str; 16] = [
    "mar", "maria", "maria g", "garcia", "zh", "zhang", "smith", "jo", "john.", "van der", "chen", "sven o", "tanaka",
    "lee", "s", "priya.p",
];

/// S2: p99 latency of a 50-row users page with a name search, 100,000 users in the organization. One client
/// at a time: this is the latency a person paging the console sees, not a figure under load.
/// S8: S2, S3 and S4 again with the server on PostgreSQL (a local cluster that syncs every commit, or
/// `ORGDECK_BENCH_PG_URL`), each in a fresh database, with the same bars.
async fn s8_postgres(opts: &Options) -> Result<Vec<Figure>> {
    let pg = match orgdeck_server::pg_test::durable_server() {
        Ok(pg) => pg,
        Err(why) => {
            let why = format!("no PostgreSQL ({why}): install postgresql or set ORGDECK_BENCH_PG_URL");
            return Ok(vec![Figure::not_measured(
                "S8",
                "S2, S3, S4 on PostgreSQL",
                Bar::AtMost(0.0),
                why,
            )]);
        }
    };
    let mut figures = Vec::new();
    if opts.wants_on_postgres("S2") {
        figures.push(s2_users_search_latency(Some(pg.fresh_database().await)).await?);
    }
    if opts.wants_on_postgres("S3") {
        figures.extend(s3_audit_search_latency(Some(pg.fresh_database().await)).await?);
    }
    if opts.wants_on_postgres("S4") {
        figures.push(s4_settings_writes(opts, Some(pg.fresh_database().await)).await?);
    }
    Ok(figures.into_iter().map(Figure::on_postgres).collect())
}

/// S2 (S8 when `database` names a PostgreSQL database).
async fn s2_users_search_latency(database: Option<String>) -> Result<Figure> {
    let users = 100_000;
    let server = TestServer::start_on(database, Arc::new(orgdeck_server::SystemClock), |_| {}).await?;
    let seeding = Instant::now();
    orgdeck_server::seed_users(&server.database, server.org.org_id, users, server.clock.as_ref())?;
    let seeded_in = seeding.elapsed();
    let token = server.admin_token().await?;
    let mut times = Vec::new();
    let mut by_term: Vec<Vec<Duration>> = vec![Vec::new(); USER_SEARCHES.len()];
    for round in 0..20 {
        for (term, q) in USER_SEARCHES.iter().enumerate() {
            let url = format!("{}?q={}&limit=50", server.url(routes::USERS), q.replace(' ', "%20"));
            let start = Instant::now();
            let resp = server.http.get(&url).bearer_auth(&token).send().await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            if round > 0 {
                times.push(start.elapsed()); // the first round warms the caches
                by_term[term].push(start.elapsed());
            }
            if !status.is_success() {
                bail!("GET users?q={q} answered {status}: {}", String::from_utf8_lossy(&body));
            }
        }
    }
    server.stop().await;
    times.sort();
    let p99 = times[(times.len() * 99).div_ceil(100) - 1];
    let p50 = times[times.len() / 2];
    // The terms that take longest, by their median: where to look when the figure moves.
    let mut terms: Vec<(Duration, &str)> = by_term
        .iter_mut()
        .zip(USER_SEARCHES)
        .map(|(t, q)| (median_at(t, 0.5), q))
        .collect();
    terms.sort_by(|a, b| b.cmp(a));
    let slowest = terms
        .iter()
        .take(3)
        .map(|(t, q)| format!("\"{q}\" {t:.1?}"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Figure {
        id: "S2",
        what: "users page p99, name search, 100,000 users (ms)",
        value: p99.as_secs_f64() * 1000.0,
        bar: Bar::AtMost(10.0),
        context: format!(
            "p50 {p50:.1?}, {} requests by one client over {} search terms (slowest by median: {slowest}); seeded \
             in {seeded_in:.1?}",
            times.len(),
            USER_SEARCHES.len()
        ),
    })
}

/// Audit keywords of the kind people search for: actions, names, ids, and one that matches nothing.
const AUDIT_SEARCHES: [&str; 7] = [
    "login",
    "maria",
    "session.end",
    "user-4242",
    "sven.",
    "ximena",
    "nothing-matches-this",
];

/// S3: p99 latency of an audit search (keyword and a 30-day range, first page) over 1,000,000 entries, over
/// HTTP and, as the reference, the same searches run directly on the store in the same process. One client.
async fn s3_audit_search_latency(database: Option<String>) -> Result<Vec<Figure>> {
    use orgdeck_server::store::{AuditFilter, Store, postgres::PgStore, sqlite::SqliteStore};
    let entries = 1_000_000;
    let server = TestServer::start_on(database.clone(), Arc::new(orgdeck_server::SystemClock), |_| {}).await?;
    let seeding = Instant::now();
    orgdeck_server::seed_audit(&server.database, server.org.org_id, entries, server.clock.as_ref())?;
    let seeded_in = seeding.elapsed();
    let token = server.admin_token().await?;
    let store: Arc<dyn Store> = match &database {
        Some(url) => Arc::new(PgStore::open(url, server.clock.now()).await?),
        None => Arc::new(SqliteStore::open(server.data_dir.path(), server.clock.now()).await?),
    };
    let now = server.clock.now();
    let (mut http, mut direct) = (Vec::new(), Vec::new());
    for round in 0..21i64 {
        for (i, q) in AUDIT_SEARCHES.iter().enumerate() {
            let to = now.checked_sub(jiff::SignedDuration::from_hours(24 * (i as i64 * 40 + round)))?;
            let from = to.checked_sub(jiff::SignedDuration::from_hours(24 * 30))?;
            let url = format!("{}?q={q}&from={from}&to={to}&limit=50", server.url(routes::AUDIT));
            let start = Instant::now();
            let resp = server.http.get(&url).bearer_auth(&token).send().await?;
            let status = resp.status();
            resp.bytes().await?;
            let over_http = start.elapsed();
            if !status.is_success() {
                bail!("GET audit?q={q} answered {status}");
            }
            let filter = AuditFilter {
                keyword: Some(q.to_string()),
                from: Some(from),
                to: Some(to),
                before: None,
                limit: 50,
            };
            let start = Instant::now();
            store.audit_search(server.org.org_id, &filter).await?;
            let on_store = start.elapsed();
            if round > 0 {
                http.push(over_http); // round 0 warms the caches
                direct.push(on_store);
            }
        }
    }
    server.stop().await;
    let n = http.len();
    let (http_p99, direct_p99) = (median_at(&mut http, 0.99), median_at(&mut direct, 0.99));
    let context = format!(
        "over HTTP p99 {http_p99:.1?}, on the store p99 {direct_p99:.1?}; {n} searches by one client; {entries} entries seeded in {seeded_in:.1?}"
    );
    Ok(vec![
        Figure {
            id: "S3",
            what: "audit search p99 over HTTP / on the store",
            value: http_p99.as_secs_f64() / direct_p99.as_secs_f64(),
            bar: Bar::AtMost(2.0),
            context: context.clone(),
        },
        Figure {
            id: "S3",
            what: "audit search p99, keyword + 30 days, 1M entries (ms)",
            value: http_p99.as_secs_f64() * 1000.0,
            bar: Bar::AtMost(25.0),
            context,
        },
    ])
}

/// S5: login latency against one argon2id verify of the same stored hash (same parameters).
async fn s5_login_latency() -> Result<Figure> {
    let server = TestServer::start().await?;
    let hash = orgdeck_server::password_hash_of(server.data_dir.path(), ADMIN_EMAIL)?;
    let rounds = 15;
    server.admin_token().await?; // warm the connection pool
    // Alternate the two so that noise from other work on the machine hits both alike.
    let (mut logins, mut verifies) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        server.admin_token().await?;
        logins.push(start.elapsed());
        let hash = hash.clone();
        let start = Instant::now();
        let ok = tokio::task::spawn_blocking(move || orgdeck_server::verify_password(&hash, ADMIN_PASSWORD)).await?;
        verifies.push(start.elapsed());
        if !ok {
            bail!("the admin's stored hash did not verify");
        }
    }
    server.stop().await;
    let (login, verify) = (median(&mut logins), median(&mut verifies));
    Ok(Figure {
        id: "S5",
        what: "login latency / one argon2id verify",
        value: login.as_secs_f64() / verify.as_secs_f64(),
        bar: Bar::AtMost(1.2),
        context: format!("login p50 {login:.1?}, verify p50 {verify:.1?}, {rounds} rounds"),
    })
}

/// How long T4 watches the idle console.
const IDLE_FOR: Duration = Duration::from_secs(60);

/// T1 (start to the first frame with data) and T4 (CPU of the whole process over 60 s idle) on the real
/// console binary.
async fn console_figures(opts: &Options) -> Result<Vec<Figure>> {
    let bin = build_console()?;
    let server = TestServer::start().await?;
    let token = server.admin_token().await?;
    let home = ConsoleHome::new(&bin, &server, &token)?;
    let env_with_token = home.env();
    let runs = 5;
    let mut starts = Vec::new();
    let mut idle = None;
    for run in 0..runs {
        let start = Instant::now();
        let mut app = PtyApp::spawn(&bin, &["--profile", "bench"], &env_with_token, 80, 24)?;
        // "Created" is on screen once the General tab holds the organization's data.
        app.wait_for("Created", Duration::from_secs(20))?;
        starts.push(start.elapsed());
        if run == 0 && opts.wants("T4") {
            idle = Some(t4_idle_cpu(app.pid()).await);
        }
        app.send(b"q")?;
        let _ = app.wait_exit(Duration::from_secs(5));
    }
    server.stop().await;
    let mut figures = Vec::new();
    if opts.wants("T1") {
        let t1 = median(&mut starts);
        figures.push(Figure {
            id: "T1",
            what: "start to first frame with data (ms, local server)",
            value: t1.as_secs_f64() * 1000.0,
            bar: Bar::AtMost(150.0),
            context: format!("median of {runs} starts in an 80x24 pty"),
        });
    }
    figures.extend(idle);
    Ok(figures)
}

/// T4: the CPU time (utime + stime of `/proc/PID/stat`: every thread, ended ones included) of the console
/// process `pid` over [`IDLE_FOR`] after its first frame. Anything that stops the reading becomes a
/// figure saying it could not be measured.
async fn t4_idle_cpu(pid: Option<u32>) -> Figure {
    let (what, bar) = ("console CPU over 60 s idle (% of a core)", Bar::AtMost(0.1));
    let Some(pid) = pid else {
        return Figure::not_measured("T4", what, bar, "the console's process id is unknown".into());
    };
    tokio::time::sleep(Duration::from_millis(200)).await; // let the first frame settle
    let before = process_cpu(pid);
    let start = Instant::now();
    tokio::time::sleep(IDLE_FOR).await;
    let (after, wall) = (process_cpu(pid), start.elapsed());
    match (before, after) {
        (Ok(before), Ok(after)) => {
            let cpu = after.saturating_sub(before);
            Figure {
                id: "T4",
                what,
                value: cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
                bar,
                context: format!(
                    "{cpu:.2?} CPU over {wall:.1?} after the first frame, whole process from /proc/{pid}/stat \
                     ({}); the console follows the live-update stream from login, so it is connected \
                     (its 15 s keep-alive arrives and wakes nothing but the reading task)",
                    process::cpu_unit()
                ),
            }
        }
        (Err(e), _) | (_, Err(e)) => Figure::not_measured("T4", what, bar, format!("{e:#}")),
    }
}

/// T2 (update + draw of every frame of moves across a 100,000-row users table) and T3 (bytes written to
/// the terminal per byte of the cells that changed, for one cursor move), on the console's own code and
/// backend in this process, with pages answered in-process one by one, each its own frame.
fn users_table_figures(opts: &Options) -> Result<Vec<Figure>> {
    let rows = 100_000;
    let mut figures = Vec::new();
    if opts.wants("T2") {
        let (w, h) = (120, 40);
        let frames = moves_across_the_table(rows, w, h)?;
        let of = |keep: &dyn Fn(&Cause) -> bool| -> Vec<Duration> {
            frames.iter().filter(|f| keep(&f.cause)).map(|f| f.time).collect()
        };
        let mut all = of(&|_| true);
        let mut keys = of(&|c| matches!(c, Cause::Key(_)));
        let mut arrivals = of(&|c| *c == Cause::PageArrival);
        let count = |code| frames.iter().filter(|f| f.cause == Cause::Key(code)).count();
        let p99 = median_at(&mut all, 0.99);
        figures.push(Figure {
            id: "T2",
            what: "update + draw of a move across the table, p99 (ms)",
            value: p99.as_secs_f64() * 1000.0,
            bar: Bar::AtMost(1.0),
            context: format!(
                "{} frames at {w}x{h} in a {rows}-row table: {} PageDown (top to last row), g, G, and G on a fresh \
                 table, with {} page arrivals; p50 {:.2?}; p99 of key frames {:.2?}, of page arrivals {:.2?}; slowest \
                 {:.2?} (wall clock: time other processes take the CPU counts too); drawn as the console draws (its \
                 backend, synchronized output) into memory",
                all.len(),
                count(KeyCode::PageDown),
                arrivals.len(),
                median_at(&mut all, 0.5),
                median_at(&mut keys, 0.99),
                median_at(&mut arrivals, 0.99),
                all[all.len() - 1],
            ),
        });
    }
    if opts.wants("T3") {
        let (w, h, moves) = (80, 24, 500);
        let frames = cursor_moves(rows, w, h, moves);
        let sum = |f: fn(&FrameCost) -> usize| frames.iter().map(|fr| f(&fr.cost)).sum::<usize>();
        let (bytes, cell_bytes, cells) = (sum(|c| c.bytes), sum(|c| c.cell_bytes), sum(|c| c.cells));
        figures.push(Figure {
            id: "T3",
            what: "bytes written / bytes of changed cells, one move",
            value: bytes as f64 / cell_bytes as f64,
            bar: Bar::AtMost(2.0),
            context: format!(
                "{bytes} bytes written (synchronized-output markers included) for {cells} changed cells of \
                 {cell_bytes} bytes, {moves} presses of j at {w}x{h} in {} frames (page arrivals included)",
                frames.len()
            ),
        });
    }
    Ok(figures)
}

/// T5: peak RSS of the real console binary after walking a 100,000-user table from the first row to the last.
async fn t5_console_memory() -> Result<Figure> {
    let bin = build_console()?;
    let server = TestServer::start().await?;
    orgdeck_server::seed_users(
        server.data_dir.path(),
        server.org.org_id,
        100_000,
        server.clock.as_ref(),
    )?;
    let token = server.admin_token().await?;
    let home = ConsoleHome::new(&bin, &server, &token)?;
    let env = home.env();
    let mut app = PtyApp::spawn(&bin, &["--profile", "bench"], &env, 80, 24)?;
    app.wait_for("Created", Duration::from_secs(20))?;
    app.send(b"2")?; // the Users tab
    app.wait_for("1/100+", Duration::from_secs(20))?;
    app.send(b"G")?; // to the last row: the table pages through all of them
    let walked = app.wait_until(
        "the cursor on the last of 100,001 users",
        Duration::from_secs(120),
        |screen| screen.contains("100001/100001"),
    )?;
    let pid = app.pid().context("console pid")?;
    let peak = peak_rss(pid)?;
    app.send(b"q")?;
    let _ = app.wait_exit(Duration::from_secs(5));
    server.stop().await;
    Ok(Figure {
        id: "T5",
        what: "console peak RSS, 100,000-row users table (MiB)",
        value: peak as f64 / (1024.0 * 1024.0),
        bar: Bar::AtMost(40.0),
        context: format!("the release binary at 80x24 after G walked to the last row in {walked:.1?}"),
    })
}

/// A console's own config and data directories holding the profile `bench` for `server`, and the
/// environment that points the console at them with `token` as its session.
struct ConsoleHome {
    _dir: tempfile::TempDir,
    env: Vec<(&'static str, String)>,
}

impl ConsoleHome {
    fn new(bin: &std::path::Path, server: &TestServer, token: &str) -> Result<Self> {
        Self::at_url(bin, &server.base_url, token)
    }

    /// The same, with the profile's server at `url` (a proxy in front of a server).
    fn at_url(bin: &std::path::Path, url: &str, token: &str) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let path = |sub: &str| dir.path().join(sub).to_str().map(str::to_owned).context("utf-8 path");
        let env = vec![
            ("XDG_CONFIG_HOME", path("config")?),
            ("XDG_DATA_HOME", path("data")?),
            ("ORGDECK_CREDENTIAL_STORE", "file".to_owned()),
        ];
        let status = Command::new(bin)
            .args(["profile", "add", "bench", "--url", url, "--user", ADMIN_EMAIL])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(std::process::Stdio::null())
            .status()?;
        if !status.success() {
            bail!("orgdeck profile add failed: {status}");
        }
        let mut env = env;
        env.push(("ORGDECK_TOKEN", token.to_owned()));
        Ok(Self { _dir: dir, env })
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.env.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

/// Builds the console binary of this build's profile, so the figures are of the current code.
fn build_console() -> Result<std::path::PathBuf> {
    build_binary("orgdeck", "orgdeck", "ORGDECK_BIN")?;
    console_binary()
}

/// Builds `bin` of `package` in this build's profile, unless `env_override` names a binary to use instead.
fn build_binary(package: &str, bin: &str, env_override: &str) -> Result<()> {
    if std::env::var_os(env_override).is_some() {
        return Ok(());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "-p", package, "--bin", bin]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let status = cmd.status().with_context(|| format!("run cargo build for {bin}"))?;
    if !status.success() {
        bail!("building {bin} failed");
    }
    Ok(())
}

fn median_f64(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn median_at(samples: &mut [Duration], quantile: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 * quantile).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i]
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
