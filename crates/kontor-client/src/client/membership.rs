//! Membership: creating a group, adding, renewing and removing devices, leaving, and the
//! commits that carry it (staged until the delivery service accepts them).

use super::*;

impl Client {
    /// The request body of a commit made in `epoch`, under a fresh client message id.
    pub(super) fn commit_body(
        &self,
        epoch: u64,
        commit: &MlsMessageOut,
        welcome: Option<&MlsMessageOut>,
        added: Vec<AddedDevice>,
        removed: Vec<DeviceId>,
    ) -> Result<SendMessage> {
        Ok(SendMessage {
            client_msg_id: ClientMsgId(new_uuid(&self.provider)?),
            kind: MessageKind::Commit,
            epoch,
            body: Bytes(mls::to_bytes(commit)?),
            welcome: welcome.map(mls::to_bytes).transpose()?.map(Bytes),
            added,
            removed,
            proposed_removals: Vec::new(),
        })
    }

    /// The people in a conversation's MLS group, with their devices, as this device sees it.
    pub fn members(&mut self, conv: ConversationId) -> Result<BTreeMap<PersonId, Vec<DeviceId>>> {
        let g = self.group(conv)?;
        let mut out: BTreeMap<PersonId, Vec<DeviceId>> = BTreeMap::new();
        for m in g.members() {
            if let Ok((u, d)) = mls::parse_credential(&m.credential) {
                out.entry(u).or_default().push(d);
            }
        }
        Ok(out)
    }

    /// Starts a conversation: a new MLS group with this device alone. Send the returned body to
    /// `POST /conversations`, then add people.
    pub fn create_conversation(&mut self, kind: ConversationKind) -> Result<CreateConversation> {
        let id = kontor_proto::conversation::bound_conversation_id(
            self.me.org,
            self.me.user,
            self.provider.random::<16>()?,
        );
        let ds_key = self
            .trust
            .external_sender_key
            .clone()
            .ok_or(ClientError::BadSignature("no organisation key pinned"))?;
        let external = Extensions::single(Extension::ExternalSenders(vec![ExternalSender::new(
            ds_key.into(),
            BasicCredential::new(label::EXTERNAL_SENDER.to_vec()).into(),
        )]))
        .map_err(mls_err)?;
        let group = mls::create_builder(id)
            .with_group_context_extensions(external)
            .build(&self.provider, &self.signer(), self.credential())
            .map_err(mls_err)?;
        let group_info = group
            .export_group_info(self.provider.crypto_ref(), &self.signer(), true)
            .map_err(mls_err)?;
        self.groups.insert(id, group);
        self.convs.insert(id, ConversationState::new(id, kind));
        self.dirty.insert(conv_key(id));
        Ok(CreateConversation {
            id,
            kind,
            group_info: Bytes(mls::to_bytes(&group_info)?),
        })
    }

    /// Stages a commit adding the devices whose key packages were claimed. Every key package
    /// is checked: well-formed, its credential names the claimed person and device, and its
    /// signature key is in that person's signed device list. Others (a ghost device the server
    /// slipped in) are left out and returned as refused. `None` when nothing is left to add.
    pub fn add(
        &mut self,
        conv: ConversationId,
        people: &[PersonId],
        claimed: &ClaimedKeyPackages,
    ) -> Result<(Option<SendMessage>, Refused)> {
        self.stage_adds(conv, people, claimed, &[])
    }

    /// Stages a commit that renews devices which asked to be added again (they could not
    /// process a change): their leaves are removed and they are added anew with the claimed
    /// key packages, checked like any addition, in one commit. `None` when none is left.
    pub fn renew(
        &mut self,
        conv: ConversationId,
        devices: &[DeviceId],
        claimed: &ClaimedKeyPackages,
    ) -> Result<(Option<SendMessage>, Refused)> {
        let people: Vec<PersonId> = claimed
            .key_packages
            .iter()
            .filter(|c| devices.contains(&c.device_id))
            .map(|c| c.person_id)
            .collect();
        let only = ClaimedKeyPackages {
            key_packages: claimed
                .key_packages
                .iter()
                .filter(|c| devices.contains(&c.device_id))
                .cloned()
                .collect(),
        };
        self.stage_adds(conv, &people, &only, devices)
    }

