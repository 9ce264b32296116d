//! What the delivery service can check of an MLS message without reading it: the framing
//! (wire format, content type, group and epoch are in the clear even in a `PrivateMessage`)
//! must agree with what the sender declares, so that nobody passes an application message
//! off as a commit (to get past a channel's write rule, or to move the server's epoch on
//! while the group's stays).

use kontor_proto::ConversationId;
use kontor_proto::conversation::MessageKind;
use openmls::prelude::tls_codec::Deserialize;
use openmls::prelude::{ContentType, MlsMessageBodyIn, MlsMessageIn};

/// A message whose framing does not agree with what its sender declares; names the field of
/// the request that is wrong (`body`, `epoch` or `welcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed {0}")]
pub struct Malformed(pub &'static str);

/// Checks a message's framing against the declared kind, conversation and epoch.
pub fn check(
    conv: ConversationId,
    kind: MessageKind,
    epoch: u64,
    body: &[u8],
    welcome: Option<&[u8]>,
) -> Result<(), Malformed> {
    let msg = MlsMessageIn::tls_deserialize_exact(body).map_err(|_| Malformed("body"))?;
    // Application messages are encrypted; commits and proposals are signed in the clear so
    // that the delivery service can follow the group (see `kontor-server`'s `delivery.rs`).
    let (group, msg_epoch, content) = match (msg.extract(), kind) {
        (MlsMessageBodyIn::PrivateMessage(m), MessageKind::Application) => {
            (m.group_id().clone(), m.epoch(), m.content_type())
        }
        (MlsMessageBodyIn::PublicMessage(m), MessageKind::Commit | MessageKind::Proposal) => {
            (m.group_id().clone(), m.epoch(), m.content_type())
        }
        _ => return Err(Malformed("body")),
    };
    let expected = match kind {
        MessageKind::Application => ContentType::Application,
        MessageKind::Commit => ContentType::Commit,
        MessageKind::Proposal => ContentType::Proposal,
    };
    if group.as_slice() != conv.0.as_bytes() || content != expected {
        return Err(Malformed("body"));
    }
    if msg_epoch.as_u64() != epoch {
        return Err(Malformed("epoch"));
    }
    if let Some(w) = welcome {
        let w = MlsMessageIn::tls_deserialize_exact(w).map_err(|_| Malformed("welcome"))?;
        if !matches!(w.extract(), MlsMessageBodyIn::Welcome(_)) {
            return Err(Malformed("welcome"));
        }
    }
    Ok(())
}
