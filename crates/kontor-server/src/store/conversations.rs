//! The MLS delivery service's state: conversations, who is in them, the ordered message log
//! and Welcomes.
//!
//! A send locks its conversation's row first, so the epoch check, the sequence number and the
//! membership change of one conversation are decided by one writer at a time: the first commit
//! for an epoch wins, sequence numbers are gap-free, and a client message id is stored once.
//! Writes that touch several conversations (retiring a leaver's devices) lock the conversation
//! rows in id order before anything else, so they cannot deadlock with sends.

use super::{StoreError, StoreResult, Tx, col_i64, col_opt_i64, col_parse, col_str};
use crate::access::conversation as rules;
use crate::clock::fmt_ms;
use crate::delivery::{self, Facts, GroupState, Handshake, Refusal, RoutedDevice};
use kontor_proto::conversation::{
    Conversation, ConversationKind, ConversationMember, ConversationRole, MessageKind,
    PendingWelcome, SendMessage, Sent, StoredMessage,
};
use kontor_proto::{ClientMsgId, ConversationId, DeviceId, ErrorCode, OrgId, PersonId};
use sqlx::Row;
use std::collections::BTreeMap;

/// What a send did, for the API layer to push.
#[derive(Clone, Debug)]
pub struct SendOutcome {
    pub sent: Sent,
    /// The stored message; `None` when it was a duplicate.
    pub message: Option<StoredMessage>,
    /// Devices to push the message to (active members but the sender).
    pub recipients: Vec<DeviceId>,
    /// Devices that got a Welcome.
    pub welcomed: Vec<DeviceId>,
    /// Whether the membership or the pending removals changed.
    pub changed: bool,
    /// Devices of this conversation that this commit removed: told so, nothing more.
    pub removed: Vec<DeviceId>,
}

/// One device row of a conversation.
#[derive(Clone, Copy, Debug)]
struct DeviceRow {
    device: DeviceId,
    user: PersonId,
    removing: bool,
    /// It asked to be added again (it could not process a commit).
    rejoining: bool,
}

impl From<&DeviceRow> for RoutedDevice {
    fn from(d: &DeviceRow) -> Self {
        RoutedDevice {
            device: d.device,
            user: d.user,
            removing: d.removing,
            rejoining: d.rejoining,
        }
    }
}

impl From<Refusal> for StoreError {
    fn from(r: Refusal) -> Self {
        StoreError::refused_field(r.code, r.field)
    }
}

/// The delivery service's copy of a group's public state.
pub(super) async fn group_state(
    tx: &mut Tx,
    conv: ConversationId,
) -> StoreResult<Option<GroupState>> {
    let state: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT state FROM group_states WHERE conversation_id = $1")
            .bind(conv.to_string())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(state.map(GroupState))
}

