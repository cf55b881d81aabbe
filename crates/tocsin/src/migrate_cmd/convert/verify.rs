//! Checking a converted image: `qemu-img check` on it, then `qemu-img compare` with its source.

use anyhow::bail;

use super::qemu::{ending, message, output, qemu_img};
use super::{DiskFormat, Image};

/// What `qemu-img check` said about an image that passed.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// No errors found.
    Ok,
    /// The format has no check (raw, vpc): exit code 63, which is not a failure.
    NotCheckable,
}

impl Check {
    /// The word in the JSON result.
    pub fn as_str(&self) -> &'static str {
        match self {
            Check::Ok => "ok",
            Check::NotCheckable => "not checkable",
        }
    }

    /// The words in the human result.
    pub fn describe(&self, format: DiskFormat) -> String {
        match self {
            Check::Ok => "ok".to_owned(),
            Check::NotCheckable => {
                format!(
                    "not checkable (qemu-img has no check for {})",
                    format.name()
                )
            }
        }
    }
}

/// `qemu-img check -f TO DST`: exit code 0 is clean, 63 a format without checks; 1 (check not
/// completed), 2 (corruption), 3 (leaked clusters) and anything else fail with the tool's
/// message. Leaks fail too: a freshly written image has none unless its writing went wrong.
pub fn check(image: &Image) -> anyhow::Result<Check> {
    let step = format!(
        "qemu-img check -f {} {}",
        image.format.name(),
        image.shown()
    );
    let mut cmd = qemu_img(["check", "-f", image.format.name()]);
    cmd.arg(&image.path);
    let out = output(&mut cmd, &step)?;
    let what = match out.status.code() {
        Some(0) => return Ok(Check::Ok),
        Some(63) => return Ok(Check::NotCheckable),
        Some(1) => "could not complete the check",
        Some(2) => "found corruption",
        Some(3) => "found leaked clusters",
        _ => "failed",
    };
    bail!(
        "{step} {what} ({}): {}",
        ending(out.status),
        message(&out.stdout, &out.stderr)
    )
}

/// `qemu-img compare -f FROM -F TO SRC DST`: exit code 0 means the guest sees the same bytes in
/// both; 1 (they differ) and anything else fail with the tool's message.
pub fn compare(src: &Image, dst: &Image) -> anyhow::Result<()> {
    let step = format!(
        "qemu-img compare -f {} -F {} {} {}",
        src.format.name(),
        dst.format.name(),
        src.shown(),
        dst.shown()
    );
    let mut cmd = qemu_img(["compare", "-f", src.format.name(), "-F", dst.format.name()]);
    cmd.arg(&src.path).arg(&dst.path);
    let out = output(&mut cmd, &step)?;
    let what = match out.status.code() {
        Some(0) => return Ok(()),
        Some(1) => "found that the images differ",
        _ => "failed",
    };
    bail!(
        "{step} {what} ({}): {}",
        ending(out.status),
        message(&out.stdout, &out.stderr)
    )
}

#[cfg(test)]
mod tests;
