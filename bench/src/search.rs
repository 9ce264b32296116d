//! `search-bench`: search on the device, natively (the browser's figures come from
//! `bench/web/search.mjs`).
//!
//! A device is opened from a store that holds `--messages` decrypted messages in
//! `--conversations` conversations, written in the form the client core stores them (the
//! texts `web-seed` sends). Then it prints the latency of typical queries (p50/p99 over
//! `--runs`), the first search (which folds every text once), what search keeps in memory,
//! and — the alternative not taken — how many bytes a persisted inverted index (word →
//! conversation and sequence numbers, one store entry per word) would add to the store.

use kontor_client::Client;
use kontor_client::history::{ChatMessage, ConversationState};
use kontor_client::search::fold;
use kontor_proto::conversation::ConversationKind;
use kontor_proto::payload::{Envelope, PAYLOAD_VERSION, Payload};
use kontor_proto::{Bytes, ClientMsgId, ConversationId, DeviceId, OrgId, PersonId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The texts `web-seed` sends (kept in step by hand: a benchmark, not a contract).
fn text(i: usize) -> String {
    match i % 5 {
        0 => format!("Nachricht {i}: Übergabe um **14 Uhr**"),
        1 => format!("Nachricht {i}: bitte _heute_ noch den Verband wechseln"),
        2 => format!("Nachricht {i}\n- Blutdruck\n- Puls\n- Temperatur"),
        3 => format!("Nachricht {i}: `Zimmer 12` ist frei"),
        _ => format!("Nachricht {i}: alles ruhig auf Station 3, bis später"),
    }
}

/// The queries both benchmarks time: a word in every fifth message, two words, a prefix
/// being typed, one message among all, and nothing.
const QUERIES: [&str; 5] = [
    "ubergabe",
    "verband wech",
    "zimmer 12",
    "nachricht 4711",
    "xylophon",
];

fn pct(xs: &mut [f64], p: usize) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[(xs.len() * p / 100).min(xs.len() - 1)]
}

fn main() {
    let messages = arg("--messages", 10_000);
    let conversations = arg("--conversations", 50).max(1);
    let runs = arg("--runs", 200);
    let u = |n: u128| uuid::Uuid::from_u128(n);
    let mut fresh = Client::new_device(OrgId(u(1)), PersonId(u(2)), DeviceId(u(3))).unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = fresh
        .take_changes()
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let conv = |c: usize| ConversationId(u(1000 + c as u128));
    for c in 0..conversations {
        let state = ConversationState::new(conv(c), ConversationKind::Group);
        entries.push((
            format!("conv/{}", conv(c)),
            serde_json::to_vec(&state).unwrap(),
        ));
    }
    let mut message_bytes = 0;
    // Word → (conversation, seq): what an inverted index would keep.
    let mut index: BTreeMap<String, BTreeSet<(usize, u64)>> = BTreeMap::new();
    for i in 0..messages {
        let c = i % conversations;
        let seq = (i / conversations + 1) as u64;
        let text = text(i);
        for w in fold(&kontor_client::search::plain(&text)).split(' ') {
            index.entry(w.to_owned()).or_default().insert((c, seq));
        }
        let m = ChatMessage {
            seq,
            envelope: Envelope {
                v: PAYLOAD_VERSION,
                conversation_id: conv(c),
                sender_person: PersonId(u(4)),
                sender_device: DeviceId(u(5)),
                client_msg_id: ClientMsgId(u(10_000_000 + i as u128)),
                sent_at: 1_800_000_000_000 + i as i64 * 1000,
                payload: Payload::Text {
                    text,
                    mentions: vec![],
                    reply_to: None,
                    forwarded: false,
                }
                .to_json(),
                signature: Bytes(vec![7; 64]),
            },
            verified: true,
            edited: None,
            deleted: false,
            reactions: BTreeMap::new(),
            votes: BTreeMap::new(),
            pinned_by: None,
        };
        let key = format!("msg/{}/{seq:020}", conv(c));
        let value = serde_json::to_vec(&m).unwrap();
        message_bytes += key.len() + value.len();
        entries.push((key, value));
    }
    let mut device = Client::restore(entries).unwrap();

    let t = Instant::now();
    let first = device.search(QUERIES[0], None, 50);
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{messages} messages in {conversations} conversations; first search (folds every text) {first_ms:.1} ms, {} found",
        first.total
    );
    for q in QUERIES {
        let mut all = Vec::with_capacity(runs);
        let mut one = Vec::with_capacity(runs);
        let mut found = 0;
        for _ in 0..runs {
            let t = Instant::now();
            found = device.search(q, None, 50).total;
            all.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            device.search(q, Some(conv(0)), 50);
            one.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        println!(
            "  {q:<16} {found:>5} found; every conversation p50 {:.2} ms p99 {:.2} ms; one conversation p50 {:.3} ms p99 {:.3} ms",
            pct(&mut all, 50),
            pct(&mut all, 99),
            pct(&mut one, 50),
            pct(&mut one, 99),
        );
    }
    // One store entry per word: "idx/<word>" → JSON [[conversation, seq], …] with the full
    // conversation id, as the store would need it.
    let index_bytes: usize = index
        .iter()
        .map(|(w, postings)| {
            let list: Vec<(ConversationId, u64)> =
                postings.iter().map(|&(c, s)| (conv(c), s)).collect();
            4 + w.len() + serde_json::to_vec(&list).unwrap().len()
        })
        .sum();
    println!(
        "store: messages {:.0} KiB; search adds 0 bytes (in memory: {:.0} KiB of folded texts); \
         a persisted inverted index would add {:.0} KiB in {} entries",
        message_bytes as f64 / 1024.0,
        device.search_memory() as f64 / 1024.0,
        index_bytes as f64 / 1024.0,
        index.len(),
    );
}
