//! A person's identity key, a device's own keys, device lists, the recovery key, device-link
//! sealing and safety numbers.
//!
//! Every key has one purpose: the identity key signs device lists only; a device's MLS
//! signature key signs MLS messages only; its transcript key signs payload envelopes only.
//! Every signature is over a domain-separation label (see [`kontor_proto::identity::label`]).

use crate::error::{ClientError, Result};
use crate::mls::{CIPHERSUITE, Provider};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use kontor_proto::identity::{
    DeviceKeys, DeviceList, MembershipCertificate, SignedDeviceList, label,
};
use kontor_proto::{Bytes, PersonId};
use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls_traits::crypto::OpenMlsCrypto;
use openmls_traits::types::HpkeCiphertext;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An Ed25519 secret key, kept as its 32 seed bytes.
#[derive(Clone, Serialize, Deserialize)]
pub struct SecretKey(pub [u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    pub fn generate(provider: &Provider) -> Result<Self> {
        Ok(SecretKey(provider.random::<32>()?))
    }
    pub fn signing(&self) -> SigningKey {
        SigningKey::from_bytes(&self.0)
    }
    pub fn public(&self) -> Vec<u8> {
        self.signing().verifying_key().to_bytes().to_vec()
    }
    pub fn sign(&self, label_and_content: &[u8]) -> Bytes {
        Bytes(self.signing().sign(label_and_content).to_bytes().to_vec())
    }
}

/// Verifies an Ed25519 signature by a 32-byte public key.
pub fn verify(public: &[u8], signed: &[u8], signature: &[u8], what: &'static str) -> Result<()> {
    let key: [u8; 32] = public
        .try_into()
        .map_err(|_| ClientError::BadSignature(what))?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| ClientError::BadSignature(what))?;
    let sig = Signature::from_slice(signature).map_err(|_| ClientError::BadSignature(what))?;
    key.verify_strict(signed, &sig)
        .map_err(|_| ClientError::BadSignature(what))
}

/// Signs a device list with the identity key.
pub fn sign_device_list(identity: &SecretKey, list: DeviceList) -> SignedDeviceList {
    let signature = identity.sign(&list.signed_bytes());
    SignedDeviceList { list, signature }
}

/// Checks a device list's signature by the identity key it names.
pub fn verify_device_list(signed: &SignedDeviceList) -> Result<()> {
    verify(
        signed.list.identity_key.as_slice(),
        &signed.list.signed_bytes(),
        signed.signature.as_slice(),
        "device list",
    )
}

/// Checks a membership certificate against the organisation's pinned key.
pub fn verify_membership(cert: &MembershipCertificate, org_key: &[u8]) -> Result<()> {
    verify(
        org_key,
        &cert.membership.signed_bytes(),
        cert.signature.as_slice(),
        "membership certificate",
    )
}

// --- sealing (HPKE, ciphersuite 0x0001's KEM/KDF/AEAD) ---------------------------------------

/// Seals `plaintext` to an X25519 public key. `info` names the purpose.
pub fn seal(provider: &Provider, public: &[u8], info: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
    let ct = provider
        .crypto_ref()
        .hpke_seal(CIPHERSUITE.hpke_config(), public, info, &[], plaintext)
        .map_err(|_| ClientError::Crypto("seal"))?;
    ct.tls_serialize_detached()
        .map_err(|_| ClientError::Crypto("seal"))
}

/// Opens what [`seal`] sealed.
pub fn open(provider: &Provider, private: &[u8], info: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
    let ct =
        HpkeCiphertext::tls_deserialize_exact(sealed).map_err(|_| ClientError::Crypto("open"))?;
    provider
        .crypto_ref()
        .hpke_open(CIPHERSUITE.hpke_config(), &ct, private, info, &[])
        .map_err(|_| ClientError::Crypto("open"))
}

/// An X25519 key pair `(private, public)` derived from 32 secret bytes.
pub fn hpke_keypair(provider: &Provider, ikm: &[u8]) -> Result<(Vec<u8>, Vec<u8>)> {
    let kp = provider
        .crypto_ref()
        .derive_hpke_keypair(CIPHERSUITE.hpke_config(), ikm)
        .map_err(|_| ClientError::Crypto("derive key"))?;
    Ok((kp.private.as_ref().to_vec(), kp.public))
}

