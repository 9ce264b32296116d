//! Voiding a commit that nobody else could process.
//!
//! The delivery service checks every public part of a commit ([`crate::delivery`]), but not
//! what it encrypts to members, nor its membership and confirmation tags (they need the
//! group's secrets). A writer can therefore post a commit that every other device fails to
//! process: they all ask to be added again, and only the writer is left in step to add them.
//! So while nobody but one person writes, the state before each of their commits is kept:
//!
//! ```text
//!   … ─► commit by Ben (seq 40) ─► Ben's message ─► commit by Ben (seq 42) ─► Anna writes
//!        checkpoint 40             (run goes on)     checkpoint 42            run ends: dropped
//! ```
//!
//! A conversation admin's device that could not process the commit at `seq` voids it while
//! the run lasts: the group's public state, epoch, devices and members are what they were
//! before it, the commit and everything after it are marked voided (members skip them), and
//! the committer's devices ask to be added again. Anybody else's message ends the run:
//! somebody could process the commit, so it is renewal, not voiding, that brings the others
//! back. A run keeps at most [`MAX_RUN`] checkpoints. Past that a writer's commit is refused
//! until somebody else writes, so that nobody can push a bad commit out of reach of admins who
//! are offline; only the run of somebody who manages the conversation (an admin, either side
//! of a direct chat: they could wreck it anyway) makes room by dropping its oldest checkpoint
//! once that is older than [`KEPT_FOR_MS`], as a channel where only its admin writes runs for
//! ever. A commit that only removes is never refused: the group can hold only so many.
//!
//! What a void undoes is what the commits added; whom they removed stays out (their removal
//! is proposed again). The devices that were waiting to be added again before the commit
//! cannot void it, and neither can anybody who may not commit (guests, readers): the
//! committer's devices would wait for a renewal nobody may make.

use super::conversations::{group_state, lock_conversation, write_group_state};
use super::{StoreError, StoreResult, Tx, col_i64, col_opt_i64, col_parse, col_str};
use crate::access::conversation as rules;
use crate::delivery::GroupState;
use kontor_proto::conversation::MessageKind;
use kontor_proto::{ConversationId, DeviceId, ErrorCode, OrgId, PersonId};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;

/// Most checkpoints a run keeps.
pub const MAX_RUN: i64 = 64;
/// How long a checkpoint is kept for sure: one hour.
pub const KEPT_FOR_MS: i64 = 3_600_000;

/// A conversation's routing as a checkpoint keeps it.
#[derive(Serialize, Deserialize)]
struct Routing {
    devices: Vec<RoutedRow>,
    members: Vec<(PersonId, String)>,
}

#[derive(Clone, Serialize, Deserialize)]
struct RoutedRow {
    device: DeviceId,
    user: PersonId,
    removing: bool,
    joined_seq: i64,
    leaf: Option<i64>,
    proposed_epoch: Option<i64>,
    rejoin_at: Option<i64>,
}

async fn routing(tx: &mut Tx, conv: ConversationId) -> StoreResult<Routing> {
    let devices = sqlx::query(
        "SELECT device_id, person_id, removing, joined_seq, leaf_index, proposed_epoch, rejoin_requested_at \
         FROM conversation_devices WHERE conversation_id = $1 ORDER BY device_id",
    )
    .bind(conv.to_string())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(RoutedRow {
            device: col_parse(r, "device_id")?,
            user: col_parse(r, "person_id")?,
            removing: col_i64(r, "removing")? != 0,
            joined_seq: col_i64(r, "joined_seq")?,
            leaf: col_opt_i64(r, "leaf_index")?,
            proposed_epoch: col_opt_i64(r, "proposed_epoch")?,
            rejoin_at: col_opt_i64(r, "rejoin_requested_at")?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    let members = sqlx::query(
        "SELECT person_id, role FROM conversation_members WHERE conversation_id = $1 ORDER BY person_id",
    )
    .bind(conv.to_string())
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| Ok((col_parse(r, "person_id")?, col_str(r, "role")?)))
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Routing { devices, members })
}

/// Who is about to store a message, as the run sees them.
#[derive(Clone, Copy, Debug)]
pub(super) struct Committer {
    pub user: PersonId,
    /// They manage the conversation (admin, or a direct chat's either side).
    pub manages: bool,
    /// The commit removes devices and adds none.
    pub removes_only: bool,
}

