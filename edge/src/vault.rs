//! Secrets a site stores with us (its model key, its bot's signing secrets) are kept
//! encrypted under the deployment's `SECRETS_KEY`: AES-256-GCM with a random nonce, bound to
//! the site and the secret's name, so a copy of a Site object's storage reveals none of them
//! and one site's ciphertext cannot be moved into another's place.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use worker::Env;

/// The binding's name, and the shortest value accepted.
pub const BINDING: &str = "SECRETS_KEY";
const MIN_KEY_CHARS: usize = 32;
const VERSION: &str = "v1";

pub struct Vault {
    cipher: Aes256Gcm,
}

#[derive(Debug)]
pub enum VaultError {
    /// The deployment has no usable `SECRETS_KEY`.
    NoKey,
    /// The stored value was not made by this key for this place.
    Undecryptable,
}

impl std::fmt::Display for VaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VaultError::NoKey => {
                write!(f, "the deployment has no {BINDING} of {MIN_KEY_CHARS}+ characters")
            }
            VaultError::Undecryptable => write!(f, "a stored secret could not be decrypted"),
        }
    }
}

impl Vault {
    pub fn from_env(env: &Env) -> Result<Vault, VaultError> {
        let raw = env.secret(BINDING).map(|s| s.to_string()).map_err(|_| VaultError::NoKey)?;
        Self::from_key(&raw)
    }

    /// The key is SHA-256 of the configured string: any 32+ character secret will do.
    pub fn from_key(raw: &str) -> Result<Vault, VaultError> {
        if raw.trim().chars().count() < MIN_KEY_CHARS {
            return Err(VaultError::NoKey);
        }
        let key = Sha256::digest(raw.trim().as_bytes());
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| VaultError::NoKey)?;
        Ok(Vault { cipher })
    }

    /// `v1:BASE64(nonce):BASE64(ciphertext)`; `place` (site and name) must match on opening.
    pub fn seal(&self, place: &str, plain: &str) -> worker::Result<String> {
        let nonce = crate::crypto::random_bytes::<12>()?;
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload { msg: plain.as_bytes(), aad: place.as_bytes() },
            )
            .map_err(|_| worker::Error::RustError("encryption failed".into()))?;
        Ok(format!("{VERSION}:{}:{}", STANDARD.encode(nonce), STANDARD.encode(sealed)))
    }

    pub fn open(&self, place: &str, stored: &str) -> Result<String, VaultError> {
        let mut parts = stored.split(':');
        let (Some(VERSION), Some(nonce), Some(sealed), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VaultError::Undecryptable);
        };
        let nonce = STANDARD.decode(nonce).map_err(|_| VaultError::Undecryptable)?;
        let sealed = STANDARD.decode(sealed).map_err(|_| VaultError::Undecryptable)?;
        if nonce.len() != 12 {
            return Err(VaultError::Undecryptable);
        }
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &sealed, aad: place.as_bytes() })
            .map_err(|_| VaultError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| VaultError::Undecryptable)
    }
}
