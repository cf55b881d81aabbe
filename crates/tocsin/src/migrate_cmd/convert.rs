//! `tocsin migrate convert SRC DST --from F --to F`: converts a disk image with `qemu-img`
//! (formats always given, never probed) after refusing images that would make it read other
//! files of the host, shows progress, then checks and compares the result.

mod inspect;
mod progress;
mod qemu;
#[cfg(test)]
mod testing;
mod verify;

use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use serde_json::json;

use progress::Reporter;
use verify::Check;

pub use tocsin_model::migration::DiskFormat;

/// Reads `--from` and `--to`: one of the formats a migration knows, listed in clap's help and
/// in its refusal.
fn disk_format() -> impl TypedValueParser<Value = DiskFormat> {
    PossibleValuesParser::new(DiskFormat::ALL.map(DiskFormat::name)).try_map(|name: String| {
        DiskFormat::from_name(&name).ok_or_else(|| format!("unknown format {name}"))
    })
}

/// Arguments of `tocsin migrate convert`.
#[derive(Args)]
pub struct ConvertArgs {
    /// The source image.
    src: PathBuf,
    /// The image to write; it must not exist unless `--force`.
    dst: PathBuf,
    /// The source's format (never probed).
    #[arg(long, value_parser = disk_format())]
    from: DiskFormat,
    /// The format to write.
    #[arg(long, value_parser = disk_format())]
    to: DiskFormat,
    /// JSON lines on stdout: `{"percent": N}`, then `{"done": true, ...}` or an error object.
    #[arg(long)]
    json: bool,
    /// Overwrite DST when it exists.
    #[arg(long)]
    force: bool,
}

/// A path as the user gave it (for messages) and as handed to `qemu-img`: absolute, so that
/// qemu never reads a name such as `nbd:host:10809` or `json:{…}` as a protocol.
pub struct Image {
    shown: PathBuf,
    path: PathBuf,
    format: DiskFormat,
}

impl Image {
    fn shown(&self) -> std::path::Display<'_> {
        self.shown.display()
    }
}

/// What the checks found about a converted image.
struct Converted {
    check: Check,
}

/// Runs `tocsin migrate convert`.
pub fn run(args: ConvertArgs) -> anyhow::Result<ExitCode> {
    let mut reporter = Reporter::new(args.json, &args.src);
    match convert(&args, &mut reporter) {
        Ok(converted) => {
            let mut out = std::io::stdout().lock();
            if args.json {
                let line = json!({
                    "done": true,
                    "check": converted.check.as_str(),
                    "compare": "identical",
                });
                writeln!(out, "{line}")?;
            } else {
                writeln!(
                    out,
                    "{} ({}) converted to {} ({}): check {}, compare identical",
                    args.src.display(),
                    args.from.name(),
                    args.dst.display(),
                    args.to.name(),
                    converted.check.describe(args.to),
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            if args.json {
                let line = json!({"done": false, "error": format!("{err:#}")});
                writeln!(std::io::stdout().lock(), "{line}")?;
            }
            Err(err)
        }
    }
}

fn convert(args: &ConvertArgs, reporter: &mut Reporter) -> anyhow::Result<Converted> {
    let src = source(&args.src, args.from)?;
    let (dst, existed) = target(&args.dst, args.to, &src, args.force)?;

    let info = inspect::info(&src)?;
    let findings = inspect::external_files(&info, &src.path);
    if !findings.is_empty() {
        bail!(
            "{}: refused before conversion: {}; qemu-img would read these other files of the \
             host along with the image",
            src.shown(),
            findings.join("; ")
        );
    }

    if let Err(err) = qemu::convert(&src, &dst, reporter) {
        // Only a file this run created is removed: an existing one was overwritten on request.
        if !existed && dst.path.exists() {
            std::fs::remove_file(&dst.path)
                .with_context(|| format!("{err:#}; removing the partial {}", dst.shown()))?;
        }
        return Err(err);
    }
    reporter.finish();

    reporter.step(format!("checking {}", dst.shown()));
    let check = verify::check(&dst)?;
    reporter.step(format!("comparing {} with {}", src.shown(), dst.shown()));
    verify::compare(&src, &dst)?;
    reporter.finish();
    Ok(Converted { check })
}

/// The source image: it must exist and be a regular file or a block device (a FIFO or a
/// character device would make qemu-img wait or read forever).
fn source(shown: &Path, format: DiskFormat) -> anyhow::Result<Image> {
    let path = std::fs::canonicalize(shown)
        .with_context(|| format!("{}: cannot open the source image", shown.display()))?;
    let kind = std::fs::metadata(&path)
        .with_context(|| format!("{}: cannot open the source image", shown.display()))?
        .file_type();
    if !kind.is_file() && !kind.is_block_device() {
        bail!(
            "{}: the source image is neither a file nor a block device",
            shown.display()
        );
    }
    Ok(Image {
        shown: shown.to_path_buf(),
        path,
        format,
    })
}

/// The target image and whether it existed: an existing one is overwritten only with `--force`,
/// and never when it is the source itself.
fn target(
    shown: &Path,
    format: DiskFormat,
    src: &Image,
    force: bool,
) -> anyhow::Result<(Image, bool)> {
    let image = |path| Image {
        shown: shown.to_path_buf(),
        path,
        format,
    };
    match std::fs::symlink_metadata(shown) {
        Ok(_) => {
            if !force {
                bail!(
                    "{}: already exists; pass --force to overwrite it",
                    shown.display()
                );
            }
            let path = std::fs::canonicalize(shown)
                .with_context(|| format!("{}: cannot open the target", shown.display()))?;
            let meta = std::fs::metadata(&path)
                .with_context(|| format!("{}: cannot open the target", shown.display()))?;
            let source = std::fs::metadata(&src.path)
                .with_context(|| format!("{}: cannot open the source image", src.shown()))?;
            // The same inode, so that a hard link to the source is not taken for another file.
            if (meta.dev(), meta.ino()) == (source.dev(), source.ino()) {
                bail!("{}: the target is the source image itself", shown.display());
            }
            if meta.is_dir() {
                bail!("{}: the target is a directory", shown.display());
            }
            Ok((image(path), true))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let name = shown
                .file_name()
                .with_context(|| format!("{}: the target names no file", shown.display()))?;
            let parent = match shown.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir,
                _ => Path::new("."),
            };
            let dir = std::fs::canonicalize(parent).with_context(|| {
                format!(
                    "{}: the target's directory {} cannot be opened",
                    shown.display(),
                    parent.display()
                )
            })?;
            Ok((image(dir.join(name)), false))
        }
        Err(err) => {
            Err(err).with_context(|| format!("{}: cannot open the target", shown.display()))
        }
    }
}
