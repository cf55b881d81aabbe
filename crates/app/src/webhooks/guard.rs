//! Where a customer's own webhook may point: never into the provider's network (SSRF). The
//! host is resolved once and every address it resolves to is checked; the POST then connects
//! to exactly those addresses, so a second DNS answer (rebinding) cannot send it elsewhere.
//! Webhooks the provider wrote in the inventory are trusted and only resolved once.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a webhook's host gave no address to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The name did not resolve (now): worth another try later.
    Lookup(String),
    /// It resolved into a refused range: final, whatever DNS says later.
    Forbidden(String),
}

/// The addresses to connect to for `host` (a name or a literal, IPv6 without brackets):
/// resolved once; when `check`, refused as a whole if any of them is not a public address.
pub(crate) async fn addresses(
    host: &str,
    port: u16,
    check: bool,
) -> Result<Vec<SocketAddr>, Refusal> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Refusal::Lookup(format!("cannot resolve `{host}`: {e}")))?
        .collect();
    if resolved.is_empty() {
        return Err(Refusal::Lookup(format!("`{host}` resolves to no address")));
    }
    if check {
        // Any refused address refuses the host: which one a connection would use is not ours
        // to choose once the resolver mixes public and private answers.
        if let Some((ip, why)) = resolved
            .iter()
            .find_map(|a| forbidden(a.ip()).map(|why| (a.ip(), why)))
        {
            return Err(Refusal::Forbidden(format!(
                "refused: host `{host}` resolves to {ip} ({why}), not a public address; \
                 a customer's webhook may not reach private or reserved networks"
            )));
        }
    }
    Ok(resolved)
}

/// Why a customer may not save a webhook URL with this host, found without resolving it:
/// `localhost` names and literal addresses in refused ranges. The check at delivery stays the
/// real guard, since a name's DNS answers can change after it is saved.
pub fn refused_host(host: &str) -> Option<&'static str> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    // RFC 6761: every `localhost` name is loopback, whatever a resolver says.
    if name == "localhost" || name.ends_with(".localhost") {
        return Some("loopback");
    }
    literal(&name).and_then(forbidden)
}

/// The address a host names literally: IPv6, dotted IPv4, or the shorter, hexadecimal and
/// octal IPv4 forms resolvers also accept (`127.1`, `0x7f000001`, `017700000001`).
fn literal(host: &str) -> Option<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(ip);
    }
    inet_aton(host).map(IpAddr::V4)
}

/// IPv4 as `inet_aton(3)` reads it: one to four parts, each decimal, `0x` hexadecimal or
/// `0` octal, the last filling the bytes left.
fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for part in parts {
        let (digits, radix) =
            if let Some(hex) = part.strip_prefix("0x").or_else(|| part.strip_prefix("0X")) {
                (hex, 16)
            } else if part.len() > 1 && part.starts_with('0') {
                (&part[1..], 8)
            } else {
                (part, 10)
            };
        // `from_str_radix` would take a leading `+`; resolvers do not.
        if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        numbers.push(u64::from_str_radix(digits, radix).ok()?);
    }
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|&n| n > 255) {
        return None;
    }
    let bits = 8 * (4 - init.len() as u32);
    if *last >= 1u64 << bits {
        return None;
    }
    let value = init.iter().fold(0u64, |v, &n| (v << 8) | n) << bits | last;
    u32::try_from(value).ok().map(Ipv4Addr::from)
}

