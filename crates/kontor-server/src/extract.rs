//! Extractors: request parts parsed into trusted types, with every rejection mapped to the
//! API's error shape.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::rejection::PathRejection;
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
///
/// A request body must have exactly the shape of its type: a field the type does not know is
/// refused (the request types deny unknown fields), and so is an array where the type has an
/// object (serde would take `["a", "b"]` for a struct). The error names the field.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + Serialize,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => v,
            Err(r) => return Err(from_status(r.status())),
        };
        let parsed: T = serde_path_to_error::deserialize(&value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.inner().to_string();
            let named = ["unknown field `", "missing field `"]
                .iter()
                .find_map(|p| inner.strip_prefix(p))
                .and_then(|rest| rest.split_once('`'))
                .map(|(f, _)| f)
                .filter(|f| is_field_name(f));
            malformed(match named {
                // The path may already end in the unknown key.
                Some(f) if path != f && !path.ends_with(&format!(".{f}")) => join(&path, f),
                _ => path,
            })
        })?;
        let shaped = serde_json::to_value(&parsed).map_err(|_| ApiError::internal())?;
        if let Some(path) = array_for_object(&value, &shaped, String::new()) {
            return Err(malformed(path));
        }
        Ok(ApiJson(parsed))
    }
}

/// A field name worth repeating to the client (never arbitrary input).
fn is_field_name(f: &str) -> bool {
    (1..=40).contains(&f.len())
        && f.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() || path == "." {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

fn malformed(path: String) -> ApiError {
    ApiError {
        code: ErrorCode::MalformedBody,
        // Only a path of field names is repeated, never other input.
        field: Some(path).filter(|p| p.split('.').all(is_field_name) && p.len() < 64),
        retry_after_secs: None,
    }
}

/// Where the input has an array but the type an object, if anywhere.
fn array_for_object(
    input: &serde_json::Value,
    shaped: &serde_json::Value,
    path: String,
) -> Option<String> {
    use serde_json::Value;
    match (input, shaped) {
        (Value::Array(_), Value::Object(_)) => Some(path),
        (Value::Object(i), Value::Object(o)) => i.iter().find_map(|(k, v)| {
            o.get(k)
                .and_then(|w| array_for_object(v, w, join(&path, k)))
        }),
        (Value::Array(i), Value::Array(o)) => i
            .iter()
            .zip(o)
            .enumerate()
            .find_map(|(n, (v, w))| array_for_object(v, w, join(&path, &n.to_string()))),
        _ => None,
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
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        // Parsed with the path tracked, so that a value out of its type's range (an `offset`
        // past u32, a negative `after`) is refused naming its parameter.
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                ApiError {
                    code: ErrorCode::InvalidInput,
                    field: Some(path).filter(|p| is_field_name(p)),
                    retry_after_secs: None,
                }
            })
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
            Some(Ok(ip)) => match network(ip) {
                v6 @ std::net::IpAddr::V6(_) => format!("{v6}/64"),
                v4 => v4.to_string(),
            },
            _ => self.0.clone().unwrap_or_else(|| "local".to_owned()),
        }
    }
}

/// The network one client holds: an IPv6 address's /64 (a client usually holds it whole), an
/// IPv4 address (also one written as IPv4-mapped IPv6) itself. Limits per address count it.
pub fn network(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip.to_canonical() {
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            std::net::IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
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
