//! The event stream: a WebSocket that pushes events, and a poll endpoint for catching up.
//!
//! A connection authenticates (header, or a first `auth` frame for browsers), registers with
//! the hub, then loops: read events after its cursor from the store and send them; wait for a
//! wake-up, a kill or a timer. A slow client only slows its own task; one that does not read
//! for 10 s is dropped and resumes later from its last sequence number.

use crate::access::{Caller, authenticate};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::validate;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use kontor_proto::api::{EventPage, EventsQuery, OrgRole};
use kontor_proto::event::{ClientFrame, ServerFrame, close_code};
use kontor_proto::{ErrorBody, ErrorCode};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::timeout;

const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const RECHECK_EVERY: Duration = Duration::from_secs(30);
const BATCH: u32 = 500;
/// Connection cap per node; past it new connections get 503 and retry.
const MAX_CONNECTIONS: usize = 50_000;
/// Clients only send small control frames.
const MAX_CLIENT_MESSAGE: usize = 16 * 1024;
/// Read buffer per connection.
const READ_BUFFER: usize = 4 * 1024;

/// Opens the event WebSocket. Authenticate with `Authorization: Bearer …` or, from a browser,
/// with a first frame `{"type":"auth","token":…,"after":…}`. The server sends `ready`, then
/// every event after `after` and everything new, as `ServerFrame` JSON texts. Close code 4001
/// means the session ended; 4003 that authentication failed.
#[utoipa::path(get, path = "/events", tag = "events", params(EventsQuery),
    responses((status = 101, description = "WebSocket of ServerFrame messages"), (status = "4XX", body = ErrorBody)))]
