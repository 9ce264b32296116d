//! The delivery service's copy of each conversation's MLS group, without its secrets, and the
//! rules every commit and proposal must pass before it takes an epoch.
//!
//! Handshake messages travel as MLS `PublicMessage`s: signed, not encrypted (their secrets are
//! HPKE-encrypted to members inside the UpdatePath and the Welcome). So the delivery service
//! follows each group with openmls's `PublicGroup` and refuses, before it stores anything,
//! what no honest member could process:
//!
//! ```text
//!   POST …/messages (commit) ─► parse against the group's public state ─► judge ─► store
//!        framing, epoch, member sender,    │ Facts: kind, roles, routed  │ the new public
//!        signature, proposals, tree        │ devices, published keys     │ state, added and
//!        (openmls, RFC 9420 §12)           ▼                             ▼ removed devices
//! ```
//!
//! - the sender is the leaf of the very device that posts it, with the key its person signed;
//! - only Add and Remove change a group (no context extensions, PSKs or re-inits); every added
//!   device and every renewed leaf is in its person's newest published device list with that
//!   very key, so no member can make others stop over a device its person never signed;
//! - who may change what follows the conversation's rules (`access::conversation`): readers
//!   and guests add only their own devices, and remove only their own, those the server asked
//!   to remove, and those that asked to be added again.
//!
//! What the delivery service cannot check is what is encrypted to members (path secrets, the
//! Welcome). A device that cannot process a commit therefore asks to be added again
//! ([`crate::store::Store::request_rejoin`]) instead of stopping for good, and when nobody
//! else could process it either, a conversation admin's device voids it
//! ([`crate::store::Store::void_commit`]).
//!
//! Everything here is pure: bytes and the facts the store read go in, a verdict comes out.

use crate::access::conversation as rules;
use kontor_proto::conversation::{AddedDevice, ConversationKind, ConversationRole};
use kontor_proto::identity::{label, parse_credential_identity};
use kontor_proto::{ConversationId, DeviceId, ErrorCode, PersonId};
use openmls::prelude::tls_codec::Deserialize as _;
use openmls::prelude::*;
use openmls_memory_storage::MemoryStorage;
use openmls_rust_crypto::RustCrypto;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// RFC 9420 ciphersuite 0x0001, the only one Kontor's groups use.
const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// Why a handshake message is refused: the stable code for the answer and the field it is
/// about. Nothing of the message is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub field: &'static str,
}

fn refused(field: &'static str) -> Refusal {
    Refusal {
        code: ErrorCode::GroupChangeRefused,
        field,
    }
}

fn not_allowed(code: ErrorCode) -> Refusal {
    Refusal {
        code,
        field: "body",
    }
}

/// A group's public state (its ratchet tree without secrets, context, transcript hash and
/// the delivery service's queued proposals), encoded for one database column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupState(pub Vec<u8>);

impl GroupState {
    fn encode(storage: &MemoryStorage) -> GroupState {
        let values = storage.values.read().unwrap_or_else(|e| e.into_inner());
        let mut entries: Vec<_> = values.iter().collect();
        entries.sort();
        let mut out = Vec::new();
        for (k, v) in entries {
            for part in [k, v] {
                out.extend_from_slice(&(part.len() as u32).to_be_bytes());
                out.extend_from_slice(part);
            }
        }
        GroupState(out)
    }

    fn decode(&self) -> Option<MemoryStorage> {
        let mut values = HashMap::new();
        let mut rest = self.0.as_slice();
        let take = |rest: &mut &[u8]| -> Option<Vec<u8>> {
            let (len, tail) = rest.split_first_chunk::<4>()?;
            let len = u32::from_be_bytes(*len) as usize;
            let part = tail.get(..len)?.to_vec();
            *rest = &tail[len..];
            Some(part)
        };
        while !rest.is_empty() {
            let k = take(&mut rest)?;
            let v = take(&mut rest)?;
            values.insert(k, v);
        }
        Some(MemoryStorage {
            values: std::sync::RwLock::new(values),
        })
    }

