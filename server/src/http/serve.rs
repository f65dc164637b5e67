//! The accept loop: hyper 1 through hyper-util's auto (HTTP/1.1 and HTTP/2) builder, optional TLS, deadlines
//! on every connection, a connection cap that sheds idle connections, and a graceful shutdown that lets
//! requests in flight finish.
//!
//! Deadlines, whatever the protocol:
//! - From accept to the first complete request head: `header_read_timeout`. It covers the TLS handshake, the
//!   HTTP/2 preface and settings, and a socket that sends nothing at all. hyper's own header-read timeout
//!   cannot: it starts when hyper first reads, and hyper-util's protocol sniffing waits for bytes before that.
//! - HTTP/1 between requests: hyper's header-read timeout, which hyper re-arms when an answer is sent, so a
//!   kept-alive connection that sends nothing, or dribbles its next header, is closed after
//!   `header_read_timeout` too.
//! - Any connection with no request in flight (HTTP/2: no open stream) for `idle_timeout` is closed, with a
//!   GOAWAY on HTTP/2.
//! - HTTP/2 pings a client silent for `keepalive_interval` and closes the connection when the answer takes as
//!   long again, which also ends connections whose requests are stuck behind a vanished peer.
//!
//! The cap never stops the server answering: when it is reached, a new connection makes room by closing the
//! connection idle the longest (no request in flight). A connection with a request in flight is never shed;
//! only when every connection has one does a new client wait in the listen backlog. A request is in flight
//! from its head until its answer's body is sent; the cost per request is two atomic counts and a clock read.
//! The listen backlog is large ([`LISTEN_BACKLOG`]): a burst of connects waits there for the accept loop
//! instead of being dropped by the kernel.

use std::{
    collections::HashMap,
    convert::Infallible,
    net::SocketAddr,
    pin::{Pin, pin},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{Router, body::Body};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulConnection},
};
use tokio::{
    net::{TcpListener, TcpSocket, TcpStream},
    sync::{Notify, oneshot},
    time::{Instant, sleep, sleep_until},
};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::client_ip::PeerAddr;

pub struct ServeOptions {
    /// Connections open at once; more shed the one idle the longest.
    pub max_connections: usize,
    /// From accept to the first request head; on HTTP/1 also from an answer to the next request head.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight is closed after this long.
    pub idle_timeout: Duration,
    /// HTTP/2 pings after this long without a frame from the client, and gives up after as long again.
    pub keepalive_interval: Duration,
    pub tls: Option<TlsAcceptor>,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

/// How long a connection told to close (HTTP/2: GOAWAY sent) may take to say goodbye while nothing is in
/// flight, before it is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// How soon the accept loop looks again for an idle connection to shed when every one has a request in flight.
const ALL_BUSY_RECHECK: Duration = Duration::from_millis(10);
/// File descriptors kept for everything but client connections (the database, logs, mail, the listener).
const FD_RESERVE: usize = 128;

/// Connections the kernel may hold complete but not yet accepted (it caps this at `net.core.somaxconn`,
/// 4,096 by default since Linux 5.4). The accept loop takes them one at a time, and a burst can outrun it: an
/// attacker reopening at once the thousand connections the server just closed at their deadline. Past the
/// backlog the kernel drops new SYNs, so a real client caught in the burst waits for TCP's retransmit (1 s,
/// then 3 s). With the 128 of the standard library and tokio, the S7 bench saw hundreds of SYNs dropped per
/// run and a new client answered after 1,036 ms.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `addr` with the [`LISTEN_BACKLOG`] (and, as `TcpListener::bind` does, `SO_REUSEADDR` on Unix).
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

pub async fn serve(listener: TcpListener, app: Router, opts: ServeOptions, mut stop: oneshot::Receiver<()>) {
    let cap = connection_cap(opts.max_connections.max(1));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(opts.keepalive_interval)
        .keep_alive_timeout(opts.keepalive_interval);
    let builder = Arc::new(builder);
    let timeouts = Timeouts {
        first_request: opts.header_read_timeout,
        idle: opts.idle_timeout,
    };
    let registry = Arc::new(Registry::default());

    'accept: loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        while !registry.make_room(cap) {
            tokio::select! {
                _ = &mut stop => break 'accept,
                _ = registry.connection_ended(ALL_BUSY_RECHECK) => {}
            }
        }
        let _ = stream.set_nodelay(true);
        let conn = registry.register();
        let (app, builder, tls) = (app.clone(), builder.clone(), opts.tls.clone());
        tokio::spawn(async move { serve_connection(stream, peer, app, &builder, tls, conn, timeouts).await });
    }
    drop(listener);
    registry.close_all();
    match tokio::time::timeout(opts.drain_timeout, registry.drained()).await {
        Ok(()) => tracing::debug!("all connections closed"),
        Err(_) => tracing::warn!("shutdown: gave up waiting for connections"),
    }
}

