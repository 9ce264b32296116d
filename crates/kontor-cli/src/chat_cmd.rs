//! `kontor chat …`, `kontor device link|approve` and `kontor safety-number`: end-to-end
//! encrypted conversations from the command line.

use crate::chat::Device;
use crate::commands::{Opts, resolve_person};
use crate::{CliError, output};
use clap::Subcommand;
use futures_util::StreamExt;
use kontor_client::{ChatMessage, Update};
use kontor_proto::conversation::{ConversationKind, ConversationRole};
use kontor_proto::event::ServerFrame;
use kontor_proto::{ClientMsgId, ConversationId, PersonId};
use serde_json::json;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum ChatCommand {
    /// My conversations. / Meine Unterhaltungen.
    List,
    /// Start a conversation: `--direct PERSON`, or a group/channel with a name and people.
    /// / Unterhaltung beginnen.
    New {
        /// A direct chat with one person (id or e-mail address).
        #[arg(long, conflicts_with_all = ["group", "channel"])]
        direct: Option<String>,
        /// A group with this name.
        #[arg(long, conflicts_with = "channel")]
        group: Option<String>,
        /// An announcement channel with this name (only admins and posters write).
        #[arg(long)]
        channel: Option<String>,
        /// People to add (id or e-mail address).
        people: Vec<String>,
    },
    /// Send a message (the markdown subset; `@[Name](person-id)` mentions). / Senden.
    Send {
        conversation: String,
        text: String,
        /// Reply to a message (its id or sequence number).
        #[arg(long)]
        reply_to: Option<String>,
    },
    /// Fetch and show the messages of a conversation. / Lesen.
    Read {
        conversation: String,
        /// Only the newest N.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Show new messages as they arrive. / Neue Nachrichten live anzeigen.
    Tail {
        /// Only this conversation.
        conversation: Option<String>,
        /// Stop after this many messages.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many seconds.
        #[arg(long)]
        timeout: Option<u64>,
    },
    /// Who is in a conversation. / Mitglieder.
    Members { conversation: String },
    /// Add people. / Personen hinzufügen.
    Add {
        conversation: String,
        people: Vec<String>,
    },
    /// Remove people (all their devices). / Personen entfernen.
    Remove {
        conversation: String,
        people: Vec<String>,
    },
    /// Leave a conversation. / Verlassen.
    Leave { conversation: String },
    /// Set a person's role: admin (manages people), member (writes; in a channel: a poster)
    /// or reader (channels). / Rolle setzen.
    Role {
        conversation: String,
        person: String,
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Rename a group or channel. / Umbenennen.
    Rename { conversation: String, name: String },
    /// React to a message (id or sequence number). / Reagieren.
    React {
        conversation: String,
        message: String,
        emoji: String,
        #[arg(long)]
        remove: bool,
    },
    /// Edit one of my messages. / Bearbeiten.
    Edit {
        conversation: String,
        message: String,
        text: String,
    },
    /// Delete one of my messages for everybody. / Löschen.
    Delete {
        conversation: String,
        message: String,
    },
    /// Fetch everything new and do what members do (join, remove leavers, add new devices).
    Sync,
    /// Try a conversation that stopped on this device again: ask members to add this device
    /// afresh. / Angehaltene Unterhaltung erneut versuchen.
    Retry { conversation: String },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Member,
    Reader,
}

/// Fetches everything new, then finds the conversation.
/// What a person must know about a conversation's state on this device, in their language:
/// why it stopped and what to do, that it waits to be added again, whom messages do not
/// reach yet.
fn state_notes(s: &Device, c: &kontor_client::ConversationState) -> Vec<String> {
    use kontor_client::history::StopReason;
    let de = crate::lang() == kontor_proto::error::Lang::De;
    let name = |u: Option<kontor_proto::PersonId>| {
        u.and_then(|u| s.core.trust().name(u).map(str::to_owned))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| if de { "jemand" } else { "someone" }.to_owned())
    };
    let mut out = Vec::new();
    if let Some(stop) = &c.stopped {
        let who = name(stop.person);
        let why = match (stop.reason, de) {
            (StopReason::UntrustedDevice, false) => format!(
                "A device of {who} that {who} never confirmed was added. Someone may be trying to listen in."
            ),
            (StopReason::UntrustedDevice, true) => format!(
                "Ein Gerät von {who} wurde hinzugefügt, das {who} nie bestätigt hat. Vielleicht versucht jemand mitzulesen."
            ),
            (StopReason::IdentityChanged, false) => {
                format!("The identity key of {who} is not the one this device knows.")
            }
            (StopReason::IdentityChanged, true) => {
                format!("Der Identitätsschlüssel von {who} ist nicht der, den dieses Gerät kennt.")
            }
            (StopReason::ForgedChange, false) => {
                "A change was made in someone's name who did not make it.".to_owned()
            }
            (StopReason::ForgedChange, true) => {
                "Eine Änderung wurde im Namen von jemandem gemacht, der sie nicht gemacht hat."
                    .to_owned()
            }
        };
        out.push(if de {
            format!(
                "⚠ Auf diesem Gerät angehalten. {why} Vergleichen Sie die Sicherheitsnummern (`kontor safety-number`) und sagen Sie Ihrer Administration Bescheid; `kontor chat retry` versucht es erneut."
            )
        } else {
            format!(
                "⚠ Stopped on this device. {why} Compare safety numbers (`kontor safety-number`) and tell your administrator; `kontor chat retry` tries again."
            )
        });
    }
    if c.rejoining {
        out.push(if de {
            "⏳ Dieses Gerät konnte eine Änderung nicht verarbeiten und wird gerade neu hinzugefügt; sobald ein Mitglied online ist, geht es weiter.".to_owned()
        } else {
            "⏳ This device could not process a change and is being added again; it goes on as soon as a member is online.".to_owned()
        });
    }
    if !c.unreachable.is_empty() {
        let names: Vec<String> = c.unreachable.iter().map(|u| name(Some(*u))).collect();
        out.push(if de {
            format!(
                "⏳ Nachrichten erreichen ein Gerät von {} noch nicht (es wird gerade neu hinzugefügt).",
                names.join(", ")
            )
        } else {
            format!(
                "⏳ Messages do not reach a device of {} yet (it is being added again).",
                names.join(", ")
            )
        });
    }
    out
}

async fn synced(s: &mut Device, r: &str) -> Result<ConversationId, CliError> {
    s.sync().await?;
    resolve_conversation(s, r)
}

fn not_found(what: &str) -> CliError {
    CliError {
        exit_code: crate::exit::NOT_FOUND,
        message: format!("{what}: not found / nicht gefunden"),
        body: None,
    }
}

/// A conversation by id, id prefix or name.
fn resolve_conversation(s: &Device, r: &str) -> Result<ConversationId, CliError> {
    if let Ok(id) = r.parse::<ConversationId>() {
        return Ok(id);
    }
    let lower = r.to_lowercase();
    let found: Vec<ConversationId> = s
        .core
        .conversations()
        .filter(|c| !c.removed)
        .filter(|c| {
            c.id.to_string().starts_with(&lower)
                || c.name.as_deref().map(str::to_lowercase) == Some(lower.clone())
        })
        .map(|c| c.id)
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(not_found(r)),
        _ => Err(CliError::usage(format!(
            "{r}: more than one conversation matches"
        ))),
    }
}

