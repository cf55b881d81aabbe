//! Fan-out benchmark: 10,000 notices composed and delivered to postfix's `smtp-sink` (timed
//! together as `ours_s`, split into `ours_compose_s` and `ours_send_s`), against
//! postfix's own `smtp-source` sending as many messages of the same size over 8 connections to
//! the same sink in the same run. Prints one JSON object.
//!
//! `cargo run --release -p tocsin-notify --example fanout -- [MESSAGES] [ROUNDS]`
//! Needs `/usr/sbin/smtp-sink` and `/usr/sbin/smtp-source` (Debian package `postfix`).
//!
//! With `FANOUT_DELAY_MS=N`, both senders reach the sink through a relay in this process that
//! holds every chunk N ms in each direction (a server 2·N ms away, bandwidth unlimited): what
//! the number of round trips a message costs matters on a real network, where loopback hides
//! it.

// A benchmark measures wall time, which the library itself never reads.
#![allow(clippy::disallowed_methods)]

use std::error::Error;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use tocsin_model::inventory::Language;
use tocsin_notify::{
    envelope, Composer, Mailer, Notice, NoticeKind, Outcome, Sender, ServiceLine, SmtpConfig,
};

const SINK: &str = "/usr/sbin/smtp-sink";
const SOURCE: &str = "/usr/sbin/smtp-source";
const DATE: i64 = 1_795_363_911;

fn notices(count: u64) -> Vec<Notice> {
    (0..count)
        .map(|i| {
            let services = 1 + i % 5;
            Notice {
                kind: NoticeKind::Opened,
                incident_id: 7,
                incident_title: "Hypervisor hv-07 in Prague 1 restarted".to_owned(),
                customer_name: format!("Customer {i} s.r.o."),
                to: format!("contact{i}@customer{}.example", i % 997),
                language: Language::ALL[usize::try_from(i % 5).unwrap_or(0)],
                services: (0..services)
                    .map(|s| ServiceLine {
                        id: format!("vps-{i}-{s}"),
                        name: format!("Virtual server {s} (web and database)"),
                        down_since: DATE - 300,
                        back_up_at: None,
                    })
                    .collect(),
                public_url: "https://status.example.net/".to_owned(),
                date: DATE,
                outbox_id: 1_000_000 + i,
                body: String::new(),
                at_risk: 0,
                window: None,
                credit: None,
                ticket: None,
            }
        })
        .collect()
}

fn free_port() -> Result<u16, Box<dyn Error>> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

fn seconds(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let rounds: u32 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(3);
    for tool in [SINK, SOURCE] {
        if !std::path::Path::new(tool).exists() {
            return Err(format!("{tool} is missing: apt-get install postfix").into());
        }
    }

    let port = free_port()?;
    let mut sink_cmd = Command::new(SINK);
    if is_root() {
        sink_cmd.args(["-u", "nobody"]);
    }
    let mut sink = sink_cmd
        .args(["-c", &format!("127.0.0.1:{port}"), "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let result = run(port, count, rounds);
    let _ = sink.kill();
    let _ = sink.wait();
    println!("{}", result?);
    Ok(())
}

/// Accepts connections and links each to the sink on `sink` through two [`late`] pipes.
async fn relay(listener: tokio::net::TcpListener, sink: u16, delay: Duration) {
    while let Ok((client, _)) = listener.accept().await {
        tokio::spawn(async move {
            let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", sink)).await else {
                return;
            };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::join!(
                late(client_read, server_write, delay),
                late(server_read, client_write, delay)
            );
        });
    }
}

/// Copies `from` to `to`, each chunk `delay` after it was read, in order.
async fn late(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    let (chunks, mut due) = tokio::sync::mpsc::unbounded_channel();
    let read = async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf).await {
            if chunks
                .send((tokio::time::Instant::now() + delay, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
    };
    let write = async move {
        while let Some((at, bytes)) = due.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
}

fn run(sink: u16, count: u64, rounds: u32) -> Result<String, Box<dyn Error>> {
    let port = sink;
    let ready = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if ready.elapsed() > Duration::from_secs(10) {
            return Err("smtp-sink did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    let sender = Sender {
        from: "Tocsin NOC <noc@status.example.net>".to_owned(),
        list_id: "status.example.net".to_owned(),
    };
    let composer = Composer::new()?;
    let notices = notices(count);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let delay_ms: u64 = match std::env::var("FANOUT_DELAY_MS") {
        Ok(v) => v.parse()?,
        Err(_) => 0,
    };
    // Where both senders connect: the sink, or the relay in front of it.
    let port = if delay_ms > 0 {
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let relayed = listener.local_addr()?.port();
        runtime.spawn(relay(listener, sink, Duration::from_millis(delay_ms)));
        relayed
    } else {
        port
    };

    let mut ours = Vec::new();
    let mut compose_times = Vec::new();
    let mut send_times = Vec::new();
    let mut theirs = Vec::new();
    let mut size = 0;
    for _ in 0..rounds {
        // Our side: compose every notice, then deliver them all over one fresh pool.
        let started = Instant::now();
        let mut batch = Vec::with_capacity(notices.len());
        for n in &notices {
            batch.push((
                n.outbox_id,
                envelope(n, &sender)?,
                composer.compose(n, &sender)?,
            ));
        }
        let composed = started.elapsed();
        size = batch.iter().map(|(_, _, m)| m.len()).sum::<usize>() / batch.len().max(1);
        let outcomes = runtime.block_on(async {
            let mailer = Mailer::new(&SmtpConfig::new("127.0.0.1", port))?;
            Ok::<_, tocsin_notify::NotifyError>(mailer.send_batch(batch).await)
        })?;
        let total = started.elapsed();
        let delivered = outcomes
            .iter()
            .filter(|(_, o)| *o == Outcome::Delivered)
            .count();
        if delivered != notices.len() {
            let first = outcomes.iter().find(|(_, o)| *o != Outcome::Delivered);
            return Err(format!("only {delivered} delivered; first problem: {first:?}").into());
        }
        compose_times.push(seconds(composed));
        send_times.push(seconds(total - composed));
        ours.push(seconds(total));

        // Postfix's load generator: same count, same size, 8 sessions.
        let started = Instant::now();
        let status = Command::new(SOURCE)
            .args(["-s", "8", "-m", &count.to_string(), "-l", &size.to_string()])
            .args([
                "-f",
                "noc@status.example.net",
                "-t",
                "contact@customer.example",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            return Err(format!("smtp-source failed: {status}").into());
        }
        theirs.push(seconds(started.elapsed()));
    }
    let median = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        s.get(s.len() / 2).copied().unwrap_or(0.0)
    };
    let (ours_m, theirs_m) = (median(&ours), median(&theirs));
    Ok(format!(
        "{{\"messages\":{count},\"connections\":8,\"delay_ms_each_way\":{delay_ms},\"message_bytes\":{size},\
         \"ours_s\":{ours:?},\"ours_compose_s\":{compose_times:?},\"ours_send_s\":{send_times:?},\"smtp_source_s\":{theirs:?},\
         \"ours_median_s\":{ours_m},\"smtp_source_median_s\":{theirs_m},\
         \"ratio\":{:.2}}}",
        if theirs_m > 0.0 {
            ours_m / theirs_m
        } else {
            0.0
        }
    ))
}
