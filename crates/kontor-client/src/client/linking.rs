//! Identity and linking: the organisation key pinned, colleagues' identities learnt, this
//! person's identity and recovery key, the signed device list, linking a new device by
//! approval or recovery key, safety numbers, key packages.

use super::*;

impl Client {
    /// Pins the organisation's key (first login) or checks it against the pinned one.
    pub fn pin_org_key(&mut self, key: &OrgKey) -> Result<()> {
        if key.org_id != self.me.org {
            return Err(ClientError::BadSignature(
                "organisation key for another organisation",
            ));
        }
        self.trust.pin_org_key(
            key.signing_key.as_slice(),
            key.external_sender_key.as_slice(),
        )?;
        self.dirty.insert(KEY_TRUST.into());
        Ok(())
    }

    /// Verifies and remembers identity bundles. A bundle that does not verify is an error;
    /// nothing of it is kept.
    pub fn learn(&mut self, bundles: &[IdentityBundle]) -> Result<()> {
        let mut first_error = None;
        for b in bundles {
            // Fetched just now, even if refused: what we hold is all there is to trust.
            self.fresh.insert(b.certificate.membership.person_id);
            // This device's own person: only the identity key it holds.
            if b.certificate.membership.person_id == self.me.user
                && let Some(own) = &self.me.identity
                && b.certificate.membership.identity_key.0 != own.public()
            {
                first_error.get_or_insert(ClientError::IdentityChanged(self.me.user));
                continue;
            }
            match self.trust.learn(b) {
                Ok(true) => {
                    self.dirty.insert(KEY_TRUST.into());
                    // Only when something new is known (not on every sync's refetch).
                    self.verify_again(b.certificate.membership.person_id);
                }
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            }
            if b.certificate.membership.person_id == self.me.user {
                let newer = self
                    .me
                    .own_list
                    .as_ref()
                    .is_none_or(|l| l.list.version < b.device_list.list.version);
                if newer {
                    self.me.own_list = Some(b.device_list.clone());
                    self.dirty.insert(KEY_ME.into());
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Checks again the signatures of this person's messages that could not be checked when
    /// they arrived: the history a new device receives comes before it knows the senders'
    /// signed device lists. Marked verified only when the signature checks against a device
    /// the person's newest signed list names.
    fn verify_again(&mut self, person: PersonId) {
        for (conv, map) in &mut self.messages {
            for m in map.values_mut() {
                if m.verified || m.envelope.sender_person != person {
                    continue;
                }
                if signed_by_listed_device(&self.trust, m) {
                    m.verified = true;
                    self.dirty.insert(msg_key(*conv, m.seq));
                }
            }
        }
    }

    /// Which of these people this device does not know yet.
    pub fn unknown(&self, users: impl IntoIterator<Item = PersonId>) -> Vec<PersonId> {
        self.trust.unknown(users)
    }

    /// First device of a person: makes the identity key, signs a device list naming this
    /// device, and seals the identity key under a new recovery key (shown once).
    pub fn create_identity(&mut self) -> Result<(PublishIdentity, RecoveryKey)> {
        let identity = SecretKey::generate(&self.provider)?;
        let recovery = RecoveryKey::generate(&self.provider)?;
        let backup = recovery.seal_identity(&self.provider, &identity)?;
        let list = DeviceList {
            org_id: self.me.org,
            person_id: self.me.user,
            identity_key: Bytes(identity.public()),
            version: 1,
            devices: vec![self.device_keys()],
            retired: vec![],
        };
        let signed = identity::sign_device_list(&identity, list);
        self.trust.pin_own(self.me.user, &signed)?;
        self.dirty.insert(KEY_TRUST.into());
        self.me.identity = Some(identity);
        self.me.own_list = Some(signed.clone());
        self.me.identity_published = false;
        self.me.pending_recovery_key = Some(recovery.display());
        self.dirty.insert(KEY_ME.into());
        Ok((
            PublishIdentity {
                device_list: signed,
                recovery_backup: Some(Bytes(backup)),
            },
            recovery,
        ))
    }

    /// The identity this device made, sealed under a new recovery key with a new version of
    /// its device list, to publish again when the first publication got no answer (whether
    /// or not the server stored it, this one is accepted; the first key was never shown).
    pub fn reseal_identity(&mut self) -> Result<(PublishIdentity, RecoveryKey)> {
        let identity = self.me.identity.clone().ok_or(ClientError::NoIdentity)?;
        let signed = self.next_list(None, &[])?;
        let recovery = RecoveryKey::generate(&self.provider)?;
        let backup = recovery.seal_identity(&self.provider, &identity)?;
        self.trust.pin_own(self.me.user, &signed)?;
        self.dirty.insert(KEY_TRUST.into());
        self.me.own_list = Some(signed.clone());
        self.me.pending_recovery_key = Some(recovery.display());
        self.dirty.insert(KEY_ME.into());
        Ok((
            PublishIdentity {
                device_list: signed,
                recovery_backup: Some(Bytes(backup)),
            },
            recovery,
        ))
    }

    /// Whether the identity this device made still waits for the server's answer.
    pub fn identity_unpublished(&self) -> bool {
        self.me.identity.is_some() && !self.me.identity_published
    }

    /// The server accepted the published identity.
    pub fn identity_was_published(&mut self) {
        if !self.me.identity_published {
            self.me.identity_published = true;
            self.dirty.insert(KEY_ME.into());
        }
    }

    /// The recovery key made on this device, until the person confirms they kept it.
    pub fn pending_recovery_key(&self) -> Option<&str> {
        self.me.pending_recovery_key.as_deref()
    }

    /// The person kept the recovery key: this device forgets it.
    pub fn recovery_key_kept(&mut self) {
        if self.me.pending_recovery_key.take().is_some() {
            self.dirty.insert(KEY_ME.into());
        }
    }

    /// Signs a new version of the own device list with `add` added and `drop` dropped.
    pub(super) fn next_list(
        &self,
        add: Option<DeviceKeys>,
        drop: &[DeviceId],
    ) -> Result<SignedDeviceList> {
        let identity = self.me.identity.as_ref().ok_or(ClientError::NoIdentity)?;
        let current = self.me.own_list.as_ref().ok_or(ClientError::NoIdentity)?;
        let mut list = current.list.clone();
        list.version += 1;
        // A dropped device is remembered, so that what it did while listed stays authentic
        // to colleagues who read it later.
        let (dropped, kept): (Vec<_>, Vec<_>) = list
            .devices
            .into_iter()
            .partition(|d| drop.contains(&d.device_id));
        list.devices = kept;
        for d in dropped {
            list.retired.retain(|r| r.device_id != d.device_id);
            list.retired.push(d);
        }
        let excess = list.retired.len().saturating_sub(DeviceList::MAX_RETIRED);
        list.retired.drain(..excess);
        if let Some(k) = add {
            list.devices.retain(|d| d.device_id != k.device_id);
            list.retired.retain(|d| d.device_id != k.device_id);
            list.devices.push(k);
        }
        Ok(identity::sign_device_list(identity, list))
    }

    /// Signs a device list without `device` (a lost or revoked device): members then remove
    /// it from every group, and nobody adds it again, whatever the server says.
    pub fn drop_device(&mut self, device: DeviceId) -> Result<PublishIdentity> {
        if device == self.me.device {
            return Err(ClientError::Invalid("a device cannot drop itself"));
        }
        let signed = self.next_list(None, &[device])?;
        self.trust.pin_own(self.me.user, &signed)?;
        self.dirty.insert(KEY_TRUST.into());
        self.me.own_list = Some(signed.clone());
        self.dirty.insert(KEY_ME.into());
        Ok(PublishIdentity {
            device_list: signed,
            recovery_backup: None,
        })
    }

    /// Links this (new) device with the recovery key: opens the sealed identity key and signs
    /// a device list that adds this device to `current` (the person's newest list).
    pub fn link_with_recovery_key(
        &mut self,
        recovery: &RecoveryKey,
        sealed: &[u8],
        current: &IdentityBundle,
    ) -> Result<PublishIdentity> {
        let identity = recovery.open_identity(&self.provider, sealed)?;
        if identity.public() != current.device_list.list.identity_key.0 {
            return Err(ClientError::BadRecoveryKey);
        }
        self.learn(std::slice::from_ref(current))?;
        self.me.identity = Some(identity);
        self.me.own_list = Some(current.device_list.clone());
        let signed = self.next_list(Some(self.device_keys()), &[])?;
        self.trust.pin_own(self.me.user, &signed)?;
        self.dirty.insert(KEY_TRUST.into());
        self.me.own_list = Some(signed.clone());
        self.dirty.insert(KEY_ME.into());
        Ok(PublishIdentity {
            device_list: signed,
            recovery_backup: None,
        })
    }

    /// A new device asks to be linked. Returns the request and the short code to show.
    pub fn start_link(&mut self) -> Result<(CreateLinkRequest, String)> {
        let secret = self.provider.random::<32>()?;
        let (_, public) = identity::hpke_keypair(&self.provider, &secret)?;
        self.me.link_secret = Some(secret);
        self.dirty.insert(KEY_ME.into());
        let keys = self.device_keys();
        let code = identity::link_code(&keys, &public);
        Ok((
            CreateLinkRequest {
                keys,
                ephemeral_key: Bytes(public),
            },
            code,
        ))
    }

    /// The short code of a link request, as the approving device shows it.
    pub fn link_code_of(request: &LinkRequest) -> String {
        identity::link_code(&request.keys, request.ephemeral_key.as_slice())
    }

    /// Approves a link request after the person typed the code the new device shows: signs a
    /// device list with the new device and seals the identity key and this device's history
    /// to it.
    pub fn approve_link(
        &mut self,
        request: &LinkRequest,
        typed_code: &str,
    ) -> Result<ApproveLinkRequest> {
        let expected = Self::link_code_of(request);
        if identity::normalize_code(&expected) != identity::normalize_code(typed_code) {
            return Err(ClientError::WrongLinkCode);
        }
        let identity = self.me.identity.clone().ok_or(ClientError::NoIdentity)?;
        let signed = self.next_list(Some(request.keys.clone()), &[])?;
        let payload = LinkPayload {
            identity,
            device_list: signed.clone(),
            conversations: self
                .convs
                .values()
                .filter(|c| !c.removed)
                .map(|c| {
                    (
                        c.clone(),
                        self.messages
                            .get(&c.id)
                            .map(|m| m.values().cloned().collect())
                            .unwrap_or_default(),
                    )
                })
                .collect(),
        };
        let sealed = identity::seal(
            &self.provider,
            request.ephemeral_key.as_slice(),
            label::LINK_SEAL,
            &json(&payload),
        )?;
        self.trust.pin_own(self.me.user, &signed)?;
        self.dirty.insert(KEY_TRUST.into());
        self.me.own_list = Some(signed.clone());
        self.dirty.insert(KEY_ME.into());
        Ok(ApproveLinkRequest {
            device_list: signed,
            sealed: Bytes(sealed),
        })
    }

    /// The new device opens the approval: takes the identity key and imports the history
    /// (shown read-only until the device is added to each conversation).
    pub fn finish_link(&mut self, sealed: &[u8]) -> Result<usize> {
        let secret = self
            .me
            .link_secret
            .ok_or(ClientError::Invalid("no link request"))?;
        let (private, _) = identity::hpke_keypair(&self.provider, &secret)?;
        let plain = identity::open(&self.provider, &private, label::LINK_SEAL, sealed)?;
        let payload: LinkPayload =
            serde_json::from_slice(&plain).map_err(|_| ClientError::Invalid("link payload"))?;
        let mine = self.device_keys();
        if !payload.device_list.list.devices.contains(&mine) {
            return Err(ClientError::Invalid(
                "link payload does not name this device",
            ));
        }
        identity::verify_device_list(&payload.device_list)?;
        if payload.identity.public() != payload.device_list.list.identity_key.0 {
            return Err(ClientError::Invalid("link payload identity"));
        }
        // Only the identity the organisation vouched for this person when this device first
        // looked, and no older list: a payload the server sealed itself is refused.
        let known = self
            .trust
            .people
            .get(&self.me.user)
            .ok_or_else(|| ClientError::NeedIdentities(vec![self.me.user]))?;
        if known.identity_key != payload.identity.public() {
            return Err(ClientError::IdentityChanged(self.me.user));
        }
        if payload.device_list.list.version < known.device_list.list.version {
            return Err(ClientError::Invalid(
                "link payload has an older device list",
            ));
        }
        self.trust.pin_own(self.me.user, &payload.device_list)?;
        self.dirty.insert(KEY_TRUST.into());
        self.me.identity = Some(payload.identity);
        self.me.own_list = Some(payload.device_list);
        self.me.link_secret = None;
        self.dirty.insert(KEY_ME.into());
        let mut imported = 0;
        for (mut state, msgs) in payload.conversations {
            state.cursor = 0;
            state.own_seqs.clear();
            self.dirty.insert(conv_key(state.id));
            let map = self.messages.entry(state.id).or_default();
            for mut m in msgs {
                // Trust nothing the payload says about itself: verify again here.
                m.verified = signed_by_listed_device(&self.trust, &m);
                self.dirty.insert(msg_key(state.id, m.seq));
                map.insert(m.seq, m);
                imported += 1;
            }
            self.convs.entry(state.id).or_insert(state);
        }
        Ok(imported)
    }

    /// The safety number between this person and another known person.
    pub fn safety_number(&self, other: PersonId) -> Result<String> {
        let mine = self
            .trust
            .people
            .get(&self.me.user)
            .ok_or_else(|| ClientError::NeedIdentities(vec![self.me.user]))?;
        let theirs = self
            .trust
            .people
            .get(&other)
            .ok_or_else(|| ClientError::NeedIdentities(vec![other]))?;
        Ok(identity::safety_number(
            (self.me.user, &mine.identity_key),
            (other, &theirs.identity_key),
        ))
    }

    /// `n` fresh one-time key packages, and a last-resort one if asked.
    pub fn key_packages(&mut self, n: usize, last_resort: bool) -> Result<UploadKeyPackages> {
        let signer = self.signer();
        let make = |lr: bool| -> Result<Bytes> {
            // A key package may carry only extensions its leaf says it supports (RFC 9420
            // §10.1): the last-resort mark must be listed, or everyone refuses the package.
            let mut b = KeyPackage::builder().leaf_node_capabilities(mls::capabilities());
            if lr {
                b = b.mark_as_last_resort();
            }
            let bundle = b
                .build(mls::CIPHERSUITE, &self.provider, &signer, self.credential())
                .map_err(mls_err)?;
            let msg = MlsMessageOut::from(bundle.key_package().clone());
            Ok(Bytes(mls::to_bytes(&msg)?))
        };
        let key_packages = (0..n).map(|_| make(false)).collect::<Result<Vec<_>>>()?;
        let last_resort = if last_resort { Some(make(true)?) } else { None };
        Ok(UploadKeyPackages {
            key_packages,
            last_resort,
        })
    }
}

/// Whether a message's transcript signature checks against the key of a device its sender's
/// newest signed device list names.
fn signed_by_listed_device(trust: &Trust, m: &ChatMessage) -> bool {
    trust
        .transcript_key(m.envelope.sender_person, m.envelope.sender_device)
        .is_some_and(|key| {
            identity::verify(
                key,
                &m.envelope.signed_bytes(),
                m.envelope.signature.as_slice(),
                "envelope",
            )
            .is_ok()
        })
}
