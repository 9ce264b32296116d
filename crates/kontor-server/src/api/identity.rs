//! Identity keys and device lists, the organisation's membership certificates, and device
//! link requests.
//!
//! The server checks what it can (signatures verify, lists only move forward, listed devices
//! are the person's), but clients never rely on that: they verify every list and certificate
//! themselves against the pinned organisation key and the person's pinned identity key.

use crate::access::Caller;
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use kontor_proto::identity::{
    ApproveLinkRequest, CreateLinkRequest, DeviceKeys, IdentityBundle, IdentityBundles,
    LinkRequest, LinkRequests, LinkStatus, Membership, MembershipCertificate, OrgKey,
    PublishIdentity, RecoveryBackup, SignedDeviceList,
};
use kontor_proto::{Bytes, ErrorBody, ErrorCode, LinkRequestId, PersonId};
use serde::Deserialize;
use utoipa::IntoParams;

/// How long a device link request stays open.
const LINK_TTL_MS: i64 = 15 * 60 * 1000;
/// Most devices a person may list.
const MAX_DEVICES: usize = 50;
/// Largest sealed recovery backup or link response.
const MAX_SEALED: usize = 8 * 1024 * 1024;

fn verifying_key(bytes: &Bytes, field: &'static str) -> Result<VerifyingKey, ApiError> {
    let arr: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| ApiError::invalid(field))?;
    VerifyingKey::from_bytes(&arr).map_err(|_| ApiError::invalid(field))
}

fn check_device_keys(keys: &DeviceKeys, field: &'static str) -> Result<(), ApiError> {
    verifying_key(&keys.mls_signature_key, field)?;
    verifying_key(&keys.transcript_key, field)?;
    Ok(())
}

/// Checks a device list's shape and signature; returns the devices it names.
fn check_device_list(
    caller: &Caller,
    signed: &SignedDeviceList,
) -> Result<Vec<kontor_proto::DeviceId>, ApiError> {
    let list = &signed.list;
    if list.org_id != caller.org || list.person_id != caller.user {
        return Err(ApiError::field(
            ErrorCode::DeviceListRejected,
            "device_list",
        ));
    }
    if list.devices.is_empty() || list.devices.len() > MAX_DEVICES {
        return Err(ApiError::invalid("device_list.devices"));
    }
    for d in &list.devices {
        check_device_keys(d, "device_list.devices")?;
    }
    let mut ids: Vec<_> = list.devices.iter().map(|d| d.device_id).collect();
    ids.sort();
    ids.dedup();
    if ids.len() != list.devices.len() {
        return Err(ApiError::invalid("device_list.devices"));
    }
    // Dropped devices are remembered, not listed: never one that is listed too.
    if list.retired.len() > kontor_proto::identity::DeviceList::MAX_RETIRED {
        return Err(ApiError::invalid("device_list.retired"));
    }
    for d in &list.retired {
        check_device_keys(d, "device_list.retired")?;
        if ids.binary_search(&d.device_id).is_ok() {
            return Err(ApiError::invalid("device_list.retired"));
        }
    }
    let key = verifying_key(&list.identity_key, "device_list.identity_key")?;
    let sig = Signature::from_slice(signed.signature.as_slice())
        .map_err(|_| ApiError::invalid("device_list.signature"))?;
    key.verify(&list.signed_bytes(), &sig)
        .map_err(|_| ApiError::field(ErrorCode::DeviceListRejected, "device_list.signature"))?;
    Ok(ids)
}

/// A checked signed device list as the store takes it.
fn new_list<'a>(
    signed: &'a SignedDeviceList,
    json: &'a str,
    devices: &'a [kontor_proto::DeviceId],
    recovery_backup: Option<&'a Bytes>,
) -> crate::store::NewDeviceList<'a> {
    crate::store::NewDeviceList {
        identity_key: signed.list.identity_key.as_slice(),
        version: signed.list.version,
        json,
        devices,
        recovery_backup: recovery_backup.map(Bytes::as_slice),
    }
}

/// The organisation's public keys. Clients pin them at their first login: every membership
/// certificate is checked against the signing key, and the delivery service's proposals in
/// a group against the external-sender key.
#[utoipa::path(get, path = "/identity/org-key", tag = "identity", security(("session" = [])),
    responses((status = 200, body = OrgKey), (status = "4XX", body = ErrorBody)))]
