//! What this device keeps in its store, written out for one example of each persisted type
//! and compared with `crates/kontor-client/snapshots/`. A change to a stored format shows up
//! here first: decide whether old stores still read (serde defaults, aliases), then bless
//! the new form with `KONTOR_BLESS=1 cargo test -p kontor-client snapshots`.

use super::*;
use crate::history::{StopReason, Stopped};
use crate::trust::KnownPerson;
use kontor_proto::conversation::AddedDevice;
use kontor_proto::identity::DeviceKeys;

fn u(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

fn signed_list() -> SignedDeviceList {
    SignedDeviceList {
        list: DeviceList {
            org_id: OrgId(u(1)),
            person_id: PersonId(u(2)),
            identity_key: Bytes(vec![1; 4]),
            version: 3,
            devices: vec![DeviceKeys {
                device_id: DeviceId(u(3)),
                mls_signature_key: Bytes(vec![2; 4]),
                transcript_key: Bytes(vec![3; 4]),
            }],
            retired: vec![DeviceKeys {
                device_id: DeviceId(u(4)),
                mls_signature_key: Bytes(vec![4; 4]),
                transcript_key: Bytes(vec![5; 4]),
            }],
        },
        signature: Bytes(vec![6; 4]),
    }
}

fn envelope() -> Envelope {
    Envelope {
        v: PAYLOAD_VERSION,
        conversation_id: ConversationId(u(5)),
        sender_person: PersonId(u(2)),
        sender_device: DeviceId(u(3)),
        client_msg_id: ClientMsgId(u(6)),
        sent_at: 1_800_000_000_000,
        payload: r#"{"kind":"text","text":"Übergabe um 14 Uhr"}"#.into(),
        signature: Bytes(vec![7; 4]),
    }
}

/// One of every type the client persists, under the key prefix it is stored at.
fn examples() -> Vec<(&'static str, serde_json::Value)> {
    let me = Me {
        org: OrgId(u(1)),
        user: PersonId(u(2)),
        device: DeviceId(u(3)),
        mls_public: vec![8; 4],
        mls_private: vec![9; 4],
        transcript: SecretKey([10; 32]),
        identity: Some(SecretKey([11; 32])),
        own_list: Some(signed_list()),
        link_secret: Some([12; 32]),
        identity_published: true,
        pending_recovery_key: Some("ABCD-EFGH".into()),
    };
    let trust = Trust {
        org_key: Some(vec![13; 4]),
        external_sender_key: Some(vec![14; 4]),
        people: BTreeMap::from([(
            PersonId(u(2)),
            KnownPerson {
                identity_key: vec![1; 4],
                display_name: "Ben Becker".into(),
                device_list: signed_list(),
            },
        )]),
    };
    let mut conversation = ConversationState::new(ConversationId(u(5)), ConversationKind::Group);
    conversation.name = Some("Station 3".into());
    conversation.cursor = 42;
    conversation.stopped = Some(Stopped {
        reason: StopReason::UntrustedDevice,
        person: Some(PersonId(u(2))),
    });
    conversation.rejoining = true;
    conversation.unreachable = vec![PersonId(u(7))];
    conversation.own_seqs = vec![40, 41];
    conversation.read = 39;
    let message = ChatMessage {
        seq: 42,
        envelope: envelope(),
        verified: true,
        edited: Some("Übergabe um 15 Uhr".into()),
        deleted: false,
        reactions: BTreeMap::from([("👍".to_owned(), vec![PersonId(u(7))])]),
        votes: BTreeMap::from([(PersonId(u(7)), vec![1])]),
        pinned_by: Some(PersonId(u(7))),
    };
    let pending = PendingCommit {
        client_msg_id: ClientMsgId(u(8)),
        added: vec![PersonId(u(7))],
        removed: vec![PersonId(u(9))],
        body: Some(SendMessage {
            client_msg_id: ClientMsgId(u(8)),
            kind: MessageKind::Commit,
            epoch: 4,
            body: Bytes(vec![15; 4]),
            welcome: Some(Bytes(vec![16; 4])),
            added: vec![AddedDevice {
                person_id: PersonId(u(7)),
                device_id: DeviceId(u(10)),
                leaf: Some(2),
            }],
            removed: vec![DeviceId(u(11))],
            proposed_removals: vec![],
        }),
    };
    vec![
        (KEY_ME, serde_json::to_value(&me).unwrap()),
        (KEY_TRUST, serde_json::to_value(&trust).unwrap()),
        ("conv", serde_json::to_value(&conversation).unwrap()),
        ("msg", serde_json::to_value(&message).unwrap()),
        ("pending", serde_json::to_value(&pending).unwrap()),
        ("outbox", serde_json::to_value(envelope()).unwrap()),
    ]
}

#[test]
fn every_persisted_type_keeps_its_format() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots");
    let bless = std::env::var_os("KONTOR_BLESS").is_some();
    let mut changed = Vec::new();
    for (name, value) in examples() {
        let path = dir.join(format!("{}.json", name.replace('/', "_")));
        let now = serde_json::to_string_pretty(&value).unwrap() + "\n";
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &now).unwrap();
            continue;
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        if kept != now {
            changed.push(format!("{}:\n{now}", path.display()));
        }
    }
    assert!(
        changed.is_empty(),
        "a persisted format changed (bless with KONTOR_BLESS=1 once old stores still read):\n{}",
        changed.join("\n")
    );
}

/// What the snapshots hold reads back into its type and writes out the same: a store of
/// this version opens.
#[test]
fn every_kept_snapshot_reads_back() {
    fn same<T: serde::Serialize + serde::de::DeserializeOwned>(file: &str) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("snapshots")
            .join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let kept: serde_json::Value = serde_json::from_str(&text).unwrap();
        let read: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(serde_json::to_value(&read).unwrap(), kept, "{file}");
    }
    same::<Me>("me.json");
    same::<Trust>("trust.json");
    same::<ConversationState>("conv.json");
    same::<ChatMessage>("msg.json");
    same::<PendingCommit>("pending.json");
    same::<Envelope>("outbox.json");
}
