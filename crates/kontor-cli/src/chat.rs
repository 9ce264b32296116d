//! The host around the client core for the command line, bots and tests: it carries bytes
//! between [`kontor_client::Client`] and the server, and commits the core's changes to the
//! device's SQLite store before anything is sent.
//!
//! Each device keeps its state in `$KONTOR_HOME/devices/<device id>.sqlite`.

use crate::profile::{self, SavedSession};
use crate::{CliError, Client as Api};
use kontor_client::store::SqliteStore;
use kontor_client::{Client as Core, ClientError, KvStore, Update};
use kontor_proto::api::Me;
use kontor_proto::conversation::{
    Conversation, ConversationKind, Conversations, MessagePage, PendingWelcomes, SendMessage, Sent,
};
use kontor_proto::identity::{
    ClaimKeyPackages, ClaimedKeyPackages, IdentityBundles, KeyPackageStock, LinkRequest,
    LinkRequests, LinkStatus, OrgKey, RecoveryBackup,
};
use kontor_proto::payload::{Payload, SystemNote};
use kontor_proto::{ConversationId, DeviceId, ErrorCode, UserId};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Key packages a device keeps on the server; topped up below half.
const STOCK: u32 = 50;
/// How often a change is retried after `stale_epoch`.
const RETRIES: usize = 20;

/// A logged-in device with its client core.
pub struct Session {
    pub api: Api,
    pub saved: SavedSession,
    pub core: Core,
    store: SqliteStore,
    /// Set when this run made the person's identity: the recovery key, shown once.
    pub new_recovery_key: Option<String>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("core", &self.core).finish()
    }
}

fn core_err(e: ClientError) -> CliError {
    let exit_code = match e {
        ClientError::UntrustedDevice { .. }
        | ClientError::IdentityChanged(_)
        | ClientError::BadSignature(_)
        | ClientError::Blocked(_) => crate::exit::CONFLICT,
        ClientError::UnknownConversation | ClientError::NotAMember => crate::exit::NOT_FOUND,
        ClientError::BadRecoveryKey | ClientError::Invalid(_) => crate::exit::INVALID,
        ClientError::NoIdentity => crate::exit::USAGE,
        _ => crate::exit::FAILURE,
    };
    CliError {
        exit_code,
        message: e.to_string(),
        body: None,
    }
}

fn code_of(e: &CliError) -> Option<ErrorCode> {
    e.body.as_ref().map(|b| b.error.code)
}

fn state_path(home: Option<&PathBuf>, device: &str) -> PathBuf {
    profile::home(home)
        .join("devices")
        .join(format!("{device}.sqlite"))
}

