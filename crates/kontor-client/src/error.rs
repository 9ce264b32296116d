//! What can go wrong in the client core.

use crate::history::StopReason;
use kontor_proto::{DeviceId, PersonId};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The conversation is not known on this device.
    #[error("unknown conversation")]
    UnknownConversation,
    /// These people's identity bundles are needed first: fetch them and call again.
    #[error("identities needed first: {0:?}")]
    NeedIdentities(Vec<PersonId>),
    /// A device that its person's identity key did not sign. Never added, never accepted.
    #[error("untrusted device {device} of {user}: {reason}")]
    UntrustedDevice {
        user: PersonId,
        device: DeviceId,
        reason: &'static str,
    },
    /// A person's identity key differs from the one pinned on this device.
    #[error("the identity key of {0} changed")]
    IdentityChanged(PersonId),
    /// A certificate or device list does not verify.
    #[error("invalid signature on {0}")]
    BadSignature(&'static str),
    /// Messages must be processed in order; fetch from `expected`.
    #[error("message out of order: expected seq {expected}, got {got}")]
    Gap { expected: u64, got: u64 },
    /// The conversation was stopped on this device because something only a lying server can
    /// cause happened in it.
    #[error("conversation stopped: {0:?}")]
    Stopped(StopReason),
    /// This device could not process a change of the conversation: it must be added again
    /// (the device asks members to).
    #[error("this device is out of step with the conversation and asks to be added again")]
    OutOfStep,
    /// This device waits to be added to the conversation again; it can neither read nor send
    /// until a member does.
    #[error("this device waits to be added to the conversation again")]
    Rejoining,
    /// openmls refused.
    #[error("mls: {0}")]
    Mls(String),
    /// A cryptographic operation failed.
    #[error("crypto: {0}")]
    Crypto(&'static str),
    /// This device holds no identity key (it was linked without one).
    #[error("this device holds no identity key")]
    NoIdentity,
    /// The code typed to link a device is not the one the new device shows.
    #[error("the link code does not match")]
    WrongLinkCode,
    /// The recovery key is wrong.
    #[error("the recovery key does not fit")]
    BadRecoveryKey,
    /// Malformed input.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The host's storage failed.
    #[error("storage: {0}")]
    Storage(String),
    /// This device is not (any more) a member of the conversation.
    #[error("not a member of this conversation")]
    NotAMember,
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;
