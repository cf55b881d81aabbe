//! The status page's shortcut in front of hyper answers exactly as the router does: the same
//! requests, sent on a connection the shortcut answers and on one it has handed to hyper
//! (by a first request it does not take), get the same status, headers and body, on both
//! faces, pipelined and cut into small pieces.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::serve::{example_config, start_with_public};

/// One answer as read off the wire.
#[derive(Debug, PartialEq)]
struct Answer {
    status_line: String,
    /// Lower-case names, sorted, without `date`.
    headers: Vec<(String, String)>,
    date: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The requests compared: (method, target, extra header lines).
fn requests(etag: &str, br_etag: &str) -> Vec<(&'static str, String, String)> {
    let plain = |m: &'static str, t: &str| (m, t.to_owned(), String::new());
    let with = |m: &'static str, t: &str, h: &str| (m, t.to_owned(), format!("{h}\r\n"));
    vec![
        plain("GET", "/"),
        plain("HEAD", "/"),
        with("GET", "/", "Accept-Encoding: gzip, br"),
        with("GET", "/", "Accept-Encoding: gzip"),
        with("GET", "/", "Accept-Encoding: br;q=0.5, gzip"),
        with("HEAD", "/", "accept-encoding: br"),
        with("GET", "/", "Accept-Language: cs,en;q=0.8"),
        with("GET", "/", "Accept-Language: fr-FR"),
        plain("GET", "/?lang=de"),
        plain("GET", "/?"),
        with("GET", "/?lang=cs", "Accept-Language: pl"),
        plain("GET", "/index.html"),
        plain("GET", "/index.en.html"),
        plain("GET", "/index.cs.html?lang=en"),
        with("GET", "/api/v2/summary.json", "Accept-Encoding: gzip"),
        plain("GET", "/api/v2/status.json"),
        plain("GET", "/history.atom"),
        plain("GET", "/maintenance.ics"),
        plain("GET", "/assets/status.css"),
        with("GET", "/api/openapi.json", "Accept-Encoding: br"),
        with("GET", "/", &format!("If-None-Match: {etag}")),
        with("GET", "/", &format!("If-None-Match: \"x\", W/{etag}")),
        with(
            "GET",
            "/",
            &format!("If-None-Match: {etag}\r\nAccept-Encoding: br"),
        ),
        with(
            "GET",
            "/",
            &format!("If-None-Match: {br_etag}\r\nAccept-Encoding: gzip, br"),
        ),
        with("GET", "/", "If-None-Match: *"),
        with(
            "GET",
            "/",
            "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT",
        ),
        with(
            "GET",
            "/",
            "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
        ),
        with("GET", "/", "If-Modified-Since: yesterday"),
        with("GET", "/", "Connection: keep-alive\r\nUser-Agent: t"),
    ]
}

/// Sends `requests` pipelined on one connection, after `first` when given, in pieces of
/// `piece` bytes; returns the answers to `requests`.
fn exchange(
    addr: &str,
    first: Option<&str>,
    requests: &[(&str, String, String)],
    piece: usize,
) -> Vec<Answer> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut wire = Vec::new();
    let mut heads = Vec::new();
    if let Some(path) = first {
        write!(wire, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        heads.push(false);
    }
    for (method, target, extra) in requests {
        write!(
            wire,
            "{method} {target} HTTP/1.1\r\nHost: {addr}\r\n{extra}\r\n"
        )
        .unwrap();
        heads.push(*method == "HEAD");
    }
    for chunk in wire.chunks(piece) {
        s.write_all(chunk).unwrap();
    }
    let mut raw = Vec::new();
    let mut answers = Vec::new();
    let mut at = 0;
    for head_only in heads {
        let answer = loop {
            if let Some((answer, used)) = parse(&raw[at..], head_only) {
                at += used;
                break answer;
            }
            let mut buf = [0u8; 65536];
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {} answers", answers.len());
            raw.extend_from_slice(&buf[..n]);
        };
        answers.push(answer);
    }
    if first.is_some() {
        let not_found = answers.remove(0);
        assert!(not_found.status_line.contains(" 404 "), "{not_found:?}");
    }
    answers
}

/// One answer from the start of `raw` and the bytes it took, when all of it is there.
fn parse(raw: &[u8], head_only: bool) -> Option<(Answer, usize)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap().to_owned();
    let mut headers = Vec::new();
    let mut date = None;
    for line in lines {
        let (name, value) = line.split_once(": ").unwrap();
        let name = name.to_ascii_lowercase();
        if name == "date" {
            assert!(date.is_none(), "two dates: {head}");
            date = Some(value.to_owned());
        } else {
            headers.push((name, value.to_owned()));
        }
    }
    headers.sort();
    let length = match headers.iter().find(|(n, _)| n == "content-length") {
        Some((_, l)) if !head_only => l.parse::<usize>().unwrap(),
        _ => 0,
    };
    let start = end + 4;
    (raw.len() >= start + length).then(|| {
        let body = raw[start..start + length].to_vec();
        let answer = Answer {
            status_line,
            headers,
            date,
            body,
        };
        (answer, start + length)
    })
}