    fn load(&self, conv: ConversationId) -> Result<(MemoryStorage, PublicGroup), Refusal> {
        let storage = self.decode().ok_or(refused("state"))?;
        let group = PublicGroup::load(&storage, &group_id(conv))
            .ok()
            .flatten()
            .ok_or(refused("state"))?;
        Ok((storage, group))
    }

    /// The group's epoch.
    pub fn epoch(&self, conv: ConversationId) -> Option<u64> {
        self.load(conv)
            .ok()
            .map(|(_, g)| g.group_context().epoch().as_u64())
    }

    /// The devices in the group, by leaf.
    pub fn members(&self, conv: ConversationId) -> Vec<(u32, PersonId, DeviceId)> {
        let Ok((_, group)) = self.load(conv) else {
            return Vec::new();
        };
        group
            .members()
            .filter_map(|m| device_of(&m.credential).map(|(u, d)| (m.index.u32(), u, d)))
            .collect()
    }
}

fn group_id(conv: ConversationId) -> GroupId {
    GroupId::from_slice(conv.0.as_bytes())
}

fn device_of(credential: &Credential) -> Option<(PersonId, DeviceId)> {
    let basic = BasicCredential::try_from(credential.clone()).ok()?;
    parse_credential_identity(basic.identity())
}

fn parse(body: &[u8]) -> Result<MlsMessageBodyIn, Refusal> {
    MlsMessageIn::tls_deserialize_exact(body)
        .map(MlsMessageIn::extract)
        .map_err(|_| refused("body"))
}

/// The first public state of a new conversation, from the GroupInfo its creator exported:
/// the conversation's group at epoch 0, the creating device alone in it with the key its
/// person signed, and the delivery service as the one external sender.
pub fn genesis(
    conv: ConversationId,
    group_info: &[u8],
    creator: (PersonId, DeviceId),
    creator_key: &[u8],
    external_sender_key: &[u8],
) -> Result<GroupState, Refusal> {
    let MlsMessageBodyIn::GroupInfo(info) = parse(group_info).map_err(|_| refused("group_info"))?
    else {
        return Err(refused("group_info"));
    };
    let tree = info
        .extensions()
        .ratchet_tree()
        .ok_or(refused("group_info"))?
        .ratchet_tree()
        .clone();
    let storage = MemoryStorage::default();
    let (group, _) = PublicGroup::from_external(
        &RustCrypto::default(),
        &storage,
        tree,
        info,
        ProposalStore::new(),
    )
    .map_err(|_| refused("group_info"))?;
    let context = group.group_context();
    let expected_sender = ExternalSender::new(
        external_sender_key.to_vec().into(),
        BasicCredential::new(label::EXTERNAL_SENDER.to_vec()).into(),
    );
    let members: Vec<Member> = group.members().collect();
    let ok = context.group_id() == &group_id(conv)
        && context.epoch().as_u64() == 0
        && context.ciphersuite() == CIPHERSUITE
        && context.extensions().external_senders() == Some(&vec![expected_sender])
        && members.len() == 1
        && device_of(&members[0].credential) == Some(creator)
        && members[0].signature_key == creator_key;
    if !ok {
        return Err(refused("group_info"));
    }
    Ok(GroupState::encode(&storage))
}

/// A device the server routes to in a conversation.
#[derive(Clone, Copy, Debug)]
pub struct RoutedDevice {
    pub device: DeviceId,
    pub user: PersonId,
    /// The server asked members to remove it (a leaver, a revoked device).
    pub removing: bool,
    /// It asked to be added again (it could not process a commit).
    pub rejoining: bool,
}

/// What the store knows when judging a handshake message.
pub struct Facts<'a> {
    pub kind: ConversationKind,
    /// The posting device and its person.
    pub sender: (PersonId, DeviceId),
    /// The people in the conversation and their roles.
    pub members: &'a BTreeMap<PersonId, ConversationRole>,
    pub devices: &'a [RoutedDevice],
    /// The MLS signature key of each device in its person's newest published device list.
    pub listed: &'a BTreeMap<(PersonId, DeviceId), Vec<u8>>,
}

