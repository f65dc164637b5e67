//! The accept loop: hyper 1 through hyper-util's auto (HTTP/1.1 and HTTP/2) builder, with the timer
//! installed so the header-read timeout works, a cap on open connections, optional TLS, and a graceful
//! shutdown that lets requests in flight finish.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto::Builder, graceful::GracefulShutdown},
};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{Semaphore, oneshot},
};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::client_ip::PeerAddr;

pub struct ServeOptions {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub tls: Option<TlsAcceptor>,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
}

pub async fn serve(listener: TcpListener, app: Router, opts: ServeOptions, mut stop: oneshot::Receiver<()>) {
    let permits = Arc::new(Semaphore::new(opts.max_connections.max(1)));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let graceful = GracefulShutdown::new();

    loop {
        let permit = tokio::select! {
            _ = &mut stop => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let builder = builder.clone();
        let tls = opts.tls.clone();
        let handshake_timeout = opts.header_read_timeout;
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            serve_connection(stream, peer, app, &builder, tls, handshake_timeout, watcher).await;
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::debug!("all connections closed"),
        _ = tokio::time::sleep(opts.drain_timeout) => tracing::warn!("shutdown: gave up waiting for connections"),
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    builder: &Builder<TokioExecutor>,
    tls: Option<TlsAcceptor>,
    handshake_timeout: Duration,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(PeerAddr(peer));
        app.clone().oneshot(req)
    });
    let result = match tls {
        Some(acceptor) => match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
            Ok(Ok(tls_stream)) => {
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls_stream), service);
                watcher.watch(conn.into_owned()).await
            }
            Ok(Err(e)) => {
                tracing::debug!(%peer, error = %e, "TLS handshake failed");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        },
        None => {
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            watcher.watch(conn.into_owned()).await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
