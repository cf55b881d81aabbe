//! Masking customers' webhook URLs wherever staff read them (the console's outbox and audit
//! trail, the outbox API): a URL such as `https://hooks.slack.com/services/T000/B000/XXXX` is
//! itself the credential, so only its scheme, host and port are shown. E-mail addresses are
//! not secrets and stay whole. The customer's own preferences page shows the URL unmasked.

use axum::http::Uri;

/// What stands for the part of a URL that was taken out.
const ELIDED: &str = "…";

/// `url` with only its scheme, host and port kept: `https://hooks.slack.com/…`. The user
/// information, path, query and fragment go; the mark shows that something did. Anything that
/// is not an absolute URL naming a host is masked whole.
pub(crate) fn mask_url(url: &str) -> String {
    match origin(url) {
        Some((origin, false)) => origin,
        Some((origin, true)) => format!("{origin}/{ELIDED}"),
        None => ELIDED.to_owned(),
    }
}

/// The `scheme://host[:port]` of `url`, and whether anything else was in it.
fn origin(url: &str) -> Option<(String, bool)> {
    // `Uri` does not take fragments; a fragment is elided anyway.
    let (url, fragment) = match url.split_once('#') {
        Some((before, _)) => (before, true),
        None => (url, false),
    };
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?;
    let authority = uri.authority()?;
    let host = authority.host();
    if host.is_empty() {
        return None;
    }
    let origin = match authority.port_u16() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    };
    let rest = uri.path_and_query().map_or("", |p| p.as_str());
    let elided = fragment || authority.as_str().contains('@') || !matches!(rest, "" | "/");
    Some((origin, elided))
}

/// A notice's recipient as staff see it: an e-mail address whole, a webhook's URL (or anything
/// else that is not an e-mail address) masked by [`mask_url`].
pub(crate) fn mask_contact(contact: &str) -> String {
    if contact.contains("://") || !contact.contains('@') {
        mask_url(contact)
    } else {
        contact.to_owned()
    }
}

/// `text` with every `http://` or `https://` URL in it masked by [`mask_url`]: audit details
/// (`webhook=https://…; secret=kept`) and delivery errors (`webhook https://…: timed out`)
/// carry them in a sentence. A URL runs to the next white space; punctuation ending it is
/// kept after the mask.
pub(crate) fn mask_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = url_start(rest) {
        out.push_str(&rest[..start]);
        let from = &rest[start..];
        let len = from.find(char::is_whitespace).unwrap_or(from.len());
        let word = &from[..len];
        let url = word.trim_end_matches(['.', ',', ';', ':', ')', ']', '>', '"', '\'', '`']);
        out.push_str(&mask_url(url));
        out.push_str(&word[url.len()..]);
        rest = &from[len..];
    }
    out.push_str(rest);
    out
}

/// Where the first `http://` or `https://` (in any case) starts in `s`.
fn url_start(s: &str) -> Option<usize> {
    // ASCII lower-casing keeps every byte offset, so the offsets found are offsets in `s`.
    let lower = s.to_ascii_lowercase();
    [lower.find("http://"), lower.find("https://")]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slack_url_keeps_only_scheme_and_host() {
        assert_eq!(
            mask_url("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            mask_url("https://h.example/in?token=abc#frag"),
            "https://h.example/…"
        );
        assert_eq!(
            mask_url("https://h.example?token=abc"),
            "https://h.example/…"
        );
        assert_eq!(mask_url("https://h.example/#token"), "https://h.example/…");
    }

    #[test]
    fn the_port_stays() {
        assert_eq!(
            mask_url("http://127.0.0.1:8080/hook/secret"),
            "http://127.0.0.1:8080/…"
        );
        assert_eq!(mask_url("https://[::1]:8443/x"), "https://[::1]:8443/…");
    }

    #[test]
    fn user_information_is_dropped() {
        assert_eq!(
            mask_url("https://user:pass@host.example/"),
            "https://host.example/…"
        );
        assert_eq!(
            mask_url("https://token@host.example:9000"),
            "https://host.example:9000/…"
        );
    }

    #[test]
    fn nothing_to_hide_without_a_path() {
        assert_eq!(
            mask_url("https://hooks.example.com"),
            "https://hooks.example.com"
        );
        assert_eq!(
            mask_url("https://hooks.example.com/"),
            "https://hooks.example.com"
        );
    }

    #[test]
    fn what_is_not_a_url_is_masked_whole() {
        for bad in [
            "",
            "hooks.slack.com/services/T000/B000/XXXX",
            "/services/T000",
            "https://",
            "https:///nohost",
            "https://exa mple.com/secret",
            "not a url at all",
        ] {
            assert_eq!(mask_url(bad), "…", "{bad:?}");
        }
    }

    #[test]
    fn e_mail_addresses_stay_and_urls_go() {
        assert_eq!(mask_contact("ops@acme.example"), "ops@acme.example");
        assert_eq!(
            mask_contact("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            mask_contact("https://u:p@h.example/x"),
            "https://h.example/…"
        );
        assert_eq!(mask_contact("garbage-without-at"), "…");
    }

    #[test]
    fn urls_in_sentences_are_masked_and_the_rest_kept() {
        assert_eq!(
            mask_urls(
                "contacts=[a@b.cz]; language=fr; webhook=https://hooks.slack.com/services/T0/B0/X; secret=kept"
            ),
            "contacts=[a@b.cz]; language=fr; webhook=https://hooks.slack.com/…; secret=kept"
        );
        assert_eq!(
            mask_urls("webhook http://127.0.0.1:9/a/b?k=v: connection refused"),
            "webhook http://127.0.0.1:9/…: connection refused"
        );
        assert_eq!(
            mask_urls("two: HTTPS://A.example/x, (http://b.example/y)."),
            "two: https://A.example/…, (http://b.example/…)."
        );
        assert_eq!(mask_urls("webhook=none; über"), "webhook=none; über");
        assert_eq!(mask_urls("broken https:// end"), "broken … end");
    }
}
