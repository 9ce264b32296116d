//! Accepting connections: a cap per client address and one in total, a deadline for a
//! request's headers (which is also how long an idle keep-alive connection may stay) and one
//! for its body. The red team held 20,000 idle connections without credentials and nobody else
//! was answered; here such a connection is closed after the header deadline, one address holds
//! at most its share, and a cap that is hit is logged and counted.
//!
//! The caps count TCP connections, including ones upgraded to WebSockets: the count travels
//! with the socket ([`Counted`]) and ends when it is closed.

use crate::config::Limits;
use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tower::ServiceExt;

/// How often a cap that keeps being hit is logged.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    PerAddress,
    Total,
}

/// The connection caps and their counts.
#[derive(Debug)]
pub struct Gate {
    per_address: Option<usize>,
    total: usize,
    by_address: Mutex<HashMap<IpAddr, usize>>,
    open: AtomicUsize,
    pub refused_per_address: AtomicU64,
    pub refused_total: AtomicU64,
    last_logged: Mutex<Option<Instant>>,
}

/// One admitted connection; gives its place back on drop.
#[derive(Debug)]
pub struct Ticket {
    gate: Arc<Gate>,
    ip: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.gate.open.fetch_sub(1, Ordering::SeqCst);
        if self.gate.per_address.is_some() {
            let mut map = self
                .gate
                .by_address
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(n) = map.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&self.ip);
                }
            }
        }
    }
}

impl Gate {
    /// Caps from the configuration. Behind a trusted reverse proxy every connection comes
    /// from the proxy, so there is no cap per address (the proxy's own limits apply).
    pub fn new(limits: &Limits, behind_proxy: bool) -> Gate {
        Gate {
            per_address: (!behind_proxy).then_some(limits.connections_per_address),
            total: limits.connections_total,
            by_address: Mutex::new(HashMap::new()),
            open: AtomicUsize::new(0),
            refused_per_address: AtomicU64::new(0),
            refused_total: AtomicU64::new(0),
            last_logged: Mutex::new(None),
        }
    }

    /// Open connections now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// Admits a connection from `ip`, or refuses it (and logs, at most every few seconds).
    /// IPv6 addresses count by their /64 network, which one client usually holds whole (as
    /// the login limits count them); IPv4-mapped ones as the IPv4 address.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Ticket, Refusal> {
        let ip = crate::extract::network(ip);
        if self.open.fetch_add(1, Ordering::SeqCst) >= self.total {
            self.open.fetch_sub(1, Ordering::SeqCst);
            self.refused(Refusal::Total, ip);
            return Err(Refusal::Total);
        }
        if let Some(cap) = self.per_address {
            let mut map = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
            let n = map.entry(ip).or_insert(0);
            if *n >= cap {
                drop(map);
                self.open.fetch_sub(1, Ordering::SeqCst);
                self.refused(Refusal::PerAddress, ip);
                return Err(Refusal::PerAddress);
            }
            *n += 1;
        }
        Ok(Ticket {
            gate: self.clone(),
            ip,
        })
    }

    fn refused(&self, why: Refusal, ip: IpAddr) {
        let counter = match why {
            Refusal::PerAddress => &self.refused_per_address,
            Refusal::Total => &self.refused_total,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if self.should_log() {
            match why {
                Refusal::PerAddress => tracing::warn!(
                    address = %ip,
                    cap = self.per_address.unwrap_or_default(),
                    refused = self.refused_per_address.load(Ordering::Relaxed),
                    "connection cap per address reached: refusing new connections from it"
                ),
                Refusal::Total => tracing::warn!(
                    cap = self.total,
                    refused = self.refused_total.load(Ordering::Relaxed),
                    "total connection cap reached: refusing new connections"
                ),
            }
        }
    }

    fn should_log(&self) -> bool {
        let mut last = self.last_logged.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < LOG_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }
}

/// A TCP stream that holds its connection's place for as long as it is open.
#[derive(Debug)]
pub struct Counted {
    io: TcpStream,
    _ticket: Ticket,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

/// A request body that must arrive within a deadline from when the request came in; a
/// client trickling its body byte by byte gets an error (the request is refused as invalid)
/// and its connection closed.
#[derive(Debug)]
pub struct DeadlineBody {
    inner: Incoming,
    until: tokio::time::Instant,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// What a body that came too slowly fails with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTooSlow;

impl DeadlineBody {
    fn new(inner: Incoming, timeout: Duration) -> Self {
        DeadlineBody {
            inner,
            until: tokio::time::Instant::now() + timeout,
            timer: None,
        }
    }
}

impl Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        let until = this.until;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(until)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTooSlow)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `app` on `listener` until `shutdown` fires, then waits (a bounded time) for the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    gate: Arc<Gate>,
    limits: Limits,
    shutdown: oneshot::Receiver<()>,
) -> io::Result<()> {
    let (stop_tx, stop) = watch::channel(false);
    // Every connection task holds a sender; when all are gone, `drained` yields `None`.
    let (alive, mut drained) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_error: Option<Instant> = None;
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: pause instead of spinning, and say so.
                    if last_error.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
                        tracing::warn!(error = %e, open = gate.open(), "cannot accept connections");
                        last_error = Some(Instant::now());
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(ticket) = gate.admit(peer.ip()) else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let io = TokioIo::new(Counted {
            io: tcp,
            _ticket: ticket,
        });
        let app = app.clone();
        let body_timeout = limits.body_timeout;
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let mut req = req.map(|b| DeadlineBody::new(b, body_timeout));
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let mut stop = stop.clone();
        let alive = alive.clone();
        tokio::spawn(async move {
            let conn = builder.serve_connection(io, service).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
            drop(alive);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(alive);
    let _ = tokio::time::timeout(Duration::from_secs(10), drained.recv()).await;
    Ok(())
}
