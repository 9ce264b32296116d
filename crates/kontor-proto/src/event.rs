//! Events pushed over the WebSocket at `/api/v1/events` and served by `/api/v1/events/poll`.
//!
//! Every organisation has one gap-free event sequence. A device receives the events addressed
//! to it (to its person, or to all members); the sequence number lets a client that was away
//! ask for everything after the last one it saw, so reconnecting loses nothing.

use crate::api::{Org, Person, PersonStatus, Policies, Team};
use crate::ids::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Event {
    /// Position in the organisation's sequence; strictly increasing.
    pub seq: u64,
    pub at: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A person's profile, role, teams or status changed; carries the new state.
    PersonChanged { person: Person },
    /// A team was created or changed.
    TeamChanged { team: Team },
    /// A team was deleted.
    TeamDeleted { team_id: TeamId },
    /// The organisation's policies changed.
    PoliciesChanged { policies: Policies },
    /// The organisation's name, colours or logo changed; carries the new state.
    OrgChanged { org: Org },
    /// One of the recipient's devices was revoked.
    DeviceRevoked { device_id: DeviceId },
    /// One of the recipient's sessions ended (logout, revocation, suspension).
    SessionEnded { session_id: SessionId },
    /// The recipient's own account changed status (suspended, deprovisioned, reactivated).
    AccountStatusChanged { status: PersonStatus },
    /// A new device of the recipient asks to be linked: the devices they have say so at once.
    LinkRequested { device_id: DeviceId },
}

/// Messages the server sends over the WebSocket.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// Sent once after the connection is authenticated.
    Ready { device_id: DeviceId, last_seq: u64 },
    /// One event.
    Event { event: Box<Event> },
    /// Events before `oldest_seq` were pruned; the client must refetch its state.
    ResyncRequired { oldest_seq: u64 },
    /// A new message in one of the device's conversations. Sequence numbers are gap-free per
    /// conversation: on a gap, fetch `GET /conversations/{id}/messages?after=…`.
    Message {
        message: Box<crate::conversation::StoredMessage>,
    },
    /// A Welcome is waiting for this device: fetch `GET /welcomes`.
    Welcome {
        conversation_id: crate::ids::ConversationId,
    },
    /// A conversation's members or pending removals changed: refetch it.
    ConversationChanged {
        conversation_id: crate::ids::ConversationId,
    },
    /// The device did not read fast enough and pushes were dropped: refetch every conversation
    /// after its last sequence number.
    Lagged,
}

/// Messages a client sends over the WebSocket.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// Authenticate (browsers cannot set headers on a WebSocket); must be the first frame
    /// when no `Authorization` header was sent.
    Auth { token: String, after: Option<u64> },
}

/// WebSocket close codes used by Kontor (private range 4000–4999).
pub mod close_code {
    /// What the connection may see changed (e.g. a new role): reconnect at once.
    pub const RECONNECT: u16 = 4000;
    /// The session was ended, the device revoked or the account disabled.
    pub const SESSION_ENDED: u16 = 4001;
    /// Authentication failed or did not arrive in time.
    pub const UNAUTHENTICATED: u16 = 4003;
    /// The person was suspended: their sessions ended.
    pub const SUSPENDED: u16 = 4004;
    /// The organisation ended the person's access (deprovisioned): their sessions ended.
    pub const ACCESS_ENDED: u16 = 4005;
    /// The server is shutting down; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// This device or person opened more connections than the server keeps; this, the
    /// oldest, was closed. Do not reconnect on your own (it would close another one): wait
    /// until the person comes back to this window.
    pub const TOO_MANY_CONNECTIONS: u16 = 4029;
}

/// Writes the close codes as a TypeScript module beside the generated types, so the web app
/// never mirrors them by hand (`scripts/gen-types.sh` runs every `export_bindings` test).
#[cfg(all(test, feature = "ts"))]
#[test]
fn export_bindings_close_codes() {
    use close_code::*;
    let dir = std::env::var("TS_RS_EXPORT_DIR").unwrap_or_else(|_| "bindings".into());
    let codes = [
        ("RECONNECT", RECONNECT),
        ("SESSION_ENDED", SESSION_ENDED),
        ("UNAUTHENTICATED", UNAUTHENTICATED),
        ("SUSPENDED", SUSPENDED),
        ("ACCESS_ENDED", ACCESS_ENDED),
        ("GOING_AWAY", GOING_AWAY),
        ("TOO_MANY_CONNECTIONS", TOO_MANY_CONNECTIONS),
    ];
    let mut text = String::from(
        "// Generated from kontor-proto's close_code by scripts/gen-types.sh. Do not edit.\n\n\
         /** The WebSocket close codes of the event stream. */\nexport const CloseCode = {\n",
    );
    for (name, code) in codes {
        text.push_str(&format!("  {name}: {code},\n"));
    }
    text.push_str("} as const;\n");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(std::path::Path::new(&dir).join("CloseCode.ts"), text).unwrap();
}
