//! MLS key packages: each device keeps a stock of one-time packages and one last-resort
//! package on the server; whoever adds the device to a conversation claims one.

use crate::access::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::store::ClaimLimits;
use axum::extract::State;
use kontor_proto::identity::{
    ClaimKeyPackages, ClaimedKeyPackage, ClaimedKeyPackages, KeyPackageStock, UploadKeyPackages,
};
use kontor_proto::{Bytes, ErrorBody};
use std::sync::atomic::Ordering;

/// Most key packages one device may hold.
const MAX_STOCK: u32 = 500;
/// Most key packages per upload.
const MAX_UPLOAD: usize = 100;
/// Largest key package.
const MAX_KEY_PACKAGE: usize = 16 * 1024;
/// One-time packages of one device handed out per hour, to everybody together; past it the
/// last-resort package is handed out. Adding someone to ten conversations in an hour is a
/// busy hour; emptying a stock of 48 takes days at this pace, and the device tops it up.
const ONE_TIME_PER_DEVICE_PER_HOUR: u32 = 10;
/// One-time packages of one device one claimer gets per hour.
const ONE_TIME_PER_PAIR_PER_HOUR: u32 = 3;

fn check(kp: &Bytes, field: &'static str) -> Result<Vec<u8>, ApiError> {
    if kp.is_empty() || kp.len() > MAX_KEY_PACKAGE {
        return Err(ApiError::invalid(field));
    }
    Ok(kp.0.clone())
}

/// Adds one-time key packages of the calling device (and replaces its last-resort one).
#[utoipa::path(post, path = "/key-packages", tag = "identity", security(("session" = [])),
    request_body = UploadKeyPackages,
    responses((status = 200, body = KeyPackageStock), (status = "4XX", body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<UploadKeyPackages>,
) -> Result<ApiJson<KeyPackageStock>, ApiError> {
    if body.key_packages.len() > MAX_UPLOAD {
        return Err(ApiError::invalid("key_packages"));
    }
    let one_time = body
        .key_packages
        .iter()
        .map(|k| check(k, "key_packages"))
        .collect::<Result<Vec<_>, _>>()?;
    let last_resort = body
        .last_resort
        .as_ref()
        .map(|k| check(k, "last_resort"))
        .transpose()?;
    let (have, _) = state.store().key_package_stock(caller.device).await?;
    if have + one_time.len() as u32 > MAX_STOCK {
        return Err(ApiError::invalid("key_packages"));
    }
    state
        .store()
        .add_key_packages(
            caller.org,
            caller.device,
            &one_time,
            last_resort.as_deref(),
            state.now(),
        )
        .await?;
    stock(State(state), caller).await
}

/// How many key packages the calling device has left.
#[utoipa::path(get, path = "/key-packages/stock", tag = "identity", security(("session" = [])),
    responses((status = 200, body = KeyPackageStock), (status = "4XX", body = ErrorBody)))]
pub async fn stock(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<KeyPackageStock>, ApiError> {
    let (one_time, has_last_resort) = state.store().key_package_stock(caller.device).await?;
    Ok(ApiJson(KeyPackageStock {
        one_time,
        has_last_resort,
    }))
}

/// Claims one key package for every active device of each person (people the caller may see).
/// A one-time package is never handed out twice, and a device's one-time packages only so
/// fast (past that its last-resort package is handed out); a device that claims too many in
/// an hour gets 429 with `Retry-After`.
#[utoipa::path(post, path = "/key-packages/claim", tag = "identity", security(("session" = [])),
    request_body = ClaimKeyPackages,
    responses((status = 200, body = ClaimedKeyPackages), (status = "4XX", body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ClaimKeyPackages>,
) -> Result<ApiJson<ClaimedKeyPackages>, ApiError> {
    if body.people.is_empty() || body.people.len() > 200 {
        return Err(ApiError::invalid("people"));
    }
    let mut people = body.people.clone();
    people.sort();
    people.dedup();
    for p in &people {
        caller.require_visible(&state, *p).await?;
    }
    let limits = ClaimLimits {
        per_claimer: state.config().limits.key_package_claims_per_hour,
        per_target: ONE_TIME_PER_DEVICE_PER_HOUR,
        per_pair: ONE_TIME_PER_PAIR_PER_HOUR,
    };
    let claimed = state
        .store()
        .claim_key_packages(caller.org, &people, caller.device, limits, state.now())
        .await?;
    let claimed = claimed.map_err(|secs| {
        state.metrics().limited.fetch_add(1, Ordering::Relaxed);
        ApiError::rate_limited(secs)
    })?;
    let key_packages = claimed
        .into_iter()
        .map(|(person_id, device_id, kp)| ClaimedKeyPackage {
            person_id,
            device_id,
            key_package: Bytes(kp),
        })
        .collect();
    Ok(ApiJson(ClaimedKeyPackages { key_packages }))
}
