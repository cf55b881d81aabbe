//! Tests of the inbound listener: messages read, and real SMTP conversations with the
//! listener on a loopback port and a channel behind it.

mod conversation;
mod parsing;
mod protocol;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::{serve_with, InboundConfig, InboundMail, Limits, MailDrop, Verdict};

/// The desk's address in every test.
const DESK: &str = "support@example.net";
/// The largest message the test listener takes.
pub(super) const MAX_SIZE: usize = 64 * 1024;

/// A drop that hands every message to the test and answers with the verdict set.
struct Channel {
    mails: mpsc::UnboundedSender<InboundMail>,
    verdict: Mutex<Verdict>,
}

impl MailDrop for Channel {
    fn deliver(&self, mail: InboundMail) -> impl std::future::Future<Output = Verdict> + Send {
        let verdict = self.verdict.lock().unwrap().clone();
        let _ = self.mails.send(mail);
        async move { verdict }
    }
}

/// A listener on a loopback port, with what it delivered.
pub(super) struct Listener {
    pub port: u16,
    mails: mpsc::UnboundedReceiver<InboundMail>,
    drop: Arc<Channel>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Listener {
    pub async fn start(tls: Option<Arc<super::rustls::ServerConfig>>, limits: Limits) -> Self {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        let (tx, mails) = mpsc::unbounded_channel();
        let drop = Arc::new(Channel {
            mails: tx,
            verdict: Mutex::new(Verdict::Accepted),
        });
        let (stop, stopped) = watch::channel(false);
        let config = InboundConfig {
            address: DESK.to_owned(),
            hostname: "desk.example.net".to_owned(),
            max_size: MAX_SIZE,
            tls,
        };
        let task = tokio::spawn(serve_with(
            socket,
            config,
            Arc::clone(&drop),
            stopped,
            limits,
        ));
        Listener {
            port,
            mails,
            drop,
            stop,
            task,
        }
    }

    pub async fn plain() -> Self {
        Self::start(None, Limits::default()).await
    }

    /// What the drop says to the next messages.
    pub fn answer(&self, verdict: Verdict) {
        *self.drop.verdict.lock().unwrap() = verdict;
    }

    /// Every message delivered so far.
    pub fn delivered(&mut self) -> Vec<InboundMail> {
        let mut out = Vec::new();
        while let Ok(m) = self.mails.try_recv() {
            out.push(m);
        }
        out
    }

    /// Stops the listener and waits (at most 10 s) for it to end.
    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        ended.expect("the listener did not stop").unwrap().unwrap();
    }
}

/// A self-signed certificate for `localhost` and `127.0.0.1` made with the `openssl` tool,
/// and the rustls configuration serving it: `(dir, cert.pem, config)`. `None` (after saying
/// so) without the tool outside CI.
pub(super) fn certificate() -> Option<(tempfile::TempDir, PathBuf, Arc<super::rustls::ServerConfig>)>
{
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        if std::env::var_os("CI").is_some() {
            panic!("the openssl tool is missing; it makes the test certificate");
        }
        eprintln!("SKIPPED: no openssl tool to make a test certificate; the TLS test did not run");
        return None;
    }
    let config = server_config(&cert, &key);
    Some((dir, cert, config))
}

fn server_config(cert: &Path, key: &Path) -> Arc<super::rustls::ServerConfig> {
    use super::rustls;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    Arc::new(config)
}
