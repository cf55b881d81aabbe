//! Damage done to volumes from outside: flipped bytes and truncation. A damaged key is an error
//! naming it, never wrong bytes, and every other key still reads.

use std::os::unix::fs::FileExt;
use std::path::Path;

use tocsin_archive::{Archive, Error, Op, Options};

use crate::volume_files;

const N: usize = 50;

fn value(i: usize) -> Vec<u8> {
    format!("value number {i:04} ").repeat(20).into_bytes()
}

fn key(i: usize) -> String {
    format!("obj/{i:04}")
}

/// An archive of `N` keys, closed cleanly; returns the volume path.
fn build(dir: &Path) -> std::path::PathBuf {
    let mut a = Archive::open_write(dir, Options::default()).unwrap();
    let values: Vec<Vec<u8>> = (0..N).map(value).collect();
    let keys: Vec<String> = (0..N).map(key).collect();
    let ops: Vec<Op> = keys
        .iter()
        .zip(&values)
        .map(|(k, v)| Op::Put(k, v))
        .collect();
    a.commit(&ops).unwrap();
    a.close().unwrap();
    volume_files(dir).pop().unwrap()
}

fn offset_of(path: &Path, needle: &[u8]) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap() as u64
}

fn flip(path: &Path, at: u64) {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, at).unwrap();
    f.write_all_at(&[b[0] ^ 0x01], at).unwrap();
}

fn check(dir: &Path, damaged: &[usize]) {
    let a = Archive::open_read(dir).unwrap();
    for i in 0..N {
        let got = a.get(&key(i));
        if damaged.contains(&i) {
            let err = got.unwrap_err();
            assert!(
                matches!(&err, Error::Damaged { key: k, .. } if *k == key(i)),
                "{err}"
            );
        } else {
            assert_eq!(got.unwrap(), Some(value(i)), "{}", key(i));
        }
    }
    let mut named: Vec<String> = a.verify().unwrap().into_iter().map(|d| d.key).collect();
    named.sort();
    let want: Vec<String> = damaged.iter().map(|i| key(*i)).collect();
    assert_eq!(named, want);
}

#[test]
fn a_flipped_value_byte_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let vol = build(dir.path());
    flip(&vol, offset_of(&vol, &value(17)) + 100);
    check(dir.path(), &[17]);
    // A writer opening it changes nothing about that.
    drop(Archive::open_write(dir.path(), Options::default()).unwrap());
    check(dir.path(), &[17]);
}

#[test]
fn a_flipped_header_or_key_byte_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let vol = build(dir.path());
    let key_at = offset_of(&vol, key(5).as_bytes());
    flip(&vol, key_at + 2);
    // The value-length field of record 30's header: 12 bytes before its key.
    let key_at = offset_of(&vol, key(30).as_bytes());
    flip(&vol, key_at - 12);
    check(dir.path(), &[5, 30]);
}

#[test]
fn a_volume_cut_mid_record_names_what_was_cut() {
    let dir = tempfile::tempdir().unwrap();
    let vol = build(dir.path());
    let cut = offset_of(&vol, &value(40)) + 7;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&vol)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let lost: Vec<usize> = (40..N).collect();
    check(dir.path(), &lost);
    // New writes after the cut never make the lost keys read someone else's bytes.
    let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
    a.put("after", &vec![9u8; 3000]).unwrap();
    a.close().unwrap();
    check(dir.path(), &lost);
    let a = Archive::open_read(dir.path()).unwrap();
    assert_eq!(a.get("after").unwrap(), Some(vec![9u8; 3000]));
}
