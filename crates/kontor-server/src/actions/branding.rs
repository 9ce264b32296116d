//! Branding before login: which organisation a public request means.

use crate::error::ApiError;
use crate::extract::ClientAddr;
use crate::state::AppState;
use kontor_proto::ErrorCode;
use kontor_proto::api::Org;

const BRANDING_MISSES: crate::ratelimit::Limit = crate::ratelimit::Limit {
    max: 20,
    window_ms: 10 * 60 * 1000,
};

/// The organisation a public branding request means: by slug, or the only one. Misses count
/// against the address.
pub(crate) async fn branded_org(
    state: &AppState,
    addr: &ClientAddr,
    slug: Option<&str>,
) -> Result<Org, ApiError> {
    let key = format!("branding-miss:{}", addr.key());
    // Counted before the lookup (one step with the check), taken back on a hit.
    state
        .limiter()
        .acquire(&key, BRANDING_MISSES, state.now())
        .map_err(ApiError::rate_limited)?;
    let org = match slug.filter(|s| !s.is_empty()) {
        Some(slug) => state.store().org_by_slug(slug).await,
        None => state.store().only_org().await,
    };
    match org {
        Ok(Some(o)) => {
            state.limiter().release(&key);
            Ok(o)
        }
        Ok(None) => Err(ApiError::new(ErrorCode::NotFound)),
        Err(e) => {
            state.limiter().release(&key);
            Err(e.into())
        }
    }
}
