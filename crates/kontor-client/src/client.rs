//! The client core: one device's keys, trust, MLS groups and history, as a sans-IO state
//! machine.
//!
//! Nothing here opens a socket, reads a clock or touches a disk. Each operation takes what
//! the host fetched (key packages, identity bundles, stored messages) and returns the request
//! body to send ([`SendMessage`], [`PublishIdentity`], …). Changes to the group are two-phase:
//! a commit is staged and sent; only when the delivery service accepted it does
//! [`Client::on_sent`] merge it, and a refusal clears it. After every operation the host takes
//! [`Client::take_changes`] and writes them in one transaction to its store (SQLite natively,
//! IndexedDB in the browser), then sends.

use crate::error::{ClientError, Result};
use crate::history::{self, ChatMessage, ConversationState, StopReason, Stopped};
use crate::identity::{self, RecoveryKey, SecretKey};
use crate::mls::{self, Provider};
use crate::store::{Changes, Entries};
use crate::trust::Trust;
use kontor_proto::conversation::{
    AddedDevice, ConversationKind, CreateConversation, MessageKind, PendingWelcome, SendMessage,
    Sent, StoredMessage,
};
use kontor_proto::identity::{
    ApproveLinkRequest, ClaimedKeyPackages, CreateLinkRequest, DeviceKeys, DeviceList,
    IdentityBundle, LinkRequest, OrgKey, PublishIdentity, SignedDeviceList, UploadKeyPackages,
    label,
};
use kontor_proto::payload::{Envelope, PAYLOAD_VERSION, Payload, SystemNote};
use kontor_proto::{Bytes, ClientMsgId, ConversationId, DeviceId, ErrorCode, OrgId, UserId};
use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// This device's own secrets and ids.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Me {
    org: OrgId,
    user: UserId,
    device: DeviceId,
    mls_public: Vec<u8>,
    mls_private: Vec<u8>,
    transcript: SecretKey,
    /// The person's identity key, on devices that hold it.
    identity: Option<SecretKey>,
    /// The newest device list this device signed or saw of its own person.
    own_list: Option<SignedDeviceList>,
    /// The X25519 secret of a pending link request of this (new) device.
    link_secret: Option<[u8; 32]>,
    /// Whether the server answered the publication of the identity this device made.
    #[serde(default = "yes")]
    identity_published: bool,
    /// The recovery key made here, kept until the person confirms they kept it (it opens
    /// nothing that this store does not hold already: the identity key is here too).
    #[serde(default)]
    pending_recovery_key: Option<String>,
}

fn yes() -> bool {
    true
}

/// A commit this device sent and waits to hear about.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PendingCommit {
    client_msg_id: ClientMsgId,
    added: Vec<UserId>,
    removed: Vec<UserId>,
    /// The request, to send again (same client message id) when the answer was lost.
    #[serde(default)]
    body: Option<SendMessage>,
}

/// What a sealed link response carries to the new device.
#[derive(Serialize, Deserialize)]
struct LinkPayload {
    identity: SecretKey,
    device_list: SignedDeviceList,
    conversations: Vec<(ConversationState, Vec<ChatMessage>)>,
}

/// Something the person should see after processing a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Update {
    /// A new message (or one imported from history).
    Message(ConversationId, u64),
    /// An existing message changed (edit, deletion, reaction).
    Changed(ConversationId, u64),
    /// People joined or left.
    Members(ConversationId),
    /// This device was removed from the conversation.
    Removed(ConversationId),
}

/// One device's client state.
pub struct Client {
    provider: Provider,
    /// The MLS storage as last handed to the host, to compute what changed.
    persisted_mls: HashMap<Vec<u8>, Vec<u8>>,
    me: Me,
    trust: Trust,
    convs: BTreeMap<ConversationId, ConversationState>,
    messages: BTreeMap<ConversationId, BTreeMap<u64, ChatMessage>>,
    pending: BTreeMap<ConversationId, PendingCommit>,
    outbox: BTreeMap<ClientMsgId, Envelope>,
    groups: HashMap<ConversationId, MlsGroup>,
    dirty: BTreeSet<String>,
    /// People whose bundles were fetched while the message (or Welcome) in [`Self::judging`]
    /// was being judged: a device missing from their list now is really not theirs. Any
    /// older copy may simply predate a device its person linked since.
    fresh: BTreeSet<UserId>,
    /// The conversation and sequence number of the message being judged.
    judging: Option<(ConversationId, u64)>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("user", &self.me.user)
            .field("device", &self.me.device)
            .finish()
    }
}

