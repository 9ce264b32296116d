//! The local history of a conversation: decrypted messages with their signed envelopes, and
//! edits, deletions and reactions applied to the messages they target.

use kontor_proto::conversation::ConversationKind;
use kontor_proto::payload::{Envelope, Payload, SystemNote};
use kontor_proto::{ClientMsgId, ConversationId, DeviceId, PersonId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One message as this device shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The delivery service's sequence number (0 for history imported from another device
    /// before this device joined).
    pub seq: u64,
    pub envelope: Envelope,
    /// The transcript signature verified against the sender's signed device list.
    pub verified: bool,
    /// The newest text, if the sender edited it.
    #[serde(default)]
    pub edited: Option<String>,
    #[serde(default)]
    pub deleted: bool,
    /// Emoji → who reacted with it.
    #[serde(default)]
    pub reactions: BTreeMap<String, Vec<PersonId>>,
    /// A poll's votes: who chose which options.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub votes: BTreeMap<PersonId, Vec<u32>>,
    /// Pinned for the conversation, by whom.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned_by: Option<PersonId>,
}

impl ChatMessage {
    pub fn sender(&self) -> (PersonId, DeviceId) {
        (self.envelope.sender_person, self.envelope.sender_device)
    }

    pub fn payload(&self) -> Payload {
        self.envelope.parse_payload()
    }

    /// Whether this message is shown in the timeline itself (edits, deletions and reactions
    /// are shown on the message they target).
    pub fn is_visible(&self) -> bool {
        !matches!(
            self.payload(),
            Payload::Reaction { .. }
                | Payload::Edit { .. }
                | Payload::Delete { .. }
                | Payload::Vote { .. }
                | Payload::Pin { .. }
                | Payload::System {
                    note: SystemNote::State { .. }
                }
        )
    }

    /// The text to show now.
    pub fn text(&self) -> String {
        if self.deleted {
            return String::new();
        }
        if let Some(t) = &self.edited {
            return t.clone();
        }
        match self.payload() {
            Payload::Text { text, .. } => text,
            Payload::Poll { question, .. } => question,
            Payload::System { note } => match note {
                SystemNote::Renamed { name, .. } => format!("» {name}"),
                SystemNote::Added { users } => format!("+ {}", users.len()),
                SystemNote::Removed { users, .. } => format!("− {}", users.len()),
                SystemNote::State { .. } => String::new(),
            },
            Payload::Unknown { kind } => format!("[{kind}]"),
            _ => String::new(),
        }
    }
}

/// A conversation as this device knows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConversationState {
    pub id: ConversationId,
    pub kind: ConversationKind,
    /// The name members gave it (from encrypted system notes).
    #[serde(default)]
    pub name: Option<String>,
    /// Every message up to this sequence number is processed.
    pub cursor: u64,
    /// Why this device stopped the conversation, if it did: something only a lying server can
    /// cause. Shown to the person; nothing more is decrypted or sent until they try again.
    #[serde(default, alias = "blocked", deserialize_with = "stopped_or_legacy")]
    pub stopped: Option<Stopped>,
    /// This device could not process a change and asked to be added again: it reads nothing
    /// until a member renews it (a Welcome), and then goes on.
    #[serde(default)]
    pub rejoining: bool,
    /// People with a device that asked to be added again: what is sent does not reach that
    /// device until a member renews it (as the delivery service last said).
    #[serde(default)]
    pub unreachable: Vec<PersonId>,
    /// This device was removed from the group (or left).
    #[serde(default)]
    pub removed: bool,
    /// Sequence numbers of this device's own messages, skipped when fetched back.
    #[serde(default)]
    pub own_seqs: Vec<u64>,
    /// The person has seen every message up to this sequence number on this device.
    #[serde(default)]
    pub read: u64,
}

impl ConversationState {
    /// A conversation this device starts to know, with nothing read yet.
    pub fn new(id: ConversationId, kind: ConversationKind) -> Self {
        ConversationState {
            id,
            kind,
            name: None,
            cursor: 0,
            stopped: None,
            rejoining: false,
            unreachable: Vec::new(),
            removed: false,
            own_seqs: Vec::new(),
            read: 0,
        }
    }
}

