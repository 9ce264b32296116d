//! Search on the device, told as what a person types and what they find.

use super::*;
use crate::history::{self, ConversationState};
use kontor_proto::conversation::ConversationKind;
use kontor_proto::payload::{Envelope, PAYLOAD_VERSION};
use kontor_proto::{Bytes, DeviceId, OrgId};
use std::collections::BTreeMap;

fn u(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

const STATION: ConversationId = ConversationId(uuid::Uuid::from_u128(100));
const KUECHE: ConversationId = ConversationId(uuid::Uuid::from_u128(200));
const ANNA: PersonId = PersonId(uuid::Uuid::from_u128(1));
const BEN: PersonId = PersonId(uuid::Uuid::from_u128(2));

/// A conversation's history as the device keeps it, built by handing in messages in order.
struct History {
    conv: ConversationId,
    messages: BTreeMap<u64, ChatMessage>,
}

impl History {
    fn new(conv: ConversationId) -> Self {
        History {
            conv,
            messages: BTreeMap::new(),
        }
    }

    /// Records a message as the client does: changes apply to their target first.
    fn add(&mut self, from: PersonId, payload: Payload) -> ClientMsgId {
        let seq = self.messages.keys().last().map_or(1, |s| s + 1);
        let id = ClientMsgId(u(u128::from(seq) + (self.conv.0.as_u128() << 32)));
        let m = ChatMessage {
            seq,
            envelope: Envelope {
                v: PAYLOAD_VERSION,
                conversation_id: self.conv,
                sender_person: from,
                sender_device: DeviceId(u(from.0.as_u128() + 10)),
                client_msg_id: id,
                sent_at: 1_800_000_000_000 + i64::try_from(seq).unwrap() * 1000,
                payload: payload.to_json(),
                signature: Bytes(vec![0; 64]),
            },
            verified: true,
            edited: None,
            deleted: false,
            reactions: BTreeMap::new(),
            votes: BTreeMap::new(),
            pinned_by: None,
        };
        history::apply(&mut self.messages, &m);
        self.messages.insert(seq, m);
        id
    }

    fn say(&mut self, from: PersonId, text: &str) -> ClientMsgId {
        self.add(
            from,
            Payload::Text {
                text: text.into(),
                mentions: vec![],
                reply_to: None,
                forwarded: false,
            },
        )
    }
}

fn find(cache: &mut SearchCache, h: &History, q: &str) -> Vec<String> {
    cache
        .search(h.messages.values(), q, 50)
        .hits
        .into_iter()
        .map(|hit| hit.snippet)
        .collect()
}

fn station() -> History {
    let mut h = History::new(STATION);
    h.say(ANNA, "Die Übergabe ist um 14 Uhr");
    h.say(BEN, "Ich komme über die Straße");
    h.say(ANNA, "Zimmer 12 ist frei");
    h
}

#[test]
fn case_and_diacritics_fold_away() {
    let h = station();
    let mut c = SearchCache::default();
    for q in ["ubergabe", "übergabe", "ÜBERGABE", "U\u{308}bergabe"] {
        assert_eq!(find(&mut c, &h, q), ["Die Übergabe ist um 14 Uhr"], "{q}");
    }
    for q in ["strasse", "straße", "STRASSE"] {
        assert_eq!(find(&mut c, &h, q), ["Ich komme über die Straße"], "{q}");
    }
    assert_eq!(fold("Crème brûlée, Łódź & Ærø!"), "creme brulee lodz aero");
}

#[test]
fn the_last_word_is_found_by_its_start_while_typing() {
    let h = station();
    let mut c = SearchCache::default();
    assert_eq!(find(&mut c, &h, "Überg"), ["Die Übergabe ist um 14 Uhr"]);
    assert_eq!(find(&mut c, &h, "stra"), ["Ich komme über die Straße"]);
    // Only the start of a word, and only while it is being typed.
    assert!(find(&mut c, &h, "bergabe").is_empty());
    assert!(find(&mut c, &h, "überg ").is_empty());
}

#[test]
fn every_word_must_match_and_only_the_last_may_be_cut() {
    let h = station();
    let mut c = SearchCache::default();
    assert_eq!(
        find(&mut c, &h, "uhr übergabe"),
        ["Die Übergabe ist um 14 Uhr"]
    );
    assert_eq!(
        find(&mut c, &h, "übergabe 1"),
        ["Die Übergabe ist um 14 Uhr"]
    );
    assert!(find(&mut c, &h, "übergabe 15").is_empty());
    assert!(find(&mut c, &h, "überg 14").is_empty());
    assert!(find(&mut c, &h, "  ").is_empty());
    // "über" is a word of Ben's message, and the start of one in Anna's.
    assert_eq!(find(&mut c, &h, "über").len(), 2);
    assert_eq!(find(&mut c, &h, "über ").len(), 1);
}

#[test]
fn markdown_is_searched_as_it_reads() {
    let mut h = History::new(STATION);
    h.say(
        ANNA,
        "Übergabe um **14 Uhr** mit @[Ben Weber](00000000-0000-0000-0000-000000000002)\n- `Zimmer 12`",
    );
    let mut c = SearchCache::default();
    let want = ["Übergabe um 14 Uhr mit @Ben Weber Zimmer 12"];
    assert_eq!(find(&mut c, &h, "14 uhr"), want);
    assert_eq!(find(&mut c, &h, "ben weber"), want);
    assert_eq!(find(&mut c, &h, "zimmer 12"), want);
    assert!(
        find(&mut c, &h, "00000000").is_empty(),
        "a mention's id is not text"
    );
}

#[test]
fn a_deleted_message_is_not_found() {
    let mut h = station();
    let mut c = SearchCache::default();
    assert_eq!(find(&mut c, &h, "zimmer").len(), 1);
    let target = h.messages[&3].envelope.client_msg_id;
    h.add(ANNA, Payload::Delete { target });
    assert!(find(&mut c, &h, "zimmer").is_empty());
}

#[test]
fn an_edited_message_is_found_by_its_new_text_not_the_old() {
    let mut h = station();
    let mut c = SearchCache::default();
    assert_eq!(
        find(&mut c, &h, "14 uhr").len(),
        1,
        "searched once before the edit"
    );
    let target = h.messages[&1].envelope.client_msg_id;
    h.add(
        ANNA,
        Payload::Edit {
            target,
            text: "Die Übergabe ist um 15 Uhr".into(),
            mentions: vec![],
        },
    );
    assert!(find(&mut c, &h, "14 uhr").is_empty());
    // Found once: the message, not the edit that carries its text.
    let found = c.search(h.messages.values(), "15 uhr", 50);
    assert_eq!(found.total, 1);
    assert_eq!(found.hits[0].seq, 1);
    assert_eq!(found.hits[0].snippet, "Die Übergabe ist um 15 Uhr");
}

#[test]
fn reactions_and_notes_are_not_found() {
    let mut h = station();
    let target = h.messages[&1].envelope.client_msg_id;
    h.add(
        BEN,
        Payload::Reaction {
            target,
            emoji: "uhr".into(),
            remove: false,
        },
    );
    h.add(
        ANNA,
        Payload::System {
            note: kontor_proto::payload::SystemNote::Renamed {
                name: "Uhr".into(),
                created: false,
            },
        },
    );
    let mut c = SearchCache::default();
    assert_eq!(find(&mut c, &h, "uhr"), ["Die Übergabe ist um 14 Uhr"]);
}

#[test]
fn results_come_newest_first_limited_with_how_many_matched() {
    let mut h = History::new(STATION);
    for i in 0..30 {
        h.say(BEN, &format!("Übergabe Nummer {i}"));
    }
    let mut c = SearchCache::default();
    let found = c.search(h.messages.values(), "übergabe", 5);
    assert_eq!(found.total, 30);
    let seqs: Vec<u64> = found.hits.iter().map(|h| h.seq).collect();
    assert_eq!(seqs, [30, 29, 28, 27, 26]);
    assert_eq!(found.hits[0].snippet, "Übergabe Nummer 29");
    assert_eq!(found.hits[0].sender_person, BEN);
    assert_eq!(found.hits[0].sent_ms, 1_800_000_030_000);
}

#[test]
fn the_snippet_marks_what_matched_in_characters() {
    let mut h = History::new(STATION);
    h.say(ANNA, "Die Straße zur Übergabe, über die Brücke");
    let mut c = SearchCache::default();
    let hit = &c.search(h.messages.values(), "uber strass", 5).hits[0];
    let chars: Vec<char> = hit.snippet.chars().collect();
    let marked: Vec<String> = hit
        .marks
        .iter()
        .map(|&(a, b)| chars[a as usize..b as usize].iter().collect())
        .collect();
    // "uber" is a whole word (not the last one): "über", not "Über" of "Übergabe".
    assert_eq!(marked, ["Straß", "über"]);
}

#[test]
fn a_long_text_is_cut_around_the_first_match() {
    let mut h = History::new(STATION);
    let text = format!(
        "{} Die Übergabe ist heute. {}",
        "Vorher viel Text. ".repeat(10),
        "Danach noch mehr. ".repeat(10)
    );
    h.say(ANNA, &text);
    let mut c = SearchCache::default();
    let hit = &c.search(h.messages.values(), "übergabe", 5).hits[0];
    assert!(
        hit.snippet.starts_with('…') && hit.snippet.ends_with('…'),
        "{}",
        hit.snippet
    );
    assert!(hit.snippet.chars().count() <= SNIPPET_CHARS + 2);
    let chars: Vec<char> = hit.snippet.chars().collect();
    let (a, b) = hit.marks[0];
    assert_eq!(
        chars[a as usize..b as usize].iter().collect::<String>(),
        "Übergabe"
    );
    assert!(a as usize <= CONTEXT_CHARS + 1);
}

/// A device with two conversations, restored from its store as a host would open it.
fn device() -> Client {
    let mut fresh = Client::new_device(OrgId(u(9)), ANNA, DeviceId(u(11))).unwrap();
    let mut entries: Vec<(String, Vec<u8>)> = fresh
        .take_changes()
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let mut kueche = History::new(KUECHE);
    kueche.say(BEN, "Die Übergabe der Schlüssel ist morgen");
    let mut station = station();
    station.say(BEN, "Übergabe verschoben");
    for h in [station, kueche] {
        let state = ConversationState::new(h.conv, ConversationKind::Group);
        entries.push((
            format!("conv/{}", h.conv),
            serde_json::to_vec(&state).unwrap(),
        ));
        for m in h.messages.values() {
            let key = format!("msg/{}/{:020}", h.conv, m.seq);
            entries.push((key, serde_json::to_vec(m).unwrap()));
        }
    }
    Client::restore(entries).unwrap()
}

#[test]
fn a_device_searches_every_conversation_or_one() {
    let mut anna = device();
    let all = anna.search("ubergabe", None, 50);
    let found: Vec<(ConversationId, u64)> = all
        .hits
        .iter()
        .map(|h| (h.conversation_id, h.seq))
        .collect();
    assert_eq!(found, [(STATION, 4), (STATION, 1), (KUECHE, 1)]);
    let one = anna.search("ubergabe", Some(KUECHE), 50);
    assert_eq!(one.total, 1);
    assert_eq!(one.hits[0].snippet, "Die Übergabe der Schlüssel ist morgen");
    assert!(anna.search("schlussel", Some(STATION), 50).hits.is_empty());
    assert!(anna.search_memory() > 0);
}
