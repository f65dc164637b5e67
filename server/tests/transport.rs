//! The transport: TLS and the header-read timeout (`connections.rs` has the deadlines from accept, the idle
//! timeouts and the connection cap).

mod common;

use std::{
    io::{Read, Write},
    net::TcpStream,
    sync::Arc,
    time::{Duration, Instant},
};

use common::*;
use orgdeck_server::{ServerConfig, TlsFiles};
use orgdeck_shared::routes;

fn config(dir: &std::path::Path) -> ServerConfig {
    let mut config = ServerConfig::new(dir);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.clock = Arc::new(orgdeck_server::ManualClock::new(start_time()));
    config
}

#[tokio::test]
async fn with_a_certificate_the_server_speaks_https_with_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = (
        dir.path().join("ca.pem"),
        dir.path().join("cert.pem"),
        dir.path().join("key.pem"),
    );
    if !make_certificates(dir.path()) {
        eprintln!("skipped: no openssl to make test certificates");
        return;
    }
    let mut config = config(&dir.path().join("data"));
    config.tls = Some(TlsFiles {
        cert: cert.clone(),
        key,
    });
    let handle = orgdeck_server::spawn(config).await.unwrap();
    assert!(handle.base_url().starts_with("https://"));

    let ca = reqwest::Certificate::from_pem(&std::fs::read(&ca).unwrap()).unwrap();
    let client = reqwest::Client::builder().add_root_certificate(ca).build().unwrap();
    let resp = client
        .get(format!("{}{}", handle.base_url(), routes::HEALTH))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000");
    // Plain HTTP on the TLS port gets nowhere.
    let plain = format!("http://{}{}", handle.addr, routes::HEALTH);
    assert!(reqwest::get(plain).await.map(|r| r.status() != 200).unwrap_or(true));
    handle.shutdown().await;
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.header_read_timeout = Duration::from_millis(500);
    let handle = orgdeck_server::spawn(config).await.unwrap();
    let addr = handle.addr;
    let closed_after = tokio::task::spawn_blocking(move || {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        conn.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n").unwrap();
        let started = Instant::now();
        let mut buf = Vec::new();
        let _ = conn.read_to_end(&mut buf);
        started.elapsed()
    })
    .await
    .unwrap();
    assert!(closed_after < Duration::from_secs(5), "closed after {closed_after:?}");
    handle.shutdown().await;
}
