//! Login, logout, the caller's own account, devices and sessions.

use crate::access::{self, Caller};
use crate::actions::logins::{hash_password, new_session, session_created, verify_password};
use crate::actions::people;
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ClientAddr};
use crate::state::AppState;
use crate::{lockout, password, validate};
use axum::extract::State;
use axum::http::StatusCode;
use kontor_proto::api::{
    ChangePasswordRequest, Device, LoginRequest, Me, SessionCreated, SessionInfo,
};
use kontor_proto::{DeviceId, ErrorBody, ErrorCode, SessionId};
use std::sync::atomic::Ordering;

/// Logs in with e-mail address and password and registers a new device.
///
/// Failed attempts are limited (429 with `Retry-After`) so that an attacker alone can never
/// lock the person out: a device that logged in before (`known_device`) counts only its own
/// failures, and an address the person is known at is exempt from the per-address and
/// per-account limits (see [`crate::lockout`]).
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionCreated), (status = "4XX", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<ApiJson<SessionCreated>, ApiError> {
    let now = state.now();
    let email = validate::email("email", &req.email)?;
    let slug = validate::line("org", &req.org, 1, 64)?.to_lowercase();
    if req.password.chars().count() > password::MAX_LEN {
        return Err(ApiError::new(ErrorCode::InvalidCredentials));
    }
    let (minted, new) = new_session(&state, &req.device)?;
    let org = state.store().org_by_slug(&slug).await?;
    let creds = match &org {
        Some(org) => state.store().credentials(org.id, &email).await?,
        None => None,
    };
    let account = lockout::Account {
        slug: &slug,
        email: &email,
        org: org.as_ref().map(|o| o.id),
        user: creds.as_ref().map(|c| c.user),
    };
    let admitted = lockout::admit(&state, account, &addr, req.known_device.as_ref()).await?;
    let hash = creds
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| state.dummy_hash().to_owned());
    let ok = verify_password(&state, req.password, hash).await && creds.is_some();
    let (Some(org), Some(creds), true) = (org, creds, ok) else {
        state
            .metrics()
            .logins_failed
            .fetch_add(1, Ordering::Relaxed);
        return Err(ApiError::new(ErrorCode::InvalidCredentials));
    };
    let replaces = admitted.known_device;
    admitted.succeeded(&state, org.id, creds.user).await?;
    access::may_log_in(&state, org.id, creds.status, creds.role).await?;
    let ids = state
        .store()
        .create_login(org.id, creds.user, &new, replaces, now)
        .await?;
    state.metrics().logins_ok.fetch_add(1, Ordering::Relaxed);
    tracing::info!(org = %org.id, user = %creds.user, device = %ids.device, known_device = replaces.is_some(), "login");
    Ok(ApiJson(session_created(&state, ids, minted).await?))
}

/// Ends the current session. The device stays registered.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("session" = [])),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    let fx = people::end_session(&state, caller.org, caller.user, caller.session).await?;
    effects::apply(&state, fx).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is, with their organisation and its policies.
#[utoipa::path(get, path = "/me", tag = "auth", security(("session" = [])),
    responses((status = 200, body = Me), (status = "4XX", body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<ApiJson<Me>, ApiError> {
    let store = state.store();
    let device = own_devices(&state, &caller)
        .await?
        .into_iter()
        .find(|d| d.current)
        .ok_or(ApiError::internal())?;
    let session = own_sessions(&state, &caller)
        .await?
        .into_iter()
        .find(|s| s.current)
        .ok_or(ApiError::internal())?;
    Ok(ApiJson(Me {
        person: store.person(caller.org, caller.user).await?,
        org: store.org(caller.org).await?,
        device,
        session,
        policies: store.policies(caller.org).await?,
    }))
}

/// Changes the caller's password (from a linked device); every other session ends.
#[utoipa::path(post, path = "/me/password", tag = "auth", security(("session" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    caller.require_linked_device(&state).await?;
    // A stolen token must not become an unlimited password-guessing tool.
    let counted = lockout::count(
        &state,
        &["password-change", &caller.user.to_string()],
        lockout::PER_ACCOUNT_ADDRESS,
    )
    .await?;
    let person = state.store().person(caller.org, caller.user).await?;
    let creds = state
        .store()
        .credentials(caller.org, &person.email)
        .await?
        .ok_or(ApiError::internal())?;
    if !verify_password(&state, req.current_password, creds.password_hash).await {
        return Err(ApiError::field(
            ErrorCode::InvalidCredentials,
            "current_password",
        ));
    }
    lockout::forgive(&state, &counted).await?;
    let local = person.email.split('@').next().unwrap_or_default();
    validate::new_password("new_password", &req.new_password, &[local])?;
    let hash = hash_password(&state, req.new_password).await?;
    let ended = state
        .store()
        .set_password(caller.org, caller.user, &hash, caller.session, state.now())
        .await?;
    let fx = Effects::new()
        .sessions_ended(&ended)
        .person_changed(caller.org, caller.user);
    effects::apply(&state, fx).await;
    Ok(StatusCode::NO_CONTENT)
}

async fn own_devices(state: &AppState, caller: &Caller) -> Result<Vec<Device>, ApiError> {
    let mut devices = state.store().devices(caller.org, caller.user).await?;
    for d in &mut devices {
        d.current = d.id == caller.device;
    }
    Ok(devices)
}

async fn own_sessions(state: &AppState, caller: &Caller) -> Result<Vec<SessionInfo>, ApiError> {
    let mut sessions = state
        .store()
        .sessions(caller.org, caller.user, state.now())
        .await?;
    for s in &mut sessions {
        s.current = s.id == caller.session;
    }
    Ok(sessions)
}

/// The caller's devices.
#[utoipa::path(get, path = "/me/devices", tag = "auth", security(("session" = [])),
    responses((status = 200, body = Vec<Device>), (status = "4XX", body = ErrorBody)))]
pub async fn devices(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<Device>>, ApiError> {
    Ok(ApiJson(own_devices(&state, &caller).await?))
}

/// Revokes one of the caller's devices and ends its sessions at once. Another device than the
/// caller's own needs a linked device (`device_not_linked` otherwise).
#[utoipa::path(delete, path = "/me/devices/{device_id}", tag = "auth", security(("session" = [])),
    params(("device_id" = DeviceId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn revoke_device(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(device_id): ApiPath<DeviceId>,
) -> Result<StatusCode, ApiError> {
    if device_id != caller.device {
        caller.require_linked_device(&state).await?;
    }
    let fx = people::revoke_device(&state, caller.org, caller.user, device_id).await?;
    effects::apply(&state, fx).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's live sessions.
#[utoipa::path(get, path = "/me/sessions", tag = "auth", security(("session" = [])),
    responses((status = 200, body = Vec<SessionInfo>), (status = "4XX", body = ErrorBody)))]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<SessionInfo>>, ApiError> {
    Ok(ApiJson(own_sessions(&state, &caller).await?))
}

/// Ends one of the caller's sessions; one of another device needs a linked device.
#[utoipa::path(delete, path = "/me/sessions/{session_id}", tag = "auth", security(("session" = [])),
    params(("session_id" = SessionId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(session_id): ApiPath<SessionId>,
) -> Result<StatusCode, ApiError> {
    let own_device = own_sessions(&state, &caller)
        .await?
        .iter()
        .any(|s| s.id == session_id && s.device_id == caller.device);
    if !own_device {
        caller.require_linked_device(&state).await?;
    }
    let fx = people::end_session(&state, caller.org, caller.user, session_id).await?;
    effects::apply(&state, fx).await;
    Ok(StatusCode::NO_CONTENT)
}
