//! An insider who holds a member device's whole state (its keys and MLS groups, read from the
//! device's store as malware on it could) and makes MLS messages with openmls directly,
//! without Kontor's client core and its rules.

use super::ChatDevice;
use kontor_client::KvStore;
use kontor_client::mls::Provider;
use kontor_client::store::SqliteStore;
use kontor_proto::conversation::{MessageKind, SendMessage};
use kontor_proto::{Bytes, ClientMsgId, ConversationId};
use openmls::prelude::tls_codec::Serialize as _;
use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use std::collections::HashMap;
use std::path::PathBuf;

pub struct Forger {
    pub provider: Provider,
    pub signer: SignatureKeyPair,
    store: PathBuf,
    before: HashMap<Vec<u8>, Vec<u8>>,
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn bytes(v: &serde_json::Value) -> Vec<u8> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect()
}

impl Forger {
    /// Reads a device's state from its store (what the device last committed).
    pub fn of(device: &ChatDevice) -> Forger {
        let store = device
            .home
            .path()
            .join("devices")
            .join(format!("{}.sqlite", device.s.core.device()));
        let entries = SqliteStore::open(&store).unwrap().load().unwrap();
        let mut mls = HashMap::new();
        let mut me = None;
        for (k, v) in entries {
            if let Some(h) = k.strip_prefix("mls/") {
                mls.insert(unhex(h), v);
            } else if k == "me" {
                me = Some(serde_json::from_slice::<serde_json::Value>(&v).unwrap());
            }
        }
        let me = me.expect("a device state");
        let signer = SignatureKeyPair::from_raw(
            SignatureScheme::ED25519,
            bytes(&me["mls_private"]),
            bytes(&me["mls_public"]),
        );
        Forger {
            provider: Provider::with_entries(mls.clone()),
            signer,
            store,
            before: mls,
        }
    }

    /// The device's MLS group of a conversation.
    pub fn group(&self, conv: ConversationId) -> MlsGroup {
        MlsGroup::load(
            OpenMlsProvider::storage(&self.provider),
            &GroupId::from_slice(conv.0.as_bytes()),
        )
        .unwrap()
        .expect("the device is in the group")
    }

    /// A request body carrying a forged MLS message, declaring what the sender likes.
    pub fn body(kind: MessageKind, epoch: u64, msg: &MlsMessageOut) -> SendMessage {
        SendMessage {
            client_msg_id: ClientMsgId::new(),
            kind,
            epoch,
            body: Bytes(msg.tls_serialize_detached().unwrap()),
            welcome: None,
            added: Vec::new(),
            removed: Vec::new(),
            proposed_removals: Vec::new(),
        }
    }

    /// Writes what was changed here back into the device's store (the device must be opened
    /// again to see it).
    pub fn write_back(&mut self) {
        let changes: Vec<(String, Option<Vec<u8>>)> = self
            .provider
            .diff(&mut self.before)
            .into_iter()
            .map(|(k, v)| (format!("mls/{}", hex(&k)), v))
            .collect();
        SqliteStore::open(&self.store)
            .unwrap()
            .commit(&changes)
            .unwrap();
    }
}
