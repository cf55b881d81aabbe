//! `tocsin archive …` driven from outside, per `shared/spec/archive.md`: every command, bad
//! input, damage, a second writer, and `put-many` killed at random moments.

// Test helpers outside `#[test]` functions fail loudly on purpose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tocsin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
}

/// Runs `tocsin archive --dir DIR ARGS…` with `stdin` as standard input.
fn archive(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = tocsin()
        .arg("archive")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    out
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stat(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(&archive(dir, &["stat", "--json"], b""))).unwrap()
}

#[test]
fn every_command_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let file = tmp.path().join("value");
    std::fs::write(&file, b"from a file").unwrap();
    ok(&archive(&dir, &["put", "a/1", file.to_str().unwrap()], b""));
    ok(&archive(&dir, &["put", "a/2", "-"], b"from stdin"));
    ok(&archive(&dir, &["put", "b", "-"], b""));
    assert_eq!(ok(&archive(&dir, &["get", "a/1"], b"")), "from a file");
    assert_eq!(ok(&archive(&dir, &["get", "a/2"], b"")), "from stdin");
    assert_eq!(ok(&archive(&dir, &["get", "b"], b"")), "");
    // Overwrite, then --dir after the verb as well as before it.
    ok(&archive(&dir, &["put", "a/1", "-"], b"again"));
    let out = tocsin()
        .args(["archive", "get", "a/1", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(ok(&out), "again");

    assert_eq!(ok(&archive(&dir, &["ls"], b"")), "a/1\na/2\nb\n");
    assert_eq!(
        ok(&archive(&dir, &["ls", "--prefix", "a/"], b"")),
        "a/1\na/2\n"
    );
    let s = stat(&dir);
    assert_eq!(s["objects"], 3);
    assert_eq!(s["live_bytes"], 15);
    assert!(s["allocated_bytes"].as_u64().unwrap() > 0);
    assert!(s["index_bytes"].as_u64().unwrap() > 0);

    ok(&archive(&dir, &["rm", "a/2"], b""));
    ok(&archive(&dir, &["rm", "a/2"], b""));
    let out = archive(&dir, &["get", "a/2"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not found"));
    assert!(ok(&archive(&dir, &["verify"], b"")).starts_with("ok"));
}

#[test]
fn put_many_acknowledges_each_key_and_rejects_bad_lines_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let mut lines = String::new();
    for i in 0..100 {
        let f = tmp.path().join(format!("f{i}"));
        std::fs::write(&f, format!("value {i}")).unwrap();
        lines.push_str(&format!("k/{i:03}\t{}\n", f.display()));
    }
    let out = ok(&archive(&dir, &["put-many"], lines.as_bytes()));
    assert_eq!(out.lines().count(), 100);
    assert!(out.lines().all(|l| l.starts_with("ok k/")));
    assert_eq!(ok(&archive(&dir, &["get", "k/042"], b"")), "value 42");

    let missing = format!(
        "good\t{}\nbad\t{}/nope\n",
        tmp.path().join("f1").display(),
        tmp.path().display()
    );
    let out = archive(&dir, &["put-many"], missing.as_bytes());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("line 2"), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok good\n");

    for bad in ["no tab here\n", "\t/etc/hostname\n"] {
        let out = archive(&dir, &["put-many"], bad.as_bytes());
        assert!(!out.status.success(), "{bad:?}");
        assert!(stderr(&out).contains("line 1"), "{}", stderr(&out));
    }
    let long = "k".repeat(1025);
    let out = archive(&dir, &["put", &long, "-"], b"x");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("longer than 1024"),
        "{}",
        stderr(&out)
    );
    let out = archive(&dir, &["put", "k", "/nonexistent/file"], b"");
    assert!(
        stderr(&out).contains("/nonexistent/file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_second_writer_gets_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    ok(&archive(&dir, &["put", "k", "-"], b"v"));
    let mut holder = tocsin()
        .args(["archive", "put-many", "--dir"])
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Once put-many acknowledges a key it holds the lock.
    let file = tmp.path().join("v");
    std::fs::write(&file, b"w").unwrap();
    let mut input = holder.stdin.take().unwrap();
    writeln!(input, "k2\t{}", file.display()).unwrap();
    let mut acks = BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    acks.read_line(&mut line).unwrap();
    assert_eq!(line, "ok k2\n");
    let out = archive(&dir, &["put", "k", "-"], b"other");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("another process is writing"),
        "{}",
        stderr(&out)
    );
    // Readers are not blocked by the writer.
    assert_eq!(ok(&archive(&dir, &["get", "k2"], b"")), "w");
    drop(input);
    assert!(holder.wait().unwrap().success());
    assert_eq!(ok(&archive(&dir, &["get", "k"], b"")), "v");
}

#[test]
fn damage_is_reported_by_key_and_the_rest_still_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let mut lines = String::new();
    for i in 0..20 {
        let f = tmp.path().join(format!("f{i}"));
        std::fs::write(&f, format!("<value {i:02}>").repeat(50)).unwrap();
        lines.push_str(&format!("k{i:02}\t{}\n", f.display()));
    }
    ok(&archive(&dir, &["put-many"], lines.as_bytes()));
    let vol = volume(&dir);
    let mut bytes = std::fs::read(&vol).unwrap();
    let at = find(&bytes, b"<value 07>") + 300;
    bytes[at] ^= 0x20;
    std::fs::write(&vol, &bytes).unwrap();

    let out = archive(&dir, &["get", "k07"], b"");
    assert!(!out.status.success());
    assert_ne!(out.status.code(), Some(1), "damage is not absence");
    assert!(out.stdout.is_empty(), "no wrong bytes on stdout");
    assert!(stderr(&out).contains("k07") && stderr(&out).contains("damaged"));
    let out = archive(&dir, &["verify"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("damaged: k07"));
    for i in (0..20).filter(|i| *i != 7) {
        let got = ok(&archive(&dir, &["get", &format!("k{i:02}")], b""));
        assert_eq!(got, format!("<value {i:02}>").repeat(50));
    }
}

fn volume(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "vol"))
        .unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn deletes_give_space_back_and_compaction_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let size = 256 * 1024;
    let mut lines = String::new();
    for i in 0..20 {
        let f = tmp.path().join(format!("f{i}"));
        std::fs::write(&f, vec![i as u8; size]).unwrap();
        lines.push_str(&format!("big/{i:02}\t{}\n", f.display()));
    }
    ok(&archive(&dir, &["put-many"], lines.as_bytes()));
    let before = stat(&dir)["allocated_bytes"].as_u64().unwrap();
    for i in (0..20).step_by(2) {
        ok(&archive(&dir, &["rm", &format!("big/{i:02}")], b""));
    }
    let deleted = (10 * size) as f64;
    let after = stat(&dir)["allocated_bytes"].as_u64().unwrap();
    assert!(
        (before - after) as f64 >= 0.45 * deleted,
        "{before} -> {after}"
    );
    ok(&archive(&dir, &["compact"], b""));
    let compacted = stat(&dir)["allocated_bytes"].as_u64().unwrap();
    assert!(
        (before - compacted) as f64 >= 0.9 * deleted,
        "{before} -> {compacted}"
    );
    let got = archive(&dir, &["get", "big/03"], b"");
    assert_eq!(got.stdout, vec![3u8; size]);
}

