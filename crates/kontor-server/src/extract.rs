//! Extractors: request parts parsed into trusted types, with every rejection mapped to the
//! API's error shape.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use kontor_proto::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

fn from_status(status: StatusCode) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(ErrorCode::PayloadTooLarge),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(ErrorCode::UnsupportedMediaType),
        _ => ApiError::new(ErrorCode::MalformedBody),
    }
}

/// A JSON body (request) or JSON answer (response).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                // Say which field, never echo the input. The text reads
                // "<prefix>: <path>: <serde error>" or "<prefix>: missing field `x` …".
                let text = e.body_text();
                let rest = text.split_once(": ").map(|(_, r)| r).unwrap_or_default();
                let field = match rest.split_once(": ") {
                    Some((path, _)) if !path.contains(' ') => Some(path.to_owned()),
                    _ => rest
                        .split_once("missing field `")
                        .and_then(|(_, r)| r.split_once('`'))
                        .map(|(f, _)| f.to_owned()),
                }
                .filter(|p| p.len() < 64 && !p.is_empty());
                Err(ApiError {
                    code: ErrorCode::MalformedBody,
                    field,
                    retry_after_secs: None,
                })
            }
            Err(r) => Err(from_status(r.status())),
        }
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_: PathRejection| ApiError::not_found())
    }
}

/// Query parameters.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiQuery(p.0))
            .map_err(|_: QueryRejection| ApiError::new(ErrorCode::InvalidInput))
    }
}

/// The address a request came from: the peer, or with `trust_forwarded_for` the last address
/// that the reverse proxy appended to `X-Forwarded-For`.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub Option<String>);

impl ClientAddr {
    /// A key for rate limits (`local` when unknown, e.g. in-process tests). IPv6 addresses
    /// are grouped by their /64 network, which one client usually holds whole.
    pub fn key(&self) -> String {
        match self.0.as_deref().map(str::parse::<std::net::IpAddr>) {
            Some(Ok(std::net::IpAddr::V6(v6))) if v6.to_ipv4_mapped().is_none() => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
            Some(Ok(ip)) => ip.to_canonical().to_string(),
            _ => self.0.clone().unwrap_or_else(|| "local".to_owned()),
        }
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config().trust_forwarded_for
            && let Some(last) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|s| s.parse::<std::net::IpAddr>().is_ok())
        {
            return Ok(ClientAddr(Some(last.to_owned())));
        }
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        ))
    }
}

/// The `Authorization: Bearer …` token, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}
