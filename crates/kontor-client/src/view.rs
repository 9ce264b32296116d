//! What the apps show, as plain data: conversations and messages with the decisions about
//! them — shown in the timeline or not, unread, edited, deleted, who reacted, what a reply
//! quotes — made here once for the command line and the browser alike. The browser gets
//! these as JSON (their TypeScript types are generated from here) and only renders them.

use crate::client::{Client, Update};
use crate::history::{self, ChatMessage, StopReason};
use crate::markdown::{self, Block};
use kontor_proto::conversation::{ConversationKind, ConversationRole};
use kontor_proto::payload::{Envelope, Payload, SystemNote};
use kontor_proto::{ClientMsgId, ConversationId, DeviceId, PersonId};
use serde::Serialize;

/// How many characters of the quoted message a reply shows.
const EXCERPT_CHARS: usize = 140;

/// One conversation in the list.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConversationView {
    pub id: ConversationId,
    pub kind: ConversationKind,
    /// The name members gave it (groups and channels); direct chats are named after the other
    /// person by the app.
    pub name: Option<String>,
    /// Messages of others, shown in the timeline, not seen yet on this device.
    pub unread: u32,
    /// The newest message shown in the timeline.
    pub last: Option<MessageView>,
    /// When the newest message was written (sender's clock, ms), for sorting; 0 for none.
    pub last_ms: i64,
    /// Why this device stopped the conversation, if it did (the app says it in the person's
    /// language, with what to do, and offers to try again).
    pub stopped: Option<StopView>,
    /// This device could not process a change and waits to be added again by a member.
    pub rejoining: bool,
    /// People with a device that what is sent does not reach yet (it waits to be added
    /// again): shown to the sender.
    pub unreachable: Vec<PersonId>,
    /// This device left or was removed.
    pub removed: bool,
    /// Messages written here that wait in the outbox.
    pub queued: u32,
    /// Seen up to this sequence number.
    pub read: u64,
    /// The people in the encrypted group as this device sees it (not as the server says),
    /// with how many of their devices are in it.
    pub members: Vec<GroupMember>,
    /// Messages pinned for everybody, newest first.
    pub pinned: Vec<PinnedView>,
}

impl ConversationView {
    /// Whether this person may write in the conversation now, given their role in it as the
    /// server lists it (`None` while the app does not know it yet): not after leaving or
    /// being removed, not while the conversation is stopped or this device waits to be added
    /// again, and not as a channel's reader. The server decides again on every message.
    pub fn may_write(&self, role: Option<ConversationRole>) -> bool {
        may_write(self.removed, self.stopped.is_some(), self.rejoining, role)
    }
}

/// [`ConversationView::may_write`] from the view's fields, for hosts that hold the view as
/// JSON (the web app).
pub fn may_write(
    removed: bool,
    stopped: bool,
    rejoining: bool,
    role: Option<ConversationRole>,
) -> bool {
    !removed && !stopped && !rejoining && role != Some(ConversationRole::Reader)
}

/// Why a conversation stopped on this device, and about whom.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StopView {
    pub reason: StopReason,
    pub person: Option<PersonId>,
}

/// A person in a conversation's MLS group.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct GroupMember {
    pub person: PersonId,
    pub devices: u32,
}

/// One message as the timeline shows it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MessageView {
    /// The delivery service's sequence number; 0 while the message waits in the outbox (and
    /// for history imported from another device).
    pub seq: u64,
    pub id: ClientMsgId,
    pub sender_person: PersonId,
    pub sender_device: DeviceId,
    /// Milliseconds since the Unix epoch, by the sender's clock.
    pub sent_ms: i64,
    /// Written by this person (on any of their devices).
    pub own: bool,
    /// Written on this device and not yet accepted by the server.
    pub queued: bool,
    /// The sender's transcript signature verified.
    pub verified: bool,
    pub body: MessageBody,
    pub reply_to: Option<ReplyView>,
    pub edited: bool,
    pub deleted: bool,
    /// Pinned for the conversation.
    pub pinned: bool,
    pub reactions: Vec<ReactionView>,
}

/// What a message says.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessageBody {
    /// Text in the markdown subset, parsed; empty when deleted.
    Text {
        text: String,
        blocks: Vec<Block>,
        mentions: Vec<PersonId>,
        forwarded: bool,
    },
    /// A poll with its votes so far. Who chose what only when it is not anonymous.
    Poll {
        question: String,
        options: Vec<PollOptionView>,
        multiple: bool,
        anonymous: bool,
        /// No vote sent after this counts (ms, by the voter's clock); the apps show it closed.
        closes_ms: Option<i64>,
        /// How many people voted.
        voters: u32,
        /// The options this person chose.
        mine: Vec<u32>,
    },
    /// A note about the conversation (renamed, people added or removed).
    System { note: SystemNote },
    /// A kind this build does not know: shown as such, never dropped.
    Unknown { kind: String },
}

/// One option of a poll.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PollOptionView {
    pub text: String,
    pub votes: u32,
    /// Who chose it; empty in an anonymous poll.
    pub people: Vec<PersonId>,
}

