//! What end-to-end encryption must hold against a real server: ghost devices, leavers and
//! removed members, concurrent commits, retried sends.

use crate::common::*;
use kontor_proto::conversation::{
    Conversation, ConversationKind, ConversationRole, MessageKind, SendMessage, Sent,
};
use kontor_proto::payload::Payload;
use kontor_proto::{DeviceId, ErrorBody, ErrorCode, PersonId};
use openmls::prelude::*;
use reqwest::Method;

/// A raw connection to the server's database, as an attacker who owns the server has.
async fn raw_db(server: &TestServer) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    let url = match &server.database_url {
        Some(u) => u.clone(),
        None => format!("sqlite://{}", server.dir.path().join("kontor.db").display()),
    };
    sqlx::AnyPool::connect(&url).await.unwrap()
}

fn text(t: &str) -> Payload {
    Payload::Text {
        text: t.into(),
        mentions: vec![],
        reply_to: None,
        forwarded: false,
    }
}

async fn post_raw(
    url: &str,
    token: &str,
    conv: kontor_proto::ConversationId,
    body: &SendMessage,
) -> Result<Sent, ErrorCode> {
    let res = reqwest::Client::new()
        .post(format!("{url}/api/v1/conversations/{conv}/messages"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    if res.status().is_success() {
        Ok(res.json().await.unwrap())
    } else {
        Err(res.json::<ErrorBody>().await.unwrap().error.code)
    }
}

#[tokio::test]
async fn a_ghost_device_the_server_injects_is_never_added() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let _ben = ChatDevice::of(&url, &w.ben).await;

    // The server's operator adds a device to Ben's account behind his back, with a key
    // package whose credential and keys the attacker controls.
    let ghost_id = DeviceId(uuid::Uuid::now_v7());
    let mut ghost = kontor_client::Client::new_device(w.ben.org(), w.ben.id(), ghost_id).unwrap();
    let kp = ghost.key_packages(1, false).unwrap().key_packages.remove(0);
    let db = raw_db(&w.server).await;
    sqlx::query(
        "INSERT INTO devices (id, org_id, person_id, name, platform, created_at, last_seen_at) \
         VALUES ($1, $2, $3, 'ghost', 'evil', 0, 0)",
    )
    .bind(ghost_id.to_string())
    .bind(w.ben.org().to_string())
    .bind(w.ben.id().to_string())
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO key_packages (id, device_id, org_id, last_resort, key_package, created_at) \
         VALUES (1, $1, $2, 0, $3, 0)",
    )
    .bind(ghost_id.to_string())
    .bind(w.ben.org().to_string())
    .bind(kp.0.clone())
    .execute(&db)
    .await
    .unwrap();

    let conv = anna
        .s
        .create(ConversationKind::Direct, None, &[w.ben.id()])
        .await
        .unwrap();
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    let devices: Vec<DeviceId> = seen
        .members
        .iter()
        .flat_map(|m| m.devices.clone())
        .collect();
    assert!(
        !devices.contains(&ghost_id),
        "the ghost is not in the group"
    );
    assert_eq!(devices.len(), 2, "Anna's and Ben's real devices");
    let mls = anna.s.core.members(conv).unwrap();
    assert!(!mls.values().flatten().any(|d| *d == ghost_id));

    // The server then swaps Ben's device list for one signed by a key it made: Anna, who
    // pinned Ben's identity, refuses it.
    let fake = kontor_client::identity::SecretKey([3; 32]);
    let forged = kontor_client::identity::sign_device_list(
        &fake,
        kontor_proto::identity::DeviceList {
            org_id: w.ben.org(),
            person_id: w.ben.id(),
            identity_key: kontor_proto::Bytes(fake.public()),
            version: 99,
            devices: vec![ghost.device_keys()],
            retired: vec![],
        },
    );
    sqlx::query("UPDATE identities SET identity_key = $1, list_version = 99, device_list = $2 WHERE person_id = $3")
        .bind(fake.public())
        .bind(serde_json::to_string(&forged).unwrap())
        .bind(w.ben.id().to_string())
        .execute(&db)
        .await
        .unwrap();
    let refused = anna.s.learn(&[w.ben.id()]).await.unwrap_err();
    assert!(refused.to_string().contains("identity key"), "{refused}");
    let second = anna
        .s
        .create(ConversationKind::Group, Some("mit Ben"), &[w.ben.id()])
        .await;
    let seen_devices: Vec<DeviceId> = match second {
        Ok(c) => w
            .anna
            .get::<Conversation>(&format!("/conversations/{c}"))
            .await
            .members
            .iter()
            .flat_map(|m| m.devices.clone())
            .collect(),
        Err(_) => Vec::new(),
    };
    assert!(!seen_devices.contains(&ghost_id));
    db.close().await;
    w.server.stop().await;
}

