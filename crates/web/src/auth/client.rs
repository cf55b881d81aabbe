//! The address a request comes from, for the login rate limit and the audit trail. Behind a
//! reverse proxy every request arrives from the proxy: without knowing that, twenty failed
//! logins by anyone would lock everybody out. Requests from a configured trusted proxy are
//! attributed to the nearest address in `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// Networks whose requests carry the client's address in `X-Forwarded-For`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<(IpAddr, u8)>,
}

impl TrustedProxies {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX` entries (`127.0.0.1`, `10.0.0.0/8`, `::1`); the
    /// error names the entry and what is wrong with it.
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let (addr, prefix) = match entry.split_once('/') {
                Some((a, p)) => (a, Some(p)),
                None => (entry.as_str(), None),
            };
            let ip: IpAddr = addr.trim().parse().map_err(|_| {
                format!("trusted_proxies[{i}]: `{entry}` is not an IP address or ADDRESS/PREFIX")
            })?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                None => max,
                Some(p) => match p.trim().parse::<u8>() {
                    Ok(p) if p <= max => p,
                    _ => {
                        return Err(format!(
                            "trusted_proxies[{i}]: prefix of `{entry}` must be 0 to {max}"
                        ))
                    }
                },
            };
            nets.push((ip, prefix));
        }
        Ok(TrustedProxies { nets })
    }

    /// Whether `ip` is in one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.nets
            .iter()
            .any(|&(net, prefix)| match (canonical(net), ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => same_prefix(&n.octets(), &a.octets(), prefix),
                (IpAddr::V6(n), IpAddr::V6(a)) => same_prefix(&n.octets(), &a.octets(), prefix),
                _ => false,
            })
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the
    /// right-most `X-Forwarded-For` entry that is not a trusted proxy (entries further left
    /// were written by the client and prove nothing).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        hops.iter()
            .rev()
            .copied()
            .find(|&h| !self.contains(h))
            .or_else(|| hops.first().copied())
            .unwrap_or(peer)
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn same_prefix(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (a[full] & mask) == (b[full] & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn networks_match_by_prefix() {
        let p = proxies(&["10.0.0.0/8", "192.168.1.0/25", "::1", "fd00::/8"]);
        for yes in [
            "10.1.2.3",
            "192.168.1.127",
            "::1",
            "fd12::1",
            "::ffff:10.9.9.9",
        ] {
            assert!(p.contains(yes.parse().unwrap()), "{yes}");
        }
        for no in ["11.0.0.1", "192.168.1.128", "::2", "fe80::1", "8.8.8.8"] {
            assert!(!p.contains(no.parse().unwrap()), "{no}");
        }
    }

    #[test]
    fn bad_entries_are_named() {
        let e = TrustedProxies::parse(&["10.0.0.0/8".into(), "nginx".into()]).unwrap_err();
        assert!(e.starts_with("trusted_proxies[1]: `nginx`"), "{e}");
        let e = TrustedProxies::parse(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(e.contains("0 to 32"), "{e}");
    }

    #[test]
    fn the_client_is_the_nearest_untrusted_hop() {
        let p = proxies(&["127.0.0.1", "10.0.0.0/8"]);
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        // Without trust, the header is ignored: anyone can write it.
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(p.client(stranger, &xff("1.2.3.4")), stranger);
        // Through our proxy: the address it saw.
        assert_eq!(
            p.client(lo, &xff("198.51.100.7")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // A client-written entry further left is skipped; inner proxies too.
        assert_eq!(
            p.client(lo, &xff("6.6.6.6, 198.51.100.7, 10.0.0.5")),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // Nothing usable: the proxy itself.
        assert_eq!(p.client(lo, &HeaderMap::new()), lo);
        assert_eq!(p.client(lo, &xff("garbage")), lo);
        // No proxies configured: always the peer.
        assert_eq!(
            TrustedProxies::default().client(lo, &xff("198.51.100.7")),
            lo
        );
    }
}