/// A pinned message, for the bar under a conversation's header.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PinnedView {
    pub seq: u64,
    pub sender_person: PersonId,
    pub excerpt: String,
    pub pinned_by: PersonId,
}

/// The message a reply quotes.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReplyView {
    pub id: ClientMsgId,
    /// Where the quoted message is, if this device has it.
    pub seq: Option<u64>,
    pub sender_person: Option<PersonId>,
    /// The start of its text (empty when deleted or not here).
    pub excerpt: String,
    pub deleted: bool,
}

/// One emoji and who reacted with it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ReactionView {
    pub emoji: String,
    pub people: Vec<PersonId>,
    /// This person is among them.
    pub mine: bool,
}

/// A page of a conversation's timeline, oldest first.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TimelinePage {
    pub messages: Vec<MessageView>,
    /// Older messages exist before the first one.
    pub more: bool,
}

/// What changed, for the app to redraw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UpdateView {
    /// A new message.
    Message {
        conversation_id: ConversationId,
        seq: u64,
    },
    /// A message changed (edit, deletion, reaction).
    Changed {
        conversation_id: ConversationId,
        seq: u64,
    },
    /// People joined or left.
    Members { conversation_id: ConversationId },
    /// This device was removed from the conversation.
    Removed { conversation_id: ConversationId },
}

impl From<&Update> for UpdateView {
    fn from(u: &Update) -> Self {
        match *u {
            Update::Message(conversation_id, seq) => UpdateView::Message {
                conversation_id,
                seq,
            },
            Update::Changed(conversation_id, seq) => UpdateView::Changed {
                conversation_id,
                seq,
            },
            Update::Members(conversation_id) => UpdateView::Members { conversation_id },
            Update::Removed(conversation_id) => UpdateView::Removed { conversation_id },
        }
    }
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

impl Client {
    /// Every conversation this device knows, newest activity first.
    pub fn conversation_views(&mut self) -> Vec<ConversationView> {
        let ids: Vec<ConversationId> = self.conversations().map(|c| c.id).collect();
        let mut out: Vec<ConversationView> = ids
            .into_iter()
            .filter_map(|id| self.conversation_view(id))
            .collect();
        out.sort_by(|a, b| b.last_ms.cmp(&a.last_ms).then(a.id.cmp(&b.id)));
        out
    }