#[derive(Clone, Copy)]
struct Timeouts {
    first_request: Duration,
    idle: Duration,
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    builder: &Builder<TokioExecutor>,
    tls: Option<TlsAcceptor>,
    conn: Registered,
    timeouts: Timeouts,
) {
    let state = conn.state.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(PeerAddr(peer));
        let in_flight = state.request_started();
        let answer = app.clone().oneshot(req);
        async move {
            let resp = answer.await?;
            Ok::<_, Infallible>(resp.map(|body| TrackedBody {
                body,
                _in_flight: in_flight,
            }))
        }
    });
    let state = &conn.state;
    match tls {
        Some(acceptor) => {
            let handshake = tokio::select! {
                done = acceptor.accept(stream) => done,
                _ = sleep_until(state.accepted + timeouts.first_request) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
                _ = state.close.notified() => return,
            };
            match handshake {
                Ok(tls_stream) => {
                    let io = TokioIo::new(tls_stream);
                    supervise(builder.serve_connection(io, service), state, timeouts, peer).await;
                }
                Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
            }
        }
        None => {
            supervise(
                builder.serve_connection(TokioIo::new(stream), service),
                state,
                timeouts,
                peer,
            )
            .await
        }
    }
}

/// Drives `conn` until it ends, or closes it when its deadline passes or it is told to close (shed, shutdown).
async fn supervise<C>(conn: C, state: &ConnState, timeouts: Timeouts, peer: SocketAddr)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let mut conn = pin!(conn);
    // The timer wakes at the deadline or sooner: a request that starts and ends in between sets the
    // deadline to its end plus `idle`, which is no sooner than now plus `idle`.
    let mut timer = pin!(sleep_until(state.accepted + timeouts.first_request.min(timeouts.idle)));
    loop {
        tokio::select! {
            // Told to close first: a request that arrives as the connection is told to close (a shutdown,
            // a shed) is still answered, and its answer says the connection closes.
            biased;
            _ = state.close.notified() => break,
            ended = conn.as_mut() => return log_end(ended, peer),
            _ = timer.as_mut() => {
                let now = Instant::now();
                match state.deadline(timeouts) {
                    Some(at) if at <= now => {
                        tracing::debug!(%peer, "connection timed out");
                        break;
                    }
                    Some(at) => timer.as_mut().reset(at.min(now + timeouts.idle)),
                    // A request in flight: its own timeout bounds it; look again later.
                    None => timer.as_mut().reset(now + timeouts.idle),
                }
            }
        }
    }
    if !state.requested.load(Ordering::Relaxed) {
        return; // nothing was ever asked: close without a word
    }
    conn.as_mut().graceful_shutdown();
    loop {
        tokio::select! {
            ended = conn.as_mut() => return log_end(ended, peer),
            _ = sleep(CLOSE_GRACE) => if state.in_flight.load(Ordering::Acquire) == 0 {
                return;
            },
        }
    }
}

fn log_end<E: std::fmt::Display>(ended: Result<(), E>, peer: SocketAddr) {
    if let Err(e) = ended {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// What the server knows of one connection: atomics its requests update, read by its own supervisor and by
/// the accept loop choosing a connection to shed.
struct ConnState {
    id: u64,
    epoch: Instant,
    accepted: Instant,
    /// Requests whose answer is not yet sent.
    in_flight: AtomicU32,
    /// When the connection last went idle (accept, or its last answer sent), in milliseconds since `epoch`.
    idle_since_ms: AtomicU64,
    /// Whether a request head has ever arrived.
    requested: AtomicBool,
    /// Told to close: shed to make room, or the server stops.
    close: Notify,
}

impl ConnState {
    fn request_started(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        if !self.requested.load(Ordering::Relaxed) {
            self.requested.store(true, Ordering::Relaxed);
        }
        InFlight(self.clone())
    }

    fn idle_since(&self) -> Instant {
        self.epoch + Duration::from_millis(self.idle_since_ms.load(Ordering::Relaxed))
    }

    /// When the connection is to be closed if nothing happens; `None` while a request is in flight.
    fn deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        Some(if self.requested.load(Ordering::Relaxed) {
            self.idle_since() + timeouts.idle
        } else {
            self.accepted + timeouts.first_request
        })
    }
}

/// One request in flight on a connection, from its head until its answer's body is dropped (sent or abandoned).
struct InFlight(Arc<ConnState>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let state = &self.0;
        let now = state.epoch.elapsed().as_millis() as u64;
        state.idle_since_ms.store(now, Ordering::Relaxed);
        state.in_flight.fetch_sub(1, Ordering::Release);
    }
}

