//! The archive crate's one integration-test binary: the library driven through its public API
//! on real directories, including crashes simulated by dropping without closing, damage done
//! to the files, and the fixtures kept in `tests/fixtures/`.

// Test helpers outside `#[test]` functions fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod damage;
mod fixtures;
mod space;

use std::path::Path;

use tocsin_archive::{Archive, Error, Op, Options};

pub fn swift_key(rng: &mut fastrand::Rng) -> String {
    format!(
        "{:032x}/{:016}.data",
        rng.u128(..),
        rng.u64(1_600_000_000_000_000..1_800_000_000_000_000)
    )
}

pub fn small_options() -> Options {
    Options {
        max_volume_bytes: 1 << 20,
        checkpoint_bytes: 1 << 40,
        ..Options::default()
    }
}

pub fn volume_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "vol"))
        .collect();
    v.sort();
    v
}

#[test]
fn put_get_overwrite_delete_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
    a.put("a/1", b"one").unwrap();
    a.put("a/2", b"").unwrap();
    a.put("b", &vec![7u8; 100_000]).unwrap();
    a.put("a/1", b"uno").unwrap();
    a.commit(&[Op::Delete("b"), Op::Put("c", b"see"), Op::Delete("absent")])
        .unwrap();
    assert_eq!(a.get("a/1").unwrap().as_deref(), Some(&b"uno"[..]));
    a.close().unwrap();

    let a = Archive::open_read(dir.path()).unwrap();
    assert_eq!(a.get("a/1").unwrap().as_deref(), Some(&b"uno"[..]));
    assert_eq!(a.get("a/2").unwrap().as_deref(), Some(&b""[..]));
    assert_eq!(a.get("b").unwrap(), None);
    assert_eq!(a.list("a/").collect::<Vec<_>>(), vec!["a/1", "a/2"]);
    assert_eq!(a.list("").count(), 3);
    let s = a.stats().unwrap();
    assert_eq!((s.objects, s.live_bytes), (3, 6));
    assert!(a.verify().unwrap().is_empty());
}

#[test]
fn a_second_writer_is_refused_but_readers_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
    a.put("k", b"v").unwrap();
    let err = Archive::open_write(dir.path(), Options::default()).unwrap_err();
    assert!(matches!(err, Error::Locked(_)), "{err}");
    let r = Archive::open_read(dir.path()).unwrap();
    assert_eq!(r.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    drop(a);
    Archive::open_write(dir.path(), Options::default()).unwrap();
}

#[test]
fn bad_keys_and_values_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
    let long = "k".repeat(1025);
    for key in ["", "a\0b", long.as_str()] {
        let err = a.commit(&[Op::Put("fine", b"x"), Op::Put(key, b"x")]);
        assert!(matches!(err, Err(Error::InvalidKey { .. })), "{key:?}");
    }
    assert_eq!(a.get("fine").unwrap(), None);
    a.put(&"k".repeat(1024), b"x").unwrap();
    assert!(matches!(
        Archive::open_read(&dir.path().join("nothing")),
        Err(Error::NotAnArchive(_))
    ));
}

