//! S7: on the shipped defaults, the S1 load's throughput while 1,000 connections are held open against the
//! same server, over its throughput without them, in alternating rounds on one server; and the slowest
//! answer to a new client (a new connection every 100 ms) while they are held.
//!
//! The server is `orgdeck-server serve` in its own process with no configuration file: the shipped
//! connection cap and timeouts, nothing changed. The held connections are of four kinds, a quarter each:
//! silent after connect, idle in keep-alive after one answer, dribbling a request header one byte a second,
//! and HTTP/2 preface only. The server closes each kind at its deadline; a holder whose connection is closed
//! opens another at once, as an attacker would, so 1,000 stay open (or reopening) throughout. A measured
//! window lasts longer than the header-read timeout, so in every round with them the server closes them all
//! and the holders open them again inside the window.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Result, bail};
use http_body_util::{BodyExt, Empty};
use hyper::{Request, body::Bytes, header};
use hyper_util::rt::TokioIo;
use orgdeck_server::{ServerConfig, SystemClock};
use orgdeck_shared::routes;
use orgdeck_tests::{
    fixture::{ADMIN_EMAIL, ADMIN_PASSWORD, ORG_NAME, login},
    pty::server_binary,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinHandle,
};

use super::{
    Bar, CONCURRENCY, Figure, Options, Window, build_binary, load_round_robin, median_f64,
    process::{ServerProcess, cpu_unit, open_file_limit, process_cpu, raise_open_file_limit},
    server_cpu::request_mix,
};

const HELD: usize = 1_000;
const DRIBBLE_EVERY: Duration = Duration::from_secs(1);
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// A new client must be answered within this.
const ANSWER_BAR: Duration = Duration::from_secs(1);
/// A probe not answered in this long counts as unanswered (and as this long).
const PROBE_GIVES_UP: Duration = Duration::from_secs(5);
/// How long the measured window outlasts the header-read timeout, so the server's closing of the held
/// connections and their reopening fall inside it.
const PAST_THE_DEADLINE: Duration = Duration::from_secs(2);
/// Between rounds: lets the server finish closing the connections of the round before.
const SETTLE: Duration = Duration::from_secs(1);
/// File descriptors of the bench process beyond the held and load connections (probes, the reqwest pool,
/// the server's pipes, the runtime).
const FD_SPARE: usize = 256;
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

#[derive(Clone, Copy)]
enum Held {
    /// Connects and sends nothing.
    Silent,
    /// Gets one answer, then sends nothing.
    IdleKeepAlive,
    /// Sends the start of a request, then one header byte every `DRIBBLE_EVERY`, never ending the header.
    Dribbling,
    /// Sends the 24 bytes of the HTTP/2 preface and nothing more.
    Http2Preface,
}

const KINDS: [Held; 4] = [Held::Silent, Held::IdleKeepAlive, Held::Dribbling, Held::Http2Preface];

