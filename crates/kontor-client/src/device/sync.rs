//! Catching up: Welcomes accepted, each conversation's log fetched and processed in order,
//! pushed frames taken in, and the upkeep a sync owes each conversation (removals committed,
//! devices renewed, voids and rejoins when a commit cannot be processed).

use super::*;

impl<H: Host> Device<H> {
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
            let users: Vec<PersonId> = conv.members.iter().map(|m| m.person_id).collect();
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
                return Err(DeviceError::Missing(conv, after));
            }
        }
    }

    /// Processes one stored message (fetching identities the core asks for).
    pub(super) async fn process(&mut self, m: &StoredMessage) -> Result<Processed> {
        let conv = m.conversation_id;
        if !self.core.unknown([m.sender_person]).is_empty() {
            self.learn(&[m.sender_person]).await?;
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
            Err(e @ DeviceError::Unreachable(_)) => return Err(e),
            Err(e) => self.host.report(&format!("Welcomes: {e}")),
        }
        let list: Conversations = self.get("/conversations").await?;
        // Everybody's newest device lists, fetched once for all conversations: the member
        // duties below compare them with the groups.
        let people: BTreeSet<PersonId> = list
            .conversations
            .iter()
            .flat_map(|c| c.members.iter().map(|m| m.person_id))
            .collect();
        match self
            .learn_or_report(&people.into_iter().collect::<Vec<_>>())
            .await
        {
            Ok(()) => {}
            Err(e @ DeviceError::Unreachable(_)) => return Err(e),
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
                Err(e @ DeviceError::Unreachable(_)) => return Err(e),
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
            Err(e @ DeviceError::Unreachable(_)) => return Err(e),
            Err(e) => self.host.report(&format!("key packages: {e}")),
        }
        Ok(updates)
    }

    /// [`Device::sync`] for one conversation whose members changed.
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
        let users: Vec<PersonId> = server.members.iter().map(|m| m.person_id).collect();
        self.learn_or_report(&users).await?;
        let mut updates = self.catch_up(conv).await?;
        updates.extend(self.maintain(&server).await?);
        updates.push(Update::Members(conv));
        updates.extend(self.flush_waiting(Some(conv)).await?);
        Ok(updates)
    }

    /// Sends what waits in the outbox, if anything does.
    pub(super) async fn flush_waiting(
        &mut self,
        only: Option<ConversationId>,
    ) -> Result<Vec<Update>> {
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
    pub(super) async fn maintain(&mut self, conv: &Conversation) -> Result<Vec<Update>> {
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
        if !conv.members.iter().any(|m| m.person_id == me && m.commits) {
            updates.extend(self.flush_waiting(Some(conv.id)).await?);
            return Ok(updates);
        }
        // The delivery service proposed removals (leavers, deprovisioned people): commit them.
        if self.core.has_pending_proposals(conv.id) {
            // Who goes with them, as of the attempt that was delivered (the last one): only the
            // member whose commit took them out tells the others.
            let mut leaving = Vec::new();
            updates.extend(
                self.commit(conv.id, |core| {
                    let who = core.losing_access(conv.id)?;
                    let body = core.commit_proposals(conv.id)?;
                    leaving = if body.is_some() { who } else { Vec::new() };
                    Ok(body)
                })
                .await?,
            );
            if !leaving.is_empty() {
                self.tell(
                    conv.id,
                    SystemNote::Removed {
                        users: leaving,
                        lost_access: true,
                    },
                )
                .await;
                updates.push(Update::Members(conv.id));
            }
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
    pub(super) fn note_unreachable(&mut self, conv: &Conversation, renewed: &[DeviceId]) {
        let my_device = self.core.device();
        let waiting =
            |d: &DeviceId| conv.rejoining.contains(d) && *d != my_device && !renewed.contains(d);
        let people = conv
            .members
            .iter()
            .filter(|m| m.devices.iter().any(waiting))
            .map(|m| m.person_id)
            .collect();
        self.core.set_unreachable(conv.id, people);
    }

    /// A commit of somebody else that this device could not process, in the epoch it is in:
    /// if this device may void it (a conversation admin's, or either side of a direct chat)
    /// and nobody but the committer wrote since, the delivery service voids it and this
    /// device goes on. Returns whether it did.
    pub(super) async fn try_void(&mut self, m: &StoredMessage) -> Result<bool> {
        let conv = m.conversation_id;
        if m.kind != MessageKind::Commit
            || m.sender_person == self.core.user()
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
                .any(|p| p.person_id == me && p.role == ConversationRole::Admin);
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
            Err(e @ DeviceError::Unreachable(_)) => Err(e),
            Err(e) => {
                self.host
                    .report(&format!("commit {} in {conv} not voided: {e}", m.seq));
                Ok(false)
            }
        }
    }

    /// Whether the message this device stopped at (waiting to be added again) was voided
    /// meanwhile; if so the device goes on. If it may still be voided, this device tries.
    pub(super) async fn resume_if_voided(&mut self, conv: ConversationId) -> Result<bool> {
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
    pub(super) async fn ask_to_rejoin(&mut self, conv: ConversationId) -> Result<()> {
        match call::<_, serde_json::Value>(
            &mut self.host,
            Method::Post,
            &format!("/conversations/{conv}/rejoin"),
            None,
        )
        .await
        {
            Ok(_) | Err(DeviceError::Unreachable(_)) => Ok(()),
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
    pub(super) async fn renew(
        &mut self,
        conv: ConversationId,
        devices: &[DeviceId],
    ) -> Result<Vec<Update>> {
        let server = self.conversation(conv).await?;
        let users: Vec<PersonId> = server
            .members
            .iter()
            .filter(|m| m.devices.iter().any(|d| devices.contains(d)))
            .map(|m| m.person_id)
            .collect();
        let mut updates = Vec::new();
        for _ in 0..RETRIES {
            updates.extend(self.settle(conv).await?);
            let claimed = self.claim_key_packages(&users).await?;
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
        Err(DeviceError::KeepsChanging)
    }
}