/// A message by client message id or sequence number.
fn resolve_message(s: &Device, conv: ConversationId, r: &str) -> Result<ClientMsgId, CliError> {
    if let Ok(id) = r.parse::<ClientMsgId>() {
        return Ok(id);
    }
    let seq: u64 = r
        .parse()
        .map_err(|_| CliError::usage("give a message id or sequence number"))?;
    s.core
        .messages(conv)
        .find(|m| m.seq == seq)
        .map(|m| m.envelope.client_msg_id)
        .ok_or_else(|| not_found(r))
}

async fn people(s: &Device, refs: &[String]) -> Result<Vec<PersonId>, CliError> {
    let mut out = Vec::new();
    for r in refs {
        out.push(resolve_person(s.api(), r).await?);
    }
    Ok(out)
}

fn sender_name(s: &Device, user: PersonId) -> String {
    s.core
        .trust()
        .name(user)
        .map(str::to_owned)
        .unwrap_or_else(|| user.to_string())
}

fn message_json(s: &Device, conv: ConversationId, m: &ChatMessage) -> serde_json::Value {
    json!({
        "conversation_id": conv,
        "seq": m.seq,
        "id": m.envelope.client_msg_id,
        "sender": m.envelope.sender_person,
        "sender_name": sender_name(s, m.envelope.sender_person),
        "sender_device": m.envelope.sender_device,
        "sent_ms": m.envelope.sent_at,
        "payload": serde_json::from_str::<serde_json::Value>(&m.envelope.payload).unwrap_or_default(),
        "text": m.text(),
        "edited": m.edited.is_some(),
        "deleted": m.deleted,
        "reactions": m.reactions,
        "verified": m.verified,
    })
}

