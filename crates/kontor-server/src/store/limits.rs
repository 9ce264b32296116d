//! What the login limiter keeps: failure counters, known addresses, device credentials.
//!
//! In the database rather than in memory, so that a restart forgets nothing (neither the
//! attacker's failures nor the addresses a person is known at) and every node of a
//! PostgreSQL deployment sees the same counts. Keys arrive hashed ([`crate::lockout`]).

use super::StoreResult;
use kontor_proto::{DeviceId, OrgId, PersonId};

/// At most `max` failures per `window_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureLimit {
    pub max: u32,
    pub window_ms: i64,
}

impl super::Store {
    /// Counts one attempt against every key and checks the limits in the same transaction, so
    /// that parallel attempts can never all pass a check before any of them is counted. When
    /// any key is at its limit, nothing is counted and the answer is `Err(seconds to wait)`.
    pub async fn count_attempt(
        &self,
        keys: &[(String, FailureLimit)],
        now: i64,
    ) -> StoreResult<Result<(), u64>> {
        let mut keys: Vec<&(String, FailureLimit)> = keys.iter().collect();
        // One lock order for every writer.
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tx = self.begin().await?;
        let mut wait: Option<u64> = None;
        for (key, limit) in keys {
            let row = sqlx::query(
                "INSERT INTO login_failures (key_hash, window_start, failures) VALUES ($1, $2, 1) \
                 ON CONFLICT (key_hash) DO UPDATE SET \
                   window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 ELSE login_failures.window_start END, \
                   failures = CASE WHEN login_failures.window_start <= $3 THEN 1 ELSE login_failures.failures + 1 END \
                 RETURNING window_start, failures",
            )
            .bind(key)
            .bind(now)
            .bind(now - limit.window_ms)
            .fetch_one(&mut *tx)
            .await?;
            let start = super::col_i64(&row, "window_start")?;
            let failures = super::col_i64(&row, "failures")?;
            if failures > i64::from(limit.max) {
                let secs = ((start + limit.window_ms - now + 999) / 1000).max(1) as u64;
                wait = Some(wait.map_or(secs, |w| w.max(secs)));
            }
        }
        match wait {
            Some(secs) => {
                tx.rollback().await?;
                Ok(Err(secs))
            }
            None => {
                tx.commit().await?;
                Ok(Ok(()))
            }
        }
    }

    /// Takes back one counted attempt of each of `forgive` (it turned out to be the real
    /// person) and forgets `reset` altogether.
    pub async fn forgive_attempt(&self, forgive: &[String], reset: &[String]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for key in forgive {
            sqlx::query(
                "UPDATE login_failures SET failures = failures - 1 WHERE key_hash = $1 AND failures > 0",
            )
            .bind(key)
            .execute(&mut *tx)
            .await?;
        }
        for key in reset {
            sqlx::query("DELETE FROM login_failures WHERE key_hash = $1")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Whether the person logged in from this address (hashed) before, and it is still known.
    pub async fn is_known_address(
        &self,
        org: OrgId,
        user: PersonId,
        address_hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let until: Option<i64> = sqlx::query_scalar(
            "SELECT until FROM login_known_addresses WHERE org_id = $1 AND person_id = $2 AND address_hash = $3",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(address_hash)
        .fetch_optional(&self.read)
        .await?;
        Ok(until.is_some_and(|u| u > now))
    }

    /// Remembers that the person logged in from this address (hashed), until `until`.
    pub async fn remember_address(
        &self,
        org: OrgId,
        user: PersonId,
        address_hash: &str,
        until: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO login_known_addresses (org_id, person_id, address_hash, until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id, person_id, address_hash) DO UPDATE SET until = $4",
        )
        .bind(org.to_string())
        .bind(user.to_string())
        .bind(address_hash)
        .bind(until)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `device` is a live device of `user` whose credential hashes to `secret_hash`.
    pub async fn device_credential_valid(
        &self,
        org: OrgId,
        user: PersonId,
        device: DeviceId,
        secret_hash: &str,
    ) -> StoreResult<bool> {
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT c.secret_hash FROM device_credentials c \
             JOIN devices d ON d.id = c.device_id AND d.revoked_at IS NULL \
             WHERE c.device_id = $1 AND c.org_id = $2 AND c.person_id = $3 AND d.person_id = $3",
        )
        .bind(device.to_string())
        .bind(org.to_string())
        .bind(user.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(stored
            .is_some_and(|s| crate::tokens::constant_time_eq(s.as_bytes(), secret_hash.as_bytes())))
    }

    /// Forgets failure windows that have ended and addresses no longer known.
    pub async fn prune_login_limits(&self, now: i64, longest_window_ms: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let a = sqlx::query("DELETE FROM login_failures WHERE window_start < $1")
            .bind(now - longest_window_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let b = sqlx::query("DELETE FROM login_known_addresses WHERE until <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(a + b)
    }
}

/// Stores the credential of a new device inside its login's transaction.
pub(crate) async fn insert_credential(
    tx: &mut super::Tx,
    org: OrgId,
    user: PersonId,
    device: DeviceId,
    secret_hash: &str,
    now: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO device_credentials (device_id, org_id, person_id, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(device.to_string())
    .bind(org.to_string())
    .bind(user.to_string())
    .bind(secret_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