/// Why a device stopped a conversation. Each is something only a lying server can cause:
/// the delivery service refuses what a member could send to the same effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// A device that its person never signed into their device list was added (judged with
    /// their list fetched afresh).
    UntrustedDevice,
    /// A person's identity key differs from the one this device pinned.
    IdentityChanged,
    /// A change in somebody's name that they did not make.
    ForgedChange,
}

/// A stopped conversation: why, and about whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopped {
    pub reason: StopReason,
    /// The person the reason is about (whose device or identity), when there is one.
    #[serde(default)]
    pub person: Option<PersonId>,
}

/// Reads a stop as this version writes it, or as a reason text of earlier versions (which
/// said nothing more specific than that something untrusted happened).
fn stopped_or_legacy<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Stopped>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Now(Stopped),
        Legacy(serde::de::IgnoredAny),
    }
    Ok(Option::<Either>::deserialize(d)?.map(|e| match e {
        Either::Now(s) => s,
        Either::Legacy(_) => Stopped {
            reason: StopReason::ForgedChange,
            person: None,
        },
    }))
}

/// Applies an edit, deletion or reaction to the message it targets. Only the sender of a
/// message may edit or delete it.
/// The most options a poll may have; a poll with more is shown as not understood.
pub const MAX_POLL_OPTIONS: usize = 12;

pub fn apply(messages: &mut BTreeMap<u64, ChatMessage>, incoming: &ChatMessage) -> Option<u64> {
    let (sender, _) = incoming.sender();
    // A reaction may target anybody's message; an edit or deletion only the sender's own,
    // looked up by (sender, id): ids are chosen by senders, so a member reusing someone
    // else's id cannot divert their edits.
    let find = |target: ClientMsgId, messages: &BTreeMap<u64, ChatMessage>| {
        messages
            .iter()
            .find(|(_, m)| m.envelope.client_msg_id == target)
            .map(|(s, _)| *s)
    };
    let find_own = |target: ClientMsgId, messages: &BTreeMap<u64, ChatMessage>| {
        messages
            .iter()
            .find(|(_, m)| m.envelope.client_msg_id == target && m.envelope.sender_person == sender)
            .map(|(s, _)| *s)
    };
    match incoming.payload() {
        Payload::Edit { target, text, .. } => {
            let seq = find_own(target, messages)?;
            let m = messages.get_mut(&seq)?;
            (m.envelope.sender_person == sender && !m.deleted).then(|| {
                m.edited = Some(text);
                seq
            })
        }
        Payload::Delete { target } => {
            let seq = find_own(target, messages)?;
            let m = messages.get_mut(&seq)?;
            (m.envelope.sender_person == sender).then(|| {
                m.deleted = true;
                m.edited = None;
                seq
            })
        }
        Payload::Reaction {
            target,
            emoji,
            remove,
        } => {
            let seq = find(target, messages)?;
            let m = messages.get_mut(&seq)?;
            let who = m.reactions.entry(emoji.clone()).or_default();
            who.retain(|u| *u != sender);
            if !remove {
                who.push(sender);
            }
            if who.is_empty() {
                m.reactions.remove(&emoji);
            }
            Some(seq)
        }
        Payload::Vote { poll, choices } => {
            let seq = find(poll, messages)?;
            let m = messages.get_mut(&seq)?;
            let Payload::Poll {
                options,
                multiple,
                closes_ms,
                ..
            } = m.payload()
            else {
                return None;
            };
            // A poll another client could not have sent (the apps allow 2 to 12 options)
            // takes no votes.
            if m.deleted
                || !(2..=MAX_POLL_OPTIONS).contains(&options.len())
                || closes_ms.is_some_and(|c| incoming.envelope.sent_at > c)
            {
                return None;
            }
            let mut chosen: Vec<u32> = choices
                .into_iter()
                .filter(|c| (*c as usize) < options.len())
                .collect();
            chosen.sort_unstable();
            chosen.dedup();
            if !multiple && chosen.len() > 1 {
                return None;
            }
            if chosen.is_empty() {
                m.votes.remove(&sender);
            } else {
                m.votes.insert(sender, chosen);
            }
            Some(seq)
        }
        Payload::Pin { target, unpin } => {
            let seq = find(target, messages)?;
            let m = messages.get_mut(&seq)?;
            if m.deleted || !m.is_visible() {
                return None;
            }
            m.pinned_by = (!unpin).then_some(sender);
            Some(seq)
        }
        _ => None,
    }
}
