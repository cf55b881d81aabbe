//! `tocsin migrate convert` on real images made by qemu-img and written by qemu-io: the results
//! read back independently, the JSON progress, and the images refused before conversion.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn tocsin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .output()
        .expect("run tocsin")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Runs a qemu tool and returns its output, whatever its exit code.
fn qemu(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().unwrap()
}

/// Runs a qemu tool that must succeed.
fn qemu_ok(program: &str, args: &[&str]) {
    let out = qemu(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

/// A 32 MiB image in `format` with 0xab in its first MiB and 0x5c at 3 MiB.
fn written(dir: &Path, name: &str, format: &str) -> String {
    let file = path(dir, name);
    qemu_ok("qemu-img", &["create", "-q", "-f", format, &file, "32M"]);
    qemu_ok(
        "qemu-io",
        &[
            "-f",
            format,
            "-c",
            "write -P 0xab 0 1M",
            "-c",
            "write -P 0x5c 3M 512k",
            &file,
        ],
    );
    file
}

/// Reads `image` back with qemu-io: the two patterns and the zeros between them.
fn reads_back(image: &str, format: &str) -> Output {
    qemu(
        "qemu-io",
        &[
            "-f",
            format,
            "-c",
            "read -P 0xab 0 1M",
            "-c",
            "read -P 0 1M 2M",
            "-c",
            "read -P 0x5c 3M 512k",
            image,
        ],
    )
}

#[test]
fn every_source_format_converts_and_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = [
        ("vmdk", "qcow2"),
        ("vhdx", "qcow2"),
        ("vpc", "qcow2"),
        ("qcow2", "qcow2"),
        ("qcow2", "raw"),
        ("vmdk", "vhdx"),
    ];
    for (from, to) in pairs {
        let src = written(dir.path(), &format!("{from}-to-{to}.{from}"), from);
        let dst = path(dir.path(), &format!("{from}-to-{to}.out.{to}"));
        let out = tocsin(&["migrate", "convert", &src, &dst, "--from", from, "--to", to]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{from} → {to}: {stderr}");
        let check = if to == "raw" {
            "not checkable (qemu-img has no check for raw)"
        } else {
            "ok"
        };
        assert_eq!(
            text(&out.stdout),
            format!("{src} ({from}) converted to {dst} ({to}): check {check}, compare identical\n")
        );
        // stderr is not a terminal here: plain lines, by tenths to 100%, then the checks.
        assert!(
            stderr.starts_with(&format!("converting {src}: 0%\n")),
            "{stderr}"
        );
        assert!(
            stderr.ends_with(&format!(
                "converting {src}: 100%\nchecking {dst}\ncomparing {src} with {dst}\n"
            )),
            "{stderr}"
        );

        let read = reads_back(&dst, to);
        let said = text(&read.stdout);
        assert!(read.status.success(), "{from} → {to}: {said}");
        assert!(!said.contains("Pattern verification failed"), "{said}");
        qemu_ok("qemu-img", &["compare", "-f", from, "-F", to, &src, &dst]);
        // The read-back can fail: another pattern where 0xab is.
        let wrong = qemu("qemu-io", &["-f", to, "-c", "read -P 0xcd 0 1M", &dst]);
        assert!(!wrong.status.success());
        assert!(text(&wrong.stdout).contains("Pattern verification failed at offset 0"));
    }
}

#[test]
fn json_progress_rises_to_100_and_ends_with_done() {
    let dir = tempfile::tempdir().unwrap();
    let src = written(dir.path(), "disk.vmdk", "vmdk");
    let dst = path(dir.path(), "disk.qcow2");
    let out = tocsin(&[
        "migrate", "convert", &src, &dst, "--from", "vmdk", "--to", "qcow2", "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let (last, progress) = lines.split_last().unwrap();
    assert_eq!(
        *last,
        serde_json::json!({"done": true, "check": "ok", "compare": "identical"})
    );
    let percents: Vec<u64> = progress
        .iter()
        .map(|line| {
            assert_eq!(line.as_object().unwrap().len(), 1, "{line}");
            line["percent"].as_u64().unwrap()
        })
        .collect();
    assert!(percents.len() >= 2, "{percents:?}");
    assert!(percents.windows(2).all(|w| w[0] < w[1]), "{percents:?}");
    assert_eq!(percents.last(), Some(&100));
    assert_eq!(reads_back(&dst, "qcow2").status.code(), Some(0));
}

#[test]
fn a_target_without_checks_is_reported_not_checkable() {
    let dir = tempfile::tempdir().unwrap();
    let src = written(dir.path(), "disk.qcow2", "qcow2");
    let dst = path(dir.path(), "disk.vpc");
    let out = tocsin(&[
        "migrate", "convert", &src, &dst, "--from", "qcow2", "--to", "vpc", "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let last: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(
        last,
        serde_json::json!({"done": true, "check": "not checkable", "compare": "identical"})
    );
    assert_eq!(reads_back(&dst, "vpc").status.code(), Some(0));
}

/// Runs a conversion that must be refused before anything is written, in text and in JSON;
/// returns the text run's stderr.
fn refused(src: &str, from: &str, dst: &str) -> String {
    let out = tocsin(&[
        "migrate", "convert", src, dst, "--from", from, "--to", "qcow2",
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("tocsin: "), "{stderr}");
    assert_eq!(text(&out.stdout), "");
    assert!(!Path::new(dst).exists(), "{dst} was created");

    let out = tocsin(&[
        "migrate", "convert", src, dst, "--from", from, "--to", "qcow2", "--json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let line: Value = serde_json::from_str(text(&out.stdout).trim_end()).unwrap();
    assert_eq!(line["done"], false);
    assert_eq!(
        format!("tocsin: {}\n", line["error"].as_str().unwrap()),
        text(&out.stderr)
    );
    assert!(!Path::new(dst).exists(), "{dst} was created");
    stderr
}

#[test]
fn images_that_draw_on_other_files_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let base = written(dir.path(), "base.qcow2", "qcow2");
    let top = path(dir.path(), "top.qcow2");
    qemu_ok(
        "qemu-img",
        &[
            "create", "-q", "-f", "qcow2", "-b", &base, "-F", "qcow2", &top,
        ],
    );
    let data = path(dir.path(), "data.raw");
    let with_data = path(dir.path(), "with-data.qcow2");
    let option = format!("data_file={data}");
    qemu_ok(
        "qemu-img",
        &[
            "create", "-q", "-f", "qcow2", "-o", &option, &with_data, "32M",
        ],
    );
    let flat = path(dir.path(), "flat.vmdk");
    qemu_ok(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "vmdk",
            "-o",
            "subformat=monolithicFlat",
            &flat,
            "32M",
        ],
    );
    let split = path(dir.path(), "split.vmdk");
    qemu_ok(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "vmdk",
            "-o",
            "subformat=twoGbMaxExtentFlat",
            &split,
            "32M",
        ],
    );
    let dst = path(dir.path(), "out.qcow2");

    let refusal = |src: &str, found: &str| {
        format!(
            "tocsin: {src}: refused before conversion: {found}; qemu-img would read these other \
             files of the host along with the image\n"
        )
    };
    assert_eq!(
        refused(&top, "qcow2", &dst),
        refusal(
            &top,
            &format!("a backing file \"{base}\" (backing-filename)")
        )
    );
    assert_eq!(
        refused(&with_data, "qcow2", &dst),
        refusal(
            &with_data,
            &format!("an external data file \"{data}\" (data-file)")
        )
    );
    let extent = path(dir.path(), "flat-flat.vmdk");
    assert_eq!(
        refused(&flat, "vmdk", &dst),
        refusal(
            &flat,
            &format!("an external extent \"{extent}\" (extents[0])")
        )
    );
    let extent = path(dir.path(), "split-f001.vmdk");
    assert_eq!(
        refused(&split, "vmdk", &dst),
        refusal(
            &split,
            &format!("an external extent \"{extent}\" (extents[0])")
        )
    );
}

#[test]
fn a_wrong_source_format_fails_with_qemu_imgs_message() {
    let dir = tempfile::tempdir().unwrap();
    let src = written(dir.path(), "disk.qcow2", "qcow2");
    let dst = path(dir.path(), "disk.vhdx");
    let out = tocsin(&[
        "migrate", "convert", &src, &dst, "--from", "vmdk", "--to", "vhdx",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "tocsin: qemu-img info -f vmdk {src} failed (exit code 1): qemu-img: Could not open \
             '{src}': invalid VMDK image descriptor\n"
        )
    );
    assert!(!Path::new(&dst).exists());
}

#[test]
fn an_existing_target_is_kept_unless_forced_and_never_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let src = written(dir.path(), "disk.vhdx", "vhdx");
    let dst = path(dir.path(), "disk.qcow2");
    std::fs::write(&dst, b"an older file").unwrap();
    let args = [
        "migrate", "convert", &src, &dst, "--from", "vhdx", "--to", "qcow2",
    ];

    let out = tocsin(&args);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("tocsin: {dst}: already exists; pass --force to overwrite it\n")
    );
    assert_eq!(std::fs::read(&dst).unwrap(), b"an older file");

    let out = tocsin(&[&args[..], &["--force"]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(reads_back(&dst, "qcow2").status.code(), Some(0));

    // The source as its own target, even by another name, is refused.
    let same = format!("{}/./disk.vhdx", dir.path().display());
    let before = std::fs::read(&src).unwrap();
    let out = tocsin(&[
        "migrate", "convert", &src, &same, "--from", "vhdx", "--to", "vhdx", "--force",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("tocsin: {same}: the target is the source image itself\n")
    );
    assert_eq!(std::fs::read(&src).unwrap(), before);
    // A hard link is the same file under another name.
    let link = path(dir.path(), "link.vhdx");
    std::fs::hard_link(&src, &link).unwrap();
    let out = tocsin(&[
        "migrate", "convert", &src, &link, "--from", "vhdx", "--to", "qcow2", "--force",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!("tocsin: {link}: the target is the source image itself\n")
    );
    assert_eq!(std::fs::read(&src).unwrap(), before);
}

#[test]
fn a_missing_source_and_an_unknown_format_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let src: PathBuf = dir.path().join("nowhere.vmdk");
    let src = src.display().to_string();
    let dst = path(dir.path(), "out.qcow2");
    let out = tocsin(&[
        "migrate", "convert", &src, &dst, "--from", "vmdk", "--to", "qcow2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "tocsin: {src}: cannot open the source image: No such file or directory (os error 2)\n"
        )
    );
    assert!(!Path::new(&dst).exists());

    let out = tocsin(&[
        "migrate", "convert", &src, &dst, "--from", "vdi", "--to", "qcow2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid value 'vdi' for '--from <FROM>'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[possible values: vmdk, vhdx, vpc, qcow2, raw]"),
        "{stderr}"
    );
}

#[test]
fn a_failed_conversion_says_why_and_leaves_no_target() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse 3 TiB raw disk: vpc holds at most 2040 GiB, so qemu-img convert itself fails.
    let src = path(dir.path(), "huge.raw");
    std::fs::File::create(&src)
        .unwrap()
        .set_len(3 << 40)
        .unwrap();
    let dst = path(dir.path(), "huge.vpc");
    let out = tocsin(&[
        "migrate", "convert", &src, &dst, "--from", "raw", "--to", "vpc",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    let why = format!(
        "tocsin: qemu-img convert -f raw -O vpc {src} {dst} failed (exit code 1): qemu-img: \
         {dst}: error while converting vpc: Disk size is too large, max size is 2040 GiB\n"
    );
    assert!(stderr.ends_with(&why), "{stderr}");
    assert!(!Path::new(&dst).exists());

    let missing = path(dir.path(), "no-such-dir/out.qcow2");
    let src = written(dir.path(), "disk.vmdk", "vmdk");
    let out = tocsin(&[
        "migrate", "convert", &src, &missing, "--from", "vmdk", "--to", "qcow2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "tocsin: {missing}: the target's directory {} cannot be opened: No such file or \
             directory (os error 2)\n",
            path(dir.path(), "no-such-dir")
        )
    );
}
