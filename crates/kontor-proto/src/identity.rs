//! Identity keys, signed device lists, membership certificates, key packages and device links.
//!
//! The trust chain a client checks before it lets a device into a conversation:
//!
//! ```text
//! org signing key (pinned at first login)
//!   └─ MembershipCertificate: "user U of org O has identity key K"   (signed by the server)
//!        └─ SignedDeviceList: "U's devices and their keys, version n" (signed by K, the person)
//!             └─ MLS leaf: credential names (U, device), signature key must be in the list
//! ```
//!
//! The server can certify who belongs to the organisation, but only the person's identity key
//! can say which devices are theirs. A device the server invents ("ghost device") is in no
//! signed list, so no client adds or accepts it.

use crate::bytes::Bytes;
use crate::ids::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Domain-separation labels: every signature in Kontor is over `label || content`, so a
/// signature made for one purpose can never be taken for another.
pub mod label {
    pub const DEVICE_LIST: &[u8] = b"kontor/v1/device-list\0";
    pub const MEMBERSHIP: &[u8] = b"kontor/v1/org-membership\0";
    pub const TRANSCRIPT: &[u8] = b"kontor/v1/transcript\0";
    pub const LINK_CODE: &[u8] = b"kontor/v1/link-code\0";
    pub const RECOVERY: &[u8] = b"kontor/v1/recovery-key\0";
    pub const LINK_SEAL: &[u8] = b"kontor/v1/link-seal\0";
    pub const SAFETY_NUMBER: &[u8] = b"kontor/v1/safety-number\0";
    pub const MLS_CREDENTIAL: &[u8] = b"kontor/v1/device\0";
    pub const EXTERNAL_SENDER: &[u8] = b"kontor/v1/delivery-service\0";
    pub const CONVERSATION_ID: &[u8] = b"kontor/v1/conversation-id\0";
}

/// The identity bytes of a device's MLS basic credential: label, person, device.
pub fn credential_identity(user: PersonId, device: DeviceId) -> Vec<u8> {
    let mut out = label::MLS_CREDENTIAL.to_vec();
    out.extend_from_slice(user.0.as_bytes());
    out.extend_from_slice(device.0.as_bytes());
    out
}

/// Who a credential's identity bytes claim to be. The claim means nothing until the signature
/// key is found in that person's signed device list.
pub fn parse_credential_identity(identity: &[u8]) -> Option<(PersonId, DeviceId)> {
    let rest = identity.strip_prefix(label::MLS_CREDENTIAL)?;
    if rest.len() != 32 {
        return None;
    }
    let user = uuid::Uuid::from_slice(&rest[..16]).ok()?;
    let device = uuid::Uuid::from_slice(&rest[16..]).ok()?;
    Some((PersonId(user), DeviceId(device)))
}

/// The public keys of one device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeviceKeys {
    pub device_id: DeviceId,
    /// Ed25519 key that signs the device's MLS messages (its leaf's signature key).
    pub mls_signature_key: Bytes,
    /// Ed25519 key that signs message payloads, for transcripts verifiable outside Kontor.
    pub transcript_key: Bytes,
}

/// A person's devices, as their identity key vouches for them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DeviceList {
    pub org_id: OrgId,
    /// `user_id` in the signed JSON, as version 1 of the format fixed it.
    #[serde(rename = "user_id")]
    pub person_id: PersonId,
    /// Ed25519 public identity key of the person.
    pub identity_key: Bytes,
    /// Strictly increasing; a server replaying an old list is caught.
    pub version: u64,
    pub devices: Vec<DeviceKeys>,
    /// Devices the person listed before and dropped (a lost or revoked one), newest last, at
    /// most [`DeviceList::MAX_RETIRED`]. A change made while one was listed is still
    /// authentic to whoever reads it later; nobody adds one now, and members remove it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<DeviceKeys>,
}

impl DeviceList {
    /// How many dropped devices a list remembers.
    pub const MAX_RETIRED: usize = 64;

    /// The bytes the identity key signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = label::DEVICE_LIST.to_vec();
        out.extend_from_slice(&serde_json::to_vec(self).unwrap_or_default());
        out
    }
}

/// A device list with the identity key's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SignedDeviceList {
    pub list: DeviceList,
    pub signature: Bytes,
}

/// The organisation's statement that a person with this identity key belongs to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Membership {
    pub org_id: OrgId,
    /// `user_id` in the signed JSON, as version 1 of the format fixed it.
    #[serde(rename = "user_id")]
    pub person_id: PersonId,
    pub identity_key: Bytes,
    pub display_name: String,
    /// Milliseconds since the Unix epoch.
    pub issued_at: i64,
}

