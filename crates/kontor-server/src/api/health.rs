//! Liveness, readiness, metrics and server facts.

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kontor_proto::api::ServerInfo;
use std::sync::atomic::Ordering;

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: the database answers.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store().ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Prometheus metrics: only when a metrics token is configured, and only with it (they tell
/// how many people log in and how busy the server is).
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.config().metrics_token.as_deref() else {
        return ApiError::not_found().into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let label = "kontor/v1/metrics-token";
    if !crate::tokens::constant_time_eq(
        crate::tokens::hash(label, presented).as_bytes(),
        crate::tokens::hash(label, expected).as_bytes(),
    ) {
        return ApiError::new(kontor_proto::ErrorCode::Unauthenticated).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(crate::metrics::Live {
            ws_connections: state.hub().connections(),
            tcp_connections: state.gate().open(),
            refused_per_address: state.gate().refused_per_address.load(Ordering::Relaxed),
            refused_total: state.gate().refused_total.load(Ordering::Relaxed),
            sockets_evicted: state.hub().evicted.load(Ordering::Relaxed),
        }),
    )
        .into_response()
}

/// Facts a client needs before anyone logs in.
#[utoipa::path(get, path = "/server", tag = "server",
    responses((status = 200, body = ServerInfo)))]
pub async fn server_info(State(state): State<AppState>) -> Result<ApiJson<ServerInfo>, ApiError> {
    Ok(ApiJson(ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        has_orgs: state.store().has_orgs().await?,
    }))
}