impl Facts<'_> {
    fn role(&self) -> Result<ConversationRole, Refusal> {
        self.members
            .get(&self.sender.0)
            .copied()
            .ok_or(not_allowed(ErrorCode::NotAMember))
    }

    fn routed(&self, device: DeviceId) -> Option<&RoutedDevice> {
        self.devices.iter().find(|d| d.device == device)
    }

    /// A leaf that enters the group or renews itself: a device its person signed, with that key.
    fn listed_with(&self, who: (PersonId, DeviceId), key: &[u8]) -> Result<(), Refusal> {
        match self.listed.get(&who) {
            Some(k) if k.as_slice() == key => Ok(()),
            _ => Err(refused("added")),
        }
    }
}

/// What a handshake message, once judged, does to the conversation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Devices a commit adds, with the leaves the group put them in.
    pub added: Vec<AddedDevice>,
    /// Devices a commit removes (a device both removed and added was renewed).
    pub removed: Vec<DeviceId>,
    /// Devices a proposal asks to remove (a member leaving).
    pub proposed_removals: Vec<DeviceId>,
    /// The group's public state afterwards (a commit), unchanged for a proposal.
    pub state: Option<GroupState>,
}

/// A handshake message parsed and validated against a group's public state, not yet judged
/// against the conversation's rules.
pub struct Handshake {
    conv: ConversationId,
    storage: MemoryStorage,
    group: PublicGroup,
    sender: Option<(PersonId, DeviceId)>,
    content: ProcessedMessageContent,
}

impl std::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handshake")
            .field("conv", &self.conv)
            .field("sender", &self.sender)
            .finish()
    }
}

impl Handshake {
    /// Validates a commit or proposal of a member against the group's public state: it must be
    /// a `PublicMessage` of this group, in its epoch, from a member, correctly signed, with a
    /// valid tree and proposals (openmls's checks of RFC 9420).
    pub fn parse(
        state: &GroupState,
        conv: ConversationId,
        body: &[u8],
    ) -> Result<Handshake, Refusal> {
        let (storage, group) = state.load(conv)?;
        let MlsMessageBodyIn::PublicMessage(message) = parse(body)? else {
            return Err(refused("body"));
        };
        let processed = group
            .process_message(&RustCrypto::default(), message)
            .map_err(|e| match e {
                PublicProcessMessageError::ValidationError(ValidationError::WrongEpoch) => {
                    Refusal {
                        code: ErrorCode::StaleEpoch,
                        field: "epoch",
                    }
                }
                _ => refused("body"),
            })?;
        let sender = match processed.sender() {
            Sender::Member(_) => Some(device_of(processed.credential()).ok_or(refused("body"))?),
            _ => None,
        };
        Ok(Handshake {
            conv,
            storage,
            group,
            sender,
            content: processed.into_content(),
        })
    }

    /// The people whose published device lists judging needs: those of added devices and of
    /// the sender.
    pub fn people(&self) -> Vec<PersonId> {
        let mut out = BTreeSet::new();
        out.extend(self.sender.map(|(u, _)| u));
        if let ProcessedMessageContent::StagedCommitMessage(staged) = &self.content {
            for add in staged.add_proposals() {
                if let Some((u, _)) =
                    device_of(add.add_proposal().key_package().leaf_node().credential())
                {
                    out.insert(u);
                }
            }
        }
        out.into_iter().collect()
    }

