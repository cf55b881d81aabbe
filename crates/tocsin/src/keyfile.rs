//! `[desk] key_file`: the keyring that seals secrets at rest, one key a line as `ID BASE64`
//! (32 bytes), the last line sealing, every line opening, `#` comments allowed. Created with
//! one fresh key and mode 0600 when missing; refused when others may read it, as ssh refuses
//! a private key. Its bytes are read into zeroizing memory and never printed.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context};
use base64::Engine;
use tocsin_app::vault::{Keyring, KEY_BYTES};
use zeroize::Zeroizing;

/// The keyring in `path`, made with one new key when the file does not exist.
pub fn load_or_create(path: &Path) -> anyhow::Result<Keyring> {
    if !path.exists() {
        create(path)?;
    }
    let meta = std::fs::metadata(path).with_context(|| format!("key file {}", path.display()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "key file {}: mode {mode:04o} lets others read it; `chmod 600 {}`",
            path.display(),
            path.display()
        );
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("key file {}", path.display()))?,
    );
    parse(path, &text)
}

/// A new random key as a key file line with id `id`.
fn key_line(id: u32) -> anyhow::Result<Zeroizing<String>> {
    let mut key = Zeroizing::new([0u8; KEY_BYTES]);
    getrandom::getrandom(&mut *key).map_err(|e| anyhow::anyhow!("no randomness for a key: {e}"))?;
    Ok(Zeroizing::new(format!(
        "{id} {}\n",
        base64::engine::general_purpose::STANDARD.encode(key.as_slice())
    )))
}

/// Appends a new key to the key file at `path` (made when missing), which seals from the
/// next start on while the older keys keep opening what they sealed; answers its id.
pub fn add_key(path: &Path) -> anyhow::Result<u32> {
    let id = load_or_create(path)?.newest() + 1;
    let line = key_line(id)?;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .with_context(|| format!("key file {}", path.display()))?;
    f.write_all(line.as_bytes())?;
    f.sync_all()?;
    Ok(id)
}

fn create(path: &Path) -> anyhow::Result<()> {
    let mut line = Zeroizing::new(
        "# Tocsin's keys for secrets at rest: ID BASE64, the last line seals. Keep it 0600.\n"
            .to_owned(),
    );
    line.push_str(&key_line(1)?);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create key file {}", path.display()))?;
    f.write_all(line.as_bytes())?;
    f.sync_all()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    tracing::warn!(path = %path.display(), "created a new key file: back it up, sealed secrets die with it");
    Ok(())
}

fn parse(path: &Path, text: &str) -> anyhow::Result<Keyring> {
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = || format!("{}:{}", path.display(), n + 1);
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((id, key)) = line.split_once(char::is_whitespace) else {
            bail!("{}: expected `ID BASE64KEY`", at());
        };
        let id: u32 = id
            .parse()
            .ok()
            .filter(|&i| i > 0)
            .with_context(|| format!("{}: key id `{id}` is not a positive number", at()))?;
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(key.trim())
                .map_err(|_| anyhow::anyhow!("{}: key {id} is not base64", at()))?,
        );
        if bytes.len() != KEY_BYTES {
            bail!(
                "{}: key {id} has {} bytes, not {KEY_BYTES}",
                at(),
                bytes.len()
            );
        }
        let mut k = Zeroizing::new([0u8; KEY_BYTES]);
        k.copy_from_slice(&bytes);
        keys.push((id, k));
    }
    Keyring::new(keys).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_missing_key_file_is_made_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.key");
        let ring = load_or_create(&path).unwrap();
        assert_eq!(ring.current(), 1);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // The same keys next time: what one start sealed the next opens.
        let sealed = ring.seal(b"secret", b"row").unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(&**again.open(&sealed, b"row").unwrap(), b"secret");
    }

    #[test]
    fn a_key_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.key");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load_or_create(&path).unwrap_err().to_string();
        assert!(e.contains("0644") && e.contains("chmod 600"), "{e}");
    }

    #[test]
    fn an_added_key_seals_and_the_older_ones_still_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.key");
        let sealed = load_or_create(&path).unwrap().seal(b"old", b"row").unwrap();
        assert_eq!(add_key(&path).unwrap(), 2);
        assert_eq!(add_key(&path).unwrap(), 3);
        let ring = load_or_create(&path).unwrap();
        assert_eq!(ring.current(), 3);
        assert_eq!(&**ring.open(&sealed, b"row").unwrap(), b"old");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn bad_lines_are_named_and_keys_rotate() {
        let p = Path::new("desk.key");
        let key = |b: u8| base64::engine::general_purpose::STANDARD.encode([b; KEY_BYTES]);
        let ring = parse(p, &format!("# keys\n1 {}\n\n2 {}\n", key(1), key(2))).unwrap();
        assert_eq!(ring.current(), 2);
        for (text, want) in [
            (format!("1 {}\nnonsense\n", key(1)), "desk.key:2: expected"),
            ("0 AAAA\n".to_owned(), "desk.key:1: key id `0`"),
            ("1 !!!\n".to_owned(), "desk.key:1: key 1 is not base64"),
            ("1 AAAA\n".to_owned(), "desk.key:1: key 1 has 3 bytes"),
            (format!("1 {}\n1 {}\n", key(1), key(2)), "listed twice"),
            ("# nothing\n".to_owned(), "no key"),
        ] {
            let e = parse(p, &text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }
}