pub(super) async fn write_group_state(
    tx: &mut Tx,
    conv: ConversationId,
    epoch: u64,
    state: &GroupState,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO group_states (conversation_id, epoch, state) VALUES ($1, $2, $3) \
         ON CONFLICT (conversation_id) DO UPDATE SET epoch = $2, state = $3",
    )
    .bind(conv.to_string())
    .bind(epoch as i64)
    .bind(state.0.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn lock_conversation(
    tx: &mut Tx,
    org: OrgId,
    conv: ConversationId,
) -> StoreResult<(ConversationKind, u64, u64)> {
    let row = sqlx::query(
        "UPDATE conversations SET last_seq = last_seq WHERE org_id = $1 AND id = $2 \
         RETURNING kind, epoch, last_seq",
    )
    .bind(org.to_string())
    .bind(conv.to_string())
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let kind =
        ConversationKind::parse(&col_str(&row, "kind")?).ok_or(StoreError::Corrupt("kind"))?;
    Ok((
        kind,
        col_i64(&row, "epoch")? as u64,
        col_i64(&row, "last_seq")? as u64,
    ))
}

async fn device_rows(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    conv: ConversationId,
) -> StoreResult<Vec<DeviceRow>> {
    sqlx::query(
        "SELECT device_id, person_id, removing, rejoin_requested_at FROM conversation_devices WHERE conversation_id = $1 ORDER BY device_id",
    )
    .bind(conv.to_string())
    .fetch_all(exec)
    .await?
    .iter()
    .map(|r| {
        Ok(DeviceRow {
            device: col_parse(r, "device_id")?,
            user: col_parse(r, "person_id")?,
            removing: col_i64(r, "removing")? != 0,
            rejoining: col_opt_i64(r, "rejoin_requested_at")?.is_some(),
        })
    })
    .collect()
}

/// A member's role as the rules see it: their own, or admin where the organisation's policy
/// makes its owners and admins admins of every group and channel they are in (never in a
/// direct chat). Needs `m` (conversation_members), `c` (conversations), `o` (orgs) and `p`
/// (people) in the query. The stored role stays as it was: switching the policy off gives
/// everyone back the role they had.
pub(super) const EFFECTIVE_ROLE: &str = "CASE WHEN c.kind <> 'direct' AND o.org_admins_manage <> 0 \
     AND p.role IN ('owner', 'admin') THEN 'admin' ELSE m.role END";

async fn member_rows(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    conv: ConversationId,
) -> StoreResult<BTreeMap<PersonId, ConversationRole>> {
    sqlx::query(&format!(
        "SELECT m.person_id, {EFFECTIVE_ROLE} AS role FROM conversation_members m \
         JOIN conversations c ON c.id = m.conversation_id JOIN orgs o ON o.id = c.org_id \
         JOIN people p ON p.id = m.person_id AND p.org_id = c.org_id WHERE m.conversation_id = $1"
    ))
    .bind(conv.to_string())
    .fetch_all(exec)
    .await?
    .iter()
    .map(|r| {
        Ok((
            col_parse(r, "person_id")?,
            ConversationRole::parse(&col_str(r, "role")?).ok_or(StoreError::Corrupt("role"))?,
        ))
    })
    .collect()
}

/// One member's role as the rules see it ([`EFFECTIVE_ROLE`]); `None` for no member.
pub(super) async fn effective_role(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    conv: ConversationId,
    person: PersonId,
) -> StoreResult<Option<ConversationRole>> {
    let role: Option<String> = sqlx::query_scalar(&format!(
        "SELECT {EFFECTIVE_ROLE} AS role FROM conversation_members m \
         JOIN conversations c ON c.id = m.conversation_id JOIN orgs o ON o.id = c.org_id \
         JOIN people p ON p.id = m.person_id AND p.org_id = c.org_id WHERE m.conversation_id = $1 AND m.person_id = $2"
    ))
    .bind(conv.to_string())
    .bind(person.to_string())
    .fetch_optional(exec)
    .await?;
    role.map(|r| ConversationRole::parse(&r).ok_or(StoreError::Corrupt("role")))
        .transpose()
}

/// A conversation's devices and its people's roles, in one query.
async fn devices_and_members(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    conv: ConversationId,
) -> StoreResult<(Vec<DeviceRow>, BTreeMap<PersonId, ConversationRole>)> {
    let rows = sqlx::query(&format!(
        "SELECT d.device_id, d.person_id, d.removing, d.rejoin_requested_at, {EFFECTIVE_ROLE} AS role \
         FROM conversation_devices d \
         JOIN conversations c ON c.id = d.conversation_id JOIN orgs o ON o.id = c.org_id \
         LEFT JOIN conversation_members m ON m.conversation_id = d.conversation_id AND m.person_id = d.person_id \
         LEFT JOIN people p ON p.id = m.person_id AND p.org_id = c.org_id \
         WHERE d.conversation_id = $1 ORDER BY d.device_id"
    ))
    .bind(conv.to_string())
    .fetch_all(exec)
    .await?;
    let mut devices = Vec::with_capacity(rows.len());
    let mut members = BTreeMap::new();
    for r in &rows {
        let d = DeviceRow {
            device: col_parse(r, "device_id")?,
            user: col_parse(r, "person_id")?,
            removing: col_i64(r, "removing")? != 0,
            rejoining: col_opt_i64(r, "rejoin_requested_at")?.is_some(),
        };
        if let Some(role) = super::col_opt_str(r, "role")? {
            members.insert(
                d.user,
                ConversationRole::parse(&role).ok_or(StoreError::Corrupt("role"))?,
            );
        }
        devices.push(d);
    }
    Ok((devices, members))
}

fn message_from_row(conv: ConversationId, row: &sqlx::any::AnyRow) -> StoreResult<StoredMessage> {
    Ok(StoredMessage {
        conversation_id: conv,
        seq: col_i64(row, "seq")? as u64,
        kind: MessageKind::parse(&col_str(row, "kind")?).ok_or(StoreError::Corrupt("kind"))?,
        epoch: col_i64(row, "epoch")? as u64,
        sender_person: col_parse(row, "sender_person")?,
        sender_device: col_parse(row, "sender_device")?,
        client_msg_id: col_parse(row, "client_msg_id")?,
        body: kontor_proto::Bytes(
            row.try_get::<Vec<u8>, _>("body")
                .map_err(|_| StoreError::Corrupt("body"))?,
        ),
        sent_at: fmt_ms(col_i64(row, "created_at")?),
        voided: col_i64(row, "voided")? != 0,
    })
}

/// Which of these people are guests of their organisation.
pub(super) async fn guests(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    users: &[PersonId],
) -> StoreResult<Vec<PersonId>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM people WHERE role = 'guest' AND id IN ({})",
        super::placeholders(1, users.len())
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    for u in users {
        q = q.bind(u.to_string());
    }
    q.fetch_all(exec)
        .await?
        .iter()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("person_id")))
        .collect()
}

