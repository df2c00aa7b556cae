//! Password policy and hashing (Argon2id with the argon2 crate's default, OWASP-recommended cost).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub const MIN_LENGTH: usize = 10;
/// Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
pub const MAX_LENGTH: usize = 256;
/// zxcvbn's scale runs 0..=4; 3 is "safely unguessable" against online and slow offline attacks.
const MIN_STRENGTH: zxcvbn::Score = zxcvbn::Score::Three;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("Use at least {MIN_LENGTH} characters.")]
    TooShort,
    #[error("Use at most {MAX_LENGTH} characters.")]
    TooLong,
    #[error("This password is too easy to guess. {hint}")]
    Guessable { hint: String },
}

/// Checks a new password. The email is passed so that passwords built from it are refused.
pub fn check_strength(password: &str, email: &str) -> Result<(), WeakPassword> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(WeakPassword::TooShort);
    }
    if password.len() > MAX_LENGTH {
        return Err(WeakPassword::TooLong);
    }
    let local_part = email.split('@').next().unwrap_or_default();
    let estimate = zxcvbn::zxcvbn(password, &[email, local_part, "plugboard"]);
    if estimate.score() < MIN_STRENGTH {
        let hint = estimate
            .feedback()
            .and_then(|feedback| {
                feedback
                    .warning()
                    .map(|w| w.to_string())
                    .or_else(|| feedback.suggestions().first().map(|s| s.to_string()))
            })
            .unwrap_or_else(|| "Add another word or two.".to_owned());
        return Err(WeakPassword::Guessable { hint });
    }
    Ok(())
}

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2 with default parameters accepts any password of bounded length")
        .to_string()
}

pub fn verify(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of nothing anybody knows, verified against when the email is unknown so that a wrong
/// email costs the same time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&format!("{:032x}", rand::random::<u128>())))
}

/// At most this many passwords are hashed or checked at once, whatever arrives: a burst of
/// sign-ins queues here instead of taking every core (each hash costs about 19 MiB and tens of
/// milliseconds by design).
const HASHING_AT_ONCE: usize = 2;

static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_AT_ONCE);

/// Runs CPU-heavy password work off the async runtime's worker threads, a few at a time.
async fn off_the_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _permit = HASHING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("password work does not panic")
}

pub async fn hash_blocking(password: String) -> String {
    off_the_runtime(move || hash(&password)).await
}

pub async fn verify_blocking(password: String, stored_hash: String) -> bool {
    off_the_runtime(move || verify(&password, &stored_hash)).await
}

/// [`check_strength`] off the runtime's threads (zxcvbn can take a while on a long input).
pub async fn check_strength_blocking(password: String, email: String) -> Result<(), WeakPassword> {
    if password.len() > MAX_LENGTH {
        return Err(WeakPassword::TooLong);
    }
    off_the_runtime(move || check_strength(&password, &email)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(
            check_strength("Xq9!", "a@b.co"),
            Err(WeakPassword::TooShort)
        );
    }

    #[test]
    fn very_long_passwords_are_refused() {
        let long = "correct horse ".repeat(20);
        assert_eq!(check_strength(&long, "a@b.co"), Err(WeakPassword::TooLong));
    }

    #[test]
    fn common_passwords_are_refused_with_a_hint() {
        let err = check_strength("password123", "a@b.co").unwrap_err();
        assert!(matches!(err, WeakPassword::Guessable { .. }));
        assert!(err
            .to_string()
            .starts_with("This password is too easy to guess."));
    }

    #[test]
    fn passwords_made_of_the_email_are_refused() {
        assert!(check_strength("ada.lovelace1", "ada.lovelace@example.com").is_err());
    }

    #[test]
    fn passphrases_are_accepted() {
        assert_eq!(
            check_strength("violet tractor humming seaside", "a@b.co"),
            Ok(())
        );
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hashed = hash("violet tractor humming seaside");
        assert!(hashed.starts_with("$argon2id$"));
        assert!(verify("violet tractor humming seaside", &hashed));
        assert!(!verify("violet tractor humming seasidE", &hashed));
        assert!(!verify("anything", "not a hash"));
    }
}
