//! What this device believes about other people's devices, and why.
//!
//! The organisation's signing key is pinned at first login. A person's identity key is pinned
//! the first time a certificate from the pinned organisation key vouches for it; a different
//! key later is refused ([`ClientError::IdentityChanged`]), whatever the server says. A device
//! is trusted only if the newest device list signed by its person's pinned identity key names
//! it with exactly the MLS signature key it uses.

use crate::error::{ClientError, Result};
use crate::identity::{verify_device_list, verify_membership};
use kontor_proto::identity::{DeviceKeys, IdentityBundle, SignedDeviceList};
use kontor_proto::{DeviceId, PersonId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A person this device knows.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KnownPerson {
    pub identity_key: Vec<u8>,
    pub display_name: String,
    pub device_list: SignedDeviceList,
}

/// Pinned keys and the newest verified device lists.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trust {
    pub org_key: Option<Vec<u8>>,
    /// The delivery service's MLS external-sender key, pinned with the organisation key.
    #[serde(default)]
    pub external_sender_key: Option<Vec<u8>>,
    pub people: BTreeMap<PersonId, KnownPerson>,
}

impl Trust {
    /// Pins the organisation's keys; different keys later are refused.
    pub fn pin_org_key(&mut self, key: &[u8], external_sender: &[u8]) -> Result<()> {
        for (slot, new, what) in [
            (&mut self.org_key, key, "organisation key changed"),
            (
                &mut self.external_sender_key,
                external_sender,
                "delivery service key changed",
            ),
        ] {
            match slot {
                Some(k) if k != new => return Err(ClientError::BadSignature(what)),
                Some(_) => {}
                None => *slot = Some(new.to_vec()),
            }
        }
        Ok(())
    }

    /// Verifies a bundle and remembers it. Returns whether anything changed.
    pub fn learn(&mut self, bundle: &IdentityBundle) -> Result<bool> {
        let org_key = self
            .org_key
            .as_ref()
            .ok_or(ClientError::BadSignature("no organisation key pinned"))?;
        let cert = &bundle.certificate;
        verify_membership(cert, org_key)?;
        let list = &bundle.device_list;
        verify_device_list(list)?;
        let user = cert.membership.person_id;
        if list.list.person_id != user
            || list.list.org_id != cert.membership.org_id
            || list.list.identity_key != cert.membership.identity_key
        {
            return Err(ClientError::BadSignature(
                "certificate and device list disagree",
            ));
        }
        let key = cert.membership.identity_key.0.clone();
        if let Some(known) = self.people.get(&user) {
            if known.identity_key != key {
                return Err(ClientError::IdentityChanged(user));
            }
            if known.device_list.list.version > list.list.version {
                // A replayed older list: keep what we have.
                return Ok(false);
            }
            if known.device_list == *list && known.display_name == cert.membership.display_name {
                return Ok(false);
            }
        }
        self.people.insert(
            user,
            KnownPerson {
                identity_key: key,
                display_name: cert.membership.display_name.clone(),
                device_list: list.clone(),
            },
        );
        Ok(true)
    }

    /// Pins this device's own person from what it holds: its identity key and the device list
    /// it signed (never from what a server says). A different identity key is refused.
    pub fn pin_own(&mut self, user: PersonId, list: &SignedDeviceList) -> Result<()> {
        verify_device_list(list)?;
        if list.list.person_id != user {
            return Err(ClientError::BadSignature(
                "own device list for another person",
            ));
        }
        let key = list.list.identity_key.0.clone();
        match self.people.get_mut(&user) {
            Some(known) if known.identity_key != key => Err(ClientError::IdentityChanged(user)),
            Some(known) => {
                if known.device_list.list.version < list.list.version {
                    known.device_list = list.clone();
                }
                Ok(())
            }
            None => {
                self.people.insert(
                    user,
                    KnownPerson {
                        identity_key: key,
                        display_name: String::new(),
                        device_list: list.clone(),
                    },
                );
                Ok(())
            }
        }
    }

