//! `GET /account/messages/{outbox_id}`: an e-mail Tocsin sent to the customer's contacts, as
//! archived when the SMTP server accepted it: its plain-text part, or the raw message as
//! `text/plain` when it has none. Another customer's e-mail, an unsent or an unknown one is
//! the same 404 (the store looks it up by customer and id together).
//!
//! The bytes come from the small-object archive under the outbox row's `message_key`, read
//! off the async threads; an archive that cannot be read is a `503` (logged).

use std::sync::Arc;

use axum::extract::{Path, State as Ext};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use tocsin_store::{AccountStore, IncidentStore};

use super::{language, not_found, unavailable, Customer};
use crate::App;

/// `GET /account/messages/{id}`.
pub(crate) async fn message(
    Ext(app): Ext<Arc<App>>,
    Customer {
        principal,
        customer,
    }: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let preferences = app.store.preferences(&customer).await.ok().flatten();
    let l = language(preferences.as_ref(), &headers);
    let missing = || not_found(l, &principal);
    let Ok(id) = id.parse::<i64>() else {
        return missing();
    };
    let key = match app.store.customer_notice(&customer, id).await {
        Ok(Some(n)) => match n.message_key {
            Some(k) => k,
            // Sent while the server kept no archive: nothing to show.
            None => return missing(),
        },
        Ok(None) => return missing(),
        Err(e) => return unavailable(e),
    };
    match app.archiver.get(&key).await {
        Ok(Some(bytes)) => (
            [(CONTENT_TYPE, "text/plain; charset=utf-8")],
            text_of(&bytes),
        )
            .into_response(),
        Ok(None) => missing(),
        Err(why) => {
            tracing::warn!(outbox = id, key = %key, error = %why, "client area: archived e-mail unreadable");
            (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")).into_response()
        }
    }
}

/// A message's header block and body, split at the first empty line.
fn split(message: &str) -> (&str, &str) {
    for sep in ["\r\n\r\n", "\n\n"] {
        if let Some(at) = message.find(sep) {
            return (&message[..at], &message[at + sep.len()..]);
        }
    }
    (message, "")
}

/// The value of header `name` in `head` (folded lines joined), if present.
fn header(head: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in head.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(v) = value.as_mut() {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if value.is_some() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            if n.trim().eq_ignore_ascii_case(name) {
                value = Some(v.trim().to_owned());
            }
        }
    }
    value
}

/// A parameter (`boundary`, `charset`) of a `Content-Type` value.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Decodes a body in its `Content-Transfer-Encoding`; `None` when it does not decode.
fn decode(body: &str, encoding: Option<&str>) -> Option<String> {
    match encoding.map(str::to_ascii_lowercase).as_deref() {
        Some("base64") => {
            let compact: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .ok()?;
            String::from_utf8(bytes).ok()
        }
        Some("quoted-printable") => quoted_printable(body),
        _ => Some(body.to_owned()),
    }
}

/// Quoted-printable (RFC 2045 §6.7) to UTF-8 text; `None` for a bad escape or bytes that
/// are not UTF-8.
fn quoted_printable(body: &str) -> Option<String> {
    let mut out = Vec::with_capacity(body.len());
    let mut joined = true;
    for line in body.split('\n') {
        if !joined {
            out.push(b'\n');
        }
        let line = line.trim_end_matches('\r').trim_end_matches([' ', '\t']);
        // A soft break (`=` at the end) joins this line to the next.
        let (line, soft) = match line.strip_suffix('=') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at] == b'=' {
                let hex = line.get(at + 1..at + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                at += 3;
            } else {
                out.push(bytes[at]);
                at += 1;
            }
        }
        joined = soft;
    }
    String::from_utf8(out).ok()
}

/// The plain-text part of `message`, decoded; the whole message when it has none or it does
/// not decode, so the customer always reads what was sent.
pub(crate) fn text_of(message: &[u8]) -> String {
    let raw = String::from_utf8_lossy(message).into_owned();
    plain_part(&raw, 0).unwrap_or(raw)
}

/// The first `text/plain` part of an entity, searching nested multiparts a few levels deep.
fn plain_part(entity: &str, depth: u8) -> Option<String> {
    let (head, body) = split(entity);
    let content_type = header(head, "Content-Type").unwrap_or_else(|| "text/plain".to_owned());
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if kind == "text/plain" {
        return decode(body, header(head, "Content-Transfer-Encoding").as_deref());
    }
    if !kind.starts_with("multipart/") || depth >= 4 {
        return None;
    }
    let boundary = parameter(&content_type, "boundary")?;
    let delimiter = format!("--{boundary}");
    body.split(delimiter.as_str())
        .skip(1)
        .take_while(|part| !part.starts_with("--"))
        .find_map(|part| {
            let part = part
                .strip_prefix("\r\n")
                .or_else(|| part.strip_prefix('\n'))?;
            let part = part
                .strip_suffix("\r\n")
                .or_else(|| part.strip_suffix('\n'))
                .unwrap_or(part);
            plain_part(part, depth + 1)
        })
}
