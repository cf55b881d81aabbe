//! What `info` reports of real images, and which of them `external_files` refuses.

use std::path::PathBuf;

use serde_json::json;

use super::super::testing::{image, run, written};
use super::super::DiskFormat;
use super::*;

#[test]
fn info_runs_under_its_limits() {
    // The shell stands in for qemu-img: it prints the limits it was started with.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "ulimit -v; ulimit -t"]);
    limit(&mut cmd);
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let kib = INFO_ADDRESS_SPACE / 1024;
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{kib}\n{INFO_CPU_SECONDS}\n")
    );
}

#[test]
fn standalone_images_in_every_format_draw_on_no_other_file() {
    let dir = tempfile::tempdir().unwrap();
    for format in [
        DiskFormat::Vmdk,
        DiskFormat::Vhdx,
        DiskFormat::Vpc,
        DiskFormat::Qcow2,
        DiskFormat::Raw,
    ] {
        let img = written(dir.path(), &format!("img.{}", format.name()), format);
        let info = info(&img).unwrap();
        assert_eq!(info["format"], format.name());
        assert_eq!(external_files(&info, &img.path), Vec::<String>::new());
    }
    // A stream-optimised vmdk (the OVA kind) is one file too.
    let path = dir.path().join("stream.vmdk");
    let file = path.to_str().unwrap();
    run(
        "qemu-img",
        &[
            "create",
            "-q",
            "-f",
            "vmdk",
            "-o",
            "subformat=streamOptimized",
            file,
            "16M",
        ],
    );
    let img = image(path.clone(), DiskFormat::Vmdk);
    assert_eq!(
        external_files(&info(&img).unwrap(), &path),
        Vec::<String>::new()
    );
}

#[test]
fn backing_files_data_files_and_flat_extents_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    let create = |args: &[&str], name: &str| {
        let path = at(name);
        let mut all = vec!["create", "-q"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[path.to_str().unwrap(), "16M"]);
        run("qemu-img", &all);
        path
    };
    create(&["-f", "qcow2"], "base.qcow2");
    let base = at("base.qcow2");
    let top = create(
        &["-f", "qcow2", "-b", base.to_str().unwrap(), "-F", "qcow2"],
        "top.qcow2",
    );
    let data = at("data.raw");
    let data_option = format!("data_file={}", data.display());
    let with_data = create(&["-f", "qcow2", "-o", &data_option], "data.qcow2");
    let flat = create(
        &["-f", "vmdk", "-o", "subformat=monolithicFlat"],
        "flat.vmdk",
    );
    let two = create(
        &["-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse"],
        "two.vmdk",
    );

    let found =
        |path: &PathBuf, format| external_files(&info(&image(path.clone(), format)).unwrap(), path);
    let base = base.display();
    assert_eq!(
        found(&top, DiskFormat::Qcow2),
        vec![format!("a backing file \"{base}\" (backing-filename)")]
    );
    assert_eq!(
        found(&with_data, DiskFormat::Qcow2),
        vec![format!(
            "an external data file \"{}\" (data-file)",
            data.display()
        )]
    );
    assert_eq!(
        found(&flat, DiskFormat::Vmdk),
        vec![format!(
            "an external extent \"{}\" (extents[0])",
            at("flat-flat.vmdk").display()
        )]
    );
    assert_eq!(
        found(&two, DiskFormat::Vmdk),
        vec![format!(
            "an external extent \"{}\" (extents[0])",
            at("two-s001.vmdk").display()
        )]
    );
}

#[test]
fn info_fails_with_qemu_imgs_message_on_a_wrong_format() {
    let dir = tempfile::tempdir().unwrap();
    let img = written(dir.path(), "img.qcow2", DiskFormat::Qcow2);
    let as_vmdk = image(img.path.clone(), DiskFormat::Vmdk);
    let err = format!("{:#}", info(&as_vmdk).unwrap_err());
    assert_eq!(
        err,
        format!(
            "qemu-img info -f vmdk {0} failed (exit code 1): qemu-img: Could not open '{0}': \
             invalid VMDK image descriptor",
            img.path.display()
        )
    );
}

#[test]
fn other_files_in_the_node_tree_and_odd_names_are_found() {
    let src = std::path::Path::new("/images/a.qcow2");
    // As qemu-img would describe a node graph it cannot name by a plain path.
    let info = json!({
        "filename": "json:{\"driver\": \"qcow2\"}",
        "children": [
            {"name": "file", "info": {"filename": "/images/a.qcow2", "children": []}},
            {"name": "data-file", "info": {"filename": "/etc/shadow", "children": [
                {"name": "file", "info": {"children": []}}
            ]}}
        ],
        "full-backing-filename": "/images/base.qcow2",
        "backing-filename": "base.qcow2",
        "format-specific": {"type": "vmdk", "data": {"extents": [
            {"filename": "/images/a.qcow2"}, {"format": "FLAT"}
        ]}}
    });
    assert_eq!(
        external_files(&info, src),
        vec![
            "a backing file \"base.qcow2\" (backing-filename)".to_owned(),
            "a backing file \"/images/base.qcow2\" (full-backing-filename)".to_owned(),
            "an extent without a file name (extents[1])".to_owned(),
            "qemu-img opened it as \"json:{\\\"driver\\\": \\\"qcow2\\\"}\"".to_owned(),
            "another file \"/etc/shadow\" (child node data-file)".to_owned(),
            "a child node data-file/file without a file name".to_owned(),
        ]
    );
}
