//! Receiving: Welcomes joined, stored messages processed in order and judged against the
//! trust rules, own messages recognised, read markers, and the stops and rejoins when a
//! message cannot be processed.

use super::*;

impl Client {
    /// The person has seen the conversation up to `seq` on this device.
    pub fn mark_read(&mut self, conv: ConversationId, seq: u64) {
        if let Some(c) = self.convs.get_mut(&conv)
            && seq > c.read
        {
            c.read = seq;
            self.dirty.insert(conv_key(conv));
        }
    }

    /// How many messages of others that are shown in the timeline the person has not seen.
    pub fn unread(&self, conv: ConversationId) -> usize {
        let read = self.convs.get(&conv).map_or(0, |c| c.read);
        self.messages.get(&conv).map_or(0, |m| {
            m.range(read + 1..)
                .filter(|(_, m)| {
                    // Notes about the conversation (named, people added) are not news.
                    m.envelope.sender_person != self.me.user
                        && m.is_visible()
                        && !matches!(m.payload(), Payload::System { .. })
                })
                .count()
        })
    }

    pub(super) fn mark_own(&mut self, conv: ConversationId, seq: u64) {
        if let Some(c) = self.convs.get_mut(&conv) {
            if seq <= c.cursor {
                return;
            }
            if seq == c.cursor + 1 {
                c.cursor = seq;
                Self::drain_own(c);
            } else {
                c.own_seqs.push(seq);
            }
            self.dirty.insert(conv_key(conv));
        }
    }

    pub(super) fn drain_own(c: &mut ConversationState) {
        c.own_seqs.sort_unstable();
        while c.own_seqs.first().is_some_and(|s| *s <= c.cursor + 1) {
            let s = c.own_seqs.remove(0);
            c.cursor = c.cursor.max(s);
        }
    }

    pub(super) fn record(&mut self, conv: ConversationId, msg: ChatMessage) -> Vec<Update> {
        let seq = msg.seq;
        let map = self.messages.entry(conv).or_default();
        let mut updates = Vec::new();
        if let Some(target) = history::apply(map, &msg) {
            self.dirty.insert(msg_key(conv, target));
            updates.push(Update::Changed(conv, target));
        }
        let name = match msg.payload() {
            Payload::System {
                note: SystemNote::Renamed { name, .. },
            } => Some(Some(name)),
            Payload::System {
                note: SystemNote::State { name },
            } => Some(name),
            _ => None,
        };
        if let Some(name) = name
            && let Some(c) = self.convs.get_mut(&conv)
        {
            c.name = name;
            self.dirty.insert(conv_key(conv));
        }
        let own = msg.envelope.sender_person == self.me.user;
        map.insert(seq, msg);
        self.dirty.insert(msg_key(conv, seq));
        if own {
            // Writing in a conversation means having seen what came before.
            self.mark_read(conv, seq);
        }
        updates.push(Update::Message(conv, seq));
        updates
    }

    /// Joins a conversation from a Welcome. Every member in the group must be a device its
    /// person's signed list names; otherwise the Welcome is refused. Fetch the identities of the
    /// conversation's members first ([`ClientError::NeedIdentities`] says whose are missing;
    /// nothing is changed then, so call again after learning them).
    pub fn join(&mut self, welcome: &PendingWelcome) -> Result<Vec<Update>> {
        let msg = match mls::from_bytes(welcome.welcome.as_slice())? {
            MlsMessageBodyIn::Welcome(w) => w,
            _ => return Err(ClientError::Invalid("welcome")),
        };
        self.start_judging(welcome.conversation_id, welcome.seq);
        let before = self.provider.snapshot();
        let result = self.join_inner(welcome, msg);
        if let Err(e) = &result {
            // Staging a Welcome consumes the key package: undo it so a retry can work.
            self.provider = Provider::with_entries(before);
            let conv = welcome.conversation_id;
            self.groups.remove(&conv);
            // A device waiting to be added again is refused a group it cannot trust: the
            // conversation stops, as it would have on the commit that made it so.
            let waiting = self.convs.get(&conv).is_some_and(|c| c.rejoining);
            if let (
                true,
                ClientError::UntrustedDevice { user, .. } | ClientError::IdentityChanged(user),
            ) = (waiting, e)
            {
                let user = *user;
                let reason = if matches!(e, ClientError::IdentityChanged(_)) {
                    StopReason::IdentityChanged
                } else {
                    StopReason::UntrustedDevice
                };
                if let Some(c) = self.convs.get_mut(&conv) {
                    c.rejoining = false;
                }
                return Err(self.stop(conv, reason, Some(user)));
            }
        }
        result
    }

