//! API errors become HTTP responses here, and only here.
//!
//! Handlers return [`ApiError`], which carries a stable [`ErrorCode`] and optionally the
//! offending field. The response body is rendered in English; the [`localize`] middleware
//! re-renders it in German when the request's `Accept-Language` prefers German. Internal
//! causes are logged (without content) and never sent.

use crate::store::StoreError;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kontor_proto::error::Lang;
use kontor_proto::{ErrorBody, ErrorCode, ErrorDetail};

/// An error answer of the API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub field: Option<String>,
    pub retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            code,
            field: None,
            retry_after_secs: None,
        }
    }
    pub fn field(code: ErrorCode, field: impl Into<String>) -> Self {
        ApiError {
            code,
            field: Some(field.into()),
            retry_after_secs: None,
        }
    }
    pub fn invalid(field: impl Into<String>) -> Self {
        Self::field(ErrorCode::InvalidInput, field)
    }
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        ApiError {
            code: ErrorCode::RateLimited,
            field: None,
            retry_after_secs: Some(retry_after_secs.max(1)),
        }
    }
    pub fn not_found() -> Self {
        Self::new(ErrorCode::NotFound)
    }
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden)
    }
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal)
    }

    /// The body in a language.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.code.render(lang, self.field.as_deref()),
                field: self.field.clone(),
                retry_after_secs: self.retry_after_secs,
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Refused(code, field) => ApiError {
                code,
                field: field.map(str::to_owned),
                retry_after_secs: None,
            },
            // Two writers raced for the same unique name: the loser hears "already exists".
            StoreError::Db(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                ApiError::new(ErrorCode::AlreadyExists)
            }
            StoreError::Db(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::new(ErrorCode::Internal)
            }
            StoreError::Corrupt(col) => {
                tracing::error!(column = col, "corrupt data in database");
                ApiError::internal()
            }
        }
    }
}

impl From<kontor_intake::images::ImageError> for ApiError {
    fn from(e: kontor_intake::images::ImageError) -> Self {
        use kontor_intake::images::ImageError;
        match e {
            ImageError::Unsupported => ApiError::new(ErrorCode::UnsupportedMediaType),
            ImageError::BadSize => ApiError::field(ErrorCode::PayloadTooLarge, "image"),
            _ => ApiError::new(ErrorCode::PayloadTooLarge),
        }
    }
}

impl From<kontor_intake::mls_framing::Malformed> for ApiError {
    fn from(e: kontor_intake::mls_framing::Malformed) -> Self {
        ApiError::invalid(e.0)
    }
}

impl From<kontor_intake::import::ImportError> for ApiError {
    fn from(e: kontor_intake::import::ImportError) -> Self {
        use kontor_intake::import::ImportError;
        match e {
            ImportError::UnknownColumn(name) => {
                ApiError::field(ErrorCode::ImportUnknownColumn, name)
            }
            ImportError::MissingColumn(c) => {
                ApiError::field(ErrorCode::ImportMissingColumn, c.as_str())
            }
            ImportError::DuplicateColumn(c) => {
                ApiError::field(ErrorCode::ImportDuplicateColumn, c.as_str())
            }
            ImportError::TooManyLines => ApiError::new(ErrorCode::ImportTooManyLines),
            _ => ApiError::new(ErrorCode::ImportNoHeader),
        }
    }
}

/// Marks a response as an API error so that [`localize`] can re-render it.
#[derive(Clone, Debug)]
struct ErrorMarker(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(self.body(Lang::En))).into_response();
        if let Some(secs) = self.retry_after_secs
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res.extensions_mut().insert(ErrorMarker(self));
        res
    }
}

/// Middleware: renders error bodies in the language of the request.
pub async fn localize(req: Request, next: Next) -> Response {
    let lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default();
    let mut res = next.run(req).await;
    if lang != Lang::En
        && let Some(ErrorMarker(err)) = res.extensions().get::<ErrorMarker>().cloned()
    {
        let body = serde_json::to_vec(&err.body(lang)).unwrap_or_default();
        res.headers_mut().remove(header::CONTENT_LENGTH);
        *res.body_mut() = axum::body::Body::from(body);
    }
    res.headers_mut().insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(match lang {
            Lang::De => "de",
            Lang::En => "en",
        }),
    );
    res
}

/// Turns responses that did not come from a handler (unknown paths, wrong methods, oversized
/// bodies rejected by a layer, panics) into the error shape.
pub async fn shape_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.extensions().get::<ErrorMarker>().is_some() || res.status().is_success() {
        return res;
    }
    let code = match res.status() {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        s if s.is_server_error() => ErrorCode::Internal,
        s if s.is_client_error() => ErrorCode::InvalidInput,
        _ => return res,
    };
    ApiError::new(code).into_response()
}
