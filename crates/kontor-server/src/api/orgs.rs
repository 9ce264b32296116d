//! Organisations and policies.

use crate::access::{Caller, Operator};
use crate::actions::policies;
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, ClientAddr};
use crate::state::AppState;
use crate::store::{AuditCtx, OrgChange};
use crate::{actions, validate};
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use kontor_proto::ErrorBody;
use kontor_proto::api::{
    Branding, BrandingQuery, CreateOrgRequest, CreateOrgResponse, Org, OrgPatch, Policies,
    PoliciesPatch,
};

/// Creates an organisation and invites its owner (server operator only).
#[utoipa::path(post, path = "/orgs", tag = "orgs", security(("operator" = [])),
    request_body = CreateOrgRequest,
    responses((status = 200, body = CreateOrgResponse), (status = "4XX", body = ErrorBody)))]
pub async fn create_org(
    State(state): State<AppState>,
    op: Operator,
    ApiJson(req): ApiJson<CreateOrgRequest>,
) -> Result<ApiJson<CreateOrgResponse>, ApiError> {
    let ctx = AuditCtx {
        actor: None,
        address: op.address,
        now: state.now(),
    };
    let created = actions::create_org(
        state.store(),
        state.config(),
        &req.name,
        &req.owner_email,
        &ctx,
    )
    .await?;
    tracing::info!(org = %created.org.id, "organisation created");
    Ok(ApiJson(created))
}

/// The caller's organisation.
#[utoipa::path(get, path = "/org", tag = "orgs", security(("session" = [])),
    responses((status = 200, body = Org), (status = "4XX", body = ErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Org>, ApiError> {
    Ok(ApiJson(state.store().org(caller.org).await?))
}

/// Renames the organisation or changes its colours or app name (admins).
#[utoipa::path(patch, path = "/org", tag = "orgs", security(("session" = [])),
    request_body = OrgPatch,
    responses((status = 200, body = Org), (status = "4XX", body = ErrorBody)))]
pub async fn patch_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(patch): ApiJson<OrgPatch>,
) -> Result<ApiJson<Org>, ApiError> {
    caller.require_admin()?;
    let change = OrgChange {
        name: patch
            .name
            .as_deref()
            .map(|n| validate::line("name", n, 2, 100))
            .transpose()?,
        accent_color: patch
            .accent_color
            .as_deref()
            .map(|c| validate::color("accent_color", c))
            .transpose()?,
        secondary_color: patch
            .secondary_color
            .as_deref()
            .map(|c| validate::color("secondary_color", c))
            .transpose()?,
        app_name: patch
            .app_name
            .as_deref()
            .map(validate::app_name)
            .transpose()?,
    };
    let org = state
        .store()
        .change_org(caller.org, &change, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(ApiJson(org))
}

/// The largest logo accepted.
pub const LOGO_MAX_BYTES: usize = 256 * 1024;

/// Sets the organisation's logo (admins): PNG, JPEG or WebP, at most 256 KiB and 4096 pixels a
/// side, checked by its bytes (SVG refused). A square PNG of 512 × 512 pixels suits the installed app best.
#[utoipa::path(put, path = "/org/logo", tag = "orgs", security(("session" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Org), (status = "4XX", body = ErrorBody)))]
pub async fn put_logo(
    State(state): State<AppState>,
    caller: Caller,
    body: Bytes,
) -> Result<ApiJson<Org>, ApiError> {
    caller.require_admin()?;
    let content_type = kontor_intake::images::check(&body, LOGO_MAX_BYTES)?;
    let org = state
        .store()
        .set_logo(
            caller.org,
            Some((content_type, &body)),
            &caller.audit(&state),
        )
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(ApiJson(org))
}

/// Removes the organisation's logo (admins).
#[utoipa::path(delete, path = "/org/logo", tag = "orgs", security(("session" = [])),
    responses((status = 200, body = Org), (status = "4XX", body = ErrorBody)))]
pub async fn delete_logo(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Org>, ApiError> {
    caller.require_admin()?;
    let org = state
        .store()
        .set_logo(caller.org, None, &caller.audit(&state))
        .await?;
    effects::apply(&state, Effects::new().org_changed(caller.org)).await;
    Ok(ApiJson(org))
}

/// How many unknown organisations one address may ask for: branding is public, but a server's
/// list of organisations is not for guessing.
/// An organisation's name, colours and whether it has a logo, for the login screen and the
/// installed app (public: shown before anybody logs in).
#[utoipa::path(get, path = "/branding", tag = "orgs", params(BrandingQuery),
    responses((status = 200, body = Branding), (status = "4XX", body = ErrorBody)))]
pub async fn branding(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiQuery(q): ApiQuery<BrandingQuery>,
) -> Result<ApiJson<Branding>, ApiError> {
    let org = crate::actions::branding::branded_org(&state, &addr, q.org.as_deref()).await?;
    Ok(ApiJson(Branding {
        name: org.name,
        slug: org.slug,
        accent_color: org.accent_color,
        secondary_color: org.secondary_color,
        app_name: org.app_name,
        has_logo: org.has_logo,
    }))
}

/// An organisation's logo (public, like its name).
#[utoipa::path(get, path = "/branding/logo", tag = "orgs", params(BrandingQuery),
    responses((status = 200, content_type = "image/*", body = Vec<u8>), (status = "4XX", body = ErrorBody)))]
pub async fn logo(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiQuery(q): ApiQuery<BrandingQuery>,
) -> Result<Response, ApiError> {
    let org = crate::actions::branding::branded_org(&state, &addr, q.org.as_deref()).await?;
    let (content_type, bytes) = state.store().logo(org.id).await?;
    crate::web::image_response(&content_type, bytes, "public, max-age=300")
}

/// The organisation's policies (everybody in it).
#[utoipa::path(get, path = "/org/policies", tag = "orgs", security(("session" = [])),
    responses((status = 200, body = Policies), (status = "4XX", body = ErrorBody)))]
pub async fn get_policies(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Policies>, ApiError> {
    Ok(ApiJson(state.store().policies(caller.org).await?))
}

/// Changes policies (admins).
#[utoipa::path(patch, path = "/org/policies", tag = "orgs", security(("session" = [])),
    request_body = PoliciesPatch,
    responses((status = 200, body = Policies), (status = "4XX", body = ErrorBody)))]
pub async fn patch_policies(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(patch): ApiJson<PoliciesPatch>,
) -> Result<ApiJson<Policies>, ApiError> {
    caller.require_admin()?;
    let current = state.store().policies(caller.org).await?;
    let cap_mib = state.config().limits.storage_per_org_bytes / (1024 * 1024);
    let p = policies::patched(current, patch, cap_mib)?;
    let fx = policies::set(&state, caller.org, &p, &caller.audit(&state)).await?;
    effects::apply(&state, fx).await;
    Ok(ApiJson(p))
}