    pub(super) fn join_inner(
        &mut self,
        welcome: &PendingWelcome,
        msg: Welcome,
    ) -> Result<Vec<Update>> {
        // Added again after a removal (noticed or not): the old group state goes, and its
        // secrets with it. Only a member's Welcome, every device in it checked, replaces it
        // (and `join` restores everything if the Welcome is refused).
        {
            self.groups.remove(&welcome.conversation_id);
            let storage = openmls_traits::OpenMlsProvider::storage(&self.provider);
            if let Some(mut old) =
                MlsGroup::load(storage, &mls::group_id(welcome.conversation_id)).map_err(mls_err)?
            {
                old.delete(storage).map_err(mls_err)?;
            }
        }
        let staged =
            StagedWelcome::new_from_welcome(&self.provider, &mls::join_config(), msg, None)
                .map_err(mls_err)?;
        if mls::conversation_of(staged.group_context().group_id())? != welcome.conversation_id {
            return Err(ClientError::Invalid("welcome for another conversation"));
        }
        let mut unknown = Vec::new();
        let mut members = Vec::new();
        for m in staged.members() {
            let (u, d) = mls::parse_credential(&m.credential)?;
            if !self.trust.people.contains_key(&u) {
                unknown.push(u);
            }
            members.push((u, d, m.signature_key.clone()));
        }
        if !unknown.is_empty() {
            unknown.sort();
            unknown.dedup();
            return Err(ClientError::NeedIdentities(unknown));
        }
        for (u, d, key) in &members {
            self.judge_device(*u, *d, key)?;
        }
        let group = staged.into_group(&self.provider).map_err(mls_err)?;
        let conv = welcome.conversation_id;
        self.groups.insert(conv, group);
        let state = self
            .convs
            .entry(conv)
            .or_insert_with(|| ConversationState::new(conv, welcome.kind));
        state.cursor = welcome.seq;
        state.removed = false;
        state.stopped = None;
        state.rejoining = false;
        state.own_seqs.clear();
        self.dirty.insert(conv_key(conv));
        Ok(vec![Update::Members(conv)])
    }

    /// Processes the next stored message of a conversation. Messages must come in sequence
    /// order: one that is already processed is ignored; one after a gap is refused with
    /// [`ClientError::Gap`]. A commit that adds a device its person did not sign blocks the
    /// conversation on this device. When identities are missing, nothing changes and
    /// [`ClientError::NeedIdentities`] says whose to fetch.
    pub fn receive(&mut self, msg: &StoredMessage) -> Result<Vec<Update>> {
        let conv = msg.conversation_id;
        self.start_judging(conv, msg.seq);
        let state = self.usable(conv)?;
        if msg.seq <= state.cursor {
            return Ok(Vec::new());
        }
        if msg.seq != state.cursor + 1 {
            return Err(ClientError::Gap {
                expected: state.cursor + 1,
                got: msg.seq,
            });
        }
        if msg.voided {
            // Undone by the delivery service: a commit nobody else could process, and what
            // its committer sent after it. This device never took it, so it goes on.
            self.advance(conv, msg.seq);
            return Ok(Vec::new());
        }
        if state.own_seqs.contains(&msg.seq) {
            // Our own message, recorded when the server acknowledged it.
            self.advance(conv, msg.seq);
            return Ok(Vec::new());
        }
        if msg.sender_device == self.me.device {
            return self.own_message_back(msg);
        }
        if msg.kind == MessageKind::Commit {
            let before = self.provider.snapshot();
            let result = self.receive_inner(msg);
            if matches!(result, Err(ClientError::NeedIdentities(_))) {
                self.provider = Provider::with_entries(before);
                self.groups.remove(&conv);
            }
            return result;
        }
        self.receive_inner(msg)
    }