#[tokio::test]
async fn leavers_and_deprovisioned_people_lose_access_and_decrypt_nothing_later() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let erik_inv = w
        .anna
        .invite(
            "erik@sonnenschein.example",
            kontor_proto::api::OrgRole::Member,
        )
        .await;
    let erik_actor = w.server.join(&erik_inv.code, "Erik Engel").await;
    let mut erik = ChatDevice::of(&url, &erik_actor).await;

    let conv = anna
        .s
        .create(
            ConversationKind::Group,
            Some("Team"),
            &[w.ben.id(), erik_actor.id()],
        )
        .await
        .unwrap();
    anna.say(conv, "vorher").await;
    assert_eq!(ben.texts(conv).await, vec!["vorher"]);
    assert_eq!(erik.texts(conv).await, vec!["vorher"]);

    // Erik leaves: the server stops delivering to him at once; Anna's next sync commits it.
    erik.s.leave(conv).await.unwrap();
    let pending: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert_eq!(pending.pending_removals, vec![erik.s.core.device()]);
    anna.s.sync().await.unwrap();
    let after: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(after.pending_removals.is_empty());
    assert!(!after.members.iter().any(|m| m.person_id == erik_actor.id()));

    // Ben keeps his whole device state from before he is deprovisioned.
    ben.s.sync().await.unwrap();
    let ben_state = kontor_client::Client::restore(
        kontor_client::KvStore::load(
            &kontor_client::store::SqliteStore::open(
                &ben.home
                    .path()
                    .join("devices")
                    .join(format!("{}.sqlite", ben.s.core.device())),
            )
            .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    // One more message while Ben is still in: his snapshot can read it (so the attempt below
    // is a real one).
    let last_before = anna.say(conv, "kurz vorher").await;

    let _: serde_json::Value = w
        .anna
        .ok(
            Method::POST,
            &format!("/people/{}/deprovision", w.ben.id()),
            &serde_json::json!({}),
        )
        .await;
    // Ben's device can no longer fetch anything.
    assert!(ben.s.sync().await.is_err());
    let pending: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert_eq!(pending.pending_removals, vec![ben.s.core.device()]);
    // Anna's device commits the removal, then writes.
    // The server proposed it as the group's external sender (a plaintext MLS proposal from
    // the nil sender); Anna's device commits it.
    let log: kontor_proto::conversation::MessagePage = w
        .anna
        .get(&format!(
            "/conversations/{conv}/messages?after=0&limit=1000"
        ))
        .await;
    assert!(log.messages.iter().any(|m| m.kind
        == kontor_proto::conversation::MessageKind::Proposal
        && m.sender_device == DeviceId(uuid::Uuid::nil())));
    anna.s.catch_up(conv).await.unwrap();
    assert!(
        anna.s.core.has_pending_proposals(conv),
        "Anna's device queued the proposal"
    );
    anna.s.sync().await.unwrap();
    assert!(!anna.s.core.has_pending_proposals(conv));
    let mut secret_seqs = Vec::new();
    for i in 0..5 {
        secret_seqs.push(anna.say(conv, &format!("nachher {i}")).await);
    }
    let after: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert_eq!(after.members.len(), 1);

    // Every ciphertext since Ben's removal, straight from the server: Ben's full state reads
    // none of it, nor does Erik's.
    let page: kontor_proto::conversation::MessagePage = w
        .anna
        .get(&format!(
            "/conversations/{conv}/messages?after=0&limit=1000"
        ))
        .await;
    let later: Vec<_> = page
        .messages
        .iter()
        .filter(|m| secret_seqs.contains(&m.seq))
        .collect();
    assert_eq!(later.len(), 5);
    for m in &later {
        assert!(ben_state.attempt_decrypt(conv, m.body.as_slice()).is_none());
        assert!(
            erik.s
                .core
                .attempt_decrypt(conv, m.body.as_slice())
                .is_none()
        );
    }
    let before = page.messages.iter().find(|m| m.seq == last_before).unwrap();
    let read = ben_state
        .attempt_decrypt(conv, before.body.as_slice())
        .expect("Ben's state reads what was sent while he was in");
    assert!(String::from_utf8_lossy(&read).contains("kurz vorher"));
    w.server.stop().await;
}

#[tokio::test]
async fn fifty_devices_commit_to_the_same_epoch_and_exactly_one_wins() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut devices = Vec::new();
    let mut keys = Vec::new();
    for actor in [&w.anna, &w.ben] {
        let d = ChatDevice::of(&url, actor).await;
        keys.push(d.s.new_recovery_key.clone().unwrap());
        devices.push(d);
    }
    // 48 more devices, half Anna's, half Ben's, linked with the recovery key.
    for i in 0..48 {
        let (actor, key) = if i % 2 == 0 {
            (&w.anna, &keys[0])
        } else {
            (&w.ben, &keys[1])
        };
        let again = login_again(&url, actor).await;
        let mut d = ChatDevice::of(&url, &again).await;
        d.s.link_with_recovery_key(key).await.unwrap();
        devices.push(d);
    }
    let conv = devices[0]
        .s
        .create(ConversationKind::Group, Some("Alle"), &[w.ben.id()])
        .await
        .unwrap();
    for d in devices.iter_mut() {
        d.s.sync().await.unwrap();
    }
    let server: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert_eq!(
        server
            .members
            .iter()
            .map(|m| m.devices.len())
            .sum::<usize>(),
        50
    );
    let epoch = server.epoch;

    // Every device stages a commit for the same epoch; all are sent at once.
    let mut bodies = Vec::new();
    for d in devices.iter_mut() {
        assert_eq!(d.s.core.epoch(conv).unwrap(), epoch);
        bodies.push(d.s.core.update_keys(conv).unwrap());
        d.s.persist().await.unwrap();
    }
    let sends = devices.iter().zip(&bodies).map(|(d, b)| {
        let url = url.clone();
        let token = d.s.saved.token.clone();
        let b = b.clone();
        async move { post_raw(&url, &token, conv, &b).await }
    });
    let results = futures_util::future::join_all(sends).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "exactly one commit wins: {results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| *e == ErrorCode::StaleEpoch)
    );
    for ((d, b), r) in devices.iter_mut().zip(&bodies).zip(&results) {
        d.s.core
            .on_sent(conv, b.client_msg_id, r.as_ref().map_err(|e| *e))
            .unwrap();
        d.s.persist().await.unwrap();
    }
    // Everybody converges on the winner's epoch: no fork.
    for d in devices.iter_mut() {
        d.s.catch_up(conv).await.unwrap();
        assert_eq!(d.s.core.epoch(conv).unwrap(), epoch + 1);
    }
    devices[17].say(conv, "alle im selben Epoch").await;
    for (i, d) in devices.iter_mut().enumerate() {
        if i != 17 {
            assert_eq!(d.texts(conv).await, vec!["alle im selben Epoch"]);
        }
    }
    w.server.stop().await;
}

#[tokio::test]
async fn a_message_sent_ten_times_at_once_and_after_a_restart_is_stored_once() {
    let mut w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let conv = anna
        .s
        .create(ConversationKind::Direct, None, &[w.ben.id()])
        .await
        .unwrap();
    let body = anna.s.core.encrypt(conv, &text("genau einmal"), 1).unwrap();
    anna.s.persist().await.unwrap();
    let token = anna.s.saved.token.clone();
    let sends = (0..10).map(|_| post_raw(&url, &token, conv, &body));
    let results: Vec<Sent> = futures_util::future::join_all(sends)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let seq = results[0].seq;
    assert!(results.iter().all(|r| r.seq == seq));
    assert_eq!(results.iter().filter(|r| !r.duplicate).count(), 1);

    w.server.restart().await;
    let again = post_raw(&url, &token, conv, &body).await.unwrap();
    assert_eq!(again.seq, seq);
    assert!(again.duplicate);
    anna.s
        .core
        .on_sent(conv, body.client_msg_id, Ok(&again))
        .unwrap();
    anna.s.persist().await.unwrap();
    assert_eq!(ben.texts(conv).await, vec!["genau einmal"]);
    let page: kontor_proto::conversation::MessagePage = w
        .ben
        .get(&format!("/conversations/{conv}/messages?after=0"))
        .await;
    assert_eq!(
        page.messages
            .iter()
            .filter(|m| m.client_msg_id == body.client_msg_id)
            .count(),
        1
    );
    w.server.stop().await;
}

#[tokio::test]
async fn a_guest_verifies_everybody_in_their_group_but_adds_only_people_they_see() {
    let w = World::new().await;
    let url = w.server.url.clone();
    // Anna and Chris (guest) share a team; Erik is not in it.
    let team: kontor_proto::api::Team = w
        .anna
        .ok(
            Method::POST,
            "/teams",
            &kontor_proto::api::CreateTeamRequest {
                name: "Projekt Außen".into(),
                kind: kontor_proto::api::TeamKind::Project,
                parent_id: None,
                description: String::new(),
            },
        )
        .await;
    for who in [&w.anna, &w.chris] {
        let _: serde_json::Value = w
            .anna
            .ok(
                Method::PUT,
                &format!("/teams/{}/members/{}", team.id, who.id()),
                &kontor_proto::api::SetTeamMemberRequest {
                    role: kontor_proto::api::TeamRole::Member,
                },
            )
            .await;
    }
    let erik_inv = w
        .anna
        .invite(
            "erik@sonnenschein.example",
            kontor_proto::api::OrgRole::Member,
        )
        .await;
    let erik_actor = w.server.join(&erik_inv.code, "Erik Engel").await;
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut chris = ChatDevice::of(&url, &w.chris).await;
    let mut erik = ChatDevice::of(&url, &erik_actor).await;
    let _ben = ChatDevice::of(&url, &w.ben).await;
    let conv = anna
        .s
        .create(
            ConversationKind::Group,
            Some("Mit Partner"),
            &[w.chris.id(), erik_actor.id()],
        )
        .await
        .unwrap();
    erik.say(conv, "Hallo Chris").await;
    assert_eq!(chris.texts(conv).await, vec!["Hallo Chris"]);
    // Chris cannot pull Ben (whom he cannot see) into the group.
    assert!(chris.s.add_people(conv, &[w.ben.id()]).await.is_err());
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(!seen.members.iter().any(|m| m.person_id == w.ben.id()));
    w.server.stop().await;
}