    pub(super) fn stage_adds(
        &mut self,
        conv: ConversationId,
        people: &[PersonId],
        claimed: &ClaimedKeyPackages,
        renew: &[DeviceId],
    ) -> Result<(Option<SendMessage>, Refused)> {
        self.usable(conv)?;
        let me = self.me.device;
        let members: Vec<(u32, DeviceId)> = self
            .group(conv)?
            .members()
            .filter_map(|m| {
                mls::parse_credential(&m.credential)
                    .ok()
                    .map(|(_, d)| (m.index.u32(), d))
            })
            .collect();
        let renewable = |d: DeviceId| d != me && renew.contains(&d);
        let mut accepted = Vec::new();
        let mut refused = Vec::new();
        for c in &claimed.key_packages {
            let present = members.iter().any(|(_, d)| *d == c.device_id);
            if (present && !renewable(c.device_id))
                || accepted
                    .iter()
                    .any(|(a, _): &(AddedDevice, KeyPackage)| a.device_id == c.device_id)
            {
                continue;
            }
            // Only the people the person asked to add: the server cannot slip in others.
            if !people.contains(&c.person_id) {
                refused.push((
                    c.device_id,
                    ClientError::UntrustedDevice {
                        user: c.person_id,
                        device: c.device_id,
                        reason: "nobody asked to add this person",
                    },
                ));
                continue;
            }
            match self.check_key_package(c.person_id, c.device_id, c.key_package.as_slice()) {
                Ok(kp) => accepted.push((
                    AddedDevice {
                        person_id: c.person_id,
                        device_id: c.device_id,
                        leaf: None,
                    },
                    kp,
                )),
                Err(ClientError::NeedIdentities(u)) => return Err(ClientError::NeedIdentities(u)),
                Err(e) => refused.push((c.device_id, e)),
            }
        }
        if accepted.is_empty() {
            return Ok((None, refused));
        }
        let group = self.group(conv)?;
        let (mut freed, mut removed, queued_users) = Self::queued_removals(group);
        // Renewed devices leave their leaves in the same commit.
        let mut renewed_leaves = Vec::new();
        for (leaf, d) in &members {
            if renewable(*d)
                && !freed.contains(leaf)
                && accepted.iter().any(|(a, _)| a.device_id == *d)
            {
                renewed_leaves.push(LeafNodeIndex::new(*leaf));
                freed.push(*leaf);
                removed.push(*d);
            }
        }
        // Removals are applied first, freeing their leaves; RFC 9420 §12.1.1: each new member
        // goes to the leftmost free leaf.
        let occupied: BTreeSet<u32> = members
            .iter()
            .map(|(i, _)| *i)
            .filter(|i| !freed.contains(i))
            .collect();
        let mut free = (0u32..).filter(move |i| !occupied.contains(i));
        let (added, key_packages): (Vec<AddedDevice>, Vec<KeyPackage>) = accepted
            .into_iter()
            .map(|(a, kp)| {
                (
                    AddedDevice {
                        leaf: free.next(),
                        ..a
                    },
                    kp,
                )
            })
            .unzip();
        let signer = self.signer();
        let provider = &self.provider;
        let group = self
            .groups
            .get_mut(&conv)
            .ok_or(ClientError::UnknownConversation)?;
        let epoch = group.epoch().as_u64();
        let bundle = group
            .commit_builder()
            .propose_removals(renewed_leaves)
            .propose_adds(key_packages)
            .force_self_update(true)
            .load_psks(openmls_traits::OpenMlsProvider::storage(provider))
            .map_err(mls_err)?
            .build(
                openmls_traits::OpenMlsProvider::rand(provider),
                openmls_traits::OpenMlsProvider::crypto(provider),
                &signer,
                |_| true,
            )
            .map_err(mls_err)?
            .stage_commit(provider)
            .map_err(mls_err)?;
        let welcome = bundle
            .to_welcome_msg()
            .ok_or(ClientError::Mls("no Welcome for an addition".into()))?;
        let (commit, _, _) = bundle.into_contents();
        let users: Vec<PersonId> = added.iter().map(|a| a.person_id).collect();
        let body = self.commit_body(epoch, &commit, Some(&welcome), added, removed)?;
        Ok((
            Some(self.set_pending(conv, users, queued_users, body)),
            refused,
        ))
    }

