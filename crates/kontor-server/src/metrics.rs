//! Prometheus metrics, written by hand: a few counters and one histogram need no library.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Process-wide counters.
#[derive(Debug, Default)]
pub struct Metrics {
    responses: [AtomicU64; 5],
    duration_buckets: [AtomicU64; BUCKETS.len()],
    duration_count: AtomicU64,
    duration_sum_micros: AtomicU64,
    pub logins_ok: AtomicU64,
    pub logins_failed: AtomicU64,
    pub logins_limited: AtomicU64,
    pub events_sent: AtomicU64,
    pub messages_stored: AtomicU64,
    /// Requests refused by a send, claim or storage limit.
    pub limited: AtomicU64,
}

/// One metric family: name, type, help, and each label set with its value.
type Family<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, u64)]);

/// Gauges and counters kept elsewhere (the accept loop, the hub), read when rendering.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    pub ws_connections: usize,
    pub tcp_connections: usize,
    pub refused_per_address: u64,
    pub refused_total: u64,
    pub sockets_evicted: u64,
}

impl Metrics {
    fn observe(&self, status: u16, seconds: f64) {
        let class = (usize::from(status / 100)).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                self.duration_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.duration_count.fetch_add(1, Ordering::Relaxed);
        self.duration_sum_micros
            .fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition.
    pub fn render(&self, live: Live) -> String {
        let mut s = String::new();
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "# HELP kontor_http_responses_total HTTP responses by status class."
        );
        let _ = writeln!(s, "# TYPE kontor_http_responses_total counter");
        for (i, c) in self.responses.iter().enumerate() {
            let _ = writeln!(
                s,
                "kontor_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                get(c)
            );
        }
        let _ = writeln!(
            s,
            "# HELP kontor_http_request_duration_seconds Time to answer HTTP requests."
        );
        let _ = writeln!(s, "# TYPE kontor_http_request_duration_seconds histogram");
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "kontor_http_request_duration_seconds_bucket{{le=\"{le}\"}} {}",
                get(&self.duration_buckets[i])
            );
        }
        let count = get(&self.duration_count);
        let _ = writeln!(
            s,
            "kontor_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "kontor_http_request_duration_seconds_sum {}",
            get(&self.duration_sum_micros) as f64 / 1e6
        );
        let _ = writeln!(s, "kontor_http_request_duration_seconds_count {count}");
        let _ = writeln!(s, "# HELP kontor_logins_total Login attempts by result.");
        let _ = writeln!(s, "# TYPE kontor_logins_total counter");
        let _ = writeln!(
            s,
            "kontor_logins_total{{result=\"ok\"}} {}",
            get(&self.logins_ok)
        );
        let _ = writeln!(
            s,
            "kontor_logins_total{{result=\"failed\"}} {}",
            get(&self.logins_failed)
        );
        let _ = writeln!(
            s,
            "kontor_logins_total{{result=\"rate_limited\"}} {}",
            get(&self.logins_limited)
        );
        let metrics: [Family<'_>; 7] = [
            (
                "kontor_events_sent_total",
                "counter",
                "Events pushed over WebSockets.",
                &[("", get(&self.events_sent))],
            ),
            (
                "kontor_messages_stored_total",
                "counter",
                "MLS messages stored by the delivery service.",
                &[("", get(&self.messages_stored))],
            ),
            (
                "kontor_websocket_connections",
                "gauge",
                "Live WebSocket connections.",
                &[("", live.ws_connections as u64)],
            ),
            (
                "kontor_tcp_connections",
                "gauge",
                "Open TCP connections.",
                &[("", live.tcp_connections as u64)],
            ),
            (
                "kontor_connections_refused_total",
                "counter",
                "Connections refused by a connection cap.",
                &[
                    ("{cap=\"per_address\"}", live.refused_per_address),
                    ("{cap=\"total\"}", live.refused_total),
                ],
            ),
            (
                "kontor_websockets_evicted_total",
                "counter",
                "Event sockets closed because their device or person had too many.",
                &[("", live.sockets_evicted)],
            ),
            (
                "kontor_limited_total",
                "counter",
                "Requests refused by a send, key-package or storage limit.",
                &[("", get(&self.limited))],
            ),
        ];
        for (name, kind, help, values) in metrics {
            let _ = writeln!(s, "# HELP {name} {help}");
            let _ = writeln!(s, "# TYPE {name} {kind}");
            for (labels, value) in values {
                let _ = writeln!(s, "{name}{labels} {value}");
            }
        }
        s
    }
}

/// Middleware: counts responses and their latency (labels carry no path or id).
pub async fn track(State(state): State<crate::AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let _route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let res = next.run(req).await;
    state
        .metrics()
        .observe(res.status().as_u16(), started.elapsed().as_secs_f64());
    res
}