/// Judges a commit or proposal against the group's public state and the conversation's rules
/// ([`delivery`]). What the sender declares it adds and removes must be what the commit does.
#[allow(clippy::too_many_arguments)]
async fn judge_handshake(
    tx: &mut Tx,
    org: OrgId,
    conv: ConversationId,
    kind: ConversationKind,
    sender: (PersonId, DeviceId),
    m: &SendMessage,
    members: &BTreeMap<PersonId, ConversationRole>,
    devices: &[DeviceRow],
) -> StoreResult<delivery::Verdict> {
    if m.kind == MessageKind::Commit {
        let role = members
            .get(&sender.0)
            .copied()
            .ok_or(StoreError::refused(ErrorCode::NotAMember))?;
        rules::may_commit(
            role,
            guests(&mut **tx, &[sender.0]).await?.contains(&sender.0),
        )
        .map_err(StoreError::refused)?;
    }
    let state = group_state(tx, conv)
        .await?
        .ok_or(StoreError::refused(ErrorCode::ConversationOutdated))?;
    let handshake = Handshake::parse(&state, conv, m.body.as_slice())?;
    let listed = super::identity::listed_keys(tx, org, &handshake.people()).await?;
    let routed: Vec<RoutedDevice> = devices.iter().map(RoutedDevice::from).collect();
    let verdict = handshake.judge(&Facts {
        kind,
        sender,
        members,
        devices: &routed,
        listed: &listed,
    })?;
    if m.kind == MessageKind::Commit {
        let set = |v: &mut Vec<DeviceId>| {
            v.sort();
            v.dedup();
        };
        let mut declared: Vec<DeviceId> = m.added.iter().map(|a| a.device_id).collect();
        let mut actual: Vec<DeviceId> = verdict.added.iter().map(|a| a.device_id).collect();
        set(&mut declared);
        set(&mut actual);
        if declared != actual
            || m.added.iter().any(|a| {
                !verdict
                    .added
                    .iter()
                    .any(|v| v.device_id == a.device_id && v.person_id == a.person_id)
            })
        {
            return Err(StoreError::refused_field(ErrorCode::InvalidInput, "added"));
        }
        let mut declared = m.removed.clone();
        let mut actual = verdict.removed.clone();
        set(&mut declared);
        set(&mut actual);
        if declared != actual {
            return Err(StoreError::refused_field(
                ErrorCode::InvalidInput,
                "removed",
            ));
        }
    }
    Ok(verdict)
}