#[tokio::test]
async fn a_server_cannot_hand_a_person_a_forged_identity_of_their_own() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let conv = ben
        .s
        .create(ConversationKind::Direct, None, &[w.anna.id()])
        .await
        .unwrap();

    // The server swaps Anna's own identity for one it made, listing a device of its own.
    let ghost_id = DeviceId(uuid::Uuid::now_v7());
    let ghost = kontor_client::Client::new_device(w.anna.org(), w.anna.id(), ghost_id).unwrap();
    let fake = kontor_client::identity::SecretKey([9; 32]);
    let forged = kontor_client::identity::sign_device_list(
        &fake,
        kontor_proto::identity::DeviceList {
            org_id: w.anna.org(),
            person_id: w.anna.id(),
            identity_key: kontor_proto::Bytes(fake.public()),
            version: 50,
            devices: vec![anna.s.core.device_keys(), ghost.device_keys()],
            retired: vec![],
        },
    );
    let db = raw_db(&w.server).await;
    sqlx::query("UPDATE identities SET identity_key = $1, list_version = 50, device_list = $2 WHERE person_id = $3")
        .bind(fake.public())
        .bind(serde_json::to_string(&forged).unwrap())
        .bind(w.anna.id().to_string())
        .execute(&db)
        .await
        .unwrap();

    // Anna's device opens (it would be locked out otherwise) and says so; it keeps its own key.
    let mut anna = anna.reopen().await;
    assert!(anna.s.identity_conflict, "the person is told");
    let own = anna.s.core.trust().people[&w.anna.id()].clone();
    assert_ne!(
        own.identity_key,
        fake.public(),
        "the forged key is not taken"
    );
    assert!(
        !own.device_list
            .list
            .devices
            .iter()
            .any(|d| d.device_id == ghost_id),
        "nor its device list"
    );
    // Nothing adds the server's device to Anna's conversations.
    anna.s.sync().await.unwrap();
    let mls = anna.s.core.members(conv).unwrap();
    assert!(!mls.values().flatten().any(|d| *d == ghost_id));
    assert!(anna.s.core.missing_devices(conv).unwrap().is_empty());
    ben.s.sync().await.ok();
    db.close().await;
    w.server.stop().await;
}

// --- One member must not be able to stop a conversation for everybody --------------------

/// Anna's group with Ben and Chris (guest), every device caught up.
async fn group_of_three(
    w: &World,
) -> (
    ChatDevice,
    ChatDevice,
    ChatDevice,
    kontor_proto::ConversationId,
) {
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let mut chris = ChatDevice::of(&url, &w.chris).await;
    let conv = anna
        .s
        .create(
            ConversationKind::Group,
            Some("Station 3"),
            &[w.ben.id(), w.chris.id()],
        )
        .await
        .unwrap();
    anna.say(conv, "Übergabe um 14 Uhr").await;
    assert_eq!(ben.texts(conv).await, vec!["Übergabe um 14 Uhr"]);
    assert_eq!(chris.texts(conv).await, vec!["Übergabe um 14 Uhr"]);
    (anna, ben, chris, conv)
}

/// What everybody must still be able to do after a refused change: write, and read.
async fn everybody_goes_on(
    w: &World,
    conv: kontor_proto::ConversationId,
    devices: &mut [&mut ChatDevice],
    epoch_before: u64,
) {
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert_eq!(seen.epoch, epoch_before, "the refused change took no epoch");
    let line = format!("noch da? {}", uuid::Uuid::now_v7());
    devices[0].say(conv, &line).await;
    for d in devices.iter_mut() {
        assert!(d.texts(conv).await.contains(&line));
        let state = d.s.core.conversation(conv).unwrap();
        assert!(state.stopped.is_none() && !state.rejoining);
    }
}

async fn refusal(
    url: &str,
    actor: &Actor,
    conv: kontor_proto::ConversationId,
    body: &SendMessage,
) -> ErrorCode {
    let token = &actor.session.as_ref().unwrap().token;
    post_raw(url, token, conv, body)
        .await
        .expect_err("the delivery service refuses it")
}

/// A commit correct in its framing but not in its content (here its signature): no member
/// could process it, so the delivery service refuses it before it takes the epoch.
#[tokio::test]
async fn a_commit_that_no_member_could_process_is_refused_before_it_takes_the_epoch() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let forger = Forger::of(&ben);
    let mut group = forger.group(conv);
    let bundle = group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    let mut body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
    // The signature sits before the confirmation and membership tags (33 bytes each).
    let n = body.body.0.len();
    body.body.0[n - 66 - 32] ^= 0x01;
    assert_eq!(
        refusal(&url, &w.ben, conv, &body).await,
        ErrorCode::GroupChangeRefused
    );
    everybody_goes_on(&w, conv, &mut [&mut anna, &mut ben, &mut chris], epoch).await;
    w.server.stop().await;
}

/// Ben posts a commit that Anna's device made: the delivery service does not take a change
/// in another device's name (every member would have stopped over it).
#[tokio::test]
async fn nobody_posts_a_commit_in_another_device_s_name() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let forger = Forger::of(&anna);
    let mut group = forger.group(conv);
    let bundle = group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    let body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
    assert_eq!(
        refusal(&url, &w.ben, conv, &body).await,
        ErrorCode::GroupChangeRefused
    );
    everybody_goes_on(&w, conv, &mut [&mut anna, &mut ben, &mut chris], epoch).await;
    w.server.stop().await;
}

/// Anna, an admin, adds a device to Ben's account that Ben never signed (its key package is
/// on the server): the delivery service refuses the commit, so nobody stops over it.
#[tokio::test]
async fn a_member_cannot_add_a_device_its_person_never_signed() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    // A second login of Ben's that was never linked: a device with a key package, not in
    // Ben's signed device list.
    let unlinked_actor = login_again(&url, &w.ben).await;
    let mut unlinked = ChatDevice::of(&url, &unlinked_actor).await;
    let (_request, _code) = unlinked.s.request_link().await.unwrap();
    let claimed: kontor_proto::identity::ClaimedKeyPackages = w
        .anna
        .ok(
            Method::POST,
            "/key-packages/claim",
            &kontor_proto::identity::ClaimKeyPackages {
                people: vec![w.ben.id()],
            },
        )
        .await;
    let kp = claimed
        .key_packages
        .iter()
        .find(|k| k.device_id == unlinked.s.core.device())
        .expect("the unlinked device has key packages");
    let kp = match kontor_client::mls::from_bytes(kp.key_package.as_slice()).unwrap() {
        MlsMessageBodyIn::KeyPackage(k) => k
            .validate(
                OpenMlsProvider::crypto(&kontor_client::mls::Provider::default()),
                ProtocolVersion::Mls10,
            )
            .unwrap(),
        _ => unreachable!(),
    };
    let forger = Forger::of(&anna);
    let mut group = forger.group(conv);
    let (commit, welcome, _) = group
        .add_members(&forger.provider, &forger.signer, &[kp])
        .unwrap();
    let mut body = Forger::body(MessageKind::Commit, epoch, &commit);
    body.welcome = Some(kontor_proto::Bytes(
        openmls::prelude::tls_codec::Serialize::tls_serialize_detached(&welcome).unwrap(),
    ));
    body.added = vec![kontor_proto::conversation::AddedDevice {
        person_id: w.ben.id(),
        device_id: unlinked.s.core.device(),
        leaf: None,
    }];
    assert_eq!(
        refusal(&url, &w.anna, conv, &body).await,
        ErrorCode::GroupChangeRefused
    );
    everybody_goes_on(&w, conv, &mut [&mut anna, &mut ben, &mut chris], epoch).await;
    w.server.stop().await;
}

