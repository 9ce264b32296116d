//! The organisations' signing keys, sealed so that a plain database dump does not hold them.
//!
//! The secret halves in `org_keys` are sealed (ChaCha20-Poly1305, bound to organisation and
//! purpose) under a key kept beside the database in the data directory, `org-keys.key`
//! (0600, made on first start). A dump or a PostgreSQL replica alone signs nothing; a backup
//! needs that file too, and every node of a scale-out deployment the same file. Keys that an
//! older version stored in plain text are sealed at the next start.

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::StoreError;
use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use ed25519_dalek::SigningKey;
use kontor_proto::OrgId;
use rand::RngCore;
use std::path::{Path, PathBuf};

const AAD_LABEL: &[u8] = b"kontor/v1/org-key-seal\0";
const NONCE_LEN: usize = 12;

/// The file in the data directory that holds the sealing key.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("org-keys.key")
}

/// The key that seals the organisations' signing keys.
#[derive(Clone)]
pub struct OrgKeySeal {
    cipher: ChaCha20Poly1305,
}

impl std::fmt::Debug for OrgKeySeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrgKeySeal(..)")
    }
}

fn aad(org: OrgId, purpose: &str) -> Vec<u8> {
    let mut a = AAD_LABEL.to_vec();
    a.extend_from_slice(org.0.as_bytes());
    a.extend_from_slice(purpose.as_bytes());
    a
}

impl OrgKeySeal {
    /// Reads the key from the data directory, making it (readable only by this user) on first
    /// start.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<OrgKeySeal> {
        let path = key_path(data_dir);
        let key = match std::fs::read(&path) {
            Ok(bytes) => {
                anyhow::ensure!(
                    bytes.len() == 32,
                    "{} is damaged (not 32 bytes); restore it from the backup of the data directory",
                    path.display()
                );
                bytes
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                use std::io::Write;
                let mut f = options
                    .open(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                f.write_all(&key)?;
                f.sync_all()?;
                key
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let cipher = ChaCha20Poly1305::new_from_slice(&key)
            .map_err(|_| anyhow::anyhow!("{} is damaged", path.display()))?;
        Ok(OrgKeySeal { cipher })
    }

    /// Seals a secret key of `org` for `purpose`: nonce ‖ ciphertext.
    pub fn seal(&self, org: OrgId, purpose: &str, secret: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = aad(org, purpose);
        // Encrypting a few bytes in memory cannot fail.
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`OrgKeySeal::seal`] sealed for the same organisation and purpose.
    pub fn open(&self, org: OrgId, purpose: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let aad = aad(org, purpose);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .ok()
    }
}

/// Seals every key an older version stored in plain text, each in its own transaction.
pub async fn seal_plain_keys(store: &crate::store::Store, seal: &OrgKeySeal) -> anyhow::Result<()> {
    let plain = store.plain_org_keys().await?;
    for (org, purpose, secret) in &plain {
        store
            .seal_org_key(*org, purpose, &seal.seal(*org, purpose, secret), secret)
            .await?;
    }
    if !plain.is_empty() {
        tracing::info!(
            keys = plain.len(),
            "sealed organisation keys stored in plain text"
        );
    }
    Ok(())
}

/// What an organisation key is for: each purpose has its own key.
pub(crate) mod purpose {
    /// Signs membership certificates.
    pub const MEMBERSHIP: &str = "membership";
    /// Signs the delivery service's MLS proposals as the groups' external sender.
    pub const EXTERNAL_SENDER: &str = "external_sender";
}

/// The organisation's signing key for membership certificates, made on first use.
pub(crate) async fn org_signing_key(state: &AppState, org: OrgId) -> Result<SigningKey, ApiError> {
    org_key(state, org, purpose::MEMBERSHIP).await
}

/// The organisation's key for one purpose, made on first use; stored sealed (see
/// [`crate::org_keys`]).
pub(crate) async fn org_key(
    state: &AppState,
    org: OrgId,
    purpose: &str,
) -> Result<SigningKey, ApiError> {
    let seal = state.org_key_seal();
    let (_, stored, sealed) = state
        .store()
        .org_key_pair(
            org,
            purpose,
            || {
                let key = SigningKey::generate(&mut rand::rngs::OsRng);
                (
                    key.verifying_key().to_bytes().to_vec(),
                    seal.seal(org, purpose, &key.to_bytes()),
                )
            },
            state.now(),
        )
        .await?;
    let secret = if sealed {
        seal.open(org, purpose, &stored).ok_or_else(|| {
            tracing::error!(org = %org, purpose, "an organisation key does not open with org-keys.key");
            ApiError::internal()
        })?
    } else {
        stored
    };
    let secret: [u8; 32] = secret
        .try_into()
        .map_err(|_| ApiError::from(StoreError::Corrupt("secret_key")))?;
    Ok(SigningKey::from_bytes(&secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_for_its_organisation_and_purpose() {
        let dir = tempfile::tempdir().unwrap();
        let seal = OrgKeySeal::load_or_create(dir.path()).unwrap();
        let org = OrgId(uuid::Uuid::from_u128(1));
        let sealed = seal.seal(org, "membership", b"secret");
        assert_eq!(seal.open(org, "membership", &sealed).unwrap(), b"secret");
        assert!(seal.open(org, "external_sender", &sealed).is_none());
        assert!(
            seal.open(OrgId(uuid::Uuid::from_u128(2)), "membership", &sealed)
                .is_none()
        );
        let again = OrgKeySeal::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(org, "membership", &sealed).unwrap(), b"secret");
    }
}
