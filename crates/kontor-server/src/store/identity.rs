//! Identities, the organisation's signing key, key packages and device link requests.
//!
//! Signatures are checked by the API layer before anything reaches these functions; here the
//! rules that need the stored state are enforced inside one transaction: an identity key never
//! changes, a device list only moves forward, a key package is handed out once.

use super::events::{Audience, emit};
use super::{StoreError, StoreResult, col_i64, col_str};
use kontor_proto::EventKind;
use kontor_proto::{DeviceId, ErrorCode, LinkRequestId, OrgId, PersonId};
use sqlx::Row;

fn col_bytes(row: &sqlx::any::AnyRow, col: &'static str) -> StoreResult<Vec<u8>> {
    row.try_get::<Vec<u8>, _>(col)
        .map_err(|_| StoreError::Corrupt(col))
}

fn col_opt_bytes(row: &sqlx::any::AnyRow, col: &'static str) -> StoreResult<Option<Vec<u8>>> {
    row.try_get::<Option<Vec<u8>>, _>(col)
        .map_err(|_| StoreError::Corrupt(col))
}

/// A stored identity.
#[derive(Clone, Debug)]
pub struct StoredIdentity {
    pub user: PersonId,
    pub identity_key: Vec<u8>,
    pub version: u64,
    /// JSON of the `SignedDeviceList`.
    pub device_list: String,
}

/// A stored link request.
#[derive(Clone, Debug)]
pub struct StoredLinkRequest {
    pub id: LinkRequestId,
    pub user: PersonId,
    pub device: DeviceId,
    /// JSON of the new device's `DeviceKeys`.
    pub keys: String,
    pub ephemeral_key: Vec<u8>,
    pub sealed: Option<Vec<u8>>,
    pub created_at: i64,
    pub expires_at: i64,
}

const HOUR_MS: i64 = 3_600_000;

/// How many key packages may be claimed per hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimLimits {
    /// Devices one claiming device may claim packages of, in all.
    pub per_claimer: u32,
    /// One-time packages of one device, by everybody together.
    pub per_target: u32,
    /// One-time packages of one device, by one claimer.
    pub per_pair: u32,
}

