//! Payload v1: what travels inside an MLS application message. The server never sees it.
//!
//! An [`Envelope`] carries the payload as the exact JSON text the sending device signed with
//! its transcript key (label [`crate::identity::label::TRANSCRIPT`]), together with who sent it,
//! where and when. So an exported transcript can be verified outside Kontor with nothing but
//! the sender's signed device list. New kinds (attachments, location, calls, polls) are added
//! as new `kind` values; a client that does not know a kind keeps and shows it as unknown.

use crate::bytes::Bytes;
use crate::ids::*;
use serde::{Deserialize, Serialize};

/// The current payload version.
pub const PAYLOAD_VERSION: u16 = 1;

/// One signed message, as encrypted into MLS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Envelope {
    pub v: u16,
    pub conversation_id: ConversationId,
    /// `sender_user` inside the encrypted payload, as version 1 of the format fixed it.
    #[serde(rename = "sender_user")]
    pub sender_person: PersonId,
    pub sender_device: DeviceId,
    pub client_msg_id: ClientMsgId,
    /// Milliseconds since the Unix epoch, by the sender's clock.
    pub sent_at: i64,
    /// The payload's JSON text, exactly as signed.
    pub payload: String,
    /// Ed25519 signature by the sender device's transcript key over [`Envelope::signed_bytes`].
    pub signature: Bytes,
}

impl Envelope {
    /// `label || v || conversation || sender user || sender device || client msg id || sent_at
    /// || payload`, each field length-prefixed so that no two messages share signed bytes.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = crate::identity::label::TRANSCRIPT.to_vec();
        out.extend_from_slice(&self.v.to_be_bytes());
        for part in [
            self.conversation_id.0.as_bytes().as_slice(),
            self.sender_person.0.as_bytes(),
            self.sender_device.0.as_bytes(),
            self.client_msg_id.0.as_bytes(),
        ] {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.sent_at.to_be_bytes());
        out.extend_from_slice(&(self.payload.len() as u64).to_be_bytes());
        out.extend_from_slice(self.payload.as_bytes());
        out
    }

    /// The payload, or [`Payload::Unknown`] for a kind this build does not know.
    pub fn parse_payload(&self) -> Payload {
        Payload::parse(&self.payload)
    }
}

/// What a message says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// Text in the markdown subset (see `kontor_client::markdown`), with mentioned people and
    /// optionally the message it replies to.
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<PersonId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<ClientMsgId>,
        /// Forwarded from another conversation (shown as such; who wrote it first is not
        /// carried: the forwarder sends it as theirs).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forwarded: bool,
    },
    /// An emoji reaction to a message; `remove` takes it back.
    Reaction {
        target: ClientMsgId,
        emoji: String,
        #[serde(default)]
        remove: bool,
    },
    /// A new text for one of the sender's own messages.
    Edit {
        target: ClientMsgId,
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentions: Vec<PersonId>,
    },
    /// Deletes one of the sender's own messages for everybody.
    Delete { target: ClientMsgId },
    /// A poll: a question and 2 to 12 options, one choice or several. In an anonymous poll
    /// the apps show counts only (the votes are messages of their senders like any other,
    /// which the members' devices read). No vote counts that was sent after `closes_ms`.
    Poll {
        question: String,
        options: Vec<String>,
        #[serde(default)]
        multiple: bool,
        #[serde(default)]
        anonymous: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        closes_ms: Option<i64>,
    },
    /// The sender's vote in a poll, replacing their earlier one: the options chosen (by
    /// index); none takes the vote back.
    Vote {
        poll: ClientMsgId,
        choices: Vec<u32>,
    },
    /// Pins a message of the conversation for everybody in it, or unpins it.
    Pin {
        target: ClientMsgId,
        #[serde(default)]
        unpin: bool,
    },
    /// A note about the conversation itself.
    System { note: SystemNote },
    /// A kind this build does not know (from a newer client). Kept and shown, never dropped.
    #[serde(skip)]
    Unknown { kind: String },
}

impl Payload {
    /// Parses payload JSON; a well-formed payload of an unknown kind becomes `Unknown`.
    pub fn parse(json: &str) -> Payload {
        match serde_json::from_str::<Payload>(json) {
            Ok(p) => p,
            Err(_) => {
                let kind = serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
                    .unwrap_or_else(|| "unreadable".to_owned());
                Payload::Unknown { kind }
            }
        }
    }

    /// The JSON text of this payload.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Notes about the conversation, written by the member who made the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SystemNote {
    /// The conversation got a (new) name. Names live only here, encrypted. `created`: the
    /// first name, given when the conversation was made ("created the group …").
    Renamed {
        name: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        created: bool,
    },
    /// People were added.
    Added { users: Vec<PersonId> },
    /// People were removed (or left). `lost_access`: the server retired their last device
    /// (the organisation ended their access, or revoked their devices), and the member who
    /// committed that says so: nobody in the conversation removed them.
    Removed {
        users: Vec<PersonId>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        lost_access: bool,
    },
    /// The conversation's current state, sent by the member who adds devices so that they
    /// learn what they cannot read from before they joined. Not shown in the timeline.
    State {
        #[serde(default)]
        name: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kinds_are_kept_not_dropped() {
        let p = Payload::parse(r#"{"kind":"poll","question":"Lunch?"}"#);
        assert_eq!(
            p,
            Payload::Unknown {
                kind: "poll".into()
            }
        );
        let p = Payload::parse("not json");
        assert_eq!(
            p,
            Payload::Unknown {
                kind: "unreadable".into()
            }
        );
    }

    #[test]
    fn known_kinds_round_trip() {
        let p = Payload::Text {
            text: "**Hallo** @Ben".into(),
            mentions: vec![PersonId(uuid::Uuid::nil())],
            reply_to: None,
            forwarded: false,
        };
        assert_eq!(Payload::parse(&p.to_json()), p);
    }

    #[test]
    fn signed_bytes_separate_fields() {
        let base = Envelope {
            v: 1,
            conversation_id: ConversationId(uuid::Uuid::nil()),
            sender_person: PersonId(uuid::Uuid::nil()),
            sender_device: DeviceId(uuid::Uuid::nil()),
            client_msg_id: ClientMsgId(uuid::Uuid::nil()),
            sent_at: 1,
            payload: "{}".into(),
            signature: Bytes::default(),
        };
        let mut other = base.clone();
        other.sent_at = 2;
        assert_ne!(base.signed_bytes(), other.signed_bytes());
        assert!(
            base.signed_bytes()
                .starts_with(crate::identity::label::TRANSCRIPT)
        );
    }
}
