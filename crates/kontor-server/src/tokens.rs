//! Secrets handed to people and programs: session tokens, invitation codes, the operator token.
//!
//! Only hashes are stored. Each kind of secret is hashed under its own domain-separation label,
//! so that a value of one kind can never be presented as another.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Labels that separate the hash domains.
pub mod label {
    pub const SESSION: &str = "kontor/v1/session-token";
    pub const INVITATION: &str = "kontor/v1/invitation-code";
    pub const OPERATOR: &str = "kontor/v1/operator-token";
    pub const SETUP: &str = "kontor/v1/setup-code";
    pub const DEVICE_CREDENTIAL: &str = "kontor/v1/device-credential";
    /// Keys of the login limiter (addresses, accounts), so they are not kept in plain text.
    pub const LIMIT_KEY: &str = "kontor/v1/limit-key";
}

/// Compares two secrets (or their hashes) in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Hashes a secret under a domain label, hex-encoded.
pub fn hash(label: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(label.as_bytes());
    h.update([0u8]);
    h.update(secret.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn random_b64(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A new opaque session token (256 random bits).
pub fn new_session_token() -> String {
    random_b64("kst_")
}

/// A new device credential for later logins (256 random bits).
pub fn new_device_secret() -> String {
    random_b64("kdc_")
}

/// A new operator token (256 random bits).
pub fn new_operator_token() -> String {
    random_b64("kop_")
}

/// Crockford's base32 alphabet: no I, L, O or U, so codes survive being read aloud.
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new invitation code: 16 symbols (80 random bits) in four groups, e.g. `K7QX-3MHD-9TZA-W2PE`.
pub fn new_invitation_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(ALPHABET[rng.gen_range(0..ALPHABET.len())] as char);
    }
    out
}

/// Normalises a typed invitation code (case, spaces, dashes, look-alike letters); `None` if it
/// cannot be one.
pub fn normalize_invitation_code(input: &str) -> Option<String> {
    let mut out = String::with_capacity(16);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        out.push(c);
    }
    (out.len() == 16).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_codes_normalise() {
        let code = new_invitation_code();
        assert_eq!(code.len(), 19);
        let norm = normalize_invitation_code(&code).unwrap();
        assert_eq!(
            normalize_invitation_code(&code.to_lowercase()),
            Some(norm.clone())
        );
        assert_eq!(
            normalize_invitation_code(&code.replace('-', " ")),
            Some(norm)
        );
        assert_eq!(normalize_invitation_code("abc"), None);
        assert_eq!(normalize_invitation_code("ÄÄÄÄ-ÄÄÄÄ-ÄÄÄÄ-ÄÄÄÄ"), None);
    }

    #[test]
    fn labels_separate_domains() {
        assert_ne!(hash(label::SESSION, "x"), hash(label::INVITATION, "x"));
        assert_eq!(hash(label::SESSION, "x").len(), 64);
        assert_ne!(new_session_token(), new_session_token());
    }
}