fn print_message(s: &Device, conv: ConversationId, m: &ChatMessage, as_json: bool) {
    if as_json {
        println!("{}", message_json(s, conv, m));
        return;
    }
    let name = sender_name(s, m.envelope.sender_person);
    let mut line = format!("#{:<5} {}: {}", m.seq, name, m.text());
    if m.edited.is_some() {
        line.push_str(" (bearbeitet / edited)");
    }
    if m.deleted {
        line.push_str("(gelöscht / deleted)");
    }
    if !m.reactions.is_empty() {
        let r: Vec<String> = m
            .reactions
            .iter()
            .map(|(e, who)| format!("{e}{}", who.len()))
            .collect();
        line.push_str(&format!("  [{}]", r.join(" ")));
    }
    if !m.verified {
        line.push_str("  ⚠ unverified");
    }
    println!("{line}");
}

fn print_updates(
    s: &Device,
    updates: &[Update],
    only: Option<ConversationId>,
    as_json: bool,
) -> usize {
    let mut n = 0;
    for u in updates {
        if let Update::Message(conv, seq) = u
            && only.is_none_or(|o| o == *conv)
            && let Some(m) = s.core.messages(*conv).find(|m| m.seq == *seq)
            && m.is_visible()
        {
            print_message(s, *conv, m, as_json);
            n += 1;
        }
    }
    n
}

