//! The delivery service as the MLS external sender of every group: it proposes removing the
//! devices of people who left or were deprovisioned. A proposal changes nothing by itself;
//! the next member online commits it (members, not the server, decide membership).

use ed25519_dalek::SigningKey;
use kontor_proto::ConversationId;
use openmls::prelude::tls_codec::Serialize;
use openmls::prelude::{
    ExternalProposal, GroupEpoch, GroupId, LeafNodeIndex, SenderExtensionIndex, SignatureScheme,
};
use openmls_basic_credential::SignatureKeyPair;

/// An MLS Remove proposal for `leaf` in `conv` at `epoch`, signed by the organisation's
/// external-sender key (index 0 in the group's external-senders extension).
pub fn remove_proposal(
    key: &SigningKey,
    conv: ConversationId,
    epoch: u64,
    leaf: u32,
) -> Option<Vec<u8>> {
    let signer = SignatureKeyPair::from_raw(
        SignatureScheme::ED25519,
        key.to_bytes().to_vec(),
        key.verifying_key().to_bytes().to_vec(),
    );
    let msg = ExternalProposal::new_remove::<openmls_rust_crypto::OpenMlsRustCrypto>(
        LeafNodeIndex::new(leaf),
        GroupId::from_slice(conv.0.as_bytes()),
        GroupEpoch::from(epoch),
        &signer,
        SenderExtensionIndex::new(0),
    )
    .ok()?;
    msg.tls_serialize_detached().ok()
}
