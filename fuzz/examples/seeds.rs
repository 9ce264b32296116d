//! Writes the seed corpora under `fuzz/corpus/<target>/`: a few small real inputs per target
//! (`cargo run --example seeds` in `fuzz/`). The MLS seeds come from a fresh `World`, so
//! running this again replaces them with equally good ones.

use kontor_fuzz::{World, certify, device, device_keys, signed_list, user};
use kontor_proto::conversation::MessageKind;
use kontor_proto::event::{ClientFrame, ServerFrame};
use kontor_proto::payload::{Envelope, Payload, SystemNote};
use kontor_proto::{Bytes, ClientMsgId, Event, EventKind};
use std::path::Path;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    std::fs::create_dir_all(&dir).expect("corpus folder");
    std::fs::write(dir.join(name), bytes).expect("seed");
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("encodes")
}

fn id(n: u128) -> ClientMsgId {
    ClientMsgId(uuid::Uuid::from_u128(n))
}

fn main() {
    let w = World::get();
    let payloads = [
        Payload::Text {
            text: "**Hallo** @[Ben](00000000-0000-0000-0000-000000000014)".into(),
            mentions: vec![user(20)],
            reply_to: Some(id(0)),
            forwarded: false,
        },
        Payload::Reaction {
            target: id(1),
            emoji: "👍".into(),
            remove: false,
        },
        Payload::Edit {
            target: id(1),
            text: "_neu_".into(),
            mentions: vec![],
        },
        Payload::Delete { target: id(2) },
        Payload::System {
            note: SystemNote::Renamed {
                name: "Einkauf".into(),
                created: true,
            },
        },
        Payload::System {
            note: SystemNote::Added {
                users: vec![user(30)],
            },
        },
        Payload::Poll {
            question: "Wann?".into(),
            options: vec!["Montag".into(), "Dienstag".into()],
            multiple: false,
            anonymous: true,
            closes_ms: Some(1_800_000_000_000),
        },
        Payload::Vote {
            poll: id(3),
            choices: vec![1],
        },
        Payload::Pin {
            target: id(1),
            unpin: false,
        },
    ];

    // The payload inside MLS.
    let envelope = Envelope {
        v: 1,
        conversation_id: w.conv,
        sender_person: w.anna_ids.0,
        sender_device: w.anna_ids.1,
        client_msg_id: id(9),
        sent_at: 1_700_000_000_000,
        payload: payloads[0].to_json(),
        signature: Bytes(vec![0; 64]),
    };
    write("payload_envelope", "envelope.json", &json(&envelope));
    for (i, p) in payloads.iter().enumerate() {
        write(
            "payload_envelope",
            &format!("payload-{i}.json"),
            p.to_json().as_bytes(),
        );
    }
    write(
        "payload_envelope",
        "unknown-kind.json",
        br#"{"kind":"poll","question":"Lunch?"}"#,
    );

    // Event and WebSocket frames.
    let stored = w.stored_message(
        2,
        MessageKind::Application,
        w.anna_ids,
        w.application.client_msg_id,
        w.application.body.0.clone(),
    );
    let frames = [
        ServerFrame::Ready {
            device_id: device(20),
            last_seq: 7,
        },
        ServerFrame::Message {
            message: Box::new(stored),
        },
        ServerFrame::Event {
            event: Box::new(Event {
                seq: 8,
                at: "2026-01-01T00:00:00.000Z".into(),
                kind: EventKind::DeviceRevoked {
                    device_id: device(21),
                },
            }),
        },
        ServerFrame::ResyncRequired { oldest_seq: 3 },
        ServerFrame::ConversationChanged {
            conversation_id: w.conv,
        },
        ServerFrame::Lagged,
    ];
    for (i, f) in frames.iter().enumerate() {
        write("event_frames", &format!("server-{i}.json"), &json(f));
    }
    let auth = ClientFrame::Auth {
        token: "t0ken".into(),
        after: Some(5),
    };
    write("event_frames", "client-auth.json", &json(&auth));

    // The markdown subset.
    for (i, text) in [
        "**Wichtig:** bitte _heute_ `x` lesen\n> zitiert\n- eins\n```\nlet a;\n```",
        "[a](https://x.example) [b](javascript:alert(1)) @[Ben](00000000-0000-0000-0000-000000000014)",
        "~~alt~~ *neu* 2 * 3 = 6 a_b",
    ]
    .iter()
    .enumerate()
    {
        write("markdown", &format!("text-{i}.md"), text.as_bytes());
    }

    // CSV import files.
    write(
        "csv_import",
        "comma.csv",
        b"email,display_name,role,teams,languages\nanna@example.com,Anna,admin,\"Sales;Support\",de;en\n\n,,,\n",
    );
    write(
        "csv_import",
        "semicolon-bom.csv",
        "\u{feff}Email;Display Name;Job Title\nben@example.com; Ben ;Einkauf\n\"chris@example.com;Chris\n"
            .as_bytes(),
    );
    write(
        "csv_import",
        "excel-windows-1252.csv",
        b"Name;E-Mail;Rolle;Teams;Standort;Durchwahl;;\r\nJ\xfcrgen M\xfcller;jm@example.com;Gast;\"Pflege;K\xfcche\";Stra\xdfe 1;\x80 12;;\r\n",
    );

    // Images: headers of each accepted format.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&512u32.to_be_bytes());
    png.extend_from_slice(&256u32.to_be_bytes());
    png.extend_from_slice(b"\x08\x06\0\0\0");
    write("image_check", "header.png", &png);
    write(
        "image_check",
        "header.jpg",
        &[
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01,
            0x2C, 0x01, 0x90, 0x03,
        ],
    );
    let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
    vp8x.extend_from_slice(&[0xFF, 0x01, 0x00, 0xFF, 0x01, 0x00]);
    write("image_check", "vp8x.webp", &vp8x);
    let mut vp8l = b"RIFF\0\0\0\0WEBPVP8L\0\0\0\0\x2f".to_vec();
    vp8l.extend_from_slice(&(99u32 | (49u32 << 14)).to_le_bytes());
    write("image_check", "vp8l.webp", &vp8l);
    let mut vp8 = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0\0\0\0\x9d\x01\x2a".to_vec();
    vp8.extend_from_slice(&[0x40, 0x00, 0x20, 0x00]);
    write("image_check", "vp8.webp", &vp8);

    // The delivery service's framing check: kind, epoch, conversation, Welcome length, bytes.
    let framed = |kind: u8, epoch: u64, body: &[u8], welcome: &[u8]| {
        let mut out = vec![kind];
        out.extend_from_slice(&epoch.to_be_bytes());
        out.extend_from_slice(w.conv.0.as_bytes());
        out.extend_from_slice(&u16::try_from(welcome.len()).expect("small").to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(welcome);
        out
    };
    let welcome = w.commit.welcome.clone().expect("a welcome").0;
    write(
        "mls_framing",
        "application",
        &framed(0, 1, &w.application.body.0, &[]),
    );
    write(
        "mls_framing",
        "commit-with-welcome",
        &framed(1, 0, &w.commit.body.0, &welcome),
    );

    // A lying server's messages to a device.
    let mode = |m: u8, bytes: &[u8]| {
        let mut out = vec![m];
        out.extend_from_slice(bytes);
        out
    };
    write(
        "mls_incoming",
        "application",
        &mode(0, &w.application.body.0),
    );
    write("mls_incoming", "commit", &mode(1, &w.commit.body.0));
    write("mls_incoming", "own-commit", &mode(0x81, &w.commit.body.0));
    write("mls_incoming", "welcome", &mode(3, &welcome));
    write("mls_incoming", "key-package", &mode(4, &w.key_package.0));
    write("mls_incoming", "group-info", &mode(0, &w.group_info.0));
    let lines: Vec<String> = payloads.iter().map(Payload::to_json).collect();
    write(
        "mls_incoming",
        "payloads",
        &mode(5, lines.join("\n").as_bytes()),
    );
    write(
        "mls_incoming",
        "patched",
        &mode(6, &[0, 20, 0xFF, 0, 40, 0x00]),
    );

    // Device lists and certificates: a person, a newer list, a replayed older one, and the
    // same person with another identity key (the server lying).
    let v1 = certify(signed_list(10, 1, vec![device_keys(10)], vec![]), "Anna");
    let v2 = certify(
        signed_list(10, 2, vec![device_keys(10), device_keys(11)], vec![]),
        "Anna Schmidt",
    );
    let v3 = certify(
        signed_list(10, 3, vec![device_keys(11)], vec![device_keys(10)]),
        "Anna Schmidt",
    );
    let mut forged = certify(signed_list(66, 3, vec![device_keys(66)], vec![]), "Anna");
    forged.certificate.membership.person_id = user(10);
    forged.device_list.list.person_id = user(10);
    let ben = certify(signed_list(20, 1, vec![device_keys(20)], vec![]), "Ben");
    write("device_lists", "one.json", &json(&vec![v1.clone()]));
    write(
        "device_lists",
        "newer-then-replayed.json",
        &json(&vec![v1.clone(), v2.clone(), v1.clone()]),
    );
    write(
        "device_lists",
        "one-retired.json",
        &json(&vec![v2.clone(), v3]),
    );
    write(
        "device_lists",
        "changed-identity.json",
        &json(&vec![v1, forged, ben]),
    );
}