/// A member who is no admin removes a colleague in a commit while declaring nothing: the
/// delivery service reads what the commit does and refuses it.
#[tokio::test]
async fn a_member_who_is_no_admin_cannot_remove_a_colleague_by_stealth() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let forger = Forger::of(&ben);
    let mut group = forger.group(conv);
    let chris_leaf = group
        .members()
        .find(|m| {
            kontor_client::mls::parse_credential(&m.credential)
                .is_ok_and(|(u, _)| u == w.chris.id())
        })
        .unwrap()
        .index;
    let (commit, _, _) = group
        .remove_members(&forger.provider, &forger.signer, &[chris_leaf])
        .unwrap();
    let body = Forger::body(MessageKind::Commit, epoch, &commit);
    assert_eq!(
        refusal(&url, &w.ben, conv, &body).await,
        ErrorCode::NotConversationAdmin
    );
    everybody_goes_on(&w, conv, &mut [&mut anna, &mut ben, &mut chris], epoch).await;
    w.server.stop().await;
}

/// Nobody takes the delivery service out of a group's external senders (so that leavers
/// could not be removed any more): only Add and Remove change a group.
#[tokio::test]
async fn nobody_changes_a_group_s_context() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let forger = Forger::of(&anna);
    let mut group = forger.group(conv);
    let (commit, _, _) = group
        .update_group_context_extensions(&forger.provider, Extensions::empty(), &forger.signer)
        .unwrap();
    let body = Forger::body(MessageKind::Commit, epoch, &commit);
    assert_eq!(
        refusal(&url, &w.anna, conv, &body).await,
        ErrorCode::GroupChangeRefused
    );
    everybody_goes_on(&w, conv, &mut [&mut anna, &mut ben, &mut chris], epoch).await;
    w.server.stop().await;
}

/// A channel's reader and a group's guest make a commit that is correct in every way: they do
/// not commit at all (what they commit the server cannot fully check), so it is refused.
#[tokio::test]
async fn channel_readers_and_guests_do_not_commit() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, group_conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(group_conv).unwrap();
    let forger = Forger::of(&chris);
    let mut group = forger.group(group_conv);
    let bundle = group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    let body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
    assert_eq!(
        refusal(&url, &w.chris, group_conv, &body).await,
        ErrorCode::Forbidden
    );
    everybody_goes_on(
        &w,
        group_conv,
        &mut [&mut anna, &mut ben, &mut chris],
        epoch,
    )
    .await;

    let channel = anna
        .s
        .create(
            ConversationKind::Channel,
            Some("Neuigkeiten"),
            &[w.ben.id()],
        )
        .await
        .unwrap();
    anna.say(channel, "Willkommen").await;
    assert_eq!(ben.texts(channel).await, vec!["Willkommen"]);
    let epoch = anna.s.core.epoch(channel).unwrap();
    let forger = Forger::of(&ben);
    let mut group = forger.group(channel);
    let bundle = group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    let body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
    assert_eq!(
        refusal(&url, &w.ben, channel, &body).await,
        ErrorCode::NotConversationAdmin
    );
    let seen: Conversation = w.anna.get(&format!("/conversations/{channel}")).await;
    assert_eq!(seen.epoch, epoch);
    assert!(
        !seen
            .members
            .iter()
            .find(|m| m.person_id == w.ben.id())
            .unwrap()
            .commits
    );
    // The reader still reads, and leaves by proposing it.
    anna.say(channel, "Zweite Meldung").await;
    assert_eq!(
        ben.texts(channel).await,
        vec!["Willkommen", "Zweite Meldung"]
    );
    ben.s.leave(channel).await.unwrap();
    anna.s.sync().await.unwrap();
    let after: Conversation = w.anna.get(&format!("/conversations/{channel}")).await;
    assert!(!after.members.iter().any(|m| m.person_id == w.ben.id()));
    w.server.stop().await;
}

/// Ben's device falls out of step (its group state went astray, as a commit whose secrets do
/// not open would leave it): it asks to be added again instead of stopping; Chris, who does
/// not commit, sees that what is sent does not reach Ben meanwhile; Anna's next sync renews
/// Ben's device, and he reads on.
#[tokio::test]
async fn a_device_that_cannot_process_a_commit_asks_to_be_added_again_and_reads_on() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let (mut anna, ben, mut chris, conv) = group_of_three(&w).await;
    // Ben's state moves to an epoch of its own, which nobody else has.
    let mut forger = Forger::of(&ben);
    let mut group = forger.group(conv);
    group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    group.merge_pending_commit(&forger.provider).unwrap();
    forger.write_back();
    let mut ben = ben.reopen().await;

    // A real change: Anna renews her keys.
    let body = anna.s.core.update_keys(conv).unwrap();
    anna.s.persist().await.unwrap();
    let token = anna_token(&w);
    let sent = post_raw(&w.server.url, &token, conv, &body).await.unwrap();
    anna.s
        .core
        .on_sent(conv, body.client_msg_id, Ok(&sent))
        .unwrap();
    anna.s.persist().await.unwrap();

    // Ben cannot process it: he asks to be added again, and is not stopped.
    ben.s.sync().await.unwrap();
    let state = ben.s.core.conversation(conv).unwrap();
    assert!(state.stopped.is_none(), "not stopped");
    assert!(state.rejoining, "waits to be added again");
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert_eq!(seen.rejoining, vec![ben.s.core.device()]);
    // While he waits, he neither reads nor sends.
    assert!(ben.s.send_text(conv, "hallo?".into(), None).await.is_err());

    // Chris, a guest who does not commit, sees that what is sent does not reach Ben.
    chris.s.sync().await.unwrap();
    assert_eq!(
        chris.s.core.conversation(conv).unwrap().unreachable,
        vec![w.ben.id()]
    );

    // Anna's next sync renews Ben's device; Ben joins afresh and reads on.
    anna.s.sync().await.unwrap();
    assert!(
        anna.s
            .core
            .conversation(conv)
            .unwrap()
            .unreachable
            .is_empty()
    );
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(seen.rejoining.is_empty());
    anna.say(conv, "wieder alle dabei").await;
    assert!(
        ben.texts(conv)
            .await
            .contains(&"wieder alle dabei".to_string())
    );
    let state = ben.s.core.conversation(conv).unwrap();
    assert!(state.stopped.is_none() && !state.rejoining);
    ben.say(conv, "danke").await;
    assert!(chris.texts(conv).await.contains(&"danke".to_string()));
    assert!(
        chris
            .s
            .core
            .conversation(conv)
            .unwrap()
            .unreachable
            .is_empty()
    );
    w.server.stop().await;
}

fn anna_token(w: &World) -> String {
    w.anna.session.as_ref().unwrap().token.clone()
}

/// Once Ben's one-time key packages are used up, his last-resort one still lets Anna add him,
/// to one conversation after another.
#[tokio::test]
async fn a_person_whose_one_time_key_packages_are_used_up_can_still_be_added() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let db = raw_db(&w.server).await;
    for name in ["Erste", "Zweite"] {
        // Used up (Ben's device tops its stock up when it syncs, so each time again).
        let gone = sqlx::query("DELETE FROM key_packages WHERE device_id = $1 AND last_resort = 0")
            .bind(ben.s.core.device().to_string())
            .execute(&db)
            .await
            .unwrap();
        assert!(gone.rows_affected() > 0);
        let conv = anna
            .s
            .create(ConversationKind::Group, Some(name), &[w.ben.id()])
            .await
            .unwrap();
        let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
        assert!(
            seen.members.iter().any(|m| m.person_id == w.ben.id()),
            "Ben is added with his last-resort key package"
        );
        anna.say(conv, name).await;
        assert_eq!(ben.texts(conv).await, vec![name.to_string()]);
    }
    w.server.stop().await;
}