/// The current tags of `/` in identity and brotli, read through the router.
fn tags(addr: &str) -> (String, String) {
    let plain = vec![("GET", "/".to_owned(), String::new())];
    let br = vec![("GET", "/".to_owned(), "Accept-Encoding: br\r\n".to_owned())];
    let tag = |a: Vec<Answer>| a[0].header("etag").unwrap().to_owned();
    (
        tag(exchange(addr, Some("/nowhere"), &plain, 1 << 20)),
        tag(exchange(addr, Some("/nowhere"), &br, 1 << 20)),
    )
}

/// Everything but the date.
fn undated(a: &Answer) -> (&String, &Vec<(String, String)>, &Vec<u8>) {
    (&a.status_line, &a.headers, &a.body)
}

/// The second of the day of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn second_of_day(date: &str) -> u32 {
    assert!(date.len() == 29 && date.ends_with(" GMT"), "{date}");
    let field = |at: usize| date[at..at + 2].parse::<u32>().unwrap();
    field(17) * 3600 + field(20) * 60 + field(23)
}

/// The same requests through the shortcut and through hyper, compared; retried while the
/// page re-renders between the two (its tag moves).
fn compare(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (etag, br_etag) = tags(addr);
        let requests = requests(&etag, &br_etag);
        let fast = exchange(addr, None, &requests, 1 << 20);
        let pieces = exchange(addr, None, &requests, 7);
        let hyper = exchange(addr, Some("/nowhere"), &requests, 1 << 20);
        if (tags(addr), fast[0].header("etag")) != ((etag.clone(), br_etag), Some(&etag)) {
            assert!(Instant::now() < deadline, "the page never held still");
            continue;
        }
        let mut not_modified = 0;
        for (((request, f), p), h) in requests.iter().zip(&fast).zip(&pieces).zip(&hyper) {
            let (fd, hd) = (f.date.as_deref().unwrap(), h.date.as_deref().unwrap());
            let apart = second_of_day(fd).abs_diff(second_of_day(hd));
            assert!(apart.min(86_400 - apart) <= 5, "{fd} / {hd}");
            assert_eq!(undated(f), undated(h), "{request:?}");
            assert_eq!(undated(p), undated(h), "{request:?} in pieces");
            assert_eq!(
                h.header("strict-transport-security"),
                Some("max-age=31536000")
            );
            if h.status_line == "HTTP/1.1 304 Not Modified" {
                not_modified += 1;
                assert_eq!(h.header("content-length"), None);
            }
        }
        assert_eq!(not_modified, 5, "{hyper:?}");
        let bodies: Vec<usize> = hyper.iter().map(|a| a.body.len()).collect();
        assert!(bodies[0] > 1000 && bodies[1] == 0, "{bodies:?}");
        return;
    }
}

#[test]
fn the_shortcut_answers_as_the_router_does_on_both_faces() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "https://status.example.net");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text.replace("[notify]", "listen_public = \"127.0.0.1:0\"\n[notify]");
    std::fs::write(&config, text).unwrap();
    let (server, public) = start_with_public(&config);
    for addr in [&server.addr, &public] {
        compare(addr);
    }
}