// --- recovery key --------------------------------------------------------------------------

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 32 random bytes, shown once to the person as 13 groups of 4 characters (Crockford base32).
/// With it, a new device opens the identity key sealed on the server.
#[derive(Clone)]
pub struct RecoveryKey(pub [u8; 32]);

impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryKey(..)")
    }
}

impl RecoveryKey {
    pub fn generate(provider: &Provider) -> Result<Self> {
        Ok(RecoveryKey(provider.random::<32>()?))
    }

    /// The printed form, e.g. `7K2M-…`.
    pub fn display(&self) -> String {
        let mut bits: u64 = 0;
        let mut n = 0;
        let mut chars = Vec::new();
        for b in self.0 {
            bits = (bits << 8) | u64::from(b);
            n += 8;
            while n >= 5 {
                n -= 5;
                chars.push(ALPHABET[((bits >> n) & 31) as usize]);
            }
        }
        if n > 0 {
            chars.push(ALPHABET[((bits << (5 - n)) & 31) as usize]);
        }
        chars
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Parses the printed form; case, dashes and spaces do not matter, O/I/L read as 0/1/1.
    pub fn parse(s: &str) -> Result<Self> {
        let mut bits: u64 = 0;
        let mut n = 0;
        let mut out = Vec::with_capacity(33);
        for c in s.chars().filter(|c| !matches!(c, '-' | ' ')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let v = ALPHABET
                .iter()
                .position(|a| *a as char == c)
                .ok_or(ClientError::BadRecoveryKey)?;
            bits = (bits << 5) | v as u64;
            n += 5;
            if n >= 8 {
                n -= 8;
                out.push((bits >> n) as u8);
            }
        }
        let key: [u8; 32] = out
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .ok_or(ClientError::BadRecoveryKey)?;
        // 52 characters carry 260 bits: the last 4 are padding, zero in every key printed.
        if out.len() != 32 || n != 4 || bits & 0xF != 0 {
            return Err(ClientError::BadRecoveryKey);
        }
        Ok(RecoveryKey(key))
    }

    fn keypair(&self, provider: &Provider) -> Result<(Vec<u8>, Vec<u8>)> {
        let mut ikm = label::RECOVERY.to_vec();
        ikm.extend_from_slice(&self.0);
        hpke_keypair(provider, &ikm)
    }

    /// Seals the identity secret so that only this recovery key opens it.
    pub fn seal_identity(&self, provider: &Provider, identity: &SecretKey) -> Result<Vec<u8>> {
        let (_, public) = self.keypair(provider)?;
        seal(provider, &public, label::RECOVERY, &identity.0)
    }

    /// Opens the sealed identity secret.
    pub fn open_identity(&self, provider: &Provider, sealed: &[u8]) -> Result<SecretKey> {
        let (private, _) = self.keypair(provider)?;
        let secret = open(provider, &private, label::RECOVERY, sealed)
            .map_err(|_| ClientError::BadRecoveryKey)?;
        Ok(SecretKey(
            secret.try_into().map_err(|_| ClientError::BadRecoveryKey)?,
        ))
    }
}

// --- device links --------------------------------------------------------------------------

/// The code both devices show for a link request: the person compares them, so a server that
/// swapped the new device's keys is caught. 20 characters (100 bits) of a hash of the keys:
/// long enough that a server cannot search for other keys with the same code (a short code
/// would need a commit-and-reveal exchange first).
pub fn link_code(keys: &DeviceKeys, ephemeral_key: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(label::LINK_CODE);
    h.update(serde_json::to_vec(keys).unwrap_or_default());
    h.update(ephemeral_key);
    let d = h.finalize();
    let mut bits: u128 = 0;
    for b in &d[..13] {
        bits = (bits << 8) | u128::from(*b);
    }
    // 104 bits read; the top 100 become 20 characters of 5 bits.
    let chars: Vec<u8> = (0..20)
        .map(|i| ALPHABET[((bits >> (99 - 5 * i)) & 31) as usize])
        .collect();
    chars
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed link code in its canonical form (case, dashes and spaces do not matter).
pub fn normalize_code(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

// --- safety numbers ------------------------------------------------------------------------

fn fingerprint(user: PersonId, identity_key: &[u8]) -> [u8; 32] {
    let mut digest: [u8; 32] = {
        let mut h = Sha256::new();
        h.update(label::SAFETY_NUMBER);
        h.update(user.0.as_bytes());
        h.update(identity_key);
        h.finalize().into()
    };
    // Stretch, so that finding a key with a similar-looking number is expensive.
    for _ in 0..5200 {
        let mut h = Sha256::new();
        h.update(digest);
        h.update(identity_key);
        digest = h.finalize().into();
    }
    digest
}

fn digits(fp: &[u8; 32]) -> String {
    (0..6)
        .map(|i| {
            let chunk = &fp[i * 5..i * 5 + 5];
            let v = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) % 100_000;
            format!("{v:05}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The safety number of two people: 12 groups of 5 digits, the same on both sides. If both
/// read the same number, no server sits between their identity keys.
pub fn safety_number(a: (PersonId, &[u8]), b: (PersonId, &[u8])) -> String {
    let (first, second) = if a.0 <= b.0 { (a, b) } else { (b, a) };
    format!(
        "{} {}",
        digits(&fingerprint(first.0, first.1)),
        digits(&fingerprint(second.0, second.1))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_key_round_trips_and_opens_only_its_seal() {
        let p = Provider::default();
        let key = RecoveryKey::generate(&p).unwrap();
        let printed = key.display();
        assert_eq!(printed.len(), 52 + 12);
        let parsed = RecoveryKey::parse(&printed.to_lowercase()).unwrap();
        assert_eq!(parsed.0, key.0);
        let identity = SecretKey::generate(&p).unwrap();
        let sealed = key.seal_identity(&p, &identity).unwrap();
        assert_eq!(key.open_identity(&p, &sealed).unwrap().0, identity.0);
        let other = RecoveryKey::generate(&p).unwrap();
        assert!(matches!(
            other.open_identity(&p, &sealed),
            Err(ClientError::BadRecoveryKey)
        ));
        assert!(RecoveryKey::parse("ABCD-EFGH").is_err());
        // The last character carries 1 bit of the key and 4 of padding: only one spelling.
        let chars: Vec<char> = printed.chars().collect();
        let last = chars.len() - 1;
        let same_key = ALPHABET
            .iter()
            .map(|c| *c as char)
            .filter(|c| *c != chars[last])
            .filter_map(|c| {
                let mut v = chars.clone();
                v[last] = c;
                RecoveryKey::parse(&v.into_iter().collect::<String>()).ok()
            })
            .any(|k| k.0 == key.0);
        assert!(!same_key, "no second spelling of the same key");
    }

    #[test]
    fn safety_numbers_agree_on_both_sides_and_differ_per_key() {
        let a = PersonId(uuid::Uuid::from_u128(1));
        let b = PersonId(uuid::Uuid::from_u128(2));
        let n1 = safety_number((a, &[1; 32]), (b, &[2; 32]));
        let n2 = safety_number((b, &[2; 32]), (a, &[1; 32]));
        assert_eq!(n1, n2);
        assert_eq!(n1.split(' ').count(), 12);
        assert_ne!(n1, safety_number((a, &[1; 32]), (b, &[3; 32])));
    }

    #[test]
    fn device_list_signature_is_bound_to_its_content() {
        let p = Provider::default();
        let id = SecretKey::generate(&p).unwrap();
        let list = DeviceList {
            org_id: kontor_proto::OrgId(uuid::Uuid::from_u128(9)),
            person_id: PersonId(uuid::Uuid::from_u128(1)),
            identity_key: Bytes(id.public()),
            version: 1,
            devices: vec![],
            retired: vec![],
        };
        let mut signed = sign_device_list(&id, list);
        verify_device_list(&signed).unwrap();
        signed.list.version = 2;
        assert!(verify_device_list(&signed).is_err());
    }
}