#[tokio::test]
async fn a_password_only_device_cannot_revoke_linked_devices_or_change_the_password() {
    let w = World::new().await;
    let url = w.server.url.clone();
    // Anna's laptop holds her identity; someone with her password logs in elsewhere.
    let mut laptop = ChatDevice::of(&url, &w.anna).await;
    assert!(laptop.s.is_linked());
    let intruder = login_again(&url, &w.anna).await;
    let laptop_device = w.anna.session.as_ref().unwrap().device.id;
    let laptop_session = w.anna.session.as_ref().unwrap().session.id;
    let status = intruder
        .fails::<()>(
            Method::DELETE,
            &format!("/me/devices/{laptop_device}"),
            None,
            "device_not_linked",
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);
    intruder
        .fails::<()>(
            Method::DELETE,
            &format!("/me/sessions/{laptop_session}"),
            None,
            "device_not_linked",
        )
        .await;
    intruder
        .fails(
            Method::POST,
            "/me/password",
            Some(&kontor_proto::api::ChangePasswordRequest {
                current_password: PASSWORD.into(),
                new_password: "Ganz-neues-Passwort-42".into(),
            }),
            "device_not_linked",
        )
        .await;
    // The laptop still works, and it can end the intruder's device; the intruder's device may
    // always end itself.
    let _: kontor_proto::api::Me = w.anna.get("/me").await;
    let other = login_again(&url, &w.anna).await;
    let other_device = other.session.as_ref().unwrap().device.id;
    let (status, _) = other
        .call::<()>(Method::DELETE, &format!("/me/devices/{other_device}"), None)
        .await;
    assert!(status.is_success());
    let intruder_device = intruder.session.as_ref().unwrap().device.id;
    let (status, _) = w
        .anna
        .call::<()>(
            Method::DELETE,
            &format!("/me/devices/{intruder_device}"),
            None,
        )
        .await;
    assert!(status.is_success());
    laptop.s.sync().await.unwrap();
    w.server.stop().await;
}

/// Anna writes in two groups while the server is out of reach; meanwhile Erik, in both, is
/// deprovisioned, and in one group the delivery service refuses the removal Anna's device
/// commits (its state there is damaged). The first sync after the server is back sends her
/// message in the healthy group at once, after Erik's removal (never to a leaver), and the
/// refused step in the other group holds up nothing but that group's own message.
#[tokio::test]
async fn what_was_written_offline_goes_out_at_the_first_sync_and_one_refused_step_holds_up_nothing_else()
 {
    let mut w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let erik_inv = w
        .anna
        .invite(
            "erik@sonnenschein.example",
            kontor_proto::api::OrgRole::Member,
        )
        .await;
    let erik_actor = w.server.join(&erik_inv.code, "Erik Engel").await;
    let mut erik = ChatDevice::of(&url, &erik_actor).await;
    let people = [w.ben.id(), erik_actor.id()];
    let healthy = anna
        .s
        .create(ConversationKind::Group, Some("Station 3"), &people)
        .await
        .unwrap();
    let damaged = anna
        .s
        .create(ConversationKind::Group, Some("Station 4"), &people)
        .await
        .unwrap();
    for conv in [healthy, damaged] {
        anna.say(conv, "vorher").await;
        assert_eq!(erik.texts(conv).await, vec!["vorher"]);
    }

    // The server is out of reach: what Anna writes waits in her outbox.
    let down = w.server.running.take().unwrap();
    let addr = down.addr;
    down.shutdown().await.unwrap();
    for conv in [healthy, damaged] {
        let e = anna
            .s
            .send_text(conv, "offline geschrieben".into(), None)
            .await;
        // Not sent for want of the server, and kept in the outbox.
        let e = e.unwrap_err();
        assert!(e.kept());
        assert_eq!(e.kind(), kontor_client::ErrorKind::Unreachable);
    }
    assert_eq!(anna.s.core.outbox().count(), 2);
    w.server.restart_on(addr).await;

    // Meanwhile Erik is deprovisioned, and the delivery service's state of one group is
    // damaged (so any commit there is refused).
    let _: serde_json::Value = w
        .anna
        .ok(
            Method::POST,
            &format!("/people/{}/deprovision", erik_actor.id()),
            &serde_json::json!({}),
        )
        .await;
    let db = raw_db(&w.server).await;
    sqlx::query("UPDATE group_states SET state = $1 WHERE conversation_id = $2")
        .bind(vec![0u8; 3])
        .bind(damaged.to_string())
        .execute(&db)
        .await
        .unwrap();

    // One sync.
    anna.s.sync().await.unwrap();
    let sent: Vec<_> = anna.s.core.outbox().map(|e| e.conversation_id).collect();
    assert_eq!(
        sent,
        vec![damaged],
        "only the damaged group's message still waits"
    );
    let log: kontor_proto::conversation::MessagePage = w
        .anna
        .get(&format!(
            "/conversations/{healthy}/messages?after=0&limit=1000"
        ))
        .await;
    let removal = log
        .messages
        .iter()
        .rposition(|m| m.kind == MessageKind::Commit)
        .unwrap();
    let message = log
        .messages
        .iter()
        .rposition(|m| m.kind == MessageKind::Application)
        .unwrap();
    assert!(
        removal < message,
        "Erik was removed before the message went"
    );
    assert!(
        erik.s
            .core
            .attempt_decrypt(healthy, log.messages[message].body.as_slice())
            .is_none(),
        "nothing sent after the removal is readable with Erik's state"
    );
    assert_eq!(
        ben.texts(healthy).await,
        vec!["vorher", "offline geschrieben"]
    );
    db.close().await;
    w.server.stop().await;
}

/// Anna starts a group with Ben and Erik; Erik leaves the organisation before Ben opens the
/// app. Ben still joins: the devices of someone who left can be verified in the group's tree,
/// and the removal that follows takes Erik out.
#[tokio::test]
async fn a_colleague_joins_a_group_whose_member_left_before_they_opened_it() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let erik_inv = w
        .anna
        .invite(
            "erik@sonnenschein.example",
            kontor_proto::api::OrgRole::Member,
        )
        .await;
    let erik_actor = w.server.join(&erik_inv.code, "Erik Engel").await;
    let _erik = ChatDevice::of(&url, &erik_actor).await;
    let conv = anna
        .s
        .create(
            ConversationKind::Group,
            Some("Station 3"),
            &[w.ben.id(), erik_actor.id()],
        )
        .await
        .unwrap();
    anna.say(conv, "Übergabe um 14 Uhr").await;
    let _: serde_json::Value = w
        .anna
        .ok(
            Method::POST,
            &format!("/people/{}/deprovision", erik_actor.id()),
            &serde_json::json!({}),
        )
        .await;
    anna.s.sync().await.unwrap();
    assert_eq!(ben.texts(conv).await, vec!["Übergabe um 14 Uhr"]);
    anna.say(conv, "Danke").await;
    assert_eq!(ben.texts(conv).await, vec!["Übergabe um 14 Uhr", "Danke"]);
    let members = ben.s.core.members(conv).unwrap();
    assert!(!members.contains_key(&erik_actor.id()), "{members:?}");
    w.server.stop().await;
}

// --- Review of issue 9: what a writer who is no admin could still do -----------------------

/// The leaf of a person's device in a forger's copy of the group.
fn leaf_of(group: &MlsGroup, user: kontor_proto::PersonId) -> LeafNodeIndex {
    group
        .members()
        .find(|m| kontor_client::mls::parse_credential(&m.credential).is_ok_and(|(u, _)| u == user))
        .expect("the person is in the group")
        .index
}