    /// Judges the message against the conversation's rules and, for a commit, merges it into
    /// the public state.
    pub fn judge(self, facts: &Facts<'_>) -> Result<Verdict, Refusal> {
        // The commit or proposal is the posting device's own: no member speaks for another.
        if self.sender != Some(facts.sender) {
            return Err(refused("body"));
        }
        // Only a member posts handshake messages at all.
        facts.role()?;
        let leaf_owner = |leaf: LeafNodeIndex| -> Result<(PersonId, DeviceId), Refusal> {
            self.group
                .leaf(leaf)
                .and_then(|l| device_of(l.credential()))
                .ok_or(refused("removed"))
        };
        match self.content {
            ProcessedMessageContent::ProposalMessage(proposal) => {
                // A member's only proposal is leaving: removing a leaf of their own.
                let Proposal::Remove(remove) = proposal.proposal() else {
                    return Err(refused("body"));
                };
                let (owner, device) = leaf_owner(remove.removed())?;
                if owner != facts.sender.0 {
                    return Err(not_allowed(ErrorCode::Forbidden));
                }
                Ok(Verdict {
                    proposed_removals: vec![device],
                    ..Verdict::default()
                })
            }
            ProcessedMessageContent::StagedCommitMessage(staged) => {
                let mut changes = CommitChanges::default();
                for queued in staged.queued_proposals() {
                    match queued.proposal() {
                        Proposal::Remove(r) => changes.removes.push(leaf_owner(r.removed())?),
                        Proposal::Add(add) => {
                            let leaf = add.key_package().leaf_node();
                            let who = device_of(leaf.credential()).ok_or(refused("added"))?;
                            changes
                                .adds
                                .push((who, leaf.signature_key().as_slice().to_vec()));
                        }
                        _ => return Err(refused("body")),
                    }
                }
                if let Some(leaf) = staged.update_path_leaf_node() {
                    let who = device_of(leaf.credential()).ok_or(refused("body"))?;
                    changes.path = Some((who, leaf.signature_key().as_slice().to_vec()));
                }
                let (added, removed) = judge_commit(facts, &changes)?;
                let mut group = self.group;
                group
                    .merge_commit(&self.storage, *staged)
                    .map_err(|_| refused("body"))?;
                let leaves: BTreeMap<DeviceId, u32> = group
                    .members()
                    .filter_map(|m| device_of(&m.credential).map(|(_, d)| (d, m.index.u32())))
                    .collect();
                let added = added
                    .into_iter()
                    .map(|(person_id, device_id)| AddedDevice {
                        person_id,
                        device_id,
                        leaf: leaves.get(&device_id).copied(),
                    })
                    .collect();
                Ok(Verdict {
                    added,
                    removed,
                    proposed_removals: Vec::new(),
                    state: Some(GroupState::encode(&self.storage)),
                })
            }
            _ => Err(refused("body")),
        }
    }
}

/// What a commit changes, read from its proposals and path as plain ids: the leaves it
/// removes (with their owners), the leaves it adds (with the signature key each carries), and
/// the committer's renewed leaf.
#[derive(Debug, Default)]
pub struct CommitChanges {
    pub removes: Vec<(PersonId, DeviceId)>,
    pub adds: Vec<((PersonId, DeviceId), Vec<u8>)>,
    pub path: Option<((PersonId, DeviceId), Vec<u8>)>,
}

/// The devices a commit adds (with their people) and removes.
pub type Judged = (Vec<(PersonId, DeviceId)>, Vec<DeviceId>);

