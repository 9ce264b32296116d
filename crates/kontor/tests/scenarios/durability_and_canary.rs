//! The real `kontor` binary as a separate process: messages with unique markers never appear
//! in its database files (WAL included), logs or data directory; and after `kill -9` under
//! send load, no acknowledged message is lost and none is stored twice.

use crate::common::binary::{BIN, free_port, serve};
use crate::common::*;
use kontor_proto::api::{AcceptInvitationRequest, NewDevice, OrgRole, SessionCreated};
use kontor_proto::conversation::{ConversationKind, MessagePage};
use kontor_proto::payload::Payload;
use reqwest::Method;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// `kontor org create` on the data directory; returns the owner's invitation code.
fn create_org(data: &Path) -> String {
    let out = Command::new(BIN)
        .args([
            "org",
            "create",
            "Pflegedienst Sonnenschein",
            "--admin",
            "anna@sonnenschein.example",
            "--data",
            data.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["invitation"]["code"].as_str().unwrap().to_owned()
}

async fn accept(url: &str, code: &str, name: &str) -> Actor {
    let created: SessionCreated = Actor::new(url, None)
        .ok(
            Method::POST,
            "/invitations/accept",
            &AcceptInvitationRequest {
                code: code.into(),
                display_name: name.into(),
                password: PASSWORD.into(),
                device: NewDevice {
                    name: format!("{name}s Laptop"),
                    platform: "test".into(),
                },
            },
        )
        .await;
    Actor::from_session(url, created)
}

fn every_file(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            every_file(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn text(t: String) -> Payload {
    Payload::Text {
        text: t,
        mentions: vec![],
        reply_to: None,
        forwarded: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_marker_of_thousands_of_messages_reaches_the_servers_disk_or_logs() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let log = root.path().join("server.log");
    let code = create_org(&data);
    let server = serve(&data, free_port(), Some(&log));
    let url = server.url();
    let anna_actor = accept(&url, &code, "Anna Schmidt").await;
    let ben_inv = anna_actor
        .invite("ben@sonnenschein.example", OrgRole::Member)
        .await;
    let ben_actor = accept(&url, &ben_inv.code, "Ben Becker").await;
    let mut anna = ChatDevice::of(&url, &anna_actor).await;
    let mut ben = ChatDevice::of(&url, &ben_actor).await;

    let run = uuid::Uuid::now_v7().simple().to_string();
    let marker = |i: usize| format!("KANARIE{run}N{i:05}");
    let conv = anna
        .s
        .create(
            ConversationKind::Group,
            Some(&marker(99_999)),
            &[ben_actor.id()],
        )
        .await
        .unwrap();
    const N: usize = 2000;
    for i in 0..N {
        let who = if i % 4 == 3 { &mut ben } else { &mut anna };
        who.say(conv, &format!("Wundversorgung Zimmer 12 {}", marker(i)))
            .await;
    }
    assert_eq!(ben.texts(conv).await.len(), N);
    assert_eq!(anna.texts(conv).await.len(), N);
    // Let the server write its WAL and logs, then look at every byte it left.
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(server);
    let mut files = Vec::new();
    every_file(&data, &mut files);
    files.push(log.clone());
    let needle = format!("KANARIE{run}");
    let mut scanned = 0usize;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        scanned += bytes.len();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "a marker reached {}",
            f.display()
        );
    }
    assert!(
        files
            .iter()
            .any(|f| f.to_string_lossy().ends_with("kontor.db"))
    );
    assert!(
        scanned > 100_000,
        "the server did write its data ({scanned} bytes)"
    );
    // The clients' own stores do hold the plaintext (they are the ends of end-to-end).
    let mut client_files = Vec::new();
    every_file(ben.home.path(), &mut client_files);
    assert!(client_files.iter().any(|f| {
        std::fs::read(f)
            .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            .unwrap_or(false)
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_send_load_loses_no_acknowledged_message_and_duplicates_none() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let log = root.path().join("server.log");
    let code = create_org(&data);
    let port = free_port();
    let mut server = serve(&data, port, Some(&log));
    let url = server.url();
    let anna_actor = accept(&url, &code, "Anna Schmidt").await;
    let ben_inv = anna_actor
        .invite("ben@sonnenschein.example", OrgRole::Member)
        .await;
    let ben_actor = accept(&url, &ben_inv.code, "Ben Becker").await;
    let mut anna = ChatDevice::of(&url, &anna_actor).await;
    let mut ben = ChatDevice::of(&url, &ben_actor).await;
    let conv = anna
        .s
        .create(ConversationKind::Group, Some("Last"), &[ben_actor.id()])
        .await
        .unwrap();
    ben.s.sync().await.unwrap();

    // Two senders in parallel; each records what the server acknowledged, and both count
    // it, so the kill comes under load.
    let counted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sender = |mut d: ChatDevice, tag: &'static str| {
        let counted = counted.clone();
        async move {
            let mut acked = Vec::new();
            let mut unacked = None;
            for i in 0.. {
                let body = match d.s.core.encrypt(conv, &text(format!("{tag} {i}")), 0) {
                    Ok(b) => b,
                    Err(_) => break,
                };
                d.s.persist().await.unwrap();
                match d
                    .s
                    .api()
                    .post::<_, kontor_proto::conversation::Sent>(
                        &format!("/conversations/{conv}/messages"),
                        &body,
                    )
                    .await
                {
                    Ok(sent) => {
                        d.s.core
                            .on_sent(conv, body.client_msg_id, Ok(&sent))
                            .unwrap();
                        d.s.persist().await.unwrap();
                        acked.push((body.client_msg_id, sent.seq));
                        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Err(_) => {
                        unacked = Some(body);
                        break;
                    }
                }
            }
            (d, acked, unacked)
        }
    };
    let a = tokio::spawn(sender(anna, "anna"));
    let b = tokio::spawn(sender(ben, "ben"));
    while counted.load(std::sync::atomic::Ordering::Relaxed) < 200 {
        assert!(
            !(a.is_finished() && b.is_finished()),
            "both senders stopped before the kill"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // kill -9: no shutdown, no flush.
    kill_9(&mut server);
    let (mut anna, acked_a, unacked_a) = a.await.unwrap();
    let (_ben, acked_b, _) = b.await.unwrap();
    assert!(acked_a.len() + acked_b.len() > 10, "there was load");

    let server = serve(&data, port, Some(&log));
    let page: MessagePage = anna_actor
        .get(&format!(
            "/conversations/{conv}/messages?after=0&limit=1000"
        ))
        .await;
    let mut all = page.messages;
    let mut after = all.last().map_or(0, |m| m.seq);
    loop {
        let more: MessagePage = anna_actor
            .get(&format!(
                "/conversations/{conv}/messages?after={after}&limit=1000"
            ))
            .await;
        if more.messages.is_empty() {
            break;
        }
        after = more.messages.last().unwrap().seq;
        all.extend(more.messages);
    }
    for (i, m) in all.iter().enumerate() {
        assert_eq!(m.seq, i as u64 + 1, "sequence numbers stay gap-free");
    }
    let mut ids: Vec<_> = all
        .iter()
        .map(|m| (m.sender_device, m.client_msg_id))
        .collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "no message stored twice");
    for (id, seq) in acked_a.iter().chain(&acked_b) {
        assert!(
            all.iter().any(|m| m.client_msg_id == *id && m.seq == *seq),
            "acknowledged message {id} at {seq} survived"
        );
    }
    // The send that was in flight is retried with the same id: stored once at most.
    if let Some(body) = unacked_a {
        // Nothing changed the epoch: the retry is stored (or found stored), never refused.
        let sent: kontor_proto::conversation::Sent = anna
            .s
            .api()
            .post(&format!("/conversations/{conv}/messages"), &body)
            .await
            .expect("the send in flight is accepted when retried");
        anna.s
            .core
            .on_sent(conv, body.client_msg_id, Ok(&sent))
            .unwrap();
        let again: kontor_proto::conversation::Sent = anna
            .s
            .api()
            .post(&format!("/conversations/{conv}/messages"), &body)
            .await
            .unwrap();
        assert!(again.duplicate);
        assert_eq!(again.seq, sent.seq);
    }
    drop(server);
}

/// SIGKILL through the standard library (`Child::kill` sends SIGKILL on Unix).
fn kill_9(s: &mut crate::common::binary::Serve) {
    s.child.kill().unwrap();
    s.child.wait().unwrap();
}