    pub(super) fn check_key_package(
        &self,
        user: PersonId,
        device: DeviceId,
        bytes: &[u8],
    ) -> Result<KeyPackage> {
        let kp_in = match mls::from_bytes(bytes)? {
            MlsMessageBodyIn::KeyPackage(kp) => kp,
            _ => return Err(ClientError::Invalid("key package")),
        };
        let kp = kp_in
            .validate(
                openmls_traits::OpenMlsProvider::crypto(&self.provider),
                ProtocolVersion::Mls10,
            )
            .map_err(|_| ClientError::Invalid("key package signature"))?;
        let (u, d) = mls::parse_credential(kp.leaf_node().credential())?;
        if (u, d) != (user, device) {
            return Err(ClientError::UntrustedDevice {
                user,
                device,
                reason: "key package names another device",
            });
        }
        self.trust
            .check_device(user, device, kp.leaf_node().signature_key().as_slice())?;
        Ok(kp)
    }

    /// Remembers a staged commit (with its request, to send again if the answer is lost).
    pub(super) fn set_pending(
        &mut self,
        conv: ConversationId,
        added: Vec<PersonId>,
        removed: Vec<PersonId>,
        body: SendMessage,
    ) -> SendMessage {
        self.pending.insert(
            conv,
            PendingCommit {
                client_msg_id: body.client_msg_id,
                added,
                removed,
                body: Some(body.clone()),
            },
        );
        self.dirty.insert(pending_key(conv));
        body
    }

    /// A commit staged and sent whose answer never came (the connection broke): send it again
    /// as it is. The delivery service stores it once; a refusal clears it.
    pub fn unanswered_commit(&self, conv: ConversationId) -> Option<SendMessage> {
        self.pending.get(&conv).and_then(|p| p.body.clone())
    }

    /// The Remove proposals queued in a group (the delivery service's), which any commit this
    /// device makes takes along: their leaves, devices and people.
    pub(super) fn queued_removals(group: &MlsGroup) -> (Vec<u32>, Vec<DeviceId>, Vec<PersonId>) {
        let mut leaves = Vec::new();
        let mut devices = Vec::new();
        let mut users = Vec::new();
        for p in group.pending_proposals() {
            if let Proposal::Remove(r) = p.proposal()
                && let Some(c) = group.member(r.removed())
                && let Ok((u, d)) = mls::parse_credential(c)
            {
                leaves.push(r.removed().u32());
                devices.push(d);
                users.push(u);
            }
        }
        (leaves, devices, users)
    }