pub async fn run(o: Opts, command: ChatCommand) -> Result<(), CliError> {
    let mut s = Device::open(o.home.as_ref()).await?;
    // Commands that change something and have nothing else to say answer `{"ok":true}`.
    let quiet = matches!(
        command,
        ChatCommand::Add { .. }
            | ChatCommand::Remove { .. }
            | ChatCommand::Leave { .. }
            | ChatCommand::Role { .. }
            | ChatCommand::Rename { .. }
            | ChatCommand::React { .. }
            | ChatCommand::Edit { .. }
            | ChatCommand::Delete { .. }
            | ChatCommand::Retry { .. }
    );
    match command {
        ChatCommand::List => {
            s.sync().await?;
            let convs: Vec<_> = s
                .core
                .conversations()
                .filter(|c| !c.removed)
                .cloned()
                .collect();
            if o.json {
                let list: Vec<_> = convs
                    .iter()
                    .map(|c| {
                        let last = s.core.messages(c.id).filter(|m| m.is_visible()).last();
                        json!({
                            "id": c.id, "kind": c.kind, "name": c.name, "last_seq": c.cursor,
                            "stopped": c.stopped.as_ref().map(|s| s.reason),
                            "rejoining": c.rejoining,
                            "last_message": last.map(|m| m.text()),
                        })
                    })
                    .collect();
                output::json(&list);
            } else {
                let rows = convs
                    .iter()
                    .map(|c| {
                        let last = s
                            .core
                            .messages(c.id)
                            .filter(|m| m.is_visible())
                            .last()
                            .map(|m| m.text())
                            .unwrap_or_default();
                        vec![
                            c.id.to_string()[..8].to_owned(),
                            format!("{:?}", c.kind).to_lowercase(),
                            c.name.clone().unwrap_or_default(),
                            last.chars().take(40).collect(),
                        ]
                    })
                    .collect::<Vec<_>>();
                output::table(&["ID", "KIND", "NAME", "LAST"], &rows);
            }
        }
        ChatCommand::New {
            direct,
            group,
            channel,
            people: refs,
        } => {
            let (kind, name, mut refs) = match (direct, group, channel) {
                (Some(p), None, None) => (ConversationKind::Direct, None, vec![p]),
                (None, Some(n), None) => (ConversationKind::Group, Some(n), refs),
                (None, None, Some(n)) => (ConversationKind::Channel, Some(n), refs),
                _ => {
                    return Err(CliError::usage(
                        "give --direct PERSON, --group NAME or --channel NAME",
                    ));
                }
            };
            refs.dedup();
            let users = people(&s, &refs).await?;
            let id = s.create(kind, name.as_deref(), &users).await?;
            if o.json {
                output::json(&json!({ "id": id, "kind": kind, "name": name }));
            } else {
                println!("{id}");
            }
        }
        ChatCommand::Send {
            conversation,
            text,
            reply_to,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let reply_to = reply_to
                .map(|r| resolve_message(&s, conv, &r))
                .transpose()?;
            let sent = s.send_text(conv, text, reply_to).await?;
            if o.json {
                output::json(&sent);
            } else {
                println!("#{}", sent.seq);
            }
        }
        ChatCommand::Read {
            conversation,
            limit,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let visible: Vec<ChatMessage> = s
                .core
                .messages(conv)
                .filter(|m| m.is_visible())
                .cloned()
                .collect();
            let skip = limit.map_or(0, |l| visible.len().saturating_sub(l));
            if let Some(c) = s.core.conversation(conv) {
                for line in state_notes(&s, c) {
                    eprintln!("{line}");
                }
            }
            if o.json {
                let list: Vec<_> = visible[skip..]
                    .iter()
                    .map(|m| message_json(&s, conv, m))
                    .collect();
                output::json(&list);
            } else {
                for m in &visible[skip..] {
                    print_message(&s, conv, m, false);
                }
            }
        }
        ChatCommand::Tail {
            conversation,
            count,
            timeout,
        } => {
            s.sync().await?;
            let only = conversation
                .map(|c| resolve_conversation(&s, &c))
                .transpose()?;
            let deadline = timeout.map(|t| tokio::time::Instant::now() + Duration::from_secs(t));
            tail(&mut s, only, count, deadline, o.json).await?;
        }
        ChatCommand::Members { conversation } => {
            let conv = synced(&mut s, &conversation).await?;
            let server = s.conversation(conv).await?;
            let mls = s.core.members(conv).map_err(CliError::other)?;
            let rows: Vec<_> = server
                .members
                .iter()
                .map(|m| {
                    (
                        m.person_id,
                        sender_name(&s, m.person_id),
                        m.role,
                        mls.get(&m.person_id).map_or(0, Vec::len),
                    )
                })
                .collect();
            if o.json {
                let list: Vec<_> = rows
                    .iter()
                    .map(|(id, name, role, devices)| {
                        json!({ "id": id, "name": name, "role": role, "devices": devices })
                    })
                    .collect();
                output::json(&list);
            } else {
                output::table(
                    &["ID", "NAME", "ROLE", "DEVICES"],
                    &rows
                        .iter()
                        .map(|(id, name, role, d)| {
                            vec![
                                id.to_string(),
                                name.clone(),
                                role.as_str().to_owned(),
                                d.to_string(),
                            ]
                        })
                        .collect::<Vec<_>>(),
                );
            }
        }
        ChatCommand::Add {
            conversation,
            people: refs,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let users = people(&s, &refs).await?;
            s.add_people_and_tell(conv, &users).await?;
        }
        ChatCommand::Remove {
            conversation,
            people: refs,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let users = people(&s, &refs).await?;
            s.remove_people_and_tell(conv, &users).await?;
        }
        ChatCommand::Leave { conversation } => {
            let conv = synced(&mut s, &conversation).await?;
            s.leave(conv).await?;
        }
        ChatCommand::Retry { conversation } => {
            let conv = synced(&mut s, &conversation).await?;
            s.try_again(conv).await?;
        }
        ChatCommand::Role {
            conversation,
            person,
            role,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let user = resolve_person(s.api(), &person).await?;
            let role = match role {
                RoleArg::Admin => ConversationRole::Admin,
                RoleArg::Member => ConversationRole::Member,
                RoleArg::Reader => ConversationRole::Reader,
            };
            s.set_role(conv, user, role).await?;
        }
        ChatCommand::Rename { conversation, name } => {
            let conv = synced(&mut s, &conversation).await?;
            s.rename(conv, name).await?;
        }
        ChatCommand::React {
            conversation,
            message,
            emoji,
            remove,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let target = resolve_message(&s, conv, &message)?;
            s.react(conv, target, emoji, remove).await?;
        }
        ChatCommand::Edit {
            conversation,
            message,
            text,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let target = resolve_message(&s, conv, &message)?;
            s.edit_text(conv, target, text).await?;
        }
        ChatCommand::Delete {
            conversation,
            message,
        } => {
            let conv = synced(&mut s, &conversation).await?;
            let target = resolve_message(&s, conv, &message)?;
            s.delete_message(conv, target).await?;
        }
        ChatCommand::Sync => {
            let updates = s.sync().await?;
            if o.json {
                // One JSON array of the new messages.
                let list: Vec<_> = updates
                    .iter()
                    .filter_map(|u| match u {
                        Update::Message(conv, seq) => s
                            .core
                            .messages(*conv)
                            .find(|m| m.seq == *seq && m.is_visible())
                            .map(|m| message_json(&s, *conv, m)),
                        _ => None,
                    })
                    .collect();
                output::json(&list);
            } else {
                print_updates(&s, &updates, None, false);
            }
        }
    }
    if quiet && o.json {
        output::json(&json!({ "ok": true }));
    }
    Ok(())
}