/// The conversation's rules for a commit by `facts.sender` (with their role in `facts`), as a pure
/// function: who may remove whom, that every leaf entering is a device its person signed with
/// that key, that only devices waiting to be added again are renewed, and who may add people.
/// Returns the devices added and removed.
pub fn judge_commit(facts: &Facts<'_>, changes: &CommitChanges) -> Result<Judged, Refusal> {
    let role = facts.role()?;
    let mut removed = Vec::new();
    // Devices removed only because they asked to be added again: whoever removes them
    // without the right to remove them must add them back (renew them).
    let mut to_renew = Vec::new();
    for &(owner, device) in &changes.removes {
        let routed = facts.routed(device);
        let removing = routed.is_some_and(|d| d.removing);
        let rejoining = routed.is_some_and(|d| d.rejoining);
        rules::may_remove(facts.sender.0, role, owner, removing || rejoining)
            .map_err(not_allowed)?;
        if rejoining && !removing && rules::may_remove(facts.sender.0, role, owner, false).is_err()
        {
            to_renew.push(device);
        }
        removed.push(device);
    }
    let mut added = Vec::new();
    for (who, key) in &changes.adds {
        facts.listed_with(*who, key)?;
        added.push(*who);
    }
    // A renewed leaf of the committer: still its own device, with the signed key.
    if let Some((who, key)) = &changes.path {
        if *who != facts.sender {
            return Err(refused("body"));
        }
        facts.listed_with(*who, key)?;
    }
    let mut people: BTreeSet<PersonId> = facts.members.keys().copied().collect();
    for (owner, device) in &added {
        let renewed = removed.contains(device);
        if let Some(routed) = facts.routed(*device) {
            if !renewed {
                return Err(Refusal {
                    code: ErrorCode::AlreadyExists,
                    field: "added",
                });
            }
            // Only a device that asked to be added again is renewed: one the server asked to
            // remove (its person left, or it was revoked) stays out.
            if routed.removing || !routed.rejoining {
                return Err(not_allowed(ErrorCode::Forbidden));
            }
        }
        if *owner == facts.sender.0 {
            continue;
        }
        if people.contains(owner) {
            // Another member's device (one they linked, or one to renew): not for readers,
            // who change nothing but their own.
            if role == ConversationRole::Reader {
                return Err(not_allowed(ErrorCode::NotConversationAdmin));
            }
        } else {
            rules::may_add_person(facts.kind, role, people.len()).map_err(not_allowed)?;
            people.insert(*owner);
        }
    }
    if to_renew.iter().any(|d| !added.iter().any(|(_, a)| a == d)) {
        return Err(not_allowed(ErrorCode::NotConversationAdmin));
    }
    Ok((added, removed))
}

