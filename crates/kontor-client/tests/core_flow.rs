//! The sans-IO core on its own: two people and a ghost, with the test carrying bytes between
//! them the way the delivery service would (one ordered log, epoch check, first commit wins).
//! The server itself is exercised in kontor-server's scenario tests.

use ed25519_dalek::{Signer, SigningKey};
use kontor_client::{Client, ClientError, Update};
use kontor_proto::conversation::{
    ConversationKind, MessageKind, PendingWelcome, SendMessage, Sent, StoredMessage,
};
use kontor_proto::identity::{
    ClaimedKeyPackage, ClaimedKeyPackages, IdentityBundle, Membership, MembershipCertificate,
    OrgKey, SignedDeviceList,
};
use kontor_proto::payload::Payload;
use kontor_proto::{Bytes, ConversationId, DeviceId, ErrorCode, OrgId, PersonId};
use std::collections::HashMap;

fn id(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

struct Org {
    id: OrgId,
    key: SigningKey,
    lists: HashMap<PersonId, SignedDeviceList>,
}

impl Org {
    fn org_key(&self) -> OrgKey {
        OrgKey {
            org_id: self.id,
            signing_key: Bytes(self.key.verifying_key().to_bytes().to_vec()),
            external_sender_key: Bytes(
                SigningKey::from_bytes(&[42; 32])
                    .verifying_key()
                    .to_bytes()
                    .to_vec(),
            ),
        }
    }
    fn bundle(&self, user: PersonId) -> IdentityBundle {
        let list = self.lists[&user].clone();
        let membership = Membership {
            org_id: self.id,
            person_id: user,
            identity_key: list.list.identity_key.clone(),
            display_name: format!("user {user}"),
            issued_at: 0,
        };
        let signature = Bytes(
            self.key
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
}

/// The ordered log of one conversation, as the delivery service keeps it.
#[derive(Default)]
struct Log {
    epoch: u64,
    messages: Vec<StoredMessage>,
    welcomes: HashMap<DeviceId, PendingWelcome>,
}

impl Log {
    fn send(
        &mut self,
        conv: ConversationId,
        from: &Client,
        m: &SendMessage,
    ) -> Result<Sent, ErrorCode> {
        if m.epoch != self.epoch {
            return Err(ErrorCode::StaleEpoch);
        }
        let seq = self.messages.len() as u64 + 1;
        if m.kind == MessageKind::Commit {
            self.epoch += 1;
            for a in &m.added {
                self.welcomes.insert(
                    a.device_id,
                    PendingWelcome {
                        conversation_id: conv,
                        kind: ConversationKind::Group,
                        seq,
                        welcome: m.welcome.clone().unwrap(),
                    },
                );
            }
        }
        self.messages.push(StoredMessage {
            conversation_id: conv,
            seq,
            kind: m.kind,
            epoch: m.epoch,
            sender_person: from.user(),
            sender_device: from.device(),
            client_msg_id: m.client_msg_id,
            body: m.body.clone(),
            sent_at: String::new(),
            voided: false,
        });
        Ok(Sent {
            seq,
            epoch: self.epoch,
            duplicate: false,
        })
    }
}

fn person(org: &mut Org, n: u128) -> Client {
    let user = PersonId(id(n));
    let mut c = Client::new_device(org.id, user, DeviceId(id(n + 1000))).unwrap();
    c.pin_org_key(&org.org_key()).unwrap();
    let (publish, _recovery) = c.create_identity().unwrap();
    org.lists.insert(user, publish.device_list);
    c
}

fn claim(c: &mut Client) -> ClaimedKeyPackage {
    let up = c.key_packages(1, false).unwrap();
    ClaimedKeyPackage {
        person_id: c.user(),
        device_id: c.device(),
        key_package: up.key_packages[0].clone(),
    }
}

fn text(t: &str) -> Payload {
    Payload::Text {
        text: t.into(),
        mentions: vec![],
        reply_to: None,
        forwarded: false,
    }
}

fn catch_up(c: &mut Client, log: &Log, conv: ConversationId) -> Vec<Update> {
    let mut out = Vec::new();
    for m in &log.messages {
        match c.receive(m) {
            Ok(u) => out.extend(u),
            Err(ClientError::NotAMember) => break,
            Err(e) => panic!("{e}"),
        }
    }
    let _ = conv;
    out
}

#[test]
fn anna_and_ben_talk_and_a_ghost_is_refused() {
    let mut org = Org {
        id: OrgId(id(1)),
        key: SigningKey::from_bytes(&[7; 32]),
        lists: HashMap::new(),
    };
    let mut anna = person(&mut org, 10);
    let mut ben = person(&mut org, 20);
    let bundles = vec![org.bundle(anna.user()), org.bundle(ben.user())];
    anna.learn(&bundles).unwrap();
    ben.learn(&bundles).unwrap();

    // A ghost: a device of "Ben" that Ben's identity never signed.
    let mut ghost = Client::new_device(org.id, ben.user(), DeviceId(id(666))).unwrap();

    let create = anna.create_conversation(ConversationKind::Group).unwrap();
    let conv = create.id;
    let mut log = Log::default();
    let claimed = ClaimedKeyPackages {
        key_packages: vec![claim(&mut ben), claim(&mut ghost)],
    };
    let (commit, refused) = anna.add(conv, &[ben.user()], &claimed).unwrap();
    let commit = commit.unwrap();
    assert_eq!(refused.len(), 1, "the ghost is refused");
    assert_eq!(refused[0].0, DeviceId(id(666)));
    assert_eq!(commit.added.len(), 1);
    let sent = log.send(conv, &anna, &commit).unwrap();
    anna.on_sent(conv, commit.client_msg_id, Ok(&sent)).unwrap();

    let welcome = log.welcomes[&ben.device()].clone();
    ben.join(&welcome).unwrap();
    assert!(!log.welcomes.contains_key(&ghost.device()));

    let m = anna.encrypt(conv, &text("Hallo **Ben**"), 1).unwrap();
    let sent = log.send(conv, &anna, &m).unwrap();
    anna.on_sent(conv, m.client_msg_id, Ok(&sent)).unwrap();
    let updates = catch_up(&mut ben, &log, conv);
    assert_eq!(updates, vec![Update::Message(conv, 2)]);
    let got: Vec<_> = ben.messages(conv).map(|m| (m.text(), m.verified)).collect();
    assert_eq!(got, vec![("Hallo **Ben**".to_string(), true)]);

    // Ben replies, edits, and Anna reacts.
    let r = ben.encrypt(conv, &text("Hallo Anna"), 2).unwrap();
    let sent = log.send(conv, &ben, &r).unwrap();
    ben.on_sent(conv, r.client_msg_id, Ok(&sent)).unwrap();
    let e = ben
        .encrypt(
            conv,
            &Payload::Edit {
                target: r.client_msg_id,
                text: "Hallo Anna!".into(),
                mentions: vec![],
            },
            3,
        )
        .unwrap();
    let sent = log.send(conv, &ben, &e).unwrap();
    ben.on_sent(conv, e.client_msg_id, Ok(&sent)).unwrap();
    catch_up(&mut anna, &log, conv);
    let texts: Vec<_> = anna
        .messages(conv)
        .filter(|m| m.is_visible())
        .map(|m| m.text())
        .collect();
    assert_eq!(texts, vec!["Hallo **Ben**", "Hallo Anna!"]);

    // A second commit made for an old epoch is refused and cleared; after catching up it works.
    let stale = SendMessage {
        epoch: 0,
        ..m.clone()
    };
    assert_eq!(log.send(conv, &anna, &stale), Err(ErrorCode::StaleEpoch));

    // Ben is removed; what Anna sends afterwards, Ben cannot read, whatever he holds.
    let removal = anna.remove(conv, &[ben.device()]).unwrap().unwrap();
    let sent = log.send(conv, &anna, &removal).unwrap();
    anna.on_sent(conv, removal.client_msg_id, Ok(&sent))
        .unwrap();
    let secret = anna.encrypt(conv, &text("nur für Anna"), 4).unwrap();
    let sent = log.send(conv, &anna, &secret).unwrap();
    anna.on_sent(conv, secret.client_msg_id, Ok(&sent)).unwrap();
    let updates = catch_up(&mut ben, &log, conv);
    assert!(updates.contains(&Update::Removed(conv)));
    assert!(ben.messages(conv).all(|m| m.text() != "nur für Anna"));
    // The removed device fed the later ciphertext directly: it cannot process it.
    let last = log.messages.last().unwrap().clone();
    assert!(matches!(ben.receive(&last), Err(ClientError::NotAMember)));
}

#[test]
fn state_survives_a_restart_through_the_store() {
    use kontor_client::{KvStore, MemoryStore};
    let mut org = Org {
        id: OrgId(id(2)),
        key: SigningKey::from_bytes(&[8; 32]),
        lists: HashMap::new(),
    };
    let mut anna = person(&mut org, 30);
    let mut ben = person(&mut org, 40);
    let bundles = vec![org.bundle(anna.user()), org.bundle(ben.user())];
    anna.learn(&bundles).unwrap();
    ben.learn(&bundles).unwrap();
    let mut ben_store = MemoryStore::default();
    let conv = anna
        .create_conversation(ConversationKind::Direct)
        .unwrap()
        .id;
    let mut log = Log::default();
    let claimed = ClaimedKeyPackages {
        key_packages: vec![claim(&mut ben)],
    };
    ben_store.commit(&ben.take_changes()).unwrap();
    let (commit, _) = anna.add(conv, &[ben.user()], &claimed).unwrap();
    let commit = commit.unwrap();
    let sent = log.send(conv, &anna, &commit).unwrap();
    anna.on_sent(conv, commit.client_msg_id, Ok(&sent)).unwrap();

    // Ben restarts from his store before joining: the key package's secret is still there.
    let mut ben = Client::restore(ben_store.load().unwrap()).unwrap();
    ben.join(&log.welcomes[&ben.device()].clone()).unwrap();
    ben_store.commit(&ben.take_changes()).unwrap();
    let m = anna.encrypt(conv, &text("eins"), 1).unwrap();
    let sent = log.send(conv, &anna, &m).unwrap();
    anna.on_sent(conv, m.client_msg_id, Ok(&sent)).unwrap();
    let mut ben = Client::restore(ben_store.load().unwrap()).unwrap();
    catch_up(&mut ben, &log, conv);
    ben_store.commit(&ben.take_changes()).unwrap();
    let ben = Client::restore(ben_store.load().unwrap()).unwrap();
    assert_eq!(
        ben.messages(conv).map(|m| m.text()).collect::<Vec<_>>(),
        vec!["eins"]
    );
    assert_eq!(ben.conversation(conv).unwrap().cursor, 2);
}

/// The server holds the organisation key, so it can certify a forged identity for Ben with a
/// ghost device. A member who never saw Ben (Chris) is fooled and adds the ghost; Anna, who
/// pinned Ben's real identity key, refuses the commit and stops the conversation.
#[test]
fn a_commit_adding_a_forged_device_is_refused_by_those_who_know_better() {
    let mut org = Org {
        id: OrgId(id(3)),
        key: SigningKey::from_bytes(&[9; 32]),
        lists: HashMap::new(),
    };
    let mut anna = person(&mut org, 50);
    let mut ben = person(&mut org, 60);
    let mut chris = person(&mut org, 70);
    let real = vec![
        org.bundle(anna.user()),
        org.bundle(ben.user()),
        org.bundle(chris.user()),
    ];
    anna.learn(&real).unwrap();
    chris
        .learn(&[org.bundle(anna.user()), org.bundle(chris.user())])
        .unwrap();

    let conv = anna
        .create_conversation(ConversationKind::Group)
        .unwrap()
        .id;
    let mut log = Log::default();
    let claimed = ClaimedKeyPackages {
        key_packages: vec![claim(&mut chris)],
    };
    let commit = anna
        .add(conv, &[chris.user()], &claimed)
        .unwrap()
        .0
        .unwrap();
    let sent = log.send(conv, &anna, &commit).unwrap();
    anna.on_sent(conv, commit.client_msg_id, Ok(&sent)).unwrap();
    chris.join(&log.welcomes[&chris.device()].clone()).unwrap();

    // The forged identity: a key pair the server made "for Ben", listing a ghost device,
    // certified with the organisation key the server holds.
    let mut ghost = Client::new_device(org.id, ben.user(), DeviceId(id(999))).unwrap();
    let fake = kontor_client::identity::SecretKey([5; 32]);
    let forged_list = kontor_client::identity::sign_device_list(
        &fake,
        kontor_proto::identity::DeviceList {
            org_id: org.id,
            person_id: ben.user(),
            identity_key: Bytes(fake.public()),
            version: 7,
            devices: vec![ghost.device_keys()],
            retired: vec![],
        },
    );
    let membership = Membership {
        org_id: org.id,
        person_id: ben.user(),
        identity_key: Bytes(fake.public()),
        display_name: "Ben".into(),
        issued_at: 0,
    };
    let signature = Bytes(org.key.sign(&membership.signed_bytes()).to_bytes().to_vec());
    let forged_bundle = IdentityBundle {
        certificate: MembershipCertificate {
            membership,
            signature,
        },
        device_list: forged_list,
        disambiguator: None,
    };
    chris.learn(std::slice::from_ref(&forged_bundle)).unwrap();
    let claimed = ClaimedKeyPackages {
        key_packages: vec![claim(&mut ghost)],
    };
    let (commit, refused) = chris.add(conv, &[ben.user()], &claimed).unwrap();
    assert!(
        refused.is_empty(),
        "Chris is fooled: he never saw Ben's real key"
    );
    let commit = commit.unwrap();
    let sent = log.send(conv, &chris, &commit).unwrap();
    chris
        .on_sent(conv, commit.client_msg_id, Ok(&sent))
        .unwrap();

    // Anna processes it: the server hands her the forged identity for Ben, which she refuses
    // (the pinned key differs), and so the commit adding the ghost is refused.
    // Her copy of Ben's list may be old, so she asks for it afresh before she judges.
    let m = log.messages.last().unwrap().clone();
    assert!(
        matches!(anna.receive(&m), Err(ClientError::NeedIdentities(u)) if u == vec![ben.user()])
    );
    assert!(
        matches!(anna.learn(&[forged_bundle]), Err(ClientError::IdentityChanged(u)) if u == ben.user())
    );
    assert!(matches!(anna.receive(&m), Err(ClientError::Stopped(_))));
    assert!(anna.conversation(conv).unwrap().stopped.is_some());
    assert!(matches!(
        anna.encrypt(conv, &text("x"), 0),
        Err(ClientError::Stopped(_))
    ));
    // Safety numbers show it: Chris's number with "Ben" is not the one Anna has with Ben.
    ben.learn(&real).unwrap();
    assert_ne!(chris.safety_number(ben.user()).unwrap(), {
        let a = anna.safety_number(ben.user()).unwrap();
        a.replace(' ', "")
    });
    assert_eq!(
        anna.safety_number(ben.user()).unwrap(),
        ben.safety_number(anna.user()).unwrap()
    );
}

/// An exported transcript verifies outside Kontor with the senders' signed device lists; a
/// changed word does not.
#[test]
fn an_exported_transcript_verifies_and_a_forgery_does_not() {
    let mut org = Org {
        id: OrgId(id(4)),
        key: SigningKey::from_bytes(&[10; 32]),
        lists: HashMap::new(),
    };
    let mut anna = person(&mut org, 80);
    let mut ben = person(&mut org, 90);
    let bundles = vec![org.bundle(anna.user()), org.bundle(ben.user())];
    anna.learn(&bundles).unwrap();
    ben.learn(&bundles).unwrap();
    let conv = anna
        .create_conversation(ConversationKind::Group)
        .unwrap()
        .id;
    let mut log = Log::default();
    let commit = anna
        .add(
            conv,
            &[ben.user()],
            &ClaimedKeyPackages {
                key_packages: vec![claim(&mut ben)],
            },
        )
        .unwrap()
        .0
        .unwrap();
    let sent = log.send(conv, &anna, &commit).unwrap();
    anna.on_sent(conv, commit.client_msg_id, Ok(&sent)).unwrap();
    ben.join(&log.welcomes[&ben.device()].clone()).unwrap();
    for (who, t) in [
        (&mut anna, "Befund liegt vor"),
        (&mut ben, "Danke, ich sehe ihn mir an"),
    ] {
        let m = who.encrypt(conv, &text(t), 5).unwrap();
        let sent = log.send(conv, who, &m).unwrap();
        who.on_sent(conv, m.client_msg_id, Ok(&sent)).unwrap();
    }
    catch_up(&mut anna, &log, conv);
    let transcript: Vec<_> = anna.messages(conv).map(|m| m.envelope.clone()).collect();
    assert_eq!(transcript.len(), 2);
    let lists: Vec<_> = bundles.iter().map(|b| b.device_list.clone()).collect();
    kontor_client::verify_transcript(&transcript, &lists).unwrap();
    let mut forged = transcript.clone();
    forged[0].payload = forged[0].payload.replace("liegt vor", "fehlt");
    assert!(kontor_client::verify_transcript(&forged, &lists).is_err());
}

/// The server hands out a key package of somebody nobody asked to add (a real, trusted
/// person): it is refused, not added.
#[test]
fn only_the_people_asked_for_are_added() {
    let mut org = Org {
        id: OrgId(id(5)),
        key: SigningKey::from_bytes(&[11; 32]),
        lists: HashMap::new(),
    };
    let mut anna = person(&mut org, 100);
    let mut ben = person(&mut org, 110);
    let mut eve = person(&mut org, 120);
    let bundles = vec![
        org.bundle(anna.user()),
        org.bundle(ben.user()),
        org.bundle(eve.user()),
    ];
    anna.learn(&bundles).unwrap();
    let conv = anna
        .create_conversation(ConversationKind::Direct)
        .unwrap()
        .id;
    let claimed = ClaimedKeyPackages {
        key_packages: vec![claim(&mut ben), claim(&mut eve)],
    };
    let (commit, refused) = anna.add(conv, &[ben.user()], &claimed).unwrap();
    assert_eq!(commit.unwrap().added.len(), 1);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].0, eve.device());
}

#[test]
fn an_identity_whose_publication_got_no_answer_is_sealed_again_under_a_new_recovery_key() {
    let mut org = Org {
        id: OrgId(id(1)),
        key: SigningKey::from_bytes(&[7; 32]),
        lists: HashMap::new(),
    };
    let user = PersonId(id(30));
    let mut phone = Client::new_device(org.id, user, DeviceId(id(31))).unwrap();
    phone.pin_org_key(&org.org_key()).unwrap();
    // The first publication's answer is lost: its recovery key was never shown.
    let (first, _never_shown) = phone.create_identity().unwrap();
    let (again, recovery) = phone.reseal_identity().unwrap();
    assert_eq!(
        again.device_list.list.identity_key, first.device_list.list.identity_key,
        "the same identity"
    );
    assert_eq!(
        again.device_list.list.devices,
        first.device_list.list.devices
    );
    assert_eq!(
        again.device_list.list.version,
        first.device_list.list.version + 1,
        "a newer list, accepted whether or not the first one was stored"
    );
    assert_eq!(
        phone.pending_recovery_key(),
        Some(recovery.display().as_str())
    );
    assert_ne!(again.recovery_backup, first.recovery_backup, "a new seal");
    org.lists.insert(user, again.device_list.clone());

    // The new recovery key opens the new backup on a new device, to the same identity.
    let mut tablet = Client::new_device(org.id, user, DeviceId(id(32))).unwrap();
    tablet.pin_org_key(&org.org_key()).unwrap();
    let linked = tablet
        .link_with_recovery_key(
            &recovery,
            again.recovery_backup.as_ref().unwrap().as_slice(),
            &org.bundle(user),
        )
        .unwrap();
    assert_eq!(
        linked.device_list.list.identity_key,
        first.device_list.list.identity_key
    );
    assert_eq!(linked.device_list.list.devices.len(), 2);
    // A device without the identity key has nothing to seal.
    let mut other = Client::new_device(org.id, user, DeviceId(id(33))).unwrap();
    assert!(matches!(
        other.reseal_identity(),
        Err(ClientError::NoIdentity)
    ));
}

/// Ben links a second device (his list becomes v2) and adds it to his chat with Anna. Anna
/// learned Ben's list before the link: while online (her last fetch was before the link and
/// she has processed nothing since), mid-sync (she processed some messages after her fetch),
/// or offline (she fetches only after the link). Each time the commit adding Ben's new device
/// must ask for Ben's list afresh instead of stopping the conversation, and then go through.
#[test]
fn a_colleague_linking_a_device_never_stops_the_conversation() {
    for (case, n) in [("online", 200u128), ("mid-sync", 300), ("offline", 400)] {
        let mut org = Org {
            id: OrgId(id(n)),
            key: SigningKey::from_bytes(&[12; 32]),
            lists: HashMap::new(),
        };
        let mut anna = person(&mut org, n + 1);
        let mut ben = person(&mut org, n + 2);
        let bundles = vec![org.bundle(anna.user()), org.bundle(ben.user())];
        anna.learn(&bundles).unwrap();
        ben.learn(&bundles).unwrap();
        let conv = anna
            .create_conversation(ConversationKind::Direct)
            .unwrap()
            .id;
        let mut log = Log::default();
        let commit = anna
            .add(
                conv,
                &[ben.user()],
                &ClaimedKeyPackages {
                    key_packages: vec![claim(&mut ben)],
                },
            )
            .unwrap()
            .0
            .unwrap();
        let sent = log.send(conv, &anna, &commit).unwrap();
        anna.on_sent(conv, commit.client_msg_id, Ok(&sent)).unwrap();
        ben.join(&log.welcomes[&ben.device()].clone()).unwrap();
        let hello = ben.encrypt(conv, &text("Hallo"), 1).unwrap();
        let sent = log.send(conv, &ben, &hello).unwrap();
        ben.on_sent(conv, hello.client_msg_id, Ok(&sent)).unwrap();
        let hello_again = ben.encrypt(conv, &text("Bist du da?"), 2).unwrap();
        let sent = log.send(conv, &ben, &hello_again).unwrap();
        ben.on_sent(conv, hello_again.client_msg_id, Ok(&sent))
            .unwrap();

        match case {
            // Anna is up to date and her page is open: her last sync fetched Ben's list (v1)
            // and found nothing new to process.
            "online" => {
                for m in &log.messages {
                    anna.receive(m).unwrap();
                }
                anna.learn(&[org.bundle(ben.user())]).unwrap();
            }
            // Anna's sync fetched Ben's list (v1) and processed one message when the link
            // lands.
            "mid-sync" => {
                anna.learn(&[org.bundle(ben.user())]).unwrap();
                anna.receive(&log.messages[1]).unwrap();
            }
            _ => {}
        }

        // Ben links his laptop: approves it (a new signed list) and adds it.
        let mut laptop = Client::new_device(org.id, ben.user(), DeviceId(id(n + 50))).unwrap();
        laptop.pin_org_key(&org.org_key()).unwrap();
        let (link, _code) = laptop.start_link().unwrap();
        let request = kontor_proto::identity::LinkRequest {
            id: kontor_proto::LinkRequestId(id(n + 51)),
            keys: link.keys.clone(),
            ephemeral_key: link.ephemeral_key.clone(),
            status: kontor_proto::identity::LinkStatus::Pending,
            sealed: None,
            created_at: String::new(),
        };
        let code = Client::link_code_of(&request);
        let approval = ben.approve_link(&request, &code).unwrap();
        org.lists.insert(ben.user(), approval.device_list.clone());
        laptop
            .learn(&[org.bundle(anna.user()), org.bundle(ben.user())])
            .unwrap();
        laptop.finish_link(approval.sealed.as_slice()).unwrap();
        let add = ben
            .add(
                conv,
                &[ben.user()],
                &ClaimedKeyPackages {
                    key_packages: vec![claim(&mut laptop)],
                },
            )
            .unwrap()
            .0
            .unwrap();
        let sent = log.send(conv, &ben, &add).unwrap();
        ben.on_sent(conv, add.client_msg_id, Ok(&sent)).unwrap();
        laptop
            .join(&log.welcomes[&laptop.device()].clone())
            .unwrap();
        let from_laptop = laptop.encrypt(conv, &text("vom Laptop"), 3).unwrap();
        let sent = log.send(conv, &laptop, &from_laptop).unwrap();
        laptop
            .on_sent(conv, from_laptop.client_msg_id, Ok(&sent))
            .unwrap();

        if case == "offline" {
            // Anna was away during the link: her next sync fetches the new list first.
            anna.learn(&[org.bundle(ben.user())]).unwrap();
        }
        for m in &log.messages {
            let mut result = anna.receive(m);
            if let Err(ClientError::NeedIdentities(users)) = &result {
                assert_eq!(
                    users,
                    &vec![ben.user()],
                    "{case}: Ben's list is fetched again"
                );
                let fresh: Vec<_> = users.iter().map(|u| org.bundle(*u)).collect();
                anna.learn(&fresh).unwrap();
                result = anna.receive(m);
            }
            result.unwrap_or_else(|e| panic!("{case}: message {} refused: {e}", m.seq));
        }
        let state = anna.conversation(conv).unwrap();
        assert!(state.stopped.is_none(), "{case}: not stopped");
        let texts: Vec<_> = anna
            .messages(conv)
            .map(|m| (m.text(), m.verified))
            .collect();
        assert_eq!(
            texts,
            vec![
                ("Hallo".to_string(), true),
                ("Bist du da?".to_string(), true),
                ("vom Laptop".to_string(), true)
            ],
            "{case}"
        );
        assert_eq!(anna.members(conv).unwrap()[&ben.user()].len(), 2, "{case}");
    }
}

/// Once a person's one-time key packages are used up, the last-resort one still adds them.
#[test]
fn a_person_whose_one_time_key_packages_are_used_up_is_added_with_the_last_resort_one() {
    let mut org = Org {
        id: OrgId(id(500)),
        key: SigningKey::from_bytes(&[13; 32]),
        lists: HashMap::new(),
    };
    let mut anna = person(&mut org, 501);
    let mut ben = person(&mut org, 502);
    let bundles = vec![org.bundle(anna.user()), org.bundle(ben.user())];
    anna.learn(&bundles).unwrap();
    let upload = ben.key_packages(0, true).unwrap();
    let last_resort = upload.last_resort.unwrap();
    for _ in 0..2 {
        let conv = anna
            .create_conversation(ConversationKind::Group)
            .unwrap()
            .id;
        let claimed = ClaimedKeyPackages {
            key_packages: vec![ClaimedKeyPackage {
                person_id: ben.user(),
                device_id: ben.device(),
                key_package: last_resort.clone(),
            }],
        };
        let (commit, refused) = anna.add(conv, &[ben.user()], &claimed).unwrap();
        assert!(refused.is_empty(), "refused: {:?}", refused);
        assert_eq!(commit.unwrap().added.len(), 1);
    }
}