impl super::Store {
    /// The organisation's key pair `(public, secret, sealed)` for `purpose`, made on first
    /// use by `make` (which returns the public key and the sealed secret key). `sealed` is
    /// false only for a key an older version stored in plain text and not yet sealed.
    pub async fn org_key_pair(
        &self,
        org: OrgId,
        purpose: &str,
        make: impl FnOnce() -> (Vec<u8>, Vec<u8>),
        now: i64,
    ) -> StoreResult<(Vec<u8>, Vec<u8>, bool)> {
        let load = "SELECT public_key, secret_key, sealed FROM org_keys WHERE org_id = $1 AND purpose = $2";
        let read = |row: &sqlx::any::AnyRow| -> StoreResult<(Vec<u8>, Vec<u8>, bool)> {
            Ok((
                col_bytes(row, "public_key")?,
                col_bytes(row, "secret_key")?,
                col_i64(row, "sealed")? != 0,
            ))
        };
        if let Some(row) = sqlx::query(load)
            .bind(org.to_string())
            .bind(purpose)
            .fetch_optional(&self.read)
            .await?
        {
            return read(&row);
        }
        let (public, sealed) = make();
        let mut tx = self.begin_org(org).await?;
        sqlx::query(
            "INSERT INTO org_keys (org_id, purpose, public_key, secret_key, created_at, sealed) VALUES ($1, $2, $3, $4, $5, 1) \
             ON CONFLICT (org_id, purpose) DO NOTHING",
        )
        .bind(org.to_string())
        .bind(purpose)
        .bind(public)
        .bind(sealed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(load)
            .bind(org.to_string())
            .bind(purpose)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        read(&row)
    }

    /// The organisation keys still stored in plain text: `(org, purpose, secret)`.
    pub async fn plain_org_keys(&self) -> StoreResult<Vec<(OrgId, String, Vec<u8>)>> {
        let rows = sqlx::query("SELECT org_id, purpose, secret_key FROM org_keys WHERE sealed = 0")
            .fetch_all(&self.write)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    super::col_parse(row, "org_id")?,
                    col_str(row, "purpose")?,
                    col_bytes(row, "secret_key")?,
                ))
            })
            .collect()
    }

    /// Replaces a plain-text organisation key (`plain`, as read) by its sealed form.
    pub async fn seal_org_key(
        &self,
        org: OrgId,
        purpose: &str,
        sealed: &[u8],
        plain: &[u8],
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        sqlx::query(
            "UPDATE org_keys SET secret_key = $3, sealed = 1 \
             WHERE org_id = $1 AND purpose = $2 AND sealed = 0 AND secret_key = $4",
        )
        .bind(org.to_string())
        .bind(purpose)
        .bind(sealed.to_vec())
        .bind(plain.to_vec())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Stores a newer device list of `user`. The identity key is fixed by the first list; a
    /// list must have a higher version than the stored one. Every device in it must be an
    /// active device of the person. The recovery backup is replaced when given.
    pub async fn publish_identity(
        &self,
        org: OrgId,
        user: PersonId,
        list: &NewDeviceList<'_>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        write_identity(&mut tx, org, user, list, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The identities of these people (those who have one), in the caller's organisation.
    pub async fn identities(
        &self,
        org: OrgId,
        users: &[PersonId],
    ) -> StoreResult<Vec<StoredIdentity>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT person_id, identity_key, list_version, device_list FROM identities \
             WHERE org_id = $1 AND person_id IN ({})",
            super::placeholders(2, users.len())
        );
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for u in users {
            q = q.bind(u.to_string());
        }
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(|row| {
                Ok(StoredIdentity {
                    user: super::col_parse(row, "person_id")?,
                    identity_key: col_bytes(row, "identity_key")?,
                    version: col_i64(row, "list_version")? as u64,
                    device_list: col_str(row, "device_list")?,
                })
            })
            .collect()
    }

    /// The sealed identity key of `user`, if they stored one.
    pub async fn recovery_backup(&self, org: OrgId, user: PersonId) -> StoreResult<Vec<u8>> {
        let row = sqlx::query(
            "SELECT recovery_backup FROM identities WHERE org_id = $1 AND person_id = $2",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        col_opt_bytes(&row, "recovery_backup")?.ok_or(StoreError::NotFound)
    }

    /// Adds one-time key packages of a device, and replaces its last-resort one when given.
    /// Returns the one-time stock afterwards.
    pub async fn add_key_packages(
        &self,
        org: OrgId,
        device: DeviceId,
        one_time: &[Vec<u8>],
        last_resort: Option<&[u8]>,
        now: i64,
    ) -> StoreResult<u32> {
        let mut tx = self.begin_org(org).await?;
        let mut next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(id), 0) FROM key_packages WHERE device_id = $1",
        )
        .bind(device.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if let Some(lr) = last_resort {
            sqlx::query("DELETE FROM key_packages WHERE device_id = $1 AND last_resort = 1")
                .bind(device.to_string())
                .execute(&mut *tx)
                .await?;
            next += 1;
            insert_key_package(&mut tx, org, device, next, true, lr, now).await?;
        }
        for kp in one_time {
            next += 1;
            insert_key_package(&mut tx, org, device, next, false, kp, now).await?;
        }
        tx.commit().await?;
        Ok(self.key_package_stock(device).await?.0)
    }

    /// `(one-time key packages left, has a last-resort one)` of a device.
    pub async fn key_package_stock(&self, device: DeviceId) -> StoreResult<(u32, bool)> {
        let row = sqlx::query(
            "SELECT COUNT(CASE WHEN last_resort = 0 THEN 1 END) AS one_time, \
             COUNT(CASE WHEN last_resort = 1 THEN 1 END) AS lr FROM key_packages WHERE device_id = $1",
        )
        .bind(device.to_string())
        .fetch_one(&self.write)
        .await?;
        Ok((col_i64(&row, "one_time")? as u32, col_i64(&row, "lr")? > 0))
    }

    /// Claims one key package for every active device of these people but `claimer`'s own.
    /// A one-time package is handed out at most once, and only within `limits`: past a
    /// device's hourly share, or this claimer's share of it, the device's last-resort package
    /// is handed out instead, so that nobody can empty a colleague's stock. A claimer over
    /// its own hourly total gets `Err(seconds to wait)` and nothing is claimed.
    pub async fn claim_key_packages(
        &self,
        org: OrgId,
        users: &[PersonId],
        claimer: DeviceId,
        limits: ClaimLimits,
        now: i64,
    ) -> StoreResult<Result<Vec<(PersonId, DeviceId, Vec<u8>)>, u64>> {
        if users.is_empty() {
            return Ok(Ok(Vec::new()));
        }
        let since = now - HOUR_MS;
        let mut tx = self.begin().await?;
        // The claimer's device row serialises its claims (PostgreSQL), so that parallel
        // requests cannot all pass the check below before any of them is counted.
        sqlx::query("UPDATE devices SET last_seen_at = last_seen_at WHERE id = $1")
            .bind(claimer.to_string())
            .execute(&mut *tx)
            .await?;
        let sql = format!(
            "SELECT d.id AS device_id, d.person_id FROM devices d JOIN people u ON u.id = d.person_id \
             WHERE d.org_id = $1 AND u.org_id = $1 AND u.status = 'active' AND d.revoked_at IS NULL \
               AND d.id <> $2 AND d.person_id IN ({}) ORDER BY d.id",
            super::placeholders(3, users.len())
        );
        let mut q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(claimer.to_string());
        for u in users {
            q = q.bind(u.to_string());
        }
        let devices = q.fetch_all(&mut *tx).await?;
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(claimed_at) AS oldest FROM key_package_claims \
             WHERE claimer_device = $1 AND claimed_at > $2",
        )
        .bind(claimer.to_string())
        .bind(since)
        .fetch_one(&mut *tx)
        .await?;
        let claimed = super::col_i64(&row, "n")?;
        if claimed + devices.len() as i64 > i64::from(limits.per_claimer) {
            let oldest = super::col_opt_i64(&row, "oldest")?.unwrap_or(now);
            tx.rollback().await?;
            return Ok(Err(((oldest + HOUR_MS - now + 999) / 1000).max(1) as u64));
        }
        let mut out = Vec::new();
        for row in devices {
            let device: DeviceId = super::col_parse(&row, "device_id")?;
            let user: PersonId = super::col_parse(&row, "person_id")?;
            // The target's row lock serialises claims of its stock the same way.
            sqlx::query("UPDATE devices SET last_seen_at = last_seen_at WHERE id = $1")
                .bind(device.to_string())
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query(
                "SELECT COUNT(*) AS n, \
                   COALESCE(SUM(CASE WHEN claimer_device = $2 THEN 1 ELSE 0 END), 0) AS mine \
                 FROM key_package_claims WHERE target_device = $1 AND one_time = 1 AND claimed_at > $3",
            )
            .bind(device.to_string())
            .bind(claimer.to_string())
            .bind(since)
            .fetch_one(&mut *tx)
            .await?;
            let within = super::col_i64(&row, "n")? < i64::from(limits.per_target)
                && super::col_i64(&row, "mine")? < i64::from(limits.per_pair);
            let one_time: Option<Vec<u8>> = if within {
                sqlx::query_scalar(
                    "DELETE FROM key_packages WHERE device_id = $1 AND id = \
                     (SELECT MIN(id) FROM key_packages WHERE device_id = $1 AND last_resort = 0) \
                     RETURNING key_package",
                )
                .bind(device.to_string())
                .fetch_optional(&mut *tx)
                .await?
            } else {
                None
            };
            let was_one_time = one_time.is_some();
            let kp = match one_time {
                Some(kp) => Some(kp),
                None => sqlx::query_scalar(
                    "SELECT key_package FROM key_packages WHERE device_id = $1 AND last_resort = 1",
                )
                .bind(device.to_string())
                .fetch_optional(&mut *tx)
                .await?,
            };
            let Some(kp) = kp else { continue };
            sqlx::query(
                "INSERT INTO key_package_claims (target_device, claimer_device, one_time, claimed_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(device.to_string())
            .bind(claimer.to_string())
            .bind(i64::from(was_one_time))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            out.push((user, device, kp));
        }
        tx.commit().await?;
        Ok(Ok(out))
    }

    /// Forgets key-package claims older than an hour (they no longer count against a limit).
    pub async fn prune_key_package_claims(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM key_package_claims WHERE claimed_at <= $1")
            .bind(now - HOUR_MS)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }

    /// Stores a link request of a new device.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_link_request(
        &self,
        org: OrgId,
        user: PersonId,
        device: DeviceId,
        id: LinkRequestId,
        keys_json: &str,
        ephemeral_key: &[u8],
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        let replaced =
            sqlx::query("DELETE FROM link_requests WHERE device_id = $1 AND sealed IS NULL")
                .bind(device.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query(
            "INSERT INTO link_requests (id, org_id, person_id, device_id, keys, ephemeral_key, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(device.to_string())
        .bind(keys_json)
        .bind(ephemeral_key.to_vec())
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        // Announced once per waiting device: asking again only replaces the request, and
        // does not prompt the person's devices (or fill the event log) again.
        if replaced == 0 {
            emit(
                &mut tx,
                org,
                Audience::User(user),
                &EventKind::LinkRequested { device_id: device },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The unexpired link requests of `user`.
    pub async fn link_requests(
        &self,
        org: OrgId,
        user: PersonId,
        now: i64,
    ) -> StoreResult<Vec<StoredLinkRequest>> {
        let rows = sqlx::query(
            "SELECT id, person_id, device_id, keys, ephemeral_key, sealed, created_at, expires_at \
             FROM link_requests WHERE org_id = $1 AND person_id = $2 AND expires_at > $3 ORDER BY created_at",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredLinkRequest {
                    id: super::col_parse(row, "id")?,
                    user: super::col_parse(row, "person_id")?,
                    device: super::col_parse(row, "device_id")?,
                    keys: col_str(row, "keys")?,
                    ephemeral_key: col_bytes(row, "ephemeral_key")?,
                    sealed: col_opt_bytes(row, "sealed")?,
                    created_at: col_i64(row, "created_at")?,
                    expires_at: col_i64(row, "expires_at")?,
                })
            })
            .collect()
    }

    /// Answers a pending link request with the sealed identity key (and history) and stores
    /// the device list that names the new device, in one transaction.
    pub async fn approve_link_request(
        &self,
        org: OrgId,
        user: PersonId,
        id: LinkRequestId,
        sealed: &[u8],
        list: &NewDeviceList<'_>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_org(org).await?;
        let done = sqlx::query(
            "UPDATE link_requests SET sealed = $4 \
             WHERE org_id = $1 AND person_id = $2 AND id = $3 AND sealed IS NULL AND expires_at > $5",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(id.to_string())
        .bind(sealed.to_vec())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::refused(ErrorCode::LinkRequestInvalid));
        }
        write_identity(&mut tx, org, user, list, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A signed device list as the store takes it (its signature was checked by the caller).
#[derive(Clone, Copy, Debug)]
pub struct NewDeviceList<'a> {
    pub identity_key: &'a [u8],
    pub version: u64,
    /// JSON of the `SignedDeviceList`.
    pub json: &'a str,
    pub devices: &'a [DeviceId],
    pub recovery_backup: Option<&'a [u8]>,
}

/// Writes a device list inside a transaction; see [`super::Store::publish_identity`].
async fn write_identity(
    tx: &mut super::Tx,
    org: OrgId,
    user: PersonId,
    l: &NewDeviceList<'_>,
    now: i64,
) -> StoreResult<()> {
    let stored = sqlx::query(
        "SELECT identity_key, list_version FROM identities WHERE org_id = $1 AND person_id = $2",
    )
    .bind(org.to_string())
    .bind(user.to_string())
    .fetch_optional(&mut **tx)
    .await?;
    for d in l.devices {
        let ok: Option<String> = sqlx::query_scalar(
                "SELECT id FROM devices WHERE org_id = $1 AND person_id = $2 AND id = $3 AND revoked_at IS NULL",
            )
            .bind(org.to_string())
            .bind(user.to_string())
            .bind(d.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        if ok.is_none() {
            return Err(StoreError::refused_field(
                ErrorCode::DeviceListRejected,
                "device_list",
            ));
        }
    }
    match stored {
        Some(row) => {
            if col_bytes(&row, "identity_key")? != l.identity_key
                || col_i64(&row, "list_version")? as u64 >= l.version
            {
                return Err(StoreError::refused_field(
                    ErrorCode::DeviceListRejected,
                    "device_list",
                ));
            }
            sqlx::query(
                "UPDATE identities SET list_version = $3, device_list = $4, \
                     recovery_backup = COALESCE($5, recovery_backup), updated_at = $6 \
                     WHERE org_id = $1 AND person_id = $2",
            )
            .bind(org.to_string())
            .bind(user.to_string())
            .bind(l.version as i64)
            .bind(l.json)
            .bind(l.recovery_backup.map(<[u8]>::to_vec))
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        None => {
            sqlx::query(
                    "INSERT INTO identities (person_id, org_id, identity_key, list_version, device_list, recovery_backup, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(user.to_string())
                .bind(org.to_string())
                .bind(l.identity_key.to_vec())
                .bind(l.version as i64)
                .bind(l.json)
                .bind(l.recovery_backup.map(<[u8]>::to_vec))
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

async fn insert_key_package(
    tx: &mut super::Tx,
    org: OrgId,
    device: DeviceId,
    id: i64,
    last_resort: bool,
    kp: &[u8],
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO key_packages (id, device_id, org_id, last_resort, key_package, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(device.to_string())
    .bind(org.to_string())
    .bind(i64::from(last_resort))
    .bind(kp.to_vec())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Deletes what a revoked device leaves behind: key packages and link requests.
/// The MLS signature key of every device in these people's newest published device lists,
/// read in the caller's transaction (the delivery service judges commits against them).
pub(crate) async fn listed_keys(
    tx: &mut super::Tx,
    org: OrgId,
    users: &[PersonId],
) -> StoreResult<std::collections::BTreeMap<(PersonId, DeviceId), Vec<u8>>> {
    let mut out = std::collections::BTreeMap::new();
    if users.is_empty() {
        return Ok(out);
    }
    let sql = format!(
        "SELECT device_list FROM identities WHERE org_id = $1 AND person_id IN ({})",
        super::placeholders(2, users.len())
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(org.to_string());
    for u in users {
        q = q.bind(u.to_string());
    }
    for json in q.fetch_all(&mut **tx).await? {
        let list: kontor_proto::identity::SignedDeviceList =
            serde_json::from_str(&json).map_err(|_| StoreError::Corrupt("device_list"))?;
        for d in list.list.devices {
            out.insert(
                (list.list.person_id, d.device_id),
                d.mls_signature_key.0.clone(),
            );
        }
    }
    Ok(out)
}

pub(crate) async fn forget_devices(tx: &mut super::Tx, devices: &[DeviceId]) -> StoreResult<()> {
    for d in devices {
        sqlx::query("DELETE FROM key_packages WHERE device_id = $1")
            .bind(d.to_string())
            .execute(&mut **tx)
            .await?;
        sqlx::query("DELETE FROM link_requests WHERE device_id = $1")
            .bind(d.to_string())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
