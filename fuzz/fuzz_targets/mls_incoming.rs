//! What a lying server can hand a device (`kontor_client::Client`): stored messages, Welcomes
//! and claimed key packages of its choosing, in a real conversation of Anna and Ben
//! (`kontor_fuzz::World`). The first byte chooses:
//!
//! - 0, 1, 2: a stored message (application, commit, proposal) with these bytes as its MLS body,
//!   from Anna or (top bit set) from Ben's own device, to `Client::receive`;
//! - 3: a Welcome for Chris, to `Client::join`;
//! - 4: a key package claimed for Chris, to `Client::add` (its checks: well-formed, signed,
//!   naming Chris's device, with the key his signed list names);
//! - 5: lines of payload JSON that Anna sends and Ben receives: a member's message is always
//!   received; targets `…0000`–`…000f` stand for Anna's earlier messages in this input;
//! - 6: a real application message of Anna's with bytes replaced: (offset: 2, byte: 1)…
//!
//! After each input the device's views are drawn and its stored state restores.
#![no_main]

use kontor_client::{Client, KvStore, MemoryStore};
use kontor_fuzz::World;
use kontor_proto::conversation::{ConversationKind, MessageKind, PendingWelcome, Sent};
use kontor_proto::identity::{ClaimedKeyPackage, ClaimedKeyPackages};
use kontor_proto::payload::Payload;
use kontor_proto::{Bytes, ClientMsgId};
use libfuzzer_sys::fuzz_target;

/// Draws what the person would see, then checks the state the host would store restores.
fn settle(mut c: Client, stored: &kontor_client::Entries) {
    let w = World::get();
    let _ = c.conversation_views();
    let _ = c.timeline(w.conv, None, 50);
    let mut store = MemoryStore::default();
    store
        .commit(
            &stored
                .iter()
                .map(|(k, v)| (k.clone(), Some(v.clone())))
                .collect(),
        )
        .expect("store");
    store.commit(&c.take_changes()).expect("store");
    Client::restore(store.load().expect("load")).expect("what a device stored restores");
}

fn incoming(kind: MessageKind, own: bool, body: &[u8]) {
    let w = World::get();
    let mut ben = World::restore(&w.ben);
    let from = if own { w.ben_ids } else { w.anna_ids };
    let msg = w.stored_message(
        w.next_seq,
        kind,
        from,
        ClientMsgId(uuid::Uuid::nil()),
        body.to_vec(),
    );
    let _ = ben.receive(&msg);
    settle(ben, &w.ben);
}

fn welcome(bytes: &[u8]) {
    let w = World::get();
    let mut chris = World::restore(&w.chris);
    let _ = chris.join(&PendingWelcome {
        conversation_id: w.conv,
        kind: ConversationKind::Group,
        seq: w.next_seq,
        welcome: Bytes(bytes.to_vec()),
    });
    settle(chris, &w.chris);
}

fn key_package(bytes: &[u8]) {
    let w = World::get();
    let mut anna = World::restore(&w.anna);
    let claimed = ClaimedKeyPackages {
        key_packages: vec![ClaimedKeyPackage {
            person_id: w.chris_ids.0,
            device_id: w.chris_ids.1,
            key_package: Bytes(bytes.to_vec()),
        }],
    };
    let _ = anna.add(w.conv, &[w.chris_ids.0], &claimed);
    settle(anna, &w.anna);
}

/// Points a payload's target or reply at one of `sent` when it names `…0000`–`…000f`.
fn aim(p: &mut Payload, sent: &[ClientMsgId]) {
    let target = match p {
        Payload::Reaction { target, .. }
        | Payload::Edit { target, .. }
        | Payload::Delete { target } => Some(target),
        Payload::Text { reply_to, .. } => reply_to.as_mut(),
        _ => None,
    };
    if let Some(t) = target
        && let Ok(i) = usize::try_from(t.0.as_u128())
        && let Some(id) = sent.get(i)
    {
        *t = *id;
    }
}

fn payloads(data: &[u8]) {
    let w = World::get();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut anna = World::restore(&w.anna);
    let mut ben = World::restore(&w.ben);
    let mut sent = vec![w.application.client_msg_id];
    for (i, line) in text.lines().take(16).enumerate() {
        let mut payload = Payload::parse(line);
        aim(&mut payload, &sent);
        let seq = w.next_seq + i as u64;
        let m = anna
            .encrypt(w.conv, &payload, seq as i64)
            .expect("Anna can send");
        let ack = Sent {
            seq,
            epoch: w.epoch,
            duplicate: false,
        };
        anna.on_sent(w.conv, m.client_msg_id, Ok(&ack))
            .expect("accepted");
        sent.push(m.client_msg_id);
        let msg = w.stored_message(
            seq,
            MessageKind::Application,
            w.anna_ids,
            m.client_msg_id,
            m.body.0,
        );
        ben.receive(&msg).expect("a member's message is received");
    }
    settle(anna, &w.anna);
    settle(ben, &w.ben);
}

fn patched(data: &[u8]) {
    let w = World::get();
    let mut body = w.application.body.0.clone();
    for patch in data.chunks_exact(3) {
        let at = usize::from(u16::from_be_bytes([patch[0], patch[1]]));
        if let Some(b) = body.get_mut(at) {
            *b = patch[2];
        }
    }
    // Ben has read the original already: it arrives again as the next message.
    incoming(MessageKind::Application, false, &body);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    // The client's decoder of MLS framing, on its own.
    let _ = kontor_client::mls::from_bytes(rest);
    let own = mode & 0x80 != 0;
    match mode & 0x7f {
        0 => incoming(MessageKind::Application, own, rest),
        1 => incoming(MessageKind::Commit, own, rest),
        2 => incoming(MessageKind::Proposal, own, rest),
        3 => welcome(rest),
        4 => key_package(rest),
        5 => payloads(rest),
        6 => patched(rest),
        _ => {}
    }
});
