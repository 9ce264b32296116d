//! What the delivery service can check of an MLS message without reading it: the framing
//! (wire format, content type, group and epoch are in the clear even in a `PrivateMessage`)
//! must agree with what the sender declares, so that nobody passes an application message
//! off as a commit (to get past a channel's write rule, or to move the server's epoch on
//! while the group's stays).

use crate::error::ApiError;
use kontor_proto::ConversationId;
use kontor_proto::conversation::MessageKind;
use openmls::prelude::tls_codec::Deserialize;
use openmls::prelude::{ContentType, MlsMessageBodyIn, MlsMessageIn};

/// Checks a message's framing against the declared kind, conversation and epoch.
pub fn check(
    conv: ConversationId,
    kind: MessageKind,
    epoch: u64,
    body: &[u8],
    welcome: Option<&[u8]>,
) -> Result<(), ApiError> {
    let msg = MlsMessageIn::tls_deserialize_exact(body).map_err(|_| ApiError::invalid("body"))?;
    // Application messages are encrypted; commits and proposals are signed in the clear so
    // that the delivery service can follow the group (see `delivery`).
    let (group, msg_epoch, content) = match (msg.extract(), kind) {
        (MlsMessageBodyIn::PrivateMessage(m), MessageKind::Application) => {
            (m.group_id().clone(), m.epoch(), m.content_type())
        }
        (MlsMessageBodyIn::PublicMessage(m), MessageKind::Commit | MessageKind::Proposal) => {
            (m.group_id().clone(), m.epoch(), m.content_type())
        }
        _ => return Err(ApiError::invalid("body")),
    };
    let expected = match kind {
        MessageKind::Application => ContentType::Application,
        MessageKind::Commit => ContentType::Commit,
        MessageKind::Proposal => ContentType::Proposal,
    };
    if group.as_slice() != conv.0.as_bytes() || content != expected {
        return Err(ApiError::invalid("body"));
    }
    if msg_epoch.as_u64() != epoch {
        return Err(ApiError::invalid("epoch"));
    }
    if let Some(w) = welcome {
        let w = MlsMessageIn::tls_deserialize_exact(w).map_err(|_| ApiError::invalid("welcome"))?;
        if !matches!(w.extract(), MlsMessageBodyIn::Welcome(_)) {
            return Err(ApiError::invalid("welcome"));
        }
    }
    Ok(())
}