impl Membership {
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = label::MEMBERSHIP.to_vec();
        out.extend_from_slice(&serde_json::to_vec(self).unwrap_or_default());
        out
    }
}

/// A membership signed by the organisation's signing key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct MembershipCertificate {
    pub membership: Membership,
    pub signature: Bytes,
}

/// Everything a client needs to decide which devices of a person to trust.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IdentityBundle {
    pub certificate: MembershipCertificate,
    pub device_list: SignedDeviceList,
    /// As [`crate::api::Person::disambiguator`]: present when a colleague's name looks the
    /// same as this person's (not signed: the directory says it too).
    #[serde(default)]
    pub disambiguator: Option<String>,
}

/// `GET /identity/org-key`: the organisation's public signing key, pinned by clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OrgKey {
    pub org_id: OrgId,
    /// Ed25519 key that signs membership certificates.
    pub signing_key: Bytes,
    /// Ed25519 key of the delivery service as the groups' MLS external sender: it signs the
    /// server's proposals to remove leavers. Groups name it in their external-senders extension.
    pub external_sender_key: Bytes,
}

/// `PUT /identity`: publish a new signed device list (first device: also the recovery backup).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct PublishIdentity {
    pub device_list: SignedDeviceList,
    /// The identity secret key sealed under the recovery key; the server cannot open it.
    #[serde(default)]
    pub recovery_backup: Option<Bytes>,
}

/// `GET /identity/recovery-backup`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecoveryBackup {
    pub sealed: Bytes,
}

/// `GET /identity/people?ids=…`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct IdentityBundles {
    pub bundles: Vec<IdentityBundle>,
}

/// `POST /key-packages`: add one-time key packages and optionally replace the last-resort one.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct UploadKeyPackages {
    #[serde(default)]
    pub key_packages: Vec<Bytes>,
    #[serde(default)]
    pub last_resort: Option<Bytes>,
}

/// How many key packages the calling device has left.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct KeyPackageStock {
    pub one_time: u32,
    pub has_last_resort: bool,
}

/// `POST /key-packages/claim`: one key package per device of each person.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ClaimKeyPackages {
    pub people: Vec<PersonId>,
}

/// A claimed key package of one device.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClaimedKeyPackage {
    pub person_id: PersonId,
    pub device_id: DeviceId,
    pub key_package: Bytes,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ClaimedKeyPackages {
    pub key_packages: Vec<ClaimedKeyPackage>,
}

/// `POST /identity/link-requests`, sent by a new device that wants to join its person.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct CreateLinkRequest {
    pub keys: DeviceKeys,
    /// X25519 key the approving device seals the identity key and history to.
    pub ephemeral_key: Bytes,
}

/// Where a link request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Pending,
    Approved,
}

/// A link request as the person's other devices and the new device see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LinkRequest {
    pub id: LinkRequestId,
    pub keys: DeviceKeys,
    pub ephemeral_key: Bytes,
    pub status: LinkStatus,
    /// Present once approved: identity key and history, sealed to `ephemeral_key`.
    #[serde(default)]
    pub sealed: Option<Bytes>,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LinkRequests {
    pub requests: Vec<LinkRequest>,
}

/// `POST /identity/link-requests/{id}/approve`, sent by an existing device.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ApproveLinkRequest {
    pub device_list: SignedDeviceList,
    pub sealed: Bytes,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Certificates and device lists signed before the rename to `person_id` still verify:
    /// the signed JSON keeps its version-1 field names.
    #[test]
    fn signed_formats_keep_their_version_one_field_names() {
        let m = Membership {
            org_id: OrgId(uuid::Uuid::from_u128(1)),
            person_id: PersonId(uuid::Uuid::from_u128(2)),
            identity_key: Bytes::default(),
            display_name: "Anna".into(),
            issued_at: 1,
        };
        let json = String::from_utf8(m.signed_bytes()[label::MEMBERSHIP.len()..].to_vec()).unwrap();
        assert!(
            json.contains("\"user_id\":") && !json.contains("person_id"),
            "{json}"
        );
        let list = DeviceList {
            org_id: m.org_id,
            person_id: m.person_id,
            identity_key: Bytes::default(),
            version: 1,
            devices: Vec::new(),
            retired: Vec::new(),
        };
        let json =
            String::from_utf8(list.signed_bytes()[label::DEVICE_LIST.len()..].to_vec()).unwrap();
        assert!(
            json.contains("\"user_id\":") && !json.contains("person_id"),
            "{json}"
        );
    }
}