pub async fn s7_idle_connections(opts: &Options) -> Result<Vec<Figure>> {
    let rounds = 3;
    // Only read, for the figure's context and the round length: the server below runs without any
    // configuration, so these are the values it uses.
    let shipped = ServerConfig::new(".");
    let duration =
        Duration::from_secs_f64(opts.seconds / rounds as f64).max(shipped.header_read_timeout + PAST_THE_DEADLINE);
    // The bench process holds one end of every connection.
    let fd_limit = raise_open_file_limit((HELD + CONCURRENCY + FD_SPARE) as u64)?;
    build_binary("orgdeck-server", "orgdeck-server", "ORGDECK_SERVER_BIN")?;
    let data_dir = tempfile::tempdir()?;
    orgdeck_server::init_org(data_dir.path(), ORG_NAME, ADMIN_EMAIL, ADMIN_PASSWORD, &SystemClock)?;
    let server = ServerProcess::orgdeck(&server_binary()?, data_dir.path(), &data_dir.path().join("server.log"))?;
    let (addr, pid) = (server.addr, server.pid());
    let http = reqwest::Client::new();
    let base = format!("http://{addr}");
    let token = login(&http, &base, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let (paths, not_served) = request_mix(&http, &base, &token).await?;
    drop(http);

    let holding = Arc::new(AtomicBool::new(false));
    let prober = Prober::start(addr, holding.clone());
    let (mut with, mut without) = (Rounds::default(), Rounds::default());
    let mut held_stats = HeldStats {
        least_open: HELD,
        ..HeldStats::default()
    };
    for round in 0..rounds {
        // Alternate which comes first, so a drift in the machine's load hits both alike.
        let order = if round % 2 == 0 { [false, true] } else { [true, false] };
        for hold in order {
            if hold {
                holding.store(true, Ordering::Relaxed);
                let held = HeldConnections::open(addr, HELD).await?;
                let bench_cpu = BenchCpu::start()?;
                let window = load_round_robin(addr, &paths, Some(&token), duration, Some(pid)).await;
                let bench_cpu = bench_cpu.stop();
                held_stats.add(held.close());
                holding.store(false, Ordering::Relaxed);
                with.add(window?, bench_cpu?)?;
            } else {
                let bench_cpu = BenchCpu::start()?;
                let window = load_round_robin(addr, &paths, Some(&token), duration, Some(pid)).await?;
                without.add(window, bench_cpu.stop()?)?;
            }
            tokio::time::sleep(SETTLE).await;
        }
    }
    let mut probes = prober.stop().await?;
    let held_p50 = probes.held.p50();
    let server_fd_limit = open_file_limit(pid);
    drop(server);

    let mut ratios: Vec<f64> = with.rates.iter().zip(&without.rates).map(|(w, wo)| w / wo).collect();
    let spread = ratios.iter().map(|r| format!("{r:.3}")).collect::<Vec<_>>().join(", ");
    let HeldStats {
        least_open,
        reopened,
        failed_opens,
    } = held_stats;
    let served = format!(
        "me and settings/{{{}}}{}",
        routes::area::ALL
            .iter()
            .filter(|a| !not_served.contains(a))
            .copied()
            .collect::<Vec<_>>()
            .join(","),
        if not_served.is_empty() {
            String::new()
        } else {
            format!(" ({} answer 404, left out)", not_served.join(", "))
        }
    );
    let setup = format!(
        "orgdeck-server serve in its own process on the shipped defaults (no configuration: cap {}, header-read \
         timeout {:?}, idle timeout {:?}, HTTP/2 keep-alive {:?}; its open-file limit {}); the bench process's \
         open-file limit {fd_limit}",
        shipped.max_connections,
        shipped.header_read_timeout,
        shipped.idle_timeout,
        shipped.keepalive_interval,
        server_fd_limit.map_or_else(|e| format!("unread: {e:#}"), |n| n.to_string()),
    );
    let answered = probes.held.slowest <= ANSWER_BAR && probes.held.unanswered == 0;
    Ok(vec![
        Figure {
            id: "S7",
            what: "S1 throughput with 1,000 held connections / without",
            value: median_f64(&mut ratios),
            bar: Bar::AtLeast(0.9),
            context: format!(
                "throughput = answers received by the {CONCURRENCY} keep-alive load connections (round-robin of {} \
                 paths: {served}) per second of wall clock, counted in the bench process after a 500 ms warm-up; the \
                 load, the holders and the prober run in the bench process on the same cores as the server, so what \
                 the holders cost the machine counts against the rounds with them. With {:.0} req/s, without {:.0} \
                 req/s; server CPU a request (/proc/{pid}/stat, {}) with {:.1} us, without {:.1} us; the bench \
                 process used {:.2} cores with, {:.2} without. Median ratio of \
                 {rounds} alternating pairs of {duration:.1?} ({spread}). Held {HELD}, a quarter each silent, idle \
                 keep-alive, dribbling a header 1 byte/{DRIBBLE_EVERY:?}, HTTP/2 preface only: at least {least_open} \
                 open at any time after the first {HELD} were, {reopened} closed by the server and reopened, \
                 {failed_opens} opens failed. {setup}",
                paths.len(),
                with.rate(),
                without.rate(),
                cpu_unit(),
                with.cpu_per_request_us(),
                without.cpu_per_request_us(),
                with.bench_cores(),
                without.bench_cores(),
            ),
        },
        Figure {
            id: "S7",
            what: "new client answered within 1 s while held: slowest (ms)",
            value: probes.held.slowest.as_secs_f64() * 1000.0,
            bar: Bar::AtMost(ANSWER_BAR.as_secs_f64() * 1000.0),
            context: format!(
                "{}: a new TCP connection + GET health every {PROBE_EVERY:?} throughout, connect included; {} while \
                 the {HELD} were held (opening and reopening included): p50 {:.1} ms, {} over {ANSWER_BAR:?}, {} \
                 unanswered in {PROBE_GIVES_UP:?} (counted as that long); {} without them: slowest {:.1} ms",
                if answered { "yes" } else { "no" },
                probes.held.count,
                held_p50.as_secs_f64() * 1000.0,
                probes.held.late,
                probes.held.unanswered,
                probes.not_held.count,
                probes.not_held.slowest.as_secs_f64() * 1000.0,
            ),
        },
    ])
}

/// The measured windows of one side (with or without the held connections).
#[derive(Default)]
struct Rounds {
    rates: Vec<f64>,
    done: u64,
    elapsed: Duration,
    cpu: Duration,
    /// CPU time and wall time of the bench process (load, holders, prober) over the loads, warm-ups included.
    bench_cpu: Duration,
    bench_wall: Duration,
}

impl Rounds {
    fn add(&mut self, window: Window, (bench_cpu, bench_wall): (Duration, Duration)) -> Result<()> {
        if window.done == 0 {
            bail!("the load got no answer in {:.1?}", window.elapsed);
        }
        self.rates.push(window.rate());
        self.done += window.done;
        self.elapsed += window.elapsed;
        self.cpu += window.cpu.unwrap_or_default();
        self.bench_cpu += bench_cpu;
        self.bench_wall += bench_wall;
        Ok(())
    }

    fn bench_cores(&self) -> f64 {
        self.bench_cpu.as_secs_f64() / self.bench_wall.as_secs_f64()
    }

    fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }

    fn cpu_per_request_us(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.done.max(1) as f64
    }
}

