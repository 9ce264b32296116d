//! The MLS delivery service over HTTP: conversations, their ordered log, Welcomes.
//!
//! Every handler takes the caller's device from the session; a device sees a conversation only
//! while it is an active member of it (others get `not_found`, so conversations do not leak).
//! After a write its effects (the message pushed to the members' live connections, the
//! removals owed) are applied by `effects::apply`.

use crate::access::Caller;
use crate::actions::delivery;
use crate::effects::{self, Effects};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::validate;
use axum::extract::State;
use axum::http::StatusCode;
use kontor_proto::conversation::{
    Conversation, Conversations, CreateConversation, MessagePage, MessagesQuery, PendingWelcomes,
    SendMessage, Sent, SetConversationRole, VoidCommit,
};
use kontor_proto::event::ServerFrame;
use kontor_proto::{ConversationId, ErrorBody, PersonId};
use std::sync::atomic::Ordering;

/// The largest MLS message (a commit with a Welcome for many devices carries a ratchet tree).
pub const MESSAGE_LIMIT: usize = 8 * 1024 * 1024;
/// Most devices one commit may add or remove.
const MAX_CHANGES: usize = 1000;
/// How often one device may ask to be added again to one conversation per hour.
const REJOINS_PER_HOUR: u32 = 6;

/// Counts a message against its device's limits per minute (how many, how many bytes), or
/// refuses it with 429 and `Retry-After`. Kept in memory on each node: a device talks to one.
fn limit_sends(state: &AppState, caller: &Caller, body: &SendMessage) -> Result<(), ApiError> {
    use crate::ratelimit::Limit;
    let limits = &state.config().limits;
    let minute = 60_000;
    // What the server keeps: the message, and the Welcome once per device it adds.
    let bytes =
        body.body.len() + body.welcome.as_ref().map_or(0, |w| w.len()) * body.added.len().max(1);
    let now = state.now();
    let device = caller.device.to_string();
    state
        .limiter()
        .acquire(
            &format!("send:{device}"),
            Limit {
                max: limits.messages_per_minute,
                window_ms: minute,
            },
            now,
        )
        .and_then(|()| {
            state.limiter().take(
                &format!("send-bytes:{device}"),
                u32::try_from(bytes).unwrap_or(u32::MAX),
                Limit {
                    max: u32::try_from(limits.message_bytes_per_minute).unwrap_or(u32::MAX),
                    window_ms: minute,
                },
                now,
            )
        })
        .map_err(|secs| {
            state.metrics().limited.fetch_add(1, Ordering::Relaxed);
            ApiError::rate_limited(secs)
        })
}

/// Creates a conversation with the calling device as its only member (epoch 0). People join
/// when a member commits their addition. Creating the same id again is a no-op. The id must be
/// bound to the caller (`bound_conversation_id`): any other id, whether it exists somewhere
/// or not, is refused the same way, so nobody learns from the answer that an id exists.
#[utoipa::path(post, path = "/conversations", tag = "conversations", security(("session" = [])),
    request_body = CreateConversation,
    responses((status = 201, body = Conversation), (status = "4XX", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateConversation>,
) -> Result<(StatusCode, ApiJson<Conversation>), ApiError> {
    if !kontor_proto::conversation::is_bound_conversation_id(body.id, caller.org, caller.user) {
        return Err(ApiError::invalid("id"));
    }
    caller.require_may_create(&state, body.kind).await?;
    // The group starts as the creating device alone, with the key its person signed, and the
    // delivery service as its external sender: from here the server follows its public state.
    let listed = state
        .store()
        .identities(caller.org, &[caller.user])
        .await?
        .into_iter()
        .next()
        .and_then(|i| {
            serde_json::from_str::<kontor_proto::identity::SignedDeviceList>(&i.device_list).ok()
        })
        .and_then(|l| {
            l.list
                .devices
                .into_iter()
                .find(|d| d.device_id == caller.device)
        })
        .ok_or(ApiError::new(kontor_proto::ErrorCode::DeviceNotLinked))?;
    let external = crate::org_keys::org_key(
        &state,
        caller.org,
        crate::org_keys::purpose::EXTERNAL_SENDER,
    )
    .await?;
    let genesis = crate::delivery::genesis(
        body.id,
        body.group_info.as_slice(),
        (caller.user, caller.device),
        listed.mls_signature_key.as_slice(),
        external.verifying_key().as_bytes(),
    )
    .map_err(|r| ApiError::field(r.code, r.field))?;
    state
        .store()
        .create_conversation(
            caller.org,
            body.id,
            body.kind,
            caller.user,
            caller.device,
            &genesis,
            state.now(),
        )
        .await?;
    let conv = state
        .store()
        .conversation(caller.org, body.id, caller.device)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(conv)))
}

