//! Connections that hold a slot without asking anything are closed, over HTTP/1, HTTP/2 and TLS, and the
//! connection cap never keeps a new client out while some connection sits idle.

mod common;

use std::{sync::Arc, time::Duration};

use common::*;
use http_body_util::{BodyExt, Empty};
use hyper::{Request, body::Bytes};
use hyper_util::rt::{TokioExecutor, TokioIo};
use orgdeck_server::{ServerConfig, TlsFiles};
use orgdeck_shared::routes;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

/// How long a connection the server should close may stay open before the test fails (the timeouts under
/// test are 1 s).
const CLOSED_WITHIN: Duration = Duration::from_secs(10);
/// How long a new client may wait for its answer before the test fails.
const ANSWERED_WITHIN: Duration = Duration::from_secs(5);
/// Long enough to play no part in a test about another deadline.
const LONG: Duration = Duration::from_secs(120);

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A server whose every deadline is long except those `configure` sets.
async fn server(configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
    TestServer::start_with(|c| {
        c.header_read_timeout = LONG;
        c.idle_timeout = LONG;
        c.keepalive_interval = LONG;
        c.request_timeout = LONG;
        configure(c);
    })
    .await
}

/// Reads (and drops) whatever the server sends until it closes the connection; fails after `CLOSED_WITHIN`.
async fn assert_closed_by_server(stream: &mut (impl AsyncRead + Unpin), what: &str) {
    let mut buf = [0u8; 4096];
    let closed = timeout(CLOSED_WITHIN, async {
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
    assert!(closed.is_ok(), "{what} still open after {CLOSED_WITHIN:?}");
}

/// Reads one HTTP/1 answer (head and `Content-Length` body) and returns its head; fails after `ANSWERED_WITHIN`.
async fn read_answer(stream: &mut TcpStream, what: &str) -> String {
    let read = async {
        let mut data = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
                let body_len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map_or(0, |v| v.trim().parse().unwrap());
                if data.len() >= end + 4 + body_len {
                    return head;
                }
            }
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "{what}: the connection closed before the answer");
            data.extend_from_slice(&buf[..n]);
        }
    };
    timeout(ANSWERED_WITHIN, read)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {ANSWERED_WITHIN:?}"))
}

/// `GET health` on `stream`, expecting 200.
async fn get_health(stream: &mut TcpStream, what: &str) -> String {
    let request = format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", routes::HEALTH);
    stream.write_all(request.as_bytes()).await.unwrap();
    let head = read_answer(stream, what).await;
    assert!(head.starts_with("http/1.1 200"), "{what}: {head}");
    head
}

/// An HTTP/2 client connection over plain TCP (prior knowledge), its connection task running.
async fn h2_client(
    addr: std::net::SocketAddr,
) -> (
    hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    tokio::task::JoinHandle<hyper::Result<()>>,
) {
    let io = TokioIo::new(TcpStream::connect(addr).await.unwrap());
    let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .unwrap();
    (sender, tokio::spawn(conn))
}

/// One HTTP/2 frame: 24-bit length, type, flags, stream id.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u32).to_be_bytes();
    let mut frame = vec![len[1], len[2], len[3], kind, flags];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

#[tokio::test]
async fn a_client_that_connects_and_sends_nothing_is_disconnected() {
    let s = server(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut silent = TcpStream::connect(s.handle.addr).await.unwrap();
    assert_closed_by_server(&mut silent, "a silent connection").await;
}

#[tokio::test]
async fn a_tls_client_that_sends_nothing_after_the_handshake_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    if !make_certificates(dir.path()) {
        eprintln!("skipped: no openssl to make test certificates");
        return;
    }
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let s = server(|c| {
        c.header_read_timeout = Duration::from_secs(1);
        c.tls = Some(TlsFiles { cert, key });
    })
    .await;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.path().join("ca.pem")).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(s.handle.addr).await.unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(client))
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect("the handshake completes");
    assert_closed_by_server(&mut tls, "a silent TLS connection").await;
}

