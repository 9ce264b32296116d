//! What admins and people do to accounts: roles, status (suspend, reactivate, deprovision),
//! and the end of sessions and devices. The handler checks who may; these change the store in
//! one transaction each and return what live connections must hear.

use crate::effects::Effects;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::AuditCtx;
use kontor_proto::api::{OrgRole, Person, PersonStatus};
use kontor_proto::event::close_code;
use kontor_proto::{DeviceId, OrgId, PersonId, SessionId};

/// Gives a person a new role. Becoming or ceasing to be a guest changes what their devices may
/// see: their event streams start over.
pub async fn set_role(
    state: &AppState,
    org: OrgId,
    user: PersonId,
    from: OrgRole,
    to: OrgRole,
    audit: &AuditCtx,
) -> Result<(Person, Effects), ApiError> {
    let person = state.store().set_role(org, user, to, audit).await?;
    let mut fx = Effects::new().org_changed(org);
    if (from == OrgRole::Guest) != (to == OrgRole::Guest) {
        let sessions: Vec<SessionId> = state
            .store()
            .sessions(org, user, state.now())
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        fx = fx.sessions_restarted(&sessions);
    }
    Ok((person, fx))
}

/// Suspends, reactivates or deprovisions a person. Their sessions are dead in the store when
/// this returns; a deprovisioned person's devices are retired from every conversation.
pub async fn set_status(
    state: &AppState,
    org: OrgId,
    user: PersonId,
    status: PersonStatus,
    audit: &AuditCtx,
) -> Result<(Person, Effects), ApiError> {
    let (person, ended) = state.store().set_status(org, user, status, audit).await?;
    let code = match status {
        PersonStatus::Suspended => close_code::SUSPENDED,
        PersonStatus::Deprovisioned => close_code::ACCESS_ENDED,
        PersonStatus::Active => close_code::SESSION_ENDED,
    };
    let mut fx = Effects::new()
        .sessions_ended_with(&ended, code)
        .org_changed(org);
    if status == PersonStatus::Deprovisioned {
        // The change committed: a failed lookup must not cost the sockets their close.
        match state.store().devices(org, user).await {
            Ok(devices) => {
                fx = fx.devices_retired(org, devices.into_iter().map(|d| d.id).collect());
            }
            Err(e) => tracing::warn!(error = %e, "could not list a deprovisioned person's devices"),
        }
    }
    tracing::info!(org = %org, user = %user, status = status.as_str(), sessions = ended.len(), "account status changed");
    Ok((person, fx))
}

/// Revokes one of a person's devices: its sessions end and it is removed from every
/// conversation.
pub async fn revoke_device(
    state: &AppState,
    org: OrgId,
    user: PersonId,
    device: DeviceId,
) -> Result<Effects, ApiError> {
    let ended = state
        .store()
        .revoke_device(org, user, device, state.now())
        .await?;
    Ok(Effects::new()
        .sessions_ended(&ended)
        .person_changed(org, user)
        .devices_retired(org, vec![device]))
}

/// Ends one session (logout, or from the sessions list); the device stays registered.
pub async fn end_session(
    state: &AppState,
    org: OrgId,
    user: PersonId,
    session: SessionId,
) -> Result<Effects, ApiError> {
    state
        .store()
        .end_session(org, user, session, state.now())
        .await?;
    Ok(Effects::new()
        .sessions_ended(&[session])
        .person_changed(org, user))
}