/// The CPU time of this (the bench) process from `start` to `stop`, and the wall time.
struct BenchCpu {
    cpu: Duration,
    wall: Instant,
}

impl BenchCpu {
    fn start() -> Result<Self> {
        Ok(Self {
            cpu: process_cpu(std::process::id())?,
            wall: Instant::now(),
        })
    }

    fn stop(self) -> Result<(Duration, Duration)> {
        let cpu = process_cpu(std::process::id())?.saturating_sub(self.cpu);
        Ok((cpu, self.wall.elapsed()))
    }
}

/// What the holders saw over one round.
#[derive(Default)]
struct HeldStats {
    least_open: usize,
    reopened: u64,
    failed_opens: u64,
}

impl HeldStats {
    fn add(&mut self, round: HeldStats) {
        self.least_open = self.least_open.min(round.least_open);
        self.reopened += round.reopened;
        self.failed_opens += round.failed_opens;
    }
}

#[derive(Default)]
struct Counters {
    open: AtomicUsize,
    reopened: AtomicU64,
    failed_opens: AtomicU64,
}

/// `n` connections held open against `addr` by one task each, and the fewest open at any moment.
struct HeldConnections {
    holders: Vec<JoinHandle<()>>,
    sampler: JoinHandle<()>,
    least: Arc<AtomicUsize>,
    counters: Arc<Counters>,
}