/// Queues one of the delivery service's own Remove proposals (as the group's external
/// sender) in the public state, so that the member commit that takes it up can be followed.
pub fn queue_server_proposal(
    state: &GroupState,
    conv: ConversationId,
    body: &[u8],
) -> Result<GroupState, Refusal> {
    let (storage, mut group) = state.load(conv)?;
    let MlsMessageBodyIn::PublicMessage(message) = parse(body)? else {
        return Err(refused("body"));
    };
    let processed = group
        .process_message(&RustCrypto::default(), message)
        .map_err(|_| refused("body"))?;
    let ProcessedMessageContent::ProposalMessage(proposal) = processed.into_content() else {
        return Err(refused("body"));
    };
    group
        .add_proposal(&storage, *proposal)
        .map_err(|_| refused("state"))?;
    Ok(GroupState::encode(&storage))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Anna (admin) and Ben (member) in a group, each with one device; Ben's device asks to
    /// be added again, and Chris (not in it) has a signed device.
    struct Room {
        anna: (PersonId, DeviceId),
        ben: (PersonId, DeviceId),
        chris: (PersonId, DeviceId),
        members: BTreeMap<PersonId, ConversationRole>,
        devices: Vec<RoutedDevice>,
        listed: BTreeMap<(PersonId, DeviceId), Vec<u8>>,
    }

    impl Room {
        fn new(ben_rejoining: bool, ben_removing: bool) -> Room {
            let person = || (PersonId::new(), DeviceId::new());
            let (anna, ben, chris) = (person(), person(), person());
            let members = BTreeMap::from([
                (anna.0, ConversationRole::Admin),
                (ben.0, ConversationRole::Member),
            ]);
            let routed = |(user, device): (PersonId, DeviceId), rejoining, removing| RoutedDevice {
                device,
                user,
                removing,
                rejoining,
            };
            let devices = vec![
                routed(anna, false, false),
                routed(ben, ben_rejoining, ben_removing),
            ];
            let listed = [anna, ben, chris]
                .into_iter()
                .map(|d| (d, key(d)))
                .collect();
            Room {
                anna,
                ben,
                chris,
                members,
                devices,
                listed,
            }
        }

        fn judge(
            &self,
            sender: (PersonId, DeviceId),
            changes: &CommitChanges,
        ) -> Result<Judged, Refusal> {
            let facts = Facts {
                kind: ConversationKind::Group,
                sender,
                members: &self.members,
                devices: &self.devices,
                listed: &self.listed,
            };
            judge_commit(&facts, changes)
        }
    }

    /// The signature key a device's person signed for it, in these tests.
    fn key(d: (PersonId, DeviceId)) -> Vec<u8> {
        d.1.to_string().into_bytes()
    }

    #[test]
    fn a_leaf_enters_only_with_the_key_its_person_signed() {
        let room = Room::new(false, false);
        let forged = CommitChanges {
            adds: vec![(room.chris, b"somebody else's key".to_vec())],
            ..CommitChanges::default()
        };
        assert_eq!(room.judge(room.anna, &forged), Err(refused("added")));
        let signed = CommitChanges {
            adds: vec![(room.chris, key(room.chris))],
            ..CommitChanges::default()
        };
        assert_eq!(
            room.judge(room.anna, &signed),
            Ok((vec![room.chris], vec![]))
        );
    }

    #[test]
    fn a_writer_removes_only_their_own_devices_and_those_due_to_go() {
        let room = Room::new(false, false);
        let remove_anna = CommitChanges {
            removes: vec![room.anna],
            ..CommitChanges::default()
        };
        assert_eq!(
            room.judge(room.ben, &remove_anna),
            Err(not_allowed(ErrorCode::NotConversationAdmin))
        );
        let leaving = Room::new(false, true);
        let remove_ben = CommitChanges {
            removes: vec![leaving.ben],
            ..CommitChanges::default()
        };
        assert_eq!(
            leaving.judge(leaving.anna, &remove_ben),
            Ok((vec![], vec![leaving.ben.1]))
        );
    }

    #[test]
    fn a_device_waiting_to_be_added_again_is_removed_by_a_writer_only_to_be_renewed() {
        let room = Room::new(true, false);
        let chris = (PersonId::new(), DeviceId::new());
        let mut members = room.members.clone();
        members.insert(chris.0, ConversationRole::Member);
        let drop_only = CommitChanges {
            removes: vec![room.ben],
            ..CommitChanges::default()
        };
        let facts = Facts {
            kind: ConversationKind::Group,
            sender: chris,
            members: &members,
            devices: &room.devices,
            listed: &room.listed,
        };
        assert_eq!(
            judge_commit(&facts, &drop_only),
            Err(not_allowed(ErrorCode::NotConversationAdmin))
        );
        let renew = CommitChanges {
            removes: vec![room.ben],
            adds: vec![(room.ben, key(room.ben))],
            ..CommitChanges::default()
        };
        assert_eq!(
            judge_commit(&facts, &renew),
            Ok((vec![room.ben], vec![room.ben.1]))
        );
    }

    #[test]
    fn a_device_due_to_be_removed_is_never_renewed() {
        let room = Room::new(true, true);
        let renew = CommitChanges {
            removes: vec![room.ben],
            adds: vec![(room.ben, key(room.ben))],
            ..CommitChanges::default()
        };
        assert_eq!(
            room.judge(room.anna, &renew),
            Err(not_allowed(ErrorCode::Forbidden))
        );
    }

    #[test]
    fn a_device_in_the_group_is_not_added_twice_and_the_path_is_the_committer_s_own() {
        let room = Room::new(false, false);
        let twice = CommitChanges {
            adds: vec![(room.ben, key(room.ben))],
            ..CommitChanges::default()
        };
        assert_eq!(
            room.judge(room.anna, &twice).map_err(|r| r.code),
            Err(ErrorCode::AlreadyExists)
        );
        let borrowed_path = CommitChanges {
            path: Some((room.ben, key(room.ben))),
            ..CommitChanges::default()
        };
        assert_eq!(room.judge(room.anna, &borrowed_path), Err(refused("body")));
    }
}
