//! Delivery to a real SMTP server (aiosmtpd): exactly once, byte for byte, over reused
//! connections; 4xx and connection failures retry, 5xx fail.

use std::collections::HashMap;
use std::time::Duration;

use mail_parser::MessageParser;
use tocsin_model::inventory::Language;
use tocsin_notify::{compose, envelope, Envelope, Mailer, NoticeKind, Outcome, SmtpConfig};

use crate::fixtures::{notice, sender};
use crate::peer::{free_port, split_kept, Keeper};

fn config(port: u16) -> SmtpConfig {
    let mut c = SmtpConfig::new("127.0.0.1", port);
    c.timeout = Duration::from_secs(10);
    c.hello_name = Some("tocsin.test".to_owned());
    c
}

/// `count` composed notices to distinct contacts, in all five languages.
fn batch(count: u64, to: impl Fn(u64) -> String) -> Vec<(u64, Envelope, Vec<u8>)> {
    (0..count)
        .map(|i| {
            let language = Language::ALL[usize::try_from(i).unwrap() % 5];
            let mut n = notice(NoticeKind::Opened, language);
            n.outbox_id = 10_000 + i;
            n.to = to(i);
            let e = envelope(&n, &sender()).unwrap();
            (n.outbox_id, e, compose(&n, &sender()).unwrap())
        })
        .collect()
}