impl HeldConnections {
    /// Opens the `n` connections, the kinds in turn, and returns once all are open.
    async fn open(addr: SocketAddr, n: usize) -> Result<Self> {
        let counters = Arc::new(Counters::default());
        let holders: Vec<_> = (0..n)
            .map(|i| tokio::spawn(hold(addr, KINDS[i % KINDS.len()], counters.clone())))
            .collect();
        let start = Instant::now();
        while counters.open.load(Ordering::Relaxed) < n {
            if start.elapsed() > Duration::from_secs(30) {
                let open = counters.open.load(Ordering::Relaxed);
                for holder in holders {
                    holder.abort();
                }
                bail!("only {open} of {n} held connections opened in 30 s");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The fewest open at any moment from here on.
        let least = Arc::new(AtomicUsize::new(n));
        let sampler = tokio::spawn({
            let (least, counters) = (least.clone(), counters.clone());
            async move {
                loop {
                    least.fetch_min(counters.open.load(Ordering::Relaxed), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        Ok(Self {
            holders,
            sampler,
            least,
            counters,
        })
    }

    /// Closes every connection (a holder's stream is dropped with its task) and says what happened.
    fn close(self) -> HeldStats {
        self.sampler.abort();
        for holder in self.holders {
            holder.abort();
        }
        HeldStats {
            least_open: self.least.load(Ordering::Relaxed),
            reopened: self.counters.reopened.load(Ordering::Relaxed),
            failed_opens: self.counters.failed_opens.load(Ordering::Relaxed),
        }
    }
}

/// Keeps one connection of `kind` open, opening another whenever the server closes it.
async fn hold(addr: SocketAddr, kind: Held, counters: Arc<Counters>) {
    loop {
        let mut stream = match open_held(addr, kind).await {
            Ok(stream) => stream,
            Err(_) => {
                counters.failed_opens.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        counters.open.fetch_add(1, Ordering::Relaxed);
        until_closed(&mut stream, kind).await;
        counters.open.fetch_sub(1, Ordering::Relaxed);
        counters.reopened.fetch_add(1, Ordering::Relaxed);
    }
}

async fn open_held(addr: SocketAddr, kind: Held) -> Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    match kind {
        Held::Silent => {}
        Held::IdleKeepAlive => stream = answered_once(stream, addr).await?,
        Held::Dribbling => {
            let start = format!("GET {} HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ", routes::HEALTH);
            stream.write_all(start.as_bytes()).await?;
        }
        Held::Http2Preface => stream.write_all(H2_PREFACE).await?,
    }
    Ok(stream)
}

/// `stream` after the server has answered one `GET health` on it, handed back idle in keep-alive.
async fn answered_once(stream: TcpStream, addr: SocketAddr) -> Result<TcpStream> {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn = tokio::spawn(conn.without_shutdown());
    get_health(&mut sender, addr).await?;
    drop(sender); // the connection's task ends and gives the stream back, still open
    let parts = conn.await??;
    Ok(parts.io.into_inner())
}

async fn get_health(
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    addr: SocketAddr,
) -> Result<()> {
    let req = Request::get(routes::HEALTH)
        .header(header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    resp.into_body().collect().await?;
    if !status.is_success() {
        bail!("GET health answered {status}");
    }
    Ok(())
}

/// Reads (and drops) what the server sends until it closes the connection; a dribbling one sends a header
/// byte every `DRIBBLE_EVERY` meanwhile.
async fn until_closed(stream: &mut TcpStream, kind: Held) {
    let (mut reader, mut writer) = stream.split();
    let dribble = async {
        if !matches!(kind, Held::Dribbling) {
            return std::future::pending::<()>().await;
        }
        loop {
            tokio::time::sleep(DRIBBLE_EVERY).await;
            if writer.write_all(b"a").await.is_err() {
                return;
            }
        }
    };
    let closed = async {
        let mut buf = [0u8; 512];
        while matches!(reader.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = dribble => {},
        _ = closed => {},
    }
}

/// The answers to new clients over one part of the run.
#[derive(Default)]
struct Probed {
    count: usize,
    times: Vec<Duration>,
    slowest: Duration,
    late: usize,
    unanswered: usize,
}

impl Probed {
    fn add(&mut self, took: Option<Duration>) {
        let took = took.unwrap_or(PROBE_GIVES_UP);
        self.count += 1;
        self.unanswered += usize::from(took >= PROBE_GIVES_UP);
        self.late += usize::from(took > ANSWER_BAR);
        self.slowest = self.slowest.max(took);
        self.times.push(took);
    }

    fn p50(&mut self) -> Duration {
        self.times.sort();
        self.times.get(self.times.len() / 2).copied().unwrap_or_default()
    }
}

/// What the prober saw while the connections were held (from the first of them opening to the last closed)
/// and while they were not.
#[derive(Default)]
struct Probes {
    held: Probed,
    not_held: Probed,
}

/// Opens a new connection every `PROBE_EVERY` and times the answer to `GET health` on it, connect included.
struct Prober {
    stop: Arc<AtomicBool>,
    task: JoinHandle<Probes>,
}

impl Prober {
    fn start(addr: SocketAddr, holding: Arc<AtomicBool>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let mut probes = Probes::default();
                let mut tick = tokio::time::interval(PROBE_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    // Held if they were held when the probe started or when it ended.
                    let held_at_start = holding.load(Ordering::Relaxed);
                    let start = Instant::now();
                    let answered = tokio::time::timeout(PROBE_GIVES_UP, async {
                        let stream = TcpStream::connect(addr).await?;
                        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                        tokio::spawn(conn);
                        get_health(&mut sender, addr).await
                    })
                    .await;
                    let took = matches!(answered, Ok(Ok(()))).then(|| start.elapsed());
                    if held_at_start || holding.load(Ordering::Relaxed) {
                        probes.held.add(took);
                    } else {
                        probes.not_held.add(took);
                    }
                }
                probes
            }
        });
        Self { stop, task }
    }

    async fn stop(self) -> Result<Probes> {
        self.stop.store(true, Ordering::Relaxed);
        Ok(self.task.await?)
    }
}