/// Chris's device could not process a change and asks to be added again. Ben, who writes in
/// the group but is no admin, does not renew it: he removes it and adds nothing back. A
/// device that asked to be added again may be renewed by any committer, not dropped: Chris
/// would be out of the group without anybody with the right to remove him deciding it.
#[tokio::test]
async fn a_member_who_is_no_admin_cannot_drop_a_device_that_asked_to_be_added_again() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, ben, chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let chris_device = chris.s.core.device();
    let (status, _) = w
        .chris
        .call::<()>(Method::POST, &format!("/conversations/{conv}/rejoin"), None)
        .await;
    assert!(status.is_success());
    let forger = Forger::of(&ben);
    let mut group = forger.group(conv);
    let leaf = leaf_of(&group, w.chris.id());
    let (commit, _, _) = group
        .remove_members(&forger.provider, &forger.signer, &[leaf])
        .unwrap();
    let mut body = Forger::body(MessageKind::Commit, epoch, &commit);
    body.removed = vec![chris_device];
    let refused = post_raw(&url, &w.ben.session.as_ref().unwrap().token, conv, &body).await;
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(
        refused.is_err(),
        "a writer dropped Chris's device; members now: {:?}",
        seen.members.iter().map(|m| m.person_id).collect::<Vec<_>>()
    );
    assert!(seen.members.iter().any(|m| m.person_id == w.chris.id()));
    drop((anna, chris));
    w.server.stop().await;
}

/// Chris leaves the group. Before an admin commits his removal, Ben, who is no admin, "renews"
/// Chris's leaving device (removes its leaf and adds it again with a key package he claimed):
/// Chris would be back in a group he left, which only an admin adding him could do.
#[tokio::test]
async fn a_member_who_is_no_admin_cannot_bring_back_a_colleague_who_left() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, ben, mut chris, conv) = group_of_three(&w).await;
    let chris_device = chris.s.core.device();
    chris.s.leave(conv).await.unwrap();
    let epoch = anna.s.core.epoch(conv).unwrap();
    let claimed: kontor_proto::identity::ClaimedKeyPackages = w
        .ben
        .ok(
            Method::POST,
            "/key-packages/claim",
            &kontor_proto::identity::ClaimKeyPackages {
                people: vec![w.chris.id()],
            },
        )
        .await;
    let kp = claimed
        .key_packages
        .iter()
        .find(|k| k.device_id == chris_device)
        .expect("Chris's device still has key packages");
    let kp = match kontor_client::mls::from_bytes(kp.key_package.as_slice()).unwrap() {
        MlsMessageBodyIn::KeyPackage(k) => k
            .validate(
                OpenMlsProvider::crypto(&kontor_client::mls::Provider::default()),
                ProtocolVersion::Mls10,
            )
            .unwrap(),
        _ => unreachable!(),
    };
    let forger = Forger::of(&ben);
    let mut group = forger.group(conv);
    let leaf = leaf_of(&group, w.chris.id());
    let bundle = group
        .commit_builder()
        .propose_removals(vec![leaf])
        .propose_adds(vec![kp])
        .force_self_update(true)
        .load_psks(OpenMlsProvider::storage(&forger.provider))
        .unwrap()
        .build(
            OpenMlsProvider::rand(&forger.provider),
            OpenMlsProvider::crypto(&forger.provider),
            &forger.signer,
            |_| true,
        )
        .unwrap()
        .stage_commit(&forger.provider)
        .unwrap();
    let welcome = bundle.to_welcome_msg().unwrap();
    let (commit, _, _) = bundle.into_contents();
    let mut body = Forger::body(MessageKind::Commit, epoch, &commit);
    body.welcome = Some(kontor_proto::Bytes(
        openmls::prelude::tls_codec::Serialize::tls_serialize_detached(&welcome).unwrap(),
    ));
    body.added = vec![kontor_proto::conversation::AddedDevice {
        person_id: w.chris.id(),
        device_id: chris_device,
        leaf: None,
    }];
    body.removed = vec![chris_device];
    let result = post_raw(&url, &w.ben.session.as_ref().unwrap().token, conv, &body).await;
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(
        result.is_err(),
        "Chris is back: routed {:?}, pending removals {:?}",
        seen.members
            .iter()
            .map(|m| (m.person_id, m.devices.clone()))
            .collect::<Vec<_>>(),
        seen.pending_removals
    );
    drop(anna);
    w.server.stop().await;
}

/// Ben, who writes in the group, posts a commit whose signature is right but whose membership
/// tag (which only members can check, with the epoch's membership key) is not. The delivery
/// service cannot tell. Returns where it was stored.
async fn post_commit_with_a_bad_tag(
    w: &World,
    ben: &ChatDevice,
    conv: kontor_proto::ConversationId,
    epoch: u64,
) -> u64 {
    use crate::common::forger::Forger;
    let forger = Forger::of(ben);
    let mut group = forger.group(conv);
    let bundle = group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    let mut body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
    // The membership tag is the last 32 bytes: outside the signature.
    let n = body.body.0.len();
    body.body.0[n - 1] ^= 0x01;
    post_raw(
        &w.server.url,
        &w.ben.session.as_ref().unwrap().token,
        conv,
        &body,
    )
    .await
    .expect("the delivery service cannot see the tag")
    .seq
}

async fn void_raw(
    url: &str,
    token: &str,
    conv: kontor_proto::ConversationId,
    seq: u64,
) -> Result<(), ErrorCode> {
    let res = reqwest::Client::new()
        .post(format!("{url}/api/v1/conversations/{conv}/void"))
        .bearer_auth(token)
        .json(&kontor_proto::conversation::VoidCommit { seq })
        .send()
        .await
        .unwrap();
    if res.status().is_success() {
        Ok(())
    } else {
        Err(res.json::<ErrorBody>().await.unwrap().error.code)
    }
}

/// Every other device fails to process Ben's commit with a bad tag, and only Ben would be
/// left in step to add them again. One writer must not be able to halt a conversation for
/// everybody: Anna's device, an admin's, voids the commit nobody could process; everybody goes
/// on, and Ben's device is added again.
#[tokio::test]
async fn a_writer_s_commit_with_a_bad_membership_tag_does_not_halt_the_conversation() {
    let w = World::new().await;
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let bad = post_commit_with_a_bad_tag(&w, &ben, conv, epoch).await;
    for _ in 0..3 {
        anna.s.sync().await.unwrap();
        chris.s.sync().await.unwrap();
    }
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    let sent = anna.s.send_text(conv, "noch da?".into(), None).await;
    assert!(
        sent.is_ok(),
        "Anna cannot write any more ({:?}); waiting to be added again: {:?}",
        sent.err(),
        seen.rejoining
    );
    assert!(chris.texts(conv).await.contains(&"noch da?".to_string()));
    let page: kontor_proto::conversation::MessagePage = w
        .chris
        .get(&format!("/conversations/{conv}/messages?after={}", bad - 1))
        .await;
    assert!(page.messages[0].voided, "the bad commit is marked voided");
    // Ben's device took part in nothing that stands: it is added again and reads on.
    ben.s.sync().await.unwrap();
    anna.s.sync().await.unwrap();
    assert!(
        ben.texts(conv).await.contains(&"noch da?".to_string()),
        "Ben was added again: {:?}",
        ben.s.core.conversation(conv).map(|c| c.rejoining)
    );
    chris.say(conv, "alle wieder da").await;
    assert!(
        ben.texts(conv)
            .await
            .contains(&"alle wieder da".to_string())
    );
    assert!(
        anna.texts(conv)
            .await
            .contains(&"alle wieder da".to_string())
    );
    w.server.stop().await;
}

