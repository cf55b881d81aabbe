//! Alert tokens (`[alerts] tokens`): when any are configured, the alert endpoints take a
//! request only with one of them, as `Authorization: Bearer TOKEN` (Alertmanager's
//! `http_config.authorization`) or as the password of HTTP basic auth, any user name
//! (Alertmanager's `basic_auth`, Zabbix's webhook script). The check is a route layer, so a
//! refused request is answered `401` before its body is read, parsed or stored. With no
//! tokens the endpoints stay open, as the server contract has them.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::secrets::{same_secret, token_hash};
use crate::error::ApiError;
use crate::App;

/// The tokens monitoring may present, held only as their SHA-256 digests.
#[derive(Clone, Default)]
pub struct AlertTokens {
    digests: Vec<String>,
}

impl std::fmt::Debug for AlertTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AlertTokens({} configured)", self.digests.len())
    }
}

impl AlertTokens {
    /// The shortest token accepted: guessing one must stay out of reach.
    pub const MIN_LEN: usize = 16;

    /// Checks and hashes `tokens`; the error names the entry (`tokens[1] …`) and what is
    /// wrong with it, never the token itself.
    pub fn parse(tokens: &[String]) -> Result<AlertTokens, String> {
        let mut digests = Vec::with_capacity(tokens.len());
        for (i, token) in tokens.iter().enumerate() {
            if token.is_empty() {
                return Err(format!("tokens[{i}] is empty"));
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(format!(
                    "tokens[{i}] holds a space or a character other than printable ASCII, \
                     which an HTTP header cannot carry"
                ));
            }
            if token.len() < Self::MIN_LEN {
                return Err(format!(
                    "tokens[{i}] has {} characters; an alert token needs at least {} \
                     (`openssl rand -hex 32` makes a good one)",
                    token.len(),
                    Self::MIN_LEN
                ));
            }
            digests.push(token_hash(token));
        }
        Ok(AlertTokens { digests })
    }

    /// How many tokens there are; none leaves the alert endpoints open.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether there are none, and the alert endpoints are open.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `presented` is one of the tokens. Every digest is compared in full, in time
    /// independent of where it differs, and the presented token is hashed first, so the
    /// time taken says nothing about any token.
    fn admits(&self, presented: &str) -> bool {
        let digest = token_hash(presented);
        self.digests
            .iter()
            .fold(false, |found, d| found | same_secret(&digest, d))
    }
}

/// The token a request presents: a bearer token, or the password of basic auth.
fn presented(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(rest.to_owned())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(base64_decode(rest)?).ok()?;
        let (_user, password) = decoded.split_once(':')?;
        Some(password.to_owned())
    } else {
        None
    }
}

/// Standard base64 (RFC 4648), padding optional, as clients send basic auth; `None` for
/// anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT.decode(text).ok()
}

/// Route layer of the alert endpoints: passes a request with a valid token (or any, when no
/// tokens are configured) and answers every other `401`, counted in the metrics.
pub(crate) async fn require(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if app.alert_tokens.is_empty() {
        return next.run(request).await;
    }
    let token = presented(request.headers());
    if token.as_deref().is_some_and(|t| app.alert_tokens.admits(t)) {
        return next.run(request).await;
    }
    app.metrics.unauthorized.fetch_add(1, Ordering::Relaxed);
    // Debug only: a scanner must not fill the log; the counter is what operators watch.
    tracing::debug!(path = %request.uri().path(), presented = token.is_some(), "alert refused: no valid alert token");
    let message = if token.is_some() {
        "the alert token is not valid"
    } else {
        "this server takes alerts only with an alert token ([alerts] tokens): send \
         Authorization: Bearer TOKEN, or HTTP basic auth with the token as password"
    };
    let mut response = ApiError::unauthorized(message).into_response();
    for challenge in [
        "Bearer realm=\"tocsin alerts\"",
        "Basic realm=\"tocsin alerts\", charset=\"UTF-8\"",
    ] {
        response
            .headers_mut()
            .append(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef-monitoring";

    fn headers(authorization: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, authorization.parse().unwrap());
        h
    }

    #[test]
    fn bearer_and_basic_passwords_are_presented_tokens() {
        assert_eq!(
            presented(&headers(&format!("Bearer {TOKEN}"))).as_deref(),
            Some(TOKEN)
        );
        assert_eq!(
            presented(&headers(&format!("bearer  {TOKEN} "))).as_deref(),
            Some(TOKEN)
        );
        // "zabbix:0123456789abcdef-monitoring"
        let basic = "Basic emFiYml4OjAxMjM0NTY3ODlhYmNkZWYtbW9uaXRvcmluZw==";
        assert_eq!(presented(&headers(basic)).as_deref(), Some(TOKEN));
        // A password may hold colons; the user name may not.
        let basic = "Basic YTpiOmM="; // "a:b:c"
        assert_eq!(presented(&headers(basic)).as_deref(), Some("b:c"));
        assert_eq!(presented(&headers("Basic !!!")), None);
        assert_eq!(presented(&headers("Basic bm9jb2xvbg==")), None); // "nocolon"
        assert_eq!(presented(&headers(&format!("Token {TOKEN}"))), None);
        assert_eq!(presented(&HeaderMap::new()), None);
    }

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("").unwrap(), b"");
        assert_eq!(base64_decode("Zg==").unwrap(), b"f");
        assert_eq!(base64_decode("Zm8").unwrap(), b"fo");
        assert_eq!(base64_decode("Zm9v").unwrap(), b"foo");
        assert_eq!(base64_decode("Zm9vYmE=").unwrap(), b"fooba");
        assert_eq!(base64_decode("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
        assert_eq!(base64_decode("Zm9vY"), None);
        assert_eq!(base64_decode("Zm9v-A=="), None);
    }

    #[test]
    fn only_configured_tokens_are_admitted_and_none_is_printed() {
        let other = "fedcba9876543210-second".to_owned();
        let tokens = AlertTokens::parse(&[TOKEN.to_owned(), other.clone()]).unwrap();
        assert_eq!(tokens.len(), 2);
        assert!(tokens.admits(TOKEN));
        assert!(tokens.admits(&other));
        assert!(!tokens.admits("0123456789abcdef-monitorinG"));
        assert!(!tokens.admits(""));
        let debug = format!("{tokens:?}");
        assert!(
            !debug.contains(TOKEN) && !debug.contains(&token_hash(TOKEN)),
            "{debug}"
        );
    }

    #[test]
    fn bad_tokens_are_named_by_position_and_never_shown() {
        let err = |list: &[&str]| {
            let list: Vec<String> = list.iter().map(|s| s.to_string()).collect();
            AlertTokens::parse(&list).unwrap_err()
        };
        assert_eq!(err(&[TOKEN, ""]), "tokens[1] is empty");
        let e = err(&["short-secret"]);
        assert!(e.starts_with("tokens[0] has 12 characters"), "{e}");
        assert!(!e.contains("short-secret"), "{e}");
        let e = err(&[TOKEN, TOKEN, "with a space in the middle"]);
        assert!(e.starts_with("tokens[2] holds a space"), "{e}");
        assert!(AlertTokens::parse(&[]).unwrap().is_empty());
    }
}