    /// One conversation as the list shows it.
    pub fn conversation_view(&mut self, conv: ConversationId) -> Option<ConversationView> {
        let members = if self.conversation(conv)?.removed {
            Vec::new()
        } else {
            self.members(conv)
                .map(|m| {
                    m.into_iter()
                        .map(|(person, devices)| GroupMember {
                            person,
                            devices: u32::try_from(devices.len()).unwrap_or(u32::MAX),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let c = self.conversation(conv)?;
        let last = self
            .messages_rev(conv)
            .find(|m| m.is_visible())
            .map(|m| self.view_of(conv, m));
        let queued = self.outbox().filter(|e| e.conversation_id == conv).count();
        let pinned = self
            .messages_rev(conv)
            .filter_map(|m| {
                Some(PinnedView {
                    pinned_by: m.pinned_by.filter(|_| !m.deleted)?,
                    seq: m.seq,
                    sender_person: m.envelope.sender_person,
                    excerpt: excerpt(&m.text()),
                })
            })
            .collect();
        Some(ConversationView {
            id: c.id,
            kind: c.kind,
            name: c.name.clone(),
            unread: u32::try_from(self.unread(conv)).unwrap_or(u32::MAX),
            last_ms: last.as_ref().map_or(0, |m| m.sent_ms),
            last,
            stopped: c.stopped.as_ref().map(|s| StopView {
                reason: s.reason,
                person: s.person,
            }),
            rejoining: c.rejoining,
            unreachable: c.unreachable.clone(),
            removed: c.removed,
            queued: u32::try_from(queued).unwrap_or(u32::MAX),
            read: c.read,
            members,
            pinned,
        })
    }

    /// Up to `limit` timeline messages before sequence number `before` (or the newest, with
    /// what waits in the outbox after them), oldest first.
    pub fn timeline(
        &self,
        conv: ConversationId,
        before: Option<u64>,
        limit: usize,
    ) -> TimelinePage {
        let mut older = self
            .messages_before(conv, before)
            .filter(|m| m.is_visible());
        let mut messages: Vec<MessageView> = older
            .by_ref()
            .take(limit)
            .map(|m| self.view_of(conv, m))
            .collect();
        let more = older.next().is_some();
        messages.reverse();
        if before.is_none() {
            let mut queued: Vec<&Envelope> = self
                .outbox()
                .filter(|e| e.conversation_id == conv)
                .collect();
            queued.sort_by_key(|e| e.sent_at);
            for e in queued {
                let m = ChatMessage {
                    seq: 0,
                    envelope: e.clone(),
                    verified: true,
                    edited: None,
                    deleted: false,
                    reactions: Default::default(),
                    votes: Default::default(),
                    pinned_by: None,
                };
                if m.is_visible() {
                    let mut v = self.view_of(conv, &m);
                    v.queued = true;
                    messages.push(v);
                }
            }
        }
        TimelinePage { messages, more }
    }

    /// One message of the history as the timeline shows it.
    pub fn message_view(&self, conv: ConversationId, seq: u64) -> Option<MessageView> {
        self.message(conv, seq).map(|m| self.view_of(conv, m))
    }

    fn view_of(&self, conv: ConversationId, m: &ChatMessage) -> MessageView {
        let payload = m.payload();
        let (body, reply_to) = match &payload {
            Payload::Text {
                reply_to,
                forwarded,
                ..
            } => {
                let text = m.text();
                let body = MessageBody::Text {
                    blocks: markdown::parse(&text),
                    mentions: markdown::mentions(&text),
                    forwarded: *forwarded,
                    text,
                };
                (body, reply_to.map(|id| self.reply_view(conv, id)))
            }
            // What no app sends (a hostile member's poll of a million options) is not drawn.
            Payload::Poll { options, .. }
                if !(2..=history::MAX_POLL_OPTIONS).contains(&options.len()) =>
            {
                (
                    MessageBody::Unknown {
                        kind: "poll".into(),
                    },
                    None,
                )
            }
            Payload::Poll {
                question,
                options,
                multiple,
                anonymous,
                closes_ms,
            } => {
                let me = self.user();
                let options = options
                    .iter()
                    .enumerate()
                    .map(|(i, text)| {
                        let people: Vec<PersonId> = m
                            .votes
                            .iter()
                            .filter(|(_, chosen)| chosen.contains(&(i as u32)))
                            .map(|(p, _)| *p)
                            .collect();
                        PollOptionView {
                            text: text.clone(),
                            votes: u32::try_from(people.len()).unwrap_or(u32::MAX),
                            people: if *anonymous { Vec::new() } else { people },
                        }
                    })
                    .collect();
                let body = MessageBody::Poll {
                    question: question.clone(),
                    options,
                    multiple: *multiple,
                    anonymous: *anonymous,
                    closes_ms: *closes_ms,
                    voters: u32::try_from(m.votes.len()).unwrap_or(u32::MAX),
                    mine: m.votes.get(&me).cloned().unwrap_or_default(),
                };
                (body, None)
            }
            Payload::System { note } => (MessageBody::System { note: note.clone() }, None),
            Payload::Unknown { kind } => (MessageBody::Unknown { kind: kind.clone() }, None),
            // Not shown in the timeline themselves; for completeness.
            Payload::Reaction { .. }
            | Payload::Edit { .. }
            | Payload::Delete { .. }
            | Payload::Vote { .. }
            | Payload::Pin { .. } => (
                MessageBody::Unknown {
                    kind: "change".into(),
                },
                None,
            ),
        };
        let me = self.user();
        MessageView {
            seq: m.seq,
            id: m.envelope.client_msg_id,
            sender_person: m.envelope.sender_person,
            sender_device: m.envelope.sender_device,
            sent_ms: m.envelope.sent_at,
            own: m.envelope.sender_person == me,
            queued: false,
            verified: m.verified,
            body,
            reply_to,
            edited: m.edited.is_some(),
            deleted: m.deleted,
            pinned: m.pinned_by.is_some() && !m.deleted,
            reactions: m
                .reactions
                .iter()
                .map(|(emoji, users)| ReactionView {
                    emoji: emoji.clone(),
                    people: users.clone(),
                    mine: users.contains(&me),
                })
                .collect(),
        }
    }

    fn reply_view(&self, conv: ConversationId, id: ClientMsgId) -> ReplyView {
        match self
            .messages_rev(conv)
            .find(|m| m.envelope.client_msg_id == id)
        {
            Some(t) => ReplyView {
                id,
                seq: Some(t.seq),
                sender_person: Some(t.envelope.sender_person),
                excerpt: excerpt(&t.text()),
                deleted: t.deleted,
            },
            None => ReplyView {
                id,
                seq: None,
                sender_person: None,
                excerpt: String::new(),
                deleted: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_and_those_who_left_or_wait_may_not_write() {
        use ConversationRole::*;
        assert!(may_write(false, false, false, Some(Member)));
        assert!(may_write(false, false, false, Some(Admin)));
        assert!(may_write(false, false, false, None));
        assert!(!may_write(false, false, false, Some(Reader)));
        assert!(!may_write(true, false, false, Some(Admin)));
        assert!(!may_write(false, true, false, Some(Admin)));
        assert!(!may_write(false, false, true, Some(Member)));
    }

    #[test]
    fn excerpts_are_cut_on_characters() {
        let long = "ä".repeat(EXCERPT_CHARS + 5);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
        assert_eq!(excerpt("kurz"), "kurz");
    }

    #[test]
    fn updates_become_views() {
        let c = ConversationId(uuid::Uuid::from_u128(1));
        assert_eq!(
            UpdateView::from(&Update::Message(c, 3)),
            UpdateView::Message {
                conversation_id: c,
                seq: 3
            }
        );
        let json = serde_json::to_value(UpdateView::from(&Update::Removed(c))).unwrap();
        assert_eq!(json["type"], "removed");
    }
}