/// Follows the event WebSocket: every pushed message is processed in order (a gap is filled
/// by fetching), Welcomes are accepted, membership duties done.
async fn tail(
    s: &mut Device,
    only: Option<ConversationId>,
    count: Option<usize>,
    deadline: Option<tokio::time::Instant>,
    as_json: bool,
) -> Result<(), CliError> {
    let mut shown = 0usize;
    let url = format!(
        "{}{}/events",
        s.saved
            .server
            .trim_end_matches('/')
            .replacen("http", "ws", 1),
        kontor_proto::API_PREFIX
    );
    let far = tokio::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600);
    let deadline = deadline.unwrap_or(far);
    'connect: loop {
        let mut req =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                url.as_str(),
            )
            .map_err(CliError::other)?;
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {}", s.saved.token)
                .parse()
                .map_err(CliError::other)?,
        );
        let (mut ws, _) =
            match tokio::time::timeout_at(deadline, tokio_tungstenite::connect_async(req)).await {
                Err(_) => return Ok(()),
                Ok(Ok(c)) => c,
                Ok(Err(e)) => return Err(CliError::unavailable(e)),
            };
        // Anything that arrived while not connected.
        let updates = s.sync().await?;
        shown += print_updates(s, &updates, only, as_json);
        loop {
            if count.is_some_and(|c| shown >= c) {
                return Ok(());
            }
            let frame = match tokio::time::timeout_at(deadline, ws.next()).await {
                Err(_) => return Ok(()),
                Ok(None) => continue 'connect,
                Ok(Some(Err(e))) => return Err(CliError::unavailable(e)),
                Ok(Some(Ok(f))) => f,
            };
            let text = match frame {
                tokio_tungstenite::tungstenite::Message::Text(t) => t,
                tokio_tungstenite::tungstenite::Message::Close(c) => {
                    let code = c.as_ref().map(|c| u16::from(c.code));
                    if code == Some(kontor_proto::event::close_code::SESSION_ENDED) {
                        return Err(CliError {
                            exit_code: crate::exit::UNAUTHENTICATED,
                            message: "session ended / Sitzung beendet".into(),
                            body: None,
                        });
                    }
                    if code == Some(kontor_proto::event::close_code::TOO_MANY_CONNECTIONS) {
                        // Reconnecting would close another window of this person's in turn.
                        return Err(CliError::unavailable(
                            "too many windows and terminals follow this person's chats; close some and start again / zu viele Fenster und Terminals folgen den Unterhaltungen dieser Person; schließen Sie einige und starten Sie neu",
                        ));
                    }
                    continue 'connect;
                }
                _ => continue,
            };
            let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) else {
                continue;
            };
            if matches!(frame, ServerFrame::Ready { .. }) {
                // Synced just above.
                continue;
            }
            let updates = s.on_frame(&frame).await?;
            shown += print_updates(s, &updates, only, as_json);
        }
    }
}

