//! Sending: payloads encrypted and delivered, the outbox flushed oldest first, and the
//! retries that make a lost answer safe (the same client message id, re-encrypted after a
//! commit came first).

use super::*;

impl<H: Host> Device<H> {
    /// Encrypts and sends a payload; returns where the delivery service stored it. What waits
    /// in this conversation's outbox goes first, so messages keep the order they were written
    /// in. When it cannot go now but waits in the outbox (the server cannot be reached, or
    /// asks to wait) the error is [`DeviceError::Queued`] and it goes out with the next
    /// [`Device::sync`].
    pub async fn send(&mut self, conv: ConversationId, payload: &Payload) -> Result<Sent> {
        self.require_linked()?;
        if self.core.conversation(conv).is_none() {
            self.accept_welcomes().await?;
        }
        let body = self.core.encrypt(conv, payload, self.host.now_ms())?;
        let id = body.client_msg_id;
        if let Err(e) = self.persist().await {
            // Not saved, so a reload would lose it: it is not kept at all.
            self.core.discard(id);
            return Err(e);
        }
        let result = self.flush_and_deliver(conv, body).await;
        // Whether a failed message waits is what the outbox holds and whether it can still go,
        // not what the error says.
        match result {
            Err(e) if self.core.in_outbox(id) => {
                if self.core.can_send_later(conv) {
                    Err(DeviceError::Queued(Box::new(e)))
                } else {
                    // Stopped or removed meanwhile: it would be dropped later, unseen.
                    self.core.discard(id);
                    let _ = self.persist().await;
                    Err(e)
                }
            }
            other => other,
        }
    }

    async fn flush_and_deliver(&mut self, conv: ConversationId, body: SendMessage) -> Result<Sent> {
        self.flush_outbox_except(Some(conv), Some(body.client_msg_id))
            .await?;
        self.deliver(conv, body).await
    }

    /// Sends a text in the markdown subset; its mentions (`@[Name](person-id)`) are read
    /// from it.
    /// Starts a poll: a question and 2 to 12 distinct options (each trimmed, not empty).
    pub async fn send_poll(
        &mut self,
        conv: ConversationId,
        question: &str,
        options: &[String],
        multiple: bool,
        anonymous: bool,
        closes_ms: Option<i64>,
    ) -> Result<Sent> {
        let question = question.trim();
        let options: Vec<String> = options.iter().map(|o| o.trim().to_owned()).collect();
        let distinct: std::collections::BTreeSet<&String> = options.iter().collect();
        if question.is_empty()
            || question.chars().count() > 500
            || !(2..=crate::history::MAX_POLL_OPTIONS).contains(&options.len())
            || distinct.len() != options.len()
            || options
                .iter()
                .any(|o| o.is_empty() || o.chars().count() > 200)
        {
            return Err(DeviceError::Core(ClientError::Invalid("poll")));
        }
        self.send(
            conv,
            &Payload::Poll {
                question: question.to_owned(),
                options,
                multiple,
                anonymous,
                closes_ms,
            },
        )
        .await
    }

    /// Votes in a poll (the options chosen now; none takes the vote back).
    pub async fn vote(
        &mut self,
        conv: ConversationId,
        poll: ClientMsgId,
        choices: Vec<u32>,
    ) -> Result<Sent> {
        self.send(conv, &Payload::Vote { poll, choices }).await
    }

    /// Pins a message for everybody in the conversation, or unpins it.
    pub async fn pin(
        &mut self,
        conv: ConversationId,
        target: ClientMsgId,
        unpin: bool,
    ) -> Result<Sent> {
        self.send(conv, &Payload::Pin { target, unpin }).await
    }

    /// Forwards a message's text (as it reads now, after edits) to another conversation, as
    /// the forwarder's own message marked forwarded.
    pub async fn forward(
        &mut self,
        from: ConversationId,
        message: ClientMsgId,
        to: ConversationId,
    ) -> Result<Sent> {
        let text = self
            .core
            .messages(from)
            .find(|m| m.envelope.client_msg_id == message && m.is_visible())
            .map(|m| m.text())
            .ok_or(DeviceError::Core(ClientError::Invalid("message")))?;
        let mentions = crate::markdown::mentions(&text);
        self.send(
            to,
            &Payload::Text {
                text,
                mentions,
                reply_to: None,
                forwarded: true,
            },
        )
        .await
    }

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
                forwarded: false,
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

