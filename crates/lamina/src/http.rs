//! The HTTP server of `lamina serve`: hyper's HTTP/1.1 connections over a TCP listener, with the limits
//! that keep slow or idle clients from holding connections forever. A client must send its first byte,
//! and then a request's line and headers, within [`ConnectionLimits::header_read_timeout`] (also the
//! longest a kept-alive connection waits for its next request); request bodies have their own limits,
//! applied by the API (`lamina_control_api::Uploads`). On shutdown, connections finish the request they
//! are serving.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The most a connection buffers, and so the largest request line and headers: 64 KiB, far above what
/// the AWS CLI and SDKs send.
const READ_BUFFER_MAX: usize = 64 * 1024;

/// Time limits on connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// How long a client has to send a request's line and headers, and how long a kept-alive connection
    /// may wait for its next request.
    pub(crate) header_read_timeout: Duration,
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the requests in flight.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // A connection's read buffer (headers, and body pieces on their way) stays small: hyper lets it
        // grow to 400 KiB for fast senders, which is 120 MiB over 300 stalled uploads.
        .max_buf_size(READ_BUFFER_MAX);
    let builder = builder.http1_only();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: the connection is lost, the server goes on.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The client's address, for handlers that report it (a function URL's `sourceIp`).
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(axum::extract::ConnectInfo(remote));
                request
            },
        ));
        let (builder, watcher) = (builder.clone(), graceful.watcher());
        tokio::spawn(async move {
            // hyper's header timer starts with a request's first byte: a client that connects and sends
            // nothing gets the same limit here.
            let mut first = [0u8; 1];
            match tokio::time::timeout(limits.header_read_timeout, stream.peek(&mut first)).await {
                Ok(Ok(n)) if n > 0 => {}
                _ => return,
            }
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection.into_owned()).await {
                tracing::debug!(%remote, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
