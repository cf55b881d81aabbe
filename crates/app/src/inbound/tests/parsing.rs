//! Messages read into `InboundMail`: the bytes are made here with an independent encoder
//! (encoding_rs, base64) so that mail-parser's decoding is checked, not echoed.

use base64::Engine;

use crate::inbound::parse;

/// A message of CRLF-ended header lines, a blank line and `body`.
fn message(headers: &[&str], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for h in headers {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Quoted-printable (RFC 2045 §6.7) of `bytes`, soft line breaks every 70 characters or so.
fn quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut column = 0;
    for &b in bytes {
        let piece = if (33..=126).contains(&b) && b != b'=' || b == b' ' {
            vec![b]
        } else {
            format!("={b:02X}").into_bytes()
        };
        if column + piece.len() > 72 {
            out.extend_from_slice(b"=\r\n");
            column = 0;
        }
        column += piece.len();
        out.extend(piece);
    }
    out
}

fn encoded(encoding: &'static encoding_rs::Encoding, text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{text} is not all in {}", encoding.name());
    bytes.into_owned()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

const DESK: &str = "support@example.net";

fn read(raw: &[u8]) -> crate::inbound::InboundMail {
    parse(raw, "sender@example.cz", &[DESK.to_owned()])
}

#[test]
fn a_multipart_mail_gives_its_text_and_its_pdf_byte_for_byte() {
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    pdf.extend(0..=255u8);
    pdf.extend_from_slice(b"\n%%EOF\n");
    let encoded_pdf = b64(&pdf);
    let lines: Vec<&str> = encoded_pdf
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let body = format!(
        "--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThe invoice is attached.\r\n\
         --b1\r\nContent-Type: application/PDF; name=\"ignored.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"faktura-12.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        lines.join("\r\n")
    );
    let raw = message(
        &[
            "From: jan@example.cz",
            "To: support@example.net",
            "Subject: Invoice",
            "Message-ID: <inv-12@example.cz>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"b1\"",
        ],
        body.as_bytes(),
    );
    let mail = read(&raw);
    // The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1).
    assert_eq!(mail.text, "The invoice is attached.");
    assert_eq!(mail.attachments.len(), 1);
    let a = &mail.attachments[0];
    assert_eq!(a.name, "faktura-12.pdf");
    assert_eq!(a.content_type, "application/pdf");
    assert_eq!(a.bytes, pdf);
    assert_eq!(mail.raw, raw);
    assert_eq!(mail.envelope_from, "sender@example.cz");
    assert_eq!(mail.recipients, [DESK]);
    assert_eq!(mail.message_id.as_deref(), Some("inv-12@example.cz"));
    assert!(!mail.automatic);
}

#[test]
fn a_czech_body_in_iso_8859_2_quoted_printable_is_decoded() {
    let text = "Dobrý den, server neodpovídá.\r\nPříliš žluťoučký kůň úpěl ďábelské ódy.\r\n";
    let raw = message(
        &[
            "From: jan@example.cz",
            "Subject: =?ISO-8859-2?Q?Nefunguj=ED_n=E1m_server?=",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=ISO-8859-2",
            "Content-Transfer-Encoding: quoted-printable",
        ],
        &quoted_printable(&encoded(encoding_rs::ISO_8859_2, text)),
    );
    let mail = read(&raw);
    assert_eq!(mail.text, text);
    assert_eq!(mail.subject, "Nefungují nám server");
}

#[test]
fn a_russian_subject_and_name_in_koi8_r_encoded_words_are_decoded() {
    let subject = "Сервер не отвечает";
    let name = "Иван Петров";
    let subject_word = format!(
        "=?KOI8-R?B?{}?=",
        b64(&encoded(encoding_rs::KOI8_R, subject))
    );
    let name_word = format!(
        "=?koi8-r?Q?{}?=",
        String::from_utf8(quoted_printable(&encoded(encoding_rs::KOI8_R, name)))
            .unwrap()
            .replace(' ', "_")
    );
    let raw = message(
        &[
            &format!("From: {name_word} <Ivan.Petrov@Example.RU>"),
            &format!("Subject: {subject_word}"),
            "Content-Type: text/plain; charset=koi8-r",
            "Content-Transfer-Encoding: 8bit",
        ],
        &encoded(encoding_rs::KOI8_R, "Добрый день\r\n"),
    );
    let mail = read(&raw);
    assert_eq!(mail.subject, subject);
    assert_eq!(mail.from_name.as_deref(), Some(name));
    assert_eq!(mail.from.as_deref(), Some("ivan.petrov@example.ru"));
    assert_eq!(mail.text, "Добрый день\r\n");
}

#[test]
fn a_polish_body_in_windows_1250_is_not_taken_for_iso_8859_2() {
    // ą, ś and ź have other bytes in windows-1250 than in ISO-8859-2.
    let text = "Zażółć gęślą jaźń.\r\nŚwięto źródła.\r\n";
    let raw = message(
        &[
            "From: \"Kowalski, Jan\" <jan@example.pl>",
            "Subject: Awaria",
            "Content-Type: text/plain; charset=windows-1250",
            "Content-Transfer-Encoding: 8bit",
        ],
        &encoded(encoding_rs::WINDOWS_1250, text),
    );
    let mail = read(&raw);
    assert_eq!(mail.text, text);
    assert_eq!(mail.from_name.as_deref(), Some("Kowalski, Jan"));
    assert_eq!(mail.from.as_deref(), Some("jan@example.pl"));
}

#[test]
fn a_ukrainian_body_in_windows_1251_base64_is_decoded() {
    let text = "Доброго дня, сервер недоступний.\r\n";
    let raw = message(
        &[
            "From: olena@example.ua",
            "Content-Type: text/plain; charset=\"windows-1251\"",
            "Content-Transfer-Encoding: base64",
        ],
        b64(&encoded(encoding_rs::WINDOWS_1251, text)).as_bytes(),
    );
    assert_eq!(read(&raw).text, text);
}

#[test]
fn threading_headers_give_every_id_without_brackets_in_order() {
    let raw = message(
        &[
            "From: jan@example.cz",
            "Message-ID:\r\n <reply-3@mail.example.cz>",
            "In-Reply-To: <t-42.2@desk.example.net> <t-42.1@desk.example.net>",
            "References: <t-42.0@desk.example.net>\r\n\t<reply-1@mail.example.cz>\r\n <t-42.2@desk.example.net>",
            "Subject: Re: [#T-42] Server down",
        ],
        b"Thanks.\r\n",
    );
    let mail = read(&raw);
    assert_eq!(mail.message_id.as_deref(), Some("reply-3@mail.example.cz"));
    assert_eq!(
        mail.in_reply_to,
        ["t-42.2@desk.example.net", "t-42.1@desk.example.net"]
    );
    assert_eq!(
        mail.references,
        [
            "t-42.0@desk.example.net",
            "reply-1@mail.example.cz",
            "t-42.2@desk.example.net"
        ]
    );
    assert_eq!(mail.subject, "Re: [#T-42] Server down");
}

#[test]
fn a_mail_without_message_id_or_threading_headers_has_none() {
    let mail = read(&message(
        &["From: jan@example.cz", "Subject: Hi"],
        b"Hello\r\n",
    ));
    assert_eq!(mail.message_id, None);
    assert!(mail.in_reply_to.is_empty() && mail.references.is_empty());
    assert_eq!(mail.from_name, None);
    assert_eq!(mail.text, "Hello\r\n");
}

#[test]
fn machines_are_told_by_auto_submitted_and_precedence() {
    let automatic = |header: &str| read(&message(&["From: a@b.cz", header], b"x\r\n")).automatic;
    assert!(automatic("Auto-Submitted: auto-replied"));
    assert!(automatic(
        "Auto-Submitted: auto-generated; owner-email=\"x@y.cz\""
    ));
    assert!(automatic("Auto-Submitted: Auto-Notified"));
    assert!(!automatic("Auto-Submitted: no"));
    assert!(!automatic("Auto-Submitted: No"));
    assert!(automatic("Precedence: bulk"));
    assert!(automatic("Precedence: junk"));
    assert!(automatic("Precedence: List"));
    assert!(!automatic("Precedence: first-class"));
    assert!(!automatic("X-Mailer: Thunderbird"));
}

#[test]
fn an_html_only_mail_gives_its_text() {
    let raw = message(
        &[
            "From: a@b.cz",
            "Content-Type: text/html; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ],
        "<html><body><p>Server <b>je</b> dole &amp; nefunguje</p></body></html>\r\n".as_bytes(),
    );
    let text = read(&raw).text;
    assert!(text.contains("Server je dole & nefunguje"), "{text:?}");
    assert!(!text.contains('<'), "{text:?}");
}

#[test]
fn an_attachment_without_a_name_or_with_a_path_gets_a_safe_one() {
    let body = "--b\r\nContent-Type: text/plain\r\n\r\nsee logs\r\n\
                --b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\
                Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n\
                --b\r\nContent-Type: text/plain; charset=iso-8859-2\r\n\
                Content-Disposition: attachment; filename=\"../../etc/syslog.txt\"\r\n\
                Content-Transfer-Encoding: quoted-printable\r\n\r\nchyba =E8. 5\r\n--b--\r\n";
    let raw = message(
        &["From: a@b.cz", "Content-Type: multipart/mixed; boundary=b"],
        body.as_bytes(),
    );
    let mail = read(&raw);
    assert_eq!(mail.text, "see logs");
    let names: Vec<_> = mail.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["attachment-1", "syslog.txt"]);
    assert_eq!(mail.attachments[0].bytes, [0, 1, 2]);
    assert_eq!(
        mail.attachments[1].content_type,
        "text/plain; charset=utf-8"
    );
    assert_eq!(mail.attachments[1].bytes, "chyba č. 5".as_bytes());
}

#[test]
fn what_is_not_a_message_still_gives_its_raw_bytes() {
    for raw in [&b""[..], b"\r\n", b"\xff\xfe\x00garbage", b"Subject"] {
        let mail = read(raw);
        assert_eq!(mail.raw, raw);
        assert_eq!(mail.envelope_from, "sender@example.cz");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(512))]
    #[test]
    fn no_bytes_make_it_panic(raw in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
        let mail = read(&raw);
        proptest::prop_assert_eq!(mail.raw, raw);
    }

    #[test]
    fn no_mangled_mime_makes_it_panic(
        cut in 0usize..400,
        junk in proptest::collection::vec(proptest::num::u8::ANY, 0..40),
    ) {
        let mut raw = message(
            &["From: =?koi8-r?B?8OXU0g==?= <a@b.cz>", "Content-Type: multipart/mixed; boundary=q"],
            b"--q\r\nContent-Type: text/plain; charset=windows-1250\r\nContent-Transfer-Encoding: base64\r\n\r\nx+ZzdA==\r\n--q\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n--q--\r\n",
        );
        let at = cut.min(raw.len());
        raw.splice(at..at, junk);
        let _ = read(&raw);
    }
}
