//! The audit log of admin actions.

use crate::access::Caller;
use crate::clock::parse_rfc3339;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::store::AuditFilter;
use crate::validate;
use axum::extract::State;
use kontor_proto::ErrorBody;
use kontor_proto::api::{AuditPage, AuditQuery};

/// Admin actions, newest first, filtered (admins).
#[utoipa::path(get, path = "/audit", tag = "audit", security(("session" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<ApiJson<AuditPage>, ApiError> {
    caller.require_admin()?;
    let time = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(|s| parse_rfc3339(s).ok_or(ApiError::invalid(field)))
            .transpose()
    };
    let limit = validate::limit(q.limit, 100, 500)?;
    let filter = AuditFilter {
        actor: q.actor,
        action: q
            .action
            .as_deref()
            .map(|a| validate::line("action", a, 1, 64).map(|a| a.to_lowercase()))
            .transpose()?,
        target_id: q
            .target_id
            .as_deref()
            .map(|t| validate::line("target_id", t, 1, 64))
            .transpose()?,
        since: time("since", &q.since)?,
        until: time("until", &q.until)?,
        before: q.before,
        limit,
    };
    let entries = state.store().audit_entries(caller.org, &filter).await?;
    let next_before = (entries.len() as u32 == limit)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(ApiJson(AuditPage {
        entries,
        next_before,
    }))
}