/// An answer's body that keeps its request counted in flight until hyper has sent it.
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for TrackedBody {
    type Data = <Body as hyper::body::Body>::Data;
    type Error = <Body as hyper::body::Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The open connections, for shedding and for shutdown.
struct Registry {
    epoch: Instant,
    next_id: AtomicU64,
    /// Connections counted against the cap: open and not told to close.
    open: Mutex<HashMap<u64, Arc<ConnState>>>,
    /// Connections whose task still runs, those told to close included.
    live: AtomicUsize,
    ended: Notify,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::default(),
            live: AtomicUsize::new(0),
            ended: Notify::new(),
        }
    }
}

impl Registry {
    fn register(self: &Arc<Self>) -> Registered {
        let accepted = Instant::now();
        let state = Arc::new(ConnState {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            epoch: self.epoch,
            accepted,
            in_flight: AtomicU32::new(0),
            idle_since_ms: AtomicU64::new((accepted - self.epoch).as_millis() as u64),
            requested: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.live.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(state.id, state.clone());
        Registered {
            state,
            registry: self.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ConnState>>> {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether one more connection fits under `cap`, after closing the connection idle the longest if
    /// needed; false when every connection has a request in flight.
    fn make_room(&self, cap: usize) -> bool {
        let mut open = self.lock();
        if open.len() < cap {
            return true;
        }
        let idlest = open
            .values()
            .filter(|c| c.in_flight.load(Ordering::Acquire) == 0)
            .min_by_key(|c| c.idle_since_ms.load(Ordering::Relaxed))
            .map(|c| c.id);
        let Some(shed) = idlest.and_then(|id| open.remove(&id)) else {
            return false;
        };
        drop(open);
        tracing::debug!(
            connection = shed.id,
            "connection cap reached: closing the connection idle the longest"
        );
        shed.close.notify_one();
        true
    }

    /// Tells every open connection to close.
    fn close_all(&self) {
        for (_, conn) in self.lock().drain() {
            conn.close.notify_one();
        }
    }

    /// Returns when a connection ends, or after `at_most`.
    async fn connection_ended(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.ended.notified()).await;
    }

    /// Returns when every connection has ended.
    async fn drained(&self) {
        loop {
            let mut ended = pin!(self.ended.notified());
            ended.as_mut().enable();
            if self.live.load(Ordering::Acquire) == 0 {
                return;
            }
            ended.await;
        }
    }
}

/// A connection's place in the registry, given up when its task ends.
struct Registered {
    state: Arc<ConnState>,
    registry: Arc<Registry>,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.registry.lock().remove(&self.state.id);
        self.registry.live.fetch_sub(1, Ordering::Release);
        self.registry.ended.notify_waiters();
    }
}

/// The connection cap the process's file descriptors allow: raises the soft `RLIMIT_NOFILE` to the hard limit
/// when `wanted` needs more than the soft one, and serves fewer connections (with a warning) when even the
/// hard limit is too low.
#[cfg(unix)]
fn connection_cap(wanted: usize) -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let needed = wanted.saturating_add(FD_RESERVE) as u64;
    let limit = getrlimit(Resource::Nofile);
    let mut soft = limit.current.unwrap_or(u64::MAX);
    if soft < needed {
        let raised = limit.maximum.unwrap_or(needed);
        match setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(raised),
                maximum: limit.maximum,
            },
        ) {
            Ok(()) => {
                tracing::debug!(from = soft, to = raised, "raised the open file limit");
                soft = raised;
            }
            Err(e) => tracing::warn!(error = %e, "cannot raise the open file limit"),
        }
    }
    let fits = usize::try_from(soft)
        .unwrap_or(usize::MAX)
        .saturating_sub(FD_RESERVE)
        .max(1);
    if fits < wanted {
        tracing::warn!(
            max_connections = wanted,
            open_file_limit = soft,
            "max_connections is more than the open file limit allows; serving at most {fits} connections"
        );
    }
    wanted.min(fits)
}

#[cfg(not(unix))]
fn connection_cap(wanted: usize) -> usize {
    wanted
}