#[test]
fn import_tree_adopts_files_and_removes_the_source_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("objects/ab")).unwrap();
    std::fs::write(src.join("objects/ab/1.data"), b"one").unwrap();
    std::fs::write(src.join("top"), b"top").unwrap();
    ok(&archive(&dir, &["import-tree", src.to_str().unwrap()], b""));
    assert_eq!(ok(&archive(&dir, &["ls"], b"")), "objects/ab/1.data\ntop\n");
    assert!(src.join("top").exists());
    ok(&archive(
        &dir,
        &["import-tree", src.to_str().unwrap(), "--remove-source"],
        b"",
    ));
    assert!(!src.join("top").exists());
    assert!(!src.join("objects/ab/1.data").exists());
    assert_eq!(
        ok(&archive(&dir, &["get", "objects/ab/1.data"], b"")),
        "one"
    );
    let out = archive(&dir, &["import-tree", "/nonexistent/tree"], b"");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("/nonexistent/tree"));
}

#[test]
fn an_interrupted_import_serves_the_rest_from_the_source() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/kept.data"), b"from the tree").unwrap();
    let bad = src.join(std::ffi::OsStr::from_bytes(b"bad\xff"));
    std::fs::write(&bad, b"x").unwrap();
    // A file name that is no key stops the import after it announced itself.
    let out = archive(&dir, &["import-tree", src.to_str().unwrap()], b"");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not UTF-8"), "{}", stderr(&out));
    assert_eq!(
        ok(&archive(&dir, &["get", "d/kept.data"], b"")),
        "from the tree"
    );
    assert_eq!(
        archive(&dir, &["get", "d/other"], b"").status.code(),
        Some(1)
    );
    assert_eq!(
        archive(&dir, &["get", "../src/d/kept.data"], b"")
            .status
            .code(),
        Some(1)
    );
    std::fs::remove_file(&bad).unwrap();
    ok(&archive(
        &dir,
        &["import-tree", src.to_str().unwrap(), "--remove-source"],
        b"",
    ));
    assert!(!src.join("d/kept.data").exists());
    assert_eq!(
        ok(&archive(&dir, &["get", "d/kept.data"], b"")),
        "from the tree"
    );
}

