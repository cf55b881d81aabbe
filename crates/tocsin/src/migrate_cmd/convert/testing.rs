//! Real images for the unit tests, made and written by `qemu-img` and `qemu-io`.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{DiskFormat, Image};

/// Runs `program` with `args` and returns its stdout; fails the test when it fails.
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A 16 MiB image `name` in `dir` with 0xab in its first MiB and 0x5c at 3 MiB.
pub fn written(dir: &Path, name: &str, format: DiskFormat) -> Image {
    let path = dir.join(name);
    let file = path.to_str().unwrap();
    run(
        "qemu-img",
        &["create", "-q", "-f", format.name(), file, "16M"],
    );
    run(
        "qemu-io",
        &[
            "-f",
            format.name(),
            "-c",
            "write -P 0xab 0 1M",
            "-c",
            "write -P 0x5c 3M 512k",
            file,
        ],
    );
    image(path, format)
}

/// The image at `path`, named in messages as it is.
pub fn image(path: PathBuf, format: DiskFormat) -> Image {
    Image {
        shown: path.clone(),
        path,
        format,
    }
}
