//! Credentials a customer hands over for an OS intervention, and those an engineer sets and
//! gives back: held in zeroizing memory, never printed, stored only sealed by the desk's
//! keyring and bound to their row and column.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::vault::Keyring;
use crate::Refused;

/// The longest user name.
const MAX_USERNAME: usize = 256;
/// The longest password or private key (a 16 kB RSA key in PEM fits).
const MAX_SECRET: usize = 16 * 1024;

/// A user name with a password or an SSH private key.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The account's name.
    pub username: Zeroizing<String>,
    /// Its password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Zeroizing<String>>,
    /// Its SSH private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Credentials {
    // Which parts there are, never what they say.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &"[redacted]")
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("ssh_key", &self.ssh_key.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// What a sealed value of an intervention or an envelope is bound to: its row's random
/// reference and its column.
pub(crate) fn bound_to(table: &str, seal_ref: &str, column: &str) -> Vec<u8> {
    format!("tocsin/{table}/{seal_ref}/{column}").into_bytes()
}

/// A fresh random row reference for [`bound_to`].
pub(crate) fn seal_ref() -> Result<String, Refused> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| Refused::Unavailable(format!("no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The desk's keyring, or why secrets cannot be kept.
pub(crate) fn keyring(vault: Option<&std::sync::Arc<Keyring>>) -> Result<&Keyring, Refused> {
    vault.map(|v| &**v).ok_or_else(|| {
        Refused::Unavailable(
            "secrets are kept only sealed, and this server has no [desk] key_file".to_owned(),
        )
    })
}

impl Credentials {
    /// The credentials a form gives: the part `kind` (`password` or `ssh_key`) names, the
    /// other left out, so that a browser sending both fields is not refused for both.
    pub fn from_form(
        kind: &str,
        username: Zeroizing<String>,
        password: Zeroizing<String>,
        ssh_key: Zeroizing<String>,
    ) -> Credentials {
        let (password, ssh_key) = match kind {
            "ssh_key" => (None, Some(ssh_key)),
            _ => (Some(password), None),
        };
        Credentials {
            username,
            password,
            ssh_key,
        }
    }

    /// Checked: a user name, and a password or an SSH key but not both; `field` names them
    /// in a refusal.
    pub fn check(&self, field: &'static str) -> Result<(), Refused> {
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.username) {
            return Err(Refused::invalid(
                field,
                format!("{field}.username is empty"),
            ));
        }
        if self.username.len() > MAX_USERNAME {
            return Err(Refused::invalid(
                field,
                format!("{field}.username is longer than {MAX_USERNAME} bytes"),
            ));
        }
        let secret = match (&self.password, &self.ssh_key) {
            (Some(p), None) if !blank(p) => p,
            (None, Some(k)) if !blank(k) => k,
            (Some(_), Some(_)) => {
                return Err(Refused::invalid(
                    field,
                    format!("{field}: give a password or an ssh_key, not both"),
                ))
            }
            _ => {
                return Err(Refused::invalid(
                    field,
                    format!("{field}: a password or an ssh_key is required"),
                ))
            }
        };
        if secret.len() > MAX_SECRET {
            return Err(Refused::invalid(
                field,
                format!("{field}: the password or ssh_key is longer than {MAX_SECRET} bytes"),
            ));
        }
        Ok(())
    }

    /// Sealed under `ring`, bound to `bound`.
    pub(crate) fn seal(&self, ring: &Keyring, bound: &[u8]) -> Result<Vec<u8>, Refused> {
        // Written into a buffer large enough not to move (JSON escapes at most double a
        // control-free text; keys are ASCII), wiped when dropped.
        let size = 64
            + 2 * (self.username.len()
                + self.password.as_ref().map_or(0, |p| p.len())
                + self.ssh_key.as_ref().map_or(0, |k| k.len()));
        let mut clear = Zeroizing::new(Vec::with_capacity(size * 3));
        serde_json::to_writer(&mut *clear, self)
            .map_err(|e| Refused::Unavailable(format!("credentials not written: {e}")))?;
        ring.seal(&clear, bound)
            .map_err(|e| Refused::Unavailable(format!("credentials not sealed: {e}")))
    }

    /// The credentials sealed in `sealed`, bound to `bound`.
    pub(crate) fn open(ring: &Keyring, sealed: &[u8], bound: &[u8]) -> Result<Self, Refused> {
        let clear = ring.open(sealed, bound).map_err(|e| {
            tracing::error!(error = %e, "sealed credentials did not open");
            Refused::Unavailable(format!("the sealed credentials did not open: {e}"))
        })?;
        serde_json::from_slice(&clear).map_err(|e| {
            Refused::Unavailable(format!("the opened credentials are unreadable: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn creds(password: Option<&str>, key: Option<&str>) -> Credentials {
        Credentials {
            username: Zeroizing::new("root".to_owned()),
            password: password.map(|p| Zeroizing::new(p.to_owned())),
            ssh_key: key.map(|k| Zeroizing::new(k.to_owned())),
        }
    }

    #[test]
    fn credentials_never_print_and_seal_to_their_row_only() {
        let c = creds(Some("correct horse"), None);
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("correct horse") && !shown.contains("root"),
            "{shown}"
        );
        let ring = Keyring::new(vec![(1, Zeroizing::new([9; 32]))]).unwrap();
        let here = bound_to("interventions", "ab", "credentials");
        let sealed = c.seal(&ring, &here).unwrap();
        assert!(!sealed.windows(13).any(|w| w == b"correct horse"));
        let back = Credentials::open(&ring, &sealed, &here).unwrap();
        assert_eq!(
            back.password.as_deref().map(String::as_str),
            Some("correct horse")
        );
        let elsewhere = bound_to("interventions", "ab", "new_credentials");
        assert!(Credentials::open(&ring, &sealed, &elsewhere).is_err());
    }

    #[test]
    fn a_password_or_a_key_is_required_not_both() {
        assert!(creds(Some("p"), None).check("credentials").is_ok());
        assert!(creds(None, Some("-----BEGIN KEY-----"))
            .check("credentials")
            .is_ok());
        for (p, k, says) in [
            (None, None, "is required"),
            (Some(" "), None, "is required"),
            (Some("p"), Some("k"), "not both"),
        ] {
            let e = creds(p, k).check("credentials").unwrap_err();
            assert!(e.to_string().contains(says), "{e}");
        }
        let mut long = creds(Some("p"), None);
        long.username = Zeroizing::new("u".repeat(300));
        assert!(long
            .check("credentials")
            .unwrap_err()
            .to_string()
            .contains("username"));
    }
}