#[test]
fn a_crash_keeps_every_committed_batch_and_cuts_the_torn_tail() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = fastrand::Rng::with_seed(1);
    let mut want = Vec::new();
    {
        let mut a = Archive::open_write(dir.path(), small_options()).unwrap();
        for _ in 0..40 {
            let batch: Vec<(String, Vec<u8>)> = (0..8)
                .map(|_| (swift_key(&mut rng), vec![rng.u8(..); rng.usize(0..9000)]))
                .collect();
            let ops: Vec<Op> = batch.iter().map(|(k, v)| Op::Put(k, v)).collect();
            a.commit(&ops).unwrap();
            want.extend(batch);
        }
        let (gone, _) = want.remove(3);
        a.delete(&gone).unwrap();
        // Dropped without close: no checkpoint, like a killed process.
    }
    let last = volume_files(dir.path()).pop().unwrap();
    let good_len = std::fs::metadata(&last).unwrap().len();
    // A torn write: half a record header and some bytes of a value.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&last)
        .unwrap();
    std::io::Write::write_all(&mut f, b"TsRc\x01\x00\x05\x00\x10\x00\x00\x00garbage").unwrap();
    drop(f);
    let a = Archive::open_write(dir.path(), small_options()).unwrap();
    // The zeros a writer keeps ahead of the log and the torn bytes after them are cut.
    assert!(std::fs::metadata(&last).unwrap().len() <= good_len);
    let tail = std::fs::read(&last).unwrap();
    assert!(!tail.ends_with(b"garbage"));
    for (k, v) in &want {
        assert_eq!(a.get(k).unwrap().as_ref(), Some(v), "{k}");
    }
    assert_eq!(a.stats().unwrap().objects, want.len() as u64);
    assert!(
        volume_files(dir.path()).len() > 1,
        "several volumes expected"
    );
}

#[test]
fn swift_keys_cost_under_forty_index_bytes_each() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
    let mut rng = fastrand::Rng::with_seed(2);
    let keys: Vec<String> = (0..20_000).map(|_| swift_key(&mut rng)).collect();
    for chunk in keys.chunks(500) {
        let ops: Vec<Op> = chunk.iter().map(|k| Op::Put(k, b"v")).collect();
        a.commit(&ops).unwrap();
    }
    a.checkpoint().unwrap();
    let size = std::fs::metadata(dir.path().join("index")).unwrap().len();
    let per_object = size as f64 / keys.len() as f64;
    assert!(per_object < 40.0, "{per_object} bytes per object");
}

#[test]
fn import_adopts_a_tree_and_reads_through_it_meanwhile() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(src.path().join("x/y")).unwrap();
    std::fs::write(src.path().join("top"), b"t").unwrap();
    std::fs::write(src.path().join("x/y/deep.data"), b"deep").unwrap();
    std::os::unix::fs::symlink("top", src.path().join("link")).unwrap();

    // A marker without a finished import: reads fall through to the tree.
    std::fs::write(
        dir.path().join(tocsin_archive::IMPORT_MARKER),
        src.path().as_os_str().as_encoded_bytes(),
    )
    .unwrap();
    let hybrid = |k: &str| tocsin_archive::read_hybrid(dir.path(), k).unwrap();
    assert_eq!(hybrid("x/y/deep.data").as_deref(), Some(&b"deep"[..]));
    assert_eq!(hybrid("../x"), None);

    let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
    let mut heard = Vec::new();
    let report = a
        .import_tree(src.path(), true, &mut |k| heard.push(k.to_owned()))
        .unwrap();
    assert_eq!(report.files, 2);
    assert_eq!(report.removed, 2);
    assert_eq!(heard, vec!["top", "x/y/deep.data"]);
    assert!(!dir.path().join(tocsin_archive::IMPORT_MARKER).exists());
    assert!(!src.path().join("x").exists());
    assert!(src.path().join("link").symlink_metadata().is_ok());
    drop(a);
    assert_eq!(hybrid("x/y/deep.data").as_deref(), Some(&b"deep"[..]));
    assert_eq!(hybrid("link"), None);
}

#[test]
fn a_volume_still_being_created_is_no_record_yet() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
    a.put("k", b"v").unwrap();
    a.close().unwrap();
    // What a reader sees between a writer's creating the file and writing its header.
    let next = dir.path().join("00000002.0.vol");
    std::fs::write(&next, b"").unwrap();
    let r = Archive::open_read(dir.path()).unwrap();
    assert_eq!(r.get("k").unwrap().as_deref(), Some(&b"v"[..]));
    // A writer takes it for a creation cut short by a crash and removes it.
    let a = Archive::open_write(dir.path(), Options::default()).unwrap();
    assert!(!next.exists());
    assert_eq!(a.get("k").unwrap().as_deref(), Some(&b"v"[..]));
}
