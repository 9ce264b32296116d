//! The web app: the built files of `web/` (a directory, `web/dist` by default), served from
//! memory.
//!
//! - Precompressed variants (`.br`, `.gz`, written by the web build) are sent to browsers
//!   that accept them; `Vary: Accept-Encoding`.
//! - Hashed files under `/assets/` are cached for a year; everything else is revalidated by
//!   its ETag, so a new version reaches every device at the next start.
//! - Any other page path (`/join`, `/c/…`, `/admin/…`) gets the app shell, `index.html`.
//! - The manifest of the installable app is made per organisation from its branding.
//! - Security headers: a content security policy that allows only Kontor's own scripts (and
//!   WebAssembly), no framing, no referrer, no sniffing.

use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use kontor_proto::ErrorCode;
use kontor_proto::api::BrandingQuery;
use kontor_proto::error::Lang;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;

/// What the app's pages may load: our scripts and WebAssembly, our styles, images from us
/// or made on the device, connections to us (HTTP and WebSocket).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; \
     worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// One file of the built app.
#[derive(Debug)]
struct Asset {
    content_type: &'static str,
    identity: axum::body::Bytes,
    br: Option<axum::body::Bytes>,
    gzip: Option<axum::body::Bytes>,
    etag: String,
}

/// The built web app, in memory.
#[derive(Debug, Default)]
pub struct WebApp {
    files: HashMap<String, Asset>,
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

impl WebApp {
    /// Loads every file under `dir` (nothing when it does not exist: the API still works, and
    /// pages explain how to build the app).
    pub fn load(dir: &Path) -> WebApp {
        let mut raw: HashMap<String, Vec<u8>> = HashMap::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                // Hidden files are never part of the app (and may be anything else).
                if e.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else if let (Ok(rel), Ok(bytes)) = (p.strip_prefix(dir), std::fs::read(&p)) {
                    let key = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
                    raw.insert(key, bytes);
                }
            }
        }
        let mut files = HashMap::new();
        for (path, bytes) in &raw {
            if path.ends_with(".br") || path.ends_with(".gz") {
                continue;
            }
            let variant = |suffix: &str| {
                raw.get(&format!("{path}{suffix}"))
                    .map(|b| axum::body::Bytes::from(b.clone()))
            };
            files.insert(
                path.clone(),
                Asset {
                    content_type: content_type(path),
                    br: variant(".br"),
                    gzip: variant(".gz"),
                    etag: etag(bytes),
                    identity: axum::body::Bytes::from(bytes.clone()),
                },
            );
        }
        WebApp { files }
    }

    /// Whether the app was built.
    pub fn is_built(&self) -> bool {
        self.files.contains_key("/index.html")
    }

    /// How many files are served.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Middleware: headers every answer carries. API answers are never cached (they are one
/// person's data) and never sniffed; with an `https` public address, browsers are told to
/// use nothing else (HSTS, a year).
pub async fn transport_headers(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = req.uri().path().starts_with(kontor_proto::API_PREFIX);
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if api {
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    if state.config().public_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    res
}

fn security_headers(h: &mut HeaderMap, html: bool) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    if html {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        h.insert(
            "permissions-policy",
            HeaderValue::from_static("camera=(self), microphone=(self), geolocation=(self)"),
        );
    }
}

fn respond(asset: &Asset, path: &str, req: &HeaderMap, head: bool) -> Response {
    let cache = if path.starts_with("/assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = if req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let accepts = req
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let accepts = |coding: &str| {
            accepts
                .split(',')
                .any(|c| c.split(';').next().is_some_and(|n| n.trim() == coding))
        };
        let (body, encoding) = match (&asset.br, &asset.gzip) {
            (Some(br), _) if accepts("br") => (br.clone(), Some("br")),
            (_, Some(gz)) if accepts("gzip") => (gz.clone(), Some("gzip")),
            _ => (asset.identity.clone(), None),
        };
        let len = body.len();
        let mut res = if head {
            Response::new(Body::empty())
        } else {
            Response::new(Body::from(body))
        };
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if let Some(e) = encoding {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
        }
        res
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Ok(v) = HeaderValue::from_str(&asset.etag) {
        h.insert(header::ETAG, v);
    }
    security_headers(h, asset.content_type.starts_with("text/html"));
    res
}

/// A page explaining that the app is not built (the API works without it).
fn not_built() -> Response {
    let mut res = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><meta charset=utf-8><title>Kontor</title>\
         <p>Die Web-App ist nicht gebaut: <code>./run.sh</code> baut sie.</p>\
         <p>The web app is not built: <code>./run.sh</code> builds it.</p>",
    )
        .into_response();
    security_headers(res.headers_mut(), true);
    res
}

