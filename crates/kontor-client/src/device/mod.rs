//! How a device's operations are sequenced with the server, once for every platform.
//!
//! [`Client`] decides what is trusted and what to send; a [`Device`] carries the core's
//! request bodies to the server and the answers back: fetch, process, persist, send, retry.
//! Each platform plugs in a [`Host`] — the command line (reqwest and SQLite), the browser
//! (`fetch` and IndexedDB through wasm-bindgen) — so the rules that make retries safe exist
//! once:
//!
//! - the core's changes are committed to the host's store before anything is sent;
//! - a lost answer is retried with the same client message id (the delivery service stores it
//!   once), or settled from the log when the message is fetched back;
//! - `stale_epoch` clears a commit: catch up, make it again; a message is encrypted again in
//!   the new epoch under the same client message id;
//! - a message that could not be sent stays in the outbox (persisted) and is sent when the
//!   server answers again, oldest first.
//!
//! ```text
//!   UI / CLI ──► Device ──► Client (decides) ──► request body
//!                   │  ▲                              │
//!                   ▼  └──── answers ◄── Host::request┘   Host::commit ◄── take_changes()
//! ```
//!
//! Nothing here opens a socket or touches a disk; the [`Host`] does. The device never reads
//! a clock either: [`Host::now_ms`] is the host's.

use crate::client::{Client, Update};
use crate::error::ClientError;
use crate::store::{Changes, Entries};
use kontor_proto::api::Me;
use kontor_proto::conversation::{
    Conversation, ConversationKind, ConversationRole, Conversations, MessageKind, MessagePage,
    PendingWelcomes, SendMessage, Sent, SetConversationRole, StoredMessage, VoidCommit,
};
use kontor_proto::event::ServerFrame;
use kontor_proto::identity::{
    ClaimKeyPackages, ClaimedKeyPackages, IdentityBundles, KeyPackageStock, LinkRequest,
    LinkRequests, LinkStatus, OrgKey, RecoveryBackup,
};
use kontor_proto::payload::{Payload, SystemNote};
use kontor_proto::{
    ClientMsgId, ConversationId, DeviceId, ErrorBody, ErrorCode, ErrorDetail, PersonId,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use std::future::Future;

mod groups;
mod linking;
mod sending;
mod sync;

/// Key packages a device keeps on the server; topped up below half.
pub const STOCK: u32 = 50;
/// How often a change is retried after `stale_epoch`.
const RETRIES: usize = 20;
/// How often a request whose answer was lost is sent again before giving up for now.
const LOST_ANSWER_RETRIES: u64 = 3;

/// An HTTP method of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// An answer of the server: its status and body.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// What a platform plugs into a device.
pub trait Host {
    /// One request to the API: `path` is below `/api/v1` and may carry a query; `body` is
    /// JSON. Every answer the server gave is `Ok`, whatever its status; `Err` means no answer
    /// came (the network, or the server is down).
    fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> impl Future<Output = Result<Answer, String>>;
    /// Writes the core's changes in one transaction: all or nothing.
    fn commit(&mut self, changes: Changes) -> impl Future<Output = Result<(), String>>;
    /// Waits (between retries of a request whose answer was lost).
    fn sleep(&mut self, ms: u64) -> impl Future<Output = ()>;
    /// Milliseconds since the Unix epoch, by the host's clock.
    fn now_ms(&self) -> i64;
    /// Something the person or operator may want to know that is not an error of the
    /// operation (a refused Welcome, a skipped message). Ids only, never content.
    fn report(&mut self, note: &str);
}

/// What can go wrong in a device's operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceError {
    /// The server refused, with its error body.
    #[error("{} [{}]", .0.error.message, .0.error.code)]
    Api(ErrorBody),
    /// No answer came.
    #[error("cannot reach the server ({0})")]
    Unreachable(String),
    /// The client core refused.
    #[error(transparent)]
    Core(#[from] ClientError),
    /// The host's store failed.
    #[error("storage: {0}")]
    Store(String),
    /// The device has no identity yet: link it first.
    #[error(
        "this device is not linked yet: approve it on another device or use the recovery key / dieses Gerät ist noch nicht verknüpft"
    )]
    NotLinked,
    /// Others kept changing the conversation while this device tried.
    #[error("the conversation keeps changing; try again")]
    KeepsChanging,
    /// The server does not have what comes next for this device.
    #[error("conversation {0}: messages after {1} are missing; waiting for a Welcome")]
    Missing(ConversationId, u64),
    /// The server answered something that is not what the API says.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
    /// A message failed to go out now, and waits in the outbox: it goes out by itself once
    /// it can. The inner error says why it did not go now.
    #[error(transparent)]
    Queued(Box<DeviceError>),
}

