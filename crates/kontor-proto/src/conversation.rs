//! The delivery service: conversations, their ordered message log and Welcomes.
//!
//! A conversation is one MLS group; its members are devices. The server keeps, per
//! conversation, one gap-free sequence of messages (commits, proposals and application
//! messages, all opaque MLS bytes) and the current epoch. A commit is accepted only for the
//! current epoch (the first one wins; a late one gets `stale_epoch`); application messages are
//! accepted only in the current epoch too, so nothing is ever encrypted to a removed device.
//! Every send carries a [`ClientMsgId`]: sending it again returns the first result.

use crate::bytes::Bytes;
use crate::ids::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What kind of conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    /// Two people.
    Direct,
    /// A named group with admins.
    Group,
    /// An announcement channel: only admins and posters write, everybody else reads.
    Channel,
}

impl ConversationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationKind::Direct => "direct",
            ConversationKind::Group => "group",
            ConversationKind::Channel => "channel",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Direct, Self::Group, Self::Channel]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A person's role in a conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ConversationRole {
    /// Adds and removes people, writes everywhere.
    Admin,
    /// Writes (in a channel: one of the posters).
    Member,
    /// Reads only (channels).
    Reader,
}

impl ConversationRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationRole::Admin => "admin",
            ConversationRole::Member => "member",
            ConversationRole::Reader => "reader",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Admin, Self::Member, Self::Reader]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A new conversation id for `creator`: 12 random bytes (a UUID v4's) and a 4-byte tag bound
/// to the creator. The server creates a conversation only under an id bound to the caller, so
/// an id that exists elsewhere — in another organisation, or another person's — is refused
/// exactly like any unbound id, and an outsider learns nothing from trying one.
pub fn bound_conversation_id(org: OrgId, creator: PersonId, random: [u8; 16]) -> ConversationId {
    let mut bytes = *uuid::Builder::from_random_bytes(random)
        .into_uuid()
        .as_bytes();
    let tag = conversation_id_tag(org, creator, &bytes);
    bytes[12..].copy_from_slice(&tag);
    ConversationId(uuid::Uuid::from_bytes(bytes))
}

/// Whether `id` is bound to `creator` (see [`bound_conversation_id`]).
pub fn is_bound_conversation_id(id: ConversationId, org: OrgId, creator: PersonId) -> bool {
    let bytes = id.0.as_bytes();
    bytes[12..] == conversation_id_tag(org, creator, bytes)
}

fn conversation_id_tag(org: OrgId, creator: PersonId, id: &[u8; 16]) -> [u8; 4] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(crate::identity::label::CONVERSATION_ID);
    h.update(org.0.as_bytes());
    h.update(creator.0.as_bytes());
    h.update(&id[..12]);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// `POST /conversations`: the creator's device becomes the only member at epoch 0; people are
/// added with a commit afterwards.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    /// Chosen by the client (it is the MLS group id) with [`bound_conversation_id`]; creating
    /// twice is idempotent.
    pub id: ConversationId,
    pub kind: ConversationKind,
    /// The new group's MLS GroupInfo with its ratchet tree (the creating device alone, epoch
    /// 0): the delivery service follows the group's public state from here.
    pub group_info: Bytes,
}

/// One person in a conversation, as the server routes to them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConversationMember {
    pub person_id: PersonId,
    pub role: ConversationRole,
    /// Whether this person's devices change the group (add, remove and renew devices): admins
    /// and writers. Readers of a channel and guests only propose (leaving).
    #[serde(default)]
    pub commits: bool,
    pub devices: Vec<DeviceId>,
}

/// A conversation as its members see it. Its name is not here: names are chosen by members
/// and travel encrypted inside MLS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub epoch: u64,
    /// Sequence number of the newest message.
    pub last_seq: u64,
    pub members: Vec<ConversationMember>,
    /// Devices the server asked members to remove (leavers, deprovisioned people). Nothing is
    /// delivered to or from them; the next member online commits their removal.
    pub pending_removals: Vec<DeviceId>,
    /// Devices that could not process a change and asked to be added again. Until a member
    /// renews them they cannot read what is sent.
    #[serde(default)]
    pub rejoining: Vec<DeviceId>,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Conversations {
    pub conversations: Vec<Conversation>,
}

/// What a message in the log is, as far as routing needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// An MLS commit: moves the conversation to the next epoch.
    Commit,
    /// An MLS proposal (e.g. a member leaving).
    Proposal,
    /// An MLS application message: the encrypted payload.
    Application,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Commit => "commit",
            MessageKind::Proposal => "proposal",
            MessageKind::Application => "application",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Commit, Self::Proposal, Self::Application]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A device added by a commit, so the server can route to it and hand it the Welcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AddedDevice {
    /// Read as `user_id` too: devices kept commits in that form.
    #[serde(alias = "user_id")]
    pub person_id: PersonId,
    pub device_id: DeviceId,
    /// The MLS leaf the commit puts the device in (RFC 9420: the leftmost free leaf), so the
    /// server can later propose its removal. Members check every proposal anyway.
    #[serde(default)]
    pub leaf: Option<u32>,
}

/// `POST /conversations/{id}/messages`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    pub client_msg_id: ClientMsgId,
    pub kind: MessageKind,
    /// The epoch the message was made in; must be the conversation's current epoch.
    pub epoch: u64,
    /// The MLS message (`MlsMessageOut` bytes).
    pub body: Bytes,
    /// Commits that add devices: the Welcome for them.
    #[serde(default)]
    pub welcome: Option<Bytes>,
    /// Commits: the devices this commit adds (must match the Welcome's recipients).
    #[serde(default)]
    pub added: Vec<AddedDevice>,
    /// Commits: the devices this commit removes.
    #[serde(default)]
    pub removed: Vec<DeviceId>,
    /// Proposals: the devices this proposal removes (a leave proposal: the sender's own).
    #[serde(default)]
    pub proposed_removals: Vec<DeviceId>,
}

/// The server's answer to a send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Sent {
    pub seq: u64,
    /// The conversation's epoch after this message.
    pub epoch: u64,
    /// True when this client message id had been stored before; nothing new was stored.
    pub duplicate: bool,
}

/// One stored message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StoredMessage {
    pub conversation_id: ConversationId,
    pub seq: u64,
    pub kind: MessageKind,
    pub epoch: u64,
    pub sender_person: PersonId,
    pub sender_device: DeviceId,
    pub client_msg_id: ClientMsgId,
    pub body: Bytes,
    pub sent_at: String,
    /// Undone by the delivery service (see [`VoidCommit`]): a commit nobody else could
    /// process, and what its committer sent after it. Members skip it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub voided: bool,
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    /// Only messages after this sequence number.
    pub after: Option<u64>,
    /// At most this many (default 200, at most 1000).
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MessagePage {
    pub messages: Vec<StoredMessage>,
    /// The conversation's newest sequence number.
    pub last_seq: u64,
}

/// A Welcome waiting for one of the caller's devices.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PendingWelcome {
    pub conversation_id: ConversationId,
    pub kind: ConversationKind,
    /// Sequence number of the commit that added the device; read messages after it.
    pub seq: u64,
    pub welcome: Bytes,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PendingWelcomes {
    pub welcomes: Vec<PendingWelcome>,
}

/// `POST /conversations/{id}/void`: a conversation admin's device could not process the
/// commit at `seq` and nobody but its committer has written since. The delivery service
/// restores the group as it was before it; the committer's devices are added again.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct VoidCommit {
    pub seq: u64,
}

/// `PUT /conversations/{id}/members/{person_id}`: set a person's role.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SetConversationRole {
    pub role: ConversationRole,
}