/// `kontor device link`: on a new device, with the recovery key or by approval.
pub async fn link(o: &Opts, recovery_key: Option<String>, wait_secs: u64) -> Result<(), CliError> {
    let mut s = Device::open(o.home.as_ref()).await?;
    if s.is_linked() {
        if !o.json {
            println!("Dieses Gerät ist verknüpft / this device is linked");
        }
        return Ok(());
    }
    if let Some(key) = recovery_key {
        s.link_with_recovery_key(&key).await?;
        s.sync().await?;
        if o.json {
            output::json(&json!({ "linked": true }));
        } else {
            println!("Verknüpft / linked");
        }
        return Ok(());
    }
    let (req, code) = s.request_link().await?;
    if o.json {
        println!("{}", json!({ "request_id": req.id, "code": code }));
    } else {
        println!("Code: {code}");
        println!(
            "Auf einem anderen Gerät bestätigen / approve on another device: kontor device approve {code}"
        );
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait_secs);
    while tokio::time::Instant::now() < deadline {
        if s.poll_link().await? {
            s.sync().await?;
            if o.json {
                println!("{}", json!({ "linked": true }));
            } else {
                println!("Verknüpft / linked");
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(CliError {
        exit_code: crate::exit::FAILURE,
        message: "not approved in time / nicht rechtzeitig bestätigt".into(),
        body: None,
    })
}

/// `kontor device approve CODE`: approves the link request whose code the new device shows.
pub async fn approve(o: &Opts, code: Option<String>) -> Result<(), CliError> {
    let mut s = Device::open(o.home.as_ref()).await?;
    let requests = s.link_requests().await?;
    let Some(code) = code else {
        if o.json {
            let list: Vec<_> = requests
                .iter()
                .map(|(r, c)| json!({ "request_id": r.id, "device_id": r.keys.device_id, "code": c }))
                .collect();
            output::json(&list);
        } else if requests.is_empty() {
            println!("Keine offenen Anfragen / no pending requests");
        } else {
            for (r, _) in &requests {
                println!("{}  device {}", r.id, r.keys.device_id);
            }
            println!(
                "kontor device approve CODE  (den Code zeigt das neue Gerät / the new device shows the code)"
            );
        }
        return Ok(());
    };
    let norm = kontor_client::identity::normalize_code;
    let (request, _) = requests
        .into_iter()
        .find(|(_, c)| norm(c) == norm(&code))
        .ok_or_else(|| CliError {
            exit_code: crate::exit::NOT_FOUND,
            message: "no pending request with this code / keine offene Anfrage mit diesem Code"
                .into(),
            body: None,
        })?;
    s.approve(&request, &code).await?;
    if o.json {
        output::json(&json!({ "approved": request.keys.device_id }));
    } else {
        println!("Bestätigt / approved: {}", request.keys.device_id);
    }
    Ok(())
}

/// `kontor safety-number PERSON`.
pub async fn safety_number(o: &Opts, person: &str) -> Result<(), CliError> {
    let mut s = Device::open(o.home.as_ref()).await?;
    let user = resolve_person(s.api(), person).await?;
    let me = s.core.user();
    s.learn(&[me, user]).await?;
    let number = s.core.safety_number(user).map_err(CliError::other)?;
    if o.json {
        output::json(&json!({ "person": user, "safety_number": number }));
    } else {
        println!("{number}");
    }
    Ok(())
}

/// After login or join: sets the device up and shows the recovery key once.
pub async fn bootstrap(o: &Opts) -> Result<serde_json::Value, CliError> {
    let mut s = Device::open(o.home.as_ref()).await?;
    let recovery_key = s.new_recovery_key.clone();
    if recovery_key.is_some() {
        // Shown now, by the caller: this device forgets it.
        s.core.recovery_key_kept();
        s.persist().await?;
    }
    Ok(json!({
        "linked": s.is_linked(),
        "recovery_key": recovery_key,
    }))
}