/// Chris, who is no admin, meets the bad commit first: he may not void it and asks to be added
/// again. When Anna's device voids it, Chris's device goes on where it stopped.
#[tokio::test]
async fn a_device_waiting_to_be_added_again_goes_on_when_the_commit_is_voided() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let bad = post_commit_with_a_bad_tag(&w, &ben, conv, epoch).await;
    chris.s.sync().await.unwrap();
    assert!(chris.s.core.conversation(conv).unwrap().rejoining);
    let chris_token = w.chris.session.as_ref().unwrap().token.clone();
    assert_eq!(
        void_raw(&url, &chris_token, conv, bad).await,
        Err(ErrorCode::NotConversationAdmin),
        "only a conversation's admins void"
    );
    let ben_token = w.ben.session.as_ref().unwrap().token.clone();
    assert_eq!(
        void_raw(&url, &ben_token, conv, bad).await,
        Err(ErrorCode::NotConversationAdmin),
        "nor does its committer"
    );
    anna.s.sync().await.unwrap();
    chris.s.sync().await.unwrap();
    let state = chris.s.core.conversation(conv).unwrap();
    assert!(!state.rejoining, "Chris goes on");
    anna.say(conv, "weiter geht's").await;
    assert!(
        chris
            .texts(conv)
            .await
            .contains(&"weiter geht's".to_string())
    );
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(
        !seen.rejoining.contains(&chris.s.core.device()),
        "Chris no longer waits: {:?}",
        seen.rejoining
    );
    w.server.stop().await;
}

/// A commit that somebody other than its committer answered could be processed by them: it
/// stands, whoever asks to void it, and so does one's own.
#[tokio::test]
async fn a_commit_somebody_answered_is_not_voided() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let newest_commit_of = |user: PersonId| {
        let w = &w;
        async move {
            w.anna
                .get::<kontor_proto::conversation::MessagePage>(&format!(
                    "/conversations/{conv}/messages"
                ))
                .await
                .messages
                .into_iter()
                .rfind(|m| m.kind == MessageKind::Commit && m.sender_person == user)
                .expect("a commit")
                .seq
        }
    };
    let anna_token = w.anna.session.as_ref().unwrap().token.clone();
    let _laptop = link_by_approval(&url, &w.anna, &mut anna).await;
    anna.s.sync().await.unwrap();
    let own = newest_commit_of(w.anna.id()).await;
    assert_eq!(
        void_raw(&url, &anna_token, conv, own).await,
        Err(ErrorCode::NotVoidable),
        "a commit of one's own stands"
    );
    let mut phone = link_by_approval(&url, &w.ben, &mut ben).await;
    ben.s.sync().await.unwrap();
    let bens = newest_commit_of(w.ben.id()).await;
    chris.say(conv, "Hallo Telefon").await;
    assert!(
        phone
            .texts(conv)
            .await
            .contains(&"Hallo Telefon".to_string())
    );
    assert_eq!(
        void_raw(&url, &anna_token, conv, bens).await,
        Err(ErrorCode::NotVoidable),
        "Chris processed Ben's commit and wrote after it"
    );
    w.server.stop().await;
}

/// In a channel only its admin writes, so her commits are never answered by anybody else and
/// the delivery service keeps a checkpoint before each. That must not stop her from changing
/// the channel for ever: past 64 in an hour her commits wait, older checkpoints make room.
#[tokio::test]
async fn an_admin_who_alone_changes_a_conversation_is_held_up_for_an_hour_at_most() {
    use crate::common::forger::Forger;
    use kontor_server::clock::ManualClock;
    let clock = std::sync::Arc::new(ManualClock::new(1_800_000_000_000));
    let w = World::with_clock(clock.clone()).await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let _ben = ChatDevice::of(&url, &w.ben).await;
    let conv = anna
        .s
        .create(ConversationKind::Channel, Some("Aushang"), &[w.ben.id()])
        .await
        .unwrap();
    let forger = Forger::of(&anna);
    let mut group = forger.group(conv);
    let token = w.anna.session.as_ref().unwrap().token.clone();
    let commit = |group: &mut openmls::group::MlsGroup| {
        let epoch = group.epoch().as_u64();
        let bundle = group
            .self_update(
                &forger.provider,
                &forger.signer,
                LeafNodeParameters::default(),
            )
            .unwrap();
        Forger::body(MessageKind::Commit, epoch, bundle.commit())
    };
    let body = loop {
        let body = commit(&mut group);
        match post_raw(&url, &token, conv, &body).await {
            Ok(_) => group.merge_pending_commit(&forger.provider).unwrap(),
            Err(e) => {
                assert_eq!(e, ErrorCode::RateLimited);
                break body;
            }
        }
    };
    let page: kontor_proto::conversation::MessagePage =
        w.anna.get(&format!("/conversations/{conv}/messages")).await;
    let commits = page
        .messages
        .iter()
        .filter(|m| m.kind == MessageKind::Commit)
        .count();
    assert_eq!(
        commits, 64,
        "the 65th unanswered commit within the hour waits"
    );
    clock.advance(std::time::Duration::from_secs(3_601));
    post_raw(&url, &token, conv, &body)
        .await
        .expect("an hour later the oldest checkpoint makes room");
    w.server.stop().await;
}

/// Chris, a guest, may not change a conversation, so he cannot add anybody again either: were
/// he able to void Anna's commit in their direct chat, Anna's devices would wait to be renewed
/// by somebody who never may.
#[tokio::test]
async fn a_guest_may_not_void_a_commit_in_a_direct_chat() {
    use crate::common::forger::Forger;
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut chris = ChatDevice::of(&url, &w.chris).await;
    let conv = anna
        .s
        .create(ConversationKind::Direct, None, &[w.chris.id()])
        .await
        .unwrap();
    anna.say(conv, "Hallo Chris").await;
    assert_eq!(chris.texts(conv).await, vec!["Hallo Chris"]);
    let forger = Forger::of(&anna);
    let mut group = forger.group(conv);
    let epoch = group.epoch().as_u64();
    let bundle = group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    let body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
    let token = w.anna.session.as_ref().unwrap().token.clone();
    let seq = post_raw(&url, &token, conv, &body).await.unwrap().seq;
    let chris_token = w.chris.session.as_ref().unwrap().token.clone();
    assert_eq!(
        void_raw(&url, &chris_token, conv, seq).await,
        Err(ErrorCode::Forbidden)
    );
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(seen.rejoining.is_empty(), "{:?}", seen.rejoining);
    w.server.stop().await;
}

