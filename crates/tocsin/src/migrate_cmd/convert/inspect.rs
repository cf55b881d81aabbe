//! Looking at a source image before converting it: `qemu-img info` under a resource limit, and
//! the files other than the image itself that it would make qemu-img read (backing files,
//! qcow2 external data files, VMDK extents), which are refused.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context};
use serde_json::Value;

use super::qemu::{ending, message, output, qemu_img};
use super::Image;

/// The address space `qemu-img info` may use, as OpenStack limits it: a crafted image must not
/// make it take the host's memory.
const INFO_ADDRESS_SPACE: libc::rlim_t = 1 << 30;

/// The CPU seconds `qemu-img info` may use (OpenStack's limit too).
const INFO_CPU_SECONDS: libc::rlim_t = 30;

/// `qemu-img info --output=json -f FROM SRC`, run under [`INFO_ADDRESS_SPACE`] and
/// [`INFO_CPU_SECONDS`]; a wrong format fails here with qemu-img's own message.
pub fn info(src: &Image) -> anyhow::Result<Value> {
    let step = format!("qemu-img info -f {} {}", src.format.name(), src.shown());
    let mut cmd = qemu_img(["info", "--output=json", "-f", src.format.name()]);
    cmd.arg(&src.path);
    limit(&mut cmd);
    let out = output(&mut cmd, &step)?;
    if !out.status.success() {
        let mut text = message(&out.stdout, &out.stderr);
        if out.status.code().is_none() {
            text = format!(
                "{text} (it may have gone past its limit of {} MiB of address space or {} s of \
                 CPU time)",
                INFO_ADDRESS_SPACE >> 20,
                INFO_CPU_SECONDS
            );
        }
        bail!("{step} failed ({}): {}", ending(out.status), text.trim());
    }
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{step}: its output is not the JSON expected"))
}

/// Sets the child's resource limits between fork and exec.
fn limit(cmd: &mut Command) {
    let limit = |resource, value: libc::rlim_t| {
        let bounds = libc::rlimit {
            rlim_cur: value,
            rlim_max: value,
        };
        // SAFETY: `bounds` is a valid rlimit that outlives the call; setrlimit only reads it.
        if unsafe { libc::setrlimit(resource, &bounds) } == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    // SAFETY: the closure runs in the forked child before exec; it only calls setrlimit, which
    // is async-signal-safe, and builds an io::Error from errno, which allocates nothing. It
    // takes no lock and touches no state shared with the parent's other threads.
    unsafe {
        cmd.pre_exec(move || {
            limit(libc::RLIMIT_AS, INFO_ADDRESS_SPACE)?;
            limit(libc::RLIMIT_CPU, INFO_CPU_SECONDS)
        });
    }
}

/// Every file other than `src` that `info` says the image draws on, each described for a
/// refusal; empty when the image stands alone.
pub fn external_files(info: &Value, src: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut named = Vec::new();
    for key in ["backing-filename", "full-backing-filename"] {
        if let Some(name) = info.get(key).and_then(Value::as_str) {
            if !named.contains(&name) {
                found.push(format!("a backing file {name:?} ({key})"));
                named.push(name);
            }
        }
    }
    let data = info.pointer("/format-specific/data");
    if let Some(name) = data
        .and_then(|d| d.get("data-file"))
        .and_then(Value::as_str)
    {
        found.push(format!("an external data file {name:?} (data-file)"));
        named.push(name);
    }
    let extents = data
        .and_then(|d| d.get("extents"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (i, extent) in extents.iter().enumerate() {
        match extent.get("filename").and_then(Value::as_str) {
            Some(name) if Path::new(name) == src => {}
            Some(name) => {
                found.push(format!("an external extent {name:?} (extents[{i}])"));
                named.push(name);
            }
            None => found.push(format!("an extent without a file name (extents[{i}])")),
        }
    }
    // Whatever else qemu-img opened shows as a child node; a name it could not put as a plain
    // path (`json:{…}`) differs from src too.
    match info.get("filename").and_then(Value::as_str) {
        Some(name) if Path::new(name) == src => {}
        Some(name) => found.push(format!("qemu-img opened it as {name:?}")),
        None => found.push("qemu-img reported no file name for it".to_owned()),
    }
    children(info, "", src, &named, &mut found);
    found
}

/// Child nodes of `node` (recursively) whose file is not `src` nor already `named`.
fn children(node: &Value, path: &str, src: &Path, named: &[&str], found: &mut Vec<String>) {
    let Some(list) = node.get("children").and_then(Value::as_array) else {
        return;
    };
    for child in list {
        let name = child.get("name").and_then(Value::as_str).unwrap_or("?");
        let child_path = format!("{path}{name}");
        let Some(info) = child.get("info") else {
            continue;
        };
        match info.get("filename").and_then(Value::as_str) {
            Some(file) if Path::new(file) == src || named.contains(&file) => {}
            Some(file) => found.push(format!("another file {file:?} (child node {child_path})")),
            None => found.push(format!("a child node {child_path} without a file name")),
        }
        children(info, &format!("{child_path}/"), src, named, found);
    }
}

#[cfg(test)]
mod tests;
