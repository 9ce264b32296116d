//! Logins: what login, joining by invitation and first start share — a new session for a
//! device, the answer a client needs after it, and password hashing off the async threads.

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{LoginIds, NewSession};
use crate::{clock, password, tokens, validate};
use kontor_proto::api::{NewDevice, SessionCreated};

/// A new session's secrets, shown once: the bearer token and the device's credential for
/// later logins.
pub(crate) struct Minted {
    pub token: String,
    pub device_secret: String,
}

/// Validates a device description and mints a session token and device credential for it.
pub(crate) fn new_session(
    state: &AppState,
    device: &NewDevice,
) -> Result<(Minted, NewSession), ApiError> {
    let name = validate::line("device.name", &device.name, 1, 64)?;
    let platform = validate::platform(&device.platform)?;
    let token = tokens::new_session_token();
    let device_secret = tokens::new_device_secret();
    let session = NewSession {
        device_name: name,
        platform,
        token_hash: tokens::hash(tokens::label::SESSION, &token),
        credential_hash: tokens::hash(tokens::label::DEVICE_CREDENTIAL, &device_secret),
        expires_at: state.now() + i64::from(state.config().session_ttl_days) * clock::DAY_MS,
    };
    Ok((
        Minted {
            token,
            device_secret,
        },
        session,
    ))
}

/// Everything a client needs after login.
pub(crate) async fn session_created(
    state: &AppState,
    ids: LoginIds,
    minted: Minted,
) -> Result<SessionCreated, ApiError> {
    let store = state.store();
    let person = store.person(ids.org, ids.user).await?;
    let org = store.org(ids.org).await?;
    let mut device = store
        .devices(ids.org, ids.user)
        .await?
        .into_iter()
        .find(|d| d.id == ids.device)
        .ok_or(ApiError::internal())?;
    device.current = true;
    let mut session = store
        .sessions(ids.org, ids.user, state.now())
        .await?
        .into_iter()
        .find(|s| s.id == ids.session)
        .ok_or(ApiError::internal())?;
    session.current = true;
    Ok(SessionCreated {
        token: minted.token,
        device_secret: minted.device_secret,
        session,
        device,
        person,
        org,
    })
}

/// Runs a password check off the async threads, one per core at a time.
pub(crate) async fn verify_password(state: &AppState, password: String, hash: String) -> bool {
    let _permit = state.hashing_permit().await;
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .unwrap_or(false)
}

/// Hashes a new password off the async threads, one per core at a time.
pub(crate) async fn hash_password(state: &AppState, password: String) -> Result<String, ApiError> {
    let cost = state.config().hash_cost;
    let _permit = state.hashing_permit().await;
    tokio::task::spawn_blocking(move || password::hash(&password, cost))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|_| ApiError::internal())
}