impl super::Store {
    /// Creates a conversation with the caller's device as its only member, at epoch 0, with
    /// the group's first public state ([`delivery::genesis`]). Creating the same id again by
    /// the same person is a no-op.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_conversation(
        &self,
        org: OrgId,
        id: ConversationId,
        kind: ConversationKind,
        user: PersonId,
        device: DeviceId,
        state: &GroupState,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let existing: Option<String> = sqlx::query_scalar(
            "SELECT created_by FROM conversations WHERE id = $1 AND org_id = $2",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        match existing {
            Some(by) if by == user.to_string() => return Ok(()),
            Some(_) => return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "id")),
            None => {}
        }
        let inserted = sqlx::query(
            "INSERT INTO conversations (id, org_id, kind, epoch, last_seq, created_by, created_at) \
             VALUES ($1, $2, $3, 0, 0, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(kind.as_str())
        .bind(user.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            // The id is taken (in this or another organisation): never reveal which.
            return Err(StoreError::refused_field(ErrorCode::AlreadyExists, "id"));
        }
        sqlx::query(
            "INSERT INTO conversation_members (conversation_id, person_id, role) VALUES ($1, $2, 'admin')",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO conversation_devices (conversation_id, device_id, person_id, removing, joined_seq, leaf_index) \
             VALUES ($1, $2, $3, 0, 0, 0)",
        )
        .bind(id.to_string())
        .bind(device.to_string())
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        write_group_state(&mut tx, id, 0, state).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A conversation, if `device` is an active member of it.
    pub async fn conversation(
        &self,
        org: OrgId,
        id: ConversationId,
        device: DeviceId,
    ) -> StoreResult<Conversation> {
        let row = sqlx::query(
            "SELECT c.kind, c.epoch, c.last_seq, c.created_at FROM conversations c \
             JOIN conversation_devices d ON d.conversation_id = c.id \
             WHERE c.org_id = $1 AND c.id = $2 AND d.device_id = $3 AND d.removing = 0",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(device.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let devices = device_rows(&self.read, id).await?;
        let members = member_rows(&self.read, id).await?;
        let people: Vec<PersonId> = members.keys().copied().collect();
        let guests = guests(&self.read, &people).await?;
        Ok(Conversation {
            id,
            kind: ConversationKind::parse(&col_str(&row, "kind")?)
                .ok_or(StoreError::Corrupt("kind"))?,
            epoch: col_i64(&row, "epoch")? as u64,
            last_seq: col_i64(&row, "last_seq")? as u64,
            members: members
                .iter()
                .map(|(user, role)| ConversationMember {
                    person_id: *user,
                    role: *role,
                    commits: rules::may_commit(*role, guests.contains(user)).is_ok(),
                    devices: devices
                        .iter()
                        .filter(|d| d.user == *user && !d.removing)
                        .map(|d| d.device)
                        .collect(),
                })
                .collect(),
            pending_removals: devices
                .iter()
                .filter(|d| d.removing)
                .map(|d| d.device)
                .collect(),
            rejoining: devices
                .iter()
                .filter(|d| d.rejoining && !d.removing)
                .map(|d| d.device)
                .collect(),
            created_at: fmt_ms(col_i64(&row, "created_at")?),
        })
    }

    /// The conversations `device` is an active member of.
    pub async fn conversations_of_device(
        &self,
        org: OrgId,
        device: DeviceId,
    ) -> StoreResult<Vec<Conversation>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT d.conversation_id FROM conversation_devices d JOIN conversations c ON c.id = d.conversation_id \
             WHERE c.org_id = $1 AND d.device_id = $2 AND d.removing = 0 ORDER BY d.conversation_id",
        )
        .bind(org.to_string())
        .bind(device.to_string())
        .fetch_all(&self.read)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let id: ConversationId = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
            out.push(self.conversation(org, id, device).await?);
        }
        Ok(out)
    }

    /// The active devices of a conversation (routing).
    pub async fn active_devices(&self, conv: ConversationId) -> StoreResult<Vec<DeviceId>> {
        Ok(device_rows(&self.read, conv)
            .await?
            .into_iter()
            .filter(|d| !d.removing)
            .map(|d| d.device)
            .collect())
    }

    /// Counts what a stored message holds against its organisation and sender, in a short
    /// transaction of its own (the organisation's row first, as every write locks it). Sends
    /// in flight at the same time may overshoot the quota by their own size.
    async fn count_stored(&self, org: OrgId, user: PersonId, size: i64) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE orgs SET stored_bytes = stored_bytes + $2 WHERE id = $1")
            .bind(org.to_string())
            .bind(size)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE people SET stored_bytes = stored_bytes + $2 WHERE id = $1")
            .bind(user.to_string())
            .bind(size)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Where an earlier try of this device's message was stored, if it was: `(seq, epoch)`.
    pub async fn sent_before(
        &self,
        org: OrgId,
        conv: ConversationId,
        device: DeviceId,
        id: ClientMsgId,
    ) -> StoreResult<Option<Sent>> {
        let row = sqlx::query(
            "SELECT m.seq, c.epoch FROM conversation_messages m \
             JOIN conversations c ON c.id = m.conversation_id \
             WHERE c.org_id = $1 AND m.conversation_id = $2 AND m.sender_device = $3 AND m.client_msg_id = $4",
        )
        .bind(org.to_string())
        .bind(conv.to_string())
        .bind(device.to_string())
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(Sent {
                seq: col_i64(&r, "seq")? as u64,
                epoch: col_i64(&r, "epoch")? as u64,
                duplicate: true,
            })
        })
        .transpose()
    }

    /// Stores one message of the delivery service; see the module docs for the rules. Chat
    /// messages count against the organisation's storage quota and the operator's
    /// `storage_cap` (bytes).
    #[allow(clippy::too_many_arguments)]
    pub async fn send_message(
        &self,
        org: OrgId,
        conv: ConversationId,
        user: PersonId,
        device: DeviceId,
        m: &SendMessage,
        storage_cap: u64,
        now: i64,
    ) -> StoreResult<SendOutcome> {
        let mut tx = self.begin().await?;
        // Lock the conversation and take the next sequence number in one statement; every
        // refusal below rolls it back.
        let row = sqlx::query(
            "UPDATE conversations SET last_seq = last_seq + 1 WHERE org_id = $1 AND id = $2 \
             RETURNING kind, epoch, last_seq",
        )
        .bind(org.to_string())
        .bind(conv.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let kind =
            ConversationKind::parse(&col_str(&row, "kind")?).ok_or(StoreError::Corrupt("kind"))?;
        let epoch = col_i64(&row, "epoch")? as u64;
        let seq = col_i64(&row, "last_seq")? as u64;
        if let Some(row) = sqlx::query(
            "SELECT seq FROM conversation_messages \
             WHERE conversation_id = $1 AND sender_device = $2 AND client_msg_id = $3",
        )
        .bind(conv.to_string())
        .bind(device.to_string())
        .bind(m.client_msg_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        {
            return Ok(SendOutcome {
                sent: Sent {
                    seq: col_i64(&row, "seq")? as u64,
                    epoch,
                    duplicate: true,
                },
                message: None,
                recipients: Vec::new(),
                welcomed: Vec::new(),
                changed: false,
                removed: Vec::new(),
            });
        }
        let (devices, members) = devices_and_members(&mut *tx, conv).await?;
        let me = devices
            .iter()
            .find(|d| d.device == device && !d.removing)
            .ok_or(StoreError::refused(ErrorCode::NotAMember))?;
        let my_role = *members
            .get(&me.user)
            .ok_or(StoreError::refused(ErrorCode::NotAMember))?;
        if me.rejoining {
            // Out of step (or its own commit was voided): nothing it writes can be read, and
            // a commit from the epoch it kept would start another run.
            return Err(StoreError::refused(ErrorCode::RejoinPending));
        }
        if m.epoch != epoch {
            return Err(StoreError::refused_field(ErrorCode::StaleEpoch, "epoch"));
        }
        // Before the group's state moves: the run of one person's unanswered commits.
        let run = super::checkpoints::Committer {
            user,
            manages: kind == ConversationKind::Direct || my_role == ConversationRole::Admin,
            removes_only: m.added.is_empty() && !m.removed.is_empty(),
        };
        super::checkpoints::note_message(&mut tx, conv, m.kind, run, seq, epoch, now).await?;
        let mut new_epoch = epoch;
        let mut changed = false;
        let mut welcomed = Vec::new();
        let mut added = Vec::new();
        match m.kind {
            MessageKind::Application => {
                rules::may_write(kind, my_role).map_err(StoreError::refused)?
            }
            MessageKind::Proposal | MessageKind::Commit => {
                let verdict = judge_handshake(
                    &mut tx,
                    org,
                    conv,
                    kind,
                    (user, device),
                    m,
                    &members,
                    &devices,
                )
                .await?;
                if m.kind == MessageKind::Proposal {
                    // A leave proposal removes the sender's own leaf; the server stops routing
                    // to every device of theirs that they name.
                    let own =
                        |d: &DeviceId| devices.iter().any(|r| r.device == *d && r.user == user);
                    if !verdict
                        .proposed_removals
                        .iter()
                        .all(|d| m.proposed_removals.contains(d))
                        || !m.proposed_removals.iter().all(own)
                    {
                        return Err(StoreError::refused_field(
                            ErrorCode::Forbidden,
                            "proposed_removals",
                        ));
                    }
                } else {
                    new_epoch = epoch + 1;
                    added = verdict.added;
                    if let Some(state) = &verdict.state {
                        write_group_state(&mut tx, conv, new_epoch, state).await?;
                    }
                    for a in &added {
                        // An UPDATE, not a SELECT: it takes the device's row lock, so a
                        // revocation running at the same time either waits for this commit
                        // (and then sees the device in this conversation) or wins (and the
                        // device is refused here).
                        let ok: Option<String> = sqlx::query_scalar(
                            "UPDATE devices SET last_seen_at = last_seen_at \
                             WHERE org_id = $1 AND id = $2 AND person_id = $3 AND revoked_at IS NULL \
                               AND person_id IN (SELECT id FROM people WHERE org_id = $1 AND status = 'active') \
                             RETURNING id",
                        )
                        .bind(org.to_string())
                        .bind(a.device_id.to_string())
                        .bind(a.person_id.to_string())
                        .fetch_optional(&mut *tx)
                        .await?;
                        if ok.is_none() {
                            return Err(StoreError::refused_field(ErrorCode::NotFound, "added"));
                        }
                    }
                    if !added.is_empty() && m.welcome.is_none() {
                        return Err(StoreError::refused_field(
                            ErrorCode::InvalidInput,
                            "welcome",
                        ));
                    }
                }
            }
        }
        // A Welcome is kept once per device it adds; one that adds nobody is not kept at all
        // and has no business here.
        if m.welcome.is_some() && added.is_empty() {
            return Err(StoreError::refused_field(
                ErrorCode::InvalidInput,
                "welcome",
            ));
        }
        let size = (m.body.len() + m.welcome.as_ref().map_or(0, |w| w.len()) * added.len()) as i64;
        // A chat message must fit the organisation's quota (and the operator's cap), and one
        // person's messages may take at most half of it, so that no one member can silence
        // everybody else. Membership changes (a leaver's removal above all) always go through.
        // Only read here: the counters move after commit (`count_stored`), so a send never
        // holds the organisation's row, which other writes lock first.
        if m.kind == MessageKind::Application {
            let row = sqlx::query(
                "SELECT o.stored_bytes AS org_bytes, o.storage_quota_bytes AS quota, \
                   u.stored_bytes AS user_bytes FROM orgs o JOIN people u ON u.org_id = o.id \
                 WHERE o.id = $1 AND u.id = $2",
            )
            .bind(org.to_string())
            .bind(user.to_string())
            .fetch_one(&mut *tx)
            .await?;
            let quota = col_i64(&row, "quota")?.min(storage_cap.min(i64::MAX as u64) as i64);
            if col_i64(&row, "org_bytes")? + size > quota
                || 2 * (col_i64(&row, "user_bytes")? + size) > quota
            {
                return Err(StoreError::refused(ErrorCode::QuotaExceeded));
            }
        }
        sqlx::query(
            "INSERT INTO conversation_messages \
             (conversation_id, seq, kind, epoch, sender_person, sender_device, client_msg_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(conv.to_string())
        .bind(seq as i64)
        .bind(m.kind.as_str())
        .bind(epoch as i64)
        .bind(user.to_string())
        .bind(device.to_string())
        .bind(m.client_msg_id.to_string())
        .bind(m.body.0.clone())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if new_epoch != epoch {
            sqlx::query("UPDATE conversations SET epoch = $2 WHERE id = $1")
                .bind(conv.to_string())
                .bind(new_epoch as i64)
                .execute(&mut *tx)
                .await?;
        }
        if m.kind == MessageKind::Proposal {
            for d in &m.proposed_removals {
                mark_removing(&mut tx, conv, *d).await?;
            }
            changed = true;
        }
        if m.kind == MessageKind::Commit {
            for d in &m.removed {
                sqlx::query(
                    "DELETE FROM conversation_devices WHERE conversation_id = $1 AND device_id = $2",
                )
                .bind(conv.to_string())
                .bind(d.to_string())
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM welcomes WHERE conversation_id = $1 AND device_id = $2")
                    .bind(conv.to_string())
                    .bind(d.to_string())
                    .execute(&mut *tx)
                    .await?;
                changed = true;
            }
            for a in &added {
                sqlx::query(
                    "INSERT INTO conversation_devices (conversation_id, device_id, person_id, removing, joined_seq, leaf_index) \
                     VALUES ($1, $2, $3, 0, $4, $5)",
                )
                .bind(conv.to_string())
                .bind(a.device_id.to_string())
                .bind(a.person_id.to_string())
                .bind(seq as i64)
                .bind(a.leaf.map(i64::from))
                .execute(&mut *tx)
                .await?;
                if !members.contains_key(&a.person_id) {
                    sqlx::query(
                        "INSERT INTO conversation_members (conversation_id, person_id, role) VALUES ($1, $2, $3) \
                         ON CONFLICT (conversation_id, person_id) DO NOTHING",
                    )
                    .bind(conv.to_string())
                    .bind(a.person_id.to_string())
                    .bind(rules::joining_role(kind).as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(welcome) = &m.welcome {
                    sqlx::query(
                        "INSERT INTO welcomes (device_id, conversation_id, seq, welcome, created_at) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (device_id, conversation_id) DO UPDATE SET seq = $3, welcome = $4, created_at = $5",
                    )
                    .bind(a.device_id.to_string())
                    .bind(conv.to_string())
                    .bind(seq as i64)
                    .bind(welcome.0.clone())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                welcomed.push(a.device_id);
                changed = true;
            }
            // People without a device left in the group are no longer members.
            sqlx::query(
                "DELETE FROM conversation_members WHERE conversation_id = $1 AND person_id NOT IN \
                 (SELECT person_id FROM conversation_devices WHERE conversation_id = $1)",
            )
            .bind(conv.to_string())
            .execute(&mut *tx)
            .await?;
        }
        // Everybody still routed to, but the sender (the rows read above, with this message's
        // changes applied: removed and leaving devices get nothing, added ones a Welcome).
        let recipients: Vec<DeviceId> = devices
            .iter()
            .filter(|d| {
                let leaving =
                    m.kind == MessageKind::Proposal && m.proposed_removals.contains(&d.device);
                let gone = d.removing || m.removed.contains(&d.device) || leaving;
                !gone && d.device != device
            })
            .map(|d| d.device)
            .collect();
        let removed: Vec<DeviceId> = if m.kind == MessageKind::Commit {
            devices
                .iter()
                .filter(|d| m.removed.contains(&d.device))
                .map(|d| d.device)
                .collect()
        } else {
            Vec::new()
        };
        tx.commit().await?;
        self.count_stored(org, user, size).await?;
        Ok(SendOutcome {
            sent: Sent {
                seq,
                epoch: new_epoch,
                duplicate: false,
            },
            message: Some(StoredMessage {
                conversation_id: conv,
                seq,
                kind: m.kind,
                epoch,
                sender_person: user,
                sender_device: device,
                client_msg_id: m.client_msg_id,
                body: m.body.clone(),
                sent_at: fmt_ms(now),
                voided: false,
            }),
            recipients,
            welcomed,
            changed,
            removed,
        })
    }

    /// Messages of a conversation after `after` that `device` may read: only those since it
    /// joined, and only while it is an active member.
    pub async fn messages_after(
        &self,
        org: OrgId,
        conv: ConversationId,
        device: DeviceId,
        after: u64,
        limit: u32,
    ) -> StoreResult<(Vec<StoredMessage>, u64)> {
        let row = sqlx::query(
            "SELECT d.joined_seq, c.last_seq FROM conversation_devices d JOIN conversations c ON c.id = d.conversation_id \
             WHERE c.org_id = $1 AND c.id = $2 AND d.device_id = $3 AND d.removing = 0",
        )
        .bind(org.to_string())
        .bind(conv.to_string())
        .bind(device.to_string())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let from = (col_i64(&row, "joined_seq")? as u64).max(after);
        let rows = sqlx::query(
            "SELECT seq, kind, epoch, sender_person, sender_device, client_msg_id, body, created_at, voided \
             FROM conversation_messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(conv.to_string())
        .bind(from as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        let messages = rows
            .iter()
            .map(|r| message_from_row(conv, r))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((messages, col_i64(&row, "last_seq")? as u64))
    }

    /// Welcomes waiting for `device`.
    pub async fn pending_welcomes(
        &self,
        org: OrgId,
        device: DeviceId,
    ) -> StoreResult<Vec<PendingWelcome>> {
        let rows = sqlx::query(
            "SELECT w.conversation_id, w.seq, w.welcome, c.kind FROM welcomes w \
             JOIN conversations c ON c.id = w.conversation_id \
             JOIN conversation_devices d ON d.conversation_id = w.conversation_id AND d.device_id = w.device_id \
             WHERE c.org_id = $1 AND w.device_id = $2 AND d.removing = 0 ORDER BY w.seq",
        )
        .bind(org.to_string())
        .bind(device.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PendingWelcome {
                    conversation_id: col_parse(r, "conversation_id")?,
                    kind: ConversationKind::parse(&col_str(r, "kind")?)
                        .ok_or(StoreError::Corrupt("kind"))?,
                    seq: col_i64(r, "seq")? as u64,
                    welcome: kontor_proto::Bytes(
                        r.try_get::<Vec<u8>, _>("welcome")
                            .map_err(|_| StoreError::Corrupt("welcome"))?,
                    ),
                })
            })
            .collect()
    }

    /// Drops a Welcome the device has processed.
    pub async fn ack_welcome(&self, device: DeviceId, conv: ConversationId) -> StoreResult<()> {
        sqlx::query("DELETE FROM welcomes WHERE device_id = $1 AND conversation_id = $2")
            .bind(device.to_string())
            .bind(conv.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Sets a person's role in a conversation; only its admins may, and not in direct chats.
    pub async fn set_member_role(
        &self,
        org: OrgId,
        conv: ConversationId,
        caller: PersonId,
        device: DeviceId,
        target: PersonId,
        role: ConversationRole,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let (kind, _, _) = lock_conversation(&mut tx, org, conv).await?;
        let devices = device_rows(&mut *tx, conv).await?;
        if !devices.iter().any(|d| d.device == device && !d.removing) {
            return Err(StoreError::NotFound);
        }
        let members = member_rows(&mut *tx, conv).await?;
        let mine = *members.get(&caller).ok_or(StoreError::NotFound)?;
        rules::may_set_role(kind, mine).map_err(StoreError::refused)?;
        if !members.contains_key(&target) {
            return Err(StoreError::NotFound);
        }
        if caller == target && role != ConversationRole::Admin {
            // Admins by their own stored role, not by the organisation's policy: switched
            // off, the policy must not leave a conversation nobody manages.
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM conversation_members \
                 WHERE conversation_id = $1 AND role = 'admin' AND person_id <> $2",
            )
            .bind(conv.to_string())
            .bind(target.to_string())
            .fetch_one(&mut *tx)
            .await?;
            if others == 0 {
                return Err(StoreError::refused(ErrorCode::Conflict));
            }
        }
        sqlx::query(
            "UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND person_id = $2",
        )
        .bind(conv.to_string())
        .bind(target.to_string())
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Devices pending removal whose removal the server has not proposed for the current
    /// epoch yet, with their leaves: `(epoch, [(device, leaf)])`.
    pub async fn removals_to_propose(
        &self,
        org: OrgId,
        conv: ConversationId,
    ) -> StoreResult<(u64, Vec<(DeviceId, u32)>)> {
        let rows = sqlx::query(
            "SELECT d.device_id, d.leaf_index, c.epoch FROM conversation_devices d \
             JOIN conversations c ON c.id = d.conversation_id \
             WHERE c.org_id = $1 AND c.id = $2 AND d.removing = 1 AND d.leaf_index IS NOT NULL \
               AND (d.proposed_epoch IS NULL OR d.proposed_epoch <> c.epoch) ORDER BY d.device_id",
        )
        .bind(org.to_string())
        .bind(conv.to_string())
        .fetch_all(&self.write)
        .await?;
        let mut epoch = 0;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            epoch = col_i64(r, "epoch")? as u64;
            let leaf: i64 = r
                .try_get::<Option<i64>, _>("leaf_index")
                .map_err(|_| StoreError::Corrupt("leaf_index"))?
                .ok_or(StoreError::Corrupt("leaf_index"))?;
            out.push((col_parse(r, "device_id")?, leaf as u32));
        }
        Ok((epoch, out))
    }

    /// Appends the server's own proposals (made for `epoch`) to the log, if the conversation
    /// is still at that epoch. Returns the stored messages and the devices to push them to.
    pub async fn append_server_proposals(
        &self,
        org: OrgId,
        conv: ConversationId,
        epoch: u64,
        proposals: &[(DeviceId, Vec<u8>, kontor_proto::ClientMsgId)],
        now: i64,
    ) -> StoreResult<(Vec<StoredMessage>, Vec<DeviceId>)> {
        let mut tx = self.begin().await?;
        let (_, current, mut seq) = lock_conversation(&mut tx, org, conv).await?;
        if current != epoch || proposals.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let server = kontor_proto::PersonId(uuid::Uuid::nil());
        let server_device = DeviceId(uuid::Uuid::nil());
        let mut stored = Vec::with_capacity(proposals.len());
        let mut state = group_state(&mut tx, conv).await?;
        for (device, body, id) in proposals {
            if let Some(s) = &state {
                // The commit that takes the proposal up refers to it: the public state must
                // hold it too.
                match delivery::queue_server_proposal(s, conv, body) {
                    Ok(next) => state = Some(next),
                    Err(_) => continue,
                }
            }
            seq += 1;
            sqlx::query(
                "INSERT INTO conversation_messages \
                 (conversation_id, seq, kind, epoch, sender_person, sender_device, client_msg_id, body, created_at) \
                 VALUES ($1, $2, 'proposal', $3, $4, $5, $6, $7, $8)",
            )
            .bind(conv.to_string())
            .bind(seq as i64)
            .bind(epoch as i64)
            .bind(server.to_string())
            .bind(server_device.to_string())
            .bind(id.to_string())
            .bind(body.clone())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE conversation_devices SET proposed_epoch = $3 WHERE conversation_id = $1 AND device_id = $2",
            )
            .bind(conv.to_string())
            .bind(device.to_string())
            .bind(epoch as i64)
            .execute(&mut *tx)
            .await?;
            stored.push(StoredMessage {
                conversation_id: conv,
                seq,
                kind: MessageKind::Proposal,
                epoch,
                sender_person: server,
                sender_device: server_device,
                client_msg_id: *id,
                body: kontor_proto::Bytes(body.clone()),
                sent_at: fmt_ms(now),
                voided: false,
            });
        }
        sqlx::query("UPDATE conversations SET last_seq = $2 WHERE id = $1")
            .bind(conv.to_string())
            .bind(seq as i64)
            .execute(&mut *tx)
            .await?;
        if let Some(state) = &state {
            write_group_state(&mut tx, conv, epoch, state).await?;
        }
        let recipients = device_rows(&mut *tx, conv)
            .await?
            .into_iter()
            .filter(|d| !d.removing)
            .map(|d| d.device)
            .collect();
        tx.commit().await?;
        Ok((stored, recipients))
    }

    /// A device that could not process a commit asks to be added again: members renew it
    /// (remove its leaf and add it with a fresh key package, in one commit). Until then nothing
    /// more is decrypted on it. Returns whether this is news (asking again changes nothing).
    pub async fn request_rejoin(
        &self,
        org: OrgId,
        conv: ConversationId,
        device: DeviceId,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        lock_conversation(&mut tx, org, conv).await?;
        let devices = device_rows(&mut *tx, conv).await?;
        let me = devices
            .iter()
            .find(|d| d.device == device && !d.removing)
            .ok_or(StoreError::NotFound)?;
        if me.rejoining {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE conversation_devices SET rejoin_requested_at = $3 \
             WHERE conversation_id = $1 AND device_id = $2",
        )
        .bind(conv.to_string())
        .bind(device.to_string())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Whether two people are members of one conversation.
    pub async fn share_conversation(
        &self,
        org: OrgId,
        a: PersonId,
        b: PersonId,
    ) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM conversation_members x \
             JOIN conversation_members y ON x.conversation_id = y.conversation_id \
             JOIN conversations c ON c.id = x.conversation_id \
             WHERE c.org_id = $1 AND x.person_id = $2 AND y.person_id = $3",
        )
        .bind(org.to_string())
        .bind(a.to_string())
        .bind(b.to_string())
        .fetch_one(&self.read)
        .await?;
        Ok(n > 0)
    }

    /// The conversations these devices are in, for telling their members about a change.
    pub async fn conversations_with_devices(
        &self,
        devices: &[DeviceId],
    ) -> StoreResult<Vec<ConversationId>> {
        conversations_with(&self.read, devices).await
    }
}

async fn conversations_with(
    exec: impl sqlx::Executor<'_, Database = sqlx::Any>,
    devices: &[DeviceId],
) -> StoreResult<Vec<ConversationId>> {
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT conversation_id FROM conversation_devices WHERE device_id IN ({}) ORDER BY conversation_id",
        super::placeholders(1, devices.len())
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql);
    for d in devices {
        q = q.bind(d.to_string());
    }
    q.fetch_all(exec)
        .await?
        .into_iter()
        .map(|s| {
            s.parse()
                .map_err(|_| StoreError::Corrupt("conversation_id"))
        })
        .collect()
}

async fn mark_removing(tx: &mut Tx, conv: ConversationId, device: DeviceId) -> StoreResult<()> {
    sqlx::query(
        "UPDATE conversation_devices SET removing = 1 WHERE conversation_id = $1 AND device_id = $2",
    )
    .bind(conv.to_string())
    .bind(device.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Asks members to remove these devices from every conversation they are in (the person was
/// deprovisioned or the device revoked): from now on nothing is delivered to or from them.
/// Returns the conversations concerned.
pub(crate) async fn retire_devices(
    tx: &mut Tx,
    devices: &[DeviceId],
) -> StoreResult<Vec<ConversationId>> {
    let convs = conversations_with(&mut **tx, devices).await?;
    for c in &convs {
        // Conversation rows first, in id order, as every send does.
        sqlx::query("UPDATE conversations SET last_seq = last_seq WHERE id = $1")
            .bind(c.to_string())
            .execute(&mut **tx)
            .await?;
    }
    for c in &convs {
        for d in devices {
            mark_removing(tx, *c, *d).await?;
        }
        sqlx::query(&format!(
            "DELETE FROM welcomes WHERE conversation_id = $1 AND device_id IN ({})",
            super::placeholders(2, devices.len())
        ))
        .bind(c.to_string())
        .bind_all(devices)
        .execute(&mut **tx)
        .await?;
    }
    super::identity::forget_devices(tx, devices).await?;
    Ok(convs)
}

trait BindAll<'q> {
    fn bind_all(self, devices: &'q [DeviceId]) -> Self;
}

impl<'q> BindAll<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    fn bind_all(mut self, devices: &'q [DeviceId]) -> Self {
        for d in devices {
            self = self.bind(d.to_string());
        }
        self
    }
}
