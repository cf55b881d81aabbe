//! The archives kept in `tests/fixtures/`: a valid one (checkpoint plus a log tail), one in an
//! old format version, and a damaged one (a flipped byte in a value, a torn last record).
//! They are copied to a temporary directory before use; `write_fixtures` regenerates them.

use std::path::{Path, PathBuf};

use tocsin_archive::{Archive, Error, Options};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A copy of fixture `name` in a fresh temporary directory.
fn copy(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(fixtures().join(name)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).unwrap();
    }
    tmp
}

fn beta() -> Vec<u8> {
    (0..5000u32).map(|i| (i % 251) as u8).collect()
}

fn expected() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("alpha", b"first value".to_vec()),
        ("beta", beta()),
        ("delta", b"second delta".to_vec()),
        ("epsilon", b"after the checkpoint".to_vec()),
    ]
}

fn write_valid(dir: &Path) {
    let mut a = Archive::open_write(dir, Options::default()).unwrap();
    a.put("alpha", b"first value").unwrap();
    a.put("beta", &beta()).unwrap();
    a.put("gamma", b"to be deleted").unwrap();
    a.put("delta", b"first delta").unwrap();
    a.checkpoint().unwrap();
    a.put("delta", b"second delta").unwrap();
    a.delete("gamma").unwrap();
    a.put("epsilon", b"after the checkpoint").unwrap();
    // No close: the last three changes live only in the log past the checkpoint.
}

#[test]
#[ignore = "regenerates tests/fixtures; run by hand after a format change"]
fn write_fixtures() {
    let root = fixtures();
    let _ = std::fs::remove_dir_all(&root);
    for name in ["valid", "old-version", "damaged"] {
        std::fs::create_dir_all(root.join(name)).unwrap();
    }
    write_valid(&root.join("valid"));
    let _ = std::fs::remove_file(root.join("valid/lock"));
    // The writer allocates ahead of the log; a fixture keeps the log alone.
    let path = root.join("valid/00000001.0.vol");
    let mut vol = std::fs::read(&path).unwrap();
    let last = b"after the checkpoint";
    let end = vol.windows(last.len()).position(|w| w == last).unwrap() + last.len();
    vol.truncate(end);
    std::fs::write(&path, vol).unwrap();

    // Old version: the volume alone, its header saying format version 0.
    let mut vol = std::fs::read(root.join("valid/00000001.0.vol")).unwrap();
    vol[8] = 0;
    let crc = crc32c_of(&vol[0..60]);
    vol[60..64].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(root.join("old-version/00000001.0.vol"), vol).unwrap();

    // Damaged: one byte of beta's value flipped, the last record cut in half.
    for f in ["index", "00000001.0.vol"] {
        std::fs::copy(root.join("valid").join(f), root.join("damaged").join(f)).unwrap();
    }
    let path = root.join("damaged/00000001.0.vol");
    let mut vol = std::fs::read(&path).unwrap();
    let at = vol.windows(8).position(|w| w == &beta()[100..108]).unwrap();
    vol[at] ^= 0x40;
    vol.truncate(vol.len() - 10);
    std::fs::write(&path, vol).unwrap();
}

fn crc32c_of(b: &[u8]) -> u32 {
    // CRC-32C, bit by bit: the fixture writer needs no extra dependency for it.
    let mut crc = !0u32;
    for &byte in b {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn valid_fixture_reads_back_through_checkpoint_and_tail() {
    let dir = copy("valid");
    let a = Archive::open_read(dir.path()).unwrap();
    for (k, v) in expected() {
        assert_eq!(a.get(k).unwrap(), Some(v), "{k}");
    }
    assert_eq!(a.get("gamma").unwrap(), None);
    assert!(a.verify().unwrap().is_empty());
    drop(a);
    let a = Archive::open_write(dir.path(), Options::default()).unwrap();
    assert_eq!(a.list("").collect::<Vec<_>>().len(), 4);
}

#[test]
fn old_version_fixture_is_refused_clearly() {
    let dir = copy("old-version");
    let err = Archive::open_read(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnsupportedVersion {
                found: 0,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = Archive::open_write(dir.path(), Options::default()).unwrap_err();
    assert!(matches!(err, Error::UnsupportedVersion { .. }), "{err}");
}

#[test]
fn damaged_fixture_names_the_damaged_key_and_reads_the_rest() {
    let dir = copy("damaged");
    for write in [false, true] {
        let a = if write {
            Archive::open_write(dir.path(), Options::default()).unwrap()
        } else {
            Archive::open_read(dir.path()).unwrap()
        };
        let err = a.get("beta").unwrap_err();
        assert!(
            matches!(&err, Error::Damaged { key, .. } if key == "beta"),
            "{err}"
        );
        assert!(err.to_string().contains("beta"));
        for (k, v) in expected() {
            if k != "beta" && k != "epsilon" {
                assert_eq!(a.get(k).unwrap(), Some(v), "{k}");
            }
        }
        // epsilon's record was torn: it was never acknowledged, so it is simply absent.
        assert_eq!(a.get("epsilon").unwrap(), None);
        let damage = a.verify().unwrap();
        assert_eq!(damage.len(), 1);
        assert_eq!(damage[0].key, "beta");
    }
}

#[test]
fn the_fixture_crc_matches_the_library() {
    let mut vol = std::fs::read(fixtures().join("valid/00000001.0.vol")).unwrap();
    assert_eq!(
        crc32c_of(&vol[0..60]).to_le_bytes(),
        [vol[60], vol[61], vol[62], vol[63]]
    );
    vol.truncate(64);
    assert!(tocsin_archive::format::VolumeHeader::decode(&vol).is_ok());
}
