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
use kontor_proto::{DeviceId, UserId};
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
    pub people: BTreeMap<UserId, KnownPerson>,
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
        let user = cert.membership.user_id;
        if list.list.user_id != user
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
    pub fn pin_own(&mut self, user: UserId, list: &SignedDeviceList) -> Result<()> {
        verify_device_list(list)?;
        if list.list.user_id != user {
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
    pub fn unknown(&self, users: impl IntoIterator<Item = UserId>) -> Vec<UserId> {
        let mut out: Vec<UserId> = users
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
        user: UserId,
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
        user: UserId,
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
    pub fn transcript_key(&self, user: UserId, device: DeviceId) -> Option<&[u8]> {
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
    pub fn name(&self, user: UserId) -> Option<&str> {
        self.people.get(&user).map(|p| p.display_name.as_str())
    }
}