/// The keeper's options: announcing PIPELINING or not, so that both of the client's paths
/// (one command a round trip, or one round trip a message) meet the server.
fn pipelining(on: bool) -> Vec<String> {
    if on {
        vec!["--pipelining".to_owned()]
    } else {
        Vec::new()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_arrives_exactly_once_byte_for_byte() {
    for on in [false, true] {
        exactly_once_byte_for_byte(&pipelining(on)).await;
    }
}

async fn exactly_once_byte_for_byte(options: &[String]) {
    let Some(keeper) = Keeper::start_with(options) else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port)).unwrap();
    let sent = batch(300, |i| format!("contact{i}@customer{}.example", i % 17));
    let outcomes = mailer.send_batch(sent.clone()).await;

    assert_eq!(outcomes.len(), sent.len());
    for ((id, outcome), (sent_id, _, _)) in outcomes.iter().zip(&sent) {
        assert_eq!(id, sent_id, "outcomes come back in batch order");
        assert_eq!(outcome, &Outcome::Delivered, "{id} {options:?}");
    }

    let by_id: HashMap<String, (&Envelope, &Vec<u8>)> = sent
        .iter()
        .map(|(_, e, bytes)| {
            let id = MessageParser::default()
                .parse(bytes)
                .unwrap()
                .message_id()
                .unwrap()
                .to_owned();
            (id, (e, bytes))
        })
        .collect();
    let kept = keeper.messages();
    assert_eq!(kept.len(), sent.len(), "one arrival per message");
    let mut seen = std::collections::HashSet::new();
    for file in &kept {
        let (mail_from, rcpt_to, received) = split_kept(file);
        let parsed = MessageParser::default().parse(&received).unwrap();
        let id = parsed.message_id().unwrap().to_owned();
        assert!(seen.insert(id.clone()), "{id} arrived twice");
        let (e, bytes) = by_id[&id];
        assert_eq!(mail_from, e.from);
        assert_eq!(rcpt_to, e.to);
        assert_eq!(
            parsed.to().unwrap().first().unwrap().address(),
            Some(e.to.as_str())
        );
        assert_eq!(
            parsed.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        assert_eq!(&received, bytes, "{id} changed on the way");
    }
    // 300 messages over a pool of 8: connections are reused, not opened per message.
    let sessions = keeper.sessions();
    assert!((1..=8).contains(&sessions), "{sessions} SMTP sessions");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_refusals_retry_and_permanent_ones_fail() {
    for on in [false, true] {
        refusals(&pipelining(on)).await;
    }
}

async fn refusals(options: &[String]) {
    let Some(keeper) = Keeper::start_with(options) else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port)).unwrap();
    let kinds = ["ok", "tempfail", "permfail", "datafail"];
    let sent = batch(40, |i| {
        format!(
            "{}{i}@customer.example",
            kinds[usize::try_from(i).unwrap() % 4]
        )
    });
    let outcomes = mailer.send_batch_accepted(sent.clone()).await;
    for (i, (id, outcome, accepted)) in outcomes.iter().enumerate() {
        assert_eq!(*id, sent[i].0);
        // The bytes come back exactly for the messages the server took.
        let expected = (*outcome == Outcome::Delivered).then_some(&sent[i].2);
        assert_eq!(accepted.as_ref(), expected, "{i} {options:?}");
        match kinds[i % 4] {
            "ok" => assert_eq!(outcome, &Outcome::Delivered),
            "tempfail" => {
                assert!(
                    matches!(outcome, Outcome::Retry { reason } if reason.contains("451")),
                    "{outcome:?}"
                )
            }
            "permfail" => {
                assert!(
                    matches!(outcome, Outcome::Failed { reason } if reason.contains("550")),
                    "{outcome:?}"
                )
            }
            _ => {
                assert!(
                    matches!(outcome, Outcome::Retry { reason } if reason.contains("452")),
                    "{outcome:?}"
                )
            }
        }
    }
    let kept = keeper.messages();
    assert_eq!(
        kept.len(),
        10,
        "only the accepted recipients got mail {options:?}"
    );
    for file in kept {
        let (_, rcpt_to, _) = split_kept(&file);
        assert!(rcpt_to.starts_with("ok"), "{rcpt_to}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_is_down_means_retry_and_mail_flows_when_it_is_back() {
    let port = free_port();
    let mailer = Mailer::new(&config(port)).unwrap();
    let sent = batch(5, |i| format!("contact{i}@customer.example"));
    for (_, outcome) in mailer.send_batch(sent.clone()).await {
        assert!(matches!(outcome, Outcome::Retry { .. }), "{outcome:?}");
    }
    let Some(keeper) = Keeper::start_on(port) else {
        return;
    };
    for (_, outcome) in mailer.send_batch(sent).await {
        assert_eq!(outcome, Outcome::Delivered);
    }
    assert_eq!(keeper.messages().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_starting_with_a_dot_survive_the_data_phase() {
    let Some(keeper) = Keeper::start() else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port)).unwrap();
    let message = b"From: a@example.net\r\nTo: b@example.net\r\nSubject: dots\r\n\r\n.\r\n..two\r\n.x\r\nend\r\n".to_vec();
    let e = Envelope {
        from: "a@example.net".to_owned(),
        to: "b@example.net".to_owned(),
    };
    assert_eq!(mailer.send(&e, &message).await, Outcome::Delivered);
    let kept = keeper.messages();
    assert_eq!(kept.len(), 1);
    assert_eq!(split_kept(&kept[0]).2, message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_batch_sends_nothing() {
    let mailer = Mailer::new(&config(free_port())).unwrap();
    assert!(mailer.send_batch(Vec::new()).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_kept_between_batches_and_stale_ones_replaced() {
    let port = free_port();
    let Some(first) = Keeper::start_with(&[
        "--port".to_owned(),
        port.to_string(),
        "--pipelining".to_owned(),
    ]) else {
        return;
    };
    let mailer = Mailer::new(&config(port)).unwrap();
    for round in 0..3u64 {
        let sent = batch(20, |i| format!("r{round}c{i}@customer.example"));
        for (_, outcome) in mailer.send_batch(sent).await {
            assert_eq!(outcome, Outcome::Delivered);
        }
    }
    assert_eq!(first.messages().len(), 60);
    assert!(
        first.sessions() <= 8,
        "{} sessions for 3 batches",
        first.sessions()
    );

    // The server goes away and comes back: every kept session is dead, yet nothing is lost.
    drop(first);
    let Some(second) = Keeper::start_on(port) else {
        return;
    };
    for (_, outcome) in mailer
        .send_batch(batch(20, |i| format!("c{i}@customer.example")))
        .await
    {
        assert_eq!(outcome, Outcome::Delivered);
    }
    assert_eq!(second.messages().len(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_caps_connections_still_gets_every_message() {
    let options = ["--max-sessions", "2", "--pipelining"].map(str::to_owned);
    let Some(keeper) = Keeper::start_with(&options) else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port)).unwrap();
    let sent = batch(40, |i| format!("contact{i}@customer.example"));
    for (id, outcome) in mailer.send_batch(sent).await {
        assert_eq!(outcome, Outcome::Delivered, "{id}");
    }
    assert_eq!(keeper.messages().len(), 40);
    assert!(keeper.sessions() <= 2, "{} sessions", keeper.sessions());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_is_a_retry_after_the_time_out() {
    // The kernel completes the handshake for the backlog; nobody ever greets.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = config(silent.local_addr().unwrap().port());
    c.timeout = Duration::from_millis(300);
    let mailer = Mailer::new(&c).unwrap();
    for (_, outcome) in mailer
        .send_batch(batch(3, |i| format!("c{i}@customer.example")))
        .await
    {
        let Outcome::Retry { reason } = &outcome else {
            panic!("{outcome:?}")
        };
        assert!(reason.contains("timed out"), "{reason}");
    }
}

#[test]
fn a_mailer_outlives_the_runtime_it_sent_on() {
    let Some(keeper) = Keeper::start() else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcomes =
        runtime.block_on(mailer.send_batch(batch(2, |i| format!("c{i}@customer.example"))));
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Delivered));
    // The mailer still holds open sessions; dropping them without a runtime must be quiet.
    drop(runtime);
    drop(mailer);
    assert_eq!(keeper.messages().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_share_the_connections() {
    let options = ["--pipelining"].map(str::to_owned);
    let Some(keeper) = Keeper::start_with(&options) else {
        return;
    };
    let mut c = config(keeper.port);
    c.connections = 3;
    let mailer = Mailer::new(&c).unwrap();
    let (a, b) = tokio::join!(
        mailer.send_batch(batch(30, |i| format!("a{i}@customer.example"))),
        mailer.send_batch(batch(30, |i| format!("b{i}@customer.example"))),
    );
    assert!(a.iter().chain(&b).all(|(_, o)| *o == Outcome::Delivered));
    assert_eq!(keeper.messages().len(), 60);
    assert!(keeper.sessions() <= 3, "{} sessions", keeper.sessions());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internationalised_addresses() {
    for smtputf8 in [false, true] {
        let options: Vec<String> = if smtputf8 {
            vec!["--smtputf8".to_owned()]
        } else {
            vec![]
        };
        let Some(keeper) = Keeper::start_with(&options) else {
            return;
        };
        let mailer = Mailer::new(&config(keeper.port)).unwrap();
        let idn_domain = batch(1, |_| "jana@пекарня.рф".to_owned());
        let utf8_local = batch(1, |_| "яна@example.net".to_owned());

        // An internationalised domain goes out as A-labels: any server takes it.
        assert!(idn_domain[0].2.is_ascii());
        assert_eq!(idn_domain[0].1.to, "jana@xn--80ajpngj0i.xn--p1ai");
        assert_eq!(mailer.send_batch(idn_domain).await[0].1, Outcome::Delivered);
        let kept = keeper.messages();
        assert_eq!(split_kept(&kept[0]).1, "jana@xn--80ajpngj0i.xn--p1ai");

        // A non-ASCII local part needs SMTPUTF8; without it the message can never go.
        let outcome = mailer.send_batch(utf8_local).await.remove(0).1;
        if smtputf8 {
            assert_eq!(outcome, Outcome::Delivered);
            assert_eq!(split_kept(&keeper.messages()[1]).1, "яна@example.net");
        } else {
            let Outcome::Failed { reason } = &outcome else {
                panic!("{outcome:?}")
            };
            assert!(reason.contains("SMTPUTF8"), "{reason}");
            assert_eq!(keeper.messages().len(), 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_wants_a_login_we_lack_means_retry_not_failure() {
    let options = ["--login", "tocsin:s3cret"].map(str::to_owned);
    let Some(keeper) = Keeper::start_with(&options) else {
        return;
    };
    let mailer = Mailer::new(&config(keeper.port)).unwrap();
    for (_, outcome) in mailer
        .send_batch(batch(3, |i| format!("c{i}@customer.example")))
        .await
    {
        let Outcome::Retry { reason } = &outcome else {
            panic!("{outcome:?}")
        };
        assert!(reason.starts_with("530"), "{reason}");
    }
    assert!(keeper.messages().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_server_cannot_take_between_two_it_can_on_one_pipelined_connection() {
    for smtputf8 in [false, true] {
        let mut options = pipelining(true);
        if smtputf8 {
            options.push("--smtputf8".to_owned());
        }
        let Some(keeper) = Keeper::start_with(&options) else {
            return;
        };
        let mut c = config(keeper.port);
        c.connections = 1;
        let mailer = Mailer::new(&c).unwrap();
        let locals = ["jana", "яна", "petr"];
        let sent = batch(3, |i| format!("{}@example.net", locals[i as usize]));
        let outcomes = mailer.send_batch(sent).await;
        assert_eq!(outcomes[0].1, Outcome::Delivered);
        assert_eq!(outcomes[2].1, Outcome::Delivered);
        let kept: Vec<String> = keeper.messages().iter().map(|m| split_kept(m).1).collect();
        if smtputf8 {
            assert_eq!(outcomes[1].1, Outcome::Delivered);
            assert_eq!(
                kept,
                ["jana@example.net", "яна@example.net", "petr@example.net"]
            );
        } else {
            let Outcome::Failed { reason } = &outcomes[1].1 else {
                panic!("{:?}", outcomes[1].1)
            };
            assert!(reason.contains("SMTPUTF8"), "{reason}");
            assert_eq!(kept, ["jana@example.net", "petr@example.net"]);
        }
        assert_eq!(keeper.sessions(), 1);
    }
}

/// A server that answers the end of a message's data only once the next message's MAIL,
/// RCPT and DATA have arrived: a client that waits for that answer before announcing the
/// next message stalls it, and the server gives up. Returns what it saw, in order.
fn withholding_server(listener: std::net::TcpListener, messages: usize) -> Vec<String> {
    use std::io::Write;
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut lines = std::io::BufReader::new(stream);
    let mut seen = Vec::new();
    out.write_all(b"220 withholding\r\n").unwrap();
    if !take_lines(&mut lines, 1, &mut seen) {
        return seen;
    }
    out.write_all(b"250-withholding\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        .unwrap();
    if !take_lines(&mut lines, 3, &mut seen) {
        return seen;
    }
    let mut replies = b"250 sender ok\r\n250 recipient ok\r\n354 go on\r\n".to_vec();
    for number in 1..=messages {
        out.write_all(&replies).unwrap();
        // The message itself, up to its final dot.
        loop {
            match read_line(&mut lines) {
                Some(l) if l == "." => break,
                Some(_) => {}
                None => {
                    seen.push("stalled".to_owned());
                    return seen;
                }
            }
        }
        seen.push(format!("message {number}"));
        replies = format!("250 queued as {number}\r\n").into_bytes();
        if number < messages {
            // The answer to this message waits for the next envelope.
            if !take_lines(&mut lines, 3, &mut seen) {
                return seen;
            }
            replies.extend_from_slice(b"250 sender ok\r\n250 recipient ok\r\n354 go on\r\n");
        }
    }
    out.write_all(&replies).unwrap();
    seen
}

/// One line without its end, or `None` at the end of the stream or after the time-out.
fn read_line(lines: &mut impl std::io::BufRead) -> Option<String> {
    let mut l = String::new();
    match lines.read_line(&mut l) {
        Ok(n) if n > 0 => Some(l.trim_end().to_owned()),
        _ => None,
    }
}

/// Reads `count` lines into `seen`; false (and "stalled" seen) when they do not come.
fn take_lines(lines: &mut impl std::io::BufRead, count: usize, seen: &mut Vec<String>) -> bool {
    for _ in 0..count {
        match read_line(lines) {
            Some(l) => seen.push(l),
            None => {
                seen.push("stalled".to_owned());
                return false;
            }
        }
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipelining_server_gets_the_next_envelope_behind_each_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut c = config(listener.local_addr().unwrap().port());
    c.connections = 1;
    let server = std::thread::spawn(move || withholding_server(listener, 3));
    let mailer = Mailer::new(&c).unwrap();
    let outcomes = mailer
        .send_batch(batch(3, |i| format!("c{i}@customer.example")))
        .await;
    let seen = tokio::task::spawn_blocking(move || server.join().unwrap())
        .await
        .unwrap();
    assert_eq!(
        seen,
        [
            "EHLO tocsin.test",
            "MAIL FROM:<noc@status.example.net>",
            "RCPT TO:<c0@customer.example>",
            "DATA",
            "message 1",
            "MAIL FROM:<noc@status.example.net>",
            "RCPT TO:<c1@customer.example>",
            "DATA",
            "message 2",
            "MAIL FROM:<noc@status.example.net>",
            "RCPT TO:<c2@customer.example>",
            "DATA",
            "message 3",
        ]
    );
    for (id, outcome) in outcomes {
        assert_eq!(outcome, Outcome::Delivered, "{id}");
    }
}
