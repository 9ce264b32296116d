//! Changing groups: commits delivered and settled (a `stale_epoch` clears one: catch up,
//! make it again), conversations created, people added and removed, leaving, roles.

use super::*;

impl<H: Host> Device<H> {
    /// Sends a staged commit. `Some(updates)`: accepted and merged. `None`: refused as stale
    /// (cleared; catch up and make it again). A lost answer is retried with the same client
    /// message id; if the server stays unreachable the commit stays pending and is sent again
    /// (or found in the log) next time.
    pub(super) async fn deliver_commit(
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
                Err(DeviceError::Api(e)) => {
                    let code = e.error.code;
                    self.core.on_sent(conv, body.client_msg_id, Err(code))?;
                    self.persist().await?;
                    return if code == ErrorCode::StaleEpoch {
                        Ok(None)
                    } else {
                        Err(DeviceError::Api(e))
                    };
                }
                Err(e) => {
                    lost = Some(e);
                    self.host.sleep(200 * (attempt + 1)).await;
                }
            }
        }
        Err(lost.unwrap_or_else(|| DeviceError::Unreachable("no answer".into())))
    }

    /// Catches up and settles a commit of this device whose answer was lost.
    pub(super) async fn settle(&mut self, conv: ConversationId) -> Result<Vec<Update>> {
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
    pub(super) async fn commit(
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
        Err(DeviceError::KeepsChanging)
    }

    /// Adds people (all their devices) to a conversation.
    pub async fn add_people(
        &mut self,
        conv: ConversationId,
        users: &[PersonId],
    ) -> Result<Vec<Update>> {
        let mut updates = Vec::new();
        for _ in 0..RETRIES {
            updates.extend(self.settle(conv).await?);
            let claimed = self.claim_key_packages(users).await?;
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
        Err(DeviceError::KeepsChanging)
    }

    /// Creates a conversation with these people and, for groups and channels, a name.
    pub async fn create(
        &mut self,
        kind: ConversationKind,
        name: Option<&str>,
        people: &[PersonId],
    ) -> Result<ConversationId> {
        self.require_linked()?;
        let body = self.core.create_conversation(kind)?;
        self.persist().await?;
        let _: Conversation = self.post("/conversations", &body).await?;
        let me = self.core.user();
        let mut invite: Vec<PersonId> = people
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
                        created: true,
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
            .filter(|m| m.person_id == me)
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
        users: &[PersonId],
    ) -> Result<Vec<Update>> {
        let server = self.conversation(conv).await?;
        let devices: Vec<DeviceId> = server
            .members
            .iter()
            .filter(|m| users.contains(&m.person_id))
            .flat_map(|m| m.devices.clone())
            .collect();
        self.commit(conv, |core| core.remove(conv, &devices)).await
    }

    /// Sets a person's role in a conversation (admins of it).
    pub async fn set_role(
        &mut self,
        conv: ConversationId,
        user: PersonId,
        role: ConversationRole,
    ) -> Result<()> {
        let _: serde_json::Value = self
            .put(
                &format!("/conversations/{conv}/members/{user}"),
                &SetConversationRole { role },
            )
            .await?;
        Ok(())
    }
}