    /// The people whose last device in the group the delivery service proposed to remove
    /// (their access ended, or every device of theirs was revoked): once a commit of these
    /// proposals is accepted they are no longer in the conversation, and the members are told.
    /// Not this person, and not someone who left on their own (that proposal is their own).
    pub fn losing_access(&mut self, conv: ConversationId) -> Result<Vec<PersonId>> {
        let me = self.me.user;
        let group = self.group(conv)?;
        let mut removed_leaves = BTreeSet::new();
        let mut candidates = BTreeSet::new();
        for p in group.pending_proposals() {
            if let Proposal::Remove(r) = p.proposal() {
                removed_leaves.insert(r.removed().u32());
                if matches!(p.sender(), Sender::External(_))
                    && let Some(c) = group.member(r.removed())
                    && let Ok((u, _)) = mls::parse_credential(c)
                    && u != me
                {
                    candidates.insert(u);
                }
            }
        }
        // Only those with no device left once the proposals are committed.
        for m in group.members() {
            if !removed_leaves.contains(&m.index.u32())
                && let Ok((u, _)) = mls::parse_credential(&m.credential)
            {
                candidates.remove(&u);
            }
        }
        Ok(candidates.into_iter().collect())
    }

    /// Stages a commit removing these devices (a person means all their devices).
    pub fn remove(
        &mut self,
        conv: ConversationId,
        devices: &[DeviceId],
    ) -> Result<Option<SendMessage>> {
        self.usable(conv)?;
        let signer = self.signer();
        let provider = &self.provider;
        let group = self
            .groups
            .get_mut(&conv)
            .map(Ok)
            .unwrap_or(Err(ClientError::UnknownConversation));
        let group = match group {
            Ok(g) => g,
            Err(_) => {
                self.group(conv)?;
                return self.remove(conv, devices);
            }
        };
        let (queued_leaves, mut removed, mut users) = Self::queued_removals(group);
        let mut leaves = Vec::new();
        for m in group.members() {
            if let Ok((u, d)) = mls::parse_credential(&m.credential)
                && devices.contains(&d)
                && m.index != group.own_leaf_index()
                && !queued_leaves.contains(&m.index.u32())
            {
                leaves.push(m.index);
                removed.push(d);
                users.push(u);
            }
        }
        if leaves.is_empty() {
            // What is left to remove is already proposed: commit the proposals.
            return if removed.is_empty() {
                Ok(None)
            } else {
                self.commit_proposals(conv)
            };
        }
        let epoch = group.epoch().as_u64();
        let (commit, _, _) = group
            .remove_members(provider, &signer, &leaves)
            .map_err(mls_err)?;
        users.sort();
        users.dedup();
        let body = self.commit_body(epoch, &commit, None, Vec::new(), removed)?;
        Ok(Some(self.set_pending(conv, Vec::new(), users, body)))
    }

    /// Leaves a conversation: a signed proposal to remove this person's devices. The server
    /// stops delivering to them at once; the next member online commits the removal.
    pub fn leave(&mut self, conv: ConversationId, my_devices: &[DeviceId]) -> Result<SendMessage> {
        self.usable(conv)?;
        let signer = self.signer();
        let (provider, group) = self.loaded(conv)?;
        let epoch = group.epoch().as_u64();
        let proposal = group.leave_group(provider, &signer).map_err(mls_err)?;
        let mut proposed = my_devices.to_vec();
        if !proposed.contains(&self.me.device) {
            proposed.push(self.me.device);
        }
        Ok(SendMessage {
            client_msg_id: ClientMsgId(new_uuid(&self.provider)?),
            kind: MessageKind::Proposal,
            epoch,
            body: Bytes(mls::to_bytes(&proposal)?),
            welcome: None,
            added: Vec::new(),
            removed: Vec::new(),
            proposed_removals: proposed,
        })
    }

