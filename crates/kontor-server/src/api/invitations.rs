//! Invitations: one, many (CSV), preview and acceptance.

use crate::access::{self, Caller};
use crate::actions::import;
use crate::actions::logins::{hash_password, new_session, session_created};
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ClientAddr};
use crate::ratelimit::login as limits;
use crate::state::AppState;
use crate::store::Acceptance;
use crate::{actions, validate};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use kontor_intake::import::ImportFile;
use kontor_proto::api::{
    AcceptInvitationRequest, CreateInvitationRequest, ImportReport, Invitation,
    InvitationCodeRequest, InvitationCreated, InvitationPreview, OrgRole, PersonStatus,
    SessionCreated,
};
use kontor_proto::error::Lang;
use kontor_proto::{ErrorBody, ErrorCode, InvitationId};

/// Invites one person (admins). The code and link are shown only in this answer.
#[utoipa::path(post, path = "/invitations", tag = "invitations", security(("session" = [])),
    request_body = CreateInvitationRequest,
    responses((status = 200, body = InvitationCreated), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateInvitationRequest>,
) -> Result<ApiJson<InvitationCreated>, ApiError> {
    caller.require_admin()?;
    if req.role == OrgRole::Owner && caller.role != OrgRole::Owner {
        return Err(ApiError::field(ErrorCode::Forbidden, "role"));
    }
    let created = actions::invite(
        state.store(),
        state.config(),
        caller.org,
        &req,
        &caller.audit(&state),
    )
    .await?;
    Ok(ApiJson(created))
}

/// The organisation's invitations, newest first (admins).
#[utoipa::path(get, path = "/invitations", tag = "invitations", security(("session" = [])),
    responses((status = 200, body = Vec<Invitation>), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<Invitation>>, ApiError> {
    caller.require_admin()?;
    Ok(ApiJson(state.store().invitations(caller.org).await?))
}

/// Revokes an invitation that has not been accepted (admins).
#[utoipa::path(delete, path = "/invitations/{invitation_id}", tag = "invitations", security(("session" = [])),
    params(("invitation_id" = InvitationId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<InvitationId>,
) -> Result<StatusCode, ApiError> {
    caller.require_admin()?;
    let owner_invitation = state
        .store()
        .invitations(caller.org)
        .await?
        .iter()
        .any(|i| i.id == id && i.role == OrgRole::Owner);
    if owner_invitation && caller.role != OrgRole::Owner {
        return Err(ApiError::forbidden());
    }
    state
        .store()
        .revoke_invitation(caller.org, id, &caller.audit(&state))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Imports people from CSV (admins). The first line names the columns, in English or German:
/// `email`/`E-Mail` and `display_name`/`Name` (required), `role`/`Rolle`, `teams`/`Teams`
/// (team names separated by `;`), `job_title`/`Berufsbezeichnung`,
/// `competences`/`Kompetenzen` and `languages`/`Sprachen` (separated by `;`),
/// `location`/`Standort`, `phone_extension`/`Durchwahl`; an unknown column refuses the file
/// (`import_unknown_column`). UTF-8 or Windows-1252, `,` or `;`. Each line is invited on its
/// own: good lines are imported, bad lines are skipped and named with the reason (`reason`:
/// a code and what it is about). How the file is read: [`kontor_intake::import`].
#[utoipa::path(post, path = "/invitations/import", tag = "invitations", security(("session" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport), (status = "4XX", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<ApiJson<ImportReport>, ApiError> {
    caller.require_admin()?;
    let lang = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default();
    let file = ImportFile::read(&body)?;
    let report = import::people(&state, &caller, &file, lang).await?;
    Ok(ApiJson(report))
}

/// Counts a code attempt against the address before the code is looked at, and refuses when
/// the address has failed too often: the check and the count are one step, so parallel
/// guesses cannot overshoot. Attempts that were not wrong codes are taken back.
fn check_code_limit(state: &AppState, addr: &ClientAddr) -> Result<String, ApiError> {
    let key = format!("invitation-addr:{}", addr.key());
    state
        .limiter()
        .acquire(&key, limits::INVITATION_PER_ADDRESS, state.now())
        .map_err(ApiError::rate_limited)?;
    Ok(key)
}

fn count_failure(state: &AppState, key: &str, e: &ApiError) {
    if !matches!(
        e.code,
        ErrorCode::InvitationInvalid | ErrorCode::InvitationExpired
    ) {
        state.limiter().release(key);
    }
}

/// Shows what an invitation is for, before accepting it.
#[utoipa::path(post, path = "/invitations/preview", tag = "invitations",
    request_body = InvitationCodeRequest,
    responses((status = 200, body = InvitationPreview), (status = "4XX", body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<InvitationCodeRequest>,
) -> Result<ApiJson<InvitationPreview>, ApiError> {
    let key = check_code_limit(&state, &addr)?;
    let result = async {
        let hash = actions::hash_typed_code(&req.code)?;
        Ok::<_, ApiError>(state.store().invitation_by_code(&hash, state.now()).await?)
    }
    .await;
    let (inv, org) = result.inspect_err(|e| count_failure(&state, &key, e))?;
    state.limiter().release(&key);
    Ok(ApiJson(InvitationPreview {
        org,
        email: inv.email,
        role: inv.role,
        display_name: inv.display_name,
        expires_at: inv.expires_at,
    }))
}

/// Accepts an invitation: the person chooses a display name and password and gets a session
/// on a new device.
#[utoipa::path(post, path = "/invitations/accept", tag = "invitations",
    request_body = AcceptInvitationRequest,
    responses((status = 200, body = SessionCreated), (status = "4XX", body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<AcceptInvitationRequest>,
) -> Result<ApiJson<SessionCreated>, ApiError> {
    let key = check_code_limit(&state, &addr)?;
    let now = state.now();
    let code_hash =
        actions::hash_typed_code(&req.code).inspect_err(|e| count_failure(&state, &key, e))?;
    let (inv, org) = state
        .store()
        .invitation_by_code(&code_hash, now)
        .await
        .map_err(ApiError::from)
        .inspect_err(|e| count_failure(&state, &key, e))?;
    state.limiter().release(&key);
    access::may_log_in(&state, org.id, PersonStatus::Active, inv.role).await?;
    let display_name = validate::display_name(&req.display_name)?;
    let local = inv.email.split('@').next().unwrap_or_default();
    validate::new_password("password", &req.password, &[local, &org.name, &org.slug])?;
    let (minted, new_session) = new_session(&state, &req.device)?;
    let password_hash = hash_password(&state, req.password).await?;
    let ids = state
        .store()
        .accept_invitation(
            &Acceptance {
                code_hash,
                display_name,
                password_hash,
                new_session,
                address: addr.0.clone(),
            },
            now,
        )
        .await?;
    effects::apply(&state, Effects::new().org_changed(ids.org)).await;
    tracing::info!(org = %ids.org, user = %ids.user, "invitation accepted");
    Ok(ApiJson(session_created(&state, ids, minted).await?))
}
