//! `check` and `compare` against images changed by hand after a good conversion.

use std::io::{Read, Seek, SeekFrom, Write};

use super::super::progress::Reporter;
use super::super::qemu;
use super::super::testing::{image, run, written};
use super::*;

/// Converts `src` into `name` in `dir` with the command's own conversion step.
fn converted(dir: &std::path::Path, src: &Image, name: &str, format: DiskFormat) -> Image {
    let dst = image(dir.join(name), format);
    let mut quiet = Reporter::Json { shown: Some(100) };
    qemu::convert(src, &dst, &mut quiet).unwrap();
    dst
}

#[test]
fn compare_reports_a_target_changed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let src = written(dir.path(), "src.vmdk", DiskFormat::Vmdk);
    let dst = converted(dir.path(), &src, "dst.qcow2", DiskFormat::Qcow2);
    compare(&src, &dst).unwrap();

    // Four KiB of zeros over the 0xab at 512 KiB: the guest would see other bytes there.
    let file = dst.path.to_str().unwrap();
    run(
        "qemu-io",
        &["-f", "qcow2", "-c", "write -P 0 512k 4k", file],
    );
    let err = format!("{:#}", compare(&src, &dst).unwrap_err());
    assert!(
        err.starts_with(&format!(
            "qemu-img compare -f vmdk -F qcow2 {} {} found that the images differ (exit code 1): ",
            src.path.display(),
            dst.path.display()
        )),
        "{err}"
    );
    assert!(err.contains("Content mismatch at offset 524288!"), "{err}");
    // The image itself is sound: only the comparison tells.
    assert_eq!(check(&dst).unwrap(), Check::Ok);
}

#[test]
fn compare_fails_with_the_tools_message_when_an_image_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let src = written(dir.path(), "src.qcow2", DiskFormat::Qcow2);
    let dst = converted(dir.path(), &src, "dst.raw", DiskFormat::Raw);
    // The source read as vmdk: qemu-img cannot open it, which is an error, not a difference.
    let wrong = image(src.path.clone(), DiskFormat::Vmdk);
    let err = format!("{:#}", compare(&wrong, &dst).unwrap_err());
    assert!(err.contains(" failed (exit code 2): "), "{err}");
    assert!(err.contains("invalid VMDK image descriptor"), "{err}");
}

#[test]
fn check_finds_a_qcow2_whose_refcounts_were_zeroed() {
    let dir = tempfile::tempdir().unwrap();
    let src = written(dir.path(), "src.vhdx", DiskFormat::Vhdx);
    let dst = converted(dir.path(), &src, "dst.qcow2", DiskFormat::Qcow2);
    assert_eq!(check(&dst).unwrap(), Check::Ok);

    // The qcow2 header holds the refcount table's offset at byte 48 and the cluster bits at
    // byte 20; zeroing the first refcount block leaves every used cluster counted 0.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&dst.path)
        .unwrap();
    let mut header = [0u8; 56];
    file.read_exact(&mut header).unwrap();
    let cluster = 1usize << u32::from_be_bytes(header[20..24].try_into().unwrap());
    let table = u64::from_be_bytes(header[48..56].try_into().unwrap());
    let mut entry = [0u8; 8];
    file.seek(SeekFrom::Start(table)).unwrap();
    file.read_exact(&mut entry).unwrap();
    let block = u64::from_be_bytes(entry);
    assert_ne!(block, 0);
    file.seek(SeekFrom::Start(block)).unwrap();
    file.write_all(&vec![0u8; cluster]).unwrap();
    drop(file);

    let err = format!("{:#}", check(&dst).unwrap_err());
    assert!(
        err.starts_with(&format!(
            "qemu-img check -f qcow2 {} found corruption (exit code 2): ",
            dst.path.display()
        )),
        "{err}"
    );
    assert!(err.contains("errors were found on the image"), "{err}");
    assert!(err.contains("refcount=0 reference=1"), "{err}");
    assert!(err.contains("more lines)"), "{err}");
}

#[test]
fn raw_and_vpc_are_not_checkable_and_the_others_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    for format in [
        DiskFormat::Vmdk,
        DiskFormat::Vhdx,
        DiskFormat::Vpc,
        DiskFormat::Qcow2,
        DiskFormat::Raw,
    ] {
        let img = written(dir.path(), &format!("img.{}", format.name()), format);
        let expected = match format {
            DiskFormat::Vpc | DiskFormat::Raw => Check::NotCheckable,
            _ => Check::Ok,
        };
        assert_eq!(check(&img).unwrap(), expected, "{format:?}");
    }
}
