//! The reference of figure S1: a bare hyper "hello" server in its own process. The same transport as
//! `orgdeck-server serve` (hyper 1 through hyper-util's auto builder, HTTP/1.1 and HTTP/2, `TCP_NODELAY`,
//! tokio's multi-threaded runtime) answering every request with `hello` and nothing else.
//!
//! `hello-server [ADDR]` (default 127.0.0.1:0) prints `hello server listening on http://ADDR` on stdout
//! once it accepts connections, and serves until it is killed.

use std::convert::Infallible;

use anyhow::Context;
use http_body_util::Full;
use hyper::{Response, body::Bytes};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:0".into());
    let listener = TcpListener::bind(&listen)
        .await
        .with_context(|| format!("listen on {listen}"))?;
    println!("hello server listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|_req| async {
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"hello"))))
            });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let _ = builder.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
