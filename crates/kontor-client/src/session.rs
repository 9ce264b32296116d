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

    // --- carrying bytes -------------------------------------------------------------------

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

    // --- identity and key packages --------------------------------------------------------

    /// Whether this device can take part in conversations (it holds or was signed by the
    /// person's identity key).
    pub fn is_linked(&self) -> bool {
        let me = self.core.user();
        let device = self.core.device();
        self.core.has_identity()
            || self.core.trust().people.get(&me).is_some_and(|p| {
                p.device_list
                    .list
                    .devices
                    .iter()
                    .any(|d| d.device_id == device)
            })
    }

    fn require_linked(&self) -> Result<()> {
        if self.is_linked() {
            Ok(())
        } else {
            Err(SessionError::NotLinked)
        }
    }

    /// Keeps one-time key packages in stock and a last-resort one on the server.
    pub async fn top_up(&mut self) -> Result<()> {
        if !self.is_linked() {
            return Ok(());
        }
        self.upload_key_packages().await
    }

    async fn upload_key_packages(&mut self) -> Result<()> {
        let stock: KeyPackageStock = self.get("/key-packages/stock").await?;
        if stock.one_time >= STOCK / 2 && stock.has_last_resort {
            return Ok(());
        }
        let n = STOCK.saturating_sub(stock.one_time) as usize;
        let upload = self.core.key_packages(n, !stock.has_last_resort)?;
        self.persist().await?;
        let _: KeyPackageStock = self.post("/key-packages", &upload).await?;
        Ok(())
    }

    /// Fetches and verifies the identity bundles of these people.
    pub async fn learn(&mut self, users: &[UserId]) -> Result<()> {
        for chunk in users.chunks(200) {
            if chunk.is_empty() {
                continue;
            }
            let b: IdentityBundles = self
                .get(&format!("/identity/users?ids={}", query_ids(chunk)))
                .await?;
            self.core.learn(&b.bundles)?;
        }
        self.persist().await
    }

    /// [`Session::learn`] where a bundle that does not verify (a changed identity key, a bad
    /// signature) must not stop everything else: it is reported, the rest is learned, and
    /// this device goes on trusting only what it pinned.
    async fn learn_or_report(&mut self, users: &[UserId]) -> Result<()> {
        match self.learn(users).await {
            Err(SessionError::Core(e)) => {
                if matches!(e, ClientError::IdentityChanged(u) if u == self.core.user()) {
                    self.identity_conflict = true;
                }
                self.host.report(&format!("identity check: {e}"));
                self.persist().await
            }
            other => other,
        }
    }

    /// The safety number with another person, after fetching both identities afresh.
    pub async fn safety_number(&mut self, other: UserId) -> Result<String> {
        let me = self.core.user();
        self.learn(&[me, other]).await?;
        Ok(self.core.safety_number(other)?)
    }

    /// After a device of this person was revoked: signs and publishes a device list without
    /// it (on devices that hold the identity key), so members drop it from every group.
    pub async fn drop_device(&mut self, device: DeviceId) -> Result<bool> {
        if !self.core.has_identity() {
            return Ok(false);
        }
        let me = self.core.user();
        self.learn(&[me]).await?;
        let listed = self.core.trust().people.get(&me).is_some_and(|p| {
            p.device_list
                .list
                .devices
                .iter()
                .any(|d| d.device_id == device)
        });
        if !listed {
            return Ok(false);
        }
        let publish = self.core.drop_device(device)?;
        self.persist().await?;
        let _: serde_json::Value = self.put("/identity", &publish).await?;
        self.learn(&[me]).await?;
        Ok(true)
    }

    /// Links this new device with the recovery key.
    pub async fn link_with_recovery_key(&mut self, key: &str) -> Result<()> {
        let recovery = crate::RecoveryKey::parse(key)?;
        let backup: RecoveryBackup = self.get("/identity/recovery-backup").await?;
        let me = self.core.user();
        let b: IdentityBundles = self.get(&format!("/identity/users?ids={me}")).await?;
        let current = b
            .bundles
            .into_iter()
            .next()
            .ok_or_else(|| SessionError::Unexpected("no identity published yet".into()))?;
        let publish =
            self.core
                .link_with_recovery_key(&recovery, backup.sealed.as_slice(), &current)?;
        self.persist().await?;
        let _: serde_json::Value = self.put("/identity", &publish).await?;
        self.learn(&[me]).await?;
        self.top_up().await
    }

    /// Asks to be linked: returns the request and the code to compare on the other device.
    pub async fn request_link(&mut self) -> Result<(LinkRequest, String)> {
        let (body, code) = self.core.start_link()?;
        self.persist().await?;
        // Key packages first, so that the approving device can add this one to the person's
        // conversations right away (others check them against the signed list anyway).
        self.upload_key_packages().await?;
        let req: LinkRequest = self.post("/identity/link-requests", &body).await?;
        Ok((req, code))
    }

    /// Checks whether the link request was approved; finishes linking if so.
    pub async fn poll_link(&mut self) -> Result<bool> {
        let list: LinkRequests = self.get("/identity/link-requests").await?;
        let device = self.core.device();
        let mine = list
            .requests
            .into_iter()
            .find(|r| r.keys.device_id == device && r.status == LinkStatus::Approved);
        let Some(sealed) = mine.and_then(|r| r.sealed) else {
            return Ok(false);
        };
        self.core.finish_link(sealed.as_slice())?;
        self.persist().await?;
        let me = self.core.user();
        self.learn(&[me]).await?;
        self.top_up().await?;
        Ok(true)
    }

    /// Pending link requests of other devices of this person, with their codes.
    pub async fn link_requests(&mut self) -> Result<Vec<(LinkRequest, String)>> {
        let list: LinkRequests = self.get("/identity/link-requests").await?;
        let device = self.core.device();
        Ok(list
            .requests
            .into_iter()
            .filter(|r| r.status == LinkStatus::Pending && r.keys.device_id != device)
            .map(|r| {
                let code = Client::link_code_of(&r);
                (r, code)
            })
            .collect())
    }

    /// Approves a link request after the person typed the code the new device shows, then
    /// adds the new device to this person's conversations.
    pub async fn approve(&mut self, request: &LinkRequest, code: &str) -> Result<()> {
        let me = self.core.user();
        self.learn(&[me]).await?;
        let body = self.core.approve_link(request, code)?;
        self.persist().await?;
        let _: serde_json::Value = self
            .post(
                &format!("/identity/link-requests/{}/approve", request.id),
                &body,
            )
            .await?;
        self.learn(&[me]).await?;
        self.sync().await?;
        Ok(())
    }

    // --- receiving ------------------------------------------------------------------------

    /// The server's view of a conversation.
    pub async fn conversation(&mut self, conv: ConversationId) -> Result<Conversation> {
        self.get(&format!("/conversations/{conv}")).await
    }

    /// Joins the conversations whose Welcomes wait for this device.
    pub async fn accept_welcomes(&mut self) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        let pending: PendingWelcomes = self.get("/welcomes").await?;
        for w in pending.welcomes {
            let conv = self.conversation(w.conversation_id).await?;
            let users: Vec<UserId> = conv.members.iter().map(|m| m.user_id).collect();
            self.learn_or_report(&users).await?;
            let mut result = self.core.join(&w);
            if let Err(ClientError::NeedIdentities(more)) = &result {
                let more = more.clone();
                self.learn(&more).await?;
                result = self.core.join(&w);
            }
            // A Welcome that cannot be opened (a committer's broken one) leaves this device
            // added but unable to read: it asks to be added again, as after a commit it
            // cannot process. One that names an untrusted device is refused for good.
            let mut rejoin = false;
            match result {
                Ok(u) => updates.extend(u),
                Err(e) => {
                    rejoin = matches!(
                        e,
                        ClientError::Mls(_) | ClientError::Crypto(_) | ClientError::Invalid(_)
                    ) && self.core.conversation(w.conversation_id).is_none();
                    self.host
                        .report(&format!("Welcome {} refused: {e}", w.conversation_id));
                }
            }
            self.persist().await?;
            self.delete(&format!("/welcomes/{}", w.conversation_id))
                .await?;
            if rejoin {
                self.ask_to_rejoin(w.conversation_id).await?;
            }
        }
        Ok(updates)
    }

    /// Processes everything new in one conversation.
    pub async fn catch_up(&mut self, conv: ConversationId) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        loop {
            let Some(state) = self.core.conversation(conv) else {
                return Ok(updates);
            };
            if state.stopped.is_some() || state.removed || state.rejoining {
                return Ok(updates);
            }
            let after = state.cursor;
            let page: MessagePage = match self
                .get(&format!(
                    "/conversations/{conv}/messages?after={after}&limit=500"
                ))
                .await
            {
                Ok(p) => p,
                Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                    // The server no longer routes to this device: it was removed.
                    self.core.forget(conv);
                    self.persist().await?;
                    updates.push(Update::Removed(conv));
                    return Ok(updates);
                }
                Err(e) => return Err(e),
            };
            if page.messages.is_empty() {
                return Ok(updates);
            }
            let mut voided = false;
            for m in &page.messages {
                match self.process(m).await? {
                    Processed::Updates(u) => updates.extend(u),
                    Processed::Gap => break,
                    Processed::Voided => {
                        voided = true;
                        break;
                    }
                    Processed::Stop => {
                        self.persist().await?;
                        return Ok(updates);
                    }
                }
            }
            if voided {
                // What this page said is stale: the log now marks the voided messages.
                continue;
            }
            self.persist().await?;
            let now = self.core.conversation(conv).map_or(after, |c| c.cursor);
            if now == after {
                // The server does not have what comes next for this device (e.g. it was
                // removed and added again without its Welcome reaching this device).
                return Err(SessionError::Missing(conv, after));
            }
        }
    }

    /// Processes one stored message (fetching identities the core asks for).
    async fn process(&mut self, m: &StoredMessage) -> Result<Processed> {
        let conv = m.conversation_id;
        if !self.core.unknown([m.sender_user]).is_empty() {
            self.learn(&[m.sender_user]).await?;
        }
        let mut result = self.core.receive(m);
        if let Err(ClientError::NeedIdentities(users)) = &result {
            let users = users.clone();
            // A refused bundle (an identity key that changed) is reported; the message is
            // then judged on what this device already trusts.
            if let Err(e) = self.learn(&users).await {
                self.host.report(&format!("identity check: {e}"));
            }
            result = self.core.receive(m);
        }
        match result {
            Ok(u) => Ok(Processed::Updates(u)),
            Err(ClientError::Gap { .. }) => Ok(Processed::Gap),
            Err(ClientError::NotAMember) => Ok(Processed::Stop),
            Err(ClientError::Mls(e)) => {
                self.host
                    .report(&format!("message {} in {conv} skipped: {e}", m.seq));
                Ok(Processed::Updates(Vec::new()))
            }
            Err(ClientError::Stopped(why)) => {
                self.host
                    .report(&format!("conversation {conv} stopped: {why:?}"));
                Ok(Processed::Stop)
            }
            Err(ClientError::OutOfStep) => {
                self.persist().await?;
                if self.try_void(m).await? {
                    self.host.report(&format!(
                        "conversation {conv}: commit {} could not be processed by anybody; voided",
                        m.seq
                    ));
                    return Ok(Processed::Voided);
                }
                self.host.report(&format!(
                    "conversation {conv}: message {} could not be processed; asking to be added again",
                    m.seq
                ));
                self.ask_to_rejoin(conv).await?;
                Ok(Processed::Stop)
            }
            Err(e) => {
                self.persist().await?;
                Err(e.into())
            }
        }
    }

    /// A message the server pushed: processed at once when it is the next one, otherwise the
    /// conversation is caught up from the log.
    pub async fn receive_pushed(&mut self, m: &StoredMessage) -> Result<Vec<Update>> {
        let conv = m.conversation_id;
        let Some(state) = self.core.conversation(conv) else {
            // A conversation this device does not know yet: its Welcome comes first.
            return self.accept_welcomes().await;
        };
        if state.stopped.is_some() || state.removed || state.rejoining || m.seq <= state.cursor {
            return Ok(Vec::new());
        }
        if m.seq != state.cursor + 1 {
            return self.catch_up(conv).await;
        }
        match self.process(m).await? {
            Processed::Updates(u) => {
                self.persist().await?;
                Ok(u)
            }
            Processed::Gap | Processed::Voided => self.catch_up(conv).await,
            Processed::Stop => {
                self.persist().await?;
                Ok(Vec::new())
            }
        }
    }

    /// Acts on a WebSocket frame: messages, Welcomes, changed conversations, lag. Events about
    /// the organisation are the host's to show.
    pub async fn on_frame(&mut self, frame: &ServerFrame) -> Result<Vec<Update>> {
        match frame {
            ServerFrame::Message { message } => self.receive_pushed(message).await,
            ServerFrame::Welcome { .. } => {
                let mut updates = self.accept_welcomes().await?;
                // A device added again sends what waited meanwhile.
                updates.extend(self.flush_waiting(None).await?);
                Ok(updates)
            }
            ServerFrame::ConversationChanged { conversation_id } => {
                self.sync_conversation(*conversation_id).await
            }
            ServerFrame::Ready { .. } | ServerFrame::Lagged => self.sync().await,
            _ => Ok(Vec::new()),
        }
    }

    /// Joins waiting conversations, catches up on all, sends what waits in the outbox, and
    /// does what members must do: commit pending removals, add members' newly linked devices,
    /// drop revoked ones.
    ///
    /// What waits in the outbox goes as early as it may: in each conversation right after it
    /// is caught up and its leavers are removed (nothing is encrypted to a leaver), before
    /// anything else. Every step stands alone: one that is refused is reported and the rest
    /// goes on; only an unreachable server ends the sync (the next one starts over).
    pub async fn sync(&mut self) -> Result<Vec<Update>> {
        self.require_linked()?;
        let mut updates = Vec::new();
        match self.accept_welcomes().await {
            Ok(u) => updates.extend(u),
            Err(e @ SessionError::Unreachable(_)) => return Err(e),
            Err(e) => self.host.report(&format!("Welcomes: {e}")),
        }
        let list: Conversations = self.get("/conversations").await?;
        // Everybody's newest device lists, fetched once for all conversations: the member
        // duties below compare them with the groups.
        let people: BTreeSet<UserId> = list
            .conversations
            .iter()
            .flat_map(|c| c.members.iter().map(|m| m.user_id))
            .collect();
        match self
            .learn_or_report(&people.into_iter().collect::<Vec<_>>())
            .await
        {
            Ok(()) => {}
            Err(e @ SessionError::Unreachable(_)) => return Err(e),
            Err(e) => self.host.report(&format!("identities: {e}")),
        }
        let mut held = BTreeSet::new();
        for conv in &list.conversations {
            if self.core.conversation(conv.id).is_none() {
                continue;
            }
            // One conversation that cannot go on does not hold up the others.
            let done = match self.catch_up(conv.id).await {
                Ok(u) => {
                    updates.extend(u);
                    self.maintain(conv).await
                }
                Err(e) => Err(e),
            };
            match done {
                Ok(u) => updates.extend(u),
                Err(e @ SessionError::Unreachable(_)) => return Err(e),
                Err(e) => {
                    // Its outbox waits: it may not be safe to send there yet.
                    held.insert(conv.id);
                    self.host.report(&format!("conversation {}: {e}", conv.id))
                }
            }
        }
        // What is left (conversations the server no longer lists: refused and reported).
        let listed: BTreeSet<ConversationId> = list.conversations.iter().map(|c| c.id).collect();
        let rest: Vec<ConversationId> = self
            .core
            .outbox()
            .map(|e| e.conversation_id)
            .filter(|c| !listed.contains(c) && !held.contains(c))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for conv in rest {
            updates.extend(self.flush_outbox(Some(conv)).await?);
        }
        match self.top_up().await {
            Ok(()) => {}
            Err(e @ SessionError::Unreachable(_)) => return Err(e),
            Err(e) => self.host.report(&format!("key packages: {e}")),
        }
        Ok(updates)
    }

    /// [`Session::sync`] for one conversation whose members changed.
    pub async fn sync_conversation(&mut self, conv: ConversationId) -> Result<Vec<Update>> {
        self.require_linked()?;
        if self.core.conversation(conv).is_none() {
            return self.accept_welcomes().await;
        }
        let server = match self.conversation(conv).await {
            Ok(c) => c,
            Err(e) if e.code() == Some(ErrorCode::NotFound) => return self.catch_up(conv).await,
            Err(e) => return Err(e),
        };
        let users: Vec<UserId> = server.members.iter().map(|m| m.user_id).collect();
        self.learn_or_report(&users).await?;
        let mut updates = self.catch_up(conv).await?;
        updates.extend(self.maintain(&server).await?);
        updates.push(Update::Members(conv));
        updates.extend(self.flush_waiting(Some(conv)).await?);
        Ok(updates)
    }

    /// Sends what waits in the outbox, if anything does.
    async fn flush_waiting(&mut self, only: Option<ConversationId>) -> Result<Vec<Update>> {
        if self
            .core
            .outbox()
            .any(|e| only.is_none_or(|c| c == e.conversation_id))
        {
            self.flush_outbox(only).await
        } else {
            Ok(Vec::new())
        }
    }

    /// The member duties for one conversation (its members' bundles are fresh).
    async fn maintain(&mut self, conv: &Conversation) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        let me = self.core.user();
        let my_device = self.core.device();
        self.note_unreachable(conv, &[]);
        let Some(state) = self.core.conversation(conv.id) else {
            return Ok(updates);
        };
        if state.rejoining {
            // The commit this device could not process may have been voided meanwhile (by
            // another admin, or an answer that got lost): then it goes on where it stopped.
            if self.resume_if_voided(conv.id).await? {
                updates.extend(self.catch_up(conv.id).await?);
                return Ok(updates);
            }
            // Asked to be added again: make sure the delivery service knows (the first
            // request may have been lost), and wait for a member's Welcome.
            if !conv.rejoining.contains(&my_device) {
                self.ask_to_rejoin(conv.id).await?;
            }
            return Ok(updates);
        }
        if conv.rejoining.contains(&my_device)
            && conv.last_seq >= state.cursor
            && state.stopped.is_none()
            && !state.removed
        {
            // The delivery service voided commits this device took: its group is not the
            // others' any more, and a member adds it again.
            self.core.fell_out_of_step(conv.id);
            self.persist().await?;
            return Ok(updates);
        }
        if state.stopped.is_some() || state.removed {
            return Ok(updates);
        }
        // Readers of a channel and guests do not commit: admins and writers do it for them.
        if !conv.members.iter().any(|m| m.user_id == me && m.commits) {
            updates.extend(self.flush_waiting(Some(conv.id)).await?);
            return Ok(updates);
        }
        // The delivery service proposed removals (leavers, deprovisioned people): commit them.
        if self.core.has_pending_proposals(conv.id) {
            updates.extend(
                self.commit(conv.id, |core| core.commit_proposals(conv.id))
                    .await?,
            );
        }
        // Removals the server could not propose (no known leaf): remove by device.
        if !conv.pending_removals.is_empty() {
            let devices = conv.pending_removals.clone();
            updates.extend(
                self.commit(conv.id, |core| core.remove(conv.id, &devices))
                    .await?,
            );
        }
        let stale = self.core.stale_devices(conv.id)?;
        if !stale.is_empty() {
            updates.extend(
                self.commit(conv.id, |core| core.remove(conv.id, &stale))
                    .await?,
            );
        }
        // What waited in the outbox goes now: after those who must go are gone (nothing is
        // encrypted to a leaver), before the duties that only add.
        updates.extend(self.flush_waiting(Some(conv.id)).await?);
        // Devices that could not process a change and asked to be added again.
        let renew: Vec<DeviceId> = conv
            .rejoining
            .iter()
            .filter(|d| **d != my_device)
            .copied()
            .collect();
        if !renew.is_empty() {
            updates.extend(self.renew(conv.id, &renew).await?);
            self.note_unreachable(conv, &renew);
        }
        let missing = self.core.missing_devices(conv.id)?;
        if !missing.is_empty() {
            updates.extend(self.add_people(conv.id, &missing).await?);
        }
        Ok(updates)
    }

    /// Notes whom what is sent does not reach yet: people with a device (not this one) that
    /// waits to be added again, but for the devices just renewed.
    fn note_unreachable(&mut self, conv: &Conversation, renewed: &[DeviceId]) {
        let my_device = self.core.device();
        let waiting =
            |d: &DeviceId| conv.rejoining.contains(d) && *d != my_device && !renewed.contains(d);
        let people = conv
            .members
            .iter()
            .filter(|m| m.devices.iter().any(waiting))
            .map(|m| m.user_id)
            .collect();
        self.core.set_unreachable(conv.id, people);
    }

    /// A commit of somebody else that this device could not process, in the epoch it is in:
    /// if this device may void it (a conversation admin's, or either side of a direct chat)
    /// and nobody but the committer wrote since, the delivery service voids it and this
    /// device goes on. Returns whether it did.
    async fn try_void(&mut self, m: &StoredMessage) -> Result<bool> {
        let conv = m.conversation_id;
        if m.kind != MessageKind::Commit
            || m.sender_user == self.core.user()
            || self.core.epoch(conv).ok() != Some(m.epoch)
        {
            return Ok(false);
        }
        let server = self.conversation(conv).await?;
        let me = self.core.user();
        let may = server.kind == ConversationKind::Direct
            || server
                .members
                .iter()
                .any(|p| p.user_id == me && p.role == MemberRole::Admin);
        if !may {
            return Ok(false);
        }
        let body = VoidCommit { seq: m.seq };
        match self
            .post::<_, serde_json::Value>(&format!("/conversations/{conv}/void"), &body)
            .await
        {
            Ok(_) => {
                self.core.resume(conv);
                self.persist().await?;
                Ok(true)
            }
            Err(e @ SessionError::Unreachable(_)) => Err(e),
            Err(e) => {
                self.host
                    .report(&format!("commit {} in {conv} not voided: {e}", m.seq));
                Ok(false)
            }
        }
    }

    /// Whether the message this device stopped at (waiting to be added again) was voided
    /// meanwhile; if so the device goes on. If it may still be voided, this device tries.
    async fn resume_if_voided(&mut self, conv: ConversationId) -> Result<bool> {
        let Some(state) = self.core.conversation(conv) else {
            return Ok(false);
        };
        let after = state.cursor;
        let page: MessagePage = self
            .get(&format!(
                "/conversations/{conv}/messages?after={after}&limit=1"
            ))
            .await?;
        let Some(next) = page.messages.first() else {
            return Ok(false);
        };
        if next.voided {
            self.core.resume(conv);
            self.persist().await?;
            return Ok(true);
        }
        // Still standing: try to void it (the first try may not have been answered).
        let next = next.clone();
        self.try_void(&next).await
    }

    /// Tells the delivery service that this device could not process a change and asks to be
    /// added again. Without an answer the request is made again at the next sync.
    async fn ask_to_rejoin(&mut self, conv: ConversationId) -> Result<()> {
        match call::<_, serde_json::Value>(
            &mut self.host,
            Method::Post,
            &format!("/conversations/{conv}/rejoin"),
            None,
        )
        .await
        {
            Ok(_) | Err(SessionError::Unreachable(_)) => Ok(()),
            // Asked too often: the next sync asks again.
            Err(e) if e.code() == Some(ErrorCode::RateLimited) => Ok(()),
            Err(e) if e.code() == Some(ErrorCode::NotFound) => {
                // No longer routed to: this device was removed meanwhile.
                self.core.forget(conv);
                self.persist().await
            }
            Err(e) => Err(e),
        }
    }

    /// The person tries a stopped conversation again: this device asks to be added afresh,
    /// and a member's Welcome, checked like any other, lets it go on.
    pub async fn try_again(&mut self, conv: ConversationId) -> Result<()> {
        self.core.try_again(conv)?;
        self.persist().await?;
        self.ask_to_rejoin(conv).await
    }

    /// Renews devices that asked to be added again: one commit removes their leaves and adds
    /// them with fresh key packages.
    async fn renew(&mut self, conv: ConversationId, devices: &[DeviceId]) -> Result<Vec<Update>> {
        let server = self.conversation(conv).await?;
        let users: Vec<UserId> = server
            .members
            .iter()
            .filter(|m| m.devices.iter().any(|d| devices.contains(d)))
            .map(|m| m.user_id)
            .collect();
        let mut updates = Vec::new();
        for _ in 0..RETRIES {
            updates.extend(self.settle(conv).await?);
            self.learn(&users).await?;
            let claimed: ClaimedKeyPackages = self
                .post(
                    "/key-packages/claim",
                    &ClaimKeyPackages {
                        users: users.clone(),
                    },
                )
                .await?;
            let (body, refused) = self.core.renew(conv, devices, &claimed)?;
            for (device, why) in refused {
                self.host
                    .report(&format!("device {device} not renewed: {why}"));
            }
            let Some(body) = body else {
                return Ok(updates);
            };
            self.persist().await?;
            if let Some(u) = self.deliver_commit(conv, &body).await? {
                updates.extend(u);
                return Ok(updates);
            }
        }
        Err(SessionError::KeepsChanging)
    }

    // --- changing groups ------------------------------------------------------------------

    /// Sends a staged commit. `Some(updates)`: accepted and merged. `None`: refused as stale
    /// (cleared; catch up and make it again). A lost answer is retried with the same client
    /// message id; if the server stays unreachable the commit stays pending and is sent again
    /// (or found in the log) next time.
    async fn deliver_commit(
        &mut self,
        conv: ConversationId,
        body: &SendMessage,
    ) -> Result<Option<Vec<Update>>> {
        let mut lost = None;
        for attempt in 0..LOST_ANSWER_RETRIES {
            let result: Result<Sent> = self
                .post(&format!("/conversations/{conv}/messages"), body)
                .await;
            match result {
                Ok(sent) => {
                    let updates = self.core.on_sent(conv, body.client_msg_id, Ok(&sent))?;
                    self.persist().await?;
                    return Ok(Some(updates));
                }
                Err(SessionError::Api(e)) => {
                    let code = e.error.code;
                    self.core.on_sent(conv, body.client_msg_id, Err(code))?;
                    self.persist().await?;
                    return if code == ErrorCode::StaleEpoch {
                        Ok(None)
                    } else {
                        Err(SessionError::Api(e))
                    };
                }
                Err(e) => {
                    lost = Some(e);
                    self.host.sleep(200 * (attempt + 1)).await;
                }
            }
        }
        Err(lost.unwrap_or_else(|| SessionError::Unreachable("no answer".into())))
    }

    /// Catches up and settles a commit of this device whose answer was lost.
    async fn settle(&mut self, conv: ConversationId) -> Result<Vec<Update>> {
        let mut updates = self.catch_up(conv).await?;
        if let Some(body) = self.core.unanswered_commit(conv) {
            if let Some(u) = self.deliver_commit(conv, &body).await? {
                updates.extend(u);
            }
            updates.extend(self.catch_up(conv).await?);
        }
        Ok(updates)
    }

    /// Makes a commit with `make` and sends it; on `stale_epoch` clears it, catches up and
    /// makes it again.
    async fn commit(
        &mut self,
        conv: ConversationId,
        mut make: impl FnMut(&mut Client) -> Result<Option<SendMessage>, ClientError>,
    ) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        for _ in 0..RETRIES {
            updates.extend(self.settle(conv).await?);
            let Some(body) = make(&mut self.core)? else {
                return Ok(updates);
            };
            self.persist().await?;
            if let Some(u) = self.deliver_commit(conv, &body).await? {
                updates.extend(u);
                return Ok(updates);
            }
        }
        Err(SessionError::KeepsChanging)
    }

    /// Adds people (all their devices) to a conversation.
    pub async fn add_people(
        &mut self,
        conv: ConversationId,
        users: &[UserId],
    ) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        for _ in 0..RETRIES {
            updates.extend(self.settle(conv).await?);
            self.learn(users).await?;
            let claimed: ClaimedKeyPackages = self
                .post(
                    "/key-packages/claim",
                    &ClaimKeyPackages {
                        users: users.to_vec(),
                    },
                )
                .await?;
            let (body, refused) = self.core.add(conv, users, &claimed)?;
            for (device, why) in refused {
                self.host
                    .report(&format!("device {device} not added: {why}"));
            }
            let Some(body) = body else {
                return Ok(updates);
            };
            self.persist().await?;
            if let Some(u) = self.deliver_commit(conv, &body).await? {
                updates.extend(u);
                // The new devices cannot read what came before: tell them the name. Best
                // effort: the devices are in, and a channel's readers may not write.
                let name = self.core.conversation(conv).and_then(|c| c.name.clone());
                if name.is_some() {
                    Box::pin(self.tell(conv, SystemNote::State { name })).await;
                }
                return Ok(updates);
            }
        }
        Err(SessionError::KeepsChanging)
    }

    /// Creates a conversation with these people and, for groups and channels, a name.
    pub async fn create(
        &mut self,
        kind: ConversationKind,
        name: Option<&str>,
        people: &[UserId],
    ) -> Result<ConversationId> {
        self.require_linked()?;
        let body = self.core.create_conversation(kind)?;
        self.persist().await?;
        let _: Conversation = self.post("/conversations", &body).await?;
        let me = self.core.user();
        let mut invite: Vec<UserId> = people
            .iter()
            .copied()
            .filter(|u| *u != me)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        // The person's own other devices join too.
        invite.push(me);
        self.add_people(body.id, &invite).await?;
        if let Some(name) = name {
            self.send(
                body.id,
                &Payload::System {
                    note: SystemNote::Renamed {
                        name: name.to_owned(),
                    },
                },
            )
            .await?;
        }
        Ok(body.id)
    }

    /// Leaves a conversation: all of this person's devices.
    pub async fn leave(&mut self, conv: ConversationId) -> Result<()> {
        self.catch_up(conv).await?;
        let server = self.conversation(conv).await?;
        let me = self.core.user();
        let mine: Vec<DeviceId> = server
            .members
            .iter()
            .filter(|m| m.user_id == me)
            .flat_map(|m| m.devices.clone())
            .collect();
        let body = self.core.leave(conv, &mine)?;
        self.persist().await?;
        let _: Sent = self
            .post(&format!("/conversations/{conv}/messages"), &body)
            .await?;
        self.core.forget(conv);
        self.persist().await
    }

    /// Removes people (all their devices) from a conversation.
    pub async fn remove_people(
        &mut self,
        conv: ConversationId,
        users: &[UserId],
    ) -> Result<Vec<Update>> {
        let server = self.conversation(conv).await?;
        let devices: Vec<DeviceId> = server
            .members
            .iter()
            .filter(|m| users.contains(&m.user_id))
            .flat_map(|m| m.devices.clone())
            .collect();
        self.commit(conv, |core| core.remove(conv, &devices)).await
    }

    /// Sets a person's role in a conversation (admins of it).
    pub async fn set_role(
        &mut self,
        conv: ConversationId,
        user: UserId,
        role: MemberRole,
    ) -> Result<()> {
        let _: serde_json::Value = self
            .put(
                &format!("/conversations/{conv}/members/{user}"),
                &SetMemberRole { role },
            )
            .await?;
        Ok(())
    }

    // --- sending --------------------------------------------------------------------------

    /// Encrypts and sends a payload; returns where the delivery service stored it. What waits
    /// in this conversation's outbox goes first, so messages keep the order they were written
    /// in. When the server cannot be reached the message stays in the outbox
    /// ([`SessionError::Unreachable`]) and goes out with the next [`Session::sync`].
    pub async fn send(&mut self, conv: ConversationId, payload: &Payload) -> Result<Sent> {
        self.require_linked()?;
        if self.core.conversation(conv).is_none() {
            self.accept_welcomes().await?;
        }
        let body = self.core.encrypt(conv, payload, self.host.now_ms())?;
        self.persist().await?;
        self.flush_outbox_except(Some(conv), Some(body.client_msg_id))
            .await?;
        self.deliver(conv, body).await
    }

    /// Sends a text in the markdown subset; its mentions (`@[Name](person-id)`) are read
    /// from it.
    pub async fn send_text(
        &mut self,
        conv: ConversationId,
        text: String,
        reply_to: Option<ClientMsgId>,
    ) -> Result<Sent> {
        let mentions = crate::markdown::mentions(&text);
        self.send(
            conv,
            &Payload::Text {
                text,
                mentions,
                reply_to,
            },
        )
        .await
    }

    /// Edits one of this person's texts (mentions read from the new text).
    pub async fn edit_text(
        &mut self,
        conv: ConversationId,
        target: ClientMsgId,
        text: String,
    ) -> Result<Sent> {
        let mentions = crate::markdown::mentions(&text);
        self.send(
            conv,
            &Payload::Edit {
                target,
                text,
                mentions,
            },
        )
        .await
    }

    /// Adds people and says so in the conversation. The note is best effort: the people are
    /// in once the commit is accepted.
    pub async fn add_people_and_tell(
        &mut self,
        conv: ConversationId,
        users: &[UserId],
    ) -> Result<Vec<Update>> {
        let mut updates = self.add_people(conv, users).await?;
        self.tell(
            conv,
            SystemNote::Added {
                users: users.to_vec(),
            },
        )
        .await;
        updates.push(Update::Members(conv));
        Ok(updates)
    }

    /// Removes people and says so in the conversation (the note is best effort).
    pub async fn remove_people_and_tell(
        &mut self,
        conv: ConversationId,
        users: &[UserId],
    ) -> Result<Vec<Update>> {
        let mut updates = self.remove_people(conv, users).await?;
        self.tell(
            conv,
            SystemNote::Removed {
                users: users.to_vec(),
            },
        )
        .await;
        updates.push(Update::Members(conv));
        Ok(updates)
    }

    async fn tell(&mut self, conv: ConversationId, note: SystemNote) {
        if let Err(e) = self.send(conv, &Payload::System { note }).await {
            self.host.report(&format!("note in {conv} not sent: {e}"));
        }
    }

    /// Sends one encrypted message. A `stale_epoch` answer means a commit came first: catch
    /// up and send the same message (same client message id) again. A refusal for good (no
    /// longer a member, not allowed to write) takes it out of the outbox.
    async fn deliver(&mut self, conv: ConversationId, mut body: SendMessage) -> Result<Sent> {
        let id = body.client_msg_id;
        for _ in 0..RETRIES {
            let result: Result<Sent> = self
                .post(&format!("/conversations/{conv}/messages"), &body)
                .await;
            match result {
                Ok(sent) => {
                    self.core.on_sent(conv, id, Ok(&sent))?;
                    self.persist().await?;
                    return Ok(sent);
                }
                Err(e) if e.code() == Some(ErrorCode::StaleEpoch) => {
                    self.catch_up(conv).await?;
                    if !self.core.in_outbox(id) {
                        // Catching up found it in the log: an earlier try got through.
                        let seq = self.core.seq_of(conv, id).ok_or_else(|| {
                            SessionError::Unexpected("a sent message has no place".into())
                        })?;
                        let epoch = self.core.epoch(conv)?;
                        return Ok(Sent {
                            seq,
                            epoch,
                            duplicate: true,
                        });
                    }
                    body = self.core.reencrypt(conv, id)?;
                    self.persist().await?;
                }
                Err(e @ SessionError::Api(_)) => {
                    let code = e.code();
                    let retry_later = matches!(
                        code,
                        Some(
                            ErrorCode::RateLimited
                                | ErrorCode::QuotaExceeded
                                | ErrorCode::Unavailable
                                | ErrorCode::Internal
                                // Kept until this device is added again, then encrypted anew.
                                | ErrorCode::RejoinPending
                        )
                    );
                    if !retry_later {
                        self.core.discard(id);
                        self.persist().await?;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(SessionError::KeepsChanging)
    }

    /// Sends what waits in the outbox (of one conversation, or of all), oldest first. Stops
    /// at the first message whose answer does not come: the server is still out of reach.
    pub async fn flush_outbox(&mut self, only: Option<ConversationId>) -> Result<Vec<Update>> {
        self.flush_outbox_except(only, None).await
    }

    async fn flush_outbox_except(
        &mut self,
        only: Option<ConversationId>,
        except: Option<ClientMsgId>,
    ) -> Result<Vec<Update>> {
        let mut waiting: Vec<(i64, ConversationId, ClientMsgId)> = self
            .core
            .outbox()
            .filter(|e| only.is_none_or(|c| c == e.conversation_id))
            .filter(|e| Some(e.client_msg_id) != except)
            .map(|e| (e.sent_at, e.conversation_id, e.client_msg_id))
            .collect();
        waiting.sort();
        let mut updates = Vec::new();
        // A conversation whose message stays queued sends nothing after it: order is kept.
        let mut held: BTreeSet<ConversationId> = BTreeSet::new();
        for (_, conv, id) in waiting {
            if !self.core.in_outbox(id) || held.contains(&conv) {
                continue;
            }
            let body = match self.core.reencrypt(conv, id) {
                Ok(b) => b,
                Err(ClientError::Rejoining) => {
                    // It goes once a member has added this device again.
                    held.insert(conv);
                    continue;
                }
                Err(e) => {
                    // The conversation is gone or stopped on this device: it cannot be sent.
                    self.host
                        .report(&format!("queued message in {conv} dropped: {e}"));
                    self.core.discard(id);
                    self.persist().await?;
                    continue;
                }
            };
            self.persist().await?;
            match self.deliver(conv, body).await {
                Ok(sent) => updates.push(Update::Message(conv, sent.seq)),
                Err(e @ SessionError::Unreachable(_)) => return Err(e),
                Err(e) => {
                    if self.core.in_outbox(id) {
                        held.insert(conv);
                    }
                    self.host
                        .report(&format!("queued message in {conv} not sent: {e}"));
                }
            }
        }
        Ok(updates)
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
