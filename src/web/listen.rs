//! The accept loop: every connection is served by hyper's HTTP/1 with a header-read timeout (a client that
//! has not sent its whole request head within `Config::header_read_timeout` is disconnected, so half-open
//! connections cannot pile up), the peer's address for the handlers, and a graceful shutdown that lets the
//! requests in flight finish.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// Serves `app` on `listener` until `shutdown` completes, then waits for the open connections to finish
/// their requests.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    // Dropping `stop` tells every connection to finish; each holds a clone of `open` until it is closed.
    let (stop, stopping) = watch::channel(());
    let (open, _) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(Body::new))
        });
        let mut stopping = stopping.clone();
        let open = open.subscribe();
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(header_read_timeout);
            let conn = http
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            let mut conn = std::pin::pin!(conn);
            let mut asked_to_stop = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(%peer, "connection ended: {e}");
                        }
                        break;
                    }
                    _ = stopping.changed(), if !asked_to_stop => {
                        asked_to_stop = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(open);
        });
    }
    drop(listener);
    drop(stop);
    open.closed().await;
    Ok(())
}

/// An error from `accept`: a connection that failed before it was accepted is skipped; anything else (such
/// as too many open files) is logged and waited out for a second, as hyper's own server did.
async fn accept_error(e: std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// The environment variable through which a server restarting in place hands its listening socket to the
/// process that replaces it (a descriptor number).
pub const INHERITED_LISTENER: &str = "YUSUAN_LISTEN_FD";

/// How a server replaces itself with a fresh process of its own command line, given a descriptor of its
/// listening socket that survives the replacement. Returns only when the replacement failed.
pub type Restart = std::sync::Arc<dyn Fn(std::os::fd::RawFd) -> std::io::Error + Send + Sync>;

/// A copy of the listening socket `fd` that a replacing process inherits (a `dup` is not closed on exec).
pub fn hand_over(fd: std::os::fd::RawFd) -> std::io::Result<std::os::fd::RawFd> {
    // SAFETY: `dup` only reads the descriptor table; a closed `fd` gives an error.
    let copy = unsafe { libc::dup(fd) };
    if copy < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(copy)
}

/// The listening socket handed over by the process this one replaced (see `INHERITED_LISTENER`), if any. It
/// is closed on exec again, so that worker processes do not hold it.
pub fn inherited() -> std::io::Result<Option<TcpListener>> {
    use std::os::fd::FromRawFd;
    let Some(value) = std::env::var_os(INHERITED_LISTENER) else {
        return Ok(None);
    };
    let invalid = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{INHERITED_LISTENER} does not name a listening socket"),
        )
    };
    let fd: std::os::fd::RawFd = value
        .to_str()
        .and_then(|v| v.parse().ok())
        .filter(|fd| *fd > 2)
        .ok_or_else(invalid)?;
    let mut listening: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `getsockopt` writes at most `len` bytes into `listening`; a descriptor that is not a socket
    // gives an error.
    let ok = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut listening as *mut libc::c_int).cast(),
            &mut len,
        )
    } == 0;
    if !ok || listening != 1 {
        return Err(invalid());
    }
    // SAFETY: `fd` is a listening socket that nothing else in this process owns: the replaced process
    // handed it over for this one to take.
    let std_listener = unsafe {
        libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        std::net::TcpListener::from_raw_fd(fd)
    };
    std_listener.set_nonblocking(true)?;
    TcpListener::from_std(std_listener).map(Some)
}
