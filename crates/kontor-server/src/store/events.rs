//! The per-organisation event sequence.
//!
//! `orgs.event_seq` is incremented inside the writing transaction; its row lock (PostgreSQL) or
//! the single writer (SQLite) makes sequence numbers gap-free and committed in order, so a
//! client that resumes after `seq` can never miss an event that commits later with a smaller
//! number.

use super::{StoreResult, Tx, col_i64, col_str};
use crate::clock::fmt_ms;
use kontor_proto::{Event, EventKind, OrgId, PersonId};

/// Who an event is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Everybody in the organisation, guests included.
    All,
    /// Everybody in the organisation but guests.
    Members,
    /// One person's devices.
    User(PersonId),
}

pub(crate) async fn emit(
    tx: &mut Tx,
    org: OrgId,
    audience: Audience,
    kind: &EventKind,
    now: i64,
) -> StoreResult<u64> {
    let seq: i64 = sqlx::query_scalar(
        "UPDATE orgs SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq",
    )
    .bind(org.to_string())
    .fetch_one(&mut **tx)
    .await?;
    let (user, members_only) = match audience {
        Audience::All => (None, 0_i64),
        Audience::Members => (None, 1_i64),
        Audience::User(u) => (Some(u.to_string()), 0),
    };
    sqlx::query(
        "INSERT INTO events (org_id, seq, audience_person, members_only, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(org.to_string())
    .bind(seq)
    .bind(user)
    .bind(members_only)
    .bind(super::to_json(kind))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(seq as u64)
}

fn event_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Event> {
    Ok(Event {
        seq: col_i64(row, "seq")? as u64,
        at: fmt_ms(col_i64(row, "created_at")?),
        kind: serde_json::from_str(&col_str(row, "payload")?)
            .map_err(|_| super::StoreError::Corrupt("payload"))?,
    })
}

impl super::Store {
    /// Events for `user`'s devices after `after`, oldest first. Guests get only the events
    /// addressed to them.
    pub async fn events_after(
        &self,
        org: OrgId,
        user: PersonId,
        is_guest: bool,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT seq, payload, created_at FROM events \
             WHERE org_id = $1 AND seq > $2 \
               AND (audience_person = $3 OR (audience_person IS NULL AND (members_only = 0 OR $4 = 0))) \
             ORDER BY seq LIMIT $5",
        )
        .bind(org.to_string())
        .bind(after.min(i64::MAX as u64) as i64)
        .bind(user.to_string())
        .bind(i64::from(is_guest))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// All of an organisation's events after `after`, whoever they are for (for the server's
    /// own derived state, never for a client).
    pub async fn org_events_after(
        &self,
        org: OrgId,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<Event>> {
        let rows = sqlx::query(
            "SELECT seq, payload, created_at FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(org.to_string())
        .bind(after.min(i64::MAX as u64) as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// The organisation's newest sequence number (one read: what a woken connection needs).
    pub async fn last_event_seq(&self, org: OrgId) -> StoreResult<u64> {
        let last: i64 = sqlx::query_scalar("SELECT event_seq FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&self.read)
            .await?
            .unwrap_or(0);
        Ok(last as u64)
    }

    /// The organisation's newest sequence number and the oldest one still kept.
    pub async fn event_bounds(&self, org: OrgId) -> StoreResult<(u64, u64)> {
        let last: i64 = sqlx::query_scalar("SELECT event_seq FROM orgs WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&self.read)
            .await?
            .unwrap_or(0);
        let oldest: Option<i64> =
            sqlx::query_scalar("SELECT MIN(seq) FROM events WHERE org_id = $1")
                .bind(org.to_string())
                .fetch_one(&self.read)
                .await?;
        Ok((last as u64, oldest.unwrap_or(last + 1) as u64))
    }

    /// Deletes events older than `before` (milliseconds). Clients that were away longer are
    /// told to resynchronise.
    pub async fn prune_events(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM events WHERE created_at < $1")
            .bind(before)
            .execute(&self.write)
            .await?;
        Ok(done.rows_affected())
    }
}
