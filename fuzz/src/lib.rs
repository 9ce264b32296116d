//! What the fuzz targets share: a small organisation whose keys are fixed, so that seeds
//! signed with them stay valid, and a conversation of Anna and Ben, built once per process
//! with the real client core (MLS keys come from the system's randomness).
//!
//! Every target calls the real decoder of remote input; none may panic on any input. See
//! `DEVELOPERS.md` ("Fuzzing") for how to run them and what to do with a crash.

use ed25519_dalek::{Signer, SigningKey};
use kontor_client::{Client, Entries, KvStore, MemoryStore};
use kontor_proto::conversation::{
    ConversationKind, MessageKind, PendingWelcome, SendMessage, Sent, StoredMessage,
};
use kontor_proto::identity::{
    ClaimedKeyPackage, ClaimedKeyPackages, DeviceKeys, DeviceList, IdentityBundle, Membership,
    MembershipCertificate, OrgKey, SignedDeviceList, label,
};
use kontor_proto::payload::Payload;
use kontor_proto::{Bytes, ClientMsgId, ConversationId, DeviceId, OrgId, PersonId};
use std::sync::OnceLock;

/// The organisation's signing key (fixed: seeds carry certificates it signed).
pub fn org_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// The delivery service's external-sender key.
pub fn ds_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

pub const ORG: OrgId = OrgId(uuid::Uuid::from_u128(1));

pub fn user(n: u128) -> PersonId {
    PersonId(uuid::Uuid::from_u128(n))
}

pub fn device(n: u128) -> DeviceId {
    DeviceId(uuid::Uuid::from_u128(1000 + n))
}

/// The organisation's public keys, as `GET /identity/org-key` answers.
pub fn org_public() -> OrgKey {
    OrgKey {
        org_id: ORG,
        signing_key: Bytes(org_key().verifying_key().to_bytes().to_vec()),
        external_sender_key: Bytes(ds_key().verifying_key().to_bytes().to_vec()),
    }
}

/// A membership certificate for `list`'s person, signed by the organisation.
pub fn certify(list: SignedDeviceList, name: &str) -> IdentityBundle {
    let membership = Membership {
        org_id: list.list.org_id,
        person_id: list.list.person_id,
        identity_key: list.list.identity_key.clone(),
        display_name: name.to_owned(),
        issued_at: 0,
    };
    let signature = Bytes(
        org_key()
            .sign(&membership.signed_bytes())
            .to_bytes()
            .to_vec(),
    );
    IdentityBundle {
        certificate: MembershipCertificate {
            membership,
            signature,
        },
        device_list: list,
        disambiguator: None,
    }
}

/// A device list of person `n` (identity key from the seed byte `n`), signed by it.
pub fn signed_list(
    n: u8,
    version: u64,
    devices: Vec<DeviceKeys>,
    retired: Vec<DeviceKeys>,
) -> SignedDeviceList {
    let identity = SigningKey::from_bytes(&[n; 32]);
    let list = DeviceList {
        org_id: ORG,
        person_id: user(u128::from(n)),
        identity_key: Bytes(identity.verifying_key().to_bytes().to_vec()),
        version,
        devices,
        retired,
    };
    let mut signed = label::DEVICE_LIST.to_vec();
    signed.extend_from_slice(&serde_json::to_vec(&list).unwrap_or_default());
    SignedDeviceList {
        signature: Bytes(identity.sign(&signed).to_bytes().to_vec()),
        list,
    }
}

/// The keys of device `d`, all from fixed seeds.
pub fn device_keys(d: u8) -> DeviceKeys {
    let key = |seed: u8| {
        Bytes(
            SigningKey::from_bytes(&[seed; 32])
                .verifying_key()
                .to_bytes()
                .to_vec(),
        )
    };
    DeviceKeys {
        device_id: device(u128::from(d)),
        mls_signature_key: key(d.wrapping_add(100)),
        transcript_key: key(d.wrapping_add(200)),
    }
}

/// Anna and Ben in one group conversation, and Chris, who is not in it yet; each as the
/// entries its host would have stored. Ben has read everything up to `ben_cursor`.
#[derive(Debug)]
pub struct World {
    pub anna: Entries,
    pub ben: Entries,
    pub chris: Entries,
    pub conv: ConversationId,
    /// The conversation's epoch and the sequence number of the next message.
    pub epoch: u64,
    pub next_seq: u64,
    pub anna_ids: (PersonId, DeviceId),
    pub ben_ids: (PersonId, DeviceId),
    pub chris_ids: (PersonId, DeviceId),
    /// Real messages of this conversation: Anna's commit that added Ben, its Welcome, her
    /// first text, and a key package of Chris. Seeds for the MLS targets.
    pub commit: SendMessage,
    pub application: SendMessage,
    pub key_package: Bytes,
    pub group_info: Bytes,
}