/// Why `ip` is not a public address, or `None` when it is.
pub(crate) fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        (0, _, _) => "\"this network\", 0.0.0.0/8",
        (127, _, _) => "loopback",
        (10, _, _) | (192, 168, _) => "private, RFC 1918",
        (172, b, _) if b & 0xf0 == 16 => "private, RFC 1918",
        (100, b, _) if b & 0xc0 == 64 => "carrier-grade NAT, 100.64.0.0/10",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol assignments, 192.0.0.0/24",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, b, _) if b & 0xfe == 18 => "benchmarking, 198.18.0.0/15",
        (224..=239, _, _) => "multicast",
        _ if ip.is_broadcast() => "broadcast",
        (240..=255, _, _) => "reserved, 240.0.0.0/4",
        _ => return None,
    })
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded = || {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    };
    Some(match s {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96)
        // forms reach the IPv4 address inside them.
        [0, 0, 0, 0, 0, 0xffff, _, _]
        | [0, 0, 0, 0, 0, 0, _, _]
        | [0x64, 0xff9b, 0, 0, 0, 0, _, _] => return forbidden_v4(embedded()),
        [x, ..] if x & 0xfe00 == 0xfc00 => "unique local, fc00::/7",
        [x, ..] if x & 0xffc0 == 0xfe80 => "link-local",
        [x, ..] if x & 0xffc0 == 0xfec0 => "site-local, fec0::/10",
        [x, ..] if x & 0xff00 == 0xff00 => "multicast",
        [0x2001, 0x0db8, ..] => "documentation",
        [x, ..] if x & 0xfff0 == 0x3ff0 => "documentation",
        [0x0100, 0, 0, 0, ..] => "discard-only, 100::/64",
        // 6to4 (2002:V4ADDR::/48) reaches the IPv4 address in bits 16-47 through a relay.
        [0x2002, hi, lo, ..] => {
            let [a, b] = hi.to_be_bytes();
            let [c, d] = lo.to_be_bytes();
            return forbidden_v4(Ipv4Addr::new(a, b, c, d))
                .map(|_| "6to4 form of a non-public address");
        }
        // Teredo (2001::/32) tunnels to an address the server cannot check: refused whole.
        [0x2001, 0, ..] => "Teredo tunnel, 2001::/32",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refused_range_and_public_addresses() {
        let table: &[(&str, Option<&str>)] = &[
            ("0.0.0.0", Some("unspecified")),
            ("0.1.2.3", Some("\"this network\", 0.0.0.0/8")),
            ("127.0.0.1", Some("loopback")),
            ("127.255.255.254", Some("loopback")),
            ("10.0.0.1", Some("private, RFC 1918")),
            ("10.255.255.255", Some("private, RFC 1918")),
            ("172.16.0.1", Some("private, RFC 1918")),
            ("172.31.255.255", Some("private, RFC 1918")),
            ("192.168.1.1", Some("private, RFC 1918")),
            ("100.64.0.1", Some("carrier-grade NAT, 100.64.0.0/10")),
            ("100.127.255.255", Some("carrier-grade NAT, 100.64.0.0/10")),
            ("169.254.169.254", Some("link-local")),
            ("192.0.0.8", Some("IETF protocol assignments, 192.0.0.0/24")),
            ("192.0.2.1", Some("documentation")),
            ("198.51.100.7", Some("documentation")),
            ("203.0.113.9", Some("documentation")),
            ("198.18.0.1", Some("benchmarking, 198.18.0.0/15")),
            ("198.19.255.255", Some("benchmarking, 198.18.0.0/15")),
            ("224.0.0.1", Some("multicast")),
            ("239.255.255.250", Some("multicast")),
            ("240.0.0.1", Some("reserved, 240.0.0.0/4")),
            ("255.255.255.255", Some("broadcast")),
            ("::", Some("unspecified")),
            ("::1", Some("loopback")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:10.1.2.3", Some("private, RFC 1918")),
            ("::ffff:169.254.169.254", Some("link-local")),
            ("::127.0.0.1", Some("loopback")),
            ("::192.168.0.1", Some("private, RFC 1918")),
            ("64:ff9b::a9fe:a9fe", Some("link-local")),
            ("fc00::1", Some("unique local, fc00::/7")),
            ("fd12:3456::1", Some("unique local, fc00::/7")),
            ("fe80::1", Some("link-local")),
            ("febf::1", Some("link-local")),
            ("fec0::1", Some("site-local, fec0::/10")),
            ("ff02::1", Some("multicast")),
            ("2001:db8::1", Some("documentation")),
            ("3fff::1", Some("documentation")),
            ("100::1", Some("discard-only, 100::/64")),
            ("2002:7f00:1::1", Some("6to4 form of a non-public address")),
            (
                "2002:a9fe:a9fe::",
                Some("6to4 form of a non-public address"),
            ),
            (
                "2001:0:4136:e378:8000:63bf:3fff:fdd2",
                Some("Teredo tunnel, 2001::/32"),
            ),
            // Public addresses, some just outside a refused range.
            ("1.1.1.1", None),
            ("8.8.8.8", None),
            ("9.255.255.255", None),
            ("11.0.0.1", None),
            ("100.63.255.255", None),
            ("100.128.0.1", None),
            ("169.253.1.1", None),
            ("172.15.255.255", None),
            ("172.32.0.1", None),
            ("192.0.1.1", None),
            ("192.169.0.1", None),
            ("198.20.0.1", None),
            ("223.255.255.255", None),
            ("2a00:1450:4001::200e", None),
            ("2606:4700::1111", None),
            ("::ffff:8.8.8.8", None),
            ("64:ff9b::808:808", None),
            ("2001:db9::1", None),
            ("2002:808:808::1", None),
            ("2001:4860:4860::8888", None),
        ];
        for (text, want) in table {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(forbidden(ip), *want, "{text}");
        }
    }

    #[test]
    fn hosts_refused_without_resolving() {
        for host in [
            "localhost",
            "LOCALHOST.",
            "api.localhost",
            "127.0.0.1",
            "[::1]",
            "[::ffff:10.0.0.1]",
            "169.254.169.254",
            "127.1",
            "0x7f000001",
            "017700000001",
            "2130706433",
            "0x7f.0.0.1",
            "10.0.0.1.",
            "0",
        ] {
            assert!(refused_host(host).is_some(), "{host}");
        }
        for host in [
            "hooks.example.com",
            "localhost.example.com",
            "8.8.8.8",
            "[2606:4700::1111]",
            "1.2.3",
            "0x08080808",
            "123.example",
            "10.0.0.1.example",
            "+127.0.0.1",
            "256.0.0.1",
        ] {
            assert_eq!(refused_host(host), None, "{host}");
        }
        assert_eq!(inet_aton("1.2.3"), Some(Ipv4Addr::new(1, 2, 0, 3)));
        assert_eq!(inet_aton("1.65536"), Some(Ipv4Addr::new(1, 1, 0, 0)));
        assert_eq!(inet_aton("1.2.65536"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("09"), None, "not octal");
    }

    #[tokio::test]
    async fn delivery_time_resolution_checks_every_address() {
        let refused = addresses("localhost", 80, true).await.unwrap_err();
        let Refusal::Forbidden(why) = refused else {
            panic!("{refused:?}")
        };
        assert!(
            why.contains("`localhost`") && why.contains("(loopback)"),
            "{why}"
        );
        let refused = addresses("169.254.169.254", 80, true).await.unwrap_err();
        assert!(
            matches!(&refused, Refusal::Forbidden(w) if w.contains("link-local")),
            "{refused:?}"
        );
        // Allowed, or a trusted hook: the same single resolution, unchecked.
        let a = addresses("127.0.0.1", 8080, false).await.unwrap();
        assert_eq!(a, ["127.0.0.1:8080".parse::<SocketAddr>().unwrap()]);
        assert!(addresses("8.8.8.8", 443, true).await.is_ok());
    }
}