#[tokio::test]
async fn a_client_that_sends_only_the_http2_preface_is_disconnected() {
    let s = server(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut preface_only = TcpStream::connect(s.handle.addr).await.unwrap();
    preface_only.write_all(H2_PREFACE).await.unwrap();
    assert_closed_by_server(&mut preface_only, "a connection that sent only the HTTP/2 preface").await;
}

#[tokio::test]
async fn an_http2_client_that_never_sends_a_request_is_disconnected() {
    let s = server(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    // A real client: the preface and settings exchanged, pings answered, but no request.
    let (_sender, conn) = h2_client(s.handle.addr).await;
    let ended = timeout(CLOSED_WITHIN, conn).await;
    assert!(ended.is_ok(), "an HTTP/2 connection without a request still open");
}

#[tokio::test]
async fn an_idle_http1_keep_alive_connection_is_closed_after_the_header_read_timeout() {
    let s = server(|c| c.header_read_timeout = Duration::from_secs(1)).await;
    let mut kept_alive = TcpStream::connect(s.handle.addr).await.unwrap();
    let head = get_health(&mut kept_alive, "the first request").await;
    assert!(
        !head.contains("connection: close"),
        "the connection is kept alive: {head}"
    );
    assert_closed_by_server(&mut kept_alive, "an idle keep-alive connection").await;
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    let s = server(|c| c.idle_timeout = Duration::from_secs(1)).await;
    let (mut sender, conn) = h2_client(s.handle.addr).await;
    let req = Request::get(s.url(routes::HEALTH)).body(Empty::new()).unwrap();
    let resp = sender.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.unwrap();
    // No stream open from here on: the server says GOAWAY and the client's connection ends.
    let ended = timeout(CLOSED_WITHIN, conn).await;
    assert!(ended.is_ok(), "an idle HTTP/2 connection still open");
}

#[tokio::test]
async fn an_http2_client_that_stops_answering_pings_is_disconnected_with_a_request_in_flight() {
    let s = server(|c| c.keepalive_interval = Duration::from_secs(1)).await;
    let mut stream = TcpStream::connect(s.handle.addr).await.unwrap();
    // A login whose body never comes: the request stays in flight, so only the pings can end it.
    let path = routes::LOGIN.as_bytes();
    let mut headers = vec![0x83, 0x86]; // :method POST, :scheme http
    headers.extend_from_slice(&[0x04, path.len() as u8]); // :path, not indexed
    headers.extend_from_slice(path);
    headers.extend_from_slice(&[0x01, 9]); // :authority
    headers.extend_from_slice(b"127.0.0.1");
    headers.extend_from_slice(&[0x0f, 0x10, 16]); // content-type (static index 31)
    headers.extend_from_slice(b"application/json");
    let mut hello = H2_PREFACE.to_vec();
    hello.extend(h2_frame(0x4, 0, 0, &[])); // SETTINGS
    hello.extend(h2_frame(0x1, 0x4, 1, &headers)); // HEADERS, END_HEADERS, stream open
    stream.write_all(&hello).await.unwrap();
    // Reads the server's frames, its pings among them, and never answers.
    assert_closed_by_server(&mut stream, "an HTTP/2 connection whose pings go unanswered").await;
}

/// A connection with a request in flight: a login whose two-byte body (`{}`) is still to come. The server's
/// "100 Continue" says the request has reached the application.
async fn request_in_flight(addr: std::net::SocketAddr) -> TcpStream {
    let mut busy = TcpStream::connect(addr).await.unwrap();
    let login = format!(
        "POST {} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\
         Expect: 100-continue\r\n\r\n",
        routes::LOGIN
    );
    busy.write_all(login.as_bytes()).await.unwrap();
    let mut continue_line = [0u8; 25];
    timeout(ANSWERED_WITHIN, busy.read_exact(&mut continue_line))
        .await
        .expect("100 Continue")
        .unwrap();
    assert_eq!(&continue_line, b"HTTP/1.1 100 Continue\r\n\r\n");
    busy
}

/// Sends the rest of [`request_in_flight`]'s login and returns the head of its answer (422: no email).
async fn finish_request(busy: &mut TcpStream) -> String {
    busy.write_all(b"{}").await.unwrap();
    let head = read_answer(busy, "the request in flight").await;
    assert!(head.starts_with("http/1.1 422"), "{head}");
    head
}

#[tokio::test]
async fn at_the_cap_a_new_client_is_answered_and_a_request_in_flight_is_never_shed() {
    const CAP: usize = 8;
    let s = server(|c| c.max_connections = CAP).await;
    let addr = s.handle.addr;
    // The oldest connection has a request in flight.
    let mut busy = request_in_flight(addr).await;
    // The other slots: silent connections.
    let mut silent = Vec::new();
    for _ in 1..CAP {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    // New clients, more of them than the idle connections there were: each is answered, and each stays
    // open in keep-alive, so the later ones make room by closing the earlier ones.
    let mut clients = Vec::new();
    for i in 0..CAP + 4 {
        let mut client = TcpStream::connect(addr).await.unwrap();
        get_health(&mut client, &format!("new client {i} with the cap reached")).await;
        clients.push(client);
    }
    for mut idle in silent {
        assert_closed_by_server(&mut idle, "a silent connection at the cap").await;
    }
    assert_closed_by_server(&mut clients[0], "the first new client, idle the longest").await;
    // The request in flight is answered, on a connection still kept alive for the next one.
    let head = finish_request(&mut busy).await;
    assert!(
        !head.contains("connection: close"),
        "the busy connection was told to close: {head}"
    );
    get_health(&mut busy, "the next request on the busy connection").await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once_and_lets_a_request_in_flight_finish() {
    let s = server(|_| {}).await;
    let addr = s.handle.addr;
    let mut busy = request_in_flight(addr).await;
    let mut kept_alive = TcpStream::connect(addr).await.unwrap();
    get_health(&mut kept_alive, "a request before the shutdown").await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let shutdown = tokio::spawn(s.handle.shutdown());
    assert_closed_by_server(&mut kept_alive, "an idle keep-alive connection at shutdown").await;
    assert_closed_by_server(&mut silent, "a silent connection at shutdown").await;
    assert!(!shutdown.is_finished(), "shutdown waits for the request in flight");
    let head = finish_request(&mut busy).await;
    assert!(
        head.contains("connection: close"),
        "the last answer says goodbye: {head}"
    );
    timeout(CLOSED_WITHIN, shutdown)
        .await
        .expect("shutdown ends once the request is answered")
        .unwrap();
}

#[tokio::test]
async fn a_burst_of_connects_waits_in_the_listen_backlog_instead_of_being_dropped() {
    // More than the 128 of `TcpListener::bind`, fewer than the kernel's cap on any backlog.
    const BURST: usize = 300;
    let somaxconn: usize = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(usize::MAX);
    if somaxconn <= BURST {
        eprintln!("skipped: net.core.somaxconn is {somaxconn}, which caps every backlog below {BURST}");
        return;
    }
    // The cap is 1 and its one connection has a request in flight, so the accept loop takes nothing: every
    // connect of the burst waits in the backlog, as when a burst outruns the accept loop.
    let s = server(|c| c.max_connections = 1).await;
    let addr = s.handle.addr;
    let mut busy = request_in_flight(addr).await;
    // A SYN the kernel drops (backlog full) is sent again only after 1 s.
    let connects = (0..BURST).map(|_| TcpStream::connect(addr));
    let burst = timeout(Duration::from_millis(900), futures_util::future::join_all(connects))
        .await
        .expect("every connect of the burst completes without a SYN retransmit");
    let mut burst: Vec<TcpStream> = burst.into_iter().map(Result::unwrap).collect();
    // Once the request in flight is answered, the accept loop takes the burst in turn (each new connection
    // sheds the one before, idle), and the last to connect is answered.
    finish_request(&mut busy).await;
    let mut last = burst.pop().unwrap();
    get_health(&mut last, "the last connection of the burst").await;
}
