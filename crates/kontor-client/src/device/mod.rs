//! How a device's operations are sequenced with the server, once for every platform.
//!
//! [`Client`] decides what is trusted and what to send; a [`Session`] carries the core's
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
//!   UI / CLI ──► Session ──► Client (decides) ──► request body
//!                   │  ▲                              │
//!                   ▼  └──── answers ◄── Host::request┘   Host::commit ◄── take_changes()
//! ```
//!
//! Nothing here opens a socket or touches a disk; the [`Host`] does. The session never reads
//! a clock either: [`Host::now_ms`] is the host's.

use crate::client::{Client, Update};
use crate::error::ClientError;
use crate::store::{Changes, Entries};
use kontor_proto::api::Me;
use kontor_proto::conversation::{
    Conversation, ConversationKind, Conversations, MemberRole, MessageKind, MessagePage,
    PendingWelcomes, SendMessage, Sent, SetMemberRole, StoredMessage, VoidCommit,
};
use kontor_proto::event::ServerFrame;
use kontor_proto::identity::{
    ClaimKeyPackages, ClaimedKeyPackages, IdentityBundles, KeyPackageStock, LinkRequest,
    LinkRequests, LinkStatus, OrgKey, RecoveryBackup,
};
use kontor_proto::payload::{Payload, SystemNote};
use kontor_proto::{
    ClientMsgId, ConversationId, DeviceId, ErrorBody, ErrorCode, ErrorDetail, UserId,
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

/// What a platform plugs into a session.
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

/// What can go wrong in a session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
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
}

impl SessionError {
    /// The API's error code, when the server refused.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            SessionError::Api(b) => Some(b.error.code),
            _ => None,
        }
    }

    /// Whether a message whose sending ended with this error waits in the outbox and goes out
    /// by itself once it can (the server is out of reach, or asked to wait). The apps say so
    /// instead of reporting a failure.
    pub fn kept(&self) -> bool {
        match self {
            SessionError::Unreachable(_) => true,
            SessionError::Api(b) => matches!(
                b.error.code,
                ErrorCode::RateLimited
                    | ErrorCode::QuotaExceeded
                    | ErrorCode::Unavailable
                    | ErrorCode::Internal
                    // Kept until this device is added again, then encrypted anew.
                    | ErrorCode::RejoinPending
            ),
            _ => false,
        }
    }
}

pub type Result<T, E = SessionError> = std::result::Result<T, E>;

/// A device's session: the client core, its host, and what happened on first use.
pub struct Session<H> {
    pub host: H,
    pub core: Client,
    /// The recovery key this device made, until the person confirms they kept it
    /// ([`Client::recovery_key_kept`]).
    pub new_recovery_key: Option<String>,
    /// The server handed out an identity for this person that differs from the one this
    /// device holds: somebody may be impersonating them. Shown to the person.
    pub identity_conflict: bool,
}

impl<H> std::fmt::Debug for Session<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("core", &self.core).finish()
    }
}

fn query_ids(users: &[UserId]) -> String {
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
        .map_err(SessionError::Unreachable)?;
    if (200..300).contains(&answer.status) {
        let bytes: &[u8] = if answer.body.is_empty() {
            b"null"
        } else {
            &answer.body
        };
        serde_json::from_slice(bytes).map_err(|e| SessionError::Unexpected(e.to_string()))
    } else {
        match serde_json::from_slice::<ErrorBody>(&answer.body) {
            Ok(body) => Err(SessionError::Api(body)),
            // Not Kontor's answer (a proxy in between): worth trying again later only when
            // it says so; any other refusal stands.
            Err(_) if matches!(answer.status, 408 | 429) || answer.status >= 500 => Err(
                SessionError::Unreachable(format!("server answered {}", answer.status)),
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
                Err(SessionError::Api(ErrorBody {
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
        .map_err(|e| SessionError::Unexpected(e.to_string()))
}

impl<H: Host> Session<H> {
    /// Opens a device from its stored entries (none: a new device), setting it up on first
    /// use: pins the organisation key, makes the person's identity on their first device (the
    /// recovery key is then in `new_recovery_key`), and keeps key packages in stock.
    pub async fn open(mut host: H, entries: Entries) -> Result<Session<H>> {
        let fresh = entries.is_empty();
        let core = if fresh {
            let me: Me = call(&mut host, Method::Get, "/me", None).await?;
            Client::new_device(me.org.id, me.person.id, me.device.id)?
        } else {
            Client::restore(entries)?
        };
        let mut s = Session {
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
            Err(SessionError::Unreachable(_)) if !fresh => {}
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
            Err(SessionError::Core(e)) if self.core.has_identity() => {
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
        self.host.commit(changes).await.map_err(SessionError::Store)
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

    fn refused(code: ErrorCode) -> SessionError {
        SessionError::Api(ErrorBody {
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
        assert!(SessionError::Unreachable("offline".into()).kept());
        for code in [
            ErrorCode::RateLimited,
            ErrorCode::QuotaExceeded,
            ErrorCode::RejoinPending,
        ] {
            assert!(refused(code).kept(), "{code:?}");
        }
        for code in [ErrorCode::NotAMember, ErrorCode::NotConversationAdmin] {
            assert!(!refused(code).kept(), "{code:?}");
        }
        assert!(!SessionError::KeepsChanging.kept());
    }
}
