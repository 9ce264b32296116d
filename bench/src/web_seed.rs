//! `web-seed`: fills an organisation with real end-to-end encrypted traffic for the web app's
//! benchmark (`bench/web/first-paint.mjs`), from a second person on the command line's host.
//!
//! It accepts an invitation as Ben, sets up his device (identity, key packages), starts a
//! direct chat with the given person and sends it `--messages` texts, then starts
//! `--conversations - 1` named groups with that person with one message each. Everything is
//! real MLS, sent through the delivery service; prints one JSON line with what it did.

use kontor_proto::PersonId;
use kontor_proto::api::{AcceptInvitationRequest, NewDevice, SessionCreated};
use kontor_proto::conversation::ConversationKind;
use kontor_proto::payload::Payload;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn text(i: usize) -> String {
    match i % 5 {
        0 => format!("Nachricht {i}: Übergabe um **14 Uhr**"),
        1 => format!("Nachricht {i}: bitte _heute_ noch den Verband wechseln"),
        2 => format!("Nachricht {i}\n- Blutdruck\n- Puls\n- Temperatur"),
        3 => format!("Nachricht {i}: `Zimmer 12` ist frei"),
        _ => format!("Nachricht {i}: alles ruhig auf Station 3, bis später"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let server = arg("--server").ok_or_else(|| anyhow::anyhow!("--server URL"))?;
    let code = arg("--code").ok_or_else(|| anyhow::anyhow!("--code INVITATION-CODE"))?;
    let with: PersonId = arg("--with")
        .ok_or_else(|| anyhow::anyhow!("--with PERSON-ID"))?
        .parse()?;
    let messages: usize = arg("--messages").map_or(Ok(10_000), |v| v.parse())?;
    let conversations: usize = arg("--conversations").map_or(Ok(50), |v| v.parse())?;
    let home = std::env::temp_dir().join(format!("kontor-web-seed-{}", std::process::id()));

    let http = reqwest::Client::new();
    let created: SessionCreated = http
        .post(format!("{server}/api/v1/invitations/accept"))
        .json(&AcceptInvitationRequest {
            code,
            display_name: "Ben Weber".into(),
            password: "Lindenblüte-Kaffeetasse-7".into(),
            device: NewDevice {
                name: "web-seed".into(),
                platform: "cli".into(),
            },
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    kontor_cli::profile::save(
        Some(&home),
        &kontor_cli::profile::SavedSession {
            server: server.clone(),
            token: created.token,
            org: created.org.slug,
            email: created.person.email,
            device_id: created.device.id.to_string(),
        },
    )
    .map_err(|e| anyhow::anyhow!(e.message))?;
    let mut ben = kontor_cli::chat::Device::open(Some(&home))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;

    let started = Instant::now();
    let direct = ben.create(ConversationKind::Direct, None, &[with]).await?;
    for i in 0..messages {
        ben.send(
            direct,
            &Payload::Text {
                text: text(i),
                mentions: vec![],
                reply_to: None,
                forwarded: false,
            },
        )
        .await?;
    }
    let sent_in = started.elapsed();
    for g in 1..conversations {
        let id = ben
            .create(
                ConversationKind::Group,
                Some(&format!("Gruppe {g}")),
                &[with],
            )
            .await?;
        ben.send(
            id,
            &Payload::Text {
                text: format!("Willkommen in Gruppe {g}"),
                mentions: vec![],
                reply_to: None,
                forwarded: false,
            },
        )
        .await?;
    }
    println!(
        "{}",
        serde_json::json!({
            "direct": direct,
            "messages": messages,
            "conversations": conversations,
            "send_seconds": sent_in.as_secs_f64(),
            "total_seconds": started.elapsed().as_secs_f64(),
        })
    );
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}
