//! The status page's compressed variants through the real server: gzip and brotli bodies that
//! decode to exactly the identity body, chosen by `Accept-Encoding` with its q-values, `Vary`,
//! `Content-Length` and `Content-Encoding` right, and new bodies and tags with a new snapshot.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::serve::{http, start};
use crate::status::wait_summary;

/// A response with its body as bytes.
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The tag's hash, without the quotes and the coding's suffix.
    fn tag_hash(&self) -> String {
        let tag = self.header("etag").unwrap().trim_matches('"');
        tag.split('-').next().unwrap().to_owned()
    }

    /// The body as sent, decoded by its `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        let mut plain = Vec::new();
        match self.header("content-encoding") {
            None => plain.clone_from(&self.body),
            Some("gzip") => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut plain)
                    .unwrap();
            }
            Some("br") => {
                brotli::Decompressor::new(&self.body[..], 4096)
                    .read_to_end(&mut plain)
                    .unwrap();
            }
            Some(other) => panic!("unexpected coding {other}"),
        }
        plain
    }
}

fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Got {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// The identity page and the one answered to `accept`, taken from the same rendering (the
/// same tag hash), so that a re-rendering between the two requests cannot mislead.
fn pair(addr: &str, path: &str, accept: &str) -> (Got, Got) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let plain = get(addr, path, &[]);
        let coded = get(addr, path, &[("Accept-Encoding", accept)]);
        if plain.tag_hash() == coded.tag_hash() {
            return (plain, coded);
        }
        assert!(Instant::now() < deadline, "{path} never settled");
    }
}

/// Checks every header a variant must carry and returns its decoded body.
fn check(got: &Got, coding: Option<&str>, vary: &str) -> Vec<u8> {
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-encoding"), coding, "{:?}", got.headers);
    assert_eq!(got.header("vary"), Some(vary));
    assert_eq!(
        got.header("content-length"),
        Some(got.body.len().to_string().as_str()),
        "the length of the bytes sent, not of the page"
    );
    // The security and caching headers stay whatever the coding.
    assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
    assert!(got.header("content-security-policy").is_some());
    assert!(got.header("cache-control").unwrap().contains("max-age="));
    assert!(got.header("last-modified").is_some());
    got.decoded()
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.yaml");
    std::fs::write(
        &inv,
        r#"version: 1
nodes:
  - {id: hv-1, kind: hypervisor}
  - {id: vm-1, kind: vm, requires: [hv-1]}
customers:
  - {id: acme, name: ACME}
services:
  - {id: s-1, customer: acme, kind: vps, component: c-1, requires: [vm-1]}
components:
  - {id: c-1, name: Cloud VPS}
"#,
    )
    .unwrap();
    let config = dir.path().join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"{}\"\n[notify]\nhold_down = \"0s\"\n",
            dir.path().join("t.db").display(),
            inv.display()
        ),
    )
    .unwrap();
    (dir, config)
}

#[test]
fn compressed_pages_decode_to_the_page_and_follow_each_snapshot() {
    let (_dir, config) = setup();
    let server = start(&config);
    let addr = server.addr.clone();
    const PAGE_VARY: &str = "Accept-Language, Accept-Encoding";

    // Each accepted coding decodes to exactly the identity page, with its own tag.
    let mut first = None;
    for (accept, coding) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0.2, br;q=0.9", "br"),
        ("*", "br"),
    ] {
        let (plain, coded) = pair(&addr, "/", accept);
        let page = check(&plain, None, PAGE_VARY);
        assert!(String::from_utf8_lossy(&page).contains("Cloud VPS"));
        assert!(
            coded.body.len() < page.len() / 2,
            "{accept}: not compressed"
        );
        assert_eq!(check(&coded, Some(coding), PAGE_VARY), page, "{accept}");
        assert_ne!(coded.header("etag"), plain.header("etag"), "{accept}");
        first.get_or_insert((plain, coded));
    }
    // Nothing compressed when not accepted, or refused with q=0.
    for accept in [
        "identity",
        "deflate",
        "gzip;q=0",
        "gzip;q=0, br;q=0",
        "br;q=0",
    ] {
        let (plain, got) = pair(&addr, "/", accept);
        assert_eq!(check(&got, None, PAGE_VARY), plain.body, "{accept}");
        assert_eq!(got.header("etag"), plain.header("etag"), "{accept}");
    }
    // The JSON twins are compressed too, with `Vary` but not by language.
    let (plain, coded) = pair(&addr, "/api/v2/summary.json", "gzip");
    assert_eq!(
        check(&coded, Some("gzip"), "Accept-Encoding"),
        check(&plain, None, "Accept-Encoding")
    );

    // A matching If-None-Match gets 304 for the variant it names, and no body.
    let (plain, gz) = first.unwrap();
    let gz_tag = gz.header("etag").unwrap().to_owned();
    let not_modified = get(
        &addr,
        "/",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gz_tag)],
    );
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(gz_tag.as_str()));
    assert_eq!(not_modified.header("vary"), Some(PAGE_VARY));
    // The gzip tag does not validate the identity page a client without gzip would get.
    let other = get(&addr, "/", &[("If-None-Match", &gz_tag)]);
    assert_eq!(other.status, 200);
    assert_eq!(other.header("content-encoding"), None);

    // A public incident update makes a new snapshot: new bodies, new tags, old tags stale.
    http(
        &addr,
        "POST",
        "/api/v1/alerts",
        &json!({"node": "vm-1", "state": "down", "source": "t", "id": "vm-1"}).to_string(),
    );
    wait_summary(&addr, "an incident", |s| {
        s["incidents"].as_array().is_some_and(|i| !i.is_empty())
    });
    let update =
        json!({"status": "identified", "body": "Hypervisor hv-1 replaced", "public": true});
    let (status, reply) = http(
        &addr,
        "POST",
        "/api/v1/incidents/1/updates",
        &update.to_string(),
    );
    assert_eq!(status, 201, "{reply}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let (new_plain, new_br) = loop {
        let (p, b) = pair(&addr, "/", "br");
        if String::from_utf8_lossy(&p.body).contains("Hypervisor hv-1 replaced") {
            break (p, b);
        }
        assert!(Instant::now() < deadline, "the update never showed");
        std::thread::sleep(Duration::from_millis(200));
    };
    let new_page = check(&new_plain, None, PAGE_VARY);
    assert_ne!(new_page, plain.body);
    assert_eq!(check(&new_br, Some("br"), PAGE_VARY), new_page);
    let (_, new_gz) = pair(&addr, "/", "gzip");
    assert_ne!(new_gz.body, gz.body);
    assert_ne!(new_gz.header("etag"), Some(gz_tag.as_str()));
    assert_ne!(new_plain.header("etag"), plain.header("etag"));
    let stale = get(
        &addr,
        "/",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", &gz_tag)],
    );
    assert_eq!(stale.status, 200, "a changed page is sent again");
    assert!(String::from_utf8_lossy(&stale.decoded()).contains("Hypervisor hv-1 replaced"));
}