/// Every path that is not the API: files of the app, or the app shell for page paths.
pub async fn serve(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(ErrorCode::MethodNotAllowed).into_response();
    }
    let head = method == Method::HEAD;
    let web = state.web();
    let path = if path == "/" { "/index.html" } else { path };
    if let Some(asset) = web.files.get(path) {
        return respond(asset, path, &headers, head);
    }
    // Page paths of the app (no file extension) get its shell.
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    match web.files.get("/index.html") {
        Some(index) => respond(index, "/index.html", &headers, head),
        None => not_built(),
    }
}

/// The installable app's manifest, in the organisation's colours and with its name, app
/// name (`short_name`) and logo: `?org=slug`, or the only organisation, or Kontor's own.
pub async fn manifest(
    State(state): State<AppState>,
    addr: crate::extract::ClientAddr,
    Query(q): Query<BrandingQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default();
    let org = crate::actions::branding::branded_org(&state, &addr, q.org.as_deref())
        .await
        .ok();
    let name = org.as_ref().map_or("Kontor".to_owned(), |o| o.name.clone());
    // The name under the icon: the admin's choice, else the name cut to what phones show.
    let short: String = match org.as_ref().and_then(|o| o.app_name.clone()) {
        Some(app_name) => app_name,
        None => name.chars().take(crate::validate::APP_NAME_MAX).collect(),
    };
    let theme = org
        .as_ref()
        .and_then(|o| o.secondary_color.clone().or_else(|| o.accent_color.clone()))
        .unwrap_or_else(|| "#0f5c4d".to_owned());
    let mut icons = vec![
        serde_json::json!({ "src": "/icons/kontor-192.png", "sizes": "192x192", "type": "image/png" }),
        serde_json::json!({ "src": "/icons/kontor-512.png", "sizes": "512x512", "type": "image/png" }),
        serde_json::json!({ "src": "/icons/kontor-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable" }),
    ];
    if let Some(o) = org.as_ref().filter(|o| o.has_logo)
        && let Ok((content_type, bytes)) = state.store().logo(o.id).await
        && let Some((w, h)) = kontor_intake::images::png(&bytes)
    {
        icons.insert(
            0,
            serde_json::json!({
                "src": format!("/api/v1/branding/logo?org={}", o.slug),
                "sizes": format!("{w}x{h}"),
                "type": content_type,
            }),
        );
    }
    let description = match lang {
        Lang::De => "Die Nachrichten Ihrer Organisation, Ende-zu-Ende-verschlüsselt.",
        Lang::En => "Your organisation's messages, end-to-end encrypted.",
    };
    let start = match &org {
        Some(o) => format!("/?org={}", o.slug),
        None => "/".to_owned(),
    };
    let body = serde_json::json!({
        "name": name,
        "short_name": short,
        "description": description,
        "lang": match lang { Lang::De => "de", Lang::En => "en" },
        "id": "/",
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": theme,
        "icons": icons,
    });
    let mut res = (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response();
    security_headers(res.headers_mut(), false);
    res
}

/// An image that was checked by its bytes when stored: served as exactly that type, never
/// sniffed, never able to run anything.
pub fn image_response(
    content_type: &str,
    bytes: Vec<u8>,
    cache: &'static str,
) -> Result<Response, ApiError> {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).map_err(|_| ApiError::internal())?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_files_with_their_compressed_variants() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dir.path().join("assets/app-1.js"), "x").unwrap();
        std::fs::write(dir.path().join("assets/app-1.js.br"), "b").unwrap();
        let web = WebApp::load(dir.path());
        assert!(web.is_built());
        assert_eq!(web.len(), 2, "variants belong to their file");
        let js = &web.files["/assets/app-1.js"];
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
        assert!(js.br.is_some() && js.gzip.is_none());
        assert!(!WebApp::load(&dir.path().join("missing")).is_built());
    }
}
