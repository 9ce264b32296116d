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
use kontor_proto::{Bytes, ClientMsgId, ConversationId, DeviceId, ErrorCode, OrgId, PersonId};
use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

mod linking;
mod membership;
mod outbox;
mod receiving;
#[cfg(test)]
mod snapshots;

/// This device's own secrets and ids.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Me {
    org: OrgId,
    user: PersonId,
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
    added: Vec<PersonId>,
    removed: Vec<PersonId>,
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
    fresh: BTreeSet<PersonId>,
    /// The conversation and sequence number of the message being judged.
    judging: Option<(ConversationId, u64)>,
    /// Folded texts for search, in memory only ([`crate::search`]).
    pub(crate) search_cache: crate::search::SearchCache,
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
    pub fn new_device(org: OrgId, user: PersonId, device: DeviceId) -> Result<Self> {
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
            search_cache: Default::default(),
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
            search_cache: Default::default(),
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

    pub fn user(&self) -> PersonId {
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

    /// Whether a message for this conversation that waits in the outbox can still go out by
    /// itself: the conversation is usable, or only waits for this device to be added again.
    pub fn can_send_later(&self, conv: ConversationId) -> bool {
        matches!(self.usable(conv), Ok(_) | Err(ClientError::Rejoining))
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

/// Verifies an exported transcript outside Kontor: every envelope's signature against the
/// sender's transcript key in their signed device list (whose own signature is checked too).
pub fn verify_transcript(envelopes: &[Envelope], lists: &[SignedDeviceList]) -> Result<()> {
    for l in lists {
        identity::verify_device_list(l)?;
    }
    for e in envelopes {
        let key = lists
            .iter()
            .filter(|l| l.list.person_id == e.sender_person)
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