/// The conversations the calling device is in.
#[utoipa::path(get, path = "/conversations", tag = "conversations", security(("session" = [])),
    responses((status = 200, body = Conversations), (status = "4XX", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Conversations>, ApiError> {
    let conversations = state
        .store()
        .conversations_of_device(caller.org, caller.device)
        .await?;
    Ok(ApiJson(Conversations { conversations }))
}

/// One conversation: kind, epoch, newest sequence number, members and pending removals.
#[utoipa::path(get, path = "/conversations/{id}", tag = "conversations", security(("session" = [])),
    params(("id" = ConversationId, Path)),
    responses((status = 200, body = Conversation), (status = "4XX", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ConversationId>,
) -> Result<ApiJson<Conversation>, ApiError> {
    Ok(ApiJson(
        state
            .store()
            .conversation(caller.org, id, caller.device)
            .await?,
    ))
}

/// Sends one MLS message: a commit (only for the current epoch; the first wins, a late one
/// gets `stale_epoch`), a proposal (leaving) or an application message. Sending the same
/// `client_msg_id` again returns the first result with `duplicate: true`.
#[utoipa::path(post, path = "/conversations/{id}/messages", tag = "conversations", security(("session" = [])),
    params(("id" = ConversationId, Path)), request_body = SendMessage,
    responses((status = 200, body = Sent), (status = "4XX", body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<SendMessage>,
) -> Result<ApiJson<Sent>, ApiError> {
    if body.body.is_empty() {
        return Err(ApiError::invalid("body"));
    }
    if body.added.len() > MAX_CHANGES || body.removed.len() > MAX_CHANGES {
        return Err(ApiError::invalid("added"));
    }
    // Guests add only people they may see (or who are in the conversation already).
    if caller.role == kontor_proto::api::OrgRole::Guest && !body.added.is_empty() {
        let conv = state
            .store()
            .conversation(caller.org, id, caller.device)
            .await?;
        for a in &body.added {
            if !conv.members.iter().any(|m| m.person_id == a.person_id) {
                caller.require_visible(&state, a.person_id).await?;
            }
        }
    }
    if let Err(limited) = limit_sends(&state, &caller, &body) {
        // A retry of what was stored already (its answer was lost) is answered, never refused:
        // a refusal would make the sender drop a commit the group has.
        return match state
            .store()
            .sent_before(caller.org, id, caller.device, body.client_msg_id)
            .await?
        {
            Some(sent) => Ok(ApiJson(sent)),
            None => Err(limited),
        };
    }
    kontor_intake::mls_framing::check(
        id,
        body.kind,
        body.epoch,
        body.body.as_slice(),
        body.welcome.as_ref().map(kontor_proto::Bytes::as_slice),
    )?;
    let outcome = state
        .store()
        .send_message(
            caller.org,
            id,
            caller.user,
            caller.device,
            &body,
            state.config().limits.storage_per_org_bytes,
            state.now(),
        )
        .await
        .map_err(ApiError::from)
        .inspect_err(|e| {
            if e.code == kontor_proto::ErrorCode::QuotaExceeded {
                state.metrics().limited.fetch_add(1, Ordering::Relaxed);
            }
        })?;
    if outcome.message.is_some() {
        state
            .metrics()
            .messages_stored
            .fetch_add(1, Ordering::Relaxed);
    }
    let (sent, fx) = delivery::after_send(caller.org, id, body.kind, outcome);
    effects::apply(&state, fx).await;
    Ok(ApiJson(sent))
}

/// The calling device could not process a change of the conversation (a commit whose secrets
/// it cannot open): it asks members to add it again. Nothing more is delivered it can read
/// until one does; members see which devices wait (`rejoining`). Asking again is a no-op.
#[utoipa::path(post, path = "/conversations/{id}/rejoin", tag = "conversations", security(("session" = [])),
    params(("id" = ConversationId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn rejoin(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ConversationId>,
) -> Result<StatusCode, ApiError> {
    // Every committer online answers a rejoin with a commit: a device asks only so often.
    state
        .limiter()
        .acquire(
            &format!("rejoin:{}:{id}", caller.device),
            crate::ratelimit::Limit {
                max: REJOINS_PER_HOUR,
                window_ms: 3_600_000,
            },
            state.now(),
        )
        .map_err(|secs| {
            state.metrics().limited.fetch_add(1, Ordering::Relaxed);
            ApiError::rate_limited(secs)
        })?;
    if state
        .store()
        .request_rejoin(caller.org, id, caller.device, state.now())
        .await?
    {
        effects::apply(&state, Effects::new().conversation_changed(id)).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The calling device, a conversation admin's, could not process the commit at `seq`, and
/// nobody but its committer has written since: the delivery service voids it and what came
/// after it, restores the group as it was before, and asks the committer's devices to be added
/// again (see `store::checkpoints`). Members skip voided messages.
#[utoipa::path(post, path = "/conversations/{id}/void", tag = "conversations", security(("session" = [])),
    params(("id" = ConversationId, Path)), request_body = VoidCommit,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn void(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<VoidCommit>,
) -> Result<StatusCode, ApiError> {
    if i64::try_from(body.seq).is_err() {
        return Err(ApiError::invalid("seq"));
    }
    state
        .limiter()
        .acquire(
            &format!("void:{}:{id}", caller.device),
            crate::ratelimit::Limit {
                max: REJOINS_PER_HOUR,
                window_ms: 3_600_000,
            },
            state.now(),
        )
        .map_err(|secs| {
            state.metrics().limited.fetch_add(1, Ordering::Relaxed);
            ApiError::rate_limited(secs)
        })?;
    let voided = state
        .store()
        .void_commit(
            caller.org,
            id,
            caller.user,
            caller.device,
            body.seq,
            state.now(),
        )
        .await?;
    tracing::info!(conversation = %id, seq = body.seq, "commit voided");
    // The epoch went back: removals still pending are proposed for it.
    let fx = Effects::new()
        .frame(
            voided.tell,
            &ServerFrame::ConversationChanged {
                conversation_id: id,
            },
        )
        .removals_due(caller.org, id);
    effects::apply(&state, fx).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Messages after a sequence number, oldest first; only those since the device joined.
#[utoipa::path(get, path = "/conversations/{id}/messages", tag = "conversations", security(("session" = [])),
    params(("id" = ConversationId, Path), MessagesQuery),
    responses((status = 200, body = MessagePage), (status = "4XX", body = ErrorBody)))]
pub async fn messages(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ConversationId>,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> Result<ApiJson<MessagePage>, ApiError> {
    let limit = validate::limit(q.limit, 200, 1000)?;
    let after = q.after.unwrap_or(0);
    if i64::try_from(after).is_err() {
        return Err(ApiError::invalid("after"));
    }
    let (messages, last_seq) = state
        .store()
        .messages_after(caller.org, id, caller.device, after, limit)
        .await?;
    if after > last_seq {
        return Err(ApiError::invalid("after"));
    }
    Ok(ApiJson(MessagePage { messages, last_seq }))
}

/// Welcomes waiting for the calling device.
#[utoipa::path(get, path = "/welcomes", tag = "conversations", security(("session" = [])),
    responses((status = 200, body = PendingWelcomes), (status = "4XX", body = ErrorBody)))]
pub async fn welcomes(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<PendingWelcomes>, ApiError> {
    let welcomes = state
        .store()
        .pending_welcomes(caller.org, caller.device)
        .await?;
    Ok(ApiJson(PendingWelcomes { welcomes }))
}

/// Drops a Welcome the device has processed.
#[utoipa::path(delete, path = "/welcomes/{id}", tag = "conversations", security(("session" = [])),
    params(("id" = ConversationId, Path)),
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn ack_welcome(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<ConversationId>,
) -> Result<StatusCode, ApiError> {
    state.store().ack_welcome(caller.device, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets a person's role in a group or channel (its admins only).
#[utoipa::path(put, path = "/conversations/{id}/members/{person_id}", tag = "conversations", security(("session" = [])),
    params(("id" = ConversationId, Path), ("person_id" = PersonId, Path)), request_body = SetConversationRole,
    responses((status = 204), (status = "4XX", body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((id, user)): ApiPath<(ConversationId, PersonId)>,
    ApiJson(body): ApiJson<SetConversationRole>,
) -> Result<StatusCode, ApiError> {
    state
        .store()
        .set_member_role(caller.org, id, caller.user, caller.device, user, body.role)
        .await?;
    effects::apply(&state, Effects::new().conversation_changed(id)).await;
    Ok(StatusCode::NO_CONTENT)
}
