//! Sending: payloads sealed into envelopes and encrypted, the outbox that keeps them until
//! the delivery service answers, and what its answer settles.

use super::*;

impl Client {
    /// Encrypts a payload: signs it into an envelope with the transcript key, then into an MLS
    /// application message. Keep the returned body's client message id for retries.
    pub fn encrypt(
        &mut self,
        conv: ConversationId,
        payload: &Payload,
        now_ms: i64,
    ) -> Result<SendMessage> {
        self.usable(conv)?;
        let client_msg_id = ClientMsgId(new_uuid(&self.provider)?);
        let mut envelope = Envelope {
            v: PAYLOAD_VERSION,
            conversation_id: conv,
            sender_person: self.me.user,
            sender_device: self.me.device,
            client_msg_id,
            sent_at: now_ms,
            payload: payload.to_json(),
            signature: Bytes::default(),
        };
        envelope.signature = self.me.transcript.sign(&envelope.signed_bytes());
        // Into the outbox only once it could be encrypted: a failure leaves nothing queued.
        let sealed = self.seal_envelope(conv, &envelope)?;
        self.outbox.insert(client_msg_id, envelope);
        self.dirty.insert(outbox_key(client_msg_id));
        Ok(sealed)
    }

    /// Encrypts an envelope from the outbox again (after `stale_epoch`: the retry has the same
    /// client message id, so the server stores it once).
    pub fn reencrypt(
        &mut self,
        conv: ConversationId,
        client_msg_id: ClientMsgId,
    ) -> Result<SendMessage> {
        self.usable(conv)?;
        let envelope = self
            .outbox
            .get(&client_msg_id)
            .cloned()
            .ok_or(ClientError::Invalid("unknown client message id"))?;
        self.seal_envelope(conv, &envelope)
    }

    pub(super) fn seal_envelope(
        &mut self,
        conv: ConversationId,
        envelope: &Envelope,
    ) -> Result<SendMessage> {
        let signer = self.signer();
        let (provider, group) = self.loaded(conv)?;
        let epoch = group.epoch().as_u64();
        let msg = group
            .create_message(provider, &signer, &json(envelope))
            .map_err(mls_err)?;
        Ok(SendMessage {
            client_msg_id: envelope.client_msg_id,
            kind: MessageKind::Application,
            epoch,
            body: Bytes(mls::to_bytes(&msg)?),
            welcome: None,
            added: Vec::new(),
            removed: Vec::new(),
            proposed_removals: Vec::new(),
        })
    }

    /// Unsent envelopes (to resend after a restart).
    pub fn outbox(&self) -> impl Iterator<Item = &Envelope> {
        self.outbox.values()
    }

    /// The delivery service answered a send. A commit is merged when accepted and cleared when
    /// refused (`stale_epoch`: catch up, then make the change again). An application message
    /// moves from the outbox into the history at its sequence number.
    pub fn on_sent(
        &mut self,
        conv: ConversationId,
        client_msg_id: ClientMsgId,
        result: std::result::Result<&Sent, ErrorCode>,
    ) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        if self
            .pending
            .get(&conv)
            .is_some_and(|p| p.client_msg_id == client_msg_id)
        {
            let pending = self
                .pending
                .remove(&conv)
                .ok_or(ClientError::UnknownConversation)?;
            self.dirty.insert(pending_key(conv));
            self.group(conv)?;
            let provider = &self.provider;
            let group = self
                .groups
                .get_mut(&conv)
                .ok_or(ClientError::UnknownConversation)?;
            match result {
                Ok(sent) => {
                    if group.pending_commit().is_some() {
                        group.merge_pending_commit(provider).map_err(mls_err)?;
                    }
                    self.mark_own(conv, sent.seq);
                    if !pending.added.is_empty() || !pending.removed.is_empty() {
                        updates.push(Update::Members(conv));
                    }
                }
                Err(_) => {
                    group
                        .clear_pending_commit(openmls_traits::OpenMlsProvider::storage(provider))
                        .map_err(mls_err)?;
                    self.groups.remove(&conv);
                }
            }
            return Ok(updates);
        }
        if let Ok(sent) = result
            && let Some(envelope) = self.outbox.remove(&client_msg_id)
        {
            self.dirty.insert(outbox_key(client_msg_id));
            self.mark_own(conv, sent.seq);
            let msg = ChatMessage {
                seq: sent.seq,
                envelope,
                verified: true,
                edited: None,
                deleted: false,
                reactions: BTreeMap::new(),
                votes: BTreeMap::new(),
                pinned_by: None,
            };
            updates.extend(self.record(conv, msg));
        }
        Ok(updates)
    }

    /// Drops an envelope from the outbox (the person gave up on it).
    pub fn discard(&mut self, client_msg_id: ClientMsgId) {
        if self.outbox.remove(&client_msg_id).is_some() {
            self.dirty.insert(outbox_key(client_msg_id));
        }
    }

    /// Whether a message still waits in the outbox.
    pub fn in_outbox(&self, client_msg_id: ClientMsgId) -> bool {
        self.outbox.contains_key(&client_msg_id)
    }

    /// Where one of this device's own messages landed in the history.
    pub fn seq_of(&self, conv: ConversationId, client_msg_id: ClientMsgId) -> Option<u64> {
        self.messages(conv)
            .find(|m| {
                m.envelope.client_msg_id == client_msg_id
                    && m.envelope.sender_device == self.me.device
            })
            .map(|m| m.seq)
    }
}
