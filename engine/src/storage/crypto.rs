//! Secrets at rest: XChaCha20-Poly1305 under the instance's secret key.
//!
//! Every sealed value is bound (as associated data) to where it lives, e.g. the account id and the
//! column, so a ciphertext copied into another row or column fails to open.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroize;

const KEY_LEN: usize = 32;
const FORMAT_V1: u8 = 1;
const NONCE_LEN: usize = 24;

/// The 32-byte instance key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl SecretKey {
    /// Accepts 32 bytes written as base64 (standard or URL-safe) or as 64 hex digits.
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let text = text.trim();
        let mut bytes = if text.len() == KEY_LEN * 2 && text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            decode_hex(text)
        } else {
            STANDARD
                .decode(text)
                .or_else(|_| URL_SAFE.decode(text))
                .map_err(|_| "expected 32 bytes as base64 or 64 hex digits".to_owned())?
        };
        if bytes.len() != KEY_LEN {
            let len = bytes.len();
            bytes.zeroize();
            return Err(format!("expected 32 bytes, got {len}"));
        }
        let mut key = [0u8; KEY_LEN];
        key.copy_from_slice(&bytes);
        bytes.zeroize();
        Ok(SecretKey(key))
    }

    pub fn generate() -> SecretKey {
        let mut key = [0u8; KEY_LEN];
        OsRng.fill_bytes(&mut key);
        SecretKey(key)
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Reads the key file, or creates it (readable by the owner only) when it does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                return SecretKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot read {}: {err}", path.display()))
            }
            Err(_) => {}
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let key = SecretKey::generate();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                writeln!(file, "{}", key.to_base64())
                    .and_then(|_| file.sync_all())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                tracing::info!(path = %path.display(), "generated a new secret key; back it up with the database");
                Ok(key)
            }
            // Another process created it first: use theirs.
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                SecretKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
            }
            Err(err) => Err(format!("cannot create {}: {err}", path.display())),
        }
    }
}

fn decode_hex(text: &str) -> Vec<u8> {
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).expect("checked ascii hex");
            u8::from_str_radix(digits, 16).expect("checked ascii hex")
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value does not open with this key and context")]
    Unauthentic,
}

/// Seals and opens secrets with the instance key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// For deriving other keys from the instance key (never used to encrypt directly).
    derivation_base: [u8; 32],
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: &SecretKey) -> SecretBox {
        use sha2::{Digest, Sha256};
        SecretBox {
            cipher: XChaCha20Poly1305::new((&key.0).into()),
            derivation_base: Sha256::digest([b"plugboard derivation:".as_slice(), &key.0].concat())
                .into(),
        }
    }

    /// A 32-byte key for another purpose, derived from the instance key: stable across restarts,
    /// different for every purpose, and revealing nothing about the instance key.
    pub fn derive_key(&self, purpose: &str) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        Sha256::digest([self.derivation_base.as_slice(), purpose.as_bytes()].concat()).into()
    }

    /// Encrypts `secret`, bound to `context` (for example `"account:<id>:access_token"`).
    pub fn seal(&self, secret: &SecretString, context: &str) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers");
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    pub fn open(&self, sealed: &[u8], context: &str) -> Result<SecretString, CryptoError> {
        let (&version, rest) = sealed.split_first().ok_or(CryptoError::Malformed)?;
        if version != FORMAT_V1 || rest.len() < NONCE_LEN {
            return Err(CryptoError::Malformed);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let mut plaintext = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| CryptoError::Unauthentic)?;
        let text = String::from_utf8(std::mem::take(&mut plaintext));
        plaintext.zeroize();
        text.map(SecretString::from).map_err(|err| {
            let mut bytes = err.into_bytes();
            bytes.zeroize();
            CryptoError::Malformed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn sealed_values_open_with_the_same_key_and_context() {
        let sbox = SecretBox::new(&SecretKey::generate());
        let sealed = sbox.seal(&secret("ya29.token"), "account:1:access_token");
        let opened = sbox.open(&sealed, "account:1:access_token").unwrap();
        assert_eq!(opened.expose_secret(), "ya29.token");
    }

    #[test]
    fn ciphertext_does_not_contain_the_plaintext() {
        let sbox = SecretBox::new(&SecretKey::generate());
        let sealed = sbox.seal(&secret("plaintext-token-value"), "ctx");
        assert!(!sealed
            .windows(b"plaintext".len())
            .any(|w| w == b"plaintext"));
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let sbox = SecretBox::new(&SecretKey::generate());
        assert_ne!(sbox.seal(&secret("t"), "c"), sbox.seal(&secret("t"), "c"));
    }

    #[test]
    fn another_context_or_key_or_a_flipped_bit_fails() {
        let sbox = SecretBox::new(&SecretKey::generate());
        let sealed = sbox.seal(&secret("token"), "account:1:access_token");
        assert_eq!(
            sbox.open(&sealed, "account:2:access_token").unwrap_err(),
            CryptoError::Unauthentic
        );
        let other = SecretBox::new(&SecretKey::generate());
        assert_eq!(
            other.open(&sealed, "account:1:access_token").unwrap_err(),
            CryptoError::Unauthentic
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(
            sbox.open(&tampered, "account:1:access_token").unwrap_err(),
            CryptoError::Unauthentic
        );
        assert_eq!(sbox.open(&[], "c").unwrap_err(), CryptoError::Malformed);
        assert_eq!(
            sbox.open(&[2, 0, 0], "c").unwrap_err(),
            CryptoError::Malformed
        );
    }

    #[test]
    fn derived_keys_are_stable_and_distinct() {
        let key = SecretKey::generate();
        let a = SecretBox::new(&key);
        let b = SecretBox::new(&key);
        assert_eq!(a.derive_key("sandbox"), b.derive_key("sandbox"));
        assert_ne!(a.derive_key("sandbox"), a.derive_key("webhooks"));
        assert_ne!(
            a.derive_key("sandbox"),
            SecretBox::new(&SecretKey::generate()).derive_key("sandbox")
        );
    }

    #[test]
    fn keys_parse_from_base64_and_hex_and_reject_other_lengths() {
        let key = SecretKey::generate();
        assert!(SecretKey::parse(&key.to_base64()).is_ok());
        assert!(SecretKey::parse(&"ab".repeat(32)).is_ok());
        assert!(SecretKey::parse("c2hvcnQ=")
            .unwrap_err()
            .contains("32 bytes"));
        assert!(SecretKey::parse("not base64 at all!").is_err());
        assert_eq!(format!("{key:?}"), "SecretKey(..)");
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/secret.key");
        let first = SecretKey::load_or_create(&path).unwrap();
        let second = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(first.to_base64(), second.to_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_corrupt_key_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        std::fs::write(&path, "garbage").unwrap();
        let err = SecretKey::load_or_create(&path).unwrap_err();
        assert!(err.contains("secret.key"), "{err}");
    }
}