fn person(n: u128) -> Client {
    let mut c = Client::new_device(ORG, user(n), device(n)).expect("new device");
    c.pin_org_key(&org_public()).expect("pin");
    c
}

fn stored(c: &mut Client) -> Entries {
    let mut store = MemoryStore::default();
    store.commit(&c.take_changes()).expect("memory store");
    store.load().expect("memory store")
}

impl World {
    /// The world of this process, built on first use.
    pub fn get() -> &'static World {
        static WORLD: OnceLock<World> = OnceLock::new();
        WORLD.get_or_init(World::build)
    }

    fn build() -> World {
        let mut anna = person(10);
        let mut ben = person(20);
        let mut chris = person(30);
        let mut bundles = Vec::new();
        for c in [&mut anna, &mut ben, &mut chris] {
            let (publish, _recovery) = c.create_identity().expect("identity");
            c.identity_was_published();
            c.recovery_key_kept();
            bundles.push(certify(publish.device_list, "colleague"));
        }
        for c in [&mut anna, &mut ben, &mut chris] {
            c.learn(&bundles).expect("learn");
        }
        let create = anna
            .create_conversation(ConversationKind::Group)
            .expect("create");
        let conv = create.id;
        let claim = |c: &mut Client| ClaimedKeyPackages {
            key_packages: vec![ClaimedKeyPackage {
                person_id: c.user(),
                device_id: c.device(),
                key_package: c.key_packages(1, false).expect("key package").key_packages[0].clone(),
            }],
        };
        let claimed = claim(&mut ben);
        let key_package = claim(&mut chris).key_packages[0].key_package.clone();
        let (commit, _) = anna.add(conv, &[ben.user()], &claimed).expect("add");
        let commit = commit.expect("a commit");
        let sent = Sent {
            seq: 1,
            epoch: 1,
            duplicate: false,
        };
        anna.on_sent(conv, commit.client_msg_id, Ok(&sent))
            .expect("merge");
        ben.join(&PendingWelcome {
            conversation_id: conv,
            kind: ConversationKind::Group,
            seq: 1,
            welcome: commit.welcome.clone().expect("a welcome"),
        })
        .expect("join");
        let text = Payload::Text {
            text: "Hallo **Ben**".into(),
            mentions: vec![],
            reply_to: None,
            forwarded: false,
        };
        let application = anna.encrypt(conv, &text, 1).expect("encrypt");
        let sent = Sent {
            seq: 2,
            epoch: 1,
            duplicate: false,
        };
        anna.on_sent(conv, application.client_msg_id, Ok(&sent))
            .expect("sent");
        let msg = StoredMessage {
            conversation_id: conv,
            seq: 2,
            kind: MessageKind::Application,
            epoch: 1,
            sender_person: anna.user(),
            sender_device: anna.device(),
            client_msg_id: application.client_msg_id,
            body: application.body.clone(),
            sent_at: String::new(),
            voided: false,
        };
        ben.receive(&msg).expect("receive");
        World {
            anna_ids: (anna.user(), anna.device()),
            ben_ids: (ben.user(), ben.device()),
            chris_ids: (chris.user(), chris.device()),
            anna: stored(&mut anna),
            ben: stored(&mut ben),
            chris: stored(&mut chris),
            conv,
            epoch: 1,
            next_seq: 3,
            commit,
            application,
            key_package,
            group_info: create.group_info,
        }
    }

    /// Anna, Ben or Chris as stored: every input starts from the same state.
    pub fn restore(entries: &Entries) -> Client {
        Client::restore(entries.clone()).expect("restore")
    }

    /// A message in the conversation's log, as the delivery service hands it out.
    pub fn stored_message(
        &self,
        seq: u64,
        kind: MessageKind,
        from: (PersonId, DeviceId),
        client_msg_id: ClientMsgId,
        body: Vec<u8>,
    ) -> StoredMessage {
        StoredMessage {
            conversation_id: self.conv,
            seq,
            kind,
            epoch: self.epoch,
            sender_person: from.0,
            sender_device: from.1,
            client_msg_id,
            body: Bytes(body),
            sent_at: String::new(),
            voided: false,
        }
    }
}
