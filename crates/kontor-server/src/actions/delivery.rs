//! The delivery service's follow-ups: whom a stored message is pushed to, the removal
//! proposals it owes groups whose devices were retired, and the news that a membership
//! changed. Called through [`crate::effects`] once a transaction has committed.

use crate::effects::{Effects, serialise};
use crate::state::AppState;
use crate::store::SendOutcome;
use kontor_proto::conversation::{MessageKind, Sent};
use kontor_proto::event::ServerFrame;
use kontor_proto::{ClientMsgId, ConversationId, DeviceId, OrgId};
use std::sync::Arc;

/// What a stored message owes: the message to the members' other devices, a Welcome notice to
/// the devices it added, the removals still pending after a commit or proposal, membership
/// news, and a last word to the devices it removed (they fetch nothing more: they may not).
/// Returns the sender's answer beside them.
pub fn after_send(
    org: OrgId,
    conversation: ConversationId,
    kind: MessageKind,
    outcome: SendOutcome,
) -> (Sent, Effects) {
    let Some(message) = outcome.message else {
        // A retry of a stored message: everybody had it already.
        return (outcome.sent, Effects::new());
    };
    let mut fx = Effects::new()
        .frame(
            outcome.recipients,
            &ServerFrame::Message {
                message: Box::new(message),
            },
        )
        .frame(
            outcome.welcomed,
            &ServerFrame::Welcome {
                conversation_id: conversation,
            },
        );
    if kind != MessageKind::Application {
        fx = fx.removals_due(org, conversation);
    }
    if outcome.changed {
        fx = fx.conversation_changed(conversation);
    }
    let fx = fx.frame(
        outcome.removed,
        &ServerFrame::ConversationChanged {
            conversation_id: conversation,
        },
    );
    (outcome.sent, fx)
}

/// The conversations these devices are in.
pub async fn conversations_of(state: &AppState, devices: &[DeviceId]) -> Vec<ConversationId> {
    state
        .store()
        .conversations_with_devices(devices)
        .await
        .inspect_err(
            |e| tracing::warn!(error = %e, "could not list the retired devices' conversations"),
        )
        .unwrap_or_default()
}

/// The frame that tells a conversation's active devices that its membership changed.
pub async fn changed(
    state: &AppState,
    conversation: ConversationId,
) -> Option<(Vec<DeviceId>, Arc<str>)> {
    let devices = state.store().active_devices(conversation).await.ok()?;
    let frame = serialise(&ServerFrame::ConversationChanged {
        conversation_id: conversation,
    });
    Some((devices, frame))
}

/// Proposes, as the group's MLS external sender, the removal of every device pending removal
/// in `conversation` that has no proposal for the current epoch yet, stores the proposals
/// (one transaction) and returns their frames. Members commit them; a commit for another
/// reason moves the epoch on, and the removal is proposed again for the new epoch.
pub async fn propose_removals(
    state: &AppState,
    org: OrgId,
    conversation: ConversationId,
) -> Vec<(Vec<DeviceId>, Arc<str>)> {
    let Ok((epoch, due)) = state.store().removals_to_propose(org, conversation).await else {
        return vec![];
    };
    if due.is_empty() {
        return vec![];
    }
    let purpose = crate::org_keys::purpose::EXTERNAL_SENDER;
    let Ok(key) = crate::org_keys::org_key(state, org, purpose).await else {
        return vec![];
    };
    let proposals: Vec<_> = due
        .iter()
        .filter_map(|(device, leaf)| {
            crate::external_sender::remove_proposal(&key, conversation, epoch, *leaf)
                .map(|body| (*device, body, ClientMsgId::new()))
        })
        .collect();
    match state
        .store()
        .append_server_proposals(org, conversation, epoch, &proposals, state.now())
        .await
    {
        Ok((stored, recipients)) => stored
            .into_iter()
            .map(|message| {
                let frame = serialise(&ServerFrame::Message {
                    message: Box::new(message),
                });
                (recipients.clone(), frame)
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not store removal proposals");
            vec![]
        }
    }
}
