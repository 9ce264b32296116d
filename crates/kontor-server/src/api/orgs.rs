//! Organisations and policies.

use crate::access::{Caller, Operator};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::store::AuditCtx;
use crate::{actions, validate};
use axum::extract::State;
use kontor_proto::ErrorBody;
use kontor_proto::api::{
    CreateOrgRequest, CreateOrgResponse, Org, OrgPatch, Policies, PoliciesPatch,
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
        &req.admin_email,
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

/// Renames the organisation (admins).
#[utoipa::path(patch, path = "/org", tag = "orgs", security(("session" = [])),
    request_body = OrgPatch,
    responses((status = 200, body = Org), (status = "4XX", body = ErrorBody)))]
pub async fn patch_org(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(patch): ApiJson<OrgPatch>,
) -> Result<ApiJson<Org>, ApiError> {
    caller.require_admin()?;
    let org = match patch.name {
        Some(name) => {
            let name = validate::line("name", &name, 2, 100)?;
            state
                .store()
                .rename_org(caller.org, &name, &caller.audit(&state))
                .await?
        }
        None => state.store().org(caller.org).await?,
    };
    Ok(ApiJson(org))
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
    let mut p = state.store().policies(caller.org).await?;
    if let Some(v) = patch.presence {
        p.presence = v;
    }
    if let Some(v) = patch.read_receipts {
        p.read_receipts = v;
    }
    if let Some(days) = patch.retention_days {
        if days > 36_500 {
            return Err(ApiError::invalid("retention_days"));
        }
        p.retention_days = (days > 0).then_some(days);
    }
    if let Some(bytes) = patch.max_upload_bytes {
        if !(1024..=10 * 1024 * 1024 * 1024).contains(&bytes) {
            return Err(ApiError::invalid("max_upload_bytes"));
        }
        p.max_upload_bytes = bytes;
    }
    if let Some(v) = patch.guest_access {
        p.guest_access = v;
    }
    if let Some(domains) = patch.self_registration_domains {
        if domains.len() > 20 {
            return Err(ApiError::invalid("self_registration_domains"));
        }
        let mut clean = Vec::new();
        for d in domains {
            let d = validate::email("self_registration_domains", &format!("x@{}", d.trim()))?;
            let domain = d
                .split_once('@')
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default();
            if !clean.contains(&domain) {
                clean.push(domain);
            }
        }
        p.self_registration_domains = clean;
    }
    let guests_locked_out =
        !p.guest_access && state.store().policies(caller.org).await?.guest_access;
    state
        .store()
        .set_policies(caller.org, &p, &caller.audit(&state))
        .await?;
    if guests_locked_out {
        // Requests of guests fail from now on; close their event streams too.
        let filter = crate::store::CandidateFilter {
            role: Some(kontor_proto::api::Role::Guest),
            include_inactive: true,
            ..Default::default()
        };
        for guest in state
            .store()
            .directory_candidates(caller.org, &filter)
            .await?
        {
            let sessions: Vec<_> = state
                .store()
                .sessions(caller.org, guest.id, state.now())
                .await?
                .into_iter()
                .map(|s| s.id)
                .collect();
            state.hub().end_sessions(&sessions);
        }
    }
    state.hub().notify(caller.org);
    Ok(ApiJson(p))
}