    /// A proposal of the delivery service (the group's external sender, whose key the group
    /// context names and this device pinned): only removals are accepted, and only queued;
    /// a member's commit makes them real.
    pub(super) fn external_proposal(
        &mut self,
        msg: &StoredMessage,
        processed: ProcessedMessage,
    ) -> Result<Vec<Update>> {
        let conv = msg.conversation_id;
        let group = self
            .groups
            .get_mut(&conv)
            .ok_or(ClientError::UnknownConversation)?;
        let expected = self.trust.external_sender_key.clone().map(|k| {
            ExternalSender::new(
                k.into(),
                BasicCredential::new(label::EXTERNAL_SENDER.to_vec()).into(),
            )
        });
        let named = group
            .extensions()
            .external_senders()
            .and_then(|s| s.first())
            .cloned();
        if expected.is_none() || named != expected {
            self.advance(conv, msg.seq);
            return Err(ClientError::Invalid(
                "external sender not the pinned delivery service",
            ));
        }
        if let ProcessedMessageContent::ProposalMessage(p) = processed.into_content()
            && matches!(p.proposal(), Proposal::Remove(_))
        {
            group
                .store_pending_proposal(
                    openmls_traits::OpenMlsProvider::storage(&self.provider),
                    *p,
                )
                .map_err(mls_err)?;
        }
        self.advance(conv, msg.seq);
        Ok(Vec::new())
    }

    /// Whether removals proposed by the delivery service wait for a member's commit.
    pub fn has_pending_proposals(&mut self, conv: ConversationId) -> bool {
        self.group(conv)
            .map(|g| g.pending_proposals().next().is_some())
            .unwrap_or(false)
    }

    /// Stages a commit of the pending proposals (the delivery service's removals).
    pub fn commit_proposals(&mut self, conv: ConversationId) -> Result<Option<SendMessage>> {
        self.usable(conv)?;
        let signer = self.signer();
        let (provider, group) = self.loaded(conv)?;
        let mut removed = Vec::new();
        let mut users = Vec::new();
        for p in group.pending_proposals() {
            if let Proposal::Remove(r) = p.proposal()
                && let Some(c) = group.member(r.removed())
                && let Ok((u, d)) = mls::parse_credential(c)
            {
                removed.push(d);
                users.push(u);
            }
        }
        if removed.is_empty() {
            return Ok(None);
        }
        let epoch = group.epoch().as_u64();
        let (commit, _, _) = group
            .commit_to_pending_proposals(provider, &signer)
            .map_err(mls_err)?;
        users.sort();
        users.dedup();
        let body = self.commit_body(epoch, &commit, None, Vec::new(), removed)?;
        Ok(Some(self.set_pending(conv, Vec::new(), users, body)))
    }

    /// Devices that members' signed lists name but the group lacks (a person linked a new
    /// device): any member may add them.
    pub fn missing_devices(&mut self, conv: ConversationId) -> Result<Vec<PersonId>> {
        let members = self.members(conv)?;
        let mut out = Vec::new();
        for (user, devices) in members {
            if let Some(p) = self.trust.people.get(&user)
                && p.device_list
                    .list
                    .devices
                    .iter()
                    .any(|d| !devices.contains(&d.device_id))
            {
                out.push(user);
            }
        }
        Ok(out)
    }

    /// Devices in the group that their person's newest signed list no longer names (a revoked
    /// device): any member may remove them.
    pub fn stale_devices(&mut self, conv: ConversationId) -> Result<Vec<DeviceId>> {
        let members = self.members(conv)?;
        let mut out = Vec::new();
        for (user, devices) in members {
            if let Some(p) = self.trust.people.get(&user) {
                for d in devices {
                    if d != self.me.device
                        && !p.device_list.list.devices.iter().any(|k| k.device_id == d)
                    {
                        out.push(d);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Stages a commit that renews this device's own keys (post-compromise security; also
    /// what a member sends to move the epoch on).
    pub fn update_keys(&mut self, conv: ConversationId) -> Result<SendMessage> {
        self.usable(conv)?;
        let signer = self.signer();
        let (provider, group) = self.loaded(conv)?;
        let epoch = group.epoch().as_u64();
        let (_, queued_devices, queued_users) = Self::queued_removals(group);
        let bundle = group
            .self_update(provider, &signer, LeafNodeParameters::default())
            .map_err(mls_err)?;
        let body = self.commit_body(epoch, bundle.commit(), None, Vec::new(), queued_devices)?;
        Ok(self.set_pending(conv, Vec::new(), queued_users, body))
    }
}