impl Session {
    /// Opens the device of the saved session, setting it up on first use: pins the
    /// organisation key, makes the person's identity on their first device (the recovery key
    /// is in `new_recovery_key`), and keeps key packages in stock.
    pub async fn open(home: Option<&PathBuf>) -> Result<Session, CliError> {
        let saved = profile::load(home)?;
        let api = Api::new(&saved.server, Some(saved.token.clone()));
        let path = state_path(home, &saved.device_id);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(CliError::other)?;
        }
        let store = SqliteStore::open(&path).map_err(CliError::other)?;
        let entries = store.load().map_err(CliError::other)?;
        let fresh = entries.is_empty();
        let core = if fresh {
            let me: Me = api.get("/me").await?;
            Core::new_device(me.org.id, me.person.id, me.device.id).map_err(core_err)?
        } else {
            Core::restore(entries).map_err(core_err)?
        };
        let mut s = Session {
            api,
            saved,
            core,
            store,
            new_recovery_key: None,
        };
        if fresh {
            let key: OrgKey = s.api.get("/identity/org-key").await?;
            s.core.pin_org_key(&key).map_err(core_err)?;
            s.persist()?;
        }
        if !s.core.has_identity() {
            let me = s.core.user();
            s.learn(&[me]).await?;
            let has_identity = s.core.trust().people.contains_key(&me);
            if !has_identity {
                let (publish, recovery) = s.core.create_identity().map_err(core_err)?;
                s.persist()?;
                let _: serde_json::Value = s.api.put("/identity", &publish).await?;
                s.new_recovery_key = Some(recovery.display());
            }
        }
        s.top_up().await?;
        Ok(s)
    }

    /// Writes the core's changes in one transaction.
    pub fn persist(&mut self) -> Result<(), CliError> {
        let changes = self.core.take_changes();
        self.store.commit(&changes).map_err(CliError::other)
    }

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

    fn require_linked(&self) -> Result<(), CliError> {
        if self.is_linked() {
            Ok(())
        } else {
            Err(CliError::usage(
                "this device is not linked yet: run `kontor device link` (and approve it on another device) or `kontor device link --recovery-key …` / dieses Gerät ist noch nicht verknüpft",
            ))
        }
    }

    /// Keeps one-time key packages in stock and a last-resort one on the server.
    pub async fn top_up(&mut self) -> Result<(), CliError> {
        if !self.is_linked() {
            return Ok(());
        }
        self.upload_key_packages().await
    }

    async fn upload_key_packages(&mut self) -> Result<(), CliError> {
        let stock: KeyPackageStock = self.api.get("/key-packages/stock").await?;
        if stock.one_time >= STOCK / 2 && stock.has_last_resort {
            return Ok(());
        }
        let n = STOCK.saturating_sub(stock.one_time) as usize;
        let upload = self
            .core
            .key_packages(n, !stock.has_last_resort)
            .map_err(core_err)?;
        self.persist()?;
        let _: KeyPackageStock = self.api.post("/key-packages", &upload).await?;
        Ok(())
    }

    /// Fetches and verifies the identity bundles of these people.
    pub async fn learn(&mut self, users: &[UserId]) -> Result<(), CliError> {
        for chunk in users.chunks(200) {
            if chunk.is_empty() {
                continue;
            }
            let ids = chunk
                .iter()
                .map(|u| u.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let b: IdentityBundles = self
                .api
                .get_query("/identity/users", &[("ids", ids)])
                .await?;
            self.core.learn(&b.bundles).map_err(core_err)?;
        }
        self.persist()
    }

    /// The server's view of a conversation.
    pub async fn conversation(&self, conv: ConversationId) -> Result<Conversation, CliError> {
        self.api.get(&format!("/conversations/{conv}")).await
    }

    /// Joins the conversations whose Welcomes wait for this device.
    pub async fn accept_welcomes(&mut self) -> Result<Vec<Update>, CliError> {
        let mut updates = Vec::new();
        let pending: PendingWelcomes = self.api.get("/welcomes").await?;
        for w in pending.welcomes {
            let conv = self.conversation(w.conversation_id).await?;
            let users: Vec<UserId> = conv.members.iter().map(|m| m.user_id).collect();
            self.learn(&users).await?;
            let mut result = self.core.join(&w);
            if let Err(ClientError::NeedIdentities(more)) = &result {
                let more = more.clone();
                self.learn(&more).await?;
                result = self.core.join(&w);
            }
            match result {
                Ok(u) => updates.extend(u),
                Err(e) => {
                    eprintln!("Welcome {} refused: {e}", w.conversation_id);
                }
            }
            self.persist()?;
            self.api
                .delete(&format!("/welcomes/{}", w.conversation_id))
                .await?;
        }
        Ok(updates)
    }

    /// Processes everything new in one conversation.
    pub async fn catch_up(&mut self, conv: ConversationId) -> Result<Vec<Update>, CliError> {
        let mut updates = Vec::new();
        loop {
            let Some(state) = self.core.conversation(conv) else {
                return Ok(updates);
            };
            if state.blocked.is_some() || state.removed {
                return Ok(updates);
            }
            let after = state.cursor;
            let page: MessagePage = match self
                .api
                .get_query(
                    &format!("/conversations/{conv}/messages"),
                    &[("after", after.to_string()), ("limit", "500".into())],
                )
                .await
            {
                Ok(p) => p,
                Err(e) if code_of(&e) == Some(ErrorCode::NotFound) => {
                    // The server no longer routes to this device: it was removed.
                    self.core.forget(conv);
                    self.persist()?;
                    updates.push(Update::Removed(conv));
                    return Ok(updates);
                }
                Err(e) => return Err(e),
            };
            if page.messages.is_empty() {
                return Ok(updates);
            }
            let before = after;
            for m in &page.messages {
                if !self.core.unknown([m.sender_user]).is_empty() {
                    self.learn(&[m.sender_user]).await?;
                }
                let mut result = self.core.receive(m);
                if let Err(ClientError::NeedIdentities(users)) = &result {
                    let users = users.clone();
                    // A refused bundle (an identity key that changed) is reported; the
                    // message is then judged on what this device already trusts.
                    if let Err(e) = self.learn(&users).await {
                        eprintln!("identity check: {}", e.message);
                    }
                    result = self.core.receive(m);
                }
                match result {
                    Ok(u) => updates.extend(u),
                    Err(ClientError::Gap { .. }) => break,
                    Err(ClientError::NotAMember) => {
                        self.persist()?;
                        return Ok(updates);
                    }
                    Err(ClientError::Mls(e)) => {
                        eprintln!("message {} in {conv} skipped: {e}", m.seq);
                    }
                    Err(ClientError::Blocked(why)) => {
                        eprintln!("conversation {conv} stopped: {why}");
                        self.persist()?;
                        return Ok(updates);
                    }
                    Err(e) => {
                        self.persist()?;
                        return Err(core_err(e));
                    }
                }
            }
            self.persist()?;
            let now = self.core.conversation(conv).map_or(before, |c| c.cursor);
            if now == before {
                // The server does not have what comes next for this device (e.g. it was
                // removed and added again without its Welcome reaching this device).
                return Err(CliError::other(format!(
                    "conversation {conv}: messages after {before} are missing; waiting for a Welcome"
                )));
            }
        }
    }

    /// Joins waiting conversations, catches up on all, and does what members must do: commit
    /// pending removals, add members' newly linked devices, drop revoked ones.
    pub async fn sync(&mut self) -> Result<Vec<Update>, CliError> {
        self.require_linked()?;
        let mut updates = self.accept_welcomes().await?;
        let list: Conversations = self.api.get("/conversations").await?;
        // Everybody's newest device lists, fetched once for all conversations: the member
        // duties below compare them with the groups.
        let people: BTreeSet<UserId> = list
            .conversations
            .iter()
            .flat_map(|c| c.members.iter().map(|m| m.user_id))
            .collect();
        self.learn(&people.into_iter().collect::<Vec<_>>()).await?;
        for conv in &list.conversations {
            if self.core.conversation(conv.id).is_none() {
                continue;
            }
            updates.extend(self.catch_up(conv.id).await?);
            updates.extend(self.maintain(conv).await?);
        }
        self.top_up().await?;
        Ok(updates)
    }

    /// The member duties for one conversation (its members' bundles are fresh).
    async fn maintain(&mut self, conv: &Conversation) -> Result<Vec<Update>, CliError> {
        let mut updates = Vec::new();
        let usable = self
            .core
            .conversation(conv.id)
            .is_some_and(|c| c.blocked.is_none() && !c.removed);
        if !usable {
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
        let stale = self.core.stale_devices(conv.id).map_err(core_err)?;
        if !stale.is_empty() {
            updates.extend(
                self.commit(conv.id, |core| core.remove(conv.id, &stale))
                    .await?,
            );
        }
        let missing = self.core.missing_devices(conv.id).map_err(core_err)?;
        if !missing.is_empty() {
            updates.extend(self.add_people(conv.id, &missing).await?);
        }
        Ok(updates)
    }

    /// Sends a staged commit. `Some(updates)`: accepted and merged. `None`: refused as stale
    /// (cleared; catch up and make it again). A lost answer is retried with the same client
    /// message id; if the server stays unreachable the commit stays pending and is sent again
    /// (or found in the log) next time.
    async fn deliver_commit(
        &mut self,
        conv: ConversationId,
        body: &SendMessage,
    ) -> Result<Option<Vec<Update>>, CliError> {
        let mut lost = None;
        for attempt in 0..3u64 {
            let result: Result<Sent, CliError> = self
                .api
                .post(&format!("/conversations/{conv}/messages"), body)
                .await;
            match result {
                Ok(sent) => {
                    let updates = self
                        .core
                        .on_sent(conv, body.client_msg_id, Ok(&sent))
                        .map_err(core_err)?;
                    self.persist()?;
                    return Ok(Some(updates));
                }
                Err(e) if e.body.is_some() => {
                    let code = code_of(&e).unwrap_or(ErrorCode::Internal);
                    self.core
                        .on_sent(conv, body.client_msg_id, Err(code))
                        .map_err(core_err)?;
                    self.persist()?;
                    return if code == ErrorCode::StaleEpoch {
                        Ok(None)
                    } else {
                        Err(e)
                    };
                }
                Err(e) => {
                    lost = Some(e);
                    tokio::time::sleep(std::time::Duration::from_millis(200 * (attempt + 1))).await;
                }
            }
        }
        Err(lost.unwrap_or_else(|| CliError::other("no answer")))
    }

    /// Catches up and settles a commit of this device whose answer was lost.
    async fn settle(&mut self, conv: ConversationId) -> Result<Vec<Update>, CliError> {
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
        mut make: impl FnMut(&mut Core) -> Result<Option<SendMessage>, ClientError>,
    ) -> Result<Vec<Update>, CliError> {
        let mut updates = Vec::new();
        for _ in 0..RETRIES {
            updates.extend(self.settle(conv).await?);
            let Some(body) = make(&mut self.core).map_err(core_err)? else {
                return Ok(updates);
            };
            self.persist()?;
            if let Some(u) = self.deliver_commit(conv, &body).await? {
                updates.extend(u);
                return Ok(updates);
            }
        }
        Err(CliError::other(
            "the conversation keeps changing; try again",
        ))
    }

    /// Adds people (all their devices) to a conversation.
    pub async fn add_people(
        &mut self,
        conv: ConversationId,
        users: &[UserId],
    ) -> Result<Vec<Update>, CliError> {
        let mut updates = Vec::new();
        for _ in 0..RETRIES {
            updates.extend(self.settle(conv).await?);
            self.learn(users).await?;
            let claimed: ClaimedKeyPackages = self
                .api
                .post(
                    "/key-packages/claim",
                    &ClaimKeyPackages {
                        users: users.to_vec(),
                    },
                )
                .await?;
            let (body, refused) = self.core.add(conv, users, &claimed).map_err(core_err)?;
            for (device, why) in refused {
                eprintln!("device {device} not added: {why}");
            }
            let Some(body) = body else {
                return Ok(updates);
            };
            self.persist()?;
            if let Some(u) = self.deliver_commit(conv, &body).await? {
                updates.extend(u);
                // The new devices cannot read what came before: tell them the name.
                let name = self.core.conversation(conv).and_then(|c| c.name.clone());
                if name.is_some() {
                    Box::pin(self.send(
                        conv,
                        &Payload::System {
                            note: SystemNote::State { name },
                        },
                        now_ms(),
                    ))
                    .await?;
                }
                return Ok(updates);
            }
        }
        Err(CliError::other(
            "the conversation keeps changing; try again",
        ))
    }

    /// Creates a conversation with these people and, for groups and channels, a name.
    pub async fn create(
        &mut self,
        kind: ConversationKind,
        name: Option<&str>,
        people: &[UserId],
    ) -> Result<ConversationId, CliError> {
        self.require_linked()?;
        let body = self.core.create_conversation(kind).map_err(core_err)?;
        self.persist()?;
        let _: Conversation = self.api.post("/conversations", &body).await?;
        let others: Vec<UserId> = people
            .iter()
            .copied()
            .filter(|u| *u != self.core.user())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut invite = others.clone();
        // The person's own other devices join too.
        invite.push(self.core.user());
        self.add_people(body.id, &invite).await?;
        if let Some(name) = name {
            self.send(
                body.id,
                &Payload::System {
                    note: SystemNote::Renamed {
                        name: name.to_owned(),
                    },
                },
                now_ms(),
            )
            .await?;
        }
        Ok(body.id)
    }

    /// Encrypts and sends a payload; returns its sequence number. A `stale_epoch` answer
    /// means a commit came first: catch up and send the same message (same client message id)
    /// again.
    pub async fn send(
        &mut self,
        conv: ConversationId,
        payload: &Payload,
        now_ms: i64,
    ) -> Result<Sent, CliError> {
        self.require_linked()?;
        if self.core.conversation(conv).is_none() {
            self.accept_welcomes().await?;
        }
        let mut body = self.core.encrypt(conv, payload, now_ms).map_err(core_err)?;
        for _ in 0..RETRIES {
            self.persist()?;
            let result: Result<Sent, CliError> = self
                .api
                .post(&format!("/conversations/{conv}/messages"), &body)
                .await;
            match result {
                Ok(sent) => {
                    self.core
                        .on_sent(conv, body.client_msg_id, Ok(&sent))
                        .map_err(core_err)?;
                    self.persist()?;
                    return Ok(sent);
                }
                Err(e) if code_of(&e) == Some(ErrorCode::StaleEpoch) => {
                    self.catch_up(conv).await?;
                    body = self
                        .core
                        .reencrypt(conv, body.client_msg_id)
                        .map_err(core_err)?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(CliError::other(
            "the conversation keeps changing; try again",
        ))
    }

    /// Leaves a conversation: all of this person's devices.
    pub async fn leave(&mut self, conv: ConversationId) -> Result<(), CliError> {
        self.catch_up(conv).await?;
        let server = self.conversation(conv).await?;
        let mine: Vec<DeviceId> = server
            .members
            .iter()
            .filter(|m| m.user_id == self.core.user())
            .flat_map(|m| m.devices.clone())
            .collect();
        let body = self.core.leave(conv, &mine).map_err(core_err)?;
        self.persist()?;
        let _: Sent = self
            .api
            .post(&format!("/conversations/{conv}/messages"), &body)
            .await?;
        self.core.forget(conv);
        self.persist()
    }

    /// Removes people (all their devices) from a conversation.
    pub async fn remove_people(
        &mut self,
        conv: ConversationId,
        users: &[UserId],
    ) -> Result<Vec<Update>, CliError> {
        let server = self.conversation(conv).await?;
        let devices: Vec<DeviceId> = server
            .members
            .iter()
            .filter(|m| users.contains(&m.user_id))
            .flat_map(|m| m.devices.clone())
            .collect();
        self.commit(conv, |core| core.remove(conv, &devices)).await
    }

    /// After a device of this person was revoked: signs and publishes a device list without
    /// it (on devices that hold the identity key), so members drop it from every group.
    pub async fn drop_device(&mut self, device: DeviceId) -> Result<bool, CliError> {
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
        let publish = self.core.drop_device(device).map_err(core_err)?;
        self.persist()?;
        let _: serde_json::Value = self.api.put("/identity", &publish).await?;
        self.learn(&[me]).await?;
        Ok(true)
    }

    /// Links this new device with the recovery key.
    pub async fn link_with_recovery_key(&mut self, key: &str) -> Result<(), CliError> {
        let recovery = kontor_client::RecoveryKey::parse(key).map_err(core_err)?;
        let backup: RecoveryBackup = self.api.get("/identity/recovery-backup").await?;
        let me = self.core.user();
        let b: IdentityBundles = self
            .api
            .get_query("/identity/users", &[("ids", me.to_string())])
            .await?;
        let current = b
            .bundles
            .into_iter()
            .next()
            .ok_or_else(|| CliError::other("no identity published yet"))?;
        let publish = self
            .core
            .link_with_recovery_key(&recovery, backup.sealed.as_slice(), &current)
            .map_err(core_err)?;
        self.persist()?;
        let _: serde_json::Value = self.api.put("/identity", &publish).await?;
        self.learn(&[me]).await?;
        self.top_up().await
    }

    /// Asks to be linked: returns the code to compare on the other device.
    pub async fn request_link(&mut self) -> Result<(LinkRequest, String), CliError> {
        let (body, code) = self.core.start_link().map_err(core_err)?;
        self.persist()?;
        // Key packages first, so that the approving device can add this one to the person's
        // conversations right away (others check them against the signed list anyway).
        self.upload_key_packages().await?;
        let req: LinkRequest = self.api.post("/identity/link-requests", &body).await?;
        Ok((req, code))
    }

    /// Checks whether the link request was approved; finishes linking if so.
    pub async fn poll_link(&mut self) -> Result<bool, CliError> {
        let list: LinkRequests = self.api.get("/identity/link-requests").await?;
        let mine = list
            .requests
            .into_iter()
            .find(|r| r.keys.device_id == self.core.device() && r.status == LinkStatus::Approved);
        let Some(sealed) = mine.and_then(|r| r.sealed) else {
            return Ok(false);
        };
        self.core.finish_link(sealed.as_slice()).map_err(core_err)?;
        self.persist()?;
        let me = self.core.user();
        self.learn(&[me]).await?;
        self.top_up().await?;
        Ok(true)
    }

    /// Pending link requests of other devices of this person, with their codes.
    pub async fn link_requests(&self) -> Result<Vec<(LinkRequest, String)>, CliError> {
        let list: LinkRequests = self.api.get("/identity/link-requests").await?;
        Ok(list
            .requests
            .into_iter()
            .filter(|r| r.status == LinkStatus::Pending && r.keys.device_id != self.core.device())
            .map(|r| {
                let code = Core::link_code_of(&r);
                (r, code)
            })
            .collect())
    }

    /// Approves a link request after the person typed the code the new device shows, then
    /// adds the new device to this person's conversations.
    pub async fn approve(&mut self, request: &LinkRequest, code: &str) -> Result<(), CliError> {
        let me = self.core.user();
        self.learn(&[me]).await?;
        let body = self.core.approve_link(request, code).map_err(core_err)?;
        self.persist()?;
        let _: serde_json::Value = self
            .api
            .post(
                &format!("/identity/link-requests/{}/approve", request.id),
                &body,
            )
            .await?;
        self.learn(&[me]).await?;
        self.sync().await?;
        Ok(())
    }
}

/// Milliseconds since the Unix epoch (the host's clock; the core never reads one).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
