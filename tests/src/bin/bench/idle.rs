//! S7: the S1 load's throughput while 1,000 idle connections are held open against the same server, over
//! its throughput without them, in alternating rounds on one server.
//!
//! "Held open" means connections the server has accepted and answered once and that stay open: half then
//! send nothing (idle keep-alive), half dribble the header of a next request one byte a second and never
//! finish it (slowloris). The server closes both kinds after its header-read timeout; a holder whose
//! connection is closed opens another at once, as an attacker would, so the count stays at 1,000.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Empty};
use hyper::{Request, body::Bytes, header};
use hyper_util::rt::TokioIo;
use orgdeck_server::SystemClock;
use orgdeck_shared::routes;
use orgdeck_tests::fixture::TestServer;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinHandle,
};

use super::{Bar, CONCURRENCY, Figure, Options, load, median_f64};

const IDLE: usize = 1_000;
/// The server's connection cap for this figure. The default (1,024) is below 1,000 held plus the 64 of the
/// load: with it, about 40 of the load's connections wait in the listener's accept queue during the rounds
/// with the held ones, and the figure would measure the cap instead of the cost of holding 1,000.
const MAX_CONNECTIONS: usize = 2_048;
const DRIBBLE_EVERY: Duration = Duration::from_secs(1);

pub async fn s7_idle_connections(opts: &Options) -> Result<Figure> {
    let rounds = 3;
    let duration = Duration::from_secs_f64(opts.seconds / rounds as f64);
    let mut header_timeout = Duration::ZERO;
    let server = TestServer::start_configured(Arc::new(SystemClock), |c| {
        c.max_connections = MAX_CONNECTIONS;
        header_timeout = c.header_read_timeout;
    })
    .await?;
    let token = server.admin_token().await?;
    let addr = server.handle.addr;
    let path = routes::settings(routes::area::GENERAL);
    let (mut with, mut without, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let (mut least_open, mut reopened) = (usize::MAX, 0);
    for round in 0..rounds {
        // Alternate which comes first, so a drift in the machine's load hits both alike.
        let order = if round % 2 == 0 { [false, true] } else { [true, false] };
        let mut pair = [0.0; 2];
        for held in order {
            if held {
                let idle = IdleConnections::open(addr, IDLE).await?;
                let rps = load(addr, &path, Some(&token), duration).await;
                let (least, again) = idle.close().await?;
                (least_open, reopened) = (least_open.min(least), reopened + again);
                pair[1] = rps?;
                with.push(pair[1]);
            } else {
                pair[0] = load(addr, &path, Some(&token), duration).await?;
                without.push(pair[0]);
            }
        }
        ratios.push(pair[1] / pair[0]);
    }
    server.stop().await;
    let (with, without) = (median_f64(&mut with), median_f64(&mut without));
    Ok(Figure {
        id: "S7",
        what: "S1 throughput with 1,000 idle connections / without",
        value: median_f64(&mut ratios),
        bar: Bar::AtLeast(0.9),
        context: format!(
            "with {with:.0} req/s, without {without:.0} req/s, {CONCURRENCY} load connections, median ratio of {rounds} \
             alternating pairs; held {IDLE} (half idle keep-alive, half dribbling a header), at least {least_open} \
             open throughout, {reopened} closed by the server's {header_timeout:?} header timeout and reopened; \
             connection cap {MAX_CONNECTIONS}"
        ),
    })
}

/// `n` connections held open against `addr` by one task each, and how many are open right now.
struct IdleConnections {
    holders: Vec<JoinHandle<Result<()>>>,
    sampler: JoinHandle<()>,
    least: Arc<AtomicUsize>,
    reopened: Arc<AtomicU64>,
}

impl IdleConnections {
    /// Opens the `n` connections and returns once all are open.
    async fn open(addr: SocketAddr, n: usize) -> Result<Self> {
        let open = Arc::new(AtomicUsize::new(0));
        let reopened = Arc::new(AtomicU64::new(0));
        let mut holders: Vec<_> = (0..n)
            .map(|i| tokio::spawn(hold(addr, i % 2 == 1, open.clone(), reopened.clone())))
            .collect();
        let start = Instant::now();
        while open.load(Ordering::Relaxed) < n {
            if let Some(ended) = holders.iter().position(JoinHandle::is_finished) {
                holders.swap_remove(ended).await??;
                bail!("a holder of an idle connection ended");
            }
            if start.elapsed() > Duration::from_secs(30) {
                bail!(
                    "only {} of {n} idle connections opened in 30 s",
                    open.load(Ordering::Relaxed)
                );
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The fewest open at any moment from here on.
        let least = Arc::new(AtomicUsize::new(n));
        let sampler = tokio::spawn({
            let least = least.clone();
            async move {
                loop {
                    least.fetch_min(open.load(Ordering::Relaxed), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        Ok(Self {
            holders,
            sampler,
            least,
            reopened,
        })
    }

    /// Closes every connection; returns the fewest open at once and how many the server closed.
    async fn close(self) -> Result<(usize, u64)> {
        self.sampler.abort();
        for holder in self.holders {
            if holder.is_finished() {
                holder.await?.context("an idle connection failed")?;
            } else {
                holder.abort(); // dropping its stream closes the connection
            }
        }
        Ok((
            self.least.load(Ordering::Relaxed),
            self.reopened.load(Ordering::Relaxed),
        ))
    }
}

/// Keeps one connection open, opening another whenever the server closes it.
async fn hold(addr: SocketAddr, dribble: bool, open: Arc<AtomicUsize>, reopened: Arc<AtomicU64>) -> Result<()> {
    loop {
        let mut stream = answered_once(addr).await?;
        open.fetch_add(1, Ordering::Relaxed);
        if dribble {
            dribble_until_closed(&mut stream).await;
        } else {
            let mut buf = [0u8; 512];
            while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
        }
        open.fetch_sub(1, Ordering::Relaxed);
        reopened.fetch_add(1, Ordering::Relaxed);
    }
}

/// A connection on which the server has answered one `GET health`, handed back idle in keep-alive.
async fn answered_once(addr: SocketAddr) -> Result<TcpStream> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let conn = tokio::spawn(conn.without_shutdown());
    let req = Request::get(routes::HEALTH)
        .header(header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    resp.into_body().collect().await?;
    if !status.is_success() {
        bail!("GET health answered {status}");
    }
    drop(sender); // the connection's task ends and gives the stream back, still open
    let parts = conn.await??;
    Ok(parts.io.into_inner())
}

/// Sends the start of a request, then one more header byte every `DRIBBLE_EVERY`, never ending the header;
/// returns when the server closes the connection.
async fn dribble_until_closed(stream: &mut TcpStream) {
    let (mut reader, mut writer) = stream.split();
    let dribble = async {
        if writer
            .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .is_err()
        {
            return;
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
        // The server may answer (408) before it closes: read until the end.
        while matches!(reader.read(&mut buf).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = dribble => {},
        _ = closed => {},
    }
}