pub async fn get_org_key(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<OrgKey>, ApiError> {
    let key = crate::org_keys::org_signing_key(&state, caller.org).await?;
    let external = crate::org_keys::org_key(
        &state,
        caller.org,
        crate::org_keys::purpose::EXTERNAL_SENDER,
    )
    .await?;
    Ok(ApiJson(OrgKey {
        org_id: caller.org,
        signing_key: Bytes(key.verifying_key().to_bytes().to_vec()),
        external_sender_key: Bytes(external.verifying_key().to_bytes().to_vec()),
    }))
}

/// Publishes the caller's newest signed device list (and, from the first device, the recovery
/// backup of the identity key, sealed so that the server cannot open it).
#[utoipa::path(put, path = "/identity", tag = "identity", security(("session" = [])),
    request_body = PublishIdentity,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PublishIdentity>,
) -> Result<StatusCode, ApiError> {
    let devices = check_device_list(&caller, &body.device_list)?;
    if body
        .recovery_backup
        .as_ref()
        .is_some_and(|b| b.is_empty() || b.len() > MAX_SEALED)
    {
        return Err(ApiError::invalid("recovery_backup"));
    }
    let json = serde_json::to_string(&body.device_list).map_err(|_| ApiError::internal())?;
    let list = new_list(
        &body.device_list,
        &json,
        &devices,
        body.recovery_backup.as_ref(),
    );
    state
        .store()
        .publish_identity(caller.org, caller.user, &list, state.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdentityQuery {
    /// Comma-separated person ids (at most 200).
    pub ids: String,
}

/// The identity bundles (membership certificate and signed device list) of these people who
/// published an identity; guests only get people they may see. People who left or were
/// suspended are included: a colleague joining a group they were in still has to verify
/// their devices in its tree (the certificate vouches for the identity key, not for being in
/// a conversation: the server's member list says who is).
#[utoipa::path(get, path = "/identity/people", tag = "identity", security(("session" = [])),
    params(IdentityQuery),
    responses((status = 200, body = IdentityBundles), (status = "4XX", body = ErrorBody)))]
pub async fn bundles(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<IdentityQuery>,
) -> Result<ApiJson<IdentityBundles>, ApiError> {
    let mut ids = Vec::new();
    for part in q.ids.split(',').filter(|p| !p.trim().is_empty()) {
        ids.push(
            part.trim()
                .parse::<PersonId>()
                .map_err(|_| ApiError::invalid("ids"))?,
        );
    }
    if ids.is_empty() || ids.len() > 200 {
        return Err(ApiError::invalid("ids"));
    }
    ids.sort();
    ids.dedup();
    let mut visible = Vec::with_capacity(ids.len());
    for id in ids {
        if caller.require_identity_visible(&state, id).await.is_ok() {
            visible.push(id);
        }
    }
    let key = crate::org_keys::org_signing_key(&state, caller.org).await?;
    let people = state.store().people(caller.org, &visible).await?;
    let stored = state.store().identities(caller.org, &visible).await?;
    let mut bundles = Vec::with_capacity(stored.len());
    for s in stored {
        let Some(person) = people.iter().find(|p| p.id == s.user) else {
            continue;
        };
        let device_list: SignedDeviceList =
            serde_json::from_str(&s.device_list).map_err(|_| ApiError::internal())?;
        let membership = Membership {
            org_id: caller.org,
            person_id: s.user,
            identity_key: Bytes(s.identity_key),
            display_name: person.display_name.clone(),
            issued_at: state.now(),
        };
        let signature = Bytes(key.sign(&membership.signed_bytes()).to_bytes().to_vec());
        bundles.push(IdentityBundle {
            certificate: MembershipCertificate {
                membership,
                signature,
            },
            device_list,
            disambiguator: person.disambiguator.clone(),
        });
    }
    Ok(ApiJson(IdentityBundles { bundles }))
}

/// The caller's identity key sealed under their recovery key, for linking a device with it.
#[utoipa::path(get, path = "/identity/recovery-backup", tag = "identity", security(("session" = [])),
    responses((status = 200, body = RecoveryBackup), (status = "4XX", body = ErrorBody)))]