pub async fn socket(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let ws = ws.map_err(|_| ApiError::invalid("upgrade"))?;
    let slot = state
        .hub()
        .open_socket(MAX_CONNECTIONS)
        .ok_or(ApiError::new(ErrorCode::Unavailable))?;
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned());
    // With a header, refuse before upgrading so the client sees a plain 401.
    if let Some(token) = &token {
        authenticate(&state, token).await?;
    }
    let after = q.after.unwrap_or(0);
    Ok(ws
        .max_message_size(MAX_CLIENT_MESSAGE)
        // Clients send only small control frames; pushes are written out at once. Small
        // buffers keep an idle connection cheap (the defaults are 128 KiB each).
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| async move {
            connection(state, socket, token, after).await;
            drop(slot);
        }))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = timeout(
        Duration::from_secs(1),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

fn frame(f: &ServerFrame) -> Message {
    Message::Text(serde_json::to_string(f).unwrap_or_default().into())
}

async fn connection(state: AppState, mut socket: WebSocket, token: Option<String>, after: u64) {
    let (token, after) = match token {
        Some(t) => (t, after),
        None => match timeout(AUTH_TIMEOUT, socket.recv()).await {
            Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<ClientFrame>(&text) {
                Ok(ClientFrame::Auth { token, after: a }) => (token, a.unwrap_or(after)),
                Err(_) => {
                    return close(&mut socket, close_code::UNAUTHENTICATED, "auth expected").await;
                }
            },
            _ => return close(&mut socket, close_code::UNAUTHENTICATED, "auth expected").await,
        },
    };
    let Ok(caller) = authenticate(&state, &token).await else {
        return close(&mut socket, close_code::UNAUTHENTICATED, "unauthenticated").await;
    };
    let mut reg = state.hub().register(crate::hub::Owner {
        org: caller.org,
        user: caller.user,
        session: caller.session,
        device: caller.device,
    });
    // The session may have ended between authentication and registration.
    if authenticate(&state, &token).await.is_err() {
        return close(&mut socket, close_code::SESSION_ENDED, "session ended").await;
    }
    if *reg.killed.borrow() == Some(close_code::GOING_AWAY) {
        return close(&mut socket, close_code::GOING_AWAY, "server shutting down").await;
    }
    if let Err(End::Closed(code)) =
        stream(&state, &mut socket, &caller, &token, after, &mut reg).await
    {
        let reason = match code {
            close_code::GOING_AWAY => "server shutting down",
            close_code::SESSION_ENDED => "session ended",
            close_code::RECONNECT => "reconnect",
            close_code::TOO_MANY_CONNECTIONS => "too many connections",
            1009 => "message too big",
            _ => "protocol error",
        };
        close(&mut socket, code, reason).await;
    }
}

enum End {
    /// Close with this code.
    Closed(u16),
    /// The peer is gone or too slow.
    Gone,
}

fn killed(reg: &crate::hub::Registration<'_>) -> End {
    End::Closed(reg.killed.borrow().unwrap_or(close_code::SESSION_ENDED))
}

async fn send(
    socket: &mut WebSocket,
    reg: &mut crate::hub::Registration<'_>,
    msg: Message,
) -> Result<(), End> {
    tokio::select! {
        biased;
        _ = reg.killed.changed() => Err(killed(reg)),
        sent = timeout(SEND_TIMEOUT, socket.send(msg)) => match sent {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        },
    }
}

async fn stream(
    state: &AppState,
    socket: &mut WebSocket,
    caller: &Caller,
    token: &str,
    after: u64,
    reg: &mut crate::hub::Registration<'_>,
) -> Result<(), End> {
    let store = state.store();
    let is_guest = caller.role == OrgRole::Guest;
    let (last, oldest) = store
        .event_bounds(caller.org)
        .await
        .map_err(|_| End::Gone)?;
    let mut cursor = after.min(last);
    if cursor + 1 < oldest {
        send(
            socket,
            reg,
            frame(&ServerFrame::ResyncRequired { oldest_seq: oldest }),
        )
        .await?;
        cursor = oldest - 1;
    }
    send(
        socket,
        reg,
        frame(&ServerFrame::Ready {
            device_id: caller.device,
            last_seq: last,
        }),
    )
    .await?;
    let mut recheck = tokio::time::interval(RECHECK_EVERY);
    recheck.tick().await;
    loop {
        loop {
            // Everything up to `scanned` is committed; events in it addressed to others are
            // skipped by moving the cursor past them, so they are not read again.
            let scanned = store
                .last_event_seq(caller.org)
                .await
                .map_err(|_| End::Gone)?;
            let events = store
                .events_after(caller.org, caller.user, is_guest, cursor, BATCH)
                .await
                .map_err(|_| End::Gone)?;
            let full = events.len() as u32 == BATCH;
            let next = match (full, events.last()) {
                (true, Some(e)) => e.seq,
                (_, last) => last.map_or(cursor, |e| e.seq).max(scanned),
            };
            for event in events {
                cursor = event.seq;
                send(
                    socket,
                    reg,
                    frame(&ServerFrame::Event {
                        event: Box::new(event),
                    }),
                )
                .await?;
                state.metrics().events_sent.fetch_add(1, Ordering::Relaxed);
            }
            cursor = cursor.max(next);
            if !full {
                break;
            }
        }
        loop {
            tokio::select! {
                biased;
                _ = reg.killed.changed() => return Err(killed(reg)),
                pushed = reg.mail.recv() => match pushed {
                    Some(text) => {
                        send(socket, reg, Message::Text(text.as_ref().into())).await?;
                        if reg.lagged.swap(false, Ordering::Relaxed) {
                            send(socket, reg, frame(&ServerFrame::Lagged)).await?;
                        }
                        continue;
                    }
                    None => return Err(End::Gone),
                },
                _ = reg.wake.notified() => break,
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | None => return Err(End::Gone),
                    Some(Err(e)) => {
                        // Oversized frames get 1009, other protocol breaches 1002.
                        let text = e.to_string();
                        let code = if text.contains("limit") || text.contains("too long") { 1009 } else { 1002 };
                        return Err(End::Closed(code));
                    }
                    Some(Ok(_)) => continue,
                },
                _ = recheck.tick() => {
                    match authenticate(state, token).await {
                        Err(_) => return Err(End::Closed(close_code::SESSION_ENDED)),
                        // What this connection may see depends on the role it started with.
                        Ok(now) if now.role != caller.role => return Err(End::Closed(close_code::RECONNECT)),
                        Ok(_) => {}
                    }
                    send(socket, reg, Message::Ping(Vec::new().into())).await?;
                    // Events committed by another node are picked up here too.
                    break;
                }
            }
        }
    }
}

/// Events after a sequence number, for clients that poll or catch up over HTTP.
#[utoipa::path(get, path = "/events/poll", tag = "events", security(("session" = [])),
    params(EventsQuery),
    responses((status = 200, body = EventPage), (status = "4XX", body = ErrorBody)))]
pub async fn poll(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<ApiJson<EventPage>, ApiError> {
    let limit = validate::limit(q.limit, 500, 1000)?;
    let after = q.after.unwrap_or(0);
    let (last, oldest) = state.store().event_bounds(caller.org).await?;
    if after > last {
        // A cursor from the future (another server, a restored backup): not quietly "caught up".
        return Err(ApiError::invalid("after"));
    }
    if after.saturating_add(1) < oldest && after < last {
        return Err(ApiError::field(ErrorCode::Conflict, "after"));
    }
    let events = state
        .store()
        .events_after(
            caller.org,
            caller.user,
            caller.role == OrgRole::Guest,
            after,
            limit,
        )
        .await?;
    // A short page has seen everything up to `last`: the client may resume after it.
    let last_seq = if events.len() < limit as usize {
        last.max(events.last().map_or(0, |e| e.seq))
    } else {
        events.last().map_or(after, |e| e.seq)
    };
    Ok(ApiJson(EventPage { events, last_seq }))
}
