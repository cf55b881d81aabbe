//! Bytes on disk: packing of small values, holes punched at once, compaction afterwards.

use tocsin_archive::{Archive, CompactionPolicy, Op, Options};

use crate::swift_key;

fn fill(a: &mut Archive, n: usize, size: usize, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let keys: Vec<String> = (0..n).map(|_| swift_key(&mut rng)).collect();
    for chunk in keys.chunks(64) {
        let values: Vec<Vec<u8>> = chunk.iter().map(|k| value_of(k, size)).collect();
        let ops: Vec<Op> = chunk
            .iter()
            .zip(&values)
            .map(|(k, v)| Op::Put(k, v))
            .collect();
        a.commit(&ops).unwrap();
    }
    keys
}

fn value_of(key: &str, size: usize) -> Vec<u8> {
    key.bytes().cycle().take(size).collect()
}

#[test]
fn small_values_are_packed_not_padded() {
    for (size, limit) in [(1024usize, 1536.0), (4096, 1.1 * 4096.0)] {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Archive::open_write(dir.path(), Options::default()).unwrap();
        let n = 3000;
        fill(&mut a, n, size, 3);
        a.close().unwrap();
        let a = Archive::open_read(dir.path()).unwrap();
        let per = a.stats().unwrap().allocated_bytes as f64 / n as f64;
        assert!(per <= limit, "{size}-byte values cost {per} bytes each");
    }
}

#[test]
fn deletes_give_blocks_back_at_once_and_compaction_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        max_volume_bytes: 4 << 20,
        auto_compact: None,
        ..Options::default()
    };
    let mut a = Archive::open_write(dir.path(), options).unwrap();
    let size = 4096;
    let keys = fill(&mut a, 4000, size, 4);
    a.checkpoint().unwrap();
    let before = a.stats().unwrap().allocated_bytes;
    let mut rng = fastrand::Rng::with_seed(5);
    let mut doomed = keys.clone();
    rng.shuffle(&mut doomed);
    let (doomed, kept) = doomed.split_at(keys.len() / 2);
    for chunk in doomed.chunks(64) {
        let ops: Vec<Op> = chunk.iter().map(|k| Op::Delete(k)).collect();
        a.commit(&ops).unwrap();
    }
    // Holes are punched in groups; the end of a run of deletes is where the group closes.
    a.reclaim();
    let deleted = (doomed.len() * size) as f64;
    let after_delete = a.stats().unwrap().allocated_bytes;
    let at_once = (before as f64 - after_delete as f64) / deleted;
    assert!(
        at_once >= 0.45,
        "holes gave back {at_once} of the deleted bytes"
    );

    let report = a.compact(CompactionPolicy::default()).unwrap();
    assert!(report.volumes > 0);
    let after_compact = a.stats().unwrap().allocated_bytes;
    let total = (before as f64 - after_compact as f64) / deleted;
    assert!(
        total >= 0.9,
        "compaction gave back {total} of the deleted bytes"
    );
    for k in kept {
        assert_eq!(a.get(k).unwrap(), Some(value_of(k, size)), "{k}");
    }
    for k in doomed {
        assert_eq!(a.get(k).unwrap(), None);
    }
    assert!(a.verify().unwrap().is_empty());
    a.close().unwrap();
    let r = Archive::open_read(dir.path()).unwrap();
    assert_eq!(r.stats().unwrap().objects, kept.len() as u64);
    assert_eq!(r.get(&kept[0]).unwrap(), Some(value_of(&kept[0], size)));
}

#[test]
fn large_values_are_punched_whole_and_survive_recovery() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        checkpoint_bytes: 1 << 40,
        ..Options::default()
    };
    let big = |i: u8| vec![i; 200_000];
    {
        let mut a = Archive::open_write(dir.path(), options.clone()).unwrap();
        for i in 0..10u8 {
            a.put(&format!("big/{i}"), &big(i)).unwrap();
        }
        let before = a.stats().unwrap().allocated_bytes;
        for i in (0..10u8).step_by(2) {
            a.delete(&format!("big/{i}")).unwrap();
        }
        a.reclaim();
        let freed = before - a.stats().unwrap().allocated_bytes;
        assert!(freed as f64 >= 0.95 * 5.0 * 200_000.0, "freed {freed}");
        // Dropped without a checkpoint: the punched records are in the scanned tail.
    }
    let a = Archive::open_write(dir.path(), options).unwrap();
    for i in 0..10u8 {
        let got = a.get(&format!("big/{i}")).unwrap();
        assert_eq!(got, (i % 2 == 1).then(|| big(i)), "big/{i}");
    }
}

#[test]
fn background_compaction_keeps_pace_with_commits() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        max_volume_bytes: 1 << 20,
        checkpoint_bytes: 2 << 20,
        ..Options::default()
    };
    let mut a = Archive::open_write(dir.path(), options.clone()).unwrap();
    let keys = fill(&mut a, 2000, 2000, 6);
    // Holes give blocks back but leave file lengths; only compaction shortens files.
    let lengths = || -> u64 {
        let files = crate::volume_files(dir.path());
        files
            .iter()
            .map(|p| std::fs::metadata(p).unwrap().len())
            .sum()
    };
    let before = lengths();
    let (doomed, kept) = keys.split_at(1500);
    for chunk in doomed.chunks(64) {
        let ops: Vec<Op> = chunk.iter().map(|k| Op::Delete(k)).collect();
        a.commit(&ops).unwrap();
    }
    // Foreground work goes on; each commit moves the background job a step.
    for (i, k) in kept.iter().enumerate().take(300) {
        a.put(&format!("more/{i}"), &value_of(k, 2000)).unwrap();
    }
    let generations = crate::volume_files(dir.path())
        .iter()
        .filter(|p| !p.to_string_lossy().ends_with(".0.vol"))
        .count();
    assert!(generations > 0, "no volume was rewritten");
    let after = lengths();
    assert!(after * 10 < before * 6, "{before} -> {after}");
    for k in kept {
        assert_eq!(a.get(k).unwrap(), Some(value_of(k, 2000)), "{k}");
    }
    drop(a); // No close: recovery must see the switched volumes through the checkpoint.
    let a = Archive::open_write(dir.path(), options).unwrap();
    for k in kept {
        assert_eq!(a.get(k).unwrap(), Some(value_of(k, 2000)), "{k}");
    }
    assert_eq!(a.stats().unwrap().objects, 800);
    assert!(a.verify().unwrap().is_empty());
}