    /// Reacts to a message with an emoji, or takes the reaction back.
    pub async fn react(
        &mut self,
        conv: ConversationId,
        target: ClientMsgId,
        emoji: String,
        remove: bool,
    ) -> Result<Sent> {
        let payload = Payload::Reaction {
            target,
            emoji,
            remove,
        };
        self.send(conv, &payload).await
    }

    /// Deletes one of this person's messages for everybody.
    pub async fn delete_message(
        &mut self,
        conv: ConversationId,
        target: ClientMsgId,
    ) -> Result<Sent> {
        self.send(conv, &Payload::Delete { target }).await
    }

    /// Renames a group or channel: the name travels as a note to the members.
    pub async fn rename(&mut self, conv: ConversationId, name: String) -> Result<Sent> {
        let note = SystemNote::Renamed {
            name,
            created: false,
        };
        self.send(conv, &Payload::System { note }).await
    }

    /// Adds people and says so in the conversation. The note is best effort: the people are
    /// in once the commit is accepted.
    pub async fn add_people_and_tell(
        &mut self,
        conv: ConversationId,
        users: &[PersonId],
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
        users: &[PersonId],
    ) -> Result<Vec<Update>> {
        let mut updates = self.remove_people(conv, users).await?;
        self.tell(
            conv,
            SystemNote::Removed {
                users: users.to_vec(),
                lost_access: false,
            },
        )
        .await;
        updates.push(Update::Members(conv));
        Ok(updates)
    }

    pub(super) async fn tell(&mut self, conv: ConversationId, note: SystemNote) {
        if let Err(e) = self.send(conv, &Payload::System { note }).await {
            self.host.report(&format!("note in {conv} not sent: {e}"));
        }
    }

    /// Sends one encrypted message. A `stale_epoch` answer means a commit came first: catch
    /// up and send the same message (same client message id) again. A refusal for good (no
    /// longer a member, not allowed to write) takes it out of the outbox.
    pub(super) async fn deliver(
        &mut self,
        conv: ConversationId,
        mut body: SendMessage,
    ) -> Result<Sent> {
        let id = body.client_msg_id;
        for _ in 0..RETRIES {
            let result: Result<Sent> = self
                .post(&format!("/conversations/{conv}/messages"), &body)
                .await;
            match result {
                Ok(sent) => {
                    self.core.on_sent(conv, id, Ok(&sent))?;
                    if let Err(e) = self.persist().await {
                        // It is delivered. Should a reload find it still queued, the retry
                        // carries the same client message id and the server stores it once.
                        self.host
                            .report(&format!("message in {conv} sent, not yet saved: {e}"));
                    }
                    return Ok(sent);
                }
                Err(e) if e.code() == Some(ErrorCode::StaleEpoch) => {
                    self.catch_up(conv).await?;
                    if !self.core.in_outbox(id) {
                        // Catching up found it in the log: an earlier try got through.
                        let seq = self.core.seq_of(conv, id).ok_or_else(|| {
                            DeviceError::Unexpected("a sent message has no place".into())
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
                Err(e @ DeviceError::Api(_)) => {
                    if !e.is_transient() {
                        self.core.discard(id);
                        self.persist().await?;
                    }
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(DeviceError::KeepsChanging)
    }

    /// Sends what waits in the outbox (of one conversation, or of all), oldest first. Stops
    /// at the first message whose answer does not come: the server is still out of reach.
    pub async fn flush_outbox(&mut self, only: Option<ConversationId>) -> Result<Vec<Update>> {
        self.flush_outbox_except(only, None).await
    }

    pub(super) async fn flush_outbox_except(
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
                Err(e @ DeviceError::Unreachable(_)) => return Err(e),
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
