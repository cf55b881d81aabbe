//! Running `qemu-img`: the program, its messages, and `convert -p` with its progress read live.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Output, Stdio};

use anyhow::{anyhow, bail, Context};

use super::progress::{ProgressParser, Reporter};
use super::Image;

/// The program, found on `PATH` (Debian's `qemu-utils`).
const QEMU_IMG: &str = "qemu-img";

/// At most this many lines of a tool's output go into an error message: `qemu-img check` lists
/// every bad cluster, which can be thousands of lines.
const MESSAGE_LINES: usize = 20;

/// A `qemu-img` command with the given arguments and no standard input.
pub fn qemu_img<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(QEMU_IMG);
    cmd.args(args).stdin(Stdio::null());
    cmd
}

/// Runs `cmd` to its end, collecting its output; `step` names it in errors.
pub fn output(cmd: &mut Command, step: &str) -> anyhow::Result<Output> {
    cmd.output().map_err(|err| spawn_error(err, step))
}

fn spawn_error(err: std::io::Error, step: &str) -> anyhow::Error {
    if err.kind() == std::io::ErrorKind::NotFound {
        anyhow!("{step}: {QEMU_IMG} is not installed (Debian package qemu-utils)")
    } else {
        anyhow!("{step}: cannot run {QEMU_IMG}: {err}")
    }
}

/// The tool's own words: its stdout (where `check` and `compare` put their verdicts), then its
/// stderr, trimmed and cut to [`MESSAGE_LINES`].
pub fn message(stdout: &[u8], stderr: &[u8]) -> String {
    let text = [stdout, stderr]
        .iter()
        .map(|bytes| String::from_utf8_lossy(bytes).trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MESSAGE_LINES {
        return text;
    }
    format!(
        "{}\n… ({} more lines)",
        lines[..MESSAGE_LINES].join("\n"),
        lines.len() - MESSAGE_LINES
    )
}

/// How a process ended, for messages: an exit code, or the signal that stopped it.
pub fn ending(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("stopped by signal {signal}"),
        (None, None) => status.to_string(),
    }
}

/// `qemu-img convert -p -f FROM -O TO SRC DST`, reporting its progress as it comes.
pub fn convert(src: &Image, dst: &Image, reporter: &mut Reporter) -> anyhow::Result<()> {
    let step = format!(
        "qemu-img convert -f {} -O {} {} {}",
        src.format.name(),
        dst.format.name(),
        src.shown(),
        dst.shown()
    );
    let mut child = qemu_img(["convert", "-p", "-f", src.format.name(), "-O"])
        .arg(dst.format.name())
        .arg(&src.path)
        .arg(&dst.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| spawn_error(err, &step))?;
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        bail!("{step}: its output pipes were not opened");
    };
    // stderr is drained beside stdout so that neither pipe can fill up and stall the tool.
    let errors = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr.read_to_end(&mut bytes).map(|_| bytes)
    });

    let mut parser = ProgressParser::default();
    let mut chunk = [0u8; 4096];
    let read = loop {
        match stdout.read(&mut chunk) {
            Ok(0) => break Ok(()),
            Ok(n) => parser.feed(&chunk[..n], |percent| reporter.percent(percent)),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => break Err(err),
        }
    };
    if let Err(err) = read {
        // The tool is stopped rather than left writing the image unwatched.
        let _ = child.kill();
        let _ = child.wait();
        return Err(err).with_context(|| format!("{step}: reading its progress"));
    }
    parser.finish(|percent| reporter.percent(percent));

    let status = child
        .wait()
        .with_context(|| format!("{step}: waiting for it"))?;
    let stderr = errors
        .join()
        .map_err(|_| anyhow!("{step}: the thread reading its messages failed"))?
        .with_context(|| format!("{step}: reading its messages"))?;
    if !status.success() {
        bail!(
            "{step} failed ({}): {}",
            ending(status),
            message(&[], &stderr)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_puts_stdout_first_and_cuts_long_output() {
        assert_eq!(message(b"out\n", b"  err\n"), "out\nerr");
        assert_eq!(message(b"", b"err\n"), "err");
        assert_eq!(message(b"", b""), "");
        let long: String = (0..25).map(|i| format!("line {i}\n")).collect();
        let cut = message(long.as_bytes(), b"");
        assert!(cut.starts_with("line 0\nline 1\n"), "{cut}");
        assert!(cut.contains("line 19\n… (5 more lines)"), "{cut}");
        assert!(!cut.contains("line 20"), "{cut}");
    }
}