/// What kind of failure a [`DeviceError`] is, for the apps: they say it in the person's
/// language (the web app gets it as `KontorError.kind`; its TypeScript type is generated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server refused; the API's error code says why.
    Api,
    /// No answer came.
    Unreachable,
    /// The client core refused.
    Core,
    /// The conversation is stopped on this device.
    Stopped,
    /// This device waits to be added to the conversation again.
    Rejoining,
    /// The link code does not match the new device's.
    WrongLinkCode,
    /// The recovery key does not fit.
    WrongRecoveryKey,
    /// The host's store failed.
    Store,
    /// The device is not linked yet.
    NotLinked,
    /// Others kept changing the conversation.
    KeepsChanging,
    /// The server lacks what comes next for this device.
    Missing,
    /// The host passed something the core cannot read (an id, a kind).
    Invalid,
    /// The server answered something the API does not say.
    Unexpected,
}

impl DeviceError {
    /// The API's error code, when the server refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            DeviceError::Api(b) => Some(b.error.code),
            DeviceError::Queued(e) => e.code(),
            _ => None,
        }
    }

    /// What kind of failure this is (see [`ErrorKind`]).
    pub fn kind(&self) -> ErrorKind {
        match self {
            DeviceError::Api(_) => ErrorKind::Api,
            DeviceError::Unreachable(_) => ErrorKind::Unreachable,
            DeviceError::Core(ClientError::Stopped(_)) => ErrorKind::Stopped,
            DeviceError::Core(ClientError::WrongLinkCode) => ErrorKind::WrongLinkCode,
            DeviceError::Core(ClientError::BadRecoveryKey) => ErrorKind::WrongRecoveryKey,
            DeviceError::Core(ClientError::Rejoining | ClientError::OutOfStep) => {
                ErrorKind::Rejoining
            }
            DeviceError::Core(_) => ErrorKind::Core,
            DeviceError::Store(_) => ErrorKind::Store,
            DeviceError::NotLinked => ErrorKind::NotLinked,
            DeviceError::KeepsChanging => ErrorKind::KeepsChanging,
            DeviceError::Missing(..) => ErrorKind::Missing,
            DeviceError::Unexpected(_) => ErrorKind::Unexpected,
            DeviceError::Queued(e) => e.kind(),
        }
    }

    /// Whether the message whose sending ended with this error waits in the outbox and goes
    /// out by itself: a fact about the outbox, decided where the error is made
    /// ([`DeviceError::Queued`]). The apps say so instead of reporting a failure, and do not
    /// hand the text back to be sent twice.
    pub fn kept(&self) -> bool {
        matches!(self, DeviceError::Queued(_))
    }

    /// Whether the server's refusal is one to wait out (it is away, or asks to wait), so that
    /// the message stays in the outbox instead of being dropped.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            DeviceError::Unreachable(_) => true,
            DeviceError::Api(b) => matches!(
                b.error.code,
                ErrorCode::RateLimited
                    | ErrorCode::QuotaExceeded
                    | ErrorCode::Unavailable
                    | ErrorCode::Internal
                    // Kept until this device is added again, then encrypted anew.
                    | ErrorCode::RejoinPending
            ),
            DeviceError::Queued(e) => e.is_transient(),
            _ => false,
        }
    }
}