    /// One of this device's own messages, fetched back without its acknowledgement having
    /// arrived (the connection broke): a commit still pending is merged now, an envelope still
    /// in the outbox recorded. A commit in this device's name that it did not make stops the
    /// conversation: skipping it would leave this device in an old epoch.
    pub(super) fn own_message_back(&mut self, msg: &StoredMessage) -> Result<Vec<Update>> {
        let conv = msg.conversation_id;
        if self
            .pending
            .get(&conv)
            .is_some_and(|p| p.client_msg_id == msg.client_msg_id)
        {
            let sent = Sent {
                seq: msg.seq,
                epoch: msg.epoch + 1,
                duplicate: true,
            };
            return self.on_sent(conv, msg.client_msg_id, Ok(&sent));
        }
        if self.outbox.contains_key(&msg.client_msg_id) {
            let sent = Sent {
                seq: msg.seq,
                epoch: msg.epoch,
                duplicate: true,
            };
            return self.on_sent(conv, msg.client_msg_id, Ok(&sent));
        }
        if msg.kind == MessageKind::Commit {
            // The delivery service checks that a commit is its poster's own: only a lying
            // server can put one in this device's name.
            return Err(self.stop(conv, StopReason::ForgedChange, Some(self.me.user)));
        }
        self.advance(conv, msg.seq);
        Ok(Vec::new())
    }

    /// Stops a conversation on this device, with the reason shown to the person. Only for what
    /// a lying server can cause; anything a member could send, the delivery service refuses.
    pub(super) fn stop(
        &mut self,
        conv: ConversationId,
        reason: StopReason,
        person: Option<PersonId>,
    ) -> ClientError {
        if let Some(c) = self.convs.get_mut(&conv) {
            c.stopped = Some(Stopped { reason, person });
        }
        self.dirty.insert(conv_key(conv));
        ClientError::Stopped(reason)
    }

    /// This device could not process a change: it is out of step with the group and waits to
    /// be added again (the device asks members to). Nothing more is processed meanwhile.
    pub(super) fn out_of_step(&mut self, conv: ConversationId) -> ClientError {
        if let Some(c) = self.convs.get_mut(&conv) {
            c.rejoining = true;
        }
        self.dirty.insert(conv_key(conv));
        ClientError::OutOfStep
    }

    /// The delivery service says this device must be added again (it voided commits this
    /// device took part in): nothing more is processed until a member's Welcome.
    pub fn fell_out_of_step(&mut self, conv: ConversationId) {
        let _ = self.out_of_step(conv);
    }

    /// The commit this device could not process was voided: it goes on where it stopped,
    /// skipping the voided messages.
    pub fn resume(&mut self, conv: ConversationId) {
        if let Some(c) = self.convs.get_mut(&conv)
            && c.rejoining
            && c.stopped.is_none()
        {
            c.rejoining = false;
            self.dirty.insert(conv_key(conv));
        }
    }

    /// The person tries a stopped conversation again: this device asks to be added afresh. A
    /// member's Welcome is checked like any other, so what stopped it cannot slip in.
    pub fn try_again(&mut self, conv: ConversationId) -> Result<()> {
        let c = self
            .convs
            .get_mut(&conv)
            .ok_or(ClientError::UnknownConversation)?;
        if c.removed {
            return Err(ClientError::NotAMember);
        }
        c.stopped = None;
        c.rejoining = true;
        self.dirty.insert(conv_key(conv));
        Ok(())
    }

    /// What the delivery service says about devices that asked to be added again: their
    /// people do not get what is sent until a member renews them.
    pub fn set_unreachable(&mut self, conv: ConversationId, mut people: Vec<PersonId>) {
        people.sort();
        people.dedup();
        if let Some(c) = self.convs.get_mut(&conv)
            && c.unreachable != people
        {
            c.unreachable = people;
            self.dirty.insert(conv_key(conv));
        }
    }