pub async fn recovery_backup(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<RecoveryBackup>, ApiError> {
    let sealed = state
        .store()
        .recovery_backup(caller.org, caller.user)
        .await?;
    Ok(ApiJson(RecoveryBackup {
        sealed: Bytes(sealed),
    }))
}

fn link_request(s: crate::store::StoredLinkRequest) -> Result<LinkRequest, ApiError> {
    Ok(LinkRequest {
        id: s.id,
        keys: serde_json::from_str(&s.keys).map_err(|_| ApiError::internal())?,
        ephemeral_key: Bytes(s.ephemeral_key),
        status: if s.sealed.is_some() {
            LinkStatus::Approved
        } else {
            LinkStatus::Pending
        },
        sealed: s.sealed.map(Bytes),
        created_at: crate::clock::fmt_ms(s.created_at),
    })
}

/// A new device asks its person's other devices to link it. The request carries the new
/// device's keys; an existing device approves it after the person compared the short code.
#[utoipa::path(post, path = "/identity/link-requests", tag = "identity", security(("session" = [])),
    request_body = CreateLinkRequest,
    responses((status = 201, body = LinkRequest), (status = "4XX", body = ErrorBody)))]
pub async fn create_link_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateLinkRequest>,
) -> Result<(StatusCode, ApiJson<LinkRequest>), ApiError> {
    if body.keys.device_id != caller.device {
        return Err(ApiError::invalid("keys.device_id"));
    }
    check_device_keys(&body.keys, "keys")?;
    if body.ephemeral_key.len() != 32 {
        return Err(ApiError::invalid("ephemeral_key"));
    }
    let id = LinkRequestId::new();
    let now = state.now();
    state
        .store()
        .create_link_request(
            caller.org,
            caller.user,
            caller.device,
            id,
            &serde_json::to_string(&body.keys).map_err(|_| ApiError::internal())?,
            body.ephemeral_key.as_slice(),
            now,
            now + LINK_TTL_MS,
        )
        .await?;
    let created = state
        .store()
        .link_requests(caller.org, caller.user, now)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(ApiError::internal())?;
    // The person's devices hear of it at once.
    effects::apply(
        &state,
        Effects::new().person_changed(caller.org, caller.user),
    )
    .await;
    Ok((StatusCode::CREATED, ApiJson(link_request(created)?)))
}

/// The caller's open link requests (their own person's only).
#[utoipa::path(get, path = "/identity/link-requests", tag = "identity", security(("session" = [])),
    responses((status = 200, body = LinkRequests), (status = "4XX", body = ErrorBody)))]
pub async fn list_link_requests(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<LinkRequests>, ApiError> {
    let requests = state
        .store()
        .link_requests(caller.org, caller.user, state.now())
        .await?
        .into_iter()
        .map(link_request)
        .collect::<Result<_, _>>()?;
    Ok(ApiJson(LinkRequests { requests }))
}

/// Approves a link request from another device of the caller's person: publishes the new
/// signed device list and hands the new device its sealed identity key and history.
#[utoipa::path(post, path = "/identity/link-requests/{id}/approve", tag = "identity", security(("session" = [])),
    params(("id" = LinkRequestId, Path)), request_body = ApproveLinkRequest,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn approve_link_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<LinkRequestId>,
    ApiJson(body): ApiJson<ApproveLinkRequest>,
) -> Result<StatusCode, ApiError> {
    if body.sealed.is_empty() || body.sealed.len() > MAX_SEALED {
        return Err(ApiError::invalid("sealed"));
    }
    let now = state.now();
    let request = state
        .store()
        .link_requests(caller.org, caller.user, now)
        .await?
        .into_iter()
        .find(|r| r.id == id && r.sealed.is_none())
        .ok_or(ApiError::new(ErrorCode::LinkRequestInvalid))?;
    if request.device == caller.device {
        return Err(ApiError::new(ErrorCode::LinkRequestInvalid));
    }
    let devices = check_device_list(&caller, &body.device_list)?;
    if !devices.contains(&request.device) {
        return Err(ApiError::field(
            ErrorCode::DeviceListRejected,
            "device_list",
        ));
    }
    let json = serde_json::to_string(&body.device_list).map_err(|_| ApiError::internal())?;
    let list = new_list(&body.device_list, &json, &devices, None);
    state
        .store()
        .approve_link_request(
            caller.org,
            caller.user,
            id,
            body.sealed.as_slice(),
            &list,
            now,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
