//! Liveness, readiness, metrics and server facts.

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use kontor_proto::api::ServerInfo;

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

/// Prometheus metrics.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(state.hub().connections()),
    )
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
