//! End-to-end encrypted conversations against the real server: Anna (owner), Ben (member) and
//! Chris (guest), each on two devices, plus Dora next door. The devices are the command line's
//! own host around the client core, with their state in SQLite files.

use crate::common::*;
use kontor_proto::ErrorCode;
use kontor_proto::api::{CreateTeamRequest, SetTeamMemberRequest, Team, TeamKind, TeamRole};
use kontor_proto::conversation::{Conversation, ConversationKind, ConversationRole};
use kontor_proto::payload::{Payload, SystemNote};
use reqwest::Method;

/// Puts Anna, Ben and Chris in one team, so that the guest Chris may see the other two.
async fn shared_team(w: &World) {
    let team: Team = w
        .anna
        .ok(
            Method::POST,
            "/teams",
            &CreateTeamRequest {
                name: "Station 3".into(),
                kind: TeamKind::Department,
                parent_id: None,
                description: String::new(),
            },
        )
        .await;
    for who in [&w.anna, &w.ben, &w.chris] {
        let _: serde_json::Value = w
            .anna
            .ok(
                Method::PUT,
                &format!("/teams/{}/members/{}", team.id, who.id()),
                &SetTeamMemberRequest {
                    role: TeamRole::Member,
                },
            )
            .await;
    }
}

fn code(e: &kontor_client::DeviceError) -> Option<ErrorCode> {
    e.code()
}

