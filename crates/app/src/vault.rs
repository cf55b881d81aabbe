//! Secrets at rest (`shared/spec/desk.md`: credentials of OS interventions, sealed
//! envelopes): sealed with XChaCha20-Poly1305 under a keyring, so a stolen database alone
//! reveals nothing. A sealed value is `1‖key id (u32, big-endian)‖nonce (24 random
//! bytes)‖ciphertext‖tag`; the associated data binds it to its row and column, so a value
//! copied to another row does not open there. The last key of the ring seals, every key
//! opens, so keys rotate by adding one. Keys and opened secrets live in zeroizing memory and
//! never print.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// The layout's version.
const VERSION: u8 = 1;
const NONCE: usize = 24;
const HEADER: usize = 1 + 4 + NONCE;
/// The bytes of a key.
pub const KEY_BYTES: usize = 32;

/// Why a sealed value did not open, or a keyring was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// Shorter than a header and a tag.
    #[error("the sealed value is truncated")]
    Truncated,
    /// Another layout.
    #[error("the sealed value has layout version {0}, this server reads 1")]
    Version(u8),
    /// Sealed under a key the ring does not hold.
    #[error("the sealed value needs key {0}, which the keyring does not hold")]
    UnknownKey(u32),
    /// Changed, or bound to another row: the tag does not check.
    #[error("the sealed value does not check: altered, or not this row's")]
    Forged,
    /// The system's random source failed.
    #[error("no randomness for a nonce: {0}")]
    Random(String),
    /// The ring is empty or names a key twice.
    #[error("keyring: {0}")]
    Ring(String),
}

/// The keys, by id; the last one seals.
pub struct Keyring {
    keys: Vec<(u32, Zeroizing<[u8; KEY_BYTES]>)>,
}

impl std::fmt::Debug for Keyring {
    // Key ids only: a key must never reach a log or a panic message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<u32> = self.keys.iter().map(|(id, _)| *id).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish()
    }
}

impl Keyring {
    /// A ring of `keys` (id, key), the last one sealing.
    pub fn new(keys: Vec<(u32, Zeroizing<[u8; KEY_BYTES]>)>) -> Result<Keyring, VaultError> {
        if keys.is_empty() {
            return Err(VaultError::Ring("no key".to_owned()));
        }
        for (i, (id, _)) in keys.iter().enumerate() {
            if keys[..i].iter().any(|(other, _)| other == id) {
                return Err(VaultError::Ring(format!("key {id} is listed twice")));
            }
        }
        Ok(Keyring { keys })
    }

    /// The id of the key that seals.
    pub fn current(&self) -> u32 {
        self.keys.last().map_or(0, |(id, _)| *id)
    }

    /// The highest key id in the ring (a new key takes the next).
    pub fn newest(&self) -> u32 {
        self.keys.iter().map(|(id, _)| *id).max().unwrap_or(0)
    }

    fn key(&self, id: u32) -> Option<&[u8; KEY_BYTES]> {
        self.keys
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, key)| &**key)
    }

    /// `secret` sealed under the current key, bound to `bound_to` (row and column).
    pub fn seal(&self, secret: &[u8], bound_to: &[u8]) -> Result<Vec<u8>, VaultError> {
        let id = self.current();
        let key = self.key(id).ok_or(VaultError::UnknownKey(id))?;
        let mut nonce = [0u8; NONCE];
        getrandom::getrandom(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
        let cipher = XChaCha20Poly1305::new(key.into());
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: bound_to,
                },
            )
            .map_err(|_| VaultError::Forged)?;
        let mut out = Vec::with_capacity(HEADER + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&id.to_be_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The secret in `sealed`, if it was sealed under one of the ring's keys for `bound_to`
    /// and not changed since.
    pub fn open(&self, sealed: &[u8], bound_to: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if sealed.len() < HEADER + 16 {
            return Err(VaultError::Truncated);
        }
        if sealed[0] != VERSION {
            return Err(VaultError::Version(sealed[0]));
        }
        let id = u32::from_be_bytes([sealed[1], sealed[2], sealed[3], sealed[4]]);
        let key = self.key(id).ok_or(VaultError::UnknownKey(id))?;
        let nonce: [u8; NONCE] = sealed[5..HEADER]
            .try_into()
            .map_err(|_| VaultError::Truncated)?;
        let cipher = XChaCha20Poly1305::new(key.into());
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed[HEADER..],
                    aad: bound_to,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| VaultError::Forged)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ring(ids: &[u32]) -> Keyring {
        Keyring::new(
            ids.iter()
                .map(|&id| (id, Zeroizing::new([id as u8; KEY_BYTES])))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_row_and_unchanged() {
        let r = ring(&[1]);
        let sealed = r.seal(b"hunter2", b"envelope:7:secret").unwrap();
        assert_eq!(
            &**r.open(&sealed, b"envelope:7:secret").unwrap(),
            b"hunter2"
        );
        // Not in clear, and a fresh nonce each time.
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_ne!(sealed, r.seal(b"hunter2", b"envelope:7:secret").unwrap());
        // Another row, a flipped bit, a cut: refused.
        assert_eq!(
            r.open(&sealed, b"envelope:8:secret"),
            Err(VaultError::Forged)
        );
        let mut flipped = sealed.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            r.open(&flipped, b"envelope:7:secret"),
            Err(VaultError::Forged)
        );
        assert_eq!(
            r.open(&sealed[..20], b"envelope:7:secret"),
            Err(VaultError::Truncated)
        );
        let mut other = sealed.clone();
        other[0] = 2;
        assert_eq!(
            r.open(&other, b"envelope:7:secret"),
            Err(VaultError::Version(2))
        );
    }

    #[test]
    fn keys_rotate_by_adding_one() {
        let old = ring(&[1]);
        let sealed = old.seal(b"s", b"row").unwrap();
        let rotated = ring(&[1, 2]);
        assert_eq!(rotated.current(), 2);
        assert_eq!(&**rotated.open(&sealed, b"row").unwrap(), b"s");
        let newer = rotated.seal(b"t", b"row").unwrap();
        assert_eq!(old.open(&newer, b"row"), Err(VaultError::UnknownKey(2)));
    }

    #[test]
    fn keys_never_print() {
        let r = ring(&[5]);
        let text = format!("{r:?}");
        assert_eq!(text, "Keyring { key_ids: [5] }");
        assert!(Keyring::new(Vec::new()).is_err());
        assert!(Keyring::new(vec![
            (1, Zeroizing::new([0; KEY_BYTES])),
            (1, Zeroizing::new([1; KEY_BYTES]))
        ])
        .is_err());
    }
}
