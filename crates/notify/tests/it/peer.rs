//! A real SMTP server for the tests: Debian's aiosmtpd running `tests/peers/smtp_keeper.py`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running aiosmtpd that writes every accepted message into `dir`.
pub struct Keeper {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    pub dir: tempfile::TempDir,
}

/// A Python that has aiosmtpd, or `None` (after saying so) when there is none and this is not
/// CI. Under CI a missing peer is a failure, since the test script installs it.
fn python() -> Option<String> {
    let mut candidates = Vec::new();
    if let Ok(p) = std::env::var("TOCSIN_TEST_PYTHON") {
        candidates.push(p);
    }
    candidates.extend(["/usr/bin/python3".to_owned(), "python3".to_owned()]);
    for candidate in candidates {
        let ok = Command::new(&candidate)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(candidate);
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!("python3 with aiosmtpd is missing; scripts/test installs python3-aiosmtpd");
    }
    eprintln!(
        "SKIPPED: no python3 with aiosmtpd found (apt-get install python3-aiosmtpd); \
         the SMTP delivery test did not run"
    );
    None
}

/// A loopback port nobody listens on (right now).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Keeper {
    /// Starts a server on a free port.
    pub fn start() -> Option<Keeper> {
        Self::start_with(&[])
    }

    /// Starts a server on `port`.
    pub fn start_on(port: u16) -> Option<Keeper> {
        Self::start_with(&["--port".to_owned(), port.to_string()])
    }

    /// Starts a server with the options of `smtp_keeper.py` (see there).
    pub fn start_with(options: &[String]) -> Option<Keeper> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smtp_keeper.py");
        let mut command = Command::new(python);
        command.arg(script).arg(dir.path()).args(options);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("aiosmtpd did not start: {line:?}"));
        Some(Keeper {
            child,
            stdin,
            port,
            dir,
        })
    }

    /// Every message received so far, in arrival order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut paths: Vec<_> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        paths.sort();
        paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
    }

    /// How many SMTP sessions (EHLO or HELO) the server has seen.
    pub fn sessions(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("sessions"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        // Closing stdin ends the server; kill it too in case it is stuck.
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Splits a kept file into its recorded envelope recipient and the message bytes as received.
pub fn split_kept(file: &[u8]) -> (String, String, Vec<u8>) {
    let text = file;
    let mut rest = text;
    let mut take_line = |prefix: &str| {
        let end = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let line = std::str::from_utf8(&rest[..end]).unwrap();
        let value = line.strip_prefix(prefix).unwrap().to_owned();
        rest = &rest[end + 2..];
        value
    };
    let from = take_line("X-Peer-Mail-From: ");
    let to = take_line("X-Peer-Rcpt-To: ");
    (from, to, rest.to_vec())
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, made with the `openssl` tool:
/// `(dir, cert.pem, key.pem)`, or `None` (after saying so) without it outside CI.
pub fn certificate() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if made {
        return Some((dir, cert, key));
    }
    if std::env::var_os("CI").is_some() {
        panic!("the openssl tool is missing; it makes the test certificate");
    }
    eprintln!("SKIPPED: no openssl tool to make a test certificate; the TLS test did not run");
    None
}