#[test]
fn values_over_the_limit_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let big = tmp.path().join("big");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(64 * 1024 * 1024 + 1).unwrap();
    let out = archive(&dir, &["put", "k", big.to_str().unwrap()], b"");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("larger than"), "{}", stderr(&out));
    f.set_len(64 * 1024 * 1024).unwrap();
    ok(&archive(&dir, &["put", "k", big.to_str().unwrap()], b""));
    let got = archive(&dir, &["get", "k"], b"");
    assert_eq!(got.stdout.len(), 64 * 1024 * 1024);
}

#[test]
fn bench_prints_the_three_systems() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tocsin()
        .args([
            "archive",
            "bench",
            "--json",
            "--objects",
            "200",
            "--size",
            "1024",
            "--batch",
            "16",
            "--dir",
        ])
        .arg(tmp.path().join("b"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    for system in ["archive", "files", "sqlite"] {
        for field in [
            "put_per_s",
            "get_per_s",
            "delete_per_s",
            "bytes_per_object_on_disk",
        ] {
            let x = v[system][field].as_f64();
            assert!(x.is_some_and(|x| x > 0.0), "{system}.{field}: {x:?}");
        }
    }
    assert!(v["archive"]["index_bytes_per_object"].as_f64().is_some());
}

/// The crash test: `put-many` killed with SIGKILL at random moments; every key it printed as
/// `ok` must read back exactly, and no key may read back bytes never given for it.
#[test]
fn killed_put_many_keeps_every_acknowledged_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("arc");
    let values = tmp.path().join("values");
    std::fs::create_dir_all(&values).unwrap();
    let mut rng = fastrand::Rng::with_seed(fastrand::u64(..));
    // For each key, every value ever sent, and the index of the last acknowledged one.
    let mut sent: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
    let mut acked: HashMap<String, usize> = HashMap::new();
    let runs = 25;
    let mut total_acks = 0;
    for run in 0..runs {
        let mut child = tocsin()
            .args(["archive", "put-many", "--dir"])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        let mut stdin = child.stdin.take().unwrap();
        let lines = rng.usize(50..400);
        let kill_after = rng.usize(0..lines);
        let mut this_run: Vec<(String, usize)> = Vec::new();
        for i in 0..lines {
            let key = format!("{:032x}/{:016}.data", rng.u32(0..300), rng.u8(0..3));
            let value: Vec<u8> = (0..rng.usize(0..6000)).map(|_| rng.u8(..)).collect();
            let file = values.join(format!("{run}-{i}"));
            std::fs::write(&file, &value).unwrap();
            let versions = sent.entry(key.clone()).or_default();
            versions.push(value);
            this_run.push((key.clone(), versions.len() - 1));
            if writeln!(stdin, "{key}\t{}", file.display()).is_err() {
                break;
            }
            if i % 16 == 0 {
                let _ = stdin.flush();
                std::thread::sleep(std::time::Duration::from_micros(rng.u64(0..2000)));
            }
            if i == kill_after {
                child.kill().unwrap();
                break;
            }
        }
        drop(stdin);
        let _ = child.kill();
        child.wait().unwrap();
        let acks = reader.join().unwrap();
        // Acknowledgements arrive in input order, so the n-th `ok` is the n-th line sent.
        for (line, (key, version)) in acks.iter().zip(&this_run) {
            assert_eq!(line, &format!("ok {key}"));
            acked.insert(key.clone(), *version);
        }
        total_acks += acks.len();
    }
    assert!(total_acks > 0, "no run acknowledged anything");
    let reader = tocsin_archive::Archive::open_read(&dir).unwrap();
    for (key, versions) in &sent {
        let got = reader.get(key).unwrap();
        match (acked.get(key), got) {
            (Some(v), Some(got)) => assert!(
                versions[*v..].contains(&got),
                "{key}: read bytes that were not its acknowledged value or a later one"
            ),
            (Some(_), None) => panic!("{key}: acknowledged, then lost"),
            (None, Some(got)) => assert!(versions.contains(&got), "{key}: bytes never given"),
            (None, None) => {}
        }
    }
    // And through the command line, for a sample.
    for key in acked.keys().take(20) {
        let out = archive(&dir, &["get", key], b"");
        assert!(sent[key].contains(&out.stdout), "{key}");
    }
    assert!(ok(&archive(&dir, &["verify"], b"")).starts_with("ok"));
    eprintln!(
        "crash test: {runs} runs killed, {total_acks} acknowledgements, {} acknowledged keys checked",
        acked.len()
    );
}
