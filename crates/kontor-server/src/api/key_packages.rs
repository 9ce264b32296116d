//! MLS key packages: each device keeps a stock of one-time packages and one last-resort
//! package on the server; whoever adds the device to a conversation claims one.

use crate::access::Caller;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;
use axum::extract::State;
use kontor_proto::identity::{
    ClaimKeyPackages, ClaimedKeyPackage, ClaimedKeyPackages, KeyPackageStock, UploadKeyPackages,
};
use kontor_proto::{Bytes, ErrorBody};

/// Most key packages one device may hold.
const MAX_STOCK: u32 = 500;
/// Most key packages per upload.
const MAX_UPLOAD: usize = 100;
/// Largest key package.
const MAX_KEY_PACKAGE: usize = 16 * 1024;

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
/// A one-time package is never handed out twice.
#[utoipa::path(post, path = "/key-packages/claim", tag = "identity", security(("session" = [])),
    request_body = ClaimKeyPackages,
    responses((status = 200, body = ClaimedKeyPackages), (status = "4XX", body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ClaimKeyPackages>,
) -> Result<ApiJson<ClaimedKeyPackages>, ApiError> {
    if body.users.is_empty() || body.users.len() > 200 {
        return Err(ApiError::invalid("users"));
    }
    let mut users = body.users.clone();
    users.sort();
    users.dedup();
    for u in &users {
        caller.require_visible(&state, *u).await?;
    }
    let key_packages = state
        .store()
        .claim_key_packages(caller.org, &users, caller.device)
        .await?
        .into_iter()
        .map(|(user_id, device_id, kp)| ClaimedKeyPackage {
            user_id,
            device_id,
            key_package: Bytes(kp),
        })
        .collect();
    Ok(ApiJson(ClaimedKeyPackages { key_packages }))
}
