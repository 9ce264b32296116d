//! The openmls side: the provider (RustCrypto plus an in-memory key-value storage that the
//! host persists), the group configuration and Kontor's MLS credentials.

use crate::error::ClientError;
use kontor_proto::{DeviceId, PersonId};
use openmls::prelude::*;
use openmls_memory_storage::MemoryStorage;
use openmls_rust_crypto::RustCrypto;
use openmls_traits::OpenMlsProvider;
use std::collections::HashMap;

/// RFC 9420 ciphersuite 0x0001: X25519, AES-128-GCM, SHA-256, Ed25519.
pub const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// openmls' view of the device: crypto, randomness and its storage.
#[derive(Debug, Default)]
pub struct Provider {
    crypto: RustCrypto,
    storage: MemoryStorage,
}

impl OpenMlsProvider for Provider {
    type CryptoProvider = RustCrypto;
    type RandProvider = RustCrypto;
    type StorageProvider = MemoryStorage;

    fn storage(&self) -> &MemoryStorage {
        &self.storage
    }
    fn crypto(&self) -> &RustCrypto {
        &self.crypto
    }
    fn rand(&self) -> &RustCrypto {
        &self.crypto
    }
}

impl Provider {
    /// A provider whose storage starts from persisted entries.
    pub fn with_entries(entries: HashMap<Vec<u8>, Vec<u8>>) -> Self {
        let p = Provider::default();
        *p.storage.values.write().unwrap_or_else(|e| e.into_inner()) = entries;
        p
    }

    /// A copy of every storage entry.
    pub fn snapshot(&self) -> HashMap<Vec<u8>, Vec<u8>> {
        self.storage
            .values
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The entries that differ from `before`: `(key, Some(new value))` or `(key, None)` when
    /// deleted. Updates `before` to the current state.
    pub fn diff(&self, before: &mut HashMap<Vec<u8>, Vec<u8>>) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        let now = self
            .storage
            .values
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (k, v) in now.iter() {
            if before.get(k) != Some(v) {
                out.push((k.clone(), Some(v.clone())));
            }
        }
        for k in before.keys() {
            if !now.contains_key(k) {
                out.push((k.clone(), None));
            }
        }
        *before = now.clone();
        out
    }

    /// The crypto provider.
    pub fn crypto_ref(&self) -> &RustCrypto {
        &self.crypto
    }

    /// Random bytes from the crypto provider.
    pub fn random<const N: usize>(&self) -> Result<[u8; N], ClientError> {
        use openmls_traits::random::OpenMlsRand;
        self.crypto
            .random_array::<N>()
            .map_err(|_| ClientError::Crypto("randomness"))
    }
}

/// How many past epochs' secrets a group keeps: enough for this device's own commit to land
/// before messages of the previous epoch that it has not read yet, no more.
pub const MAX_PAST_EPOCHS: usize = 2;

/// How far out of order, and how far ahead, a member's messages may arrive.
fn sender_ratchet() -> SenderRatchetConfiguration {
    SenderRatchetConfiguration::new(20, 1000)
}

// The one configuration of every Kontor group, whether this device creates it or joins it:
// signed handshakes in the clear (the delivery service follows the group's public state and
// refuses what no member could process), the ratchet tree in Welcomes, a small bounded window
// of past-epoch secrets, one sender-ratchet tolerance.

/// A new group's builder with that configuration (the caller adds its extensions).
pub fn create_builder(conv: kontor_proto::ConversationId) -> MlsGroupBuilder {
    MlsGroup::builder()
        .with_group_id(group_id(conv))
        .ciphersuite(CIPHERSUITE)
        .with_wire_format_policy(WIRE_FORMAT_POLICY)
        .use_ratchet_tree_extension(true)
        .max_past_epochs(MAX_PAST_EPOCHS)
        .sender_ratchet_configuration(sender_ratchet())
}

/// Joining from a Welcome with that configuration.
pub fn join_config() -> MlsGroupJoinConfig {
    MlsGroupJoinConfig::builder()
        .wire_format_policy(WIRE_FORMAT_POLICY)
        .use_ratchet_tree_extension(true)
        .max_past_epochs(MAX_PAST_EPOCHS)
        .sender_ratchet_configuration(sender_ratchet())
        .build()
}

/// What a Kontor device's leaf supports: the defaults, and the last-resort mark on key
/// packages (RFC 9420 §10.1: a key package's extensions must be listed in its leaf).
pub fn capabilities() -> Capabilities {
    Capabilities::builder()
        .extensions(vec![ExtensionType::LastResort])
        .build()
}

/// Application messages leave encrypted; commits and proposals leave as signed
/// `PublicMessage`s, so that the delivery service can validate them against the group's public
/// state before they take an epoch. What is secret in them (path secrets) is HPKE-encrypted to
/// members either way; what the server reads (who is added or removed, leaf keys) it knows
/// already from routing.
pub const WIRE_FORMAT_POLICY: WireFormatPolicy = MIXED_PLAINTEXT_WIRE_FORMAT_POLICY;

/// The identity bytes of a device's basic credential: label, person, device.
pub fn credential_identity(user: PersonId, device: DeviceId) -> Vec<u8> {
    kontor_proto::identity::credential_identity(user, device)
}

/// Reads back who a credential claims to be. The claim means nothing until the signature key
/// is found in that person's signed device list.
pub fn parse_credential(credential: &Credential) -> Result<(PersonId, DeviceId), ClientError> {
    let basic = BasicCredential::try_from(credential.clone())
        .map_err(|_| ClientError::Invalid("credential type"))?;
    kontor_proto::identity::parse_credential_identity(basic.identity())
        .ok_or(ClientError::Invalid("credential"))
}

/// Serialises an MLS message for the wire.
pub fn to_bytes(msg: &MlsMessageOut) -> Result<Vec<u8>, ClientError> {
    use openmls::prelude::tls_codec::Serialize;
    msg.tls_serialize_detached()
        .map_err(|_| ClientError::Mls("serialise".into()))
}

/// Parses an MLS message from the wire.
pub fn from_bytes(bytes: &[u8]) -> Result<MlsMessageBodyIn, ClientError> {
    use openmls::prelude::tls_codec::Deserialize;
    MlsMessageIn::tls_deserialize_exact(bytes)
        .map(MlsMessageIn::extract)
        .map_err(|_| ClientError::Invalid("mls message"))
}

/// The group id of a conversation.
pub fn group_id(conv: kontor_proto::ConversationId) -> GroupId {
    GroupId::from_slice(conv.0.as_bytes())
}

/// The conversation of a group id.
pub fn conversation_of(group: &GroupId) -> Result<kontor_proto::ConversationId, ClientError> {
    uuid::Uuid::from_slice(group.as_slice())
        .map(kontor_proto::ConversationId)
        .map_err(|_| ClientError::Invalid("group id"))
}
