//! Passwords: argon2id hashes and the rules a new password must meet.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use kontor_proto::ErrorCode;

pub const MIN_LEN: usize = 10;
pub const MAX_LEN: usize = 256;

/// Cost parameters of argon2id. The default is OWASP's recommendation (19 MiB, 2 passes).
#[derive(Clone, Copy, Debug)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        HashCost {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

fn argon2(cost: HashCost) -> Argon2<'static> {
    let params =
        Params::new(cost.memory_kib.max(8), cost.iterations.max(1), 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (blocking: call from `spawn_blocking`).
pub fn hash(password: &str, cost: HashCost) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Ok(argon2(cost)
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against a stored hash (blocking). The parameters come from the hash.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, to spend the same time when an account does not exist.
pub fn dummy_hash(cost: HashCost) -> String {
    hash("kontor-no-such-account-placeholder", cost).unwrap_or_default()
}

static COMMON: &str = include_str!("common_passwords.txt");

/// Whether the rules accept a new password; the error code says why not.
pub fn check_new(password: &str, context: &[&str]) -> Result<(), ErrorCode> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(ErrorCode::PasswordTooShort);
    }
    if len > MAX_LEN {
        return Err(ErrorCode::PasswordTooLong);
    }
    let lower = password.to_lowercase();
    // The core with trailing digits and symbols removed: "Sommer2024!" → "sommer".
    let core = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    let core = core.trim_start_matches(|c: char| !c.is_alphabetic());
    let distinct: std::collections::BTreeSet<char> = lower.chars().collect();
    if distinct.len() <= 3 {
        return Err(ErrorCode::PasswordTooCommon);
    }
    let is_common = |w: &str| COMMON.lines().any(|c| c == w);
    if is_common(&lower) || (core.chars().count() >= 4 && is_common(core)) {
        return Err(ErrorCode::PasswordTooCommon);
    }
    if is_sequence(&lower) {
        return Err(ErrorCode::PasswordTooCommon);
    }
    // Not the person's own e-mail name or the organisation's name.
    for c in context {
        let c = c.to_lowercase();
        if c.chars().count() >= 4 {
            let rest: usize = lower
                .replace(&c, "")
                .chars()
                .filter(|ch| ch.is_alphanumeric())
                .count();
            if lower == c || core == c || rest < 6 {
                return Err(ErrorCode::PasswordTooCommon);
            }
        }
    }
    Ok(())
}

/// Keyboard rows and counting runs: "1234567890", "qwertzuiop", "abcdefghij".
fn is_sequence(p: &str) -> bool {
    const RUNS: &[&str] = &[
        "01234567890123456789",
        "98765432109876543210",
        "abcdefghijklmnopqrstuvwxyz",
        "qwertyuiopasdfghjklzxcvbnm",
        "qwertzuiopasdfghjklyxcvbnm",
        "azertyuiopqsdfghjklmwxcvbn",
    ];
    RUNS.iter().any(|run| run.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(check_new("kurz", &[]), Err(ErrorCode::PasswordTooShort));
        assert_eq!(
            check_new("password123", &[]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(
            check_new("Passwort2024!", &[]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(
            check_new("1234567890", &[]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(
            check_new("qwertzuiop", &[]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(
            check_new("aaaaaaaaaaaa", &[]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(
            check_new("sonnenschein", &[]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(
            check_new("anna.schmidt99", &["anna.schmidt"]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(
            check_new("anna-anna-2025", &["anna"]),
            Err(ErrorCode::PasswordTooCommon)
        );
        assert_eq!(check_new("anna.praxis.example", &["anna"]), Ok(()));
        assert_eq!(check_new("Lindenblüte-Kaffeetasse-7", &[]), Ok(()));
        assert_eq!(
            check_new(&"x".repeat(300), &[]),
            Err(ErrorCode::PasswordTooLong)
        );
    }

    #[test]
    fn hash_and_verify() {
        let cost = HashCost {
            memory_kib: 64,
            iterations: 1,
        };
        let h = hash("Lindenblüte-Kaffeetasse-7", cost).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Lindenblüte-Kaffeetasse-7", &h));
        assert!(!verify("wrong", &h));
        assert!(!verify("x", "not a hash"));
    }
}
