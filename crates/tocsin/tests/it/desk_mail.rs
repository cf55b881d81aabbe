//! Mail in, end to end: messages relayed over a real SMTP conversation (Python's `smtplib`)
//! to the desk's listener open tickets for the customer whose contact wrote, hold an unknown
//! sender's for staff, thread answers by `In-Reply-To` and by the subject's tag, add a
//! repeated message once, ignore auto-replies and bulk mail without answering them, keep
//! attachments, decode a Czech subject, and staff's answer goes out threaded under them.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::mail::{smtp_config, Keeper};
use crate::serve::{add_account, api_token, http_as, json_of, start};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: hv-1, kind: hypervisor}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
"#;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Relays `message` from `from` to the desk over SMTP, as the provider's MTA would.
fn relay(port: u16, from: &str, message: &str) {
    let script = format!(
        "import smtplib, sys\n\
         data = sys.stdin.buffer.read()\n\
         with smtplib.SMTP('127.0.0.1', {port}, timeout=30) as s:\n\
         \x20   s.ehlo('mta.example.net')\n\
         \x20   s.sendmail('{from}', ['support@example.net'], data)\n"
    );
    let mut child = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.replace('\n', "\r\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "smtplib: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn message(from: &str, id: &str, subject: &str, extra: &str, body: &str) -> String {
    format!(
        "From: {from}\nTo: support@example.net\nSubject: {subject}\nMessage-ID: <{id}>\n\
         Date: Wed, 02 Dec 2026 10:00:00 +0100\nMIME-Version: 1.0\n{extra}\
         Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
}

fn get(addr: &str, token: &str, path: &str) -> Value {
    let (status, body) = http_as(addr, "GET", path, "", Some(token));
    assert_eq!(status, 200, "{path}: {body}");
    json_of(&body)
}

/// Waits until the staff list holds `n` tickets; returns them, newest first.
fn tickets(addr: &str, token: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = get(addr, token, "/api/v1/tickets")["tickets"]
            .as_array()
            .unwrap()
            .clone();
        if list.len() >= n || Instant::now() > deadline {
            return list;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn mail_opens_threads_and_is_answered_in_the_thread() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let port = free_port();
    let config = smtp_config(
        dir.path(),
        keeper.port,
        INVENTORY,
        "archive = \"archive\"\n",
        "0s",
        "",
    );
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "[desk]\naddress = \"support@example.net\"\ninbound = \"127.0.0.1:{port}\"\n"
    ));
    std::fs::write(&config, text).unwrap();
    add_account(&config, "engineer@provider.test", "engineer", None);
    add_account(&config, "ops@acme.example", "customer", Some("acme"));
    let staff = api_token(&config, "engineer@provider.test");
    let acme = api_token(&config, "ops@acme.example");
    let server = start(&config);
    let addr = &server.addr;

    // A contact of acme writes, with a file and a Czech subject in an encoded word.
    let first = "first.1@acme.example";
    let multipart = format!(
        "From: ACME Ops <ops@acme.example>\nTo: support@example.net\n\
         Subject: =?ISO-8859-2?Q?Nejede_n=E1m_web?=\nMessage-ID: <{first}>\n\
         Date: Wed, 02 Dec 2026 10:00:00 +0100\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\n\n\
         --b1\nContent-Type: text/plain; charset=utf-8\n\nWeb is down since 9:00.\n\
         --b1\nContent-Type: application/pdf; name=\"report.pdf\"\n\
         Content-Disposition: attachment; filename=\"report.pdf\"\n\
         Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b1--\n"
    );
    relay(port, "ops@acme.example", &multipart);
    let list = tickets(addr, &staff, 1);
    assert_eq!(list.len(), 1, "{list:?}");
    let id = list[0]["id"].as_i64().unwrap();
    let t = get(addr, &staff, &format!("/api/v1/tickets/{id}"));
    assert_eq!(t["customer"], "acme", "{t}");
    assert_eq!(t["subject"], "Nejede nám web", "{t}");
    assert_eq!(t["events"][0]["body"], "Web is down since 9:00.");
    let file = &t["events"][0]["attachments"][0];
    assert_eq!(file["name"], "report.pdf", "{t}");
    let key = file["key"].as_str().unwrap();
    let (status, pdf) = http_as(
        addr,
        "GET",
        &format!("/api/v1/tickets/{id}/attachments/{key}"),
        "",
        Some(&acme),
    );
    assert_eq!((status, pdf.as_str()), (200, "%PDF-1.4\n"));

    // The acknowledgement goes to the sender only, threaded under the message.
    let mail = keeper.wait_for(1, Duration::from_secs(20));
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].0, "ops@acme.example");
    let ack = &mail[0].1;
    assert_eq!(
        header(ack, "In-Reply-To"),
        Some(format!("<{first}>").as_str())
    );
    assert_eq!(header(ack, "Auto-Submitted"), Some("auto-replied"));
    let ack_id = header(ack, "Message-ID")
        .unwrap()
        .trim_matches(['<', '>'])
        .to_owned();

    // The customer answers the acknowledgement: the same ticket, reopened if it waited.
    relay(
        port,
        "ops@acme.example",
        &message(
            "ops@acme.example",
            "second.2@acme.example",
            "Re: something else entirely",
            &format!("In-Reply-To: <{ack_id}>\nReferences: <{first}> <{ack_id}>\n"),
            "Now the database too.",
        ),
    );
    // The same message relayed again (an MTA retry) is added once.
    relay(
        port,
        "ops@acme.example",
        &message(
            "ops@acme.example",
            "second.2@acme.example",
            "Re: something else entirely",
            &format!("In-Reply-To: <{ack_id}>\n"),
            "Now the database too.",
        ),
    );
    // The other contact answers by the subject's tag alone.
    relay(
        port,
        "boss@acme.example",
        &message(
            "boss@acme.example",
            "third.3@acme.example",
            &format!("Re: [#T-{id}] Nejede nám web"),
            "",
            "Any news?",
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let t = loop {
        let t = get(addr, &staff, &format!("/api/v1/tickets/{id}"));
        if t["events"].as_array().unwrap().len() >= 3 || Instant::now() > deadline {
            break t;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let bodies: Vec<&str> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "Web is down since 9:00.",
            "Now the database too.",
            "Any news?"
        ],
        "{t}"
    );
    assert_eq!(tickets(addr, &staff, 1).len(), 1);

    // Staff answer: mailed to acme's contacts, threaded under the latest message.
    let (status, body) = http_as(
        addr,
        "POST",
        &format!("/api/v1/tickets/{id}/replies"),
        &json!({"body": "The host is back.", "public": true}).to_string(),
        Some(&staff),
    );
    assert_eq!(status, 201, "{body}");
    let mail = keeper.wait_for(3, Duration::from_secs(20));
    assert_eq!(mail.len(), 3, "{mail:?}");
    let reply = &mail[2].1;
    assert_eq!(header(reply, "In-Reply-To"), Some("<third.3@acme.example>"));
    let refs = header(reply, "References").unwrap();
    assert!(
        refs.contains(first) && refs.contains("second.2@acme.example"),
        "{reply}"
    );

    // An unknown sender's ticket is held for staff, without a customer.
    relay(
        port,
        "stranger@elsewhere.example",
        &message(
            "stranger@elsewhere.example",
            "s.1@elsewhere.example",
            "Hello?",
            "",
            "Who are you?",
        ),
    );
    // Auto-replies and bulk mail open nothing and get no answer.
    relay(
        port,
        "ops@acme.example",
        &message(
            "ops@acme.example",
            "ooo.1@acme.example",
            &format!("Out of office: [#T-{id}]"),
            "Auto-Submitted: auto-replied\n",
            "I am away.",
        ),
    );
    relay(
        port,
        "news@list.example",
        &message(
            "news@list.example",
            "n.1@list.example",
            "Our newsletter",
            "Precedence: bulk\n",
            "Buy!",
        ),
    );
    let list = tickets(addr, &staff, 2);
    assert_eq!(list.len(), 2, "{list:?}");
    let held = &list[0];
    assert!(held["customer"].is_null(), "{held}");
    assert_eq!(held["requester"], "stranger@elsewhere.example");
    let t = get(addr, &staff, &format!("/api/v1/tickets/{id}"));
    assert_eq!(
        t["events"].as_array().unwrap().len(),
        4,
        "the auto-reply was added: {t}"
    );
    // The customer does not see the stranger's ticket.
    let own = get(addr, &acme, "/api/v1/tickets");
    assert_eq!(own["tickets"].as_array().unwrap().len(), 1, "{own}");
    // Only the stranger's acknowledgement was sent besides the three before.
    std::thread::sleep(Duration::from_millis(500));
    let mail = keeper.wait_for(4, Duration::from_secs(20));
    let to: Vec<&str> = mail.iter().map(|(to, _)| to.as_str()).collect();
    assert_eq!(to.len(), 4, "{to:?}");
    assert_eq!(to[3], "stranger@elsewhere.example");
}