/// Ben's bad commit was voided and his device waits to be added again. Until it is, it may
/// write nothing, neither messages nor another commit at the epoch it kept: otherwise it could
/// post bad commits for as long as the admins' voids last.
#[tokio::test]
async fn a_device_waiting_to_be_added_again_sends_nothing_until_it_is() {
    let w = World::new().await;
    let (mut anna, ben, mut chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    post_commit_with_a_bad_tag(&w, &ben, conv, epoch).await;
    anna.s.sync().await.unwrap();
    chris.s.sync().await.unwrap();
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    assert!(seen.rejoining.contains(&ben.s.core.device()), "{seen:?}");
    use crate::common::forger::Forger;
    let forger = Forger::of(&ben);
    let mut group = forger.group(conv);
    let bundle = group
        .self_update(
            &forger.provider,
            &forger.signer,
            LeafNodeParameters::default(),
        )
        .unwrap();
    let body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
    assert_eq!(
        post_raw(
            &w.server.url,
            &w.ben.session.as_ref().unwrap().token,
            conv,
            &body
        )
        .await
        .err(),
        Some(ErrorCode::RejoinPending)
    );
    w.server.stop().await;
}

/// Anna removes Chris; Ben, whom she made an admin, voids her commit (he says he could not
/// process it). A void undoes what a commit added, never whom it removed: Chris's device is
/// to be removed again, not quietly renewed into the group.
#[tokio::test]
async fn a_void_keeps_a_removed_member_out() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, ben, chris, conv) = group_of_three(&w).await;
    anna.s
        .set_role(conv, w.ben.id(), ConversationRole::Admin)
        .await
        .unwrap();
    anna.s.remove_people(conv, &[w.chris.id()]).await.unwrap();
    let page: kontor_proto::conversation::MessagePage =
        w.anna.get(&format!("/conversations/{conv}/messages")).await;
    let removal = page
        .messages
        .iter()
        .rfind(|m| m.kind == MessageKind::Commit)
        .unwrap()
        .seq;
    let ben_token = w.ben.session.as_ref().unwrap().token.clone();
    void_raw(&url, &ben_token, conv, removal).await.unwrap();
    let seen: Conversation = w.anna.get(&format!("/conversations/{conv}")).await;
    let chris_device = chris.s.core.device();
    assert!(
        !seen.rejoining.contains(&chris_device),
        "Chris would be renewed: {:?}",
        seen.rejoining
    );
    assert!(
        seen.pending_removals.contains(&chris_device),
        "Chris's removal is proposed again: {:?}",
        seen.pending_removals
    );
    drop(ben);
    w.server.stop().await;
}

/// Two admins both fail the same commit; the second asks after the first voided it (or asks
/// again, its answer lost). The void happened: both get yes, and nobody is sent to be added
/// again for it.
#[tokio::test]
async fn voiding_a_voided_commit_again_is_answered_yes() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, ben, _chris, conv) = group_of_three(&w).await;
    let epoch = anna.s.core.epoch(conv).unwrap();
    let bad = post_commit_with_a_bad_tag(&w, &ben, conv, epoch).await;
    let anna_token = w.anna.session.as_ref().unwrap().token.clone();
    void_raw(&url, &anna_token, conv, bad).await.unwrap();
    assert_eq!(void_raw(&url, &anna_token, conv, bad).await, Ok(()));
    w.server.stop().await;
}

/// Ben, a writer and no admin, posts a commit nobody can process while the admins are
/// offline, then as many cheap ones as the run holds. However long he waits, the first stays
/// voidable: only an admin's own run makes room by age.
#[tokio::test]
async fn a_writer_cannot_push_a_bad_commit_out_of_reach() {
    use crate::common::forger::Forger;
    use kontor_server::clock::ManualClock;
    let clock = std::sync::Arc::new(ManualClock::new(1_800_000_000_000));
    let w = World::with_clock(clock.clone()).await;
    let url = w.server.url.clone();
    let (_anna, ben, _chris, conv) = group_of_three(&w).await;
    let forger = Forger::of(&ben);
    let mut group = forger.group(conv);
    let token = w.ben.session.as_ref().unwrap().token.clone();
    let mut first = None;
    let mut refused = None;
    for n in 0..70 {
        let epoch = group.epoch().as_u64();
        let bundle = group
            .self_update(
                &forger.provider,
                &forger.signer,
                LeafNodeParameters::default(),
            )
            .unwrap();
        let mut body = Forger::body(MessageKind::Commit, epoch, bundle.commit());
        if n == 0 {
            // The membership tag is the last 32 bytes, outside the signature.
            let len = body.body.0.len();
            body.body.0[len - 1] ^= 0x01;
        }
        match post_raw(&url, &token, conv, &body).await {
            Ok(sent) => {
                first.get_or_insert(sent.seq);
                group.merge_pending_commit(&forger.provider).unwrap();
            }
            Err(code) => {
                refused = Some(code);
                break;
            }
        }
        if n == 0 {
            clock.advance(std::time::Duration::from_secs(3_601));
        }
    }
    let first = first.unwrap();
    assert_eq!(refused, Some(ErrorCode::RateLimited));
    let anna_token = w.anna.session.as_ref().unwrap().token.clone();
    assert_eq!(void_raw(&url, &anna_token, conv, first).await, Ok(()));
    w.server.stop().await;
}

/// Ben links a laptop while Chris is away; the laptop is added to their group; then Ben
/// revokes it again (lost, or linked by mistake) and his identity key drops it from his list.
/// When Chris comes back, the commit that added the laptop is judged against Ben's newest
/// list, which no longer names it: an ordinary sequence of events must not stop Chris's
/// conversation, as only a lying server should.
#[tokio::test]
async fn a_device_linked_and_revoked_while_a_colleague_was_away_stops_nothing() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let (mut anna, mut ben, mut chris, conv) = group_of_three(&w).await;
    let mut laptop = link_by_approval(&url, &w.ben, &mut ben).await;
    let laptop_device = laptop.s.core.device();
    ben.s.sync().await.unwrap();
    anna.s.sync().await.unwrap();
    anna.say(conv, "Hallo Laptop").await;
    assert!(
        laptop
            .texts(conv)
            .await
            .contains(&"Hallo Laptop".to_string()),
        "the laptop was added"
    );
    let (status, _) = w
        .ben
        .call::<()>(
            Method::DELETE,
            &format!("/me/devices/{laptop_device}"),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    assert!(ben.s.drop_device(laptop_device).await.unwrap());
    anna.s.sync().await.unwrap();
    anna.say(conv, "Laptop ist weg").await;
    let texts = chris.texts(conv).await;
    let state = chris.s.core.conversation(conv).unwrap();
    assert!(
        state.stopped.is_none(),
        "Chris's conversation stopped: {:?}",
        state.stopped
    );
    assert!(texts.contains(&"Laptop ist weg".to_string()), "{texts:?}");
    w.server.stop().await;
}

/// A committer who adds a colleague's device may send a Welcome that parses but does not
/// open. The device is then in the group and can read nothing: it must ask to be added again,
/// and the next member online renews it, instead of it staying shut out unnoticed.
#[tokio::test]
async fn a_device_given_a_broken_welcome_asks_to_be_added_again_and_is() {
    use kontor_proto::identity::{ClaimKeyPackages, ClaimedKeyPackages};
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let conv = anna
        .s
        .create(ConversationKind::Group, None, &[])
        .await
        .unwrap();
    anna.s.learn(&[w.ben.id()]).await.unwrap();
    let claimed: ClaimedKeyPackages = w
        .anna
        .ok(
            Method::POST,
            "/key-packages/claim",
            &ClaimKeyPackages {
                people: vec![w.ben.id()],
            },
        )
        .await;
    let (add, _) = anna.s.core.add(conv, &[w.ben.id()], &claimed).unwrap();
    let mut add = add.unwrap();
    let welcome = add.welcome.as_mut().expect("a Welcome for Ben");
    let last = welcome.0.len() - 1;
    welcome.0[last] ^= 0x55;
    let sent: kontor_proto::conversation::Sent = w
        .anna
        .ok(
            Method::POST,
            &format!("/conversations/{conv}/messages"),
            &add,
        )
        .await;
    anna.s
        .core
        .on_sent(conv, add.client_msg_id, Ok(&sent))
        .unwrap();
    // Ben cannot open it: he asks to be added again.
    assert!(ben.texts(conv).await.is_empty());
    let seen: kontor_proto::conversation::Conversation =
        w.anna.get(&format!("/conversations/{conv}")).await;
    assert_eq!(seen.rejoining, vec![ben.s.core.device()]);
    // Anna is online next: she renews Ben, who then reads what she writes.
    anna.s.sync().await.unwrap();
    anna.say(conv, "Jetzt mit Ben").await;
    assert_eq!(ben.texts(conv).await, vec!["Jetzt mit Ben"]);
    w.server.stop().await;
}