    pub(super) fn advance(&mut self, conv: ConversationId, seq: u64) {
        if let Some(c) = self.convs.get_mut(&conv) {
            c.cursor = c.cursor.max(seq);
            c.own_seqs.retain(|s| *s > seq);
            Self::drain_own(c);
            self.dirty.insert(conv_key(conv));
        }
    }

    pub(super) fn receive_inner(&mut self, msg: &StoredMessage) -> Result<Vec<Update>> {
        let conv = msg.conversation_id;
        let protocol: ProtocolMessage = match mls::from_bytes(msg.body.as_slice())? {
            MlsMessageBodyIn::PrivateMessage(m) => m.into(),
            MlsMessageBodyIn::PublicMessage(m) => m.into(),
            _ => {
                self.advance(conv, msg.seq);
                return Ok(Vec::new());
            }
        };
        let (provider, group) = self.loaded(conv)?;
        let processed = match group.process_message(provider, protocol) {
            Ok(p) => p,
            Err(e) => {
                let err = mls_err(e);
                // A commit that passed the delivery service's checks and still cannot be
                // processed here (its secrets do not open, or this device's state went astray)
                // leaves this device behind the group: it asks to be added again. An
                // unreadable application message is skipped and reported.
                if msg.kind == MessageKind::Commit {
                    return Err(self.out_of_step(conv));
                }
                self.advance(conv, msg.seq);
                return Err(err);
            }
        };
        if let Sender::External(_) = processed.sender() {
            return self.external_proposal(msg, processed);
        }
        let sender = processed.credential().clone();
        let (sender_person, sender_device) = mls::parse_credential(&sender)?;
        if (sender_person, sender_device) != (msg.sender_person, msg.sender_device) {
            if msg.kind == MessageKind::Commit {
                // The delivery service checks that a commit is its poster's own.
                return Err(self.stop(conv, StopReason::ForgedChange, Some(msg.sender_person)));
            }
            self.advance(conv, msg.seq);
            return Err(ClientError::Invalid(
                "sender differs from the delivery service's",
            ));
        }
        let mut updates = Vec::new();
        match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(app) => {
                let envelope: Envelope = serde_json::from_slice(&app.into_bytes())
                    .map_err(|_| ClientError::Invalid("envelope"))?;
                if envelope.sender_person != sender_person
                    || envelope.sender_device != sender_device
                    || envelope.conversation_id != conv
                {
                    self.advance(conv, msg.seq);
                    return Err(ClientError::Invalid("envelope sender"));
                }
                let verified = match self.trust.transcript_key(sender_person, sender_device) {
                    Some(key) => identity::verify(
                        key,
                        &envelope.signed_bytes(),
                        envelope.signature.as_slice(),
                        "envelope",
                    )
                    .is_ok(),
                    None => false,
                };
                let chat = ChatMessage {
                    seq: msg.seq,
                    envelope,
                    verified,
                    edited: None,
                    deleted: false,
                    reactions: BTreeMap::new(),
                    votes: BTreeMap::new(),
                    pinned_by: None,
                };
                updates.extend(self.record(conv, chat));
            }
            ProcessedMessageContent::ProposalMessage(_)
            | ProcessedMessageContent::ExternalJoinProposalMessage(_)
            | ProcessedMessageContent::OwnPendingCommit
            | ProcessedMessageContent::OwnPrivateMessage => {
                // Leave proposals are acted on through the delivery service's pending
                // removals; a member commits them with `remove`.
            }
            ProcessedMessageContent::StagedCommitMessage(staged) => {
                let mut added = Vec::new();
                for add in staged.add_proposals() {
                    let leaf = add.add_proposal().key_package().leaf_node();
                    let (u, d) = mls::parse_credential(leaf.credential())?;
                    match self.judge_device(u, d, leaf.signature_key().as_slice()) {
                        Ok(()) => added.push(u),
                        Err(ClientError::NeedIdentities(u)) => {
                            return Err(ClientError::NeedIdentities(u));
                        }
                        Err(e) => return Err(self.stop_for(conv, e, u)),
                    }
                }
                // A member may renew its own leaf (a path update or an Update proposal); the new
                // leaf must still be a device its person signed, with that very key.
                let update_proposals: Vec<_> = staged.update_proposals().collect();
                let renewed = staged.update_path_leaf_node().into_iter().chain(
                    update_proposals
                        .iter()
                        .map(|u| u.update_proposal().leaf_node()),
                );
                for leaf in renewed {
                    let (u, d) = mls::parse_credential(leaf.credential())?;
                    match self.judge_device(u, d, leaf.signature_key().as_slice()) {
                        Ok(()) => {}
                        Err(ClientError::NeedIdentities(u)) => {
                            return Err(ClientError::NeedIdentities(u));
                        }
                        Err(e) => return Err(self.stop_for(conv, e, u)),
                    }
                }
                let group = self
                    .groups
                    .get_mut(&conv)
                    .ok_or(ClientError::UnknownConversation)?;
                let mut removed = Vec::new();
                for r in staged.remove_proposals() {
                    if let Some(c) = group.member(r.remove_proposal().removed())
                        && let Ok((u, _)) = mls::parse_credential(c)
                    {
                        removed.push(u);
                    }
                }
                let self_removed = staged.self_removed();
                group
                    .merge_staged_commit(&self.provider, *staged)
                    .map_err(mls_err)?;
                if self_removed {
                    self.forget(conv);
                    updates.push(Update::Removed(conv));
                } else if !added.is_empty() || !removed.is_empty() {
                    updates.push(Update::Members(conv));
                }
            }
        }
        self.advance(conv, msg.seq);
        Ok(updates)
    }

    /// Stops a conversation over a trust failure about `person`.
    pub(super) fn stop_for(
        &mut self,
        conv: ConversationId,
        e: ClientError,
        person: PersonId,
    ) -> ClientError {
        let reason = match e {
            ClientError::IdentityChanged(_) => StopReason::IdentityChanged,
            ClientError::UntrustedDevice { .. } => StopReason::UntrustedDevice,
            _ => StopReason::ForgedChange,
        };
        self.stop(conv, reason, Some(person))
    }

    /// Starts judging one message: only bundles fetched from now on count as fresh.
    pub(super) fn start_judging(&mut self, conv: ConversationId, seq: u64) {
        if self.judging != Some((conv, seq)) {
            self.judging = Some((conv, seq));
            self.fresh.clear();
        }
    }

    /// Whether a device in a group is one its person signed. When this device's copy of the
    /// person's list was not fetched for the message in hand, a device missing from it may be
    /// one they linked since: [`ClientError::NeedIdentities`] asks for the list afresh, and
    /// only a list fetched now can condemn the device.
    pub(super) fn judge_device(&self, user: PersonId, device: DeviceId, key: &[u8]) -> Result<()> {
        match self.trust.check_device_once_listed(user, device, key) {
            Ok(_) => Ok(()),
            Err(ClientError::UntrustedDevice { .. }) if !self.fresh.contains(&user) => {
                Err(ClientError::NeedIdentities(vec![user]))
            }
            Err(e) => Err(e),
        }
    }

    /// What an attacker holding this device's whole state could read from an MLS message: the
    /// group is loaded afresh from storage and the message processed with no ordering, trust
    /// or membership rules around it. Nothing is kept. For audits and tests of removal.
    pub fn attempt_decrypt(&self, conv: ConversationId, body: &[u8]) -> Option<Vec<u8>> {
        let scratch = Provider::with_entries(self.provider.snapshot());
        let mut group = MlsGroup::load(
            openmls_traits::OpenMlsProvider::storage(&scratch),
            &mls::group_id(conv),
        )
        .ok()??;
        let protocol: ProtocolMessage = match mls::from_bytes(body).ok()? {
            MlsMessageBodyIn::PrivateMessage(m) => m.into(),
            MlsMessageBodyIn::PublicMessage(m) => m.into(),
            _ => return None,
        };
        match group
            .process_message(&scratch, protocol)
            .ok()?
            .into_content()
        {
            ProcessedMessageContent::ApplicationMessage(app) => Some(app.into_bytes()),
            _ => None,
        }
    }
}
