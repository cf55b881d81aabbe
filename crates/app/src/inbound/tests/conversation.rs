//! Whole conversations with a real client: Python's `smtplib`, with messages made by
//! Python's `email` package (an encoder we did not write), plain and over STARTTLS.

use base64::Engine;
use serde_json::Value;

use super::{certificate, Listener, MAX_SIZE};
use crate::inbound::{Limits, Verdict};

/// What every script starts with: the port in `PORT`, `crlf(msg)` for the bytes to send.
const PRELUDE: &str = r#"
import base64, json, smtplib, ssl, sys
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
PORT = int(sys.argv[1])
out = {}
def crlf(msg):
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
"#;

/// A python3 with smtplib and ssl, or `None` (after saying so) outside CI.
async fn python() -> Option<&'static str> {
    let ok = tokio::process::Command::new("python3")
        .args(["-c", "import smtplib, ssl, email"])
        .status()
        .await
        .is_ok_and(|s| s.success());
    if ok {
        return Some("python3");
    }
    if std::env::var_os("CI").is_some() {
        panic!("python3 is missing; it is the SMTP client of these tests");
    }
    eprintln!("SKIPPED: no python3; the SMTP conversation test did not run");
    None
}

/// Runs `script` after the prelude with the port (and `args`); it prints `out` as JSON.
async fn run(python: &str, script: &str, port: u16, args: &[&str]) -> Value {
    let program = format!("{PRELUDE}\n{script}\nprint(json.dumps(out))\n");
    let output = tokio::process::Command::new(python)
        .arg("-c")
        .arg(program)
        .arg(port.to_string())
        .args(args)
        .output();
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), output)
        .await
        .expect("the client hung")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the client failed:\n{stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

fn unbase64(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_from_smtplib_arrives_whole_and_read() {
    let Some(python) = python().await else {
        return;
    };
    let mut listener = Listener::plain().await;
    let script = r#"
msg = MIMEMultipart()
msg["From"] = formataddr(("Jan Novák", "Jan.Novak@Example.CZ"), charset="iso-8859-2")
msg["To"] = "support@example.net"
msg["Subject"] = Header("Сервер не отвечает", "koi8-r")
msg["Message-ID"] = "<first-1@mail.example.cz>"
msg["In-Reply-To"] = "<t-7.2@desk.example.net>"
msg["References"] = "<t-7.1@desk.example.net> <t-7.2@desk.example.net>"
body = "Dobrý den,\n.tečka na začátku řádku\n..a dvě\n.\nPříliš žluťoučký kůň.\n"
msg.attach(MIMEText(body, "plain", "iso-8859-2"))
pdf = b"%PDF-1.4\n" + bytes(range(256)) + b"\n%%EOF\n"
part = MIMEApplication(pdf, "pdf")
part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "faktura č. 12.pdf"))
msg.attach(part)
raw = crlf(msg)
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
out["ehlo"] = s.ehlo("client.example.cz")[1].decode()
out["refused"] = s.sendmail("jan.novak@example.cz", ["Support@Example.NET"], raw)
out["quit"] = s.quit()[0]
out["raw"] = base64.b64encode(raw).decode()
out["pdf"] = base64.b64encode(pdf).decode()
out["body"] = body
"#;
    let out = run(python, script, listener.port, &[]).await;
    let ehlo = out["ehlo"].as_str().unwrap();
    let offered: Vec<&str> = ehlo.lines().collect();
    assert_eq!(
        offered,
        [
            "desk.example.net",
            "PIPELINING",
            &format!("SIZE {MAX_SIZE}"),
            "8BITMIME",
            "ENHANCEDSTATUSCODES",
            "SMTPUTF8"
        ]
    );
    assert_eq!(out["refused"], serde_json::json!({}));
    assert_eq!(out["quit"], 221);
    let sent = unbase64(&out["raw"]);
    // The body has lines starting with a dot, which smtplib doubled on the wire.
    assert!(
        sent.windows(3).any(|w| w == b"\r\n."),
        "no line starts with a dot"
    );

    let mails = listener.delivered();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.raw, sent, "the message is kept as it was sent");
    assert_eq!(mail.envelope_from, "jan.novak@example.cz");
    assert_eq!(mail.recipients, ["Support@Example.NET"]);
    assert_eq!(mail.from.as_deref(), Some("jan.novak@example.cz"));
    assert_eq!(mail.from_name.as_deref(), Some("Jan Novák"));
    assert_eq!(mail.subject, "Сервер не отвечает");
    assert_eq!(mail.message_id.as_deref(), Some("first-1@mail.example.cz"));
    assert_eq!(mail.in_reply_to, ["t-7.2@desk.example.net"]);
    assert_eq!(
        mail.references,
        ["t-7.1@desk.example.net", "t-7.2@desk.example.net"]
    );
    let body = out["body"].as_str().unwrap().replace('\n', "\r\n");
    assert_eq!(mail.text, body);
    assert!(!mail.automatic);
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].name, "faktura č. 12.pdf");
    assert_eq!(mail.attachments[0].content_type, "application/pdf");
    assert_eq!(mail.attachments[0].bytes, unbase64(&out["pdf"]));
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_starts_a_new_session_that_a_verifying_client_trusts() {
    let Some(python) = python().await else {
        return;
    };
    let Some((_dir, cert, tls)) = certificate() else {
        return;
    };
    let mut listener = Listener::start(Some(tls), Limits::default()).await;
    let script = r#"
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.ehlo("client.example.cz")
out["offered_before"] = s.has_extn("starttls")
out["mail_before"] = s.mail("jan@example.cz")[0]
out["starttls"] = s.starttls(context=ctx)[0]
out["version"] = s.sock.version()
out["rcpt_after"] = s.rcpt("support@example.net")[0]
s.ehlo("client.example.cz")
out["offered_after"] = s.has_extn("starttls")
out["again"] = s.docmd("STARTTLS")[0]
msg = MIMEText("Zażółć gęślą jaźń.\n", "plain", "windows-1250")
msg["From"] = "jan@example.pl"
msg["Subject"] = Header("Awaria serwera", "windows-1250")
msg["Auto-Submitted"] = "auto-replied"
out["encoding"] = msg["Content-Transfer-Encoding"]
out["refused"] = s.sendmail("jan@example.pl", ["support@example.net"], crlf(msg))
s.quit()
"#;
    let out = run(python, script, listener.port, &[cert.to_str().unwrap()]).await;
    assert_eq!(out["offered_before"], true);
    assert_eq!(out["mail_before"], 250);
    assert_eq!(out["starttls"], 220);
    assert!(out["version"].as_str().unwrap().starts_with("TLSv1."));
    // The transaction begun in plain text is forgotten (RFC 3207 §4.2).
    assert_eq!(out["rcpt_after"], 503);
    assert_eq!(out["offered_after"], false);
    assert_eq!(out["again"], 503);
    assert_eq!(out["refused"], serde_json::json!({}));
    let mails = listener.delivered();
    assert_eq!(mails.len(), 1);
    // Python sends windows-1250 text in base64, so its line feed is the sender's own.
    assert_eq!(out["encoding"], "base64");
    assert_eq!(mails[0].text, "Zażółć gęślą jaźń.\n");
    assert_eq!(mails[0].subject, "Awaria serwera");
    assert!(mails[0].automatic);
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_leave_the_session_usable() {
    let Some(python) = python().await else {
        return;
    };
    let mut listener = Listener::plain().await;
    let script = r#"
MAX = int(sys.argv[2])
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.ehlo("client.example.cz")
out["garbage"] = [s.docmd("FOOBAR")[0], s.docmd("GET / HTTP/1.1")[0], s.docmd("\x7f\x01")[0]]
out["bad_mail"] = s.docmd("MAIL")[0]
out["noop"] = s.noop()[0]
out["declared_too_large"] = s.mail("jan@example.cz", ["SIZE=%d" % (2 * MAX)])[0]
out["mail"] = s.mail("jan@example.cz")[0]
out["rcpt_other"] = s.rcpt("billing@example.net")[0]
out["rcpt_desk"] = s.rcpt("SUPPORT@example.net")[0]
big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (MAX // 1000 + 2)
out["too_large"] = s.data(big)[0]
out["noop_after"] = s.noop()[0]
out["data_without_mail"] = s.docmd("DATA")[0]
out["rcpt_without_mail"] = s.rcpt("support@example.net")[0]
out["refused"] = s.sendmail("jan@example.cz", ["support@example.net"], b"Subject: small\r\n\r\nok\r\n")
out["quit"] = s.quit()[0]
"#;
    let out = run(python, script, listener.port, &[&MAX_SIZE.to_string()]).await;
    assert_eq!(out["garbage"], serde_json::json!([500, 500, 500]));
    assert_eq!(out["bad_mail"], 501);
    assert_eq!(out["noop"], 250);
    assert_eq!(out["declared_too_large"], 552);
    assert_eq!(out["mail"], 250);
    assert_eq!(out["rcpt_other"], 550);
    assert_eq!(out["rcpt_desk"], 250);
    assert_eq!(out["too_large"], 552);
    assert_eq!(out["noop_after"], 250);
    assert_eq!(out["data_without_mail"], 503);
    assert_eq!(out["rcpt_without_mail"], 503);
    assert_eq!(out["refused"], serde_json::json!({}));
    assert_eq!(out["quit"], 221);
    let mails = listener.delivered();
    assert_eq!(mails.len(), 1, "only the small message was delivered");
    assert_eq!(mails[0].subject, "small");
    assert_eq!(mails[0].text, "ok\r\n");
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drops_verdict_is_the_answer_to_data() {
    let Some(python) = python().await else {
        return;
    };
    let mut listener = Listener::plain().await;
    let script = r#"
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.ehlo("client.example.cz")
s.mail("jan@example.cz")
s.rcpt("support@example.net")
code, text = s.data(b"Subject: retry me\r\n\r\nhello\r\n")
out["code"] = code
out["text"] = text.decode()
out["noop"] = s.noop()[0]
s.quit()
"#;
    listener.answer(Verdict::Retry("the archive is full\r\n250 ok".to_owned()));
    let out = run(python, script, listener.port, &[]).await;
    assert_eq!(out["code"], 451);
    // The reason reaches the client on one line: it cannot forge a second reply.
    assert_eq!(out["text"], "4.3.0 the archive is full??250 ok");
    assert_eq!(out["noop"], 250);
    listener.answer(Verdict::Rejected("not for the desk".to_owned()));
    let out = run(python, script, listener.port, &[]).await;
    assert_eq!(out["code"], 554);
    assert_eq!(out["text"], "5.6.0 not for the desk");
    listener.answer(Verdict::Accepted);
    let out = run(python, script, listener.port, &[]).await;
    assert_eq!(out["code"], 250);
    // Each time, the drop had the message: it decided, the listener only answered.
    assert_eq!(listener.delivered().len(), 3);
    listener.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internationalised_address_arrives_with_smtputf8() {
    let Some(python) = python().await else {
        return;
    };
    let mut listener = Listener::plain().await;
    let script = r#"
raw = "From: Jiří Dvořák <Jiří@Příklad.cz>\r\nSubject: Účet\r\n\r\nDobrý den\r\n".encode()
s = smtplib.SMTP("127.0.0.1", PORT, timeout=10)
s.ehlo("client.example.cz")
out["refused"] = s.sendmail("jiří@příklad.cz", ["support@example.net"], raw, mail_options=["SMTPUTF8"])
s.quit()
"#;
    let out = run(python, script, listener.port, &[]).await;
    assert_eq!(out["refused"], serde_json::json!({}));
    let mails = listener.delivered();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].envelope_from, "jiří@příklad.cz");
    assert_eq!(mails[0].from.as_deref(), Some("jiří@příklad.cz"));
    assert_eq!(mails[0].from_name.as_deref(), Some("Jiří Dvořák"));
    assert_eq!(mails[0].subject, "Účet");
    listener.stop().await;
}
