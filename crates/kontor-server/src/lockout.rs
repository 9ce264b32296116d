//! Login limits that an attacker alone can never turn into a lock-out of the real person.
//!
//! ```text
//!  login ─► known device? (device id + credential from an earlier login, OWASP's "device
//!           │               cookie"; hash in `device_credentials`)
//!           ├─ yes ─► only that credential's own failures count (10 / 15 min): someone
//!           │         without it cannot exhaust them; the right password always gets in
//!           └─ no ──► account+address (5 / 15 min), and unless the person is known at the
//!                     address: address (30 / 10 min), account from unknown addresses (100 / h)
//! ```
//!
//! Each attempt is counted before the password is checked, in the same transaction as the
//! check ([`crate::store::Store::count_attempt`]), so parallel guesses cannot overshoot; a
//! successful login takes its counts back. Counters, known addresses and credentials are in
//! the database: they survive restarts and are shared by every node. A credential that is
//! presented with wrong passwords too often stops exempting and the attempt is judged like
//! any other (it only helps whoever holds the device).

use crate::error::ApiError;
use crate::extract::ClientAddr;
use crate::state::AppState;
use crate::store::FailureLimit;
use crate::tokens;
use kontor_proto::api::KnownDevice;
use kontor_proto::{DeviceId, OrgId, PersonId};
use std::sync::atomic::Ordering;

pub const PER_ADDRESS: FailureLimit = FailureLimit {
    max: 30,
    window_ms: 10 * 60 * 1000,
};
pub const PER_ACCOUNT_ADDRESS: FailureLimit = FailureLimit {
    max: 5,
    window_ms: 15 * 60 * 1000,
};
pub const PER_ACCOUNT_UNKNOWN_ADDRESSES: FailureLimit = FailureLimit {
    max: 100,
    window_ms: 60 * 60 * 1000,
};
/// Wrong passwords presented with one device's credential.
pub const PER_DEVICE: FailureLimit = FailureLimit {
    max: 10,
    window_ms: 15 * 60 * 1000,
};
/// The longest window above (for pruning).
pub const LONGEST_WINDOW_MS: i64 = 60 * 60 * 1000;
/// How long a successful address stays known.
pub const KNOWN_TTL_MS: i64 = 90 * 24 * 60 * 60 * 1000;

fn key(parts: &[&str]) -> String {
    tokens::hash(tokens::label::LIMIT_KEY, &parts.join("\0"))
}

/// The account being logged in to, as far as it exists.
#[derive(Clone, Copy, Debug)]
pub struct Account<'a> {
    pub slug: &'a str,
    pub email: &'a str,
    pub org: Option<OrgId>,
    pub user: Option<PersonId>,
}

/// An attempt that was let through to the password check.
#[derive(Debug)]
pub struct Admitted {
    counted: Vec<String>,
    pair: Option<String>,
    address: String,
    /// The known device the attempt came from, when its credential was valid.
    pub known_device: Option<DeviceId>,
}

/// Counts a login attempt against its limits, or refuses it with 429 and `Retry-After`.
pub async fn admit(
    state: &AppState,
    account: Account<'_>,
    addr: &ClientAddr,
    device: Option<&KnownDevice>,
) -> Result<Admitted, ApiError> {
    let now = state.now();
    let store = state.store();
    let ip = addr.key();
    let address = key(&["address", &ip]);
    if let (Some(org), Some(user), Some(d)) = (account.org, account.user, device) {
        let hash = tokens::hash(tokens::label::DEVICE_CREDENTIAL, &d.secret);
        if store
            .device_credential_valid(org, user, d.device_id, &hash)
            .await?
        {
            let k = key(&["device", &d.device_id.to_string()]);
            if store
                .count_attempt(&[(k.clone(), PER_DEVICE)], now)
                .await?
                .is_ok()
            {
                return Ok(Admitted {
                    counted: vec![k],
                    pair: None,
                    address,
                    known_device: Some(d.device_id),
                });
            }
        }
    }
    let known = match (account.org, account.user) {
        (Some(org), Some(user)) => store.is_known_address(org, user, &address, now).await?,
        _ => false,
    };
    let pair = key(&["pair", account.slug, account.email, &ip]);
    let mut limits = vec![(pair.clone(), PER_ACCOUNT_ADDRESS)];
    if !known {
        limits.push((key(&["address-any", &ip]), PER_ADDRESS));
        limits.push((
            key(&["account", account.slug, account.email]),
            PER_ACCOUNT_UNKNOWN_ADDRESSES,
        ));
    }
    match store.count_attempt(&limits, now).await? {
        Ok(()) => Ok(Admitted {
            counted: limits.into_iter().map(|(k, _)| k).collect(),
            pair: Some(pair),
            address,
            known_device: None,
        }),
        Err(wait) => {
            state
                .metrics()
                .logins_limited
                .fetch_add(1, Ordering::Relaxed);
            Err(ApiError::rate_limited(wait))
        }
    }
}

impl Admitted {
    /// The password was right: the attempt is taken back, the failures of this account at
    /// this address are forgotten, and the address becomes known.
    pub async fn succeeded(
        self,
        state: &AppState,
        org: OrgId,
        user: PersonId,
    ) -> Result<(), ApiError> {
        let store = state.store();
        let reset: Vec<String> = self.pair.into_iter().collect();
        store.forgive_attempt(&self.counted, &reset).await?;
        store
            .remember_address(org, user, &self.address, state.now() + KNOWN_TTL_MS)
            .await?;
        Ok(())
    }
}

/// Counts one attempt of a logged-in person against `limit` under `name` (e.g. the current
/// password when changing it); `Ok(keys)` to take back with [`forgive`] on success.
pub async fn count(
    state: &AppState,
    name: &[&str],
    limit: FailureLimit,
) -> Result<Vec<String>, ApiError> {
    let k = key(name);
    match state
        .store()
        .count_attempt(&[(k.clone(), limit)], state.now())
        .await?
    {
        Ok(()) => Ok(vec![k]),
        Err(wait) => Err(ApiError::rate_limited(wait)),
    }
}

/// Takes back attempts counted with [`count`].
pub async fn forgive(state: &AppState, keys: &[String]) -> Result<(), ApiError> {
    Ok(state.store().forgive_attempt(keys, &[]).await?)
}