pub type Result<T, E = DeviceError> = std::result::Result<T, E>;

/// A device: the client core, its host, and what happened on first use.
pub struct Device<H> {
    pub host: H,
    pub core: Client,
    /// The recovery key this device made, until the person confirms they kept it
    /// ([`Client::recovery_key_kept`]).
    pub new_recovery_key: Option<String>,
    /// The server handed out an identity for this person that differs from the one this
    /// device holds: somebody may be impersonating them. Shown to the person.
    pub identity_conflict: bool,
}

impl<H> std::fmt::Debug for Device<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device").field("core", &self.core).finish()
    }
}

fn query_ids(users: &[PersonId]) -> String {
    users
        .iter()
        .map(|u| u.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// One request, its answer parsed: a success as `T`, a refusal as the API's error body.
async fn call<H: Host, T: DeserializeOwned>(
    host: &mut H,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<T> {
    let answer = host
        .request(method, path, body)
        .await
        .map_err(DeviceError::Unreachable)?;
    if (200..300).contains(&answer.status) {
        let bytes: &[u8] = if answer.body.is_empty() {
            b"null"
        } else {
            &answer.body
        };
        serde_json::from_slice(bytes).map_err(|e| DeviceError::Unexpected(e.to_string()))
    } else {
        match serde_json::from_slice::<ErrorBody>(&answer.body) {
            Ok(body) => Err(DeviceError::Api(body)),
            // Not Kontor's answer (a proxy in between): worth trying again later only when
            // it says so; any other refusal stands.
            Err(_) if matches!(answer.status, 408 | 429) || answer.status >= 500 => Err(
                DeviceError::Unreachable(format!("server answered {}", answer.status)),
            ),
            Err(_) => {
                let code = match answer.status {
                    401 => ErrorCode::Unauthenticated,
                    403 => ErrorCode::Forbidden,
                    404 => ErrorCode::NotFound,
                    413 => ErrorCode::PayloadTooLarge,
                    415 => ErrorCode::UnsupportedMediaType,
                    _ => ErrorCode::InvalidInput,
                };
                Err(DeviceError::Api(ErrorBody {
                    error: ErrorDetail {
                        code,
                        message: format!("answered {} by something in between", answer.status),
                        field: None,
                        retry_after_secs: None,
                    },
                }))
            }
        }
    }
}

fn to_json<B: Serialize>(body: &B) -> Result<Option<String>> {
    serde_json::to_string(body)
        .map(Some)
        .map_err(|e| DeviceError::Unexpected(e.to_string()))
}

impl<H: Host> Device<H> {
    /// Opens a device from its stored entries (none: a new device), setting it up on first
    /// use: pins the organisation key, makes the person's identity on their first device (the
    /// recovery key is then in `new_recovery_key`), and keeps key packages in stock.
    pub async fn open(mut host: H, entries: Entries) -> Result<Device<H>> {
        let fresh = entries.is_empty();
        let core = if fresh {
            let me: Me = call(&mut host, Method::Get, "/me", None).await?;
            Client::new_device(me.org.id, me.person.id, me.device.id)?
        } else {
            Client::restore(entries)?
        };
        let mut s = Device {
            host,
            core,
            new_recovery_key: None,
            identity_conflict: false,
        };
        if fresh {
            let key: OrgKey = s.get("/identity/org-key").await?;
            s.core.pin_org_key(&key)?;
            s.persist().await?;
        }
        match s.first_use().await {
            Ok(()) => {}
            // A device opened without the network works from what it keeps; the next sync
            // does the rest.
            Err(DeviceError::Unreachable(_)) if !fresh => {}
            Err(e) => return Err(e),
        }
        Ok(s)
    }

    /// Makes the person's identity on their first device, and keeps key packages in stock. An
    /// identity made here whose publication never got an answer is sealed under a new
    /// recovery key and published again (the first key was never shown).
    async fn first_use(&mut self) -> Result<()> {
        let me = self.core.user();
        match self.learn(&[me]).await {
            Ok(()) => {}
            // What this device holds of its own person stays; the conflict is shown.
            Err(DeviceError::Core(e)) if self.core.has_identity() => {
                self.host.report(&format!("own identity check: {e}"));
                self.identity_conflict = true;
            }
            Err(e) => return Err(e),
        }
        let publish = if self.core.identity_unpublished() {
            Some(self.core.reseal_identity()?.0)
        } else if !self.core.has_identity() && !self.core.trust().people.contains_key(&me) {
            Some(self.core.create_identity()?.0)
        } else {
            None
        };
        if let Some(publish) = publish {
            self.persist().await?;
            let _: serde_json::Value = self.put("/identity", &publish).await?;
            self.core.identity_was_published();
            self.persist().await?;
            self.learn(&[me]).await?;
        }
        self.new_recovery_key = self.core.pending_recovery_key().map(str::to_owned);
        self.top_up().await
    }

    /// `GET path`.
    pub async fn get<T: DeserializeOwned>(&mut self, path: &str) -> Result<T> {
        call(&mut self.host, Method::Get, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &mut self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let body = to_json(body)?;
        call(&mut self.host, Method::Post, path, body).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &mut self,
        path: &str,
        body: &B,
    ) -> Result<T> {
        let body = to_json(body)?;
        call(&mut self.host, Method::Put, path, body).await
    }

    /// `DELETE path`.
    pub async fn delete(&mut self, path: &str) -> Result<()> {
        call::<_, serde_json::Value>(&mut self.host, Method::Delete, path, None)
            .await
            .map(|_| ())
    }

    /// Writes the core's changes in one transaction.
    pub async fn persist(&mut self) -> Result<()> {
        let changes = self.core.take_changes();
        if changes.is_empty() {
            return Ok(());
        }
        self.host.commit(changes).await.map_err(DeviceError::Store)
    }
}

/// What processing one stored message came to.
enum Processed {
    Updates(Vec<Update>),
    /// A message is missing before this one: fetch again from the cursor.
    Gap,
    /// Nothing more can be processed in this conversation.
    Stop,
    /// This device voided the commit it could not process: fetch again from the cursor.
    Voided,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: ErrorCode) -> DeviceError {
        DeviceError::Api(ErrorBody {
            error: ErrorDetail {
                code,
                message: String::new(),
                field: None,
                retry_after_secs: None,
            },
        })
    }

    #[test]
    fn a_message_waits_in_the_outbox_only_when_the_server_is_away_or_asks_to_wait() {
        assert!(DeviceError::Unreachable("offline".into()).is_transient());
        for code in [
            ErrorCode::RateLimited,
            ErrorCode::QuotaExceeded,
            ErrorCode::RejoinPending,
        ] {
            assert!(refused(code).is_transient(), "{code:?}");
        }
        for code in [ErrorCode::NotAMember, ErrorCode::NotConversationAdmin] {
            assert!(!refused(code).is_transient(), "{code:?}");
        }
        assert!(!DeviceError::KeepsChanging.is_transient());
    }

    #[test]
    fn only_a_message_still_in_the_outbox_is_reported_as_kept() {
        let offline = DeviceError::Unreachable("offline".into());
        assert!(!offline.kept(), "failed before it reached the outbox");
        let queued = DeviceError::Queued(Box::new(offline));
        assert!(queued.kept());
        assert_eq!(queued.kind(), ErrorKind::Unreachable);
        let queued = DeviceError::Queued(Box::new(refused(ErrorCode::RateLimited)));
        assert_eq!(queued.code(), Some(ErrorCode::RateLimited));
    }
}
