//! A logged-in browser, minimally: logs in through the form, keeps the session cookie, reads
//! the CSRF token from a page's forms and posts forms with it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// An HTTP response, headers kept.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The first header of this name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Percent-encodes a form value.
pub(crate) fn form_encode(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// One HTTP/1.1 exchange with extra header lines (each ending in `\r\n`).
pub(crate) fn exchange(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or("")[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A logged-in visitor.
pub(crate) struct Browser {
    pub addr: String,
    /// `tocsin_session=…`.
    pub cookie: String,
}

/// Logs in through the form; `None` when the server refused (with its reply).
pub(crate) fn login(addr: &str, login: &str, password: &str) -> Result<Browser, Reply> {
    let body = form_encode(&[("login", login), ("password", password), ("next", "")]);
    let reply = exchange(
        addr,
        "POST",
        "/login",
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &body,
    );
    let cookie = reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .filter(|c| c.starts_with("tocsin_session=") && c.len() > "tocsin_session=".len());
    match (reply.status, cookie) {
        (303, Some(c)) => Ok(Browser {
            addr: addr.to_owned(),
            cookie: c.to_owned(),
        }),
        _ => Err(reply),
    }
}

/// The value of the first `name="csrf"` hidden input of a page.
pub(crate) fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\"")?;
    let rest = &html[at..];
    let v = rest.find("value=\"")? + "value=\"".len();
    let end = rest[v..].find('"')?;
    Some(rest[v..v + end].to_owned())
}

impl Browser {
    /// `GET path` with the session.
    pub(crate) fn get(&self, path: &str) -> Reply {
        exchange(
            &self.addr,
            "GET",
            path,
            &format!("Cookie: {}\r\n", self.cookie),
            "",
        )
    }

    /// `POST path` with a form, the session and the CSRF token of `page` (a path whose page
    /// has a form), as a browser submitting that page's form does.
    pub(crate) fn post_form(&self, page: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
        let html = self.get(page).body;
        let csrf = csrf_of(&html).unwrap_or_else(|| panic!("no CSRF token on {page}"));
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &form_encode(&all))
    }

    /// `POST path` with an already encoded form body and the session (no token added).
    pub(crate) fn post_raw(&self, path: &str, body: &str) -> Reply {
        exchange(
            &self.addr,
            "POST",
            path,
            &format!(
                "Cookie: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n",
                self.cookie
            ),
            body,
        )
    }
}