    /// Which of these people are not known yet.
    pub fn unknown(&self, users: impl IntoIterator<Item = PersonId>) -> Vec<PersonId> {
        let mut out: Vec<PersonId> = users
            .into_iter()
            .filter(|u| !self.people.contains_key(u))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Like [`Trust::check_device`], but a device the person listed before and dropped since
    /// (with that very key) passes too: a change it made, or one that added it, while it was
    /// listed is authentic, and a colleague who reads it only now must not stop over it. It
    /// is stale ([`crate::Client::stale_devices`]): members remove it before they send.
    pub fn check_device_once_listed(
        &self,
        user: PersonId,
        device: DeviceId,
        mls_signature_key: &[u8],
    ) -> Result<()> {
        match self.check_device(user, device, mls_signature_key) {
            Ok(_) => Ok(()),
            Err(e @ ClientError::UntrustedDevice { .. }) => {
                let retired = self.people.get(&user).is_some_and(|p| {
                    p.device_list.list.retired.iter().any(|r| {
                        r.device_id == device && r.mls_signature_key.as_slice() == mls_signature_key
                    })
                });
                if retired { Ok(()) } else { Err(e) }
            }
            Err(e) => Err(e),
        }
    }

    /// The keys of a device, if its person's signed list names it with this MLS key.
    pub fn check_device(
        &self,
        user: PersonId,
        device: DeviceId,
        mls_signature_key: &[u8],
    ) -> Result<&DeviceKeys> {
        let person = self
            .people
            .get(&user)
            .ok_or_else(|| ClientError::NeedIdentities(vec![user]))?;
        let keys = person
            .device_list
            .list
            .devices
            .iter()
            .find(|d| d.device_id == device)
            .ok_or(ClientError::UntrustedDevice {
                user,
                device,
                reason: "not in the person's signed device list",
            })?;
        if keys.mls_signature_key.as_slice() != mls_signature_key {
            return Err(ClientError::UntrustedDevice {
                user,
                device,
                reason: "signature key differs from the signed device list",
            });
        }
        Ok(keys)
    }

    /// The transcript key of a device in its person's signed list.
    pub fn transcript_key(&self, user: PersonId, device: DeviceId) -> Option<&[u8]> {
        self.people.get(&user).and_then(|p| {
            p.device_list
                .list
                .devices
                .iter()
                .find(|d| d.device_id == device)
                .map(|d| d.transcript_key.as_slice())
        })
    }

    /// The display name the organisation certified for a person.
    pub fn name(&self, user: PersonId) -> Option<&str> {
        self.people.get(&user).map(|p| p.display_name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{SecretKey, sign_device_list};
    use kontor_proto::identity::{DeviceList, Membership, MembershipCertificate};
    use kontor_proto::{Bytes, OrgId};

    const ORG: OrgId = OrgId(uuid::Uuid::from_u128(1));
    const BEN: PersonId = PersonId(uuid::Uuid::from_u128(2));
    const PHONE: DeviceId = DeviceId(uuid::Uuid::from_u128(3));
    const LAPTOP: DeviceId = DeviceId(uuid::Uuid::from_u128(4));

    fn org_key() -> SecretKey {
        SecretKey([7; 32])
    }

    fn device(id: DeviceId, mls: u8) -> DeviceKeys {
        DeviceKeys {
            device_id: id,
            mls_signature_key: Bytes(vec![mls; 32]),
            transcript_key: Bytes(vec![mls + 100; 32]),
        }
    }

    /// Ben's identity bundle: a certificate from `org` for `identity`, and a list at `version`.
    fn bundle(
        org: &SecretKey,
        identity: &SecretKey,
        version: u64,
        devices: Vec<DeviceKeys>,
        retired: Vec<DeviceKeys>,
    ) -> IdentityBundle {
        let membership = Membership {
            org_id: ORG,
            person_id: BEN,
            identity_key: Bytes(identity.public()),
            display_name: "Ben".into(),
            issued_at: 0,
        };
        let signature = org.sign(&membership.signed_bytes());
        let list = DeviceList {
            org_id: ORG,
            person_id: BEN,
            identity_key: Bytes(identity.public()),
            version,
            devices,
            retired,
        };
        IdentityBundle {
            certificate: MembershipCertificate {
                membership,
                signature,
            },
            device_list: sign_device_list(identity, list),
            disambiguator: None,
        }
    }

    fn trust() -> Trust {
        let mut t = Trust::default();
        t.pin_org_key(&org_key().public(), &[9; 32]).unwrap();
        t
    }

    #[test]
    fn an_identity_is_pinned_once_and_a_changed_one_is_refused() {
        let mut t = trust();
        let ben = SecretKey([1; 32]);
        assert!(
            t.learn(&bundle(&org_key(), &ben, 1, vec![], vec![]))
                .unwrap()
        );
        let other = SecretKey([2; 32]);
        assert!(matches!(
            t.learn(&bundle(&org_key(), &other, 2, vec![], vec![])),
            Err(ClientError::IdentityChanged(u)) if u == BEN
        ));
    }

    #[test]
    fn only_the_pinned_organisation_vouches_for_a_person() {
        let mut t = trust();
        let forged = bundle(&SecretKey([3; 32]), &SecretKey([1; 32]), 1, vec![], vec![]);
        assert!(matches!(
            t.learn(&forged),
            Err(ClientError::BadSignature(_))
        ));
        assert!(t.people.is_empty());
    }

    #[test]
    fn a_replayed_older_device_list_changes_nothing() {
        let mut t = trust();
        let ben = SecretKey([1; 32]);
        let two = vec![device(PHONE, 1), device(LAPTOP, 2)];
        t.learn(&bundle(&org_key(), &ben, 2, two, vec![])).unwrap();
        let old = bundle(&org_key(), &ben, 1, vec![device(PHONE, 1)], vec![]);
        assert!(!t.learn(&old).unwrap());
        assert!(t.check_device(BEN, LAPTOP, &[2; 32]).is_ok());
    }

    #[test]
    fn a_device_is_trusted_only_with_the_key_the_newest_list_names() {
        let mut t = trust();
        let ben = SecretKey([1; 32]);
        t.learn(&bundle(&org_key(), &ben, 1, vec![device(PHONE, 1)], vec![]))
            .unwrap();
        assert!(t.check_device(BEN, PHONE, &[1; 32]).is_ok());
        assert!(matches!(
            t.check_device(BEN, PHONE, &[5; 32]),
            Err(ClientError::UntrustedDevice { .. })
        ));
        assert!(matches!(
            t.check_device(BEN, LAPTOP, &[2; 32]),
            Err(ClientError::UntrustedDevice { .. })
        ));
        assert!(matches!(
            t.check_device(PersonId(uuid::Uuid::from_u128(9)), PHONE, &[1; 32]),
            Err(ClientError::NeedIdentities(_))
        ));
    }

    #[test]
    fn a_retired_device_stays_authentic_for_what_it_did_but_is_no_longer_trusted() {
        let mut t = trust();
        let ben = SecretKey([1; 32]);
        let list = bundle(
            &org_key(),
            &ben,
            3,
            vec![device(PHONE, 1)],
            vec![device(LAPTOP, 2)],
        );
        t.learn(&list).unwrap();
        assert!(t.check_device_once_listed(BEN, LAPTOP, &[2; 32]).is_ok());
        assert!(t.check_device_once_listed(BEN, LAPTOP, &[6; 32]).is_err());
        assert!(t.check_device(BEN, LAPTOP, &[2; 32]).is_err());
    }
}