const KEY_ME: &str = "me";
const KEY_TRUST: &str = "trust";
const MLS_PREFIX: &str = "mls/";

fn conv_key(c: ConversationId) -> String {
    format!("conv/{c}")
}
fn msg_key(c: ConversationId, seq: u64) -> String {
    format!("msg/{c}/{seq:020}")
}
fn pending_key(c: ConversationId) -> String {
    format!("pending/{c}")
}
fn outbox_key(id: ClientMsgId) -> String {
    format!("outbox/{id}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

fn json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn mls_err(e: impl std::fmt::Debug) -> ClientError {
    ClientError::Mls(format!("{e:?}"))
}

/// A fresh random id from the provider's randomness.
fn new_uuid(provider: &Provider) -> Result<uuid::Uuid> {
    Ok(uuid::Builder::from_random_bytes(provider.random::<16>()?).into_uuid())
}

impl Client {
    /// A new device of `user`: fresh MLS signature key and transcript key.
    pub fn new_device(org: OrgId, user: UserId, device: DeviceId) -> Result<Self> {
        let provider = Provider::default();
        let mls_secret = SecretKey::generate(&provider)?;
        let pair = SignatureKeyPair::from_raw(
            mls::CIPHERSUITE.signature_algorithm(),
            mls_secret.0.to_vec(),
            mls_secret.public(),
        );
        pair.store(openmls_traits::OpenMlsProvider::storage(&provider))
            .map_err(mls_err)?;
        let transcript = SecretKey::generate(&provider)?;
        let me = Me {
            org,
            user,
            device,
            mls_public: pair.public().to_vec(),
            mls_private: mls_secret.0.to_vec(),
            transcript,
            identity: None,
            own_list: None,
            link_secret: None,
            identity_published: true,
            pending_recovery_key: None,
        };
        let mut client = Client {
            provider,
            persisted_mls: HashMap::new(),
            me,
            trust: Trust::default(),
            convs: BTreeMap::new(),
            messages: BTreeMap::new(),
            pending: BTreeMap::new(),
            outbox: BTreeMap::new(),
            groups: HashMap::new(),
            dirty: BTreeSet::new(),
            fresh: BTreeSet::new(),
            judging: None,
        };
        client.dirty.insert(KEY_ME.into());
        client.dirty.insert(KEY_TRUST.into());
        Ok(client)
    }

    /// Restores a device from the entries its host stored.
    pub fn restore(entries: Entries) -> Result<Self> {
        let mut mls_entries = HashMap::new();
        let mut me = None;
        let mut trust = Trust::default();
        let mut convs = BTreeMap::new();
        let mut messages: BTreeMap<ConversationId, BTreeMap<u64, ChatMessage>> = BTreeMap::new();
        let mut pending = BTreeMap::new();
        let mut outbox = BTreeMap::new();
        let bad = |_| ClientError::Storage("unreadable entry".into());
        for (k, v) in entries {
            if let Some(h) = k.strip_prefix(MLS_PREFIX) {
                mls_entries.insert(unhex(h).ok_or(ClientError::Storage("bad key".into()))?, v);
            } else if k == KEY_ME {
                me = Some(serde_json::from_slice::<Me>(&v).map_err(bad)?);
            } else if k == KEY_TRUST {
                trust = serde_json::from_slice(&v).map_err(bad)?;
            } else if k.starts_with("conv/") {
                let c: ConversationState = serde_json::from_slice(&v).map_err(bad)?;
                convs.insert(c.id, c);
            } else if k.starts_with("msg/") {
                let m: ChatMessage = serde_json::from_slice(&v).map_err(bad)?;
                messages
                    .entry(m.envelope.conversation_id)
                    .or_default()
                    .insert(m.seq, m);
            } else if let Some(c) = k.strip_prefix("pending/") {
                let c: ConversationId =
                    c.parse().map_err(|_| ClientError::Storage("key".into()))?;
                pending.insert(c, serde_json::from_slice(&v).map_err(bad)?);
            } else if k.starts_with("outbox/") {
                let e: Envelope = serde_json::from_slice(&v).map_err(bad)?;
                outbox.insert(e.client_msg_id, e);
            }
        }
        let me = me.ok_or(ClientError::Storage("no device state".into()))?;
        Ok(Client {
            provider: Provider::with_entries(mls_entries.clone()),
            persisted_mls: mls_entries,
            me,
            trust,
            convs,
            messages,
            pending,
            outbox,
            groups: HashMap::new(),
            dirty: BTreeSet::new(),
            fresh: BTreeSet::new(),
            judging: None,
        })
    }

    /// Everything that changed since the last call, for the host to write in one transaction.
    pub fn take_changes(&mut self) -> Changes {
        let mut out: Changes = Vec::new();
        for k in std::mem::take(&mut self.dirty) {
            let value = if k == KEY_ME {
                Some(json(&self.me))
            } else if k == KEY_TRUST {
                Some(json(&self.trust))
            } else if let Some(c) = k.strip_prefix("conv/") {
                c.parse()
                    .ok()
                    .and_then(|c: ConversationId| self.convs.get(&c))
                    .map(json)
            } else if let Some(rest) = k.strip_prefix("msg/") {
                let mut parts = rest.split('/');
                let c: Option<ConversationId> = parts.next().and_then(|c| c.parse().ok());
                let s: Option<u64> = parts.next().and_then(|s| s.parse().ok());
                c.zip(s)
                    .and_then(|(c, s)| self.messages.get(&c).and_then(|m| m.get(&s)))
                    .map(json)
            } else if let Some(c) = k.strip_prefix("pending/") {
                c.parse()
                    .ok()
                    .and_then(|c: ConversationId| self.pending.get(&c))
                    .map(json)
            } else if let Some(id) = k.strip_prefix("outbox/") {
                id.parse()
                    .ok()
                    .and_then(|id: ClientMsgId| self.outbox.get(&id))
                    .map(json)
            } else {
                None
            };
            out.push((k, value));
        }
        for (k, v) in self.provider.diff(&mut self.persisted_mls) {
            out.push((format!("{MLS_PREFIX}{}", hex(&k)), v));
        }
        out
    }

    // --- who am I ---------------------------------------------------------------------------

    pub fn user(&self) -> UserId {
        self.me.user
    }
    pub fn device(&self) -> DeviceId {
        self.me.device
    }
    pub fn org(&self) -> OrgId {
        self.me.org
    }
    pub fn has_identity(&self) -> bool {
        self.me.identity.is_some()
    }
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// This device's public keys, as its person's device list names them.
    pub fn device_keys(&self) -> DeviceKeys {
        DeviceKeys {
            device_id: self.me.device,
            mls_signature_key: Bytes(self.me.mls_public.clone()),
            transcript_key: Bytes(self.me.transcript.public()),
        }
    }

    fn signer(&self) -> SignatureKeyPair {
        SignatureKeyPair::from_raw(
            mls::CIPHERSUITE.signature_algorithm(),
            self.me.mls_private.clone(),
            self.me.mls_public.clone(),
        )
    }

    fn credential(&self) -> CredentialWithKey {
        CredentialWithKey {
            credential: BasicCredential::new(mls::credential_identity(
                self.me.user,
                self.me.device,
            ))
            .into(),
            signature_key: self.me.mls_public.clone().into(),
        }
    }

    // --- identity ---------------------------------------------------------------------------

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
            self.fresh.insert(b.certificate.membership.user_id);
            // This device's own person: only the identity key it holds.
            if b.certificate.membership.user_id == self.me.user
                && let Some(own) = &self.me.identity
                && b.certificate.membership.identity_key.0 != own.public()
            {
                first_error.get_or_insert(ClientError::IdentityChanged(self.me.user));
                continue;
            }
            match self.trust.learn(b) {
                Ok(true) => {
                    self.dirty.insert(KEY_TRUST.into());
                }
                Ok(false) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                    continue;
                }
            }
            if b.certificate.membership.user_id == self.me.user {
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

    /// Which of these people this device does not know yet.
    pub fn unknown(&self, users: impl IntoIterator<Item = UserId>) -> Vec<UserId> {
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
            user_id: self.me.user,
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
    fn next_list(&self, add: Option<DeviceKeys>, drop: &[DeviceId]) -> Result<SignedDeviceList> {
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
                m.verified = self
                    .trust
                    .transcript_key(m.envelope.sender_user, m.envelope.sender_device)
                    .is_some_and(|key| {
                        identity::verify(
                            key,
                            &m.envelope.signed_bytes(),
                            m.envelope.signature.as_slice(),
                            "envelope",
                        )
                        .is_ok()
                    });
                self.dirty.insert(msg_key(state.id, m.seq));
                map.insert(m.seq, m);
                imported += 1;
            }
            self.convs.entry(state.id).or_insert(state);
        }
        Ok(imported)
    }

    /// The safety number between this person and another known person.
    pub fn safety_number(&self, other: UserId) -> Result<String> {
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

    // --- key packages -----------------------------------------------------------------------

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

    // --- conversations ----------------------------------------------------------------------

    fn group(&mut self, conv: ConversationId) -> Result<&mut MlsGroup> {
        if !self.groups.contains_key(&conv) {
            let storage = openmls_traits::OpenMlsProvider::storage(&self.provider);
            let mut g = MlsGroup::load(storage, &mls::group_id(conv))
                .map_err(mls_err)?
                .ok_or(ClientError::UnknownConversation)?;
            if g.configuration().wire_format_policy() != mls::WIRE_FORMAT_POLICY {
                // A group made before handshakes went out signed in the clear.
                g.set_configuration(storage, &mls::join_config())
                    .map_err(mls_err)?;
            }
            self.groups.insert(conv, g);
        }
        self.groups
            .get_mut(&conv)
            .ok_or(ClientError::UnknownConversation)
    }

    /// The provider and a conversation's group, loaded if needed (two fields borrowed apart).
    fn loaded(&mut self, conv: ConversationId) -> Result<(&Provider, &mut MlsGroup)> {
        self.group(conv)?;
        let group = self
            .groups
            .get_mut(&conv)
            .ok_or(ClientError::UnknownConversation)?;
        Ok((&self.provider, group))
    }

    /// The request body of a commit made in `epoch`, under a fresh client message id.
    fn commit_body(
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

    fn usable(&self, conv: ConversationId) -> Result<&ConversationState> {
        let c = self
            .convs
            .get(&conv)
            .ok_or(ClientError::UnknownConversation)?;
        if let Some(stop) = &c.stopped {
            return Err(ClientError::Stopped(stop.reason));
        }
        if c.removed {
            return Err(ClientError::NotAMember);
        }
        if c.rejoining {
            return Err(ClientError::Rejoining);
        }
        Ok(c)
    }

    /// The conversations this device knows.
    pub fn conversations(&self) -> impl Iterator<Item = &ConversationState> {
        self.convs.values()
    }

    pub fn conversation(&self, conv: ConversationId) -> Option<&ConversationState> {
        self.convs.get(&conv)
    }

    /// The messages of a conversation, oldest first.
    pub fn messages(&self, conv: ConversationId) -> impl Iterator<Item = &ChatMessage> {
        self.messages
            .get(&conv)
            .into_iter()
            .flat_map(|m| m.values())
    }

    /// The messages of a conversation, newest first.
    pub fn messages_rev(&self, conv: ConversationId) -> impl Iterator<Item = &ChatMessage> {
        self.messages
            .get(&conv)
            .into_iter()
            .flat_map(|m| m.values().rev())
    }

    /// The messages before sequence number `before` (all when `None`), newest first.
    pub fn messages_before(
        &self,
        conv: ConversationId,
        before: Option<u64>,
    ) -> impl Iterator<Item = &ChatMessage> {
        let end = before.unwrap_or(u64::MAX);
        self.messages
            .get(&conv)
            .into_iter()
            .flat_map(move |m| m.range(..end).rev().map(|(_, m)| m))
    }

    /// One message of the history.
    pub fn message(&self, conv: ConversationId, seq: u64) -> Option<&ChatMessage> {
        self.messages.get(&conv).and_then(|m| m.get(&seq))
    }

    /// The people in a conversation's MLS group, with their devices, as this device sees it.
    pub fn members(&mut self, conv: ConversationId) -> Result<BTreeMap<UserId, Vec<DeviceId>>> {
        let g = self.group(conv)?;
        let mut out: BTreeMap<UserId, Vec<DeviceId>> = BTreeMap::new();
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
        let group = MlsGroup::builder()
            .with_group_id(mls::group_id(id))
            .ciphersuite(mls::CIPHERSUITE)
            .with_wire_format_policy(mls::WIRE_FORMAT_POLICY)
            .with_group_context_extensions(external)
            .use_ratchet_tree_extension(true)
            .max_past_epochs(MAX_PAST_EPOCHS)
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
        people: &[UserId],
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
        let people: Vec<UserId> = claimed
            .key_packages
            .iter()
            .filter(|c| devices.contains(&c.device_id))
            .map(|c| c.user_id)
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

    fn stage_adds(
        &mut self,
        conv: ConversationId,
        people: &[UserId],
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
            if !people.contains(&c.user_id) {
                refused.push((
                    c.device_id,
                    ClientError::UntrustedDevice {
                        user: c.user_id,
                        device: c.device_id,
                        reason: "nobody asked to add this person",
                    },
                ));
                continue;
            }
            match self.check_key_package(c.user_id, c.device_id, c.key_package.as_slice()) {
                Ok(kp) => accepted.push((
                    AddedDevice {
                        user_id: c.user_id,
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
        let users: Vec<UserId> = added.iter().map(|a| a.user_id).collect();
        let body = self.commit_body(epoch, &commit, Some(&welcome), added, removed)?;
        Ok((
            Some(self.set_pending(conv, users, queued_users, body)),
            refused,
        ))
    }

    fn check_key_package(
        &self,
        user: UserId,
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
    fn set_pending(
        &mut self,
        conv: ConversationId,
        added: Vec<UserId>,
        removed: Vec<UserId>,
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
    fn queued_removals(group: &MlsGroup) -> (Vec<u32>, Vec<DeviceId>, Vec<UserId>) {
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
            sender_user: self.me.user,
            sender_device: self.me.device,
            client_msg_id,
            sent_at: now_ms,
            payload: payload.to_json(),
            signature: Bytes::default(),
        };
        envelope.signature = self.me.transcript.sign(&envelope.signed_bytes());
        self.outbox.insert(client_msg_id, envelope.clone());
        self.dirty.insert(outbox_key(client_msg_id));
        self.seal_envelope(conv, &envelope)
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

    fn seal_envelope(&mut self, conv: ConversationId, envelope: &Envelope) -> Result<SendMessage> {
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
                    m.envelope.sender_user != self.me.user
                        && m.is_visible()
                        && !matches!(m.payload(), Payload::System { .. })
                })
                .count()
        })
    }

    fn mark_own(&mut self, conv: ConversationId, seq: u64) {
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

    fn drain_own(c: &mut ConversationState) {
        c.own_seqs.sort_unstable();
        while c.own_seqs.first().is_some_and(|s| *s <= c.cursor + 1) {
            let s = c.own_seqs.remove(0);
            c.cursor = c.cursor.max(s);
        }
    }

    fn record(&mut self, conv: ConversationId, msg: ChatMessage) -> Vec<Update> {
        let seq = msg.seq;
        let map = self.messages.entry(conv).or_default();
        let mut updates = Vec::new();
        if let Some(target) = history::apply(map, &msg) {
            self.dirty.insert(msg_key(conv, target));
            updates.push(Update::Changed(conv, target));
        }
        let name = match msg.payload() {
            Payload::System {
                note: SystemNote::Renamed { name },
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
        let own = msg.envelope.sender_user == self.me.user;
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

    fn join_inner(&mut self, welcome: &PendingWelcome, msg: Welcome) -> Result<Vec<Update>> {
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
    fn own_message_back(&mut self, msg: &StoredMessage) -> Result<Vec<Update>> {
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
    fn stop(
        &mut self,
        conv: ConversationId,
        reason: StopReason,
        person: Option<UserId>,
    ) -> ClientError {
        if let Some(c) = self.convs.get_mut(&conv) {
            c.stopped = Some(Stopped { reason, person });
        }
        self.dirty.insert(conv_key(conv));
        ClientError::Stopped(reason)
    }

    /// This device could not process a change: it is out of step with the group and waits to
    /// be added again (the session asks members to). Nothing more is processed meanwhile.
    fn out_of_step(&mut self, conv: ConversationId) -> ClientError {
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
    pub fn set_unreachable(&mut self, conv: ConversationId, mut people: Vec<UserId>) {
        people.sort();
        people.dedup();
        if let Some(c) = self.convs.get_mut(&conv)
            && c.unreachable != people
        {
            c.unreachable = people;
            self.dirty.insert(conv_key(conv));
        }
    }

    fn advance(&mut self, conv: ConversationId, seq: u64) {
        if let Some(c) = self.convs.get_mut(&conv) {
            c.cursor = c.cursor.max(seq);
            c.own_seqs.retain(|s| *s > seq);
            Self::drain_own(c);
            self.dirty.insert(conv_key(conv));
        }
    }

    fn receive_inner(&mut self, msg: &StoredMessage) -> Result<Vec<Update>> {
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
        let (sender_user, sender_device) = mls::parse_credential(&sender)?;
        if (sender_user, sender_device) != (msg.sender_user, msg.sender_device) {
            if msg.kind == MessageKind::Commit {
                // The delivery service checks that a commit is its poster's own.
                return Err(self.stop(conv, StopReason::ForgedChange, Some(msg.sender_user)));
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
                if envelope.sender_user != sender_user
                    || envelope.sender_device != sender_device
                    || envelope.conversation_id != conv
                {
                    self.advance(conv, msg.seq);
                    return Err(ClientError::Invalid("envelope sender"));
                }
                let verified = match self.trust.transcript_key(sender_user, sender_device) {
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
    fn stop_for(&mut self, conv: ConversationId, e: ClientError, person: UserId) -> ClientError {
        let reason = match e {
            ClientError::IdentityChanged(_) => StopReason::IdentityChanged,
            ClientError::UntrustedDevice { .. } => StopReason::UntrustedDevice,
            _ => StopReason::ForgedChange,
        };
        self.stop(conv, reason, Some(person))
    }

    /// Starts judging one message: only bundles fetched from now on count as fresh.
    fn start_judging(&mut self, conv: ConversationId, seq: u64) {
        if self.judging != Some((conv, seq)) {
            self.judging = Some((conv, seq));
            self.fresh.clear();
        }
    }

    /// Whether a device in a group is one its person signed. When this device's copy of the
    /// person's list was not fetched for the message in hand, a device missing from it may be
    /// one they linked since: [`ClientError::NeedIdentities`] asks for the list afresh, and
    /// only a list fetched now can condemn the device.
    fn judge_device(&self, user: UserId, device: DeviceId, key: &[u8]) -> Result<()> {
        match self.trust.check_device_once_listed(user, device, key) {
            Ok(_) => Ok(()),
            Err(ClientError::UntrustedDevice { .. }) if !self.fresh.contains(&user) => {
                Err(ClientError::NeedIdentities(vec![user]))
            }
            Err(e) => Err(e),
        }
    }

    /// A proposal of the delivery service (the group's external sender, whose key the group
    /// context names and this device pinned): only removals are accepted, and only queued;
    /// a member's commit makes them real.
    fn external_proposal(
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
    pub fn missing_devices(&mut self, conv: ConversationId) -> Result<Vec<UserId>> {
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

    /// The person forgets a conversation this device was removed from (or left): its group
    /// state and secrets are deleted; the history stays.
    pub fn forget(&mut self, conv: ConversationId) {
        self.groups.remove(&conv);
        let storage = openmls_traits::OpenMlsProvider::storage(&self.provider);
        if let Ok(Some(mut g)) = MlsGroup::load(storage, &mls::group_id(conv)) {
            let _ = g.delete(storage);
        }
        if let Some(c) = self.convs.get_mut(&conv) {
            c.removed = true;
            self.dirty.insert(conv_key(conv));
        }
    }

    /// The current epoch of a conversation's group.
    pub fn epoch(&mut self, conv: ConversationId) -> Result<u64> {
        Ok(self.group(conv)?.epoch().as_u64())
    }
}

/// Devices left out of an addition, with the reason.
pub type Refused = Vec<(DeviceId, ClientError)>;

/// How many past epochs' secrets a group keeps: enough for this device's own commit to land
/// before messages of the previous epoch that it has not read yet, no more.
pub const MAX_PAST_EPOCHS: usize = 2;

/// Verifies an exported transcript outside Kontor: every envelope's signature against the
/// sender's transcript key in their signed device list (whose own signature is checked too).
pub fn verify_transcript(envelopes: &[Envelope], lists: &[SignedDeviceList]) -> Result<()> {
    for l in lists {
        identity::verify_device_list(l)?;
    }
    for e in envelopes {
        let key = lists
            .iter()
            .filter(|l| l.list.user_id == e.sender_user)
            .flat_map(|l| l.list.devices.iter())
            .find(|d| d.device_id == e.sender_device)
            .ok_or(ClientError::BadSignature("sender not in any device list"))?;
        identity::verify(
            key.transcript_key.as_slice(),
            &e.signed_bytes(),
            e.signature.as_slice(),
            "envelope",
        )?;
    }
    Ok(())
}