/// Keeps the run of one person's unanswered commits up to date, for a message `by` is about
/// to store at `seq` (in the send's transaction, before the group's state moves). A message of
/// anybody else ends the run; a commit starts or extends one.
pub(super) async fn note_message(
    tx: &mut Tx,
    conv: ConversationId,
    kind: MessageKind,
    by: Committer,
    seq: u64,
    epoch: u64,
    now: i64,
) -> StoreResult<()> {
    let user = by.user;
    sqlx::query("DELETE FROM group_checkpoints WHERE conversation_id = $1 AND person_id <> $2")
        .bind(conv.to_string())
        .bind(user.to_string())
        .execute(&mut **tx)
        .await?;
    if kind != MessageKind::Commit {
        return Ok(());
    }
    let Some(state) = group_state(tx, conv).await? else {
        return Ok(());
    };
    let run: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM group_checkpoints WHERE conversation_id = $1")
            .bind(conv.to_string())
            .fetch_one(&mut **tx)
            .await?;
    if run >= MAX_RUN && !by.removes_only {
        if !by.manages {
            return Err(StoreError::refused(ErrorCode::RateLimited));
        }
        let dropped = sqlx::query(
            "DELETE FROM group_checkpoints WHERE conversation_id = $1 AND created_at < $2 AND seq = \
             (SELECT MIN(seq) FROM group_checkpoints WHERE conversation_id = $1)",
        )
        .bind(conv.to_string())
        .bind(now - KEPT_FOR_MS)
        .execute(&mut **tx)
        .await?;
        if dropped.rows_affected() == 0 {
            return Err(StoreError::refused(ErrorCode::RateLimited));
        }
    }
    let routing = serde_json::to_string(&routing(tx, conv).await?)
        .map_err(|_| StoreError::Corrupt("routing"))?;
    sqlx::query(
        "INSERT INTO group_checkpoints (conversation_id, seq, epoch, person_id, state, routing, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(conv.to_string())
    .bind(seq as i64)
    .bind(epoch as i64)
    .bind(user.to_string())
    .bind(state.0)
    .bind(routing)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a void did, for the API layer to push.
#[derive(Debug)]
pub struct Voided {
    /// Every device to tell that the conversation changed: those routed to now and those the
    /// voided commits had added.
    pub tell: Vec<DeviceId>,
}

impl super::Store {
    /// Voids the commit at `seq` and everything after it, at the request of `device`, which
    /// could not process it (see the module docs). Refused unless the device was a member
    /// before the commit, its person may void in this conversation
    /// ([`rules::may_void`]) and is not the committer, and nobody but the committer has
    /// written since.
    pub async fn void_commit(
        &self,
        org: OrgId,
        conv: ConversationId,
        user: PersonId,
        device: DeviceId,
        seq: u64,
        at: i64,
    ) -> StoreResult<Voided> {
        let mut tx = self.begin().await?;
        let (kind, _, _) = lock_conversation(&mut tx, org, conv).await?;
        let now = routing(&mut tx, conv).await?;
        let me = now
            .devices
            .iter()
            .find(|d| d.device == device && !d.removing)
            .ok_or(StoreError::refused(ErrorCode::NotAMember))?;
        let role = super::conversations::effective_role(&mut *tx, conv, me.user)
            .await?
            .ok_or(StoreError::refused(ErrorCode::NotAMember))?;
        let guest = super::conversations::guests(&mut *tx, &[me.user])
            .await?
            .contains(&me.user);
        rules::may_void(kind, role, guest).map_err(StoreError::refused)?;
        // Asked again (two admins at once, or an answer lost): it is done.
        let already: Option<i64> = sqlx::query_scalar(
            "SELECT voided FROM conversation_messages WHERE conversation_id = $1 AND seq = $2 \
             AND kind = 'commit'",
        )
        .bind(conv.to_string())
        .bind(seq as i64)
        .fetch_optional(&mut *tx)
        .await?;
        if already.is_some_and(|v| v != 0) {
            return Ok(Voided { tell: Vec::new() });
        }
        let row = sqlx::query(
            "SELECT epoch, person_id, state, routing FROM group_checkpoints \
             WHERE conversation_id = $1 AND seq = $2",
        )
        .bind(conv.to_string())
        .bind(seq as i64)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::refused_field(ErrorCode::NotVoidable, "seq"))?;
        let epoch = col_i64(&row, "epoch")? as u64;
        let committer: PersonId = col_parse(&row, "person_id")?;
        let state = GroupState(
            row.try_get::<Vec<u8>, _>("state")
                .map_err(|_| StoreError::Corrupt("state"))?,
        );
        let before: Routing = serde_json::from_str(&col_str(&row, "routing")?)
            .map_err(|_| StoreError::Corrupt("routing"))?;
        // Only a device that was in step before the commit can tell that it is broken.
        if committer == user
            || !before
                .devices
                .iter()
                .any(|d| d.device == device && !d.removing && d.rejoin_at.is_none())
        {
            return Err(StoreError::refused_field(ErrorCode::NotVoidable, "seq"));
        }
        // The run's invariant, checked once more: since the commit, only its committer (and
        // the delivery service's own proposals) wrote.
        let server = PersonId(uuid::Uuid::nil());
        let others: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM conversation_messages WHERE conversation_id = $1 AND seq >= $2 \
             AND voided = 0 AND sender_person <> $3 AND sender_person <> $4",
        )
        .bind(conv.to_string())
        .bind(seq as i64)
        .bind(committer.to_string())
        .bind(server.to_string())
        .fetch_one(&mut *tx)
        .await?;
        if others > 0 {
            return Err(StoreError::refused_field(ErrorCode::NotVoidable, "seq"));
        }
        sqlx::query(
            "UPDATE conversation_messages SET voided = 1 WHERE conversation_id = $1 AND seq >= $2",
        )
        .bind(conv.to_string())
        .bind(seq as i64)
        .execute(&mut *tx)
        .await?;
        write_group_state(&mut tx, conv, epoch, &state).await?;
        sqlx::query("UPDATE conversations SET epoch = $2 WHERE id = $1")
            .bind(conv.to_string())
            .bind(epoch as i64)
            .execute(&mut *tx)
            .await?;
        // Welcomes into the voided epochs open nothing any more.
        sqlx::query("DELETE FROM welcomes WHERE conversation_id = $1 AND seq >= $2")
            .bind(conv.to_string())
            .bind(seq as i64)
            .execute(&mut *tx)
            .await?;
        let mut tell = Vec::new();
        let was: BTreeMap<DeviceId, &RoutedRow> =
            before.devices.iter().map(|d| (d.device, d)).collect();
        let is: BTreeMap<DeviceId, &RoutedRow> =
            now.devices.iter().map(|d| (d.device, d)).collect();
        // Devices the voided commits added are out again.
        for d in now.devices.iter().filter(|d| !was.contains_key(&d.device)) {
            sqlx::query(
                "DELETE FROM conversation_devices WHERE conversation_id = $1 AND device_id = $2",
            )
            .bind(conv.to_string())
            .bind(d.device.to_string())
            .execute(&mut *tx)
            .await?;
            tell.push(d.device);
        }
        for d in &before.devices {
            match is.get(&d.device) {
                // Still here: its place in the group is the one before, what happened to it
                // since (a revocation, a leaver's removal) stays.
                Some(current) => {
                    sqlx::query(
                        "UPDATE conversation_devices SET joined_seq = $3, leaf_index = $4, \
                         rejoin_requested_at = $5, proposed_epoch = CASE WHEN proposed_epoch > $6 THEN NULL ELSE proposed_epoch END \
                         WHERE conversation_id = $1 AND device_id = $2",
                    )
                    .bind(conv.to_string())
                    .bind(d.device.to_string())
                    .bind(d.joined_seq)
                    .bind(d.leaf)
                    .bind(if current.removing { None } else { d.rejoin_at })
                    .bind(epoch as i64)
                    .execute(&mut *tx)
                    .await?;
                }
                // Removed by a voided commit: back in the group's tree, so back in routing,
                // but only to be removed again. A void undoes additions, never removals: it
                // must not bring anybody back whom a member took out.
                None => {
                    sqlx::query(
                        "INSERT INTO conversation_devices \
                         (conversation_id, device_id, person_id, removing, joined_seq, leaf_index, proposed_epoch, rejoin_requested_at) \
                         VALUES ($1, $2, $3, 1, $4, $5, $6, NULL)",
                    )
                    .bind(conv.to_string())
                    .bind(d.device.to_string())
                    .bind(d.user.to_string())
                    .bind(d.joined_seq)
                    .bind(d.leaf)
                    .bind(d.proposed_epoch.filter(|e| *e <= epoch as i64))
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        // The committer's devices are in the voided epochs (or do not know): added again.
        sqlx::query(
            "UPDATE conversation_devices SET rejoin_requested_at = $3 \
             WHERE conversation_id = $1 AND person_id = $2 AND removing = 0",
        )
        .bind(conv.to_string())
        .bind(committer.to_string())
        .bind(at)
        .execute(&mut *tx)
        .await?;
        let people: BTreeMap<PersonId, &str> = before
            .members
            .iter()
            .map(|(u, r)| (*u, r.as_str()))
            .collect();
        for (u, role) in &people {
            sqlx::query(
                "INSERT INTO conversation_members (conversation_id, person_id, role) VALUES ($1, $2, $3) \
                 ON CONFLICT (conversation_id, person_id) DO NOTHING",
            )
            .bind(conv.to_string())
            .bind(u.to_string())
            .bind(*role)
            .execute(&mut *tx)
            .await?;
        }
        for (u, _) in now.members.iter().filter(|(u, _)| !people.contains_key(u)) {
            sqlx::query(
                "DELETE FROM conversation_members WHERE conversation_id = $1 AND person_id = $2",
            )
            .bind(conv.to_string())
            .bind(u.to_string())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "DELETE FROM conversation_members WHERE conversation_id = $1 AND person_id NOT IN \
             (SELECT person_id FROM conversation_devices WHERE conversation_id = $1)",
        )
        .bind(conv.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM group_checkpoints WHERE conversation_id = $1 AND seq >= $2")
            .bind(conv.to_string())
            .bind(seq as i64)
            .execute(&mut *tx)
            .await?;
        let routed: Vec<DeviceId> = sqlx::query_scalar(
            "SELECT device_id FROM conversation_devices WHERE conversation_id = $1 AND removing = 0",
        )
        .bind(conv.to_string())
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|d: String| d.parse().map_err(|_| StoreError::Corrupt("device_id")))
        .collect::<StoreResult<_>>()?;
        tx.commit().await?;
        tell.extend(routed);
        Ok(Voided { tell })
    }
}