#[tokio::test]
async fn anna_ben_and_chris_talk_on_two_devices_each() {
    let w = World::new().await;
    shared_team(&w).await;
    let url = w.server.url.clone();

    // First devices: each makes the person's identity and shows a recovery key once.
    let mut anna1 = ChatDevice::of(&url, &w.anna).await;
    let mut ben1 = ChatDevice::of(&url, &w.ben).await;
    let ben_recovery = ben1.s.new_recovery_key.clone().expect("recovery key shown");
    let mut chris1 = ChatDevice::of(&url, &w.chris).await;
    assert!(anna1.s.new_recovery_key.is_some());

    // Second devices: Anna and Chris link by approval (comparing the code), Ben with his
    // recovery key.
    let mut anna2 = link_by_approval(&url, &w.anna, &mut anna1).await;
    let mut chris2 = link_by_approval(&url, &w.chris, &mut chris1).await;
    let ben_again = login_again(&url, &w.ben).await;
    let mut ben2 = ChatDevice::of(&url, &ben_again).await;
    assert!(ben2.s.new_recovery_key.is_none(), "no second identity");
    assert!(ben2.s.link_with_recovery_key("0000-0000").await.is_err());
    ben2.s.link_with_recovery_key(&ben_recovery).await.unwrap();
    assert!(ben2.s.is_linked());

    // A group with everybody: every device of every person joins.
    let group = anna1
        .s
        .create(
            ConversationKind::Group,
            Some("Pflege Station 3"),
            &[w.ben.id(), w.chris.id()],
        )
        .await
        .unwrap();
    anna1.say(group, "Guten Morgen, **alle**!").await;
    for d in [&mut anna2, &mut ben1, &mut ben2, &mut chris1, &mut chris2] {
        assert_eq!(d.texts(group).await, vec!["Guten Morgen, **alle**!"]);
        assert_eq!(
            d.s.core.conversation(group).unwrap().name.as_deref(),
            Some("Pflege Station 3")
        );
    }

    // Ben answers from his second device; a reply, a reaction and an edit reach everybody.
    let first = anna1
        .s
        .core
        .messages(group)
        .find(|m| m.is_visible())
        .unwrap()
        .envelope
        .client_msg_id;
    let sent = ben2
        .s
        .send(
            group,
            &Payload::Text {
                text: "Morgen Anna".into(),
                mentions: vec![w.anna.id()],
                reply_to: Some(first),
                forwarded: false,
            },
        )
        .await
        .unwrap();
    let reply = ben2
        .s
        .core
        .messages(group)
        .find(|m| m.seq == sent.seq)
        .unwrap()
        .envelope
        .client_msg_id;
    chris2
        .s
        .send(
            group,
            &Payload::Reaction {
                target: reply,
                emoji: "👍".into(),
                remove: false,
            },
        )
        .await
        .unwrap();
    ben1.s.sync().await.unwrap();
    ben1.s
        .send(
            group,
            &Payload::Edit {
                target: reply,
                text: "Guten Morgen Anna".into(),
                mentions: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(
        anna2.texts(group).await,
        vec!["Guten Morgen, **alle**!", "Guten Morgen Anna"]
    );
    let seen = anna2
        .s
        .core
        .messages(group)
        .find(|m| m.envelope.client_msg_id == reply)
        .unwrap()
        .clone();
    assert_eq!(seen.reactions.get("👍").map(Vec::len), Some(1));
    assert!(seen.verified, "the transcript signature verifies");
    assert!(matches!(seen.payload(), Payload::Text { reply_to: Some(r), .. } if r == first));

    // A direct chat.
    let direct = ben1
        .s
        .create(ConversationKind::Direct, None, &[w.anna.id()])
        .await
        .unwrap();
    ben1.say(direct, "Kurze Frage").await;
    assert_eq!(anna2.texts(direct).await, vec!["Kurze Frage"]);
    assert_eq!(anna1.texts(direct).await, vec!["Kurze Frage"]);
    assert!(
        chris1.s.conversation(direct).await.is_err(),
        "Chris does not see it"
    );

    // An announcement channel: Ben and Chris read, only Anna writes (until made a poster).
    let channel = anna1
        .s
        .create(
            ConversationKind::Channel,
            Some("Neuigkeiten"),
            &[w.ben.id(), w.chris.id()],
        )
        .await
        .unwrap();
    anna1.say(channel, "Dienstplan ist online").await;
    assert_eq!(chris2.texts(channel).await, vec!["Dienstplan ist online"]);
    ben1.s.sync().await.unwrap();
    let refused = ben1
        .s
        .send(
            channel,
            &Payload::Text {
                text: "darf ich?".into(),
                mentions: vec![],
                reply_to: None,
                forwarded: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&refused), Some(ErrorCode::NotConversationAdmin));
    // Nor by calling an application message a commit: the server reads the MLS framing.
    let mut disguised = ben1
        .s
        .core
        .encrypt(
            channel,
            &Payload::Text {
                text: "als Commit".into(),
                mentions: vec![],
                reply_to: None,
                forwarded: false,
            },
            0,
        )
        .unwrap();
    disguised.kind = kontor_proto::conversation::MessageKind::Commit;
    let (status, answer) = w
        .ben
        .call(
            Method::POST,
            &format!("/conversations/{channel}/messages"),
            Some(&disguised),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["field"], "body");
    ben1.s.core.discard(disguised.client_msg_id);
    // A sequence number past i64 is refused, not wrapped around.
    let (status, _) = w
        .ben
        .call(
            Method::GET,
            &format!("/conversations/{channel}/messages?after=18446744073709551615"),
            None::<&()>,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    // Anna makes Ben a poster; now he writes, and Chris reads it.
    let _: serde_json::Value = w
        .anna
        .ok(
            Method::PUT,
            &format!("/conversations/{channel}/members/{}", w.ben.id()),
            &kontor_proto::conversation::SetConversationRole {
                role: kontor_proto::conversation::ConversationRole::Member,
            },
        )
        .await;
    ben1.say(channel, "Danke für den Plan").await;
    assert_eq!(
        chris1.texts(channel).await,
        vec!["Dienstplan ist online", "Danke für den Plan"]
    );
    // A reader cannot hand out roles.
    let status = w
        .chris
        .fails(
            Method::PUT,
            &format!("/conversations/{channel}/members/{}", w.chris.id()),
            Some(&kontor_proto::conversation::SetConversationRole {
                role: kontor_proto::conversation::ConversationRole::Admin,
            }),
            "not_conversation_admin",
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN);

    // Safety numbers agree on both sides.
    let ab = anna1.s.core.safety_number(w.ben.id());
    ben1.s.learn(&[w.anna.id()]).await.unwrap();
    assert_eq!(ab.unwrap(), ben1.s.core.safety_number(w.anna.id()).unwrap());

    // Dora next door sees none of it.
    let mut dora = ChatDevice::of(&url, &w.dora).await;
    assert!(dora.s.conversation(group).await.is_err());
    let dora_view: kontor_proto::conversation::Conversations = w.dora.get("/conversations").await;
    assert!(dora_view.conversations.is_empty());
    assert!(dora.s.learn(&[w.anna.id()]).await.is_ok());
    assert!(
        !dora.s.core.trust().people.contains_key(&w.anna.id()),
        "no bundle across orgs"
    );

    // Chris is removed from the group: his devices no longer get anything, the others go on.
    anna1.s.remove_people(group, &[w.chris.id()]).await.unwrap();
    anna1.say(group, "Nur noch wir zwei").await;
    assert!(
        !chris1
            .texts(group)
            .await
            .contains(&"Nur noch wir zwei".to_string())
    );
    assert!(chris1.s.conversation(group).await.is_err());
    assert_eq!(ben1.texts(group).await.last().unwrap(), "Nur noch wir zwei");
    // Chris comes back: added again, his device joins afresh and reads what is new.
    anna1.s.add_people(group, &[w.chris.id()]).await.unwrap();
    anna1.say(group, "Willkommen zurück").await;
    assert_eq!(
        chris1.texts(group).await.last().unwrap(),
        "Willkommen zurück"
    );

    // Anna's tablet is lost: she revokes it, her identity key drops it from her device list,
    // and it leaves every group; what she writes next it cannot read.
    let tablet = anna2.s.core.device();
    w.anna
        .call(
            Method::DELETE,
            &format!("/me/devices/{tablet}"),
            None::<&()>,
        )
        .await;
    assert!(anna1.s.drop_device(tablet).await.unwrap());
    anna1.s.sync().await.unwrap();
    let conv: Conversation = w.anna.get(&format!("/conversations/{group}")).await;
    assert!(
        !conv
            .members
            .iter()
            .flat_map(|m| m.devices.clone())
            .any(|d| d == tablet)
    );
    anna1.say(group, "Tablet ist weg").await;
    let page: kontor_proto::conversation::MessagePage = w
        .anna
        .get(&format!(
            "/conversations/{group}/messages?after=0&limit=1000"
        ))
        .await;
    let last = page.messages.last().unwrap();
    assert!(
        anna2
            .s
            .core
            .attempt_decrypt(group, last.body.as_slice())
            .is_none()
    );

    // Reopening a device from its SQLite state keeps everything.
    let mut ben1 = ben1.reopen().await;
    assert_eq!(ben1.texts(group).await.last().unwrap(), "Tablet ist weg");
    let conv: Conversation = w.anna.get(&format!("/conversations/{group}")).await;
    assert_eq!(conv.members.len(), 3, "Anna, Ben and Chris again");
    w.server.stop().await;
}

#[tokio::test]
async fn colleagues_read_that_a_person_whose_access_ended_left_the_conversation() {
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
    let group = anna
        .s
        .create(
            ConversationKind::Group,
            Some("Station 3"),
            &[w.ben.id(), erik_actor.id()],
        )
        .await
        .unwrap();
    // The first name is the creation ("created the group …"), not a renaming.
    assert_eq!(ben.texts(group).await, Vec::<String>::new());
    let notes = |d: &ChatDevice| -> Vec<SystemNote> {
        d.s.core
            .messages(group)
            .filter_map(|m| match m.payload() {
                Payload::System { note } => Some(note),
                _ => None,
            })
            .collect()
    };
    assert!(notes(&ben).contains(&SystemNote::Renamed {
        name: "Station 3".into(),
        created: true
    }));

    let _: serde_json::Value = w
        .anna
        .ok(
            Method::POST,
            &format!("/people/{}/deprovision", erik_actor.id()),
            &serde_json::json!({}),
        )
        .await;
    // Ben's device commits the server's removal proposal and tells the others why Erik is
    // gone; nobody in the conversation removed him. Anna's device, syncing after, has
    // nothing left to commit and tells nothing more.
    ben.s.sync().await.unwrap();
    anna.s.sync().await.unwrap();
    ben.s.sync().await.unwrap();
    for d in [&anna, &ben] {
        let gone: Vec<SystemNote> = notes(d)
            .into_iter()
            .filter(|n| matches!(n, SystemNote::Removed { .. }))
            .collect();
        assert_eq!(
            gone,
            vec![SystemNote::Removed {
                users: vec![erik_actor.id()],
                lost_access: true
            }],
            "told once, as access ended"
        );
    }
    w.server.stop().await;
}

#[tokio::test]
async fn the_organisations_admins_manage_a_group_a_colleague_created_by_policy() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let newcomer = |email: &'static str, name: &'static str| {
        let w = &w;
        async move {
            let inv = w
                .anna
                .invite(email, kontor_proto::api::OrgRole::Member)
                .await;
            let actor = w.server.join(&inv.code, name).await;
            let device = ChatDevice::of(&w.server.url, &actor).await;
            (actor, device)
        }
    };
    let (erik, _erik_device) = newcomer("erik@sonnenschein.example", "Erik Engel").await;
    let (fritz, _fritz_device) = newcomer("fritz@sonnenschein.example", "Fritz Falk").await;
    // Ben (a member) makes a group with Anna (the owner) in it.
    let group = ben
        .s
        .create(ConversationKind::Group, Some("Ausflug"), &[w.anna.id()])
        .await
        .unwrap();
    let role_of = |c: &Conversation, who| {
        c.members
            .iter()
            .find(|m| m.person_id == who)
            .map(|m| m.role)
    };
    let seen: Conversation = w.anna.get(&format!("/conversations/{group}")).await;
    assert_eq!(
        role_of(&seen, w.anna.id()),
        Some(ConversationRole::Admin),
        "by default owners and admins manage every group they are in"
    );
    anna.s.sync().await.unwrap();
    anna.s.add_people(group, &[erik.id()]).await.unwrap();
    // Ben cannot step down and leave the group to Anna's policy alone: switched off, the
    // group would have nobody to manage it.
    let refused = ben
        .s
        .set_role(group, w.ben.id(), ConversationRole::Member)
        .await
        .unwrap_err();
    assert_eq!(code(&refused), Some(ErrorCode::Conflict));

    // Switched off, Anna is a member like everybody Ben added.
    let _: kontor_proto::api::Policies = w
        .anna
        .ok(
            Method::PATCH,
            "/org/policies",
            &kontor_proto::api::PoliciesPatch {
                org_admins_manage: Some(false),
                ..Default::default()
            },
        )
        .await;
    let seen: Conversation = w.anna.get(&format!("/conversations/{group}")).await;
    assert_eq!(role_of(&seen, w.anna.id()), Some(ConversationRole::Member));
    let refused = anna.s.add_people(group, &[fritz.id()]).await.unwrap_err();
    assert_eq!(code(&refused), Some(ErrorCode::NotConversationAdmin));
    w.server.stop().await;
}

#[tokio::test]
async fn only_admins_create_channels_unless_the_organisation_lets_members() {
    let w = World::new().await;
    shared_team(&w).await;
    let url = w.server.url.clone();
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let mut chris = ChatDevice::of(&url, &w.chris).await;
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let refused = ben
        .s
        .create(
            ConversationKind::Channel,
            Some("Neuigkeiten"),
            &[w.anna.id()],
        )
        .await
        .unwrap_err();
    assert_eq!(code(&refused), Some(ErrorCode::ChannelsByAdmins));
    // Groups stay open to everybody; the owner creates channels.
    ben.s
        .create(ConversationKind::Group, Some("Pause"), &[w.anna.id()])
        .await
        .unwrap();
    anna.s
        .create(
            ConversationKind::Channel,
            Some("Aus der Leitung"),
            &[w.ben.id()],
        )
        .await
        .unwrap();
    let _: kontor_proto::api::Policies = w
        .anna
        .ok(
            Method::PATCH,
            "/org/policies",
            &kontor_proto::api::PoliciesPatch {
                channel_creators: Some(kontor_proto::api::ChannelCreators::Members),
                ..Default::default()
            },
        )
        .await;
    ben.s
        .create(
            ConversationKind::Channel,
            Some("Neuigkeiten"),
            &[w.anna.id()],
        )
        .await
        .unwrap();
    // Never guests.
    let refused = chris
        .s
        .create(ConversationKind::Channel, Some("Gast"), &[w.ben.id()])
        .await
        .unwrap_err();
    assert_eq!(code(&refused), Some(ErrorCode::ChannelsByAdmins));
    w.server.stop().await;
}

#[tokio::test]
async fn a_message_forwarded_to_another_conversation_arrives_there_marked_forwarded() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let direct = anna
        .s
        .create(ConversationKind::Direct, None, &[w.ben.id()])
        .await
        .unwrap();
    let group = anna
        .s
        .create(ConversationKind::Group, Some("Station 3"), &[w.ben.id()])
        .await
        .unwrap();
    anna.say(direct, "Übergabe um 14 Uhr").await;
    // Edited first: what goes on is the text as it reads now.
    let first = anna
        .s
        .core
        .messages(direct)
        .find(|m| m.is_visible() && m.text() == "Übergabe um 14 Uhr")
        .unwrap()
        .envelope
        .client_msg_id;
    anna.s
        .send(
            direct,
            &Payload::Edit {
                target: first,
                text: "Übergabe um 15 Uhr".into(),
                mentions: vec![],
            },
        )
        .await
        .unwrap();
    anna.s.forward(direct, first, group).await.unwrap();
    ben.s.sync().await.unwrap();
    let forwarded: Vec<(String, bool)> = ben
        .s
        .core
        .messages(group)
        .filter_map(|m| match m.payload() {
            Payload::Text { forwarded, .. } => Some((m.text(), forwarded)),
            _ => None,
        })
        .collect();
    assert_eq!(forwarded, vec![("Übergabe um 15 Uhr".to_owned(), true)]);
    // A message this device does not have cannot be forwarded.
    assert!(anna.s.forward(group, first, direct).await.is_err());
    w.server.stop().await;
}

#[tokio::test]
async fn polls_count_each_persons_last_vote_until_they_close_and_pins_reach_everybody() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let group = anna
        .s
        .create(ConversationKind::Group, Some("Station 3"), &[w.ben.id()])
        .await
        .unwrap();
    let options = [
        "Montag".to_owned(),
        "Dienstag".to_owned(),
        "Mittwoch".to_owned(),
    ];
    // Refused before anything is sent: one option, or the same one twice.
    for bad in [&options[..1], &[options[0].clone(), options[0].clone()][..]] {
        assert!(
            anna.s
                .send_poll(group, "Wann?", bad, false, false, None)
                .await
                .is_err()
        );
    }
    anna.s
        .send_poll(group, "Teamtreffen wann?", &options, false, true, None)
        .await
        .unwrap();
    let closed_at = chrono_now_ms() - 1;
    anna.s
        .send_poll(
            group,
            "Schon vorbei?",
            &options[..2],
            true,
            false,
            Some(closed_at),
        )
        .await
        .unwrap();
    ben.s.sync().await.unwrap();
    let poll_id = |d: &ChatDevice, q: &str| {
        d.s.core
            .messages(group)
            .find(|m| matches!(m.payload(), Payload::Poll { question, .. } if question == q))
            .unwrap()
            .envelope
            .client_msg_id
    };
    let open = poll_id(&ben, "Teamtreffen wann?");
    let over = poll_id(&ben, "Schon vorbei?");
    ben.s.vote(group, open, vec![0]).await.unwrap();
    // Two choices where one is allowed: not counted; the next vote replaces the first.
    ben.s.vote(group, open, vec![0, 1]).await.unwrap();
    ben.s.vote(group, open, vec![2]).await.unwrap();
    ben.s.vote(group, over, vec![0]).await.unwrap();
    anna.s.vote(group, open, vec![2]).await.unwrap();
    anna.s.sync().await.unwrap();
    let votes = |d: &ChatDevice, id| {
        d.s.core
            .messages(group)
            .find(|m| m.envelope.client_msg_id == id)
            .unwrap()
            .votes
            .clone()
    };
    assert_eq!(
        votes(&anna, open),
        std::collections::BTreeMap::from([(w.anna.id(), vec![2]), (w.ben.id(), vec![2])])
    );
    assert!(
        votes(&anna, over).is_empty(),
        "a vote after the closing time does not count"
    );

    // A poll no app would send (13 options, straight through the core) takes no vote and
    // is not drawn as a poll.
    let many: Vec<String> = (0..13).map(|i| format!("Option {i}")).collect();
    ben.s
        .send(
            group,
            &Payload::Poll {
                question: "Zu viele?".into(),
                options: many,
                multiple: true,
                anonymous: false,
                closes_ms: None,
            },
        )
        .await
        .unwrap();
    anna.s.sync().await.unwrap();
    let odd = poll_id(&anna, "Zu viele?");
    anna.s.vote(group, odd, vec![12]).await.unwrap();
    assert!(votes(&anna, odd).is_empty());
    let seq = anna
        .s
        .core
        .messages(group)
        .find(|m| m.envelope.client_msg_id == odd)
        .unwrap()
        .seq;
    let shown = anna.s.core.message_view(group, seq).unwrap();
    assert!(
        matches!(&shown.body, kontor_client::view::MessageBody::Unknown { kind } if kind == "poll")
    );

    // Ben pins the poll; Anna's device shows it pinned; Anna unpins it.
    ben.s.pin(group, open, false).await.unwrap();
    anna.s.sync().await.unwrap();
    let pinned = anna.s.core.conversation_view(group).unwrap().pinned;
    assert_eq!(pinned.len(), 1);
    assert_eq!(pinned[0].pinned_by, w.ben.id());
    assert_eq!(pinned[0].excerpt, "Teamtreffen wann?");
    anna.s.pin(group, open, true).await.unwrap();
    ben.s.sync().await.unwrap();
    assert!(
        ben.s
            .core
            .conversation_view(group)
            .unwrap()
            .pinned
            .is_empty()
    );
    w.server.stop().await;
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn the_history_a_new_device_receives_shows_as_verified_once_its_signatures_check() {
    let w = World::new().await;
    let url = w.server.url.clone();
    let mut anna1 = ChatDevice::of(&url, &w.anna).await;
    let mut ben = ChatDevice::of(&url, &w.ben).await;
    let group = anna1
        .s
        .create(ConversationKind::Group, Some("Station 3"), &[w.ben.id()])
        .await
        .unwrap();
    anna1.say(group, "Von Anna").await;
    ben.s.sync().await.unwrap();
    ben.say(group, "Von Ben").await;
    anna1.s.sync().await.unwrap();
    let mut anna2 = link_by_approval(&url, &w.anna, &mut anna1).await;
    anna2.s.sync().await.unwrap();
    let texts: Vec<(String, bool)> = anna2
        .s
        .core
        .messages(group)
        .filter(|m| matches!(m.payload(), Payload::Text { .. }))
        .map(|m| (m.text(), m.verified))
        .collect();
    assert_eq!(
        texts,
        vec![("Von Anna".to_owned(), true), ("Von Ben".to_owned(), true)],
        "Ben's signature checks once his device list is known"
    );
    w.server.stop().await;
}
